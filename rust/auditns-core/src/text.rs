// SPDX-License-Identifier: GPL-2.0

//! A fixed-capacity text buffer, for formatting records without allocating.

use core::fmt;

/// Up to `N - 1` bytes of text, always followed by a NUL so that C can read
/// it as a string.
pub struct TextBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> TextBuf<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }

    /// The text written so far, without the NUL.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The text followed by its NUL terminator.
    pub fn as_bytes_with_nul(&self) -> &[u8] {
        &self.buf[..=self.len]
    }
}

impl<const N: usize> Default for TextBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for TextBuf<N> {
    /// Appends `s`, or fails leaving the buffer unchanged if `s` and the NUL
    /// would not fit: a record is never cut short silently.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        if end >= N || s.as_bytes().contains(&0) {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.buf[end] = 0;
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::TextBuf;
    use core::fmt::Write;

    #[test]
    fn keeps_text_nul_terminated() {
        let mut text = TextBuf::<16>::new();
        assert_eq!(text.as_bytes_with_nul(), b"\0");
        write!(text, "contid={}", 42).unwrap();
        assert_eq!(text.as_bytes(), b"contid=42");
        assert_eq!(text.as_bytes_with_nul(), b"contid=42\0");
    }

    #[test]
    fn refuses_what_does_not_fit_and_keeps_what_did() {
        let mut text = TextBuf::<8>::new();
        text.write_str("1234567").unwrap();
        assert!(text.write_str("8").is_err());
        assert_eq!(text.as_bytes_with_nul(), b"1234567\0");
    }

    #[test]
    fn refuses_embedded_nul() {
        let mut text = TextBuf::<8>::new();
        assert!(text.write_str("a\0b").is_err());
        assert_eq!(text.as_bytes(), b"");
    }
}
