// SPDX-License-Identifier: GPL-2.0

//! The audit core's services that the policy uses besides its hooks, as
//! safe functions over the functions the series exports.

use crate::rule;
use kernel::{
    bindings, net::namespace::Namespace as NetNamespace, task::Task, user_namespace::UserNamespace,
};

/// Whether audit is enabled (`audit=1`, or `auditctl -e 1`).
pub(crate) fn enabled() -> bool {
    // SAFETY: `audit_enabled` is an aligned, always initialised `u32` static
    // exported by the audit core. It changes only under `audit_cmd_mutex`,
    // which is not held here, so it is read the way C reads it, with
    // `READ_ONCE()` (a volatile load); a stale value is as good as a read
    // just before a concurrent change.
    let enabled = unsafe { core::ptr::read_volatile(core::ptr::addr_of!(bindings::audit_enabled)) };
    enabled != bindings::AUDIT_OFF
}

/// Whether the current task has `cap` in the initial user namespace, as
/// capable() decides (and records: it marks the task as having used it).
pub(crate) fn current_capable(cap: u32) -> bool {
    let Ok(cap) = i32::try_from(cap) else {
        return false;
    };
    // SAFETY: capable() checks the current task, which is live.
    unsafe { bindings::capable(cap) }
}

/// The namespaces of `task` and the device of nsfs, in a context that
/// may sleep.
pub(crate) fn task_ns_ids(task: &Task) -> bindings::audit_ext_ns_ids {
    let mut ids = bindings::audit_ext_ns_ids::default();
    // SAFETY: `task` is borrowed, so live; `ids` is a local.
    unsafe { bindings::audit_ext_task_ns_ids(task.as_ptr(), &mut ids) };
    ids
}

/// Current's ids (uid, gid and their kin, the login uid) as `ns` sees
/// them.
pub(crate) fn current_ids(ns: &UserNamespace) -> bindings::audit_ext_ids {
    let mut ids = bindings::audit_ext_ids::default();
    // SAFETY: `ns` is borrowed, so live; `ids` is a local.
    unsafe { bindings::audit_ext_current_ids(ns.as_ptr(), &mut ids) };
    ids
}

/// Writes the start of a record outside any event, `audit(SECONDS.MS:SERIAL): `
/// with the current time and a new serial number, as audit_log_start()
/// takes them, NUL-terminated, into `out`; returns its length without the
/// NUL, cut to what `out` holds.
pub(crate) fn format_stamp(out: &mut [u8]) -> usize {
    if out.is_empty() {
        return 0;
    }
    // SAFETY: `out` is writable for its length.
    let len = unsafe { bindings::audit_ext_format_stamp(out.as_mut_ptr().cast(), out.len()) };
    usize::try_from(len).unwrap_or(0).min(out.len() - 1)
}

/// The syscalls of class `class` (`AUDIT_CLASS_*`), as the architecture
/// registered them at boot.
pub(crate) fn syscall_class(class: usize) -> Option<&'static [u32; rule::BITMASK_WORDS]> {
    let class = u32::try_from(class).ok()?;
    // SAFETY: a lookup in a table that is written at boot only.
    let syscalls = unsafe { bindings::audit_ext_syscall_class(class) };
    // SAFETY: a registered class is a static array of AUDIT_BITMASK_SIZE
    // words, never freed.
    (!syscalls.is_null()).then(|| unsafe { &*syscalls.cast::<[u32; rule::BITMASK_WORDS]>() })
}

/// Sends SIGKILL to every process whose credentials are in `ns` or in a
/// namespace it owns: a namespace's failure action 2. Returns how many
/// were signalled, or `EINVAL` for the initial user namespace.
pub(crate) fn kill_userns(ns: &UserNamespace) -> kernel::error::Result<i32> {
    // SAFETY: `ns` is borrowed, so live.
    let killed = unsafe { bindings::audit_ext_kill_userns(ns.as_ptr()) };
    kernel::error::to_result(killed).map(|()| killed)
}

/// Sends the record `text` of `msg_type` to the socket `portid` of `net`
/// without blocking: 0, `-EAGAIN` if that socket is full, or another
/// negative errno for a record lost.
pub(crate) fn unicast(net: &NetNamespace, portid: u32, msg_type: u16, text: &[u8]) -> i32 {
    // SAFETY: `net` is borrowed, so live; `text` is readable for its length.
    unsafe {
        bindings::audit_ext_unicast(
            net.as_ptr(),
            portid,
            i32::from(msg_type),
            text.as_ptr().cast(),
            text.len(),
        )
    }
}

/// The size of the allocation kmalloc() makes for `len` bytes.
pub(crate) fn kmalloc_size_roundup(len: usize) -> usize {
    // SAFETY: a computation on sizes only.
    unsafe { bindings::kmalloc_size_roundup(len) }
}

/// A count of the watches and trees on the machine that went with their
/// directory or mount: a rule's marks need a look only after it moved.
pub(crate) fn watches_gone() -> u32 {
    // SAFETY: reads a counter; any context.
    unsafe { bindings::audit_ext_gone() }
}
