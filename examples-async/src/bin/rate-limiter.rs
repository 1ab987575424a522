//! A token bucket from a `Semaphore` and an `interval`: at most R operations a second, in bursts of B.
//!
//! The bucket is a semaphore holding up to `--burst` permits, the tokens.
//! An operation takes one and *forgets* it: the token is spent, not given
//! back. A refill task adds one token every 1/`--rate` s, unless the bucket
//! is already full, so an idle bucket saves up at most a burst. Hence in any
//! window of t seconds at most R*t + B operations start, however short or
//! long each one is, and every operation runs, in turn. (Tokens come whole,
//! one per tick: that bound is exact for windows of whole ticks, t = n/R; a
//! shorter window that holds a tick can also see that tick's whole token.)
//!
//! Next to the `semaphore` recipe: there a permit comes back when its task
//! ends, which caps how many run *at once*; here only the clock brings
//! tokens back, which caps how many *start per second* (an API's quota).
//! The two combine: take a token, then a permit.
//!
//! All operations are queued at once: the first `--burst` start at once, then
//! one per tick. The `started at` times vary a little from run to run (never
//! sooner than their tick); the last line does not. The refill interval
//! *delays* missed ticks instead of firing them all at once after a stall, so
//! a stalled runtime cannot pay them back as one big burst.
//!
//! ```sh
//! cargo run -p examples-async --bin rate-limiter -- --ops 30 --rate 50 --burst 5
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, ensure};
use clap::Parser;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior, interval_at};

/// Start many operations through a token bucket.
#[derive(Parser)]
struct Args {
    /// How many operations to start [1-10000].
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    ops: u32,
    /// Tokens added per second, R [1-1000].
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
    rate: u32,
    /// Most tokens saved up, B: how many may start at once [1-1000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    burst: u32,
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
async fn run(Args { ops, rate, burst }: Args) -> anyhow::Result<()> {
    let starts = run_limited(ops, rate, burst).await?;
    let last = starts.last().expect("at least one operation");
    println!("the last started at {} ms", last.as_millis());
    println!("{ops} operations, at most {rate} per second after a burst of {burst}: each ran once");
    Ok(())
}

/// Starts `ops` operations at once through a bucket; returns their start
/// times (since the bucket was made), sorted.
pub async fn run_limited(ops: u32, rate: u32, burst: u32) -> anyhow::Result<Vec<Duration>> {
    let start = Instant::now();
    let bucket = Arc::new(TokenBucket::new(rate, burst));
    let mut set = JoinSet::new();
    for id in 0..ops {
        let bucket = Arc::clone(&bucket);
        set.spawn(async move {
            bucket.take().await; // waits until a token is there
            let at = start.elapsed();
            println!("op {id}: started at {} ms", at.as_millis());
            (id, at)
        });
    }
    let mut starts = vec![None; ops as usize];
    while let Some(done) = set.join_next().await {
        let (id, at) = done.context("an operation panicked")?;
        ensure!(
            starts[id as usize].replace(at).is_none(),
            "op {id} ran twice"
        );
    }
    let mut starts: Vec<Duration> = starts.into_iter().flatten().collect();
    starts.sort_unstable();
    Ok(starts)
}

/// At most `rate` tokens a second, at most `burst` saved up.
pub struct TokenBucket {
    tokens: Arc<Semaphore>,
}

impl TokenBucket {
    /// A full bucket, and a task refilling it until the bucket is dropped.
    pub fn new(rate: u32, burst: u32) -> Self {
        let tokens = Arc::new(Semaphore::new(burst as usize));
        let period = Duration::from_secs(1) / rate;
        // The first refill one period from now: the bucket starts full.
        let mut ticks = interval_at(Instant::now() + period, period);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // A weak reference: the refill task must not keep the bucket alive.
        let bucket = Arc::downgrade(&tokens);
        tokio::spawn(async move {
            loop {
                ticks.tick().await;
                let Some(tokens) = bucket.upgrade() else {
                    break; // the bucket is gone
                };
                // Full buckets stay full: an idle spell saves up at most a burst.
                if tokens.available_permits() < burst as usize {
                    tokens.add_permits(1);
                }
            }
        });
        TokenBucket { tokens }
    }

    /// Waits for a token and spends it.
    pub async fn take(&self) {
        let token = self.tokens.acquire().await;
        // `forget`: the permit is not returned when dropped; only a refill adds one.
        token
            .expect("the bucket's semaphore is never closed")
            .forget();
    }
}
