// SPDX-License-Identifier: GPL-2.0

//! Audit netlink messages as bytes: the flood's batches and the encoders
//! the fuzzer mutates. Nothing here touches a socket.

use std::ops::Range;

use auditns_core::rule::{
    action, field, list, Op, RuleBuilder, BITMASK_WORDS, HEADER_LEN, MAX_FIELDS,
};

/// `sizeof(struct nlmsghdr)`.
pub const NLMSG_HDRLEN: usize = 16;
/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_ACK`.
pub const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;

pub const AUDIT_GET: u16 = 1000;
pub const AUDIT_SET: u16 = 1001;
pub const AUDIT_SIGNAL_INFO: u16 = 1010;
pub const AUDIT_ADD_RULE: u16 = 1011;
pub const AUDIT_DEL_RULE: u16 = 1012;
pub const AUDIT_LIST_RULES: u16 = 1013;
pub const AUDIT_GET_FEATURE: u16 = 1019;
pub const AUDIT_USER_MSG: u16 = 1107;
/// `AUDIT_STATUS_PID`: the `struct audit_status` mask bit for `pid`.
pub const AUDIT_STATUS_PID: u32 = 4;
/// `AUDIT_ARCH_X86_64`.
pub const ARCH_X86_64: u32 = 0xc000_003e;
/// x86_64's mknod(2), the flood's default rule syscall.
pub const MKNOD: u32 = 133;
/// x86_64's getppid(2).
pub const GETPPID: u32 = 110;
/// 32-bit words of `struct audit_status`.
pub const STATUS_WORDS: usize = 11;

/// `NLMSG_ALIGN`.
pub fn align4(len: usize) -> usize {
    (len + 3) & !3
}

/// A netlink header: `nlmsg_len` as given, which may differ from the
/// length of the message around it.
pub fn header(len: u32, msg_type: u16, flags: u16, seq: u32) -> [u8; NLMSG_HDRLEN] {
    let mut out = [0u8; NLMSG_HDRLEN];
    out[0..4].copy_from_slice(&len.to_ne_bytes());
    out[4..6].copy_from_slice(&msg_type.to_ne_bytes());
    out[6..8].copy_from_slice(&flags.to_ne_bytes());
    out[8..12].copy_from_slice(&seq.to_ne_bytes());
    // nlmsg_pid 0: from user space to the kernel.
    out
}

/// One message with an honest `nlmsg_len`, padded to four bytes as
/// messages of a batch are.
pub fn message(msg_type: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let len = NLMSG_HDRLEN + payload.len();
    let mut out = Vec::with_capacity(align4(len));
    out.extend_from_slice(&header(len as u32, msg_type, flags, seq));
    out.extend_from_slice(payload);
    out.resize(align4(len), 0);
    out
}

/// `nlmsg_len`, `nlmsg_type`, `nlmsg_flags` and `nlmsg_seq` of the header
/// at the start of `data`.
pub fn parse_header(data: &[u8]) -> Option<(u32, u16, u16, u32)> {
    let word = |at: usize| u32::from_ne_bytes(data[at..at + 4].try_into().unwrap());
    let half = |at: usize| u16::from_ne_bytes(data[at..at + 2].try_into().unwrap());
    (data.len() >= NLMSG_HDRLEN).then(|| (word(0), half(4), half(6), word(8)))
}

/// `struct audit_status` from its 11 words, in order: mask, enabled,
/// failure, pid, rate_limit, backlog_limit, lost, backlog,
/// feature_bitmap, backlog_wait_time, backlog_wait_time_actual.
pub fn status(words: [u32; STATUS_WORDS]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

/// `struct audit_features`.
pub fn features(vers: u32, mask: u32, features: u32, lock: u32) -> Vec<u8> {
    [vers, mask, features, lock]
        .iter()
        .flat_map(|w| w.to_ne_bytes())
        .collect()
}

/// The flood's rule number `index`: an exit rule, always, on x86_64,
/// for `syscall`, with `uid=index` so that no two are the same.
pub fn flood_rule(index: u32, syscall: u32) -> Vec<u8> {
    let rule = RuleBuilder::new(list::EXIT, action::ALWAYS)
        .syscall(syscall)
        .field(field::ARCH, Op::Equal, ARCH_X86_64)
        .field(field::UID, Op::Equal, index);
    let mut out = vec![0u8; HEADER_LEN];
    let len = rule.write(&mut out).expect("a rule without buffer fits");
    out.truncate(len);
    out
}

/// A directory tree rule, as `auditctl -a always,exit -S getppid -F
/// dir=DIR` writes it: adding and deleting it makes and drops DIR's tree.
pub fn tree_rule(dir: &[u8]) -> Vec<u8> {
    let rule = RuleBuilder::new(list::EXIT, action::ALWAYS)
        .syscall(GETPPID)
        .field(field::ARCH, Op::Equal, ARCH_X86_64)
        .raw_bytes(dir)
        .field(field::DIR, Op::Equal, dir.len() as u32);
    let mut out = vec![0u8; HEADER_LEN + dir.len()];
    let len = rule.write(&mut out).expect("the buffer fits the rule");
    out.truncate(len);
    out
}

