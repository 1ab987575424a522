//! How many threads should a pool have? Three ways to ask, and what each counts.
//!
//! - `num_cpus::get()`: the logical CPUs this process may run on. It honours
//!   the CPU affinity mask (`taskset`) and, on Linux, a cgroup CPU quota
//!   (containers started with `--cpus`).
//! - `num_cpus::get_physical()`: physical cores, ignoring hyper-threads and
//!   ignoring affinity: a property of the machine, not of this process.
//! - `std::thread::available_parallelism()` (std since Rust 1.59): the
//!   standard library's answer, honouring affinity and cgroup quotas like
//!   `num_cpus::get()`. It returns `io::Result<NonZeroUsize>`: the OS may not
//!   know. In new code prefer it to `num_cpus::get()`; std has no equivalent of
//!   `get_physical`.
//!
//! The two logical counts can differ under a fractional quota: in a container
//! started with `--cpus=1.5`, `num_cpus::get()` rounds the quota up (2) and
//! std rounds it down (1); std also takes the smallest quota of the parent
//! cgroups, `num_cpus` only its own.
//!
//! Run it under `taskset -c 0` and the two logical counts drop to 1 while the
//! physical count stays. Both libraries read the affinity mask at every call,
//! so a process whose affinity changes must ask again; `num_cpus` reads the
//! cgroup quota only once per process and keeps it, where std reads it anew
//! at every call.
//!
//! ```sh
//! cargo run -p examples-threads --bin available-parallelism
//! taskset -c 0 cargo run -p examples-threads --bin available-parallelism
//! ```

use std::process::ExitCode;
use std::thread;

use anyhow::Context;
use clap::Parser;

/// Print the CPU counts that num_cpus and std report for this process. No
/// options: `--help` and a mistyped option are answered, not ignored.
#[derive(Parser)]
struct Args {}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(Args {}: Args) -> anyhow::Result<()> {
    let logical = num_cpus::get();
    let physical = num_cpus::get_physical();
    println!("num_cpus::get(): {logical}");
    println!("num_cpus::get_physical(): {physical}");
    // The OS may not know: std returns an `io::Result`.
    let available =
        thread::available_parallelism().context("std::thread::available_parallelism()")?;
    println!("std::thread::available_parallelism(): {available}");
    println!(
        "Summary: {logical} logical CPUs, {physical} physical cores, available parallelism {available}"
    );
    Ok(())
}
