// SPDX-License-Identifier: GPL-2.0

//! auditns: per-user-namespace audit.
//!
//! The kernel-free decisions live in the `auditns-core` crate, whose files
//! are compiled into this module as submodules; this crate gathers facts
//! from the kernel, applies those decisions and writes the records.

// `pin_init!` of a namespace's many fields nests deeper than the default.
#![recursion_limit = "256"]

use hooks::{CurrentContext, DumpPart, NetlinkMsg, OpenedFile, Registration};
use kernel::{bindings, prelude::*};

mod audit;
mod contid;
mod delivery;
mod dump;
mod event;
mod hooks;
mod limits;
mod namespace;
mod nsview;
mod protocol;
mod ratelimit;
mod record;
mod registry;
mod rules;
mod task;
mod watch;

// Files shared with the host-tested `auditns-core` crate: `core/` is a link
// to its sources here, and holds copies of them in tree (kernel/audit_ns/,
// scripts/policy-patch.sh). Their items are `pub` for the host crate and
// not all of them are used here.
#[allow(unreachable_pub, dead_code)]
#[path = "core/config.rs"]
mod config;
#[allow(unreachable_pub, dead_code)]
#[path = "core/contid.rs"]
mod contid_policy;
#[allow(unreachable_pub, dead_code)]
#[path = "core/errno.rs"]
mod errno;
#[allow(unreachable_pub, dead_code)]
#[path = "core/nsinfo.rs"]
mod nsinfo;
#[allow(unreachable_pub, dead_code)]
#[path = "core/queue.rs"]
mod queue;
#[allow(unreachable_pub, dead_code)]
#[path = "core/rule.rs"]
mod rule;
#[allow(unreachable_pub, dead_code)]
#[path = "core/rule_index.rs"]
mod rule_index;
#[allow(unreachable_pub, dead_code)]
#[path = "core/status.rs"]
mod status;
#[allow(unreachable_pub, dead_code)]
#[path = "core/text.rs"]
mod text;
#[allow(unreachable_pub, dead_code)]
#[path = "core/translate.rs"]
mod translate;
#[allow(unreachable_pub)]
#[path = "core/version.rs"]
mod version;

use contid::ContidRegistry;
use kernel::task::Task;
use nsview::UserNs;
use registry::NsRegistry;

module! {
    type: AuditNs,
    name: "auditns",
    author: "auditns developers",
    description: "Per-user-namespace audit",
    license: "GPL",
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

/// The namespaces of `task`, in a context that may sleep.
fn task_ns_ids(task: &Task) -> nsinfo::NsIds {
    let ids = audit::task_ns_ids(task);
    nsinfo::NsIds {
        dev_major: ids.dev_major,
        dev_minor: ids.dev_minor,
        inums: [
            ids.mnt, ids.uts, ids.ipc, ids.pid, ids.net, ids.user, ids.cgroup, ids.time,
        ],
    }
}

/// Adds an `NS_INFO` record to current's event of `ctx` if current is
/// outside an initial namespace.
fn log_ns_info(ctx: CurrentContext<'_>, initial: &nsinfo::NsIds) {
    let ids = crate::task::with_current(task_ns_ids);
    if !ids.differs_from(initial) {
        return;
    }
    let mut text = text::TextBuf::<256>::new();
    if ids.write(&mut text).is_err() {
        return;
    }
    if let Some(mut record) = ctx.record(nsinfo::AUDIT_NS_INFO) {
        record.append(text.as_bytes_with_nul());
    }
}

#[vtable]
impl hooks::Hooks for State {
    type Event = event::Audience;

    fn set_contid(&self, file: OpenedFile<'_>, target: &Task, input: &[u8]) -> Result {
        let opener_capable = file.opener_capable(bindings::CAP_AUDIT_CONTROL);
        self.contid.set(target, input, opener_capable)
    }

    fn task_alloc(&self, task: &Task) -> Result {
        self.contid.task_created(task);
        Ok(())
    }

    fn task_free(&self, task: &Task, fork_failed: bool) {
        self.contid.task_gone(task);
        // A task whose fork failed never ran: its process is not its own
        // yet, or freed already, so it is not looked at.
        if !fork_failed {
            self.ns.daemon_exits(task);
        }
    }

    fn log_exit_aux(&self, ctx: CurrentContext<'_>) {
        contid::log_container_id(ctx);
        log_ns_info(ctx, &self.initial_ns);
    }

    fn syscall_exit(&self, ctx: CurrentContext<'_>) -> Option<KBox<event::Audience>> {
        self.ns.syscall_exit(ctx)
    }

    fn log_end(&self, event: &event::Audience, msg_type: u32, text: &[u8]) {
        event.log_end(msg_type, text);
    }

    fn log_lost(&self, event: &event::Audience, _msg_type: u32) {
        event.log_lost();
    }

    fn netlink_msg(&self, msg: NetlinkMsg<'_>) -> i32 {
        self.ns.netlink_msg(msg)
    }

    fn userns_free(&self, userns: UserNs) {
        self.ns.userns_free(userns);
    }

    fn dump(&self, userns: UserNs, pos: &mut usize, part: DumpPart) -> i32 {
        // The initial namespace has no state: its dumps are the host's
        // listing of the others.
        if userns.is_initial() {
            return dump::fill_ns_list(&self.ns, pos, part);
        }
        dump::fill(self.ns.find(userns).as_deref(), pos, part)
    }

    fn ns_list(&self, msg: NetlinkMsg<'_>) -> i32 {
        self.ns.ns_list(msg)
    }
}

struct AuditNs {
    /// The hooks and their state; dropping it unregisters the hooks, then
    /// stops every namespace's delivery and destroys the workqueue.
    registration: Option<Pin<KBox<Registration<State>>>>,
    _sysctls: limits::Sysctls,
}

impl kernel::Module for AuditNs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let sysctls = limits::Sysctls::register()?;
        let delivery = delivery::DeliveryQueue::new()?;
        let dir_marks = watch::DirMarks::new()?;
        let state = try_pin_init!(State {
            contid <- ContidRegistry::new(),
            ns <- NsRegistry::new(delivery, dir_marks),
            initial_ns: crate::task::with_init_task(task_ns_ids),
        }? Error);
        // The hooks may run as soon as this returns.
        let registration = KBox::pin_init(Registration::new(state), GFP_KERNEL)?;
        pr_info!(
            "auditns {} loaded, audit {}\n",
            version::VERSION,
            if audit::enabled() {
                "enabled"
            } else {
                "disabled"
            }
        );
        Ok(AuditNs {
            registration: Some(registration),
            _sysctls: sysctls,
        })
    }
}

impl Drop for AuditNs {
    fn drop(&mut self) {
        // Unregistering waits for every hook that runs, among them tasks
        // that wait for room in a namespace's queue: end those waits first.
        if let Some(registration) = self.registration.as_ref() {
            registration.data().ns.start_unload();
        }
        drop(self.registration.take());
        pr_info!("auditns unloaded\n");
    }
}
