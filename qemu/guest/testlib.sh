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

# log_settle LOG [SECONDS]: wait until the audit daemon of the caller's
# namespace, which writes LOG, has every record made before the call: a
# user message sent now is queued after them, and a namespace's records
# reach its daemon in order, so once the message is in LOG, so are they
# (or they were lost, and counted). At most SECONDS (30); the caller's own
# checks then say what is missing. Not under a user-list rule that drops
# USER messages. A container's script sources this file to use it.
LOG_SETTLES=${LOG_SETTLES:-0}
log_settle() {
	local mark
	LOG_SETTLES=$((LOG_SETTLES + 1))
	# Unique, and no prefix of the next one.
	mark="settled:$$:$LOG_SETTLES:"
	auditctl -m "$mark" >/dev/null 2>&1
	wait_for "${2:-30}" grep -qF "$mark" "$1"
}

# Kernel-log lines that show a kernel bug; the host checks the console too.
KERNEL_PROBLEM_PATTERN='BUG:|WARNING:|Oops|general protection|Kernel panic|KASAN|kmemleak: [0-9]+ new suspected|unreferenced object|Call Trace:'

# The audit container ID of a task that has none.
CONTID_UNSET=18446744073709551615

contid_of() {
	cat "/proc/$1/audit_containerid"
}

