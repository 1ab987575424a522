//! What a message costs: std `mpsc` against crossbeam, across capacities.
//!
//! Every contender runs the same scenario: `P` producer threads send
//! `MESSAGES` numbers in total to one consumer (the benchmark thread), which
//! adds them up; the sum is checked, so a lost message fails the benchmark.
//! The `sequential` baseline pushes and pops the same numbers through a
//! `VecDeque` on one thread: the cost of the data movement with no thread
//! hand-off at all. Times are reported per message.
//!
//! ```sh
//! cargo bench -p examples-message-passing
//! ```

#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use crossbeam::channel;

const MESSAGES: u64 = 100_000;
const BATCH: usize = 64;

/// `producers` threads send `0..MESSAGES` between them through `tx`; the
/// calling thread receives everything from `rx` and returns the sum.
fn transfer<T, R>(producers: u64, tx: T, rx: R, send: fn(&T, u64)) -> u64
where
    T: Clone + Send,
    R: IntoIterator<Item = u64>,
{
    let per_producer = MESSAGES / producers;
    thread::scope(|s| {
        for p in 0..producers {
            let tx = tx.clone();
            s.spawn(move || {
                for i in 0..per_producer {
                    send(&tx, p * per_producer + i);
                }
            });
        }
        // Only the producers' clones remain: the receiving loop ends with them.
        drop(tx);
        rx.into_iter().sum()
    })
}

/// Like [`transfer`], sending `Vec`s of `BATCH` numbers: one hand-off per batch.
fn transfer_batched(producers: u64, capacity: usize) -> u64 {
    let (tx, rx) = channel::bounded::<Vec<u64>>(capacity);
    let per_producer = MESSAGES / producers;
    thread::scope(|s| {
        for p in 0..producers {
            let tx = tx.clone();
            s.spawn(move || {
                let numbers: Vec<u64> = (p * per_producer..(p + 1) * per_producer).collect();
                for batch in numbers.chunks(BATCH) {
                    tx.send(batch.to_vec())
                        .expect("the consumer outlives the producers");
                }
            });
        }
        drop(tx);
        rx.into_iter().flatten().sum()
    })
}

fn sequential() -> u64 {
    let mut queue = VecDeque::new();
    for i in 0..MESSAGES {
        queue.push_back(black_box(i));
    }
    queue.drain(..).sum()
}

fn channels(c: &mut Criterion) {
    let mut group = c.benchmark_group("channels");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(MESSAGES));
    let expected = MESSAGES * (MESSAGES - 1) / 2;
    for producers in [1, 4] {
        let size = format!(
            "{producers} producer{}",
            if producers == 1 { "" } else { "s" }
        );
        let mut bench = |name: &str, f: &dyn Fn() -> u64| {
            group.bench_function(BenchmarkId::new(name, &size), |b| {
                b.iter(|| assert_eq!(f(), expected, "{name} lost or duplicated messages"))
            });
        };
        bench("sequential", &sequential);
        bench("std mpsc channel (unbounded)", &|| {
            let (tx, rx) = mpsc::channel();
            transfer(producers, tx, rx, |tx, v| {
                tx.send(v).expect("receiver alive")
            })
        });
        for capacity in [0, 1, 1024] {
            bench(&format!("std mpsc sync_channel({capacity})"), &|| {
                let (tx, rx) = mpsc::sync_channel(capacity);
                transfer(producers, tx, rx, |tx, v| {
                    tx.send(v).expect("receiver alive")
                })
            });
        }
        bench("crossbeam unbounded", &|| {
            let (tx, rx) = channel::unbounded();
            transfer(producers, tx, rx, |tx, v| {
                tx.send(v).expect("receiver alive")
            })
        });
        for capacity in [0, 1, 1024] {
            bench(&format!("crossbeam bounded({capacity})"), &|| {
                let (tx, rx) = channel::bounded(capacity);
                transfer(producers, tx, rx, |tx, v| {
                    tx.send(v).expect("receiver alive")
                })
            });
        }
        bench(
            &format!("crossbeam bounded(16), batches of {BATCH}"),
            &|| transfer_batched(producers, 16),
        );
    }
    group.finish();
}

criterion_group!(benches, channels);
criterion_main!(benches);
