# SPDX-License-Identifier: GPL-2.0
# Common definitions for the auditns build scripts; sourced, never run.

set -euo pipefail

AUDITNS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything expensive lives outside the checkout so that a fresh clone on
# a warm machine reuses it.
AUDITNS_CACHE=${AUDITNS_CACHE:-/var/cache/auditns}
# The one kernel this project is built and tested against.
KERNEL_PKG=linux-source-6.12
KERNEL_PKG_VERSION=6.12.117-1~deb12u1
KERNEL_VERSION=6.12.117
KERNEL_TARBALL=/usr/src/linux-source-6.12.tar.xz
# KERNEL selects a variant: "default", "debug" (lockdep, KASAN, kmemleak),
# "upstream" (the default config without the patch series, for benchmarks)
# or "check" (the default config, for building each patch of the series).
KERNEL=${KERNEL:-default}
JOBS=${JOBS:-$(($(nproc) + 1))}

export PATH="$HOME/.cargo/bin:$PATH"

die() {
	echo "auditns: error: $*" >&2
	exit 1
}

# step NAME CMD...: run CMD under a header and report how long it took;
# returns CMD's status. CMD runs in a subshell with errexit, so that any
# failing command in a step function fails the step (a step cannot set its
# caller's variables). Bash runs a function whose status is tested, as in
# "step ... || x" or "if step ...", without errexit, subshells included:
# callers that go on after a failed step use run_step.
step() {
	local name=$1 start rc errexit=
	shift
	start=$(date +%s)
	echo "==> $name"
	[[ $- != *e* ]] || errexit=1
	set +e
	(
		set -e
		"$@"
	)
	rc=$?
	[ -z "$errexit" ] || set -e
	echo "<== $name: $(($(date +%s) - start)) s$([ "$rc" = 0 ] || echo ", FAILED ($rc)")"
	# make test collects every step's time, over the make targets it runs.
	[ -z "${AUDITNS_STEP_LOG:-}" ] ||
		printf '%s\t%s\n' "$(($(date +%s) - start))" "$name" >>"$AUDITNS_STEP_LOG"
	return "$rc"
}

# run_step NAME CMD...: step, with its status in $step_rc, not returned.
run_step() {
	local errexit=
	[[ $- != *e* ]] || errexit=1
	set +e
	step "$@"
	step_rc=$?
	[ -z "$errexit" ] || set -e
}

sha_of() {
	sha256sum "$@" | sha256sum | cut -c1-16
}

kernel_variant_check() {
	case "$KERNEL" in
	default | debug | upstream | check) ;;
	*) die "KERNEL=$KERNEL: expected 'default', 'debug', 'upstream' or 'check'" ;;
	esac
}

# The Kconfig fragments that make up a variant, in merge order.
kernel_fragments() {
	echo "$AUDITNS_TOP/scripts/kconfig/auditns.config"
	[ "$KERNEL" != default ] || echo "$AUDITNS_TOP/scripts/kconfig/policy.config"
	[ "$KERNEL" != debug ] || echo "$AUDITNS_TOP/scripts/kconfig/debug.config"
}

# The toolchain versions a kernel build depends on; a change means a new slot.
toolchain_id() {
	rustc --version
	bindgen --version
	clang --version | head -n1
	ld.lld --version | head -n1
}

# Cache slot of the kernel build for $KERNEL. The patch series is not part of
# the key: it is applied incrementally (see kernel.sh) so that editing a patch
# rebuilds only what it touches.
kernel_build_dir() {
	local key
	key=$({
		echo "$KERNEL_PKG_VERSION $KERNEL"
		toolchain_id
		kernel_fragments | xargs cat
	} | sha256sum | cut -c1-16)
	echo "$AUDITNS_CACHE/kernel/$KERNEL-$key"
}

# The patched source tree, shared by "default" and "debug". "upstream" and
# "check" have git worktrees of their own, so that building them never
# touches the files of the patched tree (and never rebuilds its slots).
kernel_src_dir() {
	local src="$AUDITNS_CACHE/src/linux-$KERNEL_PKG_VERSION"
	case "$KERNEL" in
	upstream | check) src+="-$KERNEL" ;;
	esac
	echo "$src"
}

# Per-slot outputs that are not kernel objects: module build, initramfs.
out_dir() {
	echo "$AUDITNS_CACHE/out/$(basename "$(kernel_build_dir)")"
}
