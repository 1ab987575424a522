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
//! It pays when the predicate costs more than that check. Timings are the
//! median of `--runs` runs after a warm-up.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin parallel-search -- --len 20000000 --seed 42
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// The haystack holds numbers below this; the needles are this and one more.
const NEEDLE: u64 = 1_000_000;

/// Search a small and a large vector in parallel.
#[derive(Parser)]
struct Args {
    /// Length of the large random vector, two needles included [2-100000000].
    #[arg(long, default_value_t = 20_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(2..=100_000_000))]
    len: usize,
    /// Seed of the large vector and of where the needles are planted.
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
    let first = find_first_parallel(&v, |&x| x > 8);
    let position = position_any_parallel(&v, |&x| x > 8);
    println!("find_first(x > 8): {first:?}");
    println!("position_any(x > 8): {position:?}");
    ensure!(first == Some(9), "find_first(x > 8) should be 9");
    ensure!(
        matches!(position, Some(3 | 6)),
        "position_any(x > 8) should be 3 or 6"
    );

    let (haystack, needles) = haystack(len, seed);
    println!(
        "large input: {len} random numbers below {NEEDLE} (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );
    let [left, right] = needles;
    println!(
        "needles {NEEDLE} and {} planted at indices {left} and {right}",
        NEEDLE + 1
    );
    let is_needle = |x: &u64| *x >= NEEDLE;

    let (expected, sequential) = median_time(runs, || haystack.iter().copied().find(is_needle));
    let (found, parallel) = median_time(runs, || find_first_parallel(&haystack, is_needle));
    ensure!(
        found == expected && expected == Some(NEEDLE),
        "find_first found {found:?}, iter().find found {expected:?}, expected Some({NEEDLE})"
    );
    print_timings("find_first", found, sequential, parallel, runs);

    let (expected, sequential) = median_time(runs, || haystack.iter().position(is_needle));
    let (found, parallel) = median_time(runs, || position_any_parallel(&haystack, is_needle));
    ensure!(
        expected == Some(left) && (found == Some(left) || found == Some(right)),
        "position_any found {found:?}, iter().position found {expected:?}, needles at {needles:?}"
    );
    print_timings("position_any", found, sequential, parallel, runs);
    println!("Parallel searches agree with sequential ones on {len} numbers");
    Ok(())
}

/// The leftmost element that matches: a match stops only the workers
/// searching to its right, and the search returns once every part to its
/// left has been searched.
pub fn find_first_parallel<T: Copy + Sync>(
    v: &[T],
    matches: impl Fn(&T) -> bool + Sync,
) -> Option<T> {
    // `.copied()` goes after the search: placed before it, it made rayon
    // 1.12's `find_first` several times slower here.
    v.par_iter().find_first(|x| matches(x)).copied()
}

/// The index of whichever match a worker finds first.
pub fn position_any_parallel<T: Sync>(
    v: &[T],
    matches: impl Fn(&T) -> bool + Sync,
) -> Option<usize> {
    v.par_iter().position_any(&matches)
}

fn print_timings<T: std::fmt::Debug>(
    name: &str,
    found: T,
    sequential: Duration,
    parallel: Duration,
    runs: u32,
) {
    println!(
        "{name}: {found:?}; sequential {:.2} ms, parallel {:.2} ms, speedup {:.2}x (median of {runs} runs after a warm-up)",
        sequential.as_secs_f64() * 1e3,
        parallel.as_secs_f64() * 1e3,
        sequential.as_secs_f64() / parallel.as_secs_f64()
    );
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
