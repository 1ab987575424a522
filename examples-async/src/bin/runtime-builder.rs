//! What `#[tokio::main]` builds: current-thread and multi-thread runtimes, named workers, and `LocalSet` for a `!Send` future.
//!
//! `#[tokio::main]` is `Builder::new_multi_thread().enable_all().build()?`
//! then `block_on(body)`; `flavor = "current_thread"` swaps in
//! `new_current_thread()`. Building by hand lets you pick the worker count,
//! name the threads, and keep several runtimes in one program.
//! - current-thread: every task runs on the thread that calls `block_on`
//!   (here `main`); one blocking task stalls all (see `blocking-the-executor`).
//!   `tokio::spawn` still asks for `Send`: it cannot know which kind it is on.
//! - multi-thread: `--workers` threads named `worker-N`; a task may start on
//!   one and resume on another after an `.await` (idle workers steal queued
//!   tasks), which is why `tokio::spawn` requires `Send`.
//! - `LocalSet`: `spawn_local` runs `!Send` futures (here sharing an `Rc`)
//!   on the thread that drives the set, even inside a multi-thread runtime.
//!
//! Which worker ran which task varies from run to run; that they are all
//! workers, never `main`, and that the local tasks all ran on `main` does not.
//!
//! ```sh
//! cargo run -p examples-async --bin runtime-builder -- --tasks 8 --workers 2
//! ```

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::ensure;
use clap::Parser;
use tokio::runtime::{Builder, Runtime};
use tokio::task::{JoinSet, LocalSet, yield_now};

/// Run the same tasks on each kind of runtime and report their threads.
#[derive(Parser)]
struct Args {
    /// How many tasks each runtime runs [1-1000].
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1000))]
    tasks: u16,
    /// Worker threads of the multi-thread runtime [1-64].
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
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

fn run(Args { tasks, workers }: Args) -> anyhow::Result<()> {
    let current = Builder::new_current_thread().enable_all().build()?;
    let on_current = threads_of("current-thread", &current, tasks);
    ensure!(
        on_current == BTreeSet::from(["main".to_owned()]),
        "current-thread tasks ran off main: {on_current:?}"
    );

    let next = AtomicUsize::new(0);
    let multi = Builder::new_multi_thread()
        .worker_threads(workers.into())
        .thread_name_fn(move || format!("worker-{}", next.fetch_add(1, Ordering::Relaxed)))
        .enable_all()
        .build()?;
    let on_multi = threads_of("multi-thread", &multi, tasks);
    ensure!(
        on_multi.iter().all(|t| t.starts_with("worker-")),
        "multi-thread tasks ran off the workers: {on_multi:?}"
    );

    // `tokio::spawn(async move { ... shared ... })` with an `Rc` inside:
    //
    // error: future cannot be sent between threads safely
    //     | ^^^^^^ future created by async block is not `Send`
    //     = help: within `{async block}`, the trait `Send` is not implemented for `Rc<RefCell<Vec<String>>>`
    // note: captured value is not `Send`
    // note: required by a bound in `tokio::spawn`
    let shared = Rc::new(RefCell::new(Vec::new()));
    let local = LocalSet::new();
    // `run_until` drives the set on this thread (main), inside the multi-thread runtime.
    multi.block_on(local.run_until(async {
        let mut set = JoinSet::new();
        for i in 0..tasks {
            let shared = Rc::clone(&shared);
            set.spawn_local(async move {
                yield_now().await;
                shared
                    .borrow_mut()
                    .push(format!("local: task {i} ran on {}", name()));
            });
        }
        set.join_all().await;
    }));
    let local_lines = shared.borrow();
    for line in local_lines.iter() {
        println!("{line}");
    }
    let on_main = local_lines
        .iter()
        .filter(|l| l.ends_with(" ran on main"))
        .count();
    println!(
        "current-thread: all {tasks} tasks on main; multi-thread: all on its {} workers, none on main; \
         LocalSet: {on_main} of {tasks} Rc-sharing tasks on main",
        multi.metrics().num_workers()
    );
    Ok(())
}

/// Spawns `tasks` tasks on `runtime`; each prints the thread it started on and
/// the one it resumed on after an `.await`. Returns every thread name seen.
fn threads_of(kind: &'static str, runtime: &Runtime, tasks: u16) -> BTreeSet<String> {
    let mut set = JoinSet::new();
    for i in 0..tasks {
        set.spawn_on(
            async move {
                let first = name();
                yield_now().await; // a point where the task may change threads
                let then = name();
                println!("{kind}: task {i} ran on {first}, then {then}");
                [first, then]
            },
            runtime.handle(),
        );
    }
    let seen = runtime.block_on(set.join_all());
    seen.into_iter().flatten().collect()
}

fn name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_owned()
}
