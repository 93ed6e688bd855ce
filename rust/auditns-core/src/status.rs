// SPDX-License-Identifier: GPL-2.0

//! A namespace's audit settings and the `AUDIT_GET`/`AUDIT_SET` messages.
//!
//! `struct audit_status` is eleven `u32`s in host byte order. A sender may
//! send fewer bytes (older tools do); the missing fields read as zero, as
//! upstream's `audit_receive_msg()` does.

use crate::queue::DEFAULT_BACKLOG_LIMIT;

use crate::errno;

/// Bits of `audit_status.mask`: which fields an `AUDIT_SET` changes.
pub mod mask {
    /// `enabled`.
    pub const ENABLED: u32 = 0x0001;
    /// `failure`.
    pub const FAILURE: u32 = 0x0002;
    /// `pid`: register or unregister the daemon.
    pub const PID: u32 = 0x0004;
    /// `rate_limit`.
    pub const RATE_LIMIT: u32 = 0x0008;
    /// `backlog_limit`.
    pub const BACKLOG_LIMIT: u32 = 0x0010;
    /// `backlog_wait_time`.
    pub const BACKLOG_WAIT_TIME: u32 = 0x0020;
    /// Reset `lost` to zero.
    pub const LOST: u32 = 0x0040;
    /// Reset `backlog_wait_time_actual` to zero.
    pub const BACKLOG_WAIT_TIME_ACTUAL: u32 = 0x0080;
}

/// The features this implementation reports in `feature_bitmap`:
/// backlog limit, backlog wait time, executable path (`exe=`), exclude by
/// message type, session ID filter, lost reset and the filesystem list
/// (`fstype=`); not the io_uring list (0x80).
pub const FEATURE_BITMAP: u32 = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x20 | 0x40;

/// `enabled` value that locks the settings until reboot (here: until the
/// namespace goes away).
pub const ENABLED_LOCKED: u32 = 2;

/// A namespace's `backlog_wait_time` until its root sets one: 0, so that
/// its tasks never wait for its daemon unless asked to. Upstream's host
/// default is a minute, which a container that never set it, with a daemon
/// that stalls, would pay on each event.
pub const DEFAULT_BACKLOG_WAIT_TIME: u32 = 0;

/// Upstream's largest `backlog_wait_time` (10 minutes, at HZ=1000).
pub const MAX_BACKLOG_WAIT_TIME: u32 = 10 * 60 * 1000;

/// The settings bits that locked settings refuse; registering a daemon and
/// resetting the lost count stay allowed, as upstream.
const LOCKED_BITS: u32 = mask::ENABLED
    | mask::FAILURE
    | mask::RATE_LIMIT
    | mask::BACKLOG_LIMIT
    | mask::BACKLOG_WAIT_TIME;

/// Size of `struct audit_status` on the wire.
pub const STATUS_LEN: usize = 11 * 4;

/// `struct audit_status`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// Which fields an `AUDIT_SET` changes ([`mask`]).
    pub mask: u32,
    /// 0 off, 1 on, 2 locked.
    pub enabled: u32,
    /// 0 silent, 1 printk, 2 kill the namespace.
    pub failure: u32,
    /// The daemon's process ID, in the sender's view.
    pub pid: u32,
    /// Records per second, 0 for no limit.
    pub rate_limit: u32,
    /// Most records queued.
    pub backlog_limit: u32,
    /// Records lost.
    pub lost: u32,
    /// Records queued now.
    pub backlog: u32,
    /// Features supported ([`FEATURE_BITMAP`]).
    pub feature_bitmap: u32,
    /// How long a task may wait for room in the queue.
    pub backlog_wait_time: u32,
    /// How long tasks waited in all.
    pub backlog_wait_time_actual: u32,
}

impl Status {
    /// `Some(pid)` if the message registers (or, with 0, unregisters) a
    /// daemon.
    pub fn wants_pid(&self) -> Option<u32> {
        (self.mask & mask::PID != 0).then_some(self.pid)
    }

