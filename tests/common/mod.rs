//! Shared support for the integration tests in `tests/*.rs`.
//!
//! Each topic crate attaches one test file (`[[test]] path = "../tests/<topic>.rs"`)
//! that says `mod common;`, so `env!("CARGO_BIN_EXE_<name>")` in the [`recipe!`]
//! macro names the real binary built by Cargo for that crate.
//!
//! - [`Recipe`] runs a binary under a deadline: a deadlock fails the test with a
//!   message (and the output so far) instead of hanging CI.
//! - [`Run`] holds stdout, stderr and the exit code, with assertions that every
//!   recipe shares: success prints a summary last line; failure is a one-line
//!   error, never a panic.
//! - [`catalogue`] checks that the README's recipe table, the crates' `src/bin`
//!   folders and the test files agree.

#![allow(
    dead_code,
    reason = "each topic's test file uses a different subset of these helpers"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

pub use tempfile::TempDir;

/// How long any one run of a recipe may take before the test calls it hung.
/// Generous on purpose: the tests also run on one core (`taskset -c 0`) and on
/// a busy machine. A recipe that needs more is being run with too large inputs.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// No arguments: the recipe's built-in defaults.
pub const NO_ARGS: [&str; 0] = [];

/// `recipe!("spawn-join")`: the binary of that name in the crate under test.
///
/// The catalogue test looks for exactly this spelling in the test files to
/// prove that every binary is run by at least one test.
#[macro_export]
macro_rules! recipe {
    ($name:literal) => {
        $crate::common::Recipe::new($name, env!(concat!("CARGO_BIN_EXE_", $name)))
    };
}

/// One recipe binary, ready to run with arguments.
pub struct Recipe {
    name: &'static str,
    exe: &'static str,
    deadline: Duration,
    envs: Vec<(String, String)>,
    wrapper: Vec<String>,
}

impl Recipe {
    pub fn new(name: &'static str, exe: &'static str) -> Self {
        Recipe {
            name,
            exe,
            deadline: DEADLINE,
            envs: Vec::new(),
            wrapper: Vec::new(),
        }
    }

    /// Runs the binary through a wrapper command, e.g. `["taskset", "-c", "0"]`.
    pub fn under<const N: usize>(mut self, wrapper: [&str; N]) -> Self {
        self.wrapper = wrapper.iter().map(|w| (*w).to_owned()).collect();
        self
    }

    /// Runs the binary pinned to one CPU with `taskset`: the first CPU this
    /// process may run on (CPU 0 is not always among them, in a container).
    pub fn on_one_cpu(self) -> Self {
        let cpu = first_allowed_cpu();
        self.under(["taskset", "-c", &cpu])
    }

    /// Sets an environment variable for the child (e.g. `TMPDIR`).
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        let value = value.as_ref().to_string_lossy().into_owned();
        self.envs.push((key.to_owned(), value));
        self
    }

    /// Runs the binary with `args` and waits for it, at most [`DEADLINE`].
    ///
    /// The child's temporary directory is a fresh one owned by the test, so
    /// that demo inputs a recipe generates never collide between tests.
    pub fn run<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let scratch = TempDir::new().expect("creating a scratch directory for the child");
        self.run_in(scratch.path(), args)
    }

    /// Like [`Recipe::run`], with `tmpdir` as the child's `TMPDIR`.
    ///
    /// The child's working directory is another fresh directory, which must
    /// still be empty when it ends: a recipe writes its demo inputs and
    /// default outputs under the temporary directory, never into the
    /// directory it is run from (which may be the repository).
    pub fn run_in<I, S>(&self, tmpdir: &Path, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let args: Vec<String> = args
            .into_iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        let mut cmd = match self.wrapper.split_first() {
            None => assert_cmd::Command::new(self.exe),
            Some((program, wrapper_args)) => {
                let mut cmd = assert_cmd::Command::new(program);
                cmd.args(wrapper_args).arg(self.exe);
                cmd
            }
        };
        let cwd = TempDir::new().expect("creating a working directory for the child");
        cmd.args(&args)
            .current_dir(cwd.path())
            .env("TMPDIR", tmpdir)
            .env_remove("RUST_BACKTRACE")
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .timeout(self.deadline);
        let started = Instant::now();
        let output = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.exe));
        let elapsed = started.elapsed();
        let run = Run {
            name: format!("{} {}", self.name, args.join(" ")),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        // assert_cmd kills the child at the deadline; it then has no exit code.
        if run.code.is_none() && elapsed >= self.deadline {
            panic!(
                "`{}` did not finish within {:?}: deadlock or runaway loop?\n{}",
                run.name,
                self.deadline,
                run.dump()
            );
        }
        let left_behind: Vec<_> = std::fs::read_dir(cwd.path())
            .expect("listing the child's working directory")
            .map(|entry| entry.expect("reading a directory entry").file_name())
            .collect();
        assert!(
            left_behind.is_empty(),
            "`{}` wrote {left_behind:?} into its working directory\n{}",
            run.name,
            run.dump()
        );
        run
    }
}

