//! `bench-report` run on a small criterion directory written by the test: the
//! report it writes is checked line by line, so a `main` that does nothing, a
//! flipped comparison or a lost machine line fails here.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// Writes criterion's two files for one measurement, as `cargo bench` does.
fn measurement(root: &Path, group: &str, variant: &str, size: &str, median_ns: f64) {
    let dir = root.join(group).join(variant).join(size).join("new");
    fs::create_dir_all(&dir).unwrap();
    let id = serde_json::json!({
        "group_id": group, "function_id": variant, "value_str": size, "throughput": null,
    });
    let estimates = serde_json::json!({ "median": { "point_estimate": median_ns } });
    fs::write(dir.join("benchmark.json"), id.to_string()).unwrap();
    fs::write(dir.join("estimates.json"), estimates.to_string()).unwrap();
}

/// Runs bench-report; returns its output and the report it wrote, if any.
fn report(criterion: &Path, out: &Path) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bench-report"))
        .arg("--criterion-dir")
        .arg(criterion)
        .arg("--output")
        .arg(out)
        .output()
        .expect("running bench-report");
    (output, fs::read_to_string(out).unwrap_or_default())
}

#[test]
fn a_small_run_becomes_a_report_with_machine_ratios_lessons_and_targets() {
    let tmp = tempfile::tempdir().unwrap();
    let criterion = tmp.path().join("criterion");
    // fractal: twice as fast at the large size, four times slower at the tiny one.
    let fractal = "threadpool, job per row";
    measurement(&criterion, "fractal", "sequential", "64x36", 10_000.0);
    measurement(&criterion, "fractal", fractal, "64x36", 40_000.0);
    measurement(&criterion, "fractal", "sequential", "1920x1080", 100e6);
    measurement(&criterion, "fractal", fractal, "1920x1080", 50e6);
    // sha256: faster at both sizes, but short of its 1.8x target.
    measurement(&criterion, "sha256", "sequential", "1 x 1 MiB", 2e6);
    measurement(&criterion, "sha256", "threadpool", "1 x 1 MiB", 1e6);
    measurement(&criterion, "sha256", "sequential", "16 x 8 MiB", 100e6);
    measurement(&criterion, "sha256", "threadpool", "16 x 8 MiB", 62.5e6);
    // Three variants, all slower at the small size.
    for (variant, small, large) in [("a", 2.0, 0.5), ("b", 3.0, 0.6), ("c", 4.0, 0.7)] {
        measurement(&criterion, "sort", variant, "1e3", small * 1e3);
        measurement(&criterion, "sort", variant, "1e7", large * 1e9);
    }
    measurement(&criterion, "sort", "sequential", "1e3", 1e3);
    measurement(&criterion, "sort", "sequential", "1e7", 1e9);
    // Measured per element: padded is 2.5x packed, 1.25x sequential.
    for (variant, ns) in [
        ("sequential", 10.0),
        ("packed (one cache line)", 20.0),
        ("padded (CachePadded)", 8.0),
    ] {
        measurement(&criterion, "false sharing", variant, "2 threads", ns);
    }
    // A single-threaded variant that loses is not blamed on coordination.
    for (variant, small, large) in [("naive i-j-k", 4.0, 16.0), ("rayon rows", 2.0, 0.5)] {
        measurement(&criterion, "matmul", variant, "16x16", small * 1e3);
        measurement(&criterion, "matmul", variant, "512x512", large * 1e6);
    }
    measurement(&criterion, "matmul", "sequential", "16x16", 1e3);
    measurement(&criterion, "matmul", "sequential", "512x512", 1e6);
    // No baseline: times only.
    measurement(&criterion, "channels", "crossbeam", "1e3", 1500.0);
    let out = tmp.path().join("BENCHMARKS.md");

    let (output, text) = report(&criterion, &out);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("Wrote 6 groups to {}", out.display())
    );

    let nproc = std::thread::available_parallelism().unwrap().to_string();
    assert!(text.starts_with("# Benchmarks\n"), "{text}");
    let cpus = format!("- CPUs available (`nproc`): {nproc}\n");
    assert!(text.contains(&cpus), "{text}");
    for line in [
        "- Pillow, for the thumbnails comparison: ",
        "- CPU model: ",
        "- memory: ",
        "- rustc: rustc ",
        "- commit: ",
        "- date: 20",
    ] {
        assert!(text.contains(line), "no {line:?} in\n{text}");
    }

    for row in [
        "| fractal | `threadpool, job per row` | `sequential` | 1920x1080 | 1.80x | 2.000x | met |",
        "| sha256 | `threadpool` | `sequential` | 16 x 8 MiB | 1.80x | 1.600x | missed |",
        // Against another variant than the baseline: padded 2.5x packed.
        "| false sharing | `padded (CachePadded)` | `packed (one cache line)` | 2 threads | 2.00x \
         | 2.500x | met |",
        "| false sharing | `padded (CachePadded)` | `sequential` | 2 threads | 1.60x | 1.250x | missed |",
        // A variant that was not measured (no Pillow on the machine).
        "| thumbnails | `reduced-scale decode, sequential` | `Pillow, one process` | - | 1.25x | - \
         | not measured |",
        "| `sequential` | 10.00 µs | 100.00 ms |",
        "| `threadpool, job per row` | 40.00 µs (0.25x) | 50.00 ms (2.00x) |",
        "| `threadpool` | 1.00 ms (2.00x) | 62.50 ms (1.60x) |",
        "(no single `sequential` baseline in this group: times only)",
        "| `crossbeam` | 1e3 | 1.50 µs |",
    ] {
        assert!(text.lines().any(|l| l == row), "no line {row:?} in\n{text}");
    }
    for lesson in [
        "At 1920x1080, the fastest variant is `threadpool, job per row`, at 2.00x the \
         `sequential` baseline. At 64x36, `threadpool, job per row` (0.25x) loses to the \
         baseline",
        "At 1e7, the fastest variant is `a`, at 2.00x the `sequential` baseline. At 1e3, \
         every variant is slower than the baseline",
        "At 16x16, `rayon rows` (0.50x) loses to the baseline: there coordination (threads, \
         jobs, messages, locks, atomic operations) costs more than the work it shares. At \
         16x16, `naive i-j-k` (0.25x) loses to the baseline on one thread: no coordination is \
         involved, its own code is slower there.",
        "At 16 x 8 MiB, the fastest variant is `threadpool`, at 1.60x the `sequential` \
         baseline. At 1 x 1 MiB, no variant is slower than the baseline.",
    ] {
        assert!(text.contains(lesson), "no lesson {lesson:?} in\n{text}");
    }
}

