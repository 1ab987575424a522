//! Count words in parallel into a `DashMap`, and check the result against a
//! plain sequential count.
//!
//! The text is split into one run of lines per thread; every thread adds its
//! words into one shared `DashMap<String, usize>`. A `DashMap` is a set of
//! `RwLock<HashMap>` shards picked by the key's hash: `entry()` locks only the
//! key's shard, so threads counting different words rarely wait for each other,
//! and `*entry += 1` happens under that shard's write lock, so no count is
//! lost. Do not hold a reference into the map (a `Ref` or an `Entry`) while
//! calling into the same map again: that can deadlock on the shard's lock.
//!
//! The text is generated from `--seed` unless `--input` names a UTF-8 file.
//! Nothing varies from run to run: the counts are the same whatever the
//! thread count, and the most frequent words are printed sorted.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin concurrent-map -- --threads 4 --words 200000 --seed 42
//! ```

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread;

use anyhow::{Context, ensure};
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use dashmap::DashMap;

/// Word count with several threads into one concurrent map.
#[derive(Parser)]
struct Args {
    /// Count the words of this UTF-8 text file instead of a generated text.
    #[arg(long)]
    input: Option<PathBuf>,
    /// How many words to generate, without --input [1-10000000].
    #[arg(long, default_value_t = 200_000, value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000_000))]
    words: usize,
    /// Seed of the generated text.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// How many counting threads [1-64].
    #[arg(long, default_value_t = 4, value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    threads: usize,
    /// How many of the most frequent words to print [at least 1].
    #[arg(long, default_value_t = 10, value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    top: usize,
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
    let text = match &args.input {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            println!("text: {}", path.display());
            text
        }
        None => {
            let text = generate_text(args.words, args.seed);
            let first = text.lines().next().unwrap_or_default();
            println!(
                "text: {} generated words, seed {}: {first} ...",
                args.words, args.seed
            );
            text
        }
    };

    let (parallel, spawned) = count_parallel(&text, args.threads);
    let sequential = count_sequential(&text);
    let total: usize = sequential.values().sum();

    ensure!(
        parallel == sequential,
        "the DashMap count differs from the sequential count"
    );

    // The concurrent counts, most frequent first.
    let mut ranked: Vec<(&String, &usize)> = parallel.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (word, count) in ranked.iter().take(args.top) {
        println!("{word}: {count}");
    }
    println!(
        "DashMap count over {spawned} threads equals the sequential count: {total} words, {} distinct",
        sequential.len()
    );
    Ok(())
}

/// Each thread counts a run of lines into the one shared map. Returns the
/// counts and how many threads it took (fewer than asked for a short text).
fn count_parallel(text: &str, threads: usize) -> (HashMap<String, usize>, usize) {
    let counts: DashMap<String, usize> = DashMap::new();
    let lines: Vec<&str> = text.lines().collect();
    let per_thread = lines.len().div_ceil(threads).max(1);
    let chunks: Vec<&[&str]> = lines.chunks(per_thread).collect();
    thread::scope(|s| {
        for chunk in &chunks {
            let counts = &counts;
            s.spawn(move || {
                for word in chunk.iter().flat_map(|line| words_of(line)) {
                    // Locks the key's shard for the increment, then unlocks.
                    *counts.entry(word).or_insert(0) += 1;
                }
            });
        }
    });
    // All threads are joined: the map is ours alone now.
    (counts.into_iter().collect(), chunks.len())
}

/// The reference: one thread, a plain `HashMap`.
fn count_sequential(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for word in text.lines().flat_map(words_of) {
        *counts.entry(word).or_insert(0) += 1;
    }
    counts
}

/// The words of a line, lower-cased, without surrounding punctuation.
fn words_of(line: &str) -> impl Iterator<Item = String> + '_ {
    line.split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
}

// ---- demo inputs ----

/// `n` words drawn from a small vocabulary, frequent words more often (each
/// draw takes the smaller of two uniform picks), twelve words to a line.
fn generate_text(n: usize, seed: u64) -> String {
    const VOCABULARY: [&str; 24] = [
        "the", "of", "and", "to", "a", "in", "thread", "lock", "is", "that", "for", "it", "atomic",
        "with", "as", "mutex", "on", "be", "channel", "data", "race", "memory", "order", "shared",
    ];
    let mut state = seed;
    let mut text = String::with_capacity(n * 6);
    for i in 0..n {
        let pick = (splitmix64(&mut state) % 24).min(splitmix64(&mut state) % 24) as usize;
        let word = VOCABULARY[pick];
        // Some capitals and punctuation, which the count must see through.
        match splitmix64(&mut state) % 16 {
            0 => text.push_str(&word.to_uppercase()),
            1 => text.push_str(&format!("{word},")),
            _ => text.push_str(word),
        }
        text.push(if i % 12 == 11 { '\n' } else { ' ' });
    }
    text
}

/// A small, well-mixed pseudo-random generator (SplitMix64).
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
