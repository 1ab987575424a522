//! Streams: `StreamExt` adapters, and at most N fetches in flight with `buffer_unordered`.
//!
//! A `Stream` is the async `Iterator`: `next().await` yields items until `None`.
//! `futures::StreamExt` gives it the iterator adapters (`filter`, `map`, `take`,
//! `collect`, ...) and two that matter for I/O. `.map(fetch).buffer_unordered(n)`
//! keeps up to `n` fetches running and yields each result as soon as it is ready;
//! `.buffered(n)` does the same but yields in input order, holding back results
//! that finish early. Either way a new fetch starts only when a slot frees up
//! (with `buffered`, a result held back keeps its slot until it is yielded), so
//! at most `n` are ever in flight: an atomic high-water mark measures it.
//!
//! The `unordered` lines come in completion order, which varies from run to run;
//! the `ordered` lines are always in input order. Everything runs on one task of
//! a one-thread runtime: this is concurrent waiting, not parallel computing. If
//! each item needed heavy CPU work, a rayon parallel iterator would be the tool.
//!
//! ```sh
//! cargo run -p examples-async --bin streams -- --items 50 --concurrency 8
//! ```

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::ensure;
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use futures::stream::{self, StreamExt};
use std::future::ready;
use tokio::time::sleep;

/// Fetch a stream of items with at most `--concurrency` fetches at a time.
#[derive(Parser)]
struct Args {
    /// How many items the stream yields [1-100000].
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    items: u64,
    /// The most fetches in flight at once [1-1000].
    #[arg(long, default_value_t = 4, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1000))]
    concurrency: usize,
    /// Simulated latency of one fetch, in milliseconds; items take 1x, 2x or 3x this [1-1000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    latency_ms: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[tokio::main(flavor = "current_thread")]
async fn run(
    Args {
        items,
        concurrency,
        latency_ms,
    }: Args,
) -> anyhow::Result<()> {
    // Adapters build a new stream; nothing runs until it is polled (`collect`).
    let firsts: Vec<u64> = stream::iter(1..=items)
        .filter(|n| ready(n.is_multiple_of(2)))
        .map(|n| n * 10)
        .take(3)
        .collect()
        .await;
    println!("even items x 10, first three: {firsts:?}");

    let latency = Duration::from_millis(latency_ms);
    let (unordered, max_unordered) = fetch_unordered(items, concurrency, latency).await;
    println!(
        "unordered: {unordered} items, at most {max_unordered} in flight (limit {concurrency})"
    );
    let (ordered, max_ordered) = fetch_ordered(items, concurrency, latency).await;
    println!("ordered: {ordered} items, at most {max_ordered} in flight (limit {concurrency})");
    ensure!(
        unordered == items && ordered == items,
        "fetched {unordered} and {ordered} items, not {items}"
    );
    let max = max_unordered.max(max_ordered);
    ensure!(
        max <= concurrency,
        "{max} fetches in flight, above the limit of {concurrency}"
    );
    println!("Fetched {items} items twice, at most {max} at a time (limit {concurrency})");
    Ok(())
}

/// Fetches every item, up to `limit` at once, printing results as they finish.
/// Returns how many results came out and the most fetches that were ever in
/// flight at the same time.
pub async fn fetch_unordered(items: u64, limit: usize, latency: Duration) -> (u64, usize) {
    let gauge = InFlight::default();
    let mut results = stream::iter(0..items)
        .map(|i| fetch(i, latency, &gauge)) // lazy: builds futures, starts none
        .buffer_unordered(limit); // polls at most `limit` of them at a time
    let mut count = 0;
    while let Some((i, square)) = results.next().await {
        println!("unordered: item {i} -> {square}");
        count += 1;
    }
    (count, gauge.max())
}

/// The same with `buffered`: results come out in input order.
pub async fn fetch_ordered(items: u64, limit: usize, latency: Duration) -> (u64, usize) {
    let gauge = InFlight::default();
    let mut results = stream::iter(0..items)
        .map(|i| fetch(i, latency, &gauge))
        .buffered(limit);
    let mut count = 0;
    while let Some((i, square)) = results.next().await {
        println!("ordered: item {i} -> {square}");
        count += 1;
    }
    (count, gauge.max())
}

/// A simulated request: items take 1, 2 or 3 times `latency`, so later items
/// can finish before earlier ones.
async fn fetch(i: u64, latency: Duration, gauge: &InFlight) -> (u64, u64) {
    let _in_flight = gauge.enter(); // counted until this future ends or is dropped
    let factor = u32::try_from(1 + i % 3).expect("1, 2 or 3 fits in u32");
    sleep(latency * factor).await;
    (i, i * i)
}

/// Counts the fetches in progress and remembers the most there ever were.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl InFlight {
    fn enter(&self) -> Leave<'_> {
        // Relaxed is enough: each read-modify-write sees the latest count, and
        // no other memory is published through these counters.
        let now = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.max.fetch_max(now, Ordering::Relaxed);
        Leave(self)
    }

    fn max(&self) -> usize {
        self.max.load(Ordering::Relaxed)
    }
}

/// Leaves the gauge when dropped, whether the fetch finished or was cancelled.
struct Leave<'a>(&'a InFlight);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::Relaxed);
    }
}
