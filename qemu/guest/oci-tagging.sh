# SPDX-License-Identifier: GPL-2.0
# The body of 22-oci-crun and 23-oci-runc, sourced with OCI_RUNTIME set:
# containers that Debian's runtime starts through auditns-runtime get their
# audit container ID before they run, their exec'd processes get the same
# one, the host's -F contid= rule selects the events of both, and each
# start, exec and stop has its VIRT_CONTROL record. A negative control: the
# real runtime's own exec, bypassing the wrapper, leaves the ID unset.
. /usr/local/lib/auditns/testlib.sh

runtime=$OCI_RUNTIME
# The wrapper chooses the real runtime by its name: auditns-runtime runs
# crun, its link auditns-runc runs runc.
wrap() {
	case $runtime in
	crun) auditns-runtime "$@" ;;
	runc) auditns-runc "$@" ;;
	esac
}
dir=/tmp/oci-$runtime
first=oci-$runtime-1
# Docker's and podman's IDs are 64 hex digits; the ID of the second
# container is derived from their first 16.
second=0123456789abcdef${runtime}fedcba9876543210fedcba9876543210fedcba987654
second_contid=81985529216486895 # 0x0123456789abcdef
case $runtime in
crun) first_contid=2201 ;;
*) first_contid=2301 ;;
esac
cleanup() {
	for id in $first $second $runtime-4; do
		"$runtime" kill "$id" KILL >/dev/null 2>&1
		"$runtime" delete --force "$id" >/dev/null 2>&1
	done
	auditctl -D >/dev/null
	stop_auditd
}
start_auditd
trap cleanup EXIT
echo probe >/etc/oci-init-probe
echo probe >/etc/oci-exec-probe
expect_eq "the host's contid rule" ok "$(audit-nl contid-rule add 257 "$first_contid" oci-$runtime)"

# create: the init has its ID before it runs any of the container's code.
oci_bundle "$dir/1" "$runtime" 'cat /tmp/oci-init-probe >/dev/null; exec sleep 300' \
	"$(oci_contid_annotation "$first_contid")" \
	', {"destination": "/tmp/oci-init-probe", "type": "bind", "source": "/etc/oci-init-probe", "options": ["rbind", "ro"]}, {"destination": "/tmp/oci-exec-probe", "type": "bind", "source": "/etc/oci-exec-probe", "options": ["rbind", "ro"]}'
# The container's init keeps the runtime's stdio: into files, not a pipe
# that $(...) would wait on.
wrap create --no-pivot --bundle "$dir/1" "$first" >"$dir/create.out" 2>&1 </dev/null ||
	fail "create: $(cat "$dir/create.out")"
init=$(oci_init_pid "$runtime" "$first")
[ -n "$init" ] || fail "no init PID in the state of $first: $("$runtime" state "$first" 2>&1)"
expect_eq "$runtime's state says created" created \
	"$("$runtime" state "$first" | sed -n 's/^ *"status": *"\([a-z]*\)",*$/\1/p')"
expect_eq "the created init's ID" "$first_contid" "$(contid_of "$init")"
wrap start "$first" >"$dir/start.out" 2>&1 </dev/null || fail "start: $(cat "$dir/start.out")"

# exec: the new process has the container's ID, and so do its children.
out=$(wrap exec "$first" sh -c 'cat /tmp/oci-exec-probe >/dev/null; cat /proc/self/audit_containerid' 2>&1) ||
	fail "exec: $out"
expect_eq "the exec'd shell's ID" "$first_contid" "$out"
# What the wrapper does alone, whichever runtime it runs, is tested with
# crun only (here and the signals below).
[ "$runtime" != crun ] || expect_eq "exec gives the command's exit status" 7 \
	"$(wrap exec "$first" sh -c 'exit 7' >/dev/null 2>&1; echo $?)"
# Every other command is the real runtime's, output and status.
expect_eq "state through the wrapper" "$("$runtime" state "$first")" "$(wrap state "$first")"
expect_eq "an unknown container's status" "$("$runtime" state nosuch >/dev/null 2>&1; echo $?)" \
	"$(wrap state nosuch >/dev/null 2>&1; echo $?)"

