// SPDX-License-Identifier: GPL-2.0

//! The audit container identifier and its `/proc/PID/audit_containerid` text.

/// The value of an audit container identifier that was never set.
pub const CONTID_UNSET: u64 = u64::MAX;

/// Why a write to `audit_containerid` is not a container identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContidParseError {
    /// Nothing but an optional newline was written.
    Empty,
    /// A byte other than an ASCII digit, or a second line, was written.
    NotDecimal,
    /// The number does not fit in 64 bits.
    Overflow,
    /// The number is [`CONTID_UNSET`], which cannot be set.
    Unset,
}

/// Parses what a writer put into `audit_containerid`.
///
/// Accepts exactly one decimal `u64` (no sign, no spaces, no base prefix),
/// optionally followed by one newline, as `echo N >` writes it. Leading
/// zeros are accepted, as `kstrtoull()` does.
pub fn parse_contid(input: &[u8]) -> Result<u64, ContidParseError> {
    let digits = match input {
        [rest @ .., b'\n'] => rest,
        _ => input,
    };
    if digits.is_empty() {
        return Err(ContidParseError::Empty);
    }
    let mut value: u64 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return Err(ContidParseError::NotDecimal);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(byte - b'0')))
            .ok_or(ContidParseError::Overflow)?;
    }
    if value == CONTID_UNSET {
        return Err(ContidParseError::Unset);
    }
    Ok(value)
}

use crate::errno;

/// Why a container ID may not be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetError {
    /// Audit is disabled (`ENOPROTOOPT`).
    AuditDisabled,
    /// The text is not a settable ID (`EINVAL`).
    Invalid(ContidParseError),
    /// The writer lacks `CAP_AUDIT_CONTROL` in the initial user namespace
    /// (`EPERM`).
    NotPermitted,
    /// The target has children or threads (`EBUSY`).
    Busy,
    /// The target is the writer itself or not its descendant (`EXDEV`).
    NotDescendant,
    /// The target has an ID already and this is not a nested set (`EEXIST`).
    AlreadySet,
    /// The ID is in use by another orchestrator (`ENOTUNIQ`).
    OwnedByOther,
}

impl SetError {
    /// The positive errno that the write fails with.
    pub fn errno(self) -> i32 {
        match self {
            Self::AuditDisabled => errno::ENOPROTOOPT,
            Self::Invalid(_) => errno::EINVAL,
            Self::NotPermitted => errno::EPERM,
            Self::Busy => errno::EBUSY,
            Self::NotDescendant => errno::EXDEV,
            Self::AlreadySet => errno::EEXIST,
            Self::OwnedByOther => errno::ENOTUNIQ,
        }
    }
}

/// How the writer relates to the orchestrator that owns a container ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Nobody owns the ID: it is not in use.
    Nobody,
    /// The writer owns it.
    Writer,
    /// Another task owns it, and the writer descends from that task.
    AncestorOfWriter,
    /// Another task owns it, and the writer does not descend from it.
    Other,
    /// The task that set it first has exited: the ID is open to any writer
    /// allowed to set IDs, who joins it without owning it.
    ///
    /// An orchestrator that exits after starting a container (a daemonless
    /// runtime's `create`) leaves nobody who could put an `exec`'d process
    /// into the container otherwise; `ENOTUNIQ` protects the IDs of an
    /// orchestrator that is still running.
    Exited,
}

/// What the module found out about a write to `audit_containerid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetFacts {
    /// Audit is enabled.
    pub audit_enabled: bool,
    /// The writer has `CAP_AUDIT_CONTROL` in the initial user namespace.
    pub writer_capable: bool,
    /// The target has child processes.
    pub target_has_children: bool,
    /// The target is a thread-group leader without other threads.
    pub target_single_threaded: bool,
    /// The target belongs to the writer's thread group.
    pub target_is_writer: bool,
    /// The target descends from the writer.
    pub target_is_descendant: bool,
    /// The target's current container ID.
    pub old_contid: u64,
    /// The owner of the target's current ID, seen from the writer.
    pub old_owner: Owner,
}

