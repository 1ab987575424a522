//! Integration tests of the `examples-async` recipes: each runs the real binary
//! under a deadline and checks what holds in every interleaving and on a busy
//! machine. Exact virtual timings are tested with tokio's paused clock in
//! `examples-async/tests/paused_clock.rs`.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{NO_ARGS, Run, catalogue};

#[test]
fn every_async_recipe_is_in_the_readme_and_tested() {
    catalogue::check(env!("CARGO_MANIFEST_DIR"), "async.rs");
}

#[test]
fn every_recipe_ends_quietly_when_its_stdout_is_closed() {
    common::every_recipe_ends_quietly_on_a_closed_stdout(
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_BIN_EXE_async-basics"),
    );
}

#[test]
fn every_async_recipe_runs_with_no_arguments_and_ends_with_its_summary() {
    let expected = [
        (
            recipe!("async-basics").run(NO_ARGS),
            "Futures ran only when awaited; join! and join_all waited for all of theirs",
        ),
        (
            recipe!("tokio-tasks").run(NO_ARGS),
            "40 tasks on 2 worker threads: every result collected once",
        ),
        (
            recipe!("async-channels").run(NO_ARGS),
            "mpsc delivered 12, oneshot answered 4, broadcast delivered 12, every watcher ended on 4",
        ),
        (
            recipe!("streams").run(NO_ARGS),
            "Fetched 12 items twice, at most 4 at a time (limit 4)",
        ),
        (
            recipe!("select-timeout").run(NO_ARGS),
            "The fast call completed, the slow call timed out, the mirror won the race",
        ),
        (
            recipe!("async-traits").run(NO_ARGS),
            "Cache over slow store: 4 slow reads for 8 lookups",
        ),
        (
            recipe!("spawn-blocking").run(NO_ARGS),
            "Primes below 1000000: 78498; inline, spawn_blocking and rayon agree with the sequential loop",
        ),
        (
            recipe!("semaphore").run(NO_ARGS),
            "20 tasks finished with 3 permits",
        ),
    ];
    for (run, last) in expected {
        assert_eq!(run.success().last_line(), last);
    }
}

#[test]
fn every_async_recipe_explains_its_options() {
    let runs = [
        (
            recipe!("async-basics").run(["--help"]),
            &["--latency-ms", "--fetches"][..],
        ),
        (
            recipe!("tokio-tasks").run(["--help"]),
            &["--tasks", "--workers"],
        ),
        (
            recipe!("async-channels").run(["--help"]),
            &["--producers", "--messages", "--subscribers", "--capacity"],
        ),
        (
            recipe!("streams").run(["--help"]),
            &["--items", "--concurrency", "--latency-ms"],
        ),
        (
            recipe!("select-timeout").run(["--help"]),
            &["--timeout-ms", "--fast-ms", "--slow-ms"],
        ),
        (
            recipe!("async-traits").run(["--help"]),
            &["--keys", "--latency-ms"],
        ),
        (
            recipe!("spawn-blocking").run(["--help"]),
            &["--n", "--jobs"],
        ),
        (
            recipe!("semaphore").run(["--help"]),
            &["--tasks", "--permits", "--latency-ms"],
        ),
    ];
    for (run, options) in runs {
        run.lists_options(options);
    }
}

// ---------------------------------------------------------------- helpers

/// `lines`, with each run of `len` lines from index `first` sorted, for each
/// `(first, len)` in `unordered`: to compare output whose order is fixed except
/// within those runs.
fn with_sorted_runs(lines: &[&str], unordered: &[(usize, usize)]) -> Vec<String> {
    let mut lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    for &(first, len) in unordered {
        assert!(
            first + len <= lines.len(),
            "expected at least {} lines:\n{}",
            first + len,
            lines.join("\n")
        );
        lines[first..first + len].sort();
    }
    lines
}

/// The number in a line `<prefix><number><rest>`, for the one line with that prefix.
fn number_after(run: &Run, prefix: &str) -> u64 {
    let rest = run.value_of(prefix);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|e| panic!("no number after {prefix:?}: {e}\n{}", run.dump()))
}

// ---------------------------------------------------------------- async-basics

#[test]
fn async_basics_futures_run_only_when_awaited_and_join_overlaps_them() {
    let run = recipe!("async-basics")
        .run(["--latency-ms", "5", "--fetches", "3"])
        .success();
    // The elapsed times vary; they can never be below what was waited for.
    assert!(number_after(&run, "2. took ") >= 15, "{}", run.dump());
    assert!(number_after(&run, "3. took ") >= 10, "{}", run.dump());
    assert!(number_after(&run, "4. took ") >= 5, "{}", run.dump());
    let lines: Vec<&str> = run
        .lines()
        .into_iter()
        .map(|l| if l.contains(" took ") { &l[..8] } else { l })
        .collect();
    let expected = [
        "1. greet(\"lazy\") returned a future; its body has not run",
        "greet: running for \"lazy\"",
        "1. awaited it: hello, lazy",
        "1. greet(\"never\") was dropped without an .await, so it never ran",
        // In sequence: the second fetch starts only after the first finished.
        "fetch a: started",
        "fetch a: finished after 10 ms",
        "fetch b: started",
        "fetch b: finished after 5 ms",
        "2. in sequence: reply from a, reply from b",
        "2. took ",
        // Joined: both started before either finished.
        "fetch a: started",
        "fetch b: started",
        "fetch a: finished after 10 ms",
        "fetch b: finished after 5 ms",
        "3. joined: reply from a, reply from b",
        "3. took ",
        "fetch item1: started",
        "fetch item2: started",
        "fetch item3: started",
        "fetch item1: finished after 5 ms",
        "fetch item2: finished after 5 ms",
        "fetch item3: finished after 5 ms",
        "4. join_all, in order: reply from item1, reply from item2, reply from item3",
        "4. took ",
        "Futures ran only when awaited; join! and join_all waited for all of theirs",
    ];
    // Only the `finished` lines of the concurrent sections may come in any order.
    let unordered = [(12, 2), (19, 3)];
    assert_eq!(
        with_sorted_runs(&lines, &unordered),
        with_sorted_runs(&expected, &unordered),
        "\n{}",
        run.dump()
    );
}

#[test]
fn async_basics_refuses_zero_latency_and_zero_fetches() {
    recipe!("async-basics")
        .run(["--latency-ms", "0"])
        .refused_by_clap_naming("--latency-ms");
    recipe!("async-basics")
        .run(["--fetches", "0"])
        .refused_by_clap_naming("--fetches");
}

// ---------------------------------------------------------------- tokio-tasks

/// The `task <id> on <thread>: <square>` lines, as (id, thread, square).
fn task_results(run: &Run) -> Vec<(u64, String, u64)> {
    run.lines_starting_with("task ")
        .into_iter()
        .map(|line| {
            let parsed = line
                .strip_prefix("task ")
                .and_then(|rest| rest.split_once(" on "))
                .and_then(|(id, rest)| Some((id, rest.split_once(": ")?)))
                .and_then(|(id, (thread, square))| {
                    Some((id.parse().ok()?, thread.to_owned(), square.parse().ok()?))
                });
            parsed.unwrap_or_else(|| panic!("bad task line {line:?}\n{}", run.dump()))
        })
        .collect()
}

