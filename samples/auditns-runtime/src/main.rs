// SPDX-License-Identifier: GPL-2.0

//! `auditns-runtime`: an OCI runtime that gives containers their audit
//! container ID, in front of a real one (crun or runc).
//!
//! ```text
//! auditns-runtime [--auditns-runtime=PATH] [--auditns-allow-untagged] [GLOBAL-OPTIONS] COMMAND ...
//! ```
//!
//! `create`, `run` and `exec` run the real runtime in a process that already
//! has the container's ID, so that the container's init and every process
//! `exec` starts in it inherit the ID before they run any of the container's
//! code; `delete` is recorded; every other command is the real runtime's,
//! unchanged (the wrapper execs it). See Documentation/runtimes.rst.
//!
//! The real runtime: `--auditns-runtime=PATH`, else `$AUDITNS_RUNTIME`, else
//! the program's name (`auditns-crun` runs crun, `auditns-runc` runc), else
//! crun. Errors of the wrapper exit with status 1 and a message that begins
//! with `auditns-runtime:`; nothing has been started then.

mod oci;

#[path = "../../audit_socket.rs"]
#[allow(dead_code)]
mod audit_socket;
#[path = "../../errno_name.rs"]
mod errno_name;

use audit_socket::{AuditSocket, Reply};
use errno_name::errno_name;
use oci::{CommandArgs, ControlRecord, CONTID_UNSET};
use std::ffi::{CString, OsStr};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

/// `AUDIT_VIRT_CONTROL` of `<uapi/linux/audit.h>`.
const AUDIT_VIRT_CONTROL: u16 = 2500;

/// Where the real runtime is looked for when the caller gives no PATH.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The wrapper's failure, before the real runtime ran.
const WRAPPER_FAILED: u8 = 1;

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("auditns-runtime: {message}");
    ExitCode::from(WRAPPER_FAILED)
}

/// The real runtime, by option, environment or program name.
fn real_runtime(option: Option<&str>) -> Result<PathBuf, String> {
    let program = std::env::args_os().next().unwrap_or_default();
    let by_name = match Path::new(&program).file_name().and_then(OsStr::to_str) {
        Some("auditns-runc") => "runc",
        _ => "crun",
    };
    let named = option
        .map(str::to_string)
        .or_else(|| {
            std::env::var("AUDITNS_RUNTIME")
                .ok()
                .filter(|p| !p.is_empty())
        })
        .unwrap_or_else(|| by_name.to_string());
    // Engines may run the runtime without PATH (podman's kill does): then
    // the usual directories.
    let candidates: Vec<PathBuf> = if named.contains('/') {
        vec![PathBuf::from(&named)]
    } else {
        let path = std::env::var_os("PATH")
            .filter(|path| !path.is_empty())
            .unwrap_or_else(|| DEFAULT_PATH.into());
        std::env::split_paths(&path)
            .map(|dir| dir.join(&named))
            .collect()
    };
    candidates
        .into_iter()
        .find(|path| is_executable(path))
        .ok_or_else(|| format!("no runtime at {named:?}: not an executable file"))
}

fn is_executable(path: &Path) -> bool {
    let Ok(name) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `name` is a valid C string.
    path.is_file() && unsafe { libc::access(name.as_ptr(), libc::X_OK) } == 0
}

fn c_string(word: &str) -> Result<CString, String> {
    CString::new(word).map_err(|_| format!("argument {word:?} holds a NUL byte"))
}

/// Replaces the wrapper with the real runtime: the caller sees its output
/// and exit status unchanged.
fn exec_runtime(runtime: &Path, argv: &[String]) -> ExitCode {
    let err = std::os::unix::process::CommandExt::exec(Command::new(runtime).args(&argv[1..]));
    fail(format!("cannot run {}: {err}", runtime.display()))
}

/// An exit status as a shell reports it.
fn exit_code(status: libc::c_int) -> u8 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status) as u8
    } else {
        128u8.wrapping_add(libc::WTERMSIG(status) as u8)
    }
}

/// Ends the wrapper as the runtime ended: with its exit status, or by the
/// signal that killed it, so that a supervisor sees what it would see
/// without the wrapper.
fn finish(status: libc::c_int) -> ExitCode {
    if libc::WIFSIGNALED(status) {
        let signal = libc::WTERMSIG(status);
        // SAFETY: plain signal calls on the wrapper itself.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::kill(libc::getpid(), signal);
        }
    }
    ExitCode::from(exit_code(status))
}

