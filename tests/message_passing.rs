//! Integration tests of the `examples-message-passing` recipes: each runs the
//! real binary under a deadline and checks what holds in every interleaving:
//! every message received exactly once, per-sender order, and the orderings
//! that the channels guarantee (a line printed before a Sender is dropped comes
//! before the line printed when the receiver sees the channel close).

#![forbid(unsafe_code)]

mod common;

use common::{NO_ARGS, Run, catalogue};

#[test]
fn every_message_passing_recipe_is_in_the_readme_and_tested() {
    catalogue::check(env!("CARGO_MANIFEST_DIR"), "message_passing.rs");
}

#[test]
fn every_recipe_ends_quietly_when_its_stdout_is_closed() {
    common::every_recipe_ends_quietly_on_a_closed_stdout(
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_BIN_EXE_mpsc-basics"),
    );
}

// ------------------------------------------------------------------ helpers

/// The unsigned numbers in `line`, in order: `"worker 3: job 10 -> 100"` gives
/// `[3, 10, 100]`.
fn numbers(line: &str) -> Vec<u64> {
    line.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("a run of digits is a number"))
        .collect()
}

/// The numbers of every line starting with `prefix`, in the order printed.
fn numbers_of(run: &Run, prefix: &str) -> Vec<Vec<u64>> {
    run.lines_starting_with(prefix)
        .into_iter()
        .map(|line| numbers(&line[prefix.len()..]))
        .collect()
}

/// The index of the one stdout line equal to `line`.
fn position(run: &Run, line: &str) -> usize {
    let found: Vec<usize> = run
        .lines()
        .iter()
        .enumerate()
        .filter(|(_, l)| **l == line)
        .map(|(i, _)| i)
        .collect();
    match found.as_slice() {
        [i] => *i,
        _ => panic!(
            "expected exactly one line {line:?}, found {}\n{}",
            found.len(),
            run.dump()
        ),
    }
}

/// `0..n` as a Vec, for comparing sequences of received values.
fn upto(n: u64) -> Vec<u64> {
    (0..n).collect()
}

fn sorted(mut v: Vec<u64>) -> Vec<u64> {
    v.sort_unstable();
    v
}

// --------------------------------------------------------------------- help

#[test]
fn every_recipe_explains_its_options_with_help() {
    let runs = [
        (recipe!("mpsc-basics").run(["--help"]), &["--pause-ms"][..]),
        (
            recipe!("mpsc-multi-producer").run(["--help"]),
            &["--producers", "--messages", "--pause-ms"],
        ),
        (
            recipe!("sync-channel").run(["--help"]),
            &["--capacity", "--items", "--consumer-ms"],
        ),
        (
            recipe!("crossbeam-spsc").run(["--help"]),
            &["--messages", "--pause-ms"],
        ),
        (
            recipe!("crossbeam-pipeline").run(["--help"]),
            &["--messages", "--workers", "--work-ms"],
        ),
        (
            recipe!("crossbeam-select").run(["--help"]),
            &["--messages", "--timeout-ms", "--tick-ms"],
        ),
        (
            recipe!("worker-pool").run(["--help"]),
            &["--workers", "--jobs", "--job-ms"],
        ),
        (
            recipe!("oneshot-channel").run(["--help"]),
            &["--workers", "--unsent"],
        ),
    ];
    for (run, options) in runs {
        run.lists_options(options);
    }
}

// -------------------------------------------------------------- mpsc-basics

/// Checks one run of mpsc-basics with the default four words.
fn check_mpsc_basics(run: &Run) {
    // Main's own lines are printed by one thread: exactly these, in this order.
    let main_lines: Vec<&str> = run
        .lines()
        .into_iter()
        .filter(|l| !l.starts_with("Sent message: ") && !l.starts_with("sender: "))
        .collect();
    assert_eq!(
        main_lines,
        [
            "== one message ==",
            "Received message: Hello from the thread!",
            "== a stream of values ==",
            "Got: hi",
            "Got: from",
            "Got: the",
            "Got: thread",
            "Channel closed: the sender was dropped, so `for received in rx` ended",
            "Received 1 message and a stream of 4 values",
        ],
        "{}",
        run.dump()
    );
    // The sender's line races main's `Received message` line, but main joins
    // the thread before the second part, so it is printed inside part one.
    let sent = position(run, "Sent message: Hello from the thread!");
    assert!(position(run, "== one message ==") < sent, "{}", run.dump());
    assert!(
        sent < position(run, "== a stream of values =="),
        "{}",
        run.dump()
    );
    // The stream's sender prints this just before dropping its Sender, and the
    // `for` loop ends only after that drop.
    let dropping = position(run, "sender: sent 4 values, dropping tx");
    assert!(
        position(run, "== a stream of values ==") < dropping,
        "{}",
        run.dump()
    );
    assert!(
        dropping
            < position(
                run,
                "Channel closed: the sender was dropped, so `for received in rx` ended"
            ),
        "{}",
        run.dump()
    );
    assert_eq!(run.lines().len(), 11, "{}", run.dump());
}

