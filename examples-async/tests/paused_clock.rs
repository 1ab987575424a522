//! The recipes' timing logic on tokio's paused clock.
//!
//! With `start_paused = true` the runtime's clock stands still and jumps
//! straight to the next timer whenever every task is waiting. Timers still fire
//! in deadline order, but no real time passes and no scheduling delay can creep
//! in, so these tests can assert *exact* elapsed times and exact high-water
//! marks, which the integration tests in `tests/async.rs` (real clock, busy
//! machine) can only bound. The recipes' functions are included from their
//! files, so this tests the code the binaries run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::{Instant, advance, sleep};

#[path = "../src/bin/streams.rs"]
#[allow(
    dead_code,
    reason = "the recipe's main and argument parsing are not under test"
)]
mod streams;

#[path = "../src/bin/select-timeout.rs"]
#[allow(
    dead_code,
    reason = "the recipe's main and argument parsing are not under test"
)]
mod select_timeout;

#[path = "../src/bin/semaphore.rs"]
#[allow(
    dead_code,
    reason = "the recipe's main and argument parsing are not under test"
)]
mod semaphore;

#[path = "../src/bin/spawn-blocking.rs"]
#[allow(
    dead_code,
    reason = "the recipe's main and argument parsing are not under test"
)]
mod spawn_blocking;

const MS: Duration = Duration::from_millis(1);

// ---------------------------------------------------------------- streams

#[tokio::test(start_paused = true)]
async fn buffer_unordered_fills_every_free_slot_at_once() {
    // Items 0..5 take 10, 20, 30, 10, 20 ms; two slots. Each item starts the
    // moment a fetch finishes: 0+1 at 0 ms, 2 at 10, 3 at 20, 4 at 30 (when
    // item 3 ends); item 4 ends at 50 ms.
    let start = Instant::now();
    assert_eq!(streams::fetch_unordered(5, 2, 10 * MS).await, (5, 2));
    assert_eq!(start.elapsed(), 50 * MS);
}

#[tokio::test(start_paused = true)]
async fn buffered_holds_back_results_that_finish_out_of_order() {
    // Same items, in order: item 3 ends at 30 ms but waits behind item 2
    // (ends at 40) and keeps its slot, so item 4 starts at 40 and ends at 60.
    let start = Instant::now();
    assert_eq!(streams::fetch_ordered(5, 2, 10 * MS).await, (5, 2));
    assert_eq!(start.elapsed(), 60 * MS);
}

#[tokio::test(start_paused = true)]
async fn streams_reach_their_limit_and_never_pass_it() {
    for limit in [1, 3, 7, 50] {
        assert_eq!(streams::fetch_unordered(50, limit, MS).await, (50, limit));
        assert_eq!(streams::fetch_ordered(50, limit, MS).await, (50, limit));
    }
    // Fewer items than slots: all of them at once, no more.
    assert_eq!(streams::fetch_unordered(3, 10, MS).await, (3, 3));
}

// ---------------------------------------------------------------- select-timeout

#[tokio::test(start_paused = true)]
async fn a_call_within_its_deadline_answers_when_it_is_ready() {
    let start = Instant::now();
    let reply = select_timeout::call_within("fast", 10 * MS, 50 * MS).await;
    assert_eq!(reply.as_deref(), Some("reply from fast"));
    assert_eq!(start.elapsed(), 10 * MS);
}

#[tokio::test(start_paused = true)]
async fn a_call_past_its_deadline_is_given_up_exactly_at_the_deadline() {
    let start = Instant::now();
    let reply = select_timeout::call_within("slow", 1000 * MS, 50 * MS).await;
    assert_eq!(reply, None);
    assert_eq!(start.elapsed(), 50 * MS);
}

#[tokio::test(start_paused = true)]
async fn a_race_is_won_by_the_faster_call_whichever_branch_it_is() {
    for _ in 0..20 {
        // select! starts its branches in random order; the winner must not depend on it.
        let start = Instant::now();
        let winner = select_timeout::race(("primary", 30 * MS), ("mirror", 20 * MS)).await;
        assert_eq!(winner, ("mirror", "reply from mirror".to_owned()));
        assert_eq!(start.elapsed(), 20 * MS);
        let winner = select_timeout::race(("primary", 20 * MS), ("mirror", 30 * MS)).await;
        assert_eq!(winner, ("primary", "reply from primary".to_owned()));
    }
}

