#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmarks, not tests: syscall costs in the guest, as ratios of medians
# taken in one run of this script.
#
#   1. module loaded / module unloaded, alternating in one boot;
#   2. patched kernel without the module / unpatched 6.12.117 with the same
#      config (built into the cache as KERNEL=upstream on first use).
#
# Each guest has audit enabled and one host rule that does not match.
. "$(dirname "$0")/lib.sh"

ROUNDS=${BENCH_ROUNDS:-5}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
VM=$AUDITNS_TOP/qemu/vm
BENCH=$AUDITNS_TOP/qemu/guest/bench/syscalls

# median LOG SIDE WHAT: a median the guest printed.
median() {
	awk -v side="$2" -v what="$3" '{ sub(/\r$/, "") }
		$1 == "median" && $2 == side && $3 == what { print $4 }' "$1"
}

ratio() {
	awk -v a="$2" -v b="$3" -v name="$1" 'BEGIN {
		if (a == "" || b == "" || b == 0) { print "bench: " name ": no data"; exit 1 }
		printf "bench: %-48s %8.1f ns / %8.1f ns = %.3f\n", name, a, b, a / b }'
}

step "bench: module loaded (A) and unloaded (B), $ROUNDS rounds in one boot" \
	"$VM" exec "$BENCH" "$ROUNDS" ab | tee "$logs/ab"
initramfs=$(out_dir)/initramfs.cpio.gz
step "bench: patched kernel, module not loaded" \
	"$VM" exec --no-module "$BENCH" "$ROUNDS" | tee "$logs/patched"
step "kernel: unpatched $KERNEL_VERSION, same config" env KERNEL=upstream scripts/kernel.sh build
step "bench: unpatched kernel" env KERNEL=upstream VM_INITRAMFS="$initramfs" \
	"$VM" exec --no-module "$BENCH" "$ROUNDS" | tee "$logs/upstream"

echo "==> results (ratios of medians; 1.000 means no cost)"
for what in getpid openat; do
	ratio "$what: module loaded, no contid / unloaded" \
		"$(median "$logs/ab" A "$what")" "$(median "$logs/ab" B "$what")"
done
for what in getpid openat; do
	ratio "$what: patched, no module / unpatched" \
		"$(median "$logs/patched" A "$what")" "$(median "$logs/upstream" A "$what")"
done
