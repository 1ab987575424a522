//! Graceful shutdown: on Ctrl-C or a deadline, stop accepting, drain, then cancel stragglers.
//!
//! A job arrives every `--every-ms`; each runs as a task on a `TaskTracker`
//! (tokio-util), which counts the tasks still alive and lets main wait for
//! them all. Jobs take `--job-ms`, except every fourth, which is stuck (it
//! waits for an answer that never comes). On Ctrl-C (a real SIGINT, through
//! `tokio::signal::ctrl_c`) or after `--run-ms`, whichever is first:
//! 1. the accept loop ends: no new job is taken;
//! 2. `tracker.close()` and `tracker.wait()`: the jobs in flight may finish,
//!    for at most `--grace-ms`;
//! 3. then the `CancellationToken` is cancelled: every job still running
//!    stops at its next `.await` (`run_until_cancelled` drops its work), is
//!    counted as cancelled, and the process exits 0.
//!
//! Nothing is lost: every accepted job ends finished or cancelled, and the
//! last line adds them up. How many jobs are accepted, and which of the
//! quick ones are still running at the stop, vary with timing; stuck jobs are
//! always cancelled. `ctrl_c()` installs its handler when first polled: the
//! accept loop polls it before it takes job 0, so from the `job 0: accepted`
//! line on, Ctrl-C is a shutdown and no longer kills the process (a second
//! one during the grace period is ignored here; a server might cancel at once).
//!
//! ```sh
//! cargo run -p examples-async --bin graceful-shutdown -- --run-ms 60000   # then press Ctrl-C
//! ```

use std::future::{Future, pending};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tokio::sync::mpsc;
use tokio::time::{interval, sleep, timeout};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Accept jobs until Ctrl-C or a deadline, then shut down gracefully.
#[derive(Parser)]
struct Args {
    /// Stop by itself after this many milliseconds without Ctrl-C [1-3600000].
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    run_ms: u64,
    /// A new job every this many milliseconds [1-10000].
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    every_ms: u64,
    /// How long a (not stuck) job works, in milliseconds [0-60000].
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(..=60_000))]
    job_ms: u64,
    /// How long jobs in flight may take to finish after the stop [0-60000].
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(..=60_000))]
    grace_ms: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[tokio::main]
async fn run(args: Args) -> anyhow::Result<()> {
    let run_for = Duration::from_millis(args.run_ms);
    // Whichever comes first: a SIGINT or the deadline.
    let stop = async move {
        tokio::select! {
            signal = tokio::signal::ctrl_c() => signal.map(|()| "Ctrl-C").map_err(Into::into),
            () = sleep(run_for) => Ok("the deadline"),
        }
    };
    let ms = Duration::from_millis;
    let tally = serve(stop, ms(args.every_ms), ms(args.job_ms), ms(args.grace_ms)).await?;
    println!(
        "Stopped on {}: {} accepted = {} finished + {} cancelled",
        tally.reason,
        tally.accepted,
        tally.finished.len(),
        tally.cancelled.len()
    );
    Ok(())
}

/// What became of the jobs: ids in the order they ended.
pub struct Tally {
    pub reason: &'static str,
    pub accepted: u64,
    pub finished: Vec<u64>,
    pub cancelled: Vec<u64>,
}

/// Accepts a job every `every` until `stop` resolves, then drains the jobs
/// in flight for at most `grace` and cancels the rest.
pub async fn serve(
    stop: impl Future<Output = anyhow::Result<&'static str>>,
    every: Duration,
    job: Duration,
    grace: Duration,
) -> anyhow::Result<Tally> {
    let tracker = TaskTracker::new();
    let cancel = CancellationToken::new();
    let (ended, mut outcomes) = mpsc::unbounded_channel();
    let mut arrivals = interval(every);
    let mut stop = std::pin::pin!(stop);
    let mut accepted = 0;
    let reason = loop {
        tokio::select! {
            // `stop` first: polled before any job is taken, which also installs
            // the Ctrl-C handler; and a stop is never outrun by an arrival.
            biased;
            reason = &mut stop => break reason?,
            _ = arrivals.tick() => {
                let (id, cancel, ended) = (accepted, cancel.clone(), ended.clone());
                accepted += 1;
                println!("job {id}: accepted");
                tracker.spawn(async move {
                    // `None` if the token was cancelled first: the work is dropped.
                    let finished = cancel.run_until_cancelled(work(id, job)).await.is_some();
                    println!("job {id}: {}", if finished { "finished" } else { "cancelled" });
                    let _ = ended.send((id, finished)); // main holds the receiver to the end
                });
            }
        }
    };
    // 1. Stop accepting: the loop is over. `close` lets `wait` return once
    //    the tracked tasks are all gone (it never would while still open).
    tracker.close();
    println!(
        "stopping on {reason}: no new jobs; {} in flight get {} ms to finish",
        tracker.len(),
        grace.as_millis()
    );
    // 2. Drain, for at most the grace period.
    if timeout(grace, tracker.wait()).await.is_err() {
        // 3. Cancel the stragglers, and wait until each has seen it.
        println!(
            "grace period over: cancelling the {} still running",
            tracker.len()
        );
        cancel.cancel();
        tracker.wait().await;
    }
    drop(ended); // every job has sent its outcome: close the channel
    let mut tally = Tally {
        reason,
        accepted,
        finished: Vec::new(),
        cancelled: Vec::new(),
    };
    while let Some((id, finished)) = outcomes.recv().await {
        if finished {
            tally.finished.push(id);
        } else {
            tally.cancelled.push(id);
        }
    }
    Ok(tally)
}

/// A job's work: `job` long, except every fourth job, which never finishes.
async fn work(id: u64, job: Duration) {
    if id % 4 == 3 {
        pending::<()>().await; // stuck: a reply that never comes
    }
    sleep(job).await;
}
