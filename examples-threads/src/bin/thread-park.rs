//! `thread::park` and `Thread::unpark` as a wake-up signal: a consumer sleeps
//! until a producer has pushed an item onto a shared queue and unparked it.
//!
//! Two rules make it correct. First, `park` may return for no reason (a
//! spurious wake-up), so the consumer parks in a loop and re-checks the queue
//! each time it wakes; it never takes a wake-up to mean "there is an item".
//! Second, an `unpark` that comes before the `park` is not lost: each thread
//! has one token, `unpark` sets it and `park` consumes it, returning at once if
//! it was set. That closes the window between "the queue is empty" and
//! `park()`: an item pushed in that window has already set the token. Tokens
//! do not add up: two `unpark`s before a `park` let one `park` through.
//!
//! The `consumed` lines never vary; how many times the consumer parked does
//! (it depends on who runs when). With `--producer-first` the producer pushes
//! and unparks everything before the consumer's first `park`, which returns at
//! once because of the token. `std::sync::mpsc` and `Condvar` are built on the
//! same parking primitive (a futex on Linux).
//!
//! ```sh
//! cargo run -p examples-threads --bin thread-park -- --items 10 --pause-ms 1
//! ```

use std::collections::VecDeque;
use std::process::ExitCode;
use std::sync::Mutex;
use std::thread;
use std::time::Duration;

use clap::Parser;

/// A producer wakes a parked consumer for each item it queues.
#[derive(Parser)]
struct Args {
    /// How many items the producer queues [1-1000000].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    items: u64,
    /// How long the producer waits between items, so the consumer runs dry and parks [0-1000].
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=1000))]
    pause_ms: u64,
    /// Let the producer queue everything (and unpark) before the consumer parks.
    #[arg(long)]
    producer_first: bool,
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
    // The token: an unpark before the park makes the park return at once.
    thread::current().unpark();
    thread::park();
    println!("unpark before park: the park returned at once");

    // `None` is the producer's "no more items".
    let queue: Mutex<VecDeque<Option<u64>>> = Mutex::new(VecDeque::new());
    let consumer = thread::current(); // main consumes; the producer unparks it
    let (mut next, mut parks) = (1, 0);
    thread::scope(|s| -> anyhow::Result<()> {
        let producer = s.spawn(|| {
            for item in (1..=args.items).map(Some).chain([None]) {
                thread::sleep(Duration::from_millis(args.pause_ms));
                queue
                    .lock()
                    .expect("no thread panics holding it")
                    .push_back(item);
                // After the push: if the consumer is parked, wake it; if it is
                // about to park, the token makes that park return at once.
                consumer.unpark();
            }
        });
        if args.producer_first {
            producer.join().expect("the producer does not panic");
            // Every unpark came before this park: the token lets it through.
            thread::park();
            println!("producer done before the consumer parked: the park returned at once");
        }
        loop {
            // Take everything queued, then park until the producer says there
            // is more. (The guard is dropped at the end of the statement: the
            // consumer never holds the lock while it parks.)
            let item = queue
                .lock()
                .expect("no thread panics holding it")
                .pop_front();
            match item {
                Some(Some(item)) => {
                    anyhow::ensure!(item == next, "expected item {next}, got {item}");
                    println!("consumed {item}");
                    next += 1;
                }
                Some(None) => break, // the producer is done
                // Empty: sleep until unparked. The wake-up may be spurious, or
                // for an item already taken: the loop looks at the queue again.
                None => {
                    thread::park();
                    parks += 1;
                }
            }
        }
        Ok(())
    })?;
    println!("parked {parks} times");
    println!("Consumed {} items, each once, in order", next - 1);
    Ok(())
}
