// SPDX-License-Identifier: GPL-2.0

//! Kernel-free logic of auditns.
//!
//! Every module of this crate uses `core` only, so that the kernel module can
//! include its files with `#[path = ...]` and the host can test them with
//! `cargo test`. Nothing here allocates.

#![no_std]

pub mod config;
pub mod contid;
pub mod errno;
pub mod nsinfo;
pub mod queue;
pub mod rule;
pub mod rule_index;
pub mod status;
pub mod text;
pub mod translate;
pub mod version;
