//! Model checks of [`Arc`] and [`Weak`]: `loom` runs each model once for every
//! interleaving of its threads (and for the older values a load may return
//! under the memory model, of a bounded history of stores), and checks every
//! access to the value's cell against the happens-before edges that the
//! counts create. All the models are two threads, explored completely. Run
//! them with `make loom`.

#![forbid(unsafe_code)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

use super::{Arc, ArcData};
use crate::loom_support::{explore, loom_rejects};

/// A value that counts its drops, and holds a number to read.
struct Counted {
    number: usize,
    drops: loom::sync::Arc<AtomicUsize>,
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// A fresh `Arc<Counted>` holding 7, with the orderings of its last-handle
/// check, and the drop counter.
fn counted(orderings: (Ordering, Ordering)) -> (Arc<Counted>, loom::sync::Arc<AtomicUsize>) {
    let drops = loom::sync::Arc::new(AtomicUsize::new(0));
    let value = Counted {
        number: 7,
        drops: drops.clone(),
    };
    let arc = Arc::from_data(ArcData {
        strong: AtomicUsize::new(1),
        alloc: AtomicUsize::new(1),
        data: loom::cell::UnsafeCell::new(std::mem::ManuallyDrop::new(value)),
        orderings,
    });
    (arc, drops)
}

const RIGHT: (Ordering, Ordering) = (Ordering::Release, Ordering::Acquire);

/// Main and a second thread each read the value through their own `Arc` and
/// drop it, in any order: whichever drops last drops the value, once, and a
/// `Weak` cannot bring it back afterwards.
fn two_threads_read_and_drop(orderings: (Ordering, Ordering)) {
    let (arc, drops) = counted(orderings);
    let weak = Arc::downgrade(&arc);
    let other = arc.clone();
    let handle = thread::spawn(move || {
        assert_eq!(other.number, 7);
        drop(other);
    });
    assert_eq!(arc.number, 7);
    drop(arc);
    handle.join().expect("the model thread does not panic");
    // The join orders the other thread's drop before these loads.
    assert_eq!(
        drops.load(Ordering::Relaxed),
        1,
        "dropped more or less than once"
    );
    assert!(weak.upgrade().is_none(), "a dropped value came back");
}

#[test]
fn the_value_is_dropped_once_by_whichever_thread_drops_last() {
    let runs = explore(None, || two_threads_read_and_drop(RIGHT));
    assert!(runs > 2, "only {runs} interleavings explored");
}

/// A `Weak::upgrade` racing the last `Arc`'s drop either gets an `Arc` (and
/// the value lives until that one goes) or `None`; never a dropped value.
#[test]
fn an_upgrade_racing_the_last_drop_never_revives_the_value() {
    let runs = explore(None, || {
        let (arc, drops) = counted(RIGHT);
        let weak = Arc::downgrade(&arc);
        let handle = thread::spawn(move || {
            if let Some(arc) = weak.upgrade() {
                assert_eq!(arc.number, 7);
            }
        });
        drop(arc);
        handle.join().expect("the model thread does not panic");
        assert_eq!(
            drops.load(Ordering::Relaxed),
            1,
            "dropped more or less than once"
        );
    });
    assert!(runs > 2, "only {runs} interleavings explored");
}

/// `get_mut` gives `&mut T` only to the one handle left: not while a `Weak`
/// or another `Arc` exists, and, racing another thread that reads and drops
/// its clone, only after that thread's read (the Acquire fence).
#[test]
fn get_mut_succeeds_only_when_unique_and_after_the_others_reads() {
    let runs = explore(None, || {
        let (mut arc, drops) = counted(RIGHT);
        let weak = Arc::downgrade(&arc);
        assert!(Arc::get_mut(&mut arc).is_none(), "get_mut beside a Weak");
        drop(weak);
        let other = arc.clone();
        assert!(Arc::get_mut(&mut arc).is_none(), "get_mut beside a clone");
        let handle = thread::spawn(move || {
            assert_eq!(other.number, 7);
            drop(other);
        });
        if let Some(value) = Arc::get_mut(&mut arc) {
            value.number = 8;
        }
        handle.join().expect("the model thread does not panic");
        // Now unique: get_mut must succeed.
        let value = Arc::get_mut(&mut arc).expect("the only handle left");
        value.number += 1;
        assert!(arc.number == 8 || arc.number == 9);
        drop(arc);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
    });
    assert!(runs > 2, "only {runs} interleavings explored");
}

/// The check can fail: with a `Relaxed` decrement, or without the Acquire
/// fence, or both, the thread that drops the value has no happens-before edge
/// from the other thread's read, and loom reports the read and the drop as a
/// data race. (A `Relaxed` fence ordering stands for "no fence".)
#[test]
fn a_relaxed_decrement_or_a_missing_fence_is_caught_as_a_data_race() {
    for orderings in [
        (Ordering::Relaxed, Ordering::Relaxed),
        (Ordering::Release, Ordering::Relaxed),
        (Ordering::Relaxed, Ordering::Acquire),
    ] {
        let message = loom_rejects(
            &format!("loom accepted an Arc with {orderings:?}"),
            move || two_threads_read_and_drop(orderings),
        );
        // The message of loom's `UnsafeCell` access check, not of its atomics'.
        assert!(
            message.contains("Causality violation: Concurrent read and write accesses"),
            "loom failed for another reason than the data race: {message}"
        );
    }
}
