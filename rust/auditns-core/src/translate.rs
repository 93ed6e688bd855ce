// SPDX-License-Identifier: GPL-2.0

//! Record text in the view of a namespace's audit daemon.
//!
//! The audit core writes records with host PIDs and ids in the initial
//! user namespace. A namespace's daemon must see its own view: PIDs of its
//! PID namespace, ids of its user namespace. One translator serves every
//! record type, driven by [`FIELDS`], a table of field names and the kind of
//! number each holds, so that a new record type needs a table line at most.
//!
//! A record is a run of space-separated tokens. A token `name=value` whose
//! name is in the table and whose value is a decimal number is translated;
//! every other byte is copied. User-supplied text (`msg='...'`) is copied
//! whole, so that nothing a user wrote is mistaken for a field.
//!
//! Most ids are printed with `%u`, but some with `%d` (`oauid=` and `ouid=`
//! of `OBJ_PID`, `cap_frootid=` of `PATH`, `frootid=` of `BPRM_FCAPS`, and
//! AppArmor's `fsuid=` and `ouid=`), which shows an id of 2^31 or more as a
//! negative number: `-1` is the unset id. Such a value is translated too, and
//! written back with `%d`, as the kernel would have written it.

/// The kind of number a field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    /// A process or thread ID.
    Pid,
    /// A user ID.
    Uid,
    /// A group ID.
    Gid,
}

/// The fields that hold PIDs and ids, by the names upstream records use.
pub const FIELDS: &[(&[u8], IdKind)] = &[
    (b"pid", IdKind::Pid),
    (b"ppid", IdKind::Pid),
    (b"opid", IdKind::Pid),
    (b"tpid", IdKind::Pid),
    (b"uid", IdKind::Uid),
    (b"euid", IdKind::Uid),
    (b"suid", IdKind::Uid),
    (b"fsuid", IdKind::Uid),
    (b"auid", IdKind::Uid),
    (b"ouid", IdKind::Uid),
    (b"oauid", IdKind::Uid),
    (b"sauid", IdKind::Uid),
    (b"old-auid", IdKind::Uid),
    (b"iuid", IdKind::Uid),
    (b"gid", IdKind::Gid),
    (b"egid", IdKind::Gid),
    (b"sgid", IdKind::Gid),
    (b"fsgid", IdKind::Gid),
    (b"ogid", IdKind::Gid),
    (b"igid", IdKind::Gid),
    // The owner of file capabilities, `%d`: `cap_frootid=` of `PATH`,
    // `frootid=` of `BPRM_FCAPS`.
    (b"cap_frootid", IdKind::Uid),
    (b"frootid", IdKind::Uid),
];

/// The unset id (`(uid_t)-1`), which every view shows as it is.
pub const ID_UNSET: u32 = u32::MAX;

/// How one namespace sees host PIDs and ids.
pub trait IdView {
    /// `host_pid` in the view's PID namespace, 0 if it is not visible there.
    fn pid(&self, host_pid: u32) -> u32;
    /// `host_uid` in the view's user namespace, the overflow id if unmapped.
    fn uid(&self, host_uid: u32) -> u32;
    /// `host_gid` in the view's user namespace, the overflow id if unmapped.
    fn gid(&self, host_gid: u32) -> u32;
}

/// The view of the initial namespaces: every PID and id as it is.
pub struct Identity;

impl IdView for Identity {
    fn pid(&self, host_pid: u32) -> u32 {
        host_pid
    }
    fn uid(&self, host_uid: u32) -> u32 {
        host_uid
    }
    fn gid(&self, host_gid: u32) -> u32 {
        host_gid
    }
}

/// The kind of number field `name` holds, if it is in [`FIELDS`].
pub fn field_kind(name: &[u8]) -> Option<IdKind> {
    FIELDS
        .iter()
        .find(|(field, _)| *field == name)
        .map(|&(_, kind)| kind)
}

/// The output did not have room for the translated record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// A fixed buffer that translated text is written into.
pub struct SliceSink<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl<'a> SliceSink<'a> {
    /// Writes into `out`, from its start.
    pub fn new(out: &'a mut [u8]) -> Self {
        Self { out, len: 0 }
    }

