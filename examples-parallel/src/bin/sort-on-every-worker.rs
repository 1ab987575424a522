//! Run std's own sort on every rayon worker: split by value (partition), or by position (merge).
//!
//! std's `sort_unstable` and `sort` are faster on one thread than rayon's
//! sorting code (see `parallel-sort`), so the fastest parallel sort on a few
//! cores runs std's sort on every worker. The two classic ways to split the
//! work, each timed against std's sort of the same input (the median of
//! `--runs` runs after a warm-up; only the timings vary from run to run):
//! - by value (`partition_then_sort`): partition around pivots taken from a
//!   sample into one piece per worker, the way a quicksort starts, then
//!   `sort_unstable` the pieces in parallel. No buffer; not stable; an input
//!   with few distinct values may split unevenly: still sorted, only less in
//!   parallel.
//! - by position (`sort_pieces_then_merge`): `sort` one piece per worker,
//!   then merge the sorted pieces, each merge split between the workers too.
//!   Stable, at the price of a buffer as long as the input (a program that
//!   sorts again and again can keep one: `sort_pieces_then_merge_with_buffer`).
//!
//! Both must equal std's sort on every input shape (`--input`).
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin sort-on-every-worker -- --len 10000000
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::builder::RangedU64ValueParser;
use clap::{Parser, ValueEnum};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Slices shorter than twice this are sorted in one piece.
const MIN_PIECE: usize = 16 * 1024;
/// Merges of up to this many elements run on one thread.
const MERGE_CUTOFF: usize = 16 * 1024;
/// How many evenly spaced elements a pivot is chosen from.
const SAMPLE: usize = 4096;

/// Sort numbers by running std's sort on every rayon worker.
#[derive(Parser)]
struct Args {
    /// How many numbers to sort [1-10000000].
    #[arg(long, default_value_t = 100_000,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000_000))]
    len: usize,
    /// The shape of the input.
    #[arg(long, value_enum, default_value_t = Input::Random)]
    input: Input,
    /// Each time printed is the median of this many runs, after a warm-up [1-100].
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
    /// Seed of the random numbers: the same seed gives the same input.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Input {
    Random,
    Sorted,
    Reversed,
    /// Random numbers below 3: many equal keys, uneven partitions.
    FewDistinct,
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
        len,
        input,
        runs,
        seed,
    }: Args,
) -> anyhow::Result<()> {
    let numbers = numbers(input, len, seed);
    println!(
        "sorting {len} numbers, rayon threads: {}",
        rayon::current_num_threads()
    );
    type Sort = fn(&mut [u64]);
    let kernels: [(&str, &str, Sort, Sort); 2] = [
        (
            "sort_unstable",
            "partition + sort_unstable per worker",
            <[u64]>::sort_unstable,
            partition_then_sort,
        ),
        (
            "sort",
            "sort per worker + parallel merge",
            <[u64]>::sort,
            sort_pieces_then_merge,
        ),
    ];
    for (std_name, name, std_sort, sort) in kernels {
        let [(expected, sequential), (sorted, parallel)] =
            median_times(&numbers, [std_sort, sort], runs);
        ensure!(sorted == expected, "{name} differs from std's {std_name}");
        println!(
            "{std_name} vs {name}: sequential {:.2} ms, parallel {:.2} ms, speedup {:.2}x (median of {runs} runs after a warm-up)",
            sequential.as_secs_f64() * 1e3,
            parallel.as_secs_f64() * 1e3,
            sequential.as_secs_f64() / parallel.as_secs_f64()
        );
        println!(
            "{name}: sum {}, smallest {}, largest {}",
            sum(&sorted),
            sorted[0],
            sorted[len - 1]
        );
    }
    println!("Both sorts on every worker equal std's sort on {len} numbers");
    Ok(())
}

