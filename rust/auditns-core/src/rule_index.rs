// SPDX-License-Identifier: GPL-2.0

//! An index of syscall rules by syscall number.
//!
//! Upstream walks every exit rule on every syscall, so a rule that names
//! other syscalls still costs. Here a rule that names few syscalls is
//! listed under each of them (`narrow`), and only rules that name many
//! (`wide`, typically `-S all`) are tested on every syscall: a rule for
//! other syscalls costs nothing, however many there are.
//!
//! The index is a sorted slice of `(syscall, rule)` pairs plus a slice of
//! wide rules; the kernel module keeps both in vectors it rebuilds when the
//! rules change, and [`candidates`] merges them back into rule order.

use crate::rule::BITMASK_WORDS;

/// A rule naming more syscalls than this is wide.
pub const NARROW_MAX: u32 = 64;

/// The syscall numbers a mask covers, in ascending order. The set bits
/// are found word by word, so that a rule naming a few syscalls costs a
/// few steps, not one per syscall number: the index is rebuilt on every
/// rule change, and a namespace may send many changes at once.
pub fn syscalls(mask: &[u32; BITMASK_WORDS]) -> impl Iterator<Item = u16> + '_ {
    mask.iter().enumerate().flat_map(|(word, &bits)| {
        let mut rest = bits;
        core::iter::from_fn(move || {
            if rest == 0 {
                return None;
            }
            let bit = rest.trailing_zeros() as u16;
            rest &= rest - 1;
            Some(word as u16 * 32 + bit)
        })
    })
}

/// Whether a rule with `mask` is wide (tested on every syscall).
pub fn is_wide(mask: &[u32; BITMASK_WORDS]) -> bool {
    mask.iter().map(|word| word.count_ones()).sum::<u32>() > NARROW_MAX
}

/// Sorts `pairs` of `(syscall, rule)` for [`candidates`].
pub fn sort(pairs: &mut [(u16, u16)]) {
    pairs.sort_unstable();
}

/// The rules to test for syscall `nr`, in rule order: those listed under
/// `nr` in `narrow` (sorted by [`sort`]) and those of `wide` (ascending)
/// for which `wide_covers(rule)` holds.
pub fn candidates<'a, F: Fn(u16) -> bool + 'a>(
    narrow: &'a [(u16, u16)],
    wide: &'a [u16],
    nr: u16,
    wide_covers: F,
) -> impl Iterator<Item = u16> + 'a {
    let start = narrow.partition_point(|&(syscall, _)| syscall < nr);
    let end = narrow.partition_point(|&(syscall, _)| syscall <= nr);
    let mut listed = narrow[start..end].iter().map(|&(_, rule)| rule).peekable();
    let mut wide = wide
        .iter()
        .copied()
        .filter(move |&rule| wide_covers(rule))
        .peekable();
    core::iter::from_fn(move || match (listed.peek(), wide.peek()) {
        (Some(&a), Some(&b)) if b < a => wide.next(),
        (Some(_), _) => listed.next(),
        (None, _) => wide.next(),
    })
}

/// Words of the kernel's syscall bitmap (`DECLARE_BITMAP` of
/// `BITMASK_WORDS * 32` bits in 64-bit longs).
pub const SELECTION_WORDS: usize = BITMASK_WORDS / 2;

/// ORs `words` into `acc`, as far as the shorter of the two reaches.
fn or_words(acc: &mut [u32], words: &[u32]) {
    for (acc, word) in acc.iter_mut().zip(words) {
        *acc |= word;
    }
}

/// The first `2 * N` words of a mask as the kernel's bitmap of 64-bit
/// words: bit `nr % 64` of word `nr / 64` for bit `nr`, as `test_bit()`
/// reads it. Words past the mask's end are 0.
///
/// Indexes with `get()` rather than `chunks_exact()`, whose length
/// division leaves a panic path that objtool (6.12) does not know as
/// `noreturn`.
fn pack_words<const N: usize>(mask: &[u32]) -> [u64; N] {
    let word = |i: usize| u64::from(mask.get(i).copied().unwrap_or(0));
    core::array::from_fn(|i| word(2 * i) | word(2 * i + 1) << 32)
}

/// Adds the syscalls of `mask` to `union`.
pub fn add_to_union(union: &mut [u32; BITMASK_WORDS], mask: &[u32; BITMASK_WORDS]) {
    or_words(union, mask);
}

/// `mask` as the kernel's bitmap of 64-bit words: bit `nr % 64` of word
/// `nr / 64` for syscall `nr`, as `test_bit()` reads it.
pub fn to_bitmap(mask: &[u32; BITMASK_WORDS]) -> [u64; SELECTION_WORDS] {
    pack_words(mask)
}

/// 32-bit words of a rule's mask that can name io_uring opcodes: an
/// opcode is a `u8`, so the first 256 bits.
pub const URING_OP_WORDS: usize = 8;

