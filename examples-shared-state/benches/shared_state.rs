//! What shared state costs: counters and a read-mostly map.
//!
//! `counters`: `INCREMENTS` increments split over 1, 2 or 4 threads, through a
//! `Mutex<u64>`, an `AtomicU64` and per-thread counts added up at the end,
//! against a `sequential` loop on one thread. The final count is checked, so a
//! lost update fails the benchmark. Times are per increment.
//!
//! `read-mostly map`: `OPERATIONS` map operations, 99 lookups to 1 update,
//! split over 1, 2 or 4 threads, on a `HashMap` behind a `Mutex` or an
//! `RwLock`, against a `sequential` run on a plain `HashMap`. Times are per
//! operation.
//!
//! ```sh
//! cargo bench -p examples-shared-state
//! ```

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::thread;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const INCREMENTS: u64 = 1_000_000;
const OPERATIONS: u64 = 400_000;
const KEYS: u64 = 1_000;

fn threads_label(threads: u64) -> String {
    format!("{threads} thread{}", if threads == 1 { "" } else { "s" })
}

/// Runs `work(share)` on `threads` scoped threads, `share = total / threads`,
/// and returns the sum of what they return.
fn on_threads(threads: u64, total: u64, work: impl Fn(u64) -> u64 + Sync) -> u64 {
    thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| work(total / threads)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a benchmark thread panicked"))
            .sum()
    })
}

fn counters(c: &mut Criterion) {
    let mut group = c.benchmark_group("counters");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .throughput(Throughput::Elements(INCREMENTS));
    for threads in [1, 2, 4] {
        let size = threads_label(threads);
        group.bench_function(BenchmarkId::new("sequential", &size), |b| {
            b.iter(|| {
                let mut count = 0u64;
                for _ in 0..INCREMENTS {
                    count = black_box(count) + 1;
                }
                assert_eq!(count, INCREMENTS);
            })
        });
        group.bench_function(BenchmarkId::new("Mutex<u64>", &size), |b| {
            b.iter(|| {
                let count = Mutex::new(0u64);
                on_threads(threads, INCREMENTS, |n| {
                    for _ in 0..n {
                        *count.lock().expect("no thread panics holding the lock") += 1;
                    }
                    0
                });
                assert_eq!(count.into_inner().expect("not poisoned"), INCREMENTS);
            })
        });
        group.bench_function(BenchmarkId::new("AtomicU64 fetch_add", &size), |b| {
            b.iter(|| {
                let count = AtomicU64::new(0);
                on_threads(threads, INCREMENTS, |n| {
                    for _ in 0..n {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    0
                });
                assert_eq!(count.into_inner(), INCREMENTS);
            })
        });
        group.bench_function(
            BenchmarkId::new("per-thread counts, summed at join", &size),
            |b| {
                b.iter(|| {
                    let total = on_threads(threads, INCREMENTS, |n| {
                        let mut mine = 0u64;
                        for _ in 0..n {
                            mine = black_box(mine) + 1;
                        }
                        mine
                    });
                    assert_eq!(total, INCREMENTS);
                })
            },
        );
    }
    group.finish();
}

/// One operation on the map.
enum Op {
    Lookup(u64),
    Update(u64),
}

/// One thread's share of the map workload, 99 lookups to 1 update, each
/// applied by `apply`. Returns the sum of the values looked up, so the
/// lookups cannot be optimised away.
fn map_work(n: u64, mut apply: impl FnMut(Op) -> u64) -> u64 {
    (0..n)
        .map(|i| {
            let key = i.wrapping_mul(7919) % KEYS;
            apply(if i % 100 == 0 {
                Op::Update(key)
            } else {
                Op::Lookup(key)
            })
        })
        .sum()
}

/// Applies `op` to a map the caller has access to.
fn apply(map: &mut HashMap<u64, u64>, op: Op) -> u64 {
    match op {
        Op::Lookup(key) => map[&key],
        Op::Update(key) => {
            *map.get_mut(&key).expect("every key is present") += 1;
            0
        }
    }
}

fn read_mostly_map(c: &mut Criterion) {
    let initial: HashMap<u64, u64> = (0..KEYS).map(|k| (k, k)).collect();
    let mut group = c.benchmark_group("read-mostly map");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .throughput(Throughput::Elements(OPERATIONS));
    for threads in [1, 2, 4] {
        let size = threads_label(threads);
        group.bench_function(BenchmarkId::new("sequential", &size), |b| {
            b.iter(|| {
                // The same operations as the threads below, one share after another.
                let mut map = initial.clone();
                let sum: u64 = (0..threads)
                    .map(|_| map_work(OPERATIONS / threads, |op| apply(&mut map, op)))
                    .sum();
                black_box(sum)
            })
        });
        group.bench_function(BenchmarkId::new("Mutex<HashMap>", &size), |b| {
            b.iter(|| {
                let map = Mutex::new(initial.clone());
                on_threads(threads, OPERATIONS, |n| {
                    map_work(n, |op| apply(&mut map.lock().expect("not poisoned"), op))
                })
            })
        });
        group.bench_function(BenchmarkId::new("RwLock<HashMap>", &size), |b| {
            b.iter(|| {
                let map = RwLock::new(initial.clone());
                on_threads(threads, OPERATIONS, |n| {
                    map_work(n, |op| match op {
                        // Readers share the lock; only the updates take it alone.
                        Op::Lookup(key) => map.read().expect("not poisoned")[&key],
                        Op::Update(_) => apply(&mut map.write().expect("not poisoned"), op),
                    })
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, counters, read_mostly_map);
criterion_main!(benches);
