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
