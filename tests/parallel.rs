//! Integration tests of the `examples-parallel` recipes: each runs the real
//! binary under a deadline and checks what holds however rayon split the work.

mod common;

use common::{NO_ARGS, catalogue};

#[test]
fn every_parallel_recipe_is_in_the_readme_and_tested() {
    catalogue::check(env!("CARGO_MANIFEST_DIR"), "parallel.rs");
}

// ----------------------------------------------------------- par-iter-basics

#[test]
fn par_iter_basics_processes_every_item_once_and_sums_to_55() {
    let run = recipe!("par-iter-basics")
        .run(["--items", "10", "--sleep-ms", "5"])
        .success();
    assert_eq!(run.lines()[0], "Sum is 55");
    let counts = run.line_counts();
    for num in 1..=10 {
        let line = format!("Processing number: {num}");
        assert_eq!(
            counts.get(line.as_str()),
            Some(&1),
            "{line:?} should appear exactly once\n{}",
            run.dump()
        );
    }
    assert_eq!(run.lines_starting_with("Processing number: ").len(), 10);
    assert_eq!(
        run.last_line(),
        "All 10 numbers processed in parallel; sum of 1..=10 is 55"
    );
}

#[test]
fn par_iter_basics_defaults_are_the_seed_examples() {
    let run = recipe!("par-iter-basics").run(NO_ARGS).success();
    assert_eq!(run.lines_starting_with("Processing number: ").len(), 10);
    assert!(
        run.value_of("for_each over 10 items of 100 ms took")
            .ends_with("a sequential loop needs 1.00 s"),
        "{}",
        run.dump()
    );
    assert_eq!(
        run.last_line(),
        "All 10 numbers processed in parallel; sum of 1..=10 is 55"
    );
}

#[test]
fn par_iter_basics_refuses_zero_items() {
    recipe!("par-iter-basics")
        .run(["--items", "0"])
        .fails_with_one_line_naming("--items");
}
