// SPDX-License-Identifier: GPL-2.0

//! A generator of malformed `struct audit_rule_data` messages.
//!
//! Each case is a rule that upstream's `audit_data_to_entry()` refuses, or
//! that auditns refuses as it documents (file watches, LSM fields): a
//! namespace must answer every one with an errno and a clean console.
//! The core crate's tests run the same cases through its parser.

use auditns_core::rule::{action, field, list, Op, RuleBuilder, HEADER_LEN, MAX_KEY_LEN};

/// The syscall the cases name: openat on x86_64.
const OPENAT: u32 = 257;
/// `AUDIT_ARCH_X86_64`.
const ARCH_X86_64: u32 = 0xc000_003e;

fn wire(rule: &RuleBuilder) -> Vec<u8> {
    let mut buf = vec![0u8; HEADER_LEN + 2048];
    let len = rule.write(&mut buf).expect("a generated rule fits");
    buf.truncate(len);
    buf
}

fn base() -> RuleBuilder {
    RuleBuilder::new(list::EXIT, action::ALWAYS)
        .syscall(OPENAT)
        .field(field::ARCH, Op::Equal, ARCH_X86_64)
}

fn set_word(data: &mut [u8], index: usize, value: u32) {
    data[4 * index..4 * index + 4].copy_from_slice(&value.to_ne_bytes());
}

