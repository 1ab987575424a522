//! Integration tests of the `examples-threads` recipes: each runs the real
//! binary under a deadline and checks what holds in every interleaving.

mod common;

use std::fs;

use common::{NO_ARGS, TempDir, catalogue};

// The fractal's kernels, to check them directly: the row assembly, the palette,
// the expected image rendered row by row in order.
#[allow(dead_code, reason = "the tests call the kernel, not the recipe's main")]
#[path = "../examples-threads/src/bin/fractal.rs"]
mod fractal;

// dir-size's shared totals, to race many threads on them.
#[allow(dead_code, reason = "the tests call the totals, not the recipe's main")]
#[path = "../examples-threads/src/bin/dir-size.rs"]
mod dir_size;

/// The default size of the recipes' pools, asked the way they ask it. (Not
/// `available_parallelism()`: under a fractional cgroup quota, such as
/// `docker --cpus=1.5`, `num_cpus` rounds up and std rounds down.)
fn cores() -> usize {
    num_cpus::get()
}

#[test]
fn every_threads_recipe_is_in_the_readme_and_tested() {
    catalogue::check(env!("CARGO_MANIFEST_DIR"), "threads.rs");
}

#[test]
fn every_recipe_ends_quietly_when_its_stdout_is_closed() {
    common::every_recipe_ends_quietly_on_a_closed_stdout(
        env!("CARGO_MANIFEST_DIR"),
        env!("CARGO_BIN_EXE_spawn-join"),
    );
}

#[test]
fn every_recipe_explains_its_options_with_help() {
    let runs = [
        (
            recipe!("spawn-join").run(["--help"]),
            &["--threads", "--n"][..],
        ),
        (
            recipe!("short-lived-threads").run(["--help"]),
            &["--len", "--cutoff", "--seed"],
        ),
        (recipe!("thread-builder").run(["--help"]), &[]),
        (recipe!("available-parallelism").run(["--help"]), &[]),
        (
            recipe!("sha256-files").run(["--help"]),
            &["[DIR]", "--ext", "--follow-links", "--threads"],
        ),
        (
            recipe!("fractal").run(["--help"]),
            &["--width", "--height", "--output", "--threads"],
        ),
        (recipe!("dir-size").run(["--help"]), &["[DIR]", "--threads"]),
    ];
    for (run, options) in runs {
        run.lists_options(options);
    }
}

