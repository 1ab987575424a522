//! A parallel pipeline: a source, N workers and a sink joined by `bounded(1)`
//! crossbeam channels, shut down stage by stage by dropping Senders.
//!
//! The source sends 0, 1, 2, ...; every worker receives from the same channel
//! (crossbeam channels are multi-consumer), doubles the number and passes it on
//! with its index; the sink prints what arrives. Which worker gets which number,
//! and the order of the `Worker` and `Sink` lines, vary from run to run; the
//! `Source sent` lines are always in order, and the sink always gets every
//! doubled number exactly once. `bounded(1)` means the source stalls as soon as
//! one number is waiting: each worker spends a few milliseconds on a number,
//! so the source keeps running into a full channel, and the numbers spread
//! over the workers. (The cookbook instead pauses the workers once, at start.)
//!
//! Shutdown is a chain of drops: the source drops its Sender, so each worker's
//! `for` loop ends once the channel is empty; each worker drops its clone of
//! the sink's Sender, and main drops the original, so the sink's loop ends.
//! The output shows the chain: `Source done` comes before every `Worker w
//! done`, and those before `Sink: every worker's Sender is gone`.
//!
//! `--meet N` is for the tests (hidden from `--help`): numbers 0..N each wait
//! at a `Barrier(N)` before their work, so N workers must hold one of them at
//! the same time; a pipeline whose workers ran one at a time would hang there.
//!
//! ```sh
//! cargo run -p examples-message-passing --bin crossbeam-pipeline -- --messages 10 --workers 3
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Barrier;
use std::thread;
use std::time::Duration;

use anyhow::{anyhow, ensure};
use clap::Parser;
use crossbeam::channel::bounded;

/// source -> N workers -> sink.
#[derive(Parser)]
struct Args {
    /// How many numbers the source sends [1-100000].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    messages: u64,
    /// How many workers double the numbers in parallel [1-256].
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=256))]
    workers: u32,
    /// Milliseconds a worker spends on each number: slower than the source,
    /// which then waits on the full channel [0-1000].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(..=1000))]
    work_ms: u64,
    /// Test-only: numbers 0..N wait for each other at a barrier [0-256, at
    /// most --workers and --messages; 0: off].
    #[arg(long, hide = true, default_value_t = 0, value_parser = clap::value_parser!(u32).range(..=256))]
    meet: u32,
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
    let (messages, workers, meet) = (args.messages, args.workers, args.meet);
    ensure!(
        meet <= workers && u64::from(meet) <= messages,
        "--meet {meet} needs at least as many --workers ({workers}) and --messages ({messages})"
    );
    let barrier = &Barrier::new(usize::try_from(meet)?);
    let work = Duration::from_millis(args.work_ms);

    let (snd1, rcv1) = bounded(1); // source -> workers
    let (snd2, rcv2) = bounded(1); // workers -> sink
    let (count, sum) = crossbeam::scope(|s| {
        // Source: owns snd1, so the channel closes when it returns.
        s.spawn(move |_| {
            for i in 0..messages {
                snd1.send(i)
                    .expect("the workers receive until the source is done");
                println!("Source sent {i}");
            }
            println!("Source done: dropping its Sender");
            drop(snd1);
        });

        for w in 0..workers {
            // Each worker gets its own clone of both ends.
            let (sendr, recvr) = (snd2.clone(), rcv1.clone());
            s.spawn(move |_| {
                // Receive until the source has dropped snd1 and the channel is empty.
                let mut taken = 0;
                for msg in recvr.iter() {
                    println!("Worker {w} received {msg}");
                    if msg < u64::from(meet) {
                        barrier.wait(); // test-only: the first `meet` numbers at once
                    }
                    thread::sleep(work); // the "work" on this number
                    sendr
                        .send((w, msg * 2))
                        .expect("the sink receives until every worker is done");
                    taken += 1;
                }
                println!(
                    "Worker {w} done after {taken} numbers: input closed, dropping its Sender"
                );
                drop(sendr);
            });
        }
        // Main's snd2 would keep the sink's loop alive forever: drop it.
        drop(snd2);

        // Sink, on main's thread.
        let (mut count, mut sum) = (0u64, 0u64);
        for (w, doubled) in rcv2.iter() {
            println!("Sink received {doubled} from worker {w}");
            count += 1;
            sum += doubled;
        }
        println!("Sink: every worker's Sender is gone");
        (count, sum)
    })
    .map_err(|_| anyhow!("a pipeline thread panicked"))?;

    println!(
        "Pipeline closed: the sink received {count} messages from {workers} workers; sum {sum}"
    );
    Ok(())
}
