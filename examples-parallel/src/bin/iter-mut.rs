//! Mutate the elements of a slice in parallel with `par_iter_mut`.
//!
//! First the cookbook's example: `[0, 7, 9, 11]` becomes `[-1, 6, 8, 10]`.
//! `par_iter_mut` hands each worker a disjoint part of the slice, so every
//! element is borrowed mutably by exactly one thread: no locks, and the borrow
//! checker proves there is no data race.
//!
//! Then the same on a large random vector (`--len`, `--seed`), with two
//! kernels, each timed sequentially and in parallel (the median of `--runs`
//! runs after a warm-up, each on a fresh copy) and the results compared
//! element by element. Decrementing costs almost nothing per element: the
//! cost of waking the workers, and on large vectors memory bandwidth, keep
//! the speedup small. Counting Collatz steps (27 takes 111) costs hundreds of
//! operations per element, a different number for each: there rayon pays,
//! and work stealing evens out the uneven pieces. The timings vary from run
//! to run; the sums never do.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin iter-mut -- --len 10000000 --seed 42
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// The generated numbers are in `1..=MAX_VALUE`.
const MAX_VALUE: u64 = 1_000_000;

/// Mutate a small array and a large vector in parallel.
#[derive(Parser)]
struct Args {
    /// Length of the large random vector [1-100000000].
    #[arg(long, default_value_t = 100_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000_000))]
    len: usize,
    /// Seed of the large random vector: the same seed gives the same numbers.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Each time printed is the median of this many runs, after a warm-up [1-100].
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=100))]
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
    // The cookbook's example: each worker gets `&mut` to its own elements.
    let mut arr = [0, 7, 9, 11];
    arr.par_iter_mut().for_each(|p| *p -= 1);
    println!("{arr:?}");
    let mut steps = [27, 1, 97];
    collatz_parallel(&mut steps);
    println!("collatz steps of [27, 1, 97]: {steps:?}");

    let input = random_numbers(len, seed);
    println!(
        "large input: {len} random numbers in 1..={MAX_VALUE} (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );
    println!("input sum: {}", input.iter().sum::<u64>());
    type Kernel = fn(&mut [u64]);
    let kernels: [(&str, Kernel, Kernel); 2] = [
        ("decrement", decrement_sequential, decrement_parallel),
        ("collatz steps", collatz_sequential, collatz_parallel),
    ];
    for (name, sequential, parallel) in kernels {
        let (expected, sequential_time) = median_time(&input, sequential, runs);
        let (actual, parallel_time) = median_time(&input, parallel, runs);
        ensure!(
            actual == expected,
            "{name}: the parallel result differs from the sequential one"
        );
        println!(
            "{name}: sequential {:.3} ms, parallel {:.3} ms, speedup {:.2}x (median of {runs} runs after a warm-up)",
            sequential_time.as_secs_f64() * 1e3,
            parallel_time.as_secs_f64() * 1e3,
            sequential_time.as_secs_f64() / parallel_time.as_secs_f64()
        );
        // The parallel result's own sum, so a test reading it checks the workers.
        println!("{name}: sum {} both ways", actual.iter().sum::<u64>());
    }
    println!("Parallel results equal the sequential ones for {len} numbers");
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

/// Times `kernel` as criterion's `iter_batched` does: fresh copies of `input`
/// are made first (up to 64 MB at a time), then the kernel runs on them back
/// to back, so that rayon's workers, which fall asleep within microseconds of
/// idling, stay awake between runs. A quarter of a second of this warms up
/// the caches, the workers and the CPUs; then the median of `runs` runs.
/// Returns the last result and the median time.
fn median_time(input: &[u64], kernel: fn(&mut [u64]), runs: u32) -> (Vec<u64>, Duration) {
    let (runs, per_batch) = (runs as usize, (64 << 20) / size_of_val(input).max(1));
    let mut result = Vec::new();
    let mut batch = |count: usize| -> Vec<Duration> {
        let mut copies = vec![input.to_vec(); count.clamp(1, per_batch.max(1))];
        let times = copies.iter_mut().map(|v| {
            let started = Instant::now();
            kernel(v);
            started.elapsed()
        });
        let times = times.collect();
        result = copies.pop().unwrap_or_default(); // the rest are freed untimed
        times
    };
    let warm_up = Instant::now();
    while warm_up.elapsed() < Duration::from_millis(250) {
        batch(runs);
    }
    let mut times = Vec::new();
    while times.len() < runs {
        times.extend(batch(runs - times.len()));
    }
    times.sort();
    (result, times[runs / 2])
}

// ---- demo inputs ----

/// `len` numbers in `1..=MAX_VALUE`, the same for the same seed.
pub fn random_numbers(len: usize, seed: u64) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.random_range(1..=MAX_VALUE)).collect()
}