#[test]
fn tokio_tasks_every_result_arrives_once_from_the_worker_threads() {
    let tasks = 2000;
    let run = recipe!("tokio-tasks")
        .run(["--tasks", "2000", "--workers", "2", "--meet"])
        .success();
    // `--meet`: tasks 0 and 1 each blocked their thread at a barrier until the
    // other came, so two workers ran at once; a runtime with fewer worker
    // threads than asked for hangs there and fails at the deadline.
    let mut met: Vec<(u64, &str)> = run
        .lines_starting_with("meet: task ")
        .into_iter()
        .map(|l| {
            let (id, thread) = l["meet: task ".len()..]
                .split_once(" passed the barrier on ")
                .unwrap_or_else(|| panic!("bad meet line {l:?}"));
            (id.parse().expect("a task id"), thread)
        })
        .collect();
    met.sort();
    let (ids, threads): (Vec<u64>, BTreeSet<&str>) = met.into_iter().unzip();
    assert_eq!(ids, [0, 1], "{}", run.dump());
    assert_eq!(
        threads,
        BTreeSet::from(["worker-0", "worker-1"]),
        "{}",
        run.dump()
    );
    assert_eq!(run.value_of("one spawned task returned "), "42");
    assert_eq!(
        run.lines_starting_with("an aborted task reports: cancelled")
            .len(),
        1
    );

    let results = task_results(&run);
    let ids: BTreeSet<u64> = results.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(results.len(), tasks, "one line per task\n{}", run.dump());
    assert_eq!(ids, (0..tasks as u64).collect(), "every task exactly once");
    let mut per_thread = BTreeMap::new();
    for (id, thread, square) in &results {
        assert_eq!(*square, id * id, "task {id} returned its own result");
        *per_thread.entry(thread.as_str()).or_insert(0) += 1;
    }
    // Only the two worker threads ran tasks, and the recipe's tally agrees.
    assert!(
        per_thread
            .keys()
            .all(|t| ["worker-0", "worker-1"].contains(t)),
        "threads other than the workers ran tasks: {per_thread:?}"
    );
    for (thread, count) in &per_thread {
        let line = format!("{thread} finished {count} tasks");
        assert_eq!(run.lines_starting_with(&line), [line.as_str()]);
    }
    let n = tasks as u64;
    assert_eq!(
        run.parsed::<u64>("sum of the squares: "),
        (n - 1) * n * (2 * n - 1) / 6
    );
    assert_eq!(
        run.last_line(),
        "2000 tasks on 2 worker threads: every result collected once"
    );
}

#[test]
fn tokio_tasks_one_worker_runs_every_task() {
    let run = recipe!("tokio-tasks")
        .run(["--tasks", "300", "--workers", "1"])
        .success();
    let results = task_results(&run);
    assert_eq!(results.len(), 300);
    assert!(
        results.iter().all(|(_, thread, _)| thread == "worker-0"),
        "{}",
        run.dump()
    );
    assert_eq!(
        run.lines_starting_with("worker-0 finished 300 tasks").len(),
        1
    );
}

#[test]
fn tokio_tasks_refuses_zero_workers_and_zero_tasks() {
    recipe!("tokio-tasks")
        .run(["--workers", "0"])
        .refused_by_clap_naming("--workers");
    recipe!("tokio-tasks")
        .run(["--tasks", "0"])
        .refused_by_clap_naming("--tasks");
}

// ---------------------------------------------------------------- async-channels

/// For each key, the values of the lines `<prefix><key><infix><value>`, in order.
fn sequences(run: &Run, prefix: &str, infix: &str) -> BTreeMap<u64, Vec<u64>> {
    let mut seen: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    let lines = run.lines_starting_with(prefix);
    for line in lines.into_iter().filter(|l| l.contains(infix)) {
        let parsed = line[prefix.len()..].split_once(infix).and_then(|(k, v)| {
            // The value: the digits right after the infix ("3, 1 queued": 3).
            let v = v.split(|c: char| !c.is_ascii_digit()).next()?;
            Some((k.parse().ok()?, v.parse().ok()?))
        });
        let (key, value) = parsed.unwrap_or_else(|| panic!("bad line {line:?}\n{}", run.dump()));
        seen.entry(key).or_default().push(value);
    }
    seen
}

#[test]
fn async_channels_every_receiver_sees_what_it_should() {
    let run = recipe!("async-channels")
        .run([
            "--producers",
            "4",
            "--messages",
            "6",
            "--subscribers",
            "3",
            "--capacity",
            "1",
        ])
        .success();
    let all: Vec<u64> = (0..6).collect();

    // mpsc: every producer's messages arrive once each, in the order it sent them.
    let mpsc = sequences(&run, "mpsc: producer ", " message ");
    assert_eq!(
        mpsc.keys().copied().collect::<Vec<_>>(),
        [0, 1, 2, 3],
        "{}",
        run.dump()
    );
    for (p, messages) in &mpsc {
        assert_eq!(messages, &all, "producer {p}\n{}", run.dump());
    }
    // Back-pressure: however fast the producers, the slow consumer never
    // finds more than the capacity (1) queued; unbounded, it would find up to
    // all the messages not yet received.
    let queued: Vec<u64> = run
        .lines_starting_with("mpsc: producer ")
        .into_iter()
        .map(|l| {
            let (_, rest) = l.split_once(", ").expect(l);
            rest.strip_suffix(" queued")
                .and_then(|q| q.parse().ok())
                .unwrap_or_else(|| panic!("bad line {l:?}"))
        })
        .collect();
    assert!(queued.iter().all(|&q| q <= 1), "{}", run.dump());
    let most = queued.iter().max().expect("mpsc lines");
    assert_eq!(
        run.value_of("mpsc: at most "),
        format!("{most} queued (capacity 1)")
    );

    // oneshot: each request got its own reply, in request order.
    let replies: Vec<String> = (1..=6u64)
        .map(|n| format!("oneshot: {n} squared is {}", n * n))
        .collect();
    assert_eq!(run.lines_starting_with("oneshot: "), replies);

    // broadcast: every subscriber got every message, in order, and none lagged.
    let broadcast = sequences(&run, "broadcast: subscriber ", " got ");
    assert_eq!(broadcast.len(), 3, "{}", run.dump());
    for (s, messages) in &broadcast {
        assert_eq!(messages, &all, "subscriber {s}\n{}", run.dump());
    }

    // watch: values only move forward, and every watcher saw the final one.
    let watch = sequences(&run, "watch: watcher ", " saw ");
    assert_eq!(
        watch.len(),
        3,
        "every watcher saw at least the final value\n{}",
        run.dump()
    );
    for (w, values) in &watch {
        assert!(
            values.windows(2).all(|p| p[0] < p[1]),
            "watcher {w}: {values:?}"
        );
        assert!(
            values.iter().all(|v| (1..=6).contains(v)),
            "watcher {w}: {values:?}"
        );
        assert_eq!(values.last(), Some(&6), "watcher {w} saw the final value");
    }
    let ended = sequences(&run, "watch: watcher ", " ended on ");
    assert_eq!(ended, (0..3).map(|w| (w, vec![6])).collect());

    assert_eq!(
        run.last_line(),
        "mpsc delivered 24, oneshot answered 6, broadcast delivered 18, every watcher ended on 6"
    );
}

