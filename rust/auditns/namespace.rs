// SPDX-License-Identifier: GPL-2.0

//! The audit state of one user namespace: settings, daemon, failure action.

use crate::delivery::{Backlog, DeliveryQueue, QueuedRecord, DELIVER};
use crate::nsview::{ChargeKey, UserNs};
use crate::queue::{LossCause, QueueAccount, RateLimit};
use crate::ratelimit::Ratelimit;
use crate::rule;
use crate::rule_index::{self, Wanted};
use crate::rules::{ExcludeRule, Rules};
use crate::status::{Features, Settings};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use kernel::{
    bindings,
    memcg::MemCgroup,
    net::namespace::Namespace as NetNamespace,
    pid::KernelPid,
    pid_namespace::PidNamespace,
    prelude::*,
    sync::{Arc, CondVar, CondVarTimeoutResult, Mutex, SpinLock},
    time::Jiffies,
    types::{ARef, Opaque},
    user_namespace::UserNamespace,
    workqueue::{DelayedWork, Work, WorkItem},
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
    pub(crate) net: ARef<NetNamespace>,
    /// The process, to tell whether it still runs.
    pub(crate) process: ARef<KernelPid>,
    /// The daemon's PID namespace: the view records and rules use.
    pub(crate) view: ARef<PidNamespace>,
    /// The memory cgroup of the process that registered it, which pays
    /// for the namespace's queued records, whoever's events they are: a
    /// descendant held at its own cgroup's limit must not decide which of
    /// its ancestor's records are lost.
    pub(crate) memcg: MemCgroup,
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
    /// The count that `rate_limit` bounds.
    pub(crate) rate: RateLimit,
    /// Records waiting, oldest first.
    pub(crate) pending: KVec<QueuedRecord>,
    /// Records the delivery took from `pending` and has not sent all of:
    /// those from `sent` on. Kept apart so that a daemon whose socket is
    /// full costs no copying of its queue on each try.
    pub(crate) in_delivery: KVec<QueuedRecord>,
    /// How many of `in_delivery` were sent.
    pub(crate) sent: usize,
    /// The user namespace, held while a failure action 2 is queued.
    pub(crate) kill_hold: Option<ARef<UserNamespace>>,
    /// Jiffies that tasks waited for room in the queue, in all
    /// (`backlog_wait_time_actual`), wrapping as upstream's count.
    pub(crate) waited: u32,
    /// The exclude list, copied from the rules so that records can be
    /// filtered where the rules' mutex cannot be taken.
    pub(crate) exclude: KVec<ExcludeRule>,
}

impl NsState {
    /// Whether the namespace audits: its own switch is on, and so is the
    /// host's. `auditctl -e 0` on the host is the machine's switch: it
    /// stops the syscall events of every task, and a namespace's status
    /// shows it off meanwhile.
    pub(crate) fn audits(&self) -> bool {
        self.settings.enabled != 0 && crate::audit::enabled()
    }

    /// `enabled` as the namespace's `AUDIT_GET` reports it: its own
    /// setting, or 0 while the host's audit is off.
    pub(crate) fn reported_enabled(&self) -> u32 {
        if crate::audit::enabled() {
            self.settings.enabled
        } else {
            0
        }
    }
}

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
    /// Signalled as the queue empties, the daemon goes or the settings
    /// change: tasks wait on it for room (`backlog_wait_time`).
    #[pin]
    pub(crate) room: CondVar,
    /// Taken where sleeping is allowed only.
    #[pin]
    pub(crate) rules: Mutex<Rules>,
    /// The syscalls this namespace's exit rules name: a word of their
    /// union per `u32` of a rule's mask, written under the rules' mutex.
    own_syscalls: [AtomicU32; rule::BITMASK_WORDS],
    /// The io_uring opcodes its io_uring-list rules name, likewise.
    own_uring_ops: [AtomicU32; rule_index::URING_OP_WORDS],
    /// What the audit core reads at syscall entry, without a lock: the
    /// syscalls that this namespace's and its ancestors' rules name. The
    /// registry publishes it in the user namespace.
    selection: Selection,
    /// The `struct pid` of the registered daemon's process, 0 without one,
    /// so that process exits are checked without a lock.
    daemon_process: AtomicUsize,
    /// The marks (watched paths) that the rules hold, charged to
    /// `owner` against `limits::MAX_WATCHES_PER_OWNER` under the
    /// registry's mutex.
    pub(crate) marks: AtomicUsize,
    /// The delivery's next wait for a full socket, in jiffies (0: the
    /// shortest); used by the delivery work only, never run twice at once.
    pub(crate) retry_jiffies: AtomicUsize,
    #[pin]
    pub(crate) delivery: DelayedWork<Namespace, DELIVER>,
    /// Where `delivery` and `kill_work` run.
    pub(crate) delivery_queue: Arc<DeliveryQueue>,
    #[pin]
    kill_work: Work<Namespace, KILL>,
}

