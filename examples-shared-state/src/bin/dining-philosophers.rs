//! Five dining philosophers, kept out of deadlock by always picking up the
//! lower-numbered fork first.
//!
//! Five philosophers sit at a round table with a fork between each pair; a
//! philosopher eats with both neighbouring forks, each fork a `Mutex`. If every
//! philosopher took the left fork and then the right one, all five could take
//! their left fork at the same moment and wait forever for the right one: a
//! cycle of waits, a deadlock. Here everyone takes the *lower-numbered* of
//! their two forks first. Then the last philosopher (forks 4 and 0) reaches for
//! fork 0 first, like the first one does, so the waits can never close a
//! circle: whoever holds the highest-numbered fork taken so far can always get
//! their second one and finish. The same rule works for any set of locks: give
//! them a global order and always lock in that order.
//!
//! Who eats when varies from run to run. The `picks up` and `puts down` lines
//! are printed while holding both forks, so between a philosopher's pair of
//! lines nobody else picks up either of those forks; each philosopher eats
//! exactly `--meals` times and each fork is used by its two neighbours.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin dining-philosophers -- --meals 3
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Mutex;
use std::thread;

use anyhow::{anyhow, ensure};
use clap::Parser;

const PHILOSOPHERS: [&str; 5] = ["Socrates", "Hypatia", "Plato", "Aristotle", "Pythagoras"];

/// Five philosophers share five forks without deadlock.
#[derive(Parser)]
struct Args {
    /// How many meals each philosopher eats.
    #[arg(long, default_value_t = 3)]
    meals: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { meals }: Args) -> anyhow::Result<()> {
    ensure!(
        (1..=100_000).contains(&meals),
        "--meals must be between 1 and 100000, got {meals}"
    );

    // Each fork counts how often it was used: the proof, checked below, that
    // every meal was eaten with both forks in hand.
    let forks: Vec<Mutex<u64>> = PHILOSOPHERS.iter().map(|_| Mutex::new(0)).collect();

    let joined = thread::scope(|s| {
        let handles: Vec<_> = PHILOSOPHERS
            .iter()
            .enumerate()
            .map(|(i, &name)| {
                let forks = &forks;
                s.spawn(move || {
                    let (left, right) = (i, (i + 1) % PHILOSOPHERS.len());
                    // The rule that prevents deadlock: lower-numbered fork first.
                    let (first, second) = (left.min(right), left.max(right));
                    for meal in 1..=meals {
                        let mut a = forks[first].lock().expect("no philosopher panics");
                        let mut b = forks[second].lock().expect("no philosopher panics");
                        println!("{name} picks up forks {first} and {second}");
                        *a += 1;
                        *b += 1;
                        println!("{name} eats meal {meal}");
                        println!("{name} puts down forks {first} and {second}");
                        // Dropping the guards puts the forks down (in any order).
                        drop(b);
                        drop(a);
                        // Think a moment: let a hungry neighbour take the forks.
                        thread::yield_now();
                    }
                })
            })
            .collect();
        // Join every thread, even after one failed, before looking at results.
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    });
    joined
        .into_iter()
        .collect::<std::thread::Result<Vec<()>>>()
        .map_err(|_| anyhow!("a philosopher panicked"))?;

    for (fork, uses) in forks.into_iter().enumerate() {
        let uses = uses.into_inner().expect("no philosopher panicked");
        ensure!(
            uses == 2 * meals,
            "fork {fork} was used {uses} times, not {}",
            2 * meals
        );
    }
    println!(
        "All {} philosophers ate {meals} meal{} each; every fork was used {} times; no deadlock",
        PHILOSOPHERS.len(),
        if meals == 1 { "" } else { "s" },
        2 * meals
    );
    Ok(())
}
