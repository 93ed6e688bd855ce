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
//! audit-nl send TYPE      a message of TYPE with no payload: prints "ok" or the errno
//! audit-nl contid-rule add|del SYSCALL CONTID KEY
//!                         an exit rule for SYSCALL (x86_64) with -F contid=CONTID,
//!                         which Debian's auditctl does not know: "ok" or the errno
//! audit-nl contid-filter add|del exclude|user CONTID
//!                         a "never" rule on the exclude or user list with
//!                         -F contid=CONTID: "ok" or the errno
//! audit-nl uring-rule add|del OPCODE UID KEY
//!                         an io_uring-list rule for OPCODE (IORING_OP_*) with
//!                         -F uid=UID, which Debian's auditctl cannot send:
//!                         "ok" or the errno
//! audit-nl malformed-rules
//!                         sends every case of the malformed-rule generator as
//!                         AUDIT_ADD_RULE; prints "refused=N accepted=N" and the
//!                         count of each errno; fails if the kernel took any
//! audit-nl ns-list        AUDIT_NS_LIST, the host's listing of every user
//!                         namespace with audit state: a line each,
//!                         "userns=.. parent=.. owner=.. pid=.. rules=..
//!                         enabled=.. failure=.. backlog=.. backlog_limit=..
//!                         lost=.. rate_limit=.. backlog_wait_time=..", PIDs
//!                         and uids as the host sees them; or the errno
//! audit-nl collect FILE [HOLD_S [QUIET_MS]]
//!                         registers as the audit daemon, reads nothing for
//!                         HOLD_S seconds, then appends each record to FILE as
//!                         "type=T TEXT"; with QUIET_MS, ends after that long
//!                         without a record (30 s at least before the first)
//!                         and prints "received=N seconds=S",
//!                         S from the first record to the last
//! ```
//!
//! Exit status: 0 when the kernel accepted the request, 1 when it answered
//! with an error (printed by name, e.g. `ECONNREFUSED`), 2 on a usage or
//! local error.

use std::io::{self, Write};
use std::mem::size_of;
use std::process::ExitCode;
use std::time::Duration;

use auditns_core::rule::{action, field, list, Op, RuleBuilder, HEADER_LEN};
use auditns_core::status::NsStatus;

mod malformed;

#[path = "../../errno_name.rs"]
mod errno_name;
use errno_name::errno_name;

#[path = "../../audit_socket.rs"]
mod audit_socket;
use audit_socket::{AuditSocket, AuditStatus, Reply, NLMSG_ERROR};

const AUDIT_GET: u16 = 1000;
const AUDIT_SET: u16 = 1001;
const AUDIT_ADD_RULE: u16 = 1011;
const AUDIT_DEL_RULE: u16 = 1012;
const AUDIT_STATUS_PID: u32 = 4;
const AUDIT_USER_MSG: u16 = 1107;
const AUDIT_NS_LIST: u16 = 1030;
const NLMSG_DONE: u16 = 3;

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

/// The order the listing prints `struct audit_ns_status`'s fields in
/// ([`NsStatus::NAMES`]): the namespace, then the daemon and its queue, as
/// `auditctl -s` does.
const NS_STATUS_PRINTED: [usize; 12] = [0, 1, 2, 6, 3, 4, 5, 10, 8, 9, 7, 11];

/// Lists the host's namespaces with audit state, a line each.
fn ns_list() -> io::Result<ExitCode> {
    let socket = AuditSocket::open()?;
    socket.send(AUDIT_NS_LIST, &[])?;
    loop {
        for (msg_type, payload) in socket.receive_messages()? {
            match msg_type {
                NLMSG_DONE => return Ok(ExitCode::SUCCESS),
                NLMSG_ERROR => {
                    let errno = i32::from_ne_bytes(payload[..4].try_into().unwrap());
                    if errno == 0 {
                        // An ack: the kernel answered with no dump.
                        return Ok(ExitCode::SUCCESS);
                    }
                    println!("{}", errno_name(-errno));
                    return Ok(ExitCode::from(1));
                }
                AUDIT_NS_LIST => {
                    let Some(status) = NsStatus::from_wire(&payload) else {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("short AUDIT_NS_LIST message ({} bytes)", payload.len()),
                        ));
                    };
                    let words = status.words();
                    let line: Vec<String> = NS_STATUS_PRINTED
                        .iter()
                        .map(|&i| format!("{}={}", NsStatus::NAMES[i], words[i]))
                        .collect();
                    println!("{}", line.join(" "));
                }
                other => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("unexpected reply type {other} ({} bytes)", payload.len()),
                    ))
                }
            }
        }
    }
}

