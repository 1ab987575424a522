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
//! counter's say-so; main reads the total after the threads are joined, which
//! already orders everything they did before that read.
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

use clap::Parser;

/// Ten threads add to one atomic counter.
#[derive(Parser)]
struct Args {
    /// How many threads to spawn [1-1024].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: u32,
    /// How many times each thread adds one [1-1000000].
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    increments: u32,
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
    // No `Arc` needed: scoped threads may borrow `counter` from this frame,
    // because the scope joins them all before `run` goes on.
    let counter = AtomicUsize::new(0);
    thread::scope(|s| {
        for i in 0..args.threads {
            let counter = &counter;
            s.spawn(move || {
                for _ in 0..args.increments {
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