fn write_all_fd(fd: libc::c_int, bytes: &[u8]) {
    // SAFETY: `bytes` is valid for reads of its length; a short or failed
    // write shows as a short read on the other side.
    unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
}

fn read_exact_fd(fd: libc::c_int, bytes: &mut [u8]) -> bool {
    let mut done = 0;
    while done < bytes.len() {
        // SAFETY: the rest of `bytes` is valid for writes.
        let got = unsafe { libc::read(fd, bytes[done..].as_mut_ptr().cast(), bytes.len() - done) };
        if got < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        if got <= 0 {
            return false;
        }
        done += got as usize;
    }
    true
}

fn wait_for(pid: libc::pid_t) -> io::Result<libc::c_int> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is valid for writes.
        if unsafe { libc::waitpid(pid, &mut status, 0) } >= 0 {
            return Ok(status);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// The setter's side: it forks the runner, the process that will run the
/// runtime, gives it `contid` and exits, so that the ID's owner is gone at
/// once and any later `exec` may join the container (see
/// container-id.rst). Reports the runner's PID and the write's errno (0
/// when set) on `report`.
fn run_setter(contid: u64, argv: &[CString], go: &Pipe, report: &Pipe) -> ! {
    // SAFETY: this process has one thread (the wrapper starts none).
    let runner = unsafe { libc::fork() };
    if runner == 0 {
        go.close_writer();
        report.close_reader();
        report.close_writer();
        run_runner(argv, go.reader());
    }
    let errno = if runner < 0 {
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EAGAIN)
    } else {
        let path = format!("/proc/{runner}/audit_containerid");
        let written = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut file| file.write_all(format!("{contid}\n").as_bytes()));
        written.map_or_else(|err| err.raw_os_error().unwrap_or(libc::EIO), |()| 0)
    };
    let mut message = [0u8; 8];
    message[..4].copy_from_slice(&runner.to_ne_bytes());
    message[4..].copy_from_slice(&errno.to_ne_bytes());
    write_all_fd(report.writer(), &message);
    // SAFETY: _exit is always safe to call.
    unsafe { libc::_exit(0) }
}

/// The runner's side: it waits until the wrapper lets it go (once it has
/// its ID), then becomes the runtime.
fn run_runner(argv: &[CString], go: libc::c_int) -> ! {
    let mut byte = 0u8;
    if !read_exact_fd(go, std::slice::from_mut(&mut byte)) {
        // The wrapper did not let it go: nothing runs.
        // SAFETY: _exit is always safe to call.
        unsafe { libc::_exit(125) };
    }
    let mut pointers: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    pointers.push(std::ptr::null());
    // Rust's runtime ignores SIGPIPE; the runtime and what it starts get
    // the default, as from a shell.
    // SAFETY: plain signal disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    // SAFETY: `pointers` is a null-terminated array of C strings that
    // outlive the call.
    unsafe { libc::execv(pointers[0], pointers.as_ptr()) };
    eprintln!(
        "auditns-runtime: cannot run {:?}: {}",
        argv[0],
        io::Error::last_os_error()
    );
    // SAFETY: _exit is always safe to call.
    unsafe { libc::_exit(127) }
}

/// Whether a process may join an ID that other processes have.
enum Join {
    /// `exec`: the new process joins its container.
    Allow,
    /// `create`, `run`: a new container has an ID of its own.
    Refuse,
}

/// Why the runtime did not run with its ID.
enum TagError {
    /// The kernel refused the ID, with this errno.
    Refused(i32),
    /// A new container's ID is held by this process.
    InUse(i32),
    /// A system call of the wrapper failed.
    Wrapper(io::Error),
}

impl std::fmt::Display for TagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(errno) => write!(
                f,
                "{} ({})",
                errno_name(*errno),
                io::Error::from_raw_os_error(*errno)
            ),
            Self::InUse(pid) => write!(f, "in use (by PID {pid})"),
            Self::Wrapper(err) => write!(f, "{err}"),
        }
    }
}