#[test]
fn async_channels_refuses_zero_sizes() {
    for option in ["--capacity", "--subscribers", "--producers", "--messages"] {
        recipe!("async-channels")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
}

/// What the header of `async-channels` says of `broadcast`: the capacity is
/// rounded up to a power of two, so `channel(3)` lets a subscriber fall 4
/// messages behind and lose none; the 5th unread message costs it the oldest.
#[tokio::test]
async fn broadcast_capacity_is_rounded_up_to_a_power_of_two() {
    use tokio::sync::broadcast::{self, error::RecvError};
    for (sent, first) in [(4, Ok(0)), (5, Err(RecvError::Lagged(1)))] {
        let (tx, mut rx) = broadcast::channel(3);
        for m in 0..sent {
            tx.send(m).expect("the receiver is alive");
        }
        assert_eq!(rx.recv().await, first, "{sent} sent into channel(3)");
    }
}

// ---------------------------------------------------------------- streams

#[test]
fn streams_yield_every_item_with_at_most_the_limit_in_flight() {
    let run = recipe!("streams")
        .run(["--items", "30", "--concurrency", "4", "--latency-ms", "1"])
        .success();
    assert_eq!(
        run.value_of("even items x 10, first three: "),
        "[20, 40, 60]"
    );

    let unordered = sequences(&run, "unordered: item ", " -> ");
    assert_eq!(unordered.len(), 30, "{}", run.dump());
    for (i, squares) in &unordered {
        assert_eq!(squares, &[i * i], "item {i} once, with its own result");
    }
    // `buffered` keeps the input order, whatever order the fetches finished in.
    let ordered: Vec<String> = (0..30u64)
        .map(|i| format!("ordered: item {i} -> {}", i * i))
        .collect();
    assert_eq!(run.lines_starting_with("ordered: item "), ordered);

    let mut most = 0;
    for mode in ["unordered", "ordered"] {
        let max = number_after(&run, &format!("{mode}: 30 items, at most "));
        assert!(
            (1..=4).contains(&max),
            "{mode}: {max} in flight\n{}",
            run.dump()
        );
        most = most.max(max);
    }
    assert_eq!(
        run.last_line(),
        format!("Fetched 30 items twice, at most {most} at a time (limit 4)")
    );
}

#[test]
fn streams_with_a_limit_of_one_fetch_one_at_a_time_in_order() {
    let run = recipe!("streams")
        .run(["--items", "10", "--concurrency", "1", "--latency-ms", "1"])
        .success();
    // One at a time, item 2 (3 ms) cannot be overtaken by item 3 (1 ms).
    let in_order: Vec<String> = (0..10u64)
        .map(|i| format!("unordered: item {i} -> {}", i * i))
        .collect();
    assert_eq!(run.lines_starting_with("unordered: item "), in_order);
    assert_eq!(number_after(&run, "unordered: 10 items, at most "), 1);
    assert_eq!(number_after(&run, "ordered: 10 items, at most "), 1);
}

#[test]
fn streams_refuses_zero_sizes() {
    for option in ["--concurrency", "--items", "--latency-ms"] {
        recipe!("streams")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
}

// ---------------------------------------------------------------- select-timeout

#[test]
fn select_timeout_the_fast_call_completes_and_the_slow_call_really_times_out() {
    // Wide margins: the fast call answers after 1 ms of a 200 ms deadline, the
    // slow one would take a minute, so no scheduling delay can swap outcomes.
    let run = recipe!("select-timeout")
        .run([
            "--timeout-ms",
            "200",
            "--fast-ms",
            "1",
            "--slow-ms",
            "60000",
        ])
        .success();
    // The deadline really passed before the slow call was given up.
    assert!(
        number_after(&run, "timeout: waited ") >= 200,
        "{}",
        run.dump()
    );
    let lines: Vec<&str> = run
        .lines()
        .into_iter()
        .filter(|l| !l.starts_with("timeout: waited "))
        .collect();
    let expected = [
        "fast: request sent",
        "fast: reply received",
        "timeout: the fast call completed in time: reply from fast",
        // The slow call is dropped at its `.await`: it never gets its reply.
        "slow: request sent",
        "slow: cancelled before the reply came",
        "timeout: the slow call timed out after 200 ms",
        // `select!` starts the two branches in random order.
        "mirror: request sent",
        "primary: request sent",
        "mirror: reply received",
        "primary: cancelled before the reply came",
        "select: mirror won the race: reply from mirror",
        "The fast call completed, the slow call timed out, the mirror won the race",
    ];
    let unordered = [(6, 2)];
    assert_eq!(
        with_sorted_runs(&lines, &unordered),
        with_sorted_runs(&expected, &unordered),
        "\n{}",
        run.dump()
    );
}

#[test]
fn select_timeout_refuses_latencies_on_the_wrong_side_of_the_deadline() {
    recipe!("select-timeout")
        .run(["--timeout-ms", "0"])
        .refused_by_clap_naming("--timeout-ms");
    recipe!("select-timeout")
        .run(["--slow-ms", "600001"])
        .refused_by_clap_naming("--slow-ms");
    recipe!("select-timeout")
        .run(["--timeout-ms", "50", "--fast-ms", "50"])
        .fails_with_one_line_naming("--fast-ms");
    recipe!("select-timeout")
        .run(["--timeout-ms", "50", "--slow-ms", "50"])
        .fails_with_one_line_naming("--slow-ms");
}

// ---------------------------------------------------------------- async-traits

#[test]
fn async_traits_cache_reads_each_key_once_through_the_trait() {
    let run = recipe!("async-traits")
        .run(["--keys", "2", "--latency-ms", "1"])
        .success();
    assert_eq!(
        run.lines(),
        [
            "cache: key 1 not cached, asking the slow store",
            "first pass: key 1 -> value-1",
            "cache: key 2 not cached, asking the slow store",
            "first pass: key 2 -> value-2",
            "second pass: key 1 -> value-1",
            "second pass: key 2 -> value-2",
            "cache: key 3 not cached, asking the slow store",
            "missing key 3 -> (not found)",
            "spawned task: key 1 -> value-1",
            "dyn memory: key 2 -> value-2",
            "dyn slow store: key 2 -> value-2",
            "Cache over slow store: 3 slow reads for 6 lookups",
        ],
        "\n{}",
        run.dump()
    );
}

#[test]
fn async_traits_refuses_zero_keys_and_latency() {
    for option in ["--keys", "--latency-ms"] {
        recipe!("async-traits")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
}

// ---------------------------------------------------------------- spawn-blocking

/// The primes in each of `jobs` slices of `0..n`, split as the recipe splits,
/// counted with a sieve: an answer independent of the recipe's kernel.
fn primes_per_job(n: u64, jobs: u64) -> Vec<u64> {
    let mut composite = vec![false; n as usize];
    let mut is_prime = vec![false; n as usize];
    for k in 2..n as usize {
        if !composite[k] {
            is_prime[k] = true;
            for multiple in (k * k..n as usize).step_by(k) {
                composite[multiple] = true;
            }
        }
    }
    (0..jobs)
        .map(|i| {
            (n * i / jobs..n * (i + 1) / jobs)
                .filter(|&k| is_prime[k as usize])
                .count() as u64
        })
        .collect()
}

/// The `[a, b, ...]` list after `prefix`.
fn list_after(run: &Run, prefix: &str) -> Vec<u64> {
    let list = run.value_of(prefix);
    let inner = list.strip_prefix('[').and_then(|l| l.strip_suffix(']'));
    inner
        .unwrap_or_else(|| panic!("no list after {prefix:?}\n{}", run.dump()))
        .split(", ")
        .map(|v| v.parse().expect("a count"))
        .collect()
}

#[test]
fn spawn_blocking_and_rayon_equal_the_sequential_counts() {
    let run = recipe!("spawn-blocking")
        .run(["--n", "100000", "--jobs", "7"])
        .success();
    let expected = primes_per_job(100_000, 7);
    assert_eq!(list_after(&run, "sequential:"), expected);
    assert_eq!(list_after(&run, "inline:"), expected);
    assert_eq!(list_after(&run, "spawn_blocking:"), expected);
    assert_eq!(list_after(&run, "rayon:"), expected);
    // Computing on the runtime's one thread starves its other tasks: the
    // heartbeat cannot tick until the counting is done, in every run.
    assert_eq!(
        run.value_of("heartbeat while counting inline: "),
        "0 ticks",
        "{}",
        run.dump()
    );
    for phase in ["spawn_blocking", "rayon"] {
        let ticks = run.value_of(&format!("heartbeat during {phase}: "));
        assert!(ticks.ends_with(" ticks"), "{}", run.dump());
    }
    // The proof that the work was offloaded: every job of those two ran on
    // another thread than the runtime's, and none of the inline ones did.
    assert_eq!(
        run.value_of("jobs run off the runtime's thread: "),
        "inline 0 of 7, spawn_blocking 7 of 7, rayon 7 of 7",
        "{}",
        run.dump()
    );
    assert_eq!(
        run.last_line(),
        "Primes below 100000: 9592; inline, spawn_blocking and rayon agree with the sequential loop"
    );
}

#[test]
fn spawn_blocking_handles_more_jobs_than_numbers_and_tiny_ranges() {
    let run = recipe!("spawn-blocking")
        .run(["--n", "100", "--jobs", "256"])
        .success();
    let expected = primes_per_job(100, 256);
    assert_eq!(list_after(&run, "rayon:"), expected);
    assert_eq!(list_after(&run, "spawn_blocking:"), expected);
    assert!(
        run.last_line().starts_with("Primes below 100: 25;"),
        "{}",
        run.dump()
    );

    let run = recipe!("spawn-blocking")
        .run(["--n", "2", "--jobs", "1"])
        .success();
    assert!(
        run.last_line().starts_with("Primes below 2: 0;"),
        "{}",
        run.dump()
    );
}

#[test]
fn spawn_blocking_refuses_zero_jobs_and_an_empty_range() {
    recipe!("spawn-blocking")
        .run(["--jobs", "0"])
        .refused_by_clap_naming("--jobs");
    recipe!("spawn-blocking")
        .run(["--n", "0"])
        .refused_by_clap_naming("--n");
}

// ---------------------------------------------------------------- semaphore

/// The `task <id>: started, <k> in flight` lines, as (id, k).
fn started(run: &Run) -> Vec<(u64, u64)> {
    run.lines_starting_with("task ")
        .into_iter()
        .map(|line| {
            let parsed = line
                .strip_prefix("task ")
                .and_then(|rest| rest.strip_suffix(" in flight"))
                .and_then(|rest| rest.split_once(": started, "))
                .and_then(|(id, k)| Some((id.parse().ok()?, k.parse().ok()?)));
            parsed.unwrap_or_else(|| panic!("bad task line {line:?}\n{}", run.dump()))
        })
        .collect()
}

#[test]
fn semaphore_never_lets_more_tasks_in_than_permits() {
    let run = recipe!("semaphore")
        .run(["--tasks", "60", "--permits", "3", "--latency-ms", "2"])
        .success();
    let started = started(&run);
    let ids: BTreeSet<u64> = started.iter().map(|(id, _)| *id).collect();
    assert_eq!(started.len(), 60, "{}", run.dump());
    assert_eq!(ids, (0..60).collect(), "every task started exactly once");
    let highest = started.iter().map(|(_, k)| *k).max().expect("60 lines");
    assert!(
        highest <= 3,
        "{highest} tasks in flight with 3 permits\n{}",
        run.dump()
    );
    // The recipe's high-water mark agrees with what the tasks printed.
    assert_eq!(
        run.value_of("max in flight: "),
        format!("{highest} (permits: 3)")
    );
    assert_eq!(run.last_line(), "60 tasks finished with 3 permits");
}

#[test]
fn semaphore_with_one_permit_runs_one_task_at_a_time() {
    let run = recipe!("semaphore")
        .run(["--tasks", "20", "--permits", "1", "--latency-ms", "1"])
        .success();
    let started = started(&run);
    assert_eq!(started.len(), 20);
    assert!(started.iter().all(|(_, k)| *k == 1), "{}", run.dump());
    assert_eq!(run.value_of("max in flight: "), "1 (permits: 1)");
}

#[test]
fn semaphore_refuses_zero_sizes() {
    for option in ["--permits", "--tasks", "--latency-ms"] {
        recipe!("semaphore")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
}

// ---- async pitfalls ----

/// The `start`/`end` events of one run of `blocking-the-executor`, as
/// (task, started?) in the order printed.
fn task_events(run: &Run, how: &str) -> Vec<(u32, bool)> {
    run.lines_starting_with(&format!("{how}: task "))
        .iter()
        .map(|line| {
            let rest = &line[how.len() + ": task ".len()..];
            let (task, what) = rest.split_once(' ').expect("task <i> start|end");
            (task.parse().expect("a task number"), what == "start")
        })
        .collect()
}

#[test]
fn blocking_the_executor_serialises_tasks_and_each_fix_overlaps_them() {
    let run = recipe!("blocking-the-executor")
        .run(["--tasks", "4", "--work-ms", "8"])
        .success();
    // Blocking: each task ends before the next one starts, in spawn order.
    let serial: Vec<_> = (0..4).flat_map(|i| [(i, true), (i, false)]).collect();
    assert_eq!(task_events(&run, "thread::sleep"), serial, "{}", run.dump());
    // So the blocking run lasted at least the sum of the tasks' work.
    let ms = number_after(&run, "thread::sleep: 4 tasks took ");
    assert!(ms >= 4 * 8, "{}", run.dump());
    // Each fix: every task starts before any task ends, and each ends once.
    for how in ["time::sleep", "spawn_blocking", "yield_now"] {
        let events = task_events(&run, how);
        let (starts, ends) = events.split_at(4);
        assert!(starts.iter().all(|&(_, s)| s), "{how}\n{}", run.dump());
        let mut ended: Vec<u32> = ends.iter().filter(|e| !e.1).map(|e| e.0).collect();
        ended.sort_unstable();
        assert_eq!(ended, [0, 1, 2, 3], "{how}\n{}", run.dump());
    }
    assert_eq!(
        run.last_line(),
        "On one runtime thread: thread::sleep one after another, time::sleep overlapped, \
         spawn_blocking overlapped, yield_now overlapped"
    );
}

#[test]
fn blocking_the_executor_explains_and_checks_its_options() {
    let run = recipe!("blocking-the-executor").run(["--help"]);
    run.lists_options(&["--tasks", "--work-ms", "[2-16]"]);
    recipe!("blocking-the-executor")
        .run(["--tasks", "1"])
        .refused_by_clap_naming("--tasks");
    recipe!("blocking-the-executor")
        .run(["--work-ms", "0"])
        .refused_by_clap_naming("--work-ms");
}

#[test]
fn lock_across_await_both_fixes_count_exactly_and_the_split_loses_all_but_one_per_round() {
    for workers in ["1", "3"] {
        let run = recipe!("lock-across-await")
            .run(["--tasks", "40", "--rounds", "25", "--workers", workers])
            .success();
        // Many tasks on several threads: no increment lost under either fix.
        assert_eq!(
            run.value_of("guard dropped before .await (std Mutex): "),
            "1000 of 1000 increments"
        );
        assert_eq!(
            run.value_of("guard held across .await (tokio Mutex): "),
            "1000 of 1000 increments"
        );
        // The split read/write on one thread: every task read the same value
        // each round, so exactly one increment per round survived.
        assert_eq!(
            run.value_of("read and write split by .await (std Mutex): "),
            "25 of 1000 increments, 975 lost"
        );
    }
    let run = recipe!("lock-across-await").run(NO_ARGS).success();
    assert_eq!(
        run.last_line(),
        "Scoped std guard: 500/500, tokio guard across .await: 500/500, split read/write: 490 lost"
    );
}

#[test]
fn lock_across_await_explains_and_checks_its_options() {
    let run = recipe!("lock-across-await").run(["--help"]);
    run.lists_options(&["--tasks", "--rounds", "--workers", "[1-50]"]);
    for (option, bad) in [("--tasks", "51"), ("--rounds", "0"), ("--workers", "0")] {
        recipe!("lock-across-await")
            .run([option, bad])
            .refused_by_clap_naming(option);
    }
}

#[test]
fn cancellation_safety_loses_every_head_in_the_loop_and_nothing_with_either_fix() {
    let run = recipe!("cancellation-safety")
        .run(["--messages", "12"])
        .success();
    let sent: Vec<String> = (1..=12).map(|i| format!("message {i} of 12")).collect();
    let sent_bytes: usize = sent.iter().map(|m| m.len() + 1).sum();
    let received = |how: &str| -> Vec<String> {
        let prefix = format!("{how}: received ");
        run.lines_starting_with(&prefix)
            .iter()
            .map(|l| l[prefix.len()..].trim_matches('"').to_owned())
            .collect()
    };
    // The mistake: each line's first piece went down with the dropped read.
    let tails: Vec<String> = sent.iter().map(|m| m[m.len() / 2..].to_owned()).collect();
    let heads: usize = sent.iter().map(|m| m.len() / 2).sum();
    assert_eq!(received("read_line in select!"), tails, "{}", run.dump());
    assert_eq!(
        run.value_of("read_line in select!: 0 of 12 lines intact,"),
        format!("{heads} of {sent_bytes} bytes lost")
    );
    // Both fixes: every byte, in order.
    for how in ["pinned read", "Lines::next_line"] {
        assert_eq!(received(how), sent, "{how}\n{}", run.dump());
        assert_eq!(
            run.value_of(&format!("{how}: 12 of 12 lines intact,")),
            format!("0 of {sent_bytes} bytes lost")
        );
    }
    let run = recipe!("cancellation-safety").run(NO_ARGS).success();
    assert_eq!(
        run.last_line(),
        "Bytes lost to a ping mid-line: read_line in select! 35, pinned read 0, Lines::next_line 0"
    );
}

#[test]
fn cancellation_safety_explains_and_checks_its_options() {
    let run = recipe!("cancellation-safety").run(["--help"]);
    run.lists_options(&["--messages", "[1-1000]"]);
    recipe!("cancellation-safety")
        .run(["--messages", "0"])
        .refused_by_clap_naming("--messages");
}

// ---- how async works underneath ----

#[test]
fn custom_future_is_polled_twice_and_the_forgetful_one_times_out() {
    let run = recipe!("custom-future").run(["--delay-ms", "40"]).success();
    // Woken once by the timer thread: no busy loop, and not early.
    assert!(
        number_after(&run, "Delay: ready after ") >= 40,
        "{}",
        run.dump()
    );
    assert!(
        run.value_of("Delay: ready after ")
            .ends_with(" ms, polled 2 times")
    );
    // Waking itself at once makes the runtime poll it over and over.
    let busy = run.value_of("SelfWaking: ready after ");
    let polls: u64 = busy.rsplit(' ').nth(1).unwrap().parse().unwrap();
    assert!(polls > 2, "{}", run.dump());
    // Nothing wakes the forgetful future: polled once, then the timeout won.
    assert!(
        number_after(&run, "Forgetful: timed out after ") >= 80,
        "{}",
        run.dump()
    );
    assert!(
        run.value_of("Forgetful: timed out after ")
            .contains(" ms, polled 1 time:")
    );
    assert_eq!(
        run.last_line(),
        "Delay finished in 2 polls, SelfWaking in more, Forgetful timed out"
    );
}

#[test]
fn custom_future_explains_and_checks_its_options() {
    let run = recipe!("custom-future").run(["--help"]);
    run.lists_options(&["--delay-ms", "[1-10000]"]);
    recipe!("custom-future")
        .run(["--delay-ms", "0"])
        .refused_by_clap_naming("--delay-ms");
}

#[test]
fn mini_executor_runs_every_task_once_woken_not_spinning_and_stops() {
    let run = recipe!("mini-executor")
        .run(["--tasks", "30", "--delay-ms", "5"])
        .success();
    // block_on parked between polls: at most one poll more than it was woken.
    let line = run.value_of("block_on: got 42 in ");
    let numbers: Vec<u64> = line.split(' ').filter_map(|w| w.parse().ok()).collect();
    let [polls, wakes] = numbers[..] else {
        panic!("{}", run.dump())
    };
    assert!(polls >= 1 && polls <= wakes + 1, "{}", run.dump());
    // Each task ran to the end exactly once, with its predecessor's sum.
    for i in 0..30u64 {
        let (got, sum) = (i * i.saturating_sub(1) / 2, i * (i + 1) / 2);
        let line = format!("task {i}: got {got}, passed on {sum}");
        assert_eq!(
            run.line_counts().get(line.as_str()),
            Some(&1),
            "{line}\n{}",
            run.dump()
        );
    }
    assert_eq!(run.lines_starting_with("task ").len(), 60, "{}", run.dump());
    // Spawned last-first, every task but the first waited once and was woken
    // once: two polls, no more (a spinning executor polls more).
    let first = run.value_of("task 0: polled ");
    assert!(["1 times", "2 times"].contains(&first), "{}", run.dump());
    for i in 1..30 {
        assert_eq!(run.value_of(&format!("task {i}: polled ")), "2 times");
    }
    assert_eq!(
        run.last_line(),
        "30 tasks relayed 0 + 0 + 1 + ... = 435, then the queue closed"
    );
    let run = recipe!("mini-executor").run(NO_ARGS).success();
    assert_eq!(
        run.last_line(),
        "5 tasks relayed 0 + 0 + 1 + ... = 10, then the queue closed"
    );
}

#[test]
fn mini_executor_explains_and_checks_its_options() {
    let run = recipe!("mini-executor").run(["--help"]);
    run.lists_options(&["--tasks", "--delay-ms", "[1-1000]", "[0-1000]"]);
    for (option, bad) in [("--tasks", "0"), ("--delay-ms", "1001")] {
        recipe!("mini-executor")
            .run([option, bad])
            .refused_by_clap_naming(option);
    }
}

#[test]
fn custom_stream_yields_the_exact_sequence_then_none_and_adapts() {
    let run = recipe!("custom-stream")
        .run(["--count", "7", "--period-ms", "3"])
        .success();
    let ticks: Vec<String> = (0..7).map(|n| format!("tick {n}")).collect();
    assert_eq!(run.lines_starting_with("tick "), ticks, "{}", run.dump());
    assert_eq!(run.value_of("size_hint before: "), "(7, Some(7))");
    assert_eq!(run.value_of("after the end: "), "None, then None");
    // One item per tick of the interval (the first at once): never sooner.
    assert!(number_after(&run, "took ") >= 6 * 3, "{}", run.dump());
    assert_eq!(run.value_of("odd squares: "), "a=1 b=9 c=25");
    assert_eq!(
        run.last_line(),
        "Ticker yielded 7 numbers, then None; the adapters kept 3"
    );
    let run = recipe!("custom-stream").run(NO_ARGS).success();
    assert_eq!(
        run.last_line(),
        "Ticker yielded 10 numbers, then None; the adapters kept 5"
    );
}

#[test]
fn custom_stream_explains_and_checks_its_options() {
    let run = recipe!("custom-stream").run(["--help"]);
    run.lists_options(&["--count", "--period-ms", "[1-1000]"]);
    for option in ["--count", "--period-ms"] {
        recipe!("custom-stream")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
}

#[test]
fn bridge_sync_async_every_value_crosses_both_ways_and_the_nested_block_on_is_caught() {
    let run = recipe!("bridge-sync-async")
        .run(["--values", "50"])
        .success();
    // Sync producer -> async task -> sync consumer: all of them, in order.
    let got: Vec<String> = (1..=50)
        .map(|v| format!("sync consumer got {}", v * 10))
        .collect();
    assert_eq!(
        run.lines_starting_with("sync consumer got "),
        got,
        "{}",
        run.dump()
    );
    assert_eq!(
        run.value_of("Runtime::block_on from main: "),
        "square(3) = 9"
    );
    assert_eq!(
        run.value_of("Handle::block_on from a std thread: "),
        "square(4) = 16"
    );
    // The nested block_on panicked inside the recipe, which caught it: the
    // message is on stdout, nothing reached stderr, and the exit code is 0.
    assert_eq!(
        run.value_of("block_on inside async: panicked: "),
        "Cannot start a runtime from within a runtime"
    );
    assert_eq!(run.stderr, "", "{}", run.dump());
    assert_eq!(run.value_of("fix: .await instead: "), "square(5) = 25");
    assert_eq!(
        run.value_of("fix: spawn_blocking, then Handle::block_on: "),
        "square(6) = 36"
    );
    assert_eq!(
        run.last_line(),
        "50 of 50 values crossed sync -> async -> sync; the nested block_on was caught, both fixes answered"
    );
}

#[test]
fn bridge_sync_async_explains_and_checks_its_options() {
    let run = recipe!("bridge-sync-async").run(["--help"]);
    run.lists_options(&["--values", "[1-10000]"]);
    recipe!("bridge-sync-async")
        .run(["--values", "0"])
        .refused_by_clap_naming("--values");
}

/// (task, first thread, thread after the await) from `<kind>: task i ran on a, then b`.
fn task_threads(run: &Run, kind: &str) -> Vec<(u64, String, String)> {
    let prefix = format!("{kind}: task ");
    let mut seen: Vec<_> = run
        .lines_starting_with(&prefix)
        .iter()
        .map(|line| {
            let (task, threads) = line[prefix.len()..].split_once(" ran on ").unwrap();
            let (first, then) = threads.split_once(", then ").unwrap();
            (task.parse().unwrap(), first.to_owned(), then.to_owned())
        })
        .collect();
    seen.sort();
    seen
}

#[test]
fn runtime_builder_runs_tasks_on_the_threads_each_runtime_promises() {
    for workers in [1u64, 3] {
        let run = recipe!("runtime-builder")
            .run(["--tasks", "20", "--workers", &workers.to_string()])
            .success();
        // Current-thread: every task, before and after its await, on main.
        let current = task_threads(&run, "current-thread");
        assert_eq!(current.len(), 20, "{}", run.dump());
        for (i, (task, first, then)) in current.iter().enumerate() {
            assert_eq!(
                (*task, first.as_str(), then.as_str()),
                (i as u64, "main", "main")
            );
        }
        // Multi-thread: every task once, only ever on the named workers.
        let names: BTreeSet<String> = (0..workers).map(|w| format!("worker-{w}")).collect();
        let multi = task_threads(&run, "multi-thread");
        let ids: Vec<u64> = multi.iter().map(|t| t.0).collect();
        assert_eq!(ids, (0..20).collect::<Vec<_>>(), "{}", run.dump());
        for (_, first, then) in &multi {
            assert!(
                names.contains(first) && names.contains(then),
                "{}",
                run.dump()
            );
        }
        // LocalSet: the Rc-sharing tasks all ran on the thread driving it.
        let local: BTreeSet<&str> = run
            .lines_starting_with("local: task ")
            .into_iter()
            .collect();
        let expected: BTreeSet<String> = (0..20)
            .map(|i| format!("local: task {i} ran on main"))
            .collect();
        assert_eq!(
            local,
            expected.iter().map(String::as_str).collect(),
            "{}",
            run.dump()
        );
        assert_eq!(
            run.last_line(),
            format!(
                "current-thread: all 20 tasks on main; multi-thread: all on its {workers} workers, \
                 none on main; LocalSet: 20 of 20 Rc-sharing tasks on main"
            )
        );
    }
}

#[test]
fn runtime_builder_explains_and_checks_its_options() {
    let run = recipe!("runtime-builder").run(["--help"]);
    run.lists_options(&["--tasks", "--workers", "[1-64]"]);
    for (option, bad) in [("--tasks", "0"), ("--workers", "65")] {
        recipe!("runtime-builder")
            .run([option, bad])
            .refused_by_clap_naming(option);
    }
}

// ---- async services ----

/// The `handle <h>: request <r> added <amount>, total now <total>` lines, as
/// (h, r, amount, total) in the order printed.
fn actor_replies(run: &Run) -> Vec<(u64, u64, u64, u64)> {
    run.lines_starting_with("handle ")
        .into_iter()
        .filter(|l| l.contains(": request "))
        .map(|line| {
            let numbers: Vec<u64> = line
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|w| w.parse().ok())
                .collect();
            match numbers[..] {
                [h, r, amount, total] => (h, r, amount, total),
                _ => panic!("bad line {line:?}\n{}", run.dump()),
            }
        })
        .collect()
}

#[test]
fn actor_handle_answers_every_request_once_in_order_and_stops_after_the_last_handle() {
    let (handles, requests) = (6u64, 40u64);
    let run = recipe!("actor-handle")
        .run(["--handles", "6", "--requests", "40"])
        .success();
    let replies = actor_replies(&run);
    assert_eq!(replies.len() as u64, handles * requests, "{}", run.dump());
    // Each handle's requests were answered once each, in the order it sent them.
    for h in 0..handles {
        let mine: Vec<(u64, u64)> = replies
            .iter()
            .filter(|r| r.0 == h)
            .map(|r| (r.1, r.2))
            .collect();
        let sent: Vec<(u64, u64)> = (0..requests).map(|r| (r, h * requests + r + 1)).collect();
        assert_eq!(mine, sent, "handle {h}\n{}", run.dump());
    }
    // One owner, one message at a time: sorted by the total each reply saw,
    // every total is the one before plus that request's amount. A lost or
    // doubled update, or a reply sent before the addition, breaks the chain.
    let mut by_total: Vec<(u64, u64)> = replies.iter().map(|r| (r.3, r.2)).collect();
    by_total.sort_unstable();
    let mut previous = 0;
    for (total, amount) in by_total {
        assert_eq!(total, previous + amount, "{}", run.dump());
        previous = total;
    }
    let n = handles * requests;
    assert_eq!(previous, n * (n + 1) / 2, "the sum of 1..={n}");
    // The actor stopped only once every handle was gone.
    let lines = run.lines();
    let stop = lines
        .iter()
        .position(|l| *l == format!("actor: every handle dropped, stopping after {n} requests"))
        .unwrap_or_else(|| panic!("no stop line\n{}", run.dump()));
    let dropped: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].ends_with(": done, dropping it"))
        .collect();
    assert_eq!(dropped.len() as u64, handles, "{}", run.dump());
    assert!(dropped.iter().all(|&i| i < stop), "{}", run.dump());
    assert_eq!(
        run.last_line(),
        format!("6 handles sent {n} requests, {n} answered once each; final total 28920")
    );
}

#[test]
fn actor_handle_runs_on_its_defaults_and_checks_its_options() {
    let run = recipe!("actor-handle").run(NO_ARGS).success();
    assert_eq!(
        run.last_line(),
        "3 handles sent 15 requests, 15 answered once each; final total 120"
    );
    recipe!("actor-handle")
        .run(["--help"])
        .lists_options(&["--handles", "--requests", "[1-64]"]);
    for option in ["--handles", "--requests"] {
        recipe!("actor-handle")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
}

/// A recipe running as a child whose stdout is read line by line while it
/// runs, for tests that act on it mid-run (send it a signal, connect to the
/// port it printed). Every wait is bounded by [`common::DEADLINE`].
struct LiveChild {
    name: &'static str,
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    stdout: String,
    stderr: std::thread::JoinHandle<String>,
}

impl LiveChild {
    fn spawn<const N: usize>(name: &'static str, exe: &str, args: [&str; N]) -> Self {
        use std::io::{BufRead, Read};
        use std::process::{Command, Stdio};
        let mut child = Command::new(exe)
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {exe}: {e}"));
        let (tx, lines) = std::sync::mpsc::channel();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        LiveChild {
            name,
            child,
            lines,
            stdout: String::new(),
            stderr,
        }
    }

    /// Reads stdout until a line starting with `prefix`, and returns that line.
    fn wait_for_line(&mut self, prefix: &str) -> String {
        let deadline = std::time::Instant::now() + common::DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.stdout.push_str(&line);
                    self.stdout.push('\n');
                    if line.starts_with(prefix) {
                        return line;
                    }
                }
                Err(e) => {
                    let _ = self.child.kill();
                    panic!(
                        "`{}` never printed a line starting with {prefix:?} ({e})\n{}",
                        self.name, self.stdout
                    );
                }
            }
        }
    }

    /// Writes `line` and a newline to the child's stdin.
    fn send_line(&mut self, line: &str) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().expect("stdin is piped");
        writeln!(stdin, "{line}").expect("writing to the child's stdin");
    }

    /// Sends the child a signal with the `kill` command (e.g. `"-INT"`).
    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill {signal} failed");
    }

    /// Waits for the child to end, at most [`common::DEADLINE`], and returns the whole run.
    fn finish(mut self) -> Run {
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting for the child") {
                break status;
            }
            if started.elapsed() > common::DEADLINE {
                let _ = self.child.kill();
                panic!(
                    "`{}` did not end within {:?}\n{}",
                    self.name,
                    common::DEADLINE,
                    self.stdout
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        // The reader thread ends at end of file: the rest of stdout.
        for line in self.lines.iter() {
            self.stdout.push_str(&line);
            self.stdout.push('\n');
        }
        Run {
            name: self.name.to_owned(),
            code: status.code(),
            stdout: self.stdout,
            stderr: self.stderr.join().expect("reading stderr"),
        }
    }
}

