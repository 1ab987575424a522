//! Run std's own sort on every rayon worker: split by value (partition), or by position (merge).
//!
//! std's `sort_unstable` and `sort` are faster on one thread than rayon's
//! sorting code (see `parallel-sort`), so the fastest parallel sort on a few
//! cores runs std's sort on every worker. The two classic ways to split the
//! work, each timed against std's sort of the same input (the median of
//! `--runs` runs after a warm-up; only the timings vary from run to run):
//! - by value (`partition_then_sort`): std's `select_nth_unstable` moves the
//!   smaller half of the input (a third, with three workers) in front of the
//!   rest, the way a quicksort partitions, until there is one piece per
//!   worker; then `sort_unstable` sorts the pieces in parallel. No buffer;
//!   not stable; pieces of equal length whatever the input, but each split
//!   runs on one thread.
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
use clap::{Parser, ValueEnum};
use rand::{RngExt, SeedableRng, rngs::StdRng};

/// Slices shorter than twice this are sorted in one piece.
const MIN_PIECE: usize = 16 * 1024;
/// Merges of up to this many elements run on one thread.
const MERGE_CUTOFF: usize = 16 * 1024;
/// A sort of numbers: std's, or one of the two on every worker.
type Sort = fn(&mut [u64]);

/// Sort numbers by running std's sort on every rayon worker.
#[derive(Parser)]
struct Args {
    /// How many numbers to sort [1-10000000].
    #[arg(long, default_value_t = 100_000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    len: u64,
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
    /// Random numbers below 3: many equal keys.
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

fn run(args: Args) -> anyhow::Result<()> {
    let (len, threads) = (args.len, rayon::current_num_threads());
    let numbers = numbers(args.input, len, args.seed);
    println!("sorting {len} numbers, rayon threads: {threads}");
    let names = ["sort_unstable", "partition + sort_unstable per worker"];
    let kernels: [Sort; 2] = [<[u64]>::sort_unstable, partition_then_sort];
    compare(&numbers, args.runs, names, kernels)?;
    let names = ["sort", "sort per worker + parallel merge"];
    let kernels: [Sort; 2] = [<[u64]>::sort, sort_pieces_then_merge];
    compare(&numbers, args.runs, names, kernels)?;
    println!("Both sorts on every worker equal std's sort on {len} numbers");
    Ok(())
}

/// Sorts `v` unstably: splits it by value into one piece per rayon worker,
/// the way a quicksort starts, and sorts the pieces with std's
/// `sort_unstable`, in parallel. Needs no buffer.
pub fn partition_then_sort<T: Ord + Send>(v: &mut [T]) {
    partition_into_pieces(v, rayon::current_num_threads());
}

fn partition_into_pieces<T: Ord + Send>(v: &mut [T], pieces: usize) {
    if pieces < 2 || v.len() < 2 * MIN_PIECE {
        return v.sort_unstable();
    }
    // With three workers: the smallest third on the left, the other two
    // thirds on the right, to be split again. std's `select_nth_unstable`
    // (a quickselect: quicksort's partitioning, following only the side
    // that holds position `mid`) moves the `mid` smallest elements in front.
    let left_pieces = pieces / 2;
    let mid = v.len() / pieces * left_pieces;
    v.select_nth_unstable(mid);
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
    sort_pieces(v, &mut buf[..len], rayon::current_num_threads());
}

/// Sorts `v` with std's `sort` on `pieces` pieces at once, then merges them;
/// `buf`, as long as `v`, holds the sorted halves during each merge.
fn sort_pieces<T: Ord + Copy + Send + Sync>(v: &mut [T], buf: &mut [T], pieces: usize) {
    if pieces < 2 || v.len() < 2 * MIN_PIECE {
        return v.sort();
    }
    let left_pieces = pieces / 2;
    let mid = v.len() / pieces * left_pieces;
    let (v_left, v_right) = v.split_at_mut(mid);
    let (buf_left, buf_right) = buf.split_at_mut(mid);
    rayon::join(
        || sort_pieces(v_left, buf_left, left_pieces),
        || sort_pieces(v_right, buf_right, pieces - left_pieces),
    );
    // `join` returned: both halves are sorted. They are copied aside (the
    // two copies at once) and merged back into `v`.
    rayon::join(
        || buf_left.copy_from_slice(v_left),
        || buf_right.copy_from_slice(v_right),
    );
    merge(&buf[..mid], &buf[mid..], v);
}

/// Merges the sorted `left` and `right` into `out`, in parallel: the middle
/// element of the longer input splits it, a binary search splits the other
/// at the same value, and the two smaller merges run with `rayon::join`.
/// Equal elements keep `left`'s first, so the merge is stable.
fn merge<T: Ord + Copy + Send + Sync>(left: &[T], right: &[T], out: &mut [T]) {
    if out.len() <= MERGE_CUTOFF {
        return merge_sequential(left, right, out);
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
    // One input is used up (its rest is empty): the other's rest ends `out`.
    out[l + r..][..left.len() - l].copy_from_slice(&left[l..]);
    out[left.len() + r..].copy_from_slice(&right[r..]);
}

/// Times both kernels (std's sort, then its rival named by `names`) on
/// `input` (see [`median_time`]), checks that the two agree and prints their
/// median times and the rival's sum and extremes.
fn compare(input: &[u64], runs: u32, names: [&str; 2], kernels: [Sort; 2]) -> anyhow::Result<()> {
    let [(expected, sequential), (sorted, parallel)] =
        kernels.map(|kernel| median_time(input, kernel, runs));
    let [std_name, name] = names;
    ensure!(sorted == expected, "{name} differs from std's {std_name}");
    println!(
        "{std_name} vs {name}: sequential {sequential:.2} ms, parallel {parallel:.2} ms, speedup {:.2}x (median of {runs} runs after a warm-up)",
        sequential / parallel
    );
    // Modulo 2^64: the same sum for every order of the same numbers.
    let sum = sorted.iter().fold(0u64, |sum, &x| sum.wrapping_add(x));
    let (smallest, largest) = (sorted[0], sorted[sorted.len() - 1]);
    println!("{name}: sum {sum}, smallest {smallest}, largest {largest}");
    Ok(())
}

/// Sorts fresh copies of `input` with `kernel` for a quarter of a second to
/// warm up (caches, rayon's workers, the CPUs' idle states), then `runs`
/// times, as criterion does: in a block of its own runs, so that rayon's
/// workers are still awake when the next parallel run starts (taking turns
/// with the sequential sort, they fell asleep in between and the parallel
/// times doubled). The copying and freeing are left out of the timing.
/// Returns the last result and the median time in milliseconds.
fn median_time<T: Clone>(input: &[T], kernel: fn(&mut [T]), runs: u32) -> (Vec<T>, f64) {
    let once = || {
        let mut v = input.to_vec();
        let started = Instant::now();
        kernel(&mut v);
        (v, started.elapsed())
    };
    let warm_up = Instant::now();
    while warm_up.elapsed() < Duration::from_millis(250) {
        once();
    }
    let (mut result, mut times) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let (v, time) = once();
        times.push(time);
        result = v; // the previous copy is freed here, after the clock stopped
    }
    times.sort();
    (result, times[times.len() / 2].as_secs_f64() * 1e3)
}

// ---- demo inputs ----

/// `len` numbers of the given shape, the same for the same seed.
pub fn numbers(input: Input, len: u64, seed: u64) -> Vec<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    match input {
        Input::Random => (0..len).map(|_| rng.random()).collect(),
        Input::Sorted => (0..len).collect(),
        Input::Reversed => (0..len).rev().collect(),
        Input::FewDistinct => (0..len).map(|_| rng.random_range(0..3)).collect(),
    }
}
