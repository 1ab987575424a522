//! Test in parallel whether any or all elements match a predicate.
//!
//! First the cookbook's eight assertions on `[2, 4, 6, 8]`, before and after
//! pushing 9, printed with their results. Then a large vector of random even
//! numbers (`--len`, `--seed`), scanned with `par_iter().any/all` and with
//! `iter().any/all`: both must agree. A scan that finds no counterexample
//! reads every element, and the predicate is so cheap that memory bandwidth,
//! not the CPU, limits it. Once one odd number is planted (in the second half,
//! at an index that depends on the seed), `any` stops at the first match and
//! `all` at the first mismatch; in parallel every worker stops as soon as any
//! of them finds one, and the worker that starts at the middle gets there long
//! before a sequential scan does. Timings (each the median of `--runs` runs
//! after a warm-up) vary from run to run; the results never do.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin any-all -- --len 10000000 --seed 42
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// Run the cookbook's any/all assertions, then scan a large vector both ways.
#[derive(Parser)]
struct Args {
    /// Length of the large vector of random even numbers [1-100000000].
    #[arg(long, default_value_t = 10_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000_000))]
    len: usize,
    /// Seed of the large vector and of where the odd number is planted.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Each time printed is the median of this many runs, after a warm-up [1-100].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { len, seed, runs }: Args) -> anyhow::Result<()> {
    // The cookbook's assertions, before and after pushing 9; each result is
    // printed, then compared with the value the cookbook asserts.
    let mut vec = vec![2, 4, 6, 8];
    for pushed in [false, true] {
        if pushed {
            vec.push(9);
        }
        let checks = [
            ("any odd", vec.par_iter().any(|n| (*n % 2) != 0), pushed),
            ("all even", vec.par_iter().all(|n| (*n % 2) == 0), !pushed),
            ("any > 8", vec.par_iter().any(|n| *n > 8), pushed),
            ("all <= 8", vec.par_iter().all(|n| *n <= 8), !pushed),
        ];
        for (what, result, cookbook) in checks {
            println!("{vec:?} {what}: {result}");
            ensure!(
                result == cookbook,
                "{vec:?} {what} is {result}, the cookbook asserts {cookbook}"
            );
        }
    }

    let mut rng = StdRng::seed_from_u64(seed);
    let mut numbers: Vec<u32> = (0..len).map(|_| rng.random::<u32>() & !1).collect();
    println!(
        "large input: {len} random even numbers (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );
    for planted in [false, true] {
        let how = if planted {
            // In the second half: a sequential scan reads at least half the
            // vector first, while the worker that starts at the middle
            // reaches it sooner.
            let index = rng.random_range(len / 2..len);
            numbers[index] += 1;
            println!("planted an odd number at index {index}");
            "stops at the odd one"
        } else {
            "full scan"
        };
        let numbers = &numbers[..];
        let all_even = |n: &u32| n.is_multiple_of(2);
        let any_odd = |n: &u32| !n.is_multiple_of(2);
        compare(
            &format!("all even ({how})"),
            !planted,
            runs,
            || numbers.iter().all(all_even),
            || numbers.par_iter().all(all_even),
        )?;
        compare(
            &format!("any odd ({how})"),
            planted,
            runs,
            || numbers.iter().any(any_odd),
            || numbers.par_iter().any(any_odd),
        )?;
    }
    println!(
        "All 8 cookbook results hold; parallel any/all agree with sequential on {len} numbers"
    );
    Ok(())
}

/// Runs both scans, checks that each gives `expected`, and prints their
/// median times.
fn compare(
    name: &str,
    expected: bool,
    runs: u32,
    sequential: impl Fn() -> bool,
    parallel: impl Fn() -> bool,
) -> anyhow::Result<()> {
    let (seq, sequential_time) = median_time(runs, sequential);
    let (par, parallel_time) = median_time(runs, parallel);
    ensure!(
        seq == expected && par == expected,
        "{name}: sequential {seq}, parallel {par}, expected {expected}"
    );
    println!(
        "{name}: {par} both ways; sequential {:.2} ms, parallel {:.2} ms, speedup {:.2}x (median of {runs} runs after a warm-up)",
        sequential_time.as_secs_f64() * 1e3,
        parallel_time.as_secs_f64() * 1e3,
        sequential_time.as_secs_f64() / parallel_time.as_secs_f64()
    );
    Ok(())
}

/// Runs `f` for a quarter of a second to warm up (caches, rayon's workers,
/// the CPUs' idle states), then `runs` times, as criterion does: returns the
/// last result and the median time.
fn median_time<T>(runs: u32, f: impl Fn() -> T) -> (T, Duration) {
    let warm_up = Instant::now();
    let mut result = f();
    while warm_up.elapsed() < Duration::from_millis(250) {
        result = f();
    }
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        result = f();
        times.push(started.elapsed());
    }
    times.sort();
    (result, times[times.len() / 2])
}
