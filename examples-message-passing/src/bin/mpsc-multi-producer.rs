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

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyhow::anyhow;
use clap::Parser;

/// N producers, M messages each, one receiver.
#[derive(Parser)]
struct Args {
    /// How many producer threads, each with its own clone of the Sender [1-64].
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=64))]
    producers: u32,
    /// How many messages each producer sends [1-10000].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    messages: u32,
    /// Milliseconds a producer waits between sends, so the producers' messages
    /// interleave visibly [0-1000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(..=1000))]
    pause_ms: u64,
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
    let (producers, messages) = (args.producers, args.messages);
    let (tx, rx) = mpsc::channel();
    let pause = Duration::from_millis(args.pause_ms);
    let handles: Vec<_> = (0..producers)
        .map(|p| {
            // Each producer owns a clone; all clones feed the same Receiver.
            let tx = tx.clone();
            thread::spawn(move || {
                for i in 0..messages {
                    tx.send((p, i))
                        .expect("main receives until every Sender is dropped");
                    thread::sleep(pause);
                }
                println!("producer {p}: sent {messages} messages, dropping its Sender");
                drop(tx);
            })
        })
        .collect();
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
