//! Memory ordering on real hardware: Release/Acquire publishing, and the
//! store-buffer litmus test, where only `SeqCst` forbids both loads reading 0.
//!
//! Publishing: a writer stores a value (`Relaxed`), then raises a flag with
//! `Release`; a reader that sees the flag with `Acquire` is guaranteed to see
//! the value too. The recipe publishes `--values` values one after another and
//! counts the ones the reader saw incomplete: always 0. On x86 a `Relaxed`
//! flag would almost surely count 0 too (x86 keeps stores in order, and loads
//! in order), so this run cannot prove Release/Acquire needed; ARM may show
//! it, and loom always does: this crate's loom tests catch a spin lock or an
//! `Arc` that releases with `Relaxed`.
//!
//! The store-buffer test: two threads race, round after round, through
//! `x = 1; r1 = y` and `y = 1; r2 = x`. Interleave the four steps any way you
//! like and at least one load reads 1; yet real CPUs return `r1 = r2 = 0`.
//! x86 keeps each store in a store buffer for a while and lets a later load
//! of another address go first (the one reordering x86 does); ARM and other
//! weakly ordered CPUs also reorder loads with loads and stores with stores.
//! `Relaxed` and Release/Acquire allow that outcome (Release orders what comes
//! *before* a store, Acquire what comes *after* a load, and neither keeps a
//! store before a later load); `SeqCst` puts all four operations in one total
//! order, so its both-zero count is 0 in every run. The `Relaxed` and
//! Release/Acquire counts vary from run to run and from CPU to CPU, and are 0
//! on one core, where the threads never truly overlap.
//!
//! ```sh
//! cargo run --release -p examples-shared-state --bin memory-ordering -- --rounds 1000000
//! ```

#![forbid(unsafe_code)]

use std::hint;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use clap::Parser;
use crossbeam::utils::CachePadded;

/// Release/Acquire publishing, then the store-buffer litmus test.
#[derive(Parser)]
struct Args {
    /// How many values the writer publishes to the reader [1-10000000].
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    values: u64,
    /// How many rounds of the litmus test each ordering runs [1-100000000].
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    rounds: u64,
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
    let incomplete = publish(args.values);
    println!(
        "published {} values: {incomplete} seen incomplete",
        args.values
    );

    let mut seq_cst_both_zero = 0;
    for (name, store, load) in [
        ("Relaxed", Ordering::Relaxed, Ordering::Relaxed),
        ("Release/Acquire", Ordering::Release, Ordering::Acquire),
        ("SeqCst", Ordering::SeqCst, Ordering::SeqCst),
    ] {
        let [both_zero, only_r1, only_r2, both_one] = store_buffer(args.rounds, store, load);
        println!(
            "{name}: {} rounds, r1 r2 = 0 0: {both_zero}, 1 0: {only_r1}, 0 1: {only_r2}, 1 1: {both_one}",
            args.rounds
        );
        seq_cst_both_zero = both_zero; // SeqCst comes last
    }
    println!("SeqCst rounds with both loads 0: {seq_cst_both_zero}");
    Ok(())
}

/// The writer publishes 1..=n through `data` and `ready`; the reader checks
/// each. Returns how many values the reader found incomplete.
fn publish(n: u64) -> u64 {
    let (data, ready, taken) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    thread::scope(|s| {
        s.spawn(|| {
            for i in 1..=n {
                data.store(i * 3, Ordering::Relaxed);
                // Release: the data store above happens-before any load that
                // reads this flag with Acquire.
                ready.store(i, Ordering::Release);
                // Wait until the reader took value i before overwriting it.
                wait_until(|| taken.load(Ordering::Acquire) == i);
            }
        });
        let reader = s.spawn(|| {
            let mut incomplete = 0;
            for i in 1..=n {
                // Acquire: pairs with the writer's Release store of `ready`.
                wait_until(|| ready.load(Ordering::Acquire) == i);
                if data.load(Ordering::Relaxed) != i * 3 {
                    incomplete += 1;
                }
                taken.store(i, Ordering::Release);
            }
            incomplete
        });
        reader.join().expect("the reader does not panic")
    })
}

/// Runs `rounds` rounds of the store-buffer test with the given orderings and
/// counts the outcomes `[r1 r2 = 00, 10, 01, 11]`.
fn store_buffer(rounds: u64, store: Ordering, load: Ordering) -> [u64; 4] {
    // Each on its own cache line, so the two threads' stores do not contend.
    let (x, y) = (
        CachePadded::new(AtomicU64::new(0)),
        CachePadded::new(AtomicU64::new(0)),
    );
    let arrived = AtomicU64::new(0);
    // Round r stores r: a load that returns less than r read the old value
    // (0 in the litmus test's terms), so nothing needs resetting between rounds.
    let side = |mine: &AtomicU64, other: &AtomicU64| -> Vec<bool> {
        (1..=rounds)
            .map(|r| {
                // Rendezvous: both threads start round r together, so their
                // store-then-load really race; neither can run a round ahead.
                arrived.fetch_add(1, Ordering::AcqRel);
                wait_until(|| arrived.load(Ordering::Acquire) >= 2 * r);
                mine.store(r, store);
                other.load(load) == r // true: saw the other thread's store
            })
            .collect()
    };
    let (saw_y, saw_x) = thread::scope(|s| {
        let first = s.spawn(|| side(&x, &y));
        let second = side(&y, &x);
        (
            first.join().expect("the litmus thread does not panic"),
            second,
        )
    });
    let mut outcomes = [0; 4];
    for (r1, r2) in saw_y.into_iter().zip(saw_x) {
        outcomes[usize::from(r1) + 2 * usize::from(r2)] += 1;
    }
    outcomes
}

/// Spins until `done()`, yielding the CPU after a while so that on one core the
/// thread we wait for gets to run.
fn wait_until(done: impl Fn() -> bool) {
    let mut spins = 0_u32;
    while !done() {
        spins += 1;
        if spins < 100 {
            hint::spin_loop();
        } else {
            thread::yield_now();
        }
    }
}
