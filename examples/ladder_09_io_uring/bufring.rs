//! A provided-buffer ring (`IORING_REGISTER_PBUF_RING`, Linux 5.19): a pool of receive
//! buffers shared by every connection. A multishot recv names the pool, not a buffer; the
//! kernel takes the next buffer only when data arrives, and the CQE says which one
//! (`flags >> IORING_CQE_BUFFER_SHIFT`). So an idle connection holds no receive buffer.
//!
//! The ring is one more single-producer, single-consumer queue shared with the kernel: an
//! array of `struct io_uring_buf` entries (address, length, buffer id), which we fill at
//! our tail (a u16 overlaid on entry 0's `resv`, published with a release store), and the
//! kernel consumes at its private head. Each buffer is in exactly one place at a time: in
//! the ring, or ours between its CQE and [`BufRing::give_back`]; so our tail never laps
//! the kernel's head.

use std::io;
use std::sync::atomic::{AtomicU16, Ordering};

use super::abi::{BufEntry, BufReg, IORING_REGISTER_PBUF_RING};
use super::ring::{unsupported, Mapping, Ring};

/// The buffer group id the multishot recvs name (`buf_group`).
pub const GROUP: u16 = 0;

/// The registered ring and the buffer memory behind it. Its mappings are never unmapped
/// while the io_uring lives (the server leaks both; see `server::run`).
pub struct BufRing {
    /// `entries` × [`BufEntry`], page aligned as the kernel requires.
    ring: Mapping,
    /// `entries` × `size` bytes: buffer `bid` is bytes `bid * size ..`.
    mem: Mapping,
    entries: u16,
    size: usize,
    /// Our producer index (free-running; masked on use).
    tail: u16,
}

impl BufRing {
    /// Allocates `entries` (a power of two, at most 32768) buffers of `size` bytes, puts
    /// them all in the ring and registers it with `ring` as group [`GROUP`].
    pub fn new(ring: &Ring, entries: u16, size: usize) -> io::Result<BufRing> {
        assert!(entries.is_power_of_two() && size <= u32::MAX as usize);
        let len = entries as usize * std::mem::size_of::<BufEntry>();
        let mut bufs = BufRing {
            ring: Mapping::new(None, len, 0)?,
            mem: Mapping::new(None, entries as usize * size, 0)?,
            entries,
            size,
            tail: 0,
        };
        for bid in 0..entries {
            bufs.give_back(bid);
        }
        let reg = BufReg {
            ring_addr: bufs.ring.ptr as u64,
            ring_entries: entries as u32,
            bgid: GROUP,
            ..BufReg::default()
        };
        // SAFETY: the kernel reads one `struct io_uring_buf_reg` (same layout, size checked
        // in abi.rs) from a live local; from now on it reads the ring entries and writes
        // into the buffer memory, both of which stay mapped (see the struct doc).
        let r = unsafe {
            libc::syscall(
                libc::SYS_io_uring_register,
                ring.fd(),
                IORING_REGISTER_PBUF_RING,
                &reg as *const BufReg,
                1u32,
            )
        };
        if r < 0 {
            let e = io::Error::last_os_error();
            return Err(unsupported(format!(
                "IORING_REGISTER_PBUF_RING failed: {e} (provided-buffer rings need Linux 5.19+)"
            )));
        }
        Ok(bufs)
    }

    /// The first `len` bytes of buffer `bid`, which a completion has just handed us.
    ///
    /// # Safety
    ///
    /// `bid` came in a CQE (with `IORING_CQE_F_BUFFER`) and has not been given back since:
    /// until then the kernel does not write into it.
    pub unsafe fn bytes(&self, bid: u16, len: usize) -> &[u8] {
        let bid = (bid % self.entries) as usize; // never out of the mapping
        let len = len.min(self.size);
        // SAFETY: inside the buffer memory (bid and len clamped above), and the caller
        // guarantees the kernel is not writing this buffer while we read it.
        unsafe { std::slice::from_raw_parts(self.mem.ptr.add(bid * self.size), len) }
    }

    /// Puts buffer `bid` back at the tail of the ring, for the kernel to fill again.
    pub fn give_back(&mut self, bid: u16) {
        let bid = bid % self.entries;
        let slot = (self.tail & (self.entries - 1)) as usize;
        let entry = BufEntry {
            addr: self.mem.ptr as u64 + (bid as usize * self.size) as u64,
            len: self.size as u32,
            bid,
            resv: 0,
        };
        // SAFETY: `slot < entries`, inside the ring mapping. The kernel does not read this
        // slot until the tail store below publishes it (each buffer is in the ring at most
        // once, so the slot is free). Entry 0's last two bytes are the kernel's view of the
        // tail, so the entry is written field by field, never over `resv` (the tail).
        unsafe {
            let e = self.ring.ptr.cast::<BufEntry>().add(slot);
            std::ptr::addr_of_mut!((*e).addr).write(entry.addr);
            std::ptr::addr_of_mut!((*e).len).write(entry.len);
            std::ptr::addr_of_mut!((*e).bid).write(entry.bid);
        }
        self.tail = self.tail.wrapping_add(1);
        // SAFETY: the tail field (`struct io_uring_buf_ring`'s `tail`) is the u16 at byte
        // offset 14 of the mapping, 2-byte aligned; the kernel only reads it, atomically.
        let tail = unsafe { &*self.ring.ptr.add(14).cast::<AtomicU16>() };
        tail.store(self.tail, Ordering::Release);
    }
}
