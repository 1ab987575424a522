//! Back-pressure with a bounded `sync_channel`: a fast producer can get at most
//! `capacity` items ahead of a slow consumer; then the rendezvous channel
//! `sync_channel(0)`, where every `send` waits for a `recv`.
//!
//! After each `send` returns, the producer prints how many items are *in
//! flight*: sends that have returned, minus receives the consumer has begun
//! (it bumps its counter just before each `recv`). This never exceeds the
//! capacity k: send number s can return only once the consumer had taken item
//! s - k (with k = 0, item s itself), and the hand-off makes that count visible
//! to the producer whose send it unblocked. (That last step is std's
//! implementation rather than a documented promise: a `recv` frees its slot
//! with a Release store that the next `send` of that slot reads with Acquire.)
//! The obvious counts overshoot: bumping after `recv` returns can read k + 1,
//! and bumping before `send` adds one more (a blocked producer counts its item).
//!
//! The `producer` and `consumer` lines interleave differently from run to run,
//! and so does the printed maximum (it usually reaches k, because the consumer
//! pauses after each item); the values are always received 0, 1, 2, ... in
//! order. With `sync_channel(0)` the producer is never ahead: in flight is 0.
//! Each phase ends with the producer dropping its Sender, which the consumer's
//! `recv` sees as `Err` once the buffer is empty.
//!
//! ```sh
//! cargo run -p examples-message-passing --bin sync-channel -- --capacity 2 --items 10
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyhow::{anyhow, ensure};
use clap::Parser;
use clap::builder::RangedU64ValueParser;

/// A fast producer and a slow consumer over bounded channels.
#[derive(Parser)]
struct Args {
    /// Buffer size of the bounded channel [1-1000] (the rendezvous channel,
    /// capacity 0, runs after it anyway).
    #[arg(long, default_value_t = 3, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1000))]
    capacity: usize,
    /// How many items the producer sends through each channel [1-10000].
    #[arg(long, default_value_t = 8, value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    items: usize,
    /// Milliseconds the consumer spends on each item, so the buffer fills up
    /// and the producer has to wait [0-1000].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(..=1000))]
    consumer_ms: u64,
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
    let pause = Duration::from_millis(args.consumer_ms);
    demo(args.capacity, args.items, pause)?;
    demo(0, args.items, pause)?;
    println!("Every item arrived in order; items in flight never exceeded the bound");
    Ok(())
}

/// Sends `0..items` through `sync_channel(capacity)` to a consumer that
/// spends `pause` on each item, and checks what arrived.
fn demo(capacity: usize, items: usize, pause: Duration) -> anyhow::Result<()> {
    let kind = if capacity == 0 { " (rendezvous)" } else { "" };
    println!("== sync_channel({capacity}){kind}: {items} items ==");
    let (tx, rx) = mpsc::sync_channel(capacity);
    // Receives the consumer has begun: bumped *before* each `recv`.
    let begun = AtomicUsize::new(0);

    let (received, max_in_flight) = thread::scope(|s| {
        let begun = &begun;
        let consumer = s.spawn(move || {
            let mut received = Vec::new();
            loop {
                // Relaxed is enough: this bump comes before the `recv`, and
                // the channel orders that `recv` before the return of the
                // `send` it unblocks, so the producer's later load sees it.
                begun.fetch_add(1, Ordering::Relaxed);
                // Err: the producer dropped its Sender and the buffer is empty.
                let Ok(value) = rx.recv() else {
                    println!("consumer: channel closed after {} items", received.len());
                    break;
                };
                println!("consumer: received {value}");
                received.push(value);
                thread::sleep(pause); // slow work: the buffer fills meanwhile
            }
            received
        });

        let mut max_in_flight = 0;
        for (value, sent) in (0..items).zip(1usize..) {
            // Blocks while the buffer holds `capacity` items (always, for 0).
            tx.send(value)
                .expect("the consumer receives until the Sender is dropped");
            // "Negative" (the consumer already waits for the next item) is 0.
            let in_flight = sent.saturating_sub(begun.load(Ordering::Relaxed));
            println!("producer: sent {value}, in flight {in_flight}");
            max_in_flight = max_in_flight.max(in_flight);
        }
        println!("producer: dropping tx");
        drop(tx); // closes the channel: the consumer's `recv` returns Err
        let received = consumer
            .join()
            .map_err(|_| anyhow!("the consumer panicked"))?;
        anyhow::Ok((received, max_in_flight))
    })?;

    ensure!(
        received.iter().copied().eq(0..items),
        "sync_channel({capacity}) delivered {received:?}, not 0..{items} in order"
    );
    ensure!(
        max_in_flight <= capacity,
        "sync_channel({capacity}) had {max_in_flight} items in flight, above its bound"
    );
    println!(
        "sync_channel({capacity}): received {} of {items} items in order; max in flight {max_in_flight} (bound {capacity})",
        received.len()
    );
    Ok(())
}