/// What a namespace's rules have the audit core collect: the syscalls
/// that the exit rules name and the io_uring opcodes that the io_uring
/// list names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// Syscalls, in a rule's mask layout.
    pub syscalls: [u32; BITMASK_WORDS],
    /// io_uring opcodes, likewise.
    pub uring_ops: [u32; URING_OP_WORDS],
}

impl Wanted {
    /// Nothing.
    pub const NONE: Wanted = Wanted {
        syscalls: [0; BITMASK_WORDS],
        uring_ops: [0; URING_OP_WORDS],
    };

    /// Every syscall and every opcode.
    pub const ALL: Wanted = Wanted {
        syscalls: [u32::MAX; BITMASK_WORDS],
        uring_ops: [u32::MAX; URING_OP_WORDS],
    };

    /// Adds the io_uring opcodes that an io_uring-list rule's `mask` names.
    pub fn add_uring_ops(&mut self, mask: &[u32; BITMASK_WORDS]) {
        or_words(&mut self.uring_ops, mask);
    }

    /// Adds what `other` wants.
    pub fn add(&mut self, other: &Wanted) {
        or_words(&mut self.syscalls, &other.syscalls);
        or_words(&mut self.uring_ops, &other.uring_ops);
    }

    /// The opcodes as the kernel's bitmap of 64-bit words, as
    /// [`to_bitmap`] gives the syscalls.
    pub fn uring_bitmap(&self) -> [u64; URING_OP_WORDS / 2] {
        pack_words(&self.uring_ops)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    fn mask_of(syscalls: &[u16]) -> [u32; BITMASK_WORDS] {
        let mut mask = [0u32; BITMASK_WORDS];
        for &nr in syscalls {
            mask[usize::from(nr / 32)] |= 1 << (nr % 32);
        }
        mask
    }

    fn build(masks: &[[u32; BITMASK_WORDS]]) -> (Vec<(u16, u16)>, Vec<u16>) {
        let (mut narrow, mut wide) = (Vec::new(), Vec::new());
        for (rule, mask) in masks.iter().enumerate() {
            if is_wide(mask) {
                wide.push(rule as u16);
            } else {
                narrow.extend(syscalls(mask).map(|nr| (nr, rule as u16)));
            }
        }
        sort(&mut narrow);
        (narrow, wide)
    }

    #[test]
    fn all_syscalls_is_wide_and_openat_is_not() {
        assert!(is_wide(&[u32::MAX; BITMASK_WORDS]));
        assert!(!is_wide(&mask_of(&[257])));
        assert_eq!(
            syscalls(&mask_of(&[2, 257, 2047])).collect::<Vec<_>>(),
            [2, 257, 2047]
        );
    }

    #[test]
    fn uring_opcodes_are_the_first_256_bits_of_the_mask() {
        let mut wanted = Wanted::NONE;
        // IORING_OP_OPENAT and the last opcode a u8 can hold; bit 256 is
        // beyond any opcode.
        wanted.add_uring_ops(&mask_of(&[18, 255, 256]));
        let bitmap = wanted.uring_bitmap();
        assert_eq!(bitmap, [1 << 18, 0, 0, 1 << 63]);
        assert_eq!(wanted.syscalls, [0; BITMASK_WORDS]);
        let mut sum = Wanted::NONE;
        sum.add(&wanted);
        sum.add(&Wanted::NONE);
        assert_eq!(sum, wanted);
        assert_eq!(Wanted::ALL.uring_bitmap(), [u64::MAX; 4]);
    }

    proptest! {
        /// A syscall is in the bitmap of a union exactly if a mask names it.
        #[test]
        fn bitmap_of_union_tests_like_the_masks(
            masks in proptest::collection::vec(proptest::collection::vec(0u16..2048, 0..8), 0..6),
            nr in 0u16..2048,
        ) {
            let mut union = [0u32; BITMASK_WORDS];
            for syscalls in &masks {
                add_to_union(&mut union, &mask_of(syscalls));
            }
            let bitmap = to_bitmap(&union);
            let set = bitmap[usize::from(nr / 64)] & (1 << (nr % 64)) != 0;
            prop_assert_eq!(set, masks.iter().any(|s| s.contains(&nr)));
        }

        /// The index yields exactly the rules that cover the syscall, in order.
        #[test]
        fn candidates_are_the_covering_rules_in_order(
            rules in proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(0u16..600, 0..5).prop_map(|s| mask_of(&s)),
                    Just([u32::MAX; BITMASK_WORDS]),
                    proptest::collection::vec(0u16..600, 70..100).prop_map(|s| mask_of(&s)),
                ],
                0..40),
            nr in 0u16..600,
        ) {
            let (narrow, wide) = build(&rules);
            let covers = |rule: u16| {
                let mask = &rules[usize::from(rule)];
                mask[usize::from(nr / 32)] & (1 << (nr % 32)) != 0
            };
            let got: Vec<u16> = candidates(&narrow, &wide, nr, covers).collect();
            let want: Vec<u16> = (0..rules.len() as u16).filter(|&r| covers(r)).collect();
            prop_assert_eq!(got, want);
        }
    }
}
