#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Static checks: rustfmt, clippy (host crates and the module with CLIPPY=1,
# warnings are errors), checkpatch.pl --strict on every patch, and a kernel
# build after each patch of the series.
. "$(dirname "$0")/lib.sh"
kernel_variant_check

SRC=$(kernel_src_dir)
CARGO=$HOME/.cargo/bin/cargo
cd "$AUDITNS_TOP"

rustfmt_all() {
	"$CARGO" fmt --all --check
	"$CARGO" fmt --check --manifest-path fuzz/Cargo.toml
	# The module is formatted as the kernel's own Rust code is.
	rustfmt --check --edition 2021 --config-path "$SRC/.rustfmt.toml" rust/auditns/*.rs
}

clippy_host() {
	"$CARGO" clippy --workspace --all-targets --quiet -- -D warnings &&
		CARGO_TARGET_DIR=$AUDITNS_CACHE/fuzz-target "$CARGO" clippy --quiet \
			--manifest-path fuzz/Cargo.toml --bins -- -D warnings
}

clippy_module() {
	MODULE_TREE=module-clippy scripts/module.sh CLIPPY=1 KRUSTFLAGS=-Dwarnings
}

# FILE_PATH_CHANGES asks whether MAINTAINERS needs updating for a new file;
# the series updates it where a new file is not covered already (rust/ is).
checkpatch() {
	local p rc=0
	for p in patches/[0-9]*.patch; do
		case "$p" in patches/0000-*) continue ;; esac
		(cd "$SRC" && scripts/checkpatch.pl --strict --quiet --no-tree \
			--ignore FILE_PATH_CHANGES "$AUDITNS_TOP/$p") || {
			echo "checkpatch: $p"
			rc=1
		}
	done
	return "$rc"
}

# Build the kernel after each patch, in the "check" slot (its own worktree,
# ccache), so that the slots tests use are not disturbed.
each_patch_builds() {
	local n count
	count=$(find patches -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | wc -l)
	for n in $(seq 1 "$count"); do
		KERNEL=check scripts/kernel.sh build "$n" ||
			die "the kernel does not build with patches 1..$n"
		echo "patches 1..$n: build ok"
	done
}

failed=0
check() {
	run_step "$@"
	[ "$step_rc" = 0 ] || failed=1
}
check "rustfmt" rustfmt_all
check "clippy (host crates)" clippy_host
check "checkpatch --strict" checkpatch
check "each patch builds" each_patch_builds
check "clippy (module, CLIPPY=1)" clippy_module
[ "$failed" = 0 ] || die "make check failed"
echo "make check: all checks passed"
