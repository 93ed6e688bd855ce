// SPDX-License-Identifier: GPL-2.0

//! The audit state of one user namespace: settings, daemon, rules, queue.

use crate::kvec;
use crate::nsref::{ChargeKey, NetRef, PidNsRef, ProcessRef, UserNs, UserNsRef};
use crate::queue::{Admit, QueueAccount};
use crate::rule::{self, EventFields, RuleView};
use crate::rule_index;
use crate::status::{Features, Settings};
use crate::task::TaskRef;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use kernel::{
    bindings, c_str,
    prelude::*,
    sync::{Arc, Mutex, SpinLock},
    types::Opaque,
    workqueue::{self, Work, WorkItem},
};

/// The daemon registered with `AUDIT_SET` pid.
///
/// Its references (network and PID namespaces, `struct pid`) keep the
/// user namespace alive, as the daemon's own process does: the daemon is
/// unregistered when its process exits (the `task_free` hook), when its
/// socket is gone, or when it sets pid 0, so that the namespace can go.
pub(crate) struct Daemon {
    /// Its netlink port.
    pub(crate) portid: u32,
    /// The network namespace of its socket.
    pub(crate) net: NetRef,
    /// The process, to tell whether it still runs.
    pub(crate) process: ProcessRef,
    /// The daemon's PID namespace: the view records and rules use.
    pub(crate) view: PidNsRef,
}

/// One stored rule: its wire form, as `AUDIT_LIST_RULES` gives it back,
/// and what matching needs, parsed once when it was added.
pub(crate) struct StoredRule {
    data: KVec<u8>,
    /// The filter list (`rule::list`).
    pub(crate) list: u32,
    /// `rule::action::NEVER` or `ALWAYS`.
    pub(crate) action: u32,
    mask: [u32; rule::BITMASK_WORDS],
    fields: KVec<rule::Field>,
    key: Option<KVec<u8>>,
}

impl StoredRule {
    /// Keeps `rule`, parsed from `data` (without netlink's padding).
    fn new(rule: &RuleView<'_>, data: &[u8]) -> Result<Self> {
        let mut copy = KVec::with_capacity(data.len(), GFP_KERNEL_ACCOUNT)?;
        copy.extend_from_slice(data, GFP_KERNEL_ACCOUNT)?;
        let mut fields = KVec::new();
        for field in rule.fields() {
            if field.id != rule::field::FILTERKEY {
                fields.push(field, GFP_KERNEL_ACCOUNT)?;
            }
        }
        let key = match rule.key() {
            Some(key) => {
                let mut owned = KVec::with_capacity(key.len(), GFP_KERNEL_ACCOUNT)?;
                owned.extend_from_slice(key, GFP_KERNEL_ACCOUNT)?;
                Some(owned)
            }
            None => None,
        };
        Ok(Self {
            data: copy,
            list: rule.list,
            action: rule.action,
            mask: *rule.syscall_mask(),
            fields,
            key,
        })
    }

    /// The wire form.
    pub(crate) fn data(&self) -> &[u8] {
        &self.data
    }

    /// Whether the rule covers syscall `nr`.
    fn has_syscall(&self, nr: u16) -> bool {
        let word = usize::from(nr / 32);
        word < rule::BITMASK_WORDS && self.mask[word] & (1 << (nr % 32)) != 0
    }

    /// Whether every field holds for `event`.
    fn matches(&self, event: &impl EventFields) -> bool {
        rule::fields_match(self.fields.iter().copied(), event)
    }
}

/// A record waiting for the daemon.
pub(crate) struct QueuedRecord {
    msg_type: u16,
    text: KVec<u8>,
    /// What it is charged in the queue's byte count: [`record_charge`].
    charge: usize,
}

/// What a queued record of `len` bytes of text really occupies: the text's
/// allocation, as the slab rounds it up, and the record's slot in the
/// queue. The queue's byte limit counts this, so that many small records
/// cannot pin more memory than the limit says.
fn record_charge(len: usize) -> usize {
    // SAFETY: a computation on sizes only.
    let text = unsafe { bindings::kmalloc_size_roundup(len) };
    text.saturating_add(core::mem::size_of::<QueuedRecord>())
}

/// `text` in an allocation of its own length, if the one it was translated
/// into is larger (room for growth that was not needed): a queued record
/// keeps only what it uses. `None` without memory.
fn fit_to_len(text: KVec<u8>) -> Option<KVec<u8>> {
    // SAFETY: computations on sizes only.
    let (used, held) = unsafe {
        (
            bindings::kmalloc_size_roundup(text.len()),
            bindings::kmalloc_size_roundup(text.capacity()),
        )
    };
    if used == held {
        return Some(text);
    }
    let mut fitted = KVec::with_capacity(text.len(), queued_record_flags()).ok()?;
    fitted
        .extend_from_slice(&text, queued_record_flags())
        .ok()?;
    Some(fitted)
}

