// SPDX-License-Identifier: GPL-2.0

//! auditns: per-user-namespace audit.
//!
//! The kernel-free decisions live in the `auditns-core` crate, whose files
//! are compiled into this module as submodules; this crate gathers facts
//! from the kernel and applies those decisions.

use kernel::prelude::*;

// Files shared with the host-tested `auditns-core` crate. Their items are
// `pub` for the host crate; here they are private to the module.
#[allow(unreachable_pub)]
#[path = "../auditns-core/src/version.rs"]
mod version;

module! {
    type: AuditNs,
    name: "auditns",
    author: "auditns developers",
    description: "Per-user-namespace audit",
    license: "GPL",
}

/// Returns whether audit is enabled (`audit=1`, or `auditctl -e 1` later).
fn audit_is_enabled() -> bool {
    // SAFETY: `audit_enabled` is an aligned, always initialised `u32` static
    // exported by the audit core. It changes only under `audit_cmd_mutex`,
    // which is not held here, so it is read the way C reads it, with
    // `READ_ONCE()` (a volatile load); a stale value only affects a log line.
    let enabled =
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!(kernel::bindings::audit_enabled)) };
    enabled != kernel::bindings::AUDIT_OFF
}

struct AuditNs;

impl kernel::Module for AuditNs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!(
            "auditns {} loaded, audit {}\n",
            version::VERSION,
            if audit_is_enabled() {
                "enabled"
            } else {
                "disabled"
            }
        );
        Ok(AuditNs)
    }
}

impl Drop for AuditNs {
    fn drop(&mut self) {
        pr_info!("auditns unloaded\n");
    }
}
