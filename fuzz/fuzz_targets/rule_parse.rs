// SPDX-License-Identifier: GPL-2.0

//! Rule parsing: any bytes a container sends as AUDIT_ADD_RULE.

#![no_main]

use auditns_core::rule::{RuleView, HEADER_LEN, MAX_FIELDS, MAX_KEY_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(rule) = RuleView::parse(data) else {
        return;
    };
    // What the kernel keeps and lists back is inside what was sent.
    assert!(rule.wire_len() >= HEADER_LEN && rule.wire_len() <= data.len());
    assert!(data.len() - rule.wire_len() <= 3);
    assert!(rule.fields().count() <= MAX_FIELDS);
    assert!(rule.key().map_or(0, <[u8]>::len) <= MAX_KEY_LEN);
    // The stored form parses to the same rule.
    let again = RuleView::parse(&data[..rule.wire_len()]).expect("stored form parses");
    assert!(again.fields().eq(rule.fields()));
    assert_eq!(again.key(), rule.key());
});