// ---------------------------------------------------------------- semaphore

#[tokio::test(start_paused = true)]
async fn semaphore_runs_tasks_in_waves_of_exactly_the_permits() {
    // 10 tasks of 10 ms, 3 at a time: waves of 3, 3, 3 and 1 make 40 ms. Fewer
    // in flight would take longer; more would be caught by the high-water mark.
    let start = Instant::now();
    let (finished, max) = semaphore::run_limited(10, 3, 10 * MS)
        .await
        .expect("no task fails");
    assert_eq!((finished, max), (10, 3));
    assert_eq!(start.elapsed(), 40 * MS);
}

#[tokio::test(start_paused = true)]
async fn semaphore_with_one_permit_serialises_and_with_plenty_runs_all_at_once() {
    let start = Instant::now();
    assert_eq!(
        semaphore::run_limited(5, 1, 10 * MS)
            .await
            .expect("no task fails"),
        (5, 1)
    );
    assert_eq!(start.elapsed(), 50 * MS);

    let start = Instant::now();
    assert_eq!(
        semaphore::run_limited(5, 100, 10 * MS)
            .await
            .expect("no task fails"),
        (5, 5)
    );
    assert_eq!(start.elapsed(), 10 * MS);
}

// ---------------------------------------------------------------- spawn-blocking

#[tokio::test(start_paused = true)]
async fn the_heartbeat_ticks_every_10_ms_and_once_after_a_stall() {
    let ticks = Arc::new(AtomicU64::new(0));
    let beat = tokio::spawn(spawn_blocking::heartbeat(Arc::clone(&ticks)));
    let count = || ticks.load(Ordering::Relaxed);
    // Ticks at 0, 10, 20 and 30 ms.
    sleep(35 * MS).await;
    assert_eq!(count(), 4);
    // The clock jumps 100 ms while the heartbeat cannot run, as when counting
    // inline blocks the runtime's thread: it ticks once for the stall (at
    // 135 ms), not once for each of the ten ticks it missed, then every 10 ms.
    advance(100 * MS).await;
    sleep(MS).await;
    assert_eq!(count(), 5);
    sleep(10 * MS).await;
    assert_eq!(count(), 6);
    beat.abort();
}

// ---------------------------------------------------------------- graceful-shutdown

#[path = "../src/bin/graceful-shutdown.rs"]
#[allow(
    dead_code,
    reason = "the recipe's main and argument parsing are not under test"
)]
mod graceful_shutdown;

#[tokio::test(start_paused = true)]
async fn shutdown_drains_the_jobs_in_flight_and_cancels_only_the_stuck_one_at_the_grace_end() {
    // Jobs arrive at 0, 20, 40, 60 and 80 ms and work 50 ms; job 3 is stuck.
    // The stop at 100 ms beats the arrival due then. Job 4 (80-130 ms) was in
    // flight and is let finish; job 3 is cancelled when the grace ends at 300.
    let start = Instant::now();
    let stop = async {
        sleep(100 * MS).await;
        Ok("the deadline")
    };
    let tally = graceful_shutdown::serve(stop, 20 * MS, 50 * MS, 200 * MS)
        .await
        .expect("no job fails");
    assert_eq!((tally.reason, tally.accepted), ("the deadline", 5));
    assert_eq!(tally.finished, [0, 1, 2, 4]);
    assert_eq!(tally.cancelled, [3]);
    assert_eq!(start.elapsed(), 300 * MS);
}

#[tokio::test(start_paused = true)]
async fn shutdown_without_stragglers_ends_when_the_last_job_does_not_at_the_grace_end() {
    // Stop at 45 ms: jobs 0, 1, 2 in flight, the last ends at 90 ms.
    let start = Instant::now();
    let stop = async {
        sleep(45 * MS).await;
        Ok("the deadline")
    };
    let tally = graceful_shutdown::serve(stop, 20 * MS, 50 * MS, 1000 * MS)
        .await
        .expect("no job fails");
    assert_eq!(tally.accepted, 3);
    assert_eq!(tally.finished, [0, 1, 2]);
    assert!(tally.cancelled.is_empty());
    assert_eq!(start.elapsed(), 90 * MS);
}