#[test]
fn recipes_without_options_refuse_a_mistyped_one() {
    for run in [
        recipe!("thread-builder").run(["--threads", "4"]),
        recipe!("available-parallelism").run(["--physical"]),
    ] {
        let run = run.failure();
        assert!(run.stderr.contains("unexpected argument"), "{}", run.dump());
        assert!(run.stdout.is_empty(), "{}", run.dump());
    }
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
fn spawn_join_refuses_options_out_of_range() {
    for threads in ["0", "1025"] {
        recipe!("spawn-join")
            .run(["--threads", threads])
            .refused_by_clap_naming("--threads");
    }
    recipe!("spawn-join")
        .run(["--n", "2147483649"])
        .refused_by_clap_naming("--n");
}

// ------------------------------------------------------- short-lived-threads

#[test]
fn short_lived_threads_cookbook_slice_max_is_25_both_ways() {
    let run = recipe!("short-lived-threads")
        .run(["--len", "1000", "--cutoff", "10"])
        .success();
    let small: Vec<&str> = run.lines().into_iter().take(3).collect();
    assert_eq!(
        small,
        [
            "small slice [1, 25, -4, 10]",
            "  crossbeam::scope max: Some(25)",
            "  std::thread::scope max: Some(25)",
        ]
    );
}

#[test]
fn short_lived_threads_large_slice_max_equals_sequential_max() {
    // Known maxima of the generated slices, from an independent SplitMix64
    // (a Python transcription): they pin the generator and the seed too.
    for (len, cutoff, seed, known_max) in [
        ("100000", "1000", "1", "Some(999959101)"),
        ("99999", "7", "2", "Some(999962319)"),
        ("3", "2", "3", "Some(956744342)"),
    ] {
        let run = recipe!("short-lived-threads")
            .run(["--len", len, "--cutoff", cutoff, "--seed", seed])
            .success();
        let sequential = run.value_of("  iter().max():").to_owned();
        assert_eq!(sequential, known_max, "{}", run.dump());
        let crossbeam = run.lines_starting_with("  crossbeam::scope max: ");
        let std = run.lines_starting_with("  std::thread::scope max: ");
        // The second line of each pair is the generated slice's maximum.
        assert!(crossbeam[1].contains(&sequential), "{}", run.dump());
        assert!(std[1].contains(&sequential), "{}", run.dump());
        assert_eq!(run.last_line(), format!("All maxima agree: {sequential}"));
    }
}

#[test]
fn short_lived_threads_spawn_one_thread_per_split() {
    // 1024 numbers, cutoff 128: splits at 1024, 512 (x2), 256 (x4) = 7 threads.
    let run = recipe!("short-lived-threads")
        .run(["--len", "1024", "--cutoff", "128"])
        .success();
    let crossbeam = run.lines_starting_with("  crossbeam::scope max: ");
    assert!(crossbeam[1].ends_with("(7 threads)"), "{}", run.dump());
    let std = run.lines_starting_with("  std::thread::scope max: ");
    assert!(std[1].ends_with("(7 threads)"), "{}", run.dump());
}

#[test]
fn short_lived_threads_empty_slice_has_no_max() {
    let run = recipe!("short-lived-threads").run(["--len", "0"]).success();
    assert_eq!(run.last_line(), "All maxima agree: None");
}

#[test]
fn short_lived_threads_refuses_options_out_of_range() {
    recipe!("short-lived-threads")
        .run(["--cutoff", "1"])
        .refused_by_clap_naming("--cutoff");
    recipe!("short-lived-threads")
        .run(["--len", "100000001"])
        .refused_by_clap_naming("--len");
}

// ------------------------------------------------------------ thread-builder

#[test]
fn thread_builder_names_threads_and_catches_the_panic() {
    let run = recipe!("thread-builder").run(NO_ARGS).success();
    assert_eq!(
        run.lines()[0].split(", id").next(),
        Some("main thread: name Some(\"main\")")
    );
    // Each named worker reports its own name and stack size once, in any order.
    for (name, stack) in [("worker-small-stack", 65536), ("worker-big-stack", 8388608)] {
        let lines = run.lines_starting_with(&format!(
            "{name}: running, asked for a {stack}-byte stack, id "
        ));
        assert_eq!(lines.len(), 1, "{}", run.dump());
        assert_eq!(
            run.value_of(&format!("joined {name}: returned ")),
            name.len().to_string()
        );
    }
    assert_eq!(
        run.value_of("caught the panic of thread 'doomed':"),
        "the answer was not 42"
    );
    // The OS thread carries the name: the panic hook reports it on stderr.
    assert!(run.stderr.contains("thread 'doomed'"), "{}", run.dump());
    assert!(
        run.stderr.contains("the answer was not 42"),
        "{}",
        run.dump()
    );
    assert_eq!(
        run.last_line(),
        "main is still running: 3 threads spawned, 1 panic caught"
    );
}

// ----------------------------------------------------- available-parallelism

fn cpu_counts(run: &common::Run) -> (usize, usize, usize) {
    (
        run.parsed("num_cpus::get(): "),
        run.parsed("num_cpus::get_physical(): "),
        run.parsed("std::thread::available_parallelism(): "),
    )
}

#[test]
fn available_parallelism_reports_three_positive_counts() {
    let run = recipe!("available-parallelism").run(NO_ARGS).success();
    let (logical, physical, available) = cpu_counts(&run);
    assert!(
        logical > 0 && physical > 0 && available > 0,
        "{}",
        run.dump()
    );
    // Each logical count honours the same affinity mask and quota as this
    // test process, which asks both libraries too.
    let ours = (
        num_cpus::get(),
        std::thread::available_parallelism().unwrap().get(),
    );
    assert_eq!((logical, available), ours, "{}", run.dump());
    assert_eq!(
        run.last_line(),
        format!(
            "Summary: {logical} logical CPUs, {physical} physical cores, available parallelism {available}"
        )
    );
}

#[cfg(target_os = "linux")]
#[test]
fn available_parallelism_logical_counts_follow_taskset() {
    let run = recipe!("available-parallelism")
        .on_one_cpu()
        .run(NO_ARGS)
        .success();
    let (logical, physical, available) = cpu_counts(&run);
    assert_eq!((logical, available), (1, 1), "{}", run.dump());
    assert!(physical >= 1, "{}", run.dump());
}

// -------------------------------------------------------------- sha256-files

const SHA256_EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SHA256_ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
/// FIPS 180-2's long test vector: one million `a`, read across many 64 KiB blocks.
const SHA256_MILLION_A: &str = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
/// `nested/big.Iso` of [`iso_tree`]: 5 MiB of `(i * 7 % 251) as u8`, 80 reads of
/// 64 KiB (digest computed once with coreutils `sha256sum`).
const SHA256_BIG: &str = "2947aa58ae6f8b514f9a843dc6184f20b37993eac71bc21f3e6f4252a68d59b0";

/// A tree with known digests, mixed-case extensions and files to skip.
fn iso_tree() -> TempDir {
    let dir = TempDir::new().unwrap();
    let write = |name: &str, contents: &[u8]| {
        let path = dir.path().join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    };
    write("empty.iso", b"");
    write("abc.iso", b"abc");
    write("nested/deeper/million-a.ISO", &vec![b'a'; 1_000_000]);
    // Several MiB of varied bytes: `SHA256_BIG`.
    write(
        "nested/big.Iso",
        &(0..5 * 1024 * 1024)
            .map(|i: u32| (i * 7 % 251) as u8)
            .collect::<Vec<_>>(),
    );
    write("nested/abc.txt", b"abc");
    write("iso", b"no extension");
    dir
}

/// The `(digest, path)` pairs of a `sha256sum`-format output.
fn sums(stdout: &str) -> Vec<(&str, &str)> {
    stdout
        .lines()
        .map(|line| {
            line.split_once("  ")
                .unwrap_or_else(|| panic!("not sha256sum format: {line:?}"))
        })
        .collect()
}

#[test]
fn sha256_files_known_answers_sorted_by_path() {
    let tree = iso_tree();
    let root = tree.path().display().to_string();
    let run = recipe!("sha256-files")
        .run([root.as_str(), "--threads", "3"])
        .success();
    let sums = sums(&run.stdout);
    let paths: Vec<String> = sums.iter().map(|(_, p)| p.to_string()).collect();
    let expected_paths: Vec<String> = [
        "abc.iso",
        "empty.iso",
        "nested/big.Iso",
        "nested/deeper/million-a.ISO",
    ]
    .iter()
    .map(|p| format!("{root}/{p}"))
    .collect();
    assert_eq!(paths, expected_paths, "{}", run.dump());
    assert_eq!(sums[0].0, SHA256_ABC);
    assert_eq!(sums[1].0, SHA256_EMPTY);
    assert_eq!(sums[2].0, SHA256_BIG);
    assert_eq!(sums[3].0, SHA256_MILLION_A);
    assert!(run.stderr.ends_with(&format!(
        "Hashed 4 *.iso files under {root} with 3 threads, 0 failed\n"
    )));
}

#[cfg(target_os = "linux")]
#[test]
fn sha256_files_output_is_accepted_by_sha256sum_check() {
    let tree = iso_tree();
    let run = recipe!("sha256-files").run([tree.path()]).success();
    let sums_file = tree.path().join("SUMS");
    fs::write(&sums_file, &run.stdout).unwrap();
    let check = std::process::Command::new("sha256sum")
        .args(["--check", "--strict"])
        .arg(&sums_file)
        .output()
        .expect("running coreutils sha256sum");
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "sha256sum -c rejected the output:\n{report}\n{}",
        run.dump()
    );
    assert_eq!(
        report.lines().filter(|l| l.ends_with(": OK")).count(),
        4,
        "{report}"
    );
}

