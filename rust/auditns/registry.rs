// SPDX-License-Identifier: GPL-2.0

//! The registry of per-namespace state.
//!
//! A user namespace's state is reached in O(1) from the namespace itself:
//! the audit core keeps a pointer to the state's `struct audit_ext_userns`
//! in `struct user_namespace`, and reads its syscall selection at every
//! syscall entry under RCU. The registry's list and its mutex serve only
//! the slow paths: creating and freeing state, the per-owner limit, rule
//! changes that move the selection, and module unload.

use crate::delivery::DeliveryQueue;
use crate::namespace::{self, Namespace};
use crate::nsview::UserNs;
use crate::rule_index::{self, Wanted};
use crate::task::AuditTask;
use crate::watch::DirMarks;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::task::Task;
use kernel::{
    bindings,
    pid::KernelPid,
    prelude::*,
    sync::{Arc, ArcBorrow, Mutex},
    types::Opaque,
};

/// All per-namespace state. Dropping it, at module unload once the hooks
/// are gone, forgets every namespace and waits for their work.
#[pin_data(PinnedDrop)]
pub(crate) struct NsRegistry {
    /// Every namespace with state. Its mutex also serialises the
    /// publication of state in user namespaces and selection updates.
    #[pin]
    namespaces: Mutex<KVec<Arc<Namespace>>>,
    /// The workqueue every namespace's delivery runs on.
    delivery: Arc<DeliveryQueue>,
    /// The watches on each directory, of every namespace.
    pub(crate) dir_marks: Arc<DirMarks>,
    /// Set under the mutex as the module starts to unload: every state is
    /// withdrawn, and no namespace gets new state.
    closing: AtomicBool,
}

/// The state published in `userns`, borrowed.
///
/// # Safety
///
/// `userns` must be held for `'a` by the caller (current's namespace or an
/// ancestor, or one the caller holds a reference to), and the module's
/// hooks must be registered, or the registry's mutex held: state is only
/// withdrawn when its namespace is freed, or at unload under the mutex.
unsafe fn published<'a>(userns: UserNs) -> Option<ArcBorrow<'a, Namespace>> {
    // SAFETY: the caller holds `userns`.
    let selection = unsafe { bindings::audit_ext_userns_get(userns.as_ptr()) };
    if selection.is_null() {
        return None;
    }
    // SAFETY: only `NsRegistry::find_or_create` installs state, a pointer to the
    // `selection` field of a `Namespace` whose `Arc` reference it handed
    // over with `Arc::into_raw`; the reference lives until the state is
    // withdrawn, which the caller's guarantee excludes for `'a`.
    Some(unsafe { ArcBorrow::from_raw(Namespace::from_selection(selection)) })
}

impl NsRegistry {
    /// An empty registry.
    pub(crate) fn new(
        delivery: Arc<DeliveryQueue>,
        dir_marks: Arc<DirMarks>,
    ) -> impl PinInit<Self> {
        pin_init!(NsRegistry {
            namespaces <- kernel::new_mutex!(KVec::new(), "auditns::NsRegistry::namespaces"),
            delivery,
            dir_marks,
            closing: AtomicBool::new(false),
        })
    }

    /// The state of `userns`, which the caller holds, if it has any.
    pub(crate) fn find(&self, userns: UserNs) -> Option<Arc<Namespace>> {
        // SAFETY: the caller holds `userns`; `self` exists only while the
        // hooks are registered.
        unsafe { published(userns) }.map(Into::into)
    }

