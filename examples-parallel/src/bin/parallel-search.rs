//! Search in parallel with `find_any`, `find_first` and `position_any`.
//!
//! First the cookbook's searches of `[6, 2, 1, 9, 3, 8, 11]`. `find_any`
//! returns whichever match a worker finds first, so searching for `x > 8`
//! gives 9 in some runs and 11 in others; `find_first` always gives the
//! leftmost match, 9: a match stops only the workers searching to its right,
//! and the search returns once every part to its left has been searched.
//! `position_any` is `find_any` for the index (3 or 6).
//!
//! Then a large random vector (`--len`, `--seed`) of numbers below one million
//! with two larger "needles" planted at indices that depend on the seed:
//! `find_first` and `position_any` against `iter().find` and
//! `iter().position`. `find_first` must equal the sequential result;
//! `position_any` may give either needle. Both stop early. The predicate is a
//! single comparison, so a sequential scan goes as fast as memory allows,
//! while a parallel search also checks, after each item, whether another
//! worker has found a better match already: expect `find_first` to lose here.
//! It pays when the predicate costs more than that check.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin parallel-search -- --len 20000000 --seed 42
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// The largest `--len` (800 MB of `u64`).
const MAX_LEN: usize = 100_000_000;
/// The haystack holds numbers below this; the needles are this and one more.
const NEEDLE: u64 = 1_000_000;

/// Search a small and a large vector in parallel.
#[derive(Parser)]
struct Args {
    /// Length of the large random vector (at least 2, for the two needles).
    #[arg(long, default_value_t = 20_000_000)]
    len: usize,
    /// Seed of the large vector and of where the needles are planted.
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
        (2..=MAX_LEN).contains(&len),
        "--len must be between 2 and {MAX_LEN}, got {len}"
    );

    // The cookbook's searches.
    let v = vec![6, 2, 1, 9, 3, 8, 11];
    let f1 = v.par_iter().find_any(|&&x| x == 9);
    let f2 = v.par_iter().find_any(|&&x| x % 2 == 0 && x > 6);
    let f3 = v.par_iter().find_any(|&&x| x > 8);
    println!("find_any(x == 9): {f1:?}");
    println!("find_any(x % 2 == 0 && x > 6): {f2:?}");
    println!("find_any(x > 8): {f3:?}");
    ensure!(
        f1 == Some(&9) && f2 == Some(&8) && f3 > Some(&8),
        "the cookbook's searches should give 9, 8 and 9 or 11"
    );
    // The same question, asked of the leftmost match, and of its index.
    let first = v.par_iter().find_first(|&&x| x > 8);
    let position = v.par_iter().position_any(|&x| x > 8);
    println!("find_first(x > 8): {first:?}");
    println!("position_any(x > 8): {position:?}");
    ensure!(first == Some(&9), "find_first(x > 8) should be 9");
    ensure!(
        matches!(position, Some(3 | 6)),
        "position_any(x > 8) should be 3 or 6"
    );

    let (haystack, needles) = haystack(len, seed);
    println!(
        "large input: {len} random numbers below {NEEDLE} (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );
    println!(
        "needles {NEEDLE} and {} planted at indices {} and {}",
        NEEDLE + 1,
        needles[0],
        needles[1]
    );

    let (expected, sequential_time) = timed(|| find_sequential(&haystack));
    let (found, parallel_time) = timed(|| find_first_parallel(&haystack));
    ensure!(
        found == expected && expected == Some(NEEDLE),
        "find_first found {found:?}, iter().find found {expected:?}, expected Some({NEEDLE})"
    );
    print_timings("find_first", found, sequential_time, parallel_time);

    let (expected, sequential_time) = timed(|| position_sequential(&haystack));
    let (found, parallel_time) = timed(|| position_any_parallel(&haystack));
    ensure!(
        expected == Some(needles[0]) && found.is_some_and(|i| needles.contains(&i)),
        "position_any found {found:?}, iter().position found {expected:?}, needles at {needles:?}"
    );
    print_timings("position_any", found, sequential_time, parallel_time);
    println!("Parallel searches agree with sequential ones on {len} numbers");
    Ok(())
}

fn print_timings<T: std::fmt::Debug>(
    name: &str,
    found: T,
    sequential: Duration,
    parallel: Duration,
) {
    println!(
        "{name}: {found:?}; sequential {:.2} ms, parallel {:.2} ms, speedup {:.2}x",
        sequential.as_secs_f64() * 1e3,
        parallel.as_secs_f64() * 1e3,
        sequential.as_secs_f64() / parallel.as_secs_f64()
    );
}

// ---- kernels: plain functions, so that a benchmark can call them ----

fn is_needle(x: &u64) -> bool {
    *x >= NEEDLE
}

pub fn find_sequential(haystack: &[u64]) -> Option<u64> {
    haystack.iter().find(|x| is_needle(x)).copied()
}

pub fn find_first_parallel(haystack: &[u64]) -> Option<u64> {
    // `.copied()` goes after the search: placed before it, it made rayon
    // 1.12's `find_first` several times slower here.
    haystack.par_iter().find_first(|x| is_needle(x)).copied()
}

pub fn position_sequential(haystack: &[u64]) -> Option<usize> {
    haystack.iter().position(is_needle)
}

pub fn position_any_parallel(haystack: &[u64]) -> Option<usize> {
    haystack.par_iter().position_any(is_needle)
}

/// The result of `f` and the wall-clock time it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let result = f();
    (result, started.elapsed())
}

// ---- demo inputs ----

/// `len` random numbers below `NEEDLE`, with `NEEDLE` and `NEEDLE + 1`
/// planted at two distinct random indices, returned in increasing order.
pub fn haystack(len: usize, seed: u64) -> (Vec<u64>, [usize; 2]) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut haystack: Vec<u64> = (0..len).map(|_| rng.random_range(0..NEEDLE)).collect();
    let mut needles = rand::seq::index::sample(&mut rng, len, 2).into_vec();
    needles.sort_unstable();
    haystack[needles[0]] = NEEDLE;
    haystack[needles[1]] = NEEDLE + 1;
    (haystack, [needles[0], needles[1]])
}
