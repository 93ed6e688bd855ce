// SPDX-License-Identifier: GPL-2.0

//! `auditns-helper`: small probes for the guest tests.
//!
//! ```text
//! auditns-helper write PATH TEXT            one write(2); prints "ok" or the errno name
//! auditns-helper write-at PATH OFFSET TEXT  one pwrite(2) at OFFSET, likewise
//! auditns-helper threads SECONDS            a second thread; prints "ready", then sleeps
//! auditns-helper thread-contid              prints "process=ID thread=ID" as a new
//!                                           thread reads them from /proc
//! auditns-helper bench-syscalls N FILE      times N getpid(2), N openat(2)+close(2) of
//!                                           FILE and N creations and unlinks of FILE.new
//!                                           beside it; prints "getpid_ns=.. openat_ns=..
//!                                           create_ns=.."
//! auditns-helper open-loop FILE N           opens and closes FILE N times (N events
//!                                           for an openat rule); prints "pid=PID opened=N"
//! auditns-helper passed-contid-file UID ID  a child that runs as UID opens its own
//!                                           audit_containerid; this process, root, takes
//!                                           the open file (pidfd_getfd) and writes ID
//!                                           through it, then through a file it opened;
//!                                           prints "passed=RESULT own=RESULT"
//! auditns-helper stat-on-signal FILE N      prints "ready", waits for SIGUSR1, then calls
//!                                           newfstatat(2) on FILE N times, allocating no
//!                                           memory meanwhile (so that it may run in a
//!                                           memory cgroup with memory.max 0); exits 0 if
//!                                           every call succeeded, 1 otherwise
//! auditns-helper uring-openat FILE N        opens FILE N times through io_uring, each
//!                                           IORING_OP_OPENAT with IOSQE_ASYNC so that an
//!                                           io-wq worker runs it outside any syscall;
//!                                           prints "pid=PID opened=N" or the errno
//! auditns-helper fail-nth-open PREFIX N     for K = 1, 2, ... N: fails the K-th slab
//!                                           allocation of this thread from an
//!                                           openat(2) of PREFIX-K on (fault injection,
//!                                           /proc/thread-self/fail-nth); prints
//!                                           "attempt=K errno=NAME injected=0|1
//!                                           lost=DELTA" (DELTA: growth of the audit
//!                                           lost count of this process's namespace);
//!                                           stops after 5 attempts in a row that
//!                                           reached no K-th allocation
//! ```
//!
//! TEXT is written as given, with `\n` turned into a newline. Exit status:
//! 0 on success, 1 when the kernel refused (errno printed), 2 on misuse.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::process::ExitCode;
use std::time::Duration;

#[path = "../../errno_name.rs"]
mod errno_name;
use errno_name::errno_name;

// Shared with audit-nl, which reads all of `struct audit_status`.
#[allow(dead_code)]
#[path = "../../audit_socket.rs"]
mod audit_socket;
use audit_socket::{AuditSocket, AuditStatus, Reply};

fn unescape(text: &str) -> Vec<u8> {
    text.replace("\\n", "\n").into_bytes()
}

fn report(result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => {
            println!("ok");
            ExitCode::SUCCESS
        }
        Err(err) => match err.raw_os_error() {
            Some(errno) => {
                println!("{}", errno_name(errno));
                ExitCode::from(1)
            }
            None => {
                eprintln!("auditns-helper: {err}");
                ExitCode::from(2)
            }
        },
    }
}

fn write_once(path: &str, offset: Option<u64>, text: &str) -> std::io::Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    let bytes = unescape(text);
    let written = match offset {
        Some(offset) => file.write_at(&bytes, offset)?,
        None => (&file).write(&bytes)?,
    };
    if written != bytes.len() {
        return Err(std::io::Error::other(format!(
            "short write: {written} of {}",
            bytes.len()
        )));
    }
    Ok(())
}

fn read_contid(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| format!("({err})"))
}

