#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the patched kernel of variant $KERNEL into the cache.
#
#   kernel.sh build [N]      source, patch series (the first N patches), config, make
#   kernel.sh apply [N]      apply only the first N patches (all by default)
#   kernel.sh make [ARGS]    run the kernel's make in the build slot
#   kernel.sh dir            print the build slot
#
# KERNEL=check (make check's build after each patch) remembers, in its slot,
# the source trees that built: a later build of the same tree with the same
# configuration and toolchain (the slot's key) is not repeated unless
# CHECK_FULL=1. An unchanged series then costs only its changed patches.
#
# The source is extracted once into a git tree whose first commit is the
# pristine Debian source. Applying the series builds a tree object from the
# patches and checks it out over the previous one, so only files whose
# content changed get a new mtime and kbuild recompiles only what they reach.
. "$(dirname "$0")/lib.sh"
kernel_variant_check

SRC=$(kernel_src_dir)
PATCHED_SRC=$(KERNEL=default kernel_src_dir)
BUILD=$(kernel_build_dir)
KMAKE=(make -C "$SRC" O="$BUILD" LLVM=1 -s)
# Building each patch of the series goes back and forth over the same
# sources: let ccache remember the C objects.
if [ "$KERNEL" = check ]; then
	export CCACHE_DIR=$AUDITNS_CACHE/ccache CCACHE_MAXSIZE=5G
	KMAKE+=(CC="ccache clang")
fi

series_patches() {
	find "$AUDITNS_TOP/patches" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-*' | sort
}

# The pristine source, once, as a git tree tagged "base".
extract_pristine() {
	local src=$PATCHED_SRC version
	[ -f "$src/.git/auditns-base" ] && return 0
	version=$(dpkg-query -W -f='${Version}' "$KERNEL_PKG" 2>/dev/null) ||
		die "$KERNEL_PKG is not installed (run scripts/deps.sh)"
	[ "$version" = "$KERNEL_PKG_VERSION" ] ||
		die "$KERNEL_PKG $version is installed; this project needs exactly $KERNEL_PKG_VERSION"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" --strip-components=1 -xJf "$KERNEL_TARBALL"
	grep -qx "SUBLEVEL = ${KERNEL_VERSION##*.}" "$src.tmp/Makefile" ||
		die "$KERNEL_TARBALL is not Linux $KERNEL_VERSION"
	git -C "$src.tmp" init -q
	git -C "$src.tmp" config gc.auto 0
	# Debian's .gitignore ignores every top-level entry.
	git -C "$src.tmp" add -A -f .
	git -C "$src.tmp" -c user.name=auditns -c user.email=auditns@localhost \
		commit -q -m "$KERNEL_PKG $KERNEL_PKG_VERSION"
	git -C "$src.tmp" tag base
	touch "$src.tmp/.git/auditns-base"
	mv "$src.tmp" "$src"
}

extract_source() {
	extract_pristine
	if [ "$SRC" != "$PATCHED_SRC" ] && [ ! -d "$SRC" ]; then
		git -C "$PATCHED_SRC" worktree add -q --detach "$SRC" base
	fi
}

# series_tree N: the git tree of the pristine source plus the first N
# patches of the series, without checking it out.
series_tree() {
	local count=$1 index p
	index=$(git -C "$SRC" rev-parse --absolute-git-dir)/auditns-series-index
	local -a patches
	mapfile -t patches < <(series_patches | head -n "$count")
	GIT_INDEX_FILE=$index git -C "$SRC" read-tree base
	for p in "${patches[@]}"; do
		GIT_INDEX_FILE=$index git -C "$SRC" apply --cached "$p" ||
			die "$(basename "$p") does not apply on top of the patches before it"
	done
	GIT_INDEX_FILE=$index git -C "$SRC" write-tree
}

# apply_series N: make the source tree hold the pristine source plus the
# first N patches of the series.
apply_series() {
	local count tree commit
	[ "$KERNEL" != upstream ] || return 0
	count=$(series_patches | head -n "$1" | wc -l)
	tree=$(series_tree "$count") || exit 1
	[ "$(git -C "$SRC" rev-parse 'HEAD^{tree}')" = "$tree" ] && return 0
	commit=$(git -C "$SRC" -c user.name=auditns -c user.email=auditns@localhost \
		commit-tree "$tree" -p base -m "auditns series: $count patches")
	git -C "$SRC" checkout -q --detach "$commit"
	echo "source: $(basename "$SRC") + $count patches"
}

