#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the auditns module against the cached kernel of variant $KERNEL.
#
#   module.sh [MAKE-ARGS...]     e.g. module.sh CLIPPY=1
#
# The sources are mirrored into the cache (mtimes kept, so an unchanged file
# is not rebuilt) because 6.12's kbuild writes objects next to them.
. "$(dirname "$0")/lib.sh"
kernel_variant_check

BUILD=$(kernel_build_dir)
OUT=$(out_dir)
# A separate tree (module-clippy for make check) so that its objects, built
# with other flags, never mix with the module the guest loads.
TREE=$OUT/${MODULE_TREE:-module}
[ -f "$BUILD/vmlinux" ] || die "no kernel in $BUILD: run 'make kernel' first"

mkdir -p "$TREE/rust/auditns-core"
[ -z "${MODULE_TREE:-}" ] || rm -rf "$TREE/rust/auditns"
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='.*' \
	--exclude='*.mod*' --exclude='Module.symvers' --exclude='modules.order' \
	"$AUDITNS_TOP/rust/auditns/" "$TREE/rust/auditns/"
rsync -a --delete "$AUDITNS_TOP/rust/auditns-core/src/" "$TREE/rust/auditns-core/src/"
make -C "$BUILD" M="$TREE/rust/auditns" LLVM=1 -j"$JOBS" "$@"
echo "module: $TREE/rust/auditns/auditns.ko"
