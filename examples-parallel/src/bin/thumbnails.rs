//! Make JPEG thumbnails in parallel: decode fewer pixels first, then share the photos out with `par_iter`.
//!
//! Every `*.jpg` and `*.jpeg` in a directory (any letter case) is shrunk to
//! fit in `--size` x `--size` pixels keeping its aspect ratio (photos that
//! already fit keep their size) and saved under the same name in `--out`.
//! Making the work smaller comes before adding cores: a JPEG is decoded at
//! the smallest scale of 1/8, 2/8, ... or 8/8 that still covers the
//! thumbnail (libjpeg-turbo's scaled inverse DCT, through the `mozjpeg`
//! crate; Pillow's `draft` mode does the same with 1/8, 1/4 and 1/2), so a
//! 12 MP photo never becomes 12 million pixels. Then rayon runs the photos
//! on every core. The largest files go first in the list, a heuristic only:
//! rayon splits the list in halves and an idle worker steals the right half
//! of another's share, so the big photos start early, in no guaranteed
//! order. `collect` keeps the list's order however the work was split, so
//! the report comes in name order; only the timing line varies.
//!
//! Each thumbnail is encoded in memory, written under a temporary name and
//! renamed into place, so a failed save (a full disk) leaves no partial file.
//! A photo that cannot be read or saved is reported on stderr and counted,
//! the others are still done, and the exit code says that something failed.
//!
//! Without a directory, 12 demo photos are generated in a new directory
//! under the system's temporary directory (printed), and the thumbnails go
//! to `thumbnails/` in it. The batch's time is printed; `--sequential` and
//! `--decode full` make it the slower ways, to compare. The benchmarks time
//! all four ways and Pillow on the same photos, up to 12 MP (`make bench`,
//! BENCHMARKS.md).
//!
//! ```sh
//! cargo run --release -p examples-parallel --bin thumbnails -- ~/Pictures --out /tmp/thumbnails
//! ```

use std::cmp::Reverse;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail, ensure};
use clap::Parser;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage, imageops};
use mozjpeg::ColorSpace::{JCS_CMYK, JCS_RGB, JCS_YCCK};
use rayon::prelude::*;

/// Shrink every JPEG in a directory to a thumbnail, in parallel.
#[derive(Parser)]
struct Args {
    /// Directory of *.jpg / *.jpeg photos [default: generated demo photos].
    dir: Option<PathBuf>,
    /// Directory the thumbnails are saved in [default: DIR/thumbnails].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Thumbnails fit in a square of this many pixels [1-10000].
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    size: u32,
    /// Make the thumbnails on one thread, to compare.
    #[arg(long)]
    sequential: bool,
    /// How each JPEG is decoded: `full` makes every pixel, to compare.
    #[arg(long, value_enum, default_value_t = Decode::ReducedScale)]
    decode: Decode,
    /// Largest demo photo in megapixels, the smallest 40 times smaller
    /// [0.001-100]. Only without DIR.
    #[arg(long, default_value_t = 0.5, value_parser = megapixels)]
    demo_megapixels: f64,
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
    let dir = match args.dir {
        Some(dir) => dir,
        None => demo_photos(args.demo_megapixels)?,
    };
    let files = jpeg_files(&dir)?;
    let out = args.out.unwrap_or_else(|| dir.join("thumbnails"));
    fs::create_dir_all(&out)
        .with_context(|| format!("creating the output directory --out {}", out.display()))?;
    // Saving into the photo directory would replace the photos themselves.
    let resolve =
        |p: &Path| fs::canonicalize(p).with_context(|| format!("resolving {}", p.display()));
    ensure!(
        resolve(&out)? != resolve(&dir)?,
        "--out {} is the photo directory: the thumbnails would replace the photos",
        out.display()
    );
    let size = args.size;
    let count = files.len();
    println!(
        "{count} photos in {}; thumbnails of at most {size}x{size} go to {}",
        dir.display(),
        out.display()
    );
    let started = Instant::now();
    let results = if args.sequential {
        thumbnails_sequential(&files, &out, size, args.decode)
    } else {
        thumbnails_parallel(&files, &out, size, args.decode)
    };
    let elapsed = started.elapsed();
    let on = match args.sequential {
        true => "one thread".to_owned(),
        false => format!("rayon's {}-thread pool", rayon::current_num_threads()),
    };
    println!("made in {elapsed:.1?} on {on}, decode {:?}", args.decode);

