//! False sharing: per-thread counters side by side in one cache line against
//! each in its own (`crossbeam::utils::CachePadded`).
//!
//! Every thread increments only its own counter, so no value is shared; but a
//! CPU core owns memory by the cache line (64 bytes on x86, 128 on some ARM
//! and on x86 with adjacent-line prefetch, which `CachePadded` allows for).
//! With the counters packed into one line, each increment takes the line away
//! from the other cores: as slow as one counter that all threads truly share.
//! Padded, each core keeps its line and the threads run at full speed. The
//! totals are exact in every layout; the times and the ratio vary from run to
//! run and machine to machine (on one core there is nothing to share and the
//! layouts cost the same).
//!
//! ```sh
//! cargo run --release -p examples-shared-state --bin false-sharing -- --threads 2 --increments 2000000
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use crossbeam::utils::CachePadded;

/// Per-thread counters packed into one cache line against padded ones.
#[derive(Parser)]
struct Args {
    /// How many threads, each with its own counter [1-64].
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: u64,
    /// How many times each thread increments its counter [1-100000000].
    #[arg(long, default_value_t = 2_000_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    increments: u64,
    /// Time each layout as the median of this many runs, after a warm-up [1-100].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(
    Args {
        threads,
        increments,
        runs,
    }: Args,
) -> anyhow::Result<()> {
    let layouts: [(&str, Kernel); 4] = [
        ("sequential (one thread, one counter)", sequential),
        ("shared (one AtomicU64 for all)", shared),
        ("packed (one cache line)", packed),
        ("padded (CachePadded)", padded),
    ];
    println!(
        "counters {} bytes apart packed, {} bytes apart padded",
        size_of::<AtomicU64>(),
        size_of::<CachePadded<AtomicU64>>()
    );
    let mut times = Vec::new();
    for (name, count) in layouts {
        let (total, time) = median_time(runs, || count(threads, increments));
        println!(
            "{name}: total {total} in {:.2} ms",
            time.as_secs_f64() * 1e3
        );
        anyhow::ensure!(total == threads * increments, "{name} lost increments");
        times.push(time);
    }
    println!(
        "padded is {:.1}x faster than packed with {threads} threads (median of {runs} runs after a warm-up)",
        times[2].as_secs_f64() / times[3].as_secs_f64()
    );
    println!("Totals exact in every layout: {}", threads * increments);
    Ok(())
}

/// A way to count `increments` on each of `threads` threads; returns the total.
pub type Kernel = fn(u64, u64) -> u64;

/// One thread does everybody's increments on one counter: the baseline.
pub fn sequential(threads: u64, increments: u64) -> u64 {
    let counter = AtomicU64::new(0);
    for _ in 0..threads * increments {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    counter.into_inner()
}

/// Every thread increments the one counter they all share (true sharing).
pub fn shared(threads: u64, increments: u64) -> u64 {
    let counter = AtomicU64::new(0);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..increments {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    counter.into_inner()
}

/// Each thread increments its own counter; the counters sit side by side,
/// eight to a 64-byte cache line.
pub fn packed(threads: u64, increments: u64) -> u64 {
    let counters: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
    count_on_threads(&counters, increments);
    counters.into_iter().map(AtomicU64::into_inner).sum()
}

/// The same, with each counter aligned and padded to its own cache line.
pub fn padded(threads: u64, increments: u64) -> u64 {
    let counters: Vec<CachePadded<AtomicU64>> = (0..threads)
        .map(|_| CachePadded::new(AtomicU64::new(0)))
        .collect();
    count_on_threads(counters.iter().map(|c| &**c), increments);
    counters
        .into_iter()
        .map(|c| c.into_inner().into_inner())
        .sum()
}

/// Thread `i` adds 1 to `counters[i]`, `increments` times. `Relaxed` is
/// enough: the values are read only after the scope joined every thread.
fn count_on_threads<'a>(counters: impl IntoIterator<Item = &'a AtomicU64>, increments: u64) {
    thread::scope(|s| {
        for counter in counters {
            s.spawn(move || {
                for _ in 0..increments {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
}

/// Runs `f` once to warm up, then `runs` times; returns its result and the
/// median time, as criterion measures.
fn median_time(runs: u32, mut f: impl FnMut() -> u64) -> (u64, Duration) {
    let mut result = f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            result = f();
            start.elapsed()
        })
        .collect();
    times.sort();
    (result, times[times.len() / 2])
}
