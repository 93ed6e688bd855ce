// SPDX-License-Identifier: GPL-2.0

//! Audit rules: the `struct audit_rule_data` wire format and matching.
//!
//! A rule arrives from `auditctl` as `struct audit_rule_data` (see
//! `include/uapi/linux/audit.h`): flags (the filter list), action, the
//! number of fields, a syscall bit mask, then per field its id, value and
//! operator, then `buflen` bytes that hold the string and 64-bit values
//! in field order. [`RuleView::parse`] validates a buffer as strictly as
//! upstream's `audit_data_to_entry()` and gives a view of it;
//! [`RuleView::matches`] decides a rule against an event's field values,
//! which the caller supplies in the view of the namespace that owns the
//! rule. [`RuleBuilder`] writes the same format, for tests and tools.
//!
//! `AUDIT_CONTID` (27) follows the 2017-2021 container-ID series: the
//! field's value is the length 8, and the 64-bit ID follows in `buf`, in
//! the host's byte order.

use core::ops::Range;

use crate::errno;

/// `AUDIT_BITMASK_SIZE`: 32-bit words of the syscall mask.
pub const BITMASK_WORDS: usize = 64;
/// `AUDIT_MAX_FIELDS`.
pub const MAX_FIELDS: usize = 64;
/// `AUDIT_MAX_KEY_LEN`.
pub const MAX_KEY_LEN: usize = 256;
/// Size of `struct audit_rule_data` without `buf`.
pub const HEADER_LEN: usize = 4 * (3 + BITMASK_WORDS + 3 * MAX_FIELDS + 1);

/// Filter lists (`AUDIT_FILTER_*`), the low bits of `flags`.
pub mod list {
    /// `AUDIT_FILTER_USER`: messages from user space.
    pub const USER: u32 = 0;
    /// `AUDIT_FILTER_TASK`: task creation.
    pub const TASK: u32 = 1;
    /// `AUDIT_FILTER_EXIT`: syscall exit.
    pub const EXIT: u32 = 4;
    /// `AUDIT_FILTER_EXCLUDE`: record types to drop.
    pub const EXCLUDE: u32 = 5;
    /// `AUDIT_FILTER_FS`.
    pub const FS: u32 = 6;
    /// `AUDIT_FILTER_URING_EXIT`.
    pub const URING_EXIT: u32 = 7;
}

/// `AUDIT_FILTER_PREPEND`: insert at the head of the list.
pub const FLAG_PREPEND: u32 = 0x10;

/// Rule actions.
pub mod action {
    /// `AUDIT_NEVER`.
    pub const NEVER: u32 = 0;
    /// `AUDIT_ALWAYS`.
    pub const ALWAYS: u32 = 2;
}

/// Field ids (`AUDIT_*` in `include/uapi/linux/audit.h`).
pub mod field {
    #![allow(missing_docs)]
    pub const PID: u32 = 0;
    pub const UID: u32 = 1;
    pub const EUID: u32 = 2;
    pub const SUID: u32 = 3;
    pub const FSUID: u32 = 4;
    pub const GID: u32 = 5;
    pub const EGID: u32 = 6;
    pub const SGID: u32 = 7;
    pub const FSGID: u32 = 8;
    pub const LOGINUID: u32 = 9;
    pub const PERS: u32 = 10;
    pub const ARCH: u32 = 11;
    pub const MSGTYPE: u32 = 12;
    pub const SUBJ_USER: u32 = 13;
    pub const SUBJ_ROLE: u32 = 14;
    pub const SUBJ_TYPE: u32 = 15;
    pub const SUBJ_SEN: u32 = 16;
    pub const SUBJ_CLR: u32 = 17;
    pub const PPID: u32 = 18;
    pub const OBJ_USER: u32 = 19;
    pub const OBJ_ROLE: u32 = 20;
    pub const OBJ_TYPE: u32 = 21;
    pub const OBJ_LEV_LOW: u32 = 22;
    pub const OBJ_LEV_HIGH: u32 = 23;
    pub const LOGINUID_SET: u32 = 24;
    pub const SESSIONID: u32 = 25;
    pub const FSTYPE: u32 = 26;
    /// The audit container ID, a 64-bit value in `buf`.
    pub const CONTID: u32 = 27;
    pub const DEVMAJOR: u32 = 100;
    pub const DEVMINOR: u32 = 101;
    pub const INODE: u32 = 102;
    pub const EXIT: u32 = 103;
    pub const SUCCESS: u32 = 104;
    pub const WATCH: u32 = 105;
    pub const PERM: u32 = 106;
    pub const DIR: u32 = 107;
    pub const FILETYPE: u32 = 108;
    pub const OBJ_UID: u32 = 109;
    pub const OBJ_GID: u32 = 110;
    pub const FIELD_COMPARE: u32 = 111;
    pub const EXE: u32 = 112;
    pub const SADDR_FAM: u32 = 113;
    pub const ARG0: u32 = 200;
    pub const ARG3: u32 = 203;
    pub const FILTERKEY: u32 = 210;
}

/// `AUDIT_COMPARE_*`: the pairs an `AUDIT_FIELD_COMPARE` field compares,
/// as `(left, right)` field ids, indexed by the field's value. Index 0 is
/// no pair (upstream accepts it and never matches).
pub const COMPARE_PAIRS: [(u32, u32); 26] = {
    use field::*;
    [
        (0, 0),
        (UID, OBJ_UID),
        (GID, OBJ_GID),
        (EUID, OBJ_UID),
        (EGID, OBJ_GID),
        (LOGINUID, OBJ_UID),
        (SUID, OBJ_UID),
        (SGID, OBJ_GID),
        (FSUID, OBJ_UID),
        (FSGID, OBJ_GID),
        (UID, LOGINUID),
        (UID, EUID),
        (UID, FSUID),
        (UID, SUID),
        (LOGINUID, FSUID),
        (LOGINUID, SUID),
        (LOGINUID, EUID),
        (EUID, SUID),
        (EUID, FSUID),
        (SUID, FSUID),
        (GID, EGID),
        (GID, FSGID),
        (GID, SGID),
        (EGID, FSGID),
        (EGID, SGID),
        (SGID, FSGID),
    ]
};

/// `S_IFMT`: the file type bits of a mode.
pub const S_IFMT: u32 = 0o170_000;
/// `AF_MAX` of Linux 6.12: address families are below it.
pub const AF_MAX: u32 = 46;
/// `AUDIT_INO_UNSET`: an object without an inode.
pub const INO_UNSET: u64 = u64::MAX;
/// `AUDIT_SYSCALL_CLASSES`: the top bits of a syscall mask that stand for
/// syscall classes.
pub const SYSCALL_CLASSES: usize = 16;

/// Comparison operators (`AUDIT_OPERATORS` bits of `fieldflags`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `&`: some bit of the value is set.
    BitMask,
    /// `&=`: every bit of the value is set.
    BitTest,
    /// `<`.
    LessThan,
    /// `>`.
    GreaterThan,
    /// `!=`.
    NotEqual,
    /// `=`.
    Equal,
    /// `<=`.
    LessThanOrEqual,
    /// `>=`.
    GreaterThanOrEqual,
}

impl Op {
    /// Decodes `fieldflags`; anything but exactly one operator is invalid.
    pub fn from_wire(flags: u32) -> Option<Self> {
        Some(match flags {
            0x0800_0000 => Op::BitMask,
            0x4800_0000 => Op::BitTest,
            0x1000_0000 => Op::LessThan,
            0x2000_0000 => Op::GreaterThan,
            0x3000_0000 => Op::NotEqual,
            0x4000_0000 => Op::Equal,
            0x5000_0000 => Op::LessThanOrEqual,
            0x6000_0000 => Op::GreaterThanOrEqual,
            _ => return None,
        })
    }

    /// The `fieldflags` of this operator.
    pub fn to_wire(self) -> u32 {
        match self {
            Op::BitMask => 0x0800_0000,
            Op::BitTest => 0x4800_0000,
            Op::LessThan => 0x1000_0000,
            Op::GreaterThan => 0x2000_0000,
            Op::NotEqual => 0x3000_0000,
            Op::Equal => 0x4000_0000,
            Op::LessThanOrEqual => 0x5000_0000,
            Op::GreaterThanOrEqual => 0x6000_0000,
        }
    }

    /// `left op right`, as upstream's `audit_comparator()`.
    pub fn compare(self, left: u64, right: u64) -> bool {
        match self {
            Op::BitMask => left & right != 0,
            Op::BitTest => left & right == right,
            Op::LessThan => left < right,
            Op::GreaterThan => left > right,
            Op::NotEqual => left != right,
            Op::Equal => left == right,
            Op::LessThanOrEqual => left <= right,
            Op::GreaterThanOrEqual => left >= right,
        }
    }