/// A namespace's `struct audit_ext_userns`, which the audit core reads
/// at every syscall entry of the namespace's tasks and of those below.
#[repr(transparent)]
struct Selection(Opaque<bindings::audit_ext_userns>);

// SAFETY: the C struct is plain data; `Namespace::set_selection` writes
// it with atomic word stores only, and C reads whole words.
unsafe impl Send for Selection {}
// SAFETY: as above.
unsafe impl Sync for Selection {}

/// Registered daemons, of all namespaces; read on every process exit.
pub(crate) static DAEMON_COUNT: AtomicUsize = AtomicUsize::new(0);

/// The work item that applies failure action 2.
const KILL: u64 = 1;

kernel::impl_has_work! {
    impl HasWork<Self, KILL> for Namespace { self.kill_work }
}

impl Namespace {
    /// New state for `userns`, seen from the current task's PID namespace.
    pub(crate) fn new(userns: UserNs, delivery_queue: Arc<DeliveryQueue>) -> Result<Arc<Self>> {
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
                    rate: RateLimit::new(),
                    pending: KVec::new(),
                    in_delivery: KVec::new(),
                    sent: 0,
                    kill_hold: None,
                    waited: 0,
                    exclude: KVec::new(),
                }, "auditns::Namespace::state"),
                room <- kernel::new_condvar!("auditns::Namespace::room"),
                rules <- kernel::new_mutex!(Rules::new(), "auditns::Namespace::rules"),
                own_syscalls: [const { AtomicU32::new(0) }; rule::BITMASK_WORDS],
                own_uring_ops: [const { AtomicU32::new(0) }; rule_index::URING_OP_WORDS],
                selection: Selection(Opaque::new(bindings::audit_ext_userns::default())),
                daemon_process: AtomicUsize::new(0),
                marks: AtomicUsize::new(0),
                retry_jiffies: AtomicUsize::new(0),
                delivery <- kernel::new_delayed_work!("auditns::Namespace::delivery"),
                delivery_queue,
                kill_work <- kernel::new_work!("auditns::Namespace::kill_work"),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// The daemon, if one is registered, alive, and the namespace audits.
    pub(crate) fn listener(&self) -> Option<Arc<Daemon>> {
        let state = self.state.lock();
        if !state.audits() {
            return None;
        }
        state
            .daemon
            .clone()
            .filter(|daemon| daemon.process.has_process())
    }

    /// Whether a live daemon is registered and the namespace audits.
    pub(crate) fn is_listening(&self) -> bool {
        self.listener().is_some()
    }

    /// Waits while the queue is full and a daemon may empty it, at most
    /// `backlog_wait_time` jiffies, as upstream's `audit_log_start()`
    /// waits for the host's queue before an event's records; a signal, the
    /// daemon's going, audit switched off in the namespace or the module's
    /// unload end the wait early. The time waited counts in
    /// `backlog_wait_time_actual`. Only where the caller may sleep.
    ///
    /// Returns how the event's records then count against
    /// `backlog_limit`: past it once the event found room, as each of
    /// upstream's records would wait for room in turn.
    pub(crate) fn wait_for_room(&self) -> Backlog {
        let mut state = self.state.lock();
        // Jiffies, as upstream's audit_backlog_wait_time.
        let budget = state.settings.backlog_wait_time as Jiffies;
        let mut left = budget;
        while left > 0
            && state.queue.is_full()
            && state.daemon.is_some()
            && state.audits()
            && !self.delivery_queue.is_unloading()
        {
            match self.room.wait_interruptible_timeout(&mut state, left) {
                CondVarTimeoutResult::Woken { jiffies } => left = jiffies,
                CondVarTimeoutResult::Timeout => left = 0,
                // Upstream sleeps uninterruptibly; a task with a signal to
                // handle (one being killed) stops waiting here, and its
                // record may be lost.
                CondVarTimeoutResult::Signal { jiffies } => {
                    left = jiffies;
                    break;
                }
            }
        }
        state.waited = state
            .waited
            .wrapping_add(u32::try_from(budget - left).unwrap_or(u32::MAX));
        if budget > 0 && !state.queue.is_full() {
            Backlog::EventAdmitted
        } else {
            Backlog::Limited
        }
    }

    /// Wakes the tasks that wait for room, to look again.
    pub(crate) fn wake_waiters(&self) {
        // Under the lock, so that a task that checked before a change is
        // already waiting when it is woken.
        let _state = self.state.lock();
        self.room.notify_all();
    }

    /// Applies the namespace's failure action after a record was lost
    /// for `cause`: 0 nothing, 1 a rate-limited kernel message that names
    /// the cause, 2 end the namespace's processes (from a worker, as this
    /// may run where sleeping is not allowed). Never a panic: the host
    /// outlives any container.
    pub(crate) fn failure_action(self: &Arc<Self>, failure: u32, cause: LossCause) {
        match failure {
            1 => {
                static LOST: Ratelimit = Ratelimit::new();
                if LOST.allow() {
                    pr_warn!(
                        "user namespace {} lost an audit record ({})\n",
                        self.userns.inum(),
                        cause.reason()
                    );
                }
            }
            2 => {
                let Some(queue) = self.delivery_queue.queue() else {
                    return;
                };
                // The worker acts on the user namespace later, also after
                // the module stopped hearing of its end: hold it until then.
                // This runs for an event or message of the namespace, which
                // is live now.
                {
                    let mut state = self.state.lock();
                    if state.kill_hold.is_none() {
                        state.kill_hold = Some(self.userns.counted());
                    }
                }
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
        // Not the initial namespace, which has no state here.
        let killed = crate::audit::kill_userns(&held).unwrap_or(0);
        let inum = held.inum();
        static KILLED: Ratelimit = Ratelimit::new();
        if KILLED.allow() {
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
        // A worker may sleep.
        if let Some(mut record) = crate::record::AuditRecord::start_alone(bindings::AUDIT_KERNEL) {
            record.append(text.as_bytes_with_nul());
        }
        drop(held);
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
            self.daemon_process.store(0, Ordering::Relaxed);
            // Waiters for room stop waiting for a daemon that is gone.
            self.room.notify_all();
            (state.daemon.take(), pending, in_delivery)
        };
        // References are dropped outside the lock.
        drop((pending, in_delivery));
        if daemon.is_some() {
            let count = DAEMON_COUNT.fetch_sub(1, Ordering::Relaxed) - 1;
            crate::limits::DAEMONS.set(count);
        }
        daemon
    }

    /// Makes `daemon` the registered daemon, in place of any other, which
    /// is unregistered (its queue counted lost).
    pub(crate) fn install_daemon(&self, daemon: Arc<Daemon>) {
        drop(self.unregister_daemon(None));
        let key = daemon.process.as_ptr() as usize;
        let old = {
            let mut state = self.state.lock();
            self.daemon_process.store(key, Ordering::Relaxed);
            state.daemon.replace(daemon)
        };
        let count = DAEMON_COUNT.fetch_add(1, Ordering::Relaxed) + 1;
        crate::limits::DAEMONS.set(count);
        if old.is_some() {
            // Only a caller holding `control`, as this one does, installs a
            // daemon, so the unregistration above left none; were there
            // one, the count stays right.
            let count = DAEMON_COUNT.fetch_sub(1, Ordering::Relaxed) - 1;
            crate::limits::DAEMONS.set(count);
        }
        drop(old);
    }

    /// The `struct pid` of the registered daemon's process, as a number; 0
    /// without a daemon.
    pub(crate) fn daemon_process(&self) -> usize {
        self.daemon_process.load(Ordering::Relaxed)
    }

    /// What this namespace's own rules want collected.
    pub(crate) fn own_wanted(&self) -> Wanted {
        let load = |word: &AtomicU32| word.load(Ordering::Relaxed);
        Wanted {
            syscalls: core::array::from_fn(|word| load(&self.own_syscalls[word])),
            uring_ops: core::array::from_fn(|word| load(&self.own_uring_ops[word])),
        }
    }

    /// Sets [`Self::own_wanted`]; called with the rules' mutex held,
    /// before the registry updates the selections. Returns whether it
    /// changed: a rule on syscalls that other rules name already moves no
    /// selection.
    pub(crate) fn set_own_wanted(&self, wanted: &Wanted) -> bool {
        let mut changed = false;
        let words = Iterator::chain(self.own_syscalls.iter(), self.own_uring_ops.iter());
        let values = Iterator::chain(wanted.syscalls.iter(), wanted.uring_ops.iter());
        for (word, value) in words.zip(values) {
            changed |= word.swap(*value, Ordering::Relaxed) != *value;
        }
        changed
    }

    /// Sets the selection the audit core reads, a word at a time; tasks
    /// that read it meanwhile see each word old or new.
    pub(crate) fn set_selection(&self, wanted: &Wanted) {
        let base = self.selection.0.get();
        // SAFETY: `base` points to the pinned `audit_ext_userns`, valid as
        // long as `self`; taking its fields' addresses reads nothing.
        let (syscalls, uring_ops) = unsafe {
            (
                core::ptr::addr_of_mut!((*base).syscalls).cast::<usize>(),
                core::ptr::addr_of_mut!((*base).uring_ops).cast::<usize>(),
            )
        };
        let syscall_words = rule_index::to_bitmap(&wanted.syscalls);
        let uring_words = wanted.uring_bitmap();
        let words = Iterator::chain(
            syscall_words
                .iter()
                .enumerate()
                .map(|(i, w)| (syscalls, i, w)),
            uring_words
                .iter()
                .enumerate()
                .map(|(i, w)| (uring_ops, i, w)),
        );
        for (bitmap, index, value) in words {
            // SAFETY: `syscalls` has `SELECTION_WORDS` and `uring_ops`
            // `URING_OP_WORDS / 2` aligned `unsigned long`s (64 bits, the
            // size of `usize`), as the assertion in `registry` checks; the
            // C side reads them with plain loads of whole words, so atomic
            // stores are what it expects.
            let word = unsafe { AtomicUsize::from_ptr(bitmap.add(index)) };
            word.store(*value as usize, Ordering::Relaxed);
        }
    }

    /// The selection, for the audit core to read.
    pub(crate) fn selection_ptr(&self) -> *mut bindings::audit_ext_userns {
        self.selection.0.get()
    }

    /// The namespace whose selection `selection` is.
    ///
    /// # Safety
    ///
    /// `selection` must be the result of [`Self::selection_ptr`] of a
    /// namespace in an `Arc`.
    pub(crate) unsafe fn from_selection(
        selection: *mut bindings::audit_ext_userns,
    ) -> *const Namespace {
        // SAFETY: `selection` is the `selection` field of a `Namespace`, a
        // transparent `Opaque`.
        unsafe { kernel::container_of!(selection.cast::<Selection>(), Namespace, selection) }
    }
}

impl WorkItem<KILL> for Namespace {
    type Pointer = Arc<Namespace>;

    fn run(this: Arc<Namespace>) {
        this.kill();
    }
}
