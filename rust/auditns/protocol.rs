// SPDX-License-Identifier: GPL-2.0

//! The netlink protocol a namespace's daemon and its tools speak: the
//! requests of `auditctl` and `auditd`, and user messages.

use crate::audit;
use crate::config::{self, RuleOp, Session};
use crate::delivery::Backlog;
use crate::errno;
use crate::hooks::NetlinkMsg;
use crate::namespace::{Daemon, Namespace};
use crate::nsview::{self, PidView, UserNs};
use crate::registry::{Listed, NsRegistry};
use crate::rule::{self, RuleView};
use crate::status::{Features, NsStatus, Status, ENABLED_LOCKED, FEATURE_BITMAP};
use crate::task::{with_current, AuditTask};
use crate::translate::KeyField;
use crate::translate::{Full, SliceSink};
use kernel::{
    bindings, memcg::MemCgroup, pid_namespace::PidNamespace, prelude::*, sync::Arc,
    user_namespace::UserNamespace,
};

/// Largest text of a user message, as upstream's `AUDIT_MESSAGE_TEXT_MAX`.
const MESSAGE_TEXT_MAX: usize = 8560;

impl NsRegistry {
    /// The `netlink_msg` hook: a message from a task outside the initial
    /// user namespace. Returns 0, a positive answer, or a negative errno.
    pub(crate) fn netlink_msg(&self, mut msg: NetlinkMsg<'_>) -> i32 {
        match self.handle(&mut msg) {
            Ok(answer) => answer,
            Err(err) => err.to_errno(),
        }
    }

