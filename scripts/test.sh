#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The whole suite: host tests (cargo test), then the guest suites, each in
# its own boot. Ends with one line of totals; fails if anything failed.
#
#   test.sh [host|guest]    only that half
#   test.sh hostile-full    only the tests that are bounded here (hostile
#                           tenants, the collectors), at full size
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

# Each fuzz target for a bounded time (FUZZ_SECONDS, 20 s by default).
fuzz() {
	"$AUDITNS_TOP/scripts/fuzz.sh" 2>&1 | tee "$logs/fuzz"
	return "${PIPESTATUS[0]}"
}

# Rust's generated layout of task_struct against C's (compile only).
layout() {
	"$AUDITNS_TOP/scripts/layout.sh" 2>&1 | tee "$logs/layout"
	return "${PIPESTATUS[0]}"
}

# guest_suite SUITE [VM-OPTIONS...]
guest_suite() {
	local suite=$1
	shift
	# The debug kernel (KASAN, lockdep, kmemleak under TCG) runs the suite
	# some three times slower: it gets three times the limits, for the
	# suite and for each test. A hang is still caught.
	local suite_limit=1800 test_limit=300
	if [ "$KERNEL" = debug ]; then
		suite_limit=5400 test_limit=900
	fi
	VM_APPEND="${VM_APPEND:+$VM_APPEND }auditns.test_timeout=$test_limit" \
		"$AUDITNS_TOP/qemu/vm" exec --timeout "${GUEST_TIMEOUT:-$suite_limit}" "$@" \
		"$AUDITNS_TOP/qemu/guest/run-tests" "$suite" 2>&1 |
		tee "$logs/guest-$suite"
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
	local tests
	tests=$(cd "$AUDITNS_TOP/qemu/guest/tests/default" && grep -l hostile_scale -- * | tr '\n' ' ')
	# shellcheck disable=SC2086
	VM_APPEND="auditns.scale=full auditns.test_timeout=3000" "$AUDITNS_TOP/qemu/vm" exec \
		--timeout "${GUEST_TIMEOUT:-7200}" "$AUDITNS_TOP/qemu/guest/run-tests" default $tests 2>&1 |
		tee "$logs/guest-hostile"
	return "${PIPESTATUS[0]}"
}

if [ "$what" = hostile-full ]; then
	run "guest: bounded tests at full size (KERNEL=$KERNEL)" hostile_full
	count "$logs/guest-hostile"
	what=none
fi
if [ "$what" != guest ] && [ "$what" != none ]; then
	run "host tests (cargo test)" host_tests
	count "$logs/host"
	run "fuzz (libFuzzer, bounded)" fuzz
	count "$logs/fuzz"
fi
if [ "$what" != host ] && [ "$what" != none ]; then
	run "bindgen layout of task_struct (KERNEL=$KERNEL)" layout
	count "$logs/layout"
	run "guest suite: default (module loaded, KERNEL=$KERNEL)" guest_suite default
	count "$logs/guest-default"
	run "guest suite: no-module (patched kernel, module not loaded)" \
		guest_suite no-module --no-module
	count "$logs/guest-no-module"
fi

echo "==> test time: $(($(date +%s) - start)) s"
# A run that crashed or hung counts as a failure even if it printed no FAIL.
[ "$broken" = 0 ] || [ "$failed" != 0 ] || failed=$broken
if [ "$skipped" = 0 ]; then
	echo "total: $passed passed, $failed failed"
else
	echo "total: $passed passed, $failed failed, $skipped skipped"
fi
[ "$broken" = 0 ] && [ "$failed" = 0 ]
