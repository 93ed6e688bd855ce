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
	/usr/bin/crun /usr/sbin/runc
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

# Debian's audit tools with the userspace companion series, beside the
# unmodified ones that every test uses unless it says otherwise.
PATCHED_AUDIT_DIR=/opt/auditns-audit/sbin
copy_patched_audit_tools() {
	local bin tool
	bin=$("$AUDITNS_TOP/scripts/userspace.sh")
	for tool in "$bin"/*; do
		copy_with_libs "$tool" "$PATCHED_AUDIT_DIR/$(basename "$tool")"
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
	install -D -m 0644 "$GUEST/oci-tagging.sh" "$ROOT/usr/local/lib/auditns/oci-tagging.sh"
	cp -a "$GUEST/tests/." "$ROOT/auditns/tests/"
	copy_example_rules
	copy_rsyslog
	copy_patched_audit_tools
	build_oci_parts
	install -m 0644 "$MODULE" "$ROOT/lib/modules/auditns.ko"
	# The workspace's binaries (samples, test helpers); 'make samples' built them.
	for bin in $(workspace_binaries); do
		[ -x "$BIN_DIR/$bin" ] || die "$BIN_DIR/$bin is not built: run 'make samples'"
		copy_with_libs "$BIN_DIR/$bin" "/usr/local/bin/$bin"
	done
	# auditns-runtime runs the runtime its name ends in (runtimes.rst).
	ln -s auditns-runtime "$ROOT/usr/local/bin/auditns-crun"
	ln -s auditns-runtime "$ROOT/usr/local/bin/auditns-runc"
}

# An OCI bundle's parts for the runtime tests: a busybox root file system
# (busybox hard-linked, so the image holds it once) and, for each runtime,
# its own default config.json ("crun spec", "runc spec") made to run as
# ids 100000-165535 in a user namespace, without a terminal. A test fills
# in the command (@CMD@), annotations (@ANNOTATIONS@) and extra mounts
# (@MOUNTS@) with sed; see oci_bundle in testlib.sh.
OCI_DIR=/auditns/oci
build_oci_parts() {
	local runtime spec applet
	mkdir -p "$ROOT$OCI_DIR/rootfs"/{bin,proc,dev,sys,tmp,etc/audit,run,var/log/audit,usr,lib,lib64}
	ln "$ROOT/bin/busybox" "$ROOT$OCI_DIR/rootfs/bin/busybox"
	for applet in $(/usr/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -s busybox "$ROOT$OCI_DIR/rootfs/bin/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT$OCI_DIR/rootfs/etc/passwd"
	printf 'root:x:0:\n' >"$ROOT$OCI_DIR/rootfs/etc/group"
	for runtime in crun runc; do
		spec=$(mktemp -d)
		(cd "$spec" && "$runtime" spec) || die "$runtime spec failed"
		python3 - "$spec/config.json" "$OCI_DIR/rootfs" >"$ROOT$OCI_DIR/config-$runtime.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
config["root"] = {"path": sys.argv[2], "readonly": True}
process = config["process"]
process["terminal"] = False
process["args"] = ["/bin/sh", "-c", "@CMD@"]
for kind in ("bounding", "effective", "permitted"):
    process["capabilities"][kind] += ["CAP_AUDIT_CONTROL", "CAP_SETUID", "CAP_SETGID",
                                      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"]
linux = config["linux"]
linux["namespaces"].append({"type": "user"})
linux["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
linux["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
config["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                         "options": ["nosuid", "nodev", "mode=1777"]})
config["annotations"] = {"@ANNOTATIONS@": ""}
text = json.dumps(config, indent=1)
# Placeholders that sed replaces with JSON text.
text = text.replace('"@ANNOTATIONS@": ""', "@ANNOTATIONS@")
text = text.replace('\n ],\n "linux"', "@MOUNTS@\n ],\n \"linux\"", 1)
assert "@MOUNTS@" in text
print(text)
PY
		rm -rf "$spec"
	done
}

# pack ROOT IMAGE: the tree ROOT as the archive IMAGE.
pack() {
	(cd "$1" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$2.tmp"
	mv "$2.tmp" "$2"
	echo "initramfs: $2 ($(du -h "$2" | cut -f1))"
}

# The podman image: an archive unpacked over the main one
# (VM_EXTRA_INITRD) for the tests that start podman, which is too big
# (some 40 MB) to slow every guest's boot. Podman runs containers through
# auditns-crun, with vfs storage, cgroupfs and the file events log, in a
# root that pivot_root(2) cannot leave (no_pivot_root).
PODMAN_IMAGE=${IMAGE%.cpio.gz}-podman.cpio.gz
build_podman_root() {
	local main_root=$ROOT
	ROOT=${PODMAN_IMAGE%.cpio.gz}.root
	rm -rf "$ROOT"
	mkdir -p "$ROOT/etc/containers" "$ROOT/var/tmp" "$ROOT/var/lib/containers" "$ROOT/usr/share"
	copy_with_libs /usr/bin/podman /usr/bin/podman
	copy_with_libs /usr/bin/conmon /usr/bin/conmon
	cp -a /usr/share/containers "$ROOT/usr/share/"
	cp /etc/containers/policy.json /etc/containers/registries.conf "$ROOT/etc/containers/"
	cat >"$ROOT/etc/containers/storage.conf" <<-'EOF'
	[storage]
	driver = "vfs"
	runroot = "/run/containers/storage"
	graphroot = "/var/lib/containers/storage"
	EOF
	cat >"$ROOT/etc/containers/containers.conf" <<-'EOF'
	[containers]
	netns = "none"
	log_driver = "k8s-file"

	[engine]
	cgroup_manager = "cgroupfs"
	events_logger = "file"
	no_pivot_root = true
	runtime = "auditns"

	[engine.runtimes]
	auditns = ["/usr/local/bin/auditns-crun"]
	EOF
	# Files of the main image that the copy above may repeat stay its own.
	(cd "$ROOT" && find . -type f) | while read -r file; do
		[ ! -e "$main_root/$file" ] || rm -f "$ROOT/$file"
	done
	ROOT=$main_root
}

build_image() {
	build_root
	pack "$ROOT" "$IMAGE"
	build_podman_root
	pack "${PODMAN_IMAGE%.cpio.gz}.root" "$PODMAN_IMAGE"
}

step "initramfs ($KERNEL)" build_image
