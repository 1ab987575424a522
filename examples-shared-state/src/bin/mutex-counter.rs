//! Share a counter between threads with `Arc<Mutex<i32>>`.
//!
//! Ten threads (by default) each lock the mutex and add one. `Arc` lets every
//! thread own a handle to the same mutex; the mutex lets one thread at a time
//! read-modify-write the number, so no increment is lost. The `thread i done`
//! lines come in a different order from run to run; the result never varies.
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

use clap::Parser;

/// Ten threads add to one counter behind a mutex.
#[derive(Parser)]
struct Args {
    /// How many threads to spawn [1-1024].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: u32,
    /// How many times each thread adds one, under the lock [1-1000000].
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
    // `Arc` shares ownership of the counter; `Mutex` lets one thread at a
    // time change it. (1024 x 1000000 still fits the `i32`.)
    let counter = Arc::new(Mutex::new(0_i32));
    let mut handles = vec![];
    for i in 0..args.threads {
        let counter = Arc::clone(&counter); // a handle to the same mutex
        handles.push(thread::spawn(move || {
            for _ in 0..args.increments {
                // Lock, add, unlock at the end of the statement: no other
                // increment can come between the read and the write.
                *counter.lock().expect("no thread panics holding the lock") += 1;
            }
            println!("thread {i} done");
        }));
    }
    for handle in handles {
        // After `join`, everything the thread did is visible here.
        handle.join().expect("no counting thread panics");
    }
    println!("Result: {}", *counter.lock().expect("no thread panicked"));
    Ok(())
}
