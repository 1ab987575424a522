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
    let [
        (expected, sequential),
        (found, parallel),
        (two_passes, two_passes_time),
    ] = median_times(
        runs,
        [
            &|| over_30_sequential(&people),
            &|| over_30_parallel(&people),
            &|| over_30_two_passes_parallel(&people),
        ],
    );
    for (how, r) in [("sequential fold", expected), ("parallel fold", found)] {
        // Nobody over 30 (a tiny --len) has no average.
        let average = match r.count {
            0 => "n/a".to_owned(),
            count => format!("{:.4}", r.age_sum as f64 / count as f64),
        };
        println!(
            "{how}: {} people over 30, age sum {}, average {average}",
            r.count, r.age_sum
        );
    }
    ensure!(
        found == expected,
        "the parallel fold gives {found:?}, the sequential one {expected:?}"
    );
    ensure!(
        two_passes == expected,
        "the two passes give {two_passes:?}, the fold {expected:?}"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "over-30 fold: sequential {:.2} ms, parallel {:.2} ms, speedup {:.2}x (median of {runs} runs after a warm-up)",
        ms(sequential),
        ms(parallel),
        sequential.as_secs_f64() / parallel.as_secs_f64()
    );
    println!(
        "the cookbook's two parallel passes (count, then sum): {:.2} ms, speedup {:.2}x",
        ms(two_passes_time),
        sequential.as_secs_f64() / two_passes_time.as_secs_f64()
    );
    println!(
        "Average age over 30: {avg_over_30} for the cookbook's people; parallel and sequential folds agree on {len} people"
    );
    Ok(())
}

// ---- kernels: plain functions, so that a benchmark can call them ----

impl Over30 {
    /// Counts `person` in if they are over 30.
    fn add(self, person: &Person) -> Over30 {
        if person.age > 30 {
            Over30 {
                count: self.count + 1,
                age_sum: self.age_sum + u64::from(person.age),
            }
        } else {
            self
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
    people.iter().fold(Over30::default(), Over30::add)
}

pub fn over_30_parallel(people: &[Person]) -> Over30 {
    people
        .par_iter()
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

/// Runs the kernels taking turns (so that other work on the machine slows
/// them alike), once to warm up and then `runs` times, as criterion does:
/// returns each one's result and median time.
fn median_times<const N: usize>(
    runs: u32,
    kernels: [&dyn Fn() -> Over30; N],
) -> [(Over30, Duration); N] {
    let mut results: [(Over30, Vec<Duration>); N] = std::array::from_fn(|_| Default::default());
    for run in 0..=runs {
        for (kernel, (result, times)) in kernels.iter().zip(&mut results) {
            let started = Instant::now();
            *result = kernel();
            if run > 0 {
                times.push(started.elapsed()); // run 0 is the warm-up
            }
        }
    }
    results.map(|(result, mut times)| {
        times.sort();
        (result, times[times.len() / 2])
    })
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