/// The result of one write of `text` to `fd`: "ok" or the errno name.
fn write_fd(fd: libc::c_int, text: &[u8]) -> String {
    // SAFETY: `text` is readable for its length.
    let written = unsafe { libc::write(fd, text.as_ptr().cast(), text.len()) };
    if written < 0 {
        errno_name(std::io::Error::last_os_error().raw_os_error().unwrap_or(0)).to_string()
    } else {
        "ok".to_string()
    }
}

/// `passed-contid-file`: a file that grants a right, opened by a process
/// without it and passed to one with it, must not grant the right.
fn passed_contid_file(uid: libc::uid_t, contid: &str) -> ExitCode {
    let mut ready = [0; 2];
    let mut done = [0; 2];
    // SAFETY: each array has room for the two descriptors.
    if unsafe { libc::pipe(ready.as_mut_ptr()) } != 0
        || unsafe { libc::pipe(done.as_mut_ptr()) } != 0
    {
        return ExitCode::from(2);
    }
    // SAFETY: the process is single-threaded; the child only makes
    // async-signal-safe calls before it exits.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return ExitCode::from(2);
    }
    if child == 0 {
        // SAFETY: plain syscalls on values and a static string.
        unsafe {
            let path = c"/proc/self/audit_containerid";
            let mut fd: libc::c_int = -1;
            // Dumpable again after the uid change, so that its /proc files
            // are its own to open.
            if libc::setgroups(0, core::ptr::null()) == 0
                && libc::setresgid(uid, uid, uid) == 0
                && libc::setresuid(uid, uid, uid) == 0
                && libc::prctl(libc::PR_SET_DUMPABLE, 1) == 0
            {
                fd = libc::open(path.as_ptr(), libc::O_WRONLY);
            }
            libc::write(ready[1], (&fd as *const libc::c_int).cast(), 4);
            let mut byte = 0u8;
            libc::read(done[0], (&mut byte as *mut u8).cast(), 1);
            libc::_exit(0);
        }
    }
    let mut child_fd: libc::c_int = -1;
    // SAFETY: `child_fd` has room for the 4 bytes read.
    unsafe { libc::read(ready[0], (&mut child_fd as *mut libc::c_int).cast(), 4) };
    let passed = if child_fd < 0 {
        "child-could-not-open".to_string()
    } else {
        // SAFETY: plain syscalls on integers.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, child, 0) } as libc::c_int;
        // SAFETY: as above.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd, child_fd, 0) } as libc::c_int;
        if pidfd < 0 || fd < 0 {
            format!(
                "getfd-{}",
                errno_name(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
            )
        } else {
            write_fd(fd, contid.as_bytes())
        }
    };
    let own = match OpenOptions::new()
        .write(true)
        .open(format!("/proc/{child}/audit_containerid"))
    {
        Ok(file) => {
            use std::os::fd::AsRawFd;
            write_fd(file.as_raw_fd(), contid.as_bytes())
        }
        Err(err) => errno_name(err.raw_os_error().unwrap_or(0)).to_string(),
    };
    // SAFETY: plain syscalls; the child exits once it reads the byte.
    unsafe {
        libc::write(done[1], [0u8].as_ptr().cast(), 1);
        libc::waitpid(child, core::ptr::null_mut(), 0);
    }
    println!("passed={passed} own={own}");
    ExitCode::SUCCESS
}

