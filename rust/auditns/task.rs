// SPDX-License-Identifier: GPL-2.0

//! What the container-ID policy needs to know of a task, on top of the
//! kernel crate's [`Task`].
//!
//! Fields of `task_struct` are read through C helpers, which say how each
//! is read (`rcu_dereference()` for `real_parent`), not through
//! `bindings::task_struct`. Without `CONFIG_SCHEDSTATS`, unpatched 6.12
//! bindings misplace every field after the empty, cache-line aligned
//! `struct sched_statistics` by 16 bytes, which the series' bindgen patch
//! fixes; the helpers do not depend on that.

use kernel::{bindings, error::to_result, prelude::*, sync::rcu, task::Task};

/// The task behind a task pointer that C passes.
///
/// # Safety
///
/// `ptr` must be null or point to a task that stays valid for `'a`: the
/// caller holds a reference to it, it is `current`, or an RCU read lock
/// held for `'a` protects it.
pub(crate) unsafe fn task_from_ptr<'a>(ptr: *mut bindings::task_struct) -> Option<&'a Task> {
    // SAFETY: `Task` is a transparent wrapper of `task_struct`, and the
    // caller guarantees that a non-null `ptr` is valid for `'a`.
    unsafe { ptr.cast::<Task>().as_ref() }
}

/// Calls `f` with the current task.
pub(crate) fn with_current<R>(f: impl FnOnce(&Task) -> R) -> R {
    f(kernel::current!())
}

/// Calls `f` with the initial task (PID 0, `init_task`).
pub(crate) fn with_init_task<R>(f: impl FnOnce(&Task) -> R) -> R {
    // SAFETY: `Task` is a transparent wrapper of `task_struct`, and
    // `init_task` is a static task, never freed.
    let task = unsafe { &*core::ptr::addr_of!(bindings::init_task).cast::<Task>() };
    f(task)
}

/// Tells one process (thread group) from another for as long as the system
/// runs: its PID in the initial PID namespace and its leader's start time,
/// so that a later process that reuses the PID is not mistaken for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ProcessId {
    tgid: i32,
    start_time: u64,
}

impl ProcessId {
    /// Whether the process still exists: it runs, or it has exited and its
    /// parent has not reaped it yet.
    pub(crate) fn exists(self, rcu: &rcu::Guard) -> bool {
        // SAFETY: `rcu` holds the RCU read lock that `find_pid_ns()` needs;
        // `init_pid_ns` is a static that lives as long as the kernel, and
        // only its address is taken.
        let pid = unsafe {
            bindings::find_pid_ns(self.tgid, core::ptr::addr_of_mut!(bindings::init_pid_ns))
        };
        if pid.is_null() {
            return false;
        }
        // SAFETY: `pid` is valid while `rcu` is held.
        let leader = unsafe { bindings::pid_task(pid, bindings::pid_type_PIDTYPE_TGID) };
        // SAFETY: RCU keeps the task that `pid_task()` returns valid while
        // `rcu` is held.
        unsafe { task_from_ptr(leader) }.is_some_and(|task| task.process_id(rcu) == self)
    }
}

