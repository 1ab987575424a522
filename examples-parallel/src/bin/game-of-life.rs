//! Conway's Game of Life, each generation computed row-parallel with `par_chunks_mut`.
//!
//! Two boards take turns (double buffering): every task reads the current
//! generation, which nobody writes during the step, and writes its own rows
//! of the next one, disjoint `&mut` slices handed out by `par_chunks_mut`.
//! No locks and no races, and the result cannot depend on which worker took
//! which row. `for_each` returns only when every row is done: that is the
//! barrier between two generations, after which the boards swap roles.
//!
//! A cell costs a few byte additions (the compiler vectorises the row loop),
//! so a generation of a small board takes microseconds and the fork and join
//! at every generation show: the speedup needs a large board.
//!
//! The board is a torus (its edges wrap around). Only the times vary from run
//! to run (each the median of `--runs` runs after a warm-up); boards of at
//! most 64x64 cells are also printed, `#` for a live cell. The final board is
//! written as a PNG, `--scale` pixels per cell, to the path printed.
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin game-of-life -- --width 2048 --height 2048 --scale 1 --output life.png
//! ```

use std::fs;
use std::io::{self, Cursor, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use clap::{Parser, ValueEnum};
use image::{GrayImage, ImageFormat, Luma};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use rayon::prelude::*;

/// Run Conway's Game of Life on a torus, in parallel, and draw the final board.
#[derive(Parser)]
struct Args {
    /// Board width in cells [3-4096].
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(3..=4096))]
    width: u32,
    /// Board height in cells [3-4096].
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(3..=4096))]
    height: u32,
    /// How many generations to compute [0-100000].
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    generations: u32,
    /// The first generation.
    #[arg(long, value_enum, default_value_t = Start::Random)]
    start: Start,
    /// Seed of the random first generation.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Each time printed is the median of this many runs, after a warm-up [1-100].
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,
    /// Pixels per cell side in the PNG [1-32].
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=32))]
    scale: u32,
    /// Output PNG file.
    #[arg(long, default_value_os_t = std::env::temp_dir().join("game-of-life.png"))]
    output: PathBuf,
}

