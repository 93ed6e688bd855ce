#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Benchmarks, not tests: syscall costs in the guest, as ratios of medians
# taken in one run of this script.
#
#   1. module loaded / module unloaded, alternating in one boot;
#   2. patched kernel without the module / unpatched 6.12.117 with the same
#      config (built into the cache as KERNEL=upstream on first use), in
#      BENCH_KERNEL_PAIRS (5) pairs of boots whose order alternates, as the
#      median of the pairs' ratios: one boot of a kernel may differ from the
#      next by 20 % here;
#   3. a task in a container whose daemon has N = 0, 1, 10, 100, 1000 rules
#      that do not match it / a host task on the unpatched kernel with the
#      same N host rules; and per-namespace N / per-namespace 0;
#   4. records per second delivered to a container's daemon / to a host
#      daemon (the same program, audit-nl collect), same events, one boot;
#   5. what namespaces cost tasks that are not theirs (bench/scale): a host
#      task beside a container with 1000 rules / alone, beside a container
#      watching 100 files in the directory it opens in / alone, and host and
#      container tasks beside N = 1, 10, 100, 1000 namespaces with daemons
#      and 10 rules each / alone, one boot;
#   6. records per second forwarded by audisp-remote to a central auditd
#      (bench/collect): from a container's auditd / from the host's auditd,
#      rounds alternating in one boot. `bench.sh collect` runs only this.
#
# `bench.sh ns` runs only 3 and 4, `bench.sh kernels` only 2, building the
# unpatched kernel if need be.
#
# In 1 and 2 each guest has audit enabled and one host rule that does not
# match. BENCH_ROUNDS (7) rounds for 2 and 5, three times as many
# (BENCH_AB_ROUNDS) for 1, BENCH_NS_ROUNDS (5) for 3 and 4. Each ratio is
# printed with the spread of its two sides: the range of their rounds over
# their median.
. "$(dirname "$0")/lib.sh"

ROUNDS=${BENCH_ROUNDS:-7}
# Module loaded and unloaded alternate in one boot; rounds are cheap there
# and the two sides differ by little, so there are more.
AB_ROUNDS=${BENCH_AB_ROUNDS:-$((3 * ROUNDS))}
NS_ROUNDS=${BENCH_NS_ROUNDS:-5}
KERNEL_PAIRS=${BENCH_KERNEL_PAIRS:-5}
# Under TCG the kernel may find the TSC unstable and time with jiffies
# (4 ms), which quantises a run's timing: trust the TSC, which QEMU derives
# from the host's clock.
export VM_APPEND="${VM_APPEND:-} tsc=reliable"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
VM=$AUDITNS_TOP/qemu/vm
BENCH=$AUDITNS_TOP/qemu/guest/bench/syscalls
BENCH_NS=$AUDITNS_TOP/qemu/guest/bench/ns
BENCH_SCALE=$AUDITNS_TOP/qemu/guest/bench/scale
BENCH_COLLECT=$AUDITNS_TOP/qemu/guest/bench/collect
COLLECT_EVENTS=${BENCH_COLLECT_EVENTS:-1000}

# collect_bench: part 6, its runs and its ratio.
collect_bench() {
	step "bench: forwarding to a collector (patched kernel, module loaded)" \
		"$VM" exec --timeout 3600 "$BENCH_COLLECT" "$NS_ROUNDS" "$COLLECT_EVENTS" |
		tee "$logs/collect"
	awk '{ sub(/\r$/, "") } $1 == "median" { m[$2] = $3 " " $4 " " $5 }
	END {
		split(m["container"], x, " "); split(m["host"], y, " ")
		if (x[1] == "" || y[1] == "" || y[1] == 0) { print "bench: forwarding: no data"; exit 1 }
		printf "bench: %-48s %8d /s / %8d /s = %.3f  (spread %.0f%% / %.0f%%)\n",
			"records forwarded: container auditd / host auditd", x[1], y[1], x[1] / y[1],
			100 * (x[3] - x[2]) / x[1], 100 * (y[3] - y[2]) / y[1] }' "$logs/collect"
}
# ns_bench: the runs of 3 and 4.
# 1000 rules that every syscall must test make these runs long under TCG.
ns_bench() {
	local initramfs
	initramfs=$(out_dir)/initramfs.cpio.gz
	step "bench: namespace rules and delivery (patched kernel, module loaded)" \
		"$VM" exec --timeout 3600 "$BENCH_NS" "$NS_ROUNDS" ns | tee "$logs/ns"
	step "bench: host rules and delivery (unpatched kernel)" env KERNEL=upstream \
		VM_INITRAMFS="$initramfs" "$VM" exec --no-module --timeout 3600 "$BENCH_NS" "$NS_ROUNDS" host |
		tee "$logs/ns-upstream"
}

