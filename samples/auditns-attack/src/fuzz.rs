// SPDX-License-Identifier: GPL-2.0

//! The seeded generator of the netlink fuzzer.
//!
//! Each message is an audit message type (control 1000-1023, user
//! 1100-1199 and 2100-2999, now and then any 16-bit type) with one of five
//! payloads: none, random bytes, a `struct audit_status`, a
//! `struct audit_rule_data` (plausible or wild, then damaged) or a
//! `struct audit_features`. One in eight headers lies about the length.
//! What comes out depends on the seed alone.

use auditns_core::rule::{action, field, list, Op, BITMASK_WORDS, FLAG_PREPEND, MAX_FIELDS};

use crate::rng::Rng;
use crate::wire::{self, RawRule, NLMSG_HDRLEN, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};

/// The longest random payload.
pub const MAX_RANDOM_PAYLOAD: usize = 9000;

/// Which message types to send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Types {
    /// Control and user types, and a few random ones.
    All,
    /// 1000-1023.
    Control,
    /// 1100-1199 and 2100-2999.
    User,
}

impl Types {
    /// From the command line.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "all" => Types::All,
            "control" => Types::Control,
            "user" => Types::User,
            _ => return None,
        })
    }
}

/// One generated message.
pub struct Message {
    /// What goes to sendto(2), all of it.
    pub bytes: Vec<u8>,
    /// Whether `nlmsg_len` is `bytes.len()`; if not, it lies. The tests
    /// check it; the fuzzer need not know.
    #[cfg_attr(not(test), allow(dead_code))]
    pub honest: bool,
}

const INTERESTING: [u32; 19] = [
    0,
    1,
    2,
    3,
    4,
    7,
    8,
    63,
    64,
    65,
    255,
    256,
    1000,
    1024,
    4096,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    u32::MAX,
];

/// Field ids worth trying: the ones upstream knows, and a few it does not.
const FIELD_IDS: [u32; 36] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 28, 100, 103, 104, 105, 106, 200, 210,
];

const OPS: [Op; 8] = [
    Op::BitMask,
    Op::BitTest,
    Op::LessThan,
    Op::GreaterThan,
    Op::NotEqual,
    Op::Equal,
    Op::LessThanOrEqual,
    Op::GreaterThanOrEqual,
];

/// Fields valid on every list, for plausible rules.
const TASK_FIELDS: [u32; 10] = [
    field::PID,
    field::UID,
    field::EUID,
    field::GID,
    field::LOGINUID,
    field::PERS,
    field::PPID,
    field::SESSIONID,
    field::ARCH,
    field::LOGINUID_SET,
];

/// The generator.
pub struct Generator {
    rng: Rng,
    types: Types,
    seq: u32,
}

impl Generator {
    /// A generator for `seed`.
    pub fn new(seed: u64, types: Types) -> Self {
        Generator {
            rng: Rng::new(seed),
            types,
            seq: 1,
        }
    }

    fn msg_type(&mut self) -> u16 {
        let rng = &mut self.rng;
        match self.types {
            Types::Control => 1000 + rng.below(24) as u16,
            Types::User => match rng.below(1000) as u16 {
                i if i < 100 => 1100 + i,
                i => 2000 + i,
            },
            Types::All => {
                if rng.chance(1, 16) {
                    return rng.next_u32() as u16;
                }
                match rng.below(1024) as u16 {
                    i if i < 24 => 1000 + i,
                    i if i < 124 => 1076 + i,
                    i => 1976 + i,
                }
            }
        }
    }

    /// A value: often one of the edges, often small, else anything.
    fn word(&mut self) -> u32 {
        match self.rng.below(3) {
            0 => self.rng.pick(&INTERESTING),
            1 => self.rng.below(1024) as u32,
            _ => self.rng.next_u32(),
        }
    }

    fn status(&mut self) -> Vec<u8> {
        let mask = match self.rng.below(4) {
            0 => 1 << self.rng.below(10),
            1 => self.rng.next_u32(),
            2 => self
                .rng
                .pick(&[0, wire::AUDIT_STATUS_PID, 1 | wire::AUDIT_STATUS_PID, 0x3ff]),
            _ => self.word(),
        };
        let mut words = [0u32; wire::STATUS_WORDS];
        words[0] = mask;
        for (i, slot) in words.iter_mut().enumerate().skip(1) {
            *slot = match i {
                // enabled, failure: the valid values and a few others.
                1 | 2 if self.rng.chance(3, 4) => self.rng.below(4) as u32,
                // pid: none, init, or anything (never this process: the
                // corpus must not depend on who prints it).
                3 => {
                    let any = self.rng.next_u32();
                    self.rng.pick(&[0, 1, any])
                }
                _ => self.word(),
            };
        }
        wire::status(words)
    }

    fn features(&mut self) -> Vec<u8> {
        let vers = self.rng.pick(&[0, 1, 1, 2]);
        let (mask, features, lock) = (self.word(), self.word(), self.word());
        wire::features(vers, mask, features, lock)
    }

