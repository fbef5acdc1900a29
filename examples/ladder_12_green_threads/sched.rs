//! The scheduler and its reactor: gevent's hub, on the OS thread's own stack.
//!
//! Green threads never switch to each other directly. A thread that must wait (for a
//! socket, for a timer, or to give others a turn) records why and switches to the
//! scheduler; the scheduler resumes ready threads one at a time, in FIFO order, and when
//! none is ready waits on the [`Selector`] (until the earliest timer, if any) and marks
//! the threads whose fds became ready. gevent does the same with its hub greenlet.
//!
//! All state lives in one thread-local `RefCell`, borrowed only briefly and never across
//! a switch: code on another stack may borrow it while this stack is paused.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;
use std::os::fd::RawFd;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use corio::sys::{Event, Interest, Readiness, Selector, Token};

use crate::context;
use crate::guard;
use crate::stack::{Stack, STACK_SIZE};

/// Operations a thread may complete without waiting before it must let others run (the
/// same budget as corio's `coop.rs`): a client that floods us cannot starve the rest.
const BUDGET: u32 = 128;

/// A green thread: its stack, its saved stack pointer, and (until it starts) its body.
struct Green {
    sp: Cell<usize>,
    stack: Stack,
    body: Option<Box<dyn FnOnce()>>,
}

struct Sched {
    selector: Box<dyn Selector>,
    /// Keyed by thread number (1, 2, ...; never reused). Boxed, so each `sp` cell keeps
    /// its address while the map grows.
    threads: HashMap<u64, Box<Green>>,
    ready: VecDeque<u64>,
    /// fd -> the thread parked on it and the direction it waits for.
    parked: HashMap<RawFd, (u64, Interest)>,
    timers: BTreeMap<(Instant, u64), u64>,
    current: Option<u64>,
    finished: bool,
    budget: u32,
    next_id: u64,
    timer_seq: u64,
}

thread_local! {
    static SCHED: RefCell<Option<Sched>> = const { RefCell::new(None) };
    /// The scheduler's own saved stack pointer, while a green thread runs.
    static MAIN_SP: Cell<usize> = const { Cell::new(0) };
}

fn with<R>(f: impl FnOnce(&mut Sched) -> R) -> R {
    SCHED.with(|s| f(s.borrow_mut().as_mut().expect("sched::init was not called")))
}

/// Sets up the scheduler on this OS thread over `selector`, and the overflow handler.
pub fn init(selector: Box<dyn Selector>) -> io::Result<()> {
    guard::install()?;
    SCHED.with(|s| {
        *s.borrow_mut() = Some(Sched {
            selector,
            threads: HashMap::new(),
            ready: VecDeque::new(),
            parked: HashMap::new(),
            timers: BTreeMap::new(),
            current: None,
            finished: false,
            budget: BUDGET,
            next_id: 1,
            timer_seq: 0,
        })
    });
    Ok(())
}

/// Creates a green thread running `body` on a fresh 64 KiB stack; it runs once the
/// scheduler gets to it. Returns its number.
pub fn spawn(body: impl FnOnce() + 'static) -> io::Result<u64> {
    let stack = Stack::new(STACK_SIZE)?; // on failure `body` is dropped here, unborrowed
                                         // SAFETY: `top` is the page-aligned end of a fresh writable mapping of 64 KiB, used
                                         // by nothing else; `green_main` has the entry signature the trampoline calls.
    let sp = unsafe { context::prepare(stack.top(), green_main, 0) };
    let green = Box::new(Green {
        sp: Cell::new(sp),
        stack,
        body: Some(Box::new(body)),
    });
    Ok(with(|s| {
        let id = s.next_id;
        s.next_id += 1;
        s.threads.insert(id, green);
        s.ready.push_back(id);
        id
    }))
}

/// The first function on every green stack: runs the body, then leaves for good.
extern "C" fn green_main(_arg: usize) -> ! {
    let (id, body) = with(|s| {
        let id = s.current.expect("a green thread runs");
        (id, s.threads.get_mut(&id).and_then(|g| g.body.take()))
    });
    if let Some(body) = body {
        // A panic must not unwind into the trampoline (it has no caller to unwind to).
        if panic::catch_unwind(AssertUnwindSafe(body)).is_err() {
            eprintln!("green thread {id} panicked");
        }
    }
    with(|s| s.finished = true);
    to_scheduler();
    unreachable!("a finished green thread was resumed");
}

/// Saves the running green thread and resumes the scheduler.
fn to_scheduler() {
    let save = with(|s| {
        let id = s.current.expect("only a green thread can wait");
        s.threads[&id].sp.as_ptr()
    });
    // SAFETY: `save` points into this thread's boxed `Green`, which is only freed after
    // this thread has finished and switched away (so not while this call is pending).
    // MAIN_SP holds the scheduler's context, saved by `resume` when it switched here and
    // not resumed since. No RefCell borrow is held across the switch.
    unsafe { context::switch(save, MAIN_SP.with(|m| m.get())) }
}

