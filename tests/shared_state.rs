//! Integration tests of the `examples-shared-state` recipes: each runs the real
//! binary under a deadline and checks what holds in every interleaving: exact
//! totals, every item exactly once, the order of lines printed under a lock.
//! (The spin lock's own model check is `make loom`.)

#![forbid(unsafe_code)]

mod common;

use std::collections::BTreeMap;

use common::{NO_ARGS, Run, TempDir, catalogue};

#[test]
fn every_shared_state_recipe_is_in_the_readme_and_tested() {
    catalogue::check(env!("CARGO_MANIFEST_DIR"), "shared_state.rs");
}

#[test]
fn every_recipe_ends_quietly_when_its_stdout_is_closed() {
    common::every_recipe_ends_quietly_on_a_closed_stdout(
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_BIN_EXE_mutex-counter"),
    );
}

#[test]
fn every_recipe_explains_its_options_with_help() {
    for recipe in [
        recipe!("mutex-counter"),
        recipe!("atomic-counter"),
        recipe!("rwlock"),
        recipe!("global-mut-state"),
        recipe!("global-state-std"),
        recipe!("condvar"),
        recipe!("barrier"),
        recipe!("poisoned-mutex"),
        recipe!("arc-swap-config"),
        recipe!("concurrent-queue"),
        recipe!("concurrent-map"),
        recipe!("dining-philosophers"),
        recipe!("spinlock"),
    ] {
        let run = recipe.run(["--help"]).success();
        assert!(run.stdout.contains("Usage:"), "{}", run.dump());
        assert!(
            run.stdout.contains("--"),
            "no options listed\n{}",
            run.dump()
        );
    }
}

/// The index of the one line equal to `line`.
fn position_of(run: &Run, line: &str) -> usize {
    let found: Vec<usize> = run
        .lines()
        .iter()
        .enumerate()
        .filter(|(_, l)| **l == line)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected the line {line:?} exactly once\n{}",
        run.dump()
    );
    found[0]
}

/// The indices of the lines that start with `prefix`.
fn positions_starting_with(run: &Run, prefix: &str) -> Vec<usize> {
    run.lines()
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with(prefix))
        .map(|(i, _)| i)
        .collect()
}

/// Asserts that each of `threads` threads printed `thread i done` exactly once.
fn assert_each_thread_done_once(run: &Run, threads: usize) {
    let counts = run.line_counts();
    for i in 0..threads {
        assert_eq!(
            counts.get(format!("thread {i} done").as_str()),
            Some(&1),
            "thread {i} should report once\n{}",
            run.dump()
        );
    }
    assert_eq!(run.lines_starting_with("thread ").len(), threads);
}

// ------------------------------------------------------------- mutex-counter

#[test]
fn mutex_counter_is_the_seed_program_ten_threads_result_10() {
    let run = recipe!("mutex-counter").run(NO_ARGS).success();
    assert_each_thread_done_once(&run, 10);
    assert_eq!(run.last_line(), "Result: 10");
}

#[test]
fn mutex_counter_loses_no_increment_under_contention() {
    // A million increments keep each thread busy for milliseconds, longer
    // than a scheduler time slice, so even on one core threads are switched
    // mid-count; on several cores they contend all along. An increment split
    // into a locked read and a locked write loses many (tried: about half).
    let run = recipe!("mutex-counter")
        .run(["--threads", "8", "--increments", "1000000"])
        .success();
    assert_each_thread_done_once(&run, 8);
    assert_eq!(run.last_line(), "Result: 8000000");
}

#[test]
fn mutex_counter_refuses_zero_threads_and_absurd_increments() {
    recipe!("mutex-counter")
        .run(["--threads", "0"])
        .refused_by_clap_naming("--threads");
    recipe!("mutex-counter")
        .run(["--increments", "10000000000"])
        .refused_by_clap_naming("--increments");
    recipe!("mutex-counter")
        .run(["--increments", "2000000"])
        .refused_by_clap_naming("--increments");
}

// ------------------------------------------------------------ atomic-counter

#[test]
fn atomic_counter_does_the_seed_work_result_10() {
    let run = recipe!("atomic-counter").run(NO_ARGS).success();
    assert_each_thread_done_once(&run, 10);
    assert_eq!(run.last_line(), "Result: 10");
}

#[test]
fn atomic_counter_relaxed_fetch_add_loses_no_increment() {
    // As for mutex-counter: threads contend on several cores and are switched
    // mid-count on one, so a load-then-store instead of `fetch_add` would
    // lose increments.
    let run = recipe!("atomic-counter")
        .run(["--threads", "8", "--increments", "1000000"])
        .success();
    assert_each_thread_done_once(&run, 8);
    assert_eq!(run.last_line(), "Result: 8000000");
}

#[test]
fn atomic_counter_refuses_zero_increments() {
    recipe!("atomic-counter")
        .run(["--increments", "0"])
        .refused_by_clap_naming("--increments");
    recipe!("atomic-counter")
        .run(["--threads", "5000"])
        .refused_by_clap_naming("--threads");
}

// ------------------------------------------------------------------ spinlock

#[test]
fn spinlock_counter_is_exact_by_default() {
    let run = recipe!("spinlock").run(NO_ARGS).success();
    assert_each_thread_done_once(&run, 4);
    assert_eq!(run.last_line(), "Result: 40000");
}

#[test]
fn spinlock_counter_loses_no_increment_under_contention() {
    // As for mutex-counter: threads contend on several cores and are switched
    // mid-count on one, so a lock that let two threads in would lose
    // increments.
    let run = recipe!("spinlock")
        .run(["--threads", "8", "--increments", "1000000"])
        .success();
    assert_each_thread_done_once(&run, 8);
    assert_eq!(run.last_line(), "Result: 8000000");
}

#[test]
fn spinlock_refuses_zero_increments_and_absurd_threads() {
    recipe!("spinlock")
        .run(["--increments", "0"])
        .refused_by_clap_naming("--increments");
    recipe!("spinlock")
        .run(["--threads", "100000"])
        .refused_by_clap_naming("--threads");
}