/// Checks what `graceful-shutdown` must guarantee whatever the timing: each
/// accepted job ends once, finished or cancelled; nothing is accepted after
/// the stop; nothing is cancelled before the grace period ends; stuck jobs
/// (every fourth) are cancelled. Returns (accepted, finished, cancelled).
fn check_shutdown(run: &Run, reason: &str) -> (u64, u64, u64) {
    let summary = run
        .last_line()
        .strip_prefix(&format!("Stopped on {reason}: "))
        .unwrap_or_else(|| panic!("stopped on {reason}?\n{}", run.dump()))
        .to_owned();
    let n: Vec<u64> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    let [accepted, finished, cancelled] = n[..] else {
        panic!("{}", run.dump())
    };
    assert_eq!(accepted, finished + cancelled, "{}", run.dump());
    let lines = run.lines();
    let at = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix));
    let stop = at(&format!("stopping on {reason}: no new jobs;")).expect("a stop line");
    let job = |line: &str| -> (u64, String) {
        let (id, what) = line["job ".len()..]
            .split_once(": ")
            .expect("job <id>: <what>");
        (id.parse().expect("a job id"), what.to_owned())
    };
    let mut accepted_ids = Vec::new();
    let mut ended: BTreeMap<u64, String> = BTreeMap::new();
    for (i, line) in lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("job "))
    {
        let (id, what) = job(line);
        if what == "accepted" {
            assert!(i < stop, "job {id} accepted after the stop\n{}", run.dump());
            accepted_ids.push(id);
        } else {
            assert!(ended.insert(id, what).is_none(), "job {id} ended twice");
        }
    }
    assert_eq!(
        accepted_ids,
        (0..accepted).collect::<Vec<_>>(),
        "{}",
        run.dump()
    );
    assert_eq!(ended.keys().copied().collect::<Vec<_>>(), accepted_ids);
    let count = |what: &str| ended.values().filter(|w| *w == what).count() as u64;
    assert_eq!(
        (count("finished"), count("cancelled")),
        (finished, cancelled)
    );
    for (id, what) in &ended {
        if id % 4 == 3 {
            assert_eq!(what, "cancelled", "stuck job {id}\n{}", run.dump());
        }
    }
    if cancelled > 0 {
        let grace_over = at("grace period over: cancelling the ").expect("a grace line");
        let first_cancel = lines.iter().position(|l| l.ends_with(": cancelled"));
        assert!(first_cancel > Some(grace_over), "{}", run.dump());
    }
    (accepted, finished, cancelled)
}

