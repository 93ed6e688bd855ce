#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest's initramfs for variant $KERNEL: busybox, util-linux's
# namespace tools, Debian's audit userspace and rsyslog, the module, the project's sample
# binaries and the in-guest test suite.
#
# INITRAMFS_IMAGE names another output (and staging directory beside it), so
# that a second image can be built while guests boot the usual one; boot it
# with VM_INITRAMFS=that qemu/vm exec ....
. "$(dirname "$0")/../scripts/lib.sh"
kernel_variant_check

OUT=$(out_dir)
MODULE=$OUT/module/rust/auditns/auditns.ko
BIN_DIR=${CARGO_TARGET_DIR:-$AUDITNS_CACHE/cargo-target}/release
GUEST=$AUDITNS_TOP/qemu/guest
IMAGE=${INITRAMFS_IMAGE:-$OUT/initramfs.cpio.gz}
ROOT=${IMAGE%.cpio.gz}.root

[ -f "$MODULE" ] || die "no module at $MODULE: run 'make module' first"

# Host programs the guest runs, with the shared libraries they load.
HOST_PROGRAMS=(
	/bin/dash /bin/bash
	/usr/sbin/auditctl /usr/sbin/auditd /usr/sbin/ausearch /usr/sbin/aureport
	/usr/sbin/audisp-remote /usr/sbin/audisp-syslog
	/usr/bin/unshare /usr/bin/nsenter /usr/bin/setpriv
	/usr/bin/newuidmap /usr/bin/newgidmap
)

copy_with_libs() {
	local program=$1 dest=$2 lib
	! ldd "$program" | grep 'not found' || die "$program: a library is missing"
	install -D -m "$(stat -c %a "$program")" "$program" "$ROOT$dest"
	for lib in $(ldd "$program" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'); do
		[ -e "$ROOT$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$ROOT$lib"
	done
}

workspace_binaries() {
	"$HOME/.cargo/bin/cargo" metadata --no-deps --format-version 1 \
		--manifest-path "$AUDITNS_TOP/Cargo.toml" | python3 -c '
import json, sys
for package in json.load(sys.stdin)["packages"]:
    for target in package["targets"]:
        if "bin" in target["kind"]:
            print(target["name"])'
}

# Debian's example rule sets, which the guest loads as real-world rules. A
# system that keeps no documentation (dpkg path-exclude) has them in the
# package only.
EXAMPLE_RULES=/usr/share/doc/auditd/examples/rules
copy_example_rules() {
	local download
	mkdir -p "$ROOT$EXAMPLE_RULES"
	if compgen -G "$EXAMPLE_RULES/*.rules" >/dev/null; then
		cp "$EXAMPLE_RULES"/*.rules "$ROOT$EXAMPLE_RULES/"
		return
	fi
	download=$(mktemp -d)
	(cd "$download" && apt-get download -q auditd >/dev/null) ||
		die "cannot download auditd for its example rules"
	dpkg-deb --fsys-tarfile "$download"/auditd_*.deb |
		tar -x -C "$ROOT" --wildcards ".$EXAMPLE_RULES/*.rules"
	rm -rf "$download"
}

# Debian's rsyslog, unpacked from its package into the cache rather than
# installed, so that no syslog daemon starts on the build machine; deps.sh
# installs the libraries it links. Only the modules the guest loads: input
# from a local socket and TCP, output over TCP.
RSYSLOG_LIBDIR=/usr/lib/x86_64-linux-gnu/rsyslog
RSYSLOG_MODULES=(imuxsock imtcp lmnet lmnetstrms lmnsd_ptcp lmtcpsrv lmtcpclt)
copy_rsyslog() {
	local version dir download module
	version=$(apt-cache policy rsyslog | awk '$1 == "Candidate:" { print $2 }')
	[ -n "$version" ] && [ "$version" != "(none)" ] || die "apt knows no rsyslog package"
	dir=$AUDITNS_CACHE/downloads/rsyslog-$version
	if [ ! -x "$dir/usr/sbin/rsyslogd" ]; then
		download=$(mktemp -d)
		(cd "$download" && apt-get download -q "rsyslog=$version" >/dev/null) ||
			die "cannot download rsyslog $version"
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp"
		dpkg-deb -x "$download"/rsyslog_*.deb "$dir.tmp"
		rm -rf "$download" "$dir"
		mv "$dir.tmp" "$dir"
	fi
	copy_with_libs "$dir/usr/sbin/rsyslogd" /usr/sbin/rsyslogd
	for module in "${RSYSLOG_MODULES[@]}"; do
		copy_with_libs "$dir$RSYSLOG_LIBDIR/$module.so" "$RSYSLOG_LIBDIR/$module.so"
	done
}

build_root() {
	local program applet bin
	rm -rf "$ROOT"
	mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,proc,sys,dev,tmp,run,root,home/user,var/log/audit,var/run,lib/modules,auditns/tests}
	chmod 1777 "$ROOT/tmp"
	install -m 0755 /usr/bin/busybox "$ROOT/bin/busybox"
	for applet in $(/usr/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -s busybox "$ROOT/bin/$applet"
	done
	# The real programs win over busybox's applets of the same name. /bin/sh
	# is dash, as on Debian: busybox's sh would run its own applets (unshare,
	# nsenter, setpriv) even where PATH names util-linux's.
	for program in "${HOST_PROGRAMS[@]}"; do
		rm -f "$ROOT$program"
		copy_with_libs "$program" "$program"
	done
	ln -sf dash "$ROOT/bin/sh"
	cp -a "$GUEST/etc/." "$ROOT/etc/"
	install -m 0755 "$GUEST/init" "$ROOT/init"
	install -m 0755 "$GUEST/run-tests" "$ROOT/usr/local/bin/run-tests"
	install -D -m 0644 "$GUEST/testlib.sh" "$ROOT/usr/local/lib/auditns/testlib.sh"
	install -D -m 0644 "$GUEST/collect.sh" "$ROOT/usr/local/lib/auditns/collect.sh"
	cp -a "$GUEST/tests/." "$ROOT/auditns/tests/"
	copy_example_rules
	copy_rsyslog
	install -m 0644 "$MODULE" "$ROOT/lib/modules/auditns.ko"
	# The workspace's binaries (samples, test helpers); 'make samples' built them.
	for bin in $(workspace_binaries); do
		[ -x "$BIN_DIR/$bin" ] || die "$BIN_DIR/$bin is not built: run 'make samples'"
		copy_with_libs "$BIN_DIR/$bin" "/usr/local/bin/$bin"
	done
}

pack() {
	(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$IMAGE.tmp"
	mv "$IMAGE.tmp" "$IMAGE"
	echo "initramfs: $IMAGE ($(du -h "$IMAGE" | cut -f1))"
}

build_image() {
	build_root
	pack
}

step "initramfs ($KERNEL)" build_image
