# SPDX-License-Identifier: GPL-2.0
# Helpers for a central audit collector and the auditds that forward to it,
# with Debian's own parts only: auditd listening on tcp_listen_port, and
# auditd with the audisp-remote plugin; or rsyslog, and auditd with the
# audisp-syslog plugin. Sourced by the test, the benchmark
# and the demo; Documentation/collecting.rst explains the settings.

COLLECT_PORT=60

# conf_set FILE KEY VALUE: KEY = VALUE in an auditd-style file, replacing
# the key's line or adding one.
conf_set() {
	if grep -q "^$2 *=" "$1"; then
		sed -i "s|^$2 *=.*|$2 = $3|" "$1"
	else
		echo "$2 = $3" >>"$1"
	fi
}

# wait_file SECONDS FILE: wait until FILE exists.
wait_file() {
	local tries=$(($1 * 20))
	while [ ! -e "$2" ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.05
	done
}

# own_run_dirs: a private /run and /var/run, for auditd's pid and state
# files (fixed paths), in the caller's mount namespace.
own_run_dirs() {
	mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/run
}

# collector_config DIR: DIR/auditd.conf for a collector that logs to
# DIR/audit.log what its TCP clients send, and nothing of its own kernel.
collector_config() {
	local dir=$1
	mkdir -p "$dir/plugins.d"
	chmod 0750 "$dir"
	cp /etc/audit/auditd.conf "$dir/auditd.conf"
	conf_set "$dir/auditd.conf" local_events no
	conf_set "$dir/auditd.conf" log_file "$dir/audit.log"
	conf_set "$dir/auditd.conf" log_format RAW
	# The records arrive named by their senders.
	conf_set "$dir/auditd.conf" name_format NONE
	conf_set "$dir/auditd.conf" max_log_file_action IGNORE
	conf_set "$dir/auditd.conf" tcp_listen_port "$COLLECT_PORT"
	conf_set "$dir/auditd.conf" tcp_listen_queue 16
	# A host's containers share its address.
	conf_set "$dir/auditd.conf" tcp_max_per_addr 16
	conf_set "$dir/auditd.conf" tcp_client_max_idle 0
	conf_set "$dir/auditd.conf" use_libwrap no
	conf_set "$dir/auditd.conf" plugin_dir "$dir/plugins.d"
	chmod 0640 "$dir/auditd.conf"
}

# forwarding_auditd_config DIR NAME: run by the root of the namespace whose
# auditd forwards. DIR/etc gets a copy of /etc/audit that this root owns,
# set to name the stream NAME (name_format = user) and log to DIR/audit.log.
forwarding_auditd_config() {
	local dir=$1 name=$2 conf=$1/etc/auditd.conf
	mkdir -p "$dir/etc"
	cp -r /etc/audit/. "$dir/etc/"
	conf_set "$conf" log_file "$dir/audit.log"
	conf_set "$conf" log_format RAW
	conf_set "$conf" name_format USER
	conf_set "$conf" name "$name"
	conf_set "$conf" max_log_file_action IGNORE
	conf_set "$conf" q_depth 4000
	chmod 0640 "$conf"
}

# plugin_copy DIR PROGRAM: PROGRAM copied to DIR/etc, for this root to own:
# auditd starts only a plugin its own root owns.
plugin_copy() {
	cp "/usr/sbin/$2" "$1/etc/$2" && chmod 0750 "$1/etc/$2"
}

# forwarder_setup DIR NAME SERVER: forwarding_auditd_config, and the
# audisp-remote plugin towards SERVER; DIR/etc is bind-mounted on
# /etc/audit, where audisp-remote reads its configuration.
forwarder_setup() {
	local dir=$1 name=$2 server=$3
	forwarding_auditd_config "$dir" "$name" && plugin_copy "$dir" audisp-remote || return 1
	cat >"$dir/etc/plugins.d/au-remote.conf" <<-EOF
		active = yes
		direction = out
		path = /etc/audit/audisp-remote
		type = always
		format = string
	EOF
	# Debian's defaults but for the server and the network failure action:
	# "stop" would end the plugin, and its queue, when the collector is
	# away; "syslog" keeps the queue and reconnects.
	cat >"$dir/etc/audisp-remote.conf" <<-EOF
		remote_server = $server
		port = $COLLECT_PORT
		transport = tcp
		mode = immediate
		queue_depth = 20480
		format = managed
		network_retry_time = 1
		max_tries_per_record = 3
		max_time_per_record = 5
		heartbeat_timeout = 0
		network_failure_action = syslog
		disk_low_action = ignore
		disk_full_action = warn_once
		disk_error_action = warn_once
		remote_ending_action = reconnect
		generic_error_action = syslog
		generic_warning_action = syslog
		queue_error_action = stop
		overflow_action = syslog
		startup_failure_action = warn_once_continue
	EOF
	chmod 0640 "$dir/etc/audisp-remote.conf" "$dir/etc/plugins.d/au-remote.conf"
	mount --bind "$dir/etc" /etc/audit
}

# syslog_forwarder_setup DIR NAME: forwarding_auditd_config, and Debian's
# audisp-syslog plugin, which hands every record to syslog(3) (/dev/log)
# with facility local6.
syslog_forwarder_setup() {
	local dir=$1 name=$2
	forwarding_auditd_config "$dir" "$name" && plugin_copy "$dir" audisp-syslog || return 1
	cat >"$dir/etc/plugins.d/syslog.conf" <<-EOF
		active = yes
		direction = out
		path = /etc/audit/audisp-syslog
		type = always
		args = LOG_INFO LOG_LOCAL6
		format = string
	EOF
	chmod 0640 "$dir/etc/plugins.d/syslog.conf"
	mount --bind "$dir/etc" /etc/audit
}

# start_forwarding_auditd: auditd with the configuration forwarder_setup
# mounted, registered with the kernel when this returns.
start_forwarding_auditd() {
	local tries=200
	auditd || return 1
	while ! auditctl -s 2>/dev/null | grep -q '^pid [1-9]'; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.05
	done
}

# veth_link NAME NETNS_PID_A ADDR_A NETNS_PID_B ADDR_B: a veth pair between
# the network namespaces of two processes, NAME with ADDR_A/24 on one end,
# ADDR_B/24 on the other, both up. Run by root of the initial namespaces.
veth_link() {
	local name=$1 before peer
	before=$(ls /sys/class/net | tr '\n' ' ')
	# Busybox's ip names the first end only; the peer is the other new one.
	ip link add name "$name" type veth || return 1
	peer=$(ls /sys/class/net | grep -vxF -e "$name" $(printf -- '-e %s ' $before))
	[ -n "$peer" ] || return 1
	ip link set dev "$name" netns "$2" && ip link set dev "$peer" netns "$4" &&
		nsenter -t "$2" -n sh -c "ip link set dev lo up &&
			ip addr add $3/24 dev $name && ip link set dev $name up" &&
		nsenter -t "$4" -n sh -c "ip link set dev lo up &&
			ip addr add $5/24 dev $peer && ip link set dev $peer up"
}

# netns_holder PID: the PID of a process in the network namespace that
# PID's command made: for in_container, a shell function run in the
# background, PID is the function's shell and the namespace is unshare's, its
# child.
netns_holder() {
	local tries=100 child
	while :; do
		# (No CONFIG_PROC_CHILDREN: look for the parent in every status.)
		child=$(grep -lx "PPid:[[:space:]]*$1" /proc/[0-9]*/status 2>/dev/null |
			head -n 1 | cut -d/ -f3)
		[ -z "$child" ] || break
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.05
	done
	echo "$child"
}

# collector_start DIR: the collector's network and mount namespaces, held
# by a process whose PID is put in COLLECTOR, and its auditd in them.
# "--kill-child" is for the unshare that netns_holder does not see: when
# the caller is killed, the holder goes too.
collector_start() {
	collector_config "$1"
	collector_ns_start "$1" && collector_auditd_start
}

# collector_ns_start DIR: collector_start's namespaces, without a daemon.
collector_ns_start() {
	COLLECTOR_DIR=$1
	unshare -n -m --fork --kill-child sh -c '
		mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/run || exit 1
		touch "$1/holder-ready"
		exec sleep 1000000' collector "$COLLECTOR_DIR" &
	COLLECTOR_UNSHARE=$!
	# unshare ignores SIGTERM while it waits: the holder is its child.
	COLLECTOR=$(netns_holder "$COLLECTOR_UNSHARE") || return 1
	wait_file 10 "$COLLECTOR_DIR/holder-ready"
}

collector_auditd_start() {
	nsenter -t "$COLLECTOR" -n -m auditd -c "$COLLECTOR_DIR" || return 1
	local tries=200
	while ! nsenter -t "$COLLECTOR" -n -m test -s /var/run/auditd.pid; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.05
	done
}

# collector_auditd_stop: SIGTERM to the collector's auditd; returns once
# it has exited.
collector_auditd_stop() {
	local pid tries=200
	pid=$(nsenter -t "$COLLECTOR" -m cat /var/run/auditd.pid) || return 1
	kill "$pid" || return 1
	while kill -0 "$pid" 2>/dev/null; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.05
	done
}

collector_stop() {
	collector_auditd_stop
	kill "$COLLECTOR" 2>/dev/null
	wait "$COLLECTOR_UNSHARE" 2>/dev/null
}

# rsyslog_start NAME CONFIG: rsyslogd with CONFIG (rsyslog's own syntax, a
# file), its pid file NAME's, in the caller's namespaces; returns once the
# daemon is up.
rsyslog_start() {
	rsyslogd -f "$2" -i "/var/run/rsyslogd-$1.pid" || return 1
	wait_file 10 "/var/run/rsyslogd-$1.pid"
}

# rsyslog_stop NAME: SIGTERM to the rsyslogd rsyslog_start NAME started in
# the caller's mount namespace; returns once it has exited (and flushed).
rsyslog_stop() {
	local pid tries=200
	pid=$(cat "/var/run/rsyslogd-$1.pid") || return 1
	kill "$pid" || return 1
	while kill -0 "$pid" 2>/dev/null; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.05
	done
}

# Waits of a collection test, in seconds: a batch's events are made in well
# under a second and reach the collector in a few; these bounds leave a
# failed wait time to report, with pipeline_state, before the run's limit
# of 300 s per test kills it.
BATCH_MADE_WAIT=30
BATCH_ARRIVAL_WAIT=60

# publish FILE TEXT: FILE with TEXT, renamed into place, so that whoever
# polls for FILE reads TEXT whole (a redirection creates FILE before it
# writes).
publish() {
	echo "$2" >"$1.tmp" && mv "$1.tmp" "$1"
}

# wait_arrival SECONDS CMD...: run CMD every 0.5 s until it succeeds, at
# most SECONDS by the clock (CMD's own time counted, with testlib.sh's
# uptime_cs); 1 if it never did.
wait_arrival() {
	local deadline=$(($(uptime_cs) + $1 * 100))
	shift
	until "$@"; do
		[ "$(uptime_cs)" -lt "$deadline" ] || return 1
		sleep 0.5
	done
}

# pipeline_state PID...: for a test whose records did not arrive, what each
# container's kernel side says (auditctl -s in the user and network
# namespaces of PID, a process of the container) and where the processes
# of the audit pipeline wait.
pipeline_state() {
	local pid p t
	for pid in "$@"; do
		echo "status in the namespaces of $pid:" \
			"$(nsenter -t "$pid" -U -n auditctl -s 2>&1 | tr '\n' ' ')"
	done
	for p in /proc/[0-9]*; do
		case "$(tr '\0' ' ' 2>/dev/null <"$p/cmdline")" in
		*auditd* | *audisp* | *rsyslogd* | *auditns-helper*)
			echo "${p#/proc/}: $(tr '\0' ' ' 2>/dev/null <"$p/cmdline")"
			for t in "$p"/task/*; do
				echo "  thread ${t##*/}:" \
					"$(sed -n 's/^State:[[:space:]]*//p' "$t/status" 2>/dev/null)," \
					"waits in $(cat "$t/wchan" 2>/dev/null)"
			done
			;;
		esac
	done
}