# The negative control: the real runtime's exec, without the wrapper.
expect_eq "an exec that bypasses the wrapper has no ID" "$CONTID_UNSET" \
	"$("$runtime" exec "$first" cat /proc/self/audit_containerid 2>&1)"

# A second container, no annotation: an ID derived from its OCI ID.
oci_bundle "$dir/2" "$runtime" 'exec sleep 300'
wrap run --no-pivot --detach --bundle "$dir/2" "$second" >"$dir/run.out" 2>&1 </dev/null ||
	fail "run --detach: $(cat "$dir/run.out")"
second_init=$(oci_init_pid "$runtime" "$second")
expect_eq "the second container's derived ID" "$second_contid" "$(contid_of "$second_init")"
expect_eq "its exec'd process" "$second_contid" \
	"$(wrap exec "$second" cat /proc/self/audit_containerid 2>&1)"

# The host's -F contid= rule: the events of the init and of the exec'd
# process, none of the other container.
wait_for 10 sh -c "ausearch -k oci-$runtime -f /tmp/oci-exec-probe" ||
	fail "the host's rule selected no open of the exec probe"
events=$(ausearch -k "oci-$runtime")
expect_match "the init's open" 'type=PATH .*name="/tmp/oci-init-probe"' "$events"
expect_match "the exec'd process's open" 'type=PATH .*name="/tmp/oci-exec-probe"' "$events"
expect_match "their CONTAINER_ID records" "contid=$first_contid\$" "$events"
expect_eq "nothing of the second container" 0 "$(echo "$events" | grep -c "contid=$second_contid")"

# exec fails closed: no running init, no exec.
expect_fail_with "an exec into no container" "^auditns-runtime: exec: container nosuch has no running init" \
	wrap exec nosuch true

# A supervisor's SIGTERM to the wrapper of a foreground run reaches the
# runtime, and the wrapper ends as the runtime did.
signal_forwarded() {
	oci_bundle "$dir/4" "$runtime" 'trap "exit 143" TERM; sleep 300 & wait'
	wrap run --no-pivot --bundle "$dir/4" "$runtime-4" >"$dir/run4.out" 2>&1 </dev/null &
	wrapper=$!
	wait_for 20 sh -c "$runtime state $runtime-4 | grep -q '\"running\"'" || fail "$runtime-4 did not start"
	kill -TERM "$wrapper"
	wait_for 20 sh -c "! kill -0 $wrapper" || fail "the wrapper did not end on SIGTERM"
	wait "$wrapper"
	expect_eq "the wrapper's status, the container's" 143 "$?"
	"$runtime" delete --force "$runtime-4" >/dev/null 2>&1
}
[ "$runtime" != crun ] || signal_forwarded

# stop and delete, then the records of it all in the host's log.
wrap kill "$first" KILL || fail "kill"
wait_for 20 sh -c "$runtime state $first | grep -q '\"stopped\"'" || fail "$first did not stop"
out=$(wrap delete "$first" 2>&1) || fail "delete: $out"
expect_eq "no container $first left" "" "$(oci_containers "$runtime" | grep -x "$first")"
wait_for 10 sh -c "ausearch -m VIRT_CONTROL | grep -q 'op=stop reason=delete .*oci-id=\"$first\"'" ||
	fail "no VIRT_CONTROL record of the delete: $(ausearch -m VIRT_CONTROL 2>&1)"
records=$(ausearch -m VIRT_CONTROL)
expect_match "the start's record" \
	"op=start reason=create vm=\\? oci-id=\"$first\" bundle=\"$dir/1\" contid=$first_contid vm-pid=$init runtime=\"[^\"]*/$runtime\" res=success" \
	"$records"
expect_match "the exec's record" \
	"op=exec reason=exec vm=\\? oci-id=\"$first\" .*contid=$first_contid vm-pid=$init .*res=success" "$records"
expect_match "the stop's record" "op=stop reason=delete .*oci-id=\"$first\" .*contid=$first_contid .*res=success" \
	"$records"
expect_match "the second container's start" \
	"op=start reason=run .*oci-id=\"$second\" .*contid=$second_contid .*res=success" "$records"
