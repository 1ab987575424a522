//! Benchmarks of the rayon recipes that exist to be fast: sorting,
//! map-reduce, `par_iter_mut` and thumbnails, each against its sequential
//! baseline over sizes from tiny to large, calling the recipes' own kernels.
//! Inputs are generated outside the timed code; sorts get a fresh unsorted
//! copy for every iteration (`iter_batched`), also outside the timing, and
//! the sorted copy is freed after the clock stops.
//!
//! Variants marked `1-thread pool` run rayon's code in a pool of one thread:
//! their ratio to `sequential` is the per-thread cost of rayon's algorithm,
//! so a weak speedup can be told apart from weak scaling.
//!
//! A last group, `memory-bound sum`, is a probe of the machine rather than a
//! recipe: summing `u32`s does almost no work per byte, so its speedup shows
//! how far memory bandwidth alone lets two threads go. Another, `copy into
//! a new buffer (page faults)`, prices the first write to fresh memory,
//! which the sort that merges into a buffer pays; its `buffer reused`
//! variant shows what that sort costs without them.
//!
//! ```sh
//! cargo bench -p examples-parallel
//! ```

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main,
};
use rayon::prelude::*;

#[allow(
    dead_code,
    reason = "the benchmark calls the kernels, not the recipe's main"
)]
#[path = "../src/bin/parallel-sort.rs"]
mod parallel_sort;

#[allow(
    dead_code,
    reason = "the benchmark calls the kernels, not the recipe's main"
)]
#[path = "../src/bin/sort-on-every-worker.rs"]
mod sort_on_every_worker;

#[allow(
    dead_code,
    reason = "the benchmark calls the kernels, not the recipe's main"
)]
#[path = "../src/bin/map-reduce.rs"]
mod map_reduce;

#[allow(
    dead_code,
    reason = "the benchmark calls the kernels, not the recipe's main"
)]
#[path = "../src/bin/iter-mut.rs"]
mod iter_mut;

#[allow(
    dead_code,
    reason = "the benchmark calls the kernels, not the recipe's main"
)]
#[path = "../src/bin/thumbnails.rs"]
mod thumbnails;

const SIZES: [usize; 3] = [1_000, 100_000, 10_000_000];

/// A diagnostic: rayon's own code on one thread. Its ratio to `sequential`
/// separates the per-thread speed of rayon's algorithm from how it scales.
static ONE_THREAD: LazyLock<rayon::ThreadPool> = LazyLock::new(|| {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("building a one-thread pool")
});

/// The merge buffer kept from one sort to the next by the `buffer reused`
/// variant; a `Mutex` only because a `static` must be `Sync`.
static REUSED_BUFFER: Mutex<Vec<u64>> = Mutex::new(Vec::new());

fn label(len: usize) -> String {
    format!("{len:.0e}")
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500));
}

/// Sorting `u64`s: std's sorts against rayon's, stable and unstable.
fn sort(c: &mut Criterion) {
    let unstable: [(&str, InPlace); 4] = [
        ("sequential", parallel_sort::sort_numbers_sequential),
        (
            "rayon par_sort_unstable",
            parallel_sort::sort_numbers_parallel,
        ),
        ("rayon par_sort_unstable, 1-thread pool", |v| {
            ONE_THREAD.install(|| parallel_sort::sort_numbers_parallel(v))
        }),
        (
            "partition + std sort_unstable per worker",
            sort_on_every_worker::partition_then_sort,
        ),
    ];
    let stable: [(&str, InPlace); 5] = [
        ("sequential", |v| v.sort()),
        ("rayon par_sort", |v| v.par_sort()),
        ("rayon par_sort, 1-thread pool", |v| {
            ONE_THREAD.install(|| v.par_sort())
        }),
        (
            "std sort per worker + parallel merge",
            sort_on_every_worker::sort_pieces_then_merge,
        ),
        ("std sort per worker + parallel merge, buffer reused", |v| {
            // One buffer for every iteration: its pages were written before,
            // so the sort pays no page faults for them.
            let mut buf = REUSED_BUFFER.lock().expect("no benchmark panicked");
            buf.resize(v.len(), 0);
            sort_on_every_worker::sort_pieces_then_merge_with_buffer(v, &mut buf)
        }),
    ];
    in_place_group(
        c,
        "sort u64, unstable",
        &unstable,
        parallel_sort::random_numbers,
    );
    in_place_group(
        c,
        "sort u64, stable",
        &stable,
        parallel_sort::random_numbers,
    );
}

