//! Sort a vector in parallel: `par_sort_unstable` of numbers, `par_sort` of strings.
//!
//! Both sorts come from rayon's `ParallelSliceMut`; they sort the same input
//! as the std `sort_unstable` and `sort`, and must give the same result.
//! `par_sort_unstable` is a pattern-defeating quicksort that sorts the two
//! sides of each partition in parallel; `par_sort` is a merge sort that sorts
//! chunks in parallel and merges them in parallel too. Only the timings vary
//! from run to run.
//!
//! The cookbook fills its strings with `rand::thread_rng()` inside
//! `par_iter_mut`, which cannot be reproduced. Here every fixed-size chunk of
//! the input gets its own generator, seeded from `--seed` and the chunk's
//! number, so the input depends on the seed alone, not on the thread count.
//! (rand 0.10: the value methods `random` and `random_range`, once `gen` and
//! `gen_range`, live in the `RngExt` trait, since `Rng` now names the core
//! trait that was `RngCore`; `rand::rng()` replaced `thread_rng()` and
//! `rand::distr` replaced `rand::distributions`.) Inputs of up to 16 items are
//! printed in full.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin parallel-sort -- --len 2000000 --seed 42
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// The largest `--len`: two copies of the strings take about 2 GB.
const MAX_LEN: usize = 20_000_000;
/// Inputs up to this long are printed in full.
const SHOW_ALL: usize = 16;
/// Each random string has this many letters and digits, as in the cookbook.
const STRING_LEN: usize = 5;
/// Each chunk of this many items gets its own random generator.
const CHUNK: usize = 64 * 1024;

/// Sort random numbers and random strings in parallel and with std.
#[derive(Parser)]
struct Args {
    /// How many numbers, and how many strings, to sort.
    #[arg(long, default_value_t = 2_000_000)]
    len: usize,
    /// Seed of the random inputs: the same seed gives the same inputs.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn main() -> ExitCode {
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
    println!(
        "sorting {len} random numbers and {len} random strings (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );

    let numbers = random_numbers(len, seed);
    if len <= SHOW_ALL {
        println!("random numbers: {numbers:?}");
    }
    let (mut expected, mut sorted) = (numbers.clone(), numbers);
    let sequential_time = timed(|| sort_numbers_sequential(&mut expected));
    let parallel_time = timed(|| sort_numbers_parallel(&mut sorted));
    ensure!(
        sorted.is_sorted() && sorted == expected,
        "par_sort_unstable differs from sort_unstable"
    );
    print_timings(
        "numbers, sort_unstable vs par_sort_unstable",
        sequential_time,
        parallel_time,
    );
    if len <= SHOW_ALL {
        println!("par_sort_unstable: {sorted:?}");
    }
    println!(
        "smallest and largest number: {} {}",
        sorted[0],
        sorted[len - 1]
    );

    let strings = random_strings(len, seed);
    if len <= SHOW_ALL {
        println!("random strings: {strings:?}");
    }
    let (mut expected, mut sorted) = (strings.clone(), strings);
    let sequential_time = timed(|| sort_strings_sequential(&mut expected));
    let parallel_time = timed(|| sort_strings_parallel(&mut sorted));
    ensure!(
        sorted.is_sorted() && sorted == expected,
        "par_sort differs from sort"
    );
    print_timings("strings, sort vs par_sort", sequential_time, parallel_time);
    if len <= SHOW_ALL {
        println!("par_sort: {sorted:?}");
    }
    println!("first and last string: {} {}", sorted[0], sorted[len - 1]);
    println!(
        "par_sort_unstable and par_sort agree with the std sorts on {len} numbers and {len} strings"
    );
    Ok(())
}

fn print_timings(name: &str, sequential: Duration, parallel: Duration) {
    println!(
        "{name}: sequential {:.1} ms, parallel {:.1} ms, speedup {:.2}x",
        sequential.as_secs_f64() * 1e3,
        parallel.as_secs_f64() * 1e3,
        sequential.as_secs_f64() / parallel.as_secs_f64()
    );
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

/// Wall-clock time of `f`.
fn timed(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

// ---- demo inputs ----

/// `len` random `u64`s, the same for the same seed.
pub fn random_numbers(len: usize, seed: u64) -> Vec<u64> {
    generate(len, seed, 0, |rng| rng.random())
}

/// `len` random alphanumeric strings of `STRING_LEN` characters, the same
/// for the same seed.
pub fn random_strings(len: usize, seed: u64) -> Vec<String> {
    generate(len, seed, 1, |rng| {
        Alphanumeric.sample_string(rng, STRING_LEN)
    })
}

/// `len` values made by `make`, in parallel yet reproducibly: chunk `i` gets
/// its own generator, keyed by `(seed, stream, i)`, so the values do not
/// depend on which worker made which chunk.
fn generate<T, F>(len: usize, seed: u64, stream: u8, make: F) -> Vec<T>
where
    T: Default + Clone + Send,
    F: Fn(&mut StdRng) -> T + Sync,
{
    let mut values = vec![T::default(); len];
    values
        .par_chunks_mut(CHUNK)
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
