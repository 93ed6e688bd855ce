#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build Debian's audit tools with the userspace companion series
# (userspace/patches/) into the cache: Debian's source package of the
# version the guest runs, fetched through apt with a deb-src line of the
# same archive that only this script uses (apt checks it against the
# archive's signed Sources index), the series applied on top, the tools
# linked with their own libaudit and libauparse, statically. Rebuilt only
# when the patches or this script change. Prints the directory of the
# tools.
#
# audit-userspace's own tests of what the series changes run at build
# time: lib/test, the message-type and field tables, and auparse/test,
# auparse's reading and interpretation of logs, whose expected output the
# series leaves as it is. Like Debian's package build, the latter assume
# a build machine without users or groups of its logs' ids (573, 582,
# 583, 848, 890, 891).
. "$(dirname "$0")/lib.sh"

AUDIT_VERSION=1:3.0.9-1
UPSTREAM_VERSION=3.0.9
PATCHES=$AUDITNS_TOP/userspace/patches
# The series without its cover letter (0000).
mapfile -t SERIES < <(ls "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch | grep -v '/0000-')
# Contents only: the same series has the same key in every clone.
key=$(cat "${SERIES[@]}" "$0" | sha256sum | cut -c1-12)
DEST=$AUDITNS_CACHE/userspace/audit-$UPSTREAM_VERSION-$key
TOOLS=(auditctl ausearch aureport auditd)

fetch_source() {
	local apt_dir=$AUDITNS_CACHE/userspace/apt
	local -a apt_options
	local codename mirror
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' |
		awk -v r="$codename" '$2 == r { print $1; exit }')
	[ -n "$mirror" ] || die "no apt source for Debian $codename to take the audit source from"
	mkdir -p "$apt_dir"/{lists/partial,archives/partial}
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $codename main" \
		>"$apt_dir/sources.list"
	apt_options=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir"
		-o APT::Sandbox::User=root)
	apt-get "${apt_options[@]}" update -qq
	(cd "$1" && apt-get "${apt_options[@]}" source -qq --download-only "audit=$AUDIT_VERSION") ||
		die "cannot download Debian's audit $AUDIT_VERSION source"
}

build() {
	local work=$DEST.tmp
	rm -rf "$work"
	mkdir -p "$work"
	fetch_source "$work"
	# apt checked the files against the archive's signed index; dpkg-source
	# checks them against the .dsc and applies Debian's patches. (It cannot
	# check the maintainer's signature of the .dsc without debian-keyring.)
	dpkg-source -q -x "$work"/audit_*.dsc "$work/src" >/dev/null 2>"$work/dpkg-source.log" || {
		cat "$work/dpkg-source.log" >&2
		die "dpkg-source could not unpack Debian's audit source"
	}
	for patch in "${SERIES[@]}"; do
		patch -d "$work/src" -p1 -s --no-backup-if-mismatch <"$patch" ||
			die "$(basename "$patch") does not apply"
	done
	(
		cd "$work/src"
		# Upstream's own warnings would bury ours: the log is shown only
		# when the build fails.
		{
			./configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
				--disable-shared --enable-static --without-python --without-python3 \
				--without-golang --disable-zos-remote --with-libcap-ng=no &&
				make -j"$JOBS" && make -C lib check &&
				make -C auparse/test check
		} >../build.log 2>&1 || {
			tail -n 40 ../build.log >&2
			cat lib/test/test-suite.log >&2 2>/dev/null
			die "building audit $UPSTREAM_VERSION with the companion series failed"
		}
		grep -E '^(PASS|FAIL|# )' ../build.log | sed 's/^/audit lib check: /' >&2
		grep -E '^(Auparse Test Passes|Interpretation table tests pass)$' ../build.log |
			sed 's/^/audit auparse check: /' >&2
	)
	mkdir -p "$work/bin"
	for tool in "${TOOLS[@]}"; do
		install -m 0755 "$work/src/src/$tool" "$work/bin/$tool"
	done
	rm -rf "$work/src" "$work"/audit_* "$work"/*.log
	rm -rf "$DEST"
	mv "$work" "$DEST"
}

if [ ! -x "$DEST/bin/auditd" ]; then
	step "audit userspace $UPSTREAM_VERSION with the companion series" build >&2
fi
echo "$DEST/bin"