/// A kernel that updates a vector in place.
type InPlace = fn(&mut [u64]);

/// One group of in-place kernels over `SIZES` random vectors. Each iteration
/// gets a fresh copy of the input, made outside the timing.
fn in_place_group(
    c: &mut Criterion,
    group_name: &str,
    kernels: &[(&str, InPlace)],
    input: fn(usize, u64) -> Vec<u64>,
) {
    let mut group = c.benchmark_group(group_name);
    configure(&mut group);
    for len in SIZES {
        let input = input(len, 42);
        for &(name, kernel) in kernels {
            group.bench_with_input(BenchmarkId::new(name, label(len)), &input, |b, input| {
                b.iter_batched(
                    || input.clone(),
                    // Returned, not dropped here: criterion drops a routine's
                    // output after the clock stops. Freeing 80 MB (1e7 u64s)
                    // takes milliseconds, the same for every variant, and
                    // timing it would shrink every ratio.
                    |mut v| {
                        kernel(&mut v);
                        v
                    },
                    BatchSize::LargeInput,
                )
            });
        }
    }
    group.finish();
}

/// The over-30 statistics: one-pass folds against the cookbook's two passes.
fn map_reduce(c: &mut Criterion) {
    let mut group = c.benchmark_group("map-reduce over 30");
    configure(&mut group);
    for len in SIZES {
        let people = map_reduce::population(len, 42);
        let expected = map_reduce::over_30_sequential(&people);
        type Kernel = fn(&[map_reduce::Person]) -> map_reduce::Over30;
        let kernels: [(&str, Kernel); 3] = [
            ("sequential", map_reduce::over_30_sequential),
            ("rayon fold + reduce", map_reduce::over_30_parallel),
            (
                "rayon two passes (cookbook)",
                map_reduce::over_30_two_passes_parallel,
            ),
        ];
        for (name, kernel) in kernels {
            group.bench_with_input(BenchmarkId::new(name, label(len)), &people, |b, people| {
                b.iter(|| assert_eq!(kernel(people), expected))
            });
        }
    }
    group.finish();
}

/// `par_iter_mut`: a trivial update (memory-bound) and a costly one.
fn iter_mut(c: &mut Criterion) {
    let decrement: [(&str, InPlace); 2] = [
        ("sequential", iter_mut::decrement_sequential),
        ("rayon par_iter_mut", iter_mut::decrement_parallel),
    ];
    let collatz: [(&str, InPlace); 2] = [
        ("sequential", iter_mut::collatz_sequential),
        ("rayon par_iter_mut", iter_mut::collatz_parallel),
    ];
    in_place_group(
        c,
        "iter-mut decrement",
        &decrement,
        iter_mut::random_numbers,
    );
    in_place_group(
        c,
        "iter-mut collatz steps",
        &collatz,
        iter_mut::random_numbers,
    );
}