/// What is behind a namespace's lock.
pub(crate) struct NsState {
    /// The `AUDIT_SET` settings.
    pub(crate) settings: Settings,
    /// The `AUDIT_SET_FEATURE` state; kept and reported only.
    pub(crate) features: Features,
    /// The registered daemon, if any.
    pub(crate) daemon: Option<Arc<Daemon>>,
    /// Counts of the queue.
    pub(crate) queue: QueueAccount,
    /// Records waiting, oldest first.
    pending: KVec<QueuedRecord>,
    /// Records the delivery took from `pending` and has not sent all of:
    /// those from `sent` on. Kept apart so that a daemon whose socket is
    /// full costs no copying of its queue on each try.
    in_delivery: KVec<QueuedRecord>,
    /// How many of `in_delivery` were sent.
    sent: usize,
    /// The user namespace, held while a failure action 2 is queued.
    kill_hold: Option<UserNsRef>,
    /// The exclude list, copied from the rules so that records can be
    /// filtered where the rules' mutex cannot be taken.
    exclude: KVec<ExcludeRule>,
}

/// An exclude-list rule, as records are filtered with it.
pub(crate) struct ExcludeRule {
    action: u32,
    fields: KVec<rule::Field>,
}

/// A record's own fields, for the exclude list: upstream tests the message
/// type there (and the current task's ids, which a namespace's record,
/// translated later, does not use; such rules never match here).
struct RecordFields(u32);

impl EventFields for RecordFields {
    fn value(&self, id: u32) -> Option<u64> {
        (id == rule::field::MSGTYPE).then_some(u64::from(self.0))
    }
}

/// Whether the first exclude rule that holds for a record of `msg_type`
/// drops it.
fn excluded(rules: &[ExcludeRule], msg_type: u32) -> bool {
    rules
        .iter()
        .find(|rule| rule::fields_match(rule.fields.iter().copied(), &RecordFields(msg_type)))
        .is_some_and(|rule| rule.action == rule::action::NEVER)
}

/// A namespace's rules.
pub(crate) struct Rules {
    /// Exit-list rules, in order.
    pub(crate) exit: KVec<StoredRule>,
    /// User-list and exclude-list rules, in order.
    pub(crate) other: KVec<StoredRule>,
    /// `(syscall, exit rule)` for exit rules that name few syscalls, sorted.
    narrow: KVec<(u16, u16)>,
    /// Exit rules that name many syscalls, ascending.
    wide: KVec<u16>,
    /// False if the index could not be rebuilt (no memory): every exit
    /// rule is then tested, as upstream does.
    index_valid: bool,
}

impl Rules {
    /// Rebuilds the syscall index of the exit rules; see `rule_index`.
    fn rebuild_index(&mut self) {
        self.index_valid = self.try_rebuild_index().is_ok();
    }

    fn try_rebuild_index(&mut self) -> Result {
        let (mut narrow, mut wide) = (KVec::new(), KVec::new());
        for (index, stored) in self.exit.iter().enumerate() {
            let index = u16::try_from(index).map_err(|_| ENOSPC)?;
            let mask = &stored.mask;
            if rule_index::is_wide(mask) {
                wide.push(index, GFP_KERNEL_ACCOUNT)?;
            } else {
                for nr in rule_index::syscalls(mask) {
                    narrow.push((nr, index), GFP_KERNEL_ACCOUNT)?;
                }
            }
        }
        rule_index::sort(&mut narrow);
        self.narrow = narrow;
        self.wide = wide;
        Ok(())
    }
}

/// The delivery of a namespace's records: C's `struct delayed_work`, so
/// that a daemon whose socket is full is tried again later without a
/// worker sleeping, which would hold up other namespaces' delivery.
///
/// # Invariants
///
/// It lives in the `delivery` field of a [`Namespace`] held by an [`Arc`],
/// and was initialised by [`DeliveryWork::new`] to run [`deliver_work`].
/// While it is queued it holds one reference to that `Arc`, given to it by
/// [`Arc::into_raw`] when it was queued, and taken back by the work
/// function or by [`Namespace::stop_delivery`].
#[pin_data]
struct DeliveryWork {
    #[pin]
    inner: Opaque<bindings::delayed_work>,
}

// SAFETY: the workqueue API may queue, run and cancel a delayed work item
// from any thread; the item owns nothing but the reference it is given.
unsafe impl Send for DeliveryWork {}
// SAFETY: as above; every use is through the workqueue API, which
// serialises them with its own locking.
unsafe impl Sync for DeliveryWork {}

