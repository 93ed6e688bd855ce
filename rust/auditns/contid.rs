// SPDX-License-Identifier: GPL-2.0

//! Audit container IDs: who may set which (the policy is in
//! `contid_policy`, shared with the host tests), which IDs are in use and by
//! which orchestrator, and the `CONTAINER_OP` and `CONTAINER_ID` records.

use core::fmt::Write;
use kernel::{
    bindings, new_spinlock,
    prelude::*,
    rbtree::{RBTree, RBTreeNodeReservation},
    sync::SpinLock,
};

use crate::contid_policy::{decide_set, ContainerOp, Owner, SetError, SetFacts, CONTID_UNSET};
use crate::hooks::CurrentContext;
use crate::record::AuditRecord;
use crate::task::{with_current, AuditTask, ProcessId};
use crate::text::TextBuf;
use kernel::{sync::rcu, task::Task};

/// A container ID in use.
struct InUse {
    /// The orchestrator that set it first; only it may put more tasks in
    /// while it exists, anyone allowed to set IDs once it has exited.
    owner: ProcessId,
    /// Live tasks that hold the ID, as far as this module has seen them.
    tasks: u64,
}

/// The container IDs in use.
///
/// Tasks that got their ID before the module was loaded (from an earlier
/// load) are not counted, and their IDs have no owner here.
#[pin_data]
pub(crate) struct ContidRegistry {
    #[pin]
    in_use: SpinLock<RBTree<u64, InUse>>,
}

impl ContidRegistry {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            in_use <- new_spinlock!(RBTree::new(), "auditns_contids"),
        })
    }

    /// Handles a write of `input` to `audit_containerid` of `target` by the
    /// current task: decides, applies and records it.
    ///
    /// `opener_capable` tells whether the task that opened the file had
    /// `CAP_AUDIT_CONTROL`: both it and the writer must have it, or an
    /// unprivileged process could pass its open file to a privileged one.
    pub(crate) fn set(&self, target: &Task, input: &[u8], opener_capable: bool) -> Result {
        // Allocate before taking the lock, in case the ID is new.
        let reservation = RBTreeNodeReservation::new(GFP_KERNEL)?;
        with_current(|writer| {
            let old_contid = target.contid();
            let facts = SetFacts {
                audit_enabled: crate::audit::enabled(),
                writer_capable: opener_capable
                    && crate::audit::current_capable(bindings::CAP_AUDIT_CONTROL),
                target_has_children: target.has_children(),
                target_single_threaded: target.is_single_threaded_leader(),
                target_is_writer: target.tgid() == writer.tgid(),
                target_is_descendant: false,
                old_contid,
                old_owner: Owner::Nobody,
            };
            let mut written = CONTID_UNSET;
            let decision = {
                let mut in_use = self.in_use.lock();
                let rcu = rcu::read_lock();
                let writer_id = writer.process_id(&rcu);
                let relation = |owner: ProcessId| {
                    if owner == writer_id {
                        Owner::Writer
                    } else if writer.descends_from(owner, &rcu) {
                        Owner::AncestorOfWriter
                    } else if owner.exists(&rcu) {
                        Owner::Other
                    } else {
                        Owner::Exited
                    }
                };
                let facts = SetFacts {
                    target_is_descendant: target
                        .real_parent(&rcu)
                        .is_some_and(|parent| parent.descends_from(writer_id, &rcu)),
                    old_owner: in_use
                        .get(&old_contid)
                        .map_or(Owner::Nobody, |id| relation(id.owner)),
                    ..facts
                };
                let decision = decide_set(input, &facts, |contid| {
                    written = contid;
                    in_use
                        .get(&contid)
                        .map_or(Owner::Nobody, |id| relation(id.owner))
                })
                // The facts above are a snapshot: a fork or clone since then
                // makes the target busy, which the kernel checks again.
                .and_then(|contid| {
                    target
                        .set_contid(contid)
                        .map(|()| contid)
                        .map_err(|_| SetError::Busy)
                });
                if let Ok(contid) = decision {
                    forget_task(&mut in_use, old_contid);
                    match in_use.get_mut(&contid) {
                        Some(id) => id.tasks += 1,
                        None => {
                            let id = InUse {
                                owner: writer_id,
                                tasks: 1,
                            };
                            in_use.insert(reservation.into_node(contid, id));
                        }
                    }
                }
                decision
            };
            if facts.audit_enabled {
                log_container_op(&ContainerOp {
                    opid: target.tgid(),
                    contid: written,
                    old_contid,
                    pid: writer.tgid(),
                    auid: writer.loginuid(),
                    ses: writer.sessionid(),
                    success: decision.is_ok(),
                });
            }
            decision
                .map(|_| ())
                .map_err(|refusal| Error::from_errno(-refusal.errno()))
        })
    }

    /// Counts a task that fork or clone created with its parent's ID.
    pub(crate) fn task_created(&self, task: &Task) {
        let contid = task.contid();
        if contid == CONTID_UNSET {
            return;
        }
        if let Some(id) = self.in_use.lock().get_mut(&contid) {
            id.tasks += 1;
        }
    }

    /// Forgets a task that exits; the last one frees its ID for reuse.
    pub(crate) fn task_gone(&self, task: &Task) {
        let contid = task.contid();
        if contid != CONTID_UNSET {
            forget_task(&mut self.in_use.lock(), contid);
        }
    }
}

/// Uncounts one task of `contid`; an ID with no task left is not in use.
fn forget_task(in_use: &mut RBTree<u64, InUse>, contid: u64) {
    let Some(id) = in_use.get_mut(&contid) else {
        return;
    };
    id.tasks = id.tasks.saturating_sub(1);
    if id.tasks == 0 {
        in_use.remove(&contid);
    }
}

fn log_container_op(op: &ContainerOp) {
    let mut text = TextBuf::<192>::new();
    if write!(text, "{op}").is_err() {
        return;
    }
    // `/proc` writes run in process context and may sleep.
    if let Some(mut record) = AuditRecord::start_current(bindings::AUDIT_CONTAINER_OP) {
        record.append(text.as_bytes_with_nul());
    }
}

/// Adds a `CONTAINER_ID` record to the syscall event of `ctx`, the current
/// task's context, if the task has a container ID.
pub(crate) fn log_container_id(ctx: CurrentContext<'_>) {
    let contid = with_current(|task| task.contid());
    if contid == CONTID_UNSET {
        return;
    }
    let mut text = TextBuf::<32>::new();
    if write!(text, "contid={contid}").is_err() {
        return;
    }
    if let Some(mut record) = ctx.record(bindings::AUDIT_CONTAINER_ID) {
        record.append(text.as_bytes_with_nul());
    }
}