/// Sorts `v` unstably: splits it by value into one piece per rayon worker,
/// the way a quicksort starts, and sorts the pieces with std's
/// `sort_unstable`, in parallel. Needs no buffer.
pub fn partition_then_sort<T: Ord + Clone + Send>(v: &mut [T]) {
    partition_into_pieces(v, rayon::current_num_threads());
}

fn partition_into_pieces<T: Ord + Clone + Send>(v: &mut [T], pieces: usize) {
    if pieces < 2 || v.len() < 2 * MIN_PIECE {
        v.sort_unstable();
        return;
    }
    // With three workers: a third of the values on the left, two thirds on
    // the right, to be split again.
    let left_pieces = pieces / 2;
    let pivot = sample_quantile(v, left_pieces, pieces);
    let mid = partition(v, &pivot);
    let (left, right) = v.split_at_mut(mid);
    // The two sides are disjoint: they are sorted at the same time.
    rayon::join(
        || partition_into_pieces(left, left_pieces),
        || partition_into_pieces(right, pieces - left_pieces),
    );
}

/// Sorts `v` stably: std's `sort` on one piece per rayon worker, then the
/// sorted pieces merged pairwise, each merge split between the workers too.
/// Needs a buffer as long as `v`.
pub fn sort_pieces_then_merge<T: Ord + Copy + Default + Send + Sync>(v: &mut [T]) {
    if rayon::current_num_threads() < 2 || v.len() < 2 * MIN_PIECE {
        v.sort(); // one piece: no buffer needed
        return;
    }
    // A `vec!` of zeros comes as pages the kernel maps on first write: in
    // the workers, in parallel (a page fault per 4 KiB, a good part of the
    // sort on a small machine).
    let mut buf = vec![T::default(); v.len()];
    sort_pieces_then_merge_with_buffer(v, &mut buf);
}

/// [`sort_pieces_then_merge`] with the caller's buffer, at least as long as
/// `v`, which a program that sorts again and again can keep.
pub fn sort_pieces_then_merge_with_buffer<T: Ord + Copy + Send + Sync>(v: &mut [T], buf: &mut [T]) {
    let len = v.len();
    sort_pieces(
        v,
        &mut buf[..len],
        rayon::current_num_threads(),
        Into::Slice,
    );
}

/// Which of the two slices receives a sorted result.
#[derive(Clone, Copy, PartialEq)]
enum Into {
    Slice,
    Buffer,
}

/// Sorts `v` in `pieces` pieces and leaves the result in `v` or in `buf`, as
/// `into` says. The halves leave theirs in the other slice, so each merge
/// reads from one slice and writes into the other, with no copying back.
fn sort_pieces<T: Ord + Copy + Send + Sync>(v: &mut [T], buf: &mut [T], pieces: usize, into: Into) {
    if pieces < 2 || v.len() < 2 * MIN_PIECE {
        v.sort();
        if into == Into::Buffer {
            buf.copy_from_slice(v);
        }
        return;
    }
    let left_pieces = pieces / 2;
    let mid = v.len() / pieces * left_pieces;
    let halves_into = match into {
        Into::Slice => Into::Buffer,
        Into::Buffer => Into::Slice,
    };
    {
        let (v_left, v_right) = v.split_at_mut(mid);
        let (buf_left, buf_right) = buf.split_at_mut(mid);
        rayon::join(
            || sort_pieces(v_left, buf_left, left_pieces, halves_into),
            || sort_pieces(v_right, buf_right, pieces - left_pieces, halves_into),
        );
    }
    // `join` returned: both halves are sorted, so they can be merged.
    let (from, to) = match into {
        Into::Slice => (&*buf, v),
        Into::Buffer => (&*v, buf),
    };
    let (left, right) = from.split_at(mid);
    merge(left, right, to);
}

