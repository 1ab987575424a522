//! `tokio::fs`: write, copy, read back and remove files, with many reads at once in a `JoinSet`.
//!
//! The recipe makes its own directory (`async-files-demo-...` under the
//! temporary directory, printed), writes `--files` files of different sizes
//! with `tokio::fs::write`, copies each into `copies/` with `tokio::fs::copy`,
//! then reads all of them back at once, one task per file in a `JoinSet`, and
//! checks every size and checksum (FNV-1a, 64 bits) against what it wrote.
//! Last, it removes the copies one by one (`remove_file`) and the whole
//! directory (`remove_dir_all`).
//!
//! Underneath, each `tokio::fs` call runs the blocking `std::fs` call on
//! tokio's blocking thread pool (`spawn_blocking`): operating systems have no
//! portable asynchronous file API. So reads in a `JoinSet` overlap on those
//! threads, which pays for many files; for one large file, or many calls in a
//! row, one `spawn_blocking` doing the std calls costs less. The `read` lines
//! come in a different order on every run (whichever read finishes first); the
//! numbers in them, and every other line but the directory's name, do not.
//!
//! ```sh
//! cargo run -p examples-async --bin async-files -- --files 16 --max-bytes 65536
//! cargo run -p examples-async --bin async-files -- --read Cargo.toml
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, ensure};
use clap::Parser;
use tokio::fs;
use tokio::task::JoinSet;

/// Write, copy, read back concurrently and remove demo files with tokio::fs.
#[derive(Parser)]
struct Args {
    /// How many files to write [1-1000].
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1000))]
    files: u64,
    /// Size of the largest file in bytes; file i has (i+1)/files of it [1-16777216].
    #[arg(long, default_value_t = 65536, value_parser = clap::value_parser!(u64).range(1..=1 << 24))]
    max_bytes: u64,
    /// Instead of the demo: read this file and print its size and checksum.
    #[arg(long, value_name = "PATH")]
    read: Option<PathBuf>,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[tokio::main]
async fn run(args: Args) -> anyhow::Result<()> {
    if let Some(path) = args.read {
        let (size, sum) = read_file(&path).await?;
        println!("{}: {size} bytes, fnv1a64 {sum:016x}", path.display());
        return Ok(());
    }
    // The guard removes the directory if the run fails half-way; on success
    // the recipe removes it itself, with `tokio::fs`, at the end.
    let guard = tempfile::Builder::new()
        .prefix("async-files-demo-")
        .tempdir()
        .context("creating the demo directory")?;
    let dir = guard.path().to_owned();
    println!("demo directory: {}", dir.display());

    // Write, then copy: each call awaits its blocking-pool job.
    let mut expected = BTreeMap::new(); // path -> (size, checksum)
    fs::create_dir(dir.join("copies"))
        .await
        .with_context(|| format!("creating {}", dir.join("copies").display()))?;
    for i in 0..args.files {
        let name = format!("file-{i:03}.bin");
        let (path, copy) = (dir.join(&name), dir.join("copies").join(&name));
        let bytes = demo_bytes(i, (i + 1) * args.max_bytes / args.files);
        fs::write(&path, &bytes)
            .await
            .with_context(|| format!("writing {}", path.display()))?;
        let copied = fs::copy(&path, &copy)
            .await
            .with_context(|| format!("copying {} to {}", path.display(), copy.display()))?;
        let known = (bytes.len() as u64, fnv1a64(&bytes));
        println!(
            "wrote {name}: {} bytes, fnv1a64 {:016x}; copied {copied} bytes",
            known.0, known.1
        );
        expected.insert(path, known);
        expected.insert(copy, known);
    }

    // Read every file at once: one task each, results in completion order.
    let mut reads = JoinSet::new();
    for path in expected.keys().cloned() {
        reads.spawn(async move {
            let got = read_file(&path).await;
            (path, got)
        });
    }
    let mut total = 0;
    while let Some(done) = reads.join_next().await {
        let (path, got) = done.context("a read task panicked")?;
        let (size, sum) = got?;
        let name = path.strip_prefix(&dir).unwrap_or(&path).display();
        println!("read {name}: {size} bytes, fnv1a64 {sum:016x}");
        ensure!(
            expected[&path] == (size, sum),
            "{name} did not read back as written"
        );
        total += size;
    }

    for i in 0..args.files {
        let copy = dir.join("copies").join(format!("file-{i:03}.bin"));
        fs::remove_file(&copy)
            .await
            .with_context(|| format!("removing {}", copy.display()))?;
    }
    fs::remove_dir_all(&dir)
        .await
        .with_context(|| format!("removing {}", dir.display()))?;
    drop(guard); // the directory is already gone: nothing left to remove
    println!(
        "{} files written, copied and read back by {} concurrent reads ({total} bytes): \
         every size and checksum matched; directory removed",
        args.files,
        expected.len()
    );
    Ok(())
}

/// Reads a whole file; returns its size and checksum.
async fn read_file(path: &Path) -> anyhow::Result<(u64, u64)> {
    let bytes = fs::read(path)
        .await
        .with_context(|| format!("reading {}", path.display()))?;
    Ok((bytes.len() as u64, fnv1a64(&bytes)))
}

/// The 64-bit FNV-1a hash: a checksum that any changed byte alters.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---- demo inputs ----

/// The contents of demo file `i`: `len` bytes of a pattern that differs per file.
fn demo_bytes(i: u64, len: u64) -> Vec<u8> {
    (0..len).map(|j| ((j * 31 + i * 17) % 251) as u8).collect()
}
