# SPDX-License-Identifier: GPL-2.0
# Helpers for the in-guest tests; sourced. A test exits 0 to pass, 77 to
# skip and anything else to fail, saying why on its last line.

set -u

fail() {
	echo "FAIL: $*"
	exit 1
}

skip() {
	echo "skipped: $*"
	exit 77
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# expect_match WHAT EXTENDED-REGEX TEXT
expect_match() {
	echo "$3" | grep -qE -- "$2" || fail "$1: '$3' does not match /$2/"
}

# expect_fail_with WHAT REGEX CMD...: CMD must fail and print REGEX.
expect_fail_with() {
	local what=$1 regex=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		fail "$what: '$*' succeeded: $out"
	fi
	expect_match "$what" "$regex" "$out"
}

# The container shape of the acceptance tests: ids 0-65535 of a new user
# namespace mapped to host 100000-165535, own PID, mount and net namespaces.
in_container() {
	unshare --map-users=100000,0,65536 --map-groups=100000,0,65536 \
		--setuid 0 --setgid 0 -p -n -m --fork --mount-proc "$@"
}

module_loaded() {
	grep -q '^auditns ' /proc/modules
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local tries=$(($1 * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.1
	done
}

# Kernel-log lines that show a kernel bug; the host checks the console too.
KERNEL_PROBLEM_PATTERN='BUG:|WARNING:|Oops|general protection|Kernel panic|KASAN|kmemleak: [0-9]+ new suspected|unreferenced object|Call Trace:'

# The audit container ID of a task that has none.
CONTID_UNSET=18446744073709551615

contid_of() {
	cat "/proc/$1/audit_containerid"
}

# as_user CMD...: run CMD as the unprivileged user (uid 1000).
as_user() {
	setpriv --reuid=1000 --regid=1000 --clear-groups "$@"
}

# as_userns_root CMD...: run CMD as root of a new user namespace (host uid
# 100000), in the container shape of in_container.
as_userns_root() {
	in_container "$@"
}

# start_auditd: a fresh Debian auditd with an empty log; stopped and the
# rules deleted when the test exits.
start_auditd() {
	rm -f /var/log/audit/audit.log
	auditd || fail "auditd did not start"
	wait_for 10 test -s /var/run/auditd.pid || fail "auditd wrote no pid file"
	trap 'auditctl -D >/dev/null; kill "$(cat /var/run/auditd.pid)" 2>/dev/null' EXIT
}

# event_shape SERIAL LOG: the record types of one event, in order, then the
# field names of its SYSCALL record: what upstream decides, not the values.
# auditd's enriched part (after 0x1d) is left out; auditd does not log EOE.
event_shape() {
	grep -F "msg=audit($1)" "$2" | sed 's/^type=\([^ ]*\) .*/\1/' | tr '\n' ' '
	echo
	grep -F "msg=audit($1)" "$2" | grep '^type=SYSCALL' | sed 's/\x1d.*//' |
		grep -oE ' [a-z0-9_-]+=' | tr -d ' =' | tr '\n' ' '
	echo
}

# The shape of an openat event of a task without an ID, as 6.12 writes it.
UPSTREAM_OPENAT_SHAPE='SYSCALL CWD PATH PROCTITLE 
msg arch syscall success exit a0 a1 a2 a3 items ppid pid auid uid gid euid suid fsuid egid sgid fsgid tty ses comm exe key '

# serial_of_line LINE: the serial of an audit log line.
serial_of_line() {
	echo "$1" | sed -n 's/.*msg=audit(\([0-9.:]*\)).*/\1/p'
}