/// Decides a write of `input` to the `audit_containerid` of a task.
///
/// `new_owner` tells who owns the written ID; it is asked only once the
/// ID has been parsed. The checks run in the order of the 2017-2021 audit
/// container identifier series, so a write that breaks several rules gets
/// the errno of the first. A nested set is one by an orchestrator that
/// runs inside the target's container (it descends from the owner of the
/// target's current ID without owning it).
pub fn decide_set(
    input: &[u8],
    facts: &SetFacts,
    new_owner: impl FnOnce(u64) -> Owner,
) -> Result<u64, SetError> {
    if !facts.audit_enabled {
        return Err(SetError::AuditDisabled);
    }
    let contid = parse_contid(input).map_err(SetError::Invalid)?;
    if !facts.writer_capable {
        return Err(SetError::NotPermitted);
    }
    if facts.target_has_children || !facts.target_single_threaded {
        return Err(SetError::Busy);
    }
    if facts.target_is_writer || !facts.target_is_descendant {
        return Err(SetError::NotDescendant);
    }
    if facts.old_contid != CONTID_UNSET && facts.old_owner != Owner::AncestorOfWriter {
        return Err(SetError::AlreadySet);
    }
    match new_owner(contid) {
        Owner::Nobody | Owner::Writer | Owner::Exited => Ok(contid),
        Owner::AncestorOfWriter | Owner::Other => Err(SetError::OwnedByOther),
    }
}

/// A container ID as records print it: decimal, or `-1` when unset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContidText(pub u64);

impl core::fmt::Display for ContidText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.0 == CONTID_UNSET {
            f.write_str("-1")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// The fields of a `CONTAINER_OP` record for one set attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerOp {
    /// The target's process ID, in the initial PID namespace.
    pub opid: i32,
    /// The ID written, [`CONTID_UNSET`] if the text was not an ID.
    pub contid: u64,
    /// The target's ID before the attempt.
    pub old_contid: u64,
    /// The writer's process ID, in the initial PID namespace.
    pub pid: i32,
    /// The writer's login uid, in the initial user namespace.
    pub auid: u32,
    /// The writer's session ID.
    pub ses: u32,
    /// Whether the ID was set.
    pub success: bool,
}