    /// Whether the operator only tells equal from unequal.
    pub fn is_equality(self) -> bool {
        matches!(self, Op::Equal | Op::NotEqual)
    }
}

/// One field of a rule, as validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The field id (`field::*`).
    pub id: u32,
    /// The operator.
    pub op: Op,
    /// The value; a 32-bit wire value is widened, `CONTID` is 64 bits.
    pub value: u64,
}

/// A validated rule, borrowing the buffer it was parsed from.
#[derive(Debug)]
pub struct RuleView<'a> {
    /// The filter list (`list::*`).
    pub list: u32,
    /// `action::NEVER` or `action::ALWAYS`.
    pub action: u32,
    /// Whether the rule goes to the head of its list.
    pub prepend: bool,
    mask: [u32; BITMASK_WORDS],
    fields: [Option<Field>; MAX_FIELDS],
    field_count: usize,
    buf: &'a [u8],
    key: Option<Range<usize>>,
    watch: Option<Range<usize>>,
    exe: Option<Range<usize>>,
    tree: Option<Range<usize>>,
    per_object: bool,
}

/// `PATH_MAX`.
pub const PATH_MAX: usize = 4096;

/// The kernel objects that a rule's path fields stand for, resolved when
/// the rule was added: the watched path (`-w`, `path=`), the executable
/// (`exe=`) and the directory tree (`dir=`). A rule without them tests
/// none.
pub trait RuleMarks {
    /// Whether `object` is the watched file.
    fn watch_matches(&self, _object: &Object) -> bool {
        false
    }

    /// Whether the current task runs the rule's executable.
    fn exe_matches(&self) -> bool {
        false
    }

    /// Whether a path of the current task's event lies in the rule's
    /// directory tree.
    fn tree_matches(&self) -> bool {
        false
    }
}

/// A rule without path fields.
pub struct NoMarks;

impl RuleMarks for NoMarks {}

/// The objects a rule's object fields are tested against.
#[derive(Clone, Copy, Debug)]
pub enum Objects<'o> {
    /// Any object of the event may hold: a syscall rule.
    Any,
    /// This object: a watch or inode rule, which upstream's
    /// `audit_filter_inodes()` tries on each object in turn.
    One(&'o Object),
}

/// An object of an event (upstream's `struct audit_names`), as the owner
/// of the rule sees it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Object {
    /// The inode number, [`INO_UNSET`] if there is no inode.
    pub ino: u64,
    /// The device of its file system.
    pub dev_major: u32,
    /// The device of its file system.
    pub dev_minor: u32,
    /// The device a device file stands for.
    pub rdev_major: u32,
    /// The device a device file stands for.
    pub rdev_minor: u32,
    /// Type and mode bits.
    pub mode: u32,
    /// The owner.
    pub uid: u32,
    /// The group.
    pub gid: u32,
    /// `AUDIT_TYPE_*` of the entry: how the syscall used the object.
    pub kind: u8,
    /// The magic number of its file system (`AUDIT_FSTYPE`), 0 if unknown.
    pub fs_magic: u64,
    /// Whether the entry has no `PATH` record; the others are numbered
    /// `item=0`, 1, ... in order.
    pub hidden: bool,
}

/// The values of an event, as the owner of the rule sees them.
pub trait EventFields {
    /// The value of field `id`, or `None` if the event has none, in which
    /// case a rule that tests it does not match.
    fn value(&self, id: u32) -> Option<u64>;

    /// The objects the event acted on, in the event's order.
    fn objects(&self) -> &[Object] {
        &[]
    }

    /// Whether the syscall acts as the `AUDIT_PERM_*` bits of `mask` say,
    /// by upstream's syscall classes.
    fn perm(&self, _mask: u32) -> bool {
        false
    }

    /// The family of the socket address the syscall passed, if any.
    fn sockaddr_family(&self) -> Option<u32> {
        None
    }
}

