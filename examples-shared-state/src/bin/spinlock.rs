//! A spin lock built from an `AtomicBool` with Acquire/Release, guarding a
//! counter that several threads increment.
//!
//! The lock is `SpinLock` in this crate's `src/spinlock.rs` (read it: about a
//! hundred lines of code and as many of comments, the only `unsafe` in the
//! workspace, each block with its safety argument). Taking the lock is an
//! `Acquire` compare-exchange of the flag from `false` to `true`; the guard's
//! `Drop` stores `false` with `Release`. That pair makes each holder's
//! increments visible to the next holder, so the counter comes out exact.
//! `make loom` model-checks the lock over every interleaving of two waiting
//! threads, and of one waiter with two `try_lock` callers (three waiters: with
//! at most one forced thread switch), and shows that a `Relaxed` unlock would
//! be caught.
//!
//! The `thread i done` lines come in a different order from run to run; the
//! result never varies. A spin lock wastes CPU while it waits (on one core a
//! waiter spins until the scheduler preempts it); `std::sync::Mutex` is the
//! lock to use in real code.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin spinlock -- --threads 4 --increments 10000
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::thread;

use clap::Parser;
use examples_shared_state::spinlock::SpinLock;

/// Several threads increment a counter behind a spin lock.
#[derive(Parser)]
struct Args {
    /// How many threads to spawn [1-64].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: u64,
    /// How many times each thread takes the lock and adds one [1-1000000].
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    increments: u64,
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
    let counter = SpinLock::new(0_u64);
    thread::scope(|s| {
        for i in 0..args.threads {
            let counter = &counter;
            s.spawn(move || {
                for _ in 0..args.increments {
                    // Spin until we hold the lock; the guard unlocks at the end
                    // of the statement, publishing the new value (Release).
                    *counter.lock() += 1;
                }
                println!("thread {i} done");
            });
        }
    }); // all threads joined

    println!("Result: {}", counter.into_inner());
    Ok(())
}
