//! A spin lock: an `AtomicBool` that says "taken", an `UnsafeCell` holding the
//! value, and a guard that gives access to the value and unlocks on drop.
//!
//! The two orderings are the whole point:
//! - `lock` takes the flag with an `Acquire` compare-exchange. It pairs with
//!   the `Release` store of the previous `unlock`, so everything the previous
//!   holder wrote to the value *happens-before* what the new holder reads.
//! - `unlock` (the guard's `Drop`) stores `false` with `Release`. With `Relaxed`
//!   here the next holder could see the flag cleared yet read a stale value: the
//!   loom tests in `spinlock/loom_tests.rs` prove the model checker catches it.
//!
//! The compare-exchange being an atomic read-modify-write is what gives mutual
//! exclusion: of all the threads trying to turn `false` into `true`, exactly
//! one succeeds. In the memory model a failed attempt stores nothing (unlike
//! `swap(true)`, which stores `true` again on every failed try), which is what
//! lets loom's model of the spin loop end. To the hardware the two cost about
//! the same: on x86 a `lock cmpxchg` takes the cache line for itself even when
//! the compare fails. What spares the holder's cache line is waiting with plain
//! loads and retrying only when the lock looks free (test-and-test-and-set),
//! as `lock` does.
//!
//! A spin lock burns CPU while it waits and cannot tell the OS whom it waits
//! for, so a thread that is preempted while holding it makes the others spin
//! for a whole time slice. `std::sync::Mutex` spins briefly and then sleeps on
//! a futex; prefer it in real code. This lock exists to show the orderings.
//!
//! Built with `--cfg loom` (`make loom`), the atomics and the cell are loom's,
//! which record every access so that `loom::model` can check each interleaving.
//! One limit of that check: loom sees an access to the cell only while a
//! `with`/`with_mut` call runs, that is while `deref`/`deref_mut` builds the
//! reference, not for as long as the returned `&T`/`&mut T` is used. The
//! safety argument below is about the guard's whole life; loom checks the
//! moments the guard is dereferenced. (Keeping loom's `MutPtr` from
//! `UnsafeCell::get_mut` in the guard would make loom track the access for the
//! guard's whole life, as the argument does.)

// The only module of the workspace that may use `unsafe`: the crate denies it
// (see Cargo.toml), the binaries and the tests forbid it.
#![allow(
    unsafe_code,
    reason = "a lock hands out `&mut T` from `&self`, which only `UnsafeCell` allows; each block says why it is sound"
)]

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

#[cfg(loom)]
use loom::{
    cell::UnsafeCell,
    hint,
    sync::atomic::{AtomicBool, Ordering},
};
#[cfg(not(loom))]
use std::{
    hint,
    sync::atomic::{AtomicBool, Ordering},
};

#[cfg(not(loom))]
use self::std_cell::UnsafeCell;

#[cfg(all(test, loom))]
mod loom_tests;

/// A lock that waits by spinning on an atomic flag.
pub struct SpinLock<T> {
    /// `true` while a guard exists.
    locked: AtomicBool,
    /// Only the holder of the lock (the one live guard) touches this.
    value: UnsafeCell<T>,
    /// Model-checking builds only: the ordering `unlock` uses, always `Release`
    /// except in the loom test that proves a `Relaxed` unlock gets caught.
    #[cfg(loom)]
    unlock_ordering: Ordering,
}

// SAFETY: a `&SpinLock<T>` shared between threads only ever gives access to the
// value through a guard, and the flag lets one guard exist at a time, so the
// threads take turns with the value: like `Mutex<T>`, that needs `T: Send` (the
// value effectively moves between threads) but not `T: Sync` (it is never
// accessed from two threads at once). `Send` is derived: `UnsafeCell<T>: Send`
// when `T: Send`.
unsafe impl<T: Send> Sync for SpinLock<T> {}

/// Access to the value of a locked [`SpinLock`]; dropping it unlocks.
///
/// Like `MutexGuard`, a guard shared between threads (`&SpinLockGuard`) hands
/// out `&T` to all of them, so it is `Sync` only when `T` is:
///
/// ```
/// use examples_shared_state::spinlock::SpinLockGuard;
/// fn is_sync<T: Sync>() {}
/// is_sync::<SpinLockGuard<'static, u64>>();
/// ```
///
/// ```compile_fail
/// use examples_shared_state::spinlock::SpinLockGuard;
/// fn is_sync<T: Sync>() {}
/// is_sync::<SpinLockGuard<'static, std::cell::Cell<u64>>>();
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct SpinLockGuard<'a, T> {
    lock: &'a SpinLock<T>,
    /// Makes the guard `Sync` only if `T: Sync` (as `&mut T` is). Without it,
    /// the guard would be `Sync` whenever the lock is, that is for any
    /// `T: Send`, and two threads could share a `&Cell` through one guard.
    _shares_t: PhantomData<&'a mut T>,
}

impl<T> SpinLock<T> {
    /// A new, unlocked lock holding `value`.
    pub fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
            #[cfg(loom)]
            unlock_ordering: Ordering::Release,
        }
    }

    /// Spins until the lock is free, takes it, and returns the guard.
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        loop {
            if let Some(guard) = self.try_lock() {
                return guard;
            }
            // Wait with plain loads until the lock looks free: a failed
            // compare-exchange takes the cache line away from the holder, a
            // load only shares it.
            while self.locked.load(Ordering::Relaxed) {
                // Tells the CPU (and loom's scheduler) that this thread waits.
                hint::spin_loop();
            }
        }
    }

    /// Takes the lock if it is free, without waiting.
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        // Acquire: pairs with the Release store in `unlock`, so the previous
        // holder's writes to the value are visible to us once we hold the lock.
        // A compare-exchange is a read-modify-write: it sees the latest value of
        // the flag, so of several threads only one can turn `false` into `true`.
        let taken = self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_ok();
        // Build the guard only on success: dropping a guard unlocks.
        if taken {
            Some(SpinLockGuard {
                lock: self,
                _shares_t: PhantomData,
            })
        } else {
            None
        }
    }

    /// Consumes the lock and returns the value: no other reference can exist.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }

    fn unlock(&self) {
        // Release: publishes everything we wrote to the value to the next
        // thread whose Acquire compare-exchange reads this `false`.
        #[cfg(not(loom))]
        let ordering = Ordering::Release;
        #[cfg(loom)]
        let ordering = self.unlock_ordering;
        self.locked.store(false, ordering);
    }
}

impl<T> Deref for SpinLockGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this guard exists, so the lock is held: no other guard, and so
        // no other reference to the value, exists until this guard is dropped,
        // and the returned `&T` borrows the guard so it cannot outlive it. The
        // Acquire compare-exchange that took the lock made the last holder's
        // writes visible.
        self.lock.value.with(|ptr| unsafe { &*ptr })
    }
}

impl<T> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, the lock makes this guard the only way to the
        // value; `&mut self` makes this `&mut T` the only reference through the
        // guard, and it cannot outlive the guard, which unlocks only on drop.
        self.lock.value.with_mut(|ptr| unsafe { &mut *ptr })
    }
}

impl<T> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.unlock();
    }
}

/// `std::cell::UnsafeCell` behind loom's closure-based API (`with`,
/// `with_mut`), so the lock reads the same with either cell.
#[cfg(not(loom))]
mod std_cell {
    pub(super) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(super) const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        pub(super) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        pub(super) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }

        pub(super) fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }
}