// -------------------------------------------------------------------- rwlock

#[test]
fn rwlock_readers_see_only_whole_versions_that_never_go_back() {
    let (readers, reads, writes, width) = (5, 40, 30, 6);
    let run = recipe!("rwlock")
        .run([
            "--readers",
            &readers.to_string(),
            "--reads",
            &reads.to_string(),
            "--writes",
            &writes.to_string(),
            "--width",
            &width.to_string(),
        ])
        .success();

    let written: Vec<&str> = run.lines_starting_with("writer: ");
    let expected: Vec<String> = (1..=writes)
        .map(|v| format!("writer: wrote version {v}"))
        .collect();
    assert_eq!(written, expected, "{}", run.dump());

    for r in 0..readers {
        let prefix = format!("reader {r} read ");
        let lines = run.lines_starting_with(&prefix);
        assert_eq!(lines.len(), reads, "{}", run.dump());
        let mut last = 0;
        for (k, line) in lines.iter().enumerate() {
            // "reader r read k: version v values [v, v, ...]"
            let rest = &line[prefix.len()..];
            let (number, rest) = rest.split_once(": version ").expect(line);
            assert_eq!(number, (k + 1).to_string(), "reads out of order: {line}");
            let (version, values) = rest.split_once(" values ").expect(line);
            let version: u64 = version.parse().expect(line);
            let whole = format!("[{}]", vec![version.to_string(); width].join(", "));
            assert_eq!(values, whole, "a half-written record: {line}");
            assert!(version <= writes, "a version never written: {line}");
            assert!(version >= last, "reader {r} went back in time: {line}");
            last = version;
        }
    }
    let whole = vec![writes.to_string(); width].join(", ");
    assert!(
        run.stdout
            .contains(&format!("final record: version {writes} values [{whole}]")),
        "{}",
        run.dump()
    );
    assert_eq!(
        run.last_line(),
        format!(
            "{readers} readers took {reads} snapshots each, all whole versions; final version {writes}"
        )
    );
}

#[test]
fn rwlock_default_run_ends_on_the_last_version() {
    let run = recipe!("rwlock").run(NO_ARGS).success();
    assert_eq!(run.lines_starting_with("reader ").len(), 4 * 10);
    assert_eq!(
        run.last_line(),
        "4 readers took 10 snapshots each, all whole versions; final version 5"
    );
}

#[test]
fn rwlock_lets_every_reader_hold_the_lock_at_once() {
    // In this test mode every reader keeps its first read guard until all the
    // readers hold one (they meet at a barrier): a lock that admitted one
    // reader at a time (a Mutex) would hang there, and the harness's deadline
    // fails the test. On one core too: a blocked reader yields the CPU.
    for recipe in [recipe!("rwlock"), recipe!("rwlock").on_one_cpu()] {
        let run = recipe
            .run([
                "--readers",
                "6",
                "--reads",
                "3",
                "--writes",
                "3",
                "--readers-meet",
            ])
            .success();
        assert_eq!(
            run.parsed::<usize>("most readers inside the lock at once: "),
            6
        );
        // The writer starts after the meeting: every first read saw version 0.
        for r in 0..6 {
            assert_eq!(
                run.value_of(&format!("reader {r} read 1: ")),
                "version 0 values [0, 0, 0, 0]",
                "{}",
                run.dump()
            );
        }
        assert_eq!(
            run.last_line(),
            "6 readers took 3 snapshots each, all whole versions; final version 3"
        );
    }
}

#[test]
fn rwlock_refuses_zero_readers_and_zero_width() {
    recipe!("rwlock")
        .run(["--readers", "0"])
        .refused_by_clap_naming("--readers");
    recipe!("rwlock")
        .run(["--width", "0"])
        .refused_by_clap_naming("--width");
}

// ------------------------------------------ global-mut-state, global-state-std

const COOKBOOK_FRUIT_SORTED: [&str; 12] = [
    "apple", "banana", "cherry", "fig", "grape", "kiwi", "lemon", "mango", "orange", "peach",
    "pear", "plum",
];

/// The final `FRUIT` list, from its `i: fruit` lines, checked to be numbered
/// 0, 1, 2, ... in order.
fn fruit_list(run: &Run) -> Vec<String> {
    let start = position_of(run, "FRUIT, sorted:") + 1;
    let lines = run.lines();
    let list: Vec<String> = lines[start..]
        .iter()
        .take_while(|l| {
            l.split_once(": ")
                .is_some_and(|(i, _)| i.parse::<usize>().is_ok())
        })
        .enumerate()
        .map(|(n, l)| {
            let (i, fruit) = l.split_once(": ").unwrap();
            assert_eq!(i, n.to_string(), "list numbering broken: {l}");
            fruit.to_owned()
        })
        .collect();
    list
}

/// Every fruit a thread says it inserted is in the final list exactly once, and
/// the list holds nothing else: no push was lost or doubled.
fn assert_every_fruit_exactly_once(run: &Run, threads: usize, fruits: usize) {
    let mut inserted: BTreeMap<String, usize> = BTreeMap::new();
    for t in 0..threads {
        let prefix = format!("thread {t} inserted ");
        let mine = run.lines_starting_with(&prefix);
        // Round-robin: thread t gets fruits t, t + threads, ...
        assert_eq!(
            mine.len(),
            (fruits + threads - 1 - t) / threads,
            "thread {t} inserted the wrong number\n{}",
            run.dump()
        );
        for line in mine {
            *inserted.entry(line[prefix.len()..].to_owned()).or_default() += 1;
        }
    }
    assert_eq!(inserted.len(), fruits, "fruit names should be distinct");
    assert!(inserted.values().all(|&n| n == 1), "a fruit inserted twice");

    let list = fruit_list(run);
    let mut in_list: BTreeMap<String, usize> = BTreeMap::new();
    for fruit in &list {
        *in_list.entry(fruit.clone()).or_default() += 1;
    }
    assert_eq!(
        list.len(),
        fruits,
        "FRUIT has the wrong length\n{}",
        run.dump()
    );
    assert_eq!(in_list, inserted, "FRUIT differs from what was inserted");
    let mut sorted = list.clone();
    sorted.sort();
    assert_eq!(list, sorted, "the list should be printed sorted");
    assert_eq!(
        run.last_line(),
        format!("FRUIT holds {fruits} fruits inserted by {threads} threads")
    );
}