impl DeliveryWork {
    fn new() -> impl PinInit<Self> {
        let name = c_str!("auditns::Namespace::delivery");
        let work_key = kernel::static_lock_class!();
        let timer_key = kernel::static_lock_class!();
        pin_init!(Self {
            inner <- Opaque::ffi_init(move |slot: *mut bindings::delayed_work| {
                // SAFETY: `slot` is the item's memory, pinned, not yet in
                // use; the name and the lock class keys are statics. This
                // is what INIT_DELAYED_WORK() does.
                unsafe {
                    bindings::init_work_with_key(
                        core::ptr::addr_of_mut!((*slot).work),
                        Some(deliver_work),
                        false,
                        name.as_char_ptr(),
                        lock_class_key_ptr(work_key),
                    );
                    bindings::init_timer_key(
                        core::ptr::addr_of_mut!((*slot).timer),
                        Some(bindings::delayed_work_timer_fn),
                        bindings::TIMER_IRQSAFE,
                        name.as_char_ptr(),
                        lock_class_key_ptr(timer_key),
                    );
                }
            }),
        })
    }
}

/// The C object of a lock class key, which 6.12's kernel crate keeps
/// private.
fn lock_class_key_ptr(key: &'static kernel::sync::LockClassKey) -> *mut bindings::lock_class_key {
    // `LockClassKey` is a transparent wrapper of `Opaque<lock_class_key>`,
    // itself transparent over the C object.
    core::ptr::from_ref(key).cast_mut().cast()
}

/// The delivery work function.
///
/// # Safety
///
/// `work` must be the work of a queued [`DeliveryWork`].
unsafe extern "C" fn deliver_work(work: *mut bindings::work_struct) {
    // SAFETY: by the invariant of `DeliveryWork`, `work` is the `work` of
    // the `delayed_work` (wrapped in a transparent `Opaque`) in the
    // `delivery` field of a `Namespace` in an `Arc`, and the queued item
    // holds a reference from `Arc::into_raw`, which is taken back here.
    let ns = unsafe {
        let dwork = kernel::container_of!(work, bindings::delayed_work, work);
        let delivery = kernel::container_of!(
            dwork.cast::<Opaque<bindings::delayed_work>>(),
            DeliveryWork,
            inner
        );
        Arc::from_raw(kernel::container_of!(delivery, Namespace, delivery))
    };
    ns.deliver();
}

/// Records one delivery run sends at most before it makes way for other
/// namespaces' delivery.
const DELIVERY_BATCH: usize = 256;

/// How long a daemon whose socket is full is left to read, in ms.
const DELIVERY_RETRY_MS: u32 = 10;

/// The audit state of one user namespace.
#[pin_data]
pub(crate) struct Namespace {
    /// The namespace; dropped from the registry before it is freed.
    pub(crate) userns: UserNs,
    /// Whom this state is charged to; see [`UserNs::charge_key`].
    pub(crate) owner: ChargeKey,
    /// Serialises the namespace's control requests (settings, daemon
    /// registration, rule changes), which the host's audit control mutex
    /// does not cover.
    #[pin]
    pub(crate) control: Mutex<()>,
    /// Taken in any task context, also where sleeping is not allowed.
    #[pin]
    pub(crate) state: SpinLock<NsState>,
    /// Taken where sleeping is allowed only.
    #[pin]
    pub(crate) rules: Mutex<Rules>,
    #[pin]
    delivery: DeliveryWork,
    #[pin]
    kill_work: Work<Namespace, KILL>,
}

/// The work item that applies failure action 2.
const KILL: u64 = 1;

kernel::impl_has_work! {
    impl HasWork<Self, KILL> for Namespace { self.kill_work }
}

/// How a queued record's memory is allocated: without sleeping (records are
/// queued where that is not allowed) and charged, as `GFP_KERNEL_ACCOUNT`
/// would be, to the memory cgroup of the task whose event or message it is.
/// Not `GFP_ATOMIC`, whose `__GFP_HIGH` would let the charge pass the
/// cgroup's limit and dip into the host's reserves: a record that does not
/// fit is lost instead, and counted.
fn queued_record_flags() -> kernel::alloc::Flags {
    // The 6.12 kernel crate has no `__GFP_ACCOUNT`; it is what
    // `GFP_KERNEL_ACCOUNT` adds to `GFP_KERNEL`.
    let account = GFP_KERNEL_ACCOUNT & !GFP_KERNEL;
    GFP_NOWAIT | __GFP_NOWARN | account
}

/// Set while the module unloads, so that delivery stops re-queuing itself.
pub(crate) static STOPPING: AtomicBool = AtomicBool::new(false);
/// The queue delivery runs on; set while the module is loaded.
pub(crate) static DELIVERY_QUEUE: AtomicUsize = AtomicUsize::new(0);

