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
//! (none with one thread), and so do the timings (each the median of
//! `--runs` runs after a warm-up). The sequential version is the same merge
//! sort without `join`; the std sort is the reference the result must equal.
//! With `--meet`, the two halves of the first `join` wait for each other at
//! a `Barrier` before sorting: only halves that really run at the same time
//! get past it. Inputs of up to 16 numbers are printed in full.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin rayon-join -- --len 4000000 --cutoff 10000
//! ```

use std::process::ExitCode;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Inputs up to this long are printed in full.
const SHOW_ALL: usize = 16;

/// Sort random numbers with a merge sort parallelised by `rayon::join`.
#[derive(Parser)]
struct Args {
    /// How many random numbers to sort [1-100000000].
    #[arg(long, default_value_t = 4_000_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000_000))]
    len: usize,
    /// Slices of at most this many numbers are sorted without `join` [1-100000000].
    #[arg(long, default_value_t = 10_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000_000))]
    cutoff: usize,
    /// Seed of the random numbers: the same seed gives the same input.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Each time printed is the median of this many runs, after a warm-up [1-100].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
    /// The two halves of the first `join` wait for each other at a barrier
    /// (needs --len above --cutoff and 2 or more rayon threads).
    #[arg(long)]
    meet: bool,
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
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(args: Args) -> anyhow::Result<()> {
    let (len, cutoff, seed, runs) = (args.len, args.cutoff, args.seed, args.runs);
    let threads = rayon::current_num_threads();
    ensure!(
        !args.meet || (len > cutoff && threads >= 2),
        "--meet needs --len above --cutoff and 2 or more threads"
    );
    println!(
        "merge sort of {len} random numbers (seed {seed}), cutoff {cutoff}, rayon threads: {threads}"
    );
    let numbers = random_numbers(len, seed);
    let barrier = Barrier::new(2);
    let meet = args.meet.then_some(&barrier);
    let mut joins = Joins::default();
    let (reference, std_time) = median_time(&numbers, runs, |v| v.sort());
    let (sequential, sequential_time) = median_time(&numbers, runs, merge_sort_sequential);
    let (parallel, parallel_time) = median_time(&numbers, runs, |v| {
        joins = merge_sort_parallel(v, cutoff, meet);
    });
    ensure!(
        sequential == reference && parallel == reference,
        "the merge sorts differ from the std sort"
    );

    let speedup = sequential_time.as_secs_f64() / parallel_time.as_secs_f64();
    println!(
        "merge sort: sequential {sequential_time:.1?}, parallel {parallel_time:.1?}, speedup {speedup:.2}x (median of {runs} runs after a warm-up)"
    );
    println!("std sort (reference): {std_time:.1?}");
    println!("rayon::join calls: {}", joins.calls);
    println!("second halves stolen by another worker: {}", joins.stolen);
    if len <= SHOW_ALL {
        println!("random numbers: {numbers:?}");
        println!("parallel merge sort: {parallel:?}");
    }
    println!("Parallel merge sort equals the std sort on {len} numbers");
    Ok(())
}

// ---- the two merge sorts ----

/// Sorts `v` with a top-down merge sort, on the current thread only.
pub fn merge_sort_sequential(v: &mut [u64]) {
    let mut buf = v.to_vec();
    sort_sequential(v, &mut buf);
}

/// Sorts `v` with a top-down merge sort whose halves longer than `cutoff`
/// are sorted in parallel with `rayon::join`. With `meet`, the two halves
/// of the first `join` wait for each other there.
pub fn merge_sort_parallel(v: &mut [u64], cutoff: usize, meet: Option<&Barrier>) -> Joins {
    let mut buf = v.to_vec();
    sort_parallel(v, &mut buf, cutoff, meet)
}

fn sort_parallel(v: &mut [u64], buf: &mut [u64], cutoff: usize, meet: Option<&Barrier>) -> Joins {
    if v.len() <= cutoff {
        sort_sequential(v, buf);
        return Joins::default();
    }
    let mid = v.len() / 2;
    let (left, right) = v.split_at_mut(mid);
    let (buf_left, buf_right) = buf.split_at_mut(mid);
    // A half that first waits for the other (with `meet`) and records the
    // worker it ran on.
    let half = |v: &mut [u64], buf: &mut [u64]| {
        if let Some(barrier) = meet {
            barrier.wait();
        }
        let thread = rayon::current_thread_index();
        (thread, sort_parallel(v, buf, cutoff, None))
    };
    // The two closures borrow disjoint halves, so they may run at the same
    // time; `join` returns only when both have finished.
    let ((left_thread, a), (right_thread, b)) =
        rayon::join(|| half(left, buf_left), || half(right, buf_right));
    // Both halves are sorted now: merging them needs no synchronisation.
    merge(left, right, buf);
    v.copy_from_slice(buf);
    Joins {
        calls: 1 + a.calls + b.calls,
        stolen: u64::from(left_thread != right_thread) + a.stolen + b.stolen,
    }
}

/// The same merge sort without `join`, down to slices of one number.
fn sort_sequential(v: &mut [u64], buf: &mut [u64]) {
    if v.len() <= 1 {
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
fn merge(left: &[u64], right: &[u64], out: &mut [u64]) {
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

/// Sorts fresh copies of `input` for a quarter of a second to warm up
/// (caches, rayon's workers, the CPUs' idle states), then `runs` times, as
/// criterion does; the copying and freeing are left out of the timing.
/// Returns the last sorted copy and the median time.
fn median_time(input: &[u64], runs: u32, mut sort: impl FnMut(&mut [u64])) -> (Vec<u64>, Duration) {
    let warm_up = Instant::now();
    let (mut sorted, mut times) = (Vec::new(), Vec::new());
    while times.len() < runs as usize {
        let warming_up = warm_up.elapsed() < Duration::from_millis(250);
        let mut v = input.to_vec();
        let started = Instant::now();
        sort(&mut v);
        if !warming_up {
            times.push(started.elapsed());
        }
        sorted = v; // the previous copy is freed here, after the clock stopped
    }
    times.sort();
    (sorted, times[times.len() / 2])
}

// ---- demo inputs ----

/// `len` random numbers, the same for the same seed.
pub fn random_numbers(len: usize, seed: u64) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.random()).collect()
}