# A slot for a changed config starts as a copy of the variant's newest slot
# built with the same toolchain: kbuild's per-symbol dependencies then
# rebuild only what the changed symbols reach, not the whole kernel.
seed_slot() {
	local toolchain slot
	[ -d "$BUILD" ] && return 0
	toolchain=$(toolchain_id)
	for slot in $(ls -dt "$AUDITNS_CACHE/kernel/$KERNEL-"* 2>/dev/null); do
		[ -f "$slot/.auditns-config-ok" ] &&
			[ "$(cat "$slot/.auditns-toolchain" 2>/dev/null)" = "$toolchain" ] ||
			continue
		rm -rf "$BUILD.tmp"
		cp -a "$slot" "$BUILD.tmp"
		rm -f "$BUILD.tmp/.auditns-config-ok"
		mv "$BUILD.tmp" "$BUILD"
		echo "seeded from $(basename "$slot")"
		return 0
	done
}

# effective_fragment_lines FRAGMENT...: each symbol's line from the last
# fragment that sets it, as merge_config.sh lets a later fragment override
# an earlier one (the debug variant's preemption model).
effective_fragment_lines() {
	awk '
		/^CONFIG_[A-Za-z0-9_]+=/ { sym = $0; sub(/=.*/, "", sym) }
		/^# CONFIG_[A-Za-z0-9_]+ is not set/ { sym = $2 }
		sym != "" { if (!(sym in line)) order[n++] = sym; line[sym] = $0; sym = "" }
		END { for (i = 0; i < n; i++) print line[order[i]] }' "$@"
}

configure() {
	[ -f "$BUILD/.config" ] && [ -f "$BUILD/.auditns-config-ok" ] && return 0
	local frag line sym
	mkdir -p "$BUILD"
	"${KMAKE[@]}" rustavailable >/dev/null ||
		die "the Rust toolchain is not usable for this kernel ($(rustc --version))"
	"${KMAKE[@]}" tinyconfig
	mapfile -t frag < <(kernel_fragments)
	(cd "$SRC" && scripts/kconfig/merge_config.sh -m -O "$BUILD" "$BUILD/.config" \
		"${frag[@]}" >/dev/null)
	"${KMAKE[@]}" olddefconfig
	# A symbol whose dependencies are missing is dropped silently: say so.
	while read -r line; do
		case "$line" in
		CONFIG_*=*) grep -qxF "$line" "$BUILD/.config" ||
			die "config: '$line' did not stick (missing dependency?)" ;;
		"# CONFIG_"*" is not set") sym=${line#\# }
			sym=${sym%% *}
			! grep -q "^$sym=" "$BUILD/.config" ||
				die "config: $sym should be off" ;;
		esac
	done < <(effective_fragment_lines "${frag[@]}")
	toolchain_id >"$BUILD/.auditns-toolchain"
	touch "$BUILD/.auditns-config-ok"
}

build() {
	"${KMAKE[@]}" -j"$JOBS" all
	echo "kernel: $BUILD/arch/x86/boot/bzImage"
	[ "$KERNEL" != check ] ||
		git -C "$SRC" rev-parse 'HEAD^{tree}' >>"$BUILD/.auditns-built-trees"
}

# built_before N: (KERNEL=check) the tree of N patches built in this slot.
built_before() {
	local tree
	[ "$KERNEL" = check ] && [ "${CHECK_FULL:-0}" != 1 ] &&
		[ -f "$BUILD/.auditns-config-ok" ] && [ -f "$BUILD/.auditns-built-trees" ] ||
		return 1
	tree=$(series_tree "$1") || exit 1
	grep -qxF "$tree" "$BUILD/.auditns-built-trees" || return 1
	echo "tree $tree (the source and $1 patches) built before in $(basename "$BUILD")"
}

mkdir -p "$AUDITNS_CACHE/kernel"
# Two kernel builds at once would starve each other (and the cache).
exec 9>"$AUDITNS_CACHE/kernel/.lock"
flock 9

case "${1:-build}" in
build)
	step "kernel source ($KERNEL_PKG_VERSION)" extract_source
	[ "$KERNEL" != check ] || ! built_before "${2:-9999}" || exit 0
	step "kernel patch series" apply_series "${2:-9999}"
	step "kernel slot ($KERNEL)" seed_slot
	step "kernel config ($KERNEL)" configure
	step "kernel build ($KERNEL, -j$JOBS)" build
	;;
apply)
	extract_source
	apply_series "${2:-9999}"
	;;
make)
	shift
	"${KMAKE[@]}" -j"$JOBS" "$@"
	;;
dir) echo "$BUILD" ;;
*) die "usage: kernel.sh build|apply [N]|make [ARGS]|dir" ;;
esac