impl core::fmt::Display for ContainerOp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "op=set opid={} contid={} old-contid={} pid={} auid={} ses={} res={}",
            self.opid,
            ContidText(self.contid),
            ContidText(self.old_contid),
            self.pid,
            self.auid,
            self.ses,
            u8::from(self.success)
        )
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::format;

    #[test]
    fn accepts_decimal_with_optional_newline() {
        assert_eq!(parse_contid(b"0"), Ok(0));
        assert_eq!(parse_contid(b"123\n"), Ok(123));
        assert_eq!(parse_contid(b"007"), Ok(7));
        assert_eq!(parse_contid(b"18446744073709551614"), Ok(u64::MAX - 1));
    }

    #[test]
    fn refuses_malformed_input() {
        assert_eq!(parse_contid(b""), Err(ContidParseError::Empty));
        assert_eq!(parse_contid(b"\n"), Err(ContidParseError::Empty));
        assert_eq!(parse_contid(b"12\n\n"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"12 "), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b" 12"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"+12"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"-1"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"0x10"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"1\n2"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"12\0"), Err(ContidParseError::NotDecimal));
    }

    #[test]
    fn refuses_unset_and_overflow() {
        assert_eq!(
            parse_contid(b"18446744073709551615"),
            Err(ContidParseError::Unset)
        );
        assert_eq!(
            parse_contid(b"18446744073709551616"),
            Err(ContidParseError::Overflow)
        );
        assert_eq!(
            parse_contid(b"99999999999999999999999"),
            Err(ContidParseError::Overflow)
        );
    }

    fn allowed() -> SetFacts {
        SetFacts {
            audit_enabled: true,
            writer_capable: true,
            target_has_children: false,
            target_single_threaded: true,
            target_is_writer: false,
            target_is_descendant: true,
            old_contid: CONTID_UNSET,
            old_owner: Owner::Nobody,
        }
    }

    fn decide(input: &[u8], facts: SetFacts, owner: Owner) -> Result<u64, i32> {
        decide_set(input, &facts, |_| owner).map_err(SetError::errno)
    }

    #[test]
    fn sets_a_fresh_id_on_a_lone_descendant() {
        assert_eq!(decide(b"42\n", allowed(), Owner::Nobody), Ok(42));
    }

    #[test]
    fn refuses_when_audit_is_disabled() {
        let facts = SetFacts {
            audit_enabled: false,
            ..allowed()
        };
        assert_eq!(decide(b"42", facts, Owner::Nobody), Err(errno::ENOPROTOOPT));
    }

    #[test]
    fn refuses_malformed_text_and_the_unset_value() {
        for input in [
            &b""[..],
            b"x",
            b"1 2",
            b"-1",
            b"18446744073709551615",
            b"99999999999999999999",
        ] {
            assert_eq!(
                decide(input, allowed(), Owner::Nobody),
                Err(errno::EINVAL),
                "{input:?}"
            );
        }
    }

    #[test]
    fn refuses_a_writer_without_cap_audit_control() {
        let facts = SetFacts {
            writer_capable: false,
            ..allowed()
        };
        assert_eq!(decide(b"42", facts, Owner::Nobody), Err(errno::EPERM));
    }

    #[test]
    fn refuses_a_target_with_children_or_threads() {
        let children = SetFacts {
            target_has_children: true,
            ..allowed()
        };
        assert_eq!(decide(b"42", children, Owner::Nobody), Err(errno::EBUSY));
        let threads = SetFacts {
            target_single_threaded: false,
            ..allowed()
        };
        assert_eq!(decide(b"42", threads, Owner::Nobody), Err(errno::EBUSY));
    }

    #[test]
    fn refuses_the_writer_itself_and_non_descendants() {
        let itself = SetFacts {
            target_is_writer: true,
            ..allowed()
        };
        assert_eq!(decide(b"42", itself, Owner::Nobody), Err(errno::EXDEV));
        let stranger = SetFacts {
            target_is_descendant: false,
            ..allowed()
        };
        assert_eq!(decide(b"42", stranger, Owner::Nobody), Err(errno::EXDEV));
    }

    #[test]
    fn refuses_a_second_set_unless_nested() {
        for owner in [Owner::Nobody, Owner::Writer, Owner::Other, Owner::Exited] {
            let facts = SetFacts {
                old_contid: 7,
                old_owner: owner,
                ..allowed()
            };
            assert_eq!(
                decide(b"42", facts, Owner::Nobody),
                Err(errno::EEXIST),
                "{owner:?}"
            );
        }
        let nested = SetFacts {
            old_contid: 7,
            old_owner: Owner::AncestorOfWriter,
            ..allowed()
        };
        assert_eq!(decide(b"42", nested, Owner::Nobody), Ok(42));
    }

    #[test]
    fn refuses_an_id_owned_by_another_orchestrator() {
        assert_eq!(decide(b"42", allowed(), Owner::Other), Err(errno::ENOTUNIQ));
        assert_eq!(
            decide(b"42", allowed(), Owner::AncestorOfWriter),
            Err(errno::ENOTUNIQ)
        );
        // The owner may put more tasks into its container.
        assert_eq!(decide(b"42", allowed(), Owner::Writer), Ok(42));
    }

    #[test]
    fn opens_the_id_of_an_orchestrator_that_exited() {
        assert_eq!(decide(b"42", allowed(), Owner::Exited), Ok(42));
        // An exited owner of the target's current ID makes no nested set.
        let set_before = SetFacts {
            old_contid: 7,
            old_owner: Owner::Exited,
            ..allowed()
        };
        assert_eq!(decide(b"42", set_before, Owner::Exited), Err(errno::EEXIST));
    }

    #[test]
    fn asks_for_the_owner_only_of_a_parsed_id() {
        let mut asked = None;
        let _ = decide_set(b"42", &allowed(), |id| {
            asked = Some(id);
            Owner::Nobody
        });
        assert_eq!(asked, Some(42));
        let _ = decide_set(b"nope", &allowed(), |_| panic!("asked for an unparsed ID"));
    }

    #[test]
    fn formats_container_op_records() {
        let op = ContainerOp {
            opid: 120,
            contid: 42,
            old_contid: CONTID_UNSET,
            pid: 119,
            auid: u32::MAX,
            ses: u32::MAX,
            success: true,
        };
        assert_eq!(
            format!("{op}"),
            "op=set opid=120 contid=42 old-contid=-1 pid=119 auid=4294967295 ses=4294967295 res=1"
        );
        assert_eq!(
            format!("{}", ContidText(u64::MAX - 1)),
            "18446744073709551614"
        );
    }

    proptest! {
        #[test]
        fn first_failing_rule_decides(
            enabled: bool, capable: bool, children: bool, single: bool,
            itself: bool, descendant: bool, old_set: bool, old_owner in 0..5u8, new_owner in 0..5u8,
        ) {
            let owners = [
                Owner::Nobody, Owner::Writer, Owner::AncestorOfWriter, Owner::Other, Owner::Exited,
            ];
            let owner = |n| owners[usize::from(n)];
            let facts = SetFacts {
                audit_enabled: enabled,
                writer_capable: capable,
                target_has_children: children,
                target_single_threaded: single,
                target_is_writer: itself,
                target_is_descendant: descendant,
                old_contid: if old_set { 7 } else { CONTID_UNSET },
                old_owner: owner(old_owner),
            };
            let expected = if !enabled {
                Err(errno::ENOPROTOOPT)
            } else if !capable {
                Err(errno::EPERM)
            } else if children || !single {
                Err(errno::EBUSY)
            } else if itself || !descendant {
                Err(errno::EXDEV)
            } else if old_set && owner(old_owner) != Owner::AncestorOfWriter {
                Err(errno::EEXIST)
            } else if matches!(owner(new_owner), Owner::AncestorOfWriter | Owner::Other) {
                Err(errno::ENOTUNIQ)
            } else {
                Ok(42)
            };
            prop_assert_eq!(decide(b"42", facts, owner(new_owner)), expected);
        }

        #[test]
        fn round_trips_every_settable_value(value in 0..u64::MAX, newline: bool) {
            let text = format!("{value}{}", if newline { "\n" } else { "" });
            prop_assert_eq!(parse_contid(text.as_bytes()), Ok(value));
        }

        #[test]
        fn never_panics_and_agrees_with_std(
            input in proptest::collection::vec(any::<u8>(), 0..24),
        ) {
            let parsed = parse_contid(&input);
            let trimmed = input.strip_suffix(b"\n").unwrap_or(&input);
            let all_digits = !trimmed.is_empty() && trimmed.iter().all(u8::is_ascii_digit);
            let by_std = std::str::from_utf8(trimmed).ok().and_then(|s| s.parse::<u64>().ok());
            match parsed {
                Ok(v) => prop_assert_eq!(Some(v), by_std.filter(|&v| v != CONTID_UNSET)),
                Err(ContidParseError::Empty) => prop_assert!(trimmed.is_empty()),
                Err(ContidParseError::NotDecimal) => prop_assert!(!all_digits),
                Err(ContidParseError::Overflow) => prop_assert!(all_digits && by_std.is_none()),
                Err(ContidParseError::Unset) => prop_assert_eq!(by_std, Some(CONTID_UNSET)),
            }
        }
    }
}