fn word_at(data: &[u8], index: usize) -> u32 {
    let at = 4 * index;
    u32::from_ne_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

/// Whether a label field, which needs an LSM's rule engine.
fn is_lsm_field(id: u32) -> bool {
    matches!(
        id,
        field::SUBJ_USER..=field::SUBJ_CLR | field::OBJ_USER..=field::OBJ_LEV_HIGH
    )
}

/// Checks a field's list, operator and value as upstream's
/// `audit_field_valid()` does.
fn field_valid(list: u32, id: u32, op: Op, value: u32) -> Result<(), i32> {
    use field::*;
    let einval = Err(errno::EINVAL);
    match id {
        MSGTYPE if list != list::EXCLUDE && list != list::USER => return einval,
        FSTYPE if list != list::FS => return einval,
        PERM if list == list::URING_EXIT => return einval,
        _ => {}
    }
    // The filesystem list tests nothing else.
    if list == list::FS && id != FSTYPE && id != FILTERKEY {
        return einval;
    }
    let bit_op = matches!(op, Op::BitMask | Op::BitTest);
    match id {
        ARG0..=ARG3 | PERS | DEVMINOR | CONTID => {}
        UID | EUID | SUID | FSUID | LOGINUID | OBJ_UID | GID | EGID | SGID | FSGID | OBJ_GID
        | PID | MSGTYPE | PPID | DEVMAJOR | EXIT | SUCCESS | INODE | SESSIONID | SUBJ_SEN
        | SUBJ_CLR | OBJ_LEV_LOW | OBJ_LEV_HIGH | SADDR_FAM => {
            // Bit operators are only useful on syscall arguments.
            if bit_op {
                return einval;
            }
        }
        SUBJ_USER | SUBJ_ROLE | SUBJ_TYPE | OBJ_USER | OBJ_ROLE | OBJ_TYPE | WATCH | DIR
        | FILTERKEY | LOGINUID_SET | ARCH | FSTYPE | PERM | FILETYPE | FIELD_COMPARE | EXE => {
            if !op.is_equality() {
                return einval;
            }
        }
        _ => return einval,
    }
    let bad_value = match id {
        LOGINUID_SET => value > 1,
        PERM => value & !15 != 0,
        FILETYPE => value & !S_IFMT != 0,
        FIELD_COMPARE => value as usize >= COMPARE_PAIRS.len(),
        SADDR_FAM => value >= AF_MAX,
        _ => false,
    };
    if bad_value {
        return einval;
    }
    Ok(())
}

/// Whether `id` is a field of task credentials or ids, valid on every list.
fn is_task_field(id: u32) -> bool {
    matches!(
        id,
        field::PID
            | field::UID
            | field::EUID
            | field::SUID
            | field::FSUID
            | field::GID
            | field::EGID
            | field::SGID
            | field::FSGID
            | field::LOGINUID
            | field::PERS
            | field::PPID
            | field::LOGINUID_SET
            | field::SESSIONID
            | field::CONTID
    )
}

impl<'a> RuleView<'a> {
    /// Validates `data`, a whole `struct audit_rule_data` with its buffer.
    ///
    /// Returns `errno::EINVAL` for anything upstream refuses (short or
    /// inconsistent buffers, unknown operators, a field on a list where it
    /// means nothing, a bad value, an over-long or second key) and
    /// `errno::EOPNOTSUPP` for fields and lists this implementation
    /// leaves to the host (file watches, LSM labels, comparisons).
    pub fn parse(data: &'a [u8]) -> Result<Self, i32> {
        use errno::{EINVAL, EOPNOTSUPP};

        if data.len() < HEADER_LEN {
            return Err(EINVAL);
        }
        let flags = word_at(data, 0);
        let action = word_at(data, 1);
        let field_count = word_at(data, 2) as usize;
        let buflen = word_at(data, 3 + BITMASK_WORDS + 3 * MAX_FIELDS) as usize;
        // Netlink pads the message to four bytes, so the buffer may be
        // followed by up to three bytes that are not the rule's; upstream
        // reads only `buflen` bytes too.
        let buf = data[HEADER_LEN..].get(..buflen).ok_or(EINVAL)?;
        if field_count > MAX_FIELDS || data.len() - HEADER_LEN - buflen > 3 {
            return Err(EINVAL);
        }
        let list = flags & !FLAG_PREPEND;
        match list {
            list::USER | list::TASK | list::EXIT | list::EXCLUDE | list::FS | list::URING_EXIT => {}
            _ => return Err(EINVAL),
        }
        if action != action::NEVER && action != action::ALWAYS {
            return Err(EINVAL);
        }
        let mut mask = [0u32; BITMASK_WORDS];
        for (word, slot) in mask.iter_mut().enumerate() {
            *slot = word_at(data, 3 + word);
        }

        let mut rule = RuleView {
            list,
            action,
            prepend: flags & FLAG_PREPEND != 0,
            mask,
            fields: [None; MAX_FIELDS],
            field_count,
            buf,
            key: None,
            watch: None,
            exe: None,
            tree: None,
            per_object: false,
        };
        let mut consumed = 0usize;
        for i in 0..field_count {
            let mut id = word_at(data, 3 + BITMASK_WORDS + i);
            let mut wire_value = word_at(data, 3 + BITMASK_WORDS + MAX_FIELDS + i);
            let op = Op::from_wire(word_at(data, 3 + BITMASK_WORDS + 2 * MAX_FIELDS + i))
                .ok_or(EINVAL)?;
            // The legacy test for a set login uid, `auid!=-1`, means
            // `loginuid_set`, as upstream reads it; the wire form, which is
            // what is listed, stays as it came.
            if id == field::LOGINUID && wire_value == u32::MAX {
                id = field::LOGINUID_SET;
                wire_value = 0;
            }
            field_valid(list, id, op, wire_value)?;
            let mut take = |len: usize| -> Result<Range<usize>, i32> {
                let end = consumed.checked_add(len).ok_or(EINVAL)?;
                if end > buf.len() {
                    return Err(EINVAL);
                }
                let range = consumed..end;
                consumed = end;
                Ok(range)
            };
            let value = match id {
                field::FILTERKEY => {
                    let len = wire_value as usize;
                    if rule.key.is_some() || len > MAX_KEY_LEN || op != Op::Equal {
                        return Err(EINVAL);
                    }
                    rule.key = Some(take(len)?);
                    u64::from(wire_value)
                }
                field::CONTID => {
                    if wire_value != 8 {
                        return Err(EINVAL);
                    }
                    let range = take(8)?;
                    let mut bytes = [0u8; 8];
                    bytes.copy_from_slice(&buf[range]);
                    u64::from_ne_bytes(bytes)
                }
                // Upstream takes paths and inodes on the io_uring list
                // too; this implementation leaves them to the host there.
                field::INODE | field::WATCH | field::DIR if list == list::URING_EXIT => {
                    return Err(EOPNOTSUPP)
                }
                field::INODE => {
                    // One inode or watch per rule, on the exit list, as
                    // upstream's audit_to_inode().
                    if list != list::EXIT || rule.names_objects() || !op.is_equality() {
                        return Err(EINVAL);
                    }
                    rule.per_object = true;
                    u64::from(wire_value)
                }
                field::WATCH => {
                    // As upstream's audit_unpack_string() and
                    // audit_to_watch().
                    let len = wire_value as usize;
                    if len > PATH_MAX {
                        return Err(errno::ENAMETOOLONG);
                    }
                    let range = take(len)?;
                    let path = &buf[range.clone()];
                    if path.first() != Some(&b'/')
                        || path.last() == Some(&b'/')
                        || list != list::EXIT
                        || op != Op::Equal
                        || rule.names_objects()
                    {
                        return Err(EINVAL);
                    }
                    rule.per_object = true;
                    rule.watch = Some(range);
                    u64::from(wire_value)
                }
                field::EXE => {
                    let len = wire_value as usize;
                    if rule.exe.is_some() || len > PATH_MAX {
                        return Err(EINVAL);
                    }
                    let range = take(len)?;
                    let path = &buf[range.clone()];
                    if path.first() != Some(&b'/') || path.last() == Some(&b'/') {
                        return Err(EINVAL);
                    }
                    rule.exe = Some(range);
                    u64::from(wire_value)
                }
                field::DIR => {
                    // As upstream's audit_make_tree(), which, unlike a
                    // watch, takes a path ending in '/'.
                    let len = wire_value as usize;
                    if len > PATH_MAX {
                        return Err(errno::ENAMETOOLONG);
                    }
                    let range = take(len)?;
                    if buf[range.clone()].first() != Some(&b'/')
                        || list != list::EXIT
                        || op != Op::Equal
                        || rule.names_objects()
                    {
                        return Err(EINVAL);
                    }
                    rule.tree = Some(range);
                    u64::from(wire_value)
                }
                id if is_lsm_field(id) => return Err(EOPNOTSUPP),
                field::ARCH
                | field::FSTYPE
                | field::LOGINUID_SET
                | field::MSGTYPE
                | field::DEVMAJOR
                | field::DEVMINOR
                | field::PERM
                | field::FILETYPE
                | field::OBJ_UID
                | field::OBJ_GID
                | field::FIELD_COMPARE
                | field::SADDR_FAM => u64::from(wire_value),
                field::EXIT | field::SUCCESS | field::ARG0..=field::ARG3 => {
                    if list != list::EXIT && list != list::URING_EXIT {
                        return Err(EINVAL);
                    }
                    if id == field::SUCCESS && wire_value > 1 {
                        return Err(EINVAL);
                    }
                    // The exit value is a signed long: widen by sign.
                    if id == field::EXIT {
                        wire_value as i32 as i64 as u64
                    } else {
                        u64::from(wire_value)
                    }
                }
                id if is_task_field(id) => u64::from(wire_value),
                _ => return Err(EINVAL),
            };
            rule.fields[i] = Some(Field { id, op, value });
        }
        // Every byte of the buffer belongs to some field.
        if consumed != buf.len() {
            return Err(EINVAL);
        }
        Ok(rule)
    }

    /// The length of the rule on the wire, without netlink's padding.
    pub fn wire_len(&self) -> usize {
        HEADER_LEN + self.buf.len()
    }

    /// The rule's fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.fields[..self.field_count].iter().flatten().copied()
    }

    /// The rule's key (`-k`), if it has one.
    pub fn key(&self) -> Option<&'a [u8]> {
        self.key.clone().map(|range| &self.buf[range])
    }

    /// The watched path (`-w`, `path=`), if the rule has one.
    pub fn watch_path(&self) -> Option<&'a [u8]> {
        self.watch.clone().map(|range| &self.buf[range])
    }

    /// The executable (`exe=`), if the rule has one.
    pub fn exe_path(&self) -> Option<&'a [u8]> {
        self.exe.clone().map(|range| &self.buf[range])
    }

    /// The directory tree (`dir=`, `-w DIR/`), if the rule has one.
    pub fn tree_path(&self) -> Option<&'a [u8]> {
        self.tree.clone().map(|range| &self.buf[range])
    }

    /// How many paths the rule has the kernel follow (watch, executable,
    /// tree): each costs a mark that the host bounds per owner.
    pub fn mark_count(&self) -> usize {
        [
            self.watch.is_some(),
            self.exe.is_some(),
            self.tree.is_some(),
        ]
        .into_iter()
        .filter(|&has| has)
        .count()
    }

    /// Whether the rule is tried on each object of an event in turn (it
    /// has a watch or an inode field), as upstream keeps such rules apart
    /// from the syscall rules.
    pub fn per_object(&self) -> bool {
        self.per_object
    }

    /// Whether the rule already names its objects by inode, watch or tree:
    /// upstream allows one of them per rule.
    fn names_objects(&self) -> bool {
        self.per_object || self.tree.is_some()
    }

    /// Whether the rule covers syscall `nr`.
    pub fn has_syscall(&self, nr: u32) -> bool {
        let word = (nr / 32) as usize;
        word < BITMASK_WORDS && self.mask[word] & (1 << (nr % 32)) != 0
    }

    /// Whether the rule covers every syscall (`-S all`, or no `-S`).
    pub fn all_syscalls(&self) -> bool {
        self.mask.iter().all(|&word| word == u32::MAX)
    }

    /// The syscall mask, for an index by syscall number.
    pub fn syscall_mask(&self) -> &[u32; BITMASK_WORDS] {
        &self.mask
    }

    /// Whether every field of the rule holds for `event`. Syscall and list
    /// selection are the caller's: it indexes rules by both.
    pub fn matches(&self, event: &impl EventFields) -> bool {
        fields_match(self.fields(), event)
    }
}

/// Whether every field holds for `event`; the key is no test. For rules
/// kept in a parsed form, so that matching does not parse again.
pub fn fields_match(fields: impl IntoIterator<Item = Field>, event: &impl EventFields) -> bool {
    fields_match_in(fields, event, &NoMarks, Objects::Any)
}

/// Whether every field holds for `event`, with the rule's `marks`, its
/// object fields tested against `objects`.
pub fn fields_match_in(
    fields: impl IntoIterator<Item = Field>,
    event: &impl EventFields,
    marks: &impl RuleMarks,
    objects: Objects<'_>,
) -> bool {
    fields
        .into_iter()
        .all(|field| field_holds(&field, event, marks, objects))
}

