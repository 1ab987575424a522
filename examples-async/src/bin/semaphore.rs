//! Limit how many tasks use a resource at once with `tokio::sync::Semaphore`.
//!
//! A semaphore holds `--permits` permits. The loop takes a permit *before*
//! spawning each task and moves it into the task, which gives it back by
//! dropping it when it ends (even by panic or cancellation). So at most
//! `--permits` tasks run at a time, and the spawning loop itself waits for a
//! free permit: back-pressure instead of thousands of parked tasks. Taking the
//! permit inside each task also bounds the work, but not the number of tasks.
//!
//! An atomic counter measures the tasks in flight and its high-water mark. The
//! `task N` lines and their `in flight` counts vary from run to run; no count
//! ever exceeds `--permits`, and every task finishes once.
//!
//! Use it to cap connections to one server, open files, or memory-heavy jobs.
//! To bound CPU-bound work, use a rayon pool sized to the cores instead: the
//! permits limit what waits on a resource, not what computes.
//!
//! ```sh
//! cargo run -p examples-async --bin semaphore -- --tasks 100 --permits 8
//! ```

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, ensure};
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::sleep;

/// Run many tasks, at most `--permits` at a time.
#[derive(Parser)]
struct Args {
    /// How many tasks to run [1-100000].
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    tasks: u64,
    /// How many may run at once [1-1000].
    #[arg(long, default_value_t = 3, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1000))]
    permits: usize,
    /// How long each task holds its permit, in milliseconds (simulated I/O) [1-1000].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
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

// The multi-threaded runtime: tasks run on several threads at once here, which
// is why the counters are atomics.
#[tokio::main]
async fn run(
    Args {
        tasks,
        permits,
        latency_ms,
    }: Args,
) -> anyhow::Result<()> {
    let (finished, max) = run_limited(tasks, permits, Duration::from_millis(latency_ms)).await?;
    println!("max in flight: {max} (permits: {permits})");
    println!("{finished} tasks finished with {permits} permits");
    Ok(())
}

/// Runs `tasks` tasks, at most `permits` at a time. Returns how many finished
/// (each is checked to finish exactly once) and the most that ran at once.
pub async fn run_limited(
    tasks: u64,
    permits: usize,
    latency: Duration,
) -> anyhow::Result<(usize, usize)> {
    let semaphore = Arc::new(Semaphore::new(permits));
    let gauge = Arc::new(InFlight::default());
    let mut set = JoinSet::new();
    for id in 0..tasks {
        // Waits here while all permits are out: the loop spawns no faster
        // than tasks finish. Err only if the semaphore was closed.
        let permit = Arc::clone(&semaphore)
            .acquire_owned()
            .await
            .context("semaphore closed")?;
        let gauge = Arc::clone(&gauge);
        set.spawn(async move {
            let _permit = permit; // returned to the semaphore when the task ends
            // Declared after the permit, so dropped before it (locals drop in
            // reverse order), even if the task panics or is aborted: this task
            // leaves the count before its permit lets the next one in.
            let (now, _in_flight) = gauge.enter();
            println!("task {id}: started, {now} in flight");
            sleep(latency).await; // holding the limited resource
            id
        });
    }
    let mut done = BTreeSet::new();
    while let Some(id) = set.join_next().await {
        let id = id.context("a task panicked")?;
        ensure!(done.insert(id), "task {id} finished twice");
    }
    Ok((done.len(), gauge.max.load(Ordering::Relaxed)))
}

/// Counts the tasks in progress and remembers the most there ever were.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
}

impl InFlight {
    /// Returns how many are in flight, this one included, and a guard that
    /// leaves the count when dropped.
    fn enter(&self) -> (usize, Leave<'_>) {
        // Relaxed is enough: a read-modify-write never loses an update, and
        // the permit hand-off (release, then acquire and spawn) orders one
        // task's `leave` before the `enter` of the task that gets its permit,
        // so the count can never go above the permits.
        let now = self.now.fetch_add(1, Ordering::Relaxed) + 1;
        self.max.fetch_max(now, Ordering::Relaxed);
        (now, Leave(self))
    }
}

/// Leaves the count when dropped, however the task ends.
struct Leave<'a>(&'a InFlight);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::Relaxed);
    }
}
