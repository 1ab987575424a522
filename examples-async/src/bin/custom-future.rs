//! A `Future` written by hand: `poll`, `Pin`, `Context`, and the `Waker` contract.
//!
//! `Delay` finishes after `--delay-ms`. Its first `poll` returns `Pending`, but
//! only after arranging to be woken: it stores the task's `Waker` and starts a
//! timer thread that calls `wake()` when the time is up. The runtime then polls
//! it again, and it is `Ready`: two polls in all. That is the contract: return
//! `Pending` only once something will call the latest waker.
//! Two ways to break it:
//! - `SelfWaking` calls `wake_by_ref()` at once on every `Pending`: it works,
//!   but the runtime polls it in a hot loop until the time is up (a busy wait
//!   with extra steps; how many polls varies with the machine).
//! - `Forgetful` returns `Pending` and arranges nothing. Nothing will ever poll
//!   it again: it hangs, shown here under a timeout of twice the delay.
//!
//! The `polled` counts of `Delay` and `Forgetful` and the last line are fixed;
//! the milliseconds vary and are never below the delay. Next to tokio: its
//! `sleep` does not start a thread per timer; it registers in the runtime's
//! timer wheel, which the driver checks whenever the worker threads park, and
//! sockets register with the OS (epoll/kqueue) the same way. The contract a
//! future keeps with its waker is the same.
//!
//! ```sh
//! cargo run -p examples-async --bin custom-future -- --delay-ms 50
//! ```

use std::pin::{Pin, pin};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

/// Await a hand-written delay, a self-waking one, and one that forgets its waker.
#[derive(Parser)]
struct Args {
    /// How long each delay lasts, in milliseconds [1-10000].
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    delay_ms: u64,
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
async fn run(Args { delay_ms }: Args) -> anyhow::Result<()> {
    let delay = Duration::from_millis(delay_ms);

    let started = Instant::now();
    let delay_polls = Delay::new(delay).await;
    let ms = started.elapsed().as_millis();
    println!("Delay: ready after {ms} ms, polled {delay_polls} times");

    let started = Instant::now();
    let busy = SelfWaking {
        until: started + delay,
        polls: 0,
    }
    .await;
    let ms = started.elapsed().as_millis();
    println!("SelfWaking: ready after {ms} ms, polled {busy} times");

    // A timeout is a race with a timer; `biased` polls the timer first, so
    // once it fires the forgetful future is not polled again on the way out.
    let mut forgetful = pin!(Forgetful { polls: 0 });
    let started = Instant::now();
    let outcome = tokio::select! {
        biased;
        () = tokio::time::sleep(delay * 2) => "timed out",
        () = &mut forgetful => "ready",
    };
    let ms = started.elapsed().as_millis();
    let polls = forgetful.polls;
    println!("Forgetful: {outcome} after {ms} ms, polled {polls} time: nothing was set to wake it");

    let waste = if busy > delay_polls { "more" } else { "as few" };
    println!("Delay finished in {delay_polls} polls, SelfWaking in {waste}, Forgetful {outcome}");
    Ok(())
}

/// Ready `after` a delay; its output is how many times it was polled.
struct Delay {
    after: Duration,
    /// Shared with the timer thread: `None` once the time is up, else the
    /// waker to call then.
    timer: Option<Arc<Mutex<Option<Waker>>>>,
    polls: u32,
}

impl Delay {
    fn new(after: Duration) -> Self {
        Delay {
            after,
            timer: None,
            polls: 0,
        }
    }
}

impl Future for Delay {
    type Output = u32;

    // `Pin<&mut Self>`: once polled, a future may hold pointers into itself
    // (an `async fn`'s locals do), so it must not move. `Delay` holds none: it
    // is `Unpin`, and `Pin` derefs to a plain `&mut Delay`.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.polls += 1;
        let Some(timer) = &self.timer else {
            // First poll: store the waker, then start the thread that calls it.
            let timer = Arc::new(Mutex::new(Some(cx.waker().clone())));
            let (shared, after) = (Arc::clone(&timer), self.after);
            thread::spawn(move || {
                thread::sleep(after);
                let waker = shared.lock().expect("poll does not panic").take();
                if let Some(waker) = waker {
                    waker.wake(); // "poll me again": the runtime queues the task
                }
            });
            self.timer = Some(timer);
            return Poll::Pending;
        };
        let mut slot = timer.lock().expect("the timer thread does not panic");
        match slot.as_mut() {
            None => Poll::Ready(self.polls), // the timer has fired
            // Polled early (a spurious wake, or by a `select!`): keep the
            // *latest* waker, since the task may have moved to another thread.
            Some(waker) => {
                waker.clone_from(cx.waker());
                Poll::Pending
            }
        }
    }
}

/// Breaks the contract one way: asks to be polled again at once, every time.
struct SelfWaking {
    until: Instant,
    polls: u32,
}

impl Future for SelfWaking {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.polls += 1;
        if Instant::now() >= self.until {
            return Poll::Ready(self.polls);
        }
        cx.waker().wake_by_ref(); // a busy loop through the runtime's queue
        Poll::Pending
    }
}

/// Breaks it the other way: `Pending`, and nobody told to wake the task.
struct Forgetful {
    polls: u32,
}

impl Future for Forgetful {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        self.polls += 1;
        Poll::Pending // the waker in `_cx` is dropped: this future hangs
    }
}
