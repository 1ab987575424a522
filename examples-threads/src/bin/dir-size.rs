//! Sum the sizes of every file in a tree, statting the files on a thread pool.
//!
//! The main thread walks the tree with `walkdir` and queues one job per file on
//! a `threadpool`; each job asks the file system for the file's size. Where
//! `sha256-files` sends each result back over a channel, here the jobs add into
//! shared atomic counters, and main waits with `pool.join()`, which returns
//! once the queue is empty and every worker is idle. `Relaxed` is enough for
//! the counters: each is updated with one atomic read-modify-write, no other
//! data depends on them, and `join` synchronises with the finished jobs before
//! main reads the totals.
//!
//! Sizes are apparent sizes of regular files (`metadata().len()`, the size
//! `du --apparent-size -b` gives a file; `du`'s total also counts the
//! directories themselves, and a file with several hard links once, where
//! this recipe counts it once per link). Symbolic links are not followed, so
//! no file is reached through a link. A file that
//! cannot be examined is reported on stderr and counted as failed; the sum
//! covers all the others and the exit code is 1.
//!
//! ```sh
//! cargo run --release -p examples-threads --bin dir-size -- ~/src
//! ```

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail, ensure};
use clap::Parser;
use threadpool::ThreadPool;
use walkdir::WalkDir;

/// Count the files under a directory and sum their sizes.
#[derive(Parser)]
struct Args {
    /// Directory to measure [default: a demo tree generated in the temp directory].
    dir: Option<PathBuf>,
    /// Worker threads [default: the number of logical CPUs].
    #[arg(long)]
    threads: Option<usize>,
}

/// What the jobs add up; shared by every job through an `Arc`.
#[derive(Default)]
struct Totals {
    files: AtomicU64,
    bytes: AtomicU64,
    failed: AtomicU64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    match run(Args::parse()) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_failed) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Returns how many entries could not be examined.
fn run(args: Args) -> anyhow::Result<u64> {
    let threads = args.threads.unwrap_or_else(num_cpus::get);
    ensure!(
        (1..=1024).contains(&threads),
        "--threads must be between 1 and 1024, got {threads}"
    );
    let dir = match args.dir {
        Some(dir) if dir.is_dir() => dir,
        Some(dir) if dir.exists() => bail!("{}: not a directory", dir.display()),
        Some(dir) => bail!("{}: no such directory", dir.display()),
        None => demo_tree().context("creating the demo tree")?,
    };

    let pool = ThreadPool::new(threads);
    let totals = Arc::new(Totals::default());
    let mut directories = 0;
    for entry in WalkDir::new(&dir) {
        match entry {
            Ok(entry) if entry.file_type().is_dir() => directories += 1,
            Ok(entry) if entry.file_type().is_file() => {
                let totals = Arc::clone(&totals);
                pool.execute(move || add_file(entry.path(), &totals));
            }
            Ok(_symlink_or_special) => {}
            Err(e) => {
                eprintln!("dir-size: {e}");
                totals.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    // Wait for every queued job: after this, all their additions are visible.
    pool.join();
    ensure!(
        pool.panic_count() == 0,
        "{} jobs panicked",
        pool.panic_count()
    );

    let files = totals.files.load(Ordering::Relaxed);
    let bytes = totals.bytes.load(Ordering::Relaxed);
    let failed = totals.failed.load(Ordering::Relaxed);
    println!("Directories: {directories}");
    println!("Files: {files}");
    println!(
        "Bytes: {bytes} ({:.1} MiB)",
        bytes as f64 / f64::from(1 << 20)
    );
    println!(
        "Total: {files} files, {bytes} bytes under {} ({failed} failed, {threads} threads)",
        dir.display()
    );
    Ok(failed)
}

/// One job: the size of one file, added into the shared totals.
fn add_file(path: &Path, totals: &Totals) {
    match fs::symlink_metadata(path) {
        Ok(metadata) => {
            totals.files.fetch_add(1, Ordering::Relaxed);
            totals.bytes.fetch_add(metadata.len(), Ordering::Relaxed);
        }
        Err(e) => {
            eprintln!("dir-size: {}: {e}", path.display());
            totals.failed.fetch_add(1, Ordering::Relaxed);
        }
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
