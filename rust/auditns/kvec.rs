// SPDX-License-Identifier: GPL-2.0

//! Removal from a `KVec`, which the 6.12 kernel crate does not offer yet.

use kernel::prelude::*;

/// Removes and returns the last element of `vec`.
pub(crate) fn pop<T>(vec: &mut KVec<T>) -> Option<T> {
    let len = vec.len();
    if len == 0 {
        return None;
    }
    // SAFETY: `len - 1` is in bounds, so the read is of an initialised
    // element; shrinking the length right after hands its ownership to the
    // caller, so it is never dropped twice.
    unsafe {
        let last = core::ptr::read(vec.as_ptr().add(len - 1));
        vec.set_len(len - 1);
        Some(last)
    }
}

/// Removes the element at `index`, keeping the order of the others.
pub(crate) fn remove<T>(vec: &mut KVec<T>, index: usize) -> Option<T> {
    if index >= vec.len() {
        return None;
    }
    vec.as_mut_slice()[index..].rotate_left(1);
    pop(vec)
}

/// Removes the element at `index`, moving the last one into its place.
pub(crate) fn swap_remove<T>(vec: &mut KVec<T>, index: usize) -> Option<T> {
    let last = vec.len().checked_sub(1)?;
    if index > last {
        return None;
    }
    vec.as_mut_slice().swap(index, last);
    pop(vec)
}