/// What the flood sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloodType {
    Get,
    ListRules,
    AddRule,
    DelRule,
    User,
    GetFeature,
    SignalInfo,
    /// `AUDIT_SET` with mask 0: changes nothing.
    Set,
    /// Any type, without payload.
    Raw(u16),
}

impl FloodType {
    /// From the command line: a name or a number.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "get" => FloodType::Get,
            "list-rules" => FloodType::ListRules,
            "add-rule" => FloodType::AddRule,
            "del-rule" => FloodType::DelRule,
            "user" => FloodType::User,
            "get-feature" => FloodType::GetFeature,
            "signal-info" => FloodType::SignalInfo,
            "set" => FloodType::Set,
            number => FloodType::Raw(number.parse().ok()?),
        })
    }

    /// Message `index` of a flood (sequence number `index + 1`), asking
    /// for an ack if `ack`.
    pub fn message(self, index: u32, syscall: u32, ack: bool) -> Vec<u8> {
        let (msg_type, payload) = match self {
            FloodType::Get => (AUDIT_GET, Vec::new()),
            FloodType::ListRules => (AUDIT_LIST_RULES, Vec::new()),
            FloodType::AddRule => (AUDIT_ADD_RULE, flood_rule(index, syscall)),
            FloodType::DelRule => (AUDIT_DEL_RULE, flood_rule(index, syscall)),
            FloodType::User => {
                let mut text = format!("auditns-attack flood {index}").into_bytes();
                text.push(0);
                (AUDIT_USER_MSG, text)
            }
            FloodType::GetFeature => (AUDIT_GET_FEATURE, Vec::new()),
            FloodType::SignalInfo => (AUDIT_SIGNAL_INFO, Vec::new()),
            FloodType::Set => (AUDIT_SET, status([0; STATUS_WORDS])),
            FloodType::Raw(msg_type) => (msg_type, Vec::new()),
        };
        let flags = if ack {
            NLM_F_REQUEST | NLM_F_ACK
        } else {
            NLM_F_REQUEST
        };
        message(msg_type, flags, index.wrapping_add(1), &payload)
    }
}

/// The end of the batch that starts at message `start`: as many messages
/// as fit in `cap` bytes, and always one at least.
pub fn next_batch(lens: &[usize], start: usize, cap: usize) -> usize {
    let mut end = start;
    let mut size = 0usize;
    while end < lens.len() && (end == start || size + lens[end] <= cap) {
        size += lens[end];
        end += 1;
    }
    end
}

/// The batches of messages of lengths `lens`, each `cap` bytes at most,
/// as few as may be in order; `None` if a message alone is too large.
pub fn plan_batches(lens: &[usize], cap: usize) -> Option<Vec<Range<usize>>> {
    if lens.iter().any(|&len| len > cap) {
        return None;
    }
    let mut batches = Vec::new();
    let mut start = 0;
    while start < lens.len() {
        let end = next_batch(lens, start, cap);
        batches.push(start..end);
        start = end;
    }
    Some(batches)
}

/// A `struct audit_rule_data` word by word, as the fuzzer damages it:
/// `field_count` and `buflen` need not agree with the rest.
#[derive(Clone)]
pub struct RawRule {
    pub flags: u32,
    pub action: u32,
    pub field_count: u32,
    pub mask: [u32; BITMASK_WORDS],
    /// Per field: id, value, operator (`fieldflags`).
    pub fields: [(u32, u32, u32); MAX_FIELDS],
    pub buflen: u32,
    pub buf: Vec<u8>,
}

impl RawRule {
    /// The rule on the wire: the header, then `buf` whatever `buflen` says.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.buf.len());
        let mut put = |word: u32| out.extend_from_slice(&word.to_ne_bytes());
        put(self.flags);
        put(self.action);
        put(self.field_count);
        self.mask.iter().for_each(|&w| put(w));
        self.fields.iter().for_each(|f| put(f.0));
        self.fields.iter().for_each(|f| put(f.1));
        self.fields.iter().for_each(|f| put(f.2));
        put(self.buflen);
        out.extend_from_slice(&self.buf);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use auditns_core::rule::RuleView;

    #[test]
    fn tree_rules_parse() {
        let data = tree_rule(b"/tmp/d");
        let rule = RuleView::parse(&data).expect("the core parser takes it");
        assert_eq!(rule.tree_path(), Some(&b"/tmp/d"[..]));
        assert!(rule.has_syscall(GETPPID));
    }

    #[test]
    fn flood_rules_parse_and_differ() {
        for index in [0u32, 1, 999, u32::MAX] {
            let data = flood_rule(index, MKNOD);
            assert_eq!(data.len(), HEADER_LEN);
            let rule = RuleView::parse(&data).expect("the core parser takes it");
            assert_eq!(rule.list, list::EXIT);
            assert_eq!(rule.action, action::ALWAYS);
            assert!(rule.has_syscall(MKNOD) && !rule.has_syscall(MKNOD + 1));
            let fields: Vec<_> = rule.fields().map(|f| (f.id, f.op, f.value)).collect();
            assert_eq!(
                fields,
                [
                    (field::ARCH, Op::Equal, u64::from(ARCH_X86_64)),
                    (field::UID, Op::Equal, u64::from(index)),
                ]
            );
        }
        assert_ne!(flood_rule(1, MKNOD), flood_rule(2, MKNOD));
        assert!(RuleView::parse(&flood_rule(0, 59)).unwrap().has_syscall(59));
    }

