# SPDX-License-Identifier: GPL-2.0
#
# auditns: per-user-namespace audit for Linux 6.12.
#
#   make            kernel, module, samples and the guest initramfs
#   make run        build, then boot the demo in QEMU
#   make test       build, then the host tests and the QEMU suites
#   make check      rustfmt, clippy, checkpatch --strict, each patch builds
#                   (SINCE=REV: only the patches changed since REV;
#                   FULL=1: build trees that built before again)
#   make bench      syscall costs in the guest, as ratios (builds an unpatched
#                   kernel into the cache on first use)
#   make bench-collect  only bench's records per second forwarded to a
#                   central collector, container auditd / host auditd
#   make bench-ns   only bench's namespace and host rule costs and
#                   delivery rates (0, 1, 10, 100, 1000 rules)
#   make bench-kernels  only bench's patched kernel without the module /
#                   unpatched kernel, in alternating pairs of boots
#   make hostile-full  the tests make test bounds, at full size (10x the
#                   floods, 10^6 fuzzer messages, 5000 collected events)
#
# KERNEL=debug selects the lockdep/KASAN/kmemleak kernel (its own cache slot).
# Everything built lives in $(AUDITNS_CACHE) (/var/cache/auditns), outside
# the checkout, so a fresh clone on a warm machine rebuilds only what changed.

KERNEL ?= default
AUDITNS_CACHE ?= /var/cache/auditns
CARGO_TARGET_DIR ?= $(AUDITNS_CACHE)/cargo-target
export KERNEL AUDITNS_CACHE CARGO_TARGET_DIR

CARGO := $(HOME)/.cargo/bin/cargo

# make test ends with the time of every step it ran, builds included.
test: export AUDITNS_STEP_LOG := /tmp/auditns-steps.$(shell echo $$$$)

.PHONY: all deps kernel module samples userspace initramfs run test host-test \
	guest-test check bench bench-collect bench-ns bench-kernels hostile-full \
	clean distclean

all: initramfs

deps:
	@scripts/deps.sh

kernel: deps
	@scripts/kernel.sh build

module: kernel
	@scripts/module.sh

samples: deps
	@scripts/step.sh "samples" $(CARGO) build --release --bins --quiet

userspace: deps
	@scripts/userspace.sh >/dev/null

initramfs: module samples userspace
	@qemu/mkinitramfs.sh

run: all
	@qemu/vm run

test: all
	@scripts/test.sh

host-test: deps
	@scripts/test.sh host

guest-test: all
	@scripts/test.sh guest

check: deps
	@scripts/check.sh

bench: all
	@scripts/bench.sh

bench-collect: all
	@scripts/bench.sh collect

bench-ns: all
	@scripts/bench.sh ns

bench-kernels: all
	@scripts/bench.sh kernels

hostile-full: all
	@scripts/test.sh hostile-full

# Only the outputs of this checkout's variant; the kernel slots stay.
clean:
	rm -rf "$$(KERNEL=$(KERNEL) scripts/kernel.sh dir | sed 's|/kernel/|/out/|')"

distclean:
	rm -rf "$(AUDITNS_CACHE)"
