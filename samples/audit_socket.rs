// SPDX-License-Identifier: GPL-2.0

//! The audit netlink socket of the sample tools: one request out, the
//! kernel's answers in. `audit-nl` and `auditns-attack` include this file
//! with `#[path]`.

use std::io;
use std::mem::size_of;
use std::time::Duration;

pub const NETLINK_AUDIT: libc::c_int = 9;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_HDRLEN: usize = size_of::<libc::nlmsghdr>();

/// `struct audit_status` of `<uapi/linux/audit.h>`, as far as tests read it.
#[repr(C)]
#[derive(Default)]
pub struct AuditStatus {
    pub mask: u32,
    pub enabled: u32,
    pub failure: u32,
    pub pid: u32,
    pub rate_limit: u32,
    pub backlog_limit: u32,
    pub lost: u32,
    pub backlog: u32,
    pub feature_bitmap: u32,
    pub backlog_wait_time: u32,
    pub backlog_wait_time_actual: u32,
}

/// The kernel's answer to one request.
pub enum Reply {
    /// A message of the given type and payload.
    Message(u16, Vec<u8>),
    /// The acknowledgement (error 0).
    Ack,
    /// An error, as a positive errno.
    Error(i32),
}

/// A `NETLINK_AUDIT` socket, closed when dropped.
pub struct AuditSocket(libc::c_int);

impl AuditSocket {
    /// The descriptor, for tools that send and receive raw buffers.
    #[allow(dead_code)] // audit-nl does not need it
    pub fn fd(&self) -> libc::c_int {
        self.0
    }

    /// Opens a socket to the kernel's audit.
    pub fn open() -> io::Result<Self> {
        // SAFETY: plain socket(2) call; the result is checked.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                NETLINK_AUDIT,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self(fd))
    }

    /// Sends one message of `msg_type` with `payload`, asking for an ack.
    pub fn send(&self, msg_type: u16, payload: &[u8]) -> io::Result<()> {
        let len = NLMSG_HDRLEN + payload.len();
        let header = libc::nlmsghdr {
            nlmsg_len: len as u32,
            nlmsg_type: msg_type,
            nlmsg_flags: (libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16,
            nlmsg_seq: 1,
            nlmsg_pid: 0,
        };
        let mut buf = Vec::with_capacity(len);
        // SAFETY: `nlmsghdr` is plain old data without padding.
        buf.extend_from_slice(unsafe {
            std::slice::from_raw_parts(
                (&header as *const libc::nlmsghdr).cast::<u8>(),
                NLMSG_HDRLEN,
            )
        });
        buf.extend_from_slice(payload);
        // SAFETY: an all-zero sockaddr_nl addresses the kernel.
        let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        kernel.nl_family = libc::AF_NETLINK as u16;
        // SAFETY: `buf` and `kernel` are valid for the lengths given.
        let sent = unsafe {
            libc::sendto(
                self.0,
                buf.as_ptr().cast(),
                buf.len(),
                0,
                (&kernel as *const libc::sockaddr_nl).cast(),
                size_of::<libc::sockaddr_nl>() as u32,
            )
        };
        if sent < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Waits up to `timeout` for a message; false if none came.
    pub fn wait(&self, timeout: Option<Duration>) -> io::Result<bool> {
        let mut poll = libc::pollfd {
            fd: self.0,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as i32);
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut poll, 1, ms) };
        if ready < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(ready > 0)
    }

    /// Receives one datagram and returns each message in it, as `(type,
    /// payload)`; blocks until one comes. A dump puts several messages in
    /// a datagram and ends with `NLMSG_DONE`.
    #[allow(dead_code)] // only audit-nl reads dumps
    pub fn receive_messages(&self) -> io::Result<Vec<(u16, Vec<u8>)>> {
        let mut buf = vec![0u8; 65536];
        // SAFETY: `buf` is valid for writes of its length.
        let got = unsafe { libc::recv(self.0, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if got < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut rest = &buf[..got as usize];
        let mut messages = Vec::new();
        while rest.len() >= NLMSG_HDRLEN {
            let len = u32::from_ne_bytes(rest[..4].try_into().unwrap()) as usize;
            if len < NLMSG_HDRLEN || len > rest.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "truncated netlink message",
                ));
            }
            let msg_type = u16::from_ne_bytes([rest[4], rest[5]]);
            messages.push((msg_type, rest[NLMSG_HDRLEN..len].to_vec()));
            // Messages are aligned to 4 bytes (NLMSG_ALIGN).
            rest = &rest[((len + 3) & !3).min(rest.len())..];
        }
        Ok(messages)
    }

    /// Receives one message; blocks until one comes.
    pub fn receive(&self) -> io::Result<Reply> {
        let mut buf = vec![0u8; 16384];
        // SAFETY: `buf` is valid for writes of its length.
        let got = unsafe { libc::recv(self.0, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if got < 0 {
            return Err(io::Error::last_os_error());
        }
        let got = got as usize;
        if got < NLMSG_HDRLEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "short netlink message",
            ));
        }
        let msg_type = u16::from_ne_bytes([buf[4], buf[5]]);
        let payload = buf[NLMSG_HDRLEN..got].to_vec();
        if msg_type == NLMSG_ERROR {
            let errno = i32::from_ne_bytes(payload[..4].try_into().unwrap());
            return Ok(if errno == 0 {
                Reply::Ack
            } else {
                Reply::Error(-errno)
            });
        }
        Ok(Reply::Message(msg_type, payload))
    }
}

impl Drop for AuditSocket {
    fn drop(&mut self) {
        // SAFETY: the descriptor is owned by this value.
        unsafe { libc::close(self.0) };
    }
}
