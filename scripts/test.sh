#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The whole suite: host tests (cargo test), then the guest suites, each in
# its own boot. Ends with one line of totals; fails if anything failed.
#
#   test.sh [host|guest]    only that half
#   test.sh hostile-full    only the tests that are bounded here (hostile
#                           tenants, the collectors), at full size
# Guests at once: JOBS= if given (before lib.sh gives it the kernel build's
# default), else one per CPU.
guest_jobs=${JOBS:-$(nproc)}
. "$(dirname "$0")/lib.sh"

what=${1:-all}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
start=$(date +%s)
passed=0 failed=0 skipped=0 broken=0

# count LOG: add the totals a runner printed in LOG.
count() {
	local p f s
	read -r p f s < <(awk '
		/^test result: / { for (i = 1; i <= NF; i++) {
			if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
		/^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3; s += ($5 == "" ? 0 : $5) }
		END { print p + 0, f + 0, s + 0 }' "$1")
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

host_tests() {
	"$HOME/.cargo/bin/cargo" test --workspace 2>&1 | tee "$logs/host"
	return "${PIPESTATUS[0]}"
}

# Each fuzz target for a bounded time: FUZZ_SECONDS, by default 10 s in
# make test (the corpora in the cache grow from run to run) and 300 s in
# make hostile-full.
fuzz() {
	"$AUDITNS_TOP/scripts/fuzz.sh" "${FUZZ_SECONDS:-$1}" 2>&1 | tee "$logs/fuzz"
	return "${PIPESTATUS[0]}"
}

# Rust's generated layout of task_struct against C's (compile only).
layout() {
	"$AUDITNS_TOP/scripts/layout.sh" 2>&1 | tee "$logs/layout"
	return "${PIPESTATUS[0]}"
}

# ---- Guest suites, split over several guests ----
#
# A suite's tests share one guest's global state (the host's auditd, its
# rules, /var/log/audit), so they run one after another within a guest; the
# suite is split over GUEST_JOBS guests that run at once (JOBS= or nproc).
# Tests named 9x-* check the whole guest (its console, kmemleak) and run
# last in every guest. A test whose header says "auditns: runs alone" times
# the kernel's answers: it runs after the others, in a guest of its own,
# with no other guest competing for the host's CPUs. If one says
# "auditns: needs podman", the parallel guests boot with the podman image
# (qemu/mkinitramfs.sh) unpacked over the main one.
GUEST_JOBS=${GUEST_JOBS:-$guest_jobs}
TEST_TIMES=$AUDITNS_CACHE/test-times
guest_logs=$logs/guests
mkdir -p "$guest_logs" "$TEST_TIMES"

# The per-test limits: the debug kernel (KASAN, lockdep, kmemleak under
# TCG) runs the suite some three times slower, so it gets three times the
# limits, for a guest and for each test. A hang is still caught.
guest_limit=1800 test_limit=300
if [ "$KERNEL" = debug ]; then
	guest_limit=5400 test_limit=900
fi

# test_times SUITE: "NAME SECONDS" of each test, as last measured on this
# machine for this kernel, else as the committed times of the suite.
test_times() {
	local measured=$TEST_TIMES/$KERNEL-$1
	[ -s "$measured" ] || measured=$AUDITNS_TOP/qemu/guest/tests/$1.times
	cat "$measured" 2>/dev/null || true
}

# test_seconds: "NAME SECONDS" of each line of run-tests' output on stdin
# that gives a test's time ("ok   SUITE/NAME (N s)", "FAIL ... (exit R, N s)").
test_seconds() {
	awk '/^(ok|skip|FAIL) / && match($0, /[ (][0-9]+ s\)/) {
		name = $2; sub(/^[^\/]*\//, "", name)
		print name, substr($0, RSTART + 1, RLENGTH - 4) }'
}

# queue_order SUITE TEST...: the TESTs in the order the guests take them:
# those named 0x-* first, in name order (they check a fresh guest: 07 reads
# records from the kernel log, which no daemon has taken yet in this boot),
# then the others, the longest first; a test with no known time counts 10 s.
queue_order() {
	local suite=$1
	shift
	printf '%s\n' "$@" | awk -v times="$(test_times "$suite")" '
		BEGIN { n = split(times, line, "\n")
			for (i = 1; i <= n; i++) { split(line[i], f, " "); t[f[1]] = f[2] } }
		/^0[0-9]-/ { print 0, 0, $1; next }
		{ print 1, (($1 in t) ? t[$1] : 10), $1 }' |
		sort -k1,1n -k2,2nr -k3,3 | cut -d ' ' -f 3
}

# guest_run NAME SUITE [VM-OPTIONS...] -- [--queue] TEST...: one guest runs
# TESTs of SUITE (with --queue, first those it takes from $VM_QUEUE); its
# output goes to $guest_logs/NAME, and, prefixed, to stdout.
guest_run() {
	local name=$1 suite=$2
	shift 2
	local -a vm_options=()
	while [ "$1" != -- ]; do
		vm_options+=("$1")
		shift
	done
	shift
	local limit=${GUEST_TIMEOUT:-$guest_limit} rc
	{
		VM_CONSOLE=$(out_dir)/console-$name.log \
			VM_APPEND="${VM_APPEND:+$VM_APPEND }auditns.test_timeout=$test_limit" \
			"$AUDITNS_TOP/qemu/vm" exec --timeout "$limit" "${vm_options[@]}" \
			"$AUDITNS_TOP/qemu/guest/run-tests" "$suite" "$@" && rc=0 || rc=$?
		echo "$rc" >"$guest_logs/$name.rc"
	} 2>&1 | tee "$guest_logs/$name" | sed -u "s/^/[$name] /" || true
}

# suite_report SUITE NAME...: one report of the guests NAME... of SUITE, in
# run-tests' format: a line per test in name order, each failed test's
# output, and the totals of all guests. A guest that ended without its
# totals (a crash, a hang) is a failure, with its log's tail.
suite_report() {
	local suite=$1 name p f s passed=0 failed=0 skipped=0
	shift
	for name in "$@"; do
		grep -E "^(ok  |skip|FAIL) $suite/" "$guest_logs/$name" || true
	done | sort -k2,2 -s >"$guest_logs/$suite.lines"
	echo "==> $suite: $# guests"
	cat "$guest_logs/$suite.lines"
	for name in "$@"; do
		# Each failed test's output follows its FAIL line, indented.
		awk '/^FAIL / { show = 1; print; next } /^    \| / { if (show) print; next }
			{ show = 0 }' "$guest_logs/$name"
		read -r p f s < <(awk '/^[0-9]+ passed, [0-9]+ failed/ {
			p = $1; f = $3; s = ($5 == "" ? 0 : $5) } END { print p + 0, f + 0, s + 0 }' \
			"$guest_logs/$name")
		if ! grep -qE '^[0-9]+ passed, [0-9]+ failed' "$guest_logs/$name"; then
			echo "FAIL guest $name ended without its totals (exit $(cat "$guest_logs/$name.rc")):"
			tail -n 30 "$guest_logs/$name" | sed 's/^/    | /'
			f=$((f + 1))
		elif [ "$(cat "$guest_logs/$name.rc")" != 0 ] && [ "$f" = 0 ]; then
			echo "FAIL guest $name exited $(cat "$guest_logs/$name.rc"):"
			grep '^vm: ' "$guest_logs/$name" | sed 's/^/    | /'
			f=$((f + 1))
		fi
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	done
	if [ "$skipped" = 0 ]; then
		echo "$passed passed, $failed failed"
	else
		echo "$passed passed, $failed failed, $skipped skipped"
	fi
	# What this run measured orders the next run's guests: each test's time
	# is the mean of this run's and the one kept, as a test's time swings
	# with what shares the CPUs with it (81, unchanged, took 50, 110 and
	# 116 s in three debug runs; replaced, the next split followed each
	# swing and put the wrong tests together). A
	# run at full size (make hostile-full) is not what make test runs, and
	# keeps none.
	if [ "${record_times:-1}" = 1 ]; then
		{
			test_seconds <"$guest_logs/$suite.lines" | sed 's/^/new /'
			sed 's/^/old /' "$TEST_TIMES/$KERNEL-$suite" 2>/dev/null || true
		} | awk '$1 == "new" { t[$2] = $3; measured[$2] = 1; next }
			$2 in measured { t[$2] = int((t[$2] + $3 + 1) / 2); next }
			{ t[$2] = $3 }
			END { for (n in t) print n, t[n] }' | sort >"$TEST_TIMES/$KERNEL-$suite.new"
		[ -s "$TEST_TIMES/$KERNEL-$suite.new" ] &&
			mv "$TEST_TIMES/$KERNEL-$suite.new" "$TEST_TIMES/$KERNEL-$suite"
	fi
	[ "$failed" = 0 ]
}

# guest_suite SUITE [VM-OPTIONS...] [-- TEST...]: the suite (or the named
# tests of it) over GUEST_JOBS guests, then its tests that run alone.
guest_suite() {
	local suite=$1 dir name k
	shift
	local podman=
	local -a vm_options=() tests=() tail=() parallel=() alone=() names=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vm_options+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	dir=$AUDITNS_TOP/qemu/guest/tests/$suite
	if [ $# -gt 0 ]; then
		tests=("$@")
	else
		mapfile -t tests < <(cd "$dir" && ls | sort)
	fi
	for name in "${tests[@]}"; do
		case "$name" in
		9[0-9]-*) tail+=("$name") ;;
		*) if grep -q '^# auditns: runs alone' "$dir/$name"; then
			alone+=("$name")
		else
			parallel+=("$name")
			! grep -q '^# auditns: needs podman' "$dir/$name" || podman=1
		fi ;;
		esac
	done
	# The guests share one queue of the tests (queue_order): each takes
	# the next when it is free, so they end together however long each
	# test takes this time (a split made beforehand from the kept times
	# left one guest 150 s behind the other on the debug kernel).
	local queue=$guest_logs/$suite.queue guests=$GUEST_JOBS
	queue_order "$suite" "${parallel[@]}" >"$queue"
	[ "${#parallel[@]}" -ge "$guests" ] || guests=${#parallel[@]}
	[ "$guests" -ge 1 ] || [ ${#tail[@]} -eq 0 ] || guests=1
	for k in $(seq 1 "$guests"); do
		names+=("$suite-$k")
		# A test that starts podman may go to any of them: with one, they
		# boot with the podman image unpacked over the main one.
		VM_QUEUE=$queue VM_EXTRA_INITRD=${podman:+$(out_dir)/initramfs-podman.cpio.gz} \
			guest_run "$suite-$k" "$suite" "${vm_options[@]}" -- --queue "${tail[@]}" &
	done
	wait
	if [ ${#alone[@]} -gt 0 ]; then
		names+=("$suite-alone")
		guest_run "$suite-alone" "$suite" "${vm_options[@]}" -- "${alone[@]}" "${tail[@]}"
	fi
	suite_report "$suite" "${names[@]}" | tee "$logs/guest-$suite"
	return "${PIPESTATUS[0]}"
}

run() {
	local name=$1
	shift
	run_step "$name" "$@"
	[ "$step_rc" = 0 ] || broken=$((broken + 1))
}

# The tests with a bounded size in the suite (they call hostile_scale in
# qemu/guest/testlib.sh) at full size: auditns.scale=full on the guest's
# kernel command line.
hostile_full() {
	local -a tests
	mapfile -t tests < <(cd "$AUDITNS_TOP/qemu/guest/tests/default" && grep -l hostile_scale -- *)
	record_times=0 test_limit=3000 guest_limit=${GUEST_TIMEOUT:-7200} \
		VM_APPEND="auditns.scale=full" guest_suite default -- "${tests[@]}"
}

if [ "$what" = hostile-full ]; then
	run "fuzz (libFuzzer, full size)" fuzz 300
	count "$logs/fuzz"
	run "guest: bounded tests at full size (KERNEL=$KERNEL)" hostile_full
	count "$logs/guest-default"
	what=none
fi
if [ "$what" != guest ] && [ "$what" != none ]; then
	run "host tests (cargo test)" host_tests
	count "$logs/host"
	run "fuzz (libFuzzer, bounded)" fuzz 10
	count "$logs/fuzz"
fi
if [ "$what" != host ] && [ "$what" != none ]; then
	run "bindgen layout of task_struct (KERNEL=$KERNEL)" layout
	count "$logs/layout"
	run "guest suite: default (out-of-tree module loaded, KERNEL=$KERNEL)" guest_suite default
	count "$logs/guest-default"
	run "guest suite: no-module (patched kernel, module not loaded)" \
		guest_suite no-module --no-module
	count "$logs/guest-no-module"
fi

echo "==> test time: $(($(date +%s) - start)) s"
if compgen -G "$guest_logs/*.lines" >/dev/null; then
	echo "==> the ten slowest guest tests (seconds)"
	for f in "$guest_logs"/*.lines; do
		test_seconds <"$f" | sed "s|^|$(basename "$f" .lines)/|"
	done | sort -k2,2nr | head -n 10 | awk '{ printf "%6d  %s\n", $2, $1 }'
fi
if [ -s "${AUDITNS_STEP_LOG:-}" ]; then
	echo "==> the time of each step (seconds)"
	awk -F '\t' '{ printf "%6d  %s\n", $1, $2 }' "$AUDITNS_STEP_LOG"
	rm -f "$AUDITNS_STEP_LOG"
fi
# A run that crashed or hung counts as a failure even if it printed no FAIL.
[ "$broken" = 0 ] || [ "$failed" != 0 ] || failed=$broken
if [ "$skipped" = 0 ]; then
	echo "total: $passed passed, $failed failed"
else
	echo "total: $passed passed, $failed failed, $skipped skipped"
fi
[ "$broken" = 0 ] && [ "$failed" = 0 ]
