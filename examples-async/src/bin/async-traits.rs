//! Native `async fn` in traits: two storage backends, a cache generic over both, and `dyn`.
//!
//! Since Rust 1.75 a trait can declare `async fn` (or `fn ... -> impl Future`),
//! and each implementation's future is its own concrete type: generic code such
//! as `Cache<S: Storage>` is statically dispatched, with no allocation per call.
//! Before, the `async-trait` crate rewrote every such method to return
//! `Pin<Box<dyn Future + Send>>`, a box per call. Two things still need care:
//!
//! - **`Send`.** A caller cannot require that the future of a trait's `async fn`
//!   be `Send`, and `tokio::spawn` needs exactly that. So the trait declares
//!   `fn load(..) -> impl Future<Output = ..> + Send`; implementations still
//!   write `async fn`, and the compiler checks they keep the promise.
//! - **`dyn`.** Such a trait is not dyn-compatible (`Box<dyn Storage>` does not
//!   compile). To choose a backend at run time, box the future yourself, as
//!   `DynStorage` below does: the `async-trait` approach, where you need it.
//!
//! The calls are awaited one at a time (the one spawned task is awaited at
//! once), so the output is the same on every run.
//!
//! Make a trait async when its implementations wait (a disk, a database, the
//! network). If they compute, keep plain `fn`s and call them from threads or
//! rayon: an `async fn` that never waits only adds a state machine.
//!
//! ```sh
//! cargo run -p examples-async --bin async-traits -- --keys 5 --latency-ms 20
//! ```

use std::collections::HashMap;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tokio::task::JoinHandle;
use tokio::time::sleep;

/// Look keys up through a cache in front of a slow store, all through one async trait.
#[derive(Parser)]
struct Args {
    /// How many keys the stores hold (keys 1..=N); each is looked up twice [1-1000].
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    keys: u32,
    /// Simulated latency of one read from the slow store, in milliseconds [1-1000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    latency_ms: u64,
}

/// A key-value store whose reads may wait on I/O.
trait Storage {
    fn name(&self) -> &'static str;
    /// `impl Future + Send` rather than `async fn`: the promise that lets
    /// generic callers spawn the future. Implementations may write `async fn`.
    fn load(&self, key: u32) -> impl Future<Output = Option<String>> + Send;
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[tokio::main(flavor = "current_thread")]
async fn run(Args { keys, latency_ms }: Args) -> anyhow::Result<()> {
    let latency = Duration::from_millis(latency_ms);

    // Static dispatch: `Cache<SlowStore>` and its `load` futures are concrete types.
    let cache = Arc::new(Cache {
        inner: SlowStore::new(demo_data(keys), latency),
        hits: Mutex::default(),
    });
    for pass in ["first", "second"] {
        for key in 1..=keys {
            let value = shown(cache.load(key).await);
            println!("{pass} pass: key {key} -> {value}");
        }
    }
    let missing = keys + 1;
    let value = shown(cache.load(missing).await);
    println!("missing key {missing} -> {value}");

    // Compiles only because `load` promises a `Send` future (see `spawn_load`).
    let spawned = spawn_load(Arc::clone(&cache), 1)
        .await
        .context("the spawned lookup failed")?;
    println!("spawned task: key 1 -> {}", shown(spawned));

    // A backend chosen at run time: through `dyn DynStorage`, one box per call.
    let backends: Vec<Box<dyn DynStorage>> = vec![
        Box::new(MemoryStore(demo_data(keys))),
        Box::new(SlowStore::new(demo_data(keys), latency)),
    ];
    for backend in &backends {
        let value = shown(backend.load_boxed(keys).await);
        println!("dyn {}: key {keys} -> {value}", backend.dyn_name());
    }

    let reads = cache.inner.reads.load(Ordering::Relaxed);
    let lookups = 2 * u64::from(keys) + 2;
    let store = cache.inner.name();
    println!("Cache over {store}: {reads} slow reads for {lookups} lookups");
    Ok(())
}

/// Generic over any `Storage`; spawning needs the `Send` the trait promises.
fn spawn_load<S>(store: Arc<S>, key: u32) -> JoinHandle<Option<String>>
where
    S: Storage + Send + Sync + 'static,
{
    tokio::spawn(async move { store.load(key).await })
}

/// Answers at once from memory.
struct MemoryStore(HashMap<u32, String>);

impl Storage for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn load(&self, key: u32) -> Option<String> {
        self.0.get(&key).cloned()
    }
}

/// A stand-in for a disk or a database: every read waits, and is counted.
struct SlowStore {
    data: HashMap<u32, String>,
    latency: Duration,
    reads: AtomicU64,
}

impl SlowStore {
    fn new(data: HashMap<u32, String>, latency: Duration) -> Self {
        SlowStore {
            data,
            latency,
            reads: AtomicU64::new(0),
        }
    }
}

impl Storage for SlowStore {
    fn name(&self) -> &'static str {
        "slow store"
    }

    async fn load(&self, key: u32) -> Option<String> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        sleep(self.latency).await;
        self.data.get(&key).cloned()
    }
}

/// A read-through cache in front of any `Storage`, itself a `Storage`.
struct Cache<S> {
    inner: S,
    hits: Mutex<HashMap<u32, String>>,
}

impl<S> Cache<S> {
    fn lock_hits(&self) -> MutexGuard<'_, HashMap<u32, String>> {
        self.hits.lock().expect("no thread panics holding it")
    }
}

impl<S: Storage + Sync> Storage for Cache<S> {
    fn name(&self) -> &'static str {
        "cache"
    }

    async fn load(&self, key: u32) -> Option<String> {
        // The guard is a temporary of this statement: it is released before
        // the `.await` below. A `std` mutex guard held across an `.await` would
        // block other tasks, and would make this future not `Send`.
        let cached = self.lock_hits().get(&key).cloned();
        if cached.is_some() {
            return cached;
        }
        let (cache, store) = (self.name(), self.inner.name());
        println!("{cache}: key {key} not cached, asking the {store}");
        let value = self.inner.load(key).await?;
        self.lock_hits().insert(key, value.clone());
        Some(value)
    }
}

/// The dyn-compatible face of `Storage`: the future is boxed, so every
/// implementation returns the same type.
trait DynStorage {
    fn dyn_name(&self) -> &'static str;
    fn load_boxed(&self, key: u32) -> Pin<Box<dyn Future<Output = Option<String>> + Send + '_>>;
}

impl<S: Storage> DynStorage for S {
    fn dyn_name(&self) -> &'static str {
        self.name()
    }

    fn load_boxed(&self, key: u32) -> Pin<Box<dyn Future<Output = Option<String>> + Send + '_>> {
        Box::pin(self.load(key))
    }
}

fn shown(value: Option<String>) -> String {
    value.unwrap_or_else(|| "(not found)".into())
}

// ---- demo inputs ----

/// Keys 1..=n, each with a value that says which key it belongs to.
fn demo_data(n: u32) -> HashMap<u32, String> {
    (1..=n).map(|k| (k, format!("value-{k}"))).collect()
}