/// The first CPU in this process's `Cpus_allowed_list` (`/proc/self/status`,
/// e.g. `0-1` or `2,5-7`), or `0` where there is no such list.
fn first_allowed_cpu() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let list = status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))?;
            let first = list.trim().split([',', '-']).next()?;
            Some(first.to_owned())
        })
        .filter(|cpu| !cpu.is_empty() && cpu.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| "0".to_owned())
}

/// The outcome of one run of a recipe.
pub struct Run {
    pub name: String,
    /// `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit code 0 and no panic, and returns `self` for more checks.
    pub fn success(self) -> Self {
        assert_eq!(
            self.code,
            Some(0),
            "`{}` should succeed\n{}",
            self.name,
            self.dump()
        );
        self.assert_no_panic();
        self
    }

    /// Asserts a non-zero exit code without a panic, and returns `self`.
    pub fn failure(self) -> Self {
        assert!(
            matches!(self.code, Some(c) if c != 0),
            "`{}` should fail with a non-zero exit code\n{}",
            self.name,
            self.dump()
        );
        self.assert_no_panic();
        self
    }

    /// Asserts that the run failed with exactly one line on stderr, an error
    /// message that mentions `needle` (usually the bad input's name).
    pub fn fails_with_one_line_naming(self, needle: &str) -> Self {
        let run = self.failure();
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "`{}` should print a one-line error\n{}",
            run.name,
            run.dump()
        );
        assert!(
            lines[0].contains(needle),
            "the error of `{}` should name {needle:?}\n{}",
            run.name,
            run.dump()
        );
        run
    }

    /// Asserts a command line refused by clap's own parser (an option out of
    /// its declared range, an unknown option, a value of the wrong type): exit
    /// code 2, no panic, and clap's `error:` line naming `option`.
    pub fn refused_by_clap_naming(self, option: &str) -> Self {
        assert_eq!(
            self.code,
            Some(2),
            "`{}` should be refused by clap (exit 2)\n{}",
            self.name,
            self.dump()
        );
        self.assert_no_panic();
        let first = self.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error:") && first.contains(option),
            "clap's error line of `{}` should name {option:?}\n{}",
            self.name,
            self.dump()
        );
        self
    }

    /// Asserts a `--help` run: success, clap's `Usage:` line, and each of
    /// `options` listed. Returns `self` for more checks.
    pub fn lists_options(self, options: &[&str]) -> Self {
        let run = self.success();
        assert!(run.stdout.contains("Usage:"), "{}", run.dump());
        for option in options {
            assert!(run.stdout.contains(option), "{option}\n{}", run.dump());
        }
        run
    }

    /// A panic that reaches `main` exits with 101 and says so on stderr. (A
    /// worker thread's panic that the recipe catches on `join` is allowed: some
    /// recipes exist to show exactly that.)
    fn assert_no_panic(&self) {
        assert!(
            self.code != Some(101) && !self.stderr.contains("thread 'main' panicked"),
            "`{}` panicked\n{}",
            self.name,
            self.dump()
        );
    }

    /// The stdout lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// The last line of stdout: every recipe ends with a fixed summary.
    pub fn last_line(&self) -> &str {
        self.stdout
            .lines()
            .last()
            .unwrap_or_else(|| panic!("`{}` printed nothing\n{}", self.name, self.dump()))
    }

    /// The stdout lines that start with `prefix`, in the order printed.
    pub fn lines_starting_with(&self, prefix: &str) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }

    /// The one stdout line that starts with `prefix`, with the prefix removed.
    pub fn value_of(&self, prefix: &str) -> &str {
        match self.lines_starting_with(prefix).as_slice() {
            [line] => line[prefix.len()..].trim(),
            other => panic!(
                "`{}` should print exactly one line starting with {prefix:?}, found {}\n{}",
                self.name,
                other.len(),
                self.dump()
            ),
        }
    }

    /// The one line starting with `prefix`, parsed as `T`.
    pub fn parsed<T>(&self, prefix: &str) -> T
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Debug,
    {
        let raw = self.value_of(prefix);
        raw.parse().unwrap_or_else(|e| {
            panic!(
                "`{}`: cannot parse {raw:?} after {prefix:?}: {e:?}\n{}",
                self.name,
                self.dump()
            )
        })
    }

    /// The stdout lines as a multiset: what holds in every interleaving.
    pub fn line_counts(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for line in self.stdout.lines() {
            *counts.entry(line).or_insert(0) += 1;
        }
        counts
    }

    /// Everything the run printed, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "exit code: {:?}\n--- stdout ---\n{}--- stderr ---\n{}--------------",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The README's recipe table, the crates' binaries and the tests must agree.
pub mod catalogue {
    use std::collections::BTreeSet;
    use std::fs;
    use std::path::{Path, PathBuf};