#[test]
fn graceful_shutdown_on_sigint_accounts_for_every_accepted_job_and_exits_0() {
    let mut child = LiveChild::spawn(
        "graceful-shutdown",
        env!("CARGO_BIN_EXE_graceful-shutdown"),
        [
            "--run-ms",
            "100000",
            "--every-ms",
            "5",
            "--job-ms",
            "20",
            "--grace-ms",
            "300",
        ],
    );
    // The Ctrl-C handler is installed before job 0 is accepted; by job 4 a
    // stuck job (3) is in flight, which only the cancellation can end.
    child.wait_for_line("job 4: accepted");
    child.signal("-INT");
    let run = child.finish().success();
    let (accepted, _, cancelled) = check_shutdown(&run, "Ctrl-C");
    assert!(accepted >= 5 && cancelled >= 1, "{}", run.dump());
    assert_eq!(run.lines_starting_with("grace period over: ").len(), 1);
}

#[test]
fn graceful_shutdown_at_its_deadline_drains_and_cancels_the_same_way() {
    let run = recipe!("graceful-shutdown")
        .run([
            "--run-ms",
            "100",
            "--every-ms",
            "10",
            "--job-ms",
            "5",
            "--grace-ms",
            "50",
        ])
        .success();
    check_shutdown(&run, "the deadline");
    // With no stuck job in flight the drain ends without cancelling anything.
    let run = recipe!("graceful-shutdown")
        .run([
            "--run-ms",
            "20",
            "--every-ms",
            "100",
            "--job-ms",
            "1",
            "--grace-ms",
            "60000",
        ])
        .success();
    assert_eq!(
        run.last_line(),
        "Stopped on the deadline: 1 accepted = 1 finished + 0 cancelled"
    );
    assert!(run.lines_starting_with("grace period over").is_empty());
}

