//! Calling async code from sync code and back, and why `block_on` inside a runtime panics.
//!
//! `main` here is plain sync code that owns a `Runtime` (what `#[tokio::main]`
//! writes for you). It crosses the border four ways:
//! - `Runtime::block_on` runs an async fn to the end from sync code;
//! - a std thread holding a `Handle` does the same (`Handle::block_on`), or
//!   could `spawn` onto the runtime;
//! - a std producer thread feeds an async task through a tokio `mpsc` with
//!   `blocking_send`, and the task answers a std consumer thread that reads
//!   with `blocking_recv`: tokio's channels have both halves;
//! - the mistake: `block_on` called from inside async code. The thread is
//!   busy driving tasks, so blocking it could deadlock them; tokio refuses
//!   with a panic ("Cannot start a runtime from within a runtime"), caught and
//!   printed here. Fixes: inside async, `.await` the future; a sync function
//!   that must block goes to `spawn_blocking`, whose threads may `block_on`
//!   (or, on a multi-thread runtime, `block_in_place`).
//!
//! Every line is the same on every run: each crossing is awaited or joined
//! before the next line prints, and the values travel one channel in order.
//!
//! ```sh
//! cargo run -p examples-async --bin bridge-sync-async -- --values 5
//! ```

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::thread;

use anyhow::{Context, anyhow};
use clap::Parser;
use tokio::runtime::{Builder, Handle};
use tokio::sync::mpsc;

/// Cross between sync and async code, both ways.
#[derive(Parser)]
struct Args {
    /// How many values travel sync -> async -> sync [1-10000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    values: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { values }: Args) -> anyhow::Result<()> {
    let runtime = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;

    // Sync -> async: the calling thread drives the future until it is done.
    println!(
        "Runtime::block_on from main: square(3) = {}",
        runtime.block_on(square(3))
    );
    let handle = runtime.handle().clone();
    let from_thread = thread::spawn(move || handle.block_on(square(4)));
    let from_thread = from_thread
        .join()
        .map_err(|_| anyhow!("the std thread panicked"))?;
    println!("Handle::block_on from a std thread: square(4) = {from_thread}");

    // Std thread -> async task -> std thread, over two tokio channels.
    let (to_async, mut from_sync) = mpsc::channel::<u64>(4);
    let (to_sync, mut from_async) = mpsc::channel::<u64>(4);
    let producer = thread::spawn(move || {
        for v in 1..=values {
            to_async.blocking_send(v).expect("the task is receiving"); // waits for room
        }
    });
    runtime.spawn(async move {
        while let Some(v) = from_sync.recv().await {
            to_sync
                .send(v * 10)
                .await
                .expect("the consumer is receiving");
        }
    });
    let consumer = thread::spawn(move || {
        let mut got = 0;
        while let Some(v) = from_async.blocking_recv() {
            println!("sync consumer got {v}");
            got += 1;
        }
        got // ends when the task, the last sender, is done
    });
    producer
        .join()
        .map_err(|_| anyhow!("the producer panicked"))?;
    let crossed = consumer
        .join()
        .map_err(|_| anyhow!("the consumer panicked"))?;

    // The mistake, caught: `block_on` on a thread that is driving async code.
    let nested = runtime.block_on(async {
        let handle = Handle::current();
        catch_quietly(|| handle.block_on(square(5)))
    });
    let message = nested.err().context("a nested block_on should panic")?;
    let first_sentence = message.split(". ").next().unwrap_or_default();
    println!("block_on inside async: panicked: {first_sentence}");
    // Fix 1: in async code, await.
    let awaited = runtime.block_on(async { square(5).await });
    println!("fix: .await instead: square(5) = {awaited}");
    // Fix 2: sync code that blocks runs on the blocking pool, where it may.
    let blocking = runtime.block_on(async {
        let handle = Handle::current();
        tokio::task::spawn_blocking(move || handle.block_on(square(6))).await
    })?;
    println!("fix: spawn_blocking, then Handle::block_on: square(6) = {blocking}");
    println!(
        "{crossed} of {values} values crossed sync -> async -> sync; the nested block_on was caught, both fixes answered"
    );
    Ok(())
}

async fn square(n: u64) -> u64 {
    tokio::task::yield_now().await; // a real await, so there is something to drive
    n * n
}

/// Runs `f`, turning a panic into its message without the default hook
/// printing it to stderr.
fn catch_quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(hook);
    result.map_err(|payload| match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .copied()
            .unwrap_or("?")
            .to_owned(),
    })
}
