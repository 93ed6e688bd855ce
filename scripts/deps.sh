#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the build and the QEMU suite need. Idempotent and quick when
# everything is already there, so every make target may call it.
. "$(dirname "$0")/lib.sh"

BINDGEN_VERSION=0.73.2
DEBIAN_PACKAGES=(
	"$KERNEL_PKG=$KERNEL_PKG_VERSION"
	clang lld llvm libclang-dev flex bison bc libelf-dev libssl-dev
	cpio xz-utils kmod busybox-static auditd uidmap
	util-linux git python3 make rsync ccache g++ audispd-plugins
	# The libraries of rsyslog, which qemu/mkinitramfs.sh unpacks.
	libestr0 libfastjson4 liblognorm5
	# The OCI runtimes that auditns-runtime drives in the guest, and podman
	# with conmon, which the podman image carries (no daemon starts).
	crun runc podman
	# Unpacking and patching Debian's audit source (scripts/userspace.sh).
	dpkg-dev patch
)

debian_packages() {
	local stamp="$AUDITNS_CACHE/deps-debian.stamp" want
	want=$(printf '%s\n' "${DEBIAN_PACKAGES[@]}")
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
		dpkg-query -W -f='${Version}' "$KERNEL_PKG" 2>/dev/null |
		grep -qx "$KERNEL_PKG_VERSION"; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "installing Debian packages needs root"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${DEBIAN_PACKAGES[@]}" >/dev/null ||
		die "apt-get install failed; the kernel this project targets is $KERNEL_PKG $KERNEL_PKG_VERSION"
	echo "$want" >"$stamp"
}

# QEMU from Debian's backports. With a thread per vCPU (MTTCG, which
# qemu/vm runs only if asked), QEMU loses a race against the kernel's live
# code patching: a static key flipped while the other vCPU runs the site
# traps on a stale int3. Debian 12's QEMU 7.2 does so within a few module
# reloads; QEMU 10.0 from bookworm-backports about once in 50000 flips.
# The backports suite comes from the mirror apt already uses for the
# release.
QEMU_MIN_MAJOR=10
qemu_major() {
	qemu-system-x86_64 --version 2>/dev/null |
		sed -n '1s/^QEMU emulator version \([0-9]*\)\..*/\1/p'
}

qemu_from_backports() {
	local codename mirror list=/etc/apt/sources.list.d/auditns-backports.list
	[ "$(qemu_major)" -ge "$QEMU_MIN_MAJOR" ] 2>/dev/null && return 0
	[ "$(id -u)" = 0 ] || die "installing QEMU from backports needs root"
	codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
	if ! apt-get indextargets --format '$(RELEASE)' 'Created-By: Packages' |
		grep -qx "$codename-backports"; then
		mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
			'Created-By: Packages' | awk -v r="$codename" '$2 == r { print $1; exit }')
		[ -n "$mirror" ] || die "no apt source for Debian $codename to take backports from"
		echo "deb $mirror $codename-backports main" >"$list"
		apt-get update -qq
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		-t "$codename-backports" qemu-system-x86 >/dev/null ||
		die "cannot install qemu-system-x86 from $codename-backports"
	[ "$(qemu_major)" -ge "$QEMU_MIN_MAJOR" ] ||
		die "QEMU $(qemu_major) installed; the guests need $QEMU_MIN_MAJOR or later"
}

rust_tools() {
	command -v rustup >/dev/null || die "rustup not found (expected in ~/.cargo/bin)"
	rustup component list --installed 2>/dev/null | grep -q '^rust-src' ||
		rustup component add rust-src
	rustup component list --installed 2>/dev/null | grep -q '^clippy' ||
		rustup component add clippy
	rustup component list --installed 2>/dev/null | grep -q '^rustfmt' ||
		rustup component add rustfmt
	if [ "$(bindgen --version 2>/dev/null)" != "bindgen $BINDGEN_VERSION" ]; then
		cargo install --locked --quiet bindgen-cli --version "$BINDGEN_VERSION"
	fi
}

mkdir -p "$AUDITNS_CACHE"
step "dependencies: Debian packages" debian_packages
step "dependencies: QEMU" qemu_from_backports
step "dependencies: Rust tools" rust_tools
