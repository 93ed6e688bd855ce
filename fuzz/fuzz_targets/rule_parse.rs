// SPDX-License-Identifier: GPL-2.0

//! Rule parsing: any bytes a container sends as AUDIT_ADD_RULE.

#![no_main]

use auditns_core::rule::{
    expand_wire_classes, fields_match_in, record_kept, EventFields, Field, NoMarks, Object,
    Objects, RuleView, BITMASK_WORDS, HEADER_LEN, MAX_FIELDS, MAX_KEY_LEN, PATH_MAX,
};
use libfuzzer_sys::fuzz_target;

/// An event whose ids, objects and socket family come from the input.
struct Fuzzed {
    value: u64,
    objects: [Object; 2],
}

impl EventFields for Fuzzed {
    fn value(&self, id: u32) -> Option<u64> {
        (!id.is_multiple_of(3)).then_some(self.value ^ u64::from(id))
    }
    fn objects(&self) -> &[Object] {
        &self.objects
    }
    fn perm(&self, mask: u32) -> bool {
        self.value as u32 & mask != 0
    }
    fn sockaddr_family(&self) -> Option<u32> {
        (self.value & 1 == 0).then_some((self.value >> 8) as u32 & 63)
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(rule) = RuleView::parse(data) else {
        return;
    };
    // What the kernel keeps and lists back is inside what was sent.
    assert!(rule.wire_len() >= HEADER_LEN && rule.wire_len() <= data.len());
    assert!(data.len() - rule.wire_len() <= 3);
    assert!(rule.fields().count() <= MAX_FIELDS);
    assert!(rule.key().map_or(0, <[u8]>::len) <= MAX_KEY_LEN);
    assert!(rule.watch_path().map_or(0, <[u8]>::len) <= PATH_MAX);
    assert!(rule.exe_path().map_or(0, <[u8]>::len) <= PATH_MAX);
    assert!(rule.tree_path().map_or(0, <[u8]>::len) <= PATH_MAX);
    assert!(rule.mark_count() <= 2);
    // The stored form parses to the same rule.
    let again = RuleView::parse(&data[..rule.wire_len()]).expect("stored form parses");
    assert!(again.fields().eq(rule.fields()));
    assert_eq!(again.key(), rule.key());
    // Class expansion changes the mask only: the rule stays valid.
    let mut expanded = data[..rule.wire_len()].to_vec();
    let class = [0x5555_5555u32; BITMASK_WORDS];
    expand_wire_classes(&mut expanded, |i| (i % 2 == 0).then_some(&class));
    let expanded = RuleView::parse(&expanded).expect("expanded form parses");
    assert!(expanded.fields().eq(rule.fields()));
    // Matching any event, on any object, never panics.
    let tail = data.len().min(8);
    let mut bytes = [0u8; 8];
    bytes[..tail].copy_from_slice(&data[data.len() - tail..]);
    let value = u64::from_ne_bytes(bytes);
    let object = Object {
        ino: value,
        dev_major: value as u32,
        dev_minor: (value >> 32) as u32,
        mode: value as u32 & 0o170_777,
        uid: (value >> 16) as u32,
        kind: value as u8,
        ..Object::default()
    };
    let event = Fuzzed {
        value,
        objects: [object, Object::default()],
    };
    let _ = fields_match_in(rule.fields(), &event, &NoMarks, Objects::Any);
    let _ = fields_match_in(rule.fields(), &event, &NoMarks, Objects::One(&object));
    let fields: Vec<Field> = rule.fields().collect();
    let _ = record_kept(rule.list, [(rule.action, &fields[..], &NoMarks)], &event);
});
