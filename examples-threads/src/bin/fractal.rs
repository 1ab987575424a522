//! Draw a Julia set, dispatching one row per job to a thread pool.
//!
//! The cookbook's recipe sends every *pixel* through the channel: two million
//! messages for a 1920x1080 image, so the channel, not the arithmetic, sets
//! the pace. Here each `threadpool` job renders a whole row and sends it back
//! as one `(y, Vec<u8>)` message; main writes each row into its place in the
//! image by its `y`, so rows may arrive in any order and the picture is the
//! same on every run and with any number of threads. Only the time on the
//! `Rendered` line varies. The PNG is encoded in memory and written under a
//! temporary name, then renamed into place: a failed write (a full disk) is
//! an error naming the file and never leaves a truncated one.
//!
//! The escape test is `norm_sqr() > 4.0`, not `norm() > 2.0`: the same
//! comparison without a square root per iteration. Pixels are sampled at their
//! centres, so pixel (x, y) and pixel (w-1-x, h-1-y) map to z and -z exactly;
//! since f(z) = z^2 + c gives f(-z) = f(z), the image is point-symmetric.
//! The pool is sized by `num_cpus::get()` (std now has
//! `std::thread::available_parallelism()`).
//!
//! ```sh
//! cargo run --release -p examples-threads --bin fractal -- --width 3840 --height 2160 --output julia.png
//! ```

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, ensure};
use clap::Parser;
use clap::builder::RangedU64ValueParser;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use num::complex::Complex;
use threadpool::ThreadPool;

/// The Julia set's constant, as in the cookbook.
pub const C: Complex<f64> = Complex::new(-0.8, 0.156);
/// Iterations before a point counts as inside the set.
pub const MAX_ITERATIONS: u32 = 300;

/// Render the Julia set for c = -0.8 + 0.156i to a PNG file.
#[derive(Parser)]
struct Args {
    /// Image width in pixels [1-16384].
    #[arg(long, default_value_t = 1920, value_parser = clap::value_parser!(u32).range(1..=16_384))]
    width: u32,
    /// Image height in pixels [1-16384; at most 64 megapixels in all].
    #[arg(long, default_value_t = 1080, value_parser = clap::value_parser!(u32).range(1..=16_384))]
    height: u32,
    /// Output PNG file.
    #[arg(long, default_value_os_t = std::env::temp_dir().join("fractal.png"))]
    output: PathBuf,
    /// Worker threads [1-1024; default: the number of logical CPUs].
    #[arg(long, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1024))]
    threads: Option<usize>,
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
    let Args { width, height, .. } = args;
    ensure!(
        u64::from(width) * u64::from(height) <= 64 << 20,
        "--width x --height must be at most 64 megapixels, got {width}x{height}"
    );
    let pool = ThreadPool::new(args.threads.unwrap_or_else(num_cpus::get));

    let started = Instant::now();
    let pixels = render_with_pool(&pool, width, height)?;
    println!(
        "Rendered {width}x{height} Julia set (c = {C}, {MAX_ITERATIONS} iterations): \
         {height} row jobs on {} threads in {:.0?}",
        pool.max_count(),
        started.elapsed()
    );

    // Encoded in memory, then written with a writer we own: `image`'s `save`
    // writes through a `BufWriter` whose drop swallows the last write's error.
    let mut png = Vec::new();
    PngEncoder::new(&mut png)
        .write_image(&pixels, width, height, ExtendedColorType::Rgb8)
        .context("encoding the PNG")?;
    let output = &args.output;
    write_file(output, &png).with_context(|| format!("writing {}", output.display()))?;
    println!("Wrote {width}x{height} PNG to {}", output.display());
    Ok(())
}

/// The whole image as RGB bytes, one job per row on `pool`.
pub fn render_with_pool(pool: &ThreadPool, width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    for y in 0..height {
        // Each job owns a sender; the row comes back tagged with its `y`.
        let tx = tx.clone();
        pool.execute(move || {
            tx.send((y, render_row(y, width, height)))
                .expect("main receives until every row has arrived");
        });
    }
    // Drop main's sender, so `rx` ends after the last row.
    drop(tx);
    assemble(rx, width, height)
}

