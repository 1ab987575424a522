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
//! ways must agree job for job. A `heartbeat` task ticks every 10 ms on the
//! same single-threaded runtime as the code that awaits the results, so it
//! ticks only while that code is suspended in an `.await`. Counting inline,
//! on the runtime's thread, it gets exactly 0 ticks however long the count
//! takes: every task on that thread waits. Offloaded, it keeps ticking (how
//! many times varies with the machine). Each job also notes the thread it ran
//! on, and the recipe prints how many jobs ran off the runtime's thread: none
//! inline, all of them with `spawn_blocking` and on rayon.
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
use std::thread::{self, ThreadId};
use std::time::Duration;

use anyhow::{Context, ensure};
use clap::Parser;
use rayon::prelude::*;
use tokio::sync::oneshot;
use tokio::task;
use tokio::time::{MissedTickBehavior, interval};

/// Count the primes below N three ways: sequentially, with spawn_blocking, with rayon.
#[derive(Parser)]
struct Args {
    /// Count the primes in 0..N [1-20000000].
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=20_000_000))]
    n: u64,
    /// Split the range into this many jobs [1-256].
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

// One thread: the heartbeat task ticks only while the code below awaits.
#[tokio::main(flavor = "current_thread")]
async fn run(Args { n, jobs }: Args) -> anyhow::Result<()> {
    let chunks = split(0..n, jobs);
    // The baseline: a plain loop.
    let sequential: Vec<u64> = chunks.iter().cloned().map(count_primes).collect();
    println!("sequential:     {sequential:?}");

    // A task that only gets to tick while the runtime's thread is free.
    let ticks = Arc::new(AtomicU64::new(0));
    let heartbeat = tokio::spawn(heartbeat(Arc::clone(&ticks)));
    let ticked = || ticks.load(Ordering::Relaxed);
    // Let the heartbeat start (its first tick is immediate).
    task::yield_now().await;
    // This runtime's only thread, which the offloaded jobs must not run on.
    let runtime_thread = thread::current().id();

    // Inline (the mistake): no `.await` until the counting is done, so
    // nothing else on this runtime runs.
    let before = ticked();
    let inline: Vec<_> = chunks.iter().cloned().map(count_and_thread).collect();
    let inline_ticks = ticked() - before;

    // One blocking job per chunk; the handles are awaited like tasks', in order.
    let before = ticked();
    let handles: Vec<_> = chunks
        .iter()
        .cloned()
        .map(|chunk| task::spawn_blocking(move || count_and_thread(chunk)))
        .collect();
    let mut blocking = Vec::with_capacity(handles.len());
    for handle in handles {
        blocking.push(handle.await.context("a spawn_blocking job panicked")?);
    }
    let blocking_ticks = ticked() - before;

    // The whole batch on rayon's pool; the result comes back on a oneshot.
    let before = ticked();
    let (tx, rx) = oneshot::channel();
    rayon::spawn(move || {
        let counts: Vec<_> = chunks.into_par_iter().map(count_and_thread).collect();
        // Err only if the receiver was dropped: nobody wants the answer any more.
        let _ = tx.send(counts);
    });
    // Waiting here suspends this task; no worker thread is blocked. An error would
    // mean `tx` was dropped unsent. (A panic inside `rayon::spawn` aborts the
    // process, unless the pool was built with a `panic_handler`.)
    let parallel = rx.await.context("the rayon job ended without an answer")?;
    let rayon_ticks = ticked() - before;
    heartbeat.abort();

    let (inline, inline_off) = split_jobs(inline, runtime_thread);
    let (blocking, blocking_off) = split_jobs(blocking, runtime_thread);
    let (parallel, rayon_off) = split_jobs(parallel, runtime_thread);
    println!("inline:         {inline:?}");
    println!("spawn_blocking: {blocking:?}");
    println!("rayon:          {parallel:?}");
    println!("heartbeat while counting inline: {inline_ticks} ticks");
    println!("heartbeat during spawn_blocking: {blocking_ticks} ticks");
    println!("heartbeat during rayon: {rayon_ticks} ticks");
    println!(
        "jobs run off the runtime's thread: inline {inline_off} of {jobs}, \
         spawn_blocking {blocking_off} of {jobs}, rayon {rayon_off} of {jobs}"
    );
    for (way, counts) in [
        ("inline", inline),
        ("spawn_blocking", blocking),
        ("rayon", parallel),
    ] {
        ensure!(
            counts == sequential,
            "{way} disagrees with the sequential counts"
        );
    }
    let total: u64 = sequential.iter().sum();
    println!(
        "Primes below {n}: {total}; inline, spawn_blocking and rayon agree with the sequential loop"
    );
    Ok(())
}

/// Counts one tick every 10 ms, whenever it gets to run.
pub async fn heartbeat(ticks: Arc<AtomicU64>) {
    let mut every = interval(Duration::from_millis(10));
    // After a stall, tick once, not once for every tick missed.
    every.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        every.tick().await;
        ticks.fetch_add(1, Ordering::Relaxed);
    }
}

/// One job: the primes in `chunk`, and the thread that counted them.
fn count_and_thread(chunk: Range<u64>) -> (u64, ThreadId) {
    (count_primes(chunk), thread::current().id())
}

/// The jobs' counts, and how many of the jobs ran off `runtime_thread`.
fn split_jobs(jobs: Vec<(u64, ThreadId)>, runtime_thread: ThreadId) -> (Vec<u64>, usize) {
    let off = jobs.iter().filter(|(_, t)| *t != runtime_thread).count();
    (jobs.into_iter().map(|(count, _)| count).collect(), off)
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
