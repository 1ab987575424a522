//! Model checks of [`SpinLock`]: `loom` runs each model once for every
//! interleaving of its threads (and every value a load may legally return under
//! the memory model), so these tests cover what a stress test can only hope to
//! hit. Run them with `make loom`.

#![forbid(unsafe_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use super::SpinLock;

/// How a model thread takes the lock.
#[derive(Clone, Copy)]
enum Take {
    /// `lock()`: wait until the lock is free.
    Wait,
    /// `try_lock()`: take it if free, otherwise give up.
    Try,
}

/// One thread per entry of `takers` adds 1 to the guarded counter if it gets
/// the lock. Asserts that no two threads are ever inside the lock at once and
/// that the final count is exactly the number of threads that got in.
fn increment_from(lock: SpinLock<usize>, takers: &[Take]) {
    // `inside`: threads between taking the lock and dropping the guard.
    // `entered`: threads that got the lock (all `Wait`ers, some `Try`ers).
    let shared = Arc::new((lock, AtomicUsize::new(0), AtomicUsize::new(0)));
    let handles: Vec<_> = takers
        .iter()
        .map(|&take| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let (lock, inside, entered) = &*shared;
                let mut guard = match take {
                    Take::Wait => lock.lock(),
                    Take::Try => match lock.try_lock() {
                        Some(guard) => guard,
                        None => return,
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
    assert!(entered >= waiters.max(1), "a thread failed to get the lock");
    assert_eq!(*lock.lock(), entered, "an increment was lost");
}

/// Runs `model` under loom, exploring every interleaving with at most
/// `preemptions` forced thread switches (`None`: no bound), and returns how
/// many interleavings it ran: a sanity check that the model is not trivial.
fn explore(preemptions: Option<usize>, model: impl Fn() + Sync + Send + 'static) -> usize {
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&runs);
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = preemptions;
    builder.check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        model();
    });
    let runs = runs.load(std::sync::atomic::Ordering::Relaxed);
    println!("explored {runs} interleavings");
    runs
}

#[test]
fn two_waiting_threads_take_turns_and_the_count_is_exact() {
    let runs = explore(None, || {
        increment_from(SpinLock::new(0), &[Take::Wait, Take::Wait]);
    });
    assert!(runs > 10, "only {runs} interleavings explored");
}

/// One thread waits while two try once: three threads, every interleaving.
#[test]
fn a_waiter_and_two_try_lockers_take_turns_and_the_count_is_exact() {
    let runs = explore(None, || {
        increment_from(SpinLock::new(0), &[Take::Wait, Take::Try, Take::Try]);
    });
    assert!(runs > 10, "only {runs} interleavings explored");
}

/// Three threads that all wait. Bounded to one preemption: with two threads
/// spinning, loom would also explore the unfair schedules in which the two
/// waiters hand the CPU to each other forever and the holder never runs again,
/// and give up ("exceeded maximum number of branches").
#[test]
fn three_waiting_threads_take_turns_and_the_count_is_exact() {
    let runs = explore(Some(1), || {
        increment_from(SpinLock::new(0), &[Take::Wait, Take::Wait, Take::Wait]);
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
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        explore(None, move || {
            increment_from(broken(), &[Take::Wait, Take::Wait]);
        })
    }));
    let panic = outcome.expect_err("loom accepted a spin lock that unlocks with Relaxed");
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("<non-string panic>");
    println!("loom's verdict on the Relaxed unlock: {message}");
    assert!(
        message.contains("Causality violation"),
        "loom failed for another reason than the data race: {message}"
    );
}
