//! `thread::Builder`: name a thread, size its stack, and recover from its panic.
//!
//! A name set with `Builder::name` is what `thread::current().name()` returns
//! and what the panic message shows; on Linux, `top -H` and debuggers show
//! only its first 15 bytes (`worker-small-st`). `Builder::stack_size` is a
//! request: the OS may round it up (to whole pages, to its minimum), and std
//! does not report what it got, so the lines print the size asked for.
//! `Builder::spawn` returns an `io::Result`, because the OS can refuse to
//! create a thread; `thread::spawn` panics instead.
//!
//! The `doomed` thread panics on purpose. Its panic does not take the process
//! down: it unwinds that thread only, and `join` hands main an `Err` holding
//! the panic payload, from which main recovers the message. The default panic
//! hook also prints `thread 'doomed' panicked at ...` on stderr; that line is
//! expected. The two worker lines may come in either order.
//!
//! ```sh
//! cargo run -p examples-threads --bin thread-builder
//! ```

use std::any::Any;
use std::process::ExitCode;
use std::thread;

use anyhow::Context;
use clap::Parser;

/// Name threads, size their stacks, and recover from a thread's panic. No
/// options: `--help` and a mistyped option are answered, not ignored.
#[derive(Parser)]
struct Args {}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args {}: Args) -> anyhow::Result<()> {
    let main_thread = thread::current();
    println!(
        "main thread: name {:?}, id {:?}",
        main_thread.name(),
        main_thread.id()
    );

    let mut workers = Vec::new();
    for (name, stack_size) in [
        ("worker-small-stack", 64 * 1024),
        ("worker-big-stack", 8 << 20),
    ] {
        let handle = thread::Builder::new()
            .name(name.to_owned())
            .stack_size(stack_size)
            .spawn(move || {
                let me = thread::current();
                let name = me.name().expect("this thread was given a name");
                println!(
                    "{name}: running, asked for a {stack_size}-byte stack, id {:?}",
                    me.id()
                );
                name.len()
            })
            .with_context(|| format!("spawning thread {name}"))?;
        workers.push(handle);
    }
    for worker in workers {
        let name = worker.thread().name().unwrap_or("<unnamed>").to_owned();
        let result = worker
            .join()
            .map_err(|p| anyhow::anyhow!("{name} panicked: {}", message(&*p)))?;
        println!("joined {name}: returned {result}");
    }

    let doomed = thread::Builder::new()
        .name("doomed".to_owned())
        .spawn(|| -> u32 { panic!("the answer was not 42") })
        .context("spawning thread doomed")?;
    // The panic stays in its thread; `join` turns it into an `Err`.
    match doomed.join() {
        Ok(value) => println!("doomed returned {value}"),
        Err(payload) => println!(
            "caught the panic of thread 'doomed': {}",
            message(&*payload)
        ),
    }
    println!("main is still running: 3 threads spawned, 1 panic caught");
    Ok(())
}

/// A panic payload is `&'static str` for `panic!("literal")` and `String` for
/// `panic!("{}", x)`; anything else came from `std::panic::panic_any`.
fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "<a non-string panic payload>"
    }
}
