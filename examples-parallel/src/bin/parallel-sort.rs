//! Sort a vector in parallel: `par_sort_unstable` of numbers, `par_sort` of strings.
//!
//! Both sorts come from rayon's `ParallelSliceMut`; they sort the same input
//! as the std `sort_unstable` and `sort`, and must give the same result.
//! `par_sort_unstable` is a pattern-defeating quicksort that sorts the two
//! sides of each partition in parallel; `par_sort` is a merge sort that sorts
//! chunks in parallel and merges them in parallel too. Only the timings vary
//! from run to run.
//!
//! On a machine with few cores, rayon's sorts gain little over std's: since
//! Rust 1.81 std sorts with ipnsort and driftsort, and rayon's own sorting
//! code, run on one thread, takes much longer than std's (the `1-thread
//! pool` rows of `BENCHMARKS.md` say how much on the machine measured), so
//! two workers only win that back. The recipe therefore also shows the two
//! classic ways to run std's own sort on every worker, and times them
//! against the same baseline:
//! - split by value: partition the numbers (and the strings) around pivots
//!   taken from a sample into one piece per worker, the way a quicksort
//!   starts, then `sort_unstable` the pieces in parallel
//!   (`partition_then_sort`). No buffer; not stable; an input with few
//!   distinct values may split unevenly, and is then still sorted, only
//!   less in parallel.
//! - split by position: `sort` one piece per worker, then merge the sorted
//!   pieces, each merge split between the workers (`sort_pieces_then_merge`).
//!   Stable, at the price of a buffer as long as the input (a program that
//!   sorts again and again can pass in one it keeps:
//!   `sort_pieces_then_merge_with_buffer`).
//!
//! The cookbook fills its strings with `rand::thread_rng()` inside
//! `par_iter_mut`, which cannot be reproduced. Here every fixed-size chunk of
//! the input gets its own generator, seeded from `--seed` and the chunk's
//! number, so the input depends on the seed alone, not on the thread count.
//! (rand 0.10: the value methods `random` and `random_range`, once `gen` and
//! `gen_range`, live in the `RngExt` trait, since `Rng` now names the core
//! trait that was `RngCore`; `rand::rng()` replaced `thread_rng()` and
//! `rand::distr` replaced `rand::distributions`.) Inputs of up to 16 items are
//! printed in full.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin parallel-sort -- --len 2000000 --seed 42
//! ```

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Parser;
use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

/// The largest `--len`. The strings take the most memory: the input, std's
/// sort and one sort to check, about 1.8 GiB at this length (measured peak).
const MAX_LEN: usize = 10_000_000;
/// Inputs up to this long are printed in full.
const SHOW_ALL: usize = 16;
/// Each random string has this many letters and digits, as in the cookbook.
const STRING_LEN: usize = 5;
/// Each chunk of this many items gets its own random generator.
const CHUNK: usize = 64 * 1024;
/// The sorts by pieces leave slices shorter than twice this in one piece.
const MIN_PIECE: usize = 16 * 1024;
/// Merges of up to this many elements run on one thread.
const MERGE_CUTOFF: usize = 16 * 1024;
/// How many evenly spaced elements the pivot is chosen from.
const SAMPLE: usize = 4096;

/// Sort random numbers and random strings in parallel and with std.
#[derive(Parser)]
struct Args {
    /// How many numbers, and how many strings, to sort.
    #[arg(long, default_value_t = 2_000_000)]
    len: usize,
    /// Seed of the random inputs: the same seed gives the same inputs.
    #[arg(long, default_value_t = 42)]
    seed: u64,
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
    println!(
        "sorting {len} random numbers and {len} random strings (seed {seed}), rayon threads: {}",
        rayon::current_num_threads()
    );
    // One after the other, so the numbers are freed before the strings exist.
    sort_numbers(len, seed)?;
    sort_strings(len, seed)?;
    println!("all six parallel sorts agree with the std sorts on {len} numbers and {len} strings");
    Ok(())
}

