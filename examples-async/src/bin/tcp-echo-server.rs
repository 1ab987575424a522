//! A TCP echo server with one task per connection, and its clients in the same process.
//!
//! The server binds 127.0.0.1 (the loopback address: unreachable from other
//! machines) on port 0, so the kernel picks a free port, printed on the first
//! line; two runs at once never collide. Its accept loop spawns one task per
//! connection, which copies what it reads back to the same socket until the
//! client closes its side. A task waiting on a socket costs a few hundred
//! bytes, not a thread: thousands of connections are fine.
//!
//! `--clients` client tasks each connect, send `--messages` lines and check
//! that every echo equals what they sent. After its first echo each client
//! waits at a `Barrier` until all are connected, so the server has to serve
//! them all at once; a server that handled one connection at a time would
//! stall here (and the run gives up after 10 s with an error). When every
//! client is done, a `CancellationToken` stops the accept loop and main waits
//! for the connection tasks to end.
//!
//! The port, the clients' ports and the order of the lines vary from run to
//! run; the counts and the last line do not.
//!
//! ```sh
//! cargo run -p examples-async --bin tcp-echo-server -- --clients 4 --messages 3
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, ensure};
use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Barrier;
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// An echo server on 127.0.0.1 and concurrent clients checking their echoes.
#[derive(Parser)]
struct Args {
    /// How many clients connect at once [1-200].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=200))]
    clients: u64,
    /// How many lines each client sends [1-10000].
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    messages: u64,
    /// Test only: after the clients, keep serving until a line arrives on stdin.
    #[arg(long, hide = true)]
    serve_until_stdin: bool,
}

/// How long the clients may take in all before the run is called stuck.
const GIVE_UP: Duration = Duration::from_secs(10);

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
    // Loopback only, port 0: the kernel picks a free port.
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .context("binding 127.0.0.1")?;
    let addr = listener.local_addr().context("reading the bound address")?;
    println!("listening on {addr}");
    let stop = CancellationToken::new();
    let server = tokio::spawn(serve(listener, stop.clone()));

    let meet = Arc::new(Barrier::new(args.clients as usize));
    let mut clients = JoinSet::new();
    for c in 0..args.clients {
        clients.spawn(client(c, addr, args.messages, Arc::clone(&meet)));
    }
    let all_done = async {
        while let Some(done) = clients.join_next().await {
            done.context("a client panicked")??;
        }
        anyhow::Ok(())
    };
    timeout(GIVE_UP, all_done)
        .await
        .context("the clients did not finish within 10 s: is the server serving them at once?")??;
    if args.serve_until_stdin {
        println!("serving until a line on stdin");
        // A blocking read (tokio's stdin needs a feature this crate leaves out).
        let mut line = String::new();
        let stdin = tokio::task::spawn_blocking(move || std::io::stdin().read_line(&mut line));
        stdin
            .await
            .context("the stdin reader panicked")?
            .context("reading stdin")?;
    }
    stop.cancel(); // the clients are done: stop accepting
    let (connections, most_open) = server.await.context("the server panicked")??;
    println!(
        "{} clients x {} messages echoed over {connections} connections, at most {most_open} open at once",
        args.clients, args.messages
    );
    Ok(())
}

/// Accepts connections until `stop` is cancelled, one task each; then waits
/// for those tasks. Returns how many connections there were and the most
/// that were open at once.
async fn serve(listener: TcpListener, stop: CancellationToken) -> anyhow::Result<(u64, usize)> {
    let connections = TaskTracker::new(); // counts the connection tasks still running
    let (mut accepted, mut most_open) = (0, 0);
    loop {
        let (socket, peer) = tokio::select! {
            () = stop.cancelled() => break,
            accept = listener.accept() => accept.context("accepting a connection")?,
        };
        accepted += 1;
        println!(
            "server: connection from {peer}, {} open",
            connections.len() + 1
        );
        // One task per connection: the loop goes straight back to accepting.
        connections.spawn(async move {
            match echo(socket).await {
                Ok(bytes) => println!("server: {peer} closed after {bytes} bytes echoed"),
                Err(e) => println!("server: {peer} failed: {e}"),
            }
        });
        most_open = most_open.max(connections.len()); // only ever grows here
    }
    // Stopped accepting; the open connections end when their clients close.
    connections.close();
    connections.wait().await;
    Ok((accepted, most_open))
}

/// Copies everything the peer sends back to it, until it closes its side.
async fn echo(mut socket: TcpStream) -> std::io::Result<u64> {
    let (mut from, mut to) = socket.split();
    tokio::io::copy(&mut from, &mut to).await
}

/// One client: sends its lines one by one and checks each echo.
async fn client(
    c: u64,
    server: SocketAddr,
    messages: u64,
    meet: Arc<Barrier>,
) -> anyhow::Result<()> {
    let socket = TcpStream::connect(server)
        .await
        .with_context(|| format!("client {c}: connecting to {server}"))?;
    let mut socket = BufReader::new(socket); // reads by line, writes straight through
    let mut bytes = 0;
    for m in 0..messages {
        let sent = format!("client {c} message {m}\n");
        let mut echo = String::new();
        let write = socket.write_all(sent.as_bytes()).await;
        write.with_context(|| format!("client {c}: sending message {m}"))?;
        let read = socket.read_line(&mut echo).await;
        read.with_context(|| format!("client {c}: reading the echo of message {m}"))?;
        ensure!(echo == sent, "client {c}: sent {sent:?}, got back {echo:?}");
        bytes += echo.len();
        if m == 0 {
            // Every client holds its connection open until all are served:
            // the server must be serving them at the same time.
            meet.wait().await;
        }
    }
    println!("client {c}: {messages} echoes matched, {bytes} bytes");
    Ok(()) // dropping the socket closes it: the server's copy loop ends
}
