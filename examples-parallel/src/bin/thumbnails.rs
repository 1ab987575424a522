//! Generate JPEG thumbnails in parallel: `glob` patterns pick the photos, `par_iter` shares them out.
//!
//! Every `*.jpg` and `*.jpeg` in a directory (any letter case) is decoded,
//! shrunk to fit in `--size` x `--size` pixels keeping its aspect ratio (photos
//! that already fit keep their size), and saved under the same name in the
//! output directory. `par_iter` cuts the list of files into pieces for the
//! workers and cuts a piece again whenever an idle worker steals from it;
//! decoding and encoding are CPU-bound, so this is where rayon pays. The
//! largest files go first, so that no big photo is left to one worker at the
//! end while the others wait.
//! `collect` gives the results back in the files' order however the work was
//! split, so the report below is in name order. A file that cannot be decoded
//! or saved is reported on stderr with its name and counted, the other files
//! are still processed, and the exit code says that something failed.
//!
//! Without a directory it generates a dozen demo photos (about 0.3 to 12
//! megapixels, landscape and portrait, textured so that the codec has work) in
//! parallel, in `cookbook-thumbnails-demo/` under the system temporary
//! directory, recreated on every run. The thumbnails go to `--out`, by default
//! `thumbnails/` in the input directory. To print a speedup, the batch runs
//! once sequentially and then in parallel (`--parallel-only` skips the first).
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin thumbnails -- ~/Pictures --out /tmp/thumbnails
//! ```

use std::cmp::Reverse;
use std::fs;
use std::io::{Cursor, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Parser;
use glob::{MatchOptions, Pattern};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, GenericImageView, ImageFormat, ImageReader, Rgb, RgbImage};
use rayon::prelude::*;

/// Shrink every JPEG in a directory to a thumbnail, in parallel.
#[derive(Parser)]
struct Args {
    /// Directory of *.jpg / *.jpeg photos [default: generated demo photos].
    dir: Option<PathBuf>,
    /// Directory the thumbnails are saved in [default: DIR/thumbnails].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Thumbnails fit in a square of this many pixels.
    #[arg(long, default_value_t = 300)]
    size: u32,
    /// Skip the sequential run that the parallel one is timed against.
    #[arg(long)]
    parallel_only: bool,
    /// Size of the largest demo photo in megapixels; the smallest is 40 times
    /// smaller. Only used without DIR.
    #[arg(long, default_value_t = 12.0)]
    demo_megapixels: f64,
}

/// The size of a photo and of its thumbnail, in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub original: (u32, u32),
    pub thumbnail: (u32, u32),
}

