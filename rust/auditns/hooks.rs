// SPDX-License-Identifier: GPL-2.0

//! The audit core's hooks for an extension (`include/linux/audit_ext.h`).
//!
//! An extension implements [`Hooks`] for its state and registers that
//! state with a [`Registration`], which owns it: the audit core passes the
//! state back to every hook, and dropping the registration unregisters
//! the hooks, waiting for calls in flight, before the state goes.

use crate::nsview::UserNs;
use crate::record::AuditRecord;
use crate::rule;
use crate::task::task_from_ptr;
use core::marker::PhantomPinned;
use kernel::task::Task;
use kernel::{
    bindings,
    error::{from_result, to_result},
    net::namespace::Namespace as NetNamespace,
    prelude::*,
    types::{ARef, Opaque},
    user_namespace::UserNamespace,
};

/// The file written to `/proc/PID/audit_containerid`, as the `set_contid`
/// hook sees it.
///
/// # Invariants
///
/// `0` points to an open file that is live for `'a`.
pub(crate) struct OpenedFile<'a>(&'a Opaque<bindings::file>);

impl OpenedFile<'_> {
    /// Whether whoever opened the file had `cap` in the initial user
    /// namespace: a file that grants rights may be passed to a more
    /// privileged writer.
    pub(crate) fn opener_capable(&self, cap: u32) -> bool {
        let Ok(cap) = i32::try_from(cap) else {
            return false;
        };
        // SAFETY: the file is live (type invariant); `init_user_ns` is static.
        unsafe {
            bindings::file_ns_capable(
                self.0.get(),
                core::ptr::addr_of_mut!(bindings::init_user_ns),
                cap,
            )
        }
    }
}

/// Current's audit context in a hook of its event.
///
/// # Invariants
///
/// `0` is the current task's audit context, for `'a`, while the audit
/// core works on its event (at syscall, io_uring operation or task exit)
/// in a hook that may sleep.
#[derive(Clone, Copy)]
pub(crate) struct CurrentContext<'a>(
    core::ptr::NonNull<bindings::audit_context>,
    core::marker::PhantomData<&'a ()>,
);

impl CurrentContext<'_> {
    /// The C context, for the audit core's functions that read it.
    fn as_ptr(self) -> *mut bindings::audit_context {
        self.0.as_ptr()
    }

    /// Starts a record of `msg_type` in the event: same serial number and
    /// time stamp. `None` if the audit core takes no record now.
    pub(crate) fn record(self, msg_type: u32) -> Option<AuditRecord> {
        // SAFETY: the context is current's, in a hook that may sleep (type
        // invariant).
        unsafe { AuditRecord::start(self.as_ptr(), msg_type) }
    }

    /// The objects of the event, with owners in `userns`'s view; fewer if
    /// there is no memory for all.
    pub(crate) fn objects(self, userns: UserNs) -> KVec<rule::Object> {
        let mut objects = KVec::new();
        let mut chunk = [bindings::audit_ext_name::default(); 8];
        loop {
            let skip = u32::try_from(objects.len()).unwrap_or(u32::MAX);
            // SAFETY: the context is current's, at its event (type
            // invariant); the namespace is current's or an ancestor's,
            // live while current runs; `chunk` is writable for its length.
            let filled = unsafe {
                bindings::audit_ext_syscall_names(
                    self.as_ptr(),
                    userns.as_ptr(),
                    skip,
                    chunk.as_mut_ptr(),
                    chunk.len() as u32,
                )
            } as usize;
            for name in &chunk[..filled.min(chunk.len())] {
                let object = rule::Object {
                    ino: name.ino,
                    dev_major: name.dev_major,
                    dev_minor: name.dev_minor,
                    rdev_major: name.rdev_major,
                    rdev_minor: name.rdev_minor,
                    mode: u32::from(name.mode),
                    uid: name.uid,
                    gid: name.gid,
                    kind: name.type_,
                    fs_magic: name.fs_magic as u64,
                    hidden: name.hidden,
                };
                if objects.push(object, GFP_KERNEL).is_err() {
                    return objects;
                }
            }
            if filled < chunk.len() {
                return objects;
            }
        }
    }

    /// Whether the syscall acts as the `AUDIT_PERM_*` bits of `mask` say.
    pub(crate) fn match_perm(self, mask: u32) -> bool {
        // SAFETY: the context is current's, at its event (type invariant).
        unsafe { bindings::audit_ext_match_perm(self.as_ptr(), mask as i32) }
    }

    /// The family of the socket address the syscall passed, if any.
    pub(crate) fn sockaddr_family(self) -> Option<u32> {
        // SAFETY: as above.
        let family = unsafe { bindings::audit_ext_sockaddr_family(self.as_ptr()) };
        u32::try_from(family).ok()
    }

    /// The syscall or io_uring operation of the event; `None` if the
    /// context holds neither.
    pub(crate) fn syscall_info(self) -> Option<bindings::audit_ext_syscall> {
        let mut info = bindings::audit_ext_syscall::default();
        // SAFETY: the context is current's, at its event (type invariant);
        // `info` is a local.
        let rc = unsafe { bindings::audit_ext_syscall_info(self.as_ptr(), &mut info) };
        (rc == 0).then_some(info)
    }
}

