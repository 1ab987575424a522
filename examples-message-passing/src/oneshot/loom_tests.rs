//! Model checks of the one-shot channel: `loom` runs each model once for every
//! interleaving of its threads (and for the older values a load may return
//! under the memory model, of a bounded history of stores), so these tests
//! cover what a stress test can only hope to hit. Every model here has two
//! threads and is explored completely. Run them with `make loom`.
//!
//! The receiving thread never joins the sending one: loom 0.7's `unpark`
//! also wakes a thread blocked in `JoinHandle::join`, which then trips an
//! assertion inside loom (`state.notified`). Loom runs every spawned thread to
//! its end anyway, and checks at the end of each run that no `loom::sync::Arc`
//! leaked: the value sent in the last model is one.

#![forbid(unsafe_code)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use loom::sync::Arc;
use loom::sync::atomic::Ordering;
use loom::thread;

use super::{Channel, SenderDropped, channel, split};

/// Runs `model` under loom, every interleaving, and returns how many it ran:
/// a sanity check that the model is not trivial.
fn explore(model: impl Fn() + Sync + Send + 'static) -> usize {
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&runs);
    // `Builder::new` reads LOOM_MAX_PREEMPTIONS (and loom's other settings).
    loom::model::Builder::new().check(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        model();
    });
    let runs = runs.load(std::sync::atomic::Ordering::Relaxed);
    println!("explored {runs} interleavings");
    runs
}

#[test]
fn the_value_arrives_intact_in_every_interleaving() {
    let runs = explore(|| {
        let (tx, rx) = channel();
        thread::spawn(move || tx.send(String::from("hello")));
        assert_eq!(rx.receive().as_deref(), Ok("hello"));
    });
    assert!(runs > 2, "only {runs} interleavings explored");
}

#[test]
fn a_sender_dropped_without_sending_is_reported_not_waited_for() {
    let runs = explore(|| {
        let (tx, rx) = channel::<String>();
        thread::spawn(move || drop(tx));
        assert_eq!(rx.receive(), Err(SenderDropped));
    });
    assert!(runs > 2, "only {runs} interleavings explored");
}

/// A value sent but never received is dropped exactly once, by whichever half
/// goes last: the value is a `loom::sync::Arc`, and loom fails the run if one
/// leaks (and a second drop would take its count below zero).
#[test]
fn a_value_never_received_is_dropped_with_the_channel() {
    let runs = explore(|| {
        let (tx, rx) = channel();
        thread::spawn(move || tx.send(Arc::new(())));
        drop(rx);
    });
    assert!(runs > 1, "only {runs} interleavings explored");
}

/// The check can fail: with a `Relaxed` store of `ready` the receiver's
/// Acquire has no Release store to synchronise with, so loom finds an
/// interleaving in which the value is read without its write happening-before.
#[test]
fn a_relaxed_ready_flag_is_caught_as_a_data_race() {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        explore(|| {
            let mut broken = Channel::new();
            broken.send_ordering = Ordering::Relaxed;
            let (tx, rx) = split(broken);
            thread::spawn(move || tx.send(String::from("hello")));
            let _ = rx.receive();
        })
    }));
    let panic = outcome.expect_err("loom accepted a one-shot channel with a Relaxed ready flag");
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("<non-string panic>");
    println!("loom's verdict on the Relaxed ready flag: {message}");
    // The messages of loom's `UnsafeCell` access checks, not of its atomics'.
    assert!(
        message.contains("Causality violation"),
        "loom failed for another reason than the data race: {message}"
    );
}
