//! The Rust book's thread pool (chapter 21): N workers share one job queue, an
//! `Arc<Mutex<mpsc::Receiver<Job>>>`; dropping the pool closes the queue and
//! joins every worker. A job that panics is caught, so the worker lives on.
//!
//! A worker locks the receiver only to take the next job (the guard is a
//! temporary, dropped at the end of the `let`), then runs the job unlocked, so
//! the others can take jobs meanwhile. `Drop` drops the `Sender` first: each
//! worker's `recv` then returns `Err` once the queue is empty, the worker says
//! so and ends, and the `join`s wait for that. A panicking job is caught with
//! `catch_unwind` and reported; in the book's pool the worker thread dies with
//! it, the pool shrinks by one, and `Drop`'s `join().unwrap()` panics.
//!
//! The first `--workers` jobs meet at a `Barrier` before they work: each
//! worker that takes one waits until every other worker has taken one too.
//!
//! Which worker runs which job, and the order of the lines, vary from run to
//! run; every job runs once, and every worker's `stopped` line comes before
//! the summary. Compared with the `threadpool` crate: the same one shared
//! queue, but `threadpool` replaces a worker whose job panicked with a new
//! thread and has `join()` to wait for the queued jobs without dropping the
//! pool. Compared with rayon: no work stealing (rayon gives each worker its own
//! deque and idle workers steal from the others, with no lock every job goes
//! through), and no `scope` for jobs that borrow from the caller.
//!
//! ```sh
//! cargo run -p examples-threads --bin thread-pool-from-scratch -- --workers 4 --jobs 8 --panic-job 3 --job-ms 10
//! ```

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use anyhow::ensure;
use clap::Parser;

/// Run jobs on a hand-made pool of worker threads.
#[derive(Parser)]
struct Args {
    /// How many worker threads [1-64].
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    workers: u64,
    /// How many jobs to run; job i adds i to a total [1-100000].
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    jobs: u64,
    /// The job that panics, 0 for none [0-100000, at most --jobs].
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    panic_job: u64,
    /// How long each job works (sleeps), in milliseconds [0-1000].
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=1000))]
    job_ms: u64,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(
    Args {
        workers,
        jobs,
        panic_job,
        job_ms,
    }: Args,
) -> anyhow::Result<()> {
    ensure!(
        panic_job <= jobs,
        "--panic-job {panic_job} is past --jobs {jobs}"
    );
    quiet_worker_panics();
    let total = Arc::new(AtomicU64::new(0));
    // The first `workers` jobs wait for each other: they get past only on a
    // pool that runs that many jobs at once (a serialised one would hang).
    let meet = Arc::new(Barrier::new(workers.min(jobs) as usize));
    {
        let pool = ThreadPool::new(workers as usize)?;
        for i in 1..=jobs {
            let (total, meet) = (Arc::clone(&total), Arc::clone(&meet));
            pool.execute(move || {
                if i <= workers {
                    meet.wait();
                }
                if i == panic_job {
                    panic!("job {i} fails on purpose");
                }
                // While this worker works, the others take the next jobs.
                thread::sleep(Duration::from_millis(job_ms));
                total.fetch_add(i, Ordering::Relaxed);
                println!("job {i} ran on {}", thread::current().name().unwrap_or("?"));
            });
        }
    } // the pool is dropped here: the queue closes and every worker is joined
    let panicked = u64::from(panic_job != 0);
    // The joins ordered every job's addition before this load.
    println!(
        "Ran {jobs} jobs on {workers} workers, {panicked} panicked; total {}",
        total.load(Ordering::Relaxed)
    );
    Ok(())
}

type Job = Box<dyn FnOnce() + Send + 'static>;

/// N worker threads taking jobs from one shared channel.
pub struct ThreadPool {
    workers: Vec<Worker>,
    /// `Some` until `drop`, which drops it to close the channel.
    sender: Option<mpsc::Sender<Job>>,
}

struct Worker {
    id: usize,
    thread: thread::JoinHandle<()>,
}

impl ThreadPool {
    /// Starts `size` workers.
    pub fn new(size: usize) -> anyhow::Result<ThreadPool> {
        let (sender, receiver) = mpsc::channel();
        // One receiver for all workers: std's `Receiver` cannot be cloned, so
        // they share it behind a lock.
        let receiver = Arc::new(Mutex::new(receiver));
        let workers = (0..size)
            .map(|id| Worker::new(id, Arc::clone(&receiver)))
            .collect::<anyhow::Result<_>>()?;
        Ok(ThreadPool {
            workers,
            sender: Some(sender),
        })
    }

    /// Queues `job` for the next free worker.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        let sender = self.sender.as_ref().expect("only `drop` takes the sender");
        sender
            .send(Box::new(job))
            .expect("the workers keep the receiver until the sender is dropped");
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        // Closing the channel: once the queue is empty, every `recv` fails.
        drop(self.sender.take());
        for worker in self.workers.drain(..) {
            println!("shutting down worker {}", worker.id);
            // A worker catches its jobs' panics, so it does not panic itself.
            worker.thread.join().expect("a worker does not panic");
        }
    }
}

impl Worker {
    fn new(id: usize, receiver: Arc<Mutex<mpsc::Receiver<Job>>>) -> anyhow::Result<Worker> {
        let thread = thread::Builder::new()
            .name(format!("worker {id}"))
            .spawn(move || {
                loop {
                    // The lock is held only while waiting for a job: the guard is
                    // a temporary, dropped at the end of this statement.
                    let message = receiver.lock().expect("no worker panics holding it").recv();
                    let Ok(job) = message else {
                        println!("worker {id} stopped: the queue is closed");
                        break;
                    };
                    // Catch a panicking job, so the pool keeps its size.
                    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(job)) {
                        let message = payload
                            .downcast_ref::<String>()
                            .map(String::as_str)
                            .or_else(|| payload.downcast_ref::<&str>().copied())
                            .unwrap_or("?");
                        println!("worker {id} caught a panic: {message}");
                    }
                }
            })?;
        Ok(Worker { id, thread })
    }
}

/// The pool reports its jobs' panics itself (above), so the default report on
/// stderr is kept for panics on other threads only.
fn quiet_worker_panics() {
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !thread::current()
            .name()
            .is_some_and(|n| n.starts_with("worker "))
        {
            default_hook(info);
        }
    }));
}
