//! Map-reduce in parallel: `filter`, `map`, `reduce` and `sum`, then a one-pass `fold`.
//!
//! First the cookbook's seven people: the average age of those over 30 is
//! 36.5, computed once with `reduce` and once with `sum`. `reduce` needs an
//! identity (`|| 0`) because rayon may start a partial result on every piece
//! it splits off; the pieces' results are then combined, left with right,
//! grouped however the work happened to be split, which is why the
//! operation must be associative (it need not be commutative).
//!
//! Then a large generated population (`--len`, `--seed`): the cookbook walks
//! the people twice (once to count, once to sum); `fold` does both in one
//! pass, folding each piece rayon splits off (not each worker: a worker may
//! fold many pieces) into its own `(count, age sum)`, and `reduce` adds
//! those up. The result must equal a sequential `fold` exactly (integers, no
//! rounding). Only the timings vary from run to run: each is the median of
//! `--runs` runs after a warm-up.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin map-reduce -- --len 10000000 --seed 42
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// Average the ages over 30 of a small and a large population.
#[derive(Parser)]
struct Args {
    /// Size of the large generated population [1-100000000].
    #[arg(long, default_value_t = 10_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000_000))]
    len: usize,
    /// Seed of the generated ages: the same seed gives the same population.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Each time printed is the median of this many runs, after a warm-up [1-100].
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
}

/// One of the cookbook's people: only the age matters here.
pub struct Person {
    pub age: u32,
}

/// How many people are over 30, and the sum of their ages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Over30 {
    pub count: u64,
    pub age_sum: u64,
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
    // The cookbook's example.
    let v: Vec<Person> = [23, 19, 42, 17, 17, 31, 30]
        .map(|age| Person { age })
        .into();
    let num_over_30 = v.par_iter().filter(|&x| x.age > 30).count() as f32;
    let sum_over_30 = v
        .par_iter()
        .map(|x| x.age)
        .filter(|&x| x > 30)
        .reduce(|| 0, |x, y| x + y);
    let alt_sum_30: u32 = v.par_iter().map(|x| x.age).filter(|&x| x > 30).sum();
    let avg_over_30 = sum_over_30 as f32 / num_over_30;
    let alt_avg_over_30 = alt_sum_30 as f32 / num_over_30;
    println!("The average age of people older than 30 is {avg_over_30} (with reduce)");
    println!("The average age of people older than 30 is {alt_avg_over_30} (with sum)");
    ensure!(
        avg_over_30 == 36.5 && alt_avg_over_30 == 36.5,
        "the cookbook's average is 36.5, got {avg_over_30} and {alt_avg_over_30}"
    );

    let people = population(len, seed);
    println!(
        "large population: {len} people aged 0 to 99 (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );
    let (expected, sequential) = median_time(runs, || over_30_sequential(&people));
    let (found, parallel) = median_time(runs, || over_30_parallel(&people));
    let (two_passes, two_passes_time) = median_time(runs, || over_30_two_passes_parallel(&people));
    for (how, r) in [("sequential fold", expected), ("parallel fold", found)] {
        let Over30 { count, age_sum } = r;
        // Nobody over 30 (a tiny --len) has no average.
        let average = match count {
            0 => "n/a".to_owned(),
            _ => format!("{:.4}", age_sum as f64 / count as f64),
        };
        println!("{how}: {count} people over 30, age sum {age_sum}, average {average}");
    }
    ensure!(
        found == expected && two_passes == expected,
        "the parallel fold gives {found:?}, the two passes {two_passes:?}, the sequential fold {expected:?}"
    );
    let speedup = |time: Duration| sequential.as_secs_f64() / time.as_secs_f64();
    println!(
        "over-30 fold: sequential {sequential:.2?}, parallel {parallel:.2?}, speedup {:.2}x (median of {runs} runs after a warm-up)",
        speedup(parallel)
    );
    println!(
        "the cookbook's two parallel passes (count, then sum): {two_passes_time:.2?}, speedup {:.2}x",
        speedup(two_passes_time)
    );
    println!(
        "Average age over 30: {avg_over_30} for the cookbook's people; parallel and sequential folds agree on {len} people"
    );
    Ok(())
}

// ---- kernels: plain functions, so that a benchmark can call them ----

impl Over30 {
    /// Counts in one more person over 30.
    fn add(self, person: &Person) -> Over30 {
        Over30 {
            count: self.count + 1,
            age_sum: self.age_sum + u64::from(person.age),
        }
    }

    /// Combines the results of two disjoint groups of people.
    fn merge(self, other: Over30) -> Over30 {
        Over30 {
            count: self.count + other.count,
            age_sum: self.age_sum + other.age_sum,
        }
    }
}

pub fn over_30_sequential(people: &[Person]) -> Over30 {
    people
        .iter()
        .filter(|p| p.age > 30)
        .fold(Over30::default(), Over30::add)
}

pub fn over_30_parallel(people: &[Person]) -> Over30 {
    people
        .par_iter()
        .filter(|p| p.age > 30)
        // Each piece rayon splits off is folded into its own `Over30`...
        .fold(Over30::default, Over30::add)
        // ...and the pieces' results are added up as the pieces rejoin.
        .reduce(Over30::default, Over30::merge)
}

/// The cookbook's way on the large population: one parallel pass to count,
/// another to sum, each reading every person from memory again.
pub fn over_30_two_passes_parallel(people: &[Person]) -> Over30 {
    let count = people.par_iter().filter(|p| p.age > 30).count() as u64;
    let age_sum = people
        .par_iter()
        .map(|p| u64::from(p.age))
        .filter(|&age| age > 30)
        .sum();
    Over30 { count, age_sum }
}

/// Runs `kernel` for a quarter of a second to warm up (caches, rayon's
/// workers, the CPUs' idle states), then `runs` times, as criterion does:
/// returns the last result and the median time.
fn median_time(runs: u32, kernel: impl Fn() -> Over30) -> (Over30, Duration) {
    let warm_up = Instant::now();
    let mut result = kernel();
    while warm_up.elapsed() < Duration::from_millis(250) {
        result = kernel();
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            result = kernel();
            started.elapsed()
        })
        .collect();
    times.sort();
    (result, times[times.len() / 2])
}

// ---- demo inputs ----

/// `len` people with random ages from 0 to 99, the same for the same seed.
pub fn population(len: usize, seed: u64) -> Vec<Person> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..len)
        .map(|_| Person {
            age: rng.random_range(0..100),
        })
        .collect()
}
