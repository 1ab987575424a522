//! Benchmarks of the examples-threads recipes that exist to be fast.
//!
//! Every group has a `sequential` baseline beside the concurrent designs, over
//! sizes from tiny to large, so the report can give each design's speed as a
//! ratio to the baseline measured in the same run. The recipes' own kernels
//! are called by including the recipe files: one source of truth.
//!
//! ```sh
//! make bench          # every crate's benchmarks
//! make bench-report   # ... and BENCHMARKS.md from the results
//! ```

use std::fs;
use std::hint::black_box;
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use threadpool::ThreadPool;

#[allow(
    dead_code,
    reason = "the benchmark calls the kernels, not the recipe's main"
)]
#[path = "../src/bin/fractal.rs"]
mod fractal;

#[allow(
    dead_code,
    reason = "the benchmark calls the kernels, not the recipe's main"
)]
#[path = "../src/bin/sha256-files.rs"]
mod sha256_files;

fn cores() -> usize {
    num_cpus::get()
}

/// The fractal four ways: one thread; the recipe's threadpool job per row; the
/// cookbook's threadpool job per pixel; rayon over rows.
fn fractal(c: &mut Criterion) {
    let mut group = c.benchmark_group("fractal");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500));
    for (w, h) in [(64, 36), (480, 270), (1920, 1080)] {
        let size = format!("{w}x{h}");
        group.bench_with_input(
            BenchmarkId::new("sequential", &size),
            &(w, h),
            |b, &(w, h)| {
                b.iter(|| {
                    (0..h)
                        .flat_map(|y| fractal::render_row(y, w, h))
                        .collect::<Vec<u8>>()
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("threadpool, job per row", &size),
            &(w, h),
            |b, &(w, h)| b.iter(|| fractal::render_with_pool(&ThreadPool::new(cores()), w, h)),
        );
        group.bench_with_input(
            BenchmarkId::new("threadpool, job per pixel", &size),
            &(w, h),
            |b, &(w, h)| b.iter(|| render_per_pixel(w, h, cores())),
        );
        group.bench_with_input(
            BenchmarkId::new("rayon par_chunks_mut", &size),
            &(w, h),
            |b, &(w, h)| b.iter(|| render_rayon(w, h)),
        );
    }
    group.finish();
}

/// The cookbook's design: one job and one message per pixel.
fn render_per_pixel(width: u32, height: u32, threads: usize) -> Vec<u8> {
    let pool = ThreadPool::new(threads);
    let (tx, rx) = mpsc::channel();
    for y in 0..height {
        for x in 0..width {
            let tx = tx.clone();
            pool.execute(move || {
                tx.send((x, y, fractal::pixel_rgb(x, y, width, height)))
                    .expect("the receiver outlives the jobs");
            });
        }
    }
    drop(tx);
    let mut pixels = vec![0; width as usize * height as usize * 3];
    for (x, y, rgb) in rx {
        let at = (y as usize * width as usize + x as usize) * 3;
        pixels[at..at + 3].copy_from_slice(&rgb);
    }
    pixels
}

/// rayon: each row of the output buffer is a chunk, rendered in place.
fn render_rayon(width: u32, height: u32) -> Vec<u8> {
    let mut pixels = vec![0; width as usize * height as usize * 3];
    pixels
        .par_chunks_mut(width as usize * 3)
        .enumerate()
        .for_each(|(y, row)| row.copy_from_slice(&fractal::render_row(y as u32, width, height)));
    pixels
}

/// Files for the hashing benchmarks, written once and read once so the page
/// cache is warm: `count` files of `mib` MiB each.
fn sha_inputs(dir: &tempfile::TempDir, count: usize, mib: usize) -> Vec<PathBuf> {
    (0..count)
        .map(|i| {
            let path = dir.path().join(format!("disc-{i:02}.iso"));
            let contents: Vec<u8> = (0..mib << 20).map(|j| (j * 31 + i * 7) as u8).collect();
            fs::write(&path, &contents).expect("writing a benchmark input");
            fs::read(&path).expect("warming the page cache");
            path
        })
        .collect()
}

/// SHA-256 of a set of files: one thread vs the recipe's pool, 1 KiB vs 64 KiB reads.
fn sha256(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let mut group = c.benchmark_group("sha256");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500));
    for (count, mib) in [(16, 0), (16, 1), (16, 8)] {
        // (16, 0) is sixteen empty files: pure per-job overhead.
        let files = sha_inputs(&dir, count, mib);
        let size = match mib {
            0 => format!("{count} empty files"),
            _ => format!("{count} x {mib} MiB"),
        };
        group.throughput(Throughput::Bytes((count * (mib << 20)) as u64));
        // The recipe reads 64 KiB at a time; the cookbook read 1 KiB.
        for (suffix, buffer) in [("", 64 << 10), (", 1 KiB reads", 1 << 10)] {
            group.bench_with_input(
                BenchmarkId::new(format!("sequential{suffix}"), &size),
                &files,
                |b, files| {
                    b.iter(|| {
                        for path in files {
                            black_box(sha256_files::sha256_file(path, buffer).expect("hashing"));
                        }
                    })
                },
            );
            group.bench_with_input(
                BenchmarkId::new(format!("threadpool{suffix}"), &size),
                &files,
                |b, files| {
                    b.iter(|| {
                        sha256_files::hash_on_pool(
                            &ThreadPool::new(cores()),
                            files.iter().cloned(),
                            buffer,
                        )
                        .expect("hashing")
                    })
                },
            );
        }
    }
    group.finish();

    // Whole processes on the same files: the recipe against coreutils.
    let files = sha_inputs(&dir, 16, 8);
    let mut group = c.benchmark_group("sha256 process");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500));
    group.throughput(Throughput::Bytes((16 * (8 << 20)) as u64));
    let size = "16 x 8 MiB";
    if Command::new("sha256sum").arg("--version").output().is_ok() {
        group.bench_function(
            BenchmarkId::new("sequential, coreutils sha256sum", size),
            |b| b.iter(|| run_quietly(Command::new("sha256sum").args(&files))),
        );
    }
    for threads in [1, cores()] {
        group.bench_function(
            BenchmarkId::new(format!("sha256-files --threads {threads}"), size),
            |b| {
                b.iter(|| {
                    run_quietly(
                        Command::new(env!("CARGO_BIN_EXE_sha256-files"))
                            .arg(dir.path())
                            .args(["--threads", &threads.to_string()]),
                    )
                })
            },
        );
    }
    group.finish();
}

fn run_quietly(command: &mut Command) {
    let output = command.output().expect("starting the process");
    assert!(output.status.success(), "{:?} failed", command);
}

criterion_group!(benches, fractal, sha256);
criterion_main!(benches);