    let mut failed = 0;
    for (file, result) in files.iter().zip(&results) {
        let name = file.file_name().unwrap_or_default().display();
        match result {
            Ok(((w, h), (tw, th))) => println!("{name}: {w}x{h} -> {tw}x{th}"),
            Err(e) => {
                eprintln!("failed: {}: {e:#}", file.display());
                failed += 1;
            }
        }
    }
    println!("Saved {} thumbnails, {failed} failed", count - failed);
    if failed > 0 {
        bail!("{failed} of {count} photos failed");
    }
    Ok(())
}

// ---- kernels: plain functions, so that a benchmark can call them ----

/// A photo's size and its thumbnail's, in pixels.
pub type Sizes = ((u32, u32), (u32, u32));

/// Each photo's sizes, or why its thumbnail could not be made.
pub type Results = Vec<anyhow::Result<Sizes>>;

/// How a photo is decoded before it is shrunk.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Decode {
    /// Every pixel of the photo, then shrunk: 12 million pixels for a 12 MP photo.
    Full,
    /// A JPEG at the smallest scale of 1/8, 2/8, ... 8/8 that still covers
    /// the thumbnail: up to 64 times fewer pixels made, then shrunk.
    ReducedScale,
}

/// Makes the thumbnails one file after another.
pub fn thumbnails_sequential(files: &[PathBuf], out: &Path, size: u32, decode: Decode) -> Results {
    files
        .iter()
        .map(|f| make_thumbnail(f, out, size, decode))
        .collect()
}

/// Makes the thumbnails on rayon's workers; the results come back in the
/// order of `files`.
pub fn thumbnails_parallel(files: &[PathBuf], out: &Path, size: u32, decode: Decode) -> Results {
    // Largest first, so that no big photo is left for the end while the
    // other workers sit idle (a heuristic: see the header).
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_cached_key(|&i| Reverse(fs::metadata(&files[i]).map_or(0, |m| m.len())));
    // Every worker writes only its own photos' files: nothing is shared.
    let mut done: Vec<_> = order
        .into_par_iter()
        .map(|i| (i, make_thumbnail(&files[i], out, size, decode)))
        .collect();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, result)| result).collect()
}

/// Decodes `file`, shrinks it to fit in `size` x `size` keeping its aspect
/// ratio, and saves it as a JPEG of the same name in `out`. Returns the
/// photo's size and the thumbnail's.
pub fn make_thumbnail(file: &Path, out: &Path, size: u32, decode: Decode) -> anyhow::Result<Sizes> {
    let bytes = fs::read(file).context("reading")?;
    let (original, photo) = match decode {
        Decode::ReducedScale if bytes.starts_with(&[0xFF, 0xD8]) => {
            decode_jpeg_scaled(&bytes, size)?
        }
        _ => {
            let photo = image::load_from_memory(&bytes)
                // image's errors repeat their cause: keep one copy, on one line.
                .map_err(|e| {
                    anyhow::anyhow!("decoding: {}", e.to_string().trim().replace('\n', " "))
                })?
                .into_rgb8();
            (photo.dimensions(), photo)
        }
    };
    let (width, height) = fit(original, size); // never enlarged
    // A box filter: each decoded pixel goes into exactly one thumbnail pixel.
    let thumbnail = imageops::thumbnail(&photo, width, height);
    // Encoded in memory: `save_with_format` would drop the error of the last
    // buffered write.
    let mut jpeg = Vec::new();
    JpegEncoder::new(&mut jpeg)
        .encode_image(&thumbnail)
        .context("encoding the thumbnail")?;
    let name = file.file_name().context("a photo has a file name")?;
    write_file(&out.join(name), &jpeg)?;
    Ok((original, (width, height)))
}

