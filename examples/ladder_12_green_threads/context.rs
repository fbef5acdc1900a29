//! The context switch: a few lines of assembly per architecture, nothing else.
//!
//! A green thread's whole paused state is its stack plus the registers the platform ABI
//! says a function call must preserve (the callee-saved ones). So a switch is an ordinary
//! function call, `corio_green_switch(save, load)`, that:
//!
//! 1. pushes the callee-saved registers onto the current stack,
//! 2. stores the stack pointer in `*save`,
//! 3. loads the stack pointer `load` (another stack, saved the same way earlier),
//! 4. pops that stack's callee-saved registers and returns, into *that* stack's caller.
//!
//! The caller-saved registers need no saving: the compiler already assumes a call clobbers
//! them. This is exactly greenlet's `switch()`, minus the stack copying (see `main.rs`).
//!
//! A new green thread gets a hand-made frame ([`prepare`]) that looks as if it had called
//! the switch itself, with its return address pointing at `corio_green_trampoline`, which
//! calls the thread's entry function with one argument.
//!
//! The floating-point control words (x86-64 MXCSR and x87 control word, aarch64 FPCR) are
//! callee-saved too, but nothing here changes them, so every green thread shares the one
//! environment of the OS thread and the switch leaves them alone.

use core::arch::global_asm;

// x86-64, System V ABI. Callee-saved: rbx, rbp, r12-r15 and rsp.
// Frame at a saved stack pointer: r15 r14 r13 r12 rbx rbp, then the return address.
#[cfg(target_arch = "x86_64")]
global_asm!(
    ".text",
    ".global corio_green_switch",
    ".type corio_green_switch, @function",
    ".p2align 4",
    "corio_green_switch:", // rdi = save: *mut usize, rsi = load: usize
    "push rbp",
    "push rbx",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "mov [rdi], rsp",
    "mov rsp, rsi",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "pop rbp",
    "ret",
    ".size corio_green_switch, . - corio_green_switch",
    ".global corio_green_trampoline",
    ".type corio_green_trampoline, @function",
    ".p2align 4",
    "corio_green_trampoline:", // entered by `ret` from a prepared frame
    ".cfi_startproc",
    ".cfi_undefined rip", // the bottom of a green stack: unwinders and backtraces stop here
    "mov rdi, r12",       // the argument
    "call r13",           // entry(argument); it never returns
    "ud2",
    ".cfi_endproc",
    ".size corio_green_trampoline, . - corio_green_trampoline",
);

// aarch64, AAPCS64. Callee-saved: x19-x28, x29 (frame pointer), x30 (link register), sp,
// and the low 64 bits of v8-v15, i.e. d8-d15. Frame at a saved stack pointer, 160 bytes:
// x19 x20 ... x28 x29 x30 d8 ... d15 (sp stays 16-byte aligned throughout).
#[cfg(target_arch = "aarch64")]
global_asm!(
    ".text",
    ".global corio_green_switch",
    ".type corio_green_switch, %function",
    ".p2align 4",
    "corio_green_switch:", // x0 = save: *mut usize, x1 = load: usize
    "sub sp, sp, #160",
    "stp x19, x20, [sp, #0]",
    "stp x21, x22, [sp, #16]",
    "stp x23, x24, [sp, #32]",
    "stp x25, x26, [sp, #48]",
    "stp x27, x28, [sp, #64]",
    "stp x29, x30, [sp, #80]",
    "stp d8, d9, [sp, #96]",
    "stp d10, d11, [sp, #112]",
    "stp d12, d13, [sp, #128]",
    "stp d14, d15, [sp, #144]",
    "mov x2, sp",
    "str x2, [x0]",
    "mov sp, x1",
    "ldp x19, x20, [sp, #0]",
    "ldp x21, x22, [sp, #16]",
    "ldp x23, x24, [sp, #32]",
    "ldp x25, x26, [sp, #48]",
    "ldp x27, x28, [sp, #64]",
    "ldp x29, x30, [sp, #80]",
    "ldp d8, d9, [sp, #96]",
    "ldp d10, d11, [sp, #112]",
    "ldp d12, d13, [sp, #128]",
    "ldp d14, d15, [sp, #144]",
    "add sp, sp, #160",
    "ret", // to x30
    ".size corio_green_switch, . - corio_green_switch",
    ".global corio_green_trampoline",
    ".type corio_green_trampoline, %function",
    ".p2align 4",
    "corio_green_trampoline:", // entered by `ret` from a prepared frame
    ".cfi_startproc",
    ".cfi_undefined x30", // the bottom of a green stack: unwinders and backtraces stop here
    "mov x0, x19",        // the argument
    "blr x20",            // entry(argument); it never returns
    "brk #1",
    ".cfi_endproc",
    ".size corio_green_trampoline, . - corio_green_trampoline",
);