#[test]
fn sha256_files_extension_option_is_case_insensitive() {
    let tree = iso_tree();
    let run = recipe!("sha256-files")
        .run([tree.path().to_str().unwrap(), "--ext", ".TXT"])
        .success();
    let sums = sums(&run.stdout);
    assert_eq!(sums.len(), 1, "{}", run.dump());
    assert_eq!(sums[0].0, SHA256_ABC);
    assert!(sums[0].1.ends_with("nested/abc.txt"));
}

#[cfg(unix)]
#[test]
fn sha256_files_broken_link_is_reported_and_the_rest_are_hashed() {
    let tree = iso_tree();
    std::os::unix::fs::symlink(
        tree.path().join("missing-target"),
        tree.path().join("broken.iso"),
    )
    .unwrap();
    // Links are not followed by default: the broken one is simply skipped.
    let run = recipe!("sha256-files").run([tree.path()]).success();
    assert_eq!(sums(&run.stdout).len(), 4);
    // Followed, it cannot be read: one failure, every other file still hashed.
    let run = recipe!("sha256-files")
        .run([tree.path().to_str().unwrap(), "--follow-links"])
        .failure();
    assert_eq!(sums(&run.stdout).len(), 4, "{}", run.dump());
    assert!(run.stderr.contains("broken.iso"), "{}", run.dump());
    assert!(run.stderr.contains(", 1 failed"), "{}", run.dump());
}

/// A file whose `read` fails even for root: `/proc/self/mem` at offset 0
/// (an unmapped address) returns EIO. Reached through a followed link.
#[cfg(target_os = "linux")]
#[test]
fn sha256_files_unreadable_file_is_reported_and_the_rest_are_hashed() {
    let tree = iso_tree();
    std::os::unix::fs::symlink("/proc/self/mem", tree.path().join("unreadable.iso")).unwrap();
    let run = recipe!("sha256-files")
        .run([
            tree.path().to_str().unwrap(),
            "--follow-links",
            "--threads",
            "2",
        ])
        .failure();
    let hashed: Vec<&str> = sums(&run.stdout).iter().map(|(d, _)| *d).collect();
    assert_eq!(hashed.len(), 4, "{}", run.dump());
    assert!(hashed.contains(&SHA256_MILLION_A));
    let error = run
        .stderr
        .lines()
        .find(|l| l.contains("unreadable.iso"))
        .unwrap_or_else(|| panic!("{}", run.dump()));
    assert!(error.starts_with("sha256-files: "), "{error}");
    assert!(run.stderr.contains(", 1 failed"), "{}", run.dump());
}

/// The `*.iso` files of the default demo tree and their digests, sorted by
/// path: the demo generator pinned (the digests of its xorshift pattern were
/// computed independently, by a Python transcription and `hashlib`).
const DEMO_SUMS: [(&str, &str); 7] = [
    (SHA256_ABC, "abc.iso"),
    (SHA256_EMPTY, "empty.iso"),
    (
        "0856214052c6179cdc6b55a7d11f92c66d45efc2a28af530e2f10b1444586a41",
        "images/alpine-virt.ISO",
    ),
    (
        "05897e9aca4c9046a890254febf5ce00dbc51dd57e24dc9ed297f2db347b42af",
        "images/debian-netinst.iso",
    ),
    (
        "1dec2d4ce43ad4fb609d5ec604ed9cc5a602f5930c9726e553dbcf5b4d51ee3a",
        "images/old/freedos.Iso",
    ),
    (
        "8ab293428ec74a7f6d34d90cd90035f66556c6a45ad1ec122b846a57a47fa2f9",
        "images/old/memtest.iso",
    ),
    (
        "63632647668da7e4159775cd7c879969c9aeb6a88b42567ca5851271ab252fe8",
        "images/old/very/deep/rescue.iso",
    ),
];

