// SPDX-License-Identifier: GPL-2.0

//! Counted references to the kernel objects a namespace's audit state
//! keeps: the daemon's network namespace, PID namespace and process.

use crate::task::{with_current, AuditTask};
use core::ptr::NonNull;
use kernel::{bindings, sync::rcu, task::Task};

/// A user namespace, identified by address.
///
/// It is not counted: the state kept for a user namespace is dropped by the
/// `userns_free` hook before the namespace is freed, so a `UserNs` held in
/// that state is valid for as long as the state is reachable.
///
/// # Invariants
///
/// `0` points to a user namespace that is live while `self` is used.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserNs(NonNull<bindings::user_namespace>);

// SAFETY: a user namespace may be used from any thread; `UserNs` is only an
// address with the liveness guarantee above.
unsafe impl Send for UserNs {}
// SAFETY: as above; no method mutates the namespace.
unsafe impl Sync for UserNs {}

impl UserNs {
    /// The current task's user namespace.
    pub(crate) fn current() -> Self {
        // SAFETY: `current_user_ns()` reads current's credentials, which
        // hold a reference to their user namespace while current runs.
        let ns = unsafe { bindings::current_user_ns() };
        // INVARIANT: it is live while current runs.
        Self(NonNull::new(ns).expect("current has a user namespace"))
    }

    /// Wraps a user namespace the caller keeps live.
    ///
    /// # Safety
    ///
    /// `ptr` must be null or point to a user namespace that stays live
    /// while the result is used.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::user_namespace) -> Option<Self> {
        NonNull::new(ptr).map(Self)
    }

    /// The raw pointer, for C functions.
    pub(crate) fn as_ptr(self) -> *mut bindings::user_namespace {
        self.0.as_ptr()
    }

    /// Whether this is the initial user namespace.
    pub(crate) fn is_initial(self) -> bool {
        core::ptr::eq(
            self.as_ptr(),
            core::ptr::addr_of_mut!(bindings::init_user_ns),
        )
    }

    /// The inode number that names the namespace in nsfs.
    pub(crate) fn inum(self) -> u32 {
        // SAFETY: `self` is live (type invariant); the number never changes.
        unsafe { bindings::user_ns_inum(self.as_ptr()) }
    }

    /// The parent namespace; `None` for the initial one.
    pub(crate) fn parent(self) -> Option<Self> {
        // SAFETY: `self` is live (type invariant) and a namespace holds a
        // reference to its parent, so the parent is live at least as long.
        let parent = unsafe { bindings::user_ns_parent(self.as_ptr()) };
        NonNull::new(parent).map(Self)
    }

    /// Whether this is `ancestor` or a namespace below it.
    pub(crate) fn descends_from(self, ancestor: UserNs) -> bool {
        let mut walker = Some(self);
        while let Some(ns) = walker {
            if ns == ancestor {
                return true;
            }
            walker = ns.parent();
        }
        false
    }

    /// Whom this namespace's audit state is charged to: the host user who
    /// created its outermost ancestor below the initial namespace, so that
    /// namespaces nested inside one user's namespace, whatever ids they are
    /// created with, all count against that user, as `ucounts` charge the
    /// initial namespace's share of nested namespaces. The host's root
    /// creates every container of a container runtime, each a tenant of
    /// its own: its namespaces are charged per outermost namespace.
    pub(crate) fn charge_key(self) -> ChargeKey {
        let mut top = self;
        while let Some(parent) = top.parent() {
            if parent.is_initial() {
                break;
            }
            top = parent;
        }
        // SAFETY: `top` is `self` or an ancestor, which `self` keeps live;
        // a namespace's owner never changes.
        let uid = unsafe { bindings::user_ns_owner(top.as_ptr()) }.val;
        ChargeKey {
            uid,
            // An address, compared only: the outermost namespace outlives
            // every namespace charged with it.
            top: if uid == 0 { top.as_ptr() as usize } else { 0 },
        }
    }

    /// `host_uid` (in the initial namespace) as this namespace sees it.
    pub(crate) fn uid_from_host(self, host_uid: u32) -> u32 {
        // SAFETY: both namespaces are live; the functions only read the maps.
        unsafe {
            let kuid =
                bindings::make_kuid(core::ptr::addr_of_mut!(bindings::init_user_ns), host_uid);
            bindings::from_kuid_munged(self.as_ptr(), kuid)
        }
    }

    /// `host_gid` (in the initial namespace) as this namespace sees it.
    pub(crate) fn gid_from_host(self, host_gid: u32) -> u32 {
        // SAFETY: both namespaces are live; the functions only read the maps.
        unsafe {
            let kgid =
                bindings::make_kgid(core::ptr::addr_of_mut!(bindings::init_user_ns), host_gid);
            bindings::from_kgid_munged(self.as_ptr(), kgid)
        }
    }
}