#[test]
fn graceful_shutdown_explains_and_checks_its_options() {
    let run = recipe!("graceful-shutdown").run(NO_ARGS).success();
    check_shutdown(&run, "the deadline");
    recipe!("graceful-shutdown")
        .run(["--help"])
        .lists_options(&[
            "--run-ms",
            "--every-ms",
            "--job-ms",
            "--grace-ms",
            "[1-10000]",
        ]);
    for (option, bad) in [
        ("--run-ms", "0"),
        ("--every-ms", "0"),
        ("--grace-ms", "60001"),
    ] {
        recipe!("graceful-shutdown")
            .run([option, bad])
            .refused_by_clap_naming(option);
    }
}

/// The bytes client `c` sends: `client <c> message <m>\n` for each m.
fn echo_bytes(c: u64, messages: u64) -> usize {
    (0..messages)
        .map(|m| format!("client {c} message {m}\n").len())
        .sum()
}

#[test]
fn tcp_echo_server_echoes_every_client_exactly_over_one_connection_each() {
    let run = recipe!("tcp-echo-server")
        .run(["--clients", "20", "--messages", "50"])
        .success();
    let addr: std::net::SocketAddr = run.parsed("listening on ");
    assert!(
        addr.ip().is_loopback() && addr.port() != 0,
        "{}",
        run.dump()
    );
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    // Every client got back exactly what it sent (the recipe compares each
    // echo, and fails otherwise), and the byte counts are the known ones.
    let mut sent = Vec::new();
    for c in 0..20 {
        let bytes = echo_bytes(c, 50);
        assert_eq!(
            run.value_of(&format!("client {c}: ")),
            format!("50 echoes matched, {bytes} bytes")
        );
        sent.push(bytes);
    }
    // One connection per client, each echoing that client's bytes.
    let opened: BTreeSet<&str> = run
        .lines_starting_with("server: connection from ")
        .iter()
        .map(|l| {
            l["server: connection from ".len()..]
                .split(',')
                .next()
                .unwrap()
        })
        .collect();
    let mut closed: Vec<(&str, usize)> = run
        .lines_starting_with("server: 127.0.0.1:")
        .iter()
        .map(|l| {
            let (peer, rest) = l["server: ".len()..].split_once(" closed after ").expect(l);
            let bytes = rest
                .strip_suffix(" bytes echoed")
                .expect(l)
                .parse()
                .expect(l);
            (peer, bytes)
        })
        .collect();
    assert_eq!(opened.len(), 20, "{}", run.dump());
    assert_eq!(closed.iter().map(|c| c.0).collect::<BTreeSet<_>>(), opened);
    let mut echoed: Vec<usize> = closed.drain(..).map(|c| c.1).collect();
    echoed.sort_unstable();
    sent.sort_unstable();
    assert_eq!(echoed, sent, "{}", run.dump());
    // The clients met at a barrier with their connections open: all 20 at once.
    assert_eq!(
        run.last_line(),
        "20 clients x 50 messages echoed over 20 connections, at most 20 open at once"
    );
}

