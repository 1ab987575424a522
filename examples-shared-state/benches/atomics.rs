//! What cache lines cost: the `false-sharing` recipe's kernels.
//!
//! `false sharing`: `INCREMENTS` increments on each of 2 threads, every thread
//! on its own `AtomicU64`, the counters packed into one cache line or each in
//! its own (`CachePadded`), against a `sequential` loop doing all the
//! increments on one thread.
//!
//! `per-thread vs shared`: the same increments on one `AtomicU64` that both
//! threads `fetch_add`, or on per-thread padded counters summed at the end.
//!
//! Every kernel returns its total, checked, so a lost update fails the
//! benchmark. Times are per increment.
//!
//! ```sh
//! cargo bench -p examples-shared-state --bench atomics
//! ```

#![forbid(unsafe_code)]

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

#[allow(
    dead_code,
    reason = "the benchmark calls the kernels, not the recipe's main"
)]
#[path = "../src/bin/false-sharing.rs"]
mod false_sharing;

const THREADS: u64 = 2;
const INCREMENTS: u64 = 1_000_000;

fn group(c: &mut Criterion, name: &str, variants: [(&str, false_sharing::Kernel); 3]) {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .throughput(Throughput::Elements(THREADS * INCREMENTS));
    for (variant, count) in variants {
        group.bench_function(BenchmarkId::new(variant, "2 threads"), |b| {
            b.iter(|| assert_eq!(count(THREADS, INCREMENTS), THREADS * INCREMENTS))
        });
    }
    group.finish();
}

fn false_sharing(c: &mut Criterion) {
    group(
        c,
        "false sharing",
        [
            ("sequential", false_sharing::sequential),
            ("packed (one cache line)", false_sharing::packed),
            ("padded (CachePadded)", false_sharing::padded),
        ],
    );
}

fn per_thread_vs_shared(c: &mut Criterion) {
    group(
        c,
        "per-thread vs shared",
        [
            ("sequential", false_sharing::sequential),
            ("shared AtomicU64 fetch_add", false_sharing::shared),
            (
                "per-thread CachePadded counters, summed",
                false_sharing::padded,
            ),
        ],
    );
}

criterion_group!(benches, false_sharing, per_thread_vs_shared);
criterion_main!(benches);
