//! The shutdown protocol of the `concurrent-queue` recipe: consumers of a
//! queue shared with several producers stop once every producer has finished
//! *and* the queue is empty, and lose no item on the way.
//!
//! Two details make it right, and `make loom` model-checks both (the tests at
//! the bottom; a weakened ordering is shown to be caught):
//! - A consumer reads the count of finished producers *before* it pops. Read
//!   after an empty pop, the count could include a producer that pushed its
//!   last item between the pop and the read: the consumer would stop and leave
//!   that item in the queue.
//! - A producer counts itself finished with `Release`, a consumer reads the
//!   count with `Acquire`. So a consumer that sees every producer finished also
//!   sees all their pushes, and its empty pop means empty for good. With
//!   `Relaxed` the pop could still see a queue from before the last pushes
//!   (x86 hides this; the memory model, and loom, do not).
//!
//! Built with `--cfg loom` (`make loom`), the counter is loom's atomic.

#[cfg(loom)]
use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many of a known number of producers have pushed their last item.
pub struct ProducersDone {
    finished: AtomicUsize,
    producers: usize,
    /// Model-checking builds only: the orderings of the count, always
    /// `Release` and `Acquire` except in the test that proves `Relaxed` caught.
    #[cfg(loom)]
    orderings: (Ordering, Ordering),
}

impl ProducersDone {
    /// A count for `producers` producers, none finished yet.
    pub fn new(producers: usize) -> Self {
        ProducersDone {
            finished: AtomicUsize::new(0),
            producers,
            #[cfg(loom)]
            orderings: (Ordering::Release, Ordering::Acquire),
        }
    }

    /// A producer calls this once, after its last push.
    pub fn producer_done(&self) {
        // Release: whoever reads this count with Acquire also sees our pushes.
        #[cfg(not(loom))]
        let ordering = Ordering::Release;
        #[cfg(loom)]
        let ordering = self.orderings.0;
        self.finished.fetch_add(1, ordering);
    }

    /// Pops with `pop` and hands each item to `take` until every producer has
    /// finished and the queue is empty; calls `wait` when the queue is empty
    /// for now (to spin a little or yield the CPU).
    pub fn drain<T>(
        &self,
        mut pop: impl FnMut() -> Option<T>,
        mut take: impl FnMut(T),
        mut wait: impl FnMut(),
    ) {
        #[cfg(not(loom))]
        let ordering = Ordering::Acquire;
        #[cfg(loom)]
        let ordering = self.orderings.1;
        loop {
            // Read the count *before* popping: if every producer had finished
            // and the queue is still empty, nothing more can come.
            let all_done = self.finished.load(ordering) == self.producers;
            match pop() {
                Some(item) => take(item),
                None if all_done => return,
                None => wait(),
            }
        }
    }
}

/// Model checks of the protocol: loom runs each model once for every
/// interleaving, and for every older value a load may still return.
#[cfg(all(test, loom))]
mod loom_tests {
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::{Arc, Condvar, Mutex};
    use loom::thread;

    use super::ProducersDone;
    use crate::loom_support::{explore, loom_rejects};

    /// A queue that loom can see through: `SLOTS` slots, 0 meaning empty. The
    /// producer fills them in order with Release stores; a consumer takes an
    /// item with an Acquire load and a compare-exchange, so a load may still
    /// return an older, empty slot where nothing orders the push before it.
    const SLOTS: usize = 2;

    fn pop(slots: &[AtomicUsize; SLOTS]) -> Option<usize> {
        slots.iter().find_map(|slot| {
            let item = slot.load(Ordering::Acquire);
            let taken = item != 0
                && slot
                    .compare_exchange(item, 0, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok();
            taken.then_some(item)
        })
    }

    /// What a consumer does when the queue is empty for now: any wait will do
    /// for the protocol. Spinning consumers would make loom follow them
    /// yielding to each other forever, so here they sleep until the producer
    /// has ended (a flag under a mutex, rung after `producer_done`).
    type Ended = (Mutex<bool>, Condvar);

    fn wait_for(ended: &Ended) {
        let mut guard = ended.0.lock().expect("no model thread panics");
        while !*guard {
            guard = ended.1.wait(guard).expect("no model thread panics");
        }
    }

    /// One producer pushes items 1..=SLOTS and says it is done; `consumers`
    /// consumers drain. Asserts that every item was taken exactly once.
    fn one_producer(done: ProducersDone, consumers: usize) {
        let slots = [AtomicUsize::new(0), AtomicUsize::new(0)];
        let ended: Ended = (Mutex::new(false), Condvar::new());
        let shared = Arc::new((done, slots, ended));
        let producer = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let (done, slots, ended) = &*shared;
                for (k, slot) in slots.iter().enumerate() {
                    slot.store(k + 1, Ordering::Release);
                }
                done.producer_done();
                *ended.0.lock().expect("no model thread panics") = true;
                ended.1.notify_all();
            })
        };
        let handles: Vec<_> = (0..consumers)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || {
                    let (done, slots, ended) = &*shared;
                    let mut taken = Vec::new();
                    done.drain(|| pop(slots), |item| taken.push(item), || wait_for(ended));
                    taken
                })
            })
            .collect();
        producer.join().expect("the producer panicked");
        let mut taken: Vec<usize> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("a consumer panicked"))
            .collect();
        taken.sort();
        assert_eq!(taken, (1..=SLOTS).collect::<Vec<_>>(), "an item was lost");
    }

    #[test]
    fn a_consumer_stops_only_after_taking_every_item() {
        let runs = explore(None, || one_producer(ProducersDone::new(1), 1));
        assert!(runs > 10, "only {runs} interleavings explored");
    }

    /// Three threads: with at most two forced switches (55730 interleavings,
    /// seconds; unbounded it runs for more than five minutes).
    #[test]
    fn two_consumers_take_every_item_exactly_once() {
        let runs = explore(Some(2), || one_producer(ProducersDone::new(1), 2));
        assert!(runs > 10, "only {runs} interleavings explored");
    }

    /// The check can fail: with a `Relaxed` count a consumer can see the
    /// producer finished and still pop from the queue as it was before.
    #[test]
    fn a_relaxed_count_is_caught_losing_an_item() {
        let relaxed = || ProducersDone {
            orderings: (Ordering::Relaxed, Ordering::Relaxed),
            ..ProducersDone::new(1)
        };
        let message = loom_rejects(
            "loom accepted a Relaxed count of finished producers",
            move || one_producer(relaxed(), 1),
        );
        assert!(message.contains("an item was lost"), "{message}");
    }
}