#[test]
fn tcp_echo_server_echoes_a_connection_from_the_test_process_too() {
    use std::io::{BufRead, Write};
    let mut child = LiveChild::spawn(
        "tcp-echo-server",
        env!("CARGO_BIN_EXE_tcp-echo-server"),
        ["--clients", "2", "--serve-until-stdin"],
    );
    let line = child.wait_for_line("listening on ");
    let addr: std::net::SocketAddr = line["listening on ".len()..].parse().expect(&line);
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    let stream = std::net::TcpStream::connect(addr).expect("connecting to the recipe");
    stream
        .set_read_timeout(Some(common::DEADLINE))
        .expect("a read timeout");
    let me = stream.local_addr().expect("our address").to_string();
    let mut reader = std::io::BufReader::new(stream.try_clone().expect("a second handle"));
    let mut writer = stream;
    let mut bytes = 0;
    for i in 0..5 {
        let sent = format!("from the test, line {i}\n");
        writer.write_all(sent.as_bytes()).expect("sending");
        let mut echo = String::new();
        reader.read_line(&mut echo).expect("reading the echo");
        assert_eq!(echo, sent);
        bytes += sent.len();
    }
    // Close our side; the server's copy ends, and so does its side.
    writer
        .shutdown(std::net::Shutdown::Write)
        .expect("closing our side");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).expect("reading to the end");
    assert_eq!(rest, "");
    child.wait_for_line("serving until a line on stdin");
    child.send_line("stop");
    let run = child.finish().success();
    assert_eq!(
        run.value_of(&format!("server: {me} closed after ")),
        format!("{bytes} bytes echoed")
    );
    let last = run.last_line();
    assert!(
        [2, 3].iter().any(|k| last
            == format!(
                "2 clients x 3 messages echoed over 3 connections, at most {k} open at once"
            )),
        "{}",
        run.dump()
    );
}