impl Namespace {
    /// New state for `userns`, seen from the current task's PID namespace.
    pub(crate) fn new(userns: UserNs) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Namespace {
                userns,
                owner: userns.charge_key(),
                control <- kernel::new_mutex!((), "auditns::Namespace::control"),
                state <- kernel::new_spinlock!(NsState {
                    settings: Settings::default(),
                    features: Features { vers: Features::VERSION, ..Features::default() },
                    daemon: None,
                    queue: QueueAccount::new(
                        crate::queue::DEFAULT_BACKLOG_LIMIT,
                        crate::limits::MAX_QUEUED_KIB.get() * 1024,
                    ),
                    pending: KVec::new(),
                    in_delivery: KVec::new(),
                    sent: 0,
                    kill_hold: None,
                    exclude: KVec::new(),
                }, "auditns::Namespace::state"),
                rules <- kernel::new_mutex!(Rules {
                    exit: KVec::new(),
                    other: KVec::new(),
                    narrow: KVec::new(),
                    wide: KVec::new(),
                    index_valid: true,
                },
                    "auditns::Namespace::rules"),
                delivery <- DeliveryWork::new(),
                kill_work <- kernel::new_work!("auditns::Namespace::kill_work"),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// The daemon, if one is registered, alive, and the namespace audits.
    pub(crate) fn listener(&self) -> Option<Arc<Daemon>> {
        let state = self.state.lock();
        if state.settings.enabled == 0 {
            return None;
        }
        state
            .daemon
            .clone()
            .filter(|daemon| daemon.process.is_alive())
    }

    /// Whether a live daemon is registered and the namespace audits.
    pub(crate) fn is_listening(&self) -> bool {
        self.listener().is_some()
    }

    /// Queues a record for the daemon; in any task context, never sleeps.
    ///
    /// `text` is translated into this namespace's view first.
    pub(crate) fn enqueue(
        self: &Arc<Self>,
        msg_type: u16,
        text: &[u8],
        key: crate::translate::KeyField<'_>,
    ) {
        // Decide what needs no translation first: a flooded namespace
        // should cost little.
        let daemon = {
            let mut state = self.state.lock();
            if state.settings.enabled == 0 {
                return;
            }
            let Some(daemon) = state.daemon.clone() else {
                return;
            };
            if excluded(&state.exclude, u32::from(msg_type)) {
                return;
            }
            state.queue.backlog_limit = state.settings.backlog_limit;
            state.queue.byte_limit = crate::limits::MAX_QUEUED_KIB.get() * 1024;
            if state.queue.is_full() {
                state.queue.count_lost();
                let failure = state.settings.failure;
                drop(state);
                self.failure_action(failure);
                return;
            }
            daemon
        };
        let view = View {
            userns: self.userns,
            pids: &daemon.view,
        };
        let usual = text.len() + crate::translate::MAX_GROWTH;
        let worst = crate::translate::worst_case_len(text.len());
        let mut translated = None;
        for capacity in [usual, worst] {
            let Ok(mut buf) = KVec::from_elem(0u8, capacity, queued_record_flags()) else {
                break;
            };
            let mut out = crate::translate::SliceSink::new(buf.as_mut_slice());
            if crate::translate::translate(text, &view, key, &mut out).is_ok() {
                let len = out.len();
                // SAFETY: `len` is at most `capacity`, the initialised length.
                unsafe { buf.set_len(len) };
                translated = Some(buf);
                break;
            }
        }
        let Some(text) = translated.and_then(fit_to_len) else {
            self.lose();
            return;
        };
        let charge = record_charge(text.len());
        let mut state = self.state.lock();
        if state.daemon.is_none() || state.settings.enabled == 0 {
            return;
        }
        state.queue.backlog_limit = state.settings.backlog_limit;
        if state.queue.admit(charge) == Admit::Lost {
            let failure = state.settings.failure;
            drop(state);
            self.failure_action(failure);
            return;
        }
        if state
            .pending
            .push(
                QueuedRecord {
                    msg_type,
                    text,
                    charge,
                },
                queued_record_flags(),
            )
            .is_err()
        {
            state.queue.release(charge);
            drop(state);
            self.lose();
            return;
        }
        drop(state);
        self.queue_delivery(0);
    }

    /// Counts a record lost without a queue slot (no memory) and applies
    /// the failure action.
    fn lose(self: &Arc<Self>) {
        let failure = {
            let mut state = self.state.lock();
            state.queue.count_lost();
            state.settings.failure
        };
        self.failure_action(failure);
    }

    /// Applies the namespace's failure action after a record was lost:
    /// 0 nothing, 1 a rate-limited kernel message, 2 end the namespace's
    /// processes (from a worker, as this may run where sleeping is not
    /// allowed). Never a panic: the host outlives any container.
    fn failure_action(self: &Arc<Self>, failure: u32) {
        match failure {
            1 => {
                // SAFETY: the name is a NUL-terminated static string.
                if unsafe { bindings::__printk_ratelimit(c_str!("auditns").as_char_ptr()) } != 0 {
                    pr_warn!(
                        "user namespace {} lost an audit record (backlog_limit)\n",
                        self.userns.inum()
                    );
                }
            }
            2 => {
                let queue = DELIVERY_QUEUE.load(Ordering::Acquire);
                if queue == 0 || STOPPING.load(Ordering::Acquire) {
                    return;
                }
                // The worker acts on the user namespace later, also after
                // the module stopped hearing of its end: hold it until then.
                // This runs for an event or message of the namespace, which
                // is live now.
                {
                    let mut state = self.state.lock();
                    if state.kill_hold.is_none() {
                        state.kill_hold = Some(UserNsRef::get(self.userns));
                    }
                }
                // SAFETY: `DELIVERY_QUEUE` holds a workqueue allocated at
                // module load and destroyed only after it is cleared; a kill
                // queued before that is waited for by its destruction.
                let queue = unsafe {
                    workqueue::Queue::from_raw(queue as *const bindings::workqueue_struct)
                };
                // Already queued: that run uses the reference held above.
                let _ = queue.enqueue::<Arc<Self>, KILL>(self.clone());
            }
            _ => {}
        }
    }

    /// Failure action 2: kill every process of the namespace and of the
    /// namespaces it owns, and tell the host.
    fn kill(self: Arc<Self>) {
        // What `failure_action` held for this run; a later failure holds
        // the namespace again for the run it queues.
        let Some(held) = self.state.lock().kill_hold.take() else {
            return;
        };
        // SAFETY: `held` keeps the namespace live; it is not the initial
        // one, which has no state here.
        let killed = unsafe { bindings::audit_ext_kill_userns(held.ns().as_ptr()) };
        let inum = held.ns().inum();
        // SAFETY: the name is a NUL-terminated static string.
        if unsafe { bindings::__printk_ratelimit(c_str!("auditns").as_char_ptr()) } != 0 {
            pr_warn!(
                "user namespace {} lost audit records with failure=2: killed {} processes\n",
                inum,
                killed
            );
        }
        let mut text = crate::text::TextBuf::<128>::new();
        let _ = core::fmt::Write::write_fmt(
            &mut text,
            format_args!("auditns op=kill userns={inum} reason=lost killed={killed}"),
        );
        // SAFETY: a worker may sleep; a null context makes a lone record.
        if let Some(mut record) = unsafe {
            crate::record::AuditRecord::start(core::ptr::null_mut(), bindings::AUDIT_KERNEL)
        } {
            record.append(text.as_bytes_with_nul());
        }
        drop(held);
    }

    /// Queues delivery in `delay` jiffies, unless it is queued already:
    /// that run will see what is queued now too.
    fn queue_delivery(self: &Arc<Self>, delay: usize) {
        let queue = DELIVERY_QUEUE.load(Ordering::Acquire);
        if queue == 0 || STOPPING.load(Ordering::Acquire) {
            return;
        }
        let reference = Arc::into_raw(self.clone());
        // SAFETY: `DELIVERY_QUEUE` holds a workqueue allocated at module
        // load and destroyed only after every namespace's delivery is
        // stopped; the item was initialised by `DeliveryWork::new`. If it
        // is queued now, it owns `reference` (the `DeliveryWork` invariant).
        let queued = unsafe {
            bindings::queue_delayed_work_on(
                bindings::wq_misc_consts_WORK_CPU_UNBOUND as i32,
                queue as *mut bindings::workqueue_struct,
                self.delivery.inner.get(),
                delay,
            )
        };
        if !queued {
            // SAFETY: `reference` came from `Arc::into_raw` above and was
            // not handed over.
            drop(unsafe { Arc::from_raw(reference) });
        }
    }

    /// Stops delivery for good, for the namespace's end or the module's:
    /// cancels a queued run and waits for a running one; the item cannot
    /// be queued again.
    pub(crate) fn stop_delivery(self: &Arc<Self>) {
        // SAFETY: the item was initialised by `DeliveryWork::new`.
        let was_queued = unsafe { bindings::disable_delayed_work_sync(self.delivery.inner.get()) };
        if was_queued {
            // SAFETY: a queued item holds a reference from `Arc::into_raw`
            // of this namespace (the `DeliveryWork` invariant); it will not
            // run now. `self` is another reference, so this is not the last.
            drop(unsafe { Arc::from_raw(core::ptr::from_ref::<Self>(self)) });
        }
    }

    /// Forgets the daemon and what was queued for it, which is counted
    /// lost. With `only`, only if that is still the registered daemon (a
    /// new one may have registered since the caller looked).
    pub(crate) fn unregister_daemon(&self, only: Option<&Arc<Daemon>>) -> Option<Arc<Daemon>> {
        let (daemon, pending, in_delivery) = {
            let mut state = self.state.lock();
            let current = state.daemon.as_ref()?;
            if only.is_some_and(|only| !Arc::ptr_eq(only, current)) {
                return None;
            }
            let pending = core::mem::take(&mut state.pending);
            let in_delivery = core::mem::take(&mut state.in_delivery);
            let sent = core::mem::take(&mut state.sent);
            for record in Iterator::chain(in_delivery.iter().skip(sent), pending.iter()) {
                state.queue.release(record.charge);
                state.queue.count_lost();
            }
            (state.daemon.take(), pending, in_delivery)
        };
        // References are dropped outside the lock.
        drop((pending, in_delivery));
        daemon
    }

    /// Sends what is queued, at most [`DELIVERY_BATCH`] records a run;
    /// runs on the delivery workqueue. It never sleeps nor waits for the
    /// daemon: a full socket is tried again [`DELIVERY_RETRY_MS`] later, so
    /// that a daemon that does not read holds up no other namespace.
    fn deliver(self: Arc<Self>) {
        let mut budget = DELIVERY_BATCH;
        loop {
            // Records of a run that stopped early come first, then what was
            // queued since. Only this work item, never run twice at once,
            // takes them out of the lock.
            let (mut batch, mut sent, daemon) = {
                let mut state = self.state.lock();
                let Some(daemon) = state.daemon.clone() else {
                    return;
                };
                if state.sent >= state.in_delivery.len() {
                    if state.pending.is_empty() {
                        return;
                    }
                    state.in_delivery = core::mem::take(&mut state.pending);
                    state.sent = 0;
                }
                let sent = core::mem::take(&mut state.sent);
                (core::mem::take(&mut state.in_delivery), sent, daemon)
            };
            if !daemon.process.is_alive() {
                // Its port may be someone else's by now.
                self.put_back(batch, sent, &daemon);
                self.forget_daemon(&daemon);
                return;
            }
            while sent < batch.len() {
                if budget == 0 {
                    // Make way for other namespaces; go on in a new run.
                    self.put_back(batch, sent, &daemon);
                    self.queue_delivery(0);
                    return;
                }
                budget -= 1;
                let record = &mut batch.as_mut_slice()[sent];
                // SAFETY: `daemon.net` holds a reference; the text is `len` bytes.
                let rc = unsafe {
                    bindings::audit_ext_unicast(
                        daemon.net.as_ptr(),
                        daemon.portid,
                        i32::from(record.msg_type),
                        record.text.as_ptr().cast(),
                        record.text.len(),
                    )
                };
                if rc == -(bindings::EAGAIN as i32) {
                    // The daemon's socket is full: try again when it has had
                    // time to read.
                    self.put_back(batch, sent, &daemon);
                    // SAFETY: a computation only.
                    let delay = unsafe { bindings::__msecs_to_jiffies(DELIVERY_RETRY_MS) };
                    self.queue_delivery(delay);
                    return;
                }
                // Sent, or lost: its memory goes now, its slot stays until
                // the batch is done.
                let charge = record.charge;
                drop(core::mem::take(&mut record.text));
                sent += 1;
                {
                    let mut state = self.state.lock();
                    state.queue.release(charge);
                    if rc < 0 {
                        state.queue.count_lost();
                    }
                }
                if rc == -(bindings::ECONNREFUSED as i32) {
                    self.put_back(batch, sent, &daemon);
                    self.forget_daemon(&daemon);
                    return;
                }
            }
        }
    }

    /// Puts `batch`, of which `sent` records were sent, back for the next
    /// run, if `daemon` is still the namespace's; otherwise (unregistered
    /// meanwhile, which counted the queue lost without these) the rest is
    /// counted lost.
    fn put_back(&self, batch: KVec<QueuedRecord>, sent: usize, daemon: &Arc<Daemon>) {
        let mut state = self.state.lock();
        if state
            .daemon
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, daemon))
        {
            state.in_delivery = batch;
            state.sent = sent;
            return;
        }
        for record in batch.iter().skip(sent) {
            state.queue.release(record.charge);
            state.queue.count_lost();
        }
        drop(state);
        drop(batch);
    }

    /// Unregisters `daemon` if it is still this namespace's, through the
    /// registry, which also keeps a list of daemons.
    fn forget_daemon(self: &Arc<Self>, daemon: &Arc<Daemon>) {
        let forgotten = crate::with_registry(|registry| {
            registry.ns.forget_daemon(self, Some(daemon));
            true
        });
        if !forgotten {
            // The module unloads, and forgets every daemon itself.
            drop(self.unregister_daemon(Some(daemon)));
        }
    }

    /// Adds a rule; returns whether it is an exit rule.
    pub(crate) fn add_rule(&self, data: &[u8]) -> Result<bool> {
        let rule = RuleView::parse(data).map_err(crate::errno_error)?;
        let is_exit = rule.list == rule::list::EXIT;
        let data = &data[..rule.wire_len()];
        let stored = StoredRule::new(&rule, data)?;
        let mut rules = self.rules.lock();
        if rules.exit.len() + rules.other.len() >= crate::limits::MAX_RULES.get() {
            return Err(ENOSPC);
        }
        if Iterator::chain(rules.exit.iter(), rules.other.iter())
            .any(|other| same_rule(other.data(), data))
        {
            return Err(EEXIST);
        }
        let list = if is_exit {
            &mut rules.exit
        } else {
            &mut rules.other
        };
        list.push(stored, GFP_KERNEL_ACCOUNT)?;
        if rule.prepend {
            list.as_mut_slice().rotate_right(1);
        }
        if is_exit {
            rules.rebuild_index();
        } else if rule.list == rule::list::EXCLUDE {
            if let Err(err) = self.sync_exclude(&rules) {
                // Take the rule back: what the kernel filters with and what
                // it lists must not differ.
                let at = if rule.prepend {
                    0
                } else {
                    rules.other.len() - 1
                };
                drop(kvec::remove(&mut rules.other, at));
                return Err(err);
            }
        }
        Ok(is_exit)
    }

    /// Deletes the rule equal to `data`; returns whether it was an exit rule.
    pub(crate) fn del_rule(&self, data: &[u8]) -> Result<bool> {
        let rule = RuleView::parse(data).map_err(crate::errno_error)?;
        let is_exit = rule.list == rule::list::EXIT;
        let data = &data[..rule.wire_len()];
        let mut rules = self.rules.lock();
        let list = if is_exit {
            &mut rules.exit
        } else {
            &mut rules.other
        };
        let index = list
            .iter()
            .position(|other| same_rule(other.data(), data))
            .ok_or(ENOENT)?;
        let removed = kvec::remove(list, index);
        if is_exit {
            rules.rebuild_index();
        } else if rule.list == rule::list::EXCLUDE {
            if let Err(err) = self.sync_exclude(&rules) {
                // Put the rule back where it was, as the filter still has it.
                if let Some(removed) = removed {
                    if rules.other.push(removed, GFP_KERNEL_ACCOUNT).is_ok() {
                        rules.other.as_mut_slice()[index..].rotate_right(1);
                    }
                }
                return Err(err);
            }
        }
        drop(removed);
        Ok(is_exit)
    }

    /// Copies the exclude list where records are filtered; called with the
    /// rules' mutex held after a change. Without memory the old copy stays,
    /// and the change answers ENOMEM.
    fn sync_exclude(&self, rules: &Rules) -> Result {
        let mut exclude = KVec::new();
        for stored in rules.other.iter().filter(|r| r.list == rule::list::EXCLUDE) {
            let mut fields = KVec::with_capacity(stored.fields.len(), GFP_KERNEL_ACCOUNT)?;
            fields.extend_from_slice(&stored.fields, GFP_KERNEL_ACCOUNT)?;
            exclude.push(
                ExcludeRule {
                    action: stored.action,
                    fields,
                },
                GFP_KERNEL_ACCOUNT,
            )?;
        }
        let old = core::mem::replace(&mut self.state.lock().exclude, exclude);
        drop(old);
        Ok(())
    }

    /// Removes every rule; returns how many exit rules there were.
    pub(crate) fn clear_rules(&self) -> usize {
        let mut rules = self.rules.lock();
        let exit = core::mem::take(&mut rules.exit);
        rules.other = KVec::new();
        rules.rebuild_index();
        let exclude = core::mem::take(&mut self.state.lock().exclude);
        drop(exclude);
        exit.len()
    }

    /// Decides syscall `nr` of the current task with the exit rules:
    /// `Some(key)` if a rule selects it (with the rule's key, if any).
    /// `event` builds the event's fields in this namespace's view; it is
    /// called only if some rule names the syscall, so rules for other
    /// syscalls cost nothing.
    pub(crate) fn select_syscall(
        &self,
        nr: u16,
        event: impl FnOnce(&PidNsRef) -> SyscallEvent,
    ) -> Option<Option<KVec<u8>>> {
        let daemon = self.listener()?;
        // The daemon is not audited by its own namespace's rules, as
        // upstream's auditd_test_task() exempts the host's: its reads and
        // writes of records would otherwise make records of their own.
        if daemon.process.is_current() {
            return None;
        }
        let rules = self.rules.lock();
        let covers = |index: u16| {
            rules
                .exit
                .get(usize::from(index))
                .is_some_and(|rule| rule.has_syscall(nr))
        };
        let mut event = Some(event);
        let mut built = None;
        // The first rule that covers the syscall and whose fields hold.
        let mut decide = |index: u16| -> Option<&StoredRule> {
            let rule = rules.exit.get(usize::from(index))?;
            if let Some(make) = event.take() {
                built = Some(make(&daemon.view));
            }
            built
                .as_ref()
                .is_some_and(|event| rule.matches(event))
                .then_some(rule)
        };
        let chosen = if rules.index_valid {
            rule_index::candidates(&rules.narrow, &rules.wide, nr, covers).find_map(&mut decide)
        } else {
            // No index (no memory to build it): test every rule.
            (0..rules.exit.len())
                .filter_map(|index| u16::try_from(index).ok())
                .filter(|&index| covers(index))
                .find_map(&mut decide)
        };
        let rule = chosen?;
        if rule.action != rule::action::ALWAYS {
            return None;
        }
        let key = match &rule.key {
            Some(key) => {
                let mut copy = KVec::with_capacity(key.len(), GFP_KERNEL).ok()?;
                copy.extend_from_slice(key, GFP_KERNEL).ok()?;
                Some(copy)
            }
            None => None,
        };
        Some(key)
    }

    /// Whether the user list drops a user message of `msg_type` from the
    /// current task: the first user-list rule whose fields hold decides,
    /// as upstream's `audit_filter()`. The exclude list is applied to every
    /// record when it is queued.
    pub(crate) fn user_msg_dropped(&self, msg_type: u32) -> bool {
        let Some(daemon) = self.listener() else {
            return true;
        };
        let event = UserMessage {
            msg_type,
            task: self.current_task_fields(&daemon.view),
        };
        let rules = self.rules.lock();
        rules
            .other
            .iter()
            .filter(|rule| rule.list == rule::list::USER)
            .find(|rule| rule.matches(&event))
            .is_some_and(|rule| rule.action == rule::action::NEVER)
    }

    /// The current task's ids in this namespace and PIDs in `view`.
    pub(crate) fn current_task_fields(&self, view: &PidNsRef) -> TaskFields {
        let mut ids = bindings::audit_ext_ids::default();
        // SAFETY: the namespace is current's or an ancestor's, live while
        // current runs.
        unsafe { bindings::audit_ext_current_ids(self.userns.as_ptr(), &mut ids) };
        let (sessionid, contid) = TaskRef::with_current(|task| (task.sessionid(), task.contid()));
        TaskFields {
            ids,
            pid: view.current_tgid(),
            ppid: view.current_ppid(),
            sessionid,
            contid,
        }
    }
}