// ---- helpers ----

/// The size of the thumbnail of a `width` x `height` photo: the largest that
/// fits in `size` x `size` with the same aspect ratio (rounded as `image`'s
/// `thumbnail` rounds), or the photo's own size if it already fits.
pub fn fit((width, height): (u32, u32), size: u32) -> (u32, u32) {
    if width <= size && height <= size {
        return (width, height);
    }
    let ratio = (f64::from(size) / f64::from(width)).min(f64::from(size) / f64::from(height));
    let scaled = |side: u32| ((f64::from(side) * ratio).round() as u32).max(1);
    (scaled(width), scaled(height))
}

/// Decodes a JPEG with libjpeg-turbo (the `mozjpeg` crate) at the smallest
/// DCT scale n/8 whose result still covers the thumbnail of `size`: the
/// inverse DCT then makes each 8x8 block of pixels into n x n, and the full
/// image is never built. Returns the photo's full size and the decoded image.
pub fn decode_jpeg_scaled(jpeg: &[u8], size: u32) -> anyhow::Result<((u32, u32), RgbImage)> {
    let decode = || -> anyhow::Result<_> {
        let mut input = Input {
            rest: jpeg,
            ran_out: false,
        };
        let mut decoder = mozjpeg::Decompress::builder().from_reader(&mut input)?;
        let (width, height) = (decoder.width() as u32, decoder.height() as u32); // u16 in a JPEG
        let (w, h) = fit((width, height), size);
        // Scale n/8 for the smallest n whose sides (rounded up, as libjpeg
        // rounds them) still cover the thumbnail's.
        let covers = |n: u32| (width * n).div_ceil(8) >= w && (height * n).div_ceil(8) >= h;
        decoder.scale((1..=8).find(|&n| covers(n)).unwrap_or(8) as u8);
        // libjpeg makes RGB of YCbCr, RGB and gray; CMYK is left to us.
        let cmyk = matches!(decoder.color_space(), JCS_CMYK | JCS_YCCK);
        let mut pixels = decoder.to_colorspace(if cmyk { JCS_CMYK } else { JCS_RGB })?;
        let (w, h) = (pixels.width() as u32, pixels.height() as u32);
        let mut rgb: Vec<u8> = pixels.read_scanlines()?;
        pixels.finish()?;
        ensure!(!input.ran_out, "the file ends early");
        if cmyk {
            // As JPEGs store it (Adobe's way), 255 is no ink: each colour is
            // what its ink and black leave of white.
            let white = |c: u8, k: u8| (u32::from(c) * u32::from(k) / 255) as u8;
            rgb = rgb
                .chunks_exact(4)
                .flat_map(|p| [0, 1, 2].map(|i| white(p[i], p[3])))
                .collect();
        }
        let image = RgbImage::from_raw(w, h, rgb).context("short pixel data")?;
        Ok(((width, height), image))
    };
    // libjpeg gives up on a broken file by unwinding (mozjpeg's choice), with
    // its message as the payload.
    match std::panic::catch_unwind(decode) {
        Ok(decoded) => decoded.context("decoding"),
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map_or("libjpeg gave up", |m| m);
            bail!("decoding: {message}")
        }
    }
}

/// A JPEG's bytes for libjpeg to read, noting whether it asked for more than
/// there are. libjpeg only warns of a file cut short and makes up the missing
/// part, but a thumbnail of half a photo is a failure. (Corrupt data it can
/// skip past stays a warning, as in Pillow.)
struct Input<'a> {
    rest: &'a [u8],
    ran_out: bool,
}

impl std::io::Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.rest.read(buf)
    }
}

impl std::io::BufRead for Input<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.ran_out |= self.rest.is_empty();
        Ok(self.rest)
    }
    fn consume(&mut self, amount: usize) {
        self.rest = &self.rest[amount..];
    }
}

