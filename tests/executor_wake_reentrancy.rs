//! Wakers run user code: a wake (or the drop of a waker) may drop sockets, sleeps, join
//! handles and whole tasks, spawn, abort, or poll a `JoinHandle`. None of it may hit a
//! `RefCell` the runtime still holds ("already borrowed") or be silently lost.
//!
//! Wakers must be `Send + Sync`, so the hooks below keep their `!Send` victims in a
//! thread-local that the hook empties; the runtime calls them on its own thread.

mod common_exec;

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common_exec::{counted, counting_waker, noop_waker, with_watchdog, yield_until, DropCounter};
use corio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use corio::net::{TcpListener, TcpStream};
use corio::Runtime;

const WATCHDOG: Duration = Duration::from_secs(20);

type Hook = Box<dyn FnOnce()>;

thread_local! {
    /// Run (once) by the next `WakeHook::wake`.
    static ON_WAKE: RefCell<Option<Hook>> = const { RefCell::new(None) };
    /// Run (once) by the next `DropHook` drop.
    static ON_DROP: RefCell<Option<Hook>> = const { RefCell::new(None) };
}

fn run_hook(hook: &'static std::thread::LocalKey<RefCell<Option<Hook>>>) -> bool {
    // Take the hook out first: it may itself touch the thread-local.
    let taken = hook.with(|h| h.borrow_mut().take());
    match taken {
        Some(f) => {
            f();
            true
        }
        None => false,
    }
}

/// Forwards to `inner` after running the `ON_WAKE` hook.
struct WakeHook {
    inner: Waker,
    ran: Arc<AtomicUsize>,
}

impl Wake for WakeHook {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if run_hook(&ON_WAKE) {
            self.ran.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.wake_by_ref();
    }
}

/// Forwards to `inner`; runs the `ON_DROP` hook when the last clone is dropped.
struct DropHook {
    inner: Waker,
    ran: Arc<AtomicUsize>,
}

impl Wake for DropHook {
    fn wake(self: Arc<Self>) {
        self.inner.wake_by_ref();
    }
}

