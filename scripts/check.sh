#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Static checks: rustfmt, clippy (host crates and the module with CLIPPY=1,
# warnings are errors), checkpatch.pl --strict on every patch, a kernel
# build after each patch of the series, the series' last patch (the policy
# in tree) against rust/auditns/, a caller in tree for each export, and the
# policy built in tree (the default kernel, CONFIG_AUDIT_NS=m), and the
# series' Rust under rustfmtcheck and clippy. SINCE=REV: checkpatch and builds
# only for the patches from the first one that changed since REV. A build
# of a source tree that built before with the same configuration and
# toolchain is not repeated (see kernel.sh); FULL=1 repeats every one.
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

# The in-tree build of the policy: the default kernel has CONFIG_AUDIT_NS=m
# (scripts/kconfig/policy.config); make test loads the out-of-tree build.
policy_in_tree() {
	KERNEL=default scripts/kernel.sh build &&
		ls -l "$(KERNEL=default kernel_build_dir)/kernel/audit_ns/auditns.ko"
}

# The whole Rust tree the series produces, formatted as upstream checks it
# (the kernel's rustfmtcheck, on the default source: every patch applied).
rustfmt_kernel_tree() {
	KERNEL=default scripts/kernel.sh make rustfmtcheck
}

# The kernel crate under clippy: a CLIPPY=1 build of the check slot with
# every patch. The toolchain is newer than 6.12 expects, and clippy warns in
# upstream's own files; a warning in a Rust file the series adds or changes
# fails the check. (kernel/audit_ns/ is the module's sources, which
# clippy_module checks with warnings as errors.)
clippy_kernel_crate() {
	local files log rc=0
	files=$(grep -h '^+++ b/rust/.*\.rs$' patches/[0-9]*.patch | sed 's|^+++ b/||' | sort -u)
	log=$(mktemp)
	KERNEL=check scripts/kernel.sh apply >/dev/null &&
		KERNEL=check scripts/kernel.sh make CLIPPY=1 vmlinux >"$log" 2>&1 || {
		tail -n 40 "$log"
		rm -f "$log"
		return 1
	}
	# clippy's "--> FILE:LINE:COL" under each warning, FILE relative to the
	# source tree or absolute.
	local ours
	ours=$(grep -E '^ *--> ' "$log" |
		grep -F -f <(echo "$files" | sed 's|.*| &:\n/&:|') || true)
	if [ -n "$ours" ]; then
		echo "clippy warns in files of the series:"
		echo "$ours"
		rc=1
	else
		echo "clippy: $(grep -c '^warning: ' "$log") warnings, none in the $(echo "$files" | wc -l) Rust files of the series"
	fi
	rm -f "$log"
	return "$rc"
}

clippy_module() {
	MODULE_TREE=module-clippy scripts/module.sh CLIPPY=1 KRUSTFLAGS=-Dwarnings
}

# first_changed_patch REV: the number of the first patch of the series that
# differs from REV's (added, changed, or in a series that REV had shorter).
first_changed_patch() {
	git rev-parse --verify -q "$1^{commit}" >/dev/null || die "SINCE=$1: no such revision"
	local name n
	# A patch's "[PATCH n/m]" changes with the length of the series, not
	# its tree: a series that grew rebuilds only from its new patches.
	for name in $( (git ls-tree --name-only "$1" patches/; ls -d patches/[0-9]*.patch) |
		sed -n 's|^patches/\([0-9][0-9][0-9][0-9]-.*\.patch\)$|\1|p' | sort -u); do
		n=$((10#${name%%-*}))
		[ "$n" != 0 ] || continue
		cmp -s <(git show "$1:patches/$name" 2>/dev/null | unnumbered) \
			<(unnumbered <"patches/$name" 2>/dev/null) || echo "$n"
	done | sort -n | head -n 1
}

# unnumbered: a patch with its subject's "[PATCH n/m]" made "[PATCH]".
unnumbered() {
	sed 's/^Subject: \[PATCH [0-9]*\/[0-9]*\]/Subject: [PATCH]/'
}

# FILE_PATH_CHANGES asks whether MAINTAINERS needs updating for a new file;
# the series updates it where a new file is not covered already (rust/ is).
checkpatch() {
	local p rc=0
	local first=1
	[ -z "${SINCE:-}" ] || first=$(first_changed_patch "$SINCE")
	[ -n "$first" ] || return 0
	for p in patches/[0-9]*.patch; do
		case "$p" in patches/0000-*) continue ;; esac
		[ "$((10#$(basename "$p" | cut -c1-4)))" -ge "$first" ] || continue
		(cd "$SRC" && scripts/checkpatch.pl --strict --quiet --no-tree \
			--ignore FILE_PATH_CHANGES "$AUDITNS_TOP/$p") || {
			echo "checkpatch: $p"
			rc=1
		}
	done
	return "$rc"
}

# Build the kernel after each patch, in the "check" slot (its own worktree,
# ccache), so that the slots tests use are not disturbed. Each build starts
# from the tree of the one before: only what a patch touches is rebuilt.
# With SINCE=REV, only from the first patch that changed since REV on: the
# patches before it are what REV's full check built.
each_patch_builds() {
	local n count first=1
	count=$(find patches -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | wc -l)
	if [ -n "${SINCE:-}" ]; then
		first=$(first_changed_patch "$SINCE")
		[ -n "$first" ] || {
			echo "no patch changed since $SINCE"
			return 0
		}
		echo "patches changed since $SINCE: building from patch $first on"
	fi
	for n in $(seq "$first" "$count"); do
		KERNEL=check CHECK_FULL=${FULL:-0} scripts/kernel.sh build "$n" ||
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
check "the policy patch matches rust/auditns/" scripts/policy-patch.sh --check
check "each patch builds" each_patch_builds
check "every export has a caller in tree" scripts/export-callers.sh
check "the policy built in tree (CONFIG_AUDIT_NS=m)" policy_in_tree
check "rustfmt (the Rust tree of the series, rustfmtcheck)" rustfmt_kernel_tree
check "clippy (kernel crate, CLIPPY=1)" clippy_kernel_crate
check "clippy (module, CLIPPY=1)" clippy_module
[ "$failed" = 0 ] || die "make check failed"
echo "make check: all checks passed"
