// SPDX-License-Identifier: GPL-2.0

//! Audit records, written through the audit core's exported functions.

use core::ptr::NonNull;
use kernel::{bindings, c_str};

/// An audit record being written; dropping it hands it to the audit core.
///
/// # Invariants
///
/// `0` is a buffer returned by `audit_log_start()` and not yet ended.
pub(crate) struct AuditRecord(NonNull<bindings::audit_buffer>);

impl AuditRecord {
    /// Starts a record of `msg_type`.
    ///
    /// With a context, the record joins that event (same serial number and
    /// time stamp); with a null one it stands alone. Returns `None` when the
    /// audit core will not take a record (not initialised, excluded by rules,
    /// backlog full, out of memory).
    ///
    /// # Safety
    ///
    /// `ctx` must be null or the audit context of the current task, and the
    /// caller must be allowed to sleep.
    pub(crate) unsafe fn start(ctx: *mut bindings::audit_context, msg_type: u32) -> Option<Self> {
        // SAFETY: the caller guarantees `ctx` and that GFP_KERNEL may sleep;
        // record types fit in an int.
        let ab = unsafe { bindings::audit_log_start(ctx, bindings::GFP_KERNEL, msg_type as i32) };
        // INVARIANT: a non-null buffer was just started.
        NonNull::new(ab).map(Self)
    }

    /// Starts a record of `msg_type` outside any event, in a context that
    /// may sleep.
    pub(crate) fn start_alone(msg_type: u32) -> Option<Self> {
        // SAFETY: a null context makes a record of its own; the caller may
        // sleep.
        unsafe { Self::start(core::ptr::null_mut(), msg_type) }
    }

    /// Starts a record that joins the current task's event, if any, in a
    /// context that may sleep.
    pub(crate) fn start_current(msg_type: u32) -> Option<Self> {
        // SAFETY: `audit_context()` reads the current task's own context.
        let ctx = unsafe { bindings::audit_context() };
        // SAFETY: `ctx` is the current task's context; the caller may sleep.
        unsafe { Self::start(ctx, msg_type) }
    }

    /// Appends NUL-terminated text to the record.
    pub(crate) fn append(&mut self, text_with_nul: &[u8]) {
        if text_with_nul.last() != Some(&0) {
            return;
        }
        // SAFETY: the type invariant says `self.0` is an open buffer; the
        // format "%s" reads one NUL-terminated string, which `text_with_nul` is.
        unsafe {
            bindings::audit_log_format(
                self.0.as_ptr(),
                c_str!("%s").as_char_ptr(),
                text_with_nul.as_ptr(),
            )
        };
    }
}

impl Drop for AuditRecord {
    fn drop(&mut self) {
        // SAFETY: the type invariant says `self.0` is an open buffer, which
        // is ended exactly once, here.
        unsafe { bindings::audit_log_end(self.0.as_ptr()) };
    }
}