/// Sends every generated malformed rule; each must be refused.
fn malformed_rules() -> io::Result<ExitCode> {
    let mut counts: std::collections::BTreeMap<String, u32> = Default::default();
    let (mut refused, mut accepted) = (0u32, 0u32);
    for (what, payload) in malformed::cases() {
        let socket = AuditSocket::open()?;
        socket.send(AUDIT_ADD_RULE, &payload)?;
        match socket.receive()? {
            Reply::Error(errno) => {
                refused += 1;
                *counts.entry(errno_name(errno).to_string()).or_default() += 1;
            }
            Reply::Ack | Reply::Message(..) => {
                accepted += 1;
                println!("accepted: {what}");
            }
        }
    }
    print!("refused={refused} accepted={accepted}");
    for (name, count) in counts {
        print!(" {name}={count}");
    }
    println!();
    Ok(if accepted == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Registers as the audit daemon and writes the records it receives.
fn collect(path: &str, hold: Duration, quiet: Option<Duration>) -> io::Result<ExitCode> {
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let socket = AuditSocket::open()?;
    let status = AuditStatus {
        mask: AUDIT_STATUS_PID,
        pid: std::process::id(),
        ..AuditStatus::default()
    };
    // SAFETY: `AuditStatus` is plain old data.
    let payload = unsafe {
        std::slice::from_raw_parts(
            (&status as *const AuditStatus).cast::<u8>(),
            size_of::<AuditStatus>(),
        )
    };
    socket.send(AUDIT_SET, payload)?;
    let mut received = 0u64;
    let (mut first, mut last) = (None, None);
    let mut write_record =
        |msg_type: u16, text: &[u8], out: &mut std::fs::File| -> io::Result<()> {
            received += 1;
            let now = std::time::Instant::now();
            first.get_or_insert(now);
            last = Some(now);
            out.write_all(format!("type={msg_type} ").as_bytes())?;
            out.write_all(text.split(|&b| b == 0).next().unwrap_or_default())?;
            out.write_all(b"\n")
        };
    // Registered once the ack comes, or a record: only a registered daemon
    // gets records, and with a busy namespace they may fill the socket
    // before the ack, which netlink then drops (ENOBUFS).
    match socket.receive() {
        Ok(Reply::Ack) => {}
        Ok(Reply::Error(errno)) => {
            println!("{}", errno_name(errno));
            return Ok(ExitCode::from(1));
        }
        Ok(Reply::Message(msg_type, text)) => write_record(msg_type, &text, &mut out)?,
        Err(err) if err.raw_os_error() == Some(libc::ENOBUFS) => {}
        Err(err) => return Err(err),
    }
    println!("registered");
    io::stdout().flush()?;
    std::thread::sleep(hold);
    // QUIET_MS counts from the last record: the first may take a while to
    // come (a slow kernel, a rule still being added), so wait longer for it.
    let first_wait = quiet.map(|quiet| quiet.max(Duration::from_secs(30)));
    let mut seen_any = false;
    while socket.wait(if seen_any { quiet } else { first_wait })? {
        match socket.receive() {
            Ok(Reply::Message(msg_type, text)) => {
                seen_any = true;
                write_record(msg_type, &text, &mut out)?
            }
            Ok(_) => {}
            // The socket was full when the kernel tried to send: netlink
            // says so once. The kernel keeps such records queued, so
            // reading on receives them.
            Err(err) if err.raw_os_error() == Some(libc::ENOBUFS) => {}
            Err(err) => return Err(err),
        }
    }
    let seconds = match (first, last) {
        (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
        _ => 0.0,
    };
    println!("received={received} seconds={seconds:.3}");
    Ok(ExitCode::SUCCESS)
}

/// Adds (`op` "add") or deletes ("del") `rule`.
fn rule_request(op: &str, rule: &RuleBuilder) -> io::Result<ExitCode> {
    let msg_type = match op {
        "add" => AUDIT_ADD_RULE,
        "del" => AUDIT_DEL_RULE,
        _ => return Ok(ExitCode::from(2)),
    };
    let mut wire = vec![0u8; HEADER_LEN + 1024];
    let Some(len) = rule.write(&mut wire) else {
        return Ok(ExitCode::from(2));
    };
    wire.truncate(len);
    request(msg_type, &wire)
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
        ["send", msg_type] => match msg_type.parse() {
            Ok(msg_type) => request(msg_type, &[]),
            Err(_) => return ExitCode::from(2),
        },
        ["malformed-rules"] => malformed_rules(),
        ["ns-list"] => ns_list(),
        ["contid-rule", op, syscall, contid, key] => {
            let (Ok(syscall), Ok(contid)) = (syscall.parse(), contid.parse()) else {
                return ExitCode::from(2);
            };
            let rule = RuleBuilder::new(list::EXIT, action::ALWAYS)
                .syscall(syscall)
                .field(field::ARCH, Op::Equal, 0xc000_003e)
                .contid(Op::Equal, contid)
                .key(key.as_bytes());
            rule_request(op, &rule)
        }
        ["contid-filter", op, list_name, contid] => {
            let list = match *list_name {
                "exclude" => list::EXCLUDE,
                "user" => list::USER,
                _ => return ExitCode::from(2),
            };
            let Ok(contid) = contid.parse() else {
                return ExitCode::from(2);
            };
            // auditctl covers every syscall in a rule of a list without
            // syscalls; so does this.
            let rule = RuleBuilder::new(list, action::NEVER)
                .all_syscalls()
                .contid(Op::Equal, contid);
            rule_request(op, &rule)
        }
        ["uring-rule", op, opcode, uid, key] => {
            let (Ok(opcode), Ok(uid)) = (opcode.parse(), uid.parse()) else {
                return ExitCode::from(2);
            };
            let rule = RuleBuilder::new(list::URING_EXIT, action::ALWAYS)
                .syscall(opcode)
                .field(field::UID, Op::Equal, uid)
                .key(key.as_bytes());
            rule_request(op, &rule)
        }
        ["collect", path, rest @ ..] => {
            let hold = rest.first().and_then(|s| s.parse().ok()).unwrap_or(0);
            let quiet = rest
                .get(1)
                .and_then(|s| s.parse().ok())
                .map(Duration::from_millis);
            collect(path, Duration::from_secs(hold), quiet)
        }
        _ => {
            eprintln!("usage: see the comment at the top of audit-nl's main.rs");
            return ExitCode::from(2);
        }
    };
    result.unwrap_or_else(|err| {
        eprintln!("audit-nl: {err}");
        ExitCode::from(2)
    })
}
