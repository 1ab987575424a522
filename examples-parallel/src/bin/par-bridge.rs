//! Turn a sequential iterator into parallel work with `par_bridge()`.
//!
//! Some iterators can only be walked one item at a time: the lines of a text,
//! a channel's receiver, a directory listing. `par_bridge()` lets rayon's
//! workers pull from such an iterator (one at a time, behind a lock) and
//! process what they pulled in parallel. It does not keep the order: items
//! reach the workers, and results reach `collect`, in whatever order the
//! workers got to them, which varies from run to run (the `order` line). So
//! reduce the results (sum, count, max) or sort them.
//!
//! Prefer `collect::<Vec<_>>()` then `par_iter()` when the items are cheap to
//! hold and the work per item is small: an indexed `Vec` is split into big
//! halves with no lock, and keeps the order. `par_bridge` is for items that
//! arrive over time (a channel: work starts before the last one is sent) or
//! that you would rather not hold all at once.
//!
//! ```sh
//! cargo run -p examples-parallel --bin par-bridge -- --lines 10000 --numbers 1000000
//! ```

use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;

use anyhow::ensure;
use clap::Parser;
use rayon::prelude::*;

/// Process the lines of a text and the numbers from a channel with `par_bridge`.
#[derive(Parser)]
struct Args {
    /// Lines of the generated text [1-1000000].
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    lines: u32,
    /// Numbers 1..=N sent over the channel [1-10000000].
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    numbers: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { lines, numbers }: Args) -> anyhow::Result<()> {
    let text = generate_text(lines);
    // `str::lines` is sequential: it finds each line's end by scanning.
    let parallel_words: usize = text.lines().par_bridge().map(words).sum();
    let sequential_words: usize = text.lines().map(words).sum();
    println!(
        "{lines} lines: {parallel_words} words by par_bridge, {sequential_words} sequentially"
    );
    ensure!(
        parallel_words == sequential_words,
        "par_bridge lost or repeated a line"
    );

    // `collect` joins what each worker pulled, in no fixed order.
    let mut order: Vec<u32> = text.lines().par_bridge().map(line_number).collect();
    let moved = order.iter().zip(0..).filter(|&(&n, i)| n != i).count();
    println!("order: collect put {moved} of the {lines} lines away from their place in the text");
    order.sort_unstable();
    ensure!(
        order.into_iter().eq(0..lines),
        "par_bridge lost or repeated a line"
    );

    // A producer thread sends numbers one by one; the workers pull them from
    // the receiver as they arrive. The iterator ends when the sender is dropped.
    let (tx, rx) = mpsc::channel();
    let producer = thread::spawn(move || (1..=numbers).try_for_each(|n| tx.send(n)));
    let (sum, longest) = rx
        .into_iter()
        .par_bridge()
        .map(|n| (n, (collatz_steps(n), n)))
        .reduce(|| (0, (0, 0)), |(s1, l1), (s2, l2)| (s1 + s2, l1.max(l2)));
    producer
        .join()
        .expect("the producer does not panic")
        .expect("the receiver is alive until the sender is dropped");
    let expected = (1..=numbers).map(|n| (collatz_steps(n), n)).max();
    ensure!(
        sum == numbers * (numbers + 1) / 2,
        "par_bridge lost or repeated a number"
    );
    ensure!(
        Some(longest) == expected,
        "par_bridge's longest chain differs from a sequential pass"
    );
    let (steps, start) = longest;
    println!(
        "1..={numbers} from a channel: sum {sum}, longest Collatz chain from {start}: {steps} steps"
    );
    println!("par_bridge saw each of {lines} lines and {numbers} numbers once");
    Ok(())
}

fn words(line: &str) -> usize {
    line.split_whitespace().count()
}

/// The number a generated line starts with.
fn line_number(line: &str) -> u32 {
    let first = line.split_whitespace().next().unwrap_or_default();
    first
        .parse()
        .expect("every generated line starts with its number")
}

/// Steps of n -> n/2 or 3n+1 until n is 1 (27 takes 111).
fn collatz_steps(mut n: u64) -> u32 {
    let mut steps = 0;
    while n != 1 {
        n = if n.is_multiple_of(2) {
            n / 2
        } else {
            3 * n + 1
        };
        steps += 1;
    }
    steps
}

// ---- demo inputs ----

/// Line i is its number followed by i % 7 words: 1 to 7 words a line.
fn generate_text(lines: u32) -> String {
    (0..lines)
        .map(|i| format!("{i}{}\n", " word".repeat(i as usize % 7)))
        .collect()
}
