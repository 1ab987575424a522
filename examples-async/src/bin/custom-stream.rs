//! A `Stream` written by hand (`poll_next`), then driven with `StreamExt` adapters.
//!
//! A stream is a future that can yield many times: `poll_next` returns
//! `Ready(Some(item))`, `Ready(None)` when it is finished, or `Pending` after
//! arranging a wake-up, exactly as `Future::poll` does. `Ticker` yields
//! `0, 1, ..., --count - 1`, one number per tick of a tokio `Interval`, and
//! leaves the waiting (and the waker) to the interval's own `poll_tick`.
//! Once it has returned `None` it keeps returning `None` (a "fused" stream),
//! so a caller that polls again gets a clear answer, not a panic.
//!
//! Then the same kind of stream goes through adapters: `map`, `filter`, `zip`
//! with `stream::iter`, `collect`. Each adapter is itself a `Stream` whose
//! `poll_next` polls the one inside; nothing runs until the outer one is polled.
//!
//! Every line is the same on every run except the `took ... ms` one, which is
//! never below (`--count` - 1) x `--period-ms` (an interval's first tick is at
//! once). Next to tokio: `tokio-stream` wraps `Interval`, channels and sockets
//! as streams, and `async-stream` writes one with `yield`; both come down to a
//! `poll_next` like this one.
//!
//! ```sh
//! cargo run -p examples-async --bin custom-stream -- --count 10 --period-ms 5
//! ```

use std::pin::Pin;
use std::process::ExitCode;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use clap::Parser;
use futures::{Stream, StreamExt, future, stream};
use tokio::time::{Instant, Interval, interval};

/// A hand-written interval stream, read by hand and through adapters.
#[derive(Parser)]
struct Args {
    /// How many numbers the stream yields [1-1000].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    count: u32,
    /// Time between two numbers, in milliseconds [1-1000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    period_ms: u64,
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
async fn run(Args { count, period_ms }: Args) -> anyhow::Result<()> {
    let period = Duration::from_millis(period_ms);

    // By hand: `next()` is a future that polls `poll_next` once per wake-up.
    let started = Instant::now();
    let mut ticks = Ticker::new(period, count);
    println!("size_hint before: {:?}", ticks.size_hint());
    while let Some(n) = ticks.next().await {
        println!("tick {n}");
    }
    let took = started.elapsed().as_millis();
    println!("took {took} ms for {count} ticks");
    // Fused: asking again after the end is answered, with `None` again.
    println!(
        "after the end: {:?}, then {:?}",
        ticks.next().await,
        ticks.next().await
    );

    // Through adapters: squares of the odd numbers, labelled.
    let odd_squares: Vec<String> = Ticker::new(period, count)
        .filter(|n| future::ready(n % 2 == 1))
        .map(|n| n * n)
        .zip(stream::iter('a'..='z').cycle())
        .map(|(square, label)| format!("{label}={square}"))
        .collect()
        .await;
    println!("odd squares: {}", odd_squares.join(" "));
    println!(
        "Ticker yielded {count} numbers, then None; the adapters kept {}",
        odd_squares.len()
    );
    Ok(())
}

/// Yields `0..count`, one number per tick of an interval.
struct Ticker {
    interval: Interval,
    next: u32,
    count: u32,
}

impl Ticker {
    fn new(period: Duration, count: u32) -> Self {
        Ticker {
            interval: interval(period),
            next: 0,
            count,
        }
    }
}

impl Stream for Ticker {
    type Item = u32;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<u32>> {
        if self.next == self.count {
            return Poll::Ready(None); // finished, and stays finished
        }
        // `Pending` here means the interval stored our waker with its timer:
        // `ready!` returns that `Pending` to our caller unchanged.
        ready!(self.interval.poll_tick(cx));
        let n = self.next;
        self.next += 1;
        Poll::Ready(Some(n))
    }

    /// Exactly how many items are left: lets `collect` size its `Vec`.
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.count - self.next) as usize;
        (left, Some(left))
    }
}
