// SPDX-License-Identifier: GPL-2.0

//! `AUDIT_LIST_RULES` and the host's `AUDIT_NS_LIST` as netlink dumps.
//!
//! The answer is a netlink dump of the namespace's rules, one rule a
//! message, in upstream's order (user, task, exit, exclude, filesystem
//! lists). The dump is filled as the reader reads, a message at a time
//! (libaudit reads one message per datagram), so it holds no more memory
//! than the reader's socket takes, and a socket runs one dump at a time.
//!
//! The audit core keeps the dump's state, its user namespace and how many
//! rules were sent, and asks the `dump` hook, [`fill`], for each part: a
//! dump whose reader never reads pins neither this module nor the
//! namespace's state, and one that outlives the module ends with `EAGAIN`.

use crate::hooks::{DumpPart, NetlinkMsg};
use crate::namespace::Namespace;
use crate::registry::NsRegistry;
use crate::rule;
use crate::status::NS_STATUS_LEN;
use kernel::{bindings, prelude::*, user_namespace::UserNamespace};

/// The lists a rule dump goes through, in upstream's order (that of the
/// lists' numbers).
const DUMP_LISTS: [u32; 6] = [
    rule::list::USER,
    rule::list::TASK,
    rule::list::EXIT,
    rule::list::EXCLUDE,
    rule::list::FS,
    rule::list::URING_EXIT,
];

/// Answers `msg` with the dump of `ns`'s rules.
pub(crate) fn start(ns: &Namespace, msg: &mut NetlinkMsg<'_>) -> Result {
    // The largest rule must fit in one of the dump's buffers. A larger
    // rule added while the dump runs ends it with EMSGSIZE.
    let largest = {
        let rules = ns.rules.lock();
        Iterator::chain(rules.exit.iter(), rules.other.iter())
            .map(|stored| stored.data().len())
            .max()
            .unwrap_or(0)
    };
    let header = core::mem::size_of::<bindings::nlmsghdr>();
    let min_alloc = u32::try_from(largest + 2 * header).unwrap_or(u32::MAX);
    msg.start_dump(ns.userns.get(), min_alloc)
}

/// Answers the host's `AUDIT_NS_LIST` `msg` with a dump for the initial
/// user namespace, which has no state of its own.
pub(crate) fn start_ns_list(msg: &mut NetlinkMsg<'_>) -> Result {
    let header = core::mem::size_of::<bindings::nlmsghdr>();
    let min_alloc = u32::try_from(NS_STATUS_LEN + 2 * header).unwrap_or(u32::MAX);
    msg.start_dump(UserNamespace::initial(), min_alloc)
}

/// The next part of the host's `AUDIT_NS_LIST` answer: a `struct
/// audit_ns_status` for each namespace with state whose user namespace's
/// inode number is above `pos`, in the order of those numbers, as many as
/// the part takes. `pos` becomes the last number sent, so a namespace
/// that comes or goes meanwhile moves no other. Returns what a netlink
/// dump callback returns.
pub(crate) fn fill_ns_list(registry: &NsRegistry, pos: &mut usize, part: DumpPart) -> i32 {
    let after = u32::try_from(*pos).unwrap_or(u32::MAX);
    let listed = match registry.listed_after(after) {
        Ok(listed) => listed,
        Err(err) => return err.to_errno(),
    };
    let mut sent = 0;
    for entry in listed.iter() {
        let wire = registry.host_status(entry).to_wire();
        if let Err(rc) = part.put(bindings::AUDIT_NS_LIST, &wire) {
            // The part is full; the next goes on from `pos`.
            if sent == 0 {
                return rc;
            }
            break;
        }
        *pos = entry.userns as usize;
        sent += 1;
    }
    if sent == 0 {
        // Done: netlink adds NLMSG_DONE.
        return 0;
    }
    part.more()
}

/// The dump's next part: the rule at `pos` of `ns`'s rules, if any (none
/// once the namespace has no state). Returns what a netlink dump callback
/// returns.
pub(crate) fn fill(ns: Option<&Namespace>, pos: &mut usize, part: DumpPart) -> i32 {
    let Some(ns) = ns else {
        // Done: netlink adds NLMSG_DONE.
        return 0;
    };
    let rules = ns.rules.lock();
    let next = DUMP_LISTS
        .iter()
        .flat_map(|&list| {
            Iterator::chain(rules.exit.iter(), rules.other.iter()).filter(move |r| r.list == list)
        })
        .nth(*pos);
    let Some(stored) = next else {
        return 0;
    };
    if let Err(rc) = part.put(bindings::AUDIT_LIST_RULES, stored.data()) {
        return rc;
    }
    *pos += 1;
    // More may follow: one rule a datagram.
    part.more()
}
