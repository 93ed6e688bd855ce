#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fuzz the kernel-free logic with libFuzzer for a bounded time.
#
#   fuzz.sh [SECONDS]    each target for SECONDS (default $FUZZ_SECONDS or 20)
#
# The targets (fuzz/fuzz_targets) are built with the coverage instrumentation
# cargo-fuzz uses, by stable rustc flags, and without a sanitizer: the core
# crate has no unsafe code, and debug assertions and overflow checks are on.
# Corpora live in the cache, so each run starts where the last one stopped.
# A crash fails the run and leaves its input in the cache, named in the log.
. "$(dirname "$0")/lib.sh"

seconds=${1:-${FUZZ_SECONDS:-20}}
export CARGO_TARGET_DIR=$AUDITNS_CACHE/fuzz-target
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
-Cdebug-assertions -Coverflow-checks"
# An explicit --target keeps RUSTFLAGS off build scripts, as cargo-fuzz does.
triple=x86_64-unknown-linux-gnu
"$HOME/.cargo/bin/cargo" build --quiet --release --locked --target "$triple" \
	--manifest-path "$AUDITNS_TOP/fuzz/Cargo.toml" --bins

# Seeds: an empty exit rule (all syscalls, no field) and a record.
seed_rule_parse() {
	python3 -c '
import struct, sys
words = [4, 2, 0] + [0xffffffff] * 64 + [0] * (3 * 64) + [0]
sys.stdout.buffer.write(struct.pack("=%dI" % len(words), *words))'
}
seed_translate() {
	printf '\0\0\0\0\3ns1audit(1.2:3): arch=c000003e syscall=257 ppid=1 pid=5 auid=4294967295 uid=0 gid=0 key=(null)'
}

# fuzz_target TARGET: TARGET for $seconds s; its output (the final stats)
# in $out/TARGET, its status in $out/TARGET.rc.
fuzz_target() {
	local target=$1 corpus=$AUDITNS_CACHE/fuzz/corpus/$1
	local artifacts=$AUDITNS_CACHE/fuzz/artifacts/$1/
	mkdir -p "$corpus" "$artifacts"
	[ -n "$(ls -A "$corpus")" ] || "seed_$target" >"$corpus/seed"
	{
		echo "fuzz: $target for $seconds s"
		"$CARGO_TARGET_DIR/$triple/release/$target" -max_total_time="$seconds" -max_len=4096 \
			-artifact_prefix="$artifacts" -print_final_stats=1 "$corpus" 2>&1 |
			grep -E '^(stat::number_of_executed_units|stat::new_units_added|==[0-9]+==|SUMMARY|.*panicked)' ||
			true
		echo "${PIPESTATUS[0]}" >"$out/$target.rc"
	} >"$out/$target"
}

# The targets at once, one a CPU (each is one process), reported in order.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
targets=(rule_parse translate)
for target in "${targets[@]}"; do
	fuzz_target "$target" &
done
wait
rc=0 passed=0 failed=0
for target in "${targets[@]}"; do
	cat "$out/$target"
	if [ "$(cat "$out/$target.rc" 2>/dev/null)" = 0 ]; then
		passed=$((passed + 1))
	else
		echo "fuzz: $target FAILED (input in $AUDITNS_CACHE/fuzz/artifacts/$target/)"
		failed=$((failed + 1)) rc=1
	fi
done
echo "$passed passed, $failed failed"
exit "$rc"
