//! The actor pattern: one task owns the state; cloneable handles send it messages carrying a `oneshot` for the reply.
//!
//! No lock anywhere: the account's total lives in the actor task alone, and
//! the only way to touch it is a message through the `mpsc` channel. The actor
//! handles one message at a time, so each request sees every earlier one
//! applied, and the reply travels back on the `oneshot` the request brought.
//! `--handles` tasks each hold a clone of the handle and send `--requests`
//! deposits (1, 2, 3, ... overall). When the last handle is dropped the
//! channel closes, `recv()` returns `None`, and the actor stops by itself.
//!
//! The order of the `handle` lines, and the totals in them, vary from run to
//! run (the handles race for the channel); each handle's own lines come in
//! the order it sent them, since it awaits each reply. The final total and
//! the last lines never vary. Next to tokio's
//! "Actors with Tokio": the same shape; a real actor also decides what a
//! handle sees when the actor has died (here: an error naming it).
//!
//! ```sh
//! cargo run -p examples-async --bin actor-handle -- --handles 3 --requests 5
//! ```

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// Tasks deposit through cloned handles into one account actor.
#[derive(Parser)]
struct Args {
    /// How many tasks, each with its own handle [1-64].
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=64))]
    handles: u64,
    /// How many deposits each handle sends [1-1000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=1000))]
    requests: u64,
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
async fn run(Args { handles, requests }: Args) -> anyhow::Result<()> {
    let (account, actor) = Account::start();
    let mut set = JoinSet::new();
    for h in 0..handles {
        let account = account.clone(); // each task its own handle
        set.spawn(async move {
            for r in 0..requests {
                let amount = h * requests + r + 1;
                let total = account.deposit(amount).await?;
                println!("handle {h}: request {r} added {amount}, total now {total}");
            }
            println!("handle {h}: done, dropping it");
            anyhow::Ok(()) // `account` dropped here: one handle fewer
        });
    }
    drop(account); // main's own handle: now only the tasks hold one
    for done in set.join_all().await {
        done?;
    }
    let (served, total) = actor.await.context("the actor task panicked")?;
    println!(
        "{handles} handles sent {} requests, {served} answered once each; final total {total}",
        handles * requests
    );
    Ok(())
}

/// A request to the actor, carrying where to send the answer.
struct Deposit {
    amount: u64,
    reply: oneshot::Sender<u64>, // the total after this deposit
}

/// The handle: cheap to clone, all it holds is the channel's sending end.
#[derive(Clone)]
struct Account(mpsc::Sender<Deposit>);

impl Account {
    /// Spawns the actor and returns the first handle and the actor's task,
    /// which ends with how many requests it served and the final total.
    fn start() -> (Account, tokio::task::JoinHandle<(u64, u64)>) {
        let (tx, mut rx) = mpsc::channel::<Deposit>(16);
        let actor = tokio::spawn(async move {
            let (mut total, mut served) = (0, 0); // the state: owned here, nowhere else
            while let Some(Deposit { amount, reply }) = rx.recv().await {
                (total, served) = (total + amount, served + 1);
                let _ = reply.send(total); // the sender may have given up: fine
            }
            println!("actor: every handle dropped, stopping after {served} requests");
            (served, total)
        });
        (Account(tx), actor)
    }

    async fn deposit(&self, amount: u64) -> anyhow::Result<u64> {
        let (reply, answer) = oneshot::channel();
        self.0
            .send(Deposit { amount, reply })
            .await
            .context("the account actor has stopped")?;
        answer
            .await
            .context("the account actor dropped the request")
    }
}
