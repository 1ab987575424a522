//! Wait for a condition with `Mutex` + `Condvar`, re-checking it in a `while`
//! loop.
//!
//! Waiter threads wait until a setter raises a `ready` flag. One `Condvar`
//! serves two conditions here: the waiters use it to tell the setter "one
//! more of us is waiting", and the setter uses it to say "ready". So a waiter
//! is often woken while its condition, `ready`, is still false: another waiter
//! announced itself. The OS may also wake a waiter for no reason at all (a
//! *spurious* wake-up). Both are why `wait` sits in a `while !ready` loop and
//! never in an `if`: a wake-up is only a hint to look again. (`wait_while` is
//! the same loop, packaged.)
//!
//! Every line is printed while holding the mutex, so the output order is the
//! order in which threads held it. The `woke up` lines, and the order of
//! waiters, vary from run to run; `flag set` always comes after every
//! `waiting` line and before every `proceeds` line.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin condvar -- --waiters 3
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::{Condvar, Mutex};
use std::thread;

use clap::Parser;
use clap::builder::RangedU64ValueParser;

/// Waiter threads wait for a flag that a setter raises.
#[derive(Parser)]
struct Args {
    /// How many threads wait for the flag [1-64].
    #[arg(long, default_value_t = 3, value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    waiters: usize,
}

/// Everything the threads share, behind one mutex.
struct State {
    /// How many waiters have started waiting.
    waiting: usize,
    /// The flag the waiters wait for.
    ready: bool,
    /// Set together with the flag: what the waiters were waiting for.
    message: &'static str,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { waiters }: Args) -> anyhow::Result<()> {
    let state = Mutex::new(State {
        waiting: 0,
        ready: false,
        message: "",
    });
    let changed = Condvar::new();

    thread::scope(|s| {
        for w in 0..waiters {
            let (state, changed) = (&state, &changed);
            s.spawn(move || {
                let mut guard = state.lock().expect("no thread panics holding the lock");
                guard.waiting += 1;
                println!("waiter {w}: waiting (flag is {})", guard.ready);
                // Wake the setter, which waits for all of us (and, with the same
                // condvar, any other waiter: they will find `ready` still false).
                changed.notify_all();
                while !guard.ready {
                    // Unlocks, sleeps until notified (or spuriously), relocks.
                    guard = changed
                        .wait(guard)
                        .expect("no thread panics holding the lock");
                    if !guard.ready {
                        println!("waiter {w}: woke up, flag still false, waiting again");
                    }
                }
                println!(
                    "waiter {w}: proceeds, flag is {}: {}",
                    guard.ready, guard.message
                );
            });
        }

        s.spawn(|| {
            let mut guard = state.lock().expect("no thread panics holding the lock");
            // Wait until every waiter is really waiting: the same loop, for the
            // setter's own condition.
            while guard.waiting < waiters {
                guard = changed
                    .wait(guard)
                    .expect("no thread panics holding the lock");
            }
            guard.ready = true;
            guard.message = "the data is ready";
            println!(
                "setter: flag set after {} waiters were waiting",
                guard.waiting
            );
            // Wake everyone; they proceed one at a time as each relocks.
            changed.notify_all();
        });
    }); // every thread is joined here (a panic would be re-raised)

    println!("All {waiters} waiters proceeded after the flag was set");
    Ok(())
}