/// The demo tree a run of sha256-files hashed, from its summary (stderr's
/// only line when nothing failed).
fn sha256_demo_tree(run: &common::Run) -> &str {
    let summary = run.stderr.strip_prefix("Hashed 7 *.iso files under ");
    let tree = summary.and_then(|s| s.split(" with ").next());
    tree.unwrap_or_else(|| panic!("{}", run.dump()))
}

#[test]
fn sha256_files_default_demo_tree_hashes_every_iso() {
    let run = recipe!("sha256-files").run(NO_ARGS).success();
    let tree = format!("{}/", sha256_demo_tree(&run));
    let relative: Vec<(&str, &str)> = sums(&run.stdout)
        .into_iter()
        .map(|(digest, path)| (digest, path.strip_prefix(&tree).unwrap_or(path)))
        .collect();
    assert_eq!(relative, DEMO_SUMS, "{}", run.dump());
    // Without --threads the pool has one worker per logical CPU.
    assert!(
        run.stderr
            .ends_with(&format!(" with {} threads, 0 failed\n", cores())),
        "{}",
        run.dump()
    );
}

/// Runs `recipe` twice at once with one shared `TMPDIR`; returns the two runs.
fn two_runs_at_once(recipe: &common::Recipe, tmpdir: &std::path::Path) -> [common::Run; 2] {
    std::thread::scope(|s| {
        let runs = [(); 2].map(|()| s.spawn(|| recipe.run_in(tmpdir, NO_ARGS)));
        runs.map(|run| run.join().expect("the run's thread does not panic"))
    })
}

/// The demo trees of two runs at once, with one `TMPDIR`: each run's own
/// directory, both still there afterwards at the printed paths.
fn assert_own_demo_trees(prefix: &str, tmpdir: &std::path::Path, printed: [&str; 2]) {
    assert_ne!(printed[0], printed[1], "two runs shared a demo tree");
    for tree in printed {
        let tree = std::path::Path::new(tree);
        assert_eq!(tree.parent(), Some(tmpdir), "{}", tree.display());
        let name = tree.file_name().unwrap().to_string_lossy();
        assert!(name.starts_with(prefix), "{name}");
        assert!(tree.is_dir(), "{} was not kept", tree.display());
    }
}

#[test]
fn sha256_files_runs_at_once_each_hash_their_own_demo_tree() {
    let tmp = TempDir::new().unwrap();
    let runs = two_runs_at_once(&recipe!("sha256-files"), tmp.path());
    let trees = runs.each_ref().map(sha256_demo_tree);
    assert_own_demo_trees("sha256-files-demo-", tmp.path(), trees);
    for (run, tree) in runs.iter().zip(trees) {
        assert_eq!(run.code, Some(0), "{}", run.dump());
        let sums = sums(&run.stdout);
        assert_eq!(sums.len(), 7, "{}", run.dump());
        assert!(sums.iter().all(|(_, path)| path.starts_with(tree)));
    }
}

#[test]
fn sha256_files_missing_directory_is_a_one_line_error() {
    recipe!("sha256-files")
        .run(["no/such/dir"])
        .fails_with_one_line_naming("no/such/dir: no such directory");
}

#[test]
fn sha256_files_refuses_a_thread_count_out_of_range() {
    for threads in ["0", "1025"] {
        recipe!("sha256-files")
            .run(["--threads", threads])
            .refused_by_clap_naming("--threads");
    }
}

// ------------------------------------------------------------------- fractal