/// Runs the real runtime, `argv[0]` its path, in a process that has
/// `contid`, and waits for it. `started` runs once the process has its ID,
/// before it runs the runtime. Returns the runtime's wait status.
///
/// A setter process forks the runner, sets the runner's ID (it must descend
/// from the writer) and exits; the wrapper is a child subreaper meanwhile,
/// so that the runner becomes its child and it can wait for it. While it
/// waits, the signals a supervisor sends go on to the runtime.
fn run_tagged(
    argv: &[CString],
    contid: u64,
    started: impl FnOnce(),
) -> Result<libc::c_int, TagError> {
    let go = Pipe::new().map_err(TagError::Wrapper)?;
    let report = Pipe::new().map_err(TagError::Wrapper)?;
    let subreaper = Subreaper::become_one().map_err(TagError::Wrapper)?;
    // SAFETY: the wrapper has one thread; the child runs run_setter(),
    // which exits.
    let setter = unsafe { libc::fork() };
    if setter == 0 {
        run_setter(contid, argv, &go, &report);
    }
    if setter < 0 {
        return Err(TagError::Wrapper(io::Error::last_os_error()));
    }
    go.close_reader();
    report.close_writer();
    let mut message = [0u8; 8];
    let reported = read_exact_fd(report.reader(), &mut message);
    let setter_status = wait_for(setter);
    // The setter has exited: the runner, if it was forked, is the
    // wrapper's child now.
    drop(subreaper);
    let runner = i32::from_ne_bytes(message[..4].try_into().unwrap());
    let errno = i32::from_ne_bytes(message[4..].try_into().unwrap());
    if !reported || setter_status.is_err() || runner <= 0 || errno != 0 {
        // The runner, if any, sees end-of-file and exits without running
        // anything; reap it, known or not.
        drop(go);
        reap_children();
        return Err(match (reported, errno) {
            (true, errno) if errno != 0 => TagError::Refused(errno),
            _ => TagError::Wrapper(io::Error::other("the setter process failed")),
        });
    }
    started();
    forward_signals_to(runner);
    write_all_fd(go.writer(), b"g");
    drop(go);
    let status = wait_for(runner).map_err(TagError::Wrapper);
    forward_signals_to(0);
    status
}

/// A pipe whose ends are closed when it is dropped, if still open.
struct Pipe {
    reader: std::cell::Cell<libc::c_int>,
    writer: std::cell::Cell<libc::c_int>,
}

impl Pipe {
    fn new() -> io::Result<Self> {
        let mut ends = [0; 2];
        // SAFETY: `ends` has room for two descriptors.
        if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Self {
            reader: std::cell::Cell::new(ends[0]),
            writer: std::cell::Cell::new(ends[1]),
        })
    }

    fn reader(&self) -> libc::c_int {
        self.reader.get()
    }

    fn writer(&self) -> libc::c_int {
        self.writer.get()
    }

    fn close_reader(&self) {
        close_once(&self.reader);
    }

    fn close_writer(&self) {
        close_once(&self.writer);
    }
}

/// Closes the descriptor in `fd` unless it was closed before (-1).
fn close_once(fd: &std::cell::Cell<libc::c_int>) {
    let number = fd.replace(-1);
    if number >= 0 {
        // SAFETY: the descriptor is owned by the pipe, which forgets it.
        unsafe { libc::close(number) };
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        self.close_reader();
        self.close_writer();
    }
}

/// The wrapper as a child subreaper, as it was before when dropped.
struct Subreaper {
    before: libc::c_int,
}