    fn handle(&self, msg: &mut NetlinkMsg<'_>) -> Result<i32> {
        let msg_type = msg.msg_type();
        let payload = msg.payload();
        let userns = UserNs::current();
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
                    // The namespace is the sender's or an ancestor, live.
                    if msg.sender_capable(ns.userns.get(), bindings::CAP_AUDIT_WRITE) {
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
                if !msg.sender_capable(userns.get(), bindings::CAP_AUDIT_CONTROL) {
                    return Err(EPERM);
                }
            }
            // Only the host lists namespaces: none sees another's state.
            bindings::AUDIT_NS_LIST => return Err(EPERM),
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
                msg.reply(&status.to_wire())?;
                Ok(0)
            }
            bindings::AUDIT_SET => {
                let ns = self.find_or_create(userns)?;
                let _control = ns.control.lock();
                self.set_status(&ns, msg, &Status::from_wire(payload))
            }
            bindings::AUDIT_GET_FEATURE => {
                let ns = self.find_or_create(userns)?;
                let features = ns.state.lock().features;
                msg.reply(&features.to_wire())?;
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
                msg.reply(&info)?;
                Ok(0)
            }
            bindings::AUDIT_LIST_RULES => {
                let ns = self.find_or_create(userns)?;
                self.remove_gone_rules(&ns);
                // The dump answers instead of an ack.
                crate::dump::start(&ns, msg)?;
                Ok(0)
            }
            bindings::AUDIT_ADD_RULE => {
                let ns = self.find_or_create(userns)?;
                self.remove_gone_rules(&ns);
                let _control = ns.control.lock();
                self.change_rule(&ns, RuleOp::Add, payload)
            }
            bindings::AUDIT_DEL_RULE => {
                let ns = self.find(userns).ok_or(ENOENT)?;
                self.remove_gone_rules(&ns);
                let _control = ns.control.lock();
                self.change_rule(&ns, RuleOp::Remove, payload)
            }
            _ => Err(EINVAL),
        }
    }

    /// Removes the rules of `ns` whose paths went, each with the
    /// `CONFIG_CHANGE` record upstream writes, before a request reads or
    /// changes them.
    fn remove_gone_rules(&self, ns: &Arc<Namespace>) {
        let _control = ns.control.lock();
        let changed = ns.remove_gone_rules(|removed, gone| {
            let (key, list) = (removed.key(), removed.list);
            ns.log_config_change_sized(config::GONE_RECORD_MAX, |out| {
                config::rule_gone(out, session(), gone, key, list)
            });
        });
        if changed {
            self.update_selection(ns);
        }
    }

    /// Adds or removes the rule in `payload`, with the `CONFIG_CHANGE`
    /// record upstream writes; called with the namespace's control mutex.
    fn change_rule(&self, ns: &Arc<Namespace>, op: RuleOp, payload: &[u8]) -> Result<i32> {
        if payload.len() < rule::HEADER_LEN {
            return Err(EINVAL);
        }
        let enabled = ns.state.lock().settings.enabled;
        if enabled == ENABLED_LOCKED {
            let uid = host_ids().uid;
            let pid = with_current(|task| task.tgid()).unsigned_abs();
            ns.log_config_change(|out| {
                config::locked_rule_change(out, pid, uid, session(), op, enabled)
            });
            return Err(EPERM);
        }
        // Rules are kept, compared and listed with their class bits
        // replaced by the classes' syscalls, as upstream keeps them.
        let mut data = KVec::with_capacity(payload.len(), GFP_KERNEL)?;
        data.extend_from_slice(payload, GFP_KERNEL)?;
        rule::expand_wire_classes(&mut data, audit::syscall_class);
        let rule = RuleView::parse(&data).map_err(crate::errno_error)?;
        let data = &data[..rule.wire_len()];
        let result = match op {
            RuleOp::Add => {
                // The owner's budget of marks is checked before any path is
                // resolved.
                let marks = rule.mark_count();
                self.charge_marks(ns, marks).and_then(|()| {
                    ns.add_rule(&rule, data, &self.dir_marks)
                        .inspect_err(|_| ns.release_marks(marks))
                })
            }
            RuleOp::Remove => ns.del_rule(&rule, data),
        };
        let (key, list) = (rule.key(), rule.list);
        ns.log_config_change(|out| {
            config::rule_change(out, session(), op, key, list, result.is_ok())
        });
        if result? {
            self.update_selection(ns);
        }
        Ok(0)
    }

    /// The `ns_list` hook: `AUDIT_NS_LIST` from the host's administrator,
    /// whom the audit core checked. Answered with a dump of every
    /// namespace with state ([`crate::dump::fill_ns_list`]).
    pub(crate) fn ns_list(&self, mut msg: NetlinkMsg<'_>) -> i32 {
        // The dump answers instead of an ack.
        match crate::dump::start_ns_list(&mut msg) {
            Ok(()) => 0,
            Err(err) => err.to_errno(),
        }
    }

    /// A listed namespace's line of the host's `AUDIT_NS_LIST` answer, its
    /// daemon's PID as the initial PID namespace sees it.
    pub(crate) fn host_status(&self, listed: &Listed) -> NsStatus {
        let rules = {
            let rules = listed.ns.rules.lock();
            rules.exit.len() + rules.other.len()
        };
        NsStatus {
            userns: listed.userns,
            parent: listed.parent,
            owner: listed.owner,
            rules: u32::try_from(rules).unwrap_or(u32::MAX),
            status: self.status_in(&listed.ns, Some(PidNamespace::initial())),
        }
    }

    fn status_of(&self, ns: &Namespace) -> Status {
        let sender_view = PidNamespace::current();
        self.status_in(ns, sender_view.as_deref())
    }

    /// The status of `ns`, with its daemon's PID in `view` (0 without one).
    fn status_in(&self, ns: &Namespace, view: Option<&PidNamespace>) -> Status {
        let state = ns.state.lock();
        let settings = state.settings;
        let pid = state
            .daemon
            .as_ref()
            .filter(|d| d.process.has_process())
            .zip(view)
            .map_or(0, |(d, view)| {
                u32::try_from(d.process.nr_in(view)).unwrap_or(0)
            });
        let status = Status {
            mask: 0,
            enabled: state.reported_enabled(),
            failure: settings.failure,
            pid,
            rate_limit: settings.rate_limit,
            backlog_limit: settings.backlog_limit,
            lost: state.queue.lost(),
            backlog: state.queue.records(),
            feature_bitmap: FEATURE_BITMAP,
            backlog_wait_time: settings.backlog_wait_time,
            backlog_wait_time_actual: state.waited,
        };
        drop(state);
        status
    }

    fn set_status(
        &self,
        ns: &Arc<Namespace>,
        msg: &mut NetlinkMsg<'_>,
        status: &Status,
    ) -> Result<i32> {
        // The pid checks come first, so that a refused registration changes
        // nothing.
        let pid = status.wants_pid();
        if let Some(new_pid) = pid {
            let me = PidNamespace::current().map_or(0, |view| view.current_tgid());
            if new_pid != 0 && new_pid != me {
                return Err(EINVAL);
            }
            let (healthy, is_me) = {
                let state = ns.state.lock();
                match state.daemon.as_ref() {
                    Some(d) if d.process.has_process() => {
                        (true, nsview::is_current_process(&d.process))
                    }
                    _ => (false, false),
                }
            };
            if healthy && (new_pid != 0 || !is_me) {
                let old_pid = self.status_of(ns).pid;
                ns.log_config_change(|out| {
                    config::setting_change(out, session(), "audit_pid", new_pid, old_pid, false)
                });
                return Err(if new_pid != 0 { EEXIST } else { EACCES });
            }
        }
        // Decide first, then log with the settings still in force (a
        // namespace whose audit was off logs nothing, one being turned
        // off logs that), then make the change. The control mutex keeps
        // other changes out meanwhile.
        let old = ns.state.lock().settings;
        let mut next = old;
        let applied = next.apply(status);
        match applied {
            Ok(_) => {
                for (name, new, was) in old.changes(status) {
                    ns.log_config_change(|out| {
                        config::setting_change(out, session(), name, new, was, true)
                    });
                }
            }
            // Locked: upstream refuses the first setting it comes to.
            Err(errno::EPERM) => {
                if let Some((name, new, was)) = old.changes(status).next() {
                    ns.log_config_change(|out| {
                        config::setting_change(out, session(), name, new, was, false)
                    });
                }
            }
            Err(_) => {}
        }
        let request = applied.map_err(crate::errno_error)?;
        ns.state.lock().settings = next;
        // A larger backlog_limit, a shorter wait or audit switched off:
        // tasks waiting for room look again.
        ns.wake_waiters();
        if let Some(new_pid) = pid {
            let old_pid = self.status_of(ns).pid;
            match new_pid {
                0 => drop(ns.unregister_daemon(None)),
                _ => self.register_daemon(ns, msg)?,
            }
            ns.log_config_change(|out| {
                config::setting_change(out, session(), "audit_pid", new_pid, old_pid, true)
            });
        }
        if request.reset_lost {
            let lost = ns.state.lock().queue.take_lost();
            ns.log_config_change(|out| {
                config::setting_change(out, session(), "lost", 0, lost, true)
            });
            return Ok(i32::try_from(lost).unwrap_or(i32::MAX));
        }
        if request.reset_wait_actual {
            let waited = core::mem::take(&mut ns.state.lock().waited);
            ns.log_config_change(|out| {
                config::setting_change(
                    out,
                    session(),
                    "audit_backlog_wait_time_actual",
                    0,
                    waited,
                    true,
                )
            });
            return Ok(i32::try_from(waited).unwrap_or(i32::MAX));
        }
        Ok(0)
    }

    /// Makes the sender of `msg` the daemon of `ns`.
    fn register_daemon(&self, ns: &Arc<Namespace>, msg: &mut NetlinkMsg<'_>) -> Result {
        let (net, portid) = msg.sender()?;
        let daemon = Arc::new(
            Daemon {
                portid,
                net,
                process: nsview::current_process().ok_or(ESRCH)?,
                view: PidNamespace::current().ok_or(ESRCH)?,
                memcg: MemCgroup::current(),
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        // Ack now, as upstream's auditd_set() does: records may follow at
        // once, and the daemon waits for this answer first. Nothing after
        // this can fail.
        msg.ack_now();
        // A replaced (dead) daemon goes.
        ns.install_daemon(daemon);
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
        let ids = host_ids();
        let (tgid, sessionid) = with_current(|task| (task.tgid(), task.sessionid()));
        let mut text = KVec::with_capacity(text_len + 160, GFP_KERNEL)?;
        let mut stamp = [0u8; 64];
        let stamp_len = audit::format_stamp(&mut stamp);
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
                // Never waits: upstream's sender holds the audit control
                // mutex, which exempts it from backlog_wait_time.
                ns.enqueue(msg_type16, &text, KeyField::Keep, Backlog::Limited);
            }
        }
        Ok(())
    }
}