impl Drop for DropHook {
    fn drop(&mut self) {
        if run_hook(&ON_DROP) {
            self.ran.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Polls `future` with a waker made by `wrap` from the task's own waker, for `polls`
/// polls; later polls use the task's waker unchanged.
struct WithWaker<F> {
    future: Pin<Box<F>>,
    wrap: Box<dyn FnMut(&Waker) -> Waker>,
    wrapped_polls: usize,
}

impl<F: Future> Future for WithWaker<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if self.wrapped_polls == 0 {
            return self.future.as_mut().poll(cx);
        }
        self.wrapped_polls -= 1;
        let waker = (self.wrap)(cx.waker());
        let mut cx = Context::from_waker(&waker);
        self.future.as_mut().poll(&mut cx)
    }
}

fn with_waker<F: Future>(
    future: F,
    wrapped_polls: usize,
    wrap: impl FnMut(&Waker) -> Waker + 'static,
) -> WithWaker<F> {
    WithWaker {
        future: Box::pin(future),
        wrap: Box::new(wrap),
        wrapped_polls,
    }
}

/// A connected pair inside the runtime: (client, accepted server side).
async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = TcpStream::connect(addr).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[test]
#[cfg_attr(miri, ignore)]
fn wake_from_the_reactor_may_drop_sources_sleeps_and_tasks_and_spawn() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        rt.block_on(async {
            let (mut client, mut server) = pair().await;
            let (victim_a, victim_b) = pair().await;
            // A sleep that would fire soon, registered with a waker that counts.
            let mut victim_sleep = Box::pin(corio::time::sleep(Duration::from_millis(20)));
            let (sleep_waker, sleep_wakes) = counting_waker();
            assert!(victim_sleep
                .as_mut()
                .poll(&mut Context::from_waker(&sleep_waker))
                .is_pending());
            // A task to abort and forget from inside the wake.
            let victim_drops = DropCounter::new();
            let guard = victim_drops.guard();
            let (victim_task, victim_polls) = counted(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
            let victim_handle = corio::spawn(victim_task);
            assert!(yield_until(|| victim_polls.get() == 1, 100).await);

            let sources_before = rt.registered_sources();
            let spawned_ran = Rc::new(std::cell::Cell::new(0));
            let spawned = spawned_ran.clone();
            ON_WAKE.with(|h| {
                *h.borrow_mut() = Some(Box::new(move || {
                    drop((victim_a, victim_b)); // deregisters two fds
                    drop(victim_sleep); // cancels its timer
                    victim_handle.abort();
                    drop(victim_handle);
                    drop(corio::spawn(async move { spawned.set(spawned.get() + 1) }));
                }))
            });
            let hook_ran = Arc::new(AtomicUsize::new(0));
            let ran = hook_ran.clone();
            let reader = corio::spawn(with_waker(
                async move {
                    let mut buf = [0u8; 16];
                    let n = client.read(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                },
                1,
                move |inner| {
                    Waker::from(Arc::new(WakeHook {
                        inner: inner.clone(),
                        ran: ran.clone(),
                    }))
                },
            ));
            corio::task::yield_now().await; // the reader parks with the hook waker
            server.write_all(b"wake").await.unwrap();
            assert_eq!(reader.await.unwrap(), b"wake");
            assert_eq!(hook_ran.load(Ordering::SeqCst), 1);
            // The two victims, and the reader's own client (its task has finished).
            assert_eq!(rt.registered_sources(), sources_before - 3);
            assert!(yield_until(|| victim_drops.count() == 1, 100).await);
            assert_eq!(victim_polls.get(), 1);
            assert!(yield_until(|| spawned_ran.get() == 1, 100).await);
            // Past the victim sleep's deadline: its cancelled timer never fires.
            corio::time::sleep(Duration::from_millis(50)).await;
            assert_eq!(sleep_wakes.load(Ordering::SeqCst), 0);
        });
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn waker_dropped_inside_its_own_wake_may_drop_sources() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        rt.block_on(async {
            let (mut client, mut server) = pair().await;
            let (victim_a, victim_b) = pair().await;
            let sources_before = rt.registered_sources();
            ON_DROP.with(|h| *h.borrow_mut() = Some(Box::new(move || drop((victim_a, victim_b)))));
            let hook_ran = Arc::new(AtomicUsize::new(0));
            let ran = hook_ran.clone();
            // Only the first poll uses the hook: the reactor then holds its last clone and
            // drops it right after waking it.
            let reader = corio::spawn(with_waker(
                async move {
                    let mut buf = [0u8; 16];
                    let n = client.read(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                },
                1,
                move |inner| {
                    Waker::from(Arc::new(DropHook {
                        inner: inner.clone(),
                        ran: ran.clone(),
                    }))
                },
            ));
            corio::task::yield_now().await;
            assert_eq!(
                hook_ran.load(Ordering::SeqCst),
                0,
                "the reactor holds the hook"
            );
            server.write_all(b"bye").await.unwrap();
            assert_eq!(reader.await.unwrap(), b"bye");
            assert_eq!(hook_ran.load(Ordering::SeqCst), 1);
            // The two victims, and the reader's own client (its task has finished).
            assert_eq!(rt.registered_sources(), sources_before - 3);
        });
    });
}

thread_local! {
    static HANDLE: RefCell<Option<corio::JoinHandle<u32>>> = const { RefCell::new(None) };
    static OUTCOME: RefCell<Option<Result<u32, String>>> = const { RefCell::new(None) };
}

#[test]
fn join_waker_may_poll_and_drop_the_handle_it_was_woken_for() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            let handle = corio::spawn(async {
                corio::task::yield_now().await;
                41 + 1
            });
            HANDLE.with(|h| *h.borrow_mut() = Some(handle));
            ON_WAKE.with(|h| {
                *h.borrow_mut() = Some(Box::new(|| {
                    // Woken by the task's completion: poll the very handle, then drop it.
                    let outcome = HANDLE.with(|h| {
                        let mut slot = h.borrow_mut();
                        let handle = slot.as_mut().unwrap();
                        let waker = noop_waker();
                        match Pin::new(handle).poll(&mut Context::from_waker(&waker)) {
                            Poll::Ready(r) => r.map_err(|e| e.to_string()),
                            Poll::Pending => Err("pending inside its own join wake".into()),
                        }
                    });
                    OUTCOME.with(|o| *o.borrow_mut() = Some(outcome));
                    HANDLE.with(|h| drop(h.borrow_mut().take()));
                }))
            });
            let hook_ran = Arc::new(AtomicUsize::new(0));
            let ran = hook_ran.clone();
            // Poll the handle once with the hook waker, so it becomes the join waker.
            poll_fn(|cx| {
                let hook = Waker::from(Arc::new(WakeHook {
                    inner: cx.waker().clone(),
                    ran: ran.clone(),
                }));
                let first = HANDLE.with(|h| {
                    let mut slot = h.borrow_mut();
                    Pin::new(slot.as_mut().unwrap()).poll(&mut Context::from_waker(&hook))
                });
                assert!(first.is_pending());
                Poll::Ready(())
            })
            .await;
            assert!(yield_until(|| hook_ran.load(Ordering::SeqCst) == 1, 100).await);
            assert_eq!(OUTCOME.with(|o| o.borrow_mut().take()), Some(Ok(42)));
            assert!(HANDLE.with(|h| h.borrow().is_none()));
        })
    });
}

