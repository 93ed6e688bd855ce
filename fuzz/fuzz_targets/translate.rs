// SPDX-License-Identifier: GPL-2.0

//! Record translation: any record text, any view of ids, any key.

#![no_main]

use auditns_core::translate::{
    translate, worst_case_len, IdView, Identity, KeyField, SliceSink, MAX_GROWTH,
};
use libfuzzer_sys::fuzz_target;

/// A view driven by the input: shifts ids and PIDs, hides some.
struct Shift(u32);

impl IdView for Shift {
    fn pid(&self, host_pid: u32) -> u32 {
        host_pid.saturating_sub(self.0)
    }
    fn uid(&self, host_uid: u32) -> u32 {
        host_uid.checked_sub(self.0).unwrap_or(65534)
    }
    fn gid(&self, host_gid: u32) -> u32 {
        self.uid(host_gid)
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let shift = u32::from_ne_bytes([data[0], data[1], data[2], data[3]]);
    let key_len = usize::from(data[4]).min(auditns_core::rule::MAX_KEY_LEN);
    let rest = &data[5..];
    let (key, text) = rest.split_at(key_len.min(rest.len()));
    let key = if data[4] & 1 == 0 {
        KeyField::Keep
    } else {
        KeyField::Replace(Some(key))
    };
    // The usual room may be too small for a crafted record, never unsafe.
    let mut room = vec![0u8; text.len() + MAX_GROWTH];
    let _ = translate(text, &Shift(shift), key, &mut SliceSink::new(&mut room));
    // The worst case is always enough.
    let mut room = vec![0u8; worst_case_len(text.len())];
    let mut out = SliceSink::new(&mut room);
    translate(text, &Shift(shift), key, &mut out).expect("fits in the worst case");
    // The identity view, keeping the key, is a copy.
    let mut copy = vec![0u8; text.len() + MAX_GROWTH];
    let mut out = SliceSink::new(&mut copy);
    translate(text, &Identity, KeyField::Keep, &mut out).expect("a copy fits");
    assert_eq!(out.as_bytes(), text);
});
