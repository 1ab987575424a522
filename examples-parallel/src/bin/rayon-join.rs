//! Divide and conquer with `rayon::join`: a parallel merge sort.
//!
//! `rayon::join(a, b)` runs `a` on the current thread and offers `b` to the
//! other workers: an idle worker steals it and the two halves run at the same
//! time; if every worker is busy, the current thread runs `b` itself once `a`
//! is done. Either way `join` returns when both are finished, and the borrow
//! checker knows that each closure touches only its own half of the slice.
//! Up to `--cutoff` elements, offering work costs more than it gains, so the
//! recursion goes on sequentially there.
//!
//! The number of `join` calls depends only on `--len` and `--cutoff`; how
//! many second halves were stolen by another worker varies from run to run
//! (none with one thread). The sequential version is the same merge sort
//! without `join`; the std sort is the reference the result must equal.
//! Inputs of up to 16 numbers are printed in full.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin rayon-join -- --len 4000000 --cutoff 10000
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// The largest `--len`: four vectors of 800 MB at the peak.
const MAX_LEN: usize = 100_000_000;
/// Inputs up to this long are printed in full.
const SHOW_ALL: usize = 16;
/// Slices up to this long are insertion-sorted.
const INSERTION_SORT_LEN: usize = 16;

/// Sort random numbers with a merge sort parallelised by `rayon::join`.
#[derive(Parser)]
struct Args {
    /// How many random numbers to sort.
    #[arg(long, default_value_t = 4_000_000)]
    len: usize,
    /// Slices of at most this many numbers are sorted without `join`.
    #[arg(long, default_value_t = 10_000)]
    cutoff: usize,
    /// Seed of the random numbers: the same seed gives the same input.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// How many times the sort called `rayon::join`, and in how many of those
/// calls the second half ran on another worker than the first.
#[derive(Clone, Copy, Debug, Default)]
pub struct Joins {
    pub calls: u64,
    pub stolen: u64,
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

fn run(Args { len, cutoff, seed }: Args) -> anyhow::Result<()> {
    ensure!(
        (1..=MAX_LEN).contains(&len),
        "--len must be between 1 and {MAX_LEN}, got {len}"
    );
    ensure!(
        (1..=MAX_LEN).contains(&cutoff),
        "--cutoff must be between 1 and {MAX_LEN}, got {cutoff}"
    );
    println!(
        "merge sort of {len} random numbers (seed {seed}), cutoff {cutoff}, rayon threads: {}",
        rayon::current_num_threads()
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let numbers: Vec<u64> = (0..len).map(|_| rng.random()).collect();
    if len <= SHOW_ALL {
        println!("random numbers: {numbers:?}");
    }

    let mut reference = numbers.clone();
    let ((), std_time) = timed(|| reference.sort());
    let mut sequential = numbers.clone();
    let ((), sequential_time) = timed(|| merge_sort_sequential(&mut sequential));
    let mut parallel = numbers;
    let (joins, parallel_time) = timed(|| merge_sort_parallel(&mut parallel, cutoff));
    ensure!(
        sequential == reference,
        "the sequential merge sort differs from the std sort"
    );
    ensure!(
        parallel == reference,
        "the parallel merge sort differs from the std sort"
    );

    println!(
        "merge sort: sequential {:.1} ms, parallel {:.1} ms, speedup {:.2}x",
        millis(sequential_time),
        millis(parallel_time),
        sequential_time.as_secs_f64() / parallel_time.as_secs_f64()
    );
    println!("std sort (reference): {:.1} ms", millis(std_time));
    println!("rayon::join calls: {}", joins.calls);
    println!("second halves stolen by another worker: {}", joins.stolen);
    if len <= SHOW_ALL {
        println!("parallel merge sort: {parallel:?}");
    }
    println!("Parallel merge sort equals the std sort on {len} numbers");
    Ok(())
}

// ---- kernels: plain functions, so that a benchmark can call them ----

/// Sorts `v` with a top-down merge sort, on the current thread only.
pub fn merge_sort_sequential<T: Ord + Copy>(v: &mut [T]) {
    let mut buf = v.to_vec();
    sort_sequential(v, &mut buf);
}

/// Sorts `v` with a top-down merge sort whose halves longer than `cutoff`
/// are sorted in parallel with `rayon::join`.
pub fn merge_sort_parallel<T: Ord + Copy + Send>(v: &mut [T], cutoff: usize) -> Joins {
    let mut buf = v.to_vec();
    sort_parallel(v, &mut buf, cutoff)
}

fn sort_parallel<T: Ord + Copy + Send>(v: &mut [T], buf: &mut [T], cutoff: usize) -> Joins {
    if v.len() <= cutoff {
        sort_sequential(v, buf);
        return Joins::default();
    }
    let mid = v.len() / 2;
    let (left, right) = v.split_at_mut(mid);
    let (buf_left, buf_right) = buf.split_at_mut(mid);
    // The two closures borrow disjoint halves, so they may run at the same
    // time; `join` returns only when both have finished.
    let ((left_thread, a), (right_thread, b)) = rayon::join(
        || {
            (
                rayon::current_thread_index(),
                sort_parallel(left, buf_left, cutoff),
            )
        },
        || {
            (
                rayon::current_thread_index(),
                sort_parallel(right, buf_right, cutoff),
            )
        },
    );
    // Both halves are sorted now: merging them needs no synchronisation.
    merge(left, right, buf);
    v.copy_from_slice(buf);
    Joins {
        calls: 1 + a.calls + b.calls,
        stolen: u64::from(left_thread != right_thread) + a.stolen + b.stolen,
    }
}

fn sort_sequential<T: Ord + Copy>(v: &mut [T], buf: &mut [T]) {
    if v.len() <= INSERTION_SORT_LEN {
        insertion_sort(v);
        return;
    }
    let mid = v.len() / 2;
    let (left, right) = v.split_at_mut(mid);
    let (buf_left, buf_right) = buf.split_at_mut(mid);
    sort_sequential(left, buf_left);
    sort_sequential(right, buf_right);
    merge(left, right, buf);
    v.copy_from_slice(buf);
}

/// Merges the sorted `left` and `right` into `out`; on ties `left` goes
/// first, which keeps the sort stable.
fn merge<T: Ord + Copy>(left: &[T], right: &[T], out: &mut [T]) {
    let (mut i, mut j) = (0, 0);
    for slot in out.iter_mut() {
        if j == right.len() || (i < left.len() && left[i] <= right[j]) {
            *slot = left[i];
            i += 1;
        } else {
            *slot = right[j];
            j += 1;
        }
    }
}

fn insertion_sort<T: Ord + Copy>(v: &mut [T]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v[j - 1] > v[j] {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The result of `f` and the wall-clock time it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let result = f();
    (result, started.elapsed())
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
