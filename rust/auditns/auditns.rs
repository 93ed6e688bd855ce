// SPDX-License-Identifier: GPL-2.0

//! auditns: per-user-namespace audit.
//!
//! The kernel-free decisions live in the `auditns-core` crate, whose files
//! are compiled into this module as submodules; this crate gathers facts
//! from the kernel, applies those decisions and writes the records.

use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{bindings, prelude::*};

mod contid;
mod record;
mod task;

// Files shared with the host-tested `auditns-core` crate. Their items are
// `pub` for the host crate and not all of them are used here.
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/contid.rs"]
mod contid_policy;
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/text.rs"]
mod text;
#[allow(unreachable_pub)]
#[path = "../auditns-core/src/version.rs"]
mod version;

use contid::ContidRegistry;
use task::TaskRef;

module! {
    type: AuditNs,
    name: "auditns",
    author: "auditns developers",
    description: "Per-user-namespace audit",
    license: "GPL",
}

/// Returns whether audit is enabled (`audit=1`, or `auditctl -e 1`).
pub(crate) fn audit_is_enabled() -> bool {
    // SAFETY: `audit_enabled` is an aligned, always initialised `u32` static
    // exported by the audit core. It changes only under `audit_cmd_mutex`,
    // which is not held here, so it is read the way C reads it, with
    // `READ_ONCE()` (a volatile load); a stale value is as good as a read
    // just before a concurrent change.
    let enabled =
        unsafe { core::ptr::read_volatile(core::ptr::addr_of!(kernel::bindings::audit_enabled)) };
    enabled != kernel::bindings::AUDIT_OFF
}

/// The state the hooks work on.
///
/// # Invariants
///
/// Non-null exactly while the hooks are registered, and then points to the
/// registry owned by the loaded [`AuditNs`]; `audit_ext_unregister()` waits
/// for running hooks before the registry is freed.
static REGISTRY: AtomicPtr<ContidRegistry> = AtomicPtr::new(core::ptr::null_mut());

/// Runs `f` on the registry; hooks only run while it exists.
fn with_registry<R: Default>(f: impl FnOnce(&ContidRegistry) -> R) -> R {
    let registry = REGISTRY.load(Ordering::Acquire);
    if registry.is_null() {
        return R::default();
    }
    // SAFETY: by the invariant of `REGISTRY`, a non-null value points to the
    // live registry, which outlives every hook call.
    f(unsafe { &*registry })
}

/// The `set_contid` hook: a write to `/proc/PID/audit_containerid`.
///
/// # Safety
///
/// `target` must be a task the caller holds a reference to, and `buf` must
/// point to `len` readable bytes, for the duration of the call.
unsafe extern "C" fn set_contid_hook(
    target: *mut bindings::task_struct,
    buf: *const kernel::ffi::c_char,
    len: usize,
) -> kernel::ffi::c_int {
    // SAFETY: the /proc handler holds a reference to `target` for the call.
    let Some(target) = (unsafe { TaskRef::from_raw(target) }) else {
        return EINVAL.to_errno();
    };
    // SAFETY: the /proc handler passes `len` bytes it copied into `buf`.
    let input = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) };
    with_registry(|registry| match registry.set(target, input) {
        Ok(()) => 0,
        Err(err) => err.to_errno(),
    })
}

/// The `task_alloc` hook: fork or clone created `tsk`.
///
/// # Safety
///
/// `tsk` must be a task the caller holds for the duration of the call.
unsafe extern "C" fn task_alloc_hook(tsk: *mut bindings::task_struct) -> kernel::ffi::c_int {
    // SAFETY: copy_process() passes the task it is creating.
    if let Some(task) = unsafe { TaskRef::from_raw(tsk) } {
        with_registry(|registry| registry.task_created(task));
    }
    0
}

/// The `task_free` hook: `tsk` exits, or its creation failed.
///
/// # Safety
///
/// `tsk` must be a task the caller holds for the duration of the call.
unsafe extern "C" fn task_free_hook(tsk: *mut bindings::task_struct) {
    // SAFETY: do_exit() and copy_process() pass a task they still hold.
    if let Some(task) = unsafe { TaskRef::from_raw(tsk) } {
        with_registry(|registry| registry.task_gone(task));
    }
}

/// The `log_exit_aux` hook: the syscall event of `ctx` is being written.
///
/// # Safety
///
/// `ctx` must be the current task's audit context, called from
/// `audit_log_exit()` where sleeping is allowed.
unsafe extern "C" fn log_exit_aux_hook(ctx: *mut bindings::audit_context) {
    // SAFETY: the caller's guarantee is the one `log_container_id` needs.
    unsafe { contid::log_container_id(ctx) };
}

static HOOKS: bindings::audit_ext_ops = bindings::audit_ext_ops {
    set_contid: Some(set_contid_hook),
    task_alloc: Some(task_alloc_hook),
    task_free: Some(task_free_hook),
    log_exit_aux: Some(log_exit_aux_hook),
    // Per-user-namespace audit (rulespaces, delivery, the netlink protocol)
    // will take these; without them the host's path is unchanged and
    // containers keep getting ECONNREFUSED.
    syscall_exit: None,
    log_end: None,
    netlink_msg: None,
};

struct AuditNs {
    /// Used by the hooks through [`REGISTRY`]; freed after they are gone.
    _registry: Pin<KBox<ContidRegistry>>,
}

impl kernel::Module for AuditNs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registry = KBox::pin_init(ContidRegistry::new(), GFP_KERNEL)?;
        // The hooks may run as soon as they are registered.
        REGISTRY.store(
            core::ptr::from_ref::<ContidRegistry>(&*registry).cast_mut(),
            Ordering::Release,
        );
        // SAFETY: `HOOKS` is a static, valid until unregistered in `drop`.
        let rc = unsafe { bindings::audit_ext_register(&HOOKS) };
        if rc != 0 {
            REGISTRY.store(core::ptr::null_mut(), Ordering::Release);
            return Err(Error::from_errno(rc));
        }
        pr_info!(
            "auditns {} loaded, audit {}\n",
            version::VERSION,
            if audit_is_enabled() {
                "enabled"
            } else {
                "disabled"
            }
        );
        Ok(AuditNs {
            _registry: registry,
        })
    }
}

impl Drop for AuditNs {
    fn drop(&mut self) {
        // SAFETY: `HOOKS` was registered in `init`; this waits until no hook runs.
        unsafe { bindings::audit_ext_unregister(&HOOKS) };
        REGISTRY.store(core::ptr::null_mut(), Ordering::Release);
        pr_info!("auditns unloaded\n");
    }
}
