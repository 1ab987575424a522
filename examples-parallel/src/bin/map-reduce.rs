//! Map-reduce in parallel: `filter`, `map`, `reduce` and `sum`, then a one-pass `fold`.
//!
//! First the cookbook's seven people: the average age of those over 30 is
//! 36.5, computed once with `reduce` and once with `sum`. `reduce` needs an
//! identity (`|| 0`) because rayon may start a partial sum on every piece it
//! splits off; the pieces' results are then combined, left piece with right
//! piece, grouped however the work happened to be split, which is why the
//! operation must be associative (it need not be commutative).
//!
//! Then a large generated population (`--len`, `--seed`): the cookbook walks
//! the people twice (once to count, once to sum); `fold` does both in one
//! pass, each worker folding its pieces into a `(count, age sum)` pair, and
//! `reduce` adds the pairs. The result must equal a sequential `fold` exactly
//! (integers, so no rounding differences). The timings vary from run to run;
//! with so little work per person, memory bandwidth limits the speedup.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin map-reduce -- --len 20000000 --seed 42
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// The largest `--len` (400 MB of people).
const MAX_LEN: usize = 100_000_000;

/// Average the ages over 30 of a small and a large population.
#[derive(Parser)]
struct Args {
    /// Size of the large generated population.
    #[arg(long, default_value_t = 20_000_000)]
    len: usize,
    /// Seed of the generated ages: the same seed gives the same population.
    #[arg(long, default_value_t = 42)]
    seed: u64,
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

    // The cookbook's example.
    let v: Vec<Person> = vec![
        Person { age: 23 },
        Person { age: 19 },
        Person { age: 42 },
        Person { age: 17 },
        Person { age: 17 },
        Person { age: 31 },
        Person { age: 30 },
    ];
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
        (avg_over_30 - alt_avg_over_30).abs() < f32::EPSILON,
        "reduce and sum disagree: {avg_over_30} and {alt_avg_over_30}"
    );

    let people = population(len, seed);
    println!(
        "large population: {len} people aged 0 to 99 (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );
    let (expected, sequential_time) = timed(|| over_30_sequential(&people));
    let (found, parallel_time) = timed(|| over_30_parallel(&people));
    let (two_passes, two_passes_time) = timed(|| over_30_two_passes_parallel(&people));
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
    println!(
        "over-30 fold: sequential {:.1} ms, parallel {:.1} ms, speedup {:.2}x",
        sequential_time.as_secs_f64() * 1e3,
        parallel_time.as_secs_f64() * 1e3,
        sequential_time.as_secs_f64() / parallel_time.as_secs_f64()
    );
    ensure!(
        two_passes == expected,
        "the cookbook's two passes give {two_passes:?}, the fold {expected:?}"
    );
    println!(
        "the cookbook's two parallel passes (count, then sum): {:.1} ms, against {:.1} ms for the one-pass parallel fold",
        two_passes_time.as_secs_f64() * 1e3,
        parallel_time.as_secs_f64() * 1e3
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
        // Each worker folds the pieces it takes into its own `Over30`...
        .fold(Over30::default, Over30::add)
        // ...and the partial results are added up as the pieces rejoin.
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

/// The result of `f` and the wall-clock time it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let result = f();
    (result, started.elapsed())
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
