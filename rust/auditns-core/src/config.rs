// SPDX-License-Identifier: GPL-2.0

//! `CONFIG_CHANGE` records: what a namespace's rule and setting changes
//! write, in upstream's shapes (`audit_log_rule_change()`,
//! `audit_log_config_change()` and the refusal of a rule change while
//! locked, in `kernel/audit.c` and `kernel/auditfilter.c`).
//!
//! The ids and PIDs are the host's: records are translated into the
//! daemon's view when they are queued, as every other record is.

use crate::translate::{write_key, Full, SliceSink};
use core::fmt::Write;

/// `AUDIT_CONFIG_CHANGE`.
pub const AUDIT_CONFIG_CHANGE: u16 = 1305;

/// Who made a change: upstream's `audit_log_session_info()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// The login uid, `u32::MAX` if unset.
    pub auid: u32,
    /// The session id.
    pub ses: u32,
}

/// A rule change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleOp {
    /// `AUDIT_ADD_RULE`.
    Add,
    /// `AUDIT_DEL_RULE`.
    Remove,
}

impl RuleOp {
    /// The `op=` value.
    pub fn name(self) -> &'static str {
        match self {
            RuleOp::Add => "add_rule",
            RuleOp::Remove => "remove_rule",
        }
    }
}

/// Room for any record of this module: the longest is a rule change with a
/// key of [`crate::rule::MAX_KEY_LEN`] bytes in hexadecimal.
pub const RECORD_MAX: usize = 2 * crate::rule::MAX_KEY_LEN + 128;

fn fmt_full(_: core::fmt::Error) -> Full {
    Full
}

/// `auid=A ses=S op=add_rule key="K" list=L res=R`: a rule was added or
/// removed (`res=1`), or its change failed (`res=0`).
pub fn rule_change(
    out: &mut SliceSink<'_>,
    session: Session,
    op: RuleOp,
    key: Option<&[u8]>,
    list: u32,
    done: bool,
) -> Result<(), Full> {
    write!(
        out,
        "auid={} ses={} op={} key=",
        session.auid,
        session.ses,
        op.name()
    )
    .map_err(fmt_full)?;
    write_key(out, key)?;
    write!(out, " list={} res={}", list, u8::from(done)).map_err(fmt_full)
}

/// `op=set NAME=NEW old=OLD auid=A ses=S res=R`: a setting was changed
/// (`res=1`) or refused because the settings are locked (`res=0`).
pub fn setting_change(
    out: &mut SliceSink<'_>,
    session: Session,
    name: &str,
    new: u32,
    old: u32,
    done: bool,
) -> Result<(), Full> {
    write!(
        out,
        "op=set {}={} old={} auid={} ses={} res={}",
        name,
        new,
        old,
        session.auid,
        session.ses,
        u8::from(done)
    )
    .map_err(fmt_full)
}

