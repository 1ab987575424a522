//! An `Arc<T>` with `Weak<T>`, built from two atomic counters, as in chapter 6
//! of *Rust Atomics and Locks*.
//!
//! One allocation holds the value and two counts:
//! - `strong`: the `Arc`s. The last one to go drops the value.
//! - `alloc`: the `Weak`s, plus one for all the `Arc`s together. The last one
//!   to go frees the allocation.
//!
//! The orderings are the whole point:
//! - Cloning only needs `Relaxed`: a thread can clone only an `Arc` it holds,
//!   so the count is at least 1 and nothing else is published.
//! - Dropping decrements with `Release`, and the thread that takes the count to
//!   0 issues an `Acquire` fence before dropping the value. Every other
//!   holder's use of the value happens-before its own Release decrement, and
//!   the fence makes all those decrements happen-before the drop. With
//!   `Relaxed` instead, the drop could race with another thread's last read:
//!   the loom tests in `arc/loom_tests.rs` prove the model checker catches it.
//! - `Weak::upgrade` increments `strong` only from a non-zero value
//!   (compare-exchange), so a value already dropped is never revived.
//! - `get_mut` "locks" the weak count (1 -> `usize::MAX`) so that no `Weak`
//!   can be created (and upgraded) while it checks that it is the only `Arc`.
//!
//! Built with `--cfg loom` (`make loom`), the atomics, the fence and the cell
//! are loom's, so that `loom::model` can check every interleaving.

// `unsafe` is allowed in this module alone (the crate denies it, see Cargo.toml):
// shared ownership of one allocation needs raw pointers.
#![allow(
    unsafe_code,
    reason = "an Arc frees its allocation by hand when the last handle goes; each block says why it is sound"
)]

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::ptr::NonNull;

#[cfg(loom)]
use loom::{
    cell::UnsafeCell,
    hint,
    sync::atomic::{AtomicUsize, Ordering, fence},
};
#[cfg(not(loom))]
use std::{
    hint,
    sync::atomic::{AtomicUsize, Ordering, fence},
};

#[cfg(not(loom))]
use self::std_cell::UnsafeCell;

#[cfg(all(test, loom))]
mod loom_tests;

/// The shared allocation.
struct ArcData<T> {
    /// Number of `Arc`s.
    strong: AtomicUsize,
    /// Number of `Weak`s, plus one if there is at least one `Arc`.
    alloc: AtomicUsize,
    /// Dropped (only) when `strong` reaches 0; the memory is freed when `alloc` does.
    data: UnsafeCell<ManuallyDrop<T>>,
    /// Model-checking builds only: the orderings of the last-handle check,
    /// always `(Release, Acquire)` except in the loom test that proves a
    /// `Relaxed` one gets caught (then there is no fence).
    #[cfg(loom)]
    orderings: (Ordering, Ordering),
}

/// A thread-safe reference-counted pointer to a `T` on the heap.
pub struct Arc<T> {
    ptr: NonNull<ArcData<T>>,
}

/// A handle that keeps the allocation, not the value: [`Weak::upgrade`] gives
/// an [`Arc`] while one still exists, `None` after the value was dropped.
pub struct Weak<T> {
    ptr: NonNull<ArcData<T>>,
}

// SAFETY: an `Arc<T>` sent to another thread gives it `&T` (so `T: Sync`) and
// may make it the last owner, which drops the `T` there (so `T: Send`); the
// counts are atomics. The same holds for `Weak<T>`, which can become an `Arc<T>`.
unsafe impl<T: Send + Sync> Send for Arc<T> {}
// SAFETY: as for `Send`: a shared `&Arc<T>` can be cloned into an owned one.
unsafe impl<T: Send + Sync> Sync for Arc<T> {}
// SAFETY: as for `Arc<T>`.
unsafe impl<T: Send + Sync> Send for Weak<T> {}
// SAFETY: as for `Arc<T>`.
unsafe impl<T: Send + Sync> Sync for Weak<T> {}

impl<T> Arc<T> {
    /// Moves `value` to the heap, with one `Arc` and no `Weak`.
    pub fn new(value: T) -> Arc<T> {
        Self::from_data(ArcData {
            strong: AtomicUsize::new(1),
            alloc: AtomicUsize::new(1),
            data: UnsafeCell::new(ManuallyDrop::new(value)),
            #[cfg(loom)]
            orderings: (Ordering::Release, Ordering::Acquire),
        })
    }

    fn from_data(data: ArcData<T>) -> Arc<T> {
        Arc {
            ptr: NonNull::from(Box::leak(Box::new(data))),
        }
    }

    fn data(&self) -> &ArcData<T> {
        // SAFETY: this `Arc` counts in `alloc` (through the one count all the
        // `Arc`s share), so the allocation is not freed while it exists.
        unsafe { self.ptr.as_ref() }
    }

