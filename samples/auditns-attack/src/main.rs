// SPDX-License-Identifier: GPL-2.0

//! `auditns-attack`: a hostile tenant, for the guest tests.
//!
//! It runs as an unprivileged user or as root of a user namespace it made
//! itself, and does what such a tenant could do to the kernel's audit and
//! to auditns: fail in `copy_process()` on purpose, flood the audit socket
//! and leave the answers unread, register and drop a daemon in a loop, hold
//! many namespaces with audit state, send malformed messages.
//!
//! ```text
//! auditns-attack clone-fail COUNT [newns|newnet|newipc|set-tid|set-tid-thread]
//!                           [--as-daemon]
//!         COUNT clones that copy_process() refuses after audit_alloc():
//!         raw clone(2)s with CLONE_NEWNS (default), CLONE_NEWNET or
//!         CLONE_NEWIPC, and SIGCHLD (EPERM for an unprivileged caller),
//!         or clone3(2)s of a process or a thread with set_tid 1 (EPERM,
//!         or EEXIST for a caller that may choose PIDs). A child made
//!         anyway exits at once and is reaped. Prints
//!         "attempts=N failed=N succeeded=N errno=NAME"
//!         with the errno of the last failure ("none" if none failed).
//!         With --as-daemon, the process first registers as its
//!         namespace's audit daemon and keeps the socket, and the line ends
//!         with "daemon=self|other|none" as AUDIT_GET tells it afterwards
//! auditns-attack thread-fail COUNT
//!         lowers RLIMIT_NPROC (soft) to the number of this process's
//!         threads, then tries COUNT pthread_create()s (EAGAIN for a user
//!         the limit binds; root of the initial namespace is exempt).
//!         Prints "attempts=N failed=N succeeded=N errno=NAME limit=L"
//! auditns-attack flood TYPE COUNT [--rcvbuf BYTES] [--hold SECONDS]
//!                      [--rule-syscall NR] [--sockets K] [--no-ack]
//!         COUNT messages of TYPE (get, list-rules, add-rule, del-rule,
//!         user, get-feature, signal-info, set, or a number for an empty
//!         message of that type), each NLM_F_REQUEST|NLM_F_ACK (no ack
//!         asked with --no-ack) with
//!         sequence numbers 1..=COUNT, in one sendmsg(2), or in as few as
//!         the socket's send buffer allows (raised with SO_SNDBUFFORCE if
//!         permitted, else SO_SNDBUF). add-rule and del-rule carry
//!         "-a always,exit -F arch=b64 -S NR -F uid=I" for message I (NR
//!         133, mknod, by default). The receive buffer is BYTES (default
//!         256; the kernel raises it to its minimum), forced past rmem_max
//!         where the caller may (SO_RCVBUFFORCE), and is never read. With
//!         --sockets K, all of it again on each of K sockets (default 1).
//!         Prints "sent=COUNT calls=N bytes=B sockets=K" once everything is
//!         sent, then keeps the sockets open for SECONDS (default 0,
//!         fractions allowed). If a send fails: "sent=I calls=N sockets=J
//!         errno=NAME" (I sent on the socket after J full ones), exit 1
//! auditns-attack register-cycle COUNT [--trigger]
//!         COUNT times: a new socket, AUDIT_SET of the audit daemon's pid
//!         to this process, the ack (2 s at most), close. With --trigger,
//!         then getppid(2) in a child (for a rule of the namespace to
//!         select; the daemon's own syscalls are not audited), until
//!         delivering its records finds the socket gone and AUDIT_GET shows
//!         no daemon (2 s at most). Prints "cycles=N registered=N errors=N
//!         dropped=N last_errno=NAME" ("none" if no error; ETIMEDOUT when no
//!         ack came; dropped counts the daemons seen gone)
//! auditns-attack tree-cycle COUNT DIR [--plain]
//!         COUNT times: adds "-a always,exit -S getppid -F dir=DIR" to the
//!         caller's namespace and deletes it, each acked, which makes and
//!         drops DIR's tree (and would flip a static key each time); with
//!         --plain, the same rule without dir=, for a baseline.
//!         Prints "cycles=N errors=N per_second=R last_errno=NAME"
//! auditns-attack hog COUNT --dir DIR [--leave] [--stall MESSAGES] [--rules N --hold]
//!         forks COUNT children; each unshares a user namespace (no id
//!         mapping), sends AUDIT_GET on a new socket and writes "ok", the
//!         errno name (ETIMEDOUT after 2 s without an answer) or
//!         "unshare-NAME" to DIR/INDEX (INDEX 0..COUNT), then keeps its
//!         namespace and socket until DIR/stop exists (polled every
//!         100 ms, 600 s at most). Once every child has answered (120 s
//!         at most) prints "children=N ok=N enospc=N other=N", then
//!         without --leave creates DIR/stop and reaps the children; with
//!         --leave exits and leaves them to the caller's DIR/stop. A child
//!         that died without an answer counts as other; if the 120 s
//!         pass, the line is printed with the missing ones as other, and
//!         the exit status is 2. With --stall MESSAGES, each child also
//!         registers as its namespace's daemon on a socket it never reads
//!         and sends MESSAGES user messages, which its daemon never takes,
//!         before it answers. With --rules N, each child also registers as
//!         its namespace's daemon and adds N exit rules for mknodat(2)
//!         that match no one (for benchmarks: a namespace with a daemon
//!         and rules that makes no records). With --hold, as with --leave
//!         the parent exits once it has printed its line, but the children
//!         wait for a signal instead of polling DIR/stop (so as not to
//!         disturb what the caller measures meanwhile), and their PIDs are
//!         in DIR/pids, one a line, for the caller to end them
//! auditns-attack fuzz SEED COUNT [--types all|control|user] [--allow-host-root]
//!         COUNT generated audit messages (see fuzz.rs), one sendto(2)
//!         each, on one socket; after each, reads whatever came without
//!         blocking (bounded), and at the end for up to 2 s more. Prints
//!         "sent=N acks=N errors=N replies=N seed=SEED send_errors=N
//!         enobufs=N" and then "NAME=COUNT" for the 5 most frequent
//!         errnos the kernel answered. The messages depend on SEED alone.
//!         As root of the initial user namespace it refuses to run (random
//!         AUDIT_SETs could turn the host's audit off, or to panic) unless
//!         given --allow-host-root
//! auditns-attack fuzz-corpus SEED COUNT [--types all|control|user]
//!         prints the messages fuzz would send, one hex line each, and
//!         sends nothing
//! ```
//!
//! Exit status: 0 when the attack ran (whatever the kernel answered), 1
//! when a send the run needs was refused (flood), 2 on a usage or local
//! error (message on stderr).

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::mem::size_of;
use std::path::Path;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::{Duration, Instant};