/// The facts of a task that audit uses.
pub(crate) trait AuditTask {
    /// The task's process ID in the initial PID namespace.
    fn tgid(&self) -> i32;
    /// The task's audit container ID, `u64::MAX` if unset.
    fn contid(&self) -> u64;
    /// Gives the task, a single-threaded process without children, an
    /// audit container ID, which its future children inherit.
    ///
    /// Fails with `EBUSY` if the task has other threads or children.
    fn set_contid(&self, contid: u64) -> Result;
    /// Whether the task leads its thread group and the group has no other
    /// thread.
    fn is_single_threaded_leader(&self) -> bool;
    /// Whether every thread of the task's process has begun to exit: in
    /// `do_exit()`, true for the last of them.
    ///
    /// Only for a task that ran: a task whose fork failed may have no
    /// signal struct of its own.
    fn group_dead(&self) -> bool;
    /// Whether the task has child processes (a racy answer, as `/proc`
    /// gives).
    fn has_children(&self) -> bool;
    /// The task's login uid in the initial user namespace.
    fn loginuid(&self) -> u32;
    /// The task's audit session ID.
    fn sessionid(&self) -> u32;
    /// The process the task belongs to.
    fn process_id(&self, rcu: &rcu::Guard) -> ProcessId;
    /// The task's real parent; `None` for the idle task, which is its own
    /// parent.
    fn real_parent<'r>(&'r self, rcu: &'r rcu::Guard) -> Option<&'r Task>;
    /// Whether the task belongs to `ancestor` or descends from it.
    fn descends_from(&self, ancestor: ProcessId, rcu: &rcu::Guard) -> bool;
}

// Every method reads the task through `as_ptr()`, which is valid while
// `&self` is.
impl AuditTask for Task {
    fn tgid(&self) -> i32 {
        // SAFETY: `self` is a valid task.
        unsafe { bindings::task_tgid_nr(self.as_ptr()) }
    }

    fn contid(&self) -> u64 {
        // SAFETY: `self` is a valid task.
        unsafe { bindings::audit_get_contid(self.as_ptr()) }
    }

    fn set_contid(&self, contid: u64) -> Result {
        // SAFETY: `self` is a valid task.
        to_result(unsafe { bindings::audit_set_task_contid(self.as_ptr(), contid) })
    }

    fn is_single_threaded_leader(&self) -> bool {
        // SAFETY: `self` is a valid task.
        unsafe {
            bindings::thread_group_leader(self.as_ptr())
                && bindings::thread_group_empty(self.as_ptr())
        }
    }

    fn group_dead(&self) -> bool {
        // SAFETY: `self` is a valid task; a task that ran keeps its signal
        // struct until it is freed.
        unsafe { bindings::task_group_dead(self.as_ptr()) }
    }

    fn has_children(&self) -> bool {
        // SAFETY: `self` is a valid task.
        unsafe { bindings::task_has_children(self.as_ptr()) }
    }

    fn loginuid(&self) -> u32 {
        // SAFETY: `self` is a valid task; `init_user_ns` is a static that
        // lives forever.
        unsafe {
            bindings::from_kuid(
                core::ptr::addr_of_mut!(bindings::init_user_ns),
                bindings::audit_get_loginuid(self.as_ptr()),
            )
        }
    }

    fn sessionid(&self) -> u32 {
        // SAFETY: `self` is a valid task.
        unsafe { bindings::audit_get_sessionid(self.as_ptr()) }
    }

    fn process_id(&self, _rcu: &rcu::Guard) -> ProcessId {
        // SAFETY: `self` is a valid task; its group leader is a task that
        // RCU keeps valid while `_rcu` is held, and `start_time` never
        // changes after fork.
        let start_time =
            unsafe { bindings::task_start_time(bindings::task_group_leader(self.as_ptr())) };
        ProcessId {
            tgid: self.tgid(),
            start_time,
        }
    }

    fn real_parent<'r>(&'r self, _rcu: &'r rcu::Guard) -> Option<&'r Task> {
        let task = self.as_ptr();
        // SAFETY: `task` is valid and `_rcu` holds the RCU read lock that
        // `real_parent` needs.
        let parent = unsafe { bindings::task_real_parent(task) };
        if parent == task {
            return None;
        }
        // SAFETY: RCU keeps the parent valid while `_rcu` is held, for 'r.
        unsafe { task_from_ptr(parent) }
    }

    fn descends_from(&self, ancestor: ProcessId, rcu: &rcu::Guard) -> bool {
        let mut walker = Some(self);
        while let Some(task) = walker {
            if task.process_id(rcu) == ancestor {
                return true;
            }
            walker = task.real_parent(rcu);
        }
        false
    }
}
