// SPDX-License-Identifier: GPL-2.0

//! A namespace's rules: how they are stored, changed and indexed, and how
//! they decide a syscall event, a user message or a record.

use crate::config::Gone;
use crate::hooks::CurrentContext;
use crate::namespace::Namespace;
use crate::nsview::{self, PidView, UserNs};
use crate::rule::{self, AtTaskCreation, EventFields, Objects, RuleMarks, RuleView};
use crate::rule_index::{self, Wanted};
use crate::task::{with_current, AuditTask};
use crate::watch::{DirMarks, Tree, Watch};
use core::{cell::OnceCell, sync::atomic::Ordering};
use kernel::{bindings, pid_namespace::PidNamespace, prelude::*, sync::Arc};

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
    /// The watched path (`path=`, `-w`): the rule is tried on each object.
    watch: Option<Watch>,
    /// The executable (`exe=`), shared with the exclude list's copy.
    exe: Option<Arc<Watch>>,
    /// The directory tree (`dir=`, `-w DIR/`).
    tree: Option<Tree>,
    /// Whether the rule is tried on each object (a watch or inode rule).
    per_object: bool,
}

impl StoredRule {
    /// Keeps `rule`, parsed from `data` (without netlink's padding), and
    /// watches its paths as the current task resolves them. May sleep.
    fn new(rule: &RuleView<'_>, data: &[u8], dirs: &Arc<DirMarks>) -> Result<Self> {
        let mut copy = KVec::with_capacity(data.len(), GFP_KERNEL_ACCOUNT)?;
        copy.extend_from_slice(data, GFP_KERNEL_ACCOUNT)?;
        // The key stays among the fields: a user or exclude rule stops
        // where upstream's audit_filter() meets it.
        let mut fields = KVec::new();
        for field in rule.fields() {
            fields.push(field, GFP_KERNEL_ACCOUNT)?;
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
            watch: rule
                .watch_path()
                .map(|path| Watch::new(path, dirs))
                .transpose()?,
            exe: match rule.exe_path() {
                Some(path) => Some(Arc::new(Watch::new(path, dirs)?, GFP_KERNEL_ACCOUNT)?),
                None => None,
            },
            tree: rule.tree_path().map(Tree::new).transpose()?,
            per_object: rule.per_object(),
        })
    }

    /// Whether something the rule names went with its directory or mount.
    fn has_gone_mark(&self) -> bool {
        self.tree.as_ref().is_some_and(Tree::is_gone)
            || self.watch.as_ref().is_some_and(Watch::is_gone)
            || self.exe.as_ref().is_some_and(|exe| exe.is_gone())
    }

    /// What went, with its path, for the record of the rule's removal.
    fn gone(&self) -> Option<Gone<'_>> {
        let view = RuleView::parse(&self.data).ok()?;
        if self.tree.as_ref().is_some_and(Tree::is_gone) {
            view.tree_path().map(Gone::Tree)
        } else if self.watch.as_ref().is_some_and(Watch::is_gone) {
            view.watch_path().map(Gone::Watch)
        } else {
            view.exe_path().map(Gone::Exe)
        }
    }

    /// The rule's key (`-k`), if it has one.
    pub(crate) fn key(&self) -> Option<&[u8]> {
        self.key.as_deref()
    }

    /// The marks the rule holds, as `RuleView::mark_count` counts them.
    fn mark_count(&self) -> usize {
        usize::from(self.watch.is_some())
            + usize::from(self.exe.is_some())
            + usize::from(self.tree.is_some())
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

    /// Whether every field holds for `event`, with object fields tested
    /// against `objects`.
    fn matches_in(&self, event: &impl EventFields, objects: Objects<'_>) -> bool {
        rule::fields_match_in(self.fields.iter().copied(), event, self, objects)
    }

    /// Whether every field holds for `event`, any object for an object
    /// field.
    fn matches(&self, event: &impl EventFields) -> bool {
        self.matches_in(event, Objects::Any)
    }
}

impl RuleMarks for StoredRule {
    fn watch_matches(&self, object: &rule::Object) -> bool {
        self.watch
            .as_ref()
            .is_some_and(|watch| watch.matches(object))
    }

    fn exe_matches(&self) -> bool {
        self.exe.as_ref().is_some_and(|exe| exe.is_current_exe())
    }