/// Runs green thread `id` until it waits or finishes; frees it if it finished.
fn resume(id: u64) {
    let Some((sp, guard)) = with(|s| {
        let g = s.threads.get(&id)?;
        s.current = Some(id);
        s.budget = BUDGET;
        Some((g.sp.get(), g.stack.guard()))
    }) else {
        return;
    };
    guard::entering(id, guard);
    // SAFETY: MAIN_SP is a thread-local cell that outlives the call. `sp` was saved by
    // this thread's last switch away (or made by `prepare`) and is resumed exactly once:
    // a thread is in the ready queue at most once, and leaves it here.
    unsafe { context::switch(MAIN_SP.with(|m| m.as_ptr()), sp) };
    guard::left();
    let done = with(|s| {
        s.current = None;
        std::mem::take(&mut s.finished).then(|| s.threads.remove(&id))
    });
    // Back on the scheduler's stack: the finished thread's stack can go (munmap).
    drop(done);
}

/// Runs green threads until none is left.
pub fn run() -> io::Result<()> {
    let mut events: Vec<Event> = Vec::new();
    loop {
        while let Some(id) = with(|s| s.ready.pop_front()) {
            resume(id);
        }
        let timeout = match with(next_step) {
            Step::Run => continue,
            Step::Done => return Ok(()),
            Step::Wait(timeout) => timeout,
        };
        events.clear();
        with(|s| s.selector.select(&mut events, timeout))?;
        with(|s| {
            for ev in &events {
                let fd = ev.token.0 as RawFd;
                if let Some(&(id, interest)) = s.parked.get(&fd) {
                    let wanted = if interest.is_readable() {
                        Readiness::READ_SIDE.union(Readiness::PRIORITY)
                    } else {
                        Readiness::WRITE_SIDE
                    };
                    if ev.readiness.intersects(wanted) {
                        s.parked.remove(&fd);
                        s.ready.push_back(id);
                    }
                }
            }
            fire_timers(s);
        });
    }
}

/// What the loop does after the ready queue ran dry.
enum Step {
    Run,
    Done,
    Wait(Option<Duration>),
}

fn next_step(s: &mut Sched) -> Step {
    fire_timers(s);
    if !s.ready.is_empty() {
        Step::Run
    } else if s.threads.is_empty() {
        Step::Done
    } else {
        let next = s.timers.keys().next().map(|&(at, _)| at);
        Step::Wait(next.map(|at| at.saturating_duration_since(Instant::now())))
    }
}

fn fire_timers(s: &mut Sched) {
    let now = Instant::now();
    while let Some(entry) = s.timers.first_entry() {
        if entry.key().0 > now {
            break;
        }
        s.ready.push_back(entry.remove());
    }
}

/// Watches `fd` (non-blocking) for both directions; the token is the fd itself.
pub fn register(fd: RawFd) -> io::Result<()> {
    with(|s| s.selector.register(fd, Token(fd as u64), Interest::BOTH))
}

/// Stops watching `fd`; call before closing it.
pub fn deregister(fd: RawFd) {
    with(|s| {
        s.parked.remove(&fd);
        let _ = s.selector.deregister(fd);
    })
}

/// Parks the running green thread until `fd` may be ready for `interest`. Call only after
/// the operation said `WouldBlock`: the selector is edge-triggered, so the next event
/// comes with the next transition (or, on poll(2), because of the `rearm` here).
pub fn wait(fd: RawFd, interest: Interest) -> io::Result<()> {
    with(|s| {
        let id = s.current.expect("wait outside a green thread");
        s.selector.rearm(fd, Token(fd as u64), interest)?;
        s.parked.insert(fd, (id, interest));
        Ok::<_, io::Error>(())
    })?;
    to_scheduler();
    Ok(())
}

/// Parks the running green thread for `duration` (gevent.sleep).
pub fn sleep(duration: Duration) {
    with(|s| {
        let id = s.current.expect("sleep outside a green thread");
        s.timer_seq += 1;
        s.timers
            .insert((Instant::now() + duration, s.timer_seq), id);
    });
    to_scheduler();
}

/// Counts one completed operation; every [`BUDGET`] of them, lets the others run first.
pub fn spend() {
    let yield_now = with(|s| {
        s.budget = s.budget.saturating_sub(1);
        let out = s.budget == 0;
        if out {
            s.ready
                .push_back(s.current.expect("spend outside a green thread"));
        }
        out
    });
    if yield_now {
        to_scheduler();
    }
}
