//! Turn `iter()` into `par_iter()`: a parallel `sum`, and a `for_each` over slow items.
//!
//! `par_iter()` splits the vector into pieces that rayon's worker threads (one
//! per CPU by default) take and steal from each other. `sum` adds the pieces'
//! partial sums, so it prints 55 however the work was split. The `Processing
//! number` lines come in a different order from run to run: each worker prints
//! when it reaches an item. The elapsed time is about (items / threads) x the
//! sleep, not items x sleep as in a sequential loop; on one CPU the two are
//! the same. (Sleeping blocks a worker: rayon is meant for CPU-bound work; the
//! sleep here only stands in for it.)
//!
//! With `--meet`, each item waits until as many items as there are workers
//! (or items, if fewer) have begun: only workers running at the same time
//! get past that, so a run that ends proves that they did.
//!
//! ```sh
//! cargo run -p examples-parallel --bin par-iter-basics -- --items 10 --sleep-ms 100
//! ```

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use rayon::prelude::*;

/// Sum a vector in parallel, then process slow items in parallel.
#[derive(Parser)]
struct Args {
    /// How many slow items `for_each` processes (the numbers 1..=N) [1-1000].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    items: u32,
    /// How long each item takes, in milliseconds [0-1000].
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=1000))]
    sleep_ms: u64,
    /// Each item waits until one item per worker has begun (at most 10 s).
    #[arg(long)]
    meet: bool,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(
    Args {
        items,
        sleep_ms,
        meet,
    }: Args,
) -> anyhow::Result<()> {
    // A parallel sum: each worker sums its pieces, and the partial sums are
    // added as the pieces are joined back together.
    let numbers = vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    let sum = numbers.par_iter().sum::<i32>();
    println!("Sum is {sum}");

    let threads = rayon::current_num_threads();
    println!("rayon threads: {threads}");
    let data: Vec<u32> = (1..=items).collect();
    let sleep = Duration::from_millis(sleep_ms);
    let expected = items.min(threads as u32);
    let (begun, all_begun, missed) = (Mutex::new(0), Condvar::new(), AtomicBool::new(false));
    let started = Instant::now();
    // `for_each` returns only when every item has been processed: no join
    // handles to collect, rayon waits for its workers itself.
    data.par_iter().for_each(|&num| {
        println!("Processing number: {num}");
        if meet {
            // No item goes on until `expected` have begun: only as many
            // workers running at once can get past this.
            let mut n = begun.lock().expect("no item panicked");
            *n += 1;
            all_begun.notify_all();
            let ten_s = Duration::from_secs(10);
            let (_guard, wait) = (all_begun.wait_timeout_while(n, ten_s, |n| *n < expected))
                .expect("no item panicked");
            missed.fetch_or(wait.timed_out(), Ordering::Relaxed);
        }
        thread::sleep(sleep); // stands in for real work
    });
    ensure!(
        !missed.into_inner(),
        "--meet: {expected} items never ran at the same time"
    );
    let elapsed = started.elapsed();
    let sequential = sleep * items;
    println!(
        "for_each over {items} items of {sleep_ms} ms took {:.2} s; a sequential loop needs {:.2} s",
        elapsed.as_secs_f64(),
        sequential.as_secs_f64()
    );
    println!("All {items} numbers processed in parallel; sum of 1..=10 is {sum}");
    Ok(())
}