    /// How many bytes were written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The text written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.out[..self.len]
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), Full> {
        let end = self.len.checked_add(bytes.len()).ok_or(Full)?;
        let dest = self.out.get_mut(self.len..end).ok_or(Full)?;
        dest.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// Writes `value` as `%d` writes it.
    fn put_signed(&mut self, value: i32) -> Result<(), Full> {
        if value < 0 {
            self.put(b"-")?;
        }
        self.put_decimal(value.unsigned_abs())
    }

    fn put_decimal(&mut self, mut value: u32) -> Result<(), Full> {
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                break;
            }
        }
        self.put(&digits[at..])
    }
}

/// Parses an unsigned decimal `u32`, as the audit core prints ids and PIDs.
///
/// Only the kernel's own form is a number here: no sign, no leading zero.
fn parse_decimal(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 10 || (text.len() > 1 && text[0] == b'0') {
        return None;
    }
    let mut value: u32 = 0;
    for &byte in text {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u32::from(byte - b'0'))?;
    }
    Some(value)
}

/// The `item=` number of a `PATH` record's text, its first field after the
/// stamp (upstream's `audit_log_name()` writes it first, before any text
/// that a user chose).
pub fn path_item(text: &[u8]) -> Option<u32> {
    let fields = match text.windows(3).position(|w| w == b"): ") {
        Some(at) => &text[at + 3..],
        None => text,
    };
    let first = fields.split(|&byte| byte == b' ').next()?;
    parse_decimal(first.strip_prefix(b"item=")?)
}

/// How the audit core printed a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// With `%u`, or with `%d` and not negative: written back with `%u`.
    Unsigned,
    /// With `%d` and negative: written back with `%d`.
    Negative,
}

/// Parses an id or PID as the audit core prints it, with `%u` or `%d`, into
/// its `u32` (`-1` is [`ID_UNSET`]) and the form to write a translation in.
///
/// Only the kernel's own forms are numbers here: no `+`, no leading zero,
/// no `-0`, nothing below `i32::MIN` or above `u32::MAX`.
fn parse_id(text: &[u8]) -> Option<(u32, Form)> {
    match text.split_first() {
        Some((&b'-', magnitude)) => {
            let magnitude = parse_decimal(magnitude)?;
            if magnitude == 0 || magnitude > i32::MIN.unsigned_abs() {
                return None;
            }
            Some((magnitude.wrapping_neg(), Form::Negative))
        }
        _ => parse_decimal(text).map(|value| (value, Form::Unsigned)),
    }
}

impl core::fmt::Write for SliceSink<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.put(s.as_bytes()).map_err(|Full| core::fmt::Error)
    }
}

/// Writes `key` as upstream's `audit_log_key()` does: `(null)` for none, a
/// quoted string if it is plain printable text, hexadecimal otherwise.
pub fn write_key(out: &mut SliceSink<'_>, key: Option<&[u8]>) -> Result<(), Full> {
    let Some(key) = key else {
        return out.put(b"(null)");
    };
    let plain = key
        .iter()
        .all(|&byte| (0x21..0x7f).contains(&byte) && byte != b'"');
    if plain {
        out.put(b"\"")?;
        out.put(key)?;
        return out.put(b"\"");
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in key {
        out.put(&[HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]])?;
    }
    Ok(())
}

/// What to do with the `key=` field of a record.
#[derive(Clone, Copy, Debug)]
pub enum KeyField<'k> {
    /// Leave it as the audit core wrote it.
    Keep,
    /// Replace its value with this rule key (`None`: no key, `(null)`).
    Replace(Option<&'k [u8]>),
}