/// Sorts random numbers with std's sorts, rayon's and the two by pieces.
fn sort_numbers(len: usize, seed: u64) -> anyhow::Result<()> {
    let numbers = random_numbers(len, seed);
    if len <= SHOW_ALL {
        println!("random numbers: {numbers:?}");
    }

    // Unstable sorts: std's is the baseline the others must equal.
    let mut expected = numbers.clone();
    let sequential = timed(|| sort_numbers_sequential(&mut expected));
    let (sorted, parallel) = sort_copy(&numbers, &expected, "par_sort_unstable", |v| {
        sort_numbers_parallel(v)
    })?;
    print_timings(
        "numbers, sort_unstable vs par_sort_unstable",
        sequential,
        parallel,
    );
    let (_, partitioned) = sort_copy(
        &numbers,
        &expected,
        "partition + sort_unstable per worker",
        partition_then_sort,
    )?;
    print_timings(
        "numbers, sort_unstable vs partition + sort_unstable per worker",
        sequential,
        partitioned,
    );
    if len <= SHOW_ALL {
        println!("par_sort_unstable: {sorted:?}");
    }
    println!(
        "smallest and largest number: {} {}",
        sorted[0],
        sorted[len - 1]
    );
    drop(sorted);

    // Stable sorts of the same numbers, against std's stable sort.
    expected.copy_from_slice(&numbers);
    let sequential = timed(|| expected.sort());
    let (_, parallel) = sort_copy(&numbers, &expected, "par_sort", |v| v.par_sort())?;
    print_timings("numbers, sort vs par_sort", sequential, parallel);
    let (_, merged) = sort_copy(
        &numbers,
        &expected,
        "sort per worker + parallel merge",
        sort_pieces_then_merge,
    )?;
    print_timings(
        "numbers, sort vs sort per worker + parallel merge",
        sequential,
        merged,
    );
    Ok(())
}

/// Sorts random strings with std's sorts, rayon's `par_sort` and the sort by
/// partition.
fn sort_strings(len: usize, seed: u64) -> anyhow::Result<()> {
    let strings = random_strings(len, seed);
    if len <= SHOW_ALL {
        println!("random strings: {strings:?}");
    }
    let mut expected = strings.clone();
    let sequential = timed(|| sort_strings_sequential(&mut expected));
    let (sorted, parallel) = sort_copy(&strings, &expected, "par_sort", |v| {
        sort_strings_parallel(v)
    })?;
    print_timings("strings, sort vs par_sort", sequential, parallel);
    if len <= SHOW_ALL {
        println!("par_sort: {sorted:?}");
    }
    println!("first and last string: {} {}", sorted[0], sorted[len - 1]);
    drop(sorted);
    // Equal strings cannot be told apart, so an unstable sort of them must
    // give the stable sort's result too.
    let (_, sequential) = sort_copy(&strings, &expected, "sort_unstable", |v| v.sort_unstable())?;
    let (_, partitioned) = sort_copy(
        &strings,
        &expected,
        "partition + sort_unstable per worker",
        partition_then_sort,
    )?;
    print_timings(
        "strings, sort_unstable vs partition + sort_unstable per worker",
        sequential,
        partitioned,
    );
    Ok(())
}

/// Sorts a copy of `input` with `sort` and checks the result against
/// `expected` (std's sort of the same input). Returns the sorted copy and the
/// time the sort took, the copying left out.
fn sort_copy<T: Clone + PartialEq>(
    input: &[T],
    expected: &[T],
    name: &str,
    sort: impl FnOnce(&mut [T]),
) -> anyhow::Result<(Vec<T>, Duration)> {
    let mut copy = input.to_vec();
    let time = timed(|| sort(&mut copy));
    ensure!(copy == expected, "{name} differs from the std sort");
    Ok((copy, time))
}

fn print_timings(name: &str, sequential: Duration, parallel: Duration) {
    println!(
        "{name}: sequential {:.1} ms, parallel {:.1} ms, speedup {:.2}x",
        sequential.as_secs_f64() * 1e3,
        parallel.as_secs_f64() * 1e3,
        sequential.as_secs_f64() / parallel.as_secs_f64()
    );
}

// ---- kernels: plain functions, so that a benchmark can call them ----

pub fn sort_numbers_sequential(v: &mut [u64]) {
    v.sort_unstable();
}

pub fn sort_numbers_parallel(v: &mut [u64]) {
    // Partitions around a pivot, then sorts both sides with `rayon::join`;
    // it returns only when every part is sorted.
    v.par_sort_unstable();
}

/// Sorts `v` unstably by splitting it by value into one piece per rayon
/// worker, the way a quicksort starts, and sorting the pieces with std's
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
    rayon::join(
        || partition_into_pieces(left, left_pieces),
        || partition_into_pieces(right, pieces - left_pieces),
    );
}

