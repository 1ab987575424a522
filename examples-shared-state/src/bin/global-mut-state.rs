//! Global mutable state with `lazy_static!`: a `Mutex<Vec<String>>` that
//! several threads insert into at once.
//!
//! The cookbook's `FRUIT` list, filled from several threads instead of from
//! `main` alone. `lazy_static!` builds the mutex the first time any thread
//! touches `FRUIT`, exactly once even if several threads race to be first; the
//! mutex then lets one `push` at a time change the vector. The `thread t
//! inserted ...` lines, and the order of the fruit inside `FRUIT`, vary from run
//! to run; the list is printed sorted, so the rest of the output never varies.
//!
//! Since Rust 1.80 std does all of this without a crate (`Mutex::new` is a
//! `const fn`, and `LazyLock`/`OnceLock` cover values that are not): see
//! `global-state-std`, which prints the same list.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin global-mut-state -- --threads 4 --fruits 12
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Mutex;
use std::thread;

use anyhow::anyhow;
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use lazy_static::lazy_static;

lazy_static! {
    static ref FRUIT: Mutex<Vec<String>> = Mutex::new(Vec::new());
}

/// Several threads insert fruit into one global list.
#[derive(Parser)]
struct Args {
    /// How many threads insert at once [1-64].
    #[arg(long, default_value_t = 4, value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    threads: usize,
    /// How many fruits to insert in all: the twelve named ones, then numbered
    /// varieties ("apple #2", ...) [1-100000].
    #[arg(long, default_value_t = 12, value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    fruits: usize,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { threads, fruits }: Args) -> anyhow::Result<()> {
    let names = fruit_names(fruits);
    thread::scope(|s| {
        // Thread t inserts fruits t, t + threads, t + 2 * threads, ...
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let names = &names;
                s.spawn(move || -> anyhow::Result<()> {
                    for fruit in names.iter().skip(t).step_by(threads) {
                        insert(fruit)?;
                        println!("thread {t} inserted {fruit}");
                    }
                    Ok(())
                })
            })
            .collect();
        let joined = handles
            .into_iter()
            .map(|h| h.join().expect("no thread panics"));
        joined.collect::<anyhow::Result<()>>()
    })?;

    let mut db = FRUIT
        .lock()
        .map_err(|_| anyhow!("Failed to acquire MutexGuard"))?;
    db.sort();
    println!("FRUIT, sorted:");
    db.iter()
        .enumerate()
        .for_each(|(i, item)| println!("{i}: {item}"));
    println!(
        "FRUIT holds {} fruits inserted by {threads} threads",
        db.len()
    );
    Ok(())
}

fn insert(fruit: &str) -> anyhow::Result<()> {
    // A poisoned lock means another thread panicked mid-`push`: report it.
    let mut db = FRUIT
        .lock()
        .map_err(|_| anyhow!("Failed to acquire MutexGuard"))?;
    db.push(fruit.to_string());
    Ok(())
}

// ---- demo inputs ----

/// `n` distinct fruit names: the twelve below, then "apple #2", "orange #2", ...
fn fruit_names(n: usize) -> Vec<String> {
    const NAMES: [&str; 12] = [
        "apple", "orange", "peach", "grape", "banana", "cherry", "kiwi", "lemon", "mango", "pear",
        "plum", "fig",
    ];
    (0..n)
        .map(|i| match i / NAMES.len() {
            0 => NAMES[i].to_string(),
            round => format!("{} #{}", NAMES[i % NAMES.len()], round + 1),
        })
        .collect()
}