impl Subreaper {
    fn become_one() -> io::Result<Self> {
        let mut before: libc::c_int = 0;
        // SAFETY: plain prctl calls; `before` is valid for the write.
        unsafe {
            if libc::prctl(
                libc::PR_GET_CHILD_SUBREAPER,
                &mut before as *mut libc::c_int,
            ) != 0
                || libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(Self { before })
    }
}

impl Drop for Subreaper {
    fn drop(&mut self) {
        // SAFETY: plain prctl; later orphans go where they would without
        // the wrapper.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, self.before, 0, 0, 0) };
    }
}

/// Reaps every child that has exited or will: after a failed set, the only
/// children are the setter (reaped) and the runner, which exits at once.
fn reap_children() {
    let mut status = 0;
    // SAFETY: `status` is valid for writes.
    while unsafe { libc::waitpid(-1, &mut status, 0) } > 0
        || io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
    {}
}

/// The runner that signals go to, 0 for none.
static SIGNAL_TARGET: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// The signals a supervisor sends to stop or reload its runtime. SIGINT and
/// SIGQUIT come from a terminal to its whole foreground process group, the
/// runtime included: the wrapper ignores them while it waits.
const FORWARDED_SIGNALS: &[libc::c_int] = &[
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
];

extern "C" fn forward_signal(signal: libc::c_int) {
    let target = SIGNAL_TARGET.load(std::sync::atomic::Ordering::Relaxed);
    if target > 0 {
        // SAFETY: kill() is async-signal-safe.
        unsafe { libc::kill(target, signal) };
    }
}

/// Sends the forwarded signals to `runner` from now on; 0 restores their
/// default actions.
fn forward_signals_to(runner: libc::pid_t) {
    SIGNAL_TARGET.store(runner, std::sync::atomic::Ordering::Relaxed);
    let (forwarded, terminal) = if runner > 0 {
        (
            forward_signal as extern "C" fn(libc::c_int) as libc::sighandler_t,
            libc::SIG_IGN,
        )
    } else {
        (libc::SIG_DFL, libc::SIG_DFL)
    };
    for &signal in FORWARDED_SIGNALS {
        // SAFETY: the handler only loads an atomic and calls kill().
        unsafe { libc::signal(signal, forwarded) };
    }
    for signal in [libc::SIGINT, libc::SIGQUIT] {
        // SAFETY: plain signal dispositions.
        unsafe { libc::signal(signal, terminal) };
    }
}

/// Runs the runtime untagged and waits for it.
fn run_untagged(argv: &[CString]) -> Result<libc::c_int, TagError> {
    let status = Command::new(OsStr::from_bytes(argv[0].as_bytes()))
        .args(argv[1..].iter().map(|a| OsStr::from_bytes(a.as_bytes())))
        .status()
        .map_err(TagError::Wrapper)?;
    Ok(std::os::unix::process::ExitStatusExt::into_raw(status))
}

/// The runtime's `state` of container `id`, through the same global options.
fn query_state(runtime: &Path, globals: &[String], id: &str) -> Option<oci::ContainerState> {
    let output = Command::new(runtime)
        .args(globals)
        .arg("state")
        .arg(id)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| oci::parse_state(&output.stdout))
        .flatten()
}

/// A process that has audit container ID `contid`, if any.
fn process_with_contid(contid: u64) -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|&pid| process_contid(pid) == Some(contid))
}

/// The audit container ID of a container's init, `pid` as the runtime's
/// state gave it: read through a pidfd, and taken only if the pidfd's
/// process still lives and the state still names it, so that a PID reused
/// in between cannot lend another process's ID.
fn init_contid(runtime: &Path, globals: &[String], id: &str, pid: i32) -> Option<u64> {
    // SAFETY: pidfd_open(2) takes a PID and flags and returns a descriptor
    // or -1.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as libc::c_int;
    if pidfd < 0 {
        return None;
    }
    let contid = process_contid(pid);
    // SAFETY: signal 0 only checks that the pidfd's process lives.
    let alive = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd,
            0,
            std::ptr::null::<u8>(),
            0,
        )
    } == 0;
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(pidfd) };
    let same = query_state(runtime, globals, id).and_then(|s| s.pid) == Some(pid);
    contid.filter(|_| alive && same)
}

/// The audit container ID of a process, `None` if it cannot be read.
fn process_contid(pid: i32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/audit_containerid")).ok()?;
    oci::parse_proc_contid(&text)
}

/// Writes a `VIRT_CONTROL` record through the audit socket; a failure is
/// reported, not fatal: the container's own events still carry its ID.
fn log_control(record: &ControlRecord<'_>) {
    // The kernel makes the message's last byte its terminating NUL.
    let mut text = record.text().into_bytes();
    text.push(0);
    let result = AuditSocket::open().and_then(|socket| {
        socket.send(AUDIT_VIRT_CONTROL, &text)?;
        while socket.wait(Some(Duration::from_secs(5)))? {
            match socket.receive()? {
                Reply::Ack => return Ok(()),
                Reply::Error(errno) => return Err(io::Error::from_raw_os_error(errno)),
                Reply::Message(..) => {}
            }
        }
        Err(io::Error::new(io::ErrorKind::TimedOut, "no answer"))
    });
    if let Err(err) = result {
        eprintln!("auditns-runtime: cannot write the VIRT_CONTROL record: {err}");
    }
}

/// The bundle's configuration file of `create` and `run`.
fn config_path(args: &CommandArgs) -> PathBuf {
    let bundle = PathBuf::from(args.bundle.as_deref().unwrap_or("."));
    match &args.config {
        Some(config) if Path::new(config).is_absolute() => PathBuf::from(config),
        Some(config) => bundle.join(config),
        None => bundle.join("config.json"),
    }
}

