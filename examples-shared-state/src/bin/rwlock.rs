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
//! guard). What never varies: every snapshot is a whole version (all values
//! equal to it), each reader's versions never go down, and the final record is
//! the last version.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin rwlock -- --readers 4 --reads 10 --writes 5
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, RwLock};
use std::thread;
use std::time::Duration;

use anyhow::ensure;
use clap::Parser;

/// Readers share a record that one writer updates.
#[derive(Parser)]
struct Args {
    /// How many reader threads [1-64].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    readers: u32,
    /// How many snapshots each reader takes [1-100000].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    reads: u32,
    /// How many versions the writer writes [1-100000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    writes: u64,
    /// How many values the record holds [1-64].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    width: u32,
    /// Test mode: every reader holds its first read guard until all readers
    /// hold one (they meet at a `Barrier`), and only then the writer starts.
    /// A lock that let one reader in at a time would hang here.
    #[arg(long, hide = true)]
    readers_meet: bool,
}

/// How long a reader keeps its read guard, and the writer waits between versions.
const PAUSE: Duration = Duration::from_millis(1);

/// The shared record: whole when every value equals `version`.
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
    let (readers, writes) = (args.readers, args.writes);
    let record = RwLock::new(Record {
        version: 0,
        values: vec![0; args.width as usize],
    });
    // How many readers hold a read guard right now, and the most ever seen.
    let (inside, most_inside) = (AtomicUsize::new(0), AtomicUsize::new(0));
    // Test mode only: the readers and the writer meet here.
    let meet = Barrier::new(readers as usize + 1);

    let torn: u32 = thread::scope(|s| {
        s.spawn(|| {
            if args.readers_meet {
                meet.wait(); // every reader holds a read guard by now
            }
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
                thread::sleep(PAUSE); // give the readers a moment with this version
            }
        });

        let handles: Vec<_> = (0..readers)
            .map(|r| {
                let (record, inside, most_inside, meet) = (&record, &inside, &most_inside, &meet);
                s.spawn(move || {
                    let mut torn = 0;
                    for k in 1..=args.reads {
                        // Read guards are shared: other readers may be in here too.
                        let guard = record.read().expect("no thread panics holding the lock");
                        let now = inside.fetch_add(1, Ordering::Relaxed) + 1;
                        most_inside.fetch_max(now, Ordering::Relaxed);
                        if args.readers_meet && k == 1 {
                            meet.wait(); // holding the guard: all readers are inside at once
                        }
                        let snapshot = guard.clone();
                        // A slow read: the other readers can come in meanwhile,
                        // the writer has to wait until all of them have left.
                        thread::sleep(PAUSE);
                        inside.fetch_sub(1, Ordering::Relaxed);
                        drop(guard); // print outside the lock: the writer need not wait for stdout
                        torn += u32::from(snapshot.values.iter().any(|&v| v != snapshot.version));
                        println!(
                            "reader {r} read {k}: version {} values {:?}",
                            snapshot.version, snapshot.values
                        );
                    }
                    torn
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no reader panics"))
            .sum()
    });

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
        "{readers} readers took {} snapshots each, all whole versions; final version {writes}",
        args.reads
    );
    Ok(())
}
