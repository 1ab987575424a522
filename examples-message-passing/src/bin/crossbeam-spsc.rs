//! One producer and one consumer on a crossbeam channel, running at the same time.
//!
//! The cookbook's "Pass data between two threads" sends everything inside a
//! `crossbeam::scope` and receives only after the scope has joined, so nothing
//! is consumed while the producer runs. Here the consumer is a second thread
//! in the same scope, and the channel is `bounded(1)`: the producer can never
//! be more than one message ahead, so the interleaving is guaranteed, not
//! luck. `Received i` always comes before `Sent i+2` (sending i+2 needs the
//! slot that the consumer frees by taking i+1, after it printed `Received i`).
//! Whether `Sent i` or `Received i` is printed first varies from run to run.
//! (With the cookbook's layout a `bounded(1)` channel would deadlock: the
//! scope would wait for a producer that waits for a consumer that has not
//! started.)
//!
//! The consumer's loop ends when the producer drops its `Sender`: the
//! `Consumer: channel closed` line always comes after `Producer: ... dropping
//! its Sender`. Since Rust 1.63 `std::thread::scope` does what
//! `crossbeam::scope` does, and since 1.67 `std::sync::mpsc` is built on
//! crossbeam-channel's algorithms.
//!
//! Before each receive the consumer notes how many messages are waiting; its
//! closing line reports the most it found: 0 or 1 from run to run, never more.
//! `--lag` is for the tests (hidden from `--help`): the consumer then waits
//! before each receive until the channel is full (or the producer is done),
//! so the producer gets as far ahead as the channel lets it: the most found
//! waiting is then exactly the bound, 1.
//!
//! ```sh
//! cargo run -p examples-message-passing --bin crossbeam-spsc -- --messages 10 --pause-ms 0
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::anyhow;
use clap::Parser;
use crossbeam::channel::bounded;

/// A producer and a consumer that run at the same time.
#[derive(Parser)]
struct Args {
    /// How many messages the producer sends [1-10000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    messages: u32,
    /// Milliseconds the producer waits after each send (the cookbook's pause) [0-1000].
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(..=1000))]
    pause_ms: u64,
    /// Test-only: the consumer waits for a full channel before each receive.
    #[arg(long, hide = true)]
    lag: bool,
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
    let (messages, lag) = (args.messages, args.lag);
    let pause = Duration::from_millis(args.pause_ms);
    let sent_all = &AtomicBool::new(false);

    // Room for one message: a full channel makes the producer wait.
    let (snd, rcv) = bounded(1);
    let received = crossbeam::scope(|s| {
        // `move`: the producer owns the only Sender and drops it when done.
        s.spawn(move |_| {
            for i in 0..messages {
                snd.send(i)
                    .expect("the consumer receives until the Sender is dropped");
                println!("Sent {i}");
                thread::sleep(pause);
            }
            // Release: a consumer that sees `true` sees the last message queued.
            sent_all.store(true, Ordering::Release);
            println!("Producer: sent {messages}, dropping its Sender");
            drop(snd); // closes the channel (returning would drop it too)
        });
        // The consumer runs while the producer is still sending.
        let consumer = s.spawn(move |_| {
            let (mut received, mut most_waiting) = (0, 0);
            loop {
                while lag && !rcv.is_full() && !sent_all.load(Ordering::Acquire) {
                    thread::yield_now(); // test-only: let the producer fill the channel
                }
                most_waiting = most_waiting.max(rcv.len()); // never above the bound
                // Err once the channel is empty and the Sender is gone.
                let Ok(msg) = rcv.recv() else { break };
                println!("Received {msg}");
                received += 1;
            }
            println!(
                "Consumer: channel closed after {received} messages; found at most {most_waiting} waiting"
            );
            received
        });
        consumer.join()
    })
    // Outer Err: some thread of the scope panicked; inner: the consumer did.
    .map_err(|_| anyhow!("the producer panicked"))?
    .map_err(|_| anyhow!("the consumer panicked"))?;

    println!(
        "Consumer received {received} of {messages} messages; the producer dropped its Sender"
    );
    Ok(())
}
