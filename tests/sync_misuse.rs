//! Misuse of the sync primitives: each refused with a panic that says what was wrong (as
//! documented under `# Panics`), or, where a panic would come from a `Drop`, absorbed.

use corio::sync::{broadcast, mpsc, Semaphore, TryAcquireError};

#[test]
#[should_panic(expected = "mpsc::channel: capacity must be at least 1")]
fn a_bounded_channel_of_capacity_zero_is_refused() {
    let _ = mpsc::channel::<u8>(0);
}

#[test]
#[should_panic(expected = "mpsc::channel: capacity exceeds Semaphore::MAX_PERMITS")]
fn a_bounded_channel_beyond_max_permits_is_refused_by_name() {
    let _ = mpsc::channel::<u8>(Semaphore::MAX_PERMITS + 1);
}

#[test]
#[should_panic(expected = "broadcast::channel: capacity must be at least 1")]
fn a_broadcast_channel_of_capacity_zero_is_refused() {
    let _ = broadcast::channel::<u8>(0);
}

#[test]
#[should_panic(expected = "acquire_many: more than MAX_PERMITS permits")]
fn acquiring_more_than_max_permits_is_refused() {
    let semaphore = Semaphore::new(1);
    drop(semaphore.acquire_many(Semaphore::MAX_PERMITS + 1));
}

#[test]
fn try_acquiring_more_than_max_permits_says_no_permits() {
    let semaphore = Semaphore::new(Semaphore::MAX_PERMITS);
    assert!(matches!(
        semaphore.try_acquire_many(Semaphore::MAX_PERMITS + 1),
        Err(TryAcquireError::NoPermits)
    ));
}

#[test]
#[should_panic(expected = "add_permits: more than MAX_PERMITS permits")]
fn adding_permits_past_the_maximum_is_refused() {
    let semaphore = Semaphore::new(Semaphore::MAX_PERMITS);
    semaphore.add_permits(1);
}

#[test]
fn a_permit_returned_to_a_refilled_semaphore_does_not_panic_in_drop() {
    // One permit out, the semaphore refilled to the maximum behind its back: giving the
    // permit back must not panic (it runs in Drop, where a panic while unwinding aborts).
    let semaphore = Semaphore::new(Semaphore::MAX_PERMITS);
    let permit = semaphore.try_acquire().unwrap();
    semaphore.add_permits(1);
    drop(permit);
    assert_eq!(semaphore.available_permits(), Semaphore::MAX_PERMITS);
}

#[test]
fn a_huge_broadcast_capacity_allocates_only_what_is_sent() {
    // Preallocating the ring would abort the process here.
    let (tx, mut rx) = broadcast::channel::<u32>(usize::MAX >> 4);
    tx.send(7).unwrap();
    assert_eq!(rx.try_recv().unwrap(), 7);
}
