//! A one-shot channel built from scratch: each worker sends one value through
//! its own channel, and main receives them one by one.
//!
//! The channel is this crate's `oneshot` module (`src/oneshot.rs`): a cell
//! for the value and an `AtomicBool` "ready" flag, stored with `Release` after
//! the value is written and read with `Acquire` before it is read, so the
//! value is never seen half-written. Its `unsafe` code lives there, with the
//! argument for each block, and is model-checked with loom (`make loom`); this
//! file has none. `send(self)` and `receive(self)` use up their handle, so the
//! compiler refuses a second send or receive.
//!
//! Main makes every channel (the receiver parks until the value is there, and
//! the sender wakes the thread that made the channel), hands each worker a
//! `Sender` and waits on the channels in turn. The `worker` lines come in a
//! different order from run to run; the `channel` lines always come in order
//! 0, 1, 2, ..., each with its own worker's value. The last `--unsent` workers
//! drop their `Sender` without sending (a job that failed): the drop wakes
//! main, which reports it instead of waiting forever.
//!
//! std has no one-shot channel: in real code, `std::sync::mpsc` or a
//! `crossbeam` `bounded(1)` channel used once does the job, and async code
//! has `tokio::sync::oneshot`.
//!
//! ```sh
//! cargo run -p examples-message-passing --bin oneshot-channel -- --workers 8 --unsent 2
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::thread;

use clap::Parser;
use clap::builder::RangedU64ValueParser;
use examples_message_passing::oneshot;

/// Workers each send one value over their own one-shot channel.
#[derive(Parser)]
struct Args {
    /// How many workers send a value [1-64].
    #[arg(long, default_value_t = 4, value_parser = RangedU64ValueParser::<usize>::new().range(1..=64))]
    workers: usize,
    /// How many more workers drop their Sender without sending [0-64].
    #[arg(long, default_value_t = 1, value_parser = RangedU64ValueParser::<usize>::new().range(..=64))]
    unsent: usize,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { workers, unsent }: Args) -> anyhow::Result<()> {
    // Made on main, so each Sender records main as the thread to wake.
    let (senders, receivers): (Vec<_>, Vec<_>) = (0..workers + unsent)
        .map(|_| oneshot::channel::<String>())
        .unzip();
    let (mut received, mut dropped) = (0, 0);
    thread::scope(|s| {
        for (i, tx) in senders.into_iter().enumerate() {
            // Each worker owns its Sender; main keeps every Receiver.
            s.spawn(move || {
                if i < workers {
                    // The String moves into the channel; `tx` is used up.
                    tx.send(format!("{i} squared is {}", i * i));
                    println!("worker {i}: sent its value");
                } else {
                    println!("worker {i}: dropping its Sender without sending");
                    drop(tx); // wakes main, which reports it
                }
            });
        }
        for (i, rx) in receivers.into_iter().enumerate() {
            // Parks until worker i has sent, or has dropped its Sender.
            match rx.receive() {
                Ok(value) => {
                    println!("channel {i}: {value}");
                    received += 1;
                }
                Err(e) => {
                    println!("channel {i}: error: {e}");
                    dropped += 1;
                }
            }
        }
    });
    let channels = workers + unsent;
    println!(
        "Received {received} values over {channels} one-shot channels; {dropped} hung up without sending (reported)"
    );
    Ok(())
}
