// SPDX-License-Identifier: GPL-2.0

//! Host-tunable limits, as sysctls in `/proc/sys/kernel/auditns/`.
//!
//! Any user may create a user namespace and be its root, so what a
//! namespace may make the kernel keep is bounded. Only the host's root can
//! change the bounds: the files are the host's, mode 0644.

use core::cell::UnsafeCell;
use core::ptr::NonNull;
use kernel::{bindings, c_str, ffi::c_int, prelude::*};

/// An `int` that a sysctl reads and writes.
#[repr(transparent)]
pub(crate) struct Tunable(UnsafeCell<c_int>);

// SAFETY: the value is read with volatile loads (READ_ONCE) and written only
// by `proc_dointvec_minmax()` or `Tunable::set`, single aligned int stores
// (`set` under the registry's lock); a reader sees the old or the new value.
unsafe impl Sync for Tunable {}

impl Tunable {
    const fn new(value: c_int) -> Self {
        Self(UnsafeCell::new(value))
    }

    /// Sets the value of a read-only file (a count the module keeps).
    pub(crate) fn set(&self, value: usize) {
        let value = c_int::try_from(value).unwrap_or(c_int::MAX);
        // SAFETY: the pointer is valid for the static's life; see `Sync`.
        unsafe { core::ptr::write_volatile(self.0.get(), value) };
    }

    /// The current value.
    pub(crate) fn get(&self) -> usize {
        // SAFETY: the pointer is valid for the static's life; see `Sync`.
        let value = unsafe { core::ptr::read_volatile(self.0.get()) };
        usize::try_from(value).unwrap_or(0)
    }

    const fn as_ptr(&self) -> *mut core::ffi::c_void {
        self.0.get().cast()
    }
}

/// Rules one namespace may hold, all lists together.
pub(crate) static MAX_RULES: Tunable = Tunable::new(1024);
/// Namespaces with audit state at once.
pub(crate) static MAX_NAMESPACES: Tunable = Tunable::new(4096);
/// Namespaces with audit state at once that one host user (or one of the
/// host root's containers) is charged for (see `UserNs::charge_key`), so
/// that no tenant can take every slot.
pub(crate) static MAX_NAMESPACES_PER_OWNER: Tunable = Tunable::new(256);
/// Paths that the rules of one owner's namespaces, all together, have the
/// kernel follow (watches, executables, directory trees): each is an
/// fsnotify mark, which every change to the directory it sits on visits,
/// whoever makes the change. As inotify's instances, it bounds what one
/// user adds to everyone's file system operations.
pub(crate) static MAX_WATCHES_PER_OWNER: Tunable = Tunable::new(256);
/// Watches (paths and executables) that the rules of every namespace
/// together have on one directory: the sum over owners that
/// `MAX_WATCHES_PER_OWNER` does not bound. By default what one owner may
/// hold in all, so that no directory costs more than one owner's whole
/// budget can make it cost.
pub(crate) static MAX_WATCHES_PER_DIR: Tunable = Tunable::new(256);
/// KiB of records one namespace may have queued.
pub(crate) static MAX_QUEUED_KIB: Tunable = Tunable::new(1024);
/// Namespaces with audit state now (read-only), for admins and tests.
pub(crate) static NAMESPACES: Tunable = Tunable::new(0);
/// Registered namespace daemons now (read-only), for admins and tests.
pub(crate) static DAEMONS: Tunable = Tunable::new(0);

static ZERO: Tunable = Tunable::new(0);
static ONE: Tunable = Tunable::new(1);
/// Rule indexes are 16 bits; this stays well below.
static RULES_CEILING: Tunable = Tunable::new(16384);
static NAMESPACES_CEILING: Tunable = Tunable::new(1 << 20);
static KIB_CEILING: Tunable = Tunable::new(1 << 20);

/// The sysctl table; the kernel only reads it.
struct Table(UnsafeCell<[bindings::ctl_table; ENTRIES]>);