    fn tree_matches(&self) -> bool {
        self.tree.as_ref().is_some_and(|tree| {
            // Not knowing errs towards logging: an `always` rule selects
            // the event, a `never` rule does not spare it.
            tree.has_current_path()
                .unwrap_or(self.action != rule::action::NEVER)
        })
    }
}

/// An exclude-list rule, as records are filtered with it.
pub(crate) struct ExcludeRule {
    action: u32,
    fields: KVec<rule::Field>,
    exe: Option<Arc<Watch>>,
}

impl RuleMarks for ExcludeRule {
    fn exe_matches(&self) -> bool {
        self.exe.as_ref().is_some_and(|exe| exe.is_current_exe())
    }
}

/// A record's fields for the exclude list, as upstream's `audit_filter()`
/// reads them: its type, and the ids of the task that writes it, current.
struct RecordFields<'v> {
    msg_type: u32,
    task: TaskFields<'v>,
}

impl EventFields for RecordFields<'_> {
    fn value(&self, id: u32) -> Option<u64> {
        if id == rule::field::MSGTYPE {
            return Some(u64::from(self.msg_type));
        }
        self.task.value(id)
    }
}

/// Whether the exclude list drops a record of `msg_type` that current
/// writes, with `task`, current's fields in the namespace's view. Never
/// sleeps.
pub(crate) fn excluded(rules: &[ExcludeRule], msg_type: u32, task: TaskFields<'_>) -> bool {
    let record = RecordFields { msg_type, task };
    let rules = rules
        .iter()
        .map(|rule| (rule.action, rule.fields.as_slice(), rule));
    !rule::record_kept(rule::list::EXCLUDE, rules, &record)
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
    /// Exit rules tried on each object of an event (watch and inode
    /// rules), ascending; not in `narrow` or `wide`.
    per_object: KVec<u16>,
    /// False if the index could not be rebuilt (no memory): every exit
    /// rule is then tested, as upstream does.
    index_valid: bool,
    /// Whether `other` holds task-list rules, tried before the exit rules.
    has_task_rules: bool,
    /// The `fstype` fields of the filesystem list's never rules: objects
    /// on those file systems are not the namespace's to see.
    fs_never: KVec<rule::Field>,
    /// `audit_ext_gone()` when the rules were last looked through for
    /// watches and trees that went.
    gone_seen: u32,
}

impl Rules {
    /// No rules.
    pub(crate) fn new() -> Self {
        Self {
            exit: KVec::new(),
            other: KVec::new(),
            narrow: KVec::new(),
            wide: KVec::new(),
            per_object: KVec::new(),
            index_valid: true,
            has_task_rules: false,
            fs_never: KVec::new(),
            gone_seen: 0,
        }
    }

    /// Rebuilds the syscall index of the exit rules (see `rule_index`);
    /// returns what the namespace must see: the syscalls the exit rules
    /// name and the opcodes the io_uring list names, or all of them if an
    /// always rule of the task list may record any.
    fn rebuild_index(&mut self) -> Wanted {
        self.index_valid = self.try_rebuild_index().is_ok();
        let task_rules = || self.other.iter().filter(|r| r.list == rule::list::TASK);
        self.has_task_rules = task_rules().next().is_some();
        if task_rules().any(|r| r.action == rule::action::ALWAYS) {
            return Wanted::ALL;
        }
        let mut wanted = Wanted::NONE;
        for stored in self.exit.iter() {
            rule_index::add_to_union(&mut wanted.syscalls, &stored.mask);
        }
        for stored in self.other.iter() {
            if stored.list == rule::list::URING_EXIT {
                wanted.add_uring_ops(&stored.mask);
            }
        }
        wanted
    }

    /// Collects the filesystem list's never fields anew after a change.
    fn rebuild_fs_never(&mut self) -> Result {
        let mut fs_never = KVec::new();
        for stored in self.other.iter() {
            if stored.list == rule::list::FS && stored.action == rule::action::NEVER {
                for field in stored.fields.iter() {
                    if field.id == rule::field::FSTYPE {
                        fs_never.push(*field, GFP_KERNEL_ACCOUNT)?;
                    }
                }
            }
        }
        self.fs_never = fs_never;
        Ok(())
    }

