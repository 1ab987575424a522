//! Hash every `*.iso` file under a directory on a thread pool, `sha256sum`-style.
//!
//! The main thread walks the tree (`walkdir`) and queues one job per matching
//! file on a `threadpool` sized by the number of CPUs (`num_cpus::get()`; std
//! now offers `std::thread::available_parallelism()`). Each job hashes its file
//! with `ring`, reading 64 KiB at a time, and sends `(path, result)` back over
//! an mpsc channel. Main drops its own `Sender`, so receiving ends when the
//! last job's clone is gone: no sleeping. A job that panicked sends nothing,
//! so main counts the results against the jobs it queued.
//!
//! Results arrive in whatever order the jobs finish; the recipe sorts them by
//! path, so stdout is the same on every run and is exactly `sha256sum`'s format
//! (`<hex>  <path>`): save it and check it with `sha256sum -c`. Everything
//! else (errors, and the summary naming the directory and the pool's size)
//! goes to stderr. A file that cannot be read is reported and counted, the
//! others are still hashed, and the run ends with an error and exit code 1,
//! as `sha256sum` does. Symbolic links are not followed unless
//! `--follow-links` is given. The demo tree is a new directory each run.
//!
//! ```sh
//! cargo run --release -p examples-threads --bin sha256-files > SUMS && sha256sum -c SUMS
//! cargo run --release -p examples-threads --bin sha256-files -- ~/Downloads --ext iso
//! ```

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;

use anyhow::{Context as _, bail, ensure};
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use ring::digest::{Context, Digest, SHA256};
use threadpool::ThreadPool;
use walkdir::WalkDir;

/// SHA-256 of every file with a given extension under a directory.
#[derive(Parser)]
struct Args {
    /// Directory to search [default: a demo tree generated in the temp directory].
    dir: Option<PathBuf>,
    /// Extension of the files to hash, case-insensitive.
    #[arg(long, default_value = "iso")]
    ext: String,
    /// Follow symbolic links to files and directories.
    #[arg(short = 'L', long)]
    follow_links: bool,
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
    let ext = args.ext.trim_start_matches('.').to_lowercase();
    ensure!(!ext.is_empty(), "--ext must not be empty");
    let dir = match args.dir {
        Some(dir) if dir.is_dir() => dir,
        Some(dir) if dir.exists() => bail!("{}: not a directory", dir.display()),
        Some(dir) => bail!("{}: no such directory", dir.display()),
        None => demo_tree().context("creating the demo tree")?,
    };
    let pool = ThreadPool::new(args.threads.unwrap_or_else(num_cpus::get));

    let mut walk_errors = Vec::new();
    // The walk feeds the pool as it goes: hashing starts with the first file.
    let files = WalkDir::new(&dir)
        .follow_links(args.follow_links)
        .into_iter()
        // A broken link or an unreadable directory is set aside, the walk goes on.
        .filter_map(|entry| entry.map_err(|e| walk_errors.push(e)).ok())
        .filter(|entry| entry.file_type().is_file() && has_extension(entry.path(), &ext))
        .map(walkdir::DirEntry::into_path);
    // 64 KiB reads: large blocks keep the system-call count low.
    let mut results = hash_on_pool(&pool, files, 64 * 1024)?;
    results.sort_by(|a, b| a.0.cmp(&b.0));

    for e in &walk_errors {
        eprintln!("sha256-files: {e}");
    }
    let hashed = results.iter().filter(|(_, digest)| digest.is_ok()).count();
    let failures = walk_errors.len() + results.len() - hashed;
    let mut out = io::stdout().lock();
    for (path, digest) in results {
        match digest {
            Ok(digest) => writeln!(out, "{}  {}", hex(digest.as_ref()), path.display())
                .context("writing to stdout")?,
            Err(e) => eprintln!("sha256-files: {}: {e}", path.display()),
        }
    }
    out.flush().context("writing to stdout")?;
    eprintln!(
        "Hashed {hashed} *.{ext} files under {} with {} threads, {failures} failed",
        dir.display(),
        pool.max_count() // the pool's own size, not the option's
    );
    ensure!(failures == 0, "{failures} failed (reported above)");
    Ok(())
}

/// Hashes every file on `pool`, one job per file, and returns the
/// `(path, digest)` pairs in the order the jobs finished.
pub fn hash_on_pool(
    pool: &ThreadPool,
    files: impl IntoIterator<Item = PathBuf>,
    buffer_size: usize,
) -> anyhow::Result<Vec<(PathBuf, io::Result<Digest>)>> {
    let (tx, rx) = mpsc::channel();
    let mut queued = 0;
    for path in files {
        // Each job owns a clone of the sender and its path.
        let tx = tx.clone();
        pool.execute(move || {
            let digest = sha256_file(&path, buffer_size);
            tx.send((path, digest))
                .expect("main holds the receiver until every job has sent");
        });
        queued += 1;
    }
    // Drop main's sender: the channel closes once every job's clone is gone.
    drop(tx);
    let results: Vec<_> = rx.iter().collect();
    // A job that panicked dropped its sender without sending.
    let panicked = queued - results.len();
    ensure!(panicked == 0, "{panicked} of {queued} jobs panicked");
    Ok(results)
}

/// SHA-256 of a file's contents, read `buffer_size` bytes at a time: the
/// kernel each pool job runs.
pub fn sha256_file(path: &Path, buffer_size: usize) -> io::Result<Digest> {
    let mut file = File::open(path)?;
    let mut context = Context::new(&SHA256);
    let mut buffer = vec![0; buffer_size];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok(context.finish()),
            Ok(n) => context.update(&buffer[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.to_string_lossy().to_lowercase() == ext)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- demo inputs ----

/// A small tree of "disc images" in a new directory under `$TMPDIR`, its own
/// for each run (so two runs never read each other's half-written files) and
/// kept afterwards (the summary names it): nested folders, an empty file, `abc`,
/// mixed-case extensions, files that do not match, and files of several MiB.
fn demo_tree() -> anyhow::Result<PathBuf> {
    let root = tempfile::Builder::new()
        .prefix("sha256-files-demo-")
        .tempdir()
        .context("creating a directory in the temp directory")?
        .keep();
    for (name, contents) in [
        ("abc.iso", b"abc".to_vec()),
        ("empty.iso", Vec::new()),
        ("notes.txt", pattern(1000)),
        ("images/debian-netinst.iso", pattern(24 << 20)),
        ("images/alpine-virt.ISO", pattern(3 << 20)),
        ("images/README.md", pattern(200)),
        ("images/old/freedos.Iso", pattern(2 << 20)),
        ("images/old/memtest.iso", pattern(1 << 20)),
        ("images/old/very/deep/rescue.iso", pattern(5 << 20)),
        ("images/old/very/deep/rescue.iso.part", pattern(4096)),
    ] {
        let path = root.join(name);
        fs::create_dir_all(path.parent().expect("demo paths have a parent"))
            .with_context(|| format!("creating {}", path.display()))?;
        fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(root)
}

/// `len` bytes of a fixed pseudo-random pattern (xorshift), so the demo
/// digests are the same on every run.
fn pattern(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
