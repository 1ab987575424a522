//! Count from many threads with `AtomicUsize::fetch_add`, no lock at all.
//!
//! The same work as `mutex-counter`, with an atomic instead of a mutex. The
//! `thread i done` lines come in a different order from run to run; the result
//! never varies.
//!
//! Why `Ordering::Relaxed` is enough here: `fetch_add` is one indivisible
//! read-modify-write, and every read-modify-write of one atomic takes its turn
//! in that atomic's single modification order, whatever the ordering argument.
//! So no increment can be lost. The ordering only says what *other* memory a
//! thread may see alongside the counter, and nobody reads other memory on the
//! counter's say-so; main reads the total after `join`, which already orders
//! everything the threads did before that read.
//!
//! What would need `Acquire`/`Release`: using the counter to *publish* other
//! data. If each worker wrote its result into a shared buffer and then bumped
//! a `finished` count, a reader that sees `finished == n` and then reads the
//! buffer needs the workers to bump with `Release` and itself to load with
//! `Acquire`; with `Relaxed` it could see the count and stale buffer contents.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin atomic-counter -- --threads 10 --increments 1000
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use anyhow::ensure;
use clap::Parser;

/// Ten threads add to one atomic counter.
#[derive(Parser)]
struct Args {
    /// How many threads to spawn.
    #[arg(long, default_value_t = 10)]
    threads: usize,
    /// How many times each thread adds one.
    #[arg(long, default_value_t = 1)]
    increments: usize,
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
        threads,
        increments,
    }: Args,
) -> anyhow::Result<()> {
    ensure!(
        (1..=1024).contains(&threads),
        "--threads must be between 1 and 1024, got {threads}"
    );
    ensure!(
        (1..=1_000_000).contains(&increments),
        "--increments must be between 1 and 1000000, got {increments}"
    );

    // No `Arc` needed: scoped threads may borrow `counter` from this frame,
    // because the scope joins them all before `run` goes on.
    let counter = AtomicUsize::new(0);
    thread::scope(|s| {
        for i in 0..threads {
            let counter = &counter;
            s.spawn(move || {
                for _ in 0..increments {
                    // One indivisible read-modify-write: Relaxed cannot lose it.
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                println!("thread {i} done");
            });
        }
    }); // every thread is joined here (a panic in one would be re-raised)

    // Joining ordered all the increments before this load.
    println!("Result: {}", counter.load(Ordering::Relaxed));
    Ok(())
}