#[test]
#[cfg_attr(miri, ignore)]
fn replacing_a_parked_waker_whose_drop_deregisters_a_source_does_not_panic() {
    with_watchdog(WATCHDOG, || {
        let rt = Runtime::new().unwrap();
        rt.block_on(async {
            let (mut client, mut server) = pair().await;
            // One victim only: should the borrow bug come back, a second victim would
            // panic again while unwinding from the first and abort the whole binary.
            let (victim, _victim_peer) = pair().await;
            let sources_before = rt.registered_sources();
            ON_DROP.with(|h| *h.borrow_mut() = Some(Box::new(move || drop(victim))));
            let hook_ran = Arc::new(AtomicUsize::new(0));
            let ran = hook_ran.clone();
            let mut polls = 0;
            let mut got = Vec::new();
            let reader = corio::spawn(poll_fn(move |cx| {
                polls += 1;
                let mut buf = [0u8; 16];
                if polls == 1 {
                    // Park with the hook. The event for the first bytes wakes it by
                    // reference (it stays stored, disarmed); the park after that read,
                    // with the task's own waker, replaces (drops) it inside `park`.
                    let hook = Waker::from(Arc::new(DropHook {
                        inner: cx.waker().clone(),
                        ran: ran.clone(),
                    }));
                    let poll =
                        Pin::new(&mut client).poll_read(&mut Context::from_waker(&hook), &mut buf);
                    assert!(poll.is_pending(), "nothing was sent yet");
                    return Poll::Pending;
                }
                loop {
                    match Pin::new(&mut client).poll_read(cx, &mut buf) {
                        Poll::Ready(r) => {
                            let n = r.unwrap();
                            got.extend_from_slice(&buf[..n]);
                            if n == 0 || got.ends_with(b"still here") {
                                return Poll::Ready(got.clone());
                            }
                        }
                        Poll::Pending => return Poll::Pending,
                    }
                }
            }));
            for _ in 0..3 {
                corio::task::yield_now().await; // the reader parks with the hook
            }
            server.write_all(b"x").await.unwrap();
            assert!(
                yield_until(
                    || hook_ran.load(Ordering::SeqCst) == 1 || reader.is_finished(),
                    100
                )
                .await
            );
            server.write_all(b"still here").await.unwrap();
            match reader.await {
                Ok(bytes) => assert_eq!(bytes, b"xstill here"),
                Err(e) => panic!("the reader task failed: {e}"),
            }
            assert_eq!(hook_ran.load(Ordering::SeqCst), 1);
            // The victim, and the reader's own client (its task has finished).
            assert_eq!(rt.registered_sources(), sources_before - 2);
        });
    });
}

#[test]
fn replacing_a_sleep_waker_whose_drop_cancels_another_sleep_cancels_it() {
    with_watchdog(WATCHDOG, || {
        corio::block_on(async {
            // The victim: a 20 ms sleep registered with a waker that counts.
            let mut victim = Box::pin(corio::time::sleep(Duration::from_millis(20)));
            let (victim_waker, victim_wakes) = counting_waker();
            assert!(victim
                .as_mut()
                .poll(&mut Context::from_waker(&victim_waker))
                .is_pending());
            ON_DROP.with(|h| *h.borrow_mut() = Some(Box::new(move || drop(victim))));
            let hook_ran = Arc::new(AtomicUsize::new(0));
            let ran = hook_ran.clone();
            let mut long = Box::pin(corio::time::sleep(Duration::from_secs(3600)));
            poll_fn(|cx| {
                let hook = Waker::from(Arc::new(DropHook {
                    inner: cx.waker().clone(),
                    ran: ran.clone(),
                }));
                assert!(long
                    .as_mut()
                    .poll(&mut Context::from_waker(&hook))
                    .is_pending());
                drop(hook);
                // Same sleep, another waker: the timer store replaces (drops) the hook.
                assert!(long.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
            assert_eq!(hook_ran.load(Ordering::SeqCst), 1);
            corio::time::sleep(Duration::from_millis(60)).await;
            assert_eq!(
                victim_wakes.load(Ordering::SeqCst),
                0,
                "a dropped sleep's timer fired"
            );
        });
    });
}