#[test]
fn tcp_echo_server_runs_on_its_defaults_and_checks_its_options() {
    let run = recipe!("tcp-echo-server").run(NO_ARGS).success();
    assert_eq!(
        run.last_line(),
        "4 clients x 3 messages echoed over 4 connections, at most 4 open at once"
    );
    assert_eq!(
        run.lines_starting_with("client ").len(),
        4,
        "{}",
        run.dump()
    );
    assert_eq!(echo_bytes(0, 3), 57, "a known size");
    assert_eq!(run.value_of("client 3: "), "3 echoes matched, 57 bytes");
    let help = recipe!("tcp-echo-server").run(["--help"]);
    help.lists_options(&["--clients", "--messages", "[1-200]"]);
    for option in ["--clients", "--messages"] {
        recipe!("tcp-echo-server")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
}

#[test]
fn async_files_reads_every_file_back_as_written_and_removes_its_directory() {
    let tmp = common::TempDir::new().expect("a scratch directory");
    let run = recipe!("async-files")
        .run_in(tmp.path(), ["--files", "40", "--max-bytes", "4000"])
        .success();
    // Its own directory under TMPDIR, gone when it ends.
    let dir = run.value_of("demo directory: ");
    assert!(
        dir.starts_with(&format!("{}/async-files-demo-", tmp.path().display())),
        "{}",
        run.dump()
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind {left:?}\n{}", run.dump());
    // Every file and its copy read back once each, with the size and checksum
    // it was written with; the sizes are the known ones.
    let mut total = 0;
    for i in 0..40u64 {
        let name = format!("file-{i:03}.bin");
        let wrote = run.value_of(&format!("wrote {name}: "));
        let (numbers, copied) = wrote.split_once("; ").expect(wrote);
        let size = (i + 1) * 100;
        assert!(
            numbers.starts_with(&format!("{size} bytes, fnv1a64 ")),
            "{wrote}"
        );
        assert_eq!(copied, format!("copied {size} bytes"));
        assert_eq!(run.value_of(&format!("read {name}: ")), numbers);
        assert_eq!(run.value_of(&format!("read copies/{name}: ")), numbers);
        total += 2 * size;
    }
    assert_eq!(run.lines_starting_with("read ").len(), 80, "{}", run.dump());
    assert_eq!(total, 164_000, "2 x 100 x (1 + ... + 40)");
    assert_eq!(
        run.last_line(),
        "40 files written, copied and read back by 80 concurrent reads (164000 bytes): \
         every size and checksum matched; directory removed"
    );
}

#[test]
fn async_files_checksums_are_known_answers() {
    // FNV-1a 64 of "abc", read from a file the test wrote.
    let dir = common::TempDir::new().expect("a scratch directory");
    let abc = dir.path().join("abc.txt");
    std::fs::write(&abc, "abc").expect("writing abc.txt");
    let run = recipe!("async-files")
        .run(["--read".as_ref(), abc.as_os_str()])
        .success();
    assert_eq!(
        run.last_line(),
        format!("{}: 3 bytes, fnv1a64 e71fa2190541574b", abc.display())
    );
    // The first demo file, 1000 bytes of the pattern (31 j) mod 251.
    let run = recipe!("async-files")
        .run(["--files", "1", "--max-bytes", "1000"])
        .success();
    assert_eq!(
        run.value_of("read file-000.bin: "),
        "1000 bytes, fnv1a64 9dd88208129a9a55"
    );
    let run = recipe!("async-files").run(NO_ARGS).success();
    assert_eq!(
        run.last_line(),
        "16 files written, copied and read back by 32 concurrent reads (1114112 bytes): \
         every size and checksum matched; directory removed"
    );
}

#[test]
fn async_files_a_missing_or_unreadable_file_is_a_one_line_error() {
    let dir = common::TempDir::new().expect("a scratch directory");
    let missing = dir.path().join("no-such-file.bin");
    recipe!("async-files")
        .run(["--read".as_ref(), missing.as_os_str()])
        .fails_with_one_line_naming(&format!("reading {}", missing.display()));
    // A directory cannot be read as a file.
    recipe!("async-files")
        .run(["--read".as_ref(), dir.path().as_os_str()])
        .fails_with_one_line_naming(&dir.path().display().to_string());
    recipe!("async-files").run(["--help"]).lists_options(&[
        "--files",
        "--max-bytes",
        "--read",
        "[1-1000]",
    ]);
    for option in ["--files", "--max-bytes"] {
        recipe!("async-files")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
}

/// The `op <id>: started at <ms> ms` lines of `rate-limiter`, as (id, ms).
fn op_starts(run: &Run) -> Vec<(u64, u64)> {
    run.lines_starting_with("op ")
        .iter()
        .map(|line| {
            let parsed = line["op ".len()..]
                .strip_suffix(" ms")
                .and_then(|rest| rest.split_once(": started at "))
                .and_then(|(id, ms)| Some((id.parse().ok()?, ms.parse().ok()?)));
            parsed.unwrap_or_else(|| panic!("bad line {line:?}\n{}", run.dump()))
        })
        .collect()
}

#[test]
fn rate_limiter_starts_every_operation_once_and_none_before_its_token() {
    // 200 tokens a second: one every 5 ms, after a burst of 4.
    let run = recipe!("rate-limiter")
        .run(["--ops", "40", "--rate", "200", "--burst", "4"])
        .success();
    let starts = op_starts(&run);
    let ids: BTreeSet<u64> = starts.iter().map(|s| s.0).collect();
    assert_eq!(starts.len(), 40, "{}", run.dump());
    assert_eq!(
        ids,
        (0..40).collect(),
        "every operation started exactly once"
    );
    // Tokens never come early: the k-th refill is k x 5 ms after the start at
    // the soonest, so the j-th start (j >= 4) is no sooner than (j - 3) x 5 ms.
    // (Exact times, and the R*t + B bound over every window, are tested on
    // the paused clock in examples-async/tests/paused_clock.rs.)
    let mut times: Vec<u64> = starts.iter().map(|s| s.1).collect();
    times.sort_unstable();
    for (j, &ms) in times.iter().enumerate().skip(4) {
        assert!(
            ms >= (j as u64 - 3) * 5,
            "start {j} at {ms} ms\n{}",
            run.dump()
        );
    }
    assert_eq!(
        run.value_of("the last started at "),
        format!("{} ms", times[39])
    );
    assert_eq!(
        run.last_line(),
        "40 operations, at most 200 per second after a burst of 4: each ran once"
    );
}

#[test]
fn rate_limiter_runs_on_its_defaults_and_checks_its_options() {
    let run = recipe!("rate-limiter").run(NO_ARGS).success();
    assert_eq!(
        run.last_line(),
        "30 operations, at most 50 per second after a burst of 5: each ran once"
    );
    // 25 refills of 20 ms each after the burst of 5.
    let last = number_after(&run, "the last started at ");
    assert_eq!(run.value_of("the last started at "), format!("{last} ms"));
    assert!(last >= 500, "{}", run.dump());
    recipe!("rate-limiter")
        .run(["--help"])
        .lists_options(&["--ops", "--rate", "--burst", "[1-1000]"]);
    for option in ["--ops", "--rate", "--burst"] {
        recipe!("rate-limiter")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
}
