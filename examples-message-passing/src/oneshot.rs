//! A one-shot channel: one value, sent once, received once (after *Rust Atomics
//! and Locks*, ch. 5).
//!
//! The value lives in an `UnsafeCell<MaybeUninit<T>>`, empty until the sender
//! writes it; an `AtomicBool` says when it is there. Its two orderings are the
//! whole point:
//! - `send` writes the value, then stores `ready = true` with `Release`;
//! - `receive` loads `ready` with `Acquire`: once it reads `true`, the write of
//!   the value *happens-before* its read. With `Relaxed` the receiver could see
//!   the flag and still read the cell before the write reached it: the loom
//!   tests in `oneshot/loom_tests.rs` prove the model checker catches that.
//!
//! The types do the rest. `send(self)` and `receive(self)` consume their
//! handle, so each happens at most once:
//!
//! ```compile_fail,E0382
//! let (tx, rx) = examples_message_passing::oneshot::channel();
//! tx.send(1);
//! tx.send(2); // `send` took the Sender
//! # let _ = rx.receive();
//! ```
//!
//! The receiver waits with `thread::park`, and the sender keeps the handle of
//! the thread that made the channel to `unpark` it, so the `Receiver` must stay
//! on that thread: it is not `Send`.
//!
//! ```compile_fail,E0277
//! let (tx, rx) = examples_message_passing::oneshot::channel::<u32>();
//! std::thread::spawn(move || rx.receive());
//! # tx.send(1);
//! ```
//!
//! Dropping the `Sender` (which `send` does too) sets a second flag and wakes
//! the receiver: with no value there, it returns `Err(SenderDropped)` instead
//! of waiting forever. A value sent and never received is dropped with the
//! channel.
//!
//! Built with `--cfg loom` (`make loom`), the atomics, the cell, `Arc` and the
//! parking are loom's, which record every access so that `loom::model` can
//! check each interleaving.

// The only module of this crate that may use `unsafe`: the crate denies it
// (see Cargo.toml), the binaries and the tests forbid it.
#![allow(
    unsafe_code,
    reason = "the value crosses threads through an `UnsafeCell<MaybeUninit<T>>`, guarded by the flag; each block says why it is sound"
)]

use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

#[cfg(loom)]
use loom::{
    cell::UnsafeCell,
    sync::Arc,
    sync::atomic::{AtomicBool, Ordering},
    thread::{self, Thread},
};
#[cfg(not(loom))]
use std::{
    sync::Arc,
    sync::atomic::{AtomicBool, Ordering},
    thread::{self, Thread},
};

#[cfg(not(loom))]
use self::std_cell::UnsafeCell;

#[cfg(all(test, loom))]
mod loom_tests;

/// What the sender and the receiver share.
struct Channel<T> {
    /// Written once by the sender, before `ready`; read once by the receiver,
    /// after it saw `ready`.
    message: UnsafeCell<MaybeUninit<T>>,
    /// `true` from the sender's write of the value until the receiver takes it.
    ready: AtomicBool,
    /// `true` once the `Sender` is gone, whether it sent or not.
    sender_gone: AtomicBool,
    /// Model-checking builds only: the ordering `send` stores `ready` with,
    /// always `Release` except in the loom test that proves `Relaxed` is caught.
    #[cfg(loom)]
    send_ordering: Ordering,
}

// SAFETY: the sending and the receiving thread share a `&Channel<T>`. The value
// moves from one to the other through the cell, and each side touches it only
// when the flag says it may (see `send` and `receive`), never both at once: so
// `T: Send` is needed (the value changes threads), `T: Sync` is not.
unsafe impl<T: Send> Sync for Channel<T> {}

/// The sending half: [`Sender::send`] uses it up.
pub struct Sender<T> {
    channel: Arc<Channel<T>>,
    /// The thread that made the channel, which is the one that receives.
    receiving_thread: Thread,
}

