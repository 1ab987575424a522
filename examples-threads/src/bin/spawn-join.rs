//! Spawn threads with `move` closures and collect each one's result with `join`.
//!
//! Each thread sums its own part of `1..=N` and returns the sum; main joins the
//! handles and adds the parts up. The `thread i: ...` lines come in a different
//! order from run to run, because the OS decides which thread runs first. The
//! `joined` lines never vary: main joins the handles in the order it spawned
//! them, and `join` waits for that thread whatever the others are doing.
//!
//! When threads need to *borrow* from main instead of owning their inputs, use
//! `std::thread::scope` (see `short-lived-threads`).
//!
//! ```sh
//! cargo run -p examples-threads --bin spawn-join -- --threads 8 --n 1000000
//! ```

use std::process::ExitCode;
use std::thread;

use anyhow::Context;
use clap::Parser;

/// Sum 1..=N on several threads and join their results.
#[derive(Parser)]
struct Args {
    /// How many threads to spawn [1-1024].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: u64,
    /// Sum the numbers 1..=N [0-2^31, so the sum fits in a u64].
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(..=1 << 31))]
    n: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { threads, n }: Args) -> anyhow::Result<()> {
    let chunk = n.div_ceil(threads);
    let mut handles = Vec::new();
    for i in 0..threads {
        let (lo, hi) = ((i * chunk + 1).min(n + 1), ((i + 1) * chunk).min(n));
        // `move` gives the thread its own copies of `i`, `lo` and `hi`: a
        // spawned thread may outlive this loop, so it cannot borrow them.
        let handle = thread::spawn(move || {
            let part: u64 = (lo..=hi).sum();
            println!("thread {i}: summed {lo}..={hi} = {part}");
            part // the thread's result, handed to whoever joins it
        });
        handles.push(handle);
    }

    let mut total = 0;
    for (i, handle) in handles.into_iter().enumerate() {
        // `join` blocks until the thread ends; `Err` means it panicked.
        let part = handle
            .join()
            .map_err(|_| anyhow::anyhow!("thread {i} panicked"))
            .context("joining a summing thread")?;
        println!("joined thread {i}: {part}");
        total += part;
    }
    println!("Total of 1..={n} over {threads} threads: {total}");
    Ok(())
}