#[test]
fn global_mut_state_default_holds_the_cookbook_fruit_once_each() {
    let run = recipe!("global-mut-state").run(NO_ARGS).success();
    assert_every_fruit_exactly_once(&run, 4, 12);
    assert_eq!(fruit_list(&run), COOKBOOK_FRUIT_SORTED);
}

#[test]
fn global_mut_state_many_concurrent_inserts_keep_every_fruit_exactly_once() {
    let run = recipe!("global-mut-state")
        .run(["--threads", "8", "--fruits", "3000"])
        .success();
    assert_every_fruit_exactly_once(&run, 8, 3000);
}

#[test]
fn global_state_std_default_holds_the_cookbook_fruit_once_each() {
    let run = recipe!("global-state-std").run(NO_ARGS).success();
    assert_every_fruit_exactly_once(&run, 4, 12);
    assert_eq!(fruit_list(&run), COOKBOOK_FRUIT_SORTED);
}

#[test]
fn global_state_std_many_concurrent_inserts_keep_every_fruit_exactly_once() {
    let run = recipe!("global-state-std")
        .run(["--threads", "8", "--fruits", "3000"])
        .success();
    assert_every_fruit_exactly_once(&run, 8, 3000);
    // The LazyLock map recorded every insert under the right thread.
    for t in 0..8 {
        assert_eq!(
            run.value_of(&format!("INSERTED_BY: thread {t} inserted ")),
            "375 fruits",
            "{}",
            run.dump()
        );
    }
}

#[test]
fn global_state_std_prints_the_same_list_as_global_mut_state() {
    for args in [vec![], vec!["--threads", "3", "--fruits", "500"]] {
        let with_crate = recipe!("global-mut-state").run(&args).success();
        let with_std = recipe!("global-state-std").run(&args).success();
        assert_eq!(fruit_list(&with_crate), fruit_list(&with_std));
        assert_eq!(with_crate.last_line(), with_std.last_line());
    }
}

#[test]
fn global_state_recipes_refuse_zero_fruits_and_zero_threads() {
    for recipe in [recipe!("global-mut-state"), recipe!("global-state-std")] {
        recipe
            .run(["--fruits", "0"])
            .refused_by_clap_naming("--fruits");
        recipe
            .run(["--threads", "0"])
            .refused_by_clap_naming("--threads");
    }
}

// ------------------------------------------------------------------- condvar

#[test]
fn condvar_waiters_proceed_only_after_the_flag_is_set() {
    // Every line is printed under the mutex, so line order is lock order.
    // Several runs, for several interleavings.
    for _ in 0..5 {
        let waiters = 6;
        let run = recipe!("condvar")
            .run(["--waiters", &waiters.to_string()])
            .success();
        let set = position_of(&run, "setter: flag set after 6 waiters were waiting");
        for w in 0..waiters {
            let waiting = position_of(&run, &format!("waiter {w}: waiting (flag is false)"));
            let proceeds = position_of(
                &run,
                &format!("waiter {w}: proceeds, flag is true: the data is ready"),
            );
            assert!(waiting < set && set < proceeds, "{}", run.dump());
        }
        // A wake-up with the flag still false only happens before it is set,
        // and waiters print nothing else.
        let woke = positions_starting_with(&run, "waiter ")
            .into_iter()
            .filter(|&i| run.lines()[i].ends_with(": woke up, flag still false, waiting again"))
            .collect::<Vec<_>>();
        assert!(woke.iter().all(|&i| i < set), "{}", run.dump());
        assert_eq!(
            run.lines_starting_with("waiter ").len(),
            2 * waiters + woke.len(),
            "{}",
            run.dump()
        );
        assert_eq!(
            run.last_line(),
            "All 6 waiters proceeded after the flag was set"
        );
    }
}

#[test]
fn condvar_default_run_ends_with_every_waiter_proceeding() {
    let run = recipe!("condvar").run(NO_ARGS).success();
    assert_eq!(
        run.lines_starting_with("waiter ")
            .iter()
            .filter(|l| l.contains(": proceeds, flag is true"))
            .count(),
        3
    );
    assert_eq!(
        run.last_line(),
        "All 3 waiters proceeded after the flag was set"
    );
}

#[test]
fn condvar_refuses_zero_waiters() {
    recipe!("condvar")
        .run(["--waiters", "0"])
        .refused_by_clap_naming("--waiters");
}

// ------------------------------------------------------------------- barrier

#[test]
fn barrier_every_phase_1_line_comes_before_every_phase_2_line() {
    for _ in 0..5 {
        let run = recipe!("barrier")
            .run(["--threads", "6", "--n", "10000"])
            .success();
        let phase_1 = positions_starting_with(&run, "phase 1: ");
        let phase_2 = positions_starting_with(&run, "phase 2: ");
        assert_eq!(phase_1.len(), 6, "{}", run.dump());
        assert_eq!(
            phase_2.len(),
            6 + 1,
            "six totals and one leader\n{}",
            run.dump()
        );
        assert!(
            phase_1.iter().max() < phase_2.iter().min(),
            "a phase-2 line came before a phase-1 line\n{}",
            run.dump()
        );

        // The partial sums cover 1..=10000, and every thread saw all of them.
        let mut parts = 0;
        for i in 0..6 {
            let line = run.value_of(&format!("phase 1: thread {i} summed "));
            parts += line.rsplit_once(" = ").unwrap().1.parse::<u64>().unwrap();
            assert_eq!(
                run.value_of(&format!("phase 2: thread {i} sees total ")),
                "50005000",
                "thread {i} read a slot before it was written\n{}",
                run.dump()
            );
        }
        assert_eq!(parts, 50005000);
        assert_eq!(
            run.lines()
                .iter()
                .filter(|l| l.ends_with("is the leader (one per barrier)"))
                .count(),
            1
        );
        assert_eq!(
            run.last_line(),
            "All 6 threads saw the total of 1..=10000: 50005000"
        );
    }
}

