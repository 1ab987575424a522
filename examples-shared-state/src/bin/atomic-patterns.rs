//! Four everyday uses of atomics: a stop flag, progress reporting, IDs that
//! refuse to overflow, and lazy initialisation by a race with one winner.
//!
//! - Progress: workers count the items they finish with a `Relaxed`
//!   `fetch_add` and `unpark` the main thread, which prints each new percent.
//!   An `unpark` that comes before the `park` is kept, so the last one is never
//!   missed. Which percents get a line varies from run to run; the last is 100.
//! - Stop flag: a background thread works until main stores `true` in an
//!   `AtomicBool`. `Relaxed` is enough: the flag carries no other data, and the
//!   thread sees the store soon (the memory model promises eventually).
//! - IDs: `fetch_update` hands out 0, 1, 2, ... below `--max-id` and refuses
//!   once they run out. It is a compare-exchange loop: it retries when another
//!   thread moved the counter between its load and its exchange, and stores
//!   nothing when refusing. A plain `fetch_add` would go on past the limit and
//!   wrap around at `u32::MAX`, handing out 0 again. Which thread gets which
//!   IDs varies; that each ID is handed out once, and how many, does not.
//! - Lazy init: threads that find the key still 0 each make a candidate (a
//!   slow job, so several do); `compare_exchange(0, candidate)` lets exactly
//!   one win, and the losers take the winner's key. Who makes a candidate and
//!   who wins vary; all threads agree on one key, one of the candidates.
//!   (`Relaxed` because the key is the atomic itself; a pointer to data
//!   initialised this way would need Release/Acquire, or `OnceLock`.)
//!
//! ```sh
//! cargo run -p examples-shared-state --bin atomic-patterns -- --threads 4 --ids 300 --max-id 1000
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::Duration;

use anyhow::ensure;
use clap::Parser;

/// A stop flag, progress, overflow-safe IDs and a racing lazy init.
#[derive(Parser)]
struct Args {
    /// How many worker threads in each part [1-64].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    threads: u32,
    /// How many items each worker processes in the progress part [1-100000].
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    items: u32,
    /// How many IDs each thread asks for [1-1000000].
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    ids: u32,
    /// IDs are 0 to max-id - 1; requests beyond are refused [1-4294967295].
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    max_id: u32,
}

/// The lazily initialised key: 0 means "not yet".
static KEY: AtomicU64 = AtomicU64::new(0);

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(args: Args) -> anyhow::Result<()> {
    let (threads, total) = (args.threads, args.threads * args.items);
    let (done, stop) = (AtomicU32::new(0), AtomicBool::new(false));
    thread::scope(|s| {
        let background = s.spawn(|| {
            let mut rounds = 0_u64;
            while !stop.load(Relaxed) {
                rounds += 1; // stand-in for work that runs until told to stop
                thread::yield_now();
            }
            rounds
        });
        let main_thread = thread::current();
        for _ in 0..threads {
            let (done, main_thread) = (&done, main_thread.clone());
            s.spawn(move || {
                for item in 0..args.items {
                    std::hint::black_box(item); // stand-in for processing an item
                    done.fetch_add(1, Relaxed);
                    main_thread.unpark(); // wake main to report the progress
                }
            });
        }
        let mut shown = None;
        loop {
            let n = done.load(Relaxed);
            let percent = n * 100 / total;
            if shown != Some(percent) {
                println!("progress: {percent} % ({n} of {total} items)");
                shown = Some(percent);
            }
            if n == total {
                break;
            }
            thread::park(); // until a worker unparks us (or spuriously)
        }
        stop.store(true, Relaxed);
        let rounds = background
            .join()
            .expect("the background thread does not panic");
        println!("stop flag: the background thread stopped after {rounds} rounds");
    });

    let next_id = AtomicU32::new(0);
    let ids = on_threads(threads, |t| {
        let ids: Vec<u32> = (0..args.ids)
            .filter_map(|_| allocate_id(&next_id, args.max_id))
            .collect();
        let refused = args.ids as usize - ids.len();
        println!("ids: thread {t} got {} IDs, {refused} refused", ids.len());
        ids
    });
    let mut all: Vec<u32> = ids.into_iter().flatten().collect();
    all.sort_unstable();
    ensure!(
        all.iter().zip(0..).all(|(&id, i)| id == i),
        "an ID was handed out twice"
    );
    let refused = u64::from(threads) * u64::from(args.ids) - all.len() as u64;
    println!(
        "ids: {} handed out, each once; {refused} refused at --max-id {}",
        all.len(),
        args.max_id
    );

    let keys = on_threads(threads, |t| {
        let key = get_key(t);
        println!("lazy init: thread {t} sees key {key}");
        key
    });
    ensure!(
        keys.iter().all(|&k| k == keys[0]),
        "threads disagree on the key: {keys:?}"
    );
    println!("All {threads} threads agreed on one lazily initialised key");
    Ok(())
}

/// Runs `work(t)` for t in 0..n, each on its own scoped thread, all started
/// together (they meet at a barrier first, to make the races real), and
/// returns the results in the order of t.
fn on_threads<T: Send>(n: u32, work: impl Fn(u32) -> T + Sync) -> Vec<T> {
    let (work, start) = (&work, &Barrier::new(n as usize));
    thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|t| {
                s.spawn(move || {
                    start.wait();
                    work(t)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no thread panics"))
            .collect()
    })
}

/// The next free ID, or `None` once all IDs below `max` are handed out.
fn allocate_id(next_id: &AtomicU32, max: u32) -> Option<u32> {
    // Take `n` and store `n + 1`, only if `n` is below the limit; the closure
    // runs again if another thread changed `next_id` meanwhile.
    let taken = next_id.fetch_update(Relaxed, Relaxed, |n| (n < max).then_some(n + 1));
    taken.ok()
}

/// The key, set by whichever caller's compare-exchange gets there first.
fn get_key(t: u32) -> u64 {
    let key = KEY.load(Relaxed);
    if key != 0 {
        return key;
    }
    let candidate = generate_key(t);
    // Of all racing callers exactly one swaps 0 for its candidate; the others
    // are told the winner's key.
    match KEY.compare_exchange(0, candidate, Relaxed, Relaxed) {
        Ok(_) => candidate,
        Err(winner) => winner,
    }
}

/// A stand-in for making a key the slow way (reading a file, asking a
/// server): slow is why it is done lazily, and why several threads that find
/// no key yet may all be making one at the same time.
fn generate_key(t: u32) -> u64 {
    thread::sleep(Duration::from_millis(20));
    let candidate = 1000 + u64::from(t);
    println!("lazy init: thread {t} found no key and made candidate {candidate}");
    candidate
}