/// The value with about `numerator / denominator` of `v` below it, estimated
/// from `SAMPLE` evenly spaced elements (`v` is longer than `SAMPLE`). Only
/// the chosen one is cloned.
fn sample_quantile<T: Ord + Clone>(v: &[T], numerator: usize, denominator: usize) -> T {
    let mut sample: Vec<&T> = v.iter().step_by((v.len() / SAMPLE).max(1)).collect();
    sample.sort_unstable();
    sample[sample.len() / denominator * numerator].clone()
}

/// Moves the elements less than `pivot` to the front of `v` and returns how
/// many there are. Each step swaps unconditionally and then advances the
/// boundary by 0 or 1: on random data there is no branch to mispredict (a
/// branch-free Lomuto partition).
fn partition<T: Ord>(v: &mut [T], pivot: &T) -> usize {
    let mut less = 0;
    for i in 0..v.len() {
        // `v[less..i]` holds the elements not less than the pivot so far.
        let is_less = v[i] < *pivot;
        v.swap(i, less);
        less += usize::from(is_less);
    }
    less
}

/// Sorts `v` stably in one piece per rayon worker with std's `sort`, then
/// merges the sorted pieces pairwise, each merge split between the workers
/// too. Needs a buffer as long as `v`.
pub fn sort_pieces_then_merge<T: Ord + Copy + Default + Send + Sync>(v: &mut [T]) {
    if rayon::current_num_threads() < 2 || v.len() < 2 * MIN_PIECE {
        v.sort();
        return;
    }
    // `vec!` of zeros asks the allocator for zeroed pages, which the kernel
    // maps on first write: in the workers, in parallel, not here. That first
    // write is a page fault per 4 KiB, and on a small machine it costs a
    // good part of the sort (see the page-fault probe in BENCHMARKS.md).
    let mut buf = vec![T::default(); v.len()];
    sort_pieces_then_merge_with_buffer(v, &mut buf);
}

/// [`sort_pieces_then_merge`] with the caller's buffer, which must be at
/// least as long as `v`: a program that sorts again and again can keep one
/// and skip the page faults of a new buffer on every sort.
pub fn sort_pieces_then_merge_with_buffer<T: Ord + Copy + Send + Sync>(v: &mut [T], buf: &mut [T]) {
    assert!(
        buf.len() >= v.len(),
        "the buffer ({}) is shorter than the slice ({})",
        buf.len(),
        v.len()
    );
    let pieces = rayon::current_num_threads();
    if pieces < 2 || v.len() < 2 * MIN_PIECE {
        v.sort();
        return;
    }
    sort_pieces(v, &mut buf[..v.len()], pieces, Into::Slice);
}

/// Which of the two slices holds a sorted result.
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
    let (from, to) = match into {
        Into::Slice => (&*buf, v),
        Into::Buffer => (&*v, buf),
    };
    let (left, right) = from.split_at(mid);
    merge(left, right, to);
}

/// Merges the sorted `left` and `right` into `out`, splitting the work with
/// `rayon::join`: the middle element of the longer input splits it, a binary
/// search splits the other at the same value, and the two smaller merges run
/// in parallel. Equal elements keep `left`'s first, so the merge is stable.
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
/// a conditional move rather than a branch mispredicted on random data.
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

pub fn sort_strings_sequential(v: &mut [String]) {
    v.sort();
}

pub fn sort_strings_parallel(v: &mut [String]) {
    // Sorts chunks on the workers, then merges them, in parallel too.
    v.par_sort();
}

/// Wall-clock time of `f`.
fn timed(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

// ---- demo inputs ----

/// `len` random `u64`s, the same for the same seed.
pub fn random_numbers(len: usize, seed: u64) -> Vec<u64> {
    generate(len, seed, 0, |rng| rng.random())
}

/// `len` random alphanumeric strings of `STRING_LEN` characters, the same
/// for the same seed.
pub fn random_strings(len: usize, seed: u64) -> Vec<String> {
    generate(len, seed, 1, |rng| {
        Alphanumeric.sample_string(rng, STRING_LEN)
    })
}

/// `len` values made by `make`, in parallel yet reproducibly: chunk `i` gets
/// its own generator, keyed by `(seed, stream, i)`, so the values do not
/// depend on which worker made which chunk.
fn generate<T, F>(len: usize, seed: u64, stream: u8, make: F) -> Vec<T>
where
    T: Default + Clone + Send,
    F: Fn(&mut StdRng) -> T + Sync,
{
    let mut values = vec![T::default(); len];
    values
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(i, chunk)| {
            let mut key = [0; 32];
            key[..8].copy_from_slice(&seed.to_le_bytes());
            key[8..16].copy_from_slice(&(i as u64).to_le_bytes());
            key[16] = stream;
            let mut rng = StdRng::from_seed(key);
            chunk.iter_mut().for_each(|value| *value = make(&mut rng));
        });
    values
}