    /// Reads a status from up to [`STATUS_LEN`] bytes; missing ones are zero.
    pub fn from_wire(data: &[u8]) -> Self {
        // rustfmt leaves the pattern on one line, past the kernel's 100 columns.
        #[rustfmt::skip]
        let [
            mask, enabled, failure, pid, rate_limit, backlog_limit, lost, backlog,
            feature_bitmap, backlog_wait_time, backlog_wait_time_actual,
        ] = read_words(data);
        Self {
            mask,
            enabled,
            failure,
            pid,
            rate_limit,
            backlog_limit,
            lost,
            backlog,
            feature_bitmap,
            backlog_wait_time,
            backlog_wait_time_actual,
        }
    }

    /// The status as sent in reply to `AUDIT_GET`.
    pub fn to_wire(self) -> [u8; STATUS_LEN] {
        let words = [
            self.mask,
            self.enabled,
            self.failure,
            self.pid,
            self.rate_limit,
            self.backlog_limit,
            self.lost,
            self.backlog,
            self.feature_bitmap,
            self.backlog_wait_time,
            self.backlog_wait_time_actual,
        ];
        let mut out = [0u8; STATUS_LEN];
        write_words(&mut out, &words);
        out
    }
}

/// The first `N` `u32`s of `data`, in host byte order, as the kernel's
/// structs of `u32`s are sent; missing ones are zero.
///
/// Indexed, not zipped: in the module, `zip` over chunks brings in core's
/// random-access helpers, whose panic paths objtool 6.12 does not know as
/// noreturn ("falls through to next function").
fn read_words<const N: usize>(data: &[u8]) -> [u32; N] {
    let mut words = [0u32; N];
    for (i, word) in words.iter_mut().enumerate() {
        if let Some(bytes) = data.get(4 * i..4 * i + 4) {
            *word = u32::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        }
    }
    words
}

/// `words` into `out`, in host byte order; indexed as [`read_words`].
fn write_words(out: &mut [u8], words: &[u32]) {
    for (i, word) in words.iter().enumerate() {
        if let Some(chunk) = out.get_mut(4 * i..4 * i + 4) {
            chunk.copy_from_slice(&word.to_ne_bytes());
        }
    }
}

/// Size of `struct audit_ns_status` on the wire.
pub const NS_STATUS_LEN: usize = 12 * 4;

/// `struct audit_ns_status`: one namespace of the host's `AUDIT_NS_LIST`
/// answer, as the initial namespaces see it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NsStatus {
    /// The nsfs inode number of the user namespace.
    pub userns: u32,
    /// That of its parent.
    pub parent: u32,
    /// The host uid that created it.
    pub owner: u32,
    /// Its rules, in every list.
    pub rules: u32,
    /// Its `AUDIT_GET` status, with the daemon's host PID; `mask`,
    /// `feature_bitmap` and `backlog_wait_time_actual` are not sent.
    pub status: Status,
}

impl NsStatus {
    /// The fields' names, in the order of `struct audit_ns_status`.
    pub const NAMES: [&'static str; 12] = [
        "userns",
        "parent",
        "owner",
        "rules",
        "enabled",
        "failure",
        "pid",
        "rate_limit",
        "backlog_limit",
        "lost",
        "backlog",
        "backlog_wait_time",
    ];

    /// The fields' values, in the order of [`Self::NAMES`].
    pub fn words(&self) -> [u32; 12] {
        let status = self.status;
        [
            self.userns,
            self.parent,
            self.owner,
            self.rules,
            status.enabled,
            status.failure,
            status.pid,
            status.rate_limit,
            status.backlog_limit,
            status.lost,
            status.backlog,
            status.backlog_wait_time,
        ]
    }

    /// The message as sent in the `AUDIT_NS_LIST` answer.
    pub fn to_wire(self) -> [u8; NS_STATUS_LEN] {
        let mut out = [0u8; NS_STATUS_LEN];
        write_words(&mut out, &self.words());
        out
    }

    /// A message of the `AUDIT_NS_LIST` answer; `None` if it is short.
    pub fn from_wire(data: &[u8]) -> Option<Self> {
        if data.len() < NS_STATUS_LEN {
            return None;
        }
        // rustfmt leaves the pattern on one line, past the kernel's 100 columns.
        #[rustfmt::skip]
        let [
            userns, parent, owner, rules, enabled, failure, pid, rate_limit, backlog_limit, lost,
            backlog, backlog_wait_time,
        ] = read_words(data);
        Some(Self {
            userns,
            parent,
            owner,
            rules,
            status: Status {
                enabled,
                failure,
                pid,
                rate_limit,
                backlog_limit,
                lost,
                backlog,
                backlog_wait_time,
                ..Status::default()
            },
        })
    }
}

