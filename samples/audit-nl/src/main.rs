// SPDX-License-Identifier: GPL-2.0

//! `audit-nl`: send one audit netlink request and print the kernel's answer.
//!
//! libaudit hides some kernel errors on purpose (`ECONNREFUSED` reads as "no
//! audit in this kernel", and `auditctl` then exits 0), so tests that must
//! tell errnos apart use this instead:
//!
//! ```text
//! audit-nl get            AUDIT_GET: prints "enabled=.. pid=.. ..." or the errno
//! audit-nl user TEXT      AUDIT_USER_MSG with TEXT: prints "ok" or the errno
//! ```
//!
//! Exit status: 0 when the kernel accepted the request, 1 when it answered
//! with an error (printed by name, e.g. `ECONNREFUSED`), 2 on a usage or
//! local error.

use std::io;
use std::mem::size_of;
use std::process::ExitCode;

#[path = "../../errno_name.rs"]
mod errno_name;
use errno_name::errno_name;

const NETLINK_AUDIT: libc::c_int = 9;
const AUDIT_GET: u16 = 1000;
const AUDIT_USER_MSG: u16 = 1107;
const NLMSG_ERROR: u16 = 2;
const NLMSG_HDRLEN: usize = size_of::<libc::nlmsghdr>();

/// `struct audit_status` of `<uapi/linux/audit.h>`, as far as tests read it.
#[repr(C)]
#[derive(Default)]
struct AuditStatus {
    mask: u32,
    enabled: u32,
    failure: u32,
    pid: u32,
    rate_limit: u32,
    backlog_limit: u32,
    lost: u32,
    backlog: u32,
    feature_bitmap: u32,
    backlog_wait_time: u32,
    backlog_wait_time_actual: u32,
}

/// The kernel's answer to one request.
enum Reply {
    /// A message of the given type and payload.
    Message(u16, Vec<u8>),
    /// The acknowledgement (error 0).
    Ack,
    /// An error, as a positive errno.
    Error(i32),
}

struct AuditSocket(libc::c_int);

impl AuditSocket {
    fn open() -> io::Result<Self> {
        // SAFETY: plain socket(2) call; the result is checked.
        let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, NETLINK_AUDIT) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self(fd))
    }

    fn send(&self, msg_type: u16, payload: &[u8]) -> io::Result<()> {
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

    fn receive(&self) -> io::Result<Reply> {
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

fn status_text(payload: &[u8]) -> String {
    let mut status = AuditStatus::default();
    let len = payload.len().min(size_of::<AuditStatus>());
    // SAFETY: `AuditStatus` is plain old data; at most its size is copied.
    unsafe {
        std::ptr::copy_nonoverlapping(
            payload.as_ptr(),
            (&mut status as *mut AuditStatus).cast(),
            len,
        )
    };
    format!(
        "enabled={} failure={} pid={} rate_limit={} backlog_limit={} lost={} backlog={}",
        status.enabled,
        status.failure,
        status.pid,
        status.rate_limit,
        status.backlog_limit,
        status.lost,
        status.backlog
    )
}

/// Sends one request and prints what the kernel answered.
///
/// Upstream sends an `AUDIT_GET` reply from a kernel thread, so it may come
/// before or after the acknowledgement: wait for both.
fn request(msg_type: u16, payload: &[u8]) -> io::Result<ExitCode> {
    let socket = AuditSocket::open()?;
    socket.send(msg_type, payload)?;
    let mut acked = false;
    let mut status = None;
    while !acked || (msg_type == AUDIT_GET && status.is_none()) {
        match socket.receive()? {
            Reply::Error(errno) => {
                println!("{}", errno_name(errno));
                return Ok(ExitCode::from(1));
            }
            Reply::Ack => acked = true,
            Reply::Message(AUDIT_GET, payload) if msg_type == AUDIT_GET => {
                status = Some(status_text(&payload));
            }
            Reply::Message(other, _) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unexpected reply type {other}"),
                ))
            }
        }
    }
    println!("{}", status.unwrap_or_else(|| "ok".into()));
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["get"] => request(AUDIT_GET, &[]),
        ["user", text] => {
            let mut payload = text.as_bytes().to_vec();
            payload.push(0);
            request(AUDIT_USER_MSG, &payload)
        }
        _ => {
            eprintln!("usage: audit-nl get | audit-nl user TEXT");
            return ExitCode::from(2);
        }
    };
    result.unwrap_or_else(|err| {
        eprintln!("audit-nl: {err}");
        ExitCode::from(2)
    })
}
