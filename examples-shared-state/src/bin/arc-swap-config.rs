//! Lock-free reads of a configuration that a writer replaces, with `arc-swap`.
//!
//! The configuration lives in an `ArcSwap<Config>`: readers `load()` the
//! current `Arc` without taking any lock (a few atomic operations: lock-free
//! always, and wait-free most of the time, says arc-swap; however many readers
//! there are, none blocks the writer or another reader), while a writer builds
//! each new version off to the side and swaps the pointer in one atomic step. A reader therefore holds either the
//! old config or the new one, never a mix: each `Config` is immutable once
//! published. A reader that still holds an old version keeps it alive; it is
//! freed when the last reader lets go.
//!
//! Which versions each reader happens to see, and how many loads it makes,
//! vary from run to run. What never varies: every config a reader sees is
//! whole (its fields agree with its version), no reader sees the version go
//! backwards, and every reader ends on the last version.
//!
//! std alone would need `RwLock<Arc<Config>>` (readers briefly lock to clone
//! the `Arc`, and wait while the writer swaps).
//!
//! ```sh
//! cargo run -p examples-shared-state --bin arc-swap-config -- --readers 4 --versions 20
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use anyhow::ensure;
use arc_swap::ArcSwap;
use clap::Parser;

/// Readers load a config lock-free while a writer publishes new versions.
#[derive(Parser)]
struct Args {
    /// How many reader threads [1-64].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    readers: u32,
    /// How many new versions the writer publishes after version 0 [1-10000].
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    versions: u64,
}

/// A configuration whose fields must agree with each other.
#[derive(Debug)]
struct Config {
    version: u64,
    /// Always `config-v<version>`.
    name: String,
    /// Always `[version; 4]`.
    limits: [u64; 4],
}

impl Config {
    fn new(version: u64) -> Config {
        Config {
            version,
            name: format!("config-v{version}"),
            limits: [version; 4],
        }
    }

    /// Do the fields agree, as a half-written config's would not?
    fn is_whole(&self) -> bool {
        self.name == format!("config-v{}", self.version)
            && self.limits.iter().all(|&l| l == self.version)
    }
}

/// How long the writer waits between versions, so readers see several.
const PAUSE: Duration = Duration::from_millis(1);

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { readers, versions }: Args) -> anyhow::Result<()> {
    let current = ArcSwap::from_pointee(Config::new(0));

    let problems: u64 = thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..versions {
                thread::sleep(PAUSE);
                // Read-copy-update: load the current config, build the next one
                // from it, and compare-and-swap it in; if another writer swapped
                // first, `rcu` tries again (with one writer, it never has to).
                let previous = current.rcu(|old| Config::new(old.version + 1));
                println!("writer: published version {}", previous.version + 1);
            }
        });

        let handles: Vec<_> = (0..readers)
            .map(|r| {
                let current = &current;
                s.spawn(move || {
                    let (mut last, mut loads, mut problems) = (None, 0_u64, 0_u64);
                    // Readers run until the last version. (This writer cannot
                    // fail; one that could would have to tell them it gave up.)
                    while last != Some(versions) {
                        // Lock-free: a few atomic operations, no lock to wait for.
                        let config = current.load();
                        loads += 1;
                        // Every load is checked, not only those printed below:
                        // a mix of two versions could carry the old number.
                        if !config.is_whole() || last.is_some_and(|l| l > config.version) {
                            problems += 1;
                            println!("reader {r}: torn or backward config {config:?}");
                        }
                        if last != Some(config.version) {
                            println!(
                                "reader {r}: sees version {} name {} limits {:?}",
                                config.version, config.name, config.limits
                            );
                            last = Some(config.version);
                        }
                        drop(config);
                        thread::yield_now(); // stand-in for the work of a request
                    }
                    println!("reader {r}: done after {loads} loads");
                    problems
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no reader panics"))
            .sum()
    });

    ensure!(
        problems == 0,
        "readers saw {problems} torn or backward configs"
    );
    println!(
        "All {readers} readers reached version {versions}; every config they saw was whole and no version went backwards"
    );
    Ok(())
}
