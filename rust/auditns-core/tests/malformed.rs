// SPDX-License-Identifier: GPL-2.0

//! The malformed-rule generator that the guest tests send to the kernel,
//! run through the parser on the host: every case must be refused.

#[path = "../../../samples/audit-nl/src/malformed.rs"]
mod malformed;

use auditns_core::rule::RuleView;

#[test]
fn every_generated_case_is_refused() {
    let cases = malformed::cases();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    for (what, data) in &cases {
        assert!(RuleView::parse(data).is_err(), "accepted: {what}");
    }
}