/// Whether `field` holds for `event`, as upstream's `audit_filter_rules()`
/// decides it: an object field holds if it holds for the object tried
/// ([`Objects::One`]) or for any of the event's objects.
fn field_holds(
    field: &Field,
    event: &impl EventFields,
    marks: &impl RuleMarks,
    objects: Objects<'_>,
) -> bool {
    use field::*;
    let (op, want) = (field.op, field.value);
    let any_object = |test: &dyn Fn(&Object) -> bool| match objects {
        Objects::Any => event.objects().iter().any(test),
        Objects::One(object) => test(object),
    };
    match field.id {
        FILTERKEY => true,
        // A watch is only tried on an object, never on the syscall.
        WATCH => match objects {
            Objects::Any => false,
            Objects::One(object) => marks.watch_matches(object),
        },
        EXE => marks.exe_matches() != (op == Op::NotEqual),
        // As upstream's match_tree_refs(): any path of the event.
        DIR => marks.tree_matches(),
        DEVMAJOR => any_object(&|o| {
            op.compare(o.dev_major.into(), want) || op.compare(o.rdev_major.into(), want)
        }),
        DEVMINOR => any_object(&|o| {
            op.compare(o.dev_minor.into(), want) || op.compare(o.rdev_minor.into(), want)
        }),
        INODE => any_object(&|o| op.compare(o.ino, want)),
        OBJ_UID => any_object(&|o| op.compare(o.uid.into(), want)),
        OBJ_GID => any_object(&|o| op.compare(o.gid.into(), want)),
        // Upstream's audit_match_filetype() ignores the operator and the
        // object tried.
        FILETYPE => event
            .objects()
            .iter()
            .any(|o| o.ino != INO_UNSET && u64::from(o.mode & S_IFMT) == want),
        PERM => event.perm(want as u32) != (op == Op::NotEqual),
        SADDR_FAM => event
            .sockaddr_family()
            .is_some_and(|family| op.compare(family.into(), want)),
        FIELD_COMPARE => {
            let Some(&(left, right)) = COMPARE_PAIRS.get(want as usize) else {
                return false;
            };
            let Some(left) = event.value(left) else {
                return false;
            };
            match right {
                OBJ_UID => any_object(&|o| op.compare(left, o.uid.into())),
                OBJ_GID => any_object(&|o| op.compare(left, o.gid.into())),
                right => event
                    .value(right)
                    .is_some_and(|right| op.compare(left, right)),
            }
        }
        id => event.value(id).is_some_and(|value| op.compare(value, want)),
    }
}

/// An event's task as a task-list rule sees it: upstream's
/// `audit_filter_task()` runs `audit_filter_rules()` without a context, so
/// that only the task's own ids and credentials hold; the parent's PID,
/// the architecture, syscall fields and objects never do.
pub struct AtTaskCreation<'e, E>(pub &'e E);

impl<E: EventFields> EventFields for AtTaskCreation<'_, E> {
    fn value(&self, id: u32) -> Option<u64> {
        use field::*;
        match id {
            PPID | ARCH | EXIT | SUCCESS | ARG0..=ARG3 => None,
            id => self.0.value(id),
        }
    }
}

/// Whether the filesystem list leaves out an object on a file system of
/// magic `fs_magic`, as upstream's `__audit_inode()` decides: a field
/// `fstype` of a `never` rule that holds for it, in any rule and in any
/// place of the rule. `rules` gives each rule's action and fields.
pub fn fs_excluded<'r>(rules: impl IntoIterator<Item = (u32, &'r [Field])>, fs_magic: u64) -> bool {
    rules.into_iter().any(|(action, fields)| {
        action == action::NEVER
            && fields
                .iter()
                .any(|f| f.id == field::FSTYPE && f.op.compare(fs_magic, f.value))
    })
}

/// Whether a record is kept, as upstream's `audit_filter()` decides it for
/// the user and exclude lists: `rules` in order, each with its action, its
/// fields (the key among them, where it was written) and its marks;
/// `record` gives the message type and the fields of the task that writes
/// the record.
///
/// The first rule whose fields all hold decides: on the user list a
/// `never` rule drops the record, on the exclude list any rule does. A
/// rule without fields never holds. A field that `audit_filter()` does not
/// test (anything but the pid, uid, gid, login uid, message type and
/// executable), once the fields before it have held, ends the filtering
/// and keeps the record, as upstream does.
pub fn record_kept<'r, M: RuleMarks + 'r>(
    list: u32,
    rules: impl IntoIterator<Item = (u32, &'r [Field], &'r M)>,
    record: &impl EventFields,
) -> bool {
    use field::*;
    for (action, fields, marks) in rules {
        let mut holds = false;
        for field in fields {
            holds = match field.id {
                PID | UID | GID | LOGINUID | LOGINUID_SET | MSGTYPE => record
                    .value(field.id)
                    .is_some_and(|value| field.op.compare(value, field.value)),
                EXE => marks.exe_matches() != (field.op == Op::NotEqual),
                _ => return true,
            };
            if !holds {
                break;
            }
        }
        if holds {
            return !(action == action::NEVER || list == list::EXCLUDE);
        }
    }
    true
}

/// Replaces the class bits of a syscall mask (its top [`SYSCALL_CLASSES`]
/// bits) with the syscalls of their classes, as upstream's
/// `audit_to_entry_common()` does: `class(i)` gives the syscalls of class
/// `i`, `None` if the architecture has not registered it, in which case
/// the bit is only cleared. Rules are stored and listed in this form.
pub fn expand_classes<'c>(
    mask: &mut [u32; BITMASK_WORDS],
    class: impl Fn(usize) -> Option<&'c [u32; BITMASK_WORDS]>,
) {
    for i in 0..SYSCALL_CLASSES {
        let bit = BITMASK_WORDS * 32 - i - 1;
        let (word, bit) = (bit / 32, 1u32 << (bit % 32));
        if mask[word] & bit == 0 {
            continue;
        }
        mask[word] &= !bit;
        if let Some(class) = class(i) {
            for (word, syscalls) in mask.iter_mut().zip(class) {
                *word |= syscalls;
            }
        }
    }
}

/// [`expand_classes`] on the mask of a rule's wire form, in place; a
/// buffer too short to hold a rule is left alone.
pub fn expand_wire_classes<'c>(
    data: &mut [u8],
    class: impl Fn(usize) -> Option<&'c [u32; BITMASK_WORDS]>,
) {
    if data.len() < HEADER_LEN {
        return;
    }
    let mut mask = [0u32; BITMASK_WORDS];
    for (word, slot) in mask.iter_mut().enumerate() {
        *slot = word_at(data, 3 + word);
    }
    expand_classes(&mut mask, class);
    for (word, value) in mask.iter().enumerate() {
        let at = 4 * (3 + word);
        data[at..at + 4].copy_from_slice(&value.to_ne_bytes());
    }
}

/// Writes `struct audit_rule_data` as `auditctl` does.
pub struct RuleBuilder {
    flags: u32,
    action: u32,
    mask: [u32; BITMASK_WORDS],
    fields: [(u32, u32, u32); MAX_FIELDS],
    field_count: usize,
    buf: [u8; 1024],
    buflen: usize,
}

impl RuleBuilder {
    /// An empty rule for `list` with `action`, covering no syscall.
    pub fn new(list: u32, action: u32) -> Self {
        RuleBuilder {
            flags: list,
            action,
            mask: [0; BITMASK_WORDS],
            fields: [(0, 0, 0); MAX_FIELDS],
            field_count: 0,
            buf: [0; 1024],
            buflen: 0,
        }
    }

    /// Covers syscall `nr`.
    pub fn syscall(mut self, nr: u32) -> Self {
        if let Some(word) = self.mask.get_mut((nr / 32) as usize) {
            *word |= 1 << (nr % 32);
        }
        self
    }

    /// Covers every syscall.
    pub fn all_syscalls(mut self) -> Self {
        self.mask = [u32::MAX; BITMASK_WORDS];
        self
    }

    /// Adds a raw field; beyond [`MAX_FIELDS`] fields it is ignored.
    pub fn raw_field(mut self, id: u32, op_flags: u32, value: u32) -> Self {
        if self.field_count < MAX_FIELDS {
            self.fields[self.field_count] = (id, value, op_flags);
            self.field_count += 1;
        }
        self
    }

    /// Adds a 32-bit field.
    pub fn field(self, id: u32, op: Op, value: u32) -> Self {
        self.raw_field(id, op.to_wire(), value)
    }

