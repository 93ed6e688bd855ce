// SPDX-License-Identifier: GPL-2.0

//! Syscall events: which namespaces receive one, and handing its records
//! to them. An io_uring operation outside a syscall is an event of the
//! same kind, decided by the io_uring list instead of the exit list.
//!
//! The audit core asks the `syscall_exit` hook only for syscalls and
//! opcodes that a namespace on the task's chain selected at entry (see
//! `registry`). The audience the hook returns lives in the event's audit
//! context until the core has written the event's records, each of which
//! reaches [`Audience::log_end`], and then goes to [`Audience`]'s drop: no
//! list of events in flight and no lock outside the namespaces concerned.

use crate::delivery::Backlog;
use crate::hooks::CurrentContext;
use crate::namespace::Namespace;
use crate::nsview::UserNs;
use crate::registry::NsRegistry;
use crate::rules::EventOp;
use crate::translate::KeyField;
use kernel::{bindings, prelude::*, sync::Arc};

/// One namespace that receives the event, with the key of the rule that
/// selected it and the `PATH` records it does not see.
struct Member {
    ns: Arc<Namespace>,
    key: Option<KVec<u8>>,
    hidden_items: u64,
    /// How the event's records count against the member's backlog_limit.
    backlog: Backlog,
}

/// The namespaces that receive a syscall event, nearest first.
pub(crate) struct Audience(KVec<Member>);

impl NsRegistry {
    /// The `syscall_exit` hook: which namespaces' rules select the event of
    /// `ctx`, current's context. `None` if none does.
    pub(crate) fn syscall_exit(&self, ctx: CurrentContext<'_>) -> Option<KBox<Audience>> {
        let info = ctx.syscall_info()?;
        let op = if info.uring {
            EventOp::Uring(u8::try_from(info.major).ok()?)
        } else {
            EventOp::Syscall(u16::try_from(info.major).ok()?)
        };
        let mut members = KVec::new();
        self.for_each_in_chain(UserNs::current(), |ns| {
            let selected = match ns.select_event(op, ctx, info) {
                Ok(Some(selected)) => selected,
                Ok(None) => return,
                // Selected, and lost for want of memory: counted as a
                // record lost, with the failure action, as upstream's
                // audit_log_lost() does when audit_log_start() fails.
                Err(_) => return Arc::<Namespace>::from(ns).lose(),
            };
            if members.reserve(1, GFP_KERNEL).is_err() {
                return Arc::<Namespace>::from(ns).lose();
            }
            let member = Member {
                ns: ns.into(),
                key: selected.key,
                hidden_items: selected.hidden_items,
                backlog: Backlog::Limited,
            };
            // Cannot fail: the room is reserved.
            let _ = members.push(member, GFP_KERNEL);
        });
        if members.is_empty() {
            return None;
        }
        if matches!(op, EventOp::Syscall(_)) {
            // Upstream's audit_log_exit() allocates its records with
            // GFP_KERNEL, and so waits for room in the host's queue; each
            // member's own queue stands for it here. Not for an io_uring
            // operation, whose record upstream writes with GFP_ATOMIC.
            for member in members.iter_mut() {
                member.backlog = member.ns.wait_for_room();
            }
        }
        let Ok(slot) = KBox::<Audience>::new_uninit(GFP_KERNEL) else {
            for member in members.iter() {
                member.ns.lose();
            }
            return None;
        };
        Some(KBox::write(slot, Audience(members)))
    }
}

impl Audience {
    /// The `log_lost` hook: a record of the event found no memory. Each
    /// member counts it lost, with its failure action, as upstream's
    /// audit_log_start() calls audit_log_lost(); a member whose filesystem
    /// list would have left the record out counts it too, as the record's
    /// item is not known.
    pub(crate) fn log_lost(&self) {
        for member in self.0.iter() {
            member.ns.lose();
        }
    }

    /// The `log_end` hook: hands a record of the event to each member.
    pub(crate) fn log_end(&self, msg_type: u32, text: &[u8]) {
        let Ok(msg_type16) = u16::try_from(msg_type) else {
            return;
        };
        // The PATH record of an object that a member's filesystem list
        // leaves out is not the member's, as upstream never writes it.
        let item = if msg_type == bindings::AUDIT_PATH && self.0.iter().any(|m| m.hidden_items != 0)
        {
            crate::translate::path_item(text).filter(|&item| item < 64)
        } else {
            None
        };
        for member in self.0.iter() {
            if item.is_some_and(|item| member.hidden_items & (1 << item) != 0) {
                continue;
            }
            let key = if msg_type == bindings::AUDIT_SYSCALL || msg_type == bindings::AUDIT_URINGOP
            {
                KeyField::Replace(member.key.as_deref())
            } else {
                KeyField::Keep
            };
            member.ns.enqueue(msg_type16, text, key, member.backlog);
        }
    }
}