/// Every case: what is wrong with it, and the message payload.
pub fn cases() -> Vec<(String, Vec<u8>)> {
    let mut cases = Vec::new();
    let valid = wire(&base().key(b"ok"));
    // Short headers.
    for len in (0..HEADER_LEN).step_by(37).chain([HEADER_LEN - 1]) {
        cases.push((format!("header cut to {len} bytes"), valid[..len].to_vec()));
    }
    // Field counts beyond the format.
    for count in [65u32, 66, 100, 1000, u32::MAX] {
        let mut data = valid.clone();
        set_word(&mut data, 2, count);
        cases.push((format!("field_count {count}"), data));
    }
    // buflen larger than the buffer, or padding beyond netlink's.
    for extra in 1..=12u32 {
        let mut data = valid.clone();
        let buflen_at = (HEADER_LEN - 4) / 4;
        set_word(&mut data, buflen_at, 2 + extra);
        cases.push((format!("buflen {} past the buffer", extra), data));
    }
    for trailing in 4..=12usize {
        let mut data = valid.clone();
        data.extend(std::iter::repeat_n(0u8, trailing));
        cases.push((format!("{trailing} bytes after the buffer"), data));
    }
    // Lists: unknown, and lists left to the host.
    for flags in [2u32, 3, 8, 9, 15, 0x20, 0x16, 0xffff, u32::MAX, list::FS] {
        let mut data = valid.clone();
        set_word(&mut data, 0, flags);
        cases.push((format!("list flags {flags:#x}"), data));
    }
    // The io_uring list: no permission field (as upstream), and no paths
    // or inodes (left to the host).
    let uring = || RuleBuilder::new(list::URING_EXIT, action::ALWAYS).syscall(18);
    cases.push((
        "perm on the io_uring list".into(),
        wire(&uring().field(field::PERM, Op::Equal, 4)),
    ));
    cases.push((
        "inode on the io_uring list".into(),
        wire(&uring().field(field::INODE, Op::Equal, 2)),
    ));
    cases.push((
        "watch on the io_uring list".into(),
        wire(
            &uring()
                .raw_bytes(b"/etc/passwd")
                .field(field::WATCH, Op::Equal, 11),
        ),
    ));
    // Actions other than never and always.
    for act in [1u32, 3, 4, 5, 100, u32::MAX] {
        let mut data = valid.clone();
        set_word(&mut data, 1, act);
        cases.push((format!("action {act}"), data));
    }
    // Operators that do not exist, on a plain field.
    for op in [
        0u32,
        1,
        0x0800_0001,
        0x1800_0000,
        0x2800_0000,
        0x7000_0000,
        0x8000_0000,
        u32::MAX,
    ] {
        let rule = base().raw_field(field::UID, op, 0);
        cases.push((format!("uid with operator {op:#x}"), wire(&rule)));
    }
    // Fields upstream does not know.
    for id in (28..100u32)
        .step_by(2)
        .chain(114..130)
        .chain([204, 209, 211, 255, 1000, u32::MAX])
    {
        let rule = base().raw_field(id, Op::Equal.to_wire(), 1);
        cases.push((format!("unknown field {id}"), wire(&rule)));
    }
    // Fields this implementation leaves to the host (trees, LSM labels):
    // refused with EOPNOTSUPP. The file system type means something on the
    // filesystem list only.
    for id in [13u32, 14, 15, 16, 17, 19, 20, 21, 22, 23, 26, 107] {
        let rule = base().raw_field(id, Op::Equal.to_wire(), 1);
        cases.push((format!("host-only field {id}"), wire(&rule)));
    }
    // Object fields with values or operators upstream refuses.
    for (what, id, op, value) in [
        ("perm beyond rwxa", field::PERM, Op::Equal, 16u32),
        ("perm with <", field::PERM, Op::LessThan, 2),
        (
            "filetype with mode bits",
            field::FILETYPE,
            Op::Equal,
            0o100_644,
        ),
        (
            "filetype with >",
            field::FILETYPE,
            Op::GreaterThan,
            0o100_000,
        ),
        ("compare pair 26", field::FIELD_COMPARE, Op::Equal, 26),
        ("compare with <", field::FIELD_COMPARE, Op::LessThan, 1),
        ("saddr_fam AF_MAX", field::SADDR_FAM, Op::Equal, 46),
        ("saddr_fam with &", field::SADDR_FAM, Op::BitMask, 2),
        ("obj_uid with &", field::OBJ_UID, Op::BitMask, 0),
        ("uid with &=", field::UID, Op::BitTest, 0),
        ("inode with <", field::INODE, Op::LessThan, 5),
        ("devmajor with &", field::DEVMAJOR, Op::BitMask, 8),
    ] {
        cases.push((what.into(), wire(&base().field(id, op, value))));
    }
    // Watches and executables that upstream refuses.
    let path_field = |list_id: u32, id: u32, op: Op, path: &[u8]| {
        RuleBuilder::new(list_id, action::ALWAYS)
            .all_syscalls()
            .raw_bytes(path)
            .field(id, op, path.len() as u32)
    };
    for (what, rule) in [
        (
            "relative watch",
            path_field(list::EXIT, field::WATCH, Op::Equal, b"etc/passwd"),
        ),
        (
            "watch ending in /",
            path_field(list::EXIT, field::WATCH, Op::Equal, b"/etc/"),
        ),
        (
            "watch with !=",
            path_field(list::EXIT, field::WATCH, Op::NotEqual, b"/etc/passwd"),
        ),
        (
            "watch on the user list",
            path_field(list::USER, field::WATCH, Op::Equal, b"/etc/passwd"),
        ),
        (
            "empty watch",
            path_field(list::EXIT, field::WATCH, Op::Equal, b""),
        ),
        (
            "relative exe",
            path_field(list::EXIT, field::EXE, Op::Equal, b"bin/sh"),
        ),
        (
            "watch and inode",
            path_field(list::EXIT, field::WATCH, Op::Equal, b"/etc/passwd").field(
                field::INODE,
                Op::Equal,
                5,
            ),
        ),
        (
            "two exe fields",
            path_field(list::EXIT, field::EXE, Op::Equal, b"/bin/sh")
                .raw_bytes(b"/bin/ls")
                .field(field::EXE, Op::Equal, 7),
        ),
    ] {
        cases.push((what.into(), wire(&rule)));
    }
    cases.push((
        "two inode fields".into(),
        wire(
            &base()
                .field(field::INODE, Op::Equal, 5)
                .field(field::INODE, Op::Equal, 6),
        ),
    ));
    cases.push((
        "inode on the user list".into(),
        wire(&RuleBuilder::new(list::USER, action::ALWAYS).field(field::INODE, Op::Equal, 5)),
    ));
    // Fields on a list where they mean nothing.
    for list_id in [list::USER, list::EXCLUDE] {
        for id in [
            field::EXIT,
            field::SUCCESS,
            field::ARG0,
            field::ARG0 + 1,
            field::ARG0 + 2,
            field::ARG3,
        ] {
            let rule =
                RuleBuilder::new(list_id, action::ALWAYS).raw_field(id, Op::Equal.to_wire(), 1);
            cases.push((format!("field {id} on list {list_id}"), wire(&rule)));
        }
    }
    let rule = base().raw_field(field::MSGTYPE, Op::Equal.to_wire(), 1300);
    cases.push(("msgtype on the exit list".into(), wire(&rule)));
    // Bad values.
    for value in [2u32, 3, 10, u32::MAX] {
        cases.push((
            format!("success={value}"),
            wire(&base().raw_field(field::SUCCESS, Op::Equal.to_wire(), value)),
        ));
        cases.push((
            format!("loginuid_set={value}"),
            wire(&base().raw_field(field::LOGINUID_SET, Op::Equal.to_wire(), value)),
        ));
    }
    for op in [
        Op::LessThan,
        Op::GreaterThan,
        Op::LessThanOrEqual,
        Op::GreaterThanOrEqual,
        Op::BitMask,
    ] {
        cases.push((
            format!("arch with {op:?}"),
            wire(&RuleBuilder::new(list::EXIT, action::ALWAYS).raw_field(
                field::ARCH,
                op.to_wire(),
                ARCH_X86_64,
            )),
        ));
        cases.push((
            format!("loginuid_set with {op:?}"),
            wire(&base().raw_field(field::LOGINUID_SET, op.to_wire(), 1)),
        ));
    }
    // Keys: too long, a second one, not with "=".
    for len in [MAX_KEY_LEN + 1, MAX_KEY_LEN + 2, 300, 512, 1000] {
        let mut rule = base().raw_field(field::FILTERKEY, Op::Equal.to_wire(), len as u32);
        rule = rule.raw_bytes(&vec![b'k'; len.min(1000)]);
        cases.push((format!("key of {len} bytes"), wire(&rule)));
    }
    cases.push(("two keys".into(), wire(&base().key(b"a").key(b"b"))));
    for op in [Op::NotEqual, Op::LessThan, Op::BitMask] {
        let rule = base()
            .raw_field(field::FILTERKEY, op.to_wire(), 2)
            .raw_bytes(b"kk");
        cases.push((format!("key with {op:?}"), wire(&rule)));
    }
    // Container IDs of the wrong length, or cut short.
    for len in [0u32, 1, 4, 7, 9, 16, u32::MAX] {
        let rule = base()
            .raw_field(field::CONTID, Op::Equal.to_wire(), len)
            .raw_bytes(&[1; 8]);
        cases.push((format!("contid length {len}"), wire(&rule)));
    }
    let mut data = wire(&base().contid(Op::Equal, 5));
    data.truncate(data.len() - 3);
    let buflen_at = (HEADER_LEN - 4) / 4;
    set_word(&mut data, buflen_at, 5);
    cases.push(("contid cut short".into(), data));
    // A buffer byte no field takes.
    let mut data = wire(&base());
    set_word(&mut data, buflen_at, 1);
    data.push(b'x');
    cases.push(("buffer byte no field takes".into(), data));
    cases
}