    #[test]
    fn raw_rule_encodes_as_the_core_builder() {
        let mut raw = RawRule {
            flags: list::EXIT,
            action: action::ALWAYS,
            field_count: 2,
            mask: [0; BITMASK_WORDS],
            fields: [(0, 0, 0); MAX_FIELDS],
            buflen: 3,
            buf: b"key".to_vec(),
        };
        raw.mask[(MKNOD / 32) as usize] = 1 << (MKNOD % 32);
        raw.fields[0] = (field::ARCH, ARCH_X86_64, Op::Equal.to_wire());
        raw.fields[1] = (field::FILTERKEY, 3, Op::Equal.to_wire());
        let builder = RuleBuilder::new(list::EXIT, action::ALWAYS)
            .syscall(MKNOD)
            .field(field::ARCH, Op::Equal, ARCH_X86_64)
            .key(b"key");
        let mut expected = vec![0u8; HEADER_LEN + 3];
        builder.write(&mut expected).unwrap();
        assert_eq!(raw.encode(), expected);
        let rule = RuleView::parse(&expected).unwrap();
        assert_eq!(rule.key(), Some(&b"key"[..]));
    }

    #[test]
    fn flood_messages_are_well_formed() {
        let types = [
            FloodType::Get,
            FloodType::ListRules,
            FloodType::AddRule,
            FloodType::DelRule,
            FloodType::User,
            FloodType::GetFeature,
            FloodType::SignalInfo,
            FloodType::Set,
            FloodType::Raw(1234),
        ];
        for kind in types {
            let batch: Vec<u8> = (0..5).flat_map(|i| kind.message(i, MKNOD, true)).collect();
            let mut at = 0;
            let mut seq = 1;
            while at < batch.len() {
                let (len, _, flags, got_seq) = parse_header(&batch[at..]).unwrap();
                assert!(len as usize >= NLMSG_HDRLEN);
                assert_eq!(flags, NLM_F_REQUEST | NLM_F_ACK);
                assert_eq!(got_seq, seq);
                if matches!(kind, FloodType::AddRule | FloodType::DelRule) {
                    let payload = &batch[at + NLMSG_HDRLEN..at + len as usize];
                    assert!(RuleView::parse(payload).is_ok());
                }
                at += align4(len as usize);
                seq += 1;
            }
            assert_eq!(at, batch.len());
            assert_eq!(seq, 6);
        }
        assert_eq!(FloodType::parse("list-rules"), Some(FloodType::ListRules));
        assert_eq!(FloodType::parse("1017"), Some(FloodType::Raw(1017)));
        assert_eq!(FloodType::parse("bogus"), None);
        assert_eq!(FloodType::parse("70000"), None);
        assert_eq!(status([0; STATUS_WORDS]).len(), 44);
    }

    #[test]
    fn batching_math() {
        let rule_msg = FloodType::AddRule.message(0, MKNOD, true).len();
        assert_eq!(rule_msg, NLMSG_HDRLEN + HEADER_LEN);
        // Equal messages: ceil(total / per-batch) batches, all full but
        // the last.
        for (count, cap) in [
            (1000usize, 65536usize),
            (403, 425_952),
            (404, 425_952),
            (7, 1056),
        ] {
            let lens = vec![rule_msg; count];
            let batches = plan_batches(&lens, cap).unwrap();
            let per = cap / rule_msg;
            assert_eq!(batches.len(), count.div_ceil(per));
            assert!(batches[..batches.len() - 1].iter().all(|b| b.len() == per));
        }
        // Everything in one when it fits, exactly at the limit too.
        assert_eq!(plan_batches(&[100, 200, 300], 600).unwrap(), vec![0..3; 1]);
        assert_eq!(plan_batches(&[100, 200, 300], 599).unwrap(), [0..2, 2..3]);
        // Mixed lengths: in order, each within the cap, covering all.
        let lens = [40usize, 2000, 16, 16, 1056, 4000, 8, 3000, 1000];
        let batches = plan_batches(&lens, 4096).unwrap();
        let mut next = 0;
        for batch in &batches {
            assert_eq!(batch.start, next);
            assert!(lens[batch.clone()].iter().sum::<usize>() <= 4096);
            next = batch.end;
        }
        assert_eq!(next, lens.len());
        assert_eq!(batches, [0..5, 5..7, 7..9]);
        // A message larger than the cap cannot go at all; next_batch
        // still makes progress with it.
        assert_eq!(plan_batches(&[10, 5000], 4096), None);
        assert_eq!(next_batch(&[10, 5000], 1, 4096), 2);
        assert_eq!(plan_batches(&[], 16).unwrap(), []);
    }
}