/// Nanoseconds per call of `f`, over `iterations` calls.
/// `stat-on-signal`: see the comment at the top. Everything the loop uses
/// (the path, the code, the stack) is in place before the signal, which a
/// test sends once it has moved this process into a cgroup where no charge
/// succeeds; the loop's own syscalls charge nothing.
fn stat_on_signal(file: &str, count: u64) -> ExitCode {
    let Ok(path) = std::ffi::CString::new(file) else {
        return ExitCode::from(2);
    };
    // SAFETY: an all-zero `struct stat` and `sigset_t` are valid values.
    let (mut st, mut set): (libc::stat, libc::sigset_t) = unsafe { core::mem::zeroed() };
    let mut signal: libc::c_int = 0;
    // SAFETY: `set` is a valid signal set; SIGUSR1 is blocked so that
    // sigwait() takes it, and `path` and `st` are valid for fstatat().
    let warmed = unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, core::ptr::null_mut());
        // Faults in the loop's code and stack; "/" matches no test's name.
        libc::fstatat(libc::AT_FDCWD, c"/".as_ptr(), &mut st, 0) == 0
    };
    if !warmed {
        return ExitCode::from(1);
    }
    println!("ready");
    let _ = std::io::stdout().flush();
    // SAFETY: `set` and `signal` are valid for sigwait().
    if unsafe { libc::sigwait(&set, &mut signal) } != 0 {
        return ExitCode::from(1);
    }
    let mut failed = 0u64;
    for _ in 0..count {
        // SAFETY: as above.
        if unsafe { libc::fstatat(libc::AT_FDCWD, path.as_ptr(), &mut st, 0) } != 0 {
            failed += 1;
        }
    }
    // Straight out: the runtime's clean-up on return from main() unmaps
    // the signal stack, and splitting a mapping needs memory.
    // SAFETY: nothing is left to flush or drop.
    unsafe { libc::_exit(i32::from(failed != 0)) }
}