#[test]
fn mpsc_basics_prints_the_seed_message_and_the_stream_in_order() {
    check_mpsc_basics(&recipe!("mpsc-basics").run(NO_ARGS).success());
}

#[test]
fn mpsc_basics_without_pauses_still_ends_when_the_sender_is_dropped() {
    for _ in 0..3 {
        check_mpsc_basics(&recipe!("mpsc-basics").run(["--pause-ms", "0"]).success());
    }
}

#[test]
fn mpsc_basics_refuses_an_absurd_pause() {
    recipe!("mpsc-basics")
        .run(["--pause-ms", "60000"])
        .refused_by_clap_naming("--pause-ms");
}

// ------------------------------------------------------ mpsc-multi-producer

/// Checks a run of mpsc-multi-producer with `n` producers of `m` messages.
fn check_multi_producer(run: &Run, n: u64, m: u64) {
    let received = numbers_of(run, "received ");
    assert_eq!(received.len() as u64, n * m, "{}", run.dump());
    for p in 0..n {
        // Per-sender FIFO: producer p's messages in the order it sent them.
        let of_p: Vec<u64> = received
            .iter()
            .filter(|nums| nums[1] == p)
            .map(|nums| nums[0])
            .collect();
        assert_eq!(of_p, upto(m), "producer {p}\n{}", run.dump());
    }
    assert!(
        received.iter().all(|nums| nums.len() == 2 && nums[1] < n),
        "{}",
        run.dump()
    );
    // Every producer drops its Sender after printing its line, and the loop
    // ends only when all of them (and main's) are gone.
    let closed = position(run, &format!("Channel closed: all {n} Senders are gone"));
    for p in 0..n {
        let done = position(
            run,
            &format!("producer {p}: sent {m} messages, dropping its Sender"),
        );
        assert!(done < closed, "producer {p}\n{}", run.dump());
    }
    assert_eq!(run.lines().len() as u64, n * m + n + 2, "{}", run.dump());
    assert_eq!(
        run.last_line(),
        format!("Received {} messages from {n} producers", n * m)
    );
}

#[test]
fn mpsc_multi_producer_receives_every_message_once_in_each_producers_order() {
    let run = recipe!("mpsc-multi-producer")
        .run(["--producers", "5", "--messages", "40", "--pause-ms", "0"])
        .success();
    check_multi_producer(&run, 5, 40);
    let run = recipe!("mpsc-multi-producer")
        .run(["--producers", "4", "--messages", "10", "--pause-ms", "1"])
        .success();
    check_multi_producer(&run, 4, 10);
}

#[test]
fn mpsc_multi_producer_defaults_and_a_single_producer_work() {
    check_multi_producer(&recipe!("mpsc-multi-producer").run(NO_ARGS).success(), 3, 4);
    let run = recipe!("mpsc-multi-producer")
        .run(["--producers", "1", "--messages", "7"])
        .success();
    check_multi_producer(&run, 1, 7);
}

#[test]
fn mpsc_multi_producer_refuses_zero_or_absurd_counts() {
    for (option, value) in [
        ("--producers", "0"),
        ("--producers", "100000"),
        ("--messages", "0"),
        ("--messages", "99999999"),
        ("--pause-ms", "5000"),
    ] {
        recipe!("mpsc-multi-producer")
            .run([option, value])
            .refused_by_clap_naming(option);
    }
}

// ------------------------------------------------------------- sync-channel

