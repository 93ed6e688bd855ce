// SPDX-License-Identifier: GPL-2.0

//! `contid-run`: the smallest container orchestrator auditns needs.
//!
//! ```text
//! contid-run --contid N [--userns] [--pidns] [--netns] [--map-base B] -- CMD [ARGS...]
//! ```
//!
//! Starts CMD in a child with the namespaces asked for and sets the child's
//! audit container ID to N before the child execs, as a container runtime
//! would. The parent stays in its own namespaces: setting an ID takes
//! `CAP_AUDIT_CONTROL` in the initial user namespace. With `--userns` the
//! child's ids 0-65535 map to host ids B-(B+65535) (B = 100000 by default)
//! and CMD runs as the namespace's root. Exits with CMD's status, or 125 if
//! the container could not be set up.

use std::ffi::CString;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::ExitCode;

#[path = "../../errno_name.rs"]
mod errno_name;
use errno_name::errno_name;

const SETUP_FAILED: u8 = 125;

struct Options {
    contid: String,
    userns: bool,
    pidns: bool,
    netns: bool,
    map_base: u32,
    command: Vec<CString>,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: contid-run --contid N [--userns] [--pidns] [--netns] [--map-base B] -- CMD [ARGS...]"
    );
    ExitCode::from(2)
}

fn parse_options() -> Option<Options> {
    let mut args = std::env::args_os().skip(1);
    let mut options = Options {
        contid: String::new(),
        userns: false,
        pidns: false,
        netns: false,
        map_base: 100_000,
        command: Vec::new(),
    };
    while let Some(arg) = args.next() {
        match arg.to_str()? {
            "--contid" => options.contid = args.next()?.into_string().ok()?,
            "--userns" => options.userns = true,
            "--pidns" => options.pidns = true,
            "--netns" => options.netns = true,
            "--map-base" => options.map_base = args.next()?.to_str()?.parse().ok()?,
            "--" => {
                for word in args.by_ref() {
                    options.command.push(CString::new(word.as_bytes()).ok()?);
                }
            }
            _ => return None,
        }
    }
    (!options.contid.is_empty() && !options.command.is_empty()).then_some(options)
}

/// Writes `text` to a file of `/proc/PID`, in one write as the kernel wants.
fn write_proc(pid: libc::pid_t, file: &str, text: &str) -> io::Result<()> {
    let path = format!("/proc/{pid}/{file}");
    let mut f = OpenOptions::new().write(true).open(&path)?;
    f.write_all(text.as_bytes())
}

/// The parent's side: map ids, set the container ID, then let the child go.
fn set_up_child(options: &Options, pid: libc::pid_t) -> io::Result<()> {
    if options.userns {
        let map = format!("0 {} 65536\n", options.map_base);
        write_proc(pid, "uid_map", &map)?;
        write_proc(pid, "gid_map", &map)?;
    }
    write_proc(pid, "audit_containerid", &format!("{}\n", options.contid)).map_err(|err| {
        let errno = err.raw_os_error().map(errno_name).unwrap_or_default();
        io::Error::new(
            err.kind(),
            format!(
                "cannot set audit container ID {}: {errno} ({err})",
                options.contid
            ),
        )
    })
}

/// The child's side, between clone and exec: only async-signal-safe calls.
fn run_child(options: &Options, go: libc::c_int) -> ! {
    let mut byte = 0u8;
    // SAFETY: `byte` is valid for a one-byte read.
    let got = unsafe { libc::read(go, (&mut byte as *mut u8).cast(), 1) };
    if got != 1 {
        // The parent could not set the container up.
        // SAFETY: _exit is always safe to call.
        unsafe { libc::_exit(i32::from(SETUP_FAILED)) };
    }
    if options.userns {
        // SAFETY: plain system calls; their failure is reported below.
        let ok = unsafe { libc::setresgid(0, 0, 0) == 0 && libc::setresuid(0, 0, 0) == 0 };
        if !ok {
            // SAFETY: _exit is always safe to call.
            unsafe { libc::_exit(i32::from(SETUP_FAILED)) };
        }
    }
    let mut argv: Vec<*const libc::c_char> = options.command.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    // SAFETY: `argv` is a null-terminated array of C strings that outlive the call.
    unsafe { libc::execvp(argv[0], argv.as_ptr()) };
    // SAFETY: _exit is always safe to call.
    unsafe { libc::_exit(127) }
}

fn main() -> ExitCode {
    let Some(options) = parse_options() else {
        return usage();
    };
    let mut go = [0 as libc::c_int; 2];
    // SAFETY: `go` has room for the two descriptors.
    if unsafe { libc::pipe2(go.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        eprintln!("contid-run: pipe: {}", io::Error::last_os_error());
        return ExitCode::from(SETUP_FAILED);
    }
    let mut flags = libc::SIGCHLD as libc::c_ulong;
    if options.userns {
        flags |= libc::CLONE_NEWUSER as libc::c_ulong;
    }
    if options.pidns {
        flags |= libc::CLONE_NEWPID as libc::c_ulong;
    }
    if options.netns {
        flags |= libc::CLONE_NEWNET as libc::c_ulong;
    }
    // SAFETY: clone without a new stack behaves like fork; this program has
    // one thread, and the child only makes async-signal-safe calls.
    let pid = unsafe { libc::syscall(libc::SYS_clone, flags, 0, 0, 0, 0) } as libc::pid_t;
    if pid < 0 {
        eprintln!("contid-run: clone: {}", io::Error::last_os_error());
        return ExitCode::from(SETUP_FAILED);
    }
    if pid == 0 {
        // SAFETY: closing our copy of the write end.
        unsafe { libc::close(go[1]) };
        run_child(&options, go[0]);
    }
    // SAFETY: closing our copy of the read end.
    unsafe { libc::close(go[0]) };
    let setup = set_up_child(&options, pid);
    if let Err(err) = &setup {
        eprintln!("contid-run: {err}");
    } else {
        // SAFETY: writing one byte from a valid buffer.
        unsafe { libc::write(go[1], b"g".as_ptr().cast(), 1) };
    }
    // SAFETY: closing the write end lets a waiting child see end-of-file.
    unsafe { libc::close(go[1]) };
    let mut status = 0;
    // SAFETY: `status` is valid for writes.
    if unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
        eprintln!("contid-run: waitpid: {}", io::Error::last_os_error());
        return ExitCode::from(SETUP_FAILED);
    }
    if setup.is_err() {
        return ExitCode::from(SETUP_FAILED);
    }
    if libc::WIFEXITED(status) {
        ExitCode::from(libc::WEXITSTATUS(status) as u8)
    } else {
        ExitCode::from(128 + libc::WTERMSIG(status) as u8)
    }
}