mod fuzz;
mod rng;
mod wire;

#[path = "../../errno_name.rs"]
mod errno_name;

// Shared with audit-nl, which reads all of `struct audit_status`.
#[allow(dead_code)]
#[path = "../../audit_socket.rs"]
mod audit_socket;
use audit_socket::{AuditSocket, Reply};

/// How long a request waits for its answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);
/// Reads of one non-blocking drain of the fuzzer.
const DRAIN_READS: usize = 256;

/// Why a subcommand did not run.
enum Failure {
    Usage(String),
    Local(io::Error),
}

impl From<io::Error> for Failure {
    fn from(err: io::Error) -> Self {
        Failure::Local(err)
    }
}

type Outcome = Result<ExitCode, Failure>;

/// An errno as one word, for `key=value` output: the sample tools' names,
/// and a few more that attacks meet.
fn errno_key(errno: i32) -> String {
    let name = errno_name::errno_name(errno);
    if !name.starts_with("errno ") {
        return name;
    }
    match errno {
        libc::EAGAIN => "EAGAIN".into(),
        libc::EINTR => "EINTR".into(),
        libc::EBADF => "EBADF".into(),
        libc::EFAULT => "EFAULT".into(),
        libc::ENFILE => "ENFILE".into(),
        libc::EMFILE => "EMFILE".into(),
        libc::ENOSYS => "ENOSYS".into(),
        libc::EUSERS => "EUSERS".into(),
        libc::EMSGSIZE => "EMSGSIZE".into(),
        libc::ENOBUFS => "ENOBUFS".into(),
        libc::ECONNRESET => "ECONNRESET".into(),
        libc::ENOTCONN => "ENOTCONN".into(),
        libc::ETIMEDOUT => "ETIMEDOUT".into(),
        libc::EPROTO => "EPROTO".into(),
        libc::EBADMSG => "EBADMSG".into(),
        libc::EOVERFLOW => "EOVERFLOW".into(),
        _ => format!("errno_{errno}"),
    }
}

fn io_key(err: &io::Error) -> String {
    err.raw_os_error()
        .map_or_else(|| "invalid-data".into(), errno_key)
}

