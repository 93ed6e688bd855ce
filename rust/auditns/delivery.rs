// SPDX-License-Identifier: GPL-2.0

//! A namespace's queue of records and their delivery to its daemon.

use crate::audit::{kmalloc_size_roundup, unicast};
use crate::namespace::{Daemon, Namespace};
use crate::nsview::{PidView, UserNs};
use crate::queue::{Admit, LossCause};
use crate::rules::excluded;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{
    bindings, c_str,
    pid_namespace::PidNamespace,
    prelude::*,
    sync::Arc,
    time::{msecs_to_jiffies, Jiffies},
    workqueue::{DelayedWork, OwnedQueue, WorkItem},
};

/// A record waiting for the daemon.
pub(crate) struct QueuedRecord {
    pub(crate) msg_type: u16,
    pub(crate) text: KVec<u8>,
    /// What it is charged in the queue's byte count: [`record_charge`].
    pub(crate) charge: usize,
}

/// What a queued record of `len` bytes of text really occupies: the text's
/// allocation, as the slab rounds it up, and the record's slot in the
/// queue. The queue's byte limit counts this, so that many small records
/// cannot pin more memory than the limit says.
fn record_charge(len: usize) -> usize {
    let text = kmalloc_size_roundup(len);
    text.saturating_add(core::mem::size_of::<QueuedRecord>())
}

/// `text` in an allocation of its own length, if the one it was translated
/// into is larger (room for growth that was not needed): a queued record
/// keeps only what it uses. `None` without memory.
fn fit_to_len(text: KVec<u8>) -> Option<KVec<u8>> {
    let (used, held) = (
        kmalloc_size_roundup(text.len()),
        kmalloc_size_roundup(text.capacity()),
    );
    if used == held {
        return Some(text);
    }
    let mut fitted = KVec::with_capacity(text.len(), queued_record_flags()).ok()?;
    fitted
        .extend_from_slice(&text, queued_record_flags())
        .ok()?;
    Some(fitted)
}

/// The work item that delivers a namespace's records: a delayed work item,
/// so that a daemon whose socket is full is tried again later without a
/// worker sleeping, which would hold up other namespaces' delivery.
pub(crate) const DELIVER: u64 = 2;

kernel::impl_has_delayed_work! {
    impl HasDelayedWork<Self, DELIVER> for Namespace { self.delivery }
}

impl WorkItem<DELIVER> for Namespace {
    type Pointer = Arc<Namespace>;

    fn run(this: Arc<Namespace>) {
        this.deliver();
    }
}

/// Bytes the first try of a translation leaves for growth, before the
/// slab's rounding up.
const SNUG_SLACK: usize = 16;

/// What a delivery run sent or lost, settled in the queue's counts at once.
#[derive(Default)]
struct Settled {
    records: u32,
    bytes: usize,
    lost: u32,
}

/// What a delivery run does once it has settled a batch.
enum Then {
    /// Take what was queued since.
    TakeMore,
    /// Run again in this many jiffies.
    Requeue(Jiffies),
    /// The daemon is gone: unregister it.
    Forget,
}

/// Records one delivery run sends at most before it makes way for other
/// namespaces' delivery.
const DELIVERY_BATCH: usize = 256;

/// How long a daemon whose socket is full is left to read at most, in ms:
/// the first retry comes a jiffy later, and each one that finds the socket
/// still full waits twice as long, up to this. A daemon that reads gets
/// its records at once; one that stalls costs a try per this time.
const DELIVERY_RETRY_MAX_MS: u32 = 100;

/// How a queued record's memory is allocated: without sleeping (records are
/// queued where that is not allowed) and charged, within
/// [`MemCgroup::charge`](kernel::memcg::MemCgroup::charge), to the memory
/// cgroup of the receiving namespace's daemon ([`Daemon::memcg`]), not to
/// the task whose event or message it is. Not `GFP_ATOMIC`, whose
/// `__GFP_HIGH` would let the charge pass the cgroup's limit and dip into
/// the host's reserves: a record that does not fit is lost instead, and
/// counted.
fn queued_record_flags() -> kernel::alloc::Flags {
    GFP_NOWAIT | __GFP_NOWARN | __GFP_ACCOUNT
}