/// Translates `text`, one record's text, into `view`, writing to `out`.
///
/// Returns [`Full`] if `out` is too small; what was written is then
/// incomplete and must not be delivered.
pub fn translate(
    text: &[u8],
    view: &impl IdView,
    mut key: KeyField<'_>,
    out: &mut SliceSink<'_>,
) -> Result<(), Full> {
    let mut rest = text;
    while !rest.is_empty() {
        // Separators are copied as they are.
        if rest[0] == b' ' {
            out.put(&rest[..1])?;
            rest = &rest[1..];
            continue;
        }
        // User-supplied text runs to its closing quote, spaces included.
        // The text is written unescaped and may hold quotes itself, but
        // it is the last quoted value of its record: the closing quote
        // is the record's last.
        if rest.starts_with(b"msg='") {
            let end = rest[5..]
                .iter()
                .rposition(|&byte| byte == b'\'')
                .map_or(rest.len(), |quote| 5 + quote + 1);
            out.put(&rest[..end])?;
            rest = &rest[end..];
            continue;
        }
        let end = rest
            .iter()
            .position(|&byte| byte == b' ')
            .unwrap_or(rest.len());
        let token = &rest[..end];
        rest = &rest[end..];
        let Some(eq) = token.iter().position(|&byte| byte == b'=') else {
            out.put(token)?;
            continue;
        };
        let (name, value) = (&token[..eq], &token[eq + 1..]);
        if name == b"key" {
            if let KeyField::Replace(new_key) = key {
                out.put(b"key=")?;
                write_key(out, new_key)?;
                // A record has one key field; any later one is not the
                // kernel's and stays as it is.
                key = KeyField::Keep;
                continue;
            }
        }
        let translated = match (field_kind(name), parse_id(value)) {
            (Some(_), Some((ID_UNSET, _))) => None,
            (Some(IdKind::Pid), Some((pid, form))) => Some((view.pid(pid), form)),
            (Some(IdKind::Uid), Some((uid, form))) => Some((view.uid(uid), form)),
            (Some(IdKind::Gid), Some((gid, form))) => Some((view.gid(gid), form)),
            _ => None,
        };
        match translated {
            Some((number, form)) => {
                out.put(name)?;
                out.put(b"=")?;
                match form {
                    Form::Unsigned => out.put_decimal(number)?,
                    // The bits as `%d` shows them: the unset id stays `-1`.
                    Form::Negative => out.put_signed(number as i32)?,
                }
            }
            None => out.put(token)?,
        }
    }
    Ok(())
}

/// Room to add to a record's length for its translation in practice: a
/// key of [`crate::rule::MAX_KEY_LEN`] bytes in hexadecimal, and PIDs and
/// ids a few digits longer. A translation that does not fit is retried
/// with [`worst_case_len`].
pub const MAX_GROWTH: usize = 2 * crate::rule::MAX_KEY_LEN + 16;