    /// Runs `f` on the state of each namespace from `userns`, which the
    /// caller holds, up to but not including the initial one, nearest
    /// first; O(depth), without a lock.
    pub(crate) fn for_each_in_chain(
        &self,
        userns: UserNs,
        mut f: impl FnMut(ArcBorrow<'_, Namespace>),
    ) {
        let mut walker = Some(userns);
        while let Some(userns) = walker {
            if userns.is_initial() {
                break;
            }
            // SAFETY: `userns` is the caller's or an ancestor, which it holds.
            if let Some(ns) = unsafe { published(userns) } {
                f(ns);
            }
            walker = userns.parent();
        }
    }

    /// The state of `userns`, which the caller holds, created if it has
    /// none yet, within the host's limits.
    pub(crate) fn find_or_create(&self, userns: UserNs) -> Result<Arc<Namespace>> {
        if let Some(ns) = self.find(userns) {
            return Ok(ns);
        }
        let fresh = Namespace::new(userns, self.delivery.clone())?;
        let mut namespaces = self.namespaces.lock();
        if let Some(ns) = self.find(userns) {
            return Ok(ns);
        }
        if self.closing.load(Ordering::Relaxed) {
            // As without an extension: the module is going.
            return Err(crate::errno_error(bindings::ECONNREFUSED as i32));
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
        namespaces.push(fresh.clone(), GFP_KERNEL_ACCOUNT)?;
        // Its tasks collect what its ancestors' rules select from now on.
        fresh.set_selection(&chain_union(userns));
        let raw = Arc::into_raw(fresh.clone());
        // SAFETY: `raw` points to the namespace just made, whose reference
        // the installed pointer owns from now on (see `published`); its
        // `selection` is pinned in the `Arc`.
        let taken =
            unsafe { bindings::audit_ext_userns_install(userns.as_ptr(), (*raw).selection_ptr()) };
        if !taken.is_null() {
            // Impossible under the mutex, which every installation takes.
            // SAFETY: `raw` was not handed over.
            drop(unsafe { Arc::from_raw(raw) });
            drop(namespaces.pop());
            return Err(EBUSY);
        }
        crate::limits::NAMESPACES.set(namespaces.len());
        Ok(fresh)
    }

    /// Charges `count` marks for a rule of `ns` to its owner: `ENOSPC` if
    /// the owner's namespaces hold `limits::MAX_WATCHES_PER_OWNER` marks
    /// with them. The rule's removal gives them back
    /// (`Namespace::release_marks`).
    pub(crate) fn charge_marks(&self, ns: &Namespace, count: usize) -> Result {
        if count == 0 {
            return Ok(());
        }
        // Taken under the mutex, so that two namespaces of one owner do not
        // both take the last marks; a release only lowers the sum.
        let namespaces = self.namespaces.lock();
        let owned: usize = namespaces
            .iter()
            .filter(|other| other.owner == ns.owner)
            .map(|other| other.marks.load(Ordering::Relaxed))
            .sum();
        if owned + count > crate::limits::MAX_WATCHES_PER_OWNER.get() {
            return Err(ENOSPC);
        }
        ns.marks.fetch_add(count, Ordering::Relaxed);
        Ok(())
    }

    /// The namespaces with state whose user namespace's nsfs inode number
    /// is above `after`, in the order of those numbers, each with that
    /// number, its parent's and its creator's host uid: the next part of
    /// the host's `AUDIT_NS_LIST` answer, which goes on from the last
    /// number it sent, whatever namespaces came or went meanwhile. Empty
    /// once the module is unloading, when a listed namespace may be freed.
    pub(crate) fn listed_after(&self, after: u32) -> Result<KVec<Listed>> {
        let namespaces = self.namespaces.lock();
        let mut listed = KVec::new();
        if self.closing.load(Ordering::Relaxed) {
            return Ok(listed);
        }
        for ns in namespaces.iter() {
            // A listed namespace is live: `userns_free` delists it under
            // the mutex held here.
            let userns = ns.userns.get();
            if userns.inum() <= after {
                continue;
            }
            let entry = Listed {
                userns: userns.inum(),
                parent: userns.parent().map_or(0, |parent| parent.inum()),
                owner: userns.owner_uid(),
                ns: ns.clone(),
            };
            listed.push(entry, GFP_KERNEL)?;
        }
        drop(namespaces);
        listed.sort_unstable_by_key(|entry| entry.userns);
        Ok(listed)
    }

    /// The namespaces, from `userns` up to but not including the initial
    /// one, whose daemon listens, nearest first.
    pub(crate) fn listening_chain(&self, userns: UserNs) -> Result<KVec<Arc<Namespace>>> {
        let mut chain = KVec::new();
        let mut result = Ok(());
        self.for_each_in_chain(userns, |ns| {
            if result.is_ok() && ns.is_listening() {
                result = chain.push(ns.into(), GFP_KERNEL).map_err(|_| ENOMEM);
            }
        });
        result.map(|()| chain)
    }

    /// The exit rules of `changed` changed: recomputes the syscall
    /// selection of it and of every namespace with state below it. Slow
    /// path: O(namespaces * depth), under the registry's mutex.
    pub(crate) fn update_selection(&self, changed: &Namespace) {
        let namespaces = self.namespaces.lock();
        for ns in namespaces.iter() {
            if ns.userns.descends_from(changed.userns) {
                ns.set_selection(&chain_union(ns.userns));
            }
        }
    }

    /// A task exits: if it is the last thread of a registered daemon's
    /// process, whichever thread leads it, the daemon is gone.
    ///
    /// A daemon serves the namespace it registered from, and a process can
    /// only move into namespaces below its own (`setns` and `unshare` need
    /// `CAP_SYS_ADMIN` over the target): the daemon's namespace is on the
    /// exiting task's chain, O(depth) away, and no global list is needed.
    pub(crate) fn daemon_exits(&self, task: &Task) {
        if namespace::DAEMON_COUNT.load(Ordering::Relaxed) == 0 || !task.group_dead() {
            return;
        }
        let Some(process) = KernelPid::of_process(task) else {
            return;
        };
        let key = process.as_ptr() as usize;
        drop(process);
        // `task_free` runs in the exiting task: its namespace is current's.
        self.for_each_in_chain(UserNs::current(), |ns| {
            if ns.daemon_process() == key {
                let daemon = ns.state.lock().daemon.clone();
                if let Some(daemon) = daemon {
                    drop(ns.unregister_daemon(Some(&daemon)));
                }
            }
        });
    }

    /// The `userns_free` hook: forget `userns`.
    pub(crate) fn userns_free(&self, userns: UserNs) {
        // SAFETY: the namespace is being freed: nobody else holds it.
        if unsafe { bindings::audit_ext_userns_get(userns.as_ptr()) }.is_null() {
            return;
        }
        let removed = {
            let mut namespaces = self.namespaces.lock();
            // SAFETY: as above; under the mutex.
            let Some(state) = (unsafe { published(userns) }) else {
                return;
            };
            let state: Arc<Namespace> = state.into();
            withdraw(userns);
            let index = namespaces.iter().position(|ns| Arc::ptr_eq(ns, &state));
            let removed = index.and_then(|index| namespaces.swap_remove(index));
            crate::limits::NAMESPACES.set(namespaces.len());
            drop(state);
            removed
        };
        // No task is left in the namespace, or in any below it, to read
        // the selection: no grace period is needed.
        if let Some(ns) = removed {
            drop(ns.unregister_daemon(None));
            ns.clear_rules();
            ns.stop_delivery();
        }
    }

    /// For module unload, before the hooks are unregistered: ends every
    /// wait for room in a queue, and any to come, and withdraws every
    /// namespace's state from its user namespace, after which none gets
    /// state any more.
    ///
    /// Withdrawing here, while the hooks are registered, is what makes it
    /// sound: a user namespace that is being freed is in the `userns_free`
    /// hook, which waits for the mutex held here, so none is freed under
    /// this loop. Once the hooks are gone, one could be freed at any time.
    pub(crate) fn start_unload(&self) {
        self.delivery.start_unload();
        let namespaces = self.namespaces.lock();
        self.closing.store(true, Ordering::Relaxed);
        for ns in namespaces.iter() {
            ns.wake_waiters();
            withdraw(ns.userns);
        }
        crate::limits::NAMESPACES.set(0);
    }

    /// Forgets every namespace; for module unload, after the hooks are gone
    /// and before the delivery workqueue is. [`Self::start_unload`]
    /// withdrew their state; without it (the hooks never registered) there
    /// is none.
    fn clear(&self) {
        let namespaces = {
            let mut namespaces = self.namespaces.lock();
            if !self.closing.load(Ordering::Relaxed) {
                for ns in namespaces.iter() {
                    withdraw(ns.userns);
                }
            }
            crate::limits::NAMESPACES.set(0);
            core::mem::take(&mut *namespaces)
        };
        // Tasks may still be reading a selection at syscall entry.
        // SAFETY: module unload may sleep.
        unsafe { bindings::synchronize_rcu() };
        for ns in namespaces.iter() {
            ns.stop_delivery();
            drop(ns.unregister_daemon(None));
            ns.clear_rules();
        }
        drop(namespaces);
    }
}

#[pinned_drop]
impl PinnedDrop for NsRegistry {
    fn drop(self: Pin<&mut Self>) {
        self.clear();
        // Failure actions queued before the hooks went may still run; no
        // hook or delivery run is left to queue more.
        self.delivery.stop();
    }
}

/// A namespace of the host's listing, with what is read of its user
/// namespace while that is known to be live.
pub(crate) struct Listed {
    /// The nsfs inode number of the user namespace.
    pub(crate) userns: u32,
    /// That of its parent.
    pub(crate) parent: u32,
    /// The host uid that created it.
    pub(crate) owner: u32,
    /// Its state.
    pub(crate) ns: Arc<Namespace>,
}

/// Withdraws the state published in `userns` and drops the reference the
/// publication held. Called with the registry's mutex held, for state in
/// the registry's list, which holds a reference of its own.
fn withdraw(userns: UserNs) {
    // SAFETY: the registry's mutex is held and the state is listed.
    let selection = unsafe { bindings::audit_ext_userns_get(userns.as_ptr()) };
    if selection.is_null() {
        return;
    }
    // SAFETY: the namespace is live while its state is listed.
    unsafe { bindings::audit_ext_userns_remove(userns.as_ptr()) };
    // SAFETY: the published pointer owned a reference from `Arc::into_raw`
    // (see `published`), which is taken back once, here; the list's
    // reference keeps the namespace alive for readers still under RCU.
    drop(unsafe { Arc::from_raw(Namespace::from_selection(selection)) });
}

/// What the rules of `userns` and of its ancestors with state want
/// collected. Called with the registry's mutex held.
fn chain_union(userns: UserNs) -> Wanted {
    let mut union = Wanted::NONE;
    let mut walker = Some(userns);
    while let Some(userns) = walker {
        if userns.is_initial() {
            break;
        }
        // SAFETY: `userns` is live while state below it is listed, and the
        // registry's mutex is held.
        if let Some(ns) = unsafe { published(userns) } {
            union.add(&ns.own_wanted());
        }
        walker = userns.parent();
    }
    union
}

// The selection the C side reads is `Opaque` in `Namespace`.
const _: () = assert!(
    core::mem::size_of::<Opaque<bindings::audit_ext_userns>>()
        == (rule_index::SELECTION_WORDS + rule_index::URING_OP_WORDS / 2)
            * core::mem::size_of::<u64>()
);
