//! Count the primes up to N with a segmented sieve of Eratosthenes, segments in parallel.
//!
//! The primes up to sqrt(N) are found first, sequentially: they are all a
//! segment needs to cross out its composites. Then `par_chunks_mut` cuts the
//! table of N + 1 flags into segments of `--segment` numbers, and each worker
//! sieves and counts its own segments: disjoint `&mut` slices, so no locks.
//! A segment fits in the CPU cache, so each flag is fetched from memory once;
//! the table's pages are first touched by the worker that sieves them. Even
//! so the work per byte is small, and memory bandwidth limits the speedup.
//!
//! Only the times vary from run to run (each the median of `--runs` runs
//! after a warm-up). The sequential twin sieves the same segments with
//! `chunks_mut`, so the speedup is the threads' alone. pi(10^7) = 664579.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin prime-sieve -- --limit 100000000
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use rayon::prelude::*;

/// Count the primes up to --limit with a segmented sieve, in parallel.
#[derive(Parser)]
struct Args {
    /// Count the primes up to this number [0-1000000000; the table takes one byte per number].
    #[arg(long, default_value_t = 10_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(0..=1_000_000_000))]
    limit: usize,
    /// Numbers per segment: the unit of work of one task [16-16777216].
    #[arg(long, default_value_t = 1 << 18,
          value_parser = RangedU64ValueParser::<usize>::new().range(16..=1 << 24))]
    segment: usize,
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

fn run(
    Args {
        limit,
        segment,
        runs,
    }: Args,
) -> anyhow::Result<()> {
    println!(
        "sieving 0..={limit} in {} segments of {segment} numbers, rayon threads: {}",
        (limit + 1).div_ceil(segment),
        rayon::current_num_threads()
    );
    let ((_, expected), sequential) = median_time(runs, || sieve_sequential(limit, segment));
    let ((composite, count), parallel) = median_time(runs, || sieve_parallel(limit, segment));
    ensure!(
        count == expected,
        "the parallel sieve counted {count} primes, the sequential one {expected}"
    );
    println!(
        "sequential {:.2?}, parallel {:.2?}, speedup {:.2}x (median of {runs} runs after a warm-up)",
        sequential,
        parallel,
        sequential.as_secs_f64() / parallel.as_secs_f64()
    );
    if let Some(largest) = (2..=limit).rev().find(|&n| !composite[n]) {
        println!("largest prime up to {limit}: {largest}");
    }
    // A known answer that depends on where each prime is, not only how many.
    let sum: u64 = (0..=limit as u64).filter(|&n| !composite[n as usize]).sum();
    println!("sum of the primes up to {limit}: {sum}");
    println!("pi({limit}) = {count}");
    Ok(())
}

// ---- kernels: plain functions, so that a benchmark can call them ----

/// The sieve of 0..=limit (`true` = composite, or 0 or 1) and the number of
/// primes in it, one segment after another.
pub fn sieve_sequential(limit: usize, segment: usize) -> (Vec<bool>, usize) {
    let base = base_primes(limit);
    // `vec![false; ..]` asks the OS for zeroed pages; they are touched first
    // by whoever sieves them.
    let mut composite = vec![false; limit + 1];
    let count = composite
        .chunks_mut(segment)
        .enumerate()
        .map(|(i, chunk)| sieve_segment(chunk, i * segment, &base))
        .sum();
    (composite, count)
}

/// The same sieve, its segments sieved and counted on rayon's workers.
pub fn sieve_parallel(limit: usize, segment: usize) -> (Vec<bool>, usize) {
    let base = base_primes(limit);
    let mut composite = vec![false; limit + 1];
    // Each worker gets whole segments as disjoint `&mut` slices: no two
    // tasks write the same flag, so no lock. `enumerate` tells a segment
    // where it starts; the counts are added up as the tasks finish.
    let count = composite
        .par_chunks_mut(segment)
        .enumerate()
        .map(|(i, chunk)| sieve_segment(chunk, i * segment, &base))
        .sum();
    (composite, count)
}

/// Crosses out the composites of `chunk`, the numbers `start..start + len`,
/// with the base primes, and returns how many primes it holds.
fn sieve_segment(chunk: &mut [bool], start: usize, base: &[usize]) -> usize {
    let end = start + chunk.len();
    for n in start..end.min(2) {
        chunk[n - start] = true; // 0 and 1 are not primes
    }
    for &p in base.iter().take_while(|&&p| p * p < end) {
        // The first multiple of p in the segment, but never p itself.
        let first = (p * p).max(start.div_ceil(p) * p);
        for multiple in (first..end).step_by(p) {
            chunk[multiple - start] = true;
        }
    }
    chunk.iter().filter(|&&c| !c).count()
}

/// The primes up to sqrt(limit), by the plain sieve: all that is needed to
/// cross out every composite up to `limit`.
fn base_primes(limit: usize) -> Vec<usize> {
    let root = limit.isqrt();
    let mut composite = vec![false; root + 1];
    let mut primes = Vec::new();
    for n in 2..=root {
        if !composite[n] {
            primes.push(n);
            (n * n..=root).step_by(n).for_each(|m| composite[m] = true);
        }
    }
    primes
}

/// Runs `kernel` for a quarter of a second to warm up (caches, rayon's
/// workers, the CPUs' idle states), then `runs` times, as criterion does, and
/// returns the last result and the median time; each previous result is
/// freed after the clock stopped.
fn median_time<T>(runs: u32, kernel: impl Fn() -> T) -> (T, Duration) {
    let warm_up = Instant::now();
    let mut result = kernel();
    while warm_up.elapsed() < Duration::from_millis(250) {
        result = kernel();
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let fresh = kernel();
            let time = started.elapsed();
            result = fresh;
            time
        })
        .collect();
    times.sort();
    (result, times[times.len() / 2])
}
