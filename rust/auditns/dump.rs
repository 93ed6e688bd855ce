// SPDX-License-Identifier: GPL-2.0

//! `AUDIT_LIST_RULES` as a netlink dump.

use crate::namespace::Namespace;
use crate::rule;
use kernel::{
    bindings,
    prelude::*,
    sync::{Arc, ArcBorrow},
};

/// An `AUDIT_LIST_RULES` answer: a netlink dump of the namespace's rules,
/// one rule a message, in upstream's order (user, task, exit, exclude, filesystem lists).
/// The dump is filled as the reader reads, a message at a time (libaudit
/// reads one message per datagram), so it holds no more memory than the
/// reader's socket takes, and a socket runs one dump at a time.
pub(crate) struct RuleDump {
    ns: Arc<Namespace>,
    /// How many rules were sent.
    sent: usize,
}

/// The lists a rule dump goes through, in order.
const DUMP_LISTS: [u32; 5] = [
    rule::list::USER,
    rule::list::TASK,
    rule::list::EXIT,
    rule::list::EXCLUDE,
    rule::list::FS,
];

impl RuleDump {
    /// Starts the dump of `ns`'s rules in answer to `nlh`, in `skb`.
    pub(crate) fn start(
        ns: &Arc<Namespace>,
        skb: *mut bindings::sk_buff,
        nlh: *mut bindings::nlmsghdr,
    ) -> Result {
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
        let mut control = bindings::netlink_dump_control {
            start: Some(rule_dump_start),
            dump: Some(rule_dump),
            done: Some(rule_dump_done),
            // Borrowed for `rule_dump_start`, which takes its own reference.
            data: core::ptr::from_ref::<Namespace>(ns).cast_mut().cast(),
            module: crate::THIS_MODULE.as_ptr(),
            min_dump_alloc: u32::try_from(largest + 2 * header).unwrap_or(u32::MAX),
            ..Default::default()
        };
        // SAFETY: `skb` and `nlh` are the request being handled; `control`
        // is valid for the call and names this module, which the dump pins.
        let rc = unsafe { bindings::audit_ext_dump_start(skb, nlh, &mut control) };
        if rc < 0 {
            return Err(Error::from_errno(rc));
        }
        Ok(())
    }
}

/// The dump's `start`: takes a reference to the namespace for the dump.
///
/// # Safety
///
/// `cb` must be a dump started by [`RuleDump::start`], whose `data` is then
/// a namespace the caller holds.
unsafe extern "C" fn rule_dump_start(cb: *mut bindings::netlink_callback) -> kernel::ffi::c_int {
    // SAFETY: `RuleDump::start` set `data` to a namespace its caller holds
    // an `Arc` of for the duration of this call.
    let ns: Arc<Namespace> = unsafe { ArcBorrow::from_raw((*cb).data.cast::<Namespace>()) }.into();
    match KBox::new(RuleDump { ns, sent: 0 }, GFP_KERNEL_ACCOUNT) {
        Ok(dump) => {
            // SAFETY: `cb` is the dump being started; from now on `data`
            // owns the `RuleDump` until `rule_dump_done`, which netlink
            // calls once the dump has started.
            unsafe { (*cb).data = KBox::into_raw(dump).cast() };
            0
        }
        Err(_) => ENOMEM.to_errno(),
    }
}

/// The dump's `dump`: puts the next rule into `skb`.
///
/// # Safety
///
/// `cb` must be a dump whose `rule_dump_start` succeeded, and `skb` the
/// buffer netlink fills for it.
unsafe extern "C" fn rule_dump(
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
) -> kernel::ffi::c_int {
    // SAFETY: `data` owns the `RuleDump` (see `rule_dump_start`); netlink
    // runs one callback of a dump at a time.
    let dump = unsafe { &mut *(*cb).data.cast::<RuleDump>() };
    let rules = dump.ns.rules.lock();
    let next = DUMP_LISTS
        .iter()
        .flat_map(|&list| {
            Iterator::chain(rules.exit.iter(), rules.other.iter()).filter(move |r| r.list == list)
        })
        .nth(dump.sent);
    let Some(stored) = next else {
        // Done: netlink adds NLMSG_DONE.
        return 0;
    };
    let data = stored.data();
    let Ok(size) = i32::try_from(data.len()) else {
        return -(bindings::EMSGSIZE as i32);
    };
    // SAFETY: `skb` and `cb` are the dump's; `data` is readable for `size`.
    let rc = unsafe {
        bindings::audit_ext_dump_put(
            skb,
            cb,
            bindings::AUDIT_LIST_RULES as i32,
            data.as_ptr().cast(),
            size,
        )
    };
    if rc < 0 {
        return rc;
    }
    dump.sent += 1;
    // More may follow: one rule a datagram.
    // SAFETY: `skb` is the dump's buffer.
    let len = unsafe { (*skb).len };
    i32::try_from(len).unwrap_or(i32::MAX)
}

/// The dump's `done`: frees the [`RuleDump`].
///
/// # Safety
///
/// `cb` must be a dump whose `rule_dump_start` succeeded; netlink calls
/// this once.
unsafe extern "C" fn rule_dump_done(cb: *mut bindings::netlink_callback) -> kernel::ffi::c_int {
    // SAFETY: `data` owns the `RuleDump` from `rule_dump_start`; this is the
    // last use of it.
    drop(unsafe { KBox::from_raw((*cb).data.cast::<RuleDump>()) });
    0
}
