//! A thread panics while holding a `Mutex`; the others recover the data.
//!
//! Two accounts hold 100 between them. A worker thread moves money from one to
//! the other and panics halfway, after taking it out of the first account and
//! before paying it into the second. The panic unwinds through the guard, which
//! marks the mutex *poisoned*: from then on `lock()` returns `Err(PoisonError)`
//! to say "the last holder died mid-update, the data may be inconsistent". The
//! data is still there: `PoisonError::into_inner` hands back the guard, the
//! recovering thread checks and repairs it, and `clear_poison` tells the mutex
//! the data is whole again.
//!
//! Output is the same every run, except that the default panic hook prints the
//! worker's panic message on stderr: that is the demonstration, not a failure.
//!
//! ```sh
//! cargo run -p examples-shared-state --bin poisoned-mutex -- --amount 10
//! ```

#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};
use std::thread;

use anyhow::{Context, ensure};
use clap::Parser;

/// The money both accounts hold together.
const TOTAL: u32 = 100;

/// A transfer panics halfway; the data is recovered from the poisoned mutex.
#[derive(Parser)]
struct Args {
    /// How much the failing transfer moves from account 0 to account 1 [1-50].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=i64::from(TOTAL / 2)))]
    amount: u32,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args { amount }: Args) -> anyhow::Result<()> {
    let accounts = Mutex::new([TOTAL / 2, TOTAL / 2]);
    println!(
        "before: balances {:?}",
        *accounts.lock().expect("not poisoned yet")
    );

    let outcome = thread::scope(|s| {
        thread::Builder::new()
            .name("transfer".into())
            .spawn_scoped(s, || {
                let mut balances = accounts.lock().expect("not poisoned yet");
                // The guard is alive when the panic unwinds: that poisons the mutex.
                interrupted_transfer(&mut balances, amount);
            })
            .context("spawning the transfer thread")
            .map(|handle| handle.join())
    })?;
    // `join` returns Err with the panic's payload: the thread died.
    let message = outcome
        .err()
        .and_then(|payload| payload.downcast_ref::<&str>().map(|m| m.to_string()))
        .context("the transfer thread should have panicked")?;
    println!("joined transfer thread: it panicked: {message}");

    // The guard was dropped during the panic: the mutex is now poisoned.
    println!("is_poisoned: {}", accounts.is_poisoned());
    let mut balances = match accounts.lock() {
        Ok(_) => anyhow::bail!("lock() should report the poison"),
        Err(poisoned) => {
            println!("lock() returned Err(PoisonError); recovering the guard with into_inner");
            poisoned.into_inner()
        }
    };
    let total: u32 = balances.iter().sum();
    println!(
        "recovered: balances {:?}, total {total} (the transfer was half done)",
        *balances
    );

    // Repair: finish the interrupted transfer (here we know what it was).
    balances[1] += TOTAL - total;
    println!(
        "repaired: balances {:?}, total {}",
        *balances,
        balances.iter().sum::<u32>()
    );
    drop(balances);

    // The data is consistent again: say so, and `lock()` is Ok from now on.
    accounts.clear_poison();
    println!(
        "after clear_poison: is_poisoned: {}",
        accounts.is_poisoned()
    );
    let balances = accounts
        .lock()
        .map_err(|_| anyhow::anyhow!("lock() still reports poison after clear_poison"))?;
    println!("lock() is Ok: balances {:?}", *balances);
    drop(balances);

    // Another way to say "I will cope with poison": take the data either way.
    let final_balances = accounts
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    let total: u32 = final_balances.iter().sum();
    ensure!(
        total == TOTAL,
        "the repaired accounts hold {total}, not {TOTAL}"
    );
    println!("Recovered the accounts after the panic: balances {final_balances:?}, total {total}");
    Ok(())
}

/// Moves `amount` from account 0 to account 1, but dies halfway, the way code
/// does when it hits a bug (a failed `expect`, an overflow) mid-update.
fn interrupted_transfer(balances: &mut [u32; 2], amount: u32) {
    balances[0] -= amount;
    println!("transfer: took {amount} from account 0, now panicking before paying it in");
    panic!("transfer interrupted halfway");
    // Never reached: balances[1] += amount;
}