# tasks_with_contid N: the processes whose audit container ID is N.
tasks_with_contid() {
	grep -lsx -e "$1" /proc/[0-9]*/audit_containerid | cut -d/ -f3
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

# host_auditd_gone: no audit daemon is registered with the host's kernel.
host_auditd_gone() {
	auditctl -s | grep -qx 'pid 0'
}

# stop_auditd: the host's auditd stopped and unregistered. An auditd that
# still goes away when the next one starts makes the kernel refuse the new
# one (EEXIST), which then exits without a pid file: on two CPUs the next
# test starts while the last one's auditd is still ending.
stop_auditd() {
	kill "$(cat /var/run/auditd.pid 2>/dev/null)" 2>/dev/null
	wait_for 10 host_auditd_gone
}

# start_auditd: a fresh Debian auditd with an empty log, once the one
# before it (of any test) has gone; stopped and the rules deleted when the
# test exits.
start_auditd() {
	wait_for 10 host_auditd_gone || fail "an audit daemon is still registered: $(auditctl -s)"
	rm -f /var/log/audit/audit.log
	auditd || fail "auditd did not start"
	wait_for 10 test -s /var/run/auditd.pid || fail "auditd wrote no pid file"
	trap 'auditctl -D >/dev/null; stop_auditd' EXIT
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

# ---- Hostile tenants (the 6x-hostile-* tests) ----
#
# Every hostile test checks, besides its own finding, that the attack spared
# the host's auditd (it still gets its events, its lost count is unchanged),
# a bystander container's daemon (it gets all of its events and loses
# nothing), and the machine: kernel threads grow and MemAvailable falls by
# at most these bounds (a test may state its own).
HOSTILE_MAX_KTHREADS=16
HOSTILE_MAX_MEM_KIB=65536
# KASAN's quarantine keeps up to 1/32 of memory in freed objects, and its
# shadow costs 1/8 of each allocation: on such a kernel, MemAvailable may
# fall by that much more.
# (Set by hostile_setup.)
HOSTILE_KASAN_SLACK_KIB=0
# Events of the host's and of the bystander's probes.
HOSTILE_PROBES=20

# hostile_scale BOUNDED FULL [DEBUG]: the size of a flood or fuzz run:
# BOUNDED in make test, FULL under `make hostile-full` (auditns.scale=full),
# DEBUG (if given) in make test on the debug kernel.
hostile_scale() {
	if grep -qw 'auditns.scale=full' /proc/cmdline; then
		echo "$2"
	elif [ -n "${3:-}" ] && kasan_kernel; then
		echo "$3"
	else
		echo "$1"
	fi
}

# kasan_kernel: this is the debug kernel (KERNEL=debug), with KASAN.
kasan_kernel() {
	grep -q ' kasan_report$' /proc/kallsyms
}

# pid_of_command WORD...: the PID of a process whose command line is WORDs,
# or starts with them; empty if none. One ps: a loop over /proc that runs
# a command for each process costs seconds on the debug kernel.
pid_of_command() {
	ps -o pid,args | awk -v want="$*" '{ pid = $1; $1 = ""; sub(/^ /, "") }
		$0 == want || index($0, want " ") == 1 { print pid; exit }'
}

# Kernel threads: the children of kthreadd, and kthreadd.
kthreads() {
	echo $(($(grep -l '^PPid:[[:space:]]*2$' /proc/[0-9]*/status 2>/dev/null | wc -l) + 1))
}

mem_available_kib() {
	sed -n 's/^MemAvailable: *\([0-9]*\) kB$/\1/p' /proc/meminfo
}

host_lost() {
	auditctl -s | sed -n 's/^lost //p'
}

# uptime_cs: the time since boot in centiseconds.
uptime_cs() {
	cut -d' ' -f1 /proc/uptime | tr -d .
}

# The bystander: a container whose daemon reads everything. When
# /tmp/bystander/go appears it runs its probe (HOSTILE_PROBES opens, chosen
# by a rule on the probe's PID) and writes how many events its daemon got,
# and its status, then waits for /tmp/bystander/stop.
BYSTANDER_SCRIPT='
	b=/tmp/bystander
	auditctl -b 8192 >/dev/null
	audit-nl collect $b/log > $b/collect.out & d=$!
	while ! grep -qs registered $b/collect.out; do sleep 0.05; done
	touch $b/ready
	while [ ! -e $b/go ] && [ ! -e $b/stop ]; do sleep 0.1; done
	if [ -e $b/go ]; then
		sh -c "while [ ! -e $b/go2 ]; do sleep 0.05; done; exec auditns-helper open-loop /etc/hostname $1 >/dev/null" &
		p=$!
		auditctl -a always,exit -F arch=b64 -S openat -F pid=$p -k bystander >/dev/null
		touch $b/go2
		wait $p
		i=0
		while [ "$(grep "^type=1302 " $b/log | grep -c "name=\"/etc/hostname\"")" -lt "$1" ] &&
			[ $i -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		grep "^type=1302 " $b/log | grep -c "name=\"/etc/hostname\"" > $b/events
		auditctl -s > $b/status
		touch $b/done
	fi
	while [ ! -e $b/stop ]; do sleep 0.1; done
	kill $d
'

# hostile_setup: the host's auditd with a watch on a probe file, the
# bystander, and the baselines. Undone when the test exits; a test adds its
# own clean-up to HOSTILE_CLEANUP.
HOSTILE_CLEANUP=
hostile_setup() {
	start_auditd
	trap hostile_teardown EXIT
	echo probe >/etc/hostile-probe
	auditctl -w /etc/hostile-probe -p r -k hostile-probe >/dev/null ||
		fail "the host's watch on the probe file"
	HOSTILE_HOST_LOST=$(host_lost)
	rm -rf /tmp/bystander
	mkdir -m 0777 /tmp/bystander
	in_container sh -c "$BYSTANDER_SCRIPT" bystander "$HOSTILE_PROBES" \
		>/tmp/bystander/sh.out 2>&1 &
	HOSTILE_BYSTANDER=$!
	wait_for 60 test -e /tmp/bystander/ready || fail "the bystander did not start"
	if kasan_kernel; then
		HOSTILE_KASAN_SLACK_KIB=$(($(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo) / 32 + 8192))
	fi
	HOSTILE_KTHREADS=$(kthreads)
	HOSTILE_MEM=$(mem_available_kib)
}

hostile_teardown() {
	eval "$HOSTILE_CLEANUP"
	touch /tmp/bystander/stop
	wait_for 10 sh -c "! kill -0 $HOSTILE_BYSTANDER" || kill "$HOSTILE_BYSTANDER"
	wait "$HOSTILE_BYSTANDER" 2>/dev/null
	auditctl -D >/dev/null
	stop_auditd
}

# hostile_bounds [MAX_KTHREADS [MAX_MEM_KIB]]: kernel threads and
# MemAvailable against the baselines, now.
hostile_bounds() {
	local k m
	k=$(kthreads)
	m=$(mem_available_kib)
	[ $((k - HOSTILE_KTHREADS)) -le "${1:-$HOSTILE_MAX_KTHREADS}" ] ||
		fail "kernel threads grew from $HOSTILE_KTHREADS to $k"
	[ $((HOSTILE_MEM - m)) -le $((${2:-$HOSTILE_MAX_MEM_KIB} + HOSTILE_KASAN_SLACK_KIB)) ] ||
		fail "MemAvailable fell from $HOSTILE_MEM to $m kB"
	echo "bounds: kernel threads $HOSTILE_KTHREADS -> $k, MemAvailable $HOSTILE_MEM -> $m kB"
}

host_probe_events() {
	grep '^type=SYSCALL ' /var/log/audit/audit.log | grep -c 'key="hostile-probe"'
}

# hostile_check: the host's auditd and the bystander are unharmed.
hostile_check() {
	local i=0 before
	hostile_bounds "$@"
	before=$(host_probe_events)
	while [ $i -lt "$HOSTILE_PROBES" ]; do
		cat /etc/hostile-probe >/dev/null
		i=$((i + 1))
	done
	# Counted at each poll: the events may still be on their way.
	i=0
	while [ "$(host_probe_events)" -lt $((before + HOSTILE_PROBES)) ]; do
		i=$((i + 1))
		[ $i -lt 300 ] ||
			fail "the host's auditd got $(($(host_probe_events) - before)) of $HOSTILE_PROBES probe events"
		sleep 0.1
	done
	expect_eq "the host's lost count" "$HOSTILE_HOST_LOST" "$(host_lost)"
	touch /tmp/bystander/go
	wait_for 60 test -e /tmp/bystander/done || fail "the bystander's probe did not end"
	expect_eq "the bystander's probe events" "$HOSTILE_PROBES" "$(cat /tmp/bystander/events)"
	expect_match "the bystander's lost count" '^lost 0$' "$(cat /tmp/bystander/status)"
}

# ---- OCI runtimes (auditns-runtime, the 2x-oci-* tests) ----
#
# The image builder's OCI parts: a busybox root file system and, per
# runtime, its own "spec" made to run in a user namespace (container ids
# 0-65535 are host ids 100000-165535).
OCI_DIR=/auditns/oci

# oci_bundle DIR RUNTIME CMD [ANNOTATIONS [MOUNTS]]: an OCI bundle in DIR
# whose process runs "sh -c CMD" (one line), from RUNTIME's config.
# ANNOTATIONS and MOUNTS are JSON text put into the annotations object and
# after the mounts.
oci_bundle() {
	local cmd annotations mounts
	# JSON's escapes in the string, then sed's in the replacement.
	cmd=$(printf '%s' "$3" | sed -e 's/[\\"]/\\&/g' | sed_replacement)
	annotations=$(printf '%s' "${4:-}" | sed_replacement)
	mounts=$(printf '%s' "${5:-}" | sed_replacement)
	mkdir -p "$1"
	sed -e "s|@CMD@|$cmd|" -e "s|@ANNOTATIONS@|$annotations|" -e "s|@MOUNTS@|$mounts|" \
		"$OCI_DIR/config-$2.json" >"$1/config.json"
}

# sed_replacement: stdin, escaped for the replacement of s|...|...|.
sed_replacement() {
	sed -e 's/[\\&|]/\\&/g'
}

# oci_contid_annotation N: the annotation that asks for audit container ID N.
oci_contid_annotation() {
	printf '"org.auditns.contid": "%s"' "$1"
}

# oci_init_pid RUNTIME ID: the host PID of a container's init, from the
# runtime's state.
oci_init_pid() {
	"$1" state "$2" 2>/dev/null | sed -n 's/^ *"pid": *\([0-9]*\),*$/\1/p'
}

# oci_containers RUNTIME: the IDs of the runtime's containers, one a line.
oci_containers() {
	"$1" list -q 2>/dev/null
}