impl WorkItem<KILL> for Namespace {
    type Pointer = Arc<Namespace>;

    fn run(this: Arc<Namespace>) {
        this.kill();
    }
}

/// Rules are equal if all but the prepend flag are: upstream's
/// `audit_compare_rule()` compares the same parts.
fn same_rule(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.len() >= 4
        && (a[..4]
            .iter()
            .zip(&b[..4])
            .all(|(x, y)| x & !(rule::FLAG_PREPEND as u8) == y & !(rule::FLAG_PREPEND as u8)))
        && a[4..] == b[4..]
}

/// How a namespace sees host PIDs and ids, for the translator.
struct View<'a> {
    userns: UserNs,
    pids: &'a PidNsRef,
}

impl crate::translate::IdView for View<'_> {
    fn pid(&self, host_pid: u32) -> u32 {
        self.pids.pid_from_host(host_pid)
    }
    fn uid(&self, host_uid: u32) -> u32 {
        self.userns.uid_from_host(host_uid)
    }
    fn gid(&self, host_gid: u32) -> u32 {
        self.userns.gid_from_host(host_gid)
    }
}

/// A task's ids and PIDs, as one namespace sees them.
pub(crate) struct TaskFields {
    pub(crate) ids: bindings::audit_ext_ids,
    pub(crate) pid: u32,
    pub(crate) ppid: u32,
    pub(crate) sessionid: u32,
    pub(crate) contid: u64,
}

