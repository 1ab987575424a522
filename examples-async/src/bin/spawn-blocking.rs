//! CPU-bound work off the async runtime: `spawn_blocking`, or rayon answering over a `oneshot`.
//!
//! An async worker thread must get back to an `.await` quickly: while it
//! computes, every other task queued on it waits. So CPU-heavy or blocking work
//! goes elsewhere, and the async side awaits the result:
//!
//! - `tokio::task::spawn_blocking(f)` runs `f` on tokio's blocking-thread pool
//!   and returns a handle to await. The pool is large (512 threads by default)
//!   because it is meant for *blocking* calls: a synchronous file API, a C
//!   library, one expensive hash. Fine for a few jobs, not for a parallel batch.
//! - For a CPU-bound batch, rayon's pool has one thread per core and balances the
//!   work. `rayon::spawn` the batch, send the answer on a `tokio::sync::oneshot`,
//!   and `.await` the receiver: no thread waits for it.
//!
//! Here each job counts the primes in one slice of `0..N` by trial division; the
//! three ways must agree job for job. The `heartbeat` count varies: it shows the
//! runtime stayed free to run its own tasks while the counting ran elsewhere.
//! If a program is all computation and no waiting, skip the runtime and use
//! rayon or threads directly.
//!
//! ```sh
//! cargo run --release -p examples-async --bin spawn-blocking -- --n 5000000 --jobs 16
//! ```

use std::ops::Range;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, ensure};
use clap::Parser;
use rayon::prelude::*;
use tokio::sync::oneshot;
use tokio::task;
use tokio::time::interval;

/// Count the primes below N three ways: sequentially, with spawn_blocking, with rayon.
#[derive(Parser)]
struct Args {
    /// Count the primes in 0..N.
    #[arg(long, default_value_t = 1_000_000)]
    n: u64,
    /// Split the range into this many jobs.
    #[arg(long, default_value_t = 8)]
    jobs: u64,
}

fn main() -> ExitCode {
    // `{:#}` prints the error and its causes on one line.
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { n, jobs }: Args) -> anyhow::Result<()> {
    ensure!(
        (1..=20_000_000).contains(&n),
        "--n must be between 1 and 20000000, got {n}"
    );
    ensure!(
        (1..=256).contains(&jobs),
        "--jobs must be between 1 and 256, got {jobs}"
    );
    let chunks = split(0..n, jobs);

    // The baseline: a plain loop on the main thread, before any runtime exists.
    let sequential: Vec<u64> = chunks.iter().cloned().map(count_primes).collect();
    println!("sequential:     {sequential:?}");

    let (blocking, parallel, ticks) = offload(chunks)?;
    println!("spawn_blocking: {blocking:?}");
    println!("rayon:          {parallel:?}");
    println!("heartbeat: the runtime ticked {ticks} times meanwhile");
    ensure!(
        blocking == sequential,
        "spawn_blocking disagrees with the sequential counts"
    );
    ensure!(
        parallel == sequential,
        "rayon disagrees with the sequential counts"
    );
    let total: u64 = sequential.iter().sum();
    println!("Primes below {n}: {total}; spawn_blocking and rayon agree with the sequential loop");
    Ok(())
}

/// Counts the primes of every chunk twice, off the runtime's worker threads:
/// once with `spawn_blocking`, once on rayon's pool. Also returns how often a
/// heartbeat task ticked on the runtime meanwhile.
#[tokio::main]
async fn offload(chunks: Vec<Range<u64>>) -> anyhow::Result<(Vec<u64>, Vec<u64>, u64)> {
    // A task that only gets to tick while the runtime's workers are free.
    let ticks = Arc::new(AtomicU64::new(0));
    let heartbeat = tokio::spawn({
        let ticks = Arc::clone(&ticks);
        async move {
            let mut every = interval(Duration::from_millis(10));
            loop {
                every.tick().await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        }
    });

    // One blocking job per chunk; the handles are awaited like tasks', in order.
    let handles: Vec<_> = chunks
        .iter()
        .cloned()
        .map(|chunk| task::spawn_blocking(move || count_primes(chunk)))
        .collect();
    let mut blocking = Vec::with_capacity(handles.len());
    for handle in handles {
        blocking.push(handle.await.context("a spawn_blocking job panicked")?);
    }

    // The whole batch on rayon's pool; the result comes back on a oneshot.
    let (tx, rx) = oneshot::channel();
    rayon::spawn(move || {
        let counts: Vec<u64> = chunks.into_par_iter().map(count_primes).collect();
        // Err only if the receiver was dropped: nobody wants the answer any more.
        let _ = tx.send(counts);
    });
    // Waiting here suspends this task; no worker thread is blocked. An error would
    // mean `tx` was dropped unsent. (A panic inside `rayon::spawn` aborts the
    // process, unless the pool was built with a `panic_handler`.)
    let parallel = rx.await.context("the rayon job ended without an answer")?;

    heartbeat.abort();
    Ok((blocking, parallel, ticks.load(Ordering::Relaxed)))
}

/// How many primes lie in `range`: trial division, deliberately CPU-bound.
pub fn count_primes(range: Range<u64>) -> u64 {
    let is_prime = |k: u64| {
        k >= 2
            && (2..)
                .take_while(|d| d * d <= k)
                .all(|d| !k.is_multiple_of(d))
    };
    range.filter(|&k| is_prime(k)).count() as u64
}

/// Splits `range` into `parts` consecutive ranges of nearly equal length.
pub fn split(range: Range<u64>, parts: u64) -> Vec<Range<u64>> {
    let len = range.end - range.start;
    (0..parts)
        .map(|i| range.start + len * i / parts..range.start + len * (i + 1) / parts)
        .collect()
}
