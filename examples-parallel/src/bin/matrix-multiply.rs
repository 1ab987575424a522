//! Multiply matrices three ways: the naive loop, a cache-friendly loop order, then rows in parallel.
//!
//! The naive i-j-k loop walks down a column of B for every entry of the
//! product: a stride of n doubles, a cache miss per step on large matrices.
//! Swapping the two inner loops (i-k-j) reads B and writes the product row
//! by row, contiguously, and the compiler vectorises the innermost loop: the
//! same arithmetic, several times faster, before any thread is added. Only
//! then does `par_chunks_mut` hand the product's rows to rayon's workers,
//! each row a disjoint `&mut` slice that one task fills from the shared,
//! read-only A and B: no locks. Cache first, then cores.
//!
//! The matrices hold small integers, so every sum is exact in `f64` whatever
//! the order of the additions, and the three products must be equal. Only
//! the times vary from run to run (each the median of `--runs` runs after a
//! warm-up).
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin matrix-multiply -- --n 768
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// Multiply two random n x n matrices: naive, cache-friendly, parallel.
#[derive(Parser)]
struct Args {
    /// Rows and columns of the square matrices [1-2048].
    #[arg(long, default_value_t = 512,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=2048))]
    n: usize,
    /// Each time printed is the median of this many runs, after a warm-up [1-100].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
    /// Seed of the random matrices: the same seed gives the same matrices.
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

fn run(Args { n, runs, seed }: Args) -> anyhow::Result<()> {
    // A product small enough to check by hand, through all three kernels.
    let (a, b) = ([1., 2., 3., 4.], [5., 6., 7., 8.]);
    for kernel in [multiply_naive, multiply_sequential, multiply_parallel] {
        ensure!(
            kernel(&a, &b, 2) == [19., 22., 43., 50.],
            "2x2 product is wrong"
        );
    }
    println!("[[1, 2], [3, 4]] x [[5, 6], [7, 8]] = [[19, 22], [43, 50]] by all three kernels");

    println!(
        "multiplying two random {n}x{n} matrices of integers in -8..=8 (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );
    let (a, b) = (random_matrix(n, seed), random_matrix(n, seed + 1));
    let (naive, naive_time) = median_time(runs, || multiply_naive(&a, &b, n));
    let (sequential, sequential_time) = median_time(runs, || multiply_sequential(&a, &b, n));
    let (parallel, parallel_time) = median_time(runs, || multiply_parallel(&a, &b, n));
    ensure!(
        sequential == naive,
        "the i-k-j product differs from the naive one"
    );
    ensure!(
        parallel == naive,
        "the parallel product differs from the naive one"
    );

    let ratio = |slow: Duration, fast: Duration| slow.as_secs_f64() / fast.as_secs_f64();
    println!("naive i-j-k: {:.2?}", naive_time);
    println!(
        "cache-friendly i-k-j: {:.2?}, the loop order alone gains {:.2}x",
        sequential_time,
        ratio(naive_time, sequential_time)
    );
    println!(
        "parallel rows, i-k-j: {:.2?}, the threads gain {:.2}x more ({:.2}x in all)",
        parallel_time,
        ratio(sequential_time, parallel_time),
        ratio(naive_time, parallel_time)
    );
    println!("(each time the median of {runs} runs after a warm-up)");

    // A known answer that no kernel computed: the sum of all entries of AB is
    // the sum over k of (column k of A summed) x (row k of B summed).
    let sum_by_kernel: f64 = parallel.iter().sum();
    let sum_by_formula: f64 = (0..n)
        .map(|k| (0..n).map(|i| a[i * n + k]).sum::<f64>() * b[k * n..][..n].iter().sum::<f64>())
        .sum();
    println!(
        "sum of the product's entries: {sum_by_kernel} (from A's column sums and B's row sums: {sum_by_formula})"
    );
    println!("the three {n}x{n} products are equal");
    Ok(())
}

// ---- kernels: plain functions, so that a benchmark can call them ----
// Each matrix is n x n, its rows one after another in a slice.

/// The textbook loop: entry (i, j) is row i of A dotted with column j of B.
pub fn multiply_naive(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.; n * n];
    for i in 0..n {
        for j in 0..n {
            c[i * n + j] = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
        }
    }
    c
}

/// The i-k-j order, one row of the product after another.
pub fn multiply_sequential(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.; n * n];
    c.chunks_mut(n)
        .zip(a.chunks(n))
        .for_each(|(c_row, a_row)| row_times_matrix(a_row, b, c_row));
    c
}

/// The i-k-j order, the rows of the product filled on rayon's workers.
pub fn multiply_parallel(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.; n * n];
    // Each task owns one row of C (a disjoint `&mut` slice) and only reads
    // A and B, which every task shares: nothing to lock.
    c.par_chunks_mut(n)
        .zip(a.par_chunks(n))
        .for_each(|(c_row, a_row)| row_times_matrix(a_row, b, c_row));
    c
}

/// Row i of C = row i of A times B: for each k, add a[i][k] times row k of
/// B. Every access is contiguous, and the inner loop vectorises.
fn row_times_matrix(a_row: &[f64], b: &[f64], c_row: &mut [f64]) {
    for (&a_ik, b_row) in a_row.iter().zip(b.chunks(c_row.len())) {
        for (c, &b_kj) in c_row.iter_mut().zip(b_row) {
            *c += a_ik * b_kj;
        }
    }
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

// ---- demo inputs ----

/// An n x n matrix of random integers in -8..=8, the same for the same seed.
pub fn random_matrix(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n * n)
        .map(|_| f64::from(rng.random_range(-8..=8)))
        .collect()
}
