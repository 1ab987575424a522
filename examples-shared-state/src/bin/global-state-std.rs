//! Global state with std alone: a `const` `static Mutex`, `OnceLock` and
//! `LazyLock`, written from several threads at once.
//!
//! The `global-mut-state` recipe without `lazy_static`, printing the same
//! sorted list. Which tool fits depends on how the value is made:
//! - `FRUIT`: `Mutex::new` and `Vec::new` are `const fn`, so a plain `static`
//!   holds the list, built at compile time, no lazy initialisation at all.
//! - `CATALOGUE`: the fruit names depend on `--fruits`, known only at run time.
//!   `OnceLock` is set once (by `run`) and read by every thread afterwards.
//! - `INSERTED_BY`: a `HashMap` with the default hasher, `RandomState`, cannot
//!   be built in a `const`: `RandomState` seeds itself at run time. (With a
//!   fixed hasher it can, since Rust 1.85:
//!   `Mutex::new(HashMap::with_hasher(BuildHasherDefault::new()))`.) So
//!   `LazyLock` builds it on first use, exactly once even if several threads
//!   race to be first, the way `lazy_static!` does.
//!
//! The `thread t inserted ...` lines vary from run to run, and so does the
//! order of the fruit inside `FRUIT`; everything after them does not.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin global-state-std -- --threads 4 --fruits 12
//! ```

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::{LazyLock, Mutex, OnceLock};
use std::thread;

use anyhow::{Context, anyhow};
use clap::Parser;
use clap::builder::RangedU64ValueParser;

/// The list itself: a `const` initialiser, so no lazy init is needed.
static FRUIT: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The names to insert, chosen at run time and then never changed.
static CATALOGUE: OnceLock<Vec<String>> = OnceLock::new();

/// Which thread inserted each fruit. Built on first use: `RandomState` is not `const`.
static INSERTED_BY: LazyLock<Mutex<HashMap<String, usize>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

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
    // Set once, before any thread reads it; a second `set` would return Err.
    CATALOGUE
        .set(fruit_names(fruits))
        .map_err(|_| anyhow!("the catalogue was already set"))?;

    thread::scope(|s| {
        // Thread t inserts fruits t, t + threads, t + 2 * threads, ...
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || -> anyhow::Result<()> {
                    // `get` is a plain load once the value is set.
                    let names = CATALOGUE.get().context("the catalogue is not set")?;
                    for fruit in names.iter().skip(t).step_by(threads) {
                        insert(fruit, t)?;
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
    let inserted_by = INSERTED_BY
        .lock()
        .map_err(|_| anyhow!("Failed to acquire MutexGuard"))?;
    for t in 0..threads {
        let count = inserted_by.values().filter(|&&by| by == t).count();
        println!("INSERTED_BY: thread {t} inserted {count} fruits");
    }
    println!(
        "FRUIT holds {} fruits inserted by {threads} threads",
        db.len()
    );
    Ok(())
}

fn insert(fruit: &str, thread: usize) -> anyhow::Result<()> {
    // A poisoned lock means another thread panicked holding it: report it.
    let mut db = FRUIT
        .lock()
        .map_err(|_| anyhow!("Failed to acquire MutexGuard"))?;
    db.push(fruit.to_string());
    // Release FRUIT before taking the next lock: holding two at once is how
    // lock-order deadlocks start.
    drop(db);
    let mut inserted_by = INSERTED_BY
        .lock()
        .map_err(|_| anyhow!("Failed to acquire MutexGuard"))?;
    inserted_by.insert(fruit.to_string(), thread);
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