#[test]
fn barrier_default_run_adds_up() {
    let run = recipe!("barrier").run(NO_ARGS).success();
    assert_eq!(
        run.last_line(),
        "All 4 threads saw the total of 1..=1000: 500500"
    );
}

#[test]
fn barrier_refuses_zero_threads_and_zero_n() {
    recipe!("barrier")
        .run(["--threads", "0"])
        .refused_by_clap_naming("--threads");
    recipe!("barrier")
        .run(["--n", "0"])
        .refused_by_clap_naming("--n");
}

// ------------------------------------------------------------ poisoned-mutex

#[test]
fn poisoned_mutex_recovers_the_half_done_transfer_and_clears_the_poison() {
    let run = recipe!("poisoned-mutex").run(NO_ARGS).success();
    // The worker's panic is the demonstration: reported on stderr, caught.
    assert!(
        run.stderr.contains("transfer interrupted halfway"),
        "{}",
        run.dump()
    );
    let lines = run.lines();
    let expected_in_order = [
        "before: balances [50, 50]",
        "joined transfer thread: it panicked: transfer interrupted halfway",
        "is_poisoned: true",
        "lock() returned Err(PoisonError); recovering the guard with into_inner",
        "recovered: balances [40, 50], total 90 (the transfer was half done)",
        "repaired: balances [40, 60], total 100",
        "after clear_poison: is_poisoned: false",
        "lock() is Ok: balances [40, 60]",
        "Recovered the accounts after the panic: balances [40, 60], total 100",
    ];
    let positions: Vec<usize> = expected_in_order
        .iter()
        .map(|l| position_of(&run, l))
        .collect();
    assert!(positions.is_sorted(), "{}", run.dump());
    assert_eq!(lines.last(), expected_in_order.last());
}

#[test]
fn poisoned_mutex_recovered_data_shows_what_the_panic_left() {
    let run = recipe!("poisoned-mutex").run(["--amount", "25"]).success();
    position_of(
        &run,
        "recovered: balances [25, 50], total 75 (the transfer was half done)",
    );
    assert_eq!(
        run.last_line(),
        "Recovered the accounts after the panic: balances [25, 75], total 100"
    );
}

#[test]
fn poisoned_mutex_refuses_impossible_amounts() {
    recipe!("poisoned-mutex")
        .run(["--amount", "0"])
        .refused_by_clap_naming("--amount");
    recipe!("poisoned-mutex")
        .run(["--amount", "51"])
        .refused_by_clap_naming("--amount");
}

// ----------------------------------------------------------- arc-swap-config

#[test]
fn arc_swap_readers_see_whole_configs_and_versions_never_go_back() {
    let (readers, versions) = (4, 60);
    let run = recipe!("arc-swap-config")
        .run([
            "--readers",
            &readers.to_string(),
            "--versions",
            &versions.to_string(),
        ])
        .success();

    // Each reader checks every config it loads, printed or not.
    assert!(
        run.lines().iter().all(|l| !l.contains("torn or backward")),
        "{}",
        run.dump()
    );
    let published: Vec<&str> = run.lines_starting_with("writer: ");
    let expected: Vec<String> = (1..=versions)
        .map(|v| format!("writer: published version {v}"))
        .collect();
    assert_eq!(published, expected, "{}", run.dump());

    for r in 0..readers {
        let prefix = format!("reader {r}: sees version ");
        let seen = run.lines_starting_with(&prefix);
        assert!(!seen.is_empty(), "{}", run.dump());
        let mut previous: Option<u64> = None;
        for line in seen {
            // "reader r: sees version v name config-vV limits [v, v, v, v]"
            let (version, rest) = line[prefix.len()..].split_once(" name ").expect(line);
            let version: u64 = version.parse().expect(line);
            let (name, limits) = rest.split_once(" limits ").expect(line);
            assert_eq!(name, format!("config-v{version}"), "torn config: {line}");
            assert_eq!(
                limits,
                format!("[{version}, {version}, {version}, {version}]"),
                "torn config: {line}"
            );
            // Lines are printed on each change, so they must strictly increase.
            assert!(
                previous.is_none_or(|p| p < version),
                "reader {r} saw the version go back: {line}\n{}",
                run.dump()
            );
            assert!(version <= versions, "{line}");
            previous = Some(version);
        }
        assert_eq!(
            previous,
            Some(versions),
            "reader {r} missed the last version"
        );
        assert_eq!(
            run.lines_starting_with(&format!("reader {r}: done after "))
                .len(),
            1
        );
    }
    assert_eq!(
        run.last_line(),
        "All 4 readers reached version 60; every config they saw was whole and no version went backwards"
    );
}

#[test]
fn arc_swap_default_run_reaches_the_last_version() {
    let run = recipe!("arc-swap-config").run(NO_ARGS).success();
    assert_eq!(run.lines_starting_with("writer: ").len(), 20);
    assert_eq!(
        run.last_line(),
        "All 4 readers reached version 20; every config they saw was whole and no version went backwards"
    );
}

#[test]
fn arc_swap_refuses_zero_readers_and_absurd_versions() {
    recipe!("arc-swap-config")
        .run(["--readers", "0"])
        .refused_by_clap_naming("--readers");
    recipe!("arc-swap-config")
        .run(["--versions", "1000000000"])
        .refused_by_clap_naming("--versions");
}

// ---------------------------------------------------------- concurrent-queue

#[test]
fn concurrent_queue_full_array_queue_refuses_a_push() {
    let run = recipe!("concurrent-queue")
        .run(["--capacity", "3", "--items", "1"])
        .success();
    let array: Vec<&str> = run.lines_starting_with("ArrayQueue: ");
    assert_eq!(
        array,
        [
            "ArrayQueue: pushed 1..=3, len 3 of 3",
            "ArrayQueue: push 4 refused, queue full, value handed back",
            "ArrayQueue: popped 1 (first in, first out)",
            "ArrayQueue: push 4 accepted after the pop",
        ]
    );
}