    fn append(&mut self, bytes: &[u8]) {
        let end = (self.buflen + bytes.len()).min(self.buf.len());
        let len = end - self.buflen;
        self.buf[self.buflen..end].copy_from_slice(&bytes[..len]);
        self.buflen = end;
    }

    /// Adds `AUDIT_CONTID op contid`.
    pub fn contid(mut self, op: Op, contid: u64) -> Self {
        self.append(&contid.to_ne_bytes());
        self.field(field::CONTID, op, 8)
    }

    /// Appends `bytes` to the buffer with no field for them: for building
    /// malformed rules in tests.
    pub fn raw_bytes(mut self, bytes: &[u8]) -> Self {
        self.append(bytes);
        self
    }

    /// Adds the key (`-k`).
    pub fn key(mut self, key: &[u8]) -> Self {
        self.append(key);
        self.field(field::FILTERKEY, Op::Equal, key.len() as u32)
    }

    /// Writes the rule into `out`; returns its length, or `None` if `out`
    /// is too small.
    pub fn write(&self, out: &mut [u8]) -> Option<usize> {
        let len = HEADER_LEN + self.buflen;
        let out = out.get_mut(..len)?;
        let mut put = |index: usize, word: u32| {
            out[4 * index..4 * index + 4].copy_from_slice(&word.to_ne_bytes());
        };
        put(0, self.flags);
        put(1, self.action);
        put(2, self.field_count as u32);
        for (i, &word) in self.mask.iter().enumerate() {
            put(3 + i, word);
        }
        for (i, &(id, value, op)) in self.fields.iter().enumerate() {
            put(3 + BITMASK_WORDS + i, id);
            put(3 + BITMASK_WORDS + MAX_FIELDS + i, value);
            put(3 + BITMASK_WORDS + 2 * MAX_FIELDS + i, op);
        }
        put(3 + BITMASK_WORDS + 3 * MAX_FIELDS, self.buflen as u32);
        out[HEADER_LEN..].copy_from_slice(&self.buf[..self.buflen]);
        Some(len)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    const OPENAT: u32 = 257;

    fn wire(rule: &RuleBuilder) -> Vec<u8> {
        let mut out = vec![0u8; HEADER_LEN + 1024];
        let len = rule.write(&mut out).unwrap();
        out.truncate(len);
        out
    }

    struct Event<'a>(&'a [(u32, u64)]);