/// Writes `bytes` under a temporary name in `path`'s directory, then renames
/// it into place: a failed write leaves no truncated file under `path` and
/// is an error naming it.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let writing = || format!("writing {}", path.display());
    let dir = path.parent().context("a file to write has a directory")?;
    // 0o666 less the umask, as `File::create` gives (a temporary file is 0o600).
    let mut file = tempfile::Builder::new()
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .with_context(writing)?;
    file.write_all(bytes).with_context(writing)?; // unbuffered: every error seen
    file.persist(path).with_context(writing)?;
    Ok(())
}

/// The `*.jpg` and `*.jpeg` files directly in `dir`, any letter case, sorted.
fn jpeg_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let shown = dir.display();
    let listing = || format!("cannot read the photo directory {shown}");
    let is_dir = fs::metadata(dir).with_context(listing)?.is_dir();
    ensure!(is_dir, "{shown} is not a directory");
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).with_context(listing)? {
        let path = entry.with_context(listing)?.path();
        let ext = path.extension().unwrap_or_default();
        let jpeg = ext.eq_ignore_ascii_case("jpg") || ext.eq_ignore_ascii_case("jpeg");
        // Anything but a directory: a photo that cannot be read (a broken
        // link, say) is reported and counted, not skipped.
        if jpeg && !path.is_dir() {
            files.push(path);
        }
    }
    files.sort();
    ensure!(!files.is_empty(), "no *.jpg or *.jpeg files in {shown}");
    Ok(files)
}

/// `--demo-megapixels`: a number from 0.001 to 100.
fn megapixels(arg: &str) -> Result<f64, String> {
    match arg.parse() {
        Ok(mp) if (0.001..=100.0).contains(&mp) => Ok(mp),
        _ => Err("expected a number from 0.001 to 100".into()),
    }
}

// ---- demo inputs ----

/// Generates the demo photos in a new directory of this run's own (two runs
/// never read each other's half-written photos) and returns it.
fn demo_photos(largest_megapixels: f64) -> anyhow::Result<PathBuf> {
    let dir = tempfile::Builder::new()
        .prefix("thumbnails-demo-")
        .tempdir()?
        .keep();
    let count = generate_demo_photos(&dir, largest_megapixels)?;
    println!("generated {count} demo photos in {}", dir.display());
    Ok(dir)
}

/// Writes 12 grainy JPEGs into `dir`, from `largest / 40` to `largest`
/// megapixels, landscape and portrait, named `.jpg`, `.JPG`, `.jpeg` and
/// `.JPEG` in turn. Returns how many it wrote.
pub fn generate_demo_photos(dir: &Path, largest: f64) -> anyhow::Result<usize> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for i in 0..12 {
        // Sizes grow geometrically; aspect ratios 4:3, 3:2 and 16:9 in turn.
        let pixels = largest * 1e6 / 40.0 * 40f64.powf(f64::from(i) / 11.0);
        let aspect = [4.0 / 3.0, 3.0 / 2.0, 16.0 / 9.0][i as usize % 3];
        let long = (pixels * aspect).sqrt().round() as u32;
        let short = (pixels / aspect).sqrt().round() as u32;
        let (width, height) = [(long, short), (short, long)][i as usize % 2];
        let extension = ["jpg", "JPG", "jpeg", "JPEG"][i as usize % 4];
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&demo_photo(width, height, i))?;
        write_file(&dir.join(format!("photo-{:02}.{extension}", i + 1)), &jpeg)?;
    }
    Ok(12)
}

/// A sky fading to the ground, with grain on every pixel so that the JPEG
/// encoder has real detail to code.
fn demo_photo(width: u32, height: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let fade = (y * 100 / height) as u8; // 0 at the top, 99 at the bottom
        // A cheap hash of the position: grain of 32 levels.
        let hash = (x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA77) ^ seed)
            .wrapping_mul(0x2C1B_3C6D);
        let grain = (hash >> 27) as u8;
        Rgb([100 + grain, 150 + grain - fade / 2, 220 + grain - fade * 2])
    })
}
