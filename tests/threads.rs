//! Integration tests of the `examples-threads` recipes: each runs the real
//! binary under a deadline and checks what holds in every interleaving.

mod common;

use common::{NO_ARGS, catalogue};

#[test]
fn every_threads_recipe_is_in_the_readme_and_tested() {
    catalogue::check(env!("CARGO_MANIFEST_DIR"), "threads.rs");
}

// ---------------------------------------------------------------- spawn-join

#[test]
fn spawn_join_every_thread_reports_once_and_parts_add_up() {
    let run = recipe!("spawn-join")
        .run(["--threads", "7", "--n", "1000"])
        .success();
    for i in 0..7 {
        let started = run.lines_starting_with(&format!("thread {i}: "));
        assert_eq!(
            started.len(),
            1,
            "thread {i} should report once\n{}",
            run.dump()
        );
    }
    let parts: Vec<u64> = (0..7)
        .map(|i| run.parsed(&format!("joined thread {i}: ")))
        .collect();
    // The joined lines come in spawn order, whatever order the threads ran in.
    let joined = run.lines_starting_with("joined thread ");
    let expected: Vec<String> = (0..7)
        .map(|i| format!("joined thread {i}: {}", parts[i]))
        .collect();
    assert_eq!(joined, expected);
    assert_eq!(parts.iter().sum::<u64>(), 1000 * 1001 / 2);
    assert_eq!(run.last_line(), "Total of 1..=1000 over 7 threads: 500500");
}

#[test]
fn spawn_join_default_total_is_the_closed_form() {
    let run = recipe!("spawn-join").run(NO_ARGS).success();
    assert_eq!(run.lines_starting_with("thread ").len(), 5);
    assert_eq!(
        run.last_line(),
        "Total of 1..=1000000 over 5 threads: 500000500000"
    );
}

#[test]
fn spawn_join_more_threads_than_numbers_still_adds_up() {
    let run = recipe!("spawn-join")
        .run(["--threads", "8", "--n", "3"])
        .success();
    assert_eq!(run.last_line(), "Total of 1..=3 over 8 threads: 6");
}

#[test]
fn spawn_join_refuses_zero_threads() {
    recipe!("spawn-join")
        .run(["--threads", "0"])
        .fails_with_one_line_naming("--threads");
}
