//! Many readers and one writer share a record through `RwLock`.
//!
//! The record holds a version number and a row of values that the writer keeps
//! equal to the version. The writer changes them one value at a time, so
//! between two writes of one update the record is half new, half old; the
//! write lock hides that from everybody else. Readers share the lock: any
//! number of them may hold a read guard at once, but never while the writer
//! holds the write guard.
//!
//! What varies from run to run: which versions each reader happens to see, in
//! what order the lines come out, and how many readers were inside at once
//! (several even on one core, since a reader sleeps while it holds its
//! guard). What never varies: every snapshot is a whole
//! version (all values equal to it), each reader's versions never go down,
//! and the final record is the last version.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin rwlock -- --readers 4 --reads 10 --writes 5
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{anyhow, ensure};
use clap::Parser;

/// Readers share a record that one writer updates.
#[derive(Parser)]
struct Args {
    /// How many reader threads.
    #[arg(long, default_value_t = 4)]
    readers: usize,
    /// How many snapshots each reader takes.
    #[arg(long, default_value_t = 10)]
    reads: usize,
    /// How many versions the writer writes.
    #[arg(long, default_value_t = 5)]
    writes: u64,
    /// How many values the record holds.
    #[arg(long, default_value_t = 4)]
    width: usize,
}

/// How long a reader keeps its read guard, and the writer waits between versions.
const PAUSE: Duration = Duration::from_millis(1);

/// The shared record: consistent when every value equals `version`.
#[derive(Clone)]
struct Record {
    version: u64,
    values: Vec<u64>,
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
    let Args {
        readers,
        reads,
        writes,
        width,
    } = args;
    ensure!(
        (1..=64).contains(&readers),
        "--readers must be between 1 and 64, got {readers}"
    );
    ensure!(
        (1..=100_000).contains(&reads),
        "--reads must be between 1 and 100000, got {reads}"
    );
    ensure!(
        (1..=100_000).contains(&writes),
        "--writes must be between 1 and 100000, got {writes}"
    );
    ensure!(
        (1..=64).contains(&width),
        "--width must be between 1 and 64, got {width}"
    );

    let record = RwLock::new(Record {
        version: 0,
        values: vec![0; width],
    });
    // How many readers hold a read guard right now, and the most ever seen.
    let inside = AtomicUsize::new(0);
    let most_inside = AtomicUsize::new(0);

    let joined = thread::scope(|s| {
        s.spawn(|| {
            for version in 1..=writes {
                // The write guard excludes every reader and waits for the ones
                // inside to leave, so nobody sees the half-written record.
                let mut record = record.write().expect("no thread panics holding the lock");
                record.version = version;
                for value in record.values.iter_mut() {
                    *value = version;
                    // Let other threads run while the record is half-written:
                    // they still cannot see it, they wait for the lock.
                    thread::yield_now();
                }
                drop(record);
                println!("writer: wrote version {version}");
                // Give the readers a moment with this version before the next.
                thread::sleep(PAUSE);
            }
        });

        let handles: Vec<_> = (0..readers)
            .map(|r| {
                let (record, inside, most_inside) = (&record, &inside, &most_inside);
                s.spawn(move || {
                    let mut torn = 0;
                    for k in 1..=reads {
                        // Read guards are shared: other readers may be in here too.
                        let guard = record.read().expect("no thread panics holding the lock");
                        let now = inside.fetch_add(1, Ordering::Relaxed) + 1;
                        most_inside.fetch_max(now, Ordering::Relaxed);
                        let snapshot = guard.clone();
                        // A slow read: the other readers can come in meanwhile,
                        // the writer has to wait until all of them have left.
                        thread::sleep(PAUSE);
                        inside.fetch_sub(1, Ordering::Relaxed);
                        drop(guard); // print outside the lock: the writer need not wait for stdout
                        if snapshot.values.iter().any(|&v| v != snapshot.version) {
                            torn += 1;
                        }
                        println!(
                            "reader {r} read {k}: version {} values {:?}",
                            snapshot.version, snapshot.values
                        );
                    }
                    torn
                })
            })
            .collect();
        // Join every thread, even after one failed, before looking at results.
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    });
    let torn: usize = joined
        .into_iter()
        .sum::<std::thread::Result<usize>>()
        .map_err(|_| anyhow!("a reader panicked"))?;

    let record = record
        .into_inner()
        .expect("no thread panicked holding the lock");
    println!(
        "most readers inside the lock at once: {}",
        most_inside.into_inner()
    );
    println!(
        "final record: version {} values {:?}",
        record.version, record.values
    );
    ensure!(torn == 0, "{torn} reads saw a half-written record");
    ensure!(
        record.version == writes && record.values.iter().all(|&v| v == writes),
        "the final record is not version {writes}"
    );
    println!(
        "{readers} readers took {reads} snapshots each, all whole versions; final version {writes}"
    );
    Ok(())
}