/// Checks a run of sync-channel: both phases deliver `0..items` in order, and
/// no printed in-flight count, nor the printed maximum, exceeds the bound.
fn check_sync_channel(run: &Run, capacity: u64, items: u64) {
    let lines = run.lines();
    let bounded_header = format!("== sync_channel({capacity}): {items} items ==");
    let rendezvous_header = format!("== sync_channel(0) (rendezvous): {items} items ==");
    let (first, second) = (
        position(run, &bounded_header),
        position(run, &rendezvous_header),
    );
    assert_eq!(first, 0, "{}", run.dump());
    let phases = [
        (capacity, &lines[first + 1..second]),
        (0, &lines[second + 1..lines.len() - 1]),
    ];
    for (bound, phase) in phases {
        let with_prefix = |prefix: &str| -> Vec<Vec<u64>> {
            phase
                .iter()
                .filter_map(|l| l.strip_prefix(prefix))
                .map(numbers)
                .collect()
        };
        let received: Vec<u64> = with_prefix("consumer: received ")
            .into_iter()
            .map(|nums| nums[0])
            .collect();
        assert_eq!(received, upto(items), "bound {bound}\n{}", run.dump());
        let sent = with_prefix("producer: sent ");
        let sent_values: Vec<u64> = sent.iter().map(|nums| nums[0]).collect();
        assert_eq!(sent_values, upto(items), "bound {bound}\n{}", run.dump());
        let in_flight: Vec<u64> = sent.iter().map(|nums| nums[1]).collect();
        assert!(
            in_flight.iter().all(|&n| n <= bound),
            "in flight above {bound}: {in_flight:?}\n{}",
            run.dump()
        );
        // Back-pressure seen in the order of the lines, whatever the
        // interleaving: sending i+k+1 needs the slot freed when the consumer
        // took item i+1, which it does only after printing `received i`.
        // (With k = 0: `sent i+1` only once i+1 was taken.) An unbounded
        // channel would let the producer run ahead of a slow consumer.
        // The index in this phase of the one line equal to `line`, or of the
        // one starting with it when it ends in ", ".
        let at = |line: String| {
            let found: Vec<usize> = (0..phase.len())
                .filter(|&i| {
                    phase[i] == line || (line.ends_with(", ") && phase[i].starts_with(&line))
                })
                .collect();
            assert_eq!(found.len(), 1, "line {line:?}\n{}", run.dump());
            found[0]
        };
        for i in 0..items.saturating_sub(bound + 1) {
            assert!(
                at(format!("consumer: received {i}"))
                    < at(format!("producer: sent {}, ", i + bound + 1)),
                "bound {bound}: sent {} before item {i} was received\n{}",
                i + bound + 1,
                run.dump()
            );
        }
        // The consumer's loop ended because the producer dropped its Sender.
        let (dropped, closed) = (
            at("producer: dropping tx".to_owned()),
            at(format!("consumer: channel closed after {items} items")),
        );
        assert!(dropped < closed, "bound {bound}\n{}", run.dump());
        // The phase's own summary: its printed maximum is the maximum of the
        // per-send counts, and within the bound.
        let summary = phase.last().expect("a phase ends with its summary");
        let max = in_flight.iter().copied().max().unwrap_or(0);
        assert_eq!(
            *summary,
            format!(
                "sync_channel({bound}): received {items} of {items} items in order; max in flight {max} (bound {bound})"
            ),
            "{}",
            run.dump()
        );
        assert_eq!(phase.len() as u64, 2 * items + 3, "{}", run.dump());
    }
    assert_eq!(
        run.last_line(),
        "Every item arrived in order; items in flight never exceeded the bound"
    );
}

#[test]
fn sync_channel_delivers_in_order_and_in_flight_stays_within_the_bound() {
    check_sync_channel(&recipe!("sync-channel").run(NO_ARGS).success(), 3, 8);
    for (capacity, consumer_ms) in [("1", "1"), ("2", "2"), ("5", "0")] {
        let run = recipe!("sync-channel")
            .run([
                "--capacity",
                capacity,
                "--items",
                "30",
                "--consumer-ms",
                consumer_ms,
            ])
            .success();
        check_sync_channel(&run, capacity.parse().unwrap(), 30);
    }
}

#[test]
fn sync_channel_capacity_larger_than_the_items_never_blocks_the_producer() {
    // Everything fits in the buffer: the bound still holds, trivially for the
    // bounded phase, and the rendezvous phase is unchanged.
    let run = recipe!("sync-channel")
        .run(["--capacity", "50", "--items", "10", "--consumer-ms", "1"])
        .success();
    check_sync_channel(&run, 50, 10);
}

#[test]
fn sync_channel_refuses_zero_or_absurd_sizes() {
    for (option, value) in [
        ("--capacity", "0"),
        ("--capacity", "1000000"),
        ("--items", "0"),
        ("--items", "10000000"),
        ("--consumer-ms", "5000"),
    ] {
        recipe!("sync-channel")
            .run([option, value])
            .refused_by_clap_naming(option);
    }
}

// ----------------------------------------------------------- crossbeam-spsc

/// Checks a run of crossbeam-spsc with `n` messages; returns the most
/// messages the consumer found waiting before a receive.
fn check_spsc(run: &Run, n: u64) -> u64 {
    let expected = |verb: &str| -> Vec<String> { (0..n).map(|i| format!("{verb} {i}")).collect() };
    assert_eq!(
        run.lines_starting_with("Received "),
        expected("Received"),
        "{}",
        run.dump()
    );
    assert_eq!(
        run.lines_starting_with("Sent "),
        expected("Sent"),
        "{}",
        run.dump()
    );
    // The consumer runs while the producer sends: with room for one message,
    // sending i+2 waits until the consumer has printed `Received i` and taken
    // i+1. Receiving after the producer finished (as the cookbook does) would
    // put every `Sent` line first.
    for i in 0..n.saturating_sub(2) {
        assert!(
            position(run, &format!("Received {i}")) < position(run, &format!("Sent {}", i + 2)),
            "message {i}\n{}",
            run.dump()
        );
    }
    // The consumer's loop ended because the producer dropped its Sender: the
    // channel closed after the drop and after the last message, not after a
    // count of receives.
    let dropped = position(run, &format!("Producer: sent {n}, dropping its Sender"));
    let most_waiting: u64 = run
        .value_of(&format!(
            "Consumer: channel closed after {n} messages; found at most "
        ))
        .trim_end_matches(" waiting")
        .parse()
        .expect("a count");
    // With room for one message, never more than one is waiting.
    assert!(most_waiting <= 1, "{}", run.dump());
    let closed = position(
        run,
        &format!(
            "Consumer: channel closed after {n} messages; found at most {most_waiting} waiting"
        ),
    );
    assert!(dropped < closed, "{}", run.dump());
    assert!(
        position(run, &format!("Received {}", n - 1)) < closed,
        "{}",
        run.dump()
    );
    assert_eq!(run.lines().len() as u64, 2 * n + 3, "{}", run.dump());
    assert_eq!(
        run.last_line(),
        format!("Consumer received {n} of {n} messages; the producer dropped its Sender")
    );
    most_waiting
}