/// Delivery runs of the whole machine that may run at once. A run never
/// sleeps and sends a bounded batch, so a few suffice; an unbound
/// workqueue without a limit would start a kernel thread for each run
/// that is ready while the others run, and many namespaces whose daemons
/// stall get ready together.
const DELIVERY_MAX_ACTIVE: i32 = 4;

/// The workqueue that delivery and failure actions run on, owned by the
/// registry and shared with each namespace.
///
/// The last reference is never dropped by a work item of the queue, which
/// would wait for itself: the registry, which holds one, stops every
/// namespace's delivery and drains the queue before it lets go of it.
pub(crate) struct DeliveryQueue {
    wq: OwnedQueue,
    /// Set at module unload: work is queued no more.
    stopping: AtomicBool,
    /// Set as the module starts to unload, before it waits for the hooks
    /// to return: tasks wait for room in no queue any more.
    unloading: AtomicBool,
}

impl DeliveryQueue {
    /// A new unbound workqueue, named `auditns`.
    pub(crate) fn new() -> Result<Arc<Self>> {
        let wq = OwnedQueue::new(
            c_str!("auditns"),
            bindings::wq_flags_WQ_UNBOUND,
            DELIVERY_MAX_ACTIVE,
        )?;
        let queue = Self {
            wq,
            stopping: AtomicBool::new(false),
            unloading: AtomicBool::new(false),
        };
        // On error, dropping `queue` destroys the workqueue.
        Ok(Arc::new(queue, GFP_KERNEL)?)
    }

    /// The workqueue, to queue work on; `None` once the module unloads.
    pub(crate) fn queue(&self) -> Option<&OwnedQueue> {
        if self.stopping.load(Ordering::Acquire) {
            return None;
        }
        Some(&self.wq)
    }

    /// Whether the module unloads: see [`Self::start_unload`].
    pub(crate) fn is_unloading(&self) -> bool {
        self.unloading.load(Ordering::Acquire)
    }

    /// Tells waiters that the module unloads, so that none waits for room
    /// from now on; the caller then wakes those that wait.
    pub(crate) fn start_unload(&self) {
        self.unloading.store(true, Ordering::Release);
    }

    /// Stops queuing and waits for every queued work item; for module
    /// unload, once nothing can queue delivery any more.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        self.wq.drain();
    }
}

/// How a record counts against the namespace's `backlog_limit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backlog {
    /// It needs room: lost once the queue holds `backlog_limit` records.
    Limited,
    /// A record of an event whose task found room (after waiting, see
    /// `Namespace::wait_for_room`): it passes `backlog_limit`, never the
    /// byte limit.
    EventAdmitted,
}

