//! A `std::sync::Mutex` guard held across `.await`: why it will not spawn, and the two fixes.
//!
//! Many tasks each add 1 to a shared total `--rounds` times, awaiting something
//! in between. Holding a std guard across that `.await` makes the task's future
//! `!Send` (the guard must be unlocked on the thread that locked it, and a
//! multi-thread runtime may resume the task elsewhere), so `tokio::spawn`
//! refuses it at compile time; the compiler's message is quoted below.
//! - Fix 1: end the guard's scope before the `.await`. The lock is held only
//!   for the update, as it should be; a std mutex is the right (and faster)
//!   choice whenever the critical section has no `.await` in it.
//! - Fix 2: `tokio::sync::Mutex`, whose guard is `Send` and whose `lock()` is
//!   itself awaited, so a task waiting for it yields instead of blocking the
//!   thread. Use it only when the lock must span an `.await`: here a
//!   read-modify-write with an async step in the middle.
//! - The tempting wrong fix: drop the std guard, await, lock again to write.
//!   It compiles and spawns, and loses updates: every task read the same old
//!   value. That run uses a current-thread runtime, which polls the tasks in
//!   turn, so the loss is the same every time: all of them read before any of
//!   them writes, and of `--tasks` x `--rounds` increments only `--rounds`
//!   survive. (Beyond about 60 tasks tokio's timer and I/O check every 61
//!   polls reorders the turns, which is why `--tasks` stops at 50.) On
//!   several threads the loss varies from run to run.
//!
//! Every line is the same on every run. Tokio's docs add a third shape: a task
//! that owns the state and takes requests over a channel (see `actor-handle`).
//!
//! ```sh
//! cargo run -p examples-async --bin lock-across-await -- --tasks 50 --rounds 10 --workers 4
//! ```

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::Parser;
use tokio::runtime::{Builder, Runtime};
use tokio::task::{JoinSet, yield_now};

/// Many tasks increment one total, with an `.await` in each round.
#[derive(Parser)]
struct Args {
    /// How many tasks increment the total [1-50].
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=50))]
    tasks: u64,
    /// How many increments each task makes [1-1000].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1000))]
    rounds: u64,
    /// Worker threads of the multi-thread runtime that runs the two fixes [1-64].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    workers: u16,
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
        rounds,
        workers,
    }: Args,
) -> anyhow::Result<()> {
    let expected = tasks * rounds;
    let threads = Builder::new_multi_thread()
        .worker_threads(workers.into())
        .build()?;

    // Fix 1: the std guard's scope ends before the `.await`.
    //
    //     let mut total = total.lock().unwrap();
    //     yield_now().await;
    //     *total += 1;
    //
    // error: future cannot be sent between threads safely
    //     | ^^^^^^ future created by async block is not `Send`
    //     = help: within `{async block}`, the trait `Send` is not implemented for `std::sync::MutexGuard<'_, u64>`
    // note: future is not `Send` as this value is used across an await
    //     |         let mut total = total.lock().unwrap();
    //     |             --------- has type `std::sync::MutexGuard<'_, u64>` which is not `Send`
    //     |         yield_now().await;
    //     |                     ^^^^^ await occurs here, with `mut total` maybe used later
    // note: required by a bound in `tokio::spawn`
    let std_total = Arc::new(Mutex::new(0));
    spawn_all(&threads, tasks, &std_total, |total| async move {
        for _ in 0..rounds {
            *total.lock().expect("no task panics holding the lock") += 1; // guard dropped here
            yield_now().await;
        }
    });
    let scoped = *std_total.lock().expect("no task panicked holding the lock");
    println!("guard dropped before .await (std Mutex): {scoped} of {expected} increments");

    // Fix 2: the read, the await and the write all under one tokio lock.
    let tokio_total = Arc::new(tokio::sync::Mutex::new(0));
    spawn_all(&threads, tasks, &tokio_total, |total| async move {
        for _ in 0..rounds {
            let mut guard = total.lock().await; // waits by yielding, not by blocking
            let read = *guard;
            yield_now().await; // e.g. an async call that computes the new value
            *guard = read + 1;
        }
    });
    let spanning = *tokio_total.blocking_lock(); // every task is done
    println!("guard held across .await (tokio Mutex): {spanning} of {expected} increments");

    // The wrong fix: unlock, await, lock again. One thread, so the loss is exact.
    let one_thread = Builder::new_current_thread().build()?;
    let split_total = Arc::new(Mutex::new(0));
    spawn_all(&one_thread, tasks, &split_total, |total| async move {
        for _ in 0..rounds {
            let read = *total.lock().expect("no task panics holding the lock");
            yield_now().await; // every other task reads the same value meanwhile
            *total.lock().expect("no task panics holding the lock") = read + 1;
        }
    });
    let split = *split_total
        .lock()
        .expect("no task panicked holding the lock");
    let lost = expected - split;
    println!(
        "read and write split by .await (std Mutex): {split} of {expected} increments, {lost} lost"
    );
    println!(
        "Scoped std guard: {scoped}/{expected}, tokio guard across .await: {spanning}/{expected}, \
         split read/write: {lost} lost"
    );
    Ok(())
}

/// Runs `tasks` copies of `task` on `runtime`, each given the shared total,
/// and waits for all of them.
fn spawn_all<T, Fut>(runtime: &Runtime, tasks: u64, total: &Arc<T>, task: impl Fn(Arc<T>) -> Fut)
where
    Fut: Future<Output = ()> + Send + 'static, // `Send`: what `spawn` requires
{
    let mut set = JoinSet::new();
    for _ in 0..tasks {
        set.spawn_on(task(Arc::clone(total)), runtime.handle());
    }
    runtime.block_on(set.join_all());
}
