//! The kernel's io_uring ABI, as far as rung 9 uses it: declared by hand from the kernel
//! header `include/uapi/linux/io_uring.h` (the libc crate has the syscall numbers but none
//! of these types or constants). Field for field; sizes are checked at compile time.
//! Opcodes are positions in `enum io_uring_op`; the register opcode is a position in the
//! header's register enum.

/// `IORING_OP_NOP`.
pub const OP_NOP: u8 = 0;
/// `IORING_OP_TIMEOUT` (Linux 5.4): completes with `-ETIME` after a delay.
pub const OP_TIMEOUT: u8 = 11;
/// `IORING_OP_ACCEPT` (Linux 5.5).
pub const OP_ACCEPT: u8 = 13;
/// `IORING_OP_ASYNC_CANCEL` (Linux 5.5): cancels the request whose `user_data` is `addr`.
pub const OP_ASYNC_CANCEL: u8 = 14;
/// `IORING_OP_SEND` (Linux 5.6).
pub const OP_SEND: u8 = 26;
/// `IORING_OP_RECV` (Linux 5.6).
pub const OP_RECV: u8 = 27;

/// `IORING_ASYNC_CANCEL_ALL` (`cancel_flags`, 5.19): cancel every match, not just one.
pub const IORING_ASYNC_CANCEL_ALL: u32 = 1 << 0;
/// `IORING_ASYNC_CANCEL_FD` (`cancel_flags`, 5.19): match requests on `fd`, not `addr`.
pub const IORING_ASYNC_CANCEL_FD: u32 = 1 << 1;

/// `IOSQE_BUFFER_SELECT` (sqe `flags`): the kernel picks the buffer from the group named
/// in `buf_group` when data arrives, instead of us naming one at submission.
pub const IOSQE_BUFFER_SELECT: u8 = 1 << 5;

/// `IORING_ACCEPT_MULTISHOT` (sqe `ioprio`, Linux 5.19): one accept SQE, one CQE per client.
pub const IORING_ACCEPT_MULTISHOT: u16 = 1 << 0;
/// `IORING_RECV_MULTISHOT` (sqe `ioprio`, Linux 6.0): one recv SQE, one CQE per arrival.
pub const IORING_RECV_MULTISHOT: u16 = 1 << 1;

/// `IORING_CQE_F_BUFFER`: the upper 16 bits of `flags` name the provided buffer used.
pub const IORING_CQE_F_BUFFER: u32 = 1 << 0;
/// `IORING_CQE_F_MORE`: the multishot request stays armed; more CQEs will follow.
pub const IORING_CQE_F_MORE: u32 = 1 << 1;
/// `IORING_CQE_BUFFER_SHIFT`: where the buffer id sits in `flags`.
pub const IORING_CQE_BUFFER_SHIFT: u32 = 16;

/// `IORING_SETUP_CQSIZE`: `cq_entries` is ours to choose.
pub const IORING_SETUP_CQSIZE: u32 = 1 << 3;
/// `IORING_SETUP_SUBMIT_ALL` (5.18): go on submitting after an SQE that fails at once.
pub const IORING_SETUP_SUBMIT_ALL: u32 = 1 << 7;
/// `IORING_SETUP_COOP_TASKRUN` (5.19): completion work waits for our next syscall
/// instead of interrupting us.
pub const IORING_SETUP_COOP_TASKRUN: u32 = 1 << 8;
/// `IORING_SETUP_SINGLE_ISSUER` (6.0): only the creating thread submits.
pub const IORING_SETUP_SINGLE_ISSUER: u32 = 1 << 12;
/// `IORING_SETUP_DEFER_TASKRUN` (6.1): completion work runs only inside our
/// `io_uring_enter(GETEVENTS)`, batched, on our thread.
pub const IORING_SETUP_DEFER_TASKRUN: u32 = 1 << 13;

/// `IORING_ENTER_GETEVENTS`: wait for `min_complete` completions.
pub const IORING_ENTER_GETEVENTS: u32 = 1 << 0;

/// `IORING_FEAT_SINGLE_MMAP` (5.4): SQ and CQ rings share one mapping.
pub const IORING_FEAT_SINGLE_MMAP: u32 = 1 << 0;
/// `IORING_FEAT_NODROP` (5.5): completions are never dropped when the CQ ring is full.
pub const IORING_FEAT_NODROP: u32 = 1 << 1;
/// `IORING_FEAT_FAST_POLL` (5.7): socket operations wait for readiness internally
/// instead of in a worker thread.
pub const IORING_FEAT_FAST_POLL: u32 = 1 << 5;

