// SPDX-License-Identifier: GPL-2.0

//! Per-user-namespace audit: the registry of namespaces, the audience of
//! each event, and the netlink protocol a namespace's daemon speaks.

use crate::kvec;
use crate::namespace::{Daemon, Namespace, SyscallEvent};
use crate::nsref::{NetRef, PidNsRef, ProcessRef, UserNs};
use crate::rule;
use crate::status::{Features, Status, FEATURE_BITMAP};
use crate::task::TaskRef;
use crate::translate::KeyField;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::{
    bindings,
    prelude::*,
    sync::{Arc, ArcBorrow, SpinLock},
};

/// Largest text of a user message, as upstream's `AUDIT_MESSAGE_TEXT_MAX`.
const MESSAGE_TEXT_MAX: usize = 8560;

/// One namespace that receives the current event, with the key of the
/// rule that selected it.
struct Audience {
    ns: Arc<Namespace>,
    key: Option<KVec<u8>>,
}

/// The audience of a task's event in flight, from its syscall exit to its
/// end-of-event record.
struct InFlight {
    task: usize,
    /// Shared, so that records are handed out without the registry's lock.
    audience: Arc<KVec<Audience>>,
}

/// All per-namespace state.
#[pin_data]
pub(crate) struct NsRegistry {
    #[pin]
    namespaces: SpinLock<KVec<Arc<Namespace>>>,
    #[pin]
    in_flight: SpinLock<KVec<InFlight>>,
    /// Entries of `in_flight`, read without its lock on every record.
    in_flight_count: AtomicUsize,
    /// Exit rules of all namespaces, read on every syscall exit.
    exit_rules: AtomicUsize,
    /// The registered daemons, by their process's `struct pid`, so that a
    /// daemon's exit unregisters it at once (its references would keep the
    /// namespace alive).
    #[pin]
    daemons: SpinLock<KVec<(usize, Arc<Namespace>)>>,
    /// Entries of `daemons`, read without its lock on every process exit.
    daemon_count: AtomicUsize,
}

