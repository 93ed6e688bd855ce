// SPDX-License-Identifier: GPL-2.0

//! Where the generated bindings put the `task_struct` fields that Rust code
//! reads, for `scripts/layout.sh` to compare with `layout_c.c`. Never loaded.

use core::mem::{offset_of, size_of};
use kernel::{bindings::task_struct, prelude::*};

module! {
    type: LayoutProbe,
    name: "layout_rs",
    author: "auditns developers",
    description: "task_struct layout probe, Rust side",
    license: "GPL",
}

/// In the order of `LAYOUT_FIELDS` in `scripts/layout.sh`.
#[no_mangle]
#[used]
static AUDITNS_LAYOUT_RS: [usize; 8] = [
    size_of::<task_struct>(),
    offset_of!(task_struct, pid),
    offset_of!(task_struct, tgid),
    offset_of!(task_struct, real_parent),
    offset_of!(task_struct, group_leader),
    offset_of!(task_struct, children),
    offset_of!(task_struct, start_time),
    offset_of!(task_struct, audit_context),
];

struct LayoutProbe;

impl kernel::Module for LayoutProbe {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Err(EINVAL)
    }
}