struct Invocation {
    runtime: PathBuf,
    runtime_name: String,
    allow_untagged: bool,
    globals: Vec<String>,
    command: String,
    args: Vec<String>,
}

impl Invocation {
    fn argv(&self) -> Result<Vec<CString>, String> {
        std::iter::once(self.runtime_name.as_str())
            .chain(self.globals.iter().map(String::as_str))
            .chain(std::iter::once(self.command.as_str()))
            .chain(self.args.iter().map(String::as_str))
            .map(c_string)
            .collect()
    }

    /// Runs the runtime with `contid`, or untagged if allowed when the ID
    /// cannot be set. `started` runs once the runtime's process has its ID.
    fn run(&self, contid: u64, join: Join, started: impl FnOnce()) -> Result<libc::c_int, String> {
        let argv = self.argv()?;
        // The kernel lets anyone allowed to set IDs join an ID whose setter
        // has exited, which is how exec works; a new container must not
        // join a running one, whatever its configuration asks.
        let in_use = match join {
            Join::Refuse => process_with_contid(contid),
            Join::Allow => None,
        };
        let tagged = match in_use {
            Some(pid) => Err(TagError::InUse(pid)),
            None => run_tagged(&argv, contid, started),
        };
        match tagged {
            Ok(status) => Ok(status),
            Err(err) if self.allow_untagged => {
                eprintln!(
                    "auditns-runtime: cannot set audit container ID {contid}: {err}; \
                     running untagged (--auditns-allow-untagged)"
                );
                run_untagged(&argv).map_err(|err| err.to_string())
            }
            Err(err) => Err(format!("cannot set audit container ID {contid}: {err}")),
        }
    }