#[test]
fn concurrent_queue_every_item_is_popped_exactly_once_in_fifo_order() {
    let (producers, consumers, items) = (4, 3, 1500);
    let run = recipe!("concurrent-queue")
        .run([
            "--producers",
            &producers.to_string(),
            "--consumers",
            &consumers.to_string(),
            "--items",
            &items.to_string(),
        ])
        .success();

    let mut popped = vec![vec![0; items]; producers];
    for c in 0..consumers {
        let prefix = format!("consumer {c} popped ");
        // A consumer prints its pops in the order it made them.
        let mut next = vec![0; producers];
        for line in run.lines_starting_with(&prefix) {
            let (p, i) = line[prefix.len()..].split_once(':').expect(line);
            let (p, i): (usize, usize) = (p.parse().expect(line), i.parse().expect(line));
            assert!(i >= next[p], "consumer {c} saw {p}:{i} out of order");
            next[p] = i + 1;
            popped[p][i] += 1;
        }
    }
    for (p, counts) in popped.iter().enumerate() {
        for (i, &n) in counts.iter().enumerate() {
            assert_eq!(n, 1, "item {p}:{i} popped {n} times\n{}", run.dump());
        }
    }
    assert_eq!(run.lines_starting_with("producer ").len(), producers);
    assert_eq!(
        run.last_line(),
        "SegQueue: 6000 items pushed, 6000 popped, each exactly once"
    );
}

#[test]
fn concurrent_queue_default_run_pops_everything() {
    let run = recipe!("concurrent-queue").run(NO_ARGS).success();
    assert_eq!(run.lines_starting_with("consumer ").len(), 15);
    assert_eq!(
        run.last_line(),
        "SegQueue: 15 items pushed, 15 popped, each exactly once"
    );
}

#[test]
fn concurrent_queue_refuses_zero_capacity_and_zero_consumers() {
    recipe!("concurrent-queue")
        .run(["--capacity", "0"])
        .refused_by_clap_naming("--capacity");
    recipe!("concurrent-queue")
        .run(["--consumers", "0"])
        .refused_by_clap_naming("--consumers");
}

// ------------------------------------------------------------ concurrent-map

/// The `word: count` lines between the `text:` line and the summary.
fn counts_printed(run: &Run) -> BTreeMap<String, usize> {
    let lines = run.lines();
    let start = positions_starting_with(run, "text: ")[0] + 1;
    lines[start..lines.len() - 1]
        .iter()
        .map(|l| {
            let (word, count) = l.split_once(": ").expect(l);
            (word.to_owned(), count.parse().expect(l))
        })
        .collect()
}

#[test]
fn concurrent_map_counts_a_known_text_exactly() {
    // Word k appears 3 * (k + 1) times, in a scrambled order, with capitals
    // and punctuation that the count must see through.
    let mut words = Vec::new();
    for k in 0..40 {
        for n in 0..3 * (k + 1) {
            words.push(match n % 5 {
                0 => format!("W{k}."),
                1 => format!("(w{k},"),
                _ => format!("w{k}"),
            });
        }
    }
    let mut state: u64 = 1;
    for i in (1..words.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        words.swap(i, (state >> 33) as usize % (i + 1));
    }
    let text: String = words.chunks(7).map(|line| line.join(" ") + "\n").collect();
    let dir = TempDir::new().unwrap();
    let input = dir.path().join("known.txt");
    std::fs::write(&input, text).unwrap();

    let total: usize = (0..40).map(|k| 3 * (k + 1)).sum();
    for threads in ["1", "6"] {
        let run = recipe!("concurrent-map")
            .run([
                "--input",
                input.to_str().unwrap(),
                "--threads",
                threads,
                "--top",
                "100",
            ])
            .success();
        let expected: BTreeMap<String, usize> =
            (0..40).map(|k| (format!("w{k}"), 3 * (k + 1))).collect();
        assert_eq!(counts_printed(&run), expected, "{}", run.dump());
        assert_eq!(
            run.last_line(),
            format!(
                "DashMap count over {threads} threads equals the sequential count: {total} words, 40 distinct"
            )
        );
    }
}

#[test]
fn concurrent_map_generated_text_counts_the_same_with_any_thread_count() {
    let run_with = |threads: &str| {
        recipe!("concurrent-map")
            .run([
                "--words",
                "60000",
                "--seed",
                "7",
                "--threads",
                threads,
                "--top",
                "30",
            ])
            .success()
    };
    let one = run_with("1");
    let eight = run_with("8");
    assert_eq!(counts_printed(&one), counts_printed(&eight));
    assert_eq!(counts_printed(&one).values().sum::<usize>(), 60000);
    assert_eq!(
        eight.last_line(),
        "DashMap count over 8 threads equals the sequential count: 60000 words, 24 distinct"
    );
    // The seed picks the text: the same seed gives the same counts, pinned
    // here so that a change to the generator fails too.
    assert_eq!(counts_printed(&run_with("3")), counts_printed(&one));
    let pinned = [
        ("the", 5000),
        ("of", 4628),
        ("lock", 3512),
        ("thread", 3511),
        ("atomic", 2394),
        ("race", 677),
        ("shared", 104),
    ];
    for (word, count) in pinned {
        assert_eq!(counts_printed(&one).get(word), Some(&count), "{word}");
    }
    // Its first line, with the punctuation the count must see through.
    assert_eq!(
        one.lines()[0],
        "text: 60000 generated words, seed 7: atomic to, thread, be thread the in in is mutex on that ..."
    );
}

#[test]
fn concurrent_map_default_run_counts_the_generated_text() {
    let run = recipe!("concurrent-map").run(NO_ARGS).success();
    assert_eq!(counts_printed(&run).len(), 10, "the top ten words");
    assert_eq!(
        run.last_line(),
        "DashMap count over 4 threads equals the sequential count: 200000 words, 24 distinct"
    );
}

#[test]
fn concurrent_map_missing_input_is_a_one_line_error_naming_it() {
    recipe!("concurrent-map")
        .run(["--input", "no/such/words.txt"])
        .fails_with_one_line_naming("no/such/words.txt");
}

