//! Scoped threads: spawn short-lived threads that borrow from the caller's stack.
//!
//! `find_max` splits a slice in two, finds the maximum of one half on a new
//! thread and of the other half on the current one, recursively. The threads
//! borrow the halves (`&[i64]`): no `Arc`, no copying, because a scope does not
//! return until every thread spawned in it has been joined, so the borrow
//! cannot outlive the data. The work runs twice, with the classic
//! `crossbeam::scope` and with `std::thread::scope`, std's equivalent since
//! Rust 1.63: prefer std in new code.
//!
//! Unlike the cookbook, which spawns a thread for *both* halves down to two
//! elements, each level here spawns one thread and keeps the other half for
//! itself, and stops splitting below `--cutoff` elements: a thread costs tens
//! of microseconds, far more than scanning a few thousand numbers.
//!
//! Nothing here varies between runs: the results come back through `join`.
//!
//! ```sh
//! cargo run -p examples-threads --bin short-lived-threads -- --len 10000000 --seed 7
//! ```

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::ensure;
use clap::Parser;
use clap::builder::RangedU64ValueParser;

/// Find the maximum of a slice with recursively spawned scoped threads.
#[derive(Parser)]
struct Args {
    /// Length of the generated slice [0-100000000].
    #[arg(long, default_value_t = 1_000_000, value_parser = RangedU64ValueParser::<usize>::new().range(..=100_000_000))]
    len: usize,
    /// Slices no longer than this are scanned without spawning [2 or more].
    #[arg(long, default_value_t = 100_000, value_parser = RangedU64ValueParser::<usize>::new().range(2..))]
    cutoff: usize,
    /// Seed of the generated numbers.
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

fn run(Args { len, cutoff, seed }: Args) -> anyhow::Result<()> {
    // The cookbook's example, cutoff 2: every split spawns a thread.
    let small = [1, 25, -4, 10];
    let spawned = AtomicUsize::new(0);
    println!("small slice {small:?}");
    println!(
        "  crossbeam::scope max: {:?}",
        find_max_crossbeam(&small, 2, &spawned)
    );
    println!(
        "  std::thread::scope max: {:?}",
        find_max_std(&small, 2, &spawned)
    );

    let numbers = generate(len, seed);
    println!("generated slice: {len} numbers, seed {seed}");
    let spawned = AtomicUsize::new(0);
    let crossbeam_max = find_max_crossbeam(&numbers, cutoff, &spawned);
    println!(
        "  crossbeam::scope max: {crossbeam_max:?} ({} threads)",
        spawned.swap(0, Ordering::Relaxed)
    );
    let std_max = find_max_std(&numbers, cutoff, &spawned);
    println!(
        "  std::thread::scope max: {std_max:?} ({} threads)",
        spawned.load(Ordering::Relaxed)
    );
    let sequential_max = numbers.iter().copied().max();
    println!("  iter().max(): {sequential_max:?}");

    ensure!(
        crossbeam_max == sequential_max && std_max == sequential_max,
        "the scoped maxima {crossbeam_max:?} and {std_max:?} differ from iter().max() = {sequential_max:?}"
    );
    println!("All maxima agree: {sequential_max:?}");
    Ok(())
}

/// The cookbook's recipe with `crossbeam::scope`.
fn find_max_crossbeam(arr: &[i64], cutoff: usize, spawned: &AtomicUsize) -> Option<i64> {
    if arr.len() <= cutoff {
        return arr.iter().copied().max();
    }
    let (left, right) = arr.split_at(arr.len() / 2);
    // The closure may borrow `left`: the scope joins its threads before it returns.
    crossbeam::scope(|s| {
        spawned.fetch_add(1, Ordering::Relaxed);
        let left_max = s.spawn(|_| find_max_crossbeam(left, cutoff, spawned));
        let right_max = find_max_crossbeam(right, cutoff, spawned);
        // `join` returns `Err` only if that thread panicked: a bug here.
        let left_max = left_max.join().expect("find_max does not panic");
        left_max.max(right_max)
    })
    .expect("no thread of the scope panicked")
}

/// The same with `std::thread::scope` (Rust 1.63): no extra crate, and no
/// `Result` from the scope. A thread joined by hand, as here, hands its panic
/// to `join` as an `Err`; the scope re-raises only the panics of the threads
/// it joins itself, those nobody joined.
fn find_max_std(arr: &[i64], cutoff: usize, spawned: &AtomicUsize) -> Option<i64> {
    if arr.len() <= cutoff {
        return arr.iter().copied().max();
    }
    let (left, right) = arr.split_at(arr.len() / 2);
    std::thread::scope(|s| {
        spawned.fetch_add(1, Ordering::Relaxed);
        let left_max = s.spawn(|| find_max_std(left, cutoff, spawned));
        let right_max = find_max_std(right, cutoff, spawned);
        let left_max = left_max.join().expect("find_max does not panic");
        left_max.max(right_max)
    })
}

// ---- demo inputs ----

/// `len` pseudo-random numbers from a fixed seed (SplitMix64), so a run can be
/// reproduced without pulling in a random-number crate.
fn generate(len: usize, seed: u64) -> Vec<i64> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            // Readable numbers: -1e9 ..= 1e9.
            ((z ^ (z >> 31)) % 2_000_000_001) as i64 - 1_000_000_000
        })
        .collect()
}