    fn try_rebuild_index(&mut self) -> Result {
        let (mut narrow, mut wide, mut per_object) = (KVec::new(), KVec::new(), KVec::new());
        for (index, stored) in self.exit.iter().enumerate() {
            let index = u16::try_from(index).map_err(|_| ENOSPC)?;
            let mask = &stored.mask;
            if stored.per_object {
                per_object.push(index, GFP_KERNEL_ACCOUNT)?;
            } else if rule_index::is_wide(mask) {
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
        self.per_object = per_object;
        Ok(())
    }
}

impl Namespace {
    /// Adds a rule; returns whether the syscalls the exit rules name
    /// changed, and the namespaces' selections need updating.
    /// `rule` was parsed from `data`, whose class bits are expanded.
    pub(crate) fn add_rule(
        &self,
        rule: &RuleView<'_>,
        data: &[u8],
        dirs: &Arc<DirMarks>,
    ) -> Result<bool> {
        let is_exit = rule.list == rule::list::EXIT;
        let data = &data[..rule.wire_len()];
        let stored = StoredRule::new(rule, data, dirs)?;
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
        let mut changed = false;
        if is_exit || rule.list == rule::list::TASK || rule.list == rule::list::URING_EXIT {
            changed = self.set_own_wanted(&rules.rebuild_index());
        } else if rule.list == rule::list::FS || rule.list == rule::list::EXCLUDE {
            if let Err(err) = self.sync_filter(&mut rules, rule.list) {
                // Take the rule back: what the kernel filters with and what
                // it lists must not differ.
                let at = if rule.prepend {
                    0
                } else {
                    rules.other.len() - 1
                };
                drop(rules.other.remove(at));
                return Err(err);
            }
        }
        Ok(changed)
    }

    /// Deletes the rule equal to `data`; returns whether the syscalls the
    /// exit rules name changed.
    pub(crate) fn del_rule(&self, rule: &RuleView<'_>, data: &[u8]) -> Result<bool> {
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
        let removed = list.remove(index);
        let mut changed = false;
        if is_exit || rule.list == rule::list::TASK || rule.list == rule::list::URING_EXIT {
            changed = self.set_own_wanted(&rules.rebuild_index());
        } else if rule.list == rule::list::FS || rule.list == rule::list::EXCLUDE {
            if let Err(err) = self.sync_filter(&mut rules, rule.list) {
                // Put the rule back where it was, as the filter still has it.
                if let Some(removed) = removed {
                    if rules.other.push(removed, GFP_KERNEL_ACCOUNT).is_ok() {
                        rules.other.as_mut_slice()[index..].rotate_right(1);
                    }
                }
                return Err(err);
            }
        }
        if let Some(removed) = removed {
            self.release_marks(removed.mark_count());
        }
        Ok(changed)
    }

    /// Removes the rules whose watched path, executable or tree went with
    /// its directory or mount, as upstream removes them
    /// (`audit_remove_parent_watches()`, `audit_autoremove_mark_rule()`,
    /// `kill_rules()`), calling `log` for each; returns whether the
    /// syscalls the rules name changed. Upstream removes them as they go;
    /// here they are found when the namespace next asks for its rules.
    pub(crate) fn remove_gone_rules(&self, mut log: impl FnMut(&StoredRule, Gone<'_>)) -> bool {
        // The rules are only looked through after some watch or tree on the
        // machine went, so that a flood of requests costs no scan each.
        let gone = crate::audit::watches_gone();
        let mut rules = self.rules.lock();
        if rules.gone_seen == gone {
            return false;
        }
        rules.gone_seen = gone;
        if !Iterator::chain(rules.exit.iter(), rules.other.iter()).any(StoredRule::has_gone_mark) {
            return false;
        }
        let (mut marks, mut exclude) = (0, false);
        for exit in [true, false] {
            let list = if exit {
                &mut rules.exit
            } else {
                &mut rules.other
            };
            let mut index = 0;
            while index < list.len() {
                if !list[index].has_gone_mark() {
                    index += 1;
                    continue;
                }
                if let Some(removed) = list.remove(index) {
                    if let Some(gone) = removed.gone() {
                        log(&removed, gone);
                    }
                    marks += removed.mark_count();
                    exclude |= removed.list == rule::list::EXCLUDE;
                }
            }
        }
        self.release_marks(marks);
        if exclude {
            // Without memory the old copy of the exclude list stays, whose
            // rules name nothing that is left.
            let _ = self.sync_exclude(&rules);
        }
        self.set_own_wanted(&rules.rebuild_index())
    }

    /// Gives back marks that `NsRegistry::charge_marks` charged.
    pub(crate) fn release_marks(&self, count: usize) {
        self.marks.fetch_sub(count, Ordering::Relaxed);
    }

    /// Brings what filters with the rules of `list` (the filesystem or
    /// exclude list) up to date after a change of that list.
    fn sync_filter(&self, rules: &mut Rules, list: u32) -> Result {
        if list == rule::list::FS {
            rules.rebuild_fs_never()
        } else {
            self.sync_exclude(rules)
        }
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
                    exe: stored.exe.clone(),
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
        let other = core::mem::take(&mut rules.other);
        let marks = Iterator::chain(exit.iter(), other.iter())
            .map(StoredRule::mark_count)
            .sum();
        self.release_marks(marks);
        rules.fs_never = KVec::new();
        let _ = self.set_own_wanted(&rules.rebuild_index());
        let exclude = core::mem::take(&mut self.state.lock().exclude);
        drop(exclude);
        exit.len()
    }

    /// Decides an event of the current task, a syscall with the task and
    /// exit rules or an io_uring operation with the task and io_uring
    /// rules: `Some` if a rule selects it, with the rule's key and the
    /// `PATH` records the namespace does not see.
    /// `info` and `exit` are the event's syscall and context. Rules for
    /// other syscalls or opcodes cost nothing, and the task's fields are
    /// read only as far as a rule tests them. `Err(ENOMEM)` if a rule
    /// selects it but its key could not be copied: the caller counts the
    /// event lost.
    pub(crate) fn select_event(
        &self,
        op: EventOp,
        exit: CurrentContext<'_>,
        info: bindings::audit_ext_syscall,
    ) -> Result<Option<Selected>> {
        self.select_event_or_none(op, exit, info).transpose()
    }

    /// [`Self::select_event`], with `None` for an event not selected.
    fn select_event_or_none(
        &self,
        op: EventOp,
        exit: CurrentContext<'_>,
        info: bindings::audit_ext_syscall,
    ) -> Option<Result<Selected>> {
        let daemon = self.listener()?;
        // The daemon is not audited by its own namespace's rules, as
        // upstream's auditd_test_task() exempts the host's: its reads and
        // writes of records would otherwise make records of their own.
        if nsview::is_current_process(&daemon.process) {
            return None;
        }
        let rules = self.rules.lock();
        let (nr, uring) = match op {
            EventOp::Syscall(nr) => (nr, false),
            EventOp::Uring(opcode) => (u16::from(opcode), true),
        };
        let covers = |index: u16| {
            rules
                .exit
                .get(usize::from(index))
                .is_some_and(|rule| rule.has_syscall(nr))
        };
        // The event's fields and objects are read when a rule first tests
        // them.
        let task = self.current_task_fields(&daemon.view);
        let event = SyscallEvent::new(exit, info, self.userns, task, &rules.fs_never);
        // The task rules first. Upstream's audit_filter_task() decides a
        // task's state with them once, when it is created; here they are
        // tried at each syscall, on the task as it is then. A never rule
        // leaves the task unaudited; an always rule records each syscall
        // that no exit rule decides.
        let mut by_task = None;
        if rules.has_task_rules {
            let task = AtTaskCreation(&event);
            let first = rules
                .other
                .iter()
                .filter(|rule| rule.list == rule::list::TASK)
                .find(|rule| rule.matches(&task));
            if let Some(rule) = first {
                if rule.action != rule::action::ALWAYS {
                    return None;
                }
                by_task = Some(rule);
            }
        }
        // The first syscall rule that covers the syscall and whose fields
        // hold, as upstream's audit_filter_syscall().
        let syscall_rule = |index: u16| -> Option<&StoredRule> {
            let rule = rules.exit.get(usize::from(index))?;
            rule.matches(&event).then_some(rule)
        };
        let by_syscall = if uring {
            // As upstream's audit_filter_uring(): the first io_uring rule
            // that names the opcode and whose fields hold. Few namespaces
            // have any, and they cost only their own io_uring operations.
            let mut named = rules
                .other
                .iter()
                .filter(|rule| rule.list == rule::list::URING_EXIT && rule.has_syscall(nr));
            named.find(|rule| rule.matches(&event))
        } else if rules.index_valid {
            rule_index::candidates(&rules.narrow, &rules.wide, nr, covers).find_map(syscall_rule)
        } else {
            // No index (no memory to build it): test every rule.
            (0..rules.exit.len())
                .filter_map(|index| u16::try_from(index).ok())
                .filter(|&index| covers(index) && !rules.exit[usize::from(index)].per_object)
                .find_map(syscall_rule)
        };
        // Then the watch and inode rules, on each object in turn: the first
        // that holds decides instead, as upstream's audit_filter_inodes()
        // runs after the syscall rules and overrides their decision.
        let mut by_object = None;
        if !uring && rules.per_object.iter().any(|&index| covers(index)) {
            by_object = event.objects().iter().find_map(|object| {
                rules.per_object.iter().find_map(|&index| {
                    let rule = rules.exit.get(usize::from(index))?;
                    (rule.has_syscall(nr) && rule.matches_in(&event, Objects::One(object)))
                        .then_some(rule)
                })
            });
        }
        let rule = by_object.or(by_syscall).or(by_task)?;
        if rule.action != rule::action::ALWAYS {
            return None;
        }
        // An exit rule without a key leaves the task rule's, as upstream's
        // context keeps it.
        let key = match rule
            .key
            .as_ref()
            .or(by_task.and_then(|task| task.key.as_ref()))
        {
            Some(key) => {
                let mut copy = KVec::new();
                if copy.extend_from_slice(key, GFP_KERNEL).is_err() {
                    return Some(Err(ENOMEM));
                }
                Some(copy)
            }
            None => None,
        };
        let hidden_items = event.hidden_items();
        Some(Ok(Selected { key, hidden_items }))
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
        let user = rules
            .other
            .iter()
            .filter(|rule| rule.list == rule::list::USER)
            .map(|rule| (rule.action, rule.fields.as_slice(), rule));
        !rule::record_kept(rule::list::USER, user, &event)
    }

    /// The current task's fields in this namespace and PIDs in `view`,
    /// read as they are tested.
    pub(crate) fn current_task_fields<'v>(&self, view: &'v PidNamespace) -> TaskFields<'v> {
        TaskFields::new(self.userns, view)
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

/// The current task's ids and PIDs, as one namespace sees them.
///
/// Each group of fields is read when a rule first tests one of them, and
/// kept for the other rules of the event: a rule tests few fields, and the
/// ids alone are nine translations. Current's fields do not change while
/// it is in a hook.
pub(crate) struct TaskFields<'v> {
    /// The namespace whose view the ids are in: current's or an
    /// ancestor's.
    userns: UserNs,
    /// The PID namespace whose view the PIDs are in.
    view: &'v PidNamespace,
    ids: OnceCell<bindings::audit_ext_ids>,
    pid: OnceCell<u32>,
    ppid: OnceCell<u32>,
}

impl<'v> TaskFields<'v> {
    /// Current's fields, with ids in `userns`, current's or an ancestor's,
    /// and PIDs in `view`; none read yet.
    fn new(userns: UserNs, view: &'v PidNamespace) -> Self {
        Self {
            userns,
            view,
            ids: OnceCell::new(),
            pid: OnceCell::new(),
            ppid: OnceCell::new(),
        }
    }

    fn ids(&self) -> &bindings::audit_ext_ids {
        self.ids
            .get_or_init(|| crate::audit::current_ids(self.userns.get()))
    }
}

impl EventFields for TaskFields<'_> {
    fn value(&self, id: u32) -> Option<u64> {
        use rule::field;
        Some(match id {
            field::PID => u64::from(*self.pid.get_or_init(|| self.view.current_tgid())),
            field::PPID => u64::from(*self.ppid.get_or_init(|| self.view.current_ppid())),
            field::UID => u64::from(self.ids().uid),
            field::EUID => u64::from(self.ids().euid),
            field::SUID => u64::from(self.ids().suid),
            field::FSUID => u64::from(self.ids().fsuid),
            field::GID => u64::from(self.ids().gid),
            field::EGID => u64::from(self.ids().egid),
            field::SGID => u64::from(self.ids().sgid),
            field::FSGID => u64::from(self.ids().fsgid),
            field::LOGINUID => u64::from(self.ids().loginuid),
            field::LOGINUID_SET => u64::from(self.ids().loginuid != u32::MAX),
            // One read each, as cheap as keeping them.
            field::SESSIONID => u64::from(with_current(|task| task.sessionid())),
            field::CONTID => with_current(|task| task.contid()),
            _ => return None,
        })
    }
}

/// What an event is, for the rules that decide it.
#[derive(Clone, Copy)]
pub(crate) enum EventOp {
    /// A syscall, by number.
    Syscall(u16),
    /// An io_uring operation outside a syscall, by opcode.
    Uring(u8),
}

/// What a namespace's rules decided for a syscall event it receives.
pub(crate) struct Selected {
    /// The key of the rule that selected the event.
    pub(crate) key: Option<KVec<u8>>,
    /// The `item=` numbers (below 64) of the `PATH` records of objects the
    /// namespace's filesystem list leaves out.
    pub(crate) hidden_items: u64,
}

/// The current syscall event, as one namespace's rules see it.
pub(crate) struct SyscallEvent<'a> {
    pub(crate) info: bindings::audit_ext_syscall,
    pub(crate) task: TaskFields<'a>,
    ctx: CurrentContext<'a>,
    /// The namespace whose view the objects' owners are in.
    userns: UserNs,
    /// The `fstype` fields of the namespace's filesystem never rules.
    fs_never: &'a [rule::Field],
    /// The event's objects, read when a rule first tests one, and the
    /// `item=` numbers of those the filesystem list leaves out.
    objects: OnceCell<(KVec<rule::Object>, u64)>,
}