#[test]
fn concurrent_map_refuses_zero_threads_words_and_top() {
    for option in ["--threads", "--words", "--top"] {
        recipe!("concurrent-map")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
}

// ------------------------------------------------------- dining-philosophers

const PHILOSOPHERS: [&str; 5] = ["Socrates", "Hypatia", "Plato", "Aristotle", "Pythagoras"];

/// Replays the `takes fork` / `puts down fork` lines: each is printed under
/// that fork's lock and names the fork from the number inside it, so their
/// order is the real order of acquisition. Asserts that no fork is in two
/// hands, that every philosopher takes the lower-numbered fork first and eats
/// with both neighbouring forks, and eats `meals` meals in order.
fn assert_forks_taken_in_ascending_order(run: &Run, meals: u64) {
    let mut holder: [Option<&str>; 5] = [None; 5];
    let mut eaten: BTreeMap<&str, u64> = BTreeMap::new();
    for line in run.lines() {
        if let Some((name, fork)) = line.split_once(" takes fork ") {
            let fork: usize = fork.parse().expect(line);
            assert_eq!(holder[fork], None, "fork {fork} taken twice at: {line}");
            // The lock order: a fork taken while holding another is higher.
            assert!(
                (fork..5).all(|f| holder[f] != Some(name)),
                "{name} took fork {fork} after a higher-numbered one: {line}\n{}",
                run.dump()
            );
            holder[fork] = Some(name);
        } else if let Some((name, meal)) = line.split_once(" eats meal ") {
            let count = eaten.entry(name).or_default();
            *count += 1;
            assert_eq!(meal, count.to_string(), "meals out of order: {line}");
            let i = PHILOSOPHERS.iter().position(|p| *p == name).expect(line);
            let held: Vec<usize> = (0..5).filter(|&f| holder[f] == Some(name)).collect();
            let mut neighbours = vec![i, (i + 1) % 5];
            neighbours.sort();
            assert_eq!(held, neighbours, "{name} eats without both forks: {line}");
        } else if let Some((name, fork)) = line.split_once(" puts down fork ") {
            let fork: usize = fork.parse().expect(line);
            assert_eq!(holder[fork], Some(name), "{line}");
            holder[fork] = None;
        }
    }
    assert_eq!(holder, [None; 5]);
    for name in PHILOSOPHERS {
        assert_eq!(eaten.get(name), Some(&meals), "{name}\n{}", run.dump());
    }
    // The ordering rule: the last philosopher reaches for fork 0 first.
    let pythagoras = run.lines_starting_with("Pythagoras takes fork ");
    assert_eq!(pythagoras.len() as u64, 2 * meals);
    for pair in pythagoras.chunks(2) {
        assert_eq!(pair, ["Pythagoras takes fork 0", "Pythagoras takes fork 4"]);
    }
}

#[test]
fn dining_philosophers_take_forks_in_ascending_order_and_never_share_one() {
    let run = recipe!("dining-philosophers")
        .run(["--meals", "200"])
        .success();
    assert_forks_taken_in_ascending_order(&run, 200);
    assert_eq!(
        run.last_line(),
        "All 5 philosophers ate 200 meals each; every fork was used 400 times; no deadlock"
    );
}

#[test]
fn dining_philosophers_default_dinner_ends() {
    let run = recipe!("dining-philosophers").run(NO_ARGS).success();
    assert_forks_taken_in_ascending_order(&run, 3);
    assert_eq!(
        run.last_line(),
        "All 5 philosophers ate 3 meals each; every fork was used 6 times; no deadlock"
    );
}

#[test]
fn dining_philosophers_dinner_ends_on_one_core() {
    // Pinned to one CPU, a philosopher holding a fork can be preempted at any
    // point while the others run: the lock order must still let all finish.
    // (The harness's deadline turns a deadlock into a failure.)
    let run = recipe!("dining-philosophers")
        .on_one_cpu()
        .run(["--meals", "500"])
        .success();
    assert_forks_taken_in_ascending_order(&run, 500);
    assert_eq!(
        run.last_line(),
        "All 5 philosophers ate 500 meals each; every fork was used 1000 times; no deadlock"
    );
}

#[test]
fn dining_philosophers_refuses_zero_meals() {
    recipe!("dining-philosophers")
        .run(["--meals", "0"])
        .refused_by_clap_naming("--meals");
}

// ----------------------------------------------------------- atomic-patterns

/// The `progress: P % (N of T items)` lines: percents strictly increasing,
/// each matching its count, the last one 100 % of `total`.
fn assert_progress_reaches_exactly_100(run: &Run, total: u64) {
    let mut last = None;
    for line in run.lines_starting_with("progress: ") {
        let (percent, rest) = line["progress: ".len()..].split_once(" % (").expect(line);
        let (n, of) = rest.split_once(" of ").expect(line);
        let (percent, n): (u64, u64) = (percent.parse().expect(line), n.parse().expect(line));
        assert_eq!(of, format!("{total} items)"), "{line}");
        assert_eq!(percent, n * 100 / total, "{line}");
        assert!(
            last < Some(percent),
            "progress went back: {line}\n{}",
            run.dump()
        );
        last = Some(percent);
    }
    assert_eq!(last, Some(100), "{}", run.dump());
    run.value_of(&format!("progress: 100 % ({total} of {total} items)"));
}

/// Per thread `ids: thread t got G IDs, R refused`: G + R is what it asked
/// for; returns the sums of G and R.
fn ids_handed_out(run: &Run, threads: u64, asked: u64) -> (u64, u64) {
    let (mut got, mut refused) = (0, 0);
    for t in 0..threads {
        let line = run.value_of(&format!("ids: thread {t} got "));
        let (g, r) = line.split_once(" IDs, ").expect(line);
        let (g, r): (u64, u64) = (
            g.parse().expect(line),
            r.trim_end_matches(" refused").parse().expect(line),
        );
        assert_eq!(g + r, asked, "{line}");
        (got, refused) = (got + g, refused + r);
    }
    (got, refused)
}

#[test]
fn atomic_patterns_default_run_hands_out_1000_ids_and_reaches_100_percent() {
    let run = recipe!("atomic-patterns").run(NO_ARGS).success();
    assert_progress_reaches_exactly_100(&run, 400);
    assert_eq!(
        run.lines_starting_with("stop flag: the background thread stopped after ")
            .len(),
        1
    );
    assert_eq!(ids_handed_out(&run, 4, 300), (1000, 200));
    assert_eq!(
        run.value_of("ids: 1000 handed out, each once; "),
        "200 refused at --max-id 1000"
    );
    assert_eq!(
        run.last_line(),
        "All 4 threads agreed on one lazily initialised key"
    );
}

#[test]
fn atomic_patterns_ids_are_unique_under_contention_and_the_limit_is_kept() {
    // The threads start together and race for a million requests each: on
    // several cores a load then a store instead of `fetch_update` hands out
    // duplicates, which the recipe finds (it checks that the sorted IDs are
    // exactly 0, 1, 2, ...).
    let run = recipe!("atomic-patterns")
        .run(["--threads", "4", "--ids", "1000000", "--max-id", "3000000"])
        .success();
    assert_eq!(ids_handed_out(&run, 4, 1_000_000), (3_000_000, 1_000_000));
    run.value_of("ids: 3000000 handed out, each once; 1000000 refused at --max-id 3000000");
    // The smallest limit: one ID in all, every other request refused.
    let run = recipe!("atomic-patterns")
        .run(["--threads", "5", "--ids", "3", "--max-id", "1"])
        .success();
    assert_eq!(ids_handed_out(&run, 5, 3), (1, 14));
    run.value_of("ids: 1 handed out, each once; 14 refused at --max-id 1");
}

#[test]
fn atomic_patterns_progress_reaches_exactly_100_percent_and_the_stop_flag_ends_the_worker() {
    // The harness's deadline turns a stop flag nobody sees into a failure.
    for recipe in [
        recipe!("atomic-patterns"),
        recipe!("atomic-patterns").on_one_cpu(),
    ] {
        let run = recipe.run(["--threads", "3", "--items", "1000"]).success();
        assert_progress_reaches_exactly_100(&run, 3000);
        assert_eq!(
            run.lines_starting_with("stop flag: the background thread stopped after ")
                .len(),
            1
        );
    }
}

#[test]
fn atomic_patterns_racing_initialisers_agree_on_one_winner() {
    // The threads start together and making a candidate takes 20 ms, so
    // several find no key and race to set theirs: a plain store instead of
    // the compare-exchange lets each keep its own, and the recipe fails.
    for recipe in [
        recipe!("atomic-patterns"),
        recipe!("atomic-patterns").on_one_cpu(),
    ] {
        let run = recipe.run(["--threads", "8", "--items", "1"]).success();
        let candidates: Vec<String> = run
            .lines_starting_with("lazy init: thread ")
            .iter()
            .filter_map(|l| l.split_once(" found no key and made candidate "))
            .map(|(who, candidate)| {
                let t: u64 = who["lazy init: thread ".len()..].parse().expect(who);
                assert_eq!(candidate, (1000 + t).to_string());
                candidate.to_owned()
            })
            .collect();
        assert!(!candidates.is_empty(), "{}", run.dump());
        let keys: Vec<&str> = (0..8)
            .map(|t| run.value_of(&format!("lazy init: thread {t} sees key ")))
            .collect();
        assert!(keys.iter().all(|k| *k == keys[0]), "{}", run.dump());
        assert!(candidates.iter().any(|c| c == keys[0]), "{}", run.dump());
        assert_eq!(
            run.last_line(),
            "All 8 threads agreed on one lazily initialised key"
        );
    }
}

#[test]
fn atomic_patterns_refuses_zero_threads_ids_and_max_id() {
    for option in ["--threads", "--items", "--ids", "--max-id"] {
        recipe!("atomic-patterns")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
    recipe!("atomic-patterns").run(["--help"]).lists_options(&[
        "--threads",
        "--items",
        "--ids",
        "--max-id",
    ]);
}

// ----------------------------------------------------------- memory-ordering

/// The litmus outcome counts printed for `ordering`: `[00, 10, 01, 11]`.
fn litmus_outcomes(run: &Run, ordering: &str) -> [u64; 4] {
    let line = run.value_of(&format!("{ordering}: "));
    let counts: Vec<u64> = line
        .split(", ")
        .skip(1)
        .map(|part| {
            let (_, count) = part.rsplit_once(": ").expect("`r1 r2 = ...: count`");
            count.parse().expect("a count")
        })
        .collect();
    counts
        .try_into()
        .unwrap_or_else(|_| panic!("four outcome counts for {ordering}\n{}", run.dump()))
}

#[test]
fn memory_ordering_seq_cst_never_reads_both_zero_and_publishing_is_complete() {
    // 20000 rounds on two cores make the Relaxed and Release/Acquire runs read
    // both zero hundreds of times on x86 (not asserted: the hardware decides);
    // SeqCst forbids it in every round.
    let run = recipe!("memory-ordering")
        .run(["--values", "20000", "--rounds", "20000"])
        .success();
    assert_eq!(
        run.value_of("published 20000 values: "),
        "0 seen incomplete"
    );
    for ordering in ["Relaxed", "Release/Acquire", "SeqCst"] {
        let outcomes = litmus_outcomes(&run, ordering);
        // Every round ran once, and had exactly one outcome.
        assert_eq!(outcomes.iter().sum::<u64>(), 20_000, "{}", run.dump());
    }
    assert_eq!(litmus_outcomes(&run, "SeqCst")[0], 0, "{}", run.dump());
    assert_eq!(run.last_line(), "SeqCst rounds with both loads 0: 0");
}

#[test]
fn memory_ordering_rounds_rendezvous_on_one_core() {
    // On one core the spin rendezvous must yield, or each round would wait a
    // whole time slice; the counts still add up.
    let run = recipe!("memory-ordering")
        .on_one_cpu()
        .run(["--values", "500", "--rounds", "500"])
        .success();
    for ordering in ["Relaxed", "Release/Acquire", "SeqCst"] {
        assert_eq!(litmus_outcomes(&run, ordering).iter().sum::<u64>(), 500);
    }
    assert_eq!(run.last_line(), "SeqCst rounds with both loads 0: 0");
}

#[test]
fn memory_ordering_refuses_zero_rounds_and_values() {
    recipe!("memory-ordering")
        .run(["--rounds", "0"])
        .refused_by_clap_naming("--rounds");
    recipe!("memory-ordering")
        .run(["--values", "0"])
        .refused_by_clap_naming("--values");
    recipe!("memory-ordering")
        .run(["--help"])
        .lists_options(&["--values", "--rounds"]);
}

// ------------------------------------------------------------- false-sharing

#[test]
fn false_sharing_totals_are_exact_in_every_layout() {
    let run = recipe!("false-sharing")
        .run(["--threads", "4", "--increments", "1000000", "--runs", "1"])
        .success();
    for layout in [
        "sequential (one thread, one counter)",
        "shared (one AtomicU64 for all)",
        "packed (one cache line)",
        "padded (CachePadded)",
    ] {
        let line = run.value_of(&format!("{layout}: total "));
        // 4 threads x 1000000 increments, long enough to overlap; a thread that bumped a neighbour's
        // counter with a load and a store would lose some.
        assert!(line.starts_with("4000000 in "), "{layout}\n{}", run.dump());
    }
    assert_eq!(
        run.lines_starting_with("padded is ").len(),
        1,
        "{}",
        run.dump()
    );
    // Packed: side by side; padded: each counter alone in a cache line (at
    // least 64 bytes; crossbeam pads to 128 on x86_64 and aarch64).
    let (packed, padded) = run
        .value_of("counters ")
        .split_once(" bytes apart packed, ")
        .expect("both strides");
    assert_eq!(packed, "8", "{}", run.dump());
    let padded: u64 = padded
        .trim_end_matches(" bytes apart padded")
        .parse()
        .expect("a number of bytes");
    assert!(padded >= 64, "{}", run.dump());
    assert_eq!(run.last_line(), "Totals exact in every layout: 4000000");
}

#[test]
fn false_sharing_one_thread_and_one_core_still_count_exactly() {
    let run = recipe!("false-sharing")
        .run(["--threads", "1", "--increments", "7", "--runs", "3"])
        .success();
    assert_eq!(run.last_line(), "Totals exact in every layout: 7");
    let run = recipe!("false-sharing")
        .on_one_cpu()
        .run(["--threads", "3", "--increments", "10000", "--runs", "1"])
        .success();
    assert_eq!(run.last_line(), "Totals exact in every layout: 30000");
}

#[test]
fn false_sharing_refuses_zero_threads_increments_and_runs() {
    for option in ["--threads", "--increments", "--runs"] {
        recipe!("false-sharing")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
    recipe!("false-sharing").run(["--help"]).lists_options(&[
        "--threads",
        "--increments",
        "--runs",
    ]);
}

// ---------------------------------------------------------- arc-from-scratch

/// Checks an arc-from-scratch run with `threads` threads: every thread read
/// the value (with get_mut's 11 added, 1..=11 sums to 66); the value was
/// dropped exactly once, after every read; the Weak could not upgrade after.
fn assert_dropped_once_after_every_read(run: &Run, threads: usize) {
    let counts = run.line_counts();
    for i in 0..threads {
        assert_eq!(
            counts.get(format!("thread {i} reads a sum of 66").as_str()),
            Some(&1),
            "thread {i} should read once\n{}",
            run.dump()
        );
    }
    let reads = positions_starting_with(run, "thread ");
    assert_eq!(reads.len(), threads, "{}", run.dump());
    let drops = positions_starting_with(run, "value dropped on thread ");
    assert_eq!(
        drops.len(),
        1,
        "dropped more or less than once\n{}",
        run.dump()
    );
    assert!(
        reads.iter().all(|&read| read < drops[0]),
        "the value was dropped before a thread read it\n{}",
        run.dump()
    );
    assert!(run.lines()[drops[0]].ends_with("(drop number 1)"));
    assert_eq!(run.value_of("get_mut beside a Weak: "), "None");
    assert_eq!(run.value_of("upgrade after the last Arc: "), "None");
    assert_eq!(run.last_line(), "Drops: 1");
}

#[test]
fn arc_from_scratch_drops_the_value_once_after_the_last_clone() {
    let run = recipe!("arc-from-scratch").run(NO_ARGS).success();
    assert_dropped_once_after_every_read(&run, 4);
    let run = recipe!("arc-from-scratch")
        .run(["--threads", "32"])
        .success();
    assert_dropped_once_after_every_read(&run, 32);
}

#[test]
fn arc_from_scratch_one_thread_and_one_core() {
    let run = recipe!("arc-from-scratch")
        .run(["--threads", "1"])
        .success();
    assert_dropped_once_after_every_read(&run, 1);
    let run = recipe!("arc-from-scratch")
        .on_one_cpu()
        .run(["--threads", "8"])
        .success();
    assert_dropped_once_after_every_read(&run, 8);
}

#[test]
fn arc_from_scratch_refuses_zero_threads() {
    recipe!("arc-from-scratch")
        .run(["--threads", "0"])
        .refused_by_clap_naming("--threads");
    recipe!("arc-from-scratch")
        .run(["--help"])
        .lists_options(&["--threads"]);
}

/// The library's `Arc` itself: a cloned `Weak` upgrades while an `Arc`
/// lives, and neither upgrades once the last `Arc` is gone.
#[test]
fn arc_from_scratch_cloned_weaks_upgrade_until_the_last_arc_goes() {
    use examples_shared_state::arc::Arc;
    let arc = Arc::new(String::from("shared"));
    let weak = Arc::downgrade(&arc);
    let clone = weak.clone();
    assert_eq!(
        clone.upgrade().as_deref().map(String::as_str),
        Some("shared")
    );
    drop(arc);
    assert!(weak.upgrade().is_none() && clone.upgrade().is_none());
}
