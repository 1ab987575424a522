//! Lock-free queues from crossbeam: a bounded `ArrayQueue` that refuses a push
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
//! queue is first-in, first-out).
//!
//! Both queues take `&self` for `push` and `pop`: no `Mutex` around them, the
//! threads just share a reference. std's nearest equivalents are channels
//! (`mpsc::sync_channel` for bounded); crossbeam's queues are also lock-free.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin concurrent-queue -- --producers 3 --consumers 3 --items 5
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use anyhow::{anyhow, ensure};
use clap::Parser;
use crossbeam::queue::{ArrayQueue, SegQueue};
use crossbeam::utils::Backoff;

/// A full ArrayQueue refuses a push; a SegQueue moves items from producers to consumers.
#[derive(Parser)]
struct Args {
    /// Capacity of the ArrayQueue in part 1.
    #[arg(long, default_value_t = 4)]
    capacity: usize,
    /// How many threads push into the SegQueue.
    #[arg(long, default_value_t = 3)]
    producers: usize,
    /// How many threads pop from the SegQueue.
    #[arg(long, default_value_t = 3)]
    consumers: usize,
    /// How many items each producer pushes.
    #[arg(long, default_value_t = 5)]
    items: usize,
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
    let Args {
        capacity,
        producers,
        consumers,
        items,
    } = args;
    ensure!(
        (1..=1_000_000).contains(&capacity),
        "--capacity must be between 1 and 1000000, got {capacity}"
    );
    ensure!(
        (1..=64).contains(&producers),
        "--producers must be between 1 and 64, got {producers}"
    );
    ensure!(
        (1..=64).contains(&consumers),
        "--consumers must be between 1 and 64, got {consumers}"
    );
    ensure!(
        (1..=100_000).contains(&items),
        "--items must be between 1 and 100000, got {items}"
    );

    bounded(capacity)?;
    let popped = unbounded(producers, consumers, items)?;
    println!(
        "SegQueue: {} items pushed, {popped} popped, each exactly once",
        producers * items
    );
    Ok(())
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
        Ok(()) => anyhow::bail!("a full ArrayQueue accepted a push"),
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

/// Part 2: producers and consumers share one unbounded queue; returns how many
/// items were popped after checking that each was popped exactly once.
fn unbounded(producers: usize, consumers: usize, items: usize) -> anyhow::Result<usize> {
    let queue = SegQueue::new();
    // How many producers have pushed everything they will push.
    let finished = AtomicUsize::new(0);

    let joined = thread::scope(|s| {
        for p in 0..producers {
            let (queue, finished) = (&queue, &finished);
            s.spawn(move || {
                for i in 0..items {
                    queue.push((p, i));
                }
                println!("producer {p}: pushed {items} items");
                // Release: a consumer that sees this count also sees our pushes.
                finished.fetch_add(1, Ordering::Release);
            });
        }

        let handles: Vec<_> = (0..consumers)
            .map(|c| {
                let (queue, finished) = (&queue, &finished);
                s.spawn(move || {
                    let mut mine = Vec::new();
                    let backoff = Backoff::new();
                    loop {
                        // Read the count *before* popping: if every producer had
                        // finished and the queue is still empty, nothing more can come.
                        let all_pushed = finished.load(Ordering::Acquire) == producers;
                        match queue.pop() {
                            Some((p, i)) => {
                                println!("consumer {c} popped {p}:{i}");
                                mine.push((p, i));
                                backoff.reset();
                            }
                            None if all_pushed => break,
                            // Empty for now: spin a little, then yield the CPU.
                            None => backoff.snooze(),
                        }
                    }
                    mine
                })
            })
            .collect();
        // Join every thread, even after one failed, before looking at results.
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    });
    let popped = joined
        .into_iter()
        .collect::<std::thread::Result<Vec<_>>>()
        .map_err(|_| anyhow!("a consumer panicked"))?;

    // Every (producer, item) exactly once, and each consumer saw each
    // producer's items in push order.
    let mut seen = vec![vec![0_u32; items]; producers];
    for mine in &popped {
        let mut next = vec![0; producers];
        for &(p, i) in mine {
            ensure!(
                i >= next[p],
                "a consumer saw {p}:{i} after a later item of producer {p}"
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