/// A netlink message to the audit socket, as the `netlink_msg` and
/// `ns_list` hooks see it, with the flag that says whether it still
/// awaits its ack.
///
/// # Invariants
///
/// `nlh` is a message of the buffer `skb` that nlmsg_ok() checked, both
/// live for `'a`, while audit_receive() handles it in the sender's
/// context; `payload` is the message's bytes after its header; `ack` is
/// the flag audit_receive() acks the message by when the hook returns.
pub(crate) struct NetlinkMsg<'a> {
    skb: core::ptr::NonNull<bindings::sk_buff>,
    nlh: core::ptr::NonNull<bindings::nlmsghdr>,
    payload: &'a [u8],
    ack: &'a mut bool,
}

impl<'a> NetlinkMsg<'a> {
    /// The message `nlh` in `skb` and the `ack` flag that audit_receive()
    /// passes a hook.
    ///
    /// # Safety
    ///
    /// `nlh` must be a message of `skb` that nlmsg_ok() checked, and `ack`
    /// valid for writes, both for `'a`, while the audit core handles the
    /// message in its sender's context.
    unsafe fn from_raw(
        skb: *mut bindings::sk_buff,
        nlh: *mut bindings::nlmsghdr,
        ack: *mut bool,
    ) -> Option<Self> {
        let skb = core::ptr::NonNull::new(skb)?;
        let nlh = core::ptr::NonNull::new(nlh)?;
        // SAFETY: the caller guarantees a checked header.
        let header = unsafe { nlh.as_ref() };
        let header_len = core::mem::size_of::<bindings::nlmsghdr>();
        let payload_len = (header.nlmsg_len as usize).saturating_sub(header_len);
        // SAFETY: nlmsg_ok() checked that `nlmsg_len` bytes are in the buffer.
        let payload = unsafe {
            core::slice::from_raw_parts(nlh.as_ptr().cast::<u8>().add(header_len), payload_len)
        };
        // SAFETY: the caller guarantees `ack` for `'a`.
        let ack = unsafe { ack.as_mut() }?;
        // INVARIANT: the caller's guarantees.
        Some(Self {
            skb,
            nlh,
            payload,
            ack,
        })
    }

    fn header(&self) -> &bindings::nlmsghdr {
        // SAFETY: `nlh` is a checked header, live for `'a` (type invariant).
        unsafe { self.nlh.as_ref() }
    }

    /// The message's type, `AUDIT_*`.
    pub(crate) fn msg_type(&self) -> u32 {
        u32::from(self.header().nlmsg_type)
    }

    /// The bytes after the header, as `nlmsg_len` counts them.
    pub(crate) fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// Whether the sender had `cap` in `ns` when it opened its socket and
    /// has it now, as netlink_ns_capable() decides.
    pub(crate) fn sender_capable(&self, ns: &UserNamespace, cap: u32) -> bool {
        let Ok(cap) = i32::try_from(cap) else {
            return false;
        };
        // SAFETY: `skb` is the message being handled (type invariant); `ns`
        // is borrowed, so live.
        unsafe { bindings::netlink_ns_capable(self.skb.as_ptr(), ns.as_ptr(), cap) }
    }