// ---- unit tests of the sorts by pieces, in pools of several sizes ----

#[cfg(test)]
mod tests {
    use super::*;

    /// Ordered by `key` alone, so `order` shows whether equal keys kept
    /// their order.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    struct Keyed {
        key: u8,
        order: u32,
    }

    impl Ord for Keyed {
        fn cmp(&self, other: &Self) -> std::cmp::Ordering {
            self.key.cmp(&other.key)
        }
    }

    impl PartialOrd for Keyed {
        fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(other))
        }
    }

    /// Inputs long enough to be cut into pieces: random, few distinct
    /// values, sorted, reversed, all equal.
    fn inputs() -> Vec<Vec<u64>> {
        let len = 150_000;
        let random = random_numbers(len, 3);
        let few_values = random.iter().map(|x| x % 3).collect();
        let sorted: Vec<u64> = (0..len as u64).collect();
        let reversed = sorted.iter().rev().copied().collect();
        vec![random, few_values, sorted, reversed, vec![7; len]]
    }

    fn in_pool(threads: usize, f: impl FnOnce() + Send) {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("building a pool")
            .install(f);
    }

    #[test]
    fn both_sorts_by_pieces_equal_the_std_sort() {
        for threads in [1, 2, 3, 4] {
            for input in inputs() {
                let mut expected = input.clone();
                expected.sort_unstable();
                let (mut partitioned, mut merged) = (input.clone(), input);
                in_pool(threads, || {
                    partition_then_sort(&mut partitioned);
                    sort_pieces_then_merge(&mut merged);
                });
                assert!(partitioned == expected, "partition, {threads} threads");
                assert!(merged == expected, "merge, {threads} threads");
            }
        }
    }

    #[test]
    fn a_reused_buffer_with_old_contents_gives_the_same_sort() {
        let mut buf = vec![u64::MAX; 200_000];
        for threads in [1, 2, 3] {
            for input in inputs() {
                let mut expected = input.clone();
                expected.sort();
                let mut merged = input;
                in_pool(threads, || {
                    sort_pieces_then_merge_with_buffer(&mut merged, &mut buf)
                });
                assert!(merged == expected, "{threads} threads");
            }
        }
    }

    #[test]
    fn sorting_pieces_and_merging_them_is_stable() {
        let keyed: Vec<Keyed> = random_numbers(100_000, 9)
            .into_iter()
            .zip(0..)
            .map(|(x, order)| Keyed {
                key: (x % 16) as u8,
                order,
            })
            .collect();
        let mut expected = keyed.clone();
        expected.sort();
        for threads in [2, 3, 4] {
            let mut merged = keyed.clone();
            in_pool(threads, || sort_pieces_then_merge(&mut merged));
            assert!(merged == expected, "{threads} threads");
        }
    }

    #[test]
    fn partitioning_strings_sorts_them_like_std() {
        let random = random_strings(100_000, 4);
        // The first character twice ("aa", "77", ...): 62 distinct values, so
        // many equal strings and uneven pieces.
        let few_values: Vec<String> = random.iter().map(|s| s[..1].repeat(2)).collect();
        for input in [random, few_values] {
            let mut expected = input.clone();
            expected.sort();
            for threads in [1, 2, 3] {
                let mut partitioned = input.clone();
                in_pool(threads, || partition_then_sort(&mut partitioned));
                assert!(partitioned == expected, "{threads} threads");
            }
        }
    }

    #[test]
    fn partition_splits_at_the_pivot() {
        let mut v = random_numbers(10_000, 1);
        let pivot = v[0];
        let less = partition(&mut v, &pivot);
        assert!(v[..less].iter().all(|&x| x < pivot));
        assert!(v[less..].iter().all(|&x| x >= pivot));
        assert_eq!(
            less,
            random_numbers(10_000, 1)
                .iter()
                .filter(|&&x| x < pivot)
                .count()
        );
    }
}