    fn syscall_mask(&mut self) -> [u32; BITMASK_WORDS] {
        let mut mask = [0u32; BITMASK_WORDS];
        match self.rng.below(4) {
            0 => {}
            1 => mask = [u32::MAX; BITMASK_WORDS],
            2 => {
                let nr = self.rng.below(2048) as usize;
                mask[nr / 32] = 1 << (nr % 32);
            }
            _ => mask.iter_mut().for_each(|w| *w = self.rng.next_u32()),
        }
        mask
    }

    /// A rule auditctl could have written, more or less.
    fn plausible_rule(&mut self) -> RawRule {
        let flags = self.rng.pick(&[
            list::EXIT,
            list::EXIT,
            list::USER,
            list::EXCLUDE,
            list::EXIT | FLAG_PREPEND,
        ]);
        let mut rule = RawRule {
            flags,
            action: self.rng.pick(&[action::NEVER, action::ALWAYS]),
            field_count: 0,
            mask: self.syscall_mask(),
            fields: [(0, 0, 0); MAX_FIELDS],
            buflen: 0,
            buf: Vec::new(),
        };
        let count = self.rng.below(7) as usize;
        for slot in rule.fields.iter_mut().take(count) {
            let (id, value) = match self.rng.below(8) {
                0 => {
                    let key = self.rng.below(24) as usize + 1;
                    rule.buf.extend(std::iter::repeat_n(b'k', key));
                    (field::FILTERKEY, key as u32)
                }
                1 => {
                    rule.buf
                        .extend_from_slice(&self.rng.next_u64().to_ne_bytes());
                    (field::CONTID, 8)
                }
                2 => (field::ARCH, wire::ARCH_X86_64),
                3 => (field::MSGTYPE, 1100 + self.rng.below(100) as u32),
                _ => (self.rng.pick(&TASK_FIELDS), self.rng.below(2) as u32),
            };
            let op = if self.rng.chance(3, 4) {
                Op::Equal
            } else {
                self.rng.pick(&OPS)
            };
            *slot = (id, value, op.to_wire());
        }
        rule.field_count = count as u32;
        rule.buflen = rule.buf.len() as u32;
        rule
    }

    /// A rule with anything in it.
    fn wild_rule(&mut self) -> RawRule {
        let mut fields = [(0, 0, 0); MAX_FIELDS];
        for slot in fields.iter_mut() {
            let id = if self.rng.chance(7, 8) {
                self.rng.pick(&FIELD_IDS)
            } else {
                self.word()
            };
            let op = match self.rng.below(8) {
                0 => 0,
                1 => self.rng.next_u32(),
                _ => self.rng.pick(&OPS).to_wire(),
            };
            *slot = (id, self.word(), op);
        }
        let buf_len = self.rng.below(1101) as usize;
        RawRule {
            flags: self.rng.below(9) as u32
                | if self.rng.chance(1, 8) {
                    FLAG_PREPEND
                } else {
                    0
                },
            action: self.rng.below(4) as u32,
            field_count: self.rng.below(71) as u32,
            mask: self.syscall_mask(),
            fields,
            buflen: if self.rng.chance(3, 4) {
                buf_len as u32
            } else {
                self.word()
            },
            buf: self.rng.bytes(buf_len),
        }
    }

    /// Up to `rounds` damages: a bit flipped, a cut, a word replaced,
    /// bytes appended.
    fn mutate(&mut self, data: &mut Vec<u8>, rounds: u64) {
        for _ in 0..rounds {
            match self.rng.below(4) {
                0 if !data.is_empty() => {
                    let bit = self.rng.index(data.len() * 8);
                    data[bit / 8] ^= 1 << (bit % 8);
                }
                1 => {
                    let len = self.rng.index(data.len() + 1);
                    data.truncate(len);
                }
                2 if data.len() >= 4 => {
                    let at = 4 * self.rng.index(data.len() / 4);
                    let word = self.word();
                    data[at..at + 4].copy_from_slice(&word.to_ne_bytes());
                }
                _ => {
                    let extra = self.rng.between(1, 16) as usize;
                    data.extend(self.rng.bytes(extra));
                }
            }
        }
    }

    fn payload(&mut self) -> Vec<u8> {
        match self.rng.below(5) {
            0 => Vec::new(),
            1 => {
                let len = self.rng.index(MAX_RANDOM_PAYLOAD + 1);
                self.rng.bytes(len)
            }
            2 => {
                let mut data = self.status();
                if self.rng.chance(1, 4) {
                    self.mutate(&mut data, 1);
                }
                data
            }
            3 => {
                let rule = if self.rng.chance(1, 2) {
                    self.plausible_rule()
                } else {
                    self.wild_rule()
                };
                let mut data = rule.encode();
                let rounds = self.rng.below(4);
                self.mutate(&mut data, rounds);
                data
            }
            _ => {
                let mut data = self.features();
                if self.rng.chance(1, 4) {
                    self.mutate(&mut data, 1);
                }
                data
            }
        }
    }