/// Room that any translation of `text_len` bytes fits in: the shortest
/// translated token, `a=0` and a space, may become `a=4294967295` and a
/// space, 13 bytes for 4; and a key may take [`MAX_GROWTH`]. A negative
/// value grows no more: `a=-1` and a space, 5 bytes, become at most
/// `a=-2147483648` and a space, 14 bytes, less than 13 for 4. Whatever
/// the form, a value grows by 9 bytes at most (1 digit to 10, or a sign
/// and 1 digit to a sign and 10).
pub fn worst_case_len(text_len: usize) -> usize {
    text_len
        .saturating_mul(13)
        .div_ceil(4)
        .saturating_add(MAX_GROWTH)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    /// A container: host uid 100000 + n is n, host PIDs above 1000 are
    /// PID - 1000, PIDs up to 1000 are outside.
    struct Container;

    impl IdView for Container {
        fn pid(&self, host_pid: u32) -> u32 {
            host_pid.saturating_sub(1000)
        }
        fn uid(&self, host_uid: u32) -> u32 {
            match host_uid.checked_sub(100_000) {
                Some(uid) if uid < 65536 => uid,
                _ => 65534,
            }
        }
        fn gid(&self, host_gid: u32) -> u32 {
            self.uid(host_gid)
        }
    }

    /// A container whose ids are high on the host, where `%d` shows them
    /// negative: host uid 3000000000 + n is n.
    struct HighContainer;

    /// Host uid 3000000000 as `%d` prints it.
    const HIGH_BASE: &str = "-1294967296";

    impl IdView for HighContainer {
        fn pid(&self, host_pid: u32) -> u32 {
            host_pid
        }
        fn uid(&self, host_uid: u32) -> u32 {
            match host_uid.checked_sub(3_000_000_000) {
                Some(uid) if uid < 65536 => uid,
                _ => 65534,
            }
        }
        fn gid(&self, host_gid: u32) -> u32 {
            self.uid(host_gid)
        }
    }

    fn run(text: &[u8], view: &impl IdView, key: KeyField<'_>) -> Vec<u8> {
        let mut buf = vec![0u8; text.len() + MAX_GROWTH];
        let mut out = SliceSink::new(&mut buf);
        translate(text, view, key, &mut out).unwrap();
        out.as_bytes().to_vec()
    }

    /// A record of `name=value` tokens, space-separated.
    fn record<N: core::fmt::Display, V: core::fmt::Display>(
        tokens: impl Iterator<Item = (N, V)>,
    ) -> Vec<u8> {
        tokens
            .map(|(name, value)| std::format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(" ")
            .into_bytes()
    }

    /// The tokens of `text` as `view` translates it.
    fn translated_tokens(text: &[u8], view: &impl IdView) -> Vec<std::string::String> {
        let got = run(text, view, KeyField::Keep);
        let got = std::str::from_utf8(&got).unwrap();
        if got.is_empty() {
            return vec![];
        }
        got.split(' ').map(std::string::String::from).collect()
    }

    #[test]
    fn syscall_record_in_container_view() {
        let text = b"arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c items=1 \
ppid=1001 pid=1005 auid=4294967295 uid=100000 gid=100000 euid=100000 suid=100000 \
fsuid=100000 egid=100000 sgid=100000 fsgid=100000 tty=ttyS0 ses=4294967295 \
comm=\"cat\" exe=\"/usr/bin/cat\" key=(null)";
        let got = run(text, &Container, KeyField::Replace(Some(b"ns1")));
        let want = b"arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c items=1 \
ppid=1 pid=5 auid=4294967295 uid=0 gid=0 euid=0 suid=0 \
fsuid=0 egid=0 sgid=0 fsgid=0 tty=ttyS0 ses=4294967295 \
comm=\"cat\" exe=\"/usr/bin/cat\" key=\"ns1\"";
        assert_eq!(
            std::str::from_utf8(&got).unwrap(),
            std::str::from_utf8(want).unwrap()
        );
    }

    #[test]
    fn outside_pids_are_zero_and_unmapped_ids_overflow() {
        let got = run(b"ppid=1 pid=1002 ouid=0 ogid=5", &Container, KeyField::Keep);
        assert_eq!(got, b"ppid=0 pid=2 ouid=65534 ogid=65534");
    }

    #[test]
    fn user_text_is_left_alone() {
        let text = b"pid=1003 uid=100000 msg='op=x pid=1003 uid=100000 res=1' extra=1";
        let got = run(text, &Container, KeyField::Keep);
        assert_eq!(
            got,
            b"pid=3 uid=0 msg='op=x pid=1003 uid=100000 res=1' extra=1".to_vec()
        );
    }

    #[test]
    fn quotes_in_user_text_do_not_end_it() {
        let text = b"pid=1003 uid=100000 msg='it's pid=1003 uid=100000 ' res=1'";
        let got = run(text, &Container, KeyField::Keep);
        assert_eq!(
            got,
            b"pid=3 uid=0 msg='it's pid=1003 uid=100000 ' res=1'".to_vec()
        );
    }

    #[test]
    fn quoted_and_hex_values_are_not_numbers() {
        let text = b"uid=\"100000\" pid=12ab name=pid=1005 uid=0100000";
        assert_eq!(run(text, &Container, KeyField::Keep), text.to_vec());
    }

    fn run_str(text: &str, view: &impl IdView) -> std::string::String {
        std::string::String::from_utf8(run(text.as_bytes(), view, KeyField::Keep)).unwrap()
    }

    /// `PATH`, as 6.12's audit_log_name() and audit_log_fcaps() write it:
    /// `ouid=%u ogid=%u` and `cap_frootid=%d`.
    #[test]
    fn path_record_cap_frootid_is_translated() {
        let text = "item=0 name=\"/usr/bin/ping\" inode=1318 dev=fd:00 mode=0100755 \
ouid=100000 ogid=100000 rdev=00:00 nametype=NORMAL cap_fp=0000000000002000 cap_fi=0 \
cap_fe=1 cap_fver=3 cap_frootid=100000";
        let want = "item=0 name=\"/usr/bin/ping\" inode=1318 dev=fd:00 mode=0100755 \
ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0000000000002000 cap_fi=0 \
cap_fe=1 cap_fver=3 cap_frootid=0";
        assert_eq!(run_str(text, &Container), want);
        // A file of the host's root, outside the container.
        assert_eq!(
            run_str("cap_fe=1 cap_fver=2 cap_frootid=0", &Container),
            "cap_fe=1 cap_fver=2 cap_frootid=65534"
        );
        // Without capabilities there is no id.
        let none = "nametype=NORMAL cap_fe=? cap_fver=? cap_fp=? cap_fi=?";
        assert_eq!(run_str(none, &Container), none);
    }

    /// `BPRM_FCAPS`, as 6.12's audit_log_exit() writes it: `frootid=%d`.
    #[test]
    fn bprm_fcaps_frootid_is_translated() {
        let text = "fver=3 fp=0000000000002000 fi=0 fe=1 old_pp=0 old_pi=0 old_pe=0 \
old_pa=0 pp=0000000000002000 pi=0 pe=0000000000002000 pa=0 frootid=100007";
        let want = "fver=3 fp=0000000000002000 fi=0 fe=1 old_pp=0 old_pi=0 old_pe=0 \
old_pa=0 pp=0000000000002000 pi=0 pe=0000000000002000 pa=0 frootid=7";
        assert_eq!(run_str(text, &Container), want);
    }

    /// `OBJ_PID`, as 6.12's audit_log_pid_context() writes it:
    /// `opid=%d oauid=%d ouid=%d oses=%d`. The session is not an id.
    #[test]
    fn obj_pid_record_is_translated() {
        let text = "opid=1042 oauid=100000 ouid=100003 oses=4 ocomm=\"sleep\"";
        assert_eq!(
            run_str(text, &Container),
            "opid=42 oauid=0 ouid=3 oses=4 ocomm=\"sleep\""
        );
        // An unset login uid and session are `-1` under `%d`, and stay so.
        let text = "opid=1042 oauid=-1 ouid=100000 oses=-1 ocomm=\"sleep\"";
        assert_eq!(
            run_str(text, &Container),
            "opid=42 oauid=-1 ouid=0 oses=-1 ocomm=\"sleep\""
        );
    }

    /// Host ids of 2^31 or more, negative under `%d`, are translated.
    #[test]
    fn negative_host_ids_are_translated() {
        let text = std::format!("opid=7 oauid={HIGH_BASE} ouid=-1294967295 oses=3 ocomm=\"sleep\"");
        assert_eq!(
            run_str(&text, &HighContainer),
            "opid=7 oauid=0 ouid=1 oses=3 ocomm=\"sleep\""
        );
        // In a file's capabilities and in an AppArmor record (`%d` too).
        let text = std::format!("cap_fver=3 cap_frootid={HIGH_BASE} frootid=-1294967294");
        assert_eq!(
            run_str(&text, &HighContainer),
            "cap_fver=3 cap_frootid=0 frootid=2"
        );
        let text = std::format!("fsuid={HIGH_BASE} ouid=-1294967000");
        assert_eq!(run_str(&text, &HighContainer), "fsuid=0 ouid=296");
        // The view's own ids stay as they are, in the same form.
        assert_eq!(
            run_str("oauid=-1294967296 ouid=3000000000", &Identity),
            "oauid=-1294967296 ouid=3000000000"
        );
        assert_eq!(
            run_str("ouid=-2147483648 gid=-2", &Identity),
            "ouid=-2147483648 gid=-2"
        );
    }

    /// A negative id that the view does not map is the overflow id.
    #[test]
    fn unmapped_negative_ids_overflow() {
        assert_eq!(
            run_str(
                "oauid=-5 ouid=-2147483648 cap_frootid=-2 frootid=-3 gid=-7",
                &Container
            ),
            "oauid=65534 ouid=65534 cap_frootid=65534 frootid=65534 gid=65534"
        );
        // A view's id of 2^31 or more keeps `%d`'s form.
        struct Far;
        impl IdView for Far {
            fn pid(&self, _: u32) -> u32 {
                1 << 31
            }
            fn uid(&self, _: u32) -> u32 {
                u32::MAX - 1
            }
            fn gid(&self, _: u32) -> u32 {
                1 << 31
            }
        }
        assert_eq!(
            run_str("oauid=-5 ouid=5 gid=-9 opid=-3", &Far),
            "oauid=-2 ouid=4294967294 gid=-2147483648 opid=-2147483648"
        );
    }

    /// Only the forms `%u` and `%d` print are numbers.
    #[test]
    fn non_canonical_negatives_are_left_alone() {
        let text = "uid=- uid=-0 uid=-00 uid=--1 uid=-01 uid=+5 uid=+0 uid=-+5 \
uid=-2147483649 uid=-4294967295 uid=-4294967296 uid=-99999999999 uid=-1a uid=-1- \
uid=1- oauid=-\"1\" ouid=-0x1 frootid=- cap_frootid=-0";
        assert_eq!(run_str(text, &Container), text);
        assert_eq!(run_str(text, &HighContainer), text);
    }

    #[test]
    fn parse_id_takes_only_the_kernel_forms() {
        assert_eq!(parse_id(b"0"), Some((0, Form::Unsigned)));
        assert_eq!(parse_id(b"4294967295"), Some((ID_UNSET, Form::Unsigned)));
        assert_eq!(parse_id(b"-1"), Some((ID_UNSET, Form::Negative)));
        assert_eq!(parse_id(b"-2147483648"), Some((1 << 31, Form::Negative)));
        assert_eq!(
            parse_id(b"-2147483647"),
            Some(((1 << 31) + 1, Form::Negative))
        );
        for text in [
            &b""[..],
            b"-",
            b"-0",
            b"--1",
            b"-01",
            b"+1",
            b"-2147483649",
            b"4294967296",
            b"-4294967295",
            b"-12345678901",
            b" 1",
            b"- 1",
        ] {
            assert_eq!(parse_id(text), None, "{:?}", std::str::from_utf8(text));
        }
    }

    #[test]
    fn keys_are_written_as_upstream_writes_them() {
        assert_eq!(
            run(b"key=\"host\"", &Identity, KeyField::Replace(None)),
            b"key=(null)"
        );
        assert_eq!(
            run(b"key=(null)", &Identity, KeyField::Replace(Some(b"a b"))),
            b"key=612062"
        );
    }

    #[test]
    fn refuses_a_small_output() {
        let mut buf = [0u8; 8];
        let mut out = SliceSink::new(&mut buf);
        assert_eq!(
            translate(b"pid=1005 uid=100000", &Container, KeyField::Keep, &mut out),
            Err(Full)
        );
    }

    proptest! {
        /// The identity view changes nothing, whatever the text.
        #[test]
        fn identity_view_is_a_copy(text in proptest::collection::vec(any::<u8>(), 0..300)) {
            prop_assert_eq!(run(&text, &Identity, KeyField::Keep), text);
        }

        /// Translation never fails with worst_case_len() room.
        #[test]
        fn worst_case_room_is_enough(
            tokens in proptest::collection::vec(
                (proptest::sample::select(vec!["pid", "uid", "frootid", "a", "key"]), -3i64..3),
                0..60),
            key in proptest::collection::vec(any::<u8>(), 0..=crate::rule::MAX_KEY_LEN),
        ) {
            let text = record(tokens.iter().map(|(name, value)| (name, value)));
            // 2^31 is the longest in both forms: `2147483648` (10 bytes, as
            // long as any u32) and `-2147483648` (11 bytes).
            struct Far;
            impl IdView for Far {
                fn pid(&self, _: u32) -> u32 { 1 << 31 }
                fn uid(&self, _: u32) -> u32 { 1 << 31 }
                fn gid(&self, _: u32) -> u32 { 1 << 31 }
            }
            let mut buf = vec![0u8; worst_case_len(text.len())];
            let mut out = SliceSink::new(&mut buf);
            prop_assert!(translate(&text, &Far, KeyField::Replace(Some(&key)), &mut out).is_ok());
        }

        /// Translation changes only the values of table fields.
        #[test]
        fn only_table_fields_change(
            tokens in proptest::collection::vec(
                (proptest::sample::select(vec!["pid", "uid", "gid", "ses", "comm", "key", "x"]),
                 0u32..200_000), 0..30),
        ) {
            let text = record(tokens.iter().map(|(name, value)| (name, value)));
            let got = translated_tokens(&text, &Container);
            prop_assert_eq!(got.len(), tokens.len());
            for ((name, value), token) in tokens.iter().zip(got) {
                let want = match field_kind(name.as_bytes()) {
                    Some(IdKind::Pid) => Container.pid(*value),
                    Some(IdKind::Uid) => Container.uid(*value),
                    Some(IdKind::Gid) => Container.gid(*value),
                    None => *value,
                };
                prop_assert_eq!(token, std::format!("{name}={want}"));
            }
        }

        /// Ids and PIDs as `%u` or `%d` prints them come back unchanged
        /// through the identity view.
        #[test]
        fn identity_view_keeps_signed_and_unsigned_values(
            tokens in proptest::collection::vec(
                (proptest::sample::select(FIELDS.iter().map(|&(name, _)| name).collect::<Vec<_>>()),
                 any::<u32>(), any::<bool>()), 0..30),
        ) {
            let text: Vec<u8> = tokens
                .iter()
                .map(|(name, value, signed)| {
                    let name = std::str::from_utf8(name).unwrap();
                    if *signed {
                        std::format!("{name}={}", *value as i32)
                    } else {
                        std::format!("{name}={value}")
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
                .into_bytes();
            prop_assert_eq!(run(&text, &Identity, KeyField::Keep), text.clone());
            let mut buf = vec![0u8; worst_case_len(text.len())];
            let mut out = SliceSink::new(&mut buf);
            prop_assert!(translate(&text, &Container, KeyField::Keep, &mut out).is_ok());
        }

        /// A value printed with `%d` is translated as the id it shows, and
        /// written back with `%d`; `-1`, the unset id, stays.
        #[test]
        fn signed_values_follow_the_view(
            tokens in proptest::collection::vec(
                (proptest::sample::select(vec!["pid", "oauid", "ouid", "cap_frootid", "frootid",
                                               "gid", "oses", "x"]),
                 prop_oneof![any::<i32>(), -3i32..3, (100_000i32..100_010)]), 0..30),
        ) {
            let text = record(tokens.iter().map(|(name, value)| (name, value)));
            let got = translated_tokens(&text, &Container);
            prop_assert_eq!(got.len(), tokens.len());
            for ((name, value), token) in tokens.iter().zip(got) {
                let id = *value as u32;
                let mapped = match field_kind(name.as_bytes()) {
                    _ if id == ID_UNSET => id,
                    Some(IdKind::Pid) => Container.pid(id),
                    Some(IdKind::Uid) => Container.uid(id),
                    Some(IdKind::Gid) => Container.gid(id),
                    None => id,
                };
                let want = if *value < 0 {
                    std::format!("{name}={}", mapped as i32)
                } else {
                    std::format!("{name}={mapped}")
                };
                prop_assert_eq!(token, want);
            }
        }
    }

    #[test]
    fn path_items() {
        let record = b"audit(1700000000.123:45): item=1 name=\"/tmp/item=7\" inode=12";
        assert_eq!(path_item(record), Some(1));
        assert_eq!(path_item(b"item=12 name=(null)"), Some(12));
        assert_eq!(path_item(b"audit(1.2:3): name=\"item=4\""), None);
        assert_eq!(path_item(b"audit(1.2:3): item=01"), None);
        assert_eq!(path_item(b""), None);
    }
}