/// Current's ids in the host's view, as records are written before they
/// are translated into a namespace's.
fn host_ids() -> bindings::audit_ext_ids {
    audit::current_ids(UserNamespace::initial())
}

/// Who makes a change, for its `CONFIG_CHANGE` record: current's login uid
/// and session, in the host's view.
fn session() -> Session {
    Session {
        auid: host_ids().loginuid,
        ses: with_current(|task| task.sessionid()),
    }
}

impl Namespace {
    /// Queues a `CONFIG_CHANGE` record that `write` writes, stamped now. A
    /// namespace whose audit is off, or that has no daemon, logs nothing.
    fn log_config_change(
        self: &Arc<Self>,
        write: impl FnOnce(&mut SliceSink<'_>) -> core::result::Result<(), Full>,
    ) {
        self.log_config_change_sized(config::RECORD_MAX, write);
    }

    /// As `log_config_change`, for a record of up to `max` bytes.
    fn log_config_change_sized(
        self: &Arc<Self>,
        max: usize,
        write: impl FnOnce(&mut SliceSink<'_>) -> core::result::Result<(), Full>,
    ) {
        const STAMP_MAX: usize = 64;
        let Ok(mut text) = KVec::from_elem(0u8, STAMP_MAX + max, GFP_KERNEL) else {
            self.lose();
            return;
        };
        let stamp_len = audit::format_stamp(&mut text[..STAMP_MAX]);
        let mut out = SliceSink::new(&mut text[stamp_len..]);
        if write(&mut out).is_err() {
            return;
        }
        let len = out.len();
        self.enqueue(
            config::AUDIT_CONFIG_CHANGE,
            &text[..stamp_len + len],
            crate::translate::KeyField::Keep,
            Backlog::Limited,
        );
    }
}