impl Namespace {
    /// Queues a record for the daemon; in any task context, never sleeps.
    ///
    /// `text` is translated into this namespace's view first.
    pub(crate) fn enqueue(
        self: &Arc<Self>,
        msg_type: u16,
        text: &[u8],
        key: crate::translate::KeyField<'_>,
        backlog: Backlog,
    ) {
        // Decide what needs no translation first: a flooded namespace
        // should cost little.
        let daemon = {
            let mut state = self.state.lock();
            if !state.audits() {
                return;
            }
            let Some(daemon) = state.daemon.clone() else {
                return;
            };
            if excluded(
                &state.exclude,
                u32::from(msg_type),
                self.current_task_fields(&daemon.view),
            ) {
                return;
            }
            state.queue.backlog_limit = state.settings.backlog_limit;
            state.queue.byte_limit = crate::limits::MAX_QUEUED_KIB.get() * 1024;
            if backlog == Backlog::Limited && state.queue.is_full() {
                state.queue.count_lost();
                let failure = state.settings.failure;
                drop(state);
                self.failure_action(failure, LossCause::BacklogLimit);
                return;
            }
            // As upstream's audit_log_end() checks audit_rate_check().
            let rate_limit = state.settings.rate_limit;
            let (now, second) = (crate::ratelimit::jiffies(), msecs_to_jiffies(1000));
            if !state.rate.admit(rate_limit, now, second) {
                state.queue.count_lost();
                let failure = state.settings.failure;
                drop(state);
                self.failure_action(failure, LossCause::RateLimit);
                return;
            }
            daemon
        };
        let view = View {
            userns: self.userns,
            pids: &daemon.view,
        };
        // Translation seldom grows a record (namespace PIDs and ids are
        // shorter than the host's), so the first try is the slab size the
        // record's own length rounds up to, which a queued record keeps
        // without a second allocation; a longer rule key or larger numbers
        // take the second or third.
        let snug = kmalloc_size_roundup(text.len() + SNUG_SLACK);
        let usual = text.len() + crate::translate::MAX_GROWTH;
        let worst = crate::translate::worst_case_len(text.len());
        let translated = daemon.memcg.charge(|| {
            for capacity in [snug, usual, worst] {
                let mut buf = KVec::from_elem(0u8, capacity, queued_record_flags()).ok()?;
                let mut out = crate::translate::SliceSink::new(buf.as_mut_slice());
                if crate::translate::translate(text, &view, key, &mut out).is_ok() {
                    let len = out.len();
                    // SAFETY: `len` is at most `capacity`, the initialised length.
                    unsafe { buf.set_len(len) };
                    return fit_to_len(buf);
                }
            }
            None
        });
        let Some(text) = translated else {
            self.lose();
            return;
        };
        let charge = record_charge(text.len());
        let mut state = self.state.lock();
        if state.daemon.is_none() || !state.audits() {
            return;
        }
        state.queue.backlog_limit = state.settings.backlog_limit;
        let admitted = match backlog {
            Backlog::Limited => state.queue.admit(charge),
            Backlog::EventAdmitted => state.queue.admit_rest_of_event(charge),
        };
        if let Admit::Lost(cause) = admitted {
            let failure = state.settings.failure;
            drop(state);
            self.failure_action(failure, cause);
            return;
        }
        // A run is queued or running, and takes this record too, unless the
        // queue was empty: only then is delivery kicked.
        let was_empty = state.pending.is_empty();
        let record = QueuedRecord {
            msg_type,
            text,
            charge,
        };
        if daemon
            .memcg
            .charge(|| state.pending.push(record, queued_record_flags()))
            .is_err()
        {
            state.queue.release(charge);
            drop(state);
            self.lose();
            return;
        }
        drop(state);
        if was_empty {
            self.queue_delivery(0);
        }
    }

    /// Counts a record lost without a queue slot (no memory) and applies
    /// the failure action.
    pub(crate) fn lose(self: &Arc<Self>) {
        let failure = {
            let mut state = self.state.lock();
            state.queue.count_lost();
            state.settings.failure
        };
        self.failure_action(failure, LossCause::NoMemory);
    }

    /// Queues delivery in `delay` jiffies, unless it is queued already:
    /// that run will see what is queued now too.
    fn queue_delivery(self: &Arc<Self>, delay: Jiffies) {
        let Some(queue) = self.delivery_queue.queue() else {
            return;
        };
        // Refused if queued already, or stopped: the clone comes back and
        // is dropped.
        // SAFETY: the queued item holds `self`, which holds the
        // `DeliveryQueue` that owns the workqueue, so the workqueue outlives
        // the item's timer.
        let _ = unsafe { queue.enqueue_delayed::<Arc<Self>, DELIVER>(self.clone(), delay) };
    }

    /// Stops delivery for good, for the namespace's end or the module's:
    /// cancels a queued run and waits for a running one; the item cannot
    /// be queued again. The reference a queued run held is dropped here,
    /// never the last, as `self` is another.
    pub(crate) fn stop_delivery(self: &Arc<Self>) {
        drop(DelayedWork::<Self, DELIVER>::disable_sync(self));
    }