# ns_median LOG MODE KIND N WHAT
ns_median() {
	awk -v m="$2" -v k="$3" -v n="$4" -v w="$5" '{ sub(/\r$/, "") }
		$1 == "median" && $2 == m && $3 == k && $4 == n && $5 == w { print $6, $7, $8 }' "$1"
}
rate_of() {
	awk -v side="$2" '{ sub(/\r$/, "") } $1 == "rate" && $2 == side { print $3, $4, $5 }' "$1"
}

# ns_results: the ratios of 3 and 4.
ns_results() {
	for kind in other same; do
		for n in 0 1 10 100 1000; do
			for what in getpid openat; do
				ratio "$what, $n rules ($kind): namespace / upstream host" \
					"$(ns_median "$logs/ns" ns "$kind" "$n" "$what")" \
					"$(ns_median "$logs/ns-upstream" host "$kind" "$n" "$what")"
			done
		done
		for n in 1 10 100 1000; do
			for what in getpid openat; do
				ratio "$what, namespace rules ($kind): $n / 0" \
					"$(ns_median "$logs/ns" ns "$kind" "$n" "$what")" \
					"$(ns_median "$logs/ns" ns "$kind" 0 "$what")"
				ratio "$what, upstream host rules ($kind): $n / 0" \
					"$(ns_median "$logs/ns-upstream" host "$kind" "$n" "$what")" \
					"$(ns_median "$logs/ns-upstream" host "$kind" 0 "$what")"
			done
		done
	done
	awk -v a="$(rate_of "$logs/ns" ns)" -v b="$(rate_of "$logs/ns" host)" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		if (x[1] == "" || y[1] == "" || y[1] == 0) { print "bench: delivery: no data"; exit 1 }
		printf "bench: %-48s %8d /s / %8d /s = %.3f  (spread %.0f%% / %.0f%%)\n", \
			"records delivered: container daemon / host daemon", x[1], y[1], x[1] / y[1],
			100 * (x[3] - x[2]) / x[1], 100 * (y[3] - y[2]) / y[1] }'
}

if [ "${1:-}" = collect ]; then
	collect_bench
	exit
fi

# median LOG SIDE WHAT: a median the guest printed.
median() {
	awk -v side="$2" -v what="$3" '{ sub(/\r$/, "") }
		$1 == "median" && $2 == side && $3 == what { print $4, $5, $6 }' "$1"
}

# ratio NAME "MEDIAN MIN MAX" "MEDIAN MIN MAX": the ratio of the medians,
# and the spread (range over median) of each side's rounds.
ratio() {
	awk -v a="$2" -v b="$3" -v name="$1" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		if (x[1] == "" || y[1] == "" || y[1] == 0) { print "bench: " name ": no data"; exit 1 }
		printf "bench: %-48s %8.1f ns / %8.1f ns = %.3f  (spread %.0f%% / %.0f%%)\n",
			name, x[1], y[1], x[1] / y[1], 100 * (x[3] - x[2]) / x[1], 100 * (y[3] - y[2]) / y[1] }'
}

