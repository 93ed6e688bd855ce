// SPDX-License-Identifier: GPL-2.0

//! How the module names a user namespace, and what it asks of the
//! kernel crate's namespace and process types.

use crate::task::{with_current, AuditTask};
use core::ptr::NonNull;
use kernel::{
    bindings, pid::KernelPid, pid_namespace::PidNamespace, sync::rcu, types::ARef,
    user_namespace::UserNamespace,
};

/// A user namespace, as the key of its audit state.
///
/// It is not counted, unlike `ARef<UserNamespace>`: a namespace's state
/// holds it, and a count would keep the namespace alive for as long as
/// its state, which is dropped only when the namespace is freed. Instead
/// the `userns_free` hook drops the state before the namespace is freed,
/// so a `UserNs` held in that state is valid while the state is reachable.
///
/// In that hook the namespace's count is already zero: it is still in
/// memory, but no longer a `UserNamespace` that may be borrowed or
/// counted. There the module uses the `UserNs` as an address only
/// ([`UserNs::as_ptr`]), never [`UserNs::get`] or [`UserNs::counted`].
///
/// # Invariants
///
/// `0` points to a user namespace that is live while `self` is used.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserNs(NonNull<UserNamespace>);

// SAFETY: `UserNamespace` is `Send`; `UserNs` is only its address, with
// the liveness guarantee above.
unsafe impl Send for UserNs {}
// SAFETY: `UserNamespace` is `Sync`; `UserNs` gives only shared access.
unsafe impl Sync for UserNs {}

impl UserNs {
    /// The current task's user namespace.
    pub(crate) fn current() -> Self {
        // SAFETY: `current_user_ns()` reads current's credentials, which
        // hold a reference to their user namespace, never null, while
        // current runs.
        let ns = unsafe { UserNamespace::from_ptr(bindings::current_user_ns()) };
        // INVARIANT: it is live while current runs.
        Self(NonNull::from(ns))
    }

    /// Wraps a user namespace the caller keeps live.
    ///
    /// # Safety
    ///
    /// `ptr` must be null or point to a user namespace that stays live
    /// while the result is used.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::user_namespace) -> Option<Self> {
        NonNull::new(ptr.cast()).map(Self)
    }

    /// The namespace, as the kernel crate's type.
    pub(crate) fn get(&self) -> &UserNamespace {
        // SAFETY: the namespace is live while `self` is used (type
        // invariant), which the borrow of `self` bounds.
        unsafe { self.0.as_ref() }
    }

    /// The raw pointer, for C functions.
    pub(crate) fn as_ptr(self) -> *mut bindings::user_namespace {
        self.0.as_ptr().cast()
    }

    /// Whether this is the initial user namespace.
    pub(crate) fn is_initial(self) -> bool {
        self.get().is_initial()
    }

    /// The inode number that names the namespace in nsfs.
    pub(crate) fn inum(self) -> u32 {
        self.get().inum()
    }

    /// The parent namespace; `None` for the initial one.
    pub(crate) fn parent(self) -> Option<Self> {
        // INVARIANT: a namespace holds its parent, which is therefore live
        // at least as long as `self` is.
        self.get()
            .parent()
            .map(|parent| Self(NonNull::from(parent)))
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

    /// A counted reference, for work done after the namespace's state may
    /// have been dropped.
    pub(crate) fn counted(self) -> ARef<UserNamespace> {
        self.get().into()
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
        let uid = top.get().owner_uid();
        ChargeKey {
            uid,
            // An address, compared only: the outermost namespace outlives
            // every namespace charged with it.
            top: if uid == 0 { top.as_ptr() as usize } else { 0 },
        }
    }

    /// `host_uid` (in the initial namespace) as this namespace sees it.
    pub(crate) fn uid_from_host(self, host_uid: u32) -> u32 {
        self.get().uid_from_initial(host_uid)
    }

    /// `host_gid` (in the initial namespace) as this namespace sees it.
    pub(crate) fn gid_from_host(self, host_gid: u32) -> u32 {
        self.get().gid_from_initial(host_gid)
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

/// The process IDs a daemon's PID namespace shows.
pub(crate) trait PidView {
    /// `host_pid` (in the initial PID namespace) as this namespace sees
    /// it, 0 if it is not visible there or no longer exists.
    fn pid_from_host(&self, host_pid: u32) -> u32;
    /// The process ID of the current task here, 0 if outside.
    fn current_tgid(&self) -> u32;
    /// The process ID of the current task's parent here, 0 if outside.
    fn current_ppid(&self) -> u32;
}

impl PidView for PidNamespace {
    fn pid_from_host(&self, host_pid: u32) -> u32 {
        let Ok(nr) = i32::try_from(host_pid) else {
            return 0;
        };
        let rcu = rcu::read_lock();
        KernelPid::find(nr, PidNamespace::initial(), &rcu)
            .map_or(0, |pid| u32::try_from(pid.nr_in(self)).unwrap_or(0))
    }

    fn current_tgid(&self) -> u32 {
        u32::try_from(kernel::current!().tgid_nr_ns(self)).unwrap_or(0)
    }

    fn current_ppid(&self) -> u32 {
        let rcu = rcu::read_lock();
        with_current(|current| {
            current.real_parent(&rcu).map_or(0, |parent| {
                u32::try_from(parent.tgid_nr_ns(self)).unwrap_or(0)
            })
        })
    }
}

/// The current task's process, counted.
pub(crate) fn current_process() -> Option<ARef<KernelPid>> {
    KernelPid::of_process(kernel::current!())
}

/// Whether `process` is the current task's, and still runs.
pub(crate) fn is_current_process(process: &KernelPid) -> bool {
    let nr = process.nr_in(PidNamespace::initial());
    let current = with_current(|task| task.tgid());
    // A live process keeps its number, so a match is not a reuse.
    nr == current && process.has_process()
}
