// SPDX-License-Identifier: GPL-2.0

//! Safe views of tasks, for the facts the container-ID policy needs.
//!
//! Fields of `task_struct` are read through C helpers, never through
//! `bindings::task_struct`: bindgen drops the alignment of the empty,
//! cache-line aligned `struct sched_statistics` (no `CONFIG_SCHEDSTATS`),
//! which puts every later field 16 bytes early in Rust's view.

use core::{marker::PhantomData, ptr::NonNull};
use kernel::{bindings, error::to_result, prelude::*};

/// Holds the RCU read lock while alive.
///
/// Tasks reached through pointers that RCU protects (a task's real parent,
/// its group leader) stay valid while a guard lives.
pub(crate) struct RcuReadGuard(PhantomData<*mut ()>);

impl RcuReadGuard {
    /// Takes the RCU read lock.
    pub(crate) fn new() -> Self {
        // SAFETY: `rcu_read_lock()` may be called in any context; the guard
        // is not `Send`, so `drop` unlocks on the same CPU context.
        unsafe { bindings::rcu_read_lock() };
        Self(PhantomData)
    }
}

impl Drop for RcuReadGuard {
    fn drop(&mut self) {
        // SAFETY: `new` took the RCU read lock that this releases.
        unsafe { bindings::rcu_read_unlock() };
    }
}

/// Tells one process (thread group) from another for as long as the system
/// runs: its PID in the initial PID namespace and its leader's start time,
/// so that a later process that reuses the PID is not mistaken for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ProcessId {
    tgid: i32,
    start_time: u64,
}

/// A task that is kept alive for `'a`.
///
/// # Invariants
///
/// `ptr` points to a valid `task_struct` for all of `'a`.
#[derive(Clone, Copy)]
pub(crate) struct TaskRef<'a> {
    ptr: NonNull<bindings::task_struct>,
    _lifetime: PhantomData<&'a bindings::task_struct>,
}

impl<'a> TaskRef<'a> {
    /// Wraps a task pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must be null or point to a task that stays valid for `'a`: the
    /// caller holds a reference to it, it is `current`, or an RCU read lock
    /// held for `'a` protects it.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::task_struct) -> Option<Self> {
        // INVARIANT: the caller guarantees validity for `'a`.
        NonNull::new(ptr).map(|ptr| Self {
            ptr,
            _lifetime: PhantomData,
        })
    }

    /// Calls `f` with the current task.
    pub(crate) fn with_current<R>(f: impl FnOnce(TaskRef<'_>) -> R) -> R {
        // SAFETY: `get_current()` never returns null, and the current task
        // stays valid while it runs this function.
        let current = unsafe { Self::from_raw(bindings::get_current()) };
        f(current.expect("current is never null"))
    }

    /// The raw pointer, for C functions that take a task.
    pub(crate) fn as_ptr(self) -> *mut bindings::task_struct {
        self.ptr.as_ptr()
    }

    /// The task's process ID in the initial PID namespace.
    pub(crate) fn tgid(self) -> i32 {
        // SAFETY: the type invariant says `ptr` is a valid task.
        unsafe { bindings::task_tgid_nr(self.as_ptr()) }
    }

    /// The task's audit container ID, `u64::MAX` if unset.
    pub(crate) fn contid(self) -> u64 {
        // SAFETY: the type invariant says `ptr` is a valid task.
        unsafe { bindings::audit_get_contid(self.as_ptr()) }
    }

    /// Gives the task, a single-threaded process without children, an audit
    /// container ID, which its future children inherit.
    ///
    /// Fails with `EBUSY` if the task has other threads or children.
    pub(crate) fn set_contid(self, contid: u64) -> Result {
        // SAFETY: the type invariant says `ptr` is a valid task.
        to_result(unsafe { bindings::audit_set_task_contid(self.as_ptr(), contid) })
    }

    /// Whether the task leads its thread group and the group has no other thread.
    pub(crate) fn is_single_threaded_leader(self) -> bool {
        // SAFETY: the type invariant says `ptr` is a valid task.
        unsafe {
            bindings::thread_group_leader(self.as_ptr())
                && bindings::thread_group_empty(self.as_ptr())
        }
    }

    /// Whether every thread of the task's process has begun to exit: in
    /// `do_exit()`, true for the last of them.
    ///
    /// Only for a task that ran: a task whose fork failed may have no
    /// signal struct of its own.
    pub(crate) fn group_dead(self) -> bool {
        // SAFETY: the type invariant says `ptr` is a valid task; a task
        // that ran keeps its signal struct until it is freed.
        unsafe { bindings::task_group_dead(self.as_ptr()) }
    }

    /// Whether the task has child processes (a racy answer, as `/proc` gives).
    pub(crate) fn has_children(self) -> bool {
        // SAFETY: the type invariant says `ptr` is a valid task.
        unsafe { bindings::task_has_children(self.as_ptr()) }
    }

    /// The task's login uid in the initial user namespace.
    pub(crate) fn loginuid(self) -> u32 {
        // SAFETY: the type invariant says `ptr` is a valid task;
        // `init_user_ns` is a static that lives forever.
        unsafe {
            bindings::from_kuid(
                core::ptr::addr_of_mut!(bindings::init_user_ns),
                bindings::audit_get_loginuid(self.as_ptr()),
            )
        }
    }

    /// The task's audit session ID.
    pub(crate) fn sessionid(self) -> u32 {
        // SAFETY: the type invariant says `ptr` is a valid task.
        unsafe { bindings::audit_get_sessionid(self.as_ptr()) }
    }

    /// The process the task belongs to.
    pub(crate) fn process_id(self, _rcu: &RcuReadGuard) -> ProcessId {
        // SAFETY: the task is valid (type invariant); its group leader is a
        // task that RCU keeps valid while `_rcu` is held, and `start_time`
        // never changes after fork.
        let start_time =
            unsafe { bindings::task_start_time(bindings::task_group_leader(self.as_ptr())) };
        ProcessId {
            tgid: self.tgid(),
            start_time,
        }
    }

    /// The task's real parent; `None` for the idle task, which is its own parent.
    pub(crate) fn real_parent<'r>(self, _rcu: &'r RcuReadGuard) -> Option<TaskRef<'r>> {
        let task = self.as_ptr();
        // SAFETY: `task` is valid (type invariant) and `_rcu` holds the RCU
        // read lock that `real_parent` needs.
        let parent = unsafe { bindings::task_real_parent(task) };
        if parent == task {
            return None;
        }
        // SAFETY: RCU keeps the parent valid while `_rcu`, which outlives 'r, is held.
        unsafe { TaskRef::from_raw(parent) }
    }

    /// Whether the task belongs to `ancestor` or descends from it.
    pub(crate) fn descends_from(self, ancestor: ProcessId, rcu: &RcuReadGuard) -> bool {
        let mut walker = Some(self.shorten(rcu));
        while let Some(task) = walker {
            if task.process_id(rcu) == ancestor {
                return true;
            }
            walker = task.real_parent(rcu);
        }
        false
    }

    /// The same task, for the (shorter) life of an RCU guard.
    fn shorten<'r>(self, _rcu: &'r RcuReadGuard) -> TaskRef<'r>
    where
        'a: 'r,
    {
        self
    }
}
