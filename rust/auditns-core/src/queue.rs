// SPDX-License-Identifier: GPL-2.0

//! Accounting of a namespace's bounded record queue.
//!
//! Each namespace queues records for its daemon up to its own
//! `backlog_limit` (a count of records, as upstream's) and a byte limit
//! that the host sets, since any user may create a namespace. A record
//! that does not fit is lost for that namespace only, and counted.

/// Upstream's default `backlog_limit`.
pub const DEFAULT_BACKLOG_LIMIT: u32 = 64;

/// Upstream's largest record (`MAX_AUDIT_MESSAGE_LENGTH`).
pub const MAX_RECORD_LEN: usize = 8970;

/// Why a record was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossCause {
    /// The queue held `backlog_limit` records.
    BacklogLimit,
    /// The queue held the bytes that the host lets a namespace queue.
    QueuedBytes,
    /// The namespace's `rate_limit` was reached.
    RateLimit,
    /// No memory for the record, charged where it is charged.
    NoMemory,
}

impl LossCause {
    /// The cause, in upstream's words where `audit_log_lost()` has them.
    pub const fn reason(self) -> &'static str {
        match self {
            LossCause::BacklogLimit => "backlog limit exceeded",
            LossCause::QueuedBytes => "max_queued_kib exceeded",
            LossCause::RateLimit => "rate limit exceeded",
            LossCause::NoMemory => "out of memory",
        }
    }
}

/// Whether a record was queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// It was counted into the queue.
    Queued,
    /// It was lost: the queue was full.
    Lost(LossCause),
}

/// The counts of one queue.
///
/// # Invariants
///
/// `records` and `bytes` are the sums of what was admitted and not yet
/// released; `lost` only grows, until it wraps as upstream's counter does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueAccount {
    /// The most records queued at once; 0 means no limit on the count.
    pub backlog_limit: u32,
    /// The most bytes queued at once.
    pub byte_limit: usize,
    records: u32,
    bytes: usize,
    lost: u32,
}

impl QueueAccount {
    /// An empty queue with these limits.
    pub const fn new(backlog_limit: u32, byte_limit: usize) -> Self {
        Self {
            backlog_limit,
            byte_limit,
            records: 0,
            bytes: 0,
            lost: 0,
        }
    }

    /// Counts a record of `len` bytes in, or counts it lost.
    pub fn admit(&mut self, len: usize) -> Admit {
        self.admit_with(len, true)
    }

    /// Counts in a record of an event whose first record found room, or
    /// counts it lost: past `backlog_limit`, within the byte limit. Its
    /// task waited for room (`backlog_wait_time`), as upstream's waits
    /// before each record; the event's other records are not lost for a
    /// count that a wait would have let them into.
    pub fn admit_rest_of_event(&mut self, len: usize) -> Admit {
        self.admit_with(len, false)
    }

    fn admit_with(&mut self, len: usize, count_limited: bool) -> Admit {
        let over_count =
            count_limited && self.backlog_limit != 0 && self.records >= self.backlog_limit;
        // No `is_none_or`: the kernel's minimum Rust is 1.78.
        let over_bytes = match self.bytes.checked_add(len) {
            Some(bytes) => bytes > self.byte_limit,
            None => true,
        };
        if over_count || over_bytes {
            self.lost = self.lost.wrapping_add(1);
            return Admit::Lost(if over_count {
                LossCause::BacklogLimit
            } else {
                LossCause::QueuedBytes
            });
        }
        self.records += 1;
        self.bytes += len;
        Admit::Queued
    }

    /// Whether the next record is lost whatever its size.
    pub fn is_full(&self) -> bool {
        self.backlog_limit != 0 && self.records >= self.backlog_limit
    }

    /// Counts a record of `len` bytes lost without queuing it (no memory,
    /// or its daemon went away before it was sent).
    pub fn count_lost(&mut self) {
        self.lost = self.lost.wrapping_add(1);
    }

    /// Counts a queued record of `len` bytes out (sent, or dropped and
    /// counted lost through [`Self::count_lost`]).
    pub fn release(&mut self, len: usize) {
        debug_assert!(self.records > 0 && self.bytes >= len);
        self.records = self.records.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(len);
    }

    /// Counts `records` queued records of `bytes` in all out at once, and
    /// `lost` of them lost: a delivery run settles its batch so, with one
    /// lock round trip instead of one per record.
    pub fn settle(&mut self, records: u32, bytes: usize, lost: u32) {
        debug_assert!(self.records >= records && self.bytes >= bytes && lost <= records);
        self.records = self.records.saturating_sub(records);
        self.bytes = self.bytes.saturating_sub(bytes);
        self.lost = self.lost.wrapping_add(lost);
    }

    /// Resets the lost count (`AUDIT_SET` with the lost bit), returning it.
    pub fn take_lost(&mut self) -> u32 {
        core::mem::replace(&mut self.lost, 0)
    }

    /// Records queued now (`backlog` in `AUDIT_GET`).
    pub fn records(&self) -> u32 {
        self.records
    }

    /// Bytes queued now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Records lost so far (`lost` in `AUDIT_GET`).
    pub fn lost(&self) -> u32 {
        self.lost
    }
}

/// A namespace's `rate_limit`: records a second, counted as upstream's
/// `audit_rate_check()` counts them, so that a namespace's limit means
/// what the host's does.
///
/// Upstream's check is a counter that is reset, and the record admitted,
/// only when more than a second has passed since the last reset; below
/// the limit every record passes. So once a burst reaches the limit, one
/// record a second passes until the burst ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// When the counter was last reset, in jiffies.
    last_reset: usize,
    /// Records counted since then.
    counted: u32,
}

