//! tokio's four async channels: `mpsc`, `oneshot`, `broadcast` and `watch`.
//!
//! - `mpsc`: many producer tasks, one slow consumer. Bounded: `send().await`
//!   waits while `--capacity` messages are queued (back-pressure), so the
//!   consumer never finds more than that many waiting (`rx.len()`). The
//!   consumer's loop ends when the last sender is dropped.
//! - `oneshot`: exactly one value, once. Here each request to a server task
//!   carries a `oneshot::Sender` for its reply, the usual async request/response.
//! - `broadcast`: every subscriber receives a clone of every message sent after it
//!   subscribed. There is no back-pressure: a subscriber more than the capacity
//!   behind loses the oldest messages (`RecvError::Lagged`), so size it for a
//!   burst. tokio rounds the capacity up to a power of two (`channel(3)` holds
//!   4), so a subscriber may fall a little further behind than asked before it
//!   lags.
//! - `watch`: one value that changes; receivers see the latest, maybe skipping
//!   some, and always see the final value.
//!
//! The `mpsc`, `broadcast` and `watch` lines interleave differently from run to
//! run (tasks run on several threads); within one producer or subscriber the
//! order is fixed, and which values a watcher skips varies, as does the order of
//! the `watcher W ended on` lines (they come as the watchers finish) and the
//! most messages the `mpsc` consumer found queued (`at most N queued`, never
//! above the capacity). The `oneshot` lines and the summaries do not vary.
//!
//! These channels are for tasks: `recv().await` suspends the task, not the
//! thread. Between plain threads use `std::sync::mpsc` or crossbeam; a channel
//! between a thread and a task works too (`blocking_send`, `blocking_recv`).
//!
//! ```sh
//! cargo run -p examples-async --bin async-channels -- --producers 4 --messages 10
//! ```

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, ensure};
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::sleep;

