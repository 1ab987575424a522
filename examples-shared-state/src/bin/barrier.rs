//! Threads meet at a `Barrier` between two phases of work.
//!
//! In phase 1 each thread sums its own slice of `1..=N` and publishes the
//! partial sum in its slot. Phase 2 needs *every* partial sum: each thread adds
//! up all the slots. `Barrier::wait` returns only when all threads have called
//! it, so no thread starts phase 2 before every thread has finished phase 1,
//! and everything written before the barrier is visible after it. Without it a
//! fast thread would read a slot that is still 0.
//!
//! Lines within a phase come in a different order from run to run; every
//! phase-1 line comes before every phase-2 line, and exactly one thread is told
//! it is the barrier's leader. Which one is arbitrary: std promises one, not a
//! different one each run (it picks the last to arrive).
//!
//! ```sh
//! cargo run -p examples-shared-state --bin barrier -- --threads 4 --n 1000
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Barrier;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use anyhow::ensure;
use clap::Parser;

/// Threads sum 1..=N in two phases separated by a barrier.
#[derive(Parser)]
struct Args {
    /// How many threads meet at the barrier [1-64].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: u64,
    /// Sum the numbers 1..=N [1-2^31, so the sum fits in u64].
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1 << 31))]
    n: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { threads, n }: Args) -> anyhow::Result<()> {
    let barrier = Barrier::new(threads as usize);
    // One slot per thread. Relaxed is enough: the barrier orders every store
    // before it with every load after it (it is a mutex and a condvar inside).
    let slots: Vec<AtomicU64> = (0..threads).map(|_| AtomicU64::new(0)).collect();
    let chunk = n.div_ceil(threads);

    let totals: Vec<u64> = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let (barrier, slots) = (&barrier, &slots);
                s.spawn(move || {
                    // Phase 1: my part, into my slot.
                    let (lo, hi) = ((i * chunk + 1).min(n + 1), ((i + 1) * chunk).min(n));
                    let part: u64 = (lo..=hi).sum();
                    slots[i as usize].store(part, Ordering::Relaxed);
                    println!("phase 1: thread {i} summed {lo}..={hi} = {part}");

                    // Nobody passes until all have arrived.
                    if barrier.wait().is_leader() {
                        println!("phase 2: thread {i} is the leader (one per barrier)");
                    }

                    // Phase 2: everybody's parts, all written by now.
                    let total: u64 = slots.iter().map(|s| s.load(Ordering::Relaxed)).sum();
                    println!("phase 2: thread {i} sees total {total}");
                    total
                })
            })
            .collect();
        let joined = handles
            .into_iter()
            .map(|h| h.join().expect("no thread panics"));
        joined.collect()
    });

    let expected = n * (n + 1) / 2;
    ensure!(
        totals.iter().all(|&t| t == expected),
        "some thread saw a wrong total: {totals:?}, expected {expected}"
    );
    println!("All {threads} threads saw the total of 1..={n}: {expected}");
    Ok(())
}