/// The image from its rows, each `(y, row)` copied to its place by its `y`,
/// whatever order the rows arrive in.
pub fn assemble(
    rows: impl IntoIterator<Item = (u32, Vec<u8>)>,
    width: u32,
    height: u32,
) -> anyhow::Result<Vec<u8>> {
    let row_len = width as usize * 3;
    let mut pixels = vec![0; row_len * height as usize];
    let mut arrived = 0;
    for (y, row) in rows {
        pixels[y as usize * row_len..][..row_len].copy_from_slice(&row);
        arrived += 1;
    }
    // A job that panicked dropped its sender without sending its row.
    let missing = height - arrived;
    ensure!(missing == 0, "{missing} of {height} row jobs panicked");
    Ok(pixels)
}

/// Row `y` of the image as RGB bytes: the unit of work of one pool job.
pub fn render_row(y: u32, width: u32, height: u32) -> Vec<u8> {
    (0..width)
        .flat_map(|x| pixel_rgb(x, y, width, height))
        .collect()
}

/// The colour of pixel (x, y), from the complex number at its centre. One
/// scale for both axes (no stretching), chosen so that [-1.5, 1.5] x [-1, 1]
/// is always in view.
pub fn pixel_rgb(x: u32, y: u32, width: u32, height: u32) -> [u8; 3] {
    let (w, h) = (f64::from(width), f64::from(height));
    let scale = (3.0 / w).max(2.0 / h);
    // x + 0.5 - w/2 is exact in f64, so mirrored pixels get exactly negated points.
    let z = Complex::new(
        scale * (f64::from(x) + 0.5 - w / 2.0),
        scale * (f64::from(y) + 0.5 - h / 2.0),
    );
    wavelength_to_rgb(380 + escape_time(z, C, MAX_ITERATIONS) * 400 / MAX_ITERATIONS)
}

/// How many iterations of z -> z^2 + c it takes `z` to leave the disc of
/// radius 2 (`max_iterations` if it never does).
pub fn escape_time(mut z: Complex<f64>, c: Complex<f64>, max_iterations: u32) -> u32 {
    for i in 0..max_iterations {
        if z.norm_sqr() > 4.0 {
            return i;
        }
        z = z * z + c;
    }
    max_iterations
}

/// The cookbook's palette: a wavelength of visible light, 380-780 nm, as RGB.
pub fn wavelength_to_rgb(wavelength: u32) -> [u8; 3] {
    let wave = wavelength as f32;
    let (r, g, b) = match wavelength {
        380..=439 => ((440. - wave) / (440. - 380.), 0.0, 1.0),
        440..=489 => (0.0, (wave - 440.) / (490. - 440.), 1.0),
        490..=509 => (0.0, 1.0, (510. - wave) / (510. - 490.)),
        510..=579 => ((wave - 510.) / (580. - 510.), 1.0, 0.0),
        580..=644 => (1.0, (645. - wave) / (645. - 580.), 0.0),
        645..=780 => (1.0, 0.0, 0.0),
        _ => (0.0, 0.0, 0.0),
    };
    let factor = match wavelength {
        380..=419 => 0.3 + 0.7 * (wave - 380.) / (420. - 380.),
        701..=780 => 0.3 + 0.7 * (780. - wave) / (780. - 700.),
        _ => 1.0,
    };
    let channel = |c: f32| ((c * factor).powf(0.8) * 255.) as u8;
    [channel(r), channel(g), channel(b)]
}

/// Writes `bytes` under a temporary name in `path`'s directory, then renames
/// it to `path`: a failed write never leaves a truncated file there. A path
/// that exists and is not a regular file (`/dev/stdout`, a pipe) is written
/// in place: renaming over a device would replace the device.
fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let mut file = File::options().write(true).open(path)?;
        file.write_all(bytes)?;
        return file.flush();
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let mut file = tempfile::Builder::new()
        .permissions(fs::Permissions::from_mode(0o666)) // less the umask, as `File::create`
        .tempfile_in(dir.unwrap_or(Path::new(".")))?;
    file.write_all(bytes)?;
    file.flush()?;
    file.persist(path)?;
    Ok(())
}
