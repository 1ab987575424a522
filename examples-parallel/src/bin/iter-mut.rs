//! Mutate the elements of a slice in parallel with `par_iter_mut`.
//!
//! First the cookbook's example: `[0, 7, 9, 11]` becomes `[-1, 6, 8, 10]`.
//! `par_iter_mut` hands each worker a disjoint part of the slice, so every
//! element is borrowed mutably by exactly one thread: no locks, and the borrow
//! checker proves there is no data race.
//!
//! Then the same on a large random vector (`--len`, `--seed`), with two
//! kernels, each timed sequentially and in parallel, and the results compared
//! element by element. Decrementing is so cheap that memory bandwidth, not the
//! CPU, limits it: expect little or no speedup. Counting Collatz steps costs
//! hundreds of operations per element, a different number for each: there
//! rayon pays, and its work stealing evens out the uneven pieces. The timings
//! vary from run to run; the sums never do.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin iter-mut -- --len 4000000 --seed 42
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// The largest `--len`: the input and two copies, 800 MB each.
const MAX_LEN: usize = 100_000_000;
/// The generated numbers are in `1..=MAX_VALUE`.
const MAX_VALUE: u64 = 1_000_000;

/// Mutate a small array and a large vector in parallel.
#[derive(Parser)]
struct Args {
    /// Length of the large random vector.
    #[arg(long, default_value_t = 4_000_000)]
    len: usize,
    /// Seed of the large random vector: the same seed gives the same numbers.
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

    // The cookbook's example: each worker gets `&mut` to its own elements.
    let mut arr = [0, 7, 9, 11];
    arr.par_iter_mut().for_each(|p| *p -= 1);
    println!("{arr:?}");

    let input = random_numbers(len, seed);
    println!(
        "large input: {len} random numbers in 1..={MAX_VALUE} (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );
    println!("input sum: {}", input.iter().sum::<u64>());
    compare(
        "decrement",
        &input,
        decrement_sequential,
        decrement_parallel,
    )?;
    compare(
        "collatz steps",
        &input,
        collatz_sequential,
        collatz_parallel,
    )?;
    println!("Parallel results equal the sequential ones for {len} numbers");
    Ok(())
}

/// Runs both kernels on copies of `input`, checks that they agree element by
/// element and prints their timings.
fn compare(
    name: &str,
    input: &[u64],
    sequential: fn(&mut [u64]),
    parallel: fn(&mut [u64]),
) -> anyhow::Result<()> {
    let mut expected = input.to_vec();
    let sequential_time = timed(|| sequential(&mut expected));
    let mut actual = input.to_vec();
    let parallel_time = timed(|| parallel(&mut actual));
    ensure!(
        actual == expected,
        "{name}: the parallel result differs from the sequential one"
    );
    println!(
        "{name}: sequential {:.1} ms, parallel {:.1} ms, speedup {:.2}x",
        millis(sequential_time),
        millis(parallel_time),
        sequential_time.as_secs_f64() / parallel_time.as_secs_f64()
    );
    // The parallel result's own sum, so a test reading it checks the workers.
    println!("{name}: sum {} both ways", actual.iter().sum::<u64>());
    Ok(())
}

// ---- kernels: plain functions, so that a benchmark can call them ----

/// Subtracts one from every element (each must be at least 1), one by one.
pub fn decrement_sequential(v: &mut [u64]) {
    v.iter_mut().for_each(|x| *x -= 1);
}

/// Subtracts one from every element (each must be at least 1), in parallel.
pub fn decrement_parallel(v: &mut [u64]) {
    v.par_iter_mut().for_each(|x| *x -= 1);
}

/// Replaces every element by its number of Collatz steps, one by one.
pub fn collatz_sequential(v: &mut [u64]) {
    v.iter_mut().for_each(|x| *x = collatz_steps(*x));
}

/// Replaces every element by its number of Collatz steps, in parallel.
pub fn collatz_parallel(v: &mut [u64]) {
    v.par_iter_mut().for_each(|x| *x = collatz_steps(*x));
}

/// How many steps `n -> n / 2` (n even) or `n -> 3n + 1` (n odd) take to reach 1.
/// (Numbers up to a million, as here, never climb above 2^36 on the way.)
pub fn collatz_steps(mut n: u64) -> u64 {
    let mut steps = 0;
    while n > 1 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}

/// Wall-clock time of `f`.
fn timed(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

// ---- demo inputs ----

/// `len` numbers in `1..=MAX_VALUE`, the same for the same seed.
pub fn random_numbers(len: usize, seed: u64) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.random_range(1..=MAX_VALUE)).collect()
}