/// Whom a namespace's audit state is charged to; see [`UserNs::charge_key`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChargeKey {
    /// The host uid.
    uid: u32,
    /// For the host's root, the outermost namespace's address; else 0.
    top: usize,
}

/// A counted reference to a user namespace.
///
/// # Invariants
///
/// `0` holds a reference taken with `get_user_ns()`.
pub(crate) struct UserNsRef(UserNs);

// SAFETY: user namespace references may be taken and dropped anywhere.
unsafe impl Send for UserNsRef {}
// SAFETY: the methods only read.
unsafe impl Sync for UserNsRef {}

impl UserNsRef {
    /// Takes a reference to `ns`, which is live now (`UserNs` invariant).
    pub(crate) fn get(ns: UserNs) -> Self {
        // SAFETY: `ns` is live; `get_user_ns()` only counts.
        unsafe { bindings::get_user_ns(ns.as_ptr()) };
        // INVARIANT: a reference was just taken.
        Self(ns)
    }

    /// The namespace, live while `self` is.
    pub(crate) fn ns(&self) -> UserNs {
        self.0
    }
}

impl Drop for UserNsRef {
    fn drop(&mut self) {
        // SAFETY: the type invariant says a reference is held; it is
        // dropped once. `put_user_ns()` frees from a worker, so this may
        // run anywhere.
        unsafe { bindings::put_user_ns(self.0.as_ptr()) };
    }
}

/// A counted reference to a PID namespace.
///
/// # Invariants
///
/// `0` holds a reference taken with `get_pid_ns()`.
pub(crate) struct PidNsRef(NonNull<bindings::pid_namespace>);

// SAFETY: PID namespace references may be taken and dropped on any thread.
unsafe impl Send for PidNsRef {}
// SAFETY: the methods only read the namespace.
unsafe impl Sync for PidNsRef {}

impl PidNsRef {
    /// The PID namespace of the current task's view.
    pub(crate) fn current() -> Self {
        // SAFETY: current's active PID namespace is live while current runs;
        // `get_pid_ns()` takes a reference that keeps it beyond.
        let ns =
            unsafe { bindings::get_pid_ns(bindings::task_active_pid_ns(bindings::get_current())) };
        // INVARIANT: a reference was just taken.
        Self(NonNull::new(ns).expect("current has a PID namespace"))
    }

    /// `host_pid` (in the initial PID namespace) as this namespace sees it,
    /// 0 if it is not visible there or no longer exists.
    pub(crate) fn pid_from_host(&self, host_pid: u32) -> u32 {
        let Ok(nr) = i32::try_from(host_pid) else {
            return 0;
        };
        let _rcu = rcu::read_lock();
        // SAFETY: the RCU read lock is held, as `find_pid_ns()` needs, and it
        // keeps the `struct pid` it returns alive for `pid_nr_ns()`; the
        // namespace is live by the type invariant.
        let nr = unsafe {
            let pid = bindings::find_pid_ns(nr, core::ptr::addr_of_mut!(bindings::init_pid_ns));
            if pid.is_null() {
                return 0;
            }
            bindings::pid_nr_ns(pid, self.0.as_ptr())
        };
        u32::try_from(nr).unwrap_or(0)
    }

    /// The process ID of the current task in this namespace, 0 if outside.
    pub(crate) fn current_tgid(&self) -> u32 {
        // SAFETY: current is live; the namespace is live (type invariant).
        let nr = unsafe {
            bindings::__task_pid_nr_ns(
                bindings::get_current(),
                bindings::pid_type_PIDTYPE_TGID,
                self.0.as_ptr(),
            )
        };
        u32::try_from(nr).unwrap_or(0)
    }

    /// The process ID of the current task's parent in this namespace.
    pub(crate) fn current_ppid(&self) -> u32 {
        let rcu = rcu::read_lock();
        with_current(|current| {
            let Some(parent) = current.real_parent(&rcu) else {
                return 0;
            };
            // SAFETY: RCU keeps the parent live while `rcu` is held; the
            // namespace is live (type invariant).
            let nr = unsafe {
                bindings::__task_pid_nr_ns(
                    parent.as_ptr(),
                    bindings::pid_type_PIDTYPE_TGID,
                    self.0.as_ptr(),
                )
            };
            u32::try_from(nr).unwrap_or(0)
        })
    }
}