#[test]
fn crossbeam_spsc_receives_0_to_4_in_order_while_the_producer_sends() {
    check_spsc(&recipe!("crossbeam-spsc").run(NO_ARGS).success(), 5);
}

#[test]
fn crossbeam_spsc_consumer_keeps_pace_without_pauses() {
    let run = recipe!("crossbeam-spsc")
        .run(["--messages", "300", "--pause-ms", "0"])
        .success();
    check_spsc(&run, 300);
    let run = recipe!("crossbeam-spsc")
        .run(["--messages", "1", "--pause-ms", "0"])
        .success();
    check_spsc(&run, 1);
}

/// With `--lag` the consumer receives only from a full channel, so the
/// producer runs as far ahead as the channel allows: exactly one message,
/// whatever the timing. A channel of any larger capacity fails here for sure.
#[test]
fn crossbeam_spsc_producer_gets_exactly_one_message_ahead() {
    for (messages, pause_ms) in [("40", "0"), ("3", "1"), ("1", "0")] {
        let run = recipe!("crossbeam-spsc")
            .run(["--messages", messages, "--pause-ms", pause_ms, "--lag"])
            .success();
        assert_eq!(
            check_spsc(&run, messages.parse().unwrap()),
            1,
            "{}",
            run.dump()
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn crossbeam_spsc_producer_gets_exactly_one_message_ahead_even_on_one_core() {
    let run = recipe!("crossbeam-spsc")
        .on_one_cpu()
        .run(["--messages", "20", "--pause-ms", "0", "--lag"])
        .success();
    assert_eq!(check_spsc(&run, 20), 1, "{}", run.dump());
}

#[test]
fn crossbeam_spsc_refuses_zero_or_absurd_counts() {
    for (option, value) in [
        ("--messages", "0"),
        ("--messages", "4294967295"),
        ("--pause-ms", "100000"),
    ] {
        recipe!("crossbeam-spsc")
            .run([option, value])
            .refused_by_clap_naming(option);
    }
}

// ------------------------------------------------------- crossbeam-pipeline

/// Checks a run of crossbeam-pipeline with `n` messages and `w` workers.
fn check_pipeline(run: &Run, n: u64, w: u64) {
    // The single source sends in order.
    let sent: Vec<u64> = numbers_of(run, "Source sent ")
        .into_iter()
        .map(|nums| nums[0])
        .collect();
    assert_eq!(sent, upto(n), "{}", run.dump());

    // Each number is taken by exactly one worker, named by its index.
    let taken: Vec<Vec<u64>> = run
        .lines_starting_with("Worker ")
        .into_iter()
        .filter(|l| l.contains(" received "))
        .map(numbers)
        .collect();
    assert_eq!(taken.len() as u64, n, "{}", run.dump());
    let mut taken_by = vec![None; n as usize];
    for nums in &taken {
        let (worker, i) = (nums[0], nums[1]);
        assert!(worker < w, "worker {worker} of {w}\n{}", run.dump());
        assert_eq!(
            taken_by[i as usize],
            None,
            "{i} taken twice\n{}",
            run.dump()
        );
        taken_by[i as usize] = Some(worker);
    }

    // The sink gets exactly the doubled inputs, each from the worker that
    // took the input.
    let sunk = numbers_of(run, "Sink received ");
    let doubled: Vec<u64> = sunk.iter().map(|nums| nums[0]).collect();
    assert_eq!(
        sorted(doubled),
        (0..n).map(|i| 2 * i).collect::<Vec<_>>(),
        "{}",
        run.dump()
    );
    for nums in &sunk {
        let (doubled, worker) = (nums[0], nums[1]);
        assert_eq!(
            taken_by[(doubled / 2) as usize],
            Some(worker),
            "{doubled}\n{}",
            run.dump()
        );
    }
    // Shutdown by a chain of drops: the source's drop closes the workers'
    // input, and the last worker's drop closes the sink's. Each worker is
    // done once, after the source, having taken as many numbers as it said.
    let source_done = position(run, "Source done: dropping its Sender");
    let sink_closed = position(run, "Sink: every worker's Sender is gone");
    let mut done_count = vec![0; w as usize];
    for (i, line) in run.lines().iter().enumerate() {
        if line.starts_with("Worker ") && line.contains(" done after ") {
            let nums = numbers(line);
            let (worker, count) = (nums[0], nums[1]);
            assert!(
                worker < w,
                "{line}
{}",
                run.dump()
            );
            done_count[worker as usize] += 1;
            assert!(
                source_done < i && i < sink_closed,
                "{line}
{}",
                run.dump()
            );
            let took = taken_by.iter().filter(|t| **t == Some(worker)).count() as u64;
            assert_eq!(
                count,
                took,
                "{line}
{}",
                run.dump()
            );
        } else if line.starts_with("Sink received ") {
            assert!(
                i < sink_closed,
                "{line}
{}",
                run.dump()
            );
        }
    }
    assert!(done_count.iter().all(|&c| c == 1), "{}", run.dump());
    assert_eq!(run.lines().len() as u64, 3 * n + w + 3, "{}", run.dump());
    assert_eq!(
        run.last_line(),
        format!(
            "Pipeline closed: the sink received {n} messages from {w} workers; sum {}",
            n * (n - 1)
        )
    );
}

#[test]
fn crossbeam_pipeline_sink_receives_every_doubled_message_once() {
    let run = recipe!("crossbeam-pipeline").run(NO_ARGS).success();
    check_pipeline(&run, 4, 2);
    // A known answer: 0 + 2 + 4 + 6.
    assert_eq!(
        run.last_line(),
        "Pipeline closed: the sink received 4 messages from 2 workers; sum 12"
    );
    let run = recipe!("crossbeam-pipeline")
        .run(["--messages", "60", "--workers", "3", "--work-ms", "0"])
        .success();
    check_pipeline(&run, 60, 3);
    let run = recipe!("crossbeam-pipeline")
        .run(["--messages", "20", "--workers", "4", "--work-ms", "1"])
        .success();
    check_pipeline(&run, 20, 4);
}

#[test]
fn crossbeam_pipeline_with_one_worker_keeps_the_order_and_never_runs_ahead() {
    let run = recipe!("crossbeam-pipeline")
        .run(["--messages", "25", "--workers", "1", "--work-ms", "0"])
        .success();
    check_pipeline(&run, 25, 1);
    // One worker, FIFO channels: every stage sees the source's order.
    let worker: Vec<u64> = numbers_of(&run, "Worker 0 received ")
        .into_iter()
        .map(|nums| nums[0])
        .collect();
    assert_eq!(worker, upto(25), "{}", run.dump());
    let sink: Vec<u64> = run
        .lines_starting_with("Sink received ")
        .into_iter()
        .filter(|l| l.ends_with(" from worker 0"))
        .map(|l| numbers(l)[0])
        .collect();
    assert_eq!(
        sink,
        (0..25).map(|i| 2 * i).collect::<Vec<_>>(),
        "{}",
        run.dump()
    );
    // Back-pressure of the two `bounded(1)` channels, which holds in every
    // interleaving: the source can send i+2 only once the worker has taken
    // i+1, after printing that it received i; the worker can hand i+2 to the
    // sink only once the sink has taken i+1, after printing 2i, and only then
    // does it receive i+3. With an unbounded channel either stage runs ahead.
    for i in 0..23u64 {
        assert!(
            position(&run, &format!("Worker 0 received {i}"))
                < position(&run, &format!("Source sent {}", i + 2)),
            "the source ran ahead of the worker at {i}\n{}",
            run.dump()
        );
    }
    for i in 0..22u64 {
        assert!(
            position(&run, &format!("Sink received {} from worker 0", 2 * i))
                < position(&run, &format!("Worker 0 received {}", i + 3)),
            "the worker ran ahead of the sink at {i}\n{}",
            run.dump()
        );
    }
}

/// The numbers that `--meet n` makes wait for each other at a `Barrier(n)`
/// were each taken by a different worker: workers that run one at a time (a
/// lock held across the work) never get past the barrier and fail at the
/// deadline.
fn check_pipeline_meeting(run: &Run, n: u64, w: u64, meet: u64) {
    let mut met_on: Vec<u64> = run
        .lines_starting_with("Worker ")
        .into_iter()
        .filter(|l| l.contains(" received "))
        .map(numbers)
        .filter(|nums| nums[1] < meet)
        .map(|nums| nums[0])
        .collect();
    met_on.sort_unstable();
    met_on.dedup();
    assert_eq!(met_on.len() as u64, meet, "{}", run.dump());
    check_pipeline(run, n, w);
}

#[test]
fn crossbeam_pipeline_runs_its_workers_at_the_same_time() {
    for (workers, meet) in [("3", "3"), ("5", "2")] {
        let run = recipe!("crossbeam-pipeline")
            .run([
                "--messages",
                "20",
                "--workers",
                workers,
                "--work-ms",
                "0",
                "--meet",
                meet,
            ])
            .success();
        check_pipeline_meeting(&run, 20, workers.parse().unwrap(), meet.parse().unwrap());
    }
}

#[cfg(target_os = "linux")]
#[test]
fn crossbeam_pipeline_runs_its_workers_at_the_same_time_even_on_one_core() {
    let run = recipe!("crossbeam-pipeline")
        .on_one_cpu()
        .run([
            "--messages",
            "10",
            "--workers",
            "3",
            "--work-ms",
            "0",
            "--meet",
            "3",
        ])
        .success();
    check_pipeline_meeting(&run, 10, 3, 3);
}

#[test]
fn crossbeam_pipeline_refuses_more_meeting_numbers_than_workers_or_messages() {
    for args in [
        ["--workers", "2", "--messages", "9", "--meet", "3"],
        ["--workers", "8", "--messages", "2", "--meet", "3"],
    ] {
        recipe!("crossbeam-pipeline")
            .run(args)
            .fails_with_one_line_naming("--meet");
    }
    recipe!("crossbeam-pipeline")
        .run(["--meet", "257"])
        .refused_by_clap_naming("--meet");
}

#[test]
fn crossbeam_pipeline_with_more_workers_than_messages_still_ends() {
    let run = recipe!("crossbeam-pipeline")
        .run(["--messages", "2", "--workers", "8", "--work-ms", "0"])
        .success();
    check_pipeline(&run, 2, 8);
}

#[test]
fn crossbeam_pipeline_refuses_zero_or_absurd_counts() {
    for (option, value) in [
        ("--workers", "0"),
        ("--workers", "100000"),
        ("--messages", "0"),
        ("--messages", "1000000000"),
        ("--work-ms", "5000"),
    ] {
        recipe!("crossbeam-pipeline")
            .run([option, value])
            .refused_by_clap_naming(option);
    }
}

// --------------------------------------------------------- crossbeam-select

/// Checks a run of crossbeam-select with `m` messages per producer.
fn check_select(run: &Run, m: u64, timeout_ms: u64) {
    let lines = run.lines();
    for name in ["A", "B"] {
        // Every message once, in the producer's order.
        let got: Vec<u64> = numbers_of(run, &format!("from {name}: "))
            .into_iter()
            .map(|nums| nums[0])
            .collect();
        assert_eq!(got, upto(m), "producer {name}\n{}", run.dump());
        // The channel closes only after the producer's last message.
        let done = position(run, &format!("producer {name} done: its channel is closed"));
        let last = position(run, &format!("from {name}: {}", m - 1));
        assert!(last < done, "producer {name}\n{}", run.dump());
    }

    // The timeout fires: the producers pause halfway until it has.
    let timeout = format!("timeout: no message for {timeout_ms} ms");
    let first_timeout = lines
        .iter()
        .position(|l| *l == timeout)
        .unwrap_or_else(|| panic!("the timeout never fired\n{}", run.dump()));
    for name in ["A", "B"] {
        let before = lines[..first_timeout]
            .iter()
            .filter(|l| l.starts_with(&format!("from {name}: ")))
            .count() as u64;
        assert!(
            before <= m / 2,
            "{before} messages from {name} before the first timeout\n{}",
            run.dump()
        );
    }

    // Each heartbeat reports exactly the messages printed before it (the same
    // thread prints both, so the count only grows and stays within 2m), and
    // nothing else is printed.
    let mut ticks = Vec::new();
    let mut printed = 0;
    for line in &lines {
        if line.starts_with("from A: ") || line.starts_with("from B: ") {
            printed += 1;
        } else if let Some(rest) = line.strip_prefix("tick: ") {
            assert_eq!(
                numbers(rest),
                [printed],
                "{line:?} after {printed} messages\n{}",
                run.dump()
            );
            ticks.push(printed);
        }
    }
    assert!(ticks.windows(2).all(|w| w[0] <= w[1]), "{}", run.dump());
    assert!(ticks.iter().all(|&t| t <= 2 * m), "{}", run.dump());
    // The loop, and with it the heartbeat, stops when the second channel
    // closes: that line comes just before the summary.
    assert!(
        lines[lines.len() - 2].ends_with(" done: its channel is closed"),
        "{}",
        run.dump()
    );
    let timeouts = lines.iter().filter(|l| **l == timeout).count();
    assert_eq!(
        lines.len() as u64,
        2 * m + ticks.len() as u64 + timeouts as u64 + 3,
        "{}",
        run.dump()
    );
    assert_eq!(
        run.last_line(),
        format!(
            "Received {} messages, {m} from A and {m} from B; both channels closed",
            2 * m
        )
    );
}

#[test]
fn crossbeam_select_receives_every_message_once_and_times_out() {
    check_select(&recipe!("crossbeam-select").run(NO_ARGS).success(), 6, 50);
    let run = recipe!("crossbeam-select")
        .run(["--messages", "30", "--timeout-ms", "10", "--tick-ms", "2"])
        .success();
    check_select(&run, 30, 10);
}

#[test]
fn crossbeam_select_times_out_before_a_single_message() {
    // With one message each, the producers pause before sending anything.
    let run = recipe!("crossbeam-select")
        .run(["--messages", "1", "--timeout-ms", "5", "--tick-ms", "1"])
        .success();
    check_select(&run, 1, 5);
}

#[test]
fn crossbeam_select_refuses_zero_or_absurd_durations() {
    for (option, value) in [
        ("--messages", "0"),
        ("--messages", "100000000"),
        ("--timeout-ms", "0"),
        ("--timeout-ms", "3600000"),
        ("--tick-ms", "0"),
    ] {
        recipe!("crossbeam-select")
            .run([option, value])
            .refused_by_clap_naming(option);
    }
}

// -------------------------------------------------------------- worker-pool

/// Checks a run of worker-pool with `w` workers and `j` jobs; returns the job
/// ids in the order they were reported.
fn check_worker_pool(run: &Run, w: u64, j: u64) -> Vec<u64> {
    let lines = run.lines();
    let done: Vec<Vec<u64>> = lines
        .iter()
        .filter(|l| l.starts_with("worker ") && l.contains(": job ") && l.contains(" -> "))
        .map(|l| numbers(l))
        .collect();
    // Every job id exactly once, with the right result, by a real worker.
    let ids: Vec<u64> = done.iter().map(|nums| nums[1]).collect();
    assert_eq!(sorted(ids.clone()), upto(j), "{}", run.dump());
    for nums in &done {
        assert_eq!(nums[2], nums[1] * nums[1], "{}", run.dump());
        assert!(nums[0] < w, "{}", run.dump());
    }

    // Each worker exits once, having done what it reported, after main closed
    // the queue (its `for` loop ends only then) and before main's fan-in ends
    // (that loop ends only when every worker has dropped its result Sender,
    // which it does after printing its exit line). Main's tally, printed after
    // the joins, counted the same results.
    let closing = position(run, &format!("main: queued {j} jobs, closing the queue"));
    let gone = position(run, "main: every worker's result Sender is gone");
    for worker in 0..w {
        let by_worker = done.iter().filter(|nums| nums[0] == worker).count();
        let exit = position(
            run,
            &format!("worker {worker}: job queue closed, exiting after {by_worker} jobs"),
        );
        assert!(
            closing < exit && exit < gone,
            "worker {worker}\n{}",
            run.dump()
        );
        let tally = position(
            run,
            &format!("worker {worker} returned {by_worker} results"),
        );
        assert!(gone < tally, "worker {worker}\n{}", run.dump());
    }
    // Every job line too comes before the fan-in ends: a worker prints it
    // before sending that job's result.
    assert!(
        lines[..gone]
            .iter()
            .all(|l| l.starts_with("worker ") && l.contains(": ") || *l == lines[closing]),
        "{}",
        run.dump()
    );
    assert_eq!(lines.len() as u64, j + 2 * w + 3, "{}", run.dump());
    let total: u64 = (0..j).map(|i| i * i).sum();
    assert_eq!(
        run.last_line(),
        format!("All {j} jobs done exactly once by {w} workers; total {total}")
    );
    ids
}

#[test]
fn worker_pool_processes_every_job_exactly_once() {
    let run = recipe!("worker-pool").run(NO_ARGS).success();
    check_worker_pool(&run, 4, 20);
    // A known answer: 0² + 1² + ... + 19² = 19 * 20 * 39 / 6.
    assert_eq!(
        run.last_line(),
        "All 20 jobs done exactly once by 4 workers; total 2470"
    );
    let run = recipe!("worker-pool")
        .run(["--workers", "6", "--jobs", "200", "--job-ms", "0"])
        .success();
    check_worker_pool(&run, 6, 200);
}

#[test]
fn worker_pool_with_one_worker_does_the_jobs_in_queue_order() {
    let run = recipe!("worker-pool")
        .run(["--workers", "1", "--jobs", "30", "--job-ms", "0"])
        .success();
    let ids = check_worker_pool(&run, 1, 30);
    assert_eq!(ids, upto(30), "{}", run.dump());
}

#[cfg(target_os = "linux")]
#[test]
fn worker_pool_on_one_core_processes_every_job_exactly_once() {
    // One CPU for main and every worker: whoever runs, nothing is lost, no job
    // is done twice, and the pool still shuts down (issue 4).
    for workers in ["1", "4"] {
        let run = recipe!("worker-pool")
            .on_one_cpu()
            .run(["--workers", workers, "--jobs", "50", "--job-ms", "0"])
            .success();
        let ids = check_worker_pool(&run, workers.parse().unwrap(), 50);
        if workers == "1" {
            assert_eq!(ids, upto(50), "{}", run.dump());
        }
    }
}

/// The jobs that `--meet n` makes wait for each other at a `Barrier(n)` each
/// ran on a different worker: a pool that runs one job at a time (a lock held
/// across the job, one worker really running) never gets past the barrier and
/// fails at the deadline.
fn check_worker_pool_meeting(run: &Run, w: u64, j: u64, meet: u64) {
    let done = numbers_of(run, "worker ");
    let mut met_on: Vec<u64> = done
        .iter()
        .filter(|nums| nums.len() == 3 && nums[1] < meet)
        .map(|nums| nums[0])
        .collect();
    met_on.sort_unstable();
    met_on.dedup();
    assert_eq!(met_on.len() as u64, meet, "{}", run.dump());
    check_worker_pool(run, w, j);
}

#[test]
fn worker_pool_runs_jobs_on_several_workers_at_once() {
    for (workers, meet) in [("4", "4"), ("6", "3")] {
        let run = recipe!("worker-pool")
            .run([
                "--workers",
                workers,
                "--jobs",
                "30",
                "--job-ms",
                "0",
                "--meet",
                meet,
            ])
            .success();
        check_worker_pool_meeting(&run, workers.parse().unwrap(), 30, meet.parse().unwrap());
    }
}

#[cfg(target_os = "linux")]
#[test]
fn worker_pool_runs_jobs_on_several_workers_at_once_even_on_one_core() {
    let run = recipe!("worker-pool")
        .on_one_cpu()
        .run([
            "--workers",
            "4",
            "--jobs",
            "12",
            "--job-ms",
            "0",
            "--meet",
            "4",
        ])
        .success();
    check_worker_pool_meeting(&run, 4, 12, 4);
}

#[test]
fn worker_pool_refuses_more_meeting_jobs_than_workers_or_jobs() {
    for args in [
        ["--workers", "2", "--jobs", "9", "--meet", "3"],
        ["--workers", "8", "--jobs", "2", "--meet", "3"],
    ] {
        recipe!("worker-pool")
            .run(args)
            .fails_with_one_line_naming("--meet");
    }
    recipe!("worker-pool")
        .run(["--meet", "257"])
        .refused_by_clap_naming("--meet");
}

#[test]
fn worker_pool_idle_workers_still_exit_when_the_queue_closes() {
    let run = recipe!("worker-pool")
        .run(["--workers", "8", "--jobs", "2", "--job-ms", "1"])
        .success();
    check_worker_pool(&run, 8, 2);
}

#[test]
fn worker_pool_refuses_zero_or_absurd_counts() {
    for (option, value) in [
        ("--workers", "0"),
        ("--workers", "1000000"),
        ("--jobs", "0"),
        ("--jobs", "10000000000"),
        ("--job-ms", "5000"),
    ] {
        recipe!("worker-pool")
            .run([option, value])
            .refused_by_clap_naming(option);
    }
}

// ---------------------------------------------------------- oneshot-channel

/// Checks a run of oneshot-channel with `w` workers that send and `u` that
/// drop their Sender unsent.
fn check_oneshot(run: &Run, w: u64, u: u64) {
    // Main waits on the channels in turn: its lines are in channel order, each
    // with exactly its own worker's value, or the report of the dropped Sender.
    let expected: Vec<String> = (0..w + u)
        .map(|i| {
            if i < w {
                format!("channel {i}: {i} squared is {}", i * i)
            } else {
                format!("channel {i}: error: the sender was dropped without sending")
            }
        })
        .collect();
    assert_eq!(
        run.lines_starting_with("channel "),
        expected,
        "{}",
        run.dump()
    );
    // Each worker's line once, in any order; a worker that hangs up prints
    // before dropping its Sender, which is what wakes main to report it.
    for i in 0..w + u {
        if i < w {
            position(run, &format!("worker {i}: sent its value"));
        } else {
            let dropping = position(
                run,
                &format!("worker {i}: dropping its Sender without sending"),
            );
            assert!(
                dropping < position(run, &expected[i as usize]),
                "{}",
                run.dump()
            );
        }
    }
    assert_eq!(run.lines().len() as u64, 2 * (w + u) + 1, "{}", run.dump());
    assert_eq!(
        run.last_line(),
        format!(
            "Received {w} values over {} one-shot channels; {u} hung up without sending (reported)",
            w + u
        )
    );
}

#[test]
fn oneshot_channel_each_channel_delivers_exactly_its_value() {
    let run = recipe!("oneshot-channel").run(NO_ARGS).success();
    check_oneshot(&run, 4, 1);
    // A known answer, whatever the kernel: worker 3's value.
    position(&run, "channel 3: 3 squared is 9");
    for (workers, unsent) in [("64", "0"), ("1", "64"), ("20", "20")] {
        let run = recipe!("oneshot-channel")
            .run(["--workers", workers, "--unsent", unsent])
            .success();
        check_oneshot(&run, workers.parse().unwrap(), unsent.parse().unwrap());
    }
}

#[cfg(target_os = "linux")]
#[test]
fn oneshot_channel_on_one_core_wakes_the_parked_receiver_every_time() {
    let run = recipe!("oneshot-channel")
        .on_one_cpu()
        .run(["--workers", "30", "--unsent", "10"])
        .success();
    check_oneshot(&run, 30, 10);
}

#[test]
fn oneshot_channel_refuses_zero_or_absurd_counts() {
    for (option, value) in [("--workers", "0"), ("--workers", "65"), ("--unsent", "65")] {
        recipe!("oneshot-channel")
            .run([option, value])
            .refused_by_clap_naming(option);
    }
}