/// The number of files in `kernel/auditns/`.
const ENTRIES: usize = 8;

// SAFETY: the table is never written after it is built at compile time.
unsafe impl Sync for Table {}

const fn entry(
    name: &'static kernel::str::CStr,
    value: &'static Tunable,
    ceiling: &'static Tunable,
) -> bindings::ctl_table {
    bounded(name, value, &ONE, ceiling)
}

const fn bounded(
    name: &'static kernel::str::CStr,
    value: &'static Tunable,
    floor: &'static Tunable,
    ceiling: &'static Tunable,
) -> bindings::ctl_table {
    bindings::ctl_table {
        procname: name.as_char_ptr(),
        data: value.as_ptr(),
        maxlen: core::mem::size_of::<c_int>() as c_int,
        mode: 0o644,
        proc_handler: Some(bindings::proc_dointvec_minmax),
        poll: core::ptr::null_mut(),
        extra1: floor.as_ptr(),
        extra2: ceiling.as_ptr(),
    }
}

/// A read-only file showing a count the module keeps.
const fn count(name: &'static kernel::str::CStr, value: &'static Tunable) -> bindings::ctl_table {
    bindings::ctl_table {
        procname: name.as_char_ptr(),
        data: value.as_ptr(),
        maxlen: core::mem::size_of::<c_int>() as c_int,
        mode: 0o444,
        proc_handler: Some(bindings::proc_dointvec),
        poll: core::ptr::null_mut(),
        extra1: core::ptr::null_mut(),
        extra2: core::ptr::null_mut(),
    }
}

static TABLE: Table = Table(UnsafeCell::new([
    entry(c_str!("max_rules"), &MAX_RULES, &RULES_CEILING),
    entry(
        c_str!("max_namespaces"),
        &MAX_NAMESPACES,
        &NAMESPACES_CEILING,
    ),
    entry(
        c_str!("max_namespaces_per_owner"),
        &MAX_NAMESPACES_PER_OWNER,
        &NAMESPACES_CEILING,
    ),
    // 0 keeps unprivileged namespaces from watching anything.
    bounded(
        c_str!("max_watches_per_owner"),
        &MAX_WATCHES_PER_OWNER,
        &ZERO,
        &NAMESPACES_CEILING,
    ),
    bounded(
        c_str!("max_watches_per_dir"),
        &MAX_WATCHES_PER_DIR,
        &ZERO,
        &NAMESPACES_CEILING,
    ),
    entry(c_str!("max_queued_kib"), &MAX_QUEUED_KIB, &KIB_CEILING),
    count(c_str!("namespaces"), &NAMESPACES),
    count(c_str!("daemons"), &DAEMONS),
]));

/// The registered sysctls; unregistered on drop.
///
/// # Invariants
///
/// `0` was returned by `register_sysctl_sz()` and not yet unregistered.
pub(crate) struct Sysctls(NonNull<bindings::ctl_table_header>);

// SAFETY: the header may be unregistered from any thread.
unsafe impl Send for Sysctls {}
// SAFETY: no method uses the header through a shared reference.
unsafe impl Sync for Sysctls {}

impl Sysctls {
    /// Registers `kernel/auditns/`.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: the path is a NUL-terminated string and the table a static
        // of `ENTRIES` valid entries whose data and bounds are statics too.
        let header = unsafe {
            bindings::register_sysctl_sz(
                c_str!("kernel/auditns").as_char_ptr(),
                TABLE.0.get().cast(),
                ENTRIES,
            )
        };
        // INVARIANT: a non-null header was just registered.
        NonNull::new(header).map(Self).ok_or(ENOMEM)
    }
}

impl Drop for Sysctls {
    fn drop(&mut self) {
        // SAFETY: the type invariant says the header is registered; this
        // waits for readers and writers of the files.
        unsafe { bindings::unregister_sysctl_table(self.0.as_ptr()) };
    }
}
