#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Checks that Rust's generated bindings lay out task_struct as C does, for
# the fields Rust code reads: builds the probe in scripts/layout-probe/
# against the kernel of variant $KERNEL (compile only, nothing is loaded)
# and compares the offsets each side compiled in.
. "$(dirname "$0")/lib.sh"
kernel_variant_check

LAYOUT_FIELDS=(sizeof pid tgid real_parent group_leader children start_time audit_context)
BUILD=$(kernel_build_dir)
PROBE=$(out_dir)/layout-probe
[ -f "$BUILD/vmlinux" ] || die "no kernel in $BUILD: run 'make kernel' first"

mkdir -p "$PROBE"
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*' --exclude='*.mod*' \
	--exclude='Module.symvers' --exclude='modules.order' \
	"$AUDITNS_TOP/scripts/layout-probe/" "$PROBE/"
make -C "$BUILD" M="$PROBE" LLVM=1 -s -j"$JOBS" >/dev/null ||
	die "the layout probe does not build"

# values OBJECT SECTION SYMBOL: the 64-bit little-endian words of the array
# SYMBOL in SECTION, one a line; as many as there are fields, since KASAN
# pads each global with a redzone.
values() {
	local offset
	offset=$(llvm-nm "$1" | awk -v sym="$3" '$3 == sym { print $1 }')
	[ -n "$offset" ] || return 0
	llvm-objcopy -O binary --only-section="$2" "$1" "$PROBE/section.bin" &&
		od -An -v -t u8 -w8 -j $((16#$offset)) -N $((8 * ${#LAYOUT_FIELDS[@]})) \
			"$PROBE/section.bin" | tr -d ' '
}
mapfile -t c < <(values "$PROBE/layout_c.o" .rodata auditns_layout_c)
mapfile -t rs < <(values "$PROBE/layout_rs.o" .rodata.AUDITNS_LAYOUT_RS AUDITNS_LAYOUT_RS)
[ "${#rs[@]}" = "${#LAYOUT_FIELDS[@]}" ] && [ "${#c[@]}" = "${#LAYOUT_FIELDS[@]}" ] ||
	die "layout probe: expected ${#LAYOUT_FIELDS[@]} values, got C ${#c[@]}, Rust ${#rs[@]}"

passed=0 failed=0
for i in "${!LAYOUT_FIELDS[@]}"; do
	if [ "${c[$i]}" = "${rs[$i]}" ]; then
		echo "ok   task_struct ${LAYOUT_FIELDS[$i]}: ${c[$i]}"
		passed=$((passed + 1))
	else
		echo "FAIL task_struct ${LAYOUT_FIELDS[$i]}: C ${c[$i]}, Rust ${rs[$i]}"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