fn time_per_call(iterations: u32, mut f: impl FnMut()) -> f64 {
    let start = std::time::Instant::now();
    for _ in 0..iterations {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(iterations)
}

fn bench_syscalls(iterations: u32, file: &str) -> ExitCode {
    let Ok(path) = std::ffi::CString::new(file) else {
        return ExitCode::from(2);
    };
    let getpid = time_per_call(iterations, || {
        // SAFETY: getpid has no arguments; the raw call skips any caching.
        unsafe { libc::syscall(libc::SYS_getpid) };
    });
    let openat = time_per_call(iterations, || {
        // SAFETY: `path` is a valid C string; the descriptor is closed at once.
        unsafe {
            let fd = libc::openat(libc::AT_FDCWD, path.as_ptr(), libc::O_RDONLY);
            if fd >= 0 {
                libc::close(fd);
            }
        }
    });
    let Ok(new_path) = std::ffi::CString::new(format!("{file}.new")) else {
        return ExitCode::from(2);
    };
    // A change of an entry of FILE's directory: what fsnotify marks on the
    // directory (watches) cost whoever makes it.
    let create = time_per_call(iterations, || {
        // SAFETY: `new_path` is a valid C string; the descriptor is closed
        // at once.
        unsafe {
            let fd = libc::openat(
                libc::AT_FDCWD,
                new_path.as_ptr(),
                libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC,
                0o600,
            );
            if fd >= 0 {
                libc::close(fd);
            }
            libc::unlink(new_path.as_ptr());
        }
    });
    println!("getpid_ns={getpid:.1} openat_ns={openat:.1} create_ns={create:.1}");
    ExitCode::SUCCESS
}

/// A minimal io_uring of one entry, set up with raw syscalls: the guest
/// has no liburing, and the probe needs one opcode only.
mod uring {
    use std::ffi::CStr;
    use std::io;
    use std::ptr;
    use std::sync::atomic::{AtomicU32, Ordering};

    const IORING_OFF_SQ_RING: libc::off_t = 0;
    const IORING_OFF_CQ_RING: libc::off_t = 0x800_0000;
    const IORING_OFF_SQES: libc::off_t = 0x1000_0000;
    const IORING_ENTER_GETEVENTS: u32 = 1;
    const IORING_OP_OPENAT: u8 = 18;
    const IOSQE_ASYNC: u8 = 1 << 4;

    /// Word indices in `struct io_uring_params` and its offset structs.
    const SQ_ENTRIES: usize = 0;
    const CQ_ENTRIES: usize = 1;
    const HEAD: usize = 0;
    const TAIL: usize = 1;
    const RING_MASK: usize = 2;
    const SQ_ARRAY: usize = 6;
    const CQ_CQES: usize = 5;

    /// `struct io_uring_params`: 10 words, then `io_sqring_offsets` and
    /// `io_cqring_offsets`, 8 words and a u64 each.
    #[repr(C)]
    #[derive(Default)]
    struct Params {
        head: [u32; 10],
        sq_off: [u32; 10],
        cq_off: [u32; 10],
    }

    /// `struct io_uring_sqe`, named as far as an openat uses it.
    #[repr(C)]
    #[derive(Default)]
    struct Sqe {
        opcode: u8,
        flags: u8,
        ioprio: u16,
        fd: i32,
        off: u64,
        addr: u64,
        len: u32,
        open_flags: u32,
        user_data: u64,
        rest: [u64; 3],
    }

    /// `struct io_uring_cqe`: user data, result, flags.
    #[repr(C)]
    struct Cqe {
        _user_data: u64,
        res: i32,
        _flags: u32,
    }

    /// A ring of one entry and its three mappings.
    pub struct Ring {
        fd: libc::c_int,
        sq: *mut u8,
        sq_len: usize,
        cq: *mut u8,
        cq_len: usize,
        sqes: *mut Sqe,
        params: Params,
    }

    fn map(fd: libc::c_int, len: usize, offset: libc::off_t) -> io::Result<*mut u8> {
        // SAFETY: a new shared mapping of the ring's fd; checked below.
        let ptr = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd,
                offset,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(ptr.cast())
    }

    impl Ring {
        pub fn new() -> io::Result<Ring> {
            let mut params = Params::default();
            // SAFETY: io_uring_setup(2) with one entry and room for params.
            let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 1u32, &mut params) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            let sq_len = (params.sq_off[SQ_ARRAY] + params.head[SQ_ENTRIES] * 4) as usize;
            let cq_len = (params.cq_off[CQ_CQES] + params.head[CQ_ENTRIES] * 16) as usize;
            let mut ring = Ring {
                fd: fd as libc::c_int,
                sq: ptr::null_mut(),
                sq_len,
                cq: ptr::null_mut(),
                cq_len,
                sqes: ptr::null_mut(),
                params,
            };
            ring.sq = map(ring.fd, sq_len, IORING_OFF_SQ_RING)?;
            ring.cq = map(ring.fd, cq_len, IORING_OFF_CQ_RING)?;
            ring.sqes = map(ring.fd, std::mem::size_of::<Sqe>(), IORING_OFF_SQES)?.cast();
            Ok(ring)
        }

        fn word(base: *mut u8, offset: u32) -> &'static AtomicU32 {
            // SAFETY: the offsets come from the kernel and name aligned u32s
            // in a mapping that lives as long as the ring.
            unsafe { AtomicU32::from_ptr(base.add(offset as usize).cast()) }
        }

        /// Opens `path` read-only with one IORING_OP_OPENAT whose SQE has
        /// `flags`; returns the new fd or the errno.
        fn openat(&mut self, path: &CStr, flags: u8) -> io::Result<libc::c_int> {
            let (sq_off, cq_off) = (self.params.sq_off, self.params.cq_off);
            let sq_tail = Self::word(self.sq, sq_off[TAIL]);
            let tail = sq_tail.load(Ordering::Acquire);
            let index = tail & Self::word(self.sq, sq_off[RING_MASK]).load(Ordering::Relaxed);
            // SAFETY: the entry at `index` is ours until the tail moves past
            // it; the index array has `sq_entries` u32s.
            unsafe {
                self.sqes.add(index as usize).write(Sqe {
                    opcode: IORING_OP_OPENAT,
                    flags,
                    fd: libc::AT_FDCWD,
                    addr: path.as_ptr() as u64,
                    open_flags: libc::O_RDONLY as u32,
                    ..Sqe::default()
                });
                let array = self.sq.add(sq_off[SQ_ARRAY] as usize).cast::<u32>();
                array.add(index as usize).write(index);
            }
            sq_tail.store(tail.wrapping_add(1), Ordering::Release);
            // SAFETY: io_uring_enter(2): submit one, wait for one.
            let ret = unsafe {
                libc::syscall(
                    libc::SYS_io_uring_enter,
                    self.fd,
                    1u32,
                    1u32,
                    IORING_ENTER_GETEVENTS,
                    ptr::null::<libc::sigset_t>(),
                    0usize,
                )
            };
            if ret < 0 {
                return Err(io::Error::last_os_error());
            }
            let cq_head = Self::word(self.cq, cq_off[HEAD]);
            let head = cq_head.load(Ordering::Relaxed);
            if Self::word(self.cq, cq_off[TAIL]).load(Ordering::Acquire) == head {
                return Err(io::Error::from_raw_os_error(libc::EAGAIN));
            }
            let mask = Self::word(self.cq, cq_off[RING_MASK]).load(Ordering::Relaxed);
            // SAFETY: the entry at `head` is complete while head != tail.
            let cqe = unsafe {
                let cqes = self.cq.add(cq_off[CQ_CQES] as usize).cast::<Cqe>();
                cqes.add((head & mask) as usize).read()
            };
            cq_head.store(head.wrapping_add(1), Ordering::Release);
            if cqe.res < 0 {
                return Err(io::Error::from_raw_os_error(-cqe.res));
            }
            Ok(cqe.res)
        }

        /// Opens `path` with IOSQE_ASYNC, so that an io-wq worker runs the
        /// operation outside any syscall, and closes it.
        pub fn open_async(&mut self, path: &CStr) -> io::Result<()> {
            let fd = self.openat(path, IOSQE_ASYNC)?;
            // SAFETY: `fd` is the file the ring just opened for us.
            unsafe { libc::close(fd) };
            Ok(())
        }
    }

    impl Drop for Ring {
        fn drop(&mut self) {
            // SAFETY: the mappings and the fd are the ring's own.
            unsafe {
                libc::munmap(self.sq.cast(), self.sq_len);
                libc::munmap(self.cq.cast(), self.cq_len);
                libc::munmap(self.sqes.cast(), std::mem::size_of::<Sqe>());
                libc::close(self.fd);
            }
        }
    }
}

