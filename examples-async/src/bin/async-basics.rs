//! `async fn` and `.await`: futures are lazy, awaits in a row add up, `join!` overlaps them.
//!
//! Calling an `async fn` runs none of its body: it returns a future, a state
//! machine that does nothing until something polls it. `.await` polls it to
//! completion, so two awaits in a row take the sum of their latencies.
//! `tokio::join!` polls both futures from the same task: while one waits on its
//! timer the other runs, so the pair takes about the longer latency. The runtime
//! here has one thread (`flavor = "current_thread"`): this is concurrency
//! without parallelism.
//!
//! Every line comes in a fixed order except the `finished` lines inside sections
//! 3 and 4, which follow the timers (on a very busy machine two timers can fire
//! in the same tick). The `took` figures vary, but are never below the latencies.
//!
//! Reach for async when a program spends its time *waiting* (sockets, timers,
//! other tasks): a waiting future costs a few bytes, a waiting thread a stack.
//! For CPU-bound work async buys nothing; use threads or rayon
//! (see `spawn-blocking`).
//!
//! ```sh
//! cargo run -p examples-async --bin async-basics -- --latency-ms 50 --fetches 5
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use futures::future::join_all;
use tokio::time::{Instant, sleep};

/// Lazy futures, `.await` in sequence, `join!` and `join_all`, on one thread.
#[derive(Parser)]
struct Args {
    /// Simulated I/O latency of one fetch, in milliseconds; fetch `a` takes twice this [1-10000].
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    latency_ms: u64,
    /// How many fetches `join_all` runs at once [1-1000].
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=1000))]
    fetches: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

// `#[tokio::main]` turns this into a plain fn that starts a runtime and blocks
// on the body. One thread is enough: every future below mostly waits.
#[tokio::main(flavor = "current_thread")]
async fn run(
    Args {
        latency_ms,
        fetches,
    }: Args,
) -> anyhow::Result<()> {
    let (slow, fast) = (2 * latency_ms, latency_ms);

    // 1. Calling an async fn only builds the future; nothing has run yet.
    let future = greet("lazy");
    println!("1. greet(\"lazy\") returned a future; its body has not run");
    // `.await` polls the future to completion: only now does the body run.
    let greeting = future.await;
    println!("1. awaited it: {greeting}");
    // A future that is never polled never runs: dropping it prints nothing.
    let never = greet("never");
    drop(never);
    println!("1. greet(\"never\") was dropped without an .await, so it never ran");

    // 2. One `.await` after the other: the second fetch starts when the first ends.
    let start = Instant::now();
    let a = fetch("a", slow).await;
    let b = fetch("b", fast).await;
    println!("2. in sequence: {a}, {b}");
    println!("2. took {} ms (at least {slow} + {fast})", ms(start));

    // 3. `join!` polls both from this task: while `a` waits, `b` runs. The
    // results come back in argument order, whichever finished first.
    let start = Instant::now();
    let (a, b) = tokio::join!(fetch("a", slow), fetch("b", fast));
    println!("3. joined: {a}, {b}");
    println!("3. took {} ms (at least {slow}, the longer one)", ms(start));

    // 4. `join_all` does the same for any number of futures.
    let start = Instant::now();
    let names: Vec<String> = (1..=fetches).map(|i| format!("item{i}")).collect();
    let replies = join_all(names.iter().map(|name| fetch(name, fast))).await;
    println!("4. join_all, in order: {}", replies.join(", "));
    println!(
        "4. took {} ms (at least {fast}, not {fetches} x {fast})",
        ms(start)
    );

    // The `started` and `finished` lines above show whether the waits
    // overlapped; this line only says what every run does.
    println!("Futures ran only when awaited; join! and join_all waited for all of theirs");
    Ok(())
}

/// Prints when its body runs: the proof of when a future is first polled.
async fn greet(name: &str) -> String {
    println!("greet: running for {name:?}");
    format!("hello, {name}")
}

/// A stand-in for a network call: waits `latency_ms`, then answers.
async fn fetch(name: &str, latency_ms: u64) -> String {
    println!("fetch {name}: started");
    // The timer stands for the I/O: this future is suspended and the thread
    // is free to poll other futures until the timer fires.
    sleep(Duration::from_millis(latency_ms)).await;
    println!("fetch {name}: finished after {latency_ms} ms");
    format!("reply from {name}")
}

fn ms(start: Instant) -> u128 {
    start.elapsed().as_millis()
}