/// The receiving half: [`Receiver::receive`] uses it up. Not `Send`: it must
/// stay on the thread that the sender will unpark.
pub struct Receiver<T> {
    channel: Arc<Channel<T>>,
    _not_send: PhantomData<*const ()>,
}

/// The `Sender` was dropped without sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderDropped;

impl fmt::Display for SenderDropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the sender was dropped without sending")
    }
}

impl std::error::Error for SenderDropped {}

/// A new one-shot channel whose `Receiver` belongs to the calling thread.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    split(Channel::new())
}

fn split<T>(channel: Channel<T>) -> (Sender<T>, Receiver<T>) {
    let channel = Arc::new(channel);
    let sender = Sender {
        channel: Arc::clone(&channel),
        receiving_thread: thread::current(),
    };
    let receiver = Receiver {
        channel,
        _not_send: PhantomData,
    };
    (sender, receiver)
}

impl<T> Channel<T> {
    fn new() -> Self {
        Channel {
            message: UnsafeCell::new(MaybeUninit::uninit()),
            ready: AtomicBool::new(false),
            sender_gone: AtomicBool::new(false),
            #[cfg(loom)]
            send_ordering: Ordering::Release,
        }
    }
}

impl<T> Sender<T> {
    /// Hands `value` to the receiver and wakes it.
    pub fn send(self, value: T) {
        // SAFETY: `send` takes the one Sender, so this is the only write, and
        // the receiver reads the cell only after it sees `ready`, stored below.
        self.channel.message.with_mut(|slot| unsafe {
            (*slot).write(value);
        });
        // Release: publishes the write above to the receiver's Acquire load.
        #[cfg(not(loom))]
        let ordering = Ordering::Release;
        #[cfg(loom)]
        let ordering = self.channel.send_ordering;
        self.channel.ready.store(true, ordering);
        // Dropping `self` here marks the sender gone and wakes the receiver.
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        // Release: a receiver that reads `true` here also sees `ready` if the
        // value was sent (it was stored before this).
        self.channel.sender_gone.store(true, Ordering::Release);
        // Wakes the receiver if it is parked; if it is not parked yet, this
        // leaves it a token and its next `park` returns at once.
        self.receiving_thread.unpark();
    }
}

impl<T> Receiver<T> {
    /// Waits for the value; `Err` if the sender was dropped without sending.
    pub fn receive(self) -> Result<T, SenderDropped> {
        loop {
            // Read before `ready`: if the sender had already gone, the value
            // it sent (if any) is visible to the load of `ready` below.
            let sender_gone = self.channel.sender_gone.load(Ordering::Acquire);
            // Acquire: pairs with the Release store in `send`, so the value's
            // write happens-before our read.
            if self.channel.ready.load(Ordering::Acquire) {
                // SAFETY: `ready` is true, so the sender wrote the value and
                // never touches the cell again, and the Acquire load made that
                // write visible; `receive` took the one Receiver and returns
                // below, so the value is read exactly once.
                let value = self
                    .channel
                    .message
                    .with_mut(|slot| unsafe { (*slot).assume_init_read() });
                // The value is ours now: the channel's `drop` must not drop it
                // again. (The sender is done with `ready`: a plain store will do.)
                self.channel.ready.store(false, Ordering::Relaxed);
                return Ok(value);
            }
            if sender_gone {
                return Err(SenderDropped);
            }
            // Returns when the sender unparks us (or spuriously): look again.
            thread::park();
        }
    }
}

impl<T> Drop for Channel<T> {
    fn drop(&mut self) {
        // The last `Arc` is going: both halves' accesses happen-before this.
        if self.ready.load(Ordering::Relaxed) {
            // SAFETY: `ready` is still true, so the value was written and not
            // taken, and `&mut self` means no one else can reach the cell.
            self.message
                .with_mut(|slot| unsafe { (*slot).assume_init_drop() });
        }
    }
}

/// `std::cell::UnsafeCell` behind loom's closure-based API (`with_mut`), so
/// the channel reads the same with either cell.
#[cfg(not(loom))]
mod std_cell {
    pub(super) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(super) const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        pub(super) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}
