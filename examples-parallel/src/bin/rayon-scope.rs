//! `rayon::scope` and `spawn` borrowing from the stack, `spawn_fifo` against `spawn`, and `broadcast`.
//!
//! A scope's tasks may borrow from the caller's stack (here slices of a
//! vector and one result slot each), because `scope` returns only when every
//! task it spawned has finished. On a pool of one thread the order of the
//! tasks is fixed: `spawn` pushes each task onto the worker's own deque, which
//! it pops newest first (LIFO: good for cache, like a call stack);
//! `spawn_fifo` in a `scope_fifo` runs them oldest first. On more threads,
//! idle workers steal the oldest tasks, and the order varies.
//!
//! `broadcast` runs a closure once on every thread of a pool, e.g. to set up
//! per-thread state; spawning as many tasks as there are threads does not:
//! one quick worker may take several (the `spawn` line varies from run to
//! run). `in_place_scope` runs its body on the calling thread, where `scope`
//! runs it on a worker of the pool.
//!
//! ```sh
//! cargo run -p examples-parallel --bin rayon-scope -- --threads 4 --tasks 8
//! ```

use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, ensure};
use clap::Parser;
use rayon::ThreadPoolBuilder;

/// Spawn borrowing tasks in a rayon scope, see their order, broadcast to a pool.
#[derive(Parser)]
struct Args {
    /// Threads of the pool that `broadcast` runs on [1-64].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    threads: u32,
    /// Tasks spawned in each scope [1-1000].
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    tasks: u32,
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
    let tasks = tasks as usize;
    let numbers: Vec<u64> = (1..=1000).collect();
    let mut sums = vec![None; tasks];
    rayon::scope(|s| {
        for (i, slot) in sums.iter_mut().enumerate() {
            let part = &numbers[i * 1000 / tasks..(i + 1) * 1000 / tasks];
            // The task borrows `part` and `slot` from this stack frame: fine,
            // because `scope` does not return before every task has finished.
            s.spawn(move |_| *slot = Some(part.iter().sum::<u64>()));
        }
    });
    let sums: Vec<u64> = sums
        .into_iter()
        .map(|s| s.context("a task did not run"))
        .collect::<Result<_, _>>()?;
    println!(
        "scope: {tasks} tasks summed their parts of 1..=1000, borrowed from main's stack: {}",
        sums.iter().sum::<u64>()
    );

    let one_thread = ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .context("building a pool")?;
    let order = Mutex::new(Vec::new());
    let record = |i| order.lock().expect("no task panics").push(i);
    // On one thread nothing is stolen: the worker runs its deque in its own order.
    one_thread.scope(|s| (0..tasks).for_each(|i| s.spawn(move |_| record(i))));
    println!(
        "spawn on a 1-thread pool ran the tasks newest first: {:?}",
        take(&order)
    );
    one_thread.scope_fifo(|s| (0..tasks).for_each(|i| s.spawn_fifo(move |_| record(i))));
    println!(
        "spawn_fifo on a 1-thread pool ran them oldest first: {:?}",
        take(&order)
    );

    let pool = ThreadPoolBuilder::new()
        .num_threads(threads as usize)
        .build()
        .context("building a pool")?;
    let on_worker = || record(rayon::current_thread_index().expect("runs on a worker of the pool"));
    // `broadcast` queues one job for each thread and waits for all of them.
    pool.broadcast(|_| on_worker());
    let mut broadcast_threads = take(&order);
    broadcast_threads.sort_unstable();
    println!("broadcast ran on threads: {broadcast_threads:?}");
    pool.scope(|s| (0..threads).for_each(|_| s.spawn(|_| on_worker())));
    let mut spawn_threads = take(&order);
    spawn_threads.sort_unstable();
    println!("spawn of {threads} tasks ran on threads: {spawn_threads:?}");
    ensure!(
        broadcast_threads.into_iter().eq(0..threads as usize),
        "broadcast missed a thread or ran twice on one"
    );

    let on = |index: Option<usize>| {
        if index.is_some() {
            "a worker of the pool"
        } else {
            "the calling thread"
        }
    };
    println!(
        "scope ran its body on {}",
        on(rayon::scope(|_| rayon::current_thread_index()))
    );
    println!(
        "in_place_scope ran its body on {}",
        on(rayon::in_place_scope(|_| rayon::current_thread_index()))
    );
    println!("every spawned task ran once; broadcast ran once on each of {threads} threads");
    Ok(())
}

/// The numbers recorded so far, in the order they came; the list is emptied.
fn take(order: &Mutex<Vec<usize>>) -> Vec<usize> {
    std::mem::take(&mut *order.lock().expect("no task panics"))
}
