// SPDX-License-Identifier: GPL-2.0

//! Errno values the core crate answers with, as positive numbers (the
//! kernel module negates them; the values are the same on every Linux
//! architecture this project builds for).

/// Operation not permitted.
pub const EPERM: i32 = 1;
/// Device or resource busy.
pub const EBUSY: i32 = 16;
/// File exists.
pub const EEXIST: i32 = 17;
/// Cross-device link.
pub const EXDEV: i32 = 18;
/// Invalid argument.
pub const EINVAL: i32 = 22;
/// `ENAMETOOLONG`.
pub const ENAMETOOLONG: i32 = 36;
/// Name not unique on network.
pub const ENOTUNIQ: i32 = 76;
/// Protocol not available.
pub const ENOPROTOOPT: i32 = 92;
/// Operation not supported.
pub const EOPNOTSUPP: i32 = 95;