fn main() -> ExitCode {
    sigpipe::reset(); // `recipe | head -1` ends quietly, as any Unix tool does
    // `{:#}` prints the error and its causes on one line.
    if let Err(e) = run(Args::parse()) {
        eprintln!("error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn run(args: Args) -> anyhow::Result<()> {
    let Args {
        dir,
        out,
        size,
        parallel_only,
        demo_megapixels,
    } = args;
    ensure!(
        (1..=10_000).contains(&size),
        "--size must be between 1 and 10000, got {size}"
    );
    ensure!(
        (0.001..=100.0).contains(&demo_megapixels),
        "--demo-megapixels must be between 0.001 and 100, got {demo_megapixels}"
    );
    let dir = photo_dir(dir, demo_megapixels)?;
    let files = jpeg_files(&dir)?;
    ensure!(
        !files.is_empty(),
        "no *.jpg or *.jpeg files in {}",
        dir.display()
    );
    let out = out.unwrap_or_else(|| dir.join("thumbnails"));
    fs::create_dir_all(&out)
        .with_context(|| format!("creating the output directory --out {}", out.display()))?;
    // Saving into the input directory would replace the photos themselves.
    let resolve =
        |p: &Path| fs::canonicalize(p).with_context(|| format!("resolving {}", p.display()));
    let same = resolve(&out)? == resolve(&dir)?;
    ensure!(
        !same,
        "--out {} is the photo directory: the thumbnails would replace the photos",
        out.display()
    );
    println!(
        "{} photos in {}; thumbnails of at most {size}x{size} go to {}",
        files.len(),
        dir.display(),
        out.display()
    );
    println!("rayon threads: {}", rayon::current_num_threads());

    let sequential = (!parallel_only).then(|| timed(|| thumbnails_sequential(&files, &out, size)));
    let (results, parallel_time) = timed(|| thumbnails_parallel(&files, &out, size));

    let failed = report(&files, &results);
    match sequential {
        Some((sequential, sequential_time)) => {
            // Same files, same kernel: the two runs must agree file by file.
            for ((file, s), p) in files.iter().zip(&sequential).zip(&results) {
                let agree = match (s, p) {
                    (Ok(s), Ok(p)) => s == p,
                    (Err(_), Err(_)) => true,
                    _ => false,
                };
                ensure!(
                    agree,
                    "the sequential and parallel runs disagree on {}",
                    file.display()
                );
            }
            println!(
                "thumbnails: sequential {:.1} ms, parallel {:.1} ms, speedup {:.2}x",
                millis(sequential_time),
                millis(parallel_time),
                sequential_time.as_secs_f64() / parallel_time.as_secs_f64()
            );
        }
        None => println!("thumbnails: parallel {:.1} ms", millis(parallel_time)),
    }
    println!("Saved {} thumbnails, {failed} failed", files.len() - failed);
    if failed > 0 {
        bail!("{failed} of {} photos failed", files.len());
    }
    Ok(())
}

/// The photo directory the user named, or fresh demo photos.
fn photo_dir(dir: Option<PathBuf>, demo_megapixels: f64) -> anyhow::Result<PathBuf> {
    if let Some(dir) = dir {
        let meta = fs::metadata(&dir)
            .with_context(|| format!("cannot read the photo directory {}", dir.display()))?;
        ensure!(meta.is_dir(), "{} is not a directory", dir.display());
        return Ok(dir);
    }
    // A directory of its own for every run: two runs never share photos.
    let dir = tempfile::Builder::new()
        .prefix("thumbnails-demo-")
        .tempdir()
        .context("creating a directory for the demo photos")?
        .keep();
    let started = Instant::now();
    let count = generate_demo_photos(&dir, demo_megapixels)?;
    println!(
        "generated {count} demo photos in {} ({:.2} s)",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(dir)
}

/// Prints one line per thumbnail, in the files' order, and each failure on
/// stderr. Returns how many failed.
fn report(files: &[PathBuf], results: &[anyhow::Result<Thumbnail>]) -> usize {
    let mut failed = 0;
    for (file, result) in files.iter().zip(results) {
        match result {
            Ok(Thumbnail {
                original: (w, h),
                thumbnail: (tw, th),
            }) => {
                let name = file.file_name().unwrap_or(file.as_os_str());
                println!("{}: {w}x{h} -> {tw}x{th}", name.to_string_lossy());
            }
            Err(e) => {
                eprintln!("failed: {}: {e:#}", file.display());
                failed += 1;
            }
        }
    }
    failed
}

/// The `*.jpg` and `*.jpeg` entries directly in `dir`, in any letter case,
/// sorted. Only the entries' names are matched against the patterns: a
/// pattern over the whole path would also match the directory's own name
/// without regard to case, and pick up a sibling such as `photos [1]` for
/// `Photos [1]`.
fn jpeg_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let patterns = [Pattern::new("*.jpg")?, Pattern::new("*.jpeg")?];
    let options = MatchOptions {
        case_sensitive: false,
        ..MatchOptions::new()
    };
    let listing = || format!("listing {}", dir.display());
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(listing)? {
        let entry = entry.with_context(listing)?;
        let name = entry.file_name();
        // Lossy: a name that is not UTF-8 is still matched by its extension.
        let name = name.to_string_lossy();
        let path = entry.path();
        // Anything but a directory is tried, so that a photo that cannot be
        // read (a broken link, say) is reported and counted, not skipped.
        if patterns.iter().any(|p| p.matches_with(&name, options)) && !path.is_dir() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

// ---- kernels: plain functions, so that a benchmark can call them ----

/// Makes the thumbnails one file after another.
pub fn thumbnails_sequential(
    files: &[PathBuf],
    out: &Path,
    size: u32,
) -> Vec<anyhow::Result<Thumbnail>> {
    files
        .iter()
        .map(|file| make_thumbnail(file, out, size))
        .collect()
}

/// Makes the thumbnails in parallel, the files shared out among rayon's
/// workers, largest first; the results come back in the order of `files`.
pub fn thumbnails_parallel(
    files: &[PathBuf],
    out: &Path,
    size: u32,
) -> Vec<anyhow::Result<Thumbnail>> {
    // Largest files first. rayon hands out the list in pieces, front to
    // back; if the biggest photo came last, one worker would still be decoding
    // it while the others sat idle. Started first, it overlaps with the rest.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_cached_key(|&i| Reverse(fs::metadata(&files[i]).map_or(0, |m| m.len())));
    let done: Vec<(usize, anyhow::Result<Thumbnail>)> = order
        .into_par_iter()
        .map(|i| (i, make_thumbnail(&files[i], out, size)))
        .collect();
    // Each result back into its file's slot: the caller gets them in its order.
    let mut results: Vec<Option<anyhow::Result<Thumbnail>>> = files.iter().map(|_| None).collect();
    for (i, result) in done {
        results[i] = Some(result);
    }
    results
        .into_iter()
        .map(|r| r.expect("every file is processed exactly once"))
        .collect()
}

/// Decodes `file`, shrinks it to fit in `size` x `size` keeping its aspect
/// ratio, and saves it as a JPEG of the same name in `out`.
pub fn make_thumbnail(file: &Path, out: &Path, size: u32) -> anyhow::Result<Thumbnail> {
    let photo = ImageReader::open(file)
        .context("opening")?
        .with_guessed_format()
        .context("reading")?
        .decode()
        // image's errors repeat their cause in their own message: keep one
        // copy, on one line (some end in a newline).
        .map_err(|e| anyhow::anyhow!("decoding: {}", e.to_string().trim().replace('\n', " ")))?;
    let original = photo.dimensions();
    let thumbnail = if original.0 <= size && original.1 <= size {
        photo // already small enough: never enlarge
    } else {
        // Fits the image in the box; each source pixel goes into exactly one
        // thumbnail pixel, so no detail is skipped.
        photo.thumbnail(size, size)
    };
    // The JPEG encoder takes 8-bit grey or RGB.
    let thumbnail = match thumbnail {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_) => thumbnail,
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    };
    let name = file.file_name().context("a glob match has a file name")?;
    // Encoded in memory, then written by a writer we own: `save_with_format`
    // would drop the error of the last buffered write.
    let mut jpeg = Vec::new();
    thumbnail.write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)?;
    write_file(&out.join(name), &jpeg)?;
    Ok(Thumbnail {
        original,
        thumbnail: thumbnail.dimensions(),
    })
}

/// Writes `bytes` under a temporary name in `path`'s directory, then renames
/// it into place: a failed write (a full disk) leaves no truncated file under
/// `path` and is an error naming it. An existing `path` that is not a regular
/// file (a device such as `/dev/full`) is written straight to: never renamed over.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let writing = || format!("writing {}", path.display());
    if fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(writing)?;
        return file
            .write_all(bytes)
            .and_then(|()| file.flush())
            .with_context(writing);
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // 0o666 less the umask, as `File::create` gives (a temporary file is 0o600).
    let mut file = tempfile::Builder::new()
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(writing)?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .with_context(writing)?;
    file.persist(path).with_context(writing)?;
    Ok(())
}

/// The result of `f` and the wall-clock time it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let result = f();
    (result, started.elapsed())
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

// ---- demo inputs ----

/// Writes 12 textured JPEGs into a fresh `dir`, in parallel, from
/// `largest / 40` to `largest` megapixels, landscape and portrait, with
/// `.jpg`, `.JPG`, `.jpeg` and `.JPEG` names. Returns how many it wrote.
pub fn generate_demo_photos(dir: &Path, largest: f64) -> anyhow::Result<usize> {
    const COUNT: usize = 12;
    const ASPECTS: [(f64, f64); 3] = [(4.0, 3.0), (3.0, 2.0), (16.0, 9.0)];
    const EXTENSIONS: [&str; 4] = ["jpg", "JPG", "jpeg", "JPEG"];
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    (0..COUNT)
        .into_par_iter()
        .map(|i| {
            // Sizes grow geometrically; even photos are landscape, odd ones portrait.
            let pixels = largest * 1e6 / 40.0 * 40f64.powf(i as f64 / (COUNT - 1) as f64);
            let (long, short) = ASPECTS[i % ASPECTS.len()];
            let long_side = (pixels * long / short).sqrt().round().max(1.0) as u32;
            let short_side = (pixels * short / long).sqrt().round().max(1.0) as u32;
            let (width, height) = if i % 2 == 0 {
                (long_side, short_side)
            } else {
                (short_side, long_side)
            };
            let path = dir.join(format!(
                "photo-{:02}.{}",
                i + 1,
                EXTENSIONS[i % EXTENSIONS.len()]
            ));
            let mut jpeg = Vec::new();
            JpegEncoder::new_with_quality(&mut jpeg, 90)
                .encode_image(&demo_photo(width, height, i as u32))?;
            write_file(&path, &jpeg)
        })
        .collect::<anyhow::Result<Vec<()>>>()
        .map(|written| written.len())
}

/// A landscape-like picture: a sky-to-ground gradient, soft waves, and
/// per-pixel grain so that the JPEG encoder has real detail to code.
fn demo_photo(width: u32, height: u32, seed: u32) -> RgbImage {
    let phase = seed as f32 * 0.7;
    // Waves along x and along y, computed once per column and row.
    let columns: Vec<f32> = (0..width)
        .map(|x| {
            let u = x as f32 / width as f32;
            (u * 11.0 + phase).sin() + 0.5 * (u * 37.0 - phase).sin()
        })
        .collect();
    let rows: Vec<(f32, f32)> = (0..height)
        .map(|y| {
            let v = y as f32 / height as f32;
            ((v * 7.0 - phase).cos(), v)
        })
        .collect();
    RgbImage::from_fn(width, height, |x, y| {
        let (wave_y, v) = rows[y as usize];
        let wave = columns[x as usize] * wave_y * 30.0;
        // A cheap hash of the position: white-noise grain of about 16 levels either way.
        let mut h = x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA77) ^ seed;
        h ^= h >> 15;
        h = h.wrapping_mul(0x2C1B_3C6D);
        h ^= h >> 12;
        let grain = (h & 0x1F) as f32 - 15.5;
        let channel = |sky: f32, ground: f32| {
            (sky + (ground - sky) * v + wave + grain).clamp(0.0, 255.0) as u8
        };
        Rgb([
            channel(110.0, 90.0),
            channel(160.0, 120.0),
            channel(230.0, 60.0),
        ])
    })
}