fn last_errno() -> i32 {
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// The command line of one subcommand: positional words, `--name VALUE`
/// options and `--name` switches.
struct Cli {
    positional: Vec<String>,
    values: BTreeMap<String, String>,
    switches: Vec<String>,
}

impl Cli {
    fn parse(args: &[String], valued: &[&str], switches: &[&str]) -> Result<Self, Failure> {
        let mut cli = Cli {
            positional: Vec::new(),
            values: BTreeMap::new(),
            switches: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if let Some(name) = arg.strip_prefix("--") {
                if valued.contains(&name) {
                    let value = args
                        .next()
                        .ok_or_else(|| Failure::Usage(format!("{arg} needs a value")))?;
                    cli.values.insert(name.into(), value.clone());
                } else if switches.contains(&name) {
                    cli.switches.push(name.into());
                } else {
                    return Err(Failure::Usage(format!("unknown option {arg}")));
                }
            } else {
                cli.positional.push(arg.clone());
            }
        }
        Ok(cli)
    }

    /// Checks the number of positional words: `required`, plus up to
    /// `optional`.
    fn arity(&self, required: usize, optional: usize) -> Result<(), Failure> {
        let n = self.positional.len();
        if n < required || n > required + optional {
            return Err(Failure::Usage(format!("{n} arguments")));
        }
        Ok(())
    }

    fn number<T: FromStr>(&self, index: usize) -> Result<T, Failure> {
        let word = &self.positional[index];
        word.parse()
            .map_err(|_| Failure::Usage(format!("not a number: {word}")))
    }

    fn option<T: FromStr>(&self, name: &str, default: T) -> Result<T, Failure> {
        match self.values.get(name) {
            None => Ok(default),
            Some(value) => value
                .parse()
                .map_err(|_| Failure::Usage(format!("bad value for --{name}: {value}"))),
        }
    }

    fn switch(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}

fn setsockopt_int(fd: libc::c_int, name: libc::c_int, value: libc::c_int) -> io::Result<()> {
    // SAFETY: `value` is a valid c_int for the length given.
    let ret = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            name,
            (&value as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as u32,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn getsockopt_int(fd: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid for writes.
    let ret = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(value)
}

fn kernel_address() -> libc::sockaddr_nl {
    // SAFETY: an all-zero sockaddr_nl is valid; with the family, it
    // addresses the kernel.
    let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    kernel.nl_family = libc::AF_NETLINK as u16;
    kernel
}

/// One sendmsg(2) of `data` to the kernel.
fn sendmsg_to_kernel(fd: libc::c_int, data: &[u8]) -> io::Result<usize> {
    let mut kernel = kernel_address();
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: an all-zero msghdr is valid; the pointers set below outlive
    // the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = (&mut kernel as *mut libc::sockaddr_nl).cast();
    msg.msg_namelen = size_of::<libc::sockaddr_nl>() as u32;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    // SAFETY: `msg` describes valid memory; the kernel only reads `data`.
    let sent = unsafe { libc::sendmsg(fd, &msg, 0) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sent as usize)
}

/// One sendto(2) of `data` to the kernel.
fn sendto_kernel(fd: libc::c_int, data: &[u8]) -> io::Result<usize> {
    let kernel = kernel_address();
    // SAFETY: `data` and `kernel` are valid for the lengths given.
    let sent = unsafe {
        libc::sendto(
            fd,
            data.as_ptr().cast(),
            data.len(),
            0,
            (&kernel as *const libc::sockaddr_nl).cast(),
            size_of::<libc::sockaddr_nl>() as u32,
        )
    };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sent as usize)
}

/// `struct clone_args` of `<linux/sched.h>`, up to `cgroup` (version 2).
#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// How `clone-fail` makes copy_process() fail.
#[derive(Clone, Copy)]
enum CloneKind {
    /// clone(2) with a namespace flag the caller may not use: EPERM in
    /// copy_namespaces(), after the new task's signal struct exists.
    Namespace(libc::c_int),
    /// clone3(2) of a process with `set_tid` 1, which is taken (EEXIST)
    /// or not the caller's to choose (EPERM): alloc_pid() fails.
    SetTid,
    /// The same for a thread, which shares the caller's signal struct.
    SetTidThread,
}

/// One clone that copy_process() should refuse; the pid if it did not.
fn clone_once(kind: CloneKind) -> libc::c_long {
    match kind {
        // SAFETY: clone without CLONE_VM and without a stack is fork(2):
        // a child runs on a copy of this stack.
        CloneKind::Namespace(flag) => unsafe {
            libc::syscall(
                libc::SYS_clone,
                (flag | libc::SIGCHLD) as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
                0 as libc::c_ulong,
            )
        },
        CloneKind::SetTid | CloneKind::SetTidThread => {
            let set_tid: [libc::pid_t; 1] = [1];
            let mut args = CloneArgs {
                set_tid: set_tid.as_ptr() as u64,
                set_tid_size: 1,
                ..CloneArgs::default()
            };
            if matches!(kind, CloneKind::SetTidThread) {
                args.flags = (libc::CLONE_VM
                    | libc::CLONE_FS
                    | libc::CLONE_FILES
                    | libc::CLONE_SIGHAND
                    | libc::CLONE_THREAD
                    | libc::CLONE_SYSVSEM) as u64;
            } else {
                args.exit_signal = libc::SIGCHLD as u64;
            }
            // SAFETY: `args` and `set_tid` are valid for the call. PID 1
            // exists in every PID namespace that has tasks, so the kernel
            // refuses it; were it ever taken, a process child runs on a
            // copy of this stack and a thread leaves at once (below).
            unsafe { libc::syscall(libc::SYS_clone3, &args, size_of::<CloneArgs>()) }
        }
    }
}

fn clone_fail(args: &[String]) -> Outcome {
    let cli = Cli::parse(args, &[], &["as-daemon"])?;
    cli.arity(1, 1)?;
    let count: u64 = cli.number(0)?;
    let kind = match cli.positional.get(1).map_or("newns", String::as_str) {
        "newns" => CloneKind::Namespace(libc::CLONE_NEWNS),
        "newnet" => CloneKind::Namespace(libc::CLONE_NEWNET),
        "newipc" => CloneKind::Namespace(libc::CLONE_NEWIPC),
        "set-tid" => CloneKind::SetTid,
        "set-tid-thread" => CloneKind::SetTidThread,
        other => return Err(Failure::Usage(format!("unknown clone kind {other}"))),
    };
    // With --as-daemon, this process is the audit daemon of its namespace
    // while its clones fail: it must still be afterwards.
    let daemon = if cli.switch("as-daemon") {
        Some(register_daemon().map_err(|name| Failure::Local(io::Error::other(name)))?)
    } else {
        None
    };
    io::stdout().flush()?;
    let (mut failed, mut succeeded, mut errno) = (0u64, 0u64, None);
    for _ in 0..count {
        match clone_once(kind) {
            // SAFETY: the child (or thread) leaves at once, running nothing
            // of the parent's; SYS_exit ends only the calling thread.
            0 => unsafe {
                libc::syscall(libc::SYS_exit, 0);
                libc::_exit(0)
            },
            pid if pid > 0 => {
                succeeded += 1;
                if !matches!(kind, CloneKind::SetTidThread) {
                    let mut status = 0;
                    // SAFETY: waits for the child just made.
                    unsafe { libc::waitpid(pid as libc::pid_t, &mut status, 0) };
                }
            }
            _ => {
                failed += 1;
                errno = Some(last_errno());
            }
        }
    }
    print!(
        "attempts={count} failed={failed} succeeded={succeeded} errno={}",
        errno.map_or_else(|| "none".into(), errno_key)
    );
    if let Some(socket) = daemon {
        let registered = match daemon_pid() {
            Ok(pid) if pid == std::process::id() => "self".to_string(),
            Ok(0) => "none".to_string(),
            Ok(_) => "other".to_string(),
            Err(name) => name,
        };
        print!(" daemon={registered}");
        drop(socket);
    }
    println!();
    Ok(ExitCode::SUCCESS)
}

/// Registers this process as its namespace's audit daemon; the socket
/// must stay open while it is one.
fn register_daemon() -> Result<AuditSocket, String> {
    let socket = AuditSocket::open().map_err(|err| io_key(&err))?;
    let mut words = [0u32; wire::STATUS_WORDS];
    words[0] = wire::AUDIT_STATUS_PID;
    words[3] = std::process::id();
    socket
        .send(wire::AUDIT_SET, &wire::status(words))
        .map_err(|err| io_key(&err))?;
    await_answer(&socket, false)?;
    Ok(socket)
}

/// The audit daemon's pid, as AUDIT_GET tells this process.
fn daemon_pid() -> Result<u32, String> {
    let socket = AuditSocket::open().map_err(|err| io_key(&err))?;
    socket
        .send(wire::AUDIT_GET, &[])
        .map_err(|err| io_key(&err))?;
    for _ in 0..16 {
        match socket.wait(Some(ANSWER_TIMEOUT)) {
            Ok(true) => {}
            Ok(false) => return Err("ETIMEDOUT".into()),
            Err(err) => return Err(io_key(&err)),
        }
        match socket.receive() {
            Ok(Reply::Message(wire::AUDIT_GET, payload)) if payload.len() >= 16 => {
                return Ok(u32::from_ne_bytes([
                    payload[12],
                    payload[13],
                    payload[14],
                    payload[15],
                ]));
            }
            Ok(Reply::Error(errno)) => return Err(errno_key(errno)),
            Ok(_) => {}
            Err(err) => return Err(io_key(&err)),
        }
    }
    Err("ETIMEDOUT".into())
}

fn thread_fail(args: &[String]) -> Outcome {
    let cli = Cli::parse(args, &[], &[])?;
    cli.arity(1, 0)?;
    let count: u64 = cli.number(0)?;
    // Every task of the user counts against the limit; this process's own
    // are a lower bound of them, so one more is always over it.
    let tasks = std::fs::read_dir("/proc/self/task")
        .map(|dir| dir.count())
        .unwrap_or(1)
        .max(1) as libc::rlim_t;
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `old` is valid for writes.
    if unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut old) } < 0 {
        return Err(io::Error::last_os_error().into());
    }
    let lowered = libc::rlimit {
        rlim_cur: tasks.min(old.rlim_cur),
        rlim_max: old.rlim_max,
    };
    // SAFETY: a valid rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NPROC, &lowered) } < 0 {
        return Err(io::Error::last_os_error().into());
    }
    let (mut failed, mut errno) = (0u64, None);
    let mut threads = Vec::new();
    for _ in 0..count {
        match std::thread::Builder::new().spawn(|| {}) {
            Ok(thread) => threads.push(thread),
            Err(err) => {
                failed += 1;
                errno = err.raw_os_error();
            }
        }
    }
    // SAFETY: the limit as it was.
    unsafe { libc::setrlimit(libc::RLIMIT_NPROC, &old) };
    let succeeded = threads.len();
    for thread in threads {
        let _ = thread.join();
    }
    println!(
        "attempts={count} failed={failed} succeeded={succeeded} errno={} limit={}",
        errno.map_or_else(|| "none".into(), errno_key),
        lowered.rlim_cur
    );
    Ok(ExitCode::SUCCESS)
}