/// What a rule named that went with its directory or mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone<'p> {
    /// The watched path (`-w`, `path=`): upstream's watches log
    /// `op=remove_rule path=`.
    Watch(&'p [u8]),
    /// The executable (`exe=`): upstream logs `op=autoremove_rule path=`.
    Exe(&'p [u8]),
    /// The directory tree (`dir=`): upstream logs `op=remove_rule dir=`,
    /// without the session.
    Tree(&'p [u8]),
}

/// The record of a rule removed because what it names went, as upstream's
/// `audit_watch_log_rule_change()`, `audit_mark_log_rule_change()` and
/// `audit_tree_log_remove_rule()` write it (with the space after `ses=`
/// that the first leaves out).
pub fn rule_gone(
    out: &mut SliceSink<'_>,
    session: Session,
    gone: Gone<'_>,
    key: Option<&[u8]>,
    list: u32,
) -> Result<(), Full> {
    let (op, name, path) = match gone {
        Gone::Watch(path) => ("remove_rule", "path", path),
        Gone::Exe(path) => ("autoremove_rule", "path", path),
        Gone::Tree(path) => ("remove_rule", "dir", path),
    };
    if !matches!(gone, Gone::Tree(_)) {
        write!(out, "auid={} ses={} ", session.auid, session.ses).map_err(fmt_full)?;
    }
    write!(out, "op={op} {name}=").map_err(fmt_full)?;
    write_key(out, Some(path))?;
    out.write_str(" key=").map_err(fmt_full)?;
    write_key(out, key)?;
    write!(out, " list={list} res=1").map_err(fmt_full)
}

/// Room for a [`rule_gone`] record: a path of [`crate::rule::PATH_MAX`]
/// bytes in hexadecimal besides the rest.
pub const GONE_RECORD_MAX: usize = RECORD_MAX + 2 * crate::rule::PATH_MAX;

/// `pid=P uid=U auid=A ses=S op=add_rule audit_enabled=2 res=0`: a rule
/// change refused because the settings are locked.
pub fn locked_rule_change(
    out: &mut SliceSink<'_>,
    pid: u32,
    uid: u32,
    session: Session,
    op: RuleOp,
    enabled: u32,
) -> Result<(), Full> {
    write!(
        out,
        "pid={} uid={} auid={} ses={} op={} audit_enabled={} res=0",
        pid,
        uid,
        session.auid,
        session.ses,
        op.name(),
        enabled
    )
    .map_err(fmt_full)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: Session = Session { auid: 0, ses: 3 };

    fn text(write: impl FnOnce(&mut SliceSink<'_>) -> Result<(), Full>) -> std::string::String {
        let mut buf = [0u8; 800];
        let mut out = SliceSink::new(&mut buf);
        write(&mut out).unwrap();
        std::string::String::from_utf8(out.as_bytes().to_vec()).unwrap()
    }

    extern crate std;

    #[test]
    fn rule_change_as_upstream_writes_it() {
        assert_eq!(
            text(|out| rule_change(out, ROOT, RuleOp::Add, Some(b"passwd"), 4, true)),
            "auid=0 ses=3 op=add_rule key=\"passwd\" list=4 res=1"
        );
        // No key, and a key that is not plain text, as audit_log_key().
        assert_eq!(
            text(|out| rule_change(out, ROOT, RuleOp::Remove, None, 5, false)),
            "auid=0 ses=3 op=remove_rule key=(null) list=5 res=0"
        );
        assert_eq!(
            text(|out| rule_change(out, ROOT, RuleOp::Add, Some(b"a b"), 4, true)),
            "auid=0 ses=3 op=add_rule key=612062 list=4 res=1"
        );
    }

    #[test]
    fn setting_change_as_upstream_writes_it() {
        let unset = Session {
            auid: u32::MAX,
            ses: u32::MAX,
        };
        assert_eq!(
            text(|out| setting_change(out, unset, "audit_backlog_limit", 8192, 64, true)),
            "op=set audit_backlog_limit=8192 old=64 auid=4294967295 ses=4294967295 res=1"
        );
        assert_eq!(
            text(|out| locked_rule_change(out, 7, 0, ROOT, RuleOp::Add, 2)),
            "pid=7 uid=0 auid=0 ses=3 op=add_rule audit_enabled=2 res=0"
        );
    }

    #[test]
    fn a_key_of_the_longest_length_fits_the_record_buffer() {
        let key = [0u8; crate::rule::MAX_KEY_LEN];
        let mut buf = [0u8; RECORD_MAX];
        let mut out = SliceSink::new(&mut buf);
        let session = Session {
            auid: u32::MAX,
            ses: u32::MAX,
        };
        assert!(rule_change(&mut out, session, RuleOp::Remove, Some(&key), 7, false).is_ok());
    }

    #[test]
    fn rules_gone_with_their_paths() {
        let watch = text(|out| rule_gone(out, ROOT, Gone::Watch(b"/etc/passwd"), Some(b"pw"), 4));
        assert_eq!(
            watch,
            "auid=0 ses=3 op=remove_rule path=\"/etc/passwd\" key=\"pw\" list=4 res=1"
        );
        let exe = text(|out| rule_gone(out, ROOT, Gone::Exe(b"/bin/a b"), None, 4));
        assert_eq!(
            exe,
            "auid=0 ses=3 op=autoremove_rule path=2F62696E2F612062 key=(null) list=4 res=1"
        );
        let tree = text(|out| rule_gone(out, ROOT, Gone::Tree(b"/etc/ssh"), None, 4));
        assert_eq!(
            tree,
            "op=remove_rule dir=\"/etc/ssh\" key=(null) list=4 res=1"
        );
    }
}
