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
}