fn uring_openat(file: &str, count: u64) -> ExitCode {
    let Ok(path) = std::ffi::CString::new(file) else {
        return ExitCode::from(2);
    };
    let result =
        uring::Ring::new().and_then(|mut ring| (0..count).try_for_each(|_| ring.open_async(&path)));
    if let Err(err) = result {
        return report(Err(err));
    }
    println!("pid={} opened={count}", std::process::id());
    ExitCode::SUCCESS
}

const AUDIT_GET: u16 = 1000;

/// The `lost` count of the audit status of this process's namespace.
fn audit_lost(socket: &AuditSocket) -> std::io::Result<u32> {
    const LOST_OFFSET: usize = std::mem::offset_of!(AuditStatus, lost);
    socket.send(AUDIT_GET, &[])?;
    let (mut acked, mut lost) = (false, None);
    // The status may come before or after the acknowledgement.
    while !acked || lost.is_none() {
        match socket.receive()? {
            Reply::Ack => acked = true,
            Reply::Message(AUDIT_GET, payload) if payload.len() >= LOST_OFFSET + 4 => {
                let bytes = [
                    payload[LOST_OFFSET],
                    payload[LOST_OFFSET + 1],
                    payload[LOST_OFFSET + 2],
                    payload[LOST_OFFSET + 3],
                ];
                lost = Some(u32::from_ne_bytes(bytes));
            }
            Reply::Message(..) => {}
            Reply::Error(errno) => return Err(std::io::Error::from_raw_os_error(errno)),
        }
    }
    Ok(lost.unwrap_or_default())
}