impl<'a> SyscallEvent<'a> {
    /// The event of `ctx`, as `userns` sees it, with `task`'s fields,
    /// without the objects on the file systems that `fs_never`, the
    /// `fstype` fields of never rules, names, as upstream's
    /// `__audit_inode()` does not record them.
    fn new(
        ctx: CurrentContext<'a>,
        info: bindings::audit_ext_syscall,
        userns: UserNs,
        task: TaskFields<'a>,
        fs_never: &'a [rule::Field],
    ) -> Self {
        Self {
            info,
            task,
            ctx,
            userns,
            fs_never,
            objects: OnceCell::new(),
        }
    }

    /// The objects the rules see, and the `item=` numbers of the others.
    fn objects_and_hidden_items(&self) -> &(KVec<rule::Object>, u64) {
        self.objects.get_or_init(|| {
            let all = self.ctx.objects(self.userns);
            if self.fs_never.is_empty() {
                return (all, 0);
            }
            let (mut kept, mut hidden, mut item) = (KVec::new(), 0u64, 0u32);
            for object in all {
                let left_out =
                    rule::fs_excluded([(rule::action::NEVER, self.fs_never)], object.fs_magic);
                if !object.hidden {
                    if left_out && item < 64 {
                        hidden |= 1 << item;
                    }
                    item += 1;
                }
                // Without memory for it an object is left out too.
                if !left_out && kept.push(object, GFP_KERNEL).is_err() {
                    break;
                }
            }
            (kept, hidden)
        })
    }

    /// The `item=` numbers (below 64) of the `PATH` records of objects that
    /// the filesystem list leaves out.
    fn hidden_items(&self) -> u64 {
        if self.fs_never.is_empty() {
            return 0;
        }
        self.objects_and_hidden_items().1
    }
}

impl EventFields for SyscallEvent<'_> {
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

    fn objects(&self) -> &[rule::Object] {
        self.objects_and_hidden_items().0.as_slice()
    }

    fn perm(&self, mask: u32) -> bool {
        self.ctx.match_perm(mask)
    }

    fn sockaddr_family(&self) -> Option<u32> {
        self.ctx.sockaddr_family()
    }
}

/// A user message, as one namespace's user list sees it.
struct UserMessage<'v> {
    msg_type: u32,
    task: TaskFields<'v>,
}

impl EventFields for UserMessage<'_> {
    fn value(&self, id: u32) -> Option<u64> {
        if id == rule::field::MSGTYPE {
            return Some(u64::from(self.msg_type));
        }
        self.task.value(id)
    }
}