    /// Acks the message now, if it awaits its ack, so that an answer sent
    /// next comes after it.
    pub(crate) fn ack_now(&mut self) {
        if *self.ack {
            // SAFETY: `skb` and `nlh` are the message being handled (type
            // invariant); no extended ack.
            unsafe {
                bindings::netlink_ack(self.skb.as_ptr(), self.nlh.as_ptr(), 0, core::ptr::null())
            };
            *self.ack = false;
        }
    }

    /// Answers the message with one message of its type and sequence
    /// number holding `payload`, at once: charged to the sender, and
    /// dropped if its socket is full (the sender then sees ENOBUFS), so
    /// that a sender that never reads costs nothing that is not its own.
    ///
    /// An ack asked for goes first, as upstream's ack comes before the
    /// answer its thread sends: libaudit reads a request's ack, if it is
    /// the first message, before the answer, and would otherwise take this
    /// ack for the next request's.
    pub(crate) fn reply(&mut self, payload: &[u8]) -> Result {
        let size = i32::try_from(payload.len()).map_err(|_| EINVAL)?;
        self.ack_now();
        let header = self.header();
        // The kernel's own casts of these fields (audit_send_reply()).
        let (seq, msg_type) = (header.nlmsg_seq as i32, i32::from(header.nlmsg_type));
        // SAFETY: `skb` is the message being handled (type invariant);
        // `payload` is readable for `size` bytes.
        let rc = unsafe {
            bindings::audit_ext_reply(
                self.skb.as_ptr(),
                seq,
                msg_type,
                payload.as_ptr().cast(),
                size,
            )
        };
        to_result(rc)
    }

    /// The sender's network namespace and port, for a daemon's
    /// registration; `EINVAL` if the core cannot tell them.
    pub(crate) fn sender(&self) -> Result<(ARef<NetNamespace>, u32)> {
        let mut portid = 0u32;
        // SAFETY: `skb` is the message being handled (type invariant);
        // `portid` is a local.
        let net = unsafe { bindings::audit_ext_sender(self.skb.as_ptr(), &mut portid) };
        if net.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: the sender's socket keeps its network namespace live
        // while its message is handled; the `ARef` takes a reference.
        let net: ARef<NetNamespace> = unsafe { NetNamespace::from_ptr(net) }.into();
        Ok((net, portid))
    }

    /// Answers the message with a dump of `userns`, whose parts the `dump`
    /// hook fills, each buffer at least `min_alloc` bytes; the dump ends
    /// the message's answer, instead of an ack.
    pub(crate) fn start_dump(&mut self, userns: &UserNamespace, min_alloc: u32) -> Result {
        // SAFETY: `skb` and `nlh` are the message being handled (type
        // invariant); the dump takes its own reference to `userns`, which
        // is borrowed, so live now.
        let rc = unsafe {
            bindings::audit_ext_dump_start(
                self.skb.as_ptr(),
                self.nlh.as_ptr(),
                userns.as_ptr(),
                min_alloc,
            )
        };
        to_result(rc)?;
        *self.ack = false;
        Ok(())
    }
}

/// A part of a dump that the extension started (`audit_ext_dump_start()`),
/// as the `dump` hook sees it: the buffer to fill and the dump.
///
/// # Invariants
///
/// `skb` is the buffer and `cb` the dump of a part that the audit core's
/// `dump` hook is filling; only that hook makes a `DumpPart`, which it
/// lends for the call.
pub(crate) struct DumpPart {
    skb: *mut bindings::sk_buff,
    cb: *mut bindings::netlink_callback,
}

impl DumpPart {
    /// Adds a message of `msg_type` with `data` to the part; `Err` with
    /// the negative errno if it does not fit (`-EMSGSIZE`).
    pub(crate) fn put(&self, msg_type: u32, data: &[u8]) -> Result<(), i32> {
        let size = i32::try_from(data.len()).map_err(|_| -(bindings::EMSGSIZE as i32))?;
        let msg_type = i32::try_from(msg_type).map_err(|_| -(bindings::EINVAL as i32))?;
        // SAFETY: `skb` and `cb` are a part being filled (type invariant);
        // `data` is readable for `size`.
        let rc = unsafe {
            bindings::audit_ext_dump_put(self.skb, self.cb, msg_type, data.as_ptr().cast(), size)
        };
        if rc < 0 {
            return Err(rc);
        }
        Ok(())
    }

