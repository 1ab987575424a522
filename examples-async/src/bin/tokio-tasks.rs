//! Many tokio tasks on a few worker threads: `tokio::spawn`, `abort`, and a `JoinSet`.
//!
//! A task is a future handed to the runtime, which polls it on one of its
//! `--workers` threads. A task that is waiting holds no thread, only its state,
//! so thousands of tasks share two threads. The `task N on worker-K` lines come
//! in completion order (`join_next`) and name the worker that finished each
//! task, which may not be the one that started it: idle workers steal tasks
//! from busy ones. Both vary from run to run. What never varies is that every
//! task's result arrives exactly once, and that only the `--workers` threads
//! ever run a task.
//!
//! `tokio::spawn` needs a `Send + 'static` future: the task may outlive the code
//! that spawned it and move between threads, so it owns its inputs
//! (`async move`). A task's panic or cancellation comes back as a `JoinError`
//! from its handle; it does not bring the runtime down.
//!
//! Tasks are for waiting concurrently. A task that computes for long without an
//! `.await` keeps its worker from every other task: put CPU-bound work on
//! `spawn_blocking` or rayon instead (see `spawn-blocking`).
//!
//! ```sh
//! cargo run -p examples-async --bin tokio-tasks -- --tasks 10000 --workers 2
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use tokio::runtime::Builder;
use tokio::task::JoinSet;
use tokio::time::sleep;

/// Spawn many short tasks onto a few worker threads and collect every result.
#[derive(Parser)]
struct Args {
    /// How many tasks to spawn into the `JoinSet` [1-100000].
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    tasks: u64,
    /// How many worker threads the runtime runs them on [1-64].
    #[arg(long, default_value_t = 2, value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    workers: usize,
    /// Test only: the first `--workers` tasks meet at a barrier that blocks
    /// their threads, so the run ends only if that many workers run at once.
    #[arg(long, hide = true)]
    meet: bool,
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
        tasks,
        workers,
        meet,
    }: Args,
) -> anyhow::Result<()> {
    // Built by hand rather than with `#[tokio::main]`, to choose the number of
    // worker threads and name them, so each result can say where it ran.
    let next = AtomicUsize::new(0);
    let runtime = Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name_fn(move || format!("worker-{}", next.fetch_add(1, Ordering::Relaxed)))
        .enable_time()
        .build()
        .context("starting the tokio runtime")?;
    let meet = if meet { workers.min(tasks as usize) } else { 0 };
    // `block_on` runs this future on the main thread; what it spawns runs on the workers.
    runtime.block_on(spawn_and_collect(tasks, meet))?;
    println!("{tasks} tasks on {workers} worker threads: every result collected once");
    Ok(())
}

/// Spawns `tasks` tasks and collects their results; the first `meet` of them
/// first wait for each other (test only, 0 for none).
async fn spawn_and_collect(tasks: u64, meet: usize) -> anyhow::Result<()> {
    // One task: awaiting its `JoinHandle` gives the value the task returned.
    let answer = tokio::spawn(async { 6 * 7 })
        .await
        .context("the first task failed")?;
    println!("one spawned task returned {answer}");

    // Cancellation: `abort` stops a task at its next `.await`; awaiting the
    // handle then reports that it was cancelled rather than waiting an hour.
    let sleeper = tokio::spawn(sleep(Duration::from_secs(3600)));
    sleeper.abort();
    match sleeper.await {
        Err(e) if e.is_cancelled() => println!("an aborted task reports: cancelled"),
        other => bail!("the aborted task was not cancelled: {other:?}"),
    }

    // Test only: a std `Barrier` blocks the *thread*, not just the task, so
    // the first `meet` tasks pass it only if as many threads run them at once.
    // (Outside a test, never block a worker: every task queued on it waits.)
    let barrier = Arc::new(Barrier::new(meet));
    let mut set = JoinSet::new();
    for id in 0..tasks {
        let meeting = (id < meet as u64).then(|| Arc::clone(&barrier));
        // `async move`: the task owns `id`, since it may outlive this loop.
        set.spawn(async move {
            if let Some(barrier) = meeting {
                barrier.wait();
                println!("meet: task {id} passed the barrier on {}", thread_name());
            }
            // Simulated I/O: while this task waits, its worker runs other tasks.
            sleep(Duration::from_millis(id % 4)).await;
            (id, id * id, thread_name())
        });
    }

    // `join_next` yields each task's result once, in completion order, and
    // `None` when the set is empty: the loop ends because the work ran out.
    let mut per_thread = BTreeMap::new();
    let mut sum = 0;
    while let Some(result) = set.join_next().await {
        let (id, square, thread) = result.context("a task panicked or was cancelled")?;
        println!("task {id} on {thread}: {square}");
        *per_thread.entry(thread).or_insert(0) += 1;
        sum += square;
    }
    for (thread, count) in &per_thread {
        println!("{thread} finished {count} tasks");
    }
    println!("sum of the squares: {sum}");
    let collected: u64 = per_thread.values().sum();
    ensure!(
        collected == tasks,
        "collected {collected} results from {tasks} tasks"
    );
    Ok(())
}

fn thread_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned()
}
