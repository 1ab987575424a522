//! `select!` over two producers' channels, a heartbeat from `tick` and a
//! timeout from `after`, until both producers are done.
//!
//! Producers A and B send 0, 1, 2, ... at different rates; the consumer waits
//! on both channels at once and prints whichever message is ready. How the
//! `from A` and `from B` lines interleave varies from run to run, and so does
//! the number of `tick` lines; each producer's messages always arrive in the
//! order it sent them.
//!
//! The timeout is "no message for `--timeout-ms`": an `after` channel that is
//! re-armed whenever a message arrives, but not on a tick. (`default(timeout)`
//! in `select!` would restart on every tick, and a heartbeat faster than the
//! timeout would hide every silence.) To make the timeout fire for sure rather
//! than by winning a race against a sleep, the producers pause halfway until
//! the consumer has noticed the silence: the consumer then drops `resume_tx`,
//! and a dropped Sender wakes every receiver at once, a broadcast. On a busy
//! machine the timeout may also fire at other moments.
//!
//! A closed channel is replaced by `never()`, which `select!` waits on
//! forever; when both are closed the loop ends and the heartbeat stops: no
//! `tick` line after the second `producer ... done` (the `tick` receiver
//! itself is dropped when `run` returns).
//!
//! ```sh
//! cargo run -p examples-message-passing --bin crossbeam-select -- --messages 10 --tick-ms 5
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::thread;
use std::time::Duration;

use anyhow::anyhow;
use clap::Parser;
use crossbeam::channel::{Receiver, Sender, after, bounded, never, select, tick, unbounded};

/// Two producers, a heartbeat and a timeout in one `select!` loop.
#[derive(Parser)]
struct Args {
    /// How many messages each producer sends [1-10000].
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    messages: u32,
    /// Print a timeout line after this many milliseconds without a message [1-1000].
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=1000))]
    timeout_ms: u64,
    /// Milliseconds between heartbeat lines [1-1000].
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=1000))]
    tick_ms: u64,
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
    let timeout = Duration::from_millis(args.timeout_ms);

    let (a_tx, mut a_rx) = unbounded();
    let (b_tx, mut b_rx) = unbounded();
    // Never carries a message: dropping `resume_tx` is the signal.
    let (resume_tx, resume_rx) = bounded::<()>(0);
    // A sends every 3 ms, B every 5 ms.
    let producers = [(a_tx, 3), (b_tx, 5)].map(|(tx, pace_ms)| {
        let resume = resume_rx.clone();
        let pace = Duration::from_millis(pace_ms);
        thread::spawn(move || produce(tx, args.messages, pace, resume))
    });
    drop(resume_rx);

    let mut resume_tx = Some(resume_tx);
    let heartbeat = tick(Duration::from_millis(args.tick_ms));
    let mut quiet = after(timeout);
    let (mut from_a, mut from_b, mut open) = (0, 0, 2);
    while open > 0 {
        select! {
            recv(a_rx) -> msg => match msg {
                Ok(i) => {
                    println!("from A: {i}");
                    from_a += 1;
                    quiet = after(timeout); // a message: re-arm the timeout
                }
                Err(_) => {
                    println!("producer A done: its channel is closed");
                    a_rx = never(); // stop selecting on it
                    open -= 1;
                }
            },
            recv(b_rx) -> msg => match msg {
                Ok(i) => {
                    println!("from B: {i}");
                    from_b += 1;
                    quiet = after(timeout);
                }
                Err(_) => {
                    println!("producer B done: its channel is closed");
                    b_rx = never();
                    open -= 1;
                }
            },
            recv(heartbeat) -> _ => {
                println!("tick: {} messages so far", from_a + from_b);
            }
            recv(quiet) -> _ => {
                println!("timeout: no message for {} ms", args.timeout_ms);
                quiet = never(); // once per silence
                drop(resume_tx.take()); // wakes the paused producers, if any
            }
        }
    }

    for (name, handle) in ["A", "B"].into_iter().zip(producers) {
        handle
            .join()
            .map_err(|_| anyhow!("producer {name} panicked"))?;
    }
    println!(
        "Received {} messages, {from_a} from A and {from_b} from B; both channels closed",
        from_a + from_b
    );
    Ok(())
}

/// Sends `0..messages` at one per `pace`, waiting halfway until `resume` closes.
fn produce(tx: Sender<u32>, messages: u32, pace: Duration, resume: Receiver<()>) {
    for i in 0..messages {
        if i == messages / 2 {
            // Returns Err(RecvError) as soon as the consumer drops `resume_tx`.
            let _ = resume.recv();
        }
        tx.send(i)
            .expect("the consumer selects on this channel until it closes");
        thread::sleep(pace);
    }
    // Returning drops `tx`: the consumer sees this channel close.
}
