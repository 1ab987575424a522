//! Model checks of [`SpinLock`]: `loom` runs each model once for every
//! interleaving of its threads, and for the older values a load may return
//! under the memory model (of a bounded history of stores; loom does not model
//! every weak-memory outcome), so these tests cover what a stress test can only
//! hope to hit. The models of two threads, and of one waiter beside two `try_lock`
//! callers, are explored completely; the model of three waiters is explored
//! with at most one forced thread switch (preemption), because spinning
//! waiters make the unbounded search endless. Run them with `make loom`;
//! `LOOM_MAX_PREEMPTIONS=n` overrides the bounds below.

#![forbid(unsafe_code)]

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use super::SpinLock;
use crate::loom_support::{explore, loom_rejects};

/// The preemption bound of the model with three spinning threads. loom does
/// not model a fair scheduler, so with more switches allowed it follows two
/// waiters yielding to each other forever (tried: 2 exceeds even 20000
/// branches).
const PREEMPTIONS: usize = 1;

/// How a model thread takes the lock.
#[derive(Clone, Copy)]
enum Take {
    /// `lock()`: wait until the lock is free.
    Wait,
    /// `try_lock()`: take it if free, otherwise give up.
    Try,
}

/// One thread per entry of `takers` takes the lock `rounds` times, adding 1
/// to the guarded counter each time it gets it. Asserts that no two threads
/// are ever inside the lock at once and that the final count is exactly the
/// number of times a thread got in.
fn increment_from(lock: SpinLock<usize>, takers: &[Take], rounds: usize) {
    // `inside`: threads between taking the lock and dropping the guard.
    // `entered`: threads that got the lock (all `Wait`ers, some `Try`ers).
    let shared = Arc::new((lock, AtomicUsize::new(0), AtomicUsize::new(0)));
    let handles: Vec<_> = takers
        .iter()
        .map(|&take| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let (lock, inside, entered) = &*shared;
                for _ in 0..rounds {
                    let mut guard = match take {
                        Take::Wait => lock.lock(),
                        Take::Try => match lock.try_lock() {
                            Some(guard) => guard,
                            None => continue,
                        },
                    };
                    // A read-modify-write sees the latest value whatever the
                    // ordering, so a second thread inside the lock would see 1 here.
                    assert_eq!(
                        inside.fetch_add(1, Ordering::Relaxed),
                        0,
                        "two threads hold the lock at once"
                    );
                    entered.fetch_add(1, Ordering::Relaxed);
                    // A read and then a write of the value: loom checks each access
                    // against the happens-before edges that the lock creates.
                    let seen = *guard;
                    *guard = seen + 1;
                    inside.fetch_sub(1, Ordering::Relaxed);
                    drop(guard);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().expect("a model thread panicked");
    }
    let (lock, _, entered) = &*shared;
    // The joins ordered every thread's work before this point.
    let entered = entered.load(Ordering::Relaxed);
    let waiters = takers.iter().filter(|t| matches!(t, Take::Wait)).count();
    assert!(
        entered >= (waiters * rounds).max(1),
        "a thread failed to get the lock"
    );
    assert_eq!(*lock.lock(), entered, "an increment was lost");
}

#[test]
fn two_waiting_threads_take_turns_and_the_count_is_exact() {
    let runs = explore(None, || {
        increment_from(SpinLock::new(0), &[Take::Wait, Take::Wait], 1);
    });
    assert!(runs > 10, "only {runs} interleavings explored");
}

/// Each of two threads takes the lock twice: the lock also passes back to a
/// thread that held it before (A, B, A), and the count is still exact.
#[test]
fn two_threads_taking_the_lock_twice_hand_it_back_and_forth() {
    let runs = explore(None, || {
        increment_from(SpinLock::new(0), &[Take::Wait, Take::Wait], 2);
    });
    assert!(runs > 10, "only {runs} interleavings explored");
}

/// One thread waits while two try once: three threads, every interleaving.
#[test]
fn a_waiter_and_two_try_lockers_take_turns_and_the_count_is_exact() {
    let runs = explore(None, || {
        increment_from(SpinLock::new(0), &[Take::Wait, Take::Try, Take::Try], 1);
    });
    assert!(runs > 10, "only {runs} interleavings explored");
}

/// Three threads that all wait, with at most `PREEMPTIONS` forced switches:
/// unbounded, with two threads spinning, loom would also explore the unfair
/// schedules in which the two waiters hand the CPU to each other forever and
/// the holder never runs again, and give up ("exceeded maximum number of
/// branches").
#[test]
fn three_waiting_threads_take_turns_and_the_count_is_exact() {
    let runs = explore(Some(PREEMPTIONS), || {
        increment_from(SpinLock::new(0), &[Take::Wait, Take::Wait, Take::Wait], 1);
    });
    assert!(runs > 10, "only {runs} interleavings explored");
}

/// The check can fail: with a `Relaxed` unlock the next holder's Acquire has
/// no Release store to synchronise with, so loom finds an interleaving in which
/// the value is read without the previous holder's write happening-before it.
#[test]
fn a_relaxed_unlock_is_caught_as_a_data_race() {
    let broken = || SpinLock {
        unlock_ordering: Ordering::Relaxed,
        ..SpinLock::new(0)
    };
    let message = loom_rejects(
        "loom accepted a spin lock that unlocks with Relaxed",
        move || increment_from(broken(), &[Take::Wait, Take::Wait], 1),
    );
    // The messages of loom's `UnsafeCell` access checks, not of its atomics'.
    assert!(
        message.contains("Causality violation: Concurrent read and write accesses")
            || message.contains("Causality violation: Concurrent write accesses to `UnsafeCell`"),
        "loom failed for another reason than the data race: {message}"
    );
}