/// SHA-256 of the 240x135 image's RGB bytes, rows in order (computed
/// independently of the recipe, by a Python transcription of the cookbook's
/// formulas with f32 arithmetic in the palette).
const FRACTAL_240X135_RGB: &str =
    "993d00777a258cf796a05059d1edf7411b284a939fdaabb5084f8f01ce312c87";

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn render_fractal(dir: &std::path::Path, name: &str, extra: &[&str]) -> (Vec<u8>, image::RgbImage) {
    let output = dir.join(name);
    let mut args = vec!["--output", output.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = recipe!("fractal").run(&args).success();
    assert_eq!(
        run.value_of("Wrote").split(" PNG to ").nth(1),
        Some(output.to_str().unwrap())
    );
    let bytes = fs::read(&output).unwrap();
    let image = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{name} is not a PNG: {e}"))
        .to_rgb8();
    (bytes, image)
}

/// The cookbook's palette at known wavelengths (worked by hand from its
/// formula: a factor of 0.3 at both ends, then a gamma of 0.8).
#[test]
fn fractal_palette_gives_known_colours() {
    for (wavelength, rgb) in [
        (379, [0, 0, 0]),
        (380, [97, 0, 97]),
        (400, [130, 0, 180]),
        (440, [0, 0, 255]),
        (460, [0, 122, 255]),
        (490, [0, 255, 255]),
        (500, [0, 255, 146]),
        (510, [0, 255, 0]),
        (545, [146, 255, 0]),
        (580, [255, 255, 0]),
        (600, [255, 190, 0]),
        (645, [255, 0, 0]),
        (700, [255, 0, 0]),
        (740, [180, 0, 0]),
        (780, [97, 0, 0]),
        (781, [0, 0, 0]),
    ] {
        assert_eq!(
            fractal::wavelength_to_rgb(wavelength),
            rgb,
            "{wavelength} nm"
        );
    }
}

/// Rows arrive from the pool in any order; each must land at its own `y`,
/// not at the place of its arrival. Here they come shuffled, for certain.
#[test]
fn fractal_rows_are_placed_by_their_y_whatever_order_they_arrive_in() {
    let (width, height) = (2, 5);
    let row = |y: u32| (y, vec![y as u8 + 1; width as usize * 3]);
    let pixels = fractal::assemble([3, 0, 4, 2, 1].map(row), width, height).unwrap();
    let in_order: Vec<u8> = (0..height).flat_map(|y| row(y).1).collect();
    assert_eq!(pixels, in_order);
    // A missing row (its job panicked) is an error, not a black stripe.
    let error = fractal::assemble([3, 0, 4, 1].map(row), width, height).unwrap_err();
    assert_eq!(error.to_string(), "1 of 5 row jobs panicked");
}

#[test]
fn fractal_png_has_the_asked_size_and_is_point_symmetric() {
    let dir = TempDir::new().unwrap();
    // Even and odd sizes: an odd size has a centre pixel mapped onto itself.
    for (w, h) in [(160u32, 90u32), (101, 61)] {
        let (_, image) = render_fractal(
            dir.path(),
            "julia.png",
            &["--width", &w.to_string(), "--height", &h.to_string()],
        );
        assert_eq!(image.dimensions(), (w, h));
        for (x, y, pixel) in image.enumerate_pixels() {
            assert_eq!(
                pixel,
                image.get_pixel(w - 1 - x, h - 1 - y),
                "pixel ({x}, {y}) of {w}x{h}"
            );
        }
        // A blank or one-colour image would be symmetric too: demand a real picture.
        let colours: std::collections::HashSet<_> = image.pixels().collect();
        assert!(
            colours.len() > 20,
            "only {} colours in {w}x{h}",
            colours.len()
        );
    }
}

#[test]
fn fractal_threaded_render_equals_single_threaded_byte_for_byte() {
    let dir = TempDir::new().unwrap();
    let size = ["--width", "240", "--height", "135"];
    let (one, _) = render_fractal(
        dir.path(),
        "one.png",
        &[&size[..], &["--threads", "1"]].concat(),
    );
    let (default, _) = render_fractal(dir.path(), "default.png", &size);
    let (many, many_image) = render_fractal(
        dir.path(),
        "many.png",
        &[&size[..], &["--threads", "7"]].concat(),
    );
    // Rows from seven workers arrive in any order; each must land at its `y`.
    let in_order: Vec<u8> = (0..135)
        .flat_map(|y| fractal::render_row(y, 240, 135))
        .collect();
    assert!(
        many_image.into_raw() == in_order,
        "the 7-thread image differs from its rows rendered in order"
    );
    // A known answer too, so a bug shared by every thread count fails.
    assert_eq!(sha256_hex(&in_order), FRACTAL_240X135_RGB);
    assert!(
        one == default,
        "the default-threads PNG differs from the one-thread PNG"
    );
    assert!(
        one == many,
        "the 7-thread PNG differs from the one-thread PNG"
    );
}

#[test]
fn fractal_default_output_goes_to_the_temp_directory() {
    let dir = TempDir::new().unwrap();
    let run = recipe!("fractal")
        .run_in(dir.path(), ["--width", "64", "--height", "36"])
        .success();
    // One job per row, on a pool with one worker per logical CPU.
    assert!(
        run.value_of("Rendered 64x36 Julia set")
            .contains(&format!(": 36 row jobs on {} threads in ", cores())),
        "{}",
        run.dump()
    );
    let expected = dir.path().join("fractal.png");
    assert_eq!(
        run.last_line(),
        format!("Wrote 64x36 PNG to {}", expected.display())
    );
    assert!(image::open(&expected).is_ok());
}

#[test]
fn fractal_refuses_zero_and_absurd_sizes() {
    recipe!("fractal")
        .run(["--width", "0"])
        .refused_by_clap_naming("--width");
    recipe!("fractal")
        .run(["--height", "16385"])
        .refused_by_clap_naming("--height");
    // Each side in range, the area not: the recipe's own check.
    recipe!("fractal")
        .run(["--width", "16384", "--height", "16384"])
        .fails_with_one_line_naming("megapixels");
    for threads in ["0", "1025"] {
        recipe!("fractal")
            .run(["--threads", threads])
            .refused_by_clap_naming("--threads");
    }
}

#[test]
fn fractal_unwritable_output_is_a_one_line_error() {
    recipe!("fractal")
        .run([
            "--width",
            "8",
            "--height",
            "8",
            "--output",
            "no/such/dir/julia.png",
        ])
        .fails_with_one_line_naming("no/such/dir/julia.png");
}

/// `/dev/full` refuses every write with ENOSPC. A 10x10 PNG fits in the
/// buffer of a `BufWriter`, whose drop swallows the error of its last write:
/// the recipe must own the writer, flush it, and report the failure.
#[cfg(target_os = "linux")]
#[test]
fn fractal_output_to_a_full_device_is_a_one_line_error() {
    use std::os::unix::fs::FileTypeExt;
    let run = recipe!("fractal")
        .run(["--width", "10", "--height", "10", "--output", "/dev/full"])
        .fails_with_one_line_naming("/dev/full");
    assert!(
        run.stderr.contains("No space left on device"),
        "{}",
        run.dump()
    );
    assert!(
        run.lines_starting_with("Wrote").is_empty(),
        "{}",
        run.dump()
    );
    // Written to in place, never renamed over: it is still the device.
    let full = fs::metadata("/dev/full").unwrap();
    assert!(full.file_type().is_char_device());
}

/// A write that fails half-way, even for root: past a file-size limit
/// (`ulimit -f`, in 512-byte blocks) `write` fails with EFBIG (SIGXFSZ is
/// ignored, so the recipe sees the error instead of being killed). The PNG is
/// written under a temporary name and renamed into place, so nothing is left
/// under the final name and a file already there keeps its contents.
#[cfg(target_os = "linux")]
#[test]
fn fractal_failed_write_leaves_no_file_under_the_final_name() {
    let dir = TempDir::new().unwrap();
    let limited =
        recipe!("fractal").under(["sh", "-c", "trap '' XFSZ; ulimit -f 8; exec \"$0\" \"$@\""]);
    let (fresh, existing) = (
        dir.path().join("fresh.png"),
        dir.path().join("existing.png"),
    );
    fs::write(&existing, b"the previous picture").unwrap();
    for output in [&fresh, &existing] {
        let output = output.to_str().unwrap();
        // 320x240 is a PNG of well over 4 KiB.
        let run = limited
            .run(["--width", "320", "--height", "240", "--output", output])
            .fails_with_one_line_naming(output);
        assert!(run.stderr.contains("File too large"), "{}", run.dump());
    }
    assert!(!fresh.exists(), "a truncated {} was left", fresh.display());
    assert_eq!(fs::read(&existing).unwrap(), b"the previous picture");
    // No temporary file left behind either.
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(left, ["existing.png"]);
}

// ------------------------------------------------------------------ dir-size

#[test]
fn dir_size_counts_every_file_and_byte_of_a_generated_tree() {
    let dir = TempDir::new().unwrap();
    let (mut files, mut bytes) = (0u64, 0u64);
    for d in 0..6 {
        let sub = dir.path().join(format!("d{d}/e{}", d % 3));
        fs::create_dir_all(&sub).unwrap();
        for f in 0..(40 + d * 7) {
            let len = (f * 131 + d * 17) % 3000;
            fs::write(sub.join(format!("f{f}")), vec![0u8; len]).unwrap();
            files += 1;
            bytes += len as u64;
        }
    }
    fs::write(dir.path().join("top"), b"12345").unwrap();
    files += 1;
    bytes += 5;
    let root = dir.path().display().to_string();
    for threads in ["1", "4"] {
        let run = recipe!("dir-size")
            .run([root.as_str(), "--threads", threads])
            .success();
        assert_eq!(run.parsed::<u64>("Files: "), files, "{}", run.dump());
        assert_eq!(
            run.last_line(),
            format!(
                "Total: {files} files, {bytes} bytes under {root} (0 failed, {threads} threads)"
            )
        );
    }
}

#[cfg(unix)]
#[test]
fn dir_size_does_not_follow_links() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("real"), vec![0u8; 1000]).unwrap();
    std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let run = recipe!("dir-size").run([dir.path()]).success();
    assert_eq!(run.parsed::<u64>("Files: "), 1, "{}", run.dump());
    assert!(
        run.last_line()
            .starts_with("Total: 1 files, 1000 bytes under"),
        "{}",
        run.dump()
    );
}

