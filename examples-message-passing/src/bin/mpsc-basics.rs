//! Send one message from a spawned thread, then a stream of values received
//! with `for msg in rx` until the sender is dropped.
//!
//! Part one is the seed program: a thread sends "Hello from the thread!" and
//! prints `Sent message: ...`; main prints `Received message: ...`. Those two
//! lines come in either order from run to run: `send` on an unbounded channel
//! returns at once, so the sender's `println!` races main's. Main joins the
//! thread before going on, so the `Sent` line is never lost.
//!
//! Part two is the Rust book's stream (ch. 16.2): four words with a pause
//! between them, printed by main as `Got: ...` in the order sent (a channel is
//! FIFO). The sender's `dropping tx` line may land anywhere among the `Got:`
//! lines, but always before `Channel closed`: `for received in rx` ends only
//! once every `Sender` is gone. No sleep decides when the program ends.
//!
//! ```sh
//! cargo run -p examples-message-passing --bin mpsc-basics -- --pause-ms 200
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::Parser;

/// One message over a channel, then a stream of values.
#[derive(Parser)]
struct Args {
    /// Milliseconds the sender waits after each value of the stream [0-1000].
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(..=1000))]
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

fn run(Args { pause_ms }: Args) -> anyhow::Result<()> {
    println!("== one message ==");
    let (tx, rx) = mpsc::channel();
    // `move` hands the thread the `Sender`; main keeps the `Receiver`.
    let sender = thread::spawn(move || {
        let message = "Hello from the thread!";
        tx.send(message)
            .expect("main holds the receiver until it has received");
        println!("Sent message: {message}");
    });
    // `recv` blocks until a message arrives (or every sender is gone).
    let received = rx.recv().context("the sender hung up without sending")?;
    println!("Received message: {received}");
    // Wait for the thread, so its line is printed before the process can end.
    sender
        .join()
        .map_err(|_| anyhow!("the sending thread panicked"))?;

    println!("== a stream of values ==");
    let (tx, rx) = mpsc::channel();
    let pause = Duration::from_millis(pause_ms);
    let sender = thread::spawn(move || {
        let vals = ["hi", "from", "the", "thread"].map(String::from);
        for val in vals {
            // The `String` moves into the channel: this thread cannot touch it again.
            tx.send(val)
                .expect("main iterates over rx until tx is dropped");
            thread::sleep(pause); // main is blocked in `for` meanwhile
        }
        println!("sender: sent 4 values, dropping tx");
        drop(tx); // the last Sender: this is what ends main's loop
    });
    let mut got = 0;
    // Blocks for each value; ends when the channel is empty and every Sender is gone.
    for received in rx {
        println!("Got: {received}");
        got += 1;
    }
    println!("Channel closed: the sender was dropped, so `for received in rx` ended");
    sender
        .join()
        .map_err(|_| anyhow!("the sending thread panicked"))?;
    println!("Received 1 message and a stream of {got} values");
    Ok(())
}