    /// Sends what is queued, at most [`DELIVERY_BATCH`] records a run;
    /// runs on the delivery workqueue. It never sleeps nor waits for the
    /// daemon: a full socket is tried again later (see
    /// [`DELIVERY_RETRY_MAX_MS`]), so
    /// that a daemon that does not read holds up no other namespace. The
    /// queue's lock is taken once to take a batch and once to settle it,
    /// not per record.
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
            if !daemon.process.has_process() {
                // Its port may be someone else's by now.
                self.put_back(batch, sent, &daemon, Settled::default());
                self.forget_daemon(&daemon);
                return;
            }
            let mut settled = Settled::default();
            let mut then = Then::TakeMore;
            while sent < batch.len() {
                if budget == 0 {
                    // Make way for other namespaces; go on in a new run.
                    then = Then::Requeue(0);
                    break;
                }
                budget -= 1;
                let record = &mut batch.as_mut_slice()[sent];
                let rc = unicast(&daemon.net, daemon.portid, record.msg_type, &record.text);
                if rc == -(bindings::EAGAIN as i32) {
                    // The daemon's socket is full: try again when it has had
                    // time to read.
                    then = Then::Requeue(self.next_retry());
                    break;
                }
                self.retry_jiffies.store(0, Ordering::Relaxed);
                // Sent, or lost: its memory goes now, its slot stays until
                // the batch is done.
                settled.records += 1;
                settled.bytes += record.charge;
                if rc < 0 {
                    settled.lost += 1;
                }
                drop(core::mem::take(&mut record.text));
                sent += 1;
                if rc == -(bindings::ECONNREFUSED as i32) {
                    then = Then::Forget;
                    break;
                }
            }
            self.put_back(batch, sent, &daemon, settled);
            match then {
                Then::TakeMore => {}
                Then::Requeue(delay) => {
                    self.queue_delivery(delay);
                    return;
                }
                Then::Forget => {
                    self.forget_daemon(&daemon);
                    return;
                }
            }
        }
    }

    /// The delay before the next try of a full socket, in jiffies: one
    /// jiffy after a send succeeded, then doubling up to
    /// [`DELIVERY_RETRY_MAX_MS`].
    fn next_retry(&self) -> Jiffies {
        let max = kernel::time::msecs_to_jiffies(DELIVERY_RETRY_MAX_MS).max(1);
        let delay = self.retry_jiffies.load(Ordering::Relaxed).clamp(1, max);
        self.retry_jiffies
            .store((delay * 2).min(max), Ordering::Relaxed);
        delay
    }

    /// Settles what a run sent of `batch` and puts the rest, from `sent`
    /// on, back for the next run, if `daemon` is still the namespace's;
    /// otherwise (unregistered meanwhile, which counted the queue lost
    /// without these) the rest is counted lost.
    fn put_back(
        &self,
        batch: KVec<QueuedRecord>,
        sent: usize,
        daemon: &Arc<Daemon>,
        settled: Settled,
    ) {
        let mut state = self.state.lock();
        state
            .queue
            .settle(settled.records, settled.bytes, settled.lost);
        if settled.records > 0 {
            self.room.notify_all();
        }
        let current = state
            .daemon
            .as_ref()
            .is_some_and(|current| Arc::ptr_eq(current, daemon));
        if current && sent < batch.len() {
            state.in_delivery = batch;
            state.sent = sent;
            return;
        }
        if !current {
            let (mut records, mut bytes) = (0u32, 0usize);
            for record in batch.iter().skip(sent) {
                records += 1;
                bytes += record.charge;
            }
            state.queue.settle(records, bytes, records);
        }
        drop(state);
        drop(batch);
    }

    /// Unregisters `daemon` if it is still this namespace's.
    fn forget_daemon(&self, daemon: &Arc<Daemon>) {
        drop(self.unregister_daemon(Some(daemon)));
    }
}

/// How a namespace sees host PIDs and ids, for the translator.
struct View<'a> {
    userns: UserNs,
    pids: &'a PidNamespace,
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
