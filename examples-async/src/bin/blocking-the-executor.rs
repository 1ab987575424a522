//! A blocking call inside an async task stalls every other task on its thread.
//!
//! Four runs of the same `--tasks` jobs, each taking `--work-ms`, on a
//! current-thread runtime (one thread polls every task, as each worker of a
//! multi-thread runtime does for its own queue):
//! - `thread::sleep`: the mistake. The task blocks the only thread, so no other
//!   task can start until it ends: `start 0, end 0, start 1, end 1, ...`.
//! - `time::sleep`: the task awaits a timer instead; while it waits the runtime
//!   polls the others, so every `start` comes before any `end`.
//! - `spawn_blocking`: a blocking call that cannot be made async (a sync
//!   library, heavy CPU work) moves to tokio's blocking thread pool; the task
//!   awaits its result.
//! - `yield_now`: a long loop that stays on the runtime yields between slices
//!   of work, so the others get their turn (fairer, not faster: the work still
//!   runs on the one thread, so the run takes as long as the blocking one).
//!
//! The `start`/`end` lines are the same every run: one thread polls the tasks
//! in the order they became ready (each run gets a fresh runtime, and `--tasks`
//! stays small: tokio looks at wake-ups from other threads first every 31st
//! poll, which could let a `spawn_blocking` task end before the last one starts). The `took ... ms` lines
//! vary; the blocking one is never below `--tasks` x `--work-ms`. Tokio itself
//! cannot tell a blocking task from a busy one: a multi-thread runtime only
//! hides the stall while another worker is free (tokio-console can show the
//! tasks that run long between two `.await`s).
//!
//! ```sh
//! cargo run -p examples-async --bin blocking-the-executor -- --tasks 4 --work-ms 50
//! ```

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::runtime::Builder;
use tokio::task::{self, JoinSet};

/// Run the same jobs blocking, then with three fixes, on one runtime thread.
#[derive(Parser)]
struct Args {
    /// How many tasks each run spawns [2-16].
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(2..=16))]
    tasks: u32,
    /// How long each task's work takes, in milliseconds [4-1000].
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(4..=1000))]
    work_ms: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { tasks, work_ms }: Args) -> anyhow::Result<()> {
    let work = Duration::from_millis(work_ms);
    let mut verdicts = Vec::new();
    for how in [
        "thread::sleep",
        "time::sleep",
        "spawn_blocking",
        "yield_now",
    ] {
        // A fresh runtime with one thread for each run, so each starts alike.
        let runtime = Builder::new_current_thread().enable_time().build()?;
        let started = Instant::now();
        let log = runtime.block_on(jobs(how, tasks, work));
        let took = started.elapsed().as_millis();
        // Overlapped: every task started before the first one ended.
        let overlapped = log.iter().take(tasks as usize).all(|&(_, start)| start);
        let verdict = if overlapped {
            "overlapped"
        } else {
            "one after another"
        };
        println!("{how}: {tasks} tasks took {took} ms, {verdict}");
        verdicts.push(format!("{how} {verdict}"));
    }
    println!("On one runtime thread: {}", verdicts.join(", "));
    Ok(())
}

/// Spawns `tasks` jobs that each wait `work` the way `how` says, and returns
/// the (task, started?) events in the order they happened.
async fn jobs(how: &'static str, tasks: u32, work: Duration) -> Vec<(u32, bool)> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut set = JoinSet::new();
    for i in 0..tasks {
        let log = Arc::clone(&log);
        set.spawn(async move {
            note(&log, how, i, true);
            match how {
                // The mistake: the runtime's only thread sleeps, and with it every task.
                "thread::sleep" => std::thread::sleep(work),
                // A timer: the task is parked, the thread polls the others.
                "time::sleep" => tokio::time::sleep(work).await,
                // Another thread blocks; this task only awaits its result.
                "spawn_blocking" => task::spawn_blocking(move || std::thread::sleep(work))
                    .await
                    .expect("the blocking job does not panic"),
                // Four slices of blocking work, handing the thread back after each.
                _ => {
                    for _ in 0..4 {
                        std::thread::sleep(work / 4);
                        task::yield_now().await;
                    }
                }
            }
            note(&log, how, i, false);
        });
    }
    set.join_all().await;
    let log = log.lock().expect("no task panicked holding the log");
    log.clone()
}

/// Prints and records a task's start or end.
fn note(log: &Mutex<Vec<(u32, bool)>>, how: &str, task: u32, start: bool) {
    println!("{how}: task {task} {}", if start { "start" } else { "end" });
    log.lock()
        .expect("no task panicked holding the log")
        .push((task, start));
}