/// Send messages through each of tokio's async channels and show who got what.
#[derive(Parser)]
struct Args {
    /// Producer tasks sending into the `mpsc` channel [1-100].
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    producers: u64,
    /// Messages per producer; also the number of requests, broadcasts and watch updates [1-1000].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1000))]
    messages: u64,
    /// Subscribers of the `broadcast` channel, and receivers of the `watch` channel [1-100].
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    subscribers: u64,
    /// Capacity of the bounded `mpsc` channel [1-1024].
    #[arg(long, default_value_t = 2, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1024))]
    capacity: usize,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[tokio::main]
async fn run(args: Args) -> anyhow::Result<()> {
    let delivered = mpsc_fan_in(args.producers, args.messages, args.capacity).await?;
    let answered = oneshot_replies(args.messages).await?;
    let broadcast = broadcast_to_all(args.subscribers, args.messages).await?;
    let final_value = watch_latest(args.subscribers, args.messages).await?;
    println!(
        "mpsc delivered {delivered}, oneshot answered {answered}, broadcast delivered \
         {broadcast}, every watcher ended on {final_value}"
    );
    Ok(())
}

/// `producers` tasks send `messages` each; one slow consumer receives until
/// all are done. Returns how many it received.
async fn mpsc_fan_in(producers: u64, messages: u64, capacity: usize) -> anyhow::Result<u64> {
    let (tx, mut rx) = mpsc::channel(capacity);
    let mut senders = JoinSet::new();
    for p in 0..producers {
        let tx = tx.clone();
        senders.spawn(async move {
            for m in 0..messages {
                // Waits while the channel is full. Err means the receiver is
                // gone, and then there is nobody left to send to.
                if tx.send((p, m)).await.is_err() {
                    return;
                }
            }
        }); // this producer's clone of `tx` is dropped when its task ends
    }
    // Drop our own sender, or `recv` would wait for it forever.
    drop(tx);
    let (mut received, mut most_queued) = (0, 0);
    // `None` once every sender is dropped and the queue is empty.
    while let Some((p, m)) = rx.recv().await {
        // What the producers managed to queue while we were busy.
        let queued = rx.len();
        most_queued = most_queued.max(queued);
        println!("mpsc: producer {p} message {m}, {queued} queued");
        received += 1;
        sleep(Duration::from_millis(1)).await; // a slow consumer
    }
    senders.join_all().await; // all done by now; a producer's panic would resume here
    ensure!(
        most_queued <= capacity,
        "{most_queued} messages queued, above the capacity of {capacity}"
    );
    println!("mpsc: at most {most_queued} queued (capacity {capacity})");
    Ok(received)
}

/// Sends `requests` numbers one at a time to a squaring server, each with a
/// `oneshot::Sender` for its reply, and awaits each reply. Returns how many
/// were answered.
async fn oneshot_replies(requests: u64) -> anyhow::Result<u64> {
    // A request: the number, and the sender its reply goes back on.
    let (tx, mut rx) = mpsc::channel::<(u64, oneshot::Sender<u64>)>(1);
    let server = tokio::spawn(async move {
        while let Some((n, reply)) = rx.recv().await {
            // Err only if the client stopped waiting; nothing to do then.
            let _ = reply.send(n * n);
        }
    });
    for n in 1..=requests {
        let (reply, response) = oneshot::channel();
        tx.send((n, reply)).await.context("the server stopped")?;
        // One value, or an error if the server dropped the sender unanswered.
        let square = response.await.context("the server dropped a request")?;
        println!("oneshot: {n} squared is {square}");
    }
    drop(tx); // the server's `recv` returns `None` and its loop ends
    server.await.context("the server task failed")?;
    Ok(requests) // every request was answered, or we returned an error above
}

/// Every one of `subscribers` receives each of `messages` broadcasts, in order.
async fn broadcast_to_all(subscribers: u64, messages: u64) -> anyhow::Result<u64> {
    // Room for the whole burst, so no subscriber can lag behind and lose any.
    let (tx, _) = broadcast::channel(messages as usize);
    let mut set = JoinSet::new();
    for s in 0..subscribers {
        // Subscribe before the first send: a receiver only gets later messages.
        let mut rx = tx.subscribe();
        set.spawn(async move {
            let mut got = 0;
            loop {
                match rx.recv().await {
                    Ok(m) => {
                        println!("broadcast: subscriber {s} got {m}");
                        got += 1;
                    }
                    Err(RecvError::Lagged(lost)) => {
                        println!("broadcast: subscriber {s} lagged and lost {lost}");
                    }
                    // The sender is gone and every message has been received.
                    Err(RecvError::Closed) => return got,
                }
            }
        });
    }
    for m in 0..messages {
        tx.send(m).context("no subscriber is listening")?;
    }
    drop(tx); // closes the channel, after the messages already sent
    Ok(set.join_all().await.into_iter().sum())
}

/// `watchers` receivers follow a value the sender sets to 1, 2, ..., `updates`.
async fn watch_latest(watchers: u64, updates: u64) -> anyhow::Result<u64> {
    let (tx, rx) = watch::channel(0);
    let mut set = JoinSet::new();
    for w in 0..watchers {
        let mut rx = rx.clone();
        set.spawn(async move {
            // `changed` returns Err only once the sender is gone *and* the
            // latest value has been seen, so the final value is never missed.
            while rx.changed().await.is_ok() {
                // `borrow_and_update` marks the value it returns as seen, so one
                // sent since `changed` returned is not reported twice. Copy it
                // out at once: the borrow holds a read lock on the channel.
                let value = *rx.borrow_and_update();
                println!("watch: watcher {w} saw {value}");
            }
            (w, *rx.borrow())
        });
    }
    drop(rx);
    for value in 1..=updates {
        tx.send(value).context("every watcher is gone")?;
        // A short pause, so the watchers see some values in between; without
        // it they might see only the last one, which is just as correct.
        sleep(Duration::from_millis(1)).await;
    }
    drop(tx); // ends the watchers' loops once they have seen the final value
    for (w, last) in set.join_all().await {
        println!("watch: watcher {w} ended on {last}");
        ensure!(last == updates, "watcher {w} missed the final {updates}");
    }
    Ok(updates)
}