/// The settings a namespace's `AUDIT_SET` changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// 0 off, 1 on, 2 locked.
    pub enabled: u32,
    /// 0 silent, 1 printk, 2 kill the namespace.
    pub failure: u32,
    /// Records per second, 0 for no limit.
    pub rate_limit: u32,
    /// Most records queued.
    pub backlog_limit: u32,
    /// Jiffies a task waits for room in a full queue before its event's
    /// records, at most.
    pub backlog_wait_time: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: 1,
            failure: 1,
            rate_limit: 0,
            backlog_limit: DEFAULT_BACKLOG_LIMIT,
            backlog_wait_time: DEFAULT_BACKLOG_WAIT_TIME,
        }
    }
}

/// What an `AUDIT_SET` asks for besides the settings it changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetRequest {
    /// `Some(pid)`: register the daemon `pid` (0: unregister).
    pub pid: Option<u32>,
    /// Reset the lost count; the old count is the answer.
    pub reset_lost: bool,
    /// Reset `backlog_wait_time_actual`; the old value is the answer.
    pub reset_wait_actual: bool,
}

impl Settings {
    /// The settings `status` sets, as `(name, new, old)` in the order and
    /// with the names upstream's `AUDIT_SET` logs them in `CONFIG_CHANGE`
    /// records; every setting asked for counts, changed or not. The daemon
    /// (`audit_pid`) and the lost count are logged where they are handled.
    pub fn changes<'a>(
        &'a self,
        status: &'a Status,
    ) -> impl Iterator<Item = (&'static str, u32, u32)> + 'a {
        [
            (mask::ENABLED, "audit_enabled", status.enabled, self.enabled),
            (mask::FAILURE, "audit_failure", status.failure, self.failure),
            (
                mask::RATE_LIMIT,
                "audit_rate_limit",
                status.rate_limit,
                self.rate_limit,
            ),
            (
                mask::BACKLOG_LIMIT,
                "audit_backlog_limit",
                status.backlog_limit,
                self.backlog_limit,
            ),
            (
                mask::BACKLOG_WAIT_TIME,
                "audit_backlog_wait_time",
                status.backlog_wait_time,
                self.backlog_wait_time,
            ),
        ]
        .into_iter()
        .filter(|&(bit, ..)| status.mask & bit != 0)
        .map(|(_, name, new, old)| (name, new, old))
    }

    /// Applies `status` as upstream's `AUDIT_SET` does, all or nothing.
    ///
    /// Returns `EINVAL` for an out-of-range value and `EPERM` for a change
    /// of a setting while they are locked. The lost count is reset only by
    /// a message that asks for nothing else, as upstream.
    pub fn apply(&mut self, status: &Status) -> Result<SetRequest, i32> {
        let wants = |bit: u32| status.mask & bit != 0;
        if self.enabled == ENABLED_LOCKED && status.mask & LOCKED_BITS != 0 {
            return Err(errno::EPERM);
        }
        if wants(mask::BACKLOG_WAIT_TIME) && status.backlog_wait_time > MAX_BACKLOG_WAIT_TIME {
            return Err(errno::EINVAL);
        }
        if wants(mask::ENABLED) && status.enabled > ENABLED_LOCKED {
            return Err(errno::EINVAL);
        }
        if wants(mask::FAILURE) && status.failure > 2 {
            return Err(errno::EINVAL);
        }
        let mut next = *self;
        if wants(mask::ENABLED) {
            next.enabled = status.enabled;
        }
        if wants(mask::FAILURE) {
            next.failure = status.failure;
        }
        if wants(mask::RATE_LIMIT) {
            next.rate_limit = status.rate_limit;
        }
        if wants(mask::BACKLOG_LIMIT) {
            next.backlog_limit = status.backlog_limit;
        }
        if wants(mask::BACKLOG_WAIT_TIME) {
            next.backlog_wait_time = status.backlog_wait_time;
        }
        *self = next;
        Ok(SetRequest {
            pid: status.wants_pid(),
            reset_lost: status.mask == mask::LOST,
            reset_wait_actual: status.mask == mask::BACKLOG_WAIT_TIME_ACTUAL,
        })
    }
}