# kernel_pairs: part 2's boots. Odd pairs boot the patched kernel first,
# even pairs the unpatched one.
kernel_pairs() {
	local initramfs pair side sides
	initramfs=$(out_dir)/initramfs.cpio.gz
	step "kernel: unpatched $KERNEL_VERSION, same config" env KERNEL=upstream scripts/kernel.sh build
	for pair in $(seq "$KERNEL_PAIRS"); do
		sides="patched upstream"
		[ $((pair % 2)) = 1 ] || sides="upstream patched"
		for side in $sides; do
			if [ "$side" = patched ]; then
				step "bench: pair $pair: patched kernel, module not loaded" \
					"$VM" exec --no-module "$BENCH" "$ROUNDS" | tee "$logs/patched-$pair"
			else
				step "bench: pair $pair: unpatched kernel" env KERNEL=upstream \
					VM_INITRAMFS="$initramfs" "$VM" exec --no-module "$BENCH" "$ROUNDS" |
					tee "$logs/upstream-$pair"
			fi
		done
	done
}

# kernel_results: each pair's ratio of medians, in boot order, and their
# median.
kernel_results() {
	local what pair ratios
	for what in getpid openat; do
		ratios=
		for pair in $(seq "$KERNEL_PAIRS"); do
			ratios="$ratios $(awk -v a="$(median "$logs/patched-$pair" A "$what")" \
				-v b="$(median "$logs/upstream-$pair" A "$what")" 'BEGIN {
				split(a, x, " "); split(b, y, " ")
				if (x[1] == "" || y[1] == "" || y[1] == 0) exit 1
				printf "%.3f", x[1] / y[1] }')" ||
				{ echo "bench: $what: pair $pair: no data"; return 1; }
		done
		printf '%s\n' $ratios | sort -n | awk -v name="$what: patched, no module / unpatched" \
			-v pairs="$ratios" '{ v[NR] = $1 } END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "bench: %-48s median of %d boot pairs %.3f (pairs:%s)\n", name, NR, m, pairs }'
	done
}

if [ "${1:-}" = kernels ]; then
	kernel_pairs
	echo "==> results (ratios of medians; 1.000 means no cost)"
	kernel_results
	exit
fi

if [ "${1:-}" = ns ]; then
	step "kernel: unpatched $KERNEL_VERSION, same config" env KERNEL=upstream scripts/kernel.sh build
	ns_bench
	echo "==> results (ratios of medians; 1.000 means no cost)"
	ns_results
	exit
fi

step "bench: module loaded (A) and unloaded (B), $AB_ROUNDS rounds in one boot" \
	"$VM" exec "$BENCH" "$AB_ROUNDS" ab | tee "$logs/ab"
kernel_pairs
ns_bench

step "bench: namespaces beside other tasks (patched kernel, module loaded)" \
	"$VM" exec --timeout 3600 "$BENCH_SCALE" "$ROUNDS" | tee "$logs/scale"

echo "==> results (ratios of medians; 1.000 means no cost)"
for what in getpid openat; do
	ratio "$what: module loaded, no contid / unloaded" \
		"$(median "$logs/ab" A "$what")" "$(median "$logs/ab" B "$what")"
done
kernel_results
ns_results
# stat LOG KEY WHAT: "MEDIAN MIN MAX" of a bench/scale measurement.
stat() {
	awk -v k="$2" -v w="$3" '{ sub(/\r$/, "") } $1 == "stat" && $2 == k && $3 == w { print $4, $5, $6 }' "$1"
}
# scale_ratio NAME KEY BASE WHAT: KEY over BASE.
scale_ratio() {
	ratio "$1" "$(stat "$logs/scale" "$2" "$4")" "$(stat "$logs/scale" "$3" "$4")"
}
for what in getpid openat create; do
	scale_ratio "$what: host, beside 1 ns with 1000 rules / alone" rules1000 alone "$what"
	scale_ratio "$what: host, beside 1 ns watching 256 files in its dir / alone" watches256 alone "$what"
done
for who in host container; do
	for n in 1 10 100 1000; do
		for what in getpid openat; do
			scale_ratio "$what: $who, beside $n ns with daemons / 0" "$who-$n" "$who-0" "$what"
		done
	done
done
collect_bench