#[test]
fn dir_size_empty_directory_is_zero() {
    let dir = TempDir::new().unwrap();
    let run = recipe!("dir-size").run([dir.path()]).success();
    assert!(
        run.last_line().starts_with("Total: 0 files, 0 bytes under"),
        "{}",
        run.dump()
    );
}

#[test]
fn dir_size_default_demo_tree_has_2000_files() {
    let run = recipe!("dir-size").run(NO_ARGS).success();
    assert_eq!(run.parsed::<u64>("Files: "), 2000, "{}", run.dump());
    assert_eq!(run.parsed::<u64>("Directories: "), 17, "{}", run.dump());
    // The generator's sizes pinned: the sum of (d * 250 + f) * 37 % 4096.
    assert_eq!(
        run.value_of("Bytes: "),
        "4081144 (3.9 MiB)",
        "{}",
        run.dump()
    );
    assert!(
        run.last_line()
            .ends_with(&format!("(0 failed, {} threads)", cores())),
        "{}",
        run.dump()
    );
}

#[test]
fn dir_size_runs_at_once_each_measure_their_own_demo_tree() {
    let tmp = TempDir::new().unwrap();
    let runs = two_runs_at_once(&recipe!("dir-size"), tmp.path());
    let trees = runs.each_ref().map(|run| run.value_of("Demo tree: "));
    assert_own_demo_trees("dir-size-demo-", tmp.path(), trees);
    for (run, tree) in runs.iter().zip(trees) {
        assert_eq!(run.code, Some(0), "{}", run.dump());
        assert_eq!(run.parsed::<u64>("Files: "), 2000, "{}", run.dump());
        assert!(
            run.last_line().ends_with(&format!(
                " bytes under {tree} (0 failed, {} threads)",
                cores()
            )),
            "{}",
            run.dump()
        );
    }
}

