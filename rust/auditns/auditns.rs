// SPDX-License-Identifier: GPL-2.0

//! auditns: per-user-namespace audit.
//!
//! The kernel-free decisions live in the `auditns-core` crate, whose files
//! are compiled into this module as submodules; this crate gathers facts
//! from the kernel, applies those decisions and writes the records.

use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{bindings, c_str, prelude::*};

mod contid;
mod delivery;
mod dump;
mod event;
mod kvec;
mod limits;
mod namespace;
mod nsref;
mod protocol;
mod ratelimit;
mod record;
mod registry;
mod rules;
mod task;
mod watch;

// Files shared with the host-tested `auditns-core` crate. Their items are
// `pub` for the host crate and not all of them are used here.
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/config.rs"]
mod config;
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/contid.rs"]
mod contid_policy;
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/errno.rs"]
mod errno;
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/nsinfo.rs"]
mod nsinfo;
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/queue.rs"]
mod queue;
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/rule.rs"]
mod rule;
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/rule_index.rs"]
mod rule_index;
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/status.rs"]
mod status;
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/text.rs"]
mod text;
#[allow(unreachable_pub, dead_code)]
#[path = "../auditns-core/src/translate.rs"]
mod translate;
#[allow(unreachable_pub)]
#[path = "../auditns-core/src/version.rs"]
mod version;

use contid::ContidRegistry;
use nsref::UserNs;
use registry::NsRegistry;
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

/// The error for a positive errno value from the core crate.
pub(crate) fn errno_error(errno: i32) -> Error {
    Error::from_errno(-errno)
}

/// What the hooks work on.
#[pin_data]
pub(crate) struct State {
    #[pin]
    contid: ContidRegistry,
    #[pin]
    ns: NsRegistry,
    /// The namespaces of the initial task, for telling whose events get
    /// an `NS_INFO` record.
    initial_ns: nsinfo::NsIds,
}

/// The namespaces of `task`.
///
/// # Safety
///
/// `task` must be a task the caller holds, in a context that may sleep.
unsafe fn task_ns_ids(task: *mut bindings::task_struct) -> nsinfo::NsIds {
    let mut ids = bindings::audit_ext_ns_ids::default();
    // SAFETY: the caller guarantees `task` and the context.
    unsafe { bindings::audit_ext_task_ns_ids(task, &mut ids) };
    nsinfo::NsIds {
        dev_major: ids.dev_major,
        dev_minor: ids.dev_minor,
        inums: [
            ids.mnt, ids.uts, ids.ipc, ids.pid, ids.net, ids.user, ids.cgroup, ids.time,
        ],
    }
}

/// Adds an `NS_INFO` record to current's event if current is outside an
/// initial namespace.
///
/// # Safety
///
/// `ctx` must be current's audit context, in `audit_log_exit()`.
unsafe fn log_ns_info(ctx: *mut bindings::audit_context, initial: &nsinfo::NsIds) {
    // SAFETY: current is live and audit_log_exit() may sleep.
    let ids = unsafe { task_ns_ids(bindings::get_current()) };
    if !ids.differs_from(initial) {
        return;
    }
    let mut text = text::TextBuf::<256>::new();
    if ids.write(&mut text).is_err() {
        return;
    }
    // SAFETY: `ctx` is current's context in audit_log_exit(), which may sleep.
    if let Some(mut record) = unsafe { record::AuditRecord::start(ctx, nsinfo::AUDIT_NS_INFO) } {
        record.append(text.as_bytes_with_nul());
    }
}

/// The state the hooks work on.
///
/// # Invariants
///
/// Non-null exactly while the hooks are registered, and then points to the
/// registry owned by the loaded [`AuditNs`]; `audit_ext_unregister()` waits
/// for running hooks, and unload stops every namespace's delivery work
/// (which reaches the registry too), before the registry is freed.
static REGISTRY: AtomicPtr<State> = AtomicPtr::new(core::ptr::null_mut());

/// Runs `f` on the registry; hooks only run while it exists.
fn with_registry<R: Default>(f: impl FnOnce(&State) -> R) -> R {
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
    file: *const bindings::file,
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
    // SAFETY: the /proc handler passes the file being written, which it holds.
    let opener_capable = unsafe {
        bindings::file_ns_capable(
            file,
            core::ptr::addr_of_mut!(bindings::init_user_ns),
            bindings::CAP_AUDIT_CONTROL as i32,
        )
    };
    with_registry(
        |registry| match registry.contid.set(target, input, opener_capable) {
            Ok(()) => 0,
            Err(err) => err.to_errno(),
        },
    )
}