fn flood(args: &[String]) -> Outcome {
    let cli = Cli::parse(
        args,
        &["rcvbuf", "hold", "rule-syscall", "sockets"],
        &["no-ack"],
    )?;
    cli.arity(2, 0)?;
    let kind = wire::FloodType::parse(&cli.positional[0])
        .ok_or_else(|| Failure::Usage(format!("unknown type {}", cli.positional[0])))?;
    let count: u32 = cli.number(1)?;
    let rcvbuf: libc::c_int = cli.option("rcvbuf", 256)?;
    let hold: f64 = cli.option("hold", 0.0)?;
    let hold = Duration::try_from_secs_f64(hold)
        .map_err(|_| Failure::Usage(format!("bad value for --hold: {hold}")))?;
    let syscall: u32 = cli.option("rule-syscall", wire::MKNOD)?;
    let sockets: u32 = cli.option("sockets", 1)?;

    // All messages back to back; message I is all[offsets[I]..offsets[I + 1]].
    let mut batch = Batch::default();
    for i in 0..count {
        batch.push(&kind.message(i, syscall, !cli.switch("no-ack")));
    }
    // Every socket first, so that the memory the answers take is the last
    // thing the flood asks for.
    let mut kept = Vec::new();
    for _ in 0..sockets {
        kept.push(batch.socket(rcvbuf)?);
    }
    let mut calls = 0u64;
    for (full, socket) in kept.iter().enumerate() {
        match batch.send(socket) {
            Ok(made) => calls += made,
            Err((sent, made, err)) => {
                println!(
                    "sent={sent} calls={} sockets={full} errno={}",
                    calls + made,
                    io_key(&err)
                );
                return Ok(ExitCode::from(1));
            }
        }
    }
    println!(
        "sent={count} calls={calls} bytes={} sockets={sockets}",
        batch.all.len()
    );
    io::stdout().flush()?;
    std::thread::sleep(hold);
    drop(kept);
    Ok(ExitCode::SUCCESS)
}

/// The messages of a flood, back to back: message I is
/// `all[offsets[I]..offsets[I + 1]]`.
struct Batch {
    all: Vec<u8>,
    lens: Vec<usize>,
    offsets: Vec<usize>,
}

impl Default for Batch {
    fn default() -> Self {
        Self {
            all: Vec::new(),
            lens: Vec::new(),
            offsets: vec![0],
        }
    }
}

/// How a flood's send on one socket ended, if not with every message sent:
/// how many were, in how many calls, and the error.
type SendFailure = (usize, u64, io::Error);

impl Batch {
    fn push(&mut self, message: &[u8]) {
        self.lens.push(message.len());
        self.all.extend_from_slice(message);
        self.offsets.push(self.all.len());
    }

