//! Sum the sizes of every file in a tree, statting the files on a thread pool.
//!
//! The main thread walks the tree with `walkdir` and queues one job per file on
//! a `threadpool`; each job asks the file system for the file's size. Where
//! `sha256-files` sends each result back over a channel, here the jobs add into
//! shared atomic counters, and main waits with `pool.join()`, which returns
//! once the queue is empty and every worker is idle. Each counter is updated
//! with `fetch_add`, one indivisible read-modify-write: two jobs adding at once
//! both count (a `load` then a `store` could lose one). `Relaxed` is enough:
//! no other data depends on the counters, and `join` synchronises with the
//! finished jobs before main reads them. A job that panicked counts nothing,
//! so main checks that every queued job was counted (`pool.panic_count()`
//! could still read 0 there: threadpool marks a worker idle before it counts
//! its panic).
//!
//! Sizes are apparent sizes of regular files (`metadata().len()`, the size
//! `du --apparent-size -b` gives a file; `du`'s total also counts the
//! directories themselves, and a file with several hard links once, where
//! this recipe counts it once per link). Symbolic links are not followed, so
//! no file is reached through a link. A file that cannot be examined is
//! reported on stderr and counted as failed; the sum covers all the others and
//! the exit code is 1. Nothing in the output varies between runs on the same
//! tree; the demo tree is a new directory each run.
//!
//! ```sh
//! cargo run --release -p examples-threads --bin dir-size -- ~/src
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use anyhow::{Context, bail, ensure};
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use threadpool::ThreadPool;
use walkdir::WalkDir;

/// Count the files under a directory and sum their sizes.
#[derive(Parser)]
struct Args {
    /// Directory to measure [default: a demo tree generated in the temp directory].
    dir: Option<PathBuf>,
    /// Worker threads [1-1024; default: the number of logical CPUs].
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1024))]
    threads: Option<usize>,
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
    let dir = match args.dir {
        Some(dir) if dir.is_dir() => dir,
        Some(dir) if dir.exists() => bail!("{}: not a directory", dir.display()),
        Some(dir) => bail!("{}: no such directory", dir.display()),
        None => demo_tree().context("creating the demo tree")?,
    };
    let pool = ThreadPool::new(args.threads.unwrap_or_else(num_cpus::get));

    // Shared by every job through an `Arc`.
    let totals = Arc::new(Totals::default());
    let (mut directories, mut queued, mut walk_failed) = (0, 0, 0);
    for entry in WalkDir::new(&dir) {
        match entry {
            Ok(entry) if entry.file_type().is_dir() => directories += 1,
            Ok(entry) if entry.file_type().is_file() => {
                let totals = Arc::clone(&totals);
                pool.execute(move || match fs::symlink_metadata(entry.path()) {
                    Ok(metadata) => totals.add_file(metadata.len()),
                    Err(e) => totals.add_failure(entry.path(), &e),
                });
                queued += 1;
            }
            Ok(_symlink_or_special) => {}
            Err(e) => {
                eprintln!("dir-size: {e}");
                walk_failed += 1;
            }
        }
    }
    // Wait for every queued job: after this, all their additions are visible.
    pool.join();
    let [files, bytes, failed] =
        [&totals.files, &totals.bytes, &totals.failed].map(|c| c.load(Relaxed));
    ensure!(
        files + failed == queued,
        "{} of {queued} jobs panicked",
        queued - files - failed
    );

    let failed = failed + walk_failed;
    println!("Directories: {directories}");
    println!("Files: {files}");
    println!(
        "Bytes: {bytes} ({:.1} MiB)",
        bytes as f64 / f64::from(1 << 20)
    );
    println!(
        "Total: {files} files, {bytes} bytes under {} ({failed} failed, {} threads)",
        dir.display(),
        pool.max_count()
    );
    ensure!(failed == 0, "{failed} failed (reported above)");
    Ok(())
}

/// What the jobs add up.
#[derive(Default)]
pub struct Totals {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    pub failed: AtomicU64,
}

impl Totals {
    /// One file of `len` bytes, from any thread.
    pub fn add_file(&self, len: u64) {
        self.files.fetch_add(1, Relaxed);
        self.bytes.fetch_add(len, Relaxed);
    }

    /// One file that could not be examined.
    fn add_failure(&self, path: &Path, error: &std::io::Error) {
        eprintln!("dir-size: {}: {error}", path.display());
        self.failed.fetch_add(1, Relaxed);
    }
}

// ---- demo inputs ----

/// 2000 files of varied sizes in 8 folders, in a new directory under
/// `$TMPDIR`, its own for each run (so two runs never read each other's
/// half-written files) and kept afterwards at the printed path.
fn demo_tree() -> anyhow::Result<PathBuf> {
    let root = tempfile::Builder::new()
        .prefix("dir-size-demo-")
        .tempdir()
        .context("creating a directory in the temp directory")?
        .keep();
    for d in 0..8 {
        let sub = root.join(format!("folder-{d}")).join("nested");
        fs::create_dir_all(&sub).with_context(|| format!("creating {}", sub.display()))?;
        for f in 0..250 {
            let path = if f % 2 == 0 {
                sub.join(format!("file-{f}.dat"))
            } else {
                sub.with_file_name(format!("file-{f}.dat"))
            };
            let len = (d * 250 + f) * 37 % 4096;
            fs::write(&path, vec![b'x'; len])
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    println!("Demo tree: {}", root.display());
    Ok(root)
}
