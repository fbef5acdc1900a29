//! Pinning a worker thread to one CPU (Linux: `sched_setaffinity`).

use std::io;

/// The CPUs this process may run on, in order.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn allowed_cpus() -> io::Result<Vec<usize>> {
    // SAFETY: an all-zero cpu_set_t is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live cpu_set_t of the size passed; 0 means this thread.
    let ret =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    crate::sys::cvt(ret)?;
    let max = 8 * std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: CPU_ISSET only reads `set` at an index below its bit size.
    Ok((0..max)
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

/// Binds the calling thread to `cpu`.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) fn pin_current_thread(cpu: usize) -> io::Result<()> {
    // SAFETY: an all-zero cpu_set_t is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET writes one bit of `set`; `cpu` comes from `allowed_cpus`, so it is
    // below the set's bit size.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a live cpu_set_t of the size passed; 0 means this thread.
    let ret = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    crate::sys::cvt(ret).map(drop)
}

/// No portable affinity call elsewhere (macOS offers only hints): asking is an error.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) fn allowed_cpus() -> io::Result<Vec<usize>> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "pinning workers to cores is supported on Linux only",
    ))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) fn pin_current_thread(_cpu: usize) -> io::Result<()> {
    allowed_cpus().map(drop)
}
