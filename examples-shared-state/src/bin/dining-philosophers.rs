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
//! Who eats when varies from run to run. Each `takes fork` and `puts down fork`
//! line is printed while holding that fork's lock, and names the fork from the
//! number stored inside it, so the lines show the real order of acquisition:
//! each philosopher's two `takes` lines are in ascending order, and between
//! one philosopher's `takes fork f` and `puts down fork f` nobody else takes f.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin dining-philosophers -- --meals 3
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Mutex;
use std::thread;

use anyhow::ensure;
use clap::Parser;

const PHILOSOPHERS: [&str; 5] = ["Socrates", "Hypatia", "Plato", "Aristotle", "Pythagoras"];

/// Five philosophers share five forks without deadlock.
#[derive(Parser)]
struct Args {
    /// How many meals each philosopher eats [1-100000].
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    meals: u64,
}

/// A fork knows its number and counts how often it was used.
struct Fork {
    number: usize,
    uses: u64,
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
    let forks: Vec<Mutex<Fork>> = (0..PHILOSOPHERS.len())
        .map(|number| Mutex::new(Fork { number, uses: 0 }))
        .collect();

    thread::scope(|s| {
        for (i, name) in PHILOSOPHERS.into_iter().enumerate() {
            let forks = &forks;
            s.spawn(move || {
                let (left, right) = (i, (i + 1) % PHILOSOPHERS.len());
                // The rule that prevents deadlock: lower-numbered fork first.
                let (first, second) = (left.min(right), left.max(right));
                for meal in 1..=meals {
                    let mut a = forks[first].lock().expect("no philosopher panics");
                    println!("{name} takes fork {}", a.number);
                    let mut b = forks[second].lock().expect("no philosopher panics");
                    println!("{name} takes fork {}", b.number);
                    a.uses += 1;
                    b.uses += 1;
                    println!("{name} eats meal {meal}");
                    // Say so before dropping each guard: the line is under its lock.
                    println!("{name} puts down fork {}", b.number);
                    drop(b);
                    println!("{name} puts down fork {}", a.number);
                    drop(a);
                    // Think a moment: let a hungry neighbour take the forks.
                    thread::yield_now();
                }
            });
        }
    }); // every philosopher is joined here (a panic would be re-raised)

    for fork in forks {
        let Fork { number, uses } = fork.into_inner().expect("no philosopher panicked");
        ensure!(uses == 2 * meals, "fork {number} was used {uses} times");
    }
    println!(
        "All {} philosophers ate {meals} meal{} each; every fork was used {} times; no deadlock",
        PHILOSOPHERS.len(),
        if meals == 1 { "" } else { "s" },
        2 * meals
    );
    Ok(())
}
