//! Sort in parallel: `par_sort_unstable` of random numbers, `par_sort` of random strings.
//!
//! rayon's `ParallelSliceMut` sorts the same inputs as std's `sort_unstable`
//! and `sort`, and must give the same result. `par_sort_unstable` is a
//! quicksort that sorts the two sides of each partition with `rayon::join`;
//! `par_sort` sorts chunks on the workers, then merges them in parallel.
//! Only the timings vary from run to run (each is the median of `--runs`
//! runs after a warm-up, every run sorting a fresh copy).
//!
//! The lesson of the timings: on a machine with few cores rayon's sorts gain
//! little over std's. Since Rust 1.81 std sorts with ipnsort and driftsort,
//! and rayon's sorting code run on one thread takes much longer than std's
//! (the `1-thread pool` rows of BENCHMARKS.md: 0.71x and 0.61x at 1e7 on two
//! cores), so a second worker mostly wins that back. Running std's own sort
//! on every worker does better: see `sort-on-every-worker`.
//!
//! The cookbook fills its strings with `thread_rng()` inside `par_iter_mut`,
//! which cannot be reproduced; here every chunk of the input gets its own
//! generator, seeded from `--seed` and the chunk's number, so the input
//! depends on the seed alone, not on the thread count. Inputs of up to 16
//! items are printed in full.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin parallel-sort -- --len 10000000 --runs 3
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// Inputs up to this long are printed in full.
const SHOW_ALL: usize = 16;

/// Sort random numbers and random strings with rayon and with std.
#[derive(Parser)]
struct Args {
    /// How many numbers, and how many strings, to sort [1-10000000].
    #[arg(long, default_value_t = 100_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000_000))]
    len: usize,
    /// Each time printed is the median of this many runs, after a warm-up [1-100].
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
    /// Seed of the random inputs: the same seed gives the same inputs.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { len, runs, seed }: Args) -> anyhow::Result<()> {
    println!(
        "sorting {len} random numbers and {len} random strings (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );
    let numbers = random_numbers(len, seed);
    let kernels: [fn(&mut [u64]); 2] = [sort_numbers_sequential, sort_numbers_parallel];
    let name = "numbers, sort_unstable vs par_sort_unstable";
    let sorted = compare(name, &numbers, kernels, runs)?;
    let kernels: [fn(&mut [u64]); 2] = [<[u64]>::sort, |v| v.par_sort()];
    compare("numbers, sort vs par_sort", &numbers, kernels, runs)?;
    if len <= SHOW_ALL {
        println!("random numbers: {numbers:?}");
        println!("par_sort_unstable: {sorted:?}");
    }
    let (smallest, largest) = (sorted[0], sorted[len - 1]);
    println!("smallest and largest number: {smallest} {largest}");
    drop((numbers, sorted)); // freed before the strings exist

    let strings = random_strings(len, seed);
    let kernels: [fn(&mut [String]); 2] = [sort_strings_sequential, sort_strings_parallel];
    let sorted = compare("strings, sort vs par_sort", &strings, kernels, runs)?;
    if len <= SHOW_ALL {
        println!("random strings: {strings:?}");
        println!("par_sort: {sorted:?}");
    }
    println!("first and last string: {} {}", sorted[0], sorted[len - 1]);
    println!("rayon's three sorts agree with std's on {len} numbers and {len} strings");
    Ok(())
}

/// Times std's sort and rayon's on `input` (see [`median_time`]), checks that
/// the two agree, prints their median times and returns rayon's result.
fn compare<T: Clone + PartialEq>(
    name: &str,
    input: &[T],
    kernels: [fn(&mut [T]); 2],
    runs: u32,
) -> anyhow::Result<Vec<T>> {
    let [(expected, sequential), (sorted, parallel)] =
        kernels.map(|kernel| median_time(input, kernel, runs));
    ensure!(
        sorted == expected,
        "{name}: rayon's sort differs from std's"
    );
    println!(
        "{name}: sequential {sequential:.2} ms, parallel {parallel:.2} ms, speedup {:.2}x (median of {runs} runs after a warm-up)",
        sequential / parallel
    );
    Ok(sorted)
}

/// Sorts fresh copies of `input` with `kernel` for a quarter of a second to
/// warm up (caches, rayon's workers, the CPUs' idle states), then `runs`
/// times, as criterion does: in a block of its own runs, so that rayon's
/// workers are still awake when the next parallel run starts (taking turns
/// with the sequential sort, they fell asleep in between and the parallel
/// times doubled). The copying and freeing are left out of the timing.
/// Returns the last result and the median time in milliseconds.
fn median_time<T: Clone>(input: &[T], kernel: fn(&mut [T]), runs: u32) -> (Vec<T>, f64) {
    let once = || {
        let mut v = input.to_vec();
        let started = Instant::now();
        kernel(&mut v);
        (v, started.elapsed())
    };
    let warm_up = Instant::now();
    while warm_up.elapsed() < Duration::from_millis(250) {
        once();
    }
    let (mut result, mut times) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (v, time) = once();
        times.push(time);
        result = v; // the previous copy is freed here, after the clock stopped
    }
    times.sort();
    (result, times[times.len() / 2].as_secs_f64() * 1e3)
}

// ---- kernels: plain functions, so that a benchmark can call them ----

pub fn sort_numbers_sequential(v: &mut [u64]) {
    v.sort_unstable();
}

pub fn sort_numbers_parallel(v: &mut [u64]) {
    // Partitions around a pivot, then sorts both sides with `rayon::join`;
    // it returns only when every part is sorted.
    v.par_sort_unstable();
}

pub fn sort_strings_sequential(v: &mut [String]) {
    v.sort();
}

pub fn sort_strings_parallel(v: &mut [String]) {
    // Sorts chunks on the workers, then merges them, in parallel too.
    v.par_sort();
}

// ---- demo inputs ----

/// `len` random `u64`s, the same for the same seed.
pub fn random_numbers(len: usize, seed: u64) -> Vec<u64> {
    generate(len, seed, 0, |rng| rng.random())
}

/// `len` random strings of 5 letters and digits, as in the cookbook, the
/// same for the same seed.
pub fn random_strings(len: usize, seed: u64) -> Vec<String> {
    generate(len, seed, 1, |rng| Alphanumeric.sample_string(rng, 5))
}

/// `len` values made by `make`, in parallel yet reproducibly: each chunk of
/// 64 Ki values gets its own generator, keyed by `(seed, stream, chunk)`, so
/// the values do not depend on which worker made which chunk.
fn generate<T, F>(len: usize, seed: u64, stream: u8, make: F) -> Vec<T>
where
    T: Default + Clone + Send,
    F: Fn(&mut StdRng) -> T + Sync,
{
    let mut values = vec![T::default(); len];
    values
        .par_chunks_mut(64 * 1024)
        .enumerate()
        .for_each(|(i, chunk)| {
            let mut key = [0; 32];
            key[..8].copy_from_slice(&seed.to_le_bytes());
            key[8..16].copy_from_slice(&(i as u64).to_le_bytes());
            key[16] = stream;
            let mut rng = StdRng::from_seed(key);
            chunk.iter_mut().for_each(|value| *value = make(&mut rng));
        });
    values
}
