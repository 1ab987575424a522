//! Concurrent queues from crossbeam: a bounded `ArrayQueue` that refuses a push
//! when full, and an unbounded `SegQueue` shared by several producers and
//! consumers.
//!
//! Part 1 is single-threaded and never varies: fill an `ArrayQueue`, watch the
//! next `push` come back as `Err(value)`, pop one, and push again.
//!
//! Part 2: producers push `p:i` items into one `SegQueue` while consumers pop
//! them. Which consumer gets which item, and the order of the lines, vary from
//! run to run. What never varies: every item is popped exactly once, and each
//! consumer sees any one producer's items in the order they were pushed (the
//! queue is first-in, first-out). The consumers stop by the protocol in this
//! crate's `src/shutdown.rs` (model-checked by `make loom`): read how many
//! producers have finished *before* popping, Release/Acquire on that count.
//!
//! Both queues take `&self` for `push` and `pop`: no `Mutex` around them, the
//! threads just share a reference, and nobody is put to sleep by the OS (a
//! consumer finding the queue empty spins, then yields). They are not
//! lock-free in the formal sense, though: a pusher preempted halfway through
//! its push holds up the poppers that reach its slot. std's nearest
//! equivalents are channels (`mpsc::sync_channel` for bounded).
//!
//! ```sh
//! cargo run -p examples-shared-state --bin concurrent-queue -- --producers 3 --consumers 3 --items 5
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::thread;

use anyhow::{anyhow, bail, ensure};
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use crossbeam::queue::{ArrayQueue, SegQueue};
use crossbeam::utils::Backoff;
use examples_shared_state::shutdown::ProducersDone;

/// A full ArrayQueue refuses a push; a SegQueue moves items from producers to consumers.
#[derive(Parser)]
struct Args {
    /// Capacity of the ArrayQueue in part 1 [1-1000000].
    #[arg(long, default_value_t = 4, value_parser = usize_in(1..=1_000_000))]
    capacity: usize,
    /// How many threads push into the SegQueue [1-64].
    #[arg(long, default_value_t = 3, value_parser = usize_in(1..=64))]
    producers: usize,
    /// How many threads pop from the SegQueue [1-64].
    #[arg(long, default_value_t = 3, value_parser = usize_in(1..=64))]
    consumers: usize,
    /// How many items each producer pushes [1-100000].
    #[arg(long, default_value_t = 5, value_parser = usize_in(1..=100_000))]
    items: usize,
}

fn usize_in(range: std::ops::RangeInclusive<u64>) -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(range)
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(args: Args) -> anyhow::Result<()> {
    bounded(args.capacity)?;
    let (producers, items) = (args.producers, args.items);
    let popped = unbounded(producers, args.consumers, items)?;
    println!(
        "SegQueue: {} items pushed, {popped} popped, each exactly once",
        producers * items
    );
    Ok(())
}

/// Part 2: producers and consumers share one unbounded queue; returns how many
/// items were popped after checking that each was popped exactly once.
fn unbounded(producers: usize, consumers: usize, items: usize) -> anyhow::Result<usize> {
    let queue = SegQueue::new();
    // How many producers have pushed everything they will push.
    let done = ProducersDone::new(producers);

    let popped: Vec<Vec<(usize, usize)>> = thread::scope(|s| {
        for p in 0..producers {
            let (queue, done) = (&queue, &done);
            s.spawn(move || {
                for i in 0..items {
                    queue.push((p, i));
                }
                println!("producer {p}: pushed {items} items");
                done.producer_done(); // Release: a consumer that sees it sees our pushes
            });
        }
        let handles: Vec<_> = (0..consumers)
            .map(|c| {
                let (queue, done) = (&queue, &done);
                s.spawn(move || {
                    let (mut mine, backoff) = (Vec::new(), Backoff::new());
                    // Pop until every producer has finished and the queue is empty.
                    let take = |(p, i)| {
                        println!("consumer {c} popped {p}:{i}");
                        mine.push((p, i));
                        backoff.reset();
                    };
                    // Empty for now: spin a little, then yield the CPU.
                    done.drain(|| queue.pop(), take, || backoff.snooze());
                    mine
                })
            })
            .collect();
        let joined = handles
            .into_iter()
            .map(|h| h.join().expect("no consumer panics"));
        joined.collect()
    });

    // Every (producer, item) exactly once, and each consumer saw each
    // producer's items in push order.
    let mut seen = vec![vec![0_u32; items]; producers];
    for mine in &popped {
        let mut next = vec![0; producers];
        for &(p, i) in mine {
            ensure!(
                i >= next[p],
                "a consumer saw {p}:{i} after a later item of {p}"
            );
            next[p] = i + 1;
            seen[p][i] += 1;
        }
    }
    ensure!(
        seen.iter().flatten().all(|&n| n == 1),
        "some item was lost or popped twice"
    );
    Ok(popped.iter().map(Vec::len).sum())
}

/// Part 1: a bounded queue hands a value back instead of growing.
fn bounded(capacity: usize) -> anyhow::Result<()> {
    let queue = ArrayQueue::new(capacity);
    for value in 1..=capacity {
        queue
            .push(value)
            .map_err(|v| anyhow!("push {v} refused below capacity"))?;
    }
    println!(
        "ArrayQueue: pushed 1..={capacity}, len {} of {}",
        queue.len(),
        queue.capacity()
    );
    match queue.push(capacity + 1) {
        Err(refused) => {
            println!("ArrayQueue: push {refused} refused, queue full, value handed back")
        }
        Ok(()) => bail!("a full ArrayQueue accepted a push"),
    }
    let first = queue
        .pop()
        .ok_or_else(|| anyhow!("a full queue popped nothing"))?;
    println!("ArrayQueue: popped {first} (first in, first out)");
    queue
        .push(capacity + 1)
        .map_err(|v| anyhow!("push {v} refused after a pop"))?;
    println!("ArrayQueue: push {} accepted after the pop", capacity + 1);
    Ok(())
}