/// Merges the sorted `left` and `right` into `out`, in parallel: the middle
/// element of the longer input splits it, a binary search splits the other
/// at the same value, and the two smaller merges run with `rayon::join`.
/// Equal elements keep `left`'s first, so the merge is stable.
fn merge<T: Ord + Copy + Send + Sync>(left: &[T], right: &[T], out: &mut [T]) {
    if out.len() <= MERGE_CUTOFF {
        merge_sequential(left, right, out);
        return;
    }
    let (l, r) = if left.len() >= right.len() {
        let l = left.len() / 2;
        (l, right.partition_point(|x| *x < left[l]))
    } else {
        let r = right.len() / 2;
        (left.partition_point(|x| *x <= right[r]), r)
    };
    let (out_left, out_right) = out.split_at_mut(l + r);
    rayon::join(
        || merge(&left[..l], &right[..r], out_left),
        || merge(&left[l..], &right[r..], out_right),
    );
}

/// The textbook merge, written so that choosing the next element compiles to
/// a conditional move, not a branch mispredicted on random data.
fn merge_sequential<T: Ord + Copy>(left: &[T], right: &[T], out: &mut [T]) {
    let (mut l, mut r) = (0, 0);
    while l < left.len() && r < right.len() {
        let take_right = right[r] < left[l];
        out[l + r] = if take_right { right[r] } else { left[l] };
        r += usize::from(take_right);
        l += usize::from(!take_right);
    }
    let rest = if l < left.len() {
        &left[l..]
    } else {
        &right[r..]
    };
    out[l + r..].copy_from_slice(rest);
}

/// The value with about `numerator / denominator` of `v` below it, estimated
/// from `SAMPLE` evenly spaced elements. Only the chosen one is cloned.
fn sample_quantile<T: Ord + Clone>(v: &[T], numerator: usize, denominator: usize) -> T {
    let mut sample: Vec<&T> = v.iter().step_by((v.len() / SAMPLE).max(1)).collect();
    sample.sort_unstable();
    sample[sample.len() / denominator * numerator].clone()
}

/// Moves the elements less than `pivot` to the front of `v` and returns how
/// many there are: a branch-free Lomuto partition (each step swaps, then
/// advances the boundary by 0 or 1).
fn partition<T: Ord>(v: &mut [T], pivot: &T) -> usize {
    let mut less = 0;
    for i in 0..v.len() {
        let is_less = v[i] < *pivot;
        v.swap(i, less);
        less += usize::from(is_less);
    }
    less
}

/// Runs both kernels on fresh copies of `input`, taking turns (so that other
/// work on the machine slows both alike), once to warm up and then `runs`
/// times, as criterion does; the copying and freeing are left out of the
/// timing. Returns each kernel's last result and median time.
fn median_times(
    input: &[u64],
    kernels: [fn(&mut [u64]); 2],
    runs: u32,
) -> [(Vec<u64>, Duration); 2] {
    let mut results = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
    for run in 0..=runs {
        for (kernel, (result, times)) in kernels.iter().zip(&mut results) {
            let mut v = input.to_vec();
            let started = Instant::now();
            kernel(&mut v);
            if run > 0 {
                times.push(started.elapsed()); // run 0 is the warm-up
            }
            *result = v; // the previous copy is freed here, after the clock stopped
        }
    }
    results.map(|(result, mut times)| {
        times.sort();
        (result, times[times.len() / 2])
    })
}

/// The sum of `v` modulo 2^64: the same for every order of the same numbers.
fn sum(v: &[u64]) -> u64 {
    v.iter().fold(0, |a, &x| a.wrapping_add(x))
}

// ---- demo inputs ----

/// `len` numbers of the given shape, the same for the same seed.
pub fn numbers(input: Input, len: usize, seed: u64) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let len = len as u64;
    match input {
        Input::Random => (0..len).map(|_| rng.random()).collect(),
        Input::Sorted => (0..len).collect(),
        Input::Reversed => (0..len).rev().collect(),
        Input::FewDistinct => (0..len).map(|_| rng.random_range(0..3)).collect(),
    }
}
