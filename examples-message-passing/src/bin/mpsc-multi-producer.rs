//! Several producers share one channel through cloned `Sender`s; the one
//! receiver ends when the last `Sender` is dropped.
//!
//! Each producer sends messages 0, 1, 2, ... tagged with its index. The
//! `received` lines of different producers interleave differently from run to
//! run (the OS schedules the producers), but each producer's own messages
//! always arrive in the order it sent them: a channel is FIFO per sender. Every
//! `producer p: ... dropping its Sender` line comes before `Channel closed`,
//! because the receiving loop cannot end while any `Sender` is alive, including
//! the original `tx` that main must drop itself (forget that `drop` and the
//! loop waits forever).
//!
//! ```sh
//! cargo run -p examples-message-passing --bin mpsc-multi-producer -- --producers 4 --messages 10
//! ```

use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyhow::{anyhow, ensure};
use clap::Parser;

/// N producers, M messages each, one receiver.
#[derive(Parser)]
struct Args {
    /// How many producer threads, each with its own clone of the Sender.
    #[arg(long, default_value_t = 3)]
    producers: usize,
    /// How many messages each producer sends.
    #[arg(long, default_value_t = 4)]
    messages: usize,
    /// Milliseconds a producer waits between sends, so the producers'
    /// messages interleave visibly.
    #[arg(long, default_value_t = 5)]
    pause_ms: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    // `{:#}` prints the error and its causes on one line.
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(args: Args) -> anyhow::Result<()> {
    let Args {
        producers,
        messages,
        pause_ms,
    } = args;
    ensure!(
        (1..=64).contains(&producers),
        "--producers must be between 1 and 64, got {producers}"
    );
    ensure!(
        (1..=10_000).contains(&messages),
        "--messages must be between 1 and 10000, got {messages}"
    );
    ensure!(
        pause_ms <= 1000,
        "--pause-ms must be at most 1000, got {pause_ms}"
    );

    let (tx, rx) = mpsc::channel();
    let pause = Duration::from_millis(pause_ms);
    let mut handles = Vec::new();
    for p in 0..producers {
        // Each producer owns a clone; all clones feed the same Receiver.
        let tx = tx.clone();
        handles.push(thread::spawn(move || {
            for i in 0..messages {
                tx.send((p, i))
                    .expect("main receives until every Sender is dropped");
                thread::sleep(pause);
            }
            println!("producer {p}: sent {messages} messages, dropping its Sender");
            drop(tx);
        }));
    }
    // Main's own Sender would keep the channel open forever: drop it.
    drop(tx);

    let mut received = 0;
    // Ends when the channel is empty and all `producers` clones are dropped.
    for (p, i) in rx {
        println!("received {i} from producer {p}");
        received += 1;
    }
    println!("Channel closed: all {producers} Senders are gone");

    for (p, handle) in handles.into_iter().enumerate() {
        handle
            .join()
            .map_err(|_| anyhow!("producer {p} panicked"))?;
    }
    println!("Received {received} messages from {producers} producers");
    Ok(())
}