extern "C" {
    /// Saves the callee-saved registers on the current stack and its stack pointer in
    /// `*save`, then resumes the stack saved at `load`.
    fn corio_green_switch(save: *mut usize, load: usize);
    /// The first "return address" of every green thread; calls its entry function.
    fn corio_green_trampoline();
}

/// A green thread's entry function: gets the argument given to [`prepare`], never returns.
pub type Entry = extern "C" fn(usize) -> !;

/// Saves the running context in `*save` and resumes the one saved at `load`; returns when
/// some later switch names `*save`'s value as its `load`.
///
/// # Safety
/// - `save` must be valid for one `usize` write, and stay valid until this call returns.
/// - `load` must be a stack pointer saved by this function (or made by [`prepare`]) whose
///   stack is still mapped and has not been resumed since it was saved: each saved
///   context is resumed at most once.
/// - Nothing on the stack being left may be borrowed by the code being resumed in a way
///   that the resumed code could invalidate (Rust sees the switch as an ordinary call).
pub unsafe fn switch(save: *mut usize, load: usize) {
    // SAFETY: the caller upholds the contract above. The assembly follows the C ABI: it
    // preserves every callee-saved register of the caller (they are restored by the
    // matching switch back) and clobbers only caller-saved ones. Alignment: every saved
    // stack pointer is in the same state, whether the switch saved it or `prepare` made
    // it (x86-64: 8 mod 16, i.e. the return address plus six pushes below an aligned call
    // site; aarch64: 0 mod 16), so whatever is resumed finds the alignment the ABI
    // promises it.
    unsafe { corio_green_switch(save, load) }
}

/// Writes a first frame at the top of a fresh stack so that switching to the returned
/// stack pointer calls `entry(arg)` on that stack.
///
/// # Safety
/// `top` must be the 16-byte-aligned, one-past-the-end address of a writable stack with
/// at least 256 bytes, not in use by anything else.
pub unsafe fn prepare(top: usize, entry: Entry, arg: usize) -> usize {
    assert_eq!(top % 16, 0, "stack top must be 16-byte aligned");
    let trampoline = corio_green_trampoline as *const () as usize;
    let entry = entry as usize;
    #[cfg(target_arch = "x86_64")]
    let frame: [usize; 7] = {
        // r15 r14 r13=entry r12=arg rbx rbp=0 (end of frame chain), return=trampoline.
        // The switch pops 7 words; the trampoline then runs with rsp = sp + 56. The ABI
        // wants rsp % 16 == 0 at its `call`, so sp = top - 72 (sp + 56 = top - 16).
        [0, 0, entry, arg, 0, 0, trampoline]
    };
    #[cfg(target_arch = "x86_64")]
    let sp = top - 72; // 8 mod 16, like every stack pointer the switch saves
    #[cfg(target_arch = "aarch64")]
    let frame: [usize; 20] = {
        // x19=arg x20=entry x21..x28, x29=0 (end of frame chain), x30=trampoline, d8..d15.
        // The switch pops 160 bytes, so the trampoline runs with sp = top: aligned.
        let mut f = [0; 20];
        f[0] = arg;
        f[1] = entry;
        f[11] = trampoline;
        f
    };
    #[cfg(target_arch = "aarch64")]
    let sp = top - 160;
    // SAFETY: the caller guarantees [top - 256, top) is writable and unused; `sp` lies in
    // it, is 8-byte aligned (top is 16-aligned), and the frame ends at or below `top`.
    unsafe { (sp as *mut usize).copy_from_nonoverlapping(frame.as_ptr(), frame.len()) };
    sp
}