/// `fail-nth-open`: see the comment at the top. Everything an attempt
/// needs is allocated before its fault is armed, and the fault is disarmed
/// before the status request, so that the K-th allocation is the
/// openat's own or that of its audit event (the syscall's exit).
fn fail_nth_open(prefix: &str, attempts: u32) -> std::io::Result<()> {
    let fail_nth = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/proc/thread-self/fail-nth")?;
    let socket = AuditSocket::open()?;
    let mut missed_in_a_row = 0;
    for attempt in 1..=attempts {
        let path = std::ffi::CString::new(format!("{prefix}-{attempt}"))
            .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
        let armed = attempt.to_string();
        let before = audit_lost(&socket)?;
        fail_nth.write_at(armed.as_bytes(), 0)?;
        // SAFETY: `path` is a valid C string.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY) };
        let errno = if fd < 0 {
            std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
        } else {
            0
        };
        // Reads back 0 once the fault was injected, else what is left.
        let mut left = [0u8; 16];
        let len = fail_nth.read_at(&mut left, 0)?;
        let injected = std::str::from_utf8(&left[..len]).map(str::trim) == Ok("0");
        if !injected {
            fail_nth.write_at(b"0", 0)?;
        }
        if fd >= 0 {
            // SAFETY: `fd` was opened above and is not used again.
            unsafe { libc::close(fd) };
        }
        let after = audit_lost(&socket)?;
        println!(
            "attempt={attempt} errno={} injected={} lost={}",
            if errno == 0 {
                "none".into()
            } else {
                errno_name(errno)
            },
            u8::from(injected),
            after.wrapping_sub(before)
        );
        missed_in_a_row = if injected { 0 } else { missed_in_a_row + 1 };
        if missed_in_a_row == 5 {
            break;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["write", path, text] => report(write_once(path, None, text)),
        ["write-at", path, offset, text] => match offset.parse() {
            Ok(offset) => report(write_once(path, Some(offset), text)),
            Err(_) => ExitCode::from(2),
        },
        ["threads", seconds] => {
            let Ok(seconds) = seconds.parse() else {
                return ExitCode::from(2);
            };
            let worker =
                std::thread::spawn(move || std::thread::sleep(Duration::from_secs(seconds)));
            println!("ready");
            let _ = std::io::stdout().flush();
            let _ = worker.join();
            ExitCode::SUCCESS
        }
        ["bench-syscalls", iterations, file] => match iterations.parse() {
            Ok(iterations) => bench_syscalls(iterations, file),
            Err(_) => ExitCode::from(2),
        },
        ["open-loop", file, count] => match count.parse::<u64>() {
            Ok(count) => {
                let mut opened = 0u64;
                for _ in 0..count {
                    if std::fs::File::open(file).is_ok() {
                        opened += 1;
                    }
                }
                println!("pid={} opened={opened}", std::process::id());
                if opened == count {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(_) => ExitCode::from(2),
        },
        ["passed-contid-file", uid, contid] => match uid.parse() {
            Ok(uid) => passed_contid_file(uid, contid),
            Err(_) => ExitCode::from(2),
        },
        ["stat-on-signal", file, count] => match count.parse() {
            Ok(count) => stat_on_signal(file, count),
            Err(_) => ExitCode::from(2),
        },
        ["uring-openat", file, count] => match count.parse() {
            Ok(count) => uring_openat(file, count),
            Err(_) => ExitCode::from(2),
        },
        ["fail-nth-open", prefix, attempts] => match attempts.parse() {
            Ok(attempts) => report(fail_nth_open(prefix, attempts)),
            Err(_) => ExitCode::from(2),
        },
        ["thread-contid"] => {
            let process = read_contid("/proc/self/audit_containerid");
            let thread = std::thread::spawn(|| read_contid("/proc/thread-self/audit_containerid"))
                .join()
                .unwrap_or_default();
            println!("process={process} thread={thread}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: see the comment at the top of auditns-helper's main.rs");
            ExitCode::from(2)
        }
    }
}
