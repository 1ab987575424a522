//! Deadlines and races: `tokio::time::timeout`, `tokio::select!`, and cancellation by drop.
//!
//! `timeout(limit, future)` gives `Ok(output)` if the future finishes within the
//! limit and `Err(Elapsed)` if not. `select!` polls several futures and takes the
//! first to finish. In both, the futures that lost are simply *dropped*: that is
//! how async Rust cancels. The dropped call stops at the `.await` it was waiting
//! on and never runs another line; a guard in it prints `cancelled` when that
//! happens, so you can see it.
//!
//! Cancellation can only happen at an `.await`, so work between two awaits is
//! never cut in half; but a future dropped half way through its awaits must not
//! leave shared state half updated (cancel safety: tokio's docs say which of
//! its methods are safe to use in a `select!` loop).
//!
//! The two `request sent` lines of the race come in either order: `select!`
//! polls its branches in random order, for fairness, unless told `biased;`. The
//! `waited ... ms for the slow call` figure varies and is never below
//! `--timeout-ms`. Every other line is fixed. A thread blocked in a call
//! cannot be cancelled like this: that is one reason to do I/O with async
//! rather than threads.
//!
//! ```sh
//! cargo run -p examples-async --bin select-timeout -- --timeout-ms 100 --slow-ms 2000
//! ```

use std::process::ExitCode;
use std::time::Duration;

use anyhow::ensure;
use clap::Parser;
use tokio::time::{Instant, sleep, timeout};

/// Run one call that beats the timeout, one that does not, and a race of two calls.
#[derive(Parser)]
struct Args {
    /// The deadline for each call, in milliseconds [1-60000].
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    timeout_ms: u64,
    /// Latency of the fast call, in milliseconds; must be below --timeout-ms.
    #[arg(long, default_value_t = 5)]
    fast_ms: u64,
    /// Latency of the slow call, in milliseconds; above --timeout-ms, at most 600000.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(..=600_000))]
    slow_ms: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[tokio::main(flavor = "current_thread")]
async fn run(
    Args {
        timeout_ms,
        fast_ms,
        slow_ms,
    }: Args,
) -> anyhow::Result<()> {
    ensure!(
        fast_ms < timeout_ms,
        "--fast-ms must be below --timeout-ms ({timeout_ms}), got {fast_ms}"
    );
    ensure!(
        slow_ms > timeout_ms,
        "--slow-ms must be above --timeout-ms ({timeout_ms}), got {slow_ms}"
    );
    let (limit, fast, slow) = (ms(timeout_ms), ms(fast_ms), ms(slow_ms));

    let fast_reply = call_within("fast", fast, limit).await;
    match &fast_reply {
        Some(reply) => println!("timeout: the fast call completed in time: {reply}"),
        None => println!("timeout: the fast call timed out after {timeout_ms} ms"),
    }

    let start = Instant::now();
    let slow_reply = call_within("slow", slow, limit).await;
    match &slow_reply {
        Some(reply) => println!("timeout: the slow call completed in time: {reply}"),
        None => println!("timeout: the slow call timed out after {timeout_ms} ms"),
    }
    println!(
        "timeout: waited {} ms for the slow call",
        start.elapsed().as_millis()
    );

    let (winner, reply) = race(("primary", slow), ("mirror", fast)).await;
    println!("select: {winner} won the race: {reply}");

    let outcome = |reply: &Option<String>| {
        if reply.is_some() {
            "completed"
        } else {
            "timed out"
        }
    };
    println!(
        "The fast call {}, the slow call {}, the {} won the race",
        outcome(&fast_reply),
        outcome(&slow_reply),
        winner
    );
    Ok(())
}

/// A call with a deadline: `Some(reply)` if it answered within `limit`,
/// `None` if the deadline passed first and the call was cancelled.
pub async fn call_within(name: &str, latency: Duration, limit: Duration) -> Option<String> {
    // On `Err(Elapsed)` the call has already been dropped, mid-`.await`.
    timeout(limit, call(name, latency)).await.ok()
}

/// Sends the same request to two servers (name, latency) and keeps the first
/// reply. Returns the winner's name and its reply.
pub async fn race<'a>(a: (&'a str, Duration), b: (&'a str, Duration)) -> (&'a str, String) {
    // The branch that finishes first wins; `select!` then drops the other
    // branch's future, which cancels that call.
    tokio::select! {
        reply = call(a.0, a.1) => (a.0, reply),
        reply = call(b.0, b.1) => (b.0, reply),
    }
}

/// A simulated remote call that answers after `latency`.
pub async fn call(name: &str, latency: Duration) -> String {
    // The reply's timer starts now, before the (possibly slow) print.
    let reply = sleep(latency);
    println!("{name}: request sent");
    // Lives across the `.await`: if this future is dropped there, so is the
    // guard, which then reports the cancellation.
    let mut guard = CancelGuard {
        name,
        replied: false,
    };
    reply.await;
    guard.replied = true;
    println!("{name}: reply received");
    format!("reply from {name}")
}

/// Prints a line if the call it guards is dropped before its reply came.
struct CancelGuard<'a> {
    name: &'a str,
    replied: bool,
}

impl Drop for CancelGuard<'_> {
    fn drop(&mut self) {
        if !self.replied {
            println!("{}: cancelled before the reply came", self.name);
        }
    }
}

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}
