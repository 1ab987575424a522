//! An async executor in one page: `block_on` that parks its thread, and a task queue whose wakers re-send the task.
//!
//! `block_on` polls a future; on `Pending` it parks the thread, and the future's
//! waker (a `std::task::Wake` that unparks that thread) brings it back to poll
//! again. It never spins: it polls at most once more than it was woken
//! (`park` may in principle return spuriously; on Linux std's does not).
//!
//! The executor keeps tasks (boxed futures) in a channel. A task's waker sends
//! the task back into the channel; the loop receives a task and polls it once.
//! The demo is a relay of `--tasks` tasks spawned last-first: task `i` awaits a
//! number from task `i - 1` (task 0 from a std thread, after `--delay-ms`),
//! adds `i` and passes it on. Each task but the first is polled exactly twice:
//! once to find its input missing (storing its waker in the `oneshot`), once
//! after the previous task's send woke it. The queue closes, and the loop ends,
//! when every task is gone: finished, with no waker of it left anywhere.
//!
//! Task 0's poll count (1 or 2) and block_on's count vary with the timing of
//! the std threads; every other line is fixed. Next to tokio: its workers also
//! wait on I/O readiness (epoll) and a timer wheel rather than only on wakes,
//! keep one queue per worker and steal from each other, and give each task a
//! budget so one cannot hog a thread. Use this to read tokio, not to replace it.
//!
//! ```sh
//! cargo run -p examples-async --bin mini-executor -- --tasks 5 --delay-ms 10
//! ```

use std::pin::{Pin, pin};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use clap::Parser;
use tokio::sync::oneshot; // tokio's channels work on any executor

/// Run a relay of tasks on a hand-written executor.
#[derive(Parser)]
struct Args {
    /// How many tasks in the relay [1-1000].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    tasks: u32,
    /// How long the std threads wait before sending, in milliseconds [0-1000].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=1000))]
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

fn run(Args { tasks, delay_ms }: Args) -> anyhow::Result<()> {
    let delay = Duration::from_millis(delay_ms);
    let (tx, rx) = oneshot::channel();
    thread::spawn(move || {
        thread::sleep(delay);
        tx.send(42)
    });
    let (answer, polls, wakes) = block_on(async { rx.await.expect("the thread sends") });
    println!("block_on: got {answer} in {polls} polls after {wakes} wakes");

    let (queue, queued) = mpsc::channel();
    // Built from the end: each task sends into the channel made before it.
    let (mut next, mut total) = oneshot::channel(); // the last task sends here
    for i in (0..tasks as usize).rev() {
        let (tx, rx) = oneshot::channel();
        let out = std::mem::replace(&mut next, tx);
        spawn(&queue, i, async move {
            let got = rx.await.expect("the previous task sends");
            let sum = got + i as u64;
            println!("task {i}: got {got}, passed on {sum}");
            let _ = out.send(sum); // wakes the next task
        });
    }
    drop(queue); // from now on only tasks (through their wakers) can queue work
    thread::spawn(move || {
        thread::sleep(delay);
        next.send(0) // into task 0's channel
    });
    let polls = run_queue(queued, tasks as usize);
    for (i, n) in polls.iter().enumerate() {
        println!("task {i}: polled {n} times");
    }
    let total = total.try_recv().expect("the last task sent the total");
    println!("{tasks} tasks relayed 0 + 0 + 1 + ... = {total}, then the queue closed");
    Ok(())
}

/// Polls `future` on this thread, parking in between; also returns how many
/// polls and wakes it took.
fn block_on<F: Future>(future: F) -> (F::Output, u32, u32) {
    struct Unpark(Thread, AtomicU32);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.1.fetch_add(1, Relaxed);
            self.0.unpark(); // if not parked yet, the next park returns at once
        }
    }
    let unpark = Arc::new(Unpark(thread::current(), AtomicU32::new(0)));
    let waker = Waker::from(Arc::clone(&unpark));
    let mut future = pin!(future); // polled in place: it must not move
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(out) = future.as_mut().poll(&mut Context::from_waker(&waker)) {
            return (out, polls, unpark.1.load(Relaxed));
        }
        thread::park(); // sleep until some waker unparks us
    }
}

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

struct Task {
    id: usize,
    future: Mutex<Option<BoxFuture>>, // `None` once finished
    queue: mpsc::Sender<Arc<Task>>,
}

impl Wake for Task {
    fn wake(self: Arc<Self>) {
        // Back into the queue; fails only if the executor has stopped.
        let _ = self.queue.send(Arc::clone(&self));
    }
}

fn spawn(
    queue: &mpsc::Sender<Arc<Task>>,
    id: usize,
    future: impl Future<Output = ()> + Send + 'static,
) {
    let future = Mutex::new(Some(Box::pin(future) as BoxFuture));
    let task = Task {
        id,
        future,
        queue: queue.clone(),
    };
    queue
        .send(Arc::new(task))
        .expect("the executor has not started yet");
}

/// Polls queued tasks until every sender (main's and each task's) is gone;
/// returns how many times each task was polled.
fn run_queue(queue: mpsc::Receiver<Arc<Task>>, tasks: usize) -> Vec<u32> {
    let mut polls = vec![0; tasks];
    while let Ok(task) = queue.recv() {
        let mut slot = task.future.lock().expect("a poll does not panic");
        // A task woken twice is queued twice; once finished, it is skipped.
        let Some(future) = slot.as_mut() else {
            continue;
        };
        polls[task.id] += 1;
        let waker = Waker::from(Arc::clone(&task));
        if future
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready()
        {
            *slot = None; // drops the future, and the wakers it held
        }
    }
    polls
}