/// mmap offset of the SQ (and, with SINGLE_MMAP, CQ) ring.
pub const IORING_OFF_SQ_RING: libc::off_t = 0;
/// mmap offset of the SQE array.
pub const IORING_OFF_SQES: libc::off_t = 0x1000_0000;

/// `IORING_REGISTER_PBUF_RING` (5.19): register a ring of provided buffers.
pub const IORING_REGISTER_PBUF_RING: libc::c_uint = 22;

/// `struct io_sqring_offsets`: where each SQ ring field sits in the mapping.
#[repr(C)]
#[derive(Default)]
pub struct SqOffsets {
    pub head: u32,
    pub tail: u32,
    pub ring_mask: u32,
    pub ring_entries: u32,
    pub flags: u32,
    pub dropped: u32,
    pub array: u32,
    pub resv1: u32,
    pub user_addr: u64,
}

/// `struct io_cqring_offsets`: where each CQ ring field sits in the mapping.
#[repr(C)]
#[derive(Default)]
pub struct CqOffsets {
    pub head: u32,
    pub tail: u32,
    pub ring_mask: u32,
    pub ring_entries: u32,
    pub overflow: u32,
    pub cqes: u32,
    pub flags: u32,
    pub resv1: u32,
    pub user_addr: u64,
}

/// `struct io_uring_params`: in, flags (and `cq_entries` with CQSIZE); out, sizes,
/// features and the offsets above.
#[repr(C)]
#[derive(Default)]
pub struct Params {
    pub sq_entries: u32,
    pub cq_entries: u32,
    pub flags: u32,
    pub sq_thread_cpu: u32,
    pub sq_thread_idle: u32,
    pub features: u32,
    pub wq_fd: u32,
    pub resv: [u32; 3],
    pub sq_off: SqOffsets,
    pub cq_off: CqOffsets,
}

/// `struct io_uring_sqe`, its unions flattened to the members this server uses.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct Sqe {
    pub opcode: u8,
    /// `IOSQE_*` flags.
    pub flags: u8,
    /// For accept, send and recv: the multishot flags above.
    pub ioprio: u16,
    pub fd: i32,
    /// File offset; for a timeout, how many completions end it early (0: none).
    pub off: u64,
    /// Buffer address (send), timespec (timeout), or `user_data` to cancel.
    pub addr: u64,
    /// Buffer length; 1 (one timespec) for a timeout.
    pub len: u32,
    /// `msg_flags`, `accept_flags`, `timeout_flags` or `cancel_flags`.
    pub op_flags: u32,
    /// Ours: comes back unchanged in every completion of this request.
    pub user_data: u64,
    /// `buf_group` with `IOSQE_BUFFER_SELECT`.
    pub buf_group: u16,
    pub personality: u16,
    pub splice_fd_in: i32,
    pub addr3: u64,
    pub pad2: u64,
}

/// `struct io_uring_cqe`: which request (`user_data`), its result (`res`: what the
/// syscall would return, or `-errno`), and `IORING_CQE_F_*` flags.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Cqe {
    pub user_data: u64,
    pub res: i32,
    pub flags: u32,
}

/// `struct io_uring_buf`: one entry of a provided-buffer ring. In entry 0 the kernel
/// reads `resv` as the ring's tail (`struct io_uring_buf_ring` overlays it there).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct BufEntry {
    pub addr: u64,
    pub len: u32,
    pub bid: u16,
    pub resv: u16,
}

/// `struct io_uring_buf_reg`: the argument of `IORING_REGISTER_PBUF_RING`.
#[repr(C)]
#[derive(Default)]
pub struct BufReg {
    pub ring_addr: u64,
    pub ring_entries: u32,
    pub bgid: u16,
    pub pad: u16,
    pub resv: [u64; 3],
}

/// `struct __kernel_timespec` (include/uapi/linux/time_types.h), for `OP_TIMEOUT`.
#[repr(C)]
pub struct KernelTimespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

const _: () = assert!(std::mem::size_of::<Params>() == 120);
const _: () = assert!(std::mem::size_of::<Sqe>() == 64);
const _: () = assert!(std::mem::size_of::<Cqe>() == 16);
const _: () = assert!(std::mem::size_of::<BufEntry>() == 16);
const _: () = assert!(std::mem::size_of::<BufReg>() == 40);
