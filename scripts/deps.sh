#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install what the build and the QEMU suite need. Idempotent and quick when
# everything is already there, so every make target may call it.
. "$(dirname "$0")/lib.sh"

BINDGEN_VERSION=0.73.2
DEBIAN_PACKAGES=(
	"$KERNEL_PKG=$KERNEL_PKG_VERSION"
	clang lld llvm libclang-dev flex bison bc libelf-dev libssl-dev
	cpio xz-utils kmod busybox-static qemu-system-x86 auditd uidmap
	util-linux git python3 make rsync ccache g++ audispd-plugins
	# The libraries of rsyslog, which qemu/mkinitramfs.sh unpacks.
	libestr0 libfastjson4 liblognorm5
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
step "dependencies: Rust tools" rust_tools
