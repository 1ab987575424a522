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
//! before a sequential scan does. Timings vary from run to run; the results
//! never do.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin any-all -- --len 10000000 --seed 42
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// The largest `--len` (400 MB of `u32`).
const MAX_LEN: usize = 100_000_000;

/// Run the cookbook's any/all assertions, then scan a large vector both ways.
#[derive(Parser)]
struct Args {
    /// Length of the large vector of random even numbers.
    #[arg(long, default_value_t = 10_000_000)]
    len: usize,
    /// Seed of the large vector and of where the odd number is planted.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    // `{:#}` prints the error and its causes on one line.
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { len, seed }: Args) -> anyhow::Result<()> {
    ensure!(
        (1..=MAX_LEN).contains(&len),
        "--len must be between 1 and {MAX_LEN}, got {len}"
    );

    // The cookbook's assertions; each result is printed and then compared
    // with the value the cookbook asserts.
    let mut vec = vec![2, 4, 6, 8];
    cookbook_checks(
        &vec,
        [
            ("any odd", vec.par_iter().any(|n| (*n % 2) != 0), false),
            ("all even", vec.par_iter().all(|n| (*n % 2) == 0), true),
            ("any > 8", vec.par_iter().any(|n| *n > 8), false),
            ("all <= 8", vec.par_iter().all(|n| *n <= 8), true),
        ],
    )?;
    vec.push(9);
    cookbook_checks(
        &vec,
        [
            ("any odd", vec.par_iter().any(|n| (*n % 2) != 0), true),
            ("all even", vec.par_iter().all(|n| (*n % 2) == 0), false),
            ("any > 8", vec.par_iter().any(|n| *n > 8), true),
            ("all <= 8", vec.par_iter().all(|n| *n <= 8), false),
        ],
    )?;

    let mut rng = StdRng::seed_from_u64(seed);
    let mut numbers: Vec<u32> = (0..len).map(|_| rng.random::<u32>() & !1).collect();
    println!(
        "large input: {len} random even numbers (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );
    compare(
        "all even (full scan)",
        &numbers,
        all_even_sequential,
        all_even_parallel,
        true,
    )?;
    compare(
        "any odd (full scan)",
        &numbers,
        any_odd_sequential,
        any_odd_parallel,
        false,
    )?;

    // In the second half: a sequential scan reads at least half the vector
    // first, while the worker that starts at the middle reaches it sooner.
    let planted = rng.random_range(len / 2..len);
    numbers[planted] += 1;
    println!("planted an odd number at index {planted}");
    compare(
        "all even (stops at the odd one)",
        &numbers,
        all_even_sequential,
        all_even_parallel,
        false,
    )?;
    compare(
        "any odd (stops at the odd one)",
        &numbers,
        any_odd_sequential,
        any_odd_parallel,
        true,
    )?;
    println!(
        "All 8 cookbook results hold; parallel any/all agree with sequential on {len} numbers"
    );
    Ok(())
}

/// Prints each result and checks it against the cookbook's assertion.
fn cookbook_checks(vec: &[i32], checks: [(&str, bool, bool); 4]) -> anyhow::Result<()> {
    for (what, result, cookbook) in checks {
        println!("{vec:?} {what}: {result}");
        ensure!(
            result == cookbook,
            "{vec:?} {what} is {result}, but the cookbook asserts {cookbook}"
        );
    }
    Ok(())
}

/// Runs both scans of `numbers`, checks they agree with each other and with
/// `expected`, and prints their timings.
fn compare(
    name: &str,
    numbers: &[u32],
    sequential: fn(&[u32]) -> bool,
    parallel: fn(&[u32]) -> bool,
    expected: bool,
) -> anyhow::Result<()> {
    let (seq, sequential_time) = timed(|| sequential(numbers));
    let (par, parallel_time) = timed(|| parallel(numbers));
    ensure!(
        seq == expected && par == expected,
        "{name}: sequential {seq}, parallel {par}, expected {expected}"
    );
    println!(
        "{name}: {par} both ways; sequential {:.2} ms, parallel {:.2} ms, speedup {:.2}x",
        millis(sequential_time),
        millis(parallel_time),
        sequential_time.as_secs_f64() / parallel_time.as_secs_f64()
    );
    Ok(())
}

// ---- kernels: plain functions, so that a benchmark can call them ----

pub fn all_even_sequential(numbers: &[u32]) -> bool {
    numbers.iter().all(|n| n % 2 == 0)
}

pub fn all_even_parallel(numbers: &[u32]) -> bool {
    numbers.par_iter().all(|n| n % 2 == 0)
}

pub fn any_odd_sequential(numbers: &[u32]) -> bool {
    numbers.iter().any(|n| n % 2 != 0)
}

pub fn any_odd_parallel(numbers: &[u32]) -> bool {
    numbers.par_iter().any(|n| n % 2 != 0)
}

/// The result of `f` and the wall-clock time it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let result = f();
    (result, started.elapsed())
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
