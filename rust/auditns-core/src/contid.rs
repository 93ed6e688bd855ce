// SPDX-License-Identifier: GPL-2.0

//! The audit container identifier and its `/proc/PID/audit_containerid` text.

/// The value of an audit container identifier that was never set.
pub const CONTID_UNSET: u64 = u64::MAX;

/// Why a write to `audit_containerid` is not a container identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContidParseError {
    /// Nothing but an optional newline was written.
    Empty,
    /// A byte other than an ASCII digit, or a second line, was written.
    NotDecimal,
    /// The number does not fit in 64 bits.
    Overflow,
    /// The number is [`CONTID_UNSET`], which cannot be set.
    Unset,
}

/// Parses what a writer put into `audit_containerid`.
///
/// Accepts exactly one decimal `u64` (no sign, no spaces, no base prefix),
/// optionally followed by one newline, as `echo N >` writes it. Leading
/// zeros are accepted, as `kstrtoull()` does.
pub fn parse_contid(input: &[u8]) -> Result<u64, ContidParseError> {
    let digits = match input {
        [rest @ .., b'\n'] => rest,
        _ => input,
    };
    if digits.is_empty() {
        return Err(ContidParseError::Empty);
    }
    let mut value: u64 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return Err(ContidParseError::NotDecimal);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(byte - b'0')))
            .ok_or(ContidParseError::Overflow)?;
    }
    if value == CONTID_UNSET {
        return Err(ContidParseError::Unset);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::format;

    #[test]
    fn accepts_decimal_with_optional_newline() {
        assert_eq!(parse_contid(b"0"), Ok(0));
        assert_eq!(parse_contid(b"123\n"), Ok(123));
        assert_eq!(parse_contid(b"007"), Ok(7));
        assert_eq!(parse_contid(b"18446744073709551614"), Ok(u64::MAX - 1));
    }

    #[test]
    fn refuses_malformed_input() {
        assert_eq!(parse_contid(b""), Err(ContidParseError::Empty));
        assert_eq!(parse_contid(b"\n"), Err(ContidParseError::Empty));
        assert_eq!(parse_contid(b"12\n\n"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"12 "), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b" 12"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"+12"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"-1"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"0x10"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"1\n2"), Err(ContidParseError::NotDecimal));
        assert_eq!(parse_contid(b"12\0"), Err(ContidParseError::NotDecimal));
    }

    #[test]
    fn refuses_unset_and_overflow() {
        assert_eq!(
            parse_contid(b"18446744073709551615"),
            Err(ContidParseError::Unset)
        );
        assert_eq!(
            parse_contid(b"18446744073709551616"),
            Err(ContidParseError::Overflow)
        );
        assert_eq!(
            parse_contid(b"99999999999999999999999"),
            Err(ContidParseError::Overflow)
        );
    }

    proptest! {
        #[test]
        fn round_trips_every_settable_value(value in 0..u64::MAX, newline: bool) {
            let text = format!("{value}{}", if newline { "\n" } else { "" });
            prop_assert_eq!(parse_contid(text.as_bytes()), Ok(value));
        }

        #[test]
        fn never_panics_and_agrees_with_std(input in proptest::collection::vec(any::<u8>(), 0..24)) {
            let parsed = parse_contid(&input);
            let trimmed = input.strip_suffix(b"\n").unwrap_or(&input);
            let all_digits = !trimmed.is_empty() && trimmed.iter().all(u8::is_ascii_digit);
            let by_std = std::str::from_utf8(trimmed).ok().and_then(|s| s.parse::<u64>().ok());
            match parsed {
                Ok(v) => prop_assert_eq!(Some(v), by_std.filter(|&v| v != CONTID_UNSET)),
                Err(ContidParseError::Empty) => prop_assert!(trimmed.is_empty()),
                Err(ContidParseError::NotDecimal) => prop_assert!(!all_digits),
                Err(ContidParseError::Overflow) => prop_assert!(all_digits && by_std.is_none()),
                Err(ContidParseError::Unset) => prop_assert_eq!(by_std, Some(CONTID_UNSET)),
            }
        }
    }
}