/// Twelve generated photos, small and large, decoded, resized and saved:
/// with a full decode and with a reduced-scale one, on one thread and on
/// every core, and by Pillow in one Python process where `python3` has it.
fn thumbnails(c: &mut Criterion) {
    use thumbnails::Decode::{Full, ReducedScale};
    let dir = tempfile::tempdir().expect("creating a temporary directory");
    let mut group = c.benchmark_group("thumbnails");
    configure(&mut group);
    let pillow = Command::new("python3")
        .args(["-c", "import PIL"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !pillow {
        eprintln!("thumbnails: no python3 with Pillow here, so no Pillow variant");
    }
    for largest_megapixels in [0.5, 12.0] {
        let photos = dir.path().join(format!("photos-{largest_megapixels}"));
        let out = dir.path().join(format!("thumbnails-{largest_megapixels}"));
        std::fs::create_dir_all(&out).expect("creating the output directory");
        thumbnails::generate_demo_photos(&photos, largest_megapixels).expect("generating photos");
        let mut files: Vec<_> = std::fs::read_dir(&photos)
            .expect("listing the photos")
            .map(|e| e.expect("listing the photos").path())
            .collect();
        files.sort();
        let size = format!("12 photos up to {largest_megapixels} MP");
        type Kernel = fn(&[PathBuf], &Path, u32, thumbnails::Decode) -> thumbnails::Results;
        let kernels: [(&str, Kernel, _); 4] = [
            ("sequential", thumbnails::thumbnails_sequential, Full),
            ("rayon par_iter", thumbnails::thumbnails_parallel, Full),
            (
                "reduced-scale decode, sequential",
                thumbnails::thumbnails_sequential,
                ReducedScale,
            ),
            (
                "reduced-scale decode, rayon par_iter",
                thumbnails::thumbnails_parallel,
                ReducedScale,
            ),
        ];
        for (name, kernel, decode) in kernels {
            group.bench_with_input(BenchmarkId::new(name, &size), &files, |b, files| {
                b.iter(|| {
                    let results = kernel(files, &out, 300, decode);
                    assert!(results.iter().all(Result::is_ok), "a thumbnail failed");
                })
            });
        }
        if pillow {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pillow_thumbnails.py");
            group.bench_function(BenchmarkId::new("Pillow, one process", &size), |b| {
                // The script times its own batches: Python's start is not counted.
                b.iter_custom(|iterations| {
                    let output = Command::new("python3")
                        .arg(script)
                        .args([&photos, &out])
                        .args(["300", &iterations.to_string()])
                        .output()
                        .expect("running python3");
                    assert!(output.status.success(), "{output:?}");
                    let seconds: f64 = String::from_utf8_lossy(&output.stdout)
                        .trim()
                        .parse()
                        .expect("the script prints seconds");
                    Duration::from_secs_f64(seconds)
                })
            });
        }
    }
    group.finish();
}

/// Machine probe: a sum that is all memory traffic and no computation.
fn memory_bound_sum(c: &mut Criterion) {
    let mut group = c.benchmark_group("memory-bound sum");
    configure(&mut group);
    for len in [100_000, 100_000_000] {
        let numbers: Vec<u32> = (0..len as u32).collect();
        group.bench_with_input(
            BenchmarkId::new("sequential", label(len)),
            &numbers,
            |b, v| b.iter(|| black_box(v.iter().map(|&x| u64::from(x)).sum::<u64>())),
        );
        group.bench_with_input(
            BenchmarkId::new("rayon par_iter", label(len)),
            &numbers,
            |b, v| b.iter(|| black_box(v.par_iter().map(|&x| u64::from(x)).sum::<u64>())),
        );
    }
    group.finish();
}

/// Machine probe: copying into a buffer written before against copying into
/// a new one. The first write to each page of a new buffer is a page fault,
/// which the kernel answers by mapping a zeroed page, and freeing a large
/// buffer unmaps it again: costs that the merge buffer of `std sort per
/// worker + parallel merge` pays and the in-place sorts do not.
fn first_touch(c: &mut Criterion) {
    let mut group = c.benchmark_group("copy into a new buffer (page faults)");
    configure(&mut group);
    for len in [100_000, 10_000_000] {
        let numbers: Vec<u64> = (0..len as u64).collect();
        let mut reused = vec![0; len];
        group.bench_function(BenchmarkId::new("sequential", label(len)), |b| {
            b.iter(|| {
                reused.copy_from_slice(&numbers);
                black_box(&reused);
            })
        });
        group.bench_function(BenchmarkId::new("into a new buffer", label(len)), |b| {
            b.iter(|| {
                let mut fresh = vec![0; len];
                fresh.copy_from_slice(&numbers);
                black_box(fresh)
            })
        });
        group.bench_function(
            BenchmarkId::new("into a new buffer, rayon par_chunks_mut", label(len)),
            |b| {
                b.iter(|| {
                    let mut fresh = vec![0; len];
                    fresh
                        .par_chunks_mut(64 * 1024)
                        .zip(numbers.par_chunks(64 * 1024))
                        .for_each(|(to, from)| to.copy_from_slice(from));
                    black_box(fresh)
                })
            },
        );
    }
    group.finish();
}

criterion_group!(
    benches,
    sort,
    map_reduce,
    iter_mut,
    thumbnails,
    memory_bound_sum,
    first_touch
);
criterion_main!(benches);