impl EventFields for TaskFields {
    fn value(&self, id: u32) -> Option<u64> {
        use rule::field;
        let ids = &self.ids;
        Some(match id {
            field::PID => u64::from(self.pid),
            field::PPID => u64::from(self.ppid),
            field::UID => u64::from(ids.uid),
            field::EUID => u64::from(ids.euid),
            field::SUID => u64::from(ids.suid),
            field::FSUID => u64::from(ids.fsuid),
            field::GID => u64::from(ids.gid),
            field::EGID => u64::from(ids.egid),
            field::SGID => u64::from(ids.sgid),
            field::FSGID => u64::from(ids.fsgid),
            field::LOGINUID => u64::from(ids.loginuid),
            field::LOGINUID_SET => u64::from(ids.loginuid != u32::MAX),
            field::SESSIONID => u64::from(self.sessionid),
            field::CONTID => self.contid,
            _ => return None,
        })
    }
}

/// The current syscall event, as one namespace's rules see it.
pub(crate) struct SyscallEvent {
    pub(crate) info: bindings::audit_ext_syscall,
    pub(crate) task: TaskFields,
}

impl EventFields for SyscallEvent {
    fn value(&self, id: u32) -> Option<u64> {
        use rule::field;
        Some(match id {
            field::ARCH => u64::from(self.info.arch),
            field::EXIT if self.info.return_valid != 0 => self.info.return_code as u64,
            // AUDITSC_SUCCESS is 1, AUDITSC_FAILURE 2.
            field::SUCCESS if self.info.return_valid != 0 => u64::from(self.info.return_valid == 1),
            field::ARG0..=field::ARG3 => self.info.argv[(id - field::ARG0) as usize] as u64,
            _ => return self.task.value(id),
        })
    }
}

/// A user message, as one namespace's user list sees it.
struct UserMessage {
    msg_type: u32,
    task: TaskFields,
}

impl EventFields for UserMessage {
    fn value(&self, id: u32) -> Option<u64> {
        if id == rule::field::MSGTYPE {
            return Some(u64::from(self.msg_type));
        }
        self.task.value(id)
    }
}