impl NsRegistry {
    /// An empty registry.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(NsRegistry {
            namespaces <- kernel::new_spinlock!(KVec::new(), "auditns::NsRegistry::namespaces"),
            in_flight <- kernel::new_spinlock!(KVec::new(), "auditns::NsRegistry::in_flight"),
            in_flight_count: AtomicUsize::new(0),
            exit_rules: AtomicUsize::new(0),
            daemons <- kernel::new_spinlock!(KVec::new(), "auditns::NsRegistry::daemons"),
            daemon_count: AtomicUsize::new(0),
        })
    }

    fn find(&self, userns: UserNs) -> Option<Arc<Namespace>> {
        self.namespaces
            .lock()
            .iter()
            .find(|ns| ns.userns == userns)
            .cloned()
    }

    fn find_or_create(&self, userns: UserNs) -> Result<Arc<Namespace>> {
        if let Some(ns) = self.find(userns) {
            return Ok(ns);
        }
        let fresh = Namespace::new(userns)?;
        make_room(&self.namespaces, GFP_KERNEL_ACCOUNT)?;
        let mut namespaces = self.namespaces.lock();
        if let Some(ns) = namespaces.iter().find(|ns| ns.userns == userns) {
            return Ok(ns.clone());
        }
        if namespaces.len() >= crate::limits::MAX_NAMESPACES.get() {
            return Err(ENOSPC);
        }
        // One user's namespaces must leave room for everyone else's. The
        // count is taken here only, where a namespace gets its state.
        let owned = namespaces
            .iter()
            .filter(|ns| ns.owner == fresh.owner)
            .count();
        if owned >= crate::limits::MAX_NAMESPACES_PER_OWNER.get() {
            return Err(ENOSPC);
        }
        namespaces.push(fresh.clone(), GFP_ATOMIC)?;
        crate::limits::NAMESPACES.set(namespaces.len());
        Ok(fresh)
    }

    /// The nearest namespace, from `userns` up to but not including the
    /// initial one, whose daemon listens.
    fn listening_chain(&self, userns: UserNs) -> Result<KVec<Arc<Namespace>>> {
        let mut chain = KVec::new();
        let mut walker = Some(userns);
        while let Some(userns) = walker {
            if userns.is_initial() {
                break;
            }
            if let Some(ns) = self.find(userns) {
                if ns.is_listening() {
                    chain.push(ns, GFP_KERNEL)?;
                }
            }
            walker = userns.parent();
        }
        Ok(chain)
    }

    fn count_exit_rules(&self, delta: isize) {
        if delta >= 0 {
            self.exit_rules.fetch_add(delta as usize, Ordering::Relaxed);
        } else {
            self.exit_rules
                .fetch_sub(delta.unsigned_abs(), Ordering::Relaxed);
        }
        // Namespace rules must count in audit_n_rules, or syscalls that only
        // a namespace wants never collect. It cannot fail here: the module
        // only takes back what it added.
        // SAFETY: may sleep; every caller runs in process context.
        let _ = unsafe { bindings::audit_ext_count_rules(delta as i32) };
    }

    /// Unregisters the daemon of `ns` (`only` that one, if given) and drops
    /// it from the daemon list.
    pub(crate) fn forget_daemon(&self, ns: &Arc<Namespace>, only: Option<&Arc<Daemon>>) {
        let Some(daemon) = ns.unregister_daemon(only) else {
            return;
        };
        let key = daemon.process.as_ptr() as usize;
        let entry = {
            let mut daemons = self.daemons.lock();
            let index = daemons
                .iter()
                .position(|(pid, owner)| *pid == key && Arc::ptr_eq(owner, ns));
            let entry = index.and_then(|index| kvec::swap_remove(&mut daemons, index));
            self.count_daemons(&daemons);
            entry
        };
        drop((entry, daemon));
    }

    /// Publishes the length of `daemons`, the locked daemon list; called
    /// with its lock held, so that counts are published in order.
    fn count_daemons(&self, daemons: &KVec<(usize, Arc<Namespace>)>) {
        self.daemon_count.store(daemons.len(), Ordering::Relaxed);
        crate::limits::DAEMONS.set(daemons.len());
    }

    /// A task exits: if it is the last thread of a registered daemon's
    /// process, whichever thread leads it, the daemon is gone.
    fn daemon_exits(&self, task: TaskRef<'_>) {
        if self.daemon_count.load(Ordering::Relaxed) == 0 || !task.group_dead() {
            return;
        }
        let Some(process) = ProcessRef::of(task) else {
            return;
        };
        let key = process.as_ptr() as usize;
        drop(process);
        loop {
            let owner = {
                let daemons = self.daemons.lock();
                daemons
                    .iter()
                    .find(|(pid, _)| *pid == key)
                    .map(|(_, owner)| owner.clone())
            };
            let Some(owner) = owner else { break };
            let daemon = owner.state.lock().daemon.clone();
            match daemon {
                Some(daemon) if daemon.process.as_ptr() as usize == key => {
                    self.forget_daemon(&owner, Some(&daemon));
                }
                _ => {
                    // Stale entry (replaced daemon): drop it.
                    let mut daemons = self.daemons.lock();
                    if let Some(index) = daemons
                        .iter()
                        .position(|(pid, o)| *pid == key && Arc::ptr_eq(o, &owner))
                    {
                        let entry = kvec::swap_remove(&mut daemons, index);
                        self.count_daemons(&daemons);
                        drop(daemons);
                        drop(entry);
                    }
                }
            }
        }
    }

    /// The `userns_free` hook: forget `userns`.
    pub(crate) fn userns_free(&self, userns: UserNs) {
        let removed = {
            let mut namespaces = self.namespaces.lock();
            let index = namespaces.iter().position(|ns| ns.userns == userns);
            let removed = index.and_then(|index| kvec::swap_remove(&mut namespaces, index));
            crate::limits::NAMESPACES.set(namespaces.len());
            removed
        };
        if let Some(ns) = removed {
            self.forget_daemon(&ns, None);
            let exit_rules = ns.clear_rules();
            self.count_exit_rules(-(exit_rules as isize));
            ns.stop_delivery();
        }
    }

    /// Forgets every namespace; for module unload, after the hooks are gone
    /// and before the delivery workqueue is.
    pub(crate) fn clear(&self) {
        let namespaces = {
            let mut namespaces = self.namespaces.lock();
            crate::limits::NAMESPACES.set(0);
            core::mem::take(&mut *namespaces)
        };
        for ns in namespaces.iter() {
            ns.stop_delivery();
            self.forget_daemon(ns, None);
            ns.clear_rules();
        }
        let in_flight = core::mem::take(&mut *self.in_flight.lock());
        drop((namespaces, in_flight));
    }

    /// Removes the in-flight event of `task`, if any.
    fn take_in_flight(&self, task: usize) -> Option<InFlight> {
        if self.in_flight_count.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let mut in_flight = self.in_flight.lock();
        let index = in_flight.iter().position(|e| e.task == task)?;
        self.in_flight_count.fetch_sub(1, Ordering::Relaxed);
        kvec::swap_remove(&mut in_flight, index)
    }

    /// The `syscall_exit` hook: which namespaces' rules select the event of
    /// `ctx`, current's context. Returns true if any does.
    pub(crate) fn syscall_exit(&self, ctx: *mut bindings::audit_context) -> bool {
        // An earlier event whose end-of-event record never came (dropped by
        // the host's exclude rules or backlog) ends here: its audience must
        // not receive this event's records.
        let task = TaskRef::with_current(|task| task.as_ptr() as usize);
        drop(self.take_in_flight(task));
        if self.exit_rules.load(Ordering::Relaxed) == 0 {
            return false;
        }
        let mut info = bindings::audit_ext_syscall::default();
        // SAFETY: `ctx` is current's context, in its syscall exit.
        if unsafe { bindings::audit_ext_syscall_info(ctx, &mut info) } != 0 {
            return false;
        }
        let Ok(nr) = u16::try_from(info.major) else {
            return false;
        };
        let mut audience = KVec::new();
        let mut walker = Some(UserNs::current());
        while let Some(userns) = walker {
            if userns.is_initial() {
                break;
            }
            if let Some(ns) = self.find(userns) {
                let event = |view: &_| SyscallEvent {
                    info,
                    task: ns.current_task_fields(view),
                };
                if let Some(key) = ns.select_syscall(nr, event) {
                    if audience
                        .push(
                            Audience {
                                ns: ns.clone(),
                                key,
                            },
                            GFP_KERNEL,
                        )
                        .is_err()
                    {
                        ns.state.lock().queue.count_lost();
                    }
                }
            }
            walker = userns.parent();
        }
        if audience.is_empty() {
            return false;
        }
        let Ok(audience) = Arc::new(audience, GFP_KERNEL) else {
            return false;
        };
        if push_growing(&self.in_flight, InFlight { task, audience }, GFP_KERNEL).is_err() {
            return false;
        }
        self.in_flight_count.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// The `log_end` hook: hand a record of current's event to its audience.
    pub(crate) fn log_end(&self, ctx: *mut bindings::audit_context, msg_type: u32, text: &[u8]) {
        if self.in_flight_count.load(Ordering::Relaxed) == 0 {
            return;
        }
        // SAFETY: `in_task()` only reads the preempt count.
        if ctx.is_null() || !unsafe { bindings::in_task() } {
            return;
        }
        // SAFETY: `audit_context()` reads current's own context pointer.
        if ctx != unsafe { bindings::audit_context() } {
            return;
        }
        let task = TaskRef::with_current(|task| task.as_ptr() as usize);
        let Ok(msg_type16) = u16::try_from(msg_type) else {
            return;
        };
        let audience = if msg_type == bindings::AUDIT_EOE {
            // The event ends with this record.
            let Some(entry) = self.take_in_flight(task) else {
                return;
            };
            entry.audience
        } else {
            let in_flight = self.in_flight.lock();
            let Some(entry) = in_flight.iter().find(|e| e.task == task) else {
                return;
            };
            entry.audience.clone()
        };
        for member in audience.iter() {
            let key = if msg_type == bindings::AUDIT_SYSCALL {
                KeyField::Replace(member.key.as_deref())
            } else {
                KeyField::Keep
            };
            member.ns.enqueue(msg_type16, text, key);
        }
    }

    /// The `task_free` hook: forget an event the task never ended, and a
    /// daemon whose process ends. A task whose fork failed never ran: its
    /// process is not its own yet, or freed already, so it is not looked at.
    pub(crate) fn task_free(&self, task: TaskRef<'_>, fork_failed: bool) {
        drop(self.take_in_flight(task.as_ptr() as usize));
        if !fork_failed {
            self.daemon_exits(task);
        }
    }

    /// The `netlink_msg` hook: a message from a task outside the initial
    /// user namespace. Returns 0, a positive answer, or a negative errno.
    pub(crate) fn netlink_msg(
        &self,
        skb: *mut bindings::sk_buff,
        nlh: *mut bindings::nlmsghdr,
        payload: &[u8],
        ack: &mut bool,
    ) -> i32 {
        match self.handle(skb, nlh, payload, ack) {
            Ok(answer) => answer,
            Err(err) => err.to_errno(),
        }
    }

    fn handle(
        &self,
        skb: *mut bindings::sk_buff,
        nlh_ptr: *mut bindings::nlmsghdr,
        payload: &[u8],
        ack: &mut bool,
    ) -> Result<i32> {
        // SAFETY: the caller passes a checked header of `skb`.
        let nlh = unsafe { &*nlh_ptr };
        let msg_type = u32::from(nlh.nlmsg_type);
        let userns = UserNs::current();
        let capable = |cap: u32| {
            // SAFETY: `skb` is the message being handled; the namespace is
            // current's, live.
            unsafe { bindings::netlink_ns_capable(skb, userns.as_ptr(), cap as i32) }
        };
        match msg_type {
            bindings::AUDIT_USER
            | bindings::AUDIT_FIRST_USER_MSG..=bindings::AUDIT_LAST_USER_MSG
            | bindings::AUDIT_FIRST_USER_MSG2..=bindings::AUDIT_LAST_USER_MSG2 => {
                // Without a daemon in reach, audit is absent, as PAM expects.
                let chain = self.listening_chain(userns)?;
                if chain.is_empty() {
                    return Err(crate::errno_error(bindings::ECONNREFUSED as i32));
                }
                // Each namespace takes the message only from a sender with
                // CAP_AUDIT_WRITE in it: an ancestor's daemon must not log
                // what a user who is root only below it claims.
                let mut allowed = KVec::new();
                for ns in chain {
                    // SAFETY: `skb` is the message being handled; the
                    // namespace is the sender's or an ancestor, live.
                    let ok = unsafe {
                        bindings::netlink_ns_capable(
                            skb,
                            ns.userns.as_ptr(),
                            bindings::CAP_AUDIT_WRITE as i32,
                        )
                    };
                    if ok {
                        allowed.push(ns, GFP_KERNEL)?;
                    }
                }
                if allowed.is_empty() {
                    return Err(EPERM);
                }
                self.user_message(&allowed, msg_type, payload)?;
                return Ok(0);
            }
            bindings::AUDIT_GET
            | bindings::AUDIT_SET
            | bindings::AUDIT_GET_FEATURE
            | bindings::AUDIT_SET_FEATURE
            | bindings::AUDIT_LIST_RULES
            | bindings::AUDIT_ADD_RULE
            | bindings::AUDIT_DEL_RULE
            | bindings::AUDIT_SIGNAL_INFO
            | bindings::AUDIT_TRIM
            | bindings::AUDIT_MAKE_EQUIV
            | bindings::AUDIT_TTY_GET
            | bindings::AUDIT_TTY_SET => {
                if !capable(bindings::CAP_AUDIT_CONTROL) {
                    return Err(EPERM);
                }
            }
            // The pre-2.6.x rule messages, refused upstream too.
            bindings::AUDIT_LIST | bindings::AUDIT_ADD | bindings::AUDIT_DEL => {
                return Err(crate::errno_error(bindings::EOPNOTSUPP as i32))
            }
            _ => return Err(EINVAL),
        }
        match msg_type {
            // Host-wide mechanisms with no per-namespace meaning.
            bindings::AUDIT_TRIM
            | bindings::AUDIT_MAKE_EQUIV
            | bindings::AUDIT_TTY_GET
            | bindings::AUDIT_TTY_SET => Err(crate::errno_error(bindings::EOPNOTSUPP as i32)),
            bindings::AUDIT_GET => {
                let ns = self.find_or_create(userns)?;
                let status = self.status_of(&ns);
                reply(skb, nlh_ptr, ack, &status.to_wire())?;
                Ok(0)
            }
            bindings::AUDIT_SET => {
                let ns = self.find_or_create(userns)?;
                let _control = ns.control.lock();
                self.set_status(&ns, skb, nlh_ptr, ack, &Status::from_wire(payload))
            }
            bindings::AUDIT_GET_FEATURE => {
                let ns = self.find_or_create(userns)?;
                let features = ns.state.lock().features;
                reply(skb, nlh_ptr, ack, &features.to_wire())?;
                Ok(0)
            }
            bindings::AUDIT_SET_FEATURE => {
                if payload.len() < Features::LEN {
                    return Err(EINVAL);
                }
                let ns = self.find_or_create(userns)?;
                let _control = ns.control.lock();
                let request = Features::from_wire(payload);
                let mut state = ns.state.lock();
                state.features.apply(&request).map_err(crate::errno_error)?;
                Ok(0)
            }
            bindings::AUDIT_SIGNAL_INFO => {
                // No signal to a namespace's daemon is recorded: an unset
                // uid and no PID, as upstream answers before any signal.
                let mut info = [0u8; 8];
                info[..4].copy_from_slice(&u32::MAX.to_ne_bytes());
                reply(skb, nlh_ptr, ack, &info)?;
                Ok(0)
            }
            bindings::AUDIT_LIST_RULES => {
                let ns = self.find_or_create(userns)?;
                RuleDump::start(&ns, skb, nlh_ptr)?;
                // The dump answers instead of an ack.
                *ack = false;
                Ok(0)
            }
            bindings::AUDIT_ADD_RULE => {
                let ns = self.find_or_create(userns)?;
                let _control = ns.control.lock();
                if ns.add_rule(payload)? {
                    self.count_exit_rules(1);
                }
                Ok(0)
            }
            bindings::AUDIT_DEL_RULE => {
                let ns = self.find(userns).ok_or(ENOENT)?;
                let _control = ns.control.lock();
                if ns.del_rule(payload)? {
                    self.count_exit_rules(-1);
                }
                Ok(0)
            }
            _ => Err(EINVAL),
        }
    }

    fn status_of(&self, ns: &Namespace) -> Status {
        let sender_view = PidNsRef::current();
        let state = ns.state.lock();
        let settings = state.settings;
        let pid = state
            .daemon
            .as_ref()
            .filter(|d| d.process.is_alive())
            .map_or(0, |d| d.process.nr_in(&sender_view));
        let status = Status {
            mask: 0,
            enabled: settings.enabled,
            failure: settings.failure,
            pid,
            rate_limit: settings.rate_limit,
            backlog_limit: settings.backlog_limit,
            lost: state.queue.lost(),
            backlog: state.queue.records(),
            feature_bitmap: FEATURE_BITMAP,
            backlog_wait_time: settings.backlog_wait_time,
            backlog_wait_time_actual: 0,
        };
        drop(state);
        drop(sender_view);
        status
    }

    fn set_status(
        &self,
        ns: &Arc<Namespace>,
        skb: *mut bindings::sk_buff,
        nlh: *mut bindings::nlmsghdr,
        ack: &mut bool,
        status: &Status,
    ) -> Result<i32> {
        // The pid checks come first, so that a refused registration changes
        // nothing.
        let pid = status.wants_pid();
        if let Some(new_pid) = pid {
            let me = PidNsRef::current().current_tgid();
            if new_pid != 0 && new_pid != me {
                return Err(EINVAL);
            }
            let (healthy, is_me) = {
                let state = ns.state.lock();
                match state.daemon.as_ref() {
                    Some(d) if d.process.is_alive() => (true, d.process.is_current()),
                    _ => (false, false),
                }
            };
            if healthy && new_pid != 0 {
                return Err(EEXIST);
            }
            if healthy && !is_me {
                return Err(EACCES);
            }
        }
        let request = {
            let mut state = ns.state.lock();
            state.settings.apply(status).map_err(crate::errno_error)?
        };
        match pid {
            Some(0) => self.forget_daemon(ns, None),
            Some(_) => self.register_daemon(ns, skb, nlh, ack)?,
            None => {}
        }
        if request.reset_lost {
            let lost = ns.state.lock().queue.take_lost();
            return Ok(i32::try_from(lost).unwrap_or(i32::MAX));
        }
        Ok(0)
    }

    /// Makes the sender of `skb` the daemon of `ns`.
    fn register_daemon(
        &self,
        ns: &Arc<Namespace>,
        skb: *mut bindings::sk_buff,
        nlh: *mut bindings::nlmsghdr,
        ack: &mut bool,
    ) -> Result {
        let mut portid = 0u32;
        // SAFETY: `skb` is the message being handled.
        let net = unsafe { bindings::audit_ext_sender(skb, &mut portid) };
        // SAFETY: the sender's socket keeps its network namespace live.
        let net = unsafe { NetRef::get(net) }.ok_or(EINVAL)?;
        let daemon = Arc::new(
            Daemon {
                portid,
                net,
                process: ProcessRef::current(),
                view: PidNsRef::current(),
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        // A replaced (dead) daemon goes first.
        self.forget_daemon(ns, None);
        // Ack now, as upstream's auditd_set() does: records may follow at
        // once, and the daemon waits for this answer first.
        if *ack {
            // SAFETY: `skb` and `nlh` are the message being handled.
            unsafe { bindings::netlink_ack(skb, nlh, 0, core::ptr::null()) };
            *ack = false;
        }
        push_growing(
            &self.daemons,
            (daemon.process.as_ptr() as usize, ns.clone()),
            GFP_KERNEL_ACCOUNT,
        )?;
        self.count_daemons(&self.daemons.lock());
        let old = ns.state.lock().daemon.replace(daemon);
        drop(old);
        Ok(())
    }

    /// Delivers a user message to `chain`, the listening namespaces in reach.
    fn user_message(&self, chain: &[Arc<Namespace>], msg_type: u32, payload: &[u8]) -> Result {
        use core::fmt::Write;
        let text_len = payload
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(payload.len())
            .min(MESSAGE_TEXT_MAX);
        let mut ids = bindings::audit_ext_ids::default();
        // SAFETY: `init_user_ns` is a static; the ids are current's.
        unsafe {
            bindings::audit_ext_current_ids(
                core::ptr::addr_of_mut!(bindings::init_user_ns),
                &mut ids,
            )
        };
        let (tgid, sessionid) = TaskRef::with_current(|task| (task.tgid(), task.sessionid()));
        let mut text = KVec::with_capacity(text_len + 160, GFP_KERNEL)?;
        let mut stamp = [0u8; 64];
        // SAFETY: `stamp` is writable for its length.
        let stamp_len =
            unsafe { bindings::audit_ext_format_stamp(stamp.as_mut_ptr().cast(), stamp.len()) };
        let stamp_len = usize::try_from(stamp_len).unwrap_or(0).min(stamp.len() - 1);
        text.extend_from_slice(&stamp[..stamp_len], GFP_KERNEL)?;
        let mut fields = crate::text::TextBuf::<96>::new();
        let _ = write!(
            fields,
            "pid={} uid={} auid={} ses={} msg='",
            tgid, ids.uid, ids.loginuid, sessionid
        );
        text.extend_from_slice(fields.as_bytes(), GFP_KERNEL)?;
        text.extend_from_slice(&payload[..text_len], GFP_KERNEL)?;
        text.extend_from_slice(b"'", GFP_KERNEL)?;
        let msg_type16 = u16::try_from(msg_type).map_err(|_| EINVAL)?;
        for ns in chain {
            if !ns.user_msg_dropped(msg_type) {
                ns.enqueue(msg_type16, &text, KeyField::Keep);
            }
        }
        Ok(())
    }
}

/// Makes room for one more entry in the vector behind `lock`: when it is
/// full, a larger one is allocated with `flags` outside the lock (where
/// sleeping is allowed) and the entries are moved into it under the lock.
/// If other tasks fill it meanwhile, the caller's push still succeeds, by
/// an atomic allocation.
fn make_room<T>(lock: &SpinLock<KVec<T>>, flags: kernel::alloc::Flags) -> Result {
    let len = {
        let vec = lock.lock();
        if vec.len() < vec.capacity() {
            return Ok(());
        }
        vec.len()
    };
    let mut room = KVec::with_capacity(2 * len + 4, flags)?;
    let mut vec = lock.lock();
    if vec.len() == vec.capacity() && room.capacity() > vec.len() {
        for entry in core::mem::take(&mut *vec) {
            // Cannot fail: the room was reserved above.
            let _ = room.push(entry, GFP_ATOMIC);
        }
        *vec = room;
    }
    Ok(())
}

/// Pushes `item` onto the vector behind `lock`, growing it as
/// [`make_room`] does.
fn push_growing<T>(lock: &SpinLock<KVec<T>>, item: T, flags: kernel::alloc::Flags) -> Result {
    make_room(lock, flags)?;
    lock.lock().push(item, GFP_ATOMIC).map_err(|_| ENOMEM)
}

/// Answers the request `nlh` in `skb` with one message of its type, at
/// once: charged to the sender, and dropped if its socket is full (the
/// sender then sees ENOBUFS), so that a sender that never reads costs
/// nothing that is not its own.
///
/// An ack asked for goes first, as upstream's ack comes before the answer
/// its thread sends: libaudit reads a request's ack, if it is the first
/// message, before the answer, and would otherwise take this ack for the
/// next request's.
fn reply(
    skb: *mut bindings::sk_buff,
    nlh: *mut bindings::nlmsghdr,
    ack: &mut bool,
    payload: &[u8],
) -> Result {
    let size = i32::try_from(payload.len()).map_err(|_| EINVAL)?;
    if *ack {
        // SAFETY: `skb` and `nlh` are the message being handled.
        unsafe { bindings::netlink_ack(skb, nlh, 0, core::ptr::null()) };
        *ack = false;
    }
    // SAFETY: `nlh` is the request being handled.
    let (seq, msg_type) = unsafe { ((*nlh).nlmsg_seq as i32, i32::from((*nlh).nlmsg_type)) };
    // SAFETY: `skb` is the request being handled; `payload` is readable
    // for `size` bytes.
    let rc =
        unsafe { bindings::audit_ext_reply(skb, seq, msg_type, payload.as_ptr().cast(), size) };
    if rc < 0 {
        return Err(Error::from_errno(rc));
    }
    Ok(())
}

/// An `AUDIT_LIST_RULES` answer: a netlink dump of the namespace's rules,
/// one rule a message, in upstream's order (user, exit, exclude lists).
/// The dump is filled as the reader reads, a message at a time (libaudit
/// reads one message per datagram), so it holds no more memory than the
/// reader's socket takes, and a socket runs one dump at a time.
struct RuleDump {
    ns: Arc<Namespace>,
    /// How many rules were sent.
    sent: usize,
}

/// The lists a rule dump goes through, in order.
const DUMP_LISTS: [u32; 3] = [rule::list::USER, rule::list::EXIT, rule::list::EXCLUDE];

impl RuleDump {
    /// Starts the dump of `ns`'s rules in answer to `nlh`, in `skb`.
    fn start(
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