/// `struct audit_features` (`AUDIT_GET_FEATURE`, `AUDIT_SET_FEATURE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    /// Must be [`Features::VERSION`].
    pub vers: u32,
    /// Which features a set changes.
    pub mask: u32,
    /// The features that are on.
    pub features: u32,
    /// The features that can no longer change.
    pub lock: u32,
}

impl Features {
    /// `AUDIT_FEATURE_VERSION`.
    pub const VERSION: u32 = 1;
    /// `only_unset_loginuid` and `loginuid_immutable`.
    pub const KNOWN: u32 = 0b11;
    /// Size on the wire.
    pub const LEN: usize = 16;

    /// Reads up to [`Self::LEN`] bytes; missing ones are zero.
    pub fn from_wire(data: &[u8]) -> Self {
        let word = |i: usize| {
            data.get(4 * i..4 * i + 4)
                .map_or(0, |b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
        };
        Self {
            vers: word(0),
            mask: word(1),
            features: word(2),
            lock: word(3),
        }
    }

    /// The wire form.
    pub fn to_wire(self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        for (chunk, word) in
            out.chunks_exact_mut(4)
                .zip([self.vers, self.mask, self.features, self.lock])
        {
            chunk.copy_from_slice(&word.to_ne_bytes());
        }
        out
    }

    /// Applies a `AUDIT_SET_FEATURE` request to `self` (the current state),
    /// as upstream's `audit_set_feature()` does: bits it does not know are
    /// ignored, a locked feature may not change (`EPERM`), and a lock, once
    /// set, stays.
    pub fn apply(&mut self, request: &Features) -> Result<(), i32> {
        let mask = request.mask & Self::KNOWN;
        if (self.features ^ request.features) & mask & self.lock != 0 {
            return Err(errno::EPERM);
        }
        self.features = (self.features & !mask) | (request.features & mask);
        self.lock |= request.lock & mask;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ns_status_wire_layout() {
        let ns = NsStatus {
            userns: 0xf000_0001,
            parent: 0xefff_fffd,
            owner: 1000,
            rules: 3,
            status: Status {
                mask: 0xff,
                enabled: 1,
                failure: 2,
                pid: 42,
                rate_limit: 5,
                backlog_limit: 64,
                lost: 7,
                backlog: 9,
                feature_bitmap: FEATURE_BITMAP,
                backlog_wait_time: 11,
                backlog_wait_time_actual: 13,
            },
        };
        let wire = ns.to_wire();
        let mut words = [0u32; 12];
        for (word, c) in words.iter_mut().zip(wire.chunks_exact(4)) {
            *word = u32::from_ne_bytes([c[0], c[1], c[2], c[3]]);
        }
        // The order of struct audit_ns_status's fields.
        assert_eq!(
            words,
            [0xf000_0001, 0xefff_fffd, 1000, 3, 1, 2, 42, 5, 64, 7, 9, 11]
        );
        // What is read back is what is sent: the fields AUDIT_GET has and
        // the listing does not are zero.
        let back = NsStatus::from_wire(&wire).unwrap();
        assert_eq!(back.words(), ns.words());
        assert_eq!(back.status.mask, 0);
        assert_eq!(NsStatus::from_wire(&wire[..NS_STATUS_LEN - 1]), None);
    }

    #[test]
    fn short_status_reads_zeroes() {
        let status = Status::from_wire(&[1, 0, 0, 0, 1]);
        assert_eq!(status.mask, 1);
        assert_eq!(status.enabled, 0);
    }

    #[test]
    fn set_checks_ranges_all_or_nothing() {
        let mut settings = Settings::default();
        let bad = Status {
            mask: mask::BACKLOG_LIMIT | mask::FAILURE,
            backlog_limit: 8,
            failure: 3,
            ..Status::default()
        };
        assert_eq!(settings.apply(&bad), Err(errno::EINVAL));
        assert_eq!(settings, Settings::default());
        let good = Status {
            mask: mask::BACKLOG_LIMIT | mask::FAILURE | mask::PID,
            backlog_limit: 8,
            failure: 2,
            pid: 42,
            ..Status::default()
        };
        assert_eq!(
            settings.apply(&good),
            Ok(SetRequest {
                pid: Some(42),
                ..SetRequest::default()
            })
        );
        assert_eq!((settings.backlog_limit, settings.failure), (8, 2));
    }

    #[test]
    fn counters_reset_only_alone() {
        let mut settings = Settings::default();
        for (bits, lost, wait) in [
            (mask::LOST, true, false),
            (mask::BACKLOG_WAIT_TIME_ACTUAL, false, true),
            (mask::LOST | mask::BACKLOG_WAIT_TIME_ACTUAL, false, false),
        ] {
            let status = Status {
                mask: bits,
                ..Status::default()
            };
            let request = settings.apply(&status).unwrap();
            assert_eq!(
                (request.reset_lost, request.reset_wait_actual),
                (lost, wait)
            );
        }
    }

    #[test]
    fn locked_settings_refuse_changes() {
        let mut settings = Settings::default();
        let lock = Status {
            mask: mask::ENABLED,
            enabled: ENABLED_LOCKED,
            ..Status::default()
        };
        settings.apply(&lock).unwrap();
        let unlock = Status {
            mask: mask::ENABLED,
            enabled: 1,
            ..Status::default()
        };
        assert_eq!(settings.apply(&unlock), Err(errno::EPERM));
        assert_eq!(settings.enabled, ENABLED_LOCKED);
        // A daemon may still register, and the lost count be reset.
        let register = Status {
            mask: mask::PID,
            pid: 7,
            ..Status::default()
        };
        assert_eq!(settings.apply(&register).unwrap().pid, Some(7));
        let reset = Status {
            mask: mask::LOST,
            ..Status::default()
        };
        assert!(settings.apply(&reset).unwrap().reset_lost);
        let reset_and_more = Status {
            mask: mask::LOST | mask::PID,
            ..Status::default()
        };
        assert!(!settings.apply(&reset_and_more).unwrap().reset_lost);
    }

    #[test]
    fn locked_features_stay() {
        let mut state = Features::default();
        let set_and_lock = Features {
            vers: 1,
            mask: 2,
            features: 2,
            lock: 2,
        };
        state.apply(&set_and_lock).unwrap();
        let clear = Features {
            vers: 1,
            mask: 2,
            features: 0,
            lock: 0,
        };
        assert_eq!(state.apply(&clear), Err(errno::EPERM));
        assert_eq!(state.features, 2);
        // Unknown bits are ignored; asking to unlock keeps the lock.
        let unknown = Features {
            vers: 1,
            mask: 0xfc,
            features: 0xfc,
            lock: 0,
        };
        assert_eq!(state.apply(&unknown), Ok(()));
        let same = Features {
            vers: 1,
            mask: 2,
            features: 2,
            lock: 0,
        };
        assert_eq!(state.apply(&same), Ok(()));
        assert_eq!((state.features, state.lock), (2, 2));
    }

    proptest! {
        #[test]
        fn status_round_trips(words in proptest::array::uniform11(any::<u32>())) {
            let mut bytes = [0u8; STATUS_LEN];
            for (chunk, word) in bytes.chunks_exact_mut(4).zip(words) {
                chunk.copy_from_slice(&word.to_ne_bytes());
            }
            prop_assert_eq!(Status::from_wire(&bytes).to_wire(), bytes);
        }

        /// A refused set changes nothing.
        #[test]
        fn refused_set_changes_nothing(
            mask in any::<u32>(), enabled in 0u32..4, failure in 0u32..4, limit in any::<u32>(),
            locked in any::<bool>(),
        ) {
            let mut settings = Settings::default();
            if locked {
                settings.enabled = ENABLED_LOCKED;
            }
            let before = settings;
            let status = Status {
                mask, enabled, failure, backlog_limit: limit, ..Status::default()
            };
            if settings.apply(&status).is_err() {
                prop_assert_eq!(settings, before);
            }
        }
    }
}