// ---------------------------------------------------------------- rate-limiter

#[path = "../src/bin/rate-limiter.rs"]
#[allow(
    dead_code,
    reason = "the recipe's main and argument parsing are not under test"
)]
mod rate_limiter;

/// Asserts the token bucket's bound on the sorted `starts`: in any window of
/// n whole ticks (t = n / `rate` s) at most R*t + B = n + `burst` operations
/// start; and since tokens come whole, in any window (a, a + t] at most
/// `burst` + ceil(`rate` x t), the tokens of every tick the window holds.
fn assert_within_bucket(starts: &[Duration], rate: u32, burst: u32) {
    let tick = Duration::from_secs(1) / rate;
    for (i, &a) in starts.iter().enumerate() {
        for n in 1..=starts.len() as u32 {
            let count = starts[i..]
                .iter()
                .take_while(|&&s| s < a + tick * n)
                .count();
            assert!(
                count <= (n + burst) as usize,
                "{count} starts in the {n} ticks from {a:?} (rate {rate}, burst {burst}): {starts:?}"
            );
        }
        for &b in &starts[i..] {
            let count = starts.iter().filter(|&&s| a < s && s <= b).count() as u128;
            let ticks = (b - a).as_nanos().div_ceil(tick.as_nanos());
            assert!(
                count <= u128::from(burst) + ticks,
                "{count} starts in ({a:?}, {b:?}] (rate {rate}, burst {burst}): {starts:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_bucket_lets_a_burst_through_then_one_operation_per_tick() {
    // 10 a second, bursts of 3: three at once, then one every 100 ms.
    let starts = rate_limiter::run_limited(12, 10, 3)
        .await
        .expect("no operation fails");
    let expected: Vec<Duration> = [0, 0, 0, 100, 200, 300, 400, 500, 600, 700, 800, 900]
        .map(|ms| ms * MS)
        .to_vec();
    assert_eq!(starts, expected);
    assert_within_bucket(&starts, 10, 3);
}

#[tokio::test(start_paused = true)]
async fn every_operation_runs_and_no_window_holds_more_than_rate_times_t_plus_burst() {
    // Rates whose tick is a whole number of milliseconds: tokio's timer fires
    // on whole milliseconds, so a tick of 1/7 s would come a fraction late.
    for (ops, rate, burst) in [
        (50, 20, 1),
        (50, 20, 7),
        (30, 1000, 5),
        (25, 4, 25),
        (40, 8, 3),
    ] {
        let starts = rate_limiter::run_limited(ops, rate, burst)
            .await
            .expect("no operation fails");
        assert_eq!(starts.len(), ops as usize, "every operation ran");
        assert_within_bucket(&starts, rate, burst);
        // And no slower than the bucket allows: the last start is on the
        // tick that brought the last token needed.
        let refills = ops.saturating_sub(burst);
        assert_eq!(
            *starts.last().unwrap(),
            Duration::from_secs(1) / rate * refills
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_idle_bucket_saves_up_one_burst_and_no_more() {
    // 10 a second, bursts of 3. Spend the burst at once, then stay idle for
    // a second (ten ticks) and send five at once, between two ticks.
    let bucket = Arc::new(rate_limiter::TokenBucket::new(10, 3));
    let start = Instant::now();
    for _ in 0..3 {
        bucket.take().await;
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    sleep(1050 * MS).await;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let bucket = Arc::clone(&bucket);
        set.spawn(async move {
            bucket.take().await;
            start.elapsed()
        });
    }
    let mut starts = set.join_all().await;
    starts.sort_unstable();
    // Three saved tokens (not ten), then the ticks at 1100 and 1200 ms.
    let expected: Vec<Duration> = [1050, 1050, 1050, 1100, 1200].map(|ms| ms * MS).to_vec();
    assert_eq!(starts, expected);
    let mut all = vec![Duration::ZERO; 3];
    all.extend(starts);
    assert_within_bucket(&all, 10, 3);
}

// ---------------------------------------------------------------- splitting

#[test]
fn split_covers_a_range_that_does_not_start_at_zero_in_nearly_equal_parts() {
    assert_eq!(spawn_blocking::split(10..20, 3), [10..13, 13..16, 16..20]);
    assert_eq!(spawn_blocking::split(5..6, 2), [5..5, 5..6]);
}
