//! An `Arc` with `Weak` built from scratch: clones dropped on several threads,
//! the value dropped exactly once, by whichever thread drops the last clone.
//!
//! The `Arc` is this crate's `src/arc.rs` (chapter 6 of *Rust Atomics and
//! Locks*; its `unsafe` blocks each say why they are sound): `clone` is a
//! `Relaxed` increment, `drop` a `Release` decrement, and the thread that takes
//! the count to 0 issues an `Acquire` fence before dropping the value, so every
//! other thread's reads come before the drop. `make loom` model-checks it and
//! shows that a `Relaxed` decrement, or a missing fence, is caught.
//!
//! Each thread reads the value through its own clone, then drops the clone.
//! The `thread i` lines come in any order, and which thread drops the value
//! varies from run to run; the drop line always comes after every read, the
//! value is dropped once, and afterwards a `Weak` no longer upgrades.
//! `std::sync::Arc` is the one to use; this one shows how it works.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin arc-from-scratch -- --threads 8
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use clap::Parser;
use examples_shared_state::arc::Arc;

/// Share a value through a hand-made `Arc` and count its drops.
#[derive(Parser)]
struct Args {
    /// How many threads get a clone [1-64].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: u64,
}

/// How many times a `Noisy` was dropped.
static DROPS: AtomicUsize = AtomicUsize::new(0);

/// The shared value: says on which thread it is dropped, and counts its drops.
struct Noisy(Vec<u64>);

impl Drop for Noisy {
    fn drop(&mut self) {
        let drops = DROPS.fetch_add(1, Ordering::Relaxed) + 1;
        let thread = thread::current();
        println!(
            "value dropped on thread {} (drop number {drops})",
            thread.name().unwrap_or("?")
        );
    }
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { threads }: Args) -> anyhow::Result<()> {
    let mut value = Arc::new(Noisy((1..=10).collect()));
    // Unique: `get_mut` may change the value in place.
    Arc::get_mut(&mut value).expect("just made").0.push(11);
    let weak = Arc::downgrade(&value);
    println!("get_mut beside a Weak: {}", found(Arc::get_mut(&mut value)));

    let mut handles = Vec::new();
    for i in 0..threads {
        // Each thread owns a clone (a Relaxed increment of the count).
        let mine = value.clone();
        let handle = thread::Builder::new().name(format!("{i}")).spawn(move || {
            println!("thread {i} reads a sum of {}", mine.0.iter().sum::<u64>());
            // The Release decrement: this thread's read happens-before the
            // drop, on whichever thread that comes.
            drop(mine);
        })?;
        handles.push(handle);
    }
    // Main drops its own handle while the threads may still read theirs.
    drop(value);
    for handle in handles {
        handle
            .join()
            .map_err(|_| anyhow::anyhow!("a reading thread panicked"))?;
    }
    println!("upgrade after the last Arc: {}", found(weak.upgrade()));
    println!("Drops: {}", DROPS.load(Ordering::Relaxed));
    Ok(())
}

fn found<T>(option: Option<T>) -> &'static str {
    if option.is_some() { "Some" } else { "None" }
}