    fn record<'a>(&'a self, op: &'a str, oci_id: &'a str) -> ControlRecord<'a> {
        ControlRecord {
            op,
            reason: &self.command,
            oci_id,
            name: None,
            bundle: None,
            contid: CONTID_UNSET,
            pid: None,
            runtime: &self.runtime_name,
            success: false,
        }
    }

    /// `create` and `run`: the container starts with its ID, or not at all.
    fn start(&self) -> ExitCode {
        let args = oci::parse_command_args(&self.command, &self.args);
        let Some(id) = args.id.as_deref() else {
            return fail(format!("{}: no container ID given", self.command));
        };
        let config_file = config_path(&args);
        let config = match std::fs::read(&config_file) {
            Ok(config) => config,
            Err(err) => return fail(format!("cannot read {}: {err}", config_file.display())),
        };
        let facts = match oci::bundle_facts(&config) {
            Ok(facts) => facts,
            Err(err) => return fail(format!("{}: {err}", config_file.display())),
        };
        let contid = facts.contid.unwrap_or_else(|| oci::derive_contid(id));
        let bundle = args.bundle.clone().unwrap_or_else(|| {
            std::env::current_dir().map_or_else(|_| ".".into(), |d| d.display().to_string())
        });
        let mut record = ControlRecord {
            name: facts.name.as_deref(),
            bundle: Some(&bundle),
            contid,
            ..self.record("start", id)
        };
        let detached_run = self.command == "run" && args.detach;
        let foreground_run = self.command == "run" && !detached_run;
        let status = self.run(contid, Join::Refuse, || {
            if foreground_run {
                // A foreground run returns when the container has exited:
                // its start is recorded when the runtime gets it.
                log_control(&ControlRecord {
                    success: true,
                    ..record
                });
            }
        });
        let status = match status {
            Ok(status) => status,
            Err(err) => {
                log_control(&record);
                return fail(err);
            }
        };
        let code = exit_code(status);
        if foreground_run {
            log_control(&ControlRecord {
                op: "stop",
                success: code == 0,
                ..record
            });
        } else {
            let state = (code == 0)
                .then(|| query_state(&self.runtime, &self.globals, id))
                .flatten();
            record.pid = state.and_then(|s| s.pid);
            record.contid = record.pid.and_then(process_contid).unwrap_or(contid);
            record.success = code == 0;
            log_control(&record);
        }
        finish(status)
    }

    /// `exec`: the new process gets the ID of the container's init.
    fn exec(&self) -> ExitCode {
        let args = oci::parse_command_args("exec", &self.args);
        let Some(id) = args.id.as_deref() else {
            return fail("exec: no container ID given");
        };
        let state = query_state(&self.runtime, &self.globals, id);
        let pid = state.as_ref().and_then(|s| s.pid);
        let Some(pid) = pid else {
            if self.allow_untagged {
                // No such container, or not running: the runtime says which.
                return exec_runtime(&self.runtime, &self.argv_strings());
            }
            return fail(format!(
                "exec: container {id} has no running init that {} state shows: exec refused",
                self.runtime_name
            ));
        };
        let mut record = ControlRecord {
            pid: Some(pid),
            bundle: state.as_ref().and_then(|s| s.bundle.as_deref()),
            ..self.record("exec", id)
        };
        let contid = match init_contid(&self.runtime, &self.globals, id, pid) {
            Some(CONTID_UNSET) | None if self.allow_untagged => {
                eprintln!(
                    "auditns-runtime: container {id} has no audit container ID; \
                     exec runs untagged (--auditns-allow-untagged)"
                );
                log_control(&ControlRecord {
                    success: true,
                    ..record
                });
                return exec_runtime(&self.runtime, &self.argv_strings());
            }
            Some(CONTID_UNSET) | None => {
                log_control(&record);
                return fail(format!(
                    "container {id} has no audit container ID (its init, PID {pid}): \
                     exec refused; --auditns-allow-untagged runs it untagged"
                ));
            }
            Some(contid) => contid,
        };
        record.contid = contid;
        let status = self.run(contid, Join::Allow, || {
            log_control(&ControlRecord {
                success: true,
                ..record
            })
        });
        match status {
            Ok(status) => finish(status),
            Err(err) => {
                log_control(&record);
                fail(err)
            }
        }
    }

    /// `delete`: recorded with the runtime's result.
    fn delete(&self) -> ExitCode {
        let args = oci::parse_command_args("delete", &self.args);
        let Some(id) = args.id.clone() else {
            return exec_runtime(&self.runtime, &self.argv_strings());
        };
        let state = query_state(&self.runtime, &self.globals, &id);
        let bundle = state.as_ref().and_then(|s| s.bundle.clone());
        let facts = bundle
            .as_ref()
            .and_then(|b| std::fs::read(Path::new(b).join("config.json")).ok())
            .and_then(|config| oci::bundle_facts(&config).ok());
        let contid = state
            .as_ref()
            .and_then(|s| s.pid)
            .and_then(process_contid)
            .filter(|&c| c != CONTID_UNSET)
            .or_else(|| facts.as_ref().and_then(|f| f.contid))
            .unwrap_or_else(|| oci::derive_contid(&id));
        let argv = match self.argv() {
            Ok(argv) => argv,
            Err(err) => return fail(err),
        };
        let status = match run_untagged(&argv) {
            Ok(status) => status,
            Err(err) => return fail(format!("cannot run {}: {err}", self.runtime.display())),
        };
        let code = exit_code(status);
        if state.is_some() {
            log_control(&ControlRecord {
                name: facts.as_ref().and_then(|f| f.name.as_deref()),
                bundle: bundle.as_deref(),
                contid,
                success: code == 0,
                ..self.record("stop", &id)
            });
        }
        finish(status)
    }

    fn argv_strings(&self) -> Vec<String> {
        std::iter::once(self.runtime_name.clone())
            .chain(self.globals.iter().cloned())
            .chain(std::iter::once(self.command.clone()))
            .chain(self.args.iter().cloned())
            .collect()
    }
}

fn main() -> ExitCode {
    let mut args = Vec::new();
    for arg in std::env::args_os().skip(1) {
        match arg.into_string() {
            Ok(arg) => args.push(arg),
            Err(arg) => return fail(format!("argument {arg:?} is not UTF-8")),
        }
    }
    let line = match oci::split_command_line(&args) {
        Ok(line) => line,
        Err(err) => return fail(err),
    };
    let runtime = match real_runtime(line.wrapper.runtime.as_deref()) {
        Ok(runtime) => runtime,
        Err(err) => return fail(err),
    };
    let Some(command) = line.command else {
        // --version, --help: the real runtime's.
        let mut argv = vec![runtime.display().to_string()];
        argv.extend(line.globals);
        return exec_runtime(&runtime, &argv);
    };
    let invocation = Invocation {
        runtime_name: runtime.display().to_string(),
        runtime,
        allow_untagged: line.wrapper.allow_untagged,
        globals: line.globals,
        command,
        args: line.args,
    };
    match invocation.command.as_str() {
        "create" | "run" => invocation.start(),
        "exec" => invocation.exec(),
        "delete" => invocation.delete(),
        _ => exec_runtime(&invocation.runtime, &invocation.argv_strings()),
    }
}