    /// The next message.
    pub fn next_message(&mut self) -> Message {
        let msg_type = self.msg_type();
        let mut flags = NLM_F_REQUEST;
        if self.rng.chance(1, 2) {
            flags |= NLM_F_ACK;
        }
        if self.rng.chance(1, 8) {
            flags |= NLM_F_DUMP;
        }
        let payload = self.payload();
        let real = (NLMSG_HDRLEN + payload.len()) as u32;
        let len = if self.rng.chance(1, 8) {
            let lie = match self.rng.below(4) {
                0 => real + self.rng.between(1, 4096) as u32,
                1 => self.rng.below(u64::from(real)) as u32,
                2 => u32::MAX,
                _ => self.rng.pick(&[0, 15, 16, real + 1, real + 3]),
            };
            if lie == real {
                real + 1
            } else {
                lie
            }
        } else {
            real
        };
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        let mut bytes = Vec::with_capacity(real as usize);
        bytes.extend_from_slice(&wire::header(len, msg_type, flags, seq));
        bytes.extend_from_slice(&payload);
        Message {
            bytes,
            honest: len == real,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The longest message the generator makes.
    const MAX_MESSAGE: usize = NLMSG_HDRLEN + MAX_RANDOM_PAYLOAD;

    fn corpus(seed: u64, types: Types, count: usize) -> Vec<Message> {
        let mut generator = Generator::new(seed, types);
        (0..count).map(|_| generator.next_message()).collect()
    }

    #[test]
    fn same_seed_same_corpus() {
        for types in [Types::All, Types::Control, Types::User] {
            let a = corpus(1234, types, 500);
            let b = corpus(1234, types, 500);
            assert!(a.iter().zip(&b).all(|(x, y)| x.bytes == y.bytes));
        }
        let a = corpus(1, Types::All, 50);
        let b = corpus(2, Types::All, 50);
        assert!(a.iter().zip(&b).any(|(x, y)| x.bytes != y.bytes));
    }

    #[test]
    fn header_lengths_agree_with_what_is_sent() {
        let (mut honest, mut longer, mut shorter) = (0, 0, 0);
        for seed in [0u64, 1, 99, 0xdead_beef] {
            for (i, msg) in corpus(seed, Types::All, 3000).iter().enumerate() {
                let sent = msg.bytes.len();
                assert!((NLMSG_HDRLEN..=MAX_MESSAGE).contains(&sent), "{sent} bytes");
                let (len, _, flags, seq) = wire::parse_header(&msg.bytes).unwrap();
                assert_eq!(seq as usize, i + 1);
                assert!(flags & NLM_F_REQUEST != 0);
                assert_eq!(flags & !(NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP), 0);
                if msg.honest {
                    assert_eq!(len as usize, sent);
                    honest += 1;
                } else if len as usize > sent {
                    longer += 1;
                } else {
                    assert!((len as usize) < sent);
                    shorter += 1;
                }
            }
        }
        // Mostly honest; lies both ways.
        assert!(honest > 9000 && longer > 100 && shorter > 100);
    }

    #[test]
    fn types_stay_in_their_sets() {
        let control = |t: u16| (1000..=1023).contains(&t);
        let user = |t: u16| (1100..=1199).contains(&t) || (2100..=2999).contains(&t);
        let types_of = |types| -> Vec<u16> {
            corpus(5, types, 4000)
                .iter()
                .map(|m| wire::parse_header(&m.bytes).unwrap().1)
                .collect()
        };
        let all = types_of(Types::Control);
        assert!(all.iter().all(|&t| control(t)));
        assert!((1000..=1023).all(|t| all.contains(&t)));
        let all = types_of(Types::User);
        assert!(all.iter().all(|&t| user(t)));
        assert!(all.contains(&1100) && all.contains(&1199) && all.contains(&2100));
        let all = types_of(Types::All);
        let other = all.iter().filter(|&&t| !control(t) && !user(t)).count();
        assert!(other > 100 && other < 500, "{other} random types");
        assert!(all.iter().any(|&t| control(t)));
        assert_eq!(Types::parse("user"), Some(Types::User));
        assert_eq!(Types::parse("x"), None);
    }

    #[test]
    fn some_rules_survive_the_core_parser() {
        // Plausible rules left undamaged must parse, or the fuzzer never
        // reaches the code past validation.
        let mut ok = 0;
        for msg in corpus(77, Types::Control, 5000) {
            let (_, msg_type, _, _) = wire::parse_header(&msg.bytes).unwrap();
            if msg_type == wire::AUDIT_ADD_RULE
                && auditns_core::rule::RuleView::parse(&msg.bytes[NLMSG_HDRLEN..]).is_ok()
            {
                ok += 1;
            }
        }
        assert!(ok > 0);
    }
}