    /// `&mut T` if this is the only `Arc` and there is no `Weak`.
    pub fn get_mut(arc: &mut Self) -> Option<&mut T> {
        // Acquire: pairs with the Release decrement of a `Weak` dropped just
        // before. `usize::MAX` "locks" the count: `downgrade` waits while it
        // is set, so no `Weak` appears (nor gets upgraded) while we look.
        if arc
            .data()
            .alloc
            .compare_exchange(1, usize::MAX, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return None;
        }
        let is_unique = arc.data().strong.load(Ordering::Relaxed) == 1;
        // Release: pairs with the Acquire in `downgrade`, so a `Weak` made
        // after this sees whatever we write through the `&mut T`.
        arc.data().alloc.store(1, Ordering::Release);
        if !is_unique {
            return None;
        }
        // Acquire: pairs with the Release decrement of the other `Arc`s that
        // were dropped, so their uses of the value happen-before ours.
        fence(Ordering::Acquire);
        // SAFETY: the only `Arc` and no `Weak`, so nothing else can reach the
        // value, and `&mut Self` keeps this `Arc` from being cloned or
        // dropped while the `&mut T` lives.
        Some(arc.data().data.with_mut(|ptr| unsafe { &mut **ptr }))
    }

    /// A `Weak` handle to the same allocation.
    pub fn downgrade(arc: &Self) -> Weak<T> {
        let mut n = arc.data().alloc.load(Ordering::Relaxed);
        loop {
            if n == usize::MAX {
                // `get_mut` holds the count for a moment: wait for it.
                hint::spin_loop();
                n = arc.data().alloc.load(Ordering::Relaxed);
                continue;
            }
            assert!(n < usize::MAX - 1, "too many Weak handles");
            // Acquire: pairs with the Release store in `get_mut`.
            match arc.data().alloc.compare_exchange_weak(
                n,
                n + 1,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Weak { ptr: arc.ptr },
                Err(current) => n = current,
            }
        }
    }
}

impl<T> Deref for Arc<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: this `Arc` counts in `strong`, so the value is not dropped
        // while the `&T`, which borrows the `Arc`, lives; nothing gets a
        // `&mut T` while another `Arc` exists (`get_mut` checks).
        self.data().data.with(|ptr| unsafe { &**ptr })
    }
}

impl<T> Clone for Arc<T> {
    fn clone(&self) -> Self {
        // Relaxed: we hold an `Arc`, so the count is at least 1 and stays so;
        // nothing else is published by a clone.
        if self.data().strong.fetch_add(1, Ordering::Relaxed) > usize::MAX / 2 {
            std::process::abort(); // leaked `Arc`s (mem::forget): refuse to overflow
        }
        Arc { ptr: self.ptr }
    }
}

impl<T> Drop for Arc<T> {
    fn drop(&mut self) {
        #[cfg(not(loom))]
        let (decrement, fence_ordering) = (Ordering::Release, Ordering::Acquire);
        #[cfg(loom)]
        let (decrement, fence_ordering) = self.data().orderings;
        // Release: our uses of the value happen-before this decrement.
        if self.data().strong.fetch_sub(1, decrement) == 1 {
            // Acquire: every other `Arc`'s Release decrement happens-before
            // this fence, so all their uses of the value come before the drop.
            if fence_ordering != Ordering::Relaxed {
                fence(fence_ordering);
            }
            // SAFETY: the strong count reached 0, so this was the last `Arc`:
            // no `&T` remains, and `upgrade` never revives a count of 0, so
            // none can appear. The value is dropped exactly once, here.
            self.data()
                .data
                .with_mut(|ptr| unsafe { ManuallyDrop::drop(&mut *ptr) });
            // The `Arc`s together held one count of `alloc`: give it back.
            drop(Weak { ptr: self.ptr });
        }
    }
}

impl<T> Weak<T> {
    fn data(&self) -> &ArcData<T> {
        // SAFETY: this `Weak` counts in `alloc`, so the allocation lives.
        unsafe { self.ptr.as_ref() }
    }

    /// An `Arc` if the value still exists (some `Arc` is alive), else `None`.
    pub fn upgrade(&self) -> Option<Arc<T>> {
        let mut n = self.data().strong.load(Ordering::Relaxed);
        loop {
            // 0: the value was dropped (or is being dropped): never revive it.
            if n == 0 {
                return None;
            }
            assert!(n < usize::MAX, "too many Arc handles");
            // Relaxed, as in `clone`: a count above 0 means an `Arc` keeps
            // the value alive, and the compare-exchange keeps it above 0.
            match self.data().strong.compare_exchange_weak(
                n,
                n + 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Some(Arc { ptr: self.ptr }),
                Err(current) => n = current,
            }
        }
    }
}

impl<T> Clone for Weak<T> {
    fn clone(&self) -> Self {
        if self.data().alloc.fetch_add(1, Ordering::Relaxed) > usize::MAX / 2 {
            std::process::abort(); // leaked `Weak`s: refuse to overflow
        }
        Weak { ptr: self.ptr }
    }
}

impl<T> Drop for Weak<T> {
    fn drop(&mut self) {
        // Release and Acquire, as for the value in `Arc::drop`: every use of
        // the allocation happens-before it is freed.
        if self.data().alloc.fetch_sub(1, Ordering::Release) == 1 {
            fence(Ordering::Acquire);
            // SAFETY: `alloc` reached 0: no `Arc` (they hold one count) and no
            // other `Weak` remains, so nothing can reach the allocation again.
            // It came from `Box::leak` in `Arc::new`; the value in it was
            // already dropped (it is `ManuallyDrop`), so this frees memory only.
            drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
        }
    }
}

/// `std::cell::UnsafeCell` behind loom's closure-based API (`with`,
/// `with_mut`), so the `Arc` reads the same with either cell.
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
    }
}