    /// The workspace root, from the crate under test's manifest directory.
    pub fn workspace_root(manifest_dir: &str) -> PathBuf {
        Path::new(manifest_dir)
            .parent()
            .expect("a member crate lives inside the workspace")
            .to_path_buf()
    }

    /// The binaries of a crate: the `src/bin/*.rs` files Cargo builds.
    pub fn binaries(crate_dir: &Path) -> BTreeSet<String> {
        let bin_dir = crate_dir.join("src/bin");
        fs::read_dir(&bin_dir)
            .unwrap_or_else(|e| panic!("reading {}: {e}", bin_dir.display()))
            .map(|entry| entry.expect("reading a src/bin entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    /// The `(crate, binary)` rows of the README's recipe table: lines of the
    /// form `` | `examples-x` | `bin` | ... ``.
    pub fn readme_rows(root: &Path) -> Vec<(String, String)> {
        let readme = fs::read_to_string(root.join("README.md")).expect("reading README.md");
        readme
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let krate = cells
                    .get(1)?
                    .strip_prefix("`examples-")?
                    .strip_suffix('`')?;
                let bin = cells.get(2)?.strip_prefix('`')?.strip_suffix('`')?;
                Some((format!("examples-{krate}"), bin.to_owned()))
            })
            .collect()
    }

    /// Checks the crate at `manifest_dir`, whose tests are in `test_file`:
    /// every binary has a README row with the right command and is run through
    /// `recipe!("<bin>")` in the test file; every README row of any crate names
    /// a binary that exists, once.
    pub fn check(manifest_dir: &str, test_file: &str) {
        let crate_dir = Path::new(manifest_dir);
        let crate_name = crate_dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let root = workspace_root(manifest_dir);
        let rows = readme_rows(&root);
        let readme = fs::read_to_string(root.join("README.md")).expect("reading README.md");
        let tests_path = root.join("tests").join(test_file);
        let tests = fs::read_to_string(&tests_path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", tests_path.display()));

        let mut problems = Vec::new();
        for bin in binaries(crate_dir) {
            let row = (crate_name.clone(), bin.clone());
            if !rows.contains(&row) {
                problems.push(format!("{crate_name}/{bin} has no row in README.md"));
            }
            let command = format!("cargo run -p {crate_name} --bin {bin}");
            if !readme.contains(&command) {
                problems.push(format!("README.md does not show `{command}`"));
            }
            if !tests.contains(&format!("recipe!(\"{bin}\")")) {
                problems.push(format!("no test in tests/{test_file} runs {bin}"));
            }
        }
        let mut seen = BTreeSet::new();
        for (krate, bin) in &rows {
            if !root
                .join(krate)
                .join("src/bin")
                .join(format!("{bin}.rs"))
                .is_file()
            {
                problems.push(format!(
                    "README.md lists {krate}/{bin}, which does not exist"
                ));
            }
            if !seen.insert((krate, bin)) {
                problems.push(format!("README.md lists {krate}/{bin} twice"));
            }
        }
        assert!(
            problems.is_empty(),
            "catalogue out of step:\n{}",
            problems.join("\n")
        );
    }
}

/// Every binary of the crate under test, run on its defaults with its stdout a
/// pipe nobody reads (the reader is closed before the child starts: the
/// harshest case of `recipe | head -1`), must end quietly: killed by SIGPIPE
/// or exit 0, with nothing on stderr (no `failed printing to stdout` panic).
///
/// `any_exe` is `env!("CARGO_BIN_EXE_<some bin>")`: the others sit beside it.
pub fn every_recipe_ends_quietly_on_a_closed_stdout(manifest_dir: &str, any_exe: &str) {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};

    let mut problems = Vec::new();
    for bin in catalogue::binaries(Path::new(manifest_dir)) {
        let exe = Path::new(any_exe).with_file_name(&bin);
        let (tmpdir, cwd) = (TempDir::new().unwrap(), TempDir::new().unwrap());
        let (reader, writer) = std::io::pipe().expect("creating a pipe");
        drop(reader);
        let mut child = Command::new(&exe)
            .current_dir(cwd.path())
            .env("TMPDIR", tmpdir.path())
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for the child") {
                break status;
            }
            if started.elapsed() > DEADLINE {
                let _ = child.kill();
                panic!("`{bin}` with a closed stdout did not finish within {DEADLINE:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr)
            .expect("reading the child's stderr");
        let sigpipe = status.signal() == Some(13);
        if !(status.success() || sigpipe) || !stderr.is_empty() {
            problems.push(format!("{bin}: {status}, stderr:\n{stderr}"));
        }
        // As in `Recipe::run_in`: nothing written where the recipe was run from.
        let left_behind = std::fs::read_dir(cwd.path()).map_or(0, |entries| entries.count());
        if left_behind > 0 {
            problems.push(format!(
                "{bin}: wrote {left_behind} entries into its working directory"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "recipes that did not end quietly on a closed stdout:\n{}",
        problems.join("\n")
    );
}