/// The first generation.
#[derive(Clone, Copy, ValueEnum)]
enum Start {
    /// A quarter of the cells alive, at random.
    Random,
    /// Three cells in a row in the middle: a period-2 oscillator.
    Blinker,
    /// A glider in the top-left corner: it moves one cell right and one down every 4 generations.
    Glider,
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(args: Args) -> anyhow::Result<()> {
    let (width, height, runs, scale) = (args.width, args.height, args.runs, args.scale);
    let generations = args.generations;
    ensure!(
        width.max(height) * scale <= 16_384,
        "--scale {scale} makes the PNG larger than 16384 pixels a side"
    );
    let w = width as usize;
    let board = first_generation(args.start, w, height as usize, args.seed);
    let threads = rayon::current_num_threads();
    println!("Game of Life on a {width}x{height} torus, rayon threads: {threads}");

    let (expected, sequential) = median_time(runs, || life_sequential(&board, w, generations));
    let (last, parallel) = median_time(runs, || life_parallel(&board, w, generations));
    ensure!(last == expected, "parallel and sequential boards differ");
    let speedup = sequential.div_duration_f64(parallel);
    println!(
        "{generations} generations: sequential {sequential:.2?}, parallel {parallel:.2?}, \
         speedup {speedup:.2}x (median of {runs} runs after a warm-up)"
    );
    if width <= 64 && height <= 64 {
        for row in last.chunks(w) {
            let row = row.iter().map(|&c| if c == 1 { '#' } else { '.' });
            println!("{}", String::from_iter(row));
        }
    }

    // Encoded in memory, then written with a writer we own: `image`'s `save`
    // writes through a `BufWriter` whose drop swallows the last write's error.
    let mut png = Cursor::new(Vec::new());
    GrayImage::from_fn(width * scale, height * scale, |x, y| {
        let cell = last[(y / scale * width + x / scale) as usize];
        Luma([if cell == 1 { 0 } else { 255 }]) // a live cell is black
    })
    .write_to(&mut png, ImageFormat::Png)
    .context("encoding the PNG")?;
    let output = args.output.display();
    write_file(&args.output, png.get_ref()).with_context(|| format!("writing {output}"))?;
    println!("wrote the final board, {scale}x{scale} pixels per cell, to {output}");
    let live = last.iter().filter(|&&c| c == 1).count();
    println!("live cells after {generations} generations: {live}");
    Ok(())
}

// ---- kernels: plain functions, so that a benchmark can call them ----
// A board is `width` cells a row, rows one after another; 1 is alive, 0 dead.

/// The board after `generations` steps, one row after another.
pub fn life_sequential(board: &[u8], width: usize, generations: u32) -> Vec<u8> {
    evolve(board, generations, |current, next| {
        for (y, row) in next.chunks_mut(width).enumerate() {
            next_row(current, y, row);
        }
    })
}

/// The board after `generations` steps, rows computed on rayon's workers.
pub fn life_parallel(board: &[u8], width: usize, generations: u32) -> Vec<u8> {
    // The whole loop runs on a rayon worker (`scope` puts it there), so each
    // generation's fork and join happen between workers that are awake: run
    // from `main`, every generation would also wake the main thread once.
    rayon::scope(|_| {
        evolve(board, generations, |current, next| {
            // Each task writes only its own rows of `next` and reads `current`,
            // which no task writes: no lock needed. `for_each` returns when all
            // rows are done, so the next generation never sees a half-done one.
            next.par_chunks_mut(width)
                .enumerate()
                .for_each(|(y, row)| next_row(current, y, row));
        })
    })
}

/// Applies `step` (current -> next) `generations` times, swapping the boards.
fn evolve(board: &[u8], generations: u32, step: impl Fn(&[u8], &mut [u8])) -> Vec<u8> {
    let (mut current, mut next) = (board.to_vec(), vec![0; board.len()]);
    for _ in 0..generations {
        step(&current, &mut next);
        std::mem::swap(&mut current, &mut next);
    }
    current
}

/// Row `y` of the next generation, from the current board's rows y-1, y, y+1
/// (wrapping around the edges).
fn next_row(current: &[u8], y: usize, out: &mut [u8]) {
    let (width, height) = (out.len(), current.len() / out.len());
    let row = |y: usize| &current[(y % height) * width..][..width];
    let (up, mid, down) = (row(y + height - 1), row(y), row(y + 1));
    // Born with 3 live neighbours (3 | 0); survives with 2 or 3 (2 | 1, 3 | 1).
    let rule = |neighbours: u8, alive: u8| u8::from((neighbours | alive) == 3);
    // The edge cells' neighbours wrap around; the loop between them vectorises.
    let edge = |l: usize, x: usize, r: usize| {
        let neighbours = up[l] + up[x] + up[r] + mid[l] + mid[r] + down[l] + down[x] + down[r];
        rule(neighbours, mid[x])
    };
    out[0] = edge(width - 1, 0, 1);
    out[width - 1] = edge(width - 2, width - 1, 0);
    let windows = up.windows(3).zip(mid.windows(3)).zip(down.windows(3));
    for (cell, ((u, m), d)) in out[1..].iter_mut().zip(windows) {
        *cell = rule(u[0] + u[1] + u[2] + m[0] + m[2] + d[0] + d[1] + d[2], m[1]);
    }
}

/// Runs `kernel` for a quarter of a second to warm up (caches, rayon's
/// workers, the CPUs' idle states), then `runs` times, as criterion does, and
/// returns the last result and the median time.
fn median_time<T>(runs: u32, kernel: impl Fn() -> T) -> (T, Duration) {
    let warm_up = Instant::now();
    let mut result = kernel();
    while warm_up.elapsed() < Duration::from_millis(250) {
        result = kernel();
    }
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let fresh = kernel();
        times.push(started.elapsed());
        result = fresh; // the previous board is freed after the clock stopped
    }
    times.sort();
    (result, times[times.len() / 2])
}

/// Writes `bytes` under a temporary name in `path`'s directory, then renames
/// it to `path`: a failed write never leaves a truncated file there. A path
/// that exists and is not a regular file (`/dev/stdout`, a pipe) is written
/// in place: renaming over a device would replace the device.
fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return fs::write(path, bytes); // unbuffered: every error seen
    }
    // A bare file name's parent is "": tempfile takes it for the current directory.
    let mut file = tempfile::Builder::new()
        .permissions(fs::Permissions::from_mode(0o666)) // less the umask, as `File::create`
        .tempfile_in(path.parent().unwrap_or(Path::new(".")))?;
    file.write_all(bytes)?; // a `File`, unbuffered: no flush needed
    file.persist(path)?;
    Ok(())
}

// ---- demo inputs ----

fn first_generation(start: Start, width: usize, height: usize, seed: u64) -> Vec<u8> {
    let (cx, cy) = (width / 2, height / 2);
    let live: &[(usize, usize)] = match start {
        Start::Random => return random_board(width, height, seed),
        Start::Blinker => &[(cx - 1, cy), (cx, cy), (cx + 1, cy)],
        Start::Glider => &[(1, 0), (2, 1), (0, 2), (1, 2), (2, 2)],
    };
    (0..width * height)
        .map(|i| u8::from(live.contains(&(i % width, i / width))))
        .collect()
}

/// A board with about a quarter of its cells alive, the same for the same seed.
pub fn random_board(width: usize, height: usize, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..width * height)
        .map(|_| u8::from(rng.random_bool(0.25)))
        .collect()
}