/// The `task_alloc` hook: fork or clone created `tsk`.
///
/// # Safety
///
/// `tsk` must be a task the caller holds for the duration of the call.
unsafe extern "C" fn task_alloc_hook(tsk: *mut bindings::task_struct) -> kernel::ffi::c_int {
    // SAFETY: copy_process() passes the task it is creating.
    if let Some(task) = unsafe { TaskRef::from_raw(tsk) } {
        with_registry(|registry| registry.contid.task_created(task));
    }
    0
}

/// The `task_free` hook: `tsk` exits, or its creation failed
/// (`fork_failed`), in which case only its own fields may be read.
///
/// # Safety
///
/// `tsk` must be a task the caller holds for the duration of the call.
unsafe extern "C" fn task_free_hook(tsk: *mut bindings::task_struct, fork_failed: bool) {
    // SAFETY: do_exit() and copy_process() pass a task they still hold.
    if let Some(task) = unsafe { TaskRef::from_raw(tsk) } {
        with_registry(|registry| {
            registry.contid.task_gone(task);
            // A task whose fork failed never ran: its process is not its
            // own yet, or freed already, so it is not looked at.
            if !fork_failed {
                registry.ns.daemon_exits(task);
            }
        });
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
    // SAFETY: as above.
    with_registry(|registry| unsafe { log_ns_info(ctx, &registry.initial_ns) });
}

/// The `syscall_exit` hook: which namespaces receive current's event,
/// which one of them selected at its entry. The audience returned goes to
/// `syscall_done_hook`.
///
/// # Safety
///
/// `ctx` must be current's audit context, in its syscall exit.
unsafe extern "C" fn syscall_exit_hook(
    ctx: *mut bindings::audit_context,
    _host: bool,
) -> *mut kernel::ffi::c_void {
    with_registry(|registry| registry.ns.syscall_exit(ctx))
        .map_or(core::ptr::null_mut(), |audience| {
            KBox::into_raw(audience).cast()
        })
}

/// The `syscall_done` hook: the event's records are written.
///
/// # Safety
///
/// `event` must be what `syscall_exit_hook` returned, not yet done.
unsafe extern "C" fn syscall_done_hook(event: *mut kernel::ffi::c_void) {
    // SAFETY: `event` came from `KBox::into_raw` in `syscall_exit_hook`, and
    // the audit core hands it back once.
    drop(unsafe { KBox::from_raw(event.cast::<event::Audience>()) });
}

/// The `log_end` hook: a record of an event with an audience is complete.
///
/// # Safety
///
/// `event` must be what `syscall_exit_hook` returned for current's event,
/// not yet done, and `text` must point to `len` readable bytes, for the call.
unsafe extern "C" fn log_end_hook(
    event: *mut kernel::ffi::c_void,
    msg_type: kernel::ffi::c_int,
    text: *const kernel::ffi::c_char,
    len: usize,
    _host: bool,
) {
    let Ok(msg_type) = u32::try_from(msg_type) else {
        return;
    };
    // SAFETY: the audit core passes the event's audience, which lives until
    // `syscall_done_hook`, after every record of the event.
    let audience = unsafe { &*event.cast::<event::Audience>() };
    // SAFETY: audit_log_end() passes the record's `len` bytes of text.
    let text = unsafe { core::slice::from_raw_parts(text.cast::<u8>(), len) };
    audience.log_end(msg_type, text);
}

/// The `netlink_msg` hook: a message from outside the initial user namespace.
///
/// # Safety
///
/// `nlh` must be a message of `skb` whose `nlmsg_len` bytes are readable,
/// and `ack` valid for writes, for the call.
unsafe extern "C" fn netlink_msg_hook(
    skb: *mut bindings::sk_buff,
    nlh: *mut bindings::nlmsghdr,
    ack: *mut bool,
) -> kernel::ffi::c_int {
    // SAFETY: audit_receive() checked the header with nlmsg_ok().
    let header = unsafe { &*nlh };
    let header_len = core::mem::size_of::<bindings::nlmsghdr>();
    let payload_len = (header.nlmsg_len as usize).saturating_sub(header_len);
    // SAFETY: nlmsg_ok() checked that `nlmsg_len` bytes are in the buffer.
    let payload =
        unsafe { core::slice::from_raw_parts(nlh.cast::<u8>().add(header_len), payload_len) };
    // SAFETY: audit_receive() passes its own `ack`, valid for the call.
    let ack = unsafe { &mut *ack };
    with_registry(|registry| registry.ns.netlink_msg(skb, nlh, payload, ack))
}

/// The `userns_free` hook: a user namespace goes away.
///
/// # Safety
///
/// `ns` must be a user namespace that is live for the call.
unsafe extern "C" fn userns_free_hook(ns: *mut bindings::user_namespace) {
    // SAFETY: free_user_ns() passes the namespace before freeing it.
    if let Some(userns) = unsafe { UserNs::from_raw(ns) } {
        with_registry(|registry| registry.ns.userns_free(userns));
    }
}

static HOOKS: bindings::audit_ext_ops = bindings::audit_ext_ops {
    set_contid: Some(set_contid_hook),
    task_alloc: Some(task_alloc_hook),
    task_free: Some(task_free_hook),
    log_exit_aux: Some(log_exit_aux_hook),
    syscall_exit: Some(syscall_exit_hook),
    syscall_done: Some(syscall_done_hook),
    log_end: Some(log_end_hook),
    netlink_msg: Some(netlink_msg_hook),
    userns_free: Some(userns_free_hook),
};

/// The workqueue records are delivered on.
///
/// # Invariants
///
/// `0` was returned by `alloc_workqueue()` and is destroyed on drop.
struct DeliveryQueue(core::ptr::NonNull<bindings::workqueue_struct>);

// SAFETY: a workqueue may be used and destroyed from any thread.
unsafe impl Send for DeliveryQueue {}
// SAFETY: queuing work is safe from any thread; nothing else is done with it.
unsafe impl Sync for DeliveryQueue {}

/// Delivery runs of the whole machine that may run at once. A run never
/// sleeps and sends a bounded batch, so a few suffice; an unbound
/// workqueue without a limit would start a kernel thread for each run
/// that is ready while the others run, and many namespaces whose daemons
/// stall get ready together.
const DELIVERY_MAX_ACTIVE: i32 = 4;

impl DeliveryQueue {
    fn new() -> Result<Self> {
        // SAFETY: the format is a NUL-terminated string without conversions.
        let wq = unsafe {
            bindings::alloc_workqueue(
                c_str!("auditns").as_char_ptr(),
                bindings::wq_flags_WQ_UNBOUND,
                DELIVERY_MAX_ACTIVE,
            )
        };
        core::ptr::NonNull::new(wq).map(Self).ok_or(ENOMEM)
    }
}

impl Drop for DeliveryQueue {
    fn drop(&mut self) {
        // SAFETY: the queue was allocated in `new`; this waits for its work.
        unsafe { bindings::destroy_workqueue(self.0.as_ptr()) };
    }
}

struct AuditNs {
    /// Used by the hooks through [`REGISTRY`]; freed after they are gone.
    registry: Pin<KBox<State>>,
    delivery: Option<DeliveryQueue>,
    _sysctls: limits::Sysctls,
}

impl kernel::Module for AuditNs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registry = KBox::pin_init(
            pin_init!(State {
                contid <- ContidRegistry::new(),
                ns <- NsRegistry::new(),
                // SAFETY: `init_task` is a static task; module init may sleep.
                initial_ns: unsafe { task_ns_ids(core::ptr::addr_of_mut!(bindings::init_task)) },
            }),
            GFP_KERNEL,
        )?;
        let sysctls = limits::Sysctls::register()?;
        let delivery = DeliveryQueue::new()?;
        delivery::STOPPING.store(false, Ordering::Release);
        delivery::DELIVERY_QUEUE.store(delivery.0.as_ptr() as usize, Ordering::Release);
        // The hooks may run as soon as they are registered.
        REGISTRY.store(
            core::ptr::from_ref::<State>(&*registry).cast_mut(),
            Ordering::Release,
        );
        // SAFETY: `HOOKS` is a static, valid until unregistered in `drop`.
        let rc = unsafe { bindings::audit_ext_register(&HOOKS) };
        if rc != 0 {
            REGISTRY.store(core::ptr::null_mut(), Ordering::Release);
            delivery::DELIVERY_QUEUE.store(0, Ordering::Release);
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
            registry,
            delivery: Some(delivery),
            _sysctls: sysctls,
        })
    }
}

impl Drop for AuditNs {
    fn drop(&mut self) {
        // SAFETY: `HOOKS` was registered in `init`; this waits until no hook runs.
        unsafe { bindings::audit_ext_unregister(&HOOKS) };
        REGISTRY.store(core::ptr::null_mut(), Ordering::Release);
        // No hook runs now: stop each namespace's delivery and forget it,
        // then wait for the workqueue's other work (failure actions).
        delivery::STOPPING.store(true, Ordering::Release);
        self.registry.ns.clear();
        delivery::DELIVERY_QUEUE.store(0, Ordering::Release);
        drop(self.delivery.take());
        pr_info!("auditns unloaded\n");
    }
}
