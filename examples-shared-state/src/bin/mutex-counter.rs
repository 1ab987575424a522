//! Share a counter between threads with `Arc<Mutex<i32>>`.
//!
//! Ten threads (by default) each lock the mutex and add one to the counter.
//! `Arc` lets every thread own a handle to the same mutex; the mutex lets only
//! one thread at a time read-modify-write the number, so no increment is lost
//! and the result is always the number of threads times the increments. The
//! `thread i done` lines come in a different order from run to run; the result
//! never varies.
//!
//! For a lone counter an atomic is cheaper (see `atomic-counter`); a mutex is
//! what you need as soon as the shared state is more than one word.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin mutex-counter -- --threads 10 --increments 1000
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;

use anyhow::{Context, anyhow, ensure};
use clap::Parser;

/// Ten threads add to one counter behind a mutex.
#[derive(Parser)]
struct Args {
    /// How many threads to spawn.
    #[arg(long, default_value_t = 10)]
    threads: u32,
    /// How many times each thread adds one (each time under the lock).
    #[arg(long, default_value_t = 1)]
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
    // 1024 x 1000000 still fits the seed's `i32` counter.
    ensure!(
        (1..=1_000_000).contains(&increments),
        "--increments must be between 1 and 1000000, got {increments}"
    );

    // Shared counter between threads: `Arc` to share ownership, `Mutex` to
    // let one thread at a time change the value.
    let counter = Arc::new(Mutex::new(0_i32));

    let mut handles = vec![];
    for i in 0..threads {
        // Each thread gets its own `Arc` pointing at the same mutex.
        let counter = Arc::clone(&counter);
        let handle = thread::spawn(move || {
            for _ in 0..increments {
                // Lock, add, unlock (the guard is dropped at the end of the
                // statement): the read and the write of `+= 1` cannot be split
                // by another thread's increment.
                *counter
                    .lock()
                    .expect("no thread panics while holding the lock") += 1;
            }
            println!("thread {i} done");
        });
        handles.push(handle);
    }

    // Wait for all threads to complete: after `join`, everything a thread did
    // is visible here.
    for (i, handle) in handles.into_iter().enumerate() {
        handle
            .join()
            .map_err(|_| anyhow!("thread {i} panicked"))
            .context("joining a counting thread")?;
    }

    let result = *counter
        .lock()
        .expect("no thread panics while holding the lock");
    println!("Result: {result}");
    Ok(())
}