/// Threads adding into the shared totals at once: every addition must
/// count. A `load` then a `store` in place of `fetch_add` loses additions
/// when two threads update the counter in the same instant, which the
/// recipe's own jobs, mostly waiting on `stat`, rarely do. So the threads add
/// in a tight loop, and keep going until they have seen each other's
/// additions land between two of their own many times (or for at most
/// 0.8 s, on a machine too busy to run them side by side).
#[test]
fn dir_size_totals_count_every_addition_from_racing_threads() {
    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    use std::time::{Duration, Instant};
    let totals = dir_size::Totals::default();
    let (start, overlaps) = (std::sync::Barrier::new(4), AtomicU64::new(0));
    let added: u64 = std::thread::scope(|s| {
        let threads: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    start.wait(); // all four start adding together
                    let (began, mut added) = (Instant::now(), 0);
                    while overlaps.load(Relaxed) < 50_000
                        && began.elapsed() < Duration::from_millis(800)
                    {
                        let mut seen = 0;
                        for _ in 0..1000 {
                            let before = totals.files.load(Relaxed);
                            totals.add_file(3);
                            // Another thread's addition landed in between.
                            seen += u64::from(totals.files.load(Relaxed) > before + 1);
                        }
                        overlaps.fetch_add(seen, Relaxed);
                        added += 1000;
                    }
                    added
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    });
    assert_eq!(totals.files.load(Relaxed), added);
    assert_eq!(totals.bytes.load(Relaxed), 3 * added);
}

#[test]
fn dir_size_refuses_a_thread_count_out_of_range() {
    for threads in ["0", "1025"] {
        recipe!("dir-size")
            .run(["--threads", threads])
            .refused_by_clap_naming("--threads");
    }
}

#[test]
fn dir_size_missing_directory_is_a_one_line_error() {
    recipe!("dir-size")
        .run(["does-not-exist"])
        .fails_with_one_line_naming("does-not-exist: no such directory");
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("plain-file");
    fs::write(&file, b"x").unwrap();
    recipe!("dir-size")
        .run([&file])
        .fails_with_one_line_naming("not a directory");
}

// --------------------------------------------------------------- thread-park

/// Asserts `consumed 1` ..= `consumed n`, each once and in that order.
fn assert_consumed_in_order(run: &common::Run, n: u64) {
    let consumed = run.lines_starting_with("consumed ");
    let expected: Vec<String> = (1..=n).map(|i| format!("consumed {i}")).collect();
    assert!(
        consumed.iter().eq(expected.iter()),
        "every item once, in order\n{}",
        run.dump()
    );
    assert_eq!(
        run.last_line(),
        format!("Consumed {n} items, each once, in order")
    );
}

#[test]
fn thread_park_default_run_consumes_every_item_once_in_order() {
    let run = recipe!("thread-park").run(NO_ARGS).success();
    // The token: an unpark before a park lets that park through at once
    // (without it the recipe would hang on its first line).
    assert_eq!(
        run.lines()[0],
        "unpark before park: the park returned at once"
    );
    assert_consumed_in_order(&run, 10);
}

#[test]
fn thread_park_loses_no_wake_up_under_contention_and_on_one_core() {
    // No pause: the consumer empties the queue and parks while the producer
    // pushes, again and again; a wake-up lost between "empty" and `park`
    // would hang it (the harness's deadline fails the test).
    let run = recipe!("thread-park")
        .run(["--items", "20000", "--pause-ms", "0"])
        .success();
    assert_consumed_in_order(&run, 20000);
    let run = recipe!("thread-park")
        .on_one_cpu()
        .run(["--items", "2000", "--pause-ms", "0"])
        .success();
    assert_consumed_in_order(&run, 2000);
}

#[test]
fn thread_park_with_the_producer_first_the_token_lets_the_park_through() {
    let run = recipe!("thread-park")
        .run(["--items", "50", "--producer-first"])
        .success();
    assert_eq!(
        run.value_of("producer done before the consumer parked: "),
        "the park returned at once"
    );
    // Everything, the end marker too, was queued before the consumer looked:
    // it empties the queue without ever parking in its loop.
    assert_eq!(run.value_of("parked "), "0 times");
    assert_consumed_in_order(&run, 50);
}