impl RateLimit {
    /// A limit that has counted nothing.
    pub const fn new() -> Self {
        Self {
            last_reset: 0,
            counted: 0,
        }
    }

    /// Whether a record may be queued at `now` (jiffies, an `unsigned
    /// long` that wraps) under `limit` records a second (0: no limit),
    /// with `hz` jiffies a second.
    pub fn admit(&mut self, limit: u32, now: usize, hz: usize) -> bool {
        if limit == 0 {
            return true;
        }
        self.counted = self.counted.saturating_add(1);
        if self.counted < limit {
            return true;
        }
        if now.wrapping_sub(self.last_reset) > hz {
            self.last_reset = now;
            self.counted = 0;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod rate_tests {
    use super::*;

    const HZ: usize = 1000;

    #[test]
    fn no_limit_admits_everything() {
        let mut rate = RateLimit::new();
        assert!((0..100_000).all(|_| rate.admit(0, 5, HZ)));
    }

    #[test]
    fn a_burst_passes_below_the_limit_then_one_a_second() {
        // As audit_rate_check(): limit 5 passes 4 records, then one after
        // more than a second since the last reset, then 4 more after it.
        let mut rate = RateLimit::new();
        let now = 10 * HZ;
        let passed: [bool; 10] = core::array::from_fn(|_| rate.admit(5, now, HZ));
        assert_eq!(
            passed,
            [true, true, true, true, true, true, true, true, true, false]
        );
        assert!(!rate.admit(5, now + HZ, HZ));
        assert!(rate.admit(5, now + HZ + 1, HZ));
        let after: [bool; 5] = core::array::from_fn(|_| rate.admit(5, now + HZ + 1, HZ));
        assert_eq!(after, [true, true, true, true, false]);
    }

    #[test]
    fn jiffies_wrap() {
        let mut rate = RateLimit::new();
        let now = usize::MAX - 10;
        assert!(rate.admit(1, now, HZ));
        assert!(!rate.admit(1, now, HZ));
        assert!(!rate.admit(1, now.wrapping_add(HZ), HZ));
        assert!(rate.admit(1, now.wrapping_add(HZ + 1), HZ));
    }
}

#[cfg(test)]
mod settle_tests {
    use super::*;

    #[test]
    fn settling_a_batch_equals_releasing_each_record() {
        let mut each = QueueAccount::new(0, 1 << 20);
        let mut batch = QueueAccount::new(0, 1 << 20);
        for len in [100, 200, 300] {
            assert_eq!(each.admit(len), Admit::Queued);
            assert_eq!(batch.admit(len), Admit::Queued);
        }
        each.release(100);
        each.release(200);
        each.count_lost();
        batch.settle(2, 300, 1);
        assert_eq!((each.records(), each.bytes(), each.lost()), (1, 300, 1));
        assert_eq!((batch.records(), batch.bytes(), batch.lost()), (1, 300, 1));
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    #[test]
    fn backlog_limit_counts_records() {
        let mut queue = QueueAccount::new(2, 1 << 20);
        assert_eq!(queue.admit(10), Admit::Queued);
        assert_eq!(queue.admit(10), Admit::Queued);
        assert!(queue.is_full());
        assert_eq!(queue.admit(10), Admit::Lost(LossCause::BacklogLimit));
        assert_eq!((queue.records(), queue.bytes(), queue.lost()), (2, 20, 1));
        queue.release(10);
        assert_eq!(queue.admit(10), Admit::Queued);
        assert_eq!(queue.take_lost(), 1);
        assert_eq!(queue.lost(), 0);
    }

    #[test]
    fn the_rest_of_an_event_passes_the_count_not_the_bytes() {
        let mut queue = QueueAccount::new(1, 100);
        assert_eq!(queue.admit(10), Admit::Queued);
        assert_eq!(queue.admit(10), Admit::Lost(LossCause::BacklogLimit));
        assert_eq!(queue.admit_rest_of_event(10), Admit::Queued);
        assert_eq!(
            queue.admit_rest_of_event(81),
            Admit::Lost(LossCause::QueuedBytes)
        );
        assert_eq!((queue.records(), queue.bytes(), queue.lost()), (2, 20, 2));
    }

    #[test]
    fn byte_limit_holds_even_without_backlog_limit() {
        let mut queue = QueueAccount::new(0, 100);
        assert_eq!(queue.admit(60), Admit::Queued);
        assert_eq!(queue.admit(41), Admit::Lost(LossCause::QueuedBytes));
        assert_eq!(queue.admit(40), Admit::Queued);
        assert_eq!(queue.admit(usize::MAX), Admit::Lost(LossCause::QueuedBytes));
    }

    proptest! {
        /// Against a model: every record is either delivered or counted
        /// lost, and the limits hold at every step.
        #[test]
        fn every_record_is_delivered_or_lost(
            limit in 0u32..16,
            byte_limit in 0usize..2000,
            steps in proptest::collection::vec((any::<bool>(), 1usize..300), 0..200),
        ) {
            let mut queue = QueueAccount::new(limit, byte_limit);
            let mut model: VecDeque<usize> = VecDeque::new();
            let (mut offered, mut delivered) = (0u32, 0u32);
            for (enqueue, len) in steps {
                if enqueue {
                    offered += 1;
                    if queue.admit(len) == Admit::Queued {
                        model.push_back(len);
                    }
                } else if let Some(len) = model.pop_front() {
                    queue.release(len);
                    delivered += 1;
                }
                prop_assert!(limit == 0 || queue.records() <= limit);
                prop_assert!(queue.bytes() <= byte_limit);
                prop_assert_eq!(queue.records() as usize, model.len());
                prop_assert_eq!(queue.bytes(), model.iter().sum::<usize>());
            }
            prop_assert_eq!(offered, delivered + queue.records() + queue.lost());
        }
    }
}
