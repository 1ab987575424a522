//! `select!` in a loop drops the losing branch's future, and with it any data that future had half read.
//!
//! A peer sends `--messages` lines over an in-memory stream (`tokio::io::duplex`),
//! each in two pieces, and between the pieces it pings and waits for the pong:
//! a heartbeat that happens to land in the middle of a line. The receiver
//! loops over `select!` on "the next line" and "a ping", three ways:
//! - `read_line in select!`: the mistake. `read_line` has taken the first piece
//!   out of the buffer when the ping wins; `select!` drops the `read_line`
//!   future, and the piece goes with it (tokio's docs: not cancel safe; the
//!   `String` kept outside the loop does not save it). Every line arrives as
//!   its tail only.
//! - `pinned read`: one read future, pinned outside the loop and polled by
//!   reference (`&mut read`), survives the ping and goes on where it stopped.
//!   A new one is made only after it completes.
//! - `Lines::next_line`: a cancel-safe call (tokio's docs say which are): it
//!   keeps partial data in the `Lines` value, not in the future.
//!
//! Every line is the same on every run: one runtime thread, an in-memory
//! stream, and `biased;` so the read is always polled before the ping; without
//! it the read may or may not have taken the piece when the ping wins, and the
//! loss would vary. On a real socket the timing decides, which is why such a
//! bug passes tests and loses data in production. Cancellation happens only at
//! an `.await`; the question is what the dropped future was holding.
//!
//! ```sh
//! cargo run -p examples-async --bin cancellation-safety -- --messages 5
//! ```

use std::pin::pin;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::sync::{mpsc, oneshot};

type Pings = mpsc::Receiver<oneshot::Sender<()>>;

/// Receive lines while answering pings that arrive in the middle of them.
#[derive(Parser)]
struct Args {
    /// How many lines the peer sends [1-1000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    messages: u32,
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
async fn run(Args { messages }: Args) -> anyhow::Result<()> {
    let sent: Vec<String> = (1..=messages)
        .map(|i| format!("message {i} of {messages}"))
        .collect();
    let sent_bytes: usize = sent.iter().map(|m| m.len() + 1).sum();
    let mut summary = Vec::new();
    for how in ["read_line in select!", "pinned read", "Lines::next_line"] {
        let (ours, theirs) = tokio::io::duplex(1024);
        let (ping_tx, pings) = mpsc::channel(1);
        let peer = tokio::spawn(peer(theirs, ping_tx, sent.clone()));
        let received = match how {
            "read_line in select!" => read_line_in_select(ours, pings).await,
            "pinned read" => pinned_read(ours, pings).await,
            _ => next_line_in_select(ours, pings).await,
        }
        .with_context(|| format!("receiving with {how}"))?;
        peer.await?.with_context(|| format!("sending to {how}"))?;
        for line in &received {
            println!("{how}: received {line:?}");
        }
        let intact = received.iter().zip(&sent).filter(|(r, s)| r == s).count();
        let lost = sent_bytes - received.iter().map(|r| r.len() + 1).sum::<usize>();
        println!("{how}: {intact} of {messages} lines intact, {lost} of {sent_bytes} bytes lost");
        summary.push(format!("{how} {lost}"));
    }
    println!("Bytes lost to a ping mid-line: {}", summary.join(", "));
    Ok(())
}

/// The mistake: a fresh `read_line` future each time round the loop.
async fn read_line_in_select(ours: DuplexStream, mut pings: Pings) -> std::io::Result<Vec<String>> {
    let (mut reader, mut line, mut got) = (BufReader::new(ours), String::new(), Vec::new());
    loop {
        tokio::select! {
            biased; // the read is polled first, so the loss is the same every run
            n = reader.read_line(&mut line) => {
                if n? == 0 { return Ok(got) }
                got.push(line.trim_end().to_owned());
                line.clear();
            }
            // Winning this branch drops the half-done `read_line`, and its piece.
            Some(pong) = pings.recv() => { let _ = pong.send(()); }
        }
    }
}

/// Fix 1: one read future lives across the loop's turns until it completes.
async fn pinned_read(ours: DuplexStream, mut pings: Pings) -> std::io::Result<Vec<String>> {
    let mut got = Vec::new();
    // The future owns the reader and hands it back, so a new one can be made.
    let mut read = pin!(next_line(BufReader::new(ours)));
    loop {
        tokio::select! {
            biased;
            (reader, line) = &mut read => match line? {
                None => return Ok(got),
                Some(line) => { got.push(line); read.set(next_line(reader)); }
            },
            // `read` is only borrowed by `select!`: losing the race does not drop it.
            Some(pong) = pings.recv() => { let _ = pong.send(()); }
        }
    }
}

async fn next_line<R: AsyncBufReadExt + Unpin>(
    mut reader: R,
) -> (R, std::io::Result<Option<String>>) {
    let mut line = String::new();
    let read = reader.read_line(&mut line).await;
    let line = read.map(|n| (n > 0).then(|| line.trim_end().to_owned()));
    (reader, line)
}

/// Fix 2: a cancel-safe call, whose partial line lives in `Lines`.
async fn next_line_in_select(ours: DuplexStream, mut pings: Pings) -> std::io::Result<Vec<String>> {
    let (mut lines, mut got) = (BufReader::new(ours).lines(), Vec::new());
    loop {
        tokio::select! {
            biased;
            line = lines.next_line() => match line? {
                None => return Ok(got),
                Some(line) => got.push(line),
            },
            Some(pong) = pings.recv() => { let _ = pong.send(()); }
        }
    }
}

/// The peer: each line in two pieces, with a ping (answered before it goes
/// on) in between; then it closes the stream.
async fn peer(
    mut theirs: DuplexStream,
    pings: mpsc::Sender<oneshot::Sender<()>>,
    lines: Vec<String>,
) -> anyhow::Result<()> {
    for line in lines {
        let (head, tail) = line.split_at(line.len() / 2);
        theirs.write_all(head.as_bytes()).await?;
        let (pong_tx, pong) = oneshot::channel();
        pings.send(pong_tx).await.context("the receiver stopped")?;
        pong.await.context("the ping was not answered")?;
        theirs.write_all(format!("{tail}\n").as_bytes()).await?;
    }
    Ok(()) // dropping `theirs` closes the stream: the receiver sees the end
}
