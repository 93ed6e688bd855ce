// SPDX-License-Identifier: GPL-2.0

//! Watched paths: the kernel objects behind a rule's `path=` (`-w`),
//! `exe=` and `dir=` fields.
//!
//! The audit core follows a watched path with an fsnotify mark on its
//! parent directory (see `audit_ext_watch()`), resolved when the rule is
//! added, in the root and mount namespace of the task that adds it: a
//! container's `/etc/passwd` is its own file. The mark then keeps the
//! inode the path names, so that a file created, renamed or replaced there
//! later is the watched file.

use crate::limits::MAX_WATCHES_PER_DIR;
use crate::rule::Object;
use core::ptr::NonNull;
use kernel::{
    bindings,
    error::from_err_ptr,
    new_mutex,
    prelude::*,
    rbtree::{Entry, RBTree, RBTreeNodeReservation},
    sync::{Arc, Mutex},
};

/// A directory, named by its device and inode number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct DirKey {
    dev: u32,
    ino: u64,
}

/// How many watches of every namespace together mark each directory.
///
/// Each fsnotify event in a directory visits every mark on it, so a
/// directory that many tenants watch, such as a shared `/tmp`, slows
/// everyone's file operations there. `MAX_WATCHES_PER_OWNER` bounds one
/// owner; this bounds all of them on one directory, to
/// `MAX_WATCHES_PER_DIR`. Directory trees are not counted: the rules of
/// every namespace on one directory share one mark.
#[pin_data]
pub(crate) struct DirMarks {
    #[pin]
    counts: Mutex<RBTree<DirKey, usize>>,
}

impl DirMarks {
    /// An empty count.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                counts <- new_mutex!(RBTree::new(), "auditns::DirMarks::counts"),
            }),
            GFP_KERNEL,
        )
    }

    /// Counts one more watch on `dir`: `ENOSPC` if it carries
    /// `MAX_WATCHES_PER_DIR` already.
    fn charge(marks: &Arc<Self>, dir: DirKey) -> Result<DirCharge> {
        // Allocated before the lock, which is then held briefly.
        let reservation = RBTreeNodeReservation::new(GFP_KERNEL_ACCOUNT)?;
        let limit = MAX_WATCHES_PER_DIR.get();
        let mut counts = marks.counts.lock();
        match counts.entry(dir) {
            Entry::Occupied(mut entry) => {
                let count = entry.get_mut();
                if *count >= limit {
                    return Err(ENOSPC);
                }
                *count += 1;
            }
            Entry::Vacant(entry) => {
                if limit == 0 {
                    return Err(ENOSPC);
                }
                entry.insert(1, reservation);
            }
        }
        Ok(DirCharge {
            marks: marks.clone(),
            dir,
        })
    }
}

/// A watch counted on its directory, until it is dropped.
struct DirCharge {
    marks: Arc<DirMarks>,
    dir: DirKey,
}

impl Drop for DirCharge {
    fn drop(&mut self) {
        let mut counts = self.marks.counts.lock();
        if let Some(mut entry) = counts.find_mut(&self.dir) {
            if *entry.get() > 1 {
                *entry.get_mut() -= 1;
            } else {
                entry.remove();
            }
        }
    }
}

/// A watched path.
///
/// # Invariants
///
/// `mark` was returned by `audit_ext_watch()` and is unwatched on drop.
pub(crate) struct Watch {
    mark: NonNull<bindings::audit_fsnotify_mark>,
    /// The watch's count on its directory, given back after `drop` has
    /// removed the mark; `None` only while `new` makes the watch.
    _counted: Option<DirCharge>,
}

// SAFETY: a mark may be read and removed from any task; the audit core
// updates it from fsnotify events with single word stores, as it does for
// its own exe= rules.
unsafe impl Send for Watch {}
// SAFETY: as above; nothing here changes the mark.
unsafe impl Sync for Watch {}

impl Watch {
    /// Watches `path`, an absolute path, as the current task resolves it.
    ///
    /// Returns `EINVAL` for a path that is not absolute or that ends in
    /// `/`, or what resolving its parent returned (`ENOENT` if the parent
    /// does not exist), or `ENOSPC` if its directory carries
    /// `MAX_WATCHES_PER_DIR` watches already (see [`DirMarks`]). Charged
    /// to the current task's memory cgroup. May sleep.
    pub(crate) fn new(path: &[u8], dirs: &Arc<DirMarks>) -> Result<Self> {
        // SAFETY: `path` is readable for its length; the call copies it.
        let mark = unsafe { bindings::audit_ext_watch(path.as_ptr().cast(), path.len()) };
        let mark = NonNull::new(from_err_ptr(mark)?).ok_or(EINVAL)?;
        // INVARIANT: `mark` came from `audit_ext_watch()`; if the count
        // below fails, dropping `watch` unwatches it.
        let mut watch = Self {
            mark,
            _counted: None,
        };
        let (mut dev, mut ino) = (0, 0);
        // SAFETY: by the type invariant the mark is live; `dev` and `ino`
        // are locals.
        unsafe { bindings::audit_ext_watch_dir(watch.mark.as_ptr(), &mut dev, &mut ino) };
        // The path is resolved first, outside the count's lock: a lookup
        // may block (on a FUSE mount, say), and other namespaces' watches
        // must not wait for it.
        watch._counted = Some(DirMarks::charge(dirs, DirKey { dev, ino })?);
        Ok(watch)
    }