    /// What a dump callback returns while more may follow: the part's
    /// length.
    pub(crate) fn more(&self) -> i32 {
        // SAFETY: `skb` is a live buffer (type invariant).
        let len = unsafe { (*self.skb).len };
        i32::try_from(len).unwrap_or(i32::MAX)
    }
}

/// The hooks of an audit extension; each gets the registered state.
///
/// A hook left out is not called: its static key in the audit core stays
/// off, and the call site costs a patched-out branch.
#[vtable]
pub(crate) trait Hooks: Sync + Sized {
    /// What a syscall event that the extension takes carries from
    /// [`Hooks::syscall_exit`] through its records.
    type Event: Send;

    /// A write of `input` to `/proc/PID/audit_containerid` of `target`,
    /// through `file`.
    fn set_contid(&self, _file: OpenedFile<'_>, _target: &Task, _input: &[u8]) -> Result {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Fork or clone created `task`; an error fails the fork.
    fn task_alloc(&self, _task: &Task) -> Result {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `task` exits, or, with `fork_failed`, its creation failed after
    /// [`Hooks::task_alloc`] and only its own fields may be read.
    fn task_free(&self, _task: &Task, _fork_failed: bool) {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// The syscall event of `ctx` is being written: add records to it.
    fn log_exit_aux(&self, _ctx: CurrentContext<'_>) {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Current leaves a syscall, or ends an io_uring operation outside
    /// one, that the extension selected at entry: the event's state if
    /// the extension takes the event.
    fn syscall_exit(&self, _ctx: CurrentContext<'_>) -> Option<KBox<Self::Event>> {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// A record of `msg_type` with `text` of an event that
    /// [`Hooks::syscall_exit`] took is complete. Must not sleep.
    fn log_end(&self, _event: &Self::Event, _msg_type: u32, _text: &[u8]) {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// A record of `msg_type` of an event that [`Hooks::syscall_exit`]
    /// took is lost: the audit core found no memory for it. Must not
    /// sleep.
    fn log_lost(&self, _event: &Self::Event, _msg_type: u32) {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// A netlink message from outside the initial user namespace: the
    /// errno for its ack, or 0.
    fn netlink_msg(&self, _msg: NetlinkMsg<'_>) -> i32 {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `userns` is about to be freed.
    fn userns_free(&self, _userns: UserNs) {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// The next part of a dump started for `userns`, from `pos` on, which
    /// the hook advances: what a netlink dump callback returns.
    fn dump(&self, _userns: UserNs, _pos: &mut usize, _part: DumpPart) -> i32 {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `AUDIT_NS_LIST` from a task that the audit core let control the
    /// host's audit: the errno for its ack, or 0. Called with the audit
    /// control mutex held.
    fn ns_list(&self, _msg: NetlinkMsg<'_>) -> i32 {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// The registration of an extension's state `T` with the audit core.
///
/// # Invariants
///
/// `ext` is registered with the audit core, its `data` pointing to
/// `data` and its `ops` to [`Registration::OPS`], from the end of
/// [`Registration::new`] until drop.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: Hooks> {
    #[pin]
    ext: Opaque<bindings::audit_ext>,
    #[pin]
    data: T,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: the audit core may call the hooks from any thread, which only
// share `&T`, and `T: Sync`; unregistering may also happen anywhere.
unsafe impl<T: Hooks + Send> Send for Registration<T> {}
// SAFETY: a shared `Registration` gives out `&T` only, and `T: Sync`.
unsafe impl<T: Hooks> Sync for Registration<T> {}

impl<T: Hooks> Registration<T> {
    /// The hooks `T` implements, for the audit core.
    const OPS: bindings::audit_ext_ops = bindings::audit_ext_ops {
        set_contid: if T::HAS_SET_CONTID {
            Some(Self::set_contid)
        } else {
            None
        },
        task_alloc: if T::HAS_TASK_ALLOC {
            Some(Self::task_alloc)
        } else {
            None
        },
        task_free: if T::HAS_TASK_FREE {
            Some(Self::task_free)
        } else {
            None
        },
        log_exit_aux: if T::HAS_LOG_EXIT_AUX {
            Some(Self::log_exit_aux)
        } else {
            None
        },
        syscall_exit: if T::HAS_SYSCALL_EXIT {
            Some(Self::syscall_exit)
        } else {
            None
        },
        // The core calls `syscall_exit` only together with `syscall_done`.
        syscall_done: if T::HAS_SYSCALL_EXIT {
            Some(Self::syscall_done)
        } else {
            None
        },
        log_end: if T::HAS_LOG_END {
            Some(Self::log_end)
        } else {
            None
        },
        log_lost: if T::HAS_LOG_LOST {
            Some(Self::log_lost)
        } else {
            None
        },
        netlink_msg: if T::HAS_NETLINK_MSG {
            Some(Self::netlink_msg)
        } else {
            None
        },
        userns_free: if T::HAS_USERNS_FREE {
            Some(Self::userns_free)
        } else {
            None
        },
        dump: if T::HAS_DUMP { Some(Self::dump) } else { None },
        ns_list: if T::HAS_NS_LIST {
            Some(Self::ns_list)
        } else {
            None
        },
    };

    /// [`Self::OPS`], which lives as long as the module.
    const fn ops() -> &'static bindings::audit_ext_ops {
        &Self::OPS
    }

    /// Initialises the state with `data` and registers it; the hooks may
    /// run as soon as this returns. `EBUSY` if an extension is registered.
    pub(crate) fn new(data: impl PinInit<T, Error>) -> impl PinInit<Self, Error> {
        let init = move |slot: *mut Self| {
            // SAFETY: `slot` is valid for writes and pinned; `data` is a
            // field of it.
            let data_slot = unsafe { core::ptr::addr_of_mut!((*slot).data) };
            // SAFETY: `data_slot` is valid, pinned and uninitialised; on
            // error `data` cleaned up after itself.
            unsafe { data.__pinned_init(data_slot)? };
            // SAFETY: as above, for the `ext` field.
            let ext = Opaque::raw_get(unsafe { core::ptr::addr_of!((*slot).ext) });
            // SAFETY: `ext` is valid for writes.
            unsafe {
                ext.write(bindings::audit_ext {
                    ops: Self::ops(),
                    data: data_slot.cast(),
                })
            };
            // SAFETY: `ext` and what it points to stay valid and pinned
            // until `drop` unregisters it.
            let rc = unsafe { bindings::audit_ext_register(ext) };
            if rc != 0 {
                // SAFETY: `data` was initialised above and nothing
                // refers to it.
                unsafe { core::ptr::drop_in_place(data_slot) };
                return Err(Error::from_errno(rc));
            }
            Ok(())
        };
        // SAFETY: on success every field is initialised and the invariant
        // holds; on error nothing is left initialised or registered.
        unsafe { kernel::init::pin_init_from_closure(init) }
    }

    /// The state the hooks run with.
    pub(crate) fn data(&self) -> &T {
        &self.data
    }

    /// The state a hook was called with.
    ///
    /// # Safety
    ///
    /// `data` must be the `data` of a registered [`Registration<T>`],
    /// passed by the audit core to one of its hooks.
    unsafe fn from_data<'a>(data: *mut kernel::ffi::c_void) -> &'a T {
        // SAFETY: the registration stays until no hook runs (its drop
        // unregisters first), and hands out shared references only.
        unsafe { &*data.cast::<T>() }
    }

    /// # Safety
    ///
    /// Called by the audit core as the `set_contid` hook.
    unsafe extern "C" fn set_contid(
        data: *mut kernel::ffi::c_void,
        file: *const bindings::file,
        target: *mut bindings::task_struct,
        buf: *const kernel::ffi::c_char,
        len: usize,
    ) -> kernel::ffi::c_int {
        from_result(|| {
            // SAFETY: the /proc handler holds a reference to `target` for the call.
            let target = unsafe { task_from_ptr(target) }.ok_or(EINVAL)?;
            // SAFETY: the /proc handler passes the file being written,
            // which it holds for the call.
            let file = OpenedFile(unsafe { &*file.cast::<Opaque<bindings::file>>() });
            // SAFETY: the /proc handler passes `len` bytes it copied into `buf`.
            let input = unsafe { core::slice::from_raw_parts(buf.cast::<u8>(), len) };
            // SAFETY: the audit core passes the registered data.
            unsafe { Self::from_data(data) }.set_contid(file, target, input)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the audit core as the `task_alloc` hook.
    unsafe extern "C" fn task_alloc(
        data: *mut kernel::ffi::c_void,
        tsk: *mut bindings::task_struct,
    ) -> kernel::ffi::c_int {
        from_result(|| {
            // SAFETY: copy_process() passes the task it is creating.
            if let Some(task) = unsafe { task_from_ptr(tsk) } {
                // SAFETY: the audit core passes the registered data.
                unsafe { Self::from_data(data) }.task_alloc(task)?;
            }
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the audit core as the `task_free` hook.
    unsafe extern "C" fn task_free(
        data: *mut kernel::ffi::c_void,
        tsk: *mut bindings::task_struct,
        fork_failed: bool,
    ) {
        // SAFETY: do_exit() and copy_process() pass a task they still hold.
        if let Some(task) = unsafe { task_from_ptr(tsk) } {
            // SAFETY: the audit core passes the registered data.
            unsafe { Self::from_data(data) }.task_free(task, fork_failed);
        }
    }

    /// # Safety
    ///
    /// Called by the audit core as the `log_exit_aux` hook.
    unsafe extern "C" fn log_exit_aux(
        data: *mut kernel::ffi::c_void,
        ctx: *mut bindings::audit_context,
    ) {
        if let Some(ctx) = core::ptr::NonNull::new(ctx) {
            // INVARIANT: audit_log_exit() passes current's context, where
            // it may sleep; the wrapper does not outlive the call.
            let ctx = CurrentContext(ctx, core::marker::PhantomData);
            // SAFETY: the audit core passes the registered data.
            unsafe { Self::from_data(data) }.log_exit_aux(ctx);
        }
    }

    /// # Safety
    ///
    /// Called by the audit core as the `syscall_exit` hook.
    unsafe extern "C" fn syscall_exit(
        data: *mut kernel::ffi::c_void,
        ctx: *mut bindings::audit_context,
        _host_records: bool,
    ) -> *mut kernel::ffi::c_void {
        let Some(ctx) = core::ptr::NonNull::new(ctx) else {
            return core::ptr::null_mut();
        };
        // INVARIANT: the core passes current's context, at the exit of its
        // syscall or io_uring operation, where it may sleep; the wrapper
        // does not outlive the call.
        let ctx = CurrentContext(ctx, core::marker::PhantomData);
        // SAFETY: the audit core passes the registered data.
        unsafe { Self::from_data(data) }
            .syscall_exit(ctx)
            .map_or(core::ptr::null_mut(), |event| KBox::into_raw(event).cast())
    }

    /// # Safety
    ///
    /// Called by the audit core as the `syscall_done` hook, with an event
    /// that `syscall_exit` returned.
    unsafe extern "C" fn syscall_done(
        _data: *mut kernel::ffi::c_void,
        event: *mut kernel::ffi::c_void,
    ) {
        // SAFETY: `event` came from `KBox::into_raw` in `syscall_exit`, and
        // the audit core hands it back once.
        drop(unsafe { KBox::from_raw(event.cast::<T::Event>()) });
    }

    /// # Safety
    ///
    /// Called by the audit core as the `log_end` hook, with an event that
    /// `syscall_exit` returned and is not done yet.
    unsafe extern "C" fn log_end(
        data: *mut kernel::ffi::c_void,
        event: *mut kernel::ffi::c_void,
        msg_type: kernel::ffi::c_int,
        text: *const kernel::ffi::c_char,
        len: usize,
        _host: bool,
    ) {
        let Ok(msg_type) = u32::try_from(msg_type) else {
            return;
        };
        // SAFETY: the event lives until `syscall_done`, after every record.
        let event = unsafe { &*event.cast::<T::Event>() };
        // SAFETY: audit_log_end() passes the record's `len` bytes of text.
        let text = unsafe { core::slice::from_raw_parts(text.cast::<u8>(), len) };
        // SAFETY: the audit core passes the registered data.
        unsafe { Self::from_data(data) }.log_end(event, msg_type, text);
    }

    /// # Safety
    ///
    /// Called by the audit core as the `log_lost` hook, with an event that
    /// `syscall_exit` returned and is not done yet.
    unsafe extern "C" fn log_lost(
        data: *mut kernel::ffi::c_void,
        event: *mut kernel::ffi::c_void,
        msg_type: kernel::ffi::c_int,
    ) {
        let Ok(msg_type) = u32::try_from(msg_type) else {
            return;
        };
        // SAFETY: the event lives until `syscall_done`, after every record.
        let event = unsafe { &*event.cast::<T::Event>() };
        // SAFETY: the audit core passes the registered data.
        unsafe { Self::from_data(data) }.log_lost(event, msg_type);
    }

    /// # Safety
    ///
    /// Called by the audit core as the `netlink_msg` hook.
    unsafe extern "C" fn netlink_msg(
        data: *mut kernel::ffi::c_void,
        skb: *mut bindings::sk_buff,
        nlh: *mut bindings::nlmsghdr,
        ack: *mut bool,
    ) -> kernel::ffi::c_int {
        // SAFETY: the audit core calls the hook with these.
        unsafe { Self::with_msg(data, skb, nlh, ack, T::netlink_msg) }
    }

    /// # Safety
    ///
    /// Called by the audit core as the `ns_list` hook.
    unsafe extern "C" fn ns_list(
        data: *mut kernel::ffi::c_void,
        skb: *mut bindings::sk_buff,
        nlh: *mut bindings::nlmsghdr,
        ack: *mut bool,
    ) -> kernel::ffi::c_int {
        // SAFETY: the audit core calls the hook with these.
        unsafe { Self::with_msg(data, skb, nlh, ack, T::ns_list) }
    }

    /// Runs `hook` on the message that the audit core passes a netlink
    /// hook.
    ///
    /// # Safety
    ///
    /// `data` must be the registered data, `nlh` a message of `skb` that
    /// nlmsg_ok() checked and `ack` valid for writes, for the call.
    unsafe fn with_msg(
        data: *mut kernel::ffi::c_void,
        skb: *mut bindings::sk_buff,
        nlh: *mut bindings::nlmsghdr,
        ack: *mut bool,
        hook: impl FnOnce(&T, NetlinkMsg<'_>) -> i32,
    ) -> kernel::ffi::c_int {
        // SAFETY: the caller passes a checked message and its `ack`.
        let Some(msg) = (unsafe { NetlinkMsg::from_raw(skb, nlh, ack) }) else {
            return -(bindings::EINVAL as i32);
        };
        // SAFETY: the caller passes the registered data.
        hook(unsafe { Self::from_data(data) }, msg)
    }

    /// # Safety
    ///
    /// Called by the audit core as the `userns_free` hook.
    unsafe extern "C" fn userns_free(
        data: *mut kernel::ffi::c_void,
        ns: *mut bindings::user_namespace,
    ) {
        // SAFETY: free_user_ns() passes the namespace before freeing it.
        if let Some(userns) = unsafe { UserNs::from_raw(ns) } {
            // SAFETY: the audit core passes the registered data.
            unsafe { Self::from_data(data) }.userns_free(userns);
        }
    }

    /// # Safety
    ///
    /// Called by the audit core as the `dump` hook.
    unsafe extern "C" fn dump(
        data: *mut kernel::ffi::c_void,
        ns: *mut bindings::user_namespace,
        pos: *mut kernel::ffi::c_ulong,
        skb: *mut bindings::sk_buff,
        cb: *mut bindings::netlink_callback,
    ) -> kernel::ffi::c_int {
        // SAFETY: the dump holds a reference to its user namespace.
        let Some(userns) = (unsafe { UserNs::from_raw(ns) }) else {
            return 0;
        };
        // SAFETY: the audit core passes the dump's own position, which
        // only this call uses meanwhile (netlink runs a dump's parts one at
        // a time).
        let pos = unsafe { &mut *pos };
        // INVARIANT: the audit core fills this part now.
        let part = DumpPart { skb, cb };
        // SAFETY: the audit core passes the registered data.
        unsafe { Self::from_data(data) }.dump(userns, pos, part)
    }
}

#[pinned_drop]
impl<T: Hooks> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `ext` is registered (type invariant); this waits until no
        // hook runs, so `data` may go after it.
        unsafe { bindings::audit_ext_unregister(self.ext.get()) };
    }
}
