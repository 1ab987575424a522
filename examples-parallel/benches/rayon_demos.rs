//! Benchmarks of the recipes taken from rayon's demos: Game of Life, the
//! prime sieve and matrix multiplication, each against its sequential
//! baseline over sizes from tiny to large, calling the recipes' own kernels.
//! Inputs are generated outside the timed code.
//!
//! In `matrix multiply` the baseline `sequential` is the cache-friendly i-k-j
//! loop, so the `parallel rows` ratio is what the threads add, and the
//! `naive i-j-k` ratio (below 1) is what the loop order alone gains, upside
//! down: cache first, then cores.
//!
//! ```sh
//! cargo bench -p examples-parallel --bench rayon_demos
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main};

#[allow(
    dead_code,
    reason = "the benchmark calls the kernels, not the recipe's main"
)]
#[path = "../src/bin/game-of-life.rs"]
mod game_of_life;

#[allow(
    dead_code,
    reason = "the benchmark calls the kernels, not the recipe's main"
)]
#[path = "../src/bin/prime-sieve.rs"]
mod prime_sieve;

#[allow(
    dead_code,
    reason = "the benchmark calls the kernels, not the recipe's main"
)]
#[path = "../src/bin/matrix-multiply.rs"]
mod matrix_multiply;

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500));
}

/// Life on square random boards, the same number of generations for each
/// size; the largest is the recipe's default. At 1024x1024 both boards (2 MB)
/// stay in the caches.
fn game_of_life(c: &mut Criterion) {
    const GENERATIONS: u32 = 100;
    let mut group = c.benchmark_group("game of life");
    configure(&mut group);
    for side in [16, 128, 512, 1024] {
        let board = game_of_life::random_board(side, side, 42);
        let expected = game_of_life::life_sequential(&board, side, GENERATIONS);
        type Kernel = fn(&[u8], usize, u32) -> Vec<u8>;
        let kernels: [(&str, Kernel); 2] = [
            ("sequential", game_of_life::life_sequential),
            ("rayon par_chunks_mut rows", game_of_life::life_parallel),
        ];
        let size = format!("{side}x{side}, {GENERATIONS} generations");
        for (name, kernel) in kernels {
            group.bench_with_input(BenchmarkId::new(name, &size), &board, |b, board| {
                b.iter(|| assert!(kernel(board, side, GENERATIONS) == expected))
            });
        }
    }
    group.finish();
}

/// pi(n) by the segmented sieve, segments of the recipe's default size.
fn prime_sieve(c: &mut Criterion) {
    const SEGMENT: usize = 1 << 18;
    let mut group = c.benchmark_group("prime sieve");
    configure(&mut group);
    for (limit, pi) in [
        (1_000, 168),
        (100_000, 9_592),
        (10_000_000, 664_579),
        (100_000_000, 5_761_455),
    ] {
        type Kernel = fn(usize, usize) -> (Vec<bool>, usize);
        let kernels: [(&str, Kernel); 2] = [
            ("sequential", prime_sieve::sieve_sequential),
            ("rayon par_chunks_mut segments", prime_sieve::sieve_parallel),
        ];
        for (name, kernel) in kernels {
            group.bench_function(BenchmarkId::new(name, format!("{limit:.0e}")), |b| {
                // The table is returned, so criterion frees it after the clock stops.
                b.iter(|| {
                    let (table, count) = kernel(black_box(limit), SEGMENT);
                    assert_eq!(count, pi);
                    table
                })
            });
        }
    }
    group.finish();
}

/// Square matrices of small integers: the naive loop, the cache-friendly one
/// (the baseline), and its rows in parallel.
fn matrix_multiply(c: &mut Criterion) {
    let mut group = c.benchmark_group("matrix multiply");
    configure(&mut group);
    for n in [16, 64, 256, 512] {
        let (a, b) = (
            matrix_multiply::random_matrix(n, 42),
            matrix_multiply::random_matrix(n, 43),
        );
        let expected = matrix_multiply::multiply_sequential(&a, &b, n);
        type Kernel = fn(&[f64], &[f64], usize) -> Vec<f64>;
        let kernels: [(&str, Kernel); 3] = [
            ("sequential", matrix_multiply::multiply_sequential),
            ("naive i-j-k", matrix_multiply::multiply_naive),
            (
                "rayon par_chunks_mut rows",
                matrix_multiply::multiply_parallel,
            ),
        ];
        for (name, kernel) in kernels {
            group.bench_function(BenchmarkId::new(name, format!("{n}x{n}")), |bench| {
                bench.iter(|| {
                    let product = kernel(&a, &b, n);
                    assert!(product == expected);
                    product
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, game_of_life, prime_sieve, matrix_multiply);
criterion_main!(benches);
