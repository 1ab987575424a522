//! A thread pool of your own: `ThreadPoolBuilder`, `install`, `current_thread_index`, `scope`.
//!
//! rayon's global pool has one thread per CPU. `ThreadPoolBuilder` builds
//! another with `--threads` workers, numbered `0..threads`. `install` runs a
//! closure on one of them, and every parallel iterator inside it uses that
//! pool instead of the global one. Which worker runs which task varies from
//! run to run, and with quick tasks one worker may take most of them; the
//! worker numbers never reach `--threads`.
//!
//! `scope` spawns tasks that may borrow from the caller's stack (here a
//! `Barrier` and one result slot each) and returns only when all of them have
//! finished. Its tasks wait at a barrier for `--threads` tasks: that finishes
//! only because the pool has that many threads, all busy at once (and the
//! worker indices, all below `--threads`, show it has no more).
//! (Blocking rayon workers is a mistake in real code, where more waiters than
//! threads would deadlock; here it proves the pool's size.)
//!
//! ```sh
//! cargo run -p examples-parallel --bin custom-thread-pool -- --threads 3 --tasks 12
//! ```

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Barrier;
use std::thread;

use anyhow::{Context, ensure};
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use rayon::ThreadPoolBuilder;
use rayon::prelude::*;

/// Run tasks in a custom rayon thread pool.
#[derive(Parser)]
struct Args {
    /// How many worker threads the custom pool has [1-256].
    #[arg(long, default_value_t = 3,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    threads: usize,
    /// How many tasks the parallel iterator runs in the pool [1-10000].
    #[arg(long, default_value_t = 12,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    tasks: usize,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { threads, tasks }: Args) -> anyhow::Result<()> {
    println!(
        "global pool: {} threads; main thread's index: {:?}",
        rayon::current_num_threads(),
        rayon::current_thread_index()
    );

    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("custom-pool-{i}"))
        .build()
        .context("building the custom thread pool")?;

    // `install` runs the closure on a worker of `pool`, so the parallel
    // iterator inside splits its work among that pool's threads.
    let done: Vec<(usize, u64)> = pool.install(|| {
        println!(
            "inside install: current_num_threads() = {}",
            rayon::current_num_threads()
        );
        (0..tasks)
            .into_par_iter()
            .map(|task| {
                let worker = rayon::current_thread_index().expect("install runs on a pool worker");
                // The name `thread_name` gave it: proof that this is our pool.
                let thread = thread::current();
                let name = thread.name().unwrap_or("unnamed");
                println!("task {task} ran on worker {worker}, thread {name}");
                // Long enough for idle workers to steal the next tasks.
                (worker, busy_work(task))
            })
            .collect()
    });
    // A sum that does not depend on which worker ran which task.
    let work = done.iter().fold(0u64, |sum, &(_, w)| sum.wrapping_add(w));
    println!("busy work of the {tasks} tasks: {work}");
    let distinct: BTreeSet<usize> = done.into_iter().map(|(worker, _)| worker).collect();
    println!("install: distinct worker indices {distinct:?}");
    ensure!(
        distinct.iter().all(|&w| w < threads),
        "a worker index is not below {threads}: {distinct:?}"
    );

    // Each scoped task borrows the barrier and its own result slot: `scope`
    // returns only after every task is done, so the borrows cannot outlive them.
    let barrier = Barrier::new(threads);
    let mut slots = vec![None; threads];
    pool.scope(|s| {
        for (task, slot) in slots.iter_mut().enumerate() {
            let barrier = &barrier;
            s.spawn(move |_| {
                let worker = rayon::current_thread_index().expect("scope runs on a pool worker");
                // Nobody passes until `threads` tasks wait here at the same time.
                barrier.wait();
                println!("scoped task {task} passed the barrier on worker {worker}");
                *slot = Some(worker);
            });
        }
    });
    let met: BTreeSet<usize> = slots.into_iter().flatten().collect();
    ensure!(
        met.len() == threads,
        "{threads} scoped tasks should have run on {threads} distinct workers, got {met:?}"
    );
    println!(
        "Pool of {threads}: every task ran on a worker numbered below {threads}; {threads} scoped tasks ran at once"
    );
    Ok(())
}

/// A few milliseconds of arithmetic that the optimiser cannot skip.
fn busy_work(task: usize) -> u64 {
    let mut x = task as u64;
    for i in 0..2_000_000 {
        x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
    }
    x
}