    /// A socket to send the messages on, with a receive buffer of `rcvbuf`
    /// that is never read.
    fn socket(&self, rcvbuf: libc::c_int) -> io::Result<AuditSocket> {
        let socket = AuditSocket::open()?;
        let fd = socket.fd();
        // Past rmem_max only for the host's CAP_NET_ADMIN; anyone may ask
        // for up to rmem_max.
        if setsockopt_int(fd, libc::SO_RCVBUFFORCE, rcvbuf).is_err() {
            setsockopt_int(fd, libc::SO_RCVBUF, rcvbuf)?;
        }
        let want = (self.all.len() + 4096).min(i32::MAX as usize / 2) as libc::c_int;
        if setsockopt_int(fd, libc::SO_SNDBUFFORCE, want).is_err() {
            let _ = setsockopt_int(fd, libc::SO_SNDBUF, want);
        }
        Ok(socket)
    }

    /// Sends every message on `socket`; how many sendmsg(2) calls it took.
    fn send(&self, socket: &AuditSocket) -> Result<u64, SendFailure> {
        let largest = self.lens.iter().copied().max().unwrap_or(0);
        let fd = socket.fd();
        // netlink_sendmsg() refuses more than sk_sndbuf - 32 bytes at once.
        let sndbuf = getsockopt_int(fd, libc::SO_SNDBUF).unwrap_or(0).max(0) as usize;
        let mut cap = sndbuf.saturating_sub(32).max(largest);
        let (mut next, mut calls) = (0usize, 0u64);
        'plan: while next < self.lens.len() {
            let plan =
                wire::plan_batches(&self.lens[next..], cap).expect("the cap fits every message");
            let base = next;
            for batch in plan {
                let (start, end) = (base + batch.start, base + batch.end);
                let chunk = &self.all[self.offsets[start]..self.offsets[end]];
                match sendmsg_to_kernel(fd, chunk) {
                    Ok(_) => {
                        calls += 1;
                        next = end;
                    }
                    // Too much at once after all: smaller batches for the rest.
                    Err(err)
                        if matches!(err.raw_os_error(), Some(libc::EMSGSIZE | libc::ENOBUFS))
                            && end - start > 1 =>
                    {
                        cap = (chunk.len() / 2).max(largest);
                        continue 'plan;
                    }
                    Err(err) => return Err((next, calls, err)),
                }
            }
        }
        Ok(calls)
    }
}

/// Waits for the answer to a request: the ack, and for AUDIT_GET the
/// status too. Records that come meanwhile are skipped. `Ok(())` or the
/// errno name.
fn await_answer(socket: &AuditSocket, want_status: bool) -> Result<(), String> {
    let (mut acked, mut status) = (false, !want_status);
    for _ in 0..1024 {
        match socket.wait(Some(ANSWER_TIMEOUT)) {
            Ok(true) => {}
            Ok(false) => return Err("ETIMEDOUT".into()),
            Err(err) => return Err(io_key(&err)),
        }
        match socket.receive() {
            Ok(Reply::Ack) => acked = true,
            Ok(Reply::Error(errno)) => return Err(errno_key(errno)),
            Ok(Reply::Message(wire::AUDIT_GET, _)) => status = true,
            Ok(Reply::Message(..)) => {}
            Err(err) if err.raw_os_error() == Some(libc::ENOBUFS) => {}
            Err(err) => return Err(io_key(&err)),
        }
        if acked && status {
            return Ok(());
        }
    }
    Err("ETIMEDOUT".into())
}

fn register_once() -> Result<(), String> {
    register_daemon().map(drop)
}

fn register_cycle(args: &[String]) -> Outcome {
    let cli = Cli::parse(args, &[], &["trigger"])?;
    cli.arity(1, 0)?;
    let count: u64 = cli.number(0)?;
    let trigger = cli.switch("trigger");
    let (mut registered, mut errors, mut dropped, mut last) = (0u64, 0u64, 0u64, None);
    for _ in 0..count {
        match register_once() {
            Ok(()) => registered += 1,
            Err(name) => {
                errors += 1;
                last = Some(name);
            }
        }
        if trigger && wait_daemon_dropped() {
            dropped += 1;
        }
    }
    println!(
        "cycles={count} registered={registered} errors={errors} dropped={dropped} last_errno={}",
        last.as_deref().unwrap_or("none")
    );
    Ok(ExitCode::SUCCESS)
}