#[test]
fn thread_park_refuses_zero_items_and_long_pauses() {
    recipe!("thread-park")
        .run(["--items", "0"])
        .refused_by_clap_naming("--items");
    recipe!("thread-park")
        .run(["--pause-ms", "1001"])
        .refused_by_clap_naming("--pause-ms");
    recipe!("thread-park").run(["--help"]).lists_options(&[
        "--items",
        "--pause-ms",
        "--producer-first",
    ]);
}

// -------------------------------------------------- thread-pool-from-scratch

/// Checks a thread-pool-from-scratch run: every job but the panicking one ran
/// exactly once, on a pool worker, before that worker stopped; the panic was
/// reported by the worker that caught it (not on stderr); every worker was
/// shut down and stopped once; the total is the known sum.
fn assert_pool_ran_every_job_once(run: &common::Run, workers: u64, jobs: u64, panic_job: u64) {
    let lines = run.lines();
    let stopped_at = |w: u64| {
        let line = format!("worker {w} stopped: the queue is closed");
        let found: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == line).collect();
        assert_eq!(found.len(), 1, "{line:?} once\n{}", run.dump());
        found[0]
    };
    for w in 0..workers {
        assert_eq!(
            run.line_counts()
                .get(format!("shutting down worker {w}").as_str()),
            Some(&1),
            "{}",
            run.dump()
        );
        stopped_at(w);
    }
    let ran = run.lines_starting_with("job ");
    assert_eq!(
        ran.len() as u64,
        jobs - u64::from(panic_job != 0),
        "{}",
        run.dump()
    );
    for job in (1..=jobs).filter(|&j| j != panic_job) {
        let prefix = format!("job {job} ran on worker ");
        let positions: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].starts_with(&prefix))
            .collect();
        assert_eq!(positions.len(), 1, "job {job} once\n{}", run.dump());
        let worker: u64 = lines[positions[0]][prefix.len()..]
            .parse()
            .expect("a worker id");
        assert!(
            worker < workers,
            "job {job} on a pool thread\n{}",
            run.dump()
        );
        assert!(
            positions[0] < stopped_at(worker),
            "job {job} ran after its worker stopped\n{}",
            run.dump()
        );
    }
    let caught = run.lines_starting_with("worker ");
    let caught: Vec<_> = caught
        .iter()
        .filter(|l| l.contains(" caught a panic: "))
        .collect();
    if panic_job == 0 {
        assert!(caught.is_empty(), "{}", run.dump());
    } else {
        assert_eq!(caught.len(), 1, "{}", run.dump());
        assert!(caught[0].ends_with(&format!("caught a panic: job {panic_job} fails on purpose")));
    }
    assert!(
        run.stderr.is_empty(),
        "the pool reports panics itself\n{}",
        run.dump()
    );
    let total = jobs * (jobs + 1) / 2 - panic_job;
    assert_eq!(
        run.last_line(),
        format!(
            "Ran {jobs} jobs on {workers} workers, {} panicked; total {total}",
            u64::from(panic_job != 0)
        )
    );
}

#[test]
fn thread_pool_from_scratch_default_run_survives_the_panicking_job() {
    let run = recipe!("thread-pool-from-scratch").run(NO_ARGS).success();
    assert_pool_ran_every_job_once(&run, 4, 8, 3);
    assert!(run.last_line().ends_with("total 33"));
}

#[test]
fn thread_pool_from_scratch_one_worker_lives_on_after_a_panic() {
    // One worker, whose first job panics: the later 19 jobs can only run if
    // the worker caught the panic and went on.
    let run = recipe!("thread-pool-from-scratch")
        .run([
            "--workers",
            "1",
            "--jobs",
            "20",
            "--panic-job",
            "1",
            "--job-ms",
            "0",
        ])
        .success();
    assert_pool_ran_every_job_once(&run, 1, 20, 1);
}

#[test]
fn thread_pool_from_scratch_runs_many_jobs_once_and_on_one_core() {
    // The first `--workers` jobs wait at a barrier for each other: a pool that
    // ran one job at a time (say, a worker holding the queue's lock while its
    // job runs) would hang here, and the harness's deadline fail the test.
    let run = recipe!("thread-pool-from-scratch")
        .run([
            "--workers",
            "8",
            "--jobs",
            "2000",
            "--panic-job",
            "1000",
            "--job-ms",
            "0",
        ])
        .success();
    assert_pool_ran_every_job_once(&run, 8, 2000, 1000);
    let run = recipe!("thread-pool-from-scratch")
        .on_one_cpu()
        .run([
            "--workers",
            "3",
            "--jobs",
            "200",
            "--panic-job",
            "0",
            "--job-ms",
            "0",
        ])
        .success();
    assert_pool_ran_every_job_once(&run, 3, 200, 0);
}

#[test]
fn thread_pool_from_scratch_refuses_bad_options() {
    recipe!("thread-pool-from-scratch")
        .run(["--jobs", "8", "--panic-job", "9"])
        .fails_with_one_line_naming("--panic-job");
    for option in ["--workers", "--jobs"] {
        recipe!("thread-pool-from-scratch")
            .run([option, "0"])
            .refused_by_clap_naming(option);
    }
    recipe!("thread-pool-from-scratch")
        .run(["--help"])
        .lists_options(&["--workers", "--jobs", "--panic-job", "--job-ms"]);
}
