// SPDX-License-Identifier: GPL-2.0

//! Rate limits for kernel messages, one per kind of message.
//!
//! The 6.12 kernel crate has no `pr_*_ratelimited!`, and
//! `__printk_ratelimit()` shares one limit among all its callers in the
//! kernel, so a flood of one kind of message would silence every other. A
//! [`Ratelimit`] is one call site's own limit, with the defaults of
//! `DEFINE_RATELIMIT_STATE()`: at most 10 messages in each 5 s.

use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use kernel::{
    bindings,
    time::{msecs_to_jiffies, Jiffies},
};

/// `DEFAULT_RATELIMIT_INTERVAL`, in ms.
const INTERVAL_MS: u32 = 5000;
/// `DEFAULT_RATELIMIT_BURST`.
const BURST: u32 = 10;

/// The limit of one kind of message, for a `static`.
pub(crate) struct Ratelimit {
    /// When the current window began, in jiffies.
    begin: AtomicUsize,
    /// Messages asked for in the current window.
    asked: AtomicU32,
}

impl Ratelimit {
    pub(crate) const fn new() -> Self {
        Self {
            begin: AtomicUsize::new(0),
            asked: AtomicU32::new(0),
        }
    }

    /// Whether a message may be printed now.
    ///
    /// Callers that race at the start of a window may get one or two
    /// messages more or fewer than the burst; the limit needs no lock.
    pub(crate) fn allow(&self) -> bool {
        let now = jiffies();
        let interval = msecs_to_jiffies(INTERVAL_MS);
        let begin = self.begin.load(Ordering::Relaxed);
        if now.wrapping_sub(begin) >= interval
            && self
                .begin
                .compare_exchange(begin, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.asked.store(0, Ordering::Relaxed);
        }
        self.asked.fetch_add(1, Ordering::Relaxed) < BURST
    }
}

/// The kernel's tick count, as `READ_ONCE(jiffies)` reads it.
pub(crate) fn jiffies() -> Jiffies {
    // SAFETY: `jiffies` is a kernel global that lives forever. The timer
    // tick writes it meanwhile, but it is an aligned machine word, which a
    // volatile read, like the kernel's own `READ_ONCE()`, reads whole.
    unsafe { core::ptr::read_volatile(core::ptr::addr_of!(bindings::jiffies)) }
}