fn tree_cycle(args: &[String]) -> Outcome {
    let cli = Cli::parse(args, &[], &["plain"])?;
    cli.arity(2, 0)?;
    let count: u64 = cli.number(0)?;
    let rule = if cli.switch("plain") {
        wire::flood_rule(0, wire::GETPPID)
    } else {
        wire::tree_rule(cli.positional[1].as_bytes())
    };
    let socket = AuditSocket::open()?;
    let (mut errors, mut last) = (0u64, None);
    let start = Instant::now();
    for _ in 0..count {
        for msg_type in [wire::AUDIT_ADD_RULE, wire::AUDIT_DEL_RULE] {
            let answer = socket
                .send(msg_type, &rule)
                .map_err(|err| io_key(&err))
                .and_then(|()| await_answer(&socket, false));
            if let Err(name) = answer {
                errors += 1;
                last = Some(name);
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "cycles={count} errors={errors} per_second={:.0} last_errno={}",
        count as f64 / seconds.max(1e-9),
        last.as_deref().unwrap_or("none")
    );
    Ok(ExitCode::SUCCESS)
}

/// After the daemon's socket is closed: makes an event (getppid(2) in a
/// child, as the daemon's own syscalls are not audited, which the caller's
/// namespace is expected to audit), so that delivering it finds the socket
/// gone (ECONNREFUSED) and the daemon is dropped, and waits up to 2 s for
/// AUDIT_GET to show no daemon. Whether it did.
fn wait_daemon_dropped() -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        // SAFETY: fork(2) of a process whose child only calls
        // async-signal-safe functions before _exit.
        match unsafe { libc::fork() } {
            // SAFETY: as above.
            0 => unsafe {
                libc::getppid();
                libc::_exit(0)
            },
            child if child > 0 => {
                let mut status = 0;
                // SAFETY: waits for the child just made.
                unsafe { libc::waitpid(child, &mut status, 0) };
            }
            _ => return false,
        }
        if daemon_pid() == Ok(0) {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A hog child's probe: its answer, and the socket to keep.
fn hog_probe() -> (String, Option<AuditSocket>) {
    // SAFETY: plain unshare(2); this child has one thread.
    if unsafe { libc::unshare(libc::CLONE_NEWUSER) } != 0 {
        return (format!("unshare-{}", errno_key(last_errno())), None);
    }
    let socket = match AuditSocket::open() {
        Ok(socket) => socket,
        Err(err) => return (io_key(&err), None),
    };
    if let Err(err) = socket.send(wire::AUDIT_GET, &[]) {
        return (io_key(&err), Some(socket));
    }
    let answer = await_answer(&socket, true).map_or_else(|name| name, |()| "ok".into());
    (answer, Some(socket))
}

/// `AUDIT_STATUS_BACKLOG_LIMIT`, the mask bit of `backlog_limit`.
const AUDIT_STATUS_BACKLOG_LIMIT: u32 = 0x10;

/// A stalled daemon: registers this process as its namespace's daemon, on
/// a socket it never reads, then sends `messages` user messages, which
/// queue records for that daemon. The sockets, to keep open.
fn stall(messages: u32) -> Result<Vec<AuditSocket>, String> {
    let daemon = register_daemon()?;
    // No count limit on the queue (its byte limit stays), so that the
    // daemon's socket fills whatever the delivery's pace.
    let mut words = [0u32; wire::STATUS_WORDS];
    words[0] = AUDIT_STATUS_BACKLOG_LIMIT;
    daemon
        .send(wire::AUDIT_SET, &wire::status(words))
        .map_err(|err| io_key(&err))?;
    let mut batch = Batch::default();
    for i in 0..messages {
        batch.push(&wire::FloodType::User.message(i, wire::MKNOD, false));
    }
    let sender = batch.socket(256).map_err(|err| io_key(&err))?;
    batch.send(&sender).map_err(|(_, _, err)| io_key(&err))?;
    Ok(vec![daemon, sender])
}

/// A quiet daemon: registers this process as its namespace's daemon and
/// adds `rules` exit rules for mknodat(2) that match no one, so that the
/// namespace has a daemon and rules but makes no records. The socket, to
/// keep open.
fn quiet_daemon(rules: u32) -> Result<AuditSocket, String> {
    let daemon = register_daemon()?;
    for index in 0..rules {
        daemon
            .send(
                wire::AUDIT_ADD_RULE,
                &wire::flood_rule(2000 + index, wire::MKNOD),
            )
            .map_err(|err| io_key(&err))?;
        await_answer(&daemon, false)?;
    }
    Ok(daemon)
}

/// What each hog child does once it has its namespace.
#[derive(Clone, Copy)]
struct HogPlan {
    /// User messages for a stalled daemon (`--stall`), 0 for none.
    stalled: u32,
    /// Rules of a quiet daemon (`--rules`).
    rules: Option<u32>,
    /// Whether to wait for a signal (`--hold`) rather than poll DIR/stop.
    hold: bool,
}

fn hog_child(index: usize, dir: &Path, plan: HogPlan) -> ! {
    // A child may outlive the parent (--leave): it must not hold the
    // caller's output open, which a caller reading it to the end waits on.
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        use std::os::fd::AsRawFd;
        // SAFETY: dup2(2) onto this child's own standard output and error.
        unsafe {
            libc::dup2(null.as_raw_fd(), 1);
            libc::dup2(null.as_raw_fd(), 2);
        }
    }
    let body = std::panic::AssertUnwindSafe(|| -> io::Result<()> {
        let (mut answer, socket) = hog_probe();
        let mut kept = Vec::new();
        if plan.stalled > 0 && answer == "ok" {
            match stall(plan.stalled) {
                Ok(sockets) => kept = sockets,
                Err(name) => answer = name,
            }
        }
        if let (Some(rules), "ok") = (plan.rules, answer.as_str()) {
            match quiet_daemon(rules) {
                Ok(socket) => kept.push(socket),
                Err(name) => answer = name,
            }
        }
        let partial = dir.join(format!(".{index}.tmp"));
        std::fs::write(&partial, format!("{answer}\n"))?;
        std::fs::rename(&partial, dir.join(index.to_string()))?;
        if plan.hold {
            // Wait without waking, so as not to disturb what the caller
            // measures meanwhile, until the caller's signal.
            loop {
                // SAFETY: pause(2) only waits for a signal.
                unsafe { libc::pause() };
            }
        }
        let stop = dir.join("stop");
        for _ in 0..6000 {
            if stop.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        drop((socket, kept));
        Ok(())
    });
    let code = match std::panic::catch_unwind(body) {
        Ok(Ok(())) => 0,
        _ => 1,
    };
    // SAFETY: the child ends here, without the parent's exit handlers.
    unsafe { libc::_exit(code) }
}

fn hog(args: &[String]) -> Outcome {
    let cli = Cli::parse(args, &["dir", "stall", "rules"], &["leave", "hold"])?;
    cli.arity(1, 0)?;
    let count: usize = cli.number(0)?;
    let plan = HogPlan {
        stalled: cli.option("stall", 0)?,
        rules: cli
            .values
            .get("rules")
            .map(|n| n.parse())
            .transpose()
            .map_err(|_| Failure::Usage("--rules needs a number".into()))?,
        hold: cli.switch("hold"),
    };
    let leave = cli.switch("leave") || plan.hold;
    if plan.hold && cli.switch("leave") {
        return Err(Failure::Usage(
            "--hold and --leave exclude each other".into(),
        ));
    }
    let dir = cli
        .values
        .get("dir")
        .ok_or_else(|| Failure::Usage("hog needs --dir DIR".into()))?;
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir)?;
    let stop = dir.join("stop");
    let _ = std::fs::remove_file(&stop);
    for index in 0..count {
        let _ = std::fs::remove_file(dir.join(index.to_string()));
    }
    io::stdout().flush()?;

    let mut children: Vec<libc::pid_t> = Vec::with_capacity(count);
    let mut fork_error = None;
    for index in 0..count {
        // SAFETY: this process has one thread; the child only runs
        // `hog_child`, which ends in _exit.
        match unsafe { libc::fork() } {
            0 => hog_child(index, dir, plan),
            pid if pid > 0 => children.push(pid),
            _ => {
                fork_error = Some(io::Error::last_os_error());
                break;
            }
        }
    }
    let reap = |pid: libc::pid_t, flags: libc::c_int| -> bool {
        let mut status = 0;
        // SAFETY: `pid` is a child of this process.
        unsafe { libc::waitpid(pid, &mut status, flags) == pid }
    };
    if let Some(err) = fork_error {
        std::fs::File::create(&stop)?;
        for &pid in &children {
            reap(pid, 0);
        }
        return Err(err.into());
    }

    let mut answers: Vec<Option<String>> = vec![None; count];
    let mut reaped = vec![false; count];
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        for index in 0..count {
            if answers[index].is_some() {
                continue;
            }
            let died = !reaped[index] && reap(children[index], libc::WNOHANG);
            reaped[index] |= died;
            if let Ok(text) = std::fs::read_to_string(dir.join(index.to_string())) {
                answers[index] = Some(text.trim().to_string());
            } else if died {
                answers[index] = Some("died".into());
            }
        }
        if answers.iter().all(Option::is_some) || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let missing = answers.iter().filter(|a| a.is_none()).count();
    let ok = answers.iter().flatten().filter(|a| *a == "ok").count();
    let enospc = answers.iter().flatten().filter(|a| *a == "ENOSPC").count();
    println!(
        "children={count} ok={ok} enospc={enospc} other={}",
        count - ok - enospc
    );
    io::stdout().flush()?;
    if plan.hold {
        let pids: String = children.iter().map(|pid| format!("{pid}\n")).collect();
        std::fs::write(dir.join("pids"), pids)?;
    }
    if !leave {
        std::fs::File::create(&stop)?;
        for (index, &pid) in children.iter().enumerate() {
            if !reaped[index] {
                reap(pid, 0);
            }
        }
    }
    if missing > 0 {
        eprintln!("auditns-attack: {missing} children did not answer within 120 s");
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::SUCCESS)
}

/// What the fuzzer received.
#[derive(Default)]
struct Tally {
    acks: u64,
    errors: u64,
    replies: u64,
    enobufs: u64,
    errnos: BTreeMap<i32, u64>,
}

impl Tally {
    /// Counts the netlink messages of one datagram.
    fn count(&mut self, data: &[u8]) {
        let mut at = 0;
        while let Some((len, msg_type, _, _)) = wire::parse_header(&data[at..]) {
            let len = len as usize;
            if len < wire::NLMSG_HDRLEN || len > data.len() - at {
                break;
            }
            if msg_type == audit_socket::NLMSG_ERROR && len >= wire::NLMSG_HDRLEN + 4 {
                let start = at + wire::NLMSG_HDRLEN;
                let errno = i32::from_ne_bytes(data[start..start + 4].try_into().unwrap());
                if errno == 0 {
                    self.acks += 1;
                } else {
                    self.errors += 1;
                    *self.errnos.entry(-errno).or_default() += 1;
                }
            } else {
                self.replies += 1;
            }
            at += wire::align4(len);
            if at >= data.len() {
                break;
            }
        }
    }

    /// Reads what is there without blocking, `DRAIN_READS` datagrams at
    /// most; whether anything came.
    fn drain(&mut self, fd: libc::c_int, buf: &mut [u8]) -> bool {
        let mut any = false;
        for _ in 0..DRAIN_READS {
            // SAFETY: `buf` is valid for writes of its length.
            let got =
                unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
            if got < 0 {
                match last_errno() {
                    // The socket overflowed; reading on is what to do.
                    libc::ENOBUFS => {
                        self.enobufs += 1;
                        continue;
                    }
                    libc::EINTR => continue,
                    _ => break,
                }
            }
            any = true;
            self.count(&buf[..got as usize]);
        }
        any
    }

    /// The `n` most frequent errnos, most frequent first.
    fn top(&self, n: usize) -> Vec<(String, u64)> {
        let mut all: Vec<(String, u64)> = self
            .errnos
            .iter()
            .map(|(&errno, &count)| (errno_key(errno), count))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }
}

/// Whether this process is in the initial user namespace.
fn in_initial_user_namespace() -> bool {
    std::fs::read_to_string("/proc/self/uid_map")
        .is_ok_and(|map| map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"])
}

fn fuzz_setup(args: &[String], switches: &[&str]) -> Result<(Cli, u64, u64, fuzz::Types), Failure> {
    let cli = Cli::parse(args, &["types"], switches)?;
    cli.arity(2, 0)?;
    let seed: u64 = cli.number(0)?;
    let count: u64 = cli.number(1)?;
    let types = cli.values.get("types").map_or("all", String::as_str);
    let types = fuzz::Types::parse(types)
        .ok_or_else(|| Failure::Usage(format!("unknown --types {types}")))?;
    Ok((cli, seed, count, types))
}

fn fuzz_run(args: &[String]) -> Outcome {
    let (cli, seed, count, types) = fuzz_setup(args, &["allow-host-root"])?;
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0
        && in_initial_user_namespace()
        && !cli.switch("allow-host-root")
    {
        return Err(Failure::Usage(
            "refusing to fuzz as root of the initial user namespace \
             (random AUDIT_SETs reach the host's audit); --allow-host-root to insist"
                .into(),
        ));
    }
    let socket = AuditSocket::open()?;
    let fd = socket.fd();
    let mut generator = fuzz::Generator::new(seed, types);
    let mut tally = Tally::default();
    let mut buf = vec![0u8; 65536];
    let (mut sent, mut send_errors) = (0u64, 0u64);
    for _ in 0..count {
        let message = generator.next_message();
        match sendto_kernel(fd, &message.bytes) {
            Ok(_) => sent += 1,
            Err(_) => send_errors += 1,
        }
        tally.drain(fd, &mut buf);
    }
    // Answers from kernel threads (AUDIT_GET, AUDIT_LIST_RULES) may come
    // late: read on until 200 ms pass without any, 2 s at most.
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline && socket.wait(Some(Duration::from_millis(200)))? {
        tally.drain(fd, &mut buf);
    }
    print!(
        "sent={sent} acks={} errors={} replies={} seed={seed} send_errors={send_errors} enobufs={}",
        tally.acks, tally.errors, tally.replies, tally.enobufs
    );
    for (name, count) in tally.top(5) {
        print!(" {name}={count}");
    }
    println!();
    Ok(ExitCode::SUCCESS)
}

fn fuzz_corpus(args: &[String]) -> Outcome {
    let (_, seed, count, types) = fuzz_setup(args, &[])?;
    let mut generator = fuzz::Generator::new(seed, types);
    let mut out = BufWriter::new(io::stdout().lock());
    let mut line = String::new();
    for _ in 0..count {
        let message = generator.next_message();
        line.clear();
        for byte in &message.bytes {
            use std::fmt::Write as _;
            let _ = write!(line, "{byte:02x}");
        }
        line.push('\n');
        match out.write_all(line.as_bytes()) {
            Ok(()) => {}
            // A reader that had enough (`| head`) is no error.
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
            Err(err) => return Err(err.into()),
        }
    }
    match out.flush() {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("", &[][..]),
    };
    let result = match command {
        "clone-fail" => clone_fail(rest),
        "thread-fail" => thread_fail(rest),
        "flood" => flood(rest),
        "register-cycle" => register_cycle(rest),
        "tree-cycle" => tree_cycle(rest),
        "hog" => hog(rest),
        "fuzz" => fuzz_run(rest),
        "fuzz-corpus" => fuzz_corpus(rest),
        _ => Err(Failure::Usage(format!("unknown command '{command}'"))),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Usage(what)) => {
            eprintln!(
                "auditns-attack: {what}; usage: see the comment at the top of auditns-attack's main.rs"
            );
            ExitCode::from(2)
        }
        Err(Failure::Local(err)) => {
            eprintln!("auditns-attack: {err}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn command_lines() {
        let args = strings(&["add-rule", "10", "--hold", "1.5", "--rcvbuf", "0"]);
        let cli = Cli::parse(&args, &["rcvbuf", "hold", "rule-syscall"], &[])
            .ok()
            .unwrap();
        assert!(cli.arity(2, 0).is_ok());
        assert_eq!(cli.number::<u32>(1).ok(), Some(10));
        assert_eq!(cli.option("hold", 0.0).ok(), Some(1.5));
        assert_eq!(cli.option("rule-syscall", 133u32).ok(), Some(133));
        let args = strings(&["3", "--dir", "/tmp/x", "--leave"]);
        let cli = Cli::parse(&args, &["dir"], &["leave"]).ok().unwrap();
        assert!(cli.switch("leave") && cli.arity(1, 0).is_ok());
        assert!(Cli::parse(&strings(&["--bogus"]), &[], &[]).is_err());
        assert!(Cli::parse(&strings(&["--dir"]), &["dir"], &[]).is_err());
    }

    #[test]
    fn errno_keys_are_one_word() {
        for errno in 1..200 {
            let key = errno_key(errno);
            assert!(!key.contains(char::is_whitespace) && !key.contains('='));
        }
        assert_eq!(errno_key(libc::ENOBUFS), "ENOBUFS");
        assert_eq!(errno_key(libc::EPERM), "EPERM");
    }

    #[test]
    fn tally_counts_acks_errors_and_replies() {
        let mut data = Vec::new();
        let ack = |errno: i32, seq| {
            let mut payload = errno.to_ne_bytes().to_vec();
            payload.extend_from_slice(&wire::header(16, 1000, 0, seq));
            wire::message(audit_socket::NLMSG_ERROR, 0, seq, &payload)
        };
        data.extend(ack(0, 1));
        data.extend(ack(-libc::EPERM, 2));
        data.extend(wire::message(1000, 0, 3, &[0; 44]));
        data.extend(ack(-libc::EPERM, 4));
        data.extend(ack(-libc::EINVAL, 5));
        let mut tally = Tally::default();
        tally.count(&data);
        // A cut message at the end is not counted.
        tally.count(&data[..20]);
        assert_eq!((tally.acks, tally.errors, tally.replies), (1, 3, 1));
        assert_eq!(
            tally.top(5),
            [("EPERM".to_string(), 2), ("EINVAL".to_string(), 1)]
        );
    }
}