    impl EventFields for Event<'_> {
        fn value(&self, id: u32) -> Option<u64> {
            self.0.iter().find(|(f, _)| *f == id).map(|(_, v)| *v)
        }
    }

    #[test]
    fn auditctl_openat_rule_with_key() {
        let data = wire(
            &RuleBuilder::new(list::EXIT, action::ALWAYS)
                .syscall(OPENAT)
                .field(field::ARCH, Op::Equal, 0xc000_003e)
                .key(b"t"),
        );
        let rule = RuleView::parse(&data).unwrap();
        assert_eq!(rule.list, list::EXIT);
        assert!(rule.has_syscall(OPENAT) && !rule.has_syscall(OPENAT + 1));
        assert_eq!(rule.key(), Some(&b"t"[..]));
        assert!(rule.matches(&Event(&[(field::ARCH, 0xc000_003e)])));
        assert!(!rule.matches(&Event(&[(field::ARCH, 0x4000_0003)])));
    }

    #[test]
    fn contid_field_is_64_bits_in_the_buffer() {
        let contid = 0x1_0000_0005u64;
        let data = wire(
            &RuleBuilder::new(list::EXIT, action::ALWAYS)
                .all_syscalls()
                .contid(Op::Equal, contid)
                .key(b"c"),
        );
        let rule = RuleView::parse(&data).unwrap();
        assert!(rule.all_syscalls());
        assert_eq!(rule.key(), Some(&b"c"[..]));
        assert!(rule.matches(&Event(&[(field::CONTID, contid)])));
        // The low 32 bits alone do not match.
        assert!(!rule.matches(&Event(&[(field::CONTID, 5)])));
        // A task without an ID has no value, so no match.
        assert!(!rule.matches(&Event(&[])));
    }

    #[test]
    fn contid_not_equal_and_ranges() {
        let ne = wire(&RuleBuilder::new(list::EXIT, action::ALWAYS).contid(Op::NotEqual, 7));
        let ne = RuleView::parse(&ne).unwrap();
        assert!(ne.matches(&Event(&[(field::CONTID, 8)])));
        assert!(!ne.matches(&Event(&[(field::CONTID, 7)])));
        let ge =
            wire(&RuleBuilder::new(list::EXIT, action::ALWAYS).contid(Op::GreaterThanOrEqual, 100));
        let ge = RuleView::parse(&ge).unwrap();
        assert!(ge.matches(&Event(&[(field::CONTID, 100)])));
        assert!(!ge.matches(&Event(&[(field::CONTID, 99)])));
    }

    #[test]
    fn contid_needs_length_8_and_the_bytes() {
        // A value other than 8 is refused.
        let bad_len = RuleBuilder::new(list::EXIT, action::ALWAYS).raw_field(
            field::CONTID,
            Op::Equal.to_wire(),
            4,
        );
        assert_eq!(RuleView::parse(&wire(&bad_len)).err(), Some(errno::EINVAL));
        // Length 8 but no bytes in the buffer.
        let missing = RuleBuilder::new(list::EXIT, action::ALWAYS).raw_field(
            field::CONTID,
            Op::Equal.to_wire(),
            8,
        );
        assert_eq!(RuleView::parse(&wire(&missing)).err(), Some(errno::EINVAL));
    }

    #[test]
    fn refusals() {
        let ok = RuleBuilder::new(list::EXIT, action::ALWAYS).syscall(OPENAT);
        assert!(RuleView::parse(&wire(&ok)).is_ok());
        let cases: &[(RuleBuilder, i32)] = &[
            (RuleBuilder::new(list::EXIT, 1), errno::EINVAL),
            (RuleBuilder::new(2, action::ALWAYS), errno::EINVAL),
            (
                RuleBuilder::new(list::URING_EXIT, action::ALWAYS).field(field::PERM, Op::Equal, 4),
                errno::EINVAL,
            ),
            (
                RuleBuilder::new(list::URING_EXIT, action::ALWAYS).field(
                    field::INODE,
                    Op::Equal,
                    4,
                ),
                errno::EOPNOTSUPP,
            ),
            (
                RuleBuilder::new(list::EXIT, action::ALWAYS).raw_field(field::UID, 0, 0),
                errno::EINVAL,
            ),
            (
                RuleBuilder::new(list::EXIT, action::ALWAYS).field(field::ARCH, Op::LessThan, 1),
                errno::EINVAL,
            ),
            (
                RuleBuilder::new(list::USER, action::ALWAYS).field(field::EXIT, Op::Equal, 1),
                errno::EINVAL,
            ),
            (
                RuleBuilder::new(list::EXIT, action::ALWAYS).field(field::MSGTYPE, Op::Equal, 1),
                errno::EINVAL,
            ),
            (
                RuleBuilder::new(list::EXIT, action::ALWAYS).field(field::DIR, Op::Equal, 0),
                errno::EINVAL,
            ),
            (
                RuleBuilder::new(list::EXIT, action::ALWAYS).field(9999, Op::Equal, 0),
                errno::EINVAL,
            ),
            (
                RuleBuilder::new(list::EXIT, action::ALWAYS)
                    .key(b"a")
                    .key(b"b"),
                errno::EINVAL,
            ),
        ];
        for (rule, expected) in cases {
            assert_eq!(RuleView::parse(&wire(rule)).err(), Some(*expected));
        }
        let long_key = [b'k'; MAX_KEY_LEN + 1];
        let rule = RuleBuilder::new(list::EXIT, action::ALWAYS).key(&long_key);
        assert_eq!(RuleView::parse(&wire(&rule)).err(), Some(errno::EINVAL));
    }

    #[test]
    fn inconsistent_lengths() {
        let mut data = wire(&RuleBuilder::new(list::EXIT, action::ALWAYS).key(b"abc"));
        assert!(RuleView::parse(&data[..HEADER_LEN - 1]).is_err());
        // buflen says 3; netlink pads the message to 4 bytes, as
        // auditctl's NLMSG_SPACE() does, and the padding is not the rule's.
        data.push(0);
        let padded = RuleView::parse(&data).unwrap();
        assert_eq!(padded.wire_len(), data.len() - 1);
        assert_eq!(padded.key(), Some(&b"abc"[..]));
        // More than padding after the buffer.
        data.extend_from_slice(&[0, 0, 0]);
        assert_eq!(RuleView::parse(&data).err(), Some(errno::EINVAL));
        // buflen beyond the message.
        assert_eq!(
            RuleView::parse(&data[..HEADER_LEN + 2]).err(),
            Some(errno::EINVAL)
        );
        // A buffer byte that no field takes.
        let mut data = wire(&RuleBuilder::new(list::EXIT, action::ALWAYS));
        let buflen_at = HEADER_LEN - 4;
        data[buflen_at..].copy_from_slice(&1u32.to_ne_bytes());
        data.push(b'x');
        assert_eq!(RuleView::parse(&data).err(), Some(errno::EINVAL));
        // More fields than the format holds.
        let mut data = wire(&RuleBuilder::new(list::EXIT, action::ALWAYS));
        data[8..12].copy_from_slice(&65u32.to_ne_bytes());
        assert_eq!(RuleView::parse(&data).err(), Some(errno::EINVAL));
    }

    /// An event with objects, a permission class and a socket address.
    struct Syscall<'a> {
        ids: &'a [(u32, u64)],
        objects: &'a [Object],
        perm: u32,
        family: Option<u32>,
    }

    impl EventFields for Syscall<'_> {
        fn value(&self, id: u32) -> Option<u64> {
            Event(self.ids).value(id)
        }
        fn objects(&self) -> &[Object] {
            self.objects
        }
        fn perm(&self, mask: u32) -> bool {
            self.perm & mask != 0
        }
        fn sockaddr_family(&self) -> Option<u32> {
            self.family
        }
    }

    fn one(id: u32, op: Op, value: u32) -> Vec<u8> {
        wire(
            &RuleBuilder::new(list::EXIT, action::ALWAYS)
                .all_syscalls()
                .field(id, op, value),
        )
    }

    const FILE: Object = Object {
        ino: 1234,
        dev_major: 8,
        dev_minor: 1,
        rdev_major: 0,
        rdev_minor: 0,
        mode: 0o100_644,
        uid: 1000,
        gid: 100,
        kind: 0,
        fs_magic: 0xef53,
        hidden: false,
    };
    const TTY: Object = Object {
        ino: 20,
        dev_major: 0,
        dev_minor: 5,
        rdev_major: 136,
        rdev_minor: 3,
        mode: 0o020_620,
        uid: 0,
        gid: 5,
        kind: 0,
        fs_magic: 0x1cd1,
        hidden: false,
    };

    #[test]
    fn object_fields_hold_for_any_object() {
        let event = Syscall {
            ids: &[],
            objects: &[FILE, TTY],
            perm: 0,
            family: None,
        };
        let holds = |id, op, value| {
            RuleView::parse(&one(id, op, value))
                .unwrap()
                .matches(&event)
        };
        assert!(holds(field::INODE, Op::Equal, 1234));
        assert!(!holds(field::INODE, Op::Equal, 1235));
        assert!(holds(field::OBJ_UID, Op::Equal, 1000));
        assert!(holds(field::OBJ_UID, Op::Equal, 0));
        assert!(!holds(field::OBJ_UID, Op::Equal, 1));
        assert!(holds(field::OBJ_GID, Op::GreaterThanOrEqual, 100));
        assert!(!holds(field::OBJ_GID, Op::GreaterThan, 100));
        // The device of the file system or the device a file stands for.
        assert!(holds(field::DEVMAJOR, Op::Equal, 8));
        assert!(holds(field::DEVMAJOR, Op::Equal, 136));
        assert!(!holds(field::DEVMAJOR, Op::Equal, 9));
        assert!(holds(field::DEVMINOR, Op::Equal, 3));
        assert!(holds(field::FILETYPE, Op::Equal, 0o020_000));
        assert!(holds(field::FILETYPE, Op::Equal, 0o100_000));
        assert!(!holds(field::FILETYPE, Op::Equal, 0o040_000));
        // Without objects, no object field holds, "!=" neither.
        let bare = Syscall {
            ids: &[],
            objects: &[],
            perm: 0,
            family: None,
        };
        let data = one(field::OBJ_UID, Op::NotEqual, 5);
        let rule = RuleView::parse(&data).unwrap();
        assert!(!rule.matches(&bare));
        // An object without an inode has no file type.
        let unset = Object {
            ino: INO_UNSET,
            ..FILE
        };
        let event = Syscall {
            objects: &[unset],
            ..bare
        };
        let data = one(field::FILETYPE, Op::Equal, 0o100_000);
        let rule = RuleView::parse(&data).unwrap();
        assert!(!rule.matches(&event));
    }

    #[test]
    fn perm_and_socket_family() {
        let write = Syscall {
            ids: &[],
            objects: &[],
            perm: 2,
            family: Some(2),
        };
        let holds = |id, op, value| {
            RuleView::parse(&one(id, op, value))
                .unwrap()
                .matches(&write)
        };
        assert!(holds(field::PERM, Op::Equal, 2));
        assert!(holds(field::PERM, Op::Equal, 3));
        assert!(!holds(field::PERM, Op::Equal, 1));
        assert!(holds(field::PERM, Op::NotEqual, 1));
        assert!(holds(field::SADDR_FAM, Op::Equal, 2));
        assert!(!holds(field::SADDR_FAM, Op::Equal, 10));
        let none = Syscall {
            family: None,
            ..write
        };
        let data = one(field::SADDR_FAM, Op::NotEqual, 10);
        let rule = RuleView::parse(&data).unwrap();
        assert!(!rule.matches(&none));
    }

    #[test]
    fn comparisons_of_task_ids_and_owners() {
        let ids = [
            (field::UID, 1000),
            (field::EUID, 0),
            (field::SUID, 0),
            (field::FSUID, 0),
            (field::LOGINUID, 1000),
            (field::GID, 100),
            (field::EGID, 100),
            (field::SGID, 100),
            (field::FSGID, 100),
        ];
        let event = Syscall {
            ids: &ids,
            objects: &[FILE],
            perm: 0,
            family: None,
        };
        let holds = |pair, op| {
            RuleView::parse(&one(field::FIELD_COMPARE, op, pair))
                .unwrap()
                .matches(&event)
        };
        // -C uid!=euid: a set-uid program.
        assert!(holds(11, Op::NotEqual));
        assert!(!holds(11, Op::Equal));
        // -C auid=uid.
        assert!(holds(10, Op::Equal));
        // -C uid=obj_uid and euid=obj_uid against the file's owner.
        assert!(holds(1, Op::Equal));
        assert!(!holds(3, Op::Equal));
        assert!(holds(2, Op::Equal));
        assert!(holds(25, Op::Equal));
        // Pair 0 is accepted, as upstream, and never holds.
        assert!(!holds(0, Op::Equal) && !holds(0, Op::NotEqual));
        // Every pair names two fields this crate knows.
        for &(left, right) in &COMPARE_PAIRS[1..] {
            assert!(is_task_field(left));
            assert!(is_task_field(right) || right == field::OBJ_UID || right == field::OBJ_GID);
        }
    }

    /// A rule's marks, for tests: the watched inode, whether the task
    /// runs the executable and whether a path lies in the tree.
    struct Marks {
        watched: u64,
        exe: bool,
        tree: bool,
    }

    impl RuleMarks for Marks {
        fn watch_matches(&self, object: &Object) -> bool {
            object.ino == self.watched
        }
        fn exe_matches(&self) -> bool {
            self.exe
        }
        fn tree_matches(&self) -> bool {
            self.tree
        }
    }

    #[test]
    fn user_and_exclude_lists_filter_as_audit_filter() {
        const CWD: u64 = 1307;
        let record = Event(&[(field::MSGTYPE, CWD), (field::UID, 0), (field::EUID, 0)]);
        let parsed = |builder: RuleBuilder| {
            let data = wire(&builder);
            let rule = RuleView::parse(&data).unwrap();
            (rule.action, rule.fields().collect::<Vec<_>>())
        };
        let keeps = |list, rules: &[(u32, Vec<Field>)], exe: bool| {
            let marks = Marks {
                watched: INO_UNSET,
                exe,
                tree: false,
            };
            record_kept(
                list,
                rules
                    .iter()
                    .map(|(action, fields)| (*action, fields.as_slice(), &marks)),
                &record,
            )
        };
        let msgtype = |list, action, value| {
            parsed(RuleBuilder::new(list, action).field(field::MSGTYPE, Op::Equal, value))
        };
        // On the exclude list any rule that holds drops, whatever its
        // action; on the user list only a never rule does.
        for action in [action::NEVER, action::ALWAYS] {
            let rule = msgtype(list::EXCLUDE, action, CWD as u32);
            assert!(!keeps(list::EXCLUDE, &[rule], false));
        }
        assert!(keeps(
            list::EXCLUDE,
            &[msgtype(list::EXCLUDE, action::NEVER, 1300)],
            false
        ));
        assert!(keeps(
            list::USER,
            &[msgtype(list::USER, action::ALWAYS, CWD as u32)],
            false
        ));
        assert!(!keeps(
            list::USER,
            &[msgtype(list::USER, action::NEVER, CWD as u32)],
            false
        ));
        // The first rule that holds decides.
        let first = [
            msgtype(list::USER, action::ALWAYS, CWD as u32),
            msgtype(list::USER, action::NEVER, CWD as u32),
        ];
        assert!(keeps(list::USER, &first, false));
        // A task field, in the writer's view, and exe=.
        let uid =
            parsed(RuleBuilder::new(list::EXCLUDE, action::ALWAYS).field(field::UID, Op::Equal, 0));
        assert!(!keeps(list::EXCLUDE, &[uid], false));
        let exe = b"/bin/sh";
        let by_exe = parsed(
            RuleBuilder::new(list::EXCLUDE, action::ALWAYS)
                .raw_bytes(exe)
                .field(field::EXE, Op::Equal, exe.len() as u32),
        );
        assert!(!keeps(list::EXCLUDE, core::slice::from_ref(&by_exe), true));
        assert!(keeps(list::EXCLUDE, &[by_exe], false));
        // A field audit_filter() does not test (euid, a key) ends the
        // filtering once the fields before it held: the record is kept,
        // and later rules are not tried.
        let euid =
            parsed(RuleBuilder::new(list::USER, action::NEVER).field(field::EUID, Op::Equal, 0));
        let never = msgtype(list::USER, action::NEVER, CWD as u32);
        assert!(keeps(list::USER, &[euid, never.clone()], false));
        let keyed = parsed(
            RuleBuilder::new(list::USER, action::NEVER)
                .field(field::MSGTYPE, Op::Equal, CWD as u32)
                .key(b"k"),
        );
        assert!(keeps(list::USER, &[keyed, never.clone()], false));
        // ... but not when a field before it failed.
        let skipped = parsed(
            RuleBuilder::new(list::USER, action::NEVER)
                .field(field::MSGTYPE, Op::Equal, 1)
                .field(field::EUID, Op::Equal, 0),
        );
        assert!(!keeps(list::USER, &[skipped, never], false));
        // A rule without fields never holds.
        let empty = parsed(RuleBuilder::new(list::EXCLUDE, action::NEVER));
        assert!(keeps(list::EXCLUDE, &[empty], false));
    }

    #[test]
    fn task_rules_see_the_task_only() {
        let event = Syscall {
            ids: &[
                (field::UID, 1000),
                (field::PPID, 1),
                (field::ARCH, 0xc000_003e),
            ],
            objects: &[FILE],
            perm: 2,
            family: Some(1),
        };
        let holds = |id, value| {
            let data =
                wire(&RuleBuilder::new(list::TASK, action::NEVER).field(id, Op::Equal, value));
            let rule = RuleView::parse(&data).unwrap();
            assert_eq!(rule.list, list::TASK);
            (rule.matches(&event), rule.matches(&AtTaskCreation(&event)))
        };
        assert_eq!(holds(field::UID, 1000), (true, true));
        assert_eq!(holds(field::UID, 0), (false, false));
        // What audit_filter_rules() reads from a context never holds.
        assert_eq!(holds(field::PPID, 1), (true, false));
        assert_eq!(holds(field::ARCH, 0xc000_003e), (true, false));
        assert_eq!(holds(field::OBJ_UID, FILE.uid), (true, false));
        assert_eq!(holds(field::PERM, 2), (true, false));
        assert_eq!(holds(field::SADDR_FAM, 1), (true, false));
    }

    #[test]
    fn filesystem_list() {
        const DEBUGFS: u32 = 0x6462_6720;
        let fs = |action, fields: &[(u32, Op, u32)]| {
            let mut builder = RuleBuilder::new(list::FS, action);
            for &(id, op, value) in fields {
                builder = builder.field(id, op, value);
            }
            let data = wire(&builder);
            RuleView::parse(&data).map(|rule| (rule.action, rule.fields().collect::<Vec<_>>()))
        };
        let never = fs(action::NEVER, &[(field::FSTYPE, Op::Equal, DEBUGFS)]).unwrap();
        fn excluded(list: &[(u32, Vec<Field>)], magic: u64) -> bool {
            fs_excluded(list.iter().map(|(a, f)| (*a, f.as_slice())), magic)
        }
        assert!(excluded(core::slice::from_ref(&never), u64::from(DEBUGFS)));
        assert!(!excluded(&[never], 0xef53));
        // An always rule leaves nothing out, as upstream.
        let always = fs(action::ALWAYS, &[(field::FSTYPE, Op::Equal, DEBUGFS)]).unwrap();
        assert!(!excluded(&[always], u64::from(DEBUGFS)));
        // Other operators compare as everywhere.
        let not = fs(action::NEVER, &[(field::FSTYPE, Op::NotEqual, DEBUGFS)]).unwrap();
        assert!(excluded(&[not], 0xef53));
        // The list tests fstype only (and takes a key); fstype is for it only.
        assert_eq!(
            fs(action::NEVER, &[(field::UID, Op::Equal, 0)]).err(),
            Some(errno::EINVAL)
        );
        let exit_fstype = wire(&RuleBuilder::new(list::EXIT, action::ALWAYS).field(
            field::FSTYPE,
            Op::Equal,
            DEBUGFS,
        ));
        assert_eq!(RuleView::parse(&exit_fstype).err(), Some(errno::EINVAL));
        let keyed = wire(
            &RuleBuilder::new(list::FS, action::NEVER)
                .field(field::FSTYPE, Op::Equal, DEBUGFS)
                .key(b"fs"),
        );
        assert!(RuleView::parse(&keyed).is_ok());
    }

    #[test]
    fn tree_rules() {
        // auditctl -w /etc/ssh/ -p wa, and -F dir=: upstream's
        // audit_make_tree() takes the trailing '/'.
        let path = b"/etc/ssh/";
        let tree = |list, op, path: &[u8]| {
            RuleBuilder::new(list, action::ALWAYS)
                .all_syscalls()
                .raw_bytes(path)
                .field(field::DIR, op, path.len() as u32)
        };
        let data = wire(&tree(list::EXIT, Op::Equal, path).field(field::PERM, Op::Equal, 2));
        let rule = RuleView::parse(&data).unwrap();
        assert_eq!(rule.tree_path(), Some(&path[..]));
        assert_eq!(rule.watch_path(), None);
        assert_eq!(rule.mark_count(), 1);
        // A tree is tested on the event as a whole, as match_tree_refs().
        assert!(!rule.per_object());
        let write = Syscall {
            ids: &[],
            objects: &[FILE],
            perm: 2,
            family: None,
        };
        for (in_tree, expected) in [(true, true), (false, false)] {
            let marks = Marks {
                watched: INO_UNSET,
                exe: false,
                tree: in_tree,
            };
            assert_eq!(
                fields_match_in(rule.fields(), &write, &marks, Objects::Any),
                expected
            );
        }
        // What audit_make_tree() refuses: a relative path, another list or
        // operator, and a second inode, watch or tree in the rule.
        let refused = [
            tree(list::EXIT, Op::Equal, b"etc/ssh"),
            tree(list::USER, Op::Equal, path),
            tree(list::EXIT, Op::NotEqual, path),
            tree(list::EXIT, Op::Equal, path).field(field::INODE, Op::Equal, 5),
            tree(list::EXIT, Op::Equal, path)
                .raw_bytes(b"/etc")
                .field(field::DIR, Op::Equal, 4),
            tree(list::EXIT, Op::Equal, path)
                .raw_bytes(b"/etc/passwd")
                .field(field::WATCH, Op::Equal, 11),
            RuleBuilder::new(list::EXIT, action::ALWAYS)
                .field(field::INODE, Op::Equal, 5)
                .raw_bytes(path)
                .field(field::DIR, Op::Equal, path.len() as u32),
        ];
        for case in refused {
            assert_eq!(RuleView::parse(&wire(&case)).err(), Some(errno::EINVAL));
        }
        let long = [b'/'; PATH_MAX + 1];
        assert_eq!(
            RuleView::parse(&wire(&tree(list::EXIT, Op::Equal, &long))).err(),
            Some(errno::ENAMETOOLONG)
        );
        // Every path of a rule costs a mark.
        let exe = b"/bin/sh";
        let both = wire(&tree(list::EXIT, Op::Equal, path).raw_bytes(exe).field(
            field::EXE,
            Op::Equal,
            exe.len() as u32,
        ));
        assert_eq!(RuleView::parse(&both).unwrap().mark_count(), 2);
    }

    #[test]
    fn watch_rules_are_tried_on_each_object() {
        // auditctl -w /etc/passwd -p wa -k pw
        let path = b"/etc/passwd";
        let data = wire(
            &RuleBuilder::new(list::EXIT, action::ALWAYS)
                .all_syscalls()
                .raw_bytes(path)
                .field(field::WATCH, Op::Equal, path.len() as u32)
                .field(field::PERM, Op::Equal, 0b1010)
                .key(b"pw"),
        );
        let rule = RuleView::parse(&data).unwrap();
        assert_eq!(rule.watch_path(), Some(&path[..]));
        assert_eq!(rule.key(), Some(&b"pw"[..]));
        assert!(rule.per_object());
        let marks = Marks {
            watched: FILE.ino,
            exe: false,
            tree: false,
        };
        let write = Syscall {
            ids: &[],
            objects: &[TTY, FILE],
            perm: 2,
            family: None,
        };
        let holds =
            |event: &Syscall<'_>, objects| fields_match_in(rule.fields(), event, &marks, objects);
        assert!(holds(&write, Objects::One(&FILE)));
        assert!(!holds(&write, Objects::One(&TTY)));
        // Never on the syscall as a whole, as upstream.
        assert!(!holds(&write, Objects::Any));
        // A read of the watched file is not a write.
        let read = Syscall { perm: 4, ..write };
        assert!(!holds(&read, Objects::One(&FILE)));
        // Object fields of a per-object rule test the object tried.
        let data = one(field::OBJ_UID, Op::Equal, 0);
        let owner = RuleView::parse(&data).unwrap();
        assert!(fields_match_in(
            owner.fields(),
            &write,
            &marks,
            Objects::One(&TTY)
        ));
        assert!(!fields_match_in(
            owner.fields(),
            &write,
            &marks,
            Objects::One(&FILE)
        ));
    }

    #[test]
    fn exe_rules() {
        let path = b"/bin/busybox";
        let rule_with = |op| {
            wire(
                &RuleBuilder::new(list::EXIT, action::ALWAYS)
                    .all_syscalls()
                    .raw_bytes(path)
                    .field(field::EXE, op, path.len() as u32),
            )
        };
        let event = Event(&[]);
        for (op, exe, expected) in [
            (Op::Equal, true, true),
            (Op::Equal, false, false),
            (Op::NotEqual, true, false),
            (Op::NotEqual, false, true),
        ] {
            let data = rule_with(op);
            let rule = RuleView::parse(&data).unwrap();
            assert_eq!(rule.exe_path(), Some(&path[..]));
            assert!(!rule.per_object());
            let marks = Marks {
                watched: 0,
                exe,
                tree: false,
            };
            assert_eq!(
                fields_match_in(rule.fields(), &event, &marks, Objects::Any),
                expected
            );
        }
    }

    #[test]
    fn legacy_unset_login_uid_means_loginuid_set() {
        let data = one(field::LOGINUID, Op::NotEqual, u32::MAX);
        let rule = RuleView::parse(&data).unwrap();
        assert_eq!(rule.fields().next().unwrap().id, field::LOGINUID_SET);
        assert!(rule.matches(&Event(&[(field::LOGINUID_SET, 1)])));
        assert!(!rule.matches(&Event(&[(field::LOGINUID_SET, 0)])));
        // The wire form, which is listed, is what came.
        assert_eq!(word_at(&data, 3 + BITMASK_WORDS), field::LOGINUID);
        // "<" on it is refused, as upstream.
        assert_eq!(
            RuleView::parse(&one(field::LOGINUID, Op::LessThan, u32::MAX)).err(),
            Some(errno::EINVAL)
        );
    }

    #[test]
    fn class_bits_become_their_syscalls() {
        let mut write_class = [0u32; BITMASK_WORDS];
        write_class[0] = 0b1010;
        let classes = |i: usize| (i == 6).then_some(&write_class);
        // The bit of class 6 (AUDIT_CLASS_WRITE) and of class 4, which is
        // not registered: both are cleared, class 6 adds its syscalls.
        let mut data = wire(
            &RuleBuilder::new(list::EXIT, action::ALWAYS)
                .syscall(2047 - 6)
                .syscall(2047 - 4)
                .syscall(OPENAT),
        );
        expand_wire_classes(&mut data, classes);
        let rule = RuleView::parse(&data).unwrap();
        assert!(rule.has_syscall(1) && rule.has_syscall(3) && rule.has_syscall(OPENAT));
        assert!(!rule.has_syscall(2) && !rule.has_syscall(2047 - 6) && !rule.has_syscall(2047 - 4));
        // "-S all" loses the class bits only, as upstream lists it.
        let mut all = [u32::MAX; BITMASK_WORDS];
        expand_classes(&mut all, classes);
        assert_eq!(all[BITMASK_WORDS - 1], 0x0000_ffff);
        assert!(all[..BITMASK_WORDS - 1].iter().all(|&w| w == u32::MAX));
    }

    proptest! {
        #[test]
        fn parse_never_panics(data in proptest::collection::vec(any::<u8>(), 0..2200)) {
            let _ = RuleView::parse(&data);
        }

        #[test]
        fn parse_never_panics_on_damaged_rules(
            word in 0usize..(HEADER_LEN / 4),
            value in any::<u32>(),
            extra in proptest::collection::vec(any::<u8>(), 0..16),
        ) {
            let mut data = wire(
                &RuleBuilder::new(list::EXIT, action::ALWAYS)
                    .syscall(OPENAT)
                    .contid(Op::Equal, 3)
                    .key(b"k"),
            );
            data[4 * word..4 * word + 4].copy_from_slice(&value.to_ne_bytes());
            data.extend_from_slice(&extra);
            if let Ok(rule) = RuleView::parse(&data) {
                let _ = rule.matches(&Event(&[(field::CONTID, 3)]));
            }
        }

        #[test]
        fn contid_round_trip_and_match(
            contid in any::<u64>(), other in any::<u64>(), key_len in 0usize..=MAX_KEY_LEN,
        ) {
            let key = [b'k'; MAX_KEY_LEN];
            let mut builder = RuleBuilder::new(list::EXIT, action::ALWAYS)
                .syscall(OPENAT)
                .contid(Op::Equal, contid);
            if key_len > 0 {
                builder = builder.key(&key[..key_len]);
            }
            let data = wire(&builder);
            let rule = RuleView::parse(&data).unwrap();
            let field = rule.fields().find(|f| f.id == field::CONTID).unwrap();
            prop_assert_eq!(field.value, contid);
            prop_assert_eq!(rule.key().map(|k| k.len()), (key_len > 0).then_some(key_len));
            let matches = |value: u64| {
                struct One(u64);
                impl EventFields for One {
                    fn value(&self, id: u32) -> Option<u64> {
                        (id == field::CONTID).then_some(self.0)
                    }
                }
                rule.matches(&One(value))
            };
            prop_assert!(matches(contid));
            prop_assert_eq!(matches(other), other == contid);
        }

        #[test]
        fn operators_agree_with_integer_order(
            op in 0usize..8, left in any::<u64>(), right in any::<u64>(),
        ) {
            let ops = [
                Op::BitMask, Op::BitTest, Op::LessThan, Op::GreaterThan,
                Op::NotEqual, Op::Equal, Op::LessThanOrEqual, Op::GreaterThanOrEqual,
            ];
            let op = ops[op];
            prop_assert_eq!(Op::from_wire(op.to_wire()), Some(op));
            let (lt, eq, gt) = (
                Op::LessThan.compare(left, right),
                Op::Equal.compare(left, right),
                Op::GreaterThan.compare(left, right),
            );
            // Exactly one of <, =, > holds; the others follow from them.
            prop_assert_eq!(u8::from(lt) + u8::from(eq) + u8::from(gt), 1);
            prop_assert_eq!(Op::LessThanOrEqual.compare(left, right), lt || eq);
            prop_assert_eq!(Op::GreaterThanOrEqual.compare(left, right), gt || eq);
            prop_assert_eq!(Op::NotEqual.compare(left, right), !eq);
            // Every bit set implies some bit set, unless there is no bit.
            if Op::BitTest.compare(left, right) && right != 0 {
                prop_assert!(Op::BitMask.compare(left, right));
            }
            prop_assert!(Op::BitTest.compare(left, left) && Op::BitMask.compare(left | 1, 1));
        }
    }
}
