//! A worker pool: N workers take jobs from one shared crossbeam queue (MPMC),
//! send their results back on a second channel, and exit when the job queue
//! is closed.
//!
//! Main sends job ids 0, 1, 2, ..., then drops the job Sender: each worker's
//! `for` loop ends once the queue is empty and closed, so every queued job is
//! still done (the clean shutdown). Main gathers results until every worker has
//! dropped its result Sender. Which worker takes which job, and the order of
//! the `worker` lines, vary from run to run; every job is done exactly once and
//! the total is always the same.
//!
//! With std's channel the same design needs `Arc<Mutex<Receiver<Job>>>`, as in
//! the Rust book's thread pool (ch. 21): `mpsc::Receiver` is single consumer,
//! neither `Clone` nor `Sync`, so the workers share one behind a lock, and
//! `Arc` because a `thread::spawn`ed worker must own what it uses (`'static`).
//! Each worker must lock, `recv` and unlock *before* running the job:
//! `let job = rx.lock().unwrap().recv();` drops the guard at the `;`, while in
//! `while let Ok(job) = rx.lock().unwrap().recv() { .. }` the guard lives to
//! the end of the body and the pool runs one job at a time. crossbeam's
//! `Receiver` is `Clone`: each worker holds its own handle to the one queue,
//! and no lock is needed. (std's `mpmc` channel is not stable yet.)
//!
//! `--meet N` is for the tests (hidden from `--help`): jobs 0..N each wait at
//! a `Barrier(N)` before their work, so N workers must hold one of them at the
//! same time; a pool that ran one job at a time would hang there.
//!
//! ```sh
//! cargo run -p examples-message-passing --bin worker-pool -- --workers 8 --jobs 100
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use anyhow::{Context, anyhow, ensure};
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use crossbeam::channel::unbounded;

/// Fan out jobs to N workers, fan their results back in.
#[derive(Parser)]
struct Args {
    /// How many worker threads share the job queue [1-256].
    #[arg(long, default_value_t = 4, value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    workers: usize,
    /// How many jobs to queue (job j computes j squared) [1-100000].
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    jobs: u64,
    /// Milliseconds each job takes, so the jobs spread over the workers [0-1000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(..=1000))]
    job_ms: u64,
    /// Test-only: jobs 0..N wait for each other at a barrier [0-256, at most
    /// --workers and --jobs; 0: off].
    #[arg(long, hide = true, default_value_t = 0, value_parser = clap::value_parser!(u64).range(..=256))]
    meet: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(args: Args) -> anyhow::Result<()> {
    let (workers, jobs, meet) = (args.workers, args.jobs, args.meet);
    ensure!(
        meet <= jobs && usize::try_from(meet)? <= workers,
        "--meet {meet} needs at least as many --workers ({workers}) and --jobs ({jobs})"
    );
    let job_time = Duration::from_millis(args.job_ms);
    let barrier = Arc::new(Barrier::new(usize::try_from(meet)?));

    let (job_tx, job_rx) = unbounded::<u64>();
    let (result_tx, result_rx) = unbounded::<(usize, u64, u64)>();
    let mut handles = Vec::new();
    for w in 0..workers {
        // Every worker clones the one Receiver: they compete for the jobs.
        let (jobs, results, barrier) = (job_rx.clone(), result_tx.clone(), barrier.clone());
        handles.push(thread::spawn(move || {
            let mut done = 0;
            // Ends when the queue is empty and main has dropped `job_tx`.
            for job in jobs.iter() {
                if job < meet {
                    barrier.wait(); // test-only: the first `meet` jobs run at once
                }
                thread::sleep(job_time); // the "work"
                let result = job * job;
                println!("worker {w}: job {job} -> {result}");
                results
                    .send((w, job, result))
                    .expect("main gathers results until every worker is done");
                done += 1;
            }
            println!("worker {w}: job queue closed, exiting after {done} jobs");
            // Returning drops `results`, this worker's result Sender.
        }));
    }
    // Main only sends jobs and only receives results: it must not keep these
    // ends, or the results loop below would never end.
    drop((job_rx, result_tx));

    for job in 0..jobs {
        job_tx.send(job).context("every worker has gone")?;
    }
    println!("main: queued {jobs} jobs, closing the queue");
    drop(job_tx); // workers finish what is queued, then exit

    let mut done_by = vec![0u64; workers];
    let mut times_done = vec![0u32; usize::try_from(jobs)?];
    let mut total = 0u64;
    // Fan-in: ends when every worker has dropped its result Sender.
    for (w, job, result) in result_rx.iter() {
        done_by[w] += 1;
        times_done[usize::try_from(job)?] += 1;
        total += result;
    }
    println!("main: every worker's result Sender is gone");
    for (w, handle) in handles.into_iter().enumerate() {
        handle.join().map_err(|_| anyhow!("worker {w} panicked"))?;
    }
    for (w, count) in done_by.iter().enumerate() {
        println!("worker {w} returned {count} results");
    }
    // A lost or repeated job would show here.
    let wrong: Vec<usize> = (0..times_done.len())
        .filter(|&j| times_done[j] != 1)
        .collect();
    ensure!(wrong.is_empty(), "jobs not done exactly once: {wrong:?}");
    println!("All {jobs} jobs done exactly once by {workers} workers; total {total}");
    Ok(())
}