    /// Whether `object` is the watched file, or a directory entry that
    /// named it before it was removed or replaced.
    pub(crate) fn matches(&self, object: &Object) -> bool {
        let name = bindings::audit_ext_name {
            ino: object.ino,
            dev_major: object.dev_major,
            dev_minor: object.dev_minor,
            rdev_major: object.rdev_major,
            rdev_minor: object.rdev_minor,
            mode: object.mode as u16,
            uid: object.uid,
            gid: object.gid,
            type_: object.kind,
            fs_magic: object.fs_magic as _,
            hidden: object.hidden,
        };
        // SAFETY: by the type invariant the mark is live; `name` is a
        // local.
        unsafe { bindings::audit_ext_watch_matches(self.mark.as_ptr(), &name) }
    }

    /// Whether the current task runs the watched file.
    pub(crate) fn is_current_exe(&self) -> bool {
        // SAFETY: by the type invariant the mark is live.
        unsafe { bindings::audit_ext_exe_matches(self.mark.as_ptr()) }
    }

    /// Whether the watched path's parent went (deleted, moved or
    /// unmounted): the watch names nothing from then on.
    pub(crate) fn is_gone(&self) -> bool {
        // SAFETY: by the type invariant the mark is live.
        unsafe { bindings::audit_ext_watch_gone(self.mark.as_ptr()) }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the mark is live and this is its
        // only owner.
        unsafe { bindings::audit_ext_unwatch(self.mark.as_ptr()) };
    }
}

/// A watched directory tree (`dir=`, `-w DIR/`).
///
/// The audit core marks the directory, resolved when the rule is added in
/// the root and mount namespace of the task that adds it (see
/// `audit_ext_tree_get()`), and notes, as each path of a syscall of a
/// task whose namespace selects the syscall is looked up, the marked
/// directories the path lies in. Rules of any namespace on one directory
/// share its mark.
///
/// # Invariants
///
/// `0` was returned by `audit_ext_tree_get()` and is put on drop.
pub(crate) struct Tree(NonNull<bindings::audit_ext_tree>);

// SAFETY: a tree may be read and put from any task; the audit core
// serialises its changes.
unsafe impl Send for Tree {}
// SAFETY: as above; nothing here changes the tree.
unsafe impl Sync for Tree {}

impl Tree {
    /// Watches the tree at `path`, an absolute path, as the current task
    /// resolves it.
    ///
    /// Returns `EINVAL` for a path that is not absolute, `ENOTDIR` if it
    /// names no directory, or what resolving it returned (`ENOENT` if it
    /// does not exist). Charged to the current task's memory cgroup. May
    /// sleep.
    pub(crate) fn new(path: &[u8]) -> Result<Self> {
        // SAFETY: `path` is readable for its length; the call copies what
        // it keeps.
        let tree = unsafe { bindings::audit_ext_tree_get(path.as_ptr().cast(), path.len()) };
        let tree = from_err_ptr(tree)?;
        NonNull::new(tree).map(Self).ok_or(EINVAL)
    }

    /// Whether a path of the current task's syscall lies in the tree,
    /// whatever other trees exist; `None` if the audit core had no memory
    /// to note every tree the syscall's paths passed and cannot tell.
    pub(crate) fn has_current_path(&self) -> Option<bool> {
        // SAFETY: by the type invariant the tree is live.
        match unsafe { bindings::audit_ext_tree_hit(self.0.as_ptr()) } {
            0 => Some(false),
            hit if hit > 0 => Some(true),
            _ => None,
        }
    }

    /// Whether the tree's directory went (deleted or unmounted): the tree
    /// names nothing from then on.
    pub(crate) fn is_gone(&self) -> bool {
        // SAFETY: by the type invariant the tree is live.
        unsafe { bindings::audit_ext_tree_gone(self.0.as_ptr()) }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        // SAFETY: by the type invariant the tree is live and this is the
        // owner of the reference that `new` took.
        unsafe { bindings::audit_ext_tree_put(self.0.as_ptr()) };
    }
}