impl Drop for PidNsRef {
    fn drop(&mut self) {
        // SAFETY: the type invariant says a reference is held; it is dropped once.
        unsafe { bindings::put_pid_ns(self.0.as_ptr()) };
    }
}

/// A counted reference to a network namespace.
///
/// # Invariants
///
/// `0` holds a reference taken with `get_net()`.
pub(crate) struct NetRef(NonNull<bindings::net>);

// SAFETY: network namespace references may be taken and dropped anywhere.
unsafe impl Send for NetRef {}
// SAFETY: the methods only pass the pointer to C functions that may run
// concurrently.
unsafe impl Sync for NetRef {}

impl NetRef {
    /// Takes a reference to `net`.
    ///
    /// # Safety
    ///
    /// `net` must point to a live network namespace.
    pub(crate) unsafe fn get(net: *mut bindings::net) -> Option<Self> {
        // SAFETY: the caller guarantees `net` is live.
        NonNull::new(net)
            .map(|net| Self(unsafe { NonNull::new_unchecked(bindings::get_net(net.as_ptr())) }))
    }

    /// The raw pointer, for C functions.
    pub(crate) fn as_ptr(&self) -> *mut bindings::net {
        self.0.as_ptr()
    }
}

impl Clone for NetRef {
    fn clone(&self) -> Self {
        // SAFETY: `self` holds a reference, so the namespace is live.
        unsafe { Self(NonNull::new_unchecked(bindings::get_net(self.as_ptr()))) }
    }
}

impl Drop for NetRef {
    fn drop(&mut self) {
        // SAFETY: the type invariant says a reference is held; it is dropped once.
        unsafe { bindings::put_net(self.0.as_ptr()) };
    }
}

/// A counted reference to a process's `struct pid`.
///
/// # Invariants
///
/// `0` holds a reference taken with `get_task_pid()`.
pub(crate) struct ProcessRef(NonNull<bindings::pid>);

// SAFETY: pid references may be taken and dropped anywhere.
unsafe impl Send for ProcessRef {}
// SAFETY: the methods only read.
unsafe impl Sync for ProcessRef {}

impl ProcessRef {
    /// The current process.
    pub(crate) fn current() -> Self {
        // SAFETY: current is live; `get_task_pid()` takes a reference.
        let pid = unsafe {
            bindings::get_task_pid(bindings::get_current(), bindings::pid_type_PIDTYPE_TGID)
        };
        // INVARIANT: a reference was just taken.
        Self(NonNull::new(pid).expect("current has a PID"))
    }

    /// The process `task` belongs to; `None` for a task that has no PID
    /// (one whose fork failed).
    pub(crate) fn of(task: &Task) -> Option<Self> {
        // SAFETY: `task` is a valid task; `get_task_pid()`
        // takes a reference, or returns null.
        let pid = unsafe { bindings::get_task_pid(task.as_ptr(), bindings::pid_type_PIDTYPE_TGID) };
        // INVARIANT: a non-null result holds a reference.
        NonNull::new(pid).map(Self)
    }

    /// The `struct pid`, as an identity.
    pub(crate) fn as_ptr(&self) -> *mut bindings::pid {
        self.0.as_ptr()
    }

    /// Whether the process still runs.
    pub(crate) fn is_alive(&self) -> bool {
        let _rcu = rcu::read_lock();
        // SAFETY: the pid is live (type invariant); `pid_task()` needs the
        // RCU read lock, which is held.
        !unsafe { bindings::pid_task(self.0.as_ptr(), bindings::pid_type_PIDTYPE_TGID) }.is_null()
    }

    /// Whether this is the current process.
    pub(crate) fn is_current(&self) -> bool {
        // SAFETY: the pid is live (type invariant); `init_pid_ns` is a static.
        let nr = unsafe {
            bindings::pid_nr_ns(
                self.0.as_ptr(),
                core::ptr::addr_of_mut!(bindings::init_pid_ns),
            )
        };
        let current = with_current(|task| task.tgid());
        // A live process keeps its number, so a match is not a reuse.
        nr == current && self.is_alive()
    }

    /// The process ID in `view`, 0 if not visible there.
    pub(crate) fn nr_in(&self, view: &PidNsRef) -> u32 {
        // SAFETY: both are live by their type invariants.
        let nr = unsafe { bindings::pid_nr_ns(self.0.as_ptr(), view.0.as_ptr()) };
        u32::try_from(nr).unwrap_or(0)
    }
}

impl Drop for ProcessRef {
    fn drop(&mut self) {
        // SAFETY: the type invariant says a reference is held; it is dropped once.
        unsafe { bindings::put_pid(self.0.as_ptr()) };
    }
}