#[test]
fn an_empty_criterion_directory_is_a_one_line_error_and_no_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("BENCHMARKS.md");
    let (output, _) = report(tmp.path(), &out);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no benchmark results"), "{stderr}");
    assert!(!out.exists());
}

/// `/dev/full` refuses every write: the failure is one line naming it, and the
/// report is written to it in place, never renamed over it (it stays a device).
#[cfg(target_os = "linux")]
#[test]
fn a_full_device_is_a_one_line_error_and_stays_a_device() {
    use std::os::unix::fs::FileTypeExt;
    let tmp = tempfile::tempdir().unwrap();
    measurement(tmp.path(), "fractal", "sequential", "64x36", 10_000.0);
    // Not `report`: reading /dev/full back would never end.
    let output = Command::new(env!("CARGO_BIN_EXE_bench-report"))
        .arg("--criterion-dir")
        .arg(tmp.path())
        .args(["--output", "/dev/full"])
        .output()
        .expect("running bench-report");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("writing /dev/full"), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    let full = fs::metadata("/dev/full").unwrap();
    assert!(full.file_type().is_char_device());
}

/// A write that fails half-way, even for root: past a file-size limit
/// (`ulimit -f 1`, 512 bytes) `write` fails with EFBIG (SIGXFSZ ignored). The
/// report is written under a temporary name and renamed into place, so the
/// previous report keeps its contents and no temporary file is left.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_keeps_the_previous_report_and_leaves_no_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    let criterion = tmp.path().join("criterion");
    measurement(&criterion, "fractal", "sequential", "64x36", 10_000.0);
    let out_dir = tmp.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("BENCHMARKS.md");
    fs::write(&out, "the previous report").unwrap();
    let output = Command::new("sh")
        .args(["-c", "trap '' XFSZ; ulimit -f 1; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_bench-report"))
        .arg("--criterion-dir")
        .arg(&criterion)
        .arg("--output")
        .arg(&out)
        .output()
        .expect("running bench-report");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("File too large"), "{stderr}");
    assert_eq!(fs::read_to_string(&out).unwrap(), "the previous report");
    let left: Vec<_> = fs::read_dir(&out_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(left, ["BENCHMARKS.md"]);
    // Without the limit the same run replaces it.
    let (output, text) = report(&criterion, &out);
    assert!(output.status.success(), "{output:?}");
    assert!(text.len() > 512, "{text}");
}
