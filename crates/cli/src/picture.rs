//! Pictures of a model: its first layer's filters, and samples from its Gibbs chains, as
//! grids of grey tiles saved as PNG.
//!
//! A tile is one vector of W · H values (a hidden unit's incoming weights, or a picture of
//! the visible units) laid out row by row, W wide and H high, as an IDX image is. Tiles sit
//! in a grid with a 1-pixel black gap between neighbours. How values become grey levels
//! (0 black, 255 white) is a [`Scale`]:
//!
//! - [`Scale::Tile`]: each tile's own minimum is black and its maximum white;
//! - [`Scale::Symmetric`]: each tile's 0 is mid-grey (128) and ±max |x| of the tile are black
//!   and white, so the sign of a weight reads the same in every tile;
//! - [`Scale::Unit`]: 0 black, 1 white, values outside [0, 1] clipped (probabilities);
//! - [`Scale::Grid`]: the minimum and maximum over the whole grid (real-valued samples).
//!
//! [`sample`] runs Gibbs chains in an RBM, or in a DBN's top RBM followed by a mean-field
//! pass down through the RBMs below, and records snapshots of the visible means.

use crate::error::{io_error, Error, Result};
use crate::network::Network;
use layerwise_layers::{Rbm, Visible};
use layerwise_linalg::{Float, Matrix};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Read;
use std::path::Path;

/// The width × height of the images a model's inputs are, written `WxH` (`28x28`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageShape {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

impl ImageShape {
    /// W · H.
    pub fn pixels(&self) -> usize {
        self.width * self.height
    }
}

impl std::str::FromStr for ImageShape {
    type Err = String;

    /// `WxH` with W, H ≥ 1 (an `×` also serves).
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(['x', '×']).collect();
        let size = |t: &str| t.trim().parse::<usize>().ok().filter(|&n| n > 0);
        match parts[..] {
            [w, h] => match (size(w), size(h)) {
                (Some(width), Some(height)) => Ok(ImageShape { width, height }),
                _ => Err(format!("{s:?}: expected WIDTHxHEIGHT, both at least 1")),
            },
            _ => Err(format!("{s:?}: expected WIDTHxHEIGHT, e.g. 28x28")),
        }
    }
}

impl fmt::Display for ImageShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

impl Serialize for ImageShape {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ImageShape {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The image shape an IDX file's header records: cols × rows for an `(n, rows, cols)`
/// file, `None` for any other rank. Reads only the header (gzipped or not).
///
/// # Errors
/// [`Error::Io`] when the file cannot be read or is shorter than its header.
pub fn idx_image_shape(path: &Path) -> Result<Option<ImageShape>> {
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    let mut reader = std::io::BufReader::new(file);
    let mut magic = [0u8; 4];
    reader.read_exact(&mut magic).map_err(io_error(path))?;
    let mut input: Box<dyn Read> = if magic[..2] == [0x1f, 0x8b] {
        let again = std::io::Cursor::new(magic.to_vec()).chain(reader);
        let mut gz = flate2::read::GzDecoder::new(again);
        gz.read_exact(&mut magic).map_err(io_error(path))?;
        Box::new(gz)
    } else {
        Box::new(reader)
    };
    if magic[3] != 3 {
        return Ok(None);
    }
    let mut dims = [0u8; 12];
    input.read_exact(&mut dims).map_err(io_error(path))?;
    let dim = |i: usize| u32::from_be_bytes(dims[4 * i..4 * i + 4].try_into().expect("4")) as usize;
    let (height, width) = (dim(1), dim(2));
    Ok((height > 0 && width > 0).then_some(ImageShape { width, height }))
}

/// How values become grey levels; see the module docs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Each tile's minimum black, its maximum white.
    Tile,
    /// Each tile's 0 mid-grey, ±its max |x| black and white.
    Symmetric,
    /// 0 black, 1 white, clipped.
    Unit,
    /// The grid's minimum black, its maximum white.
    Grid,
}

/// An 8-bit grey image, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GreyImage {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `width · height` grey levels.
    pub pixels: Vec<u8>,
}

impl GreyImage {
    /// The image as PNG bytes (8-bit greyscale).
    pub fn to_png(&self) -> Vec<u8> {
        encode_png(
            self.width,
            self.height,
            png::ColorType::Grayscale,
            &self.pixels,
        )
    }

    /// Writes the PNG to `path`.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file.
    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_png()).map_err(io_error(path))
    }
}

/// PNG bytes of `data`, `width · height` pixels of `color`, 8 bits a channel.
pub(crate) fn encode_png(
    width: usize,
    height: usize,
    color: png::ColorType,
    data: &[u8],
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width as u32, height as u32);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .expect("writing to memory cannot fail");
    writer
        .write_image_data(data)
        .expect("the buffer has width · height pixels");
    writer.finish().expect("writing to memory cannot fail");
    out
}

/// Lays out `tiles` (each of `shape.pixels()` values) in a grid of `columns` columns, rows
/// filled left to right, with a 1-pixel black gap; `scale` turns values into grey levels.
///
/// # Panics
/// If a tile's length is not `shape.pixels()` or `columns` is 0.
#[track_caller]
pub fn tile_grid(tiles: &[Vec<f64>], shape: ImageShape, columns: usize, scale: Scale) -> GreyImage {
    assert!(columns > 0, "tile_grid: no columns");
    let (w, h) = (shape.width, shape.height);
    let rows = tiles.len().div_ceil(columns);
    let columns = columns.min(tiles.len().max(1));
    let width = columns * (w + 1) - 1;
    let height = (rows * (h + 1)).max(1) - 1;
    let mut pixels = vec![0u8; width * height];
    let grid = range(tiles.iter().flatten().copied());
    for (t, tile) in tiles.iter().enumerate() {
        assert_eq!(tile.len(), shape.pixels(), "tile_grid: tile {t} is not W·H");
        let grey = tile_levels(tile, scale, grid);
        let (x0, y0) = ((t % columns) * (w + 1), (t / columns) * (h + 1));
        for y in 0..h {
            let at = (y0 + y) * width + x0;
            pixels[at..at + w].copy_from_slice(&grey[y * w..(y + 1) * w]);
        }
    }
    GreyImage {
        width,
        height,
        pixels,
    }
}

/// The (min, max) of some values; (0, 0) for none.
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if lo <= hi {
        (lo, hi)
    } else {
        (0.0, 0.0)
    }
}

/// One tile's grey levels.
fn tile_levels(tile: &[f64], scale: Scale, grid: (f64, f64)) -> Vec<u8> {
    let (lo, hi) = match scale {
        Scale::Tile => range(tile.iter().copied()),
        Scale::Symmetric => {
            let m = tile.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            (-m, m)
        }
        Scale::Unit => (0.0, 1.0),
        Scale::Grid => grid,
    };
    let span = hi - lo;
    let level = |v: f64| match span > 0.0 {
        true => (255.0 * ((v - lo) / span).clamp(0.0, 1.0)).round() as u8,
        false if scale == Scale::Unit || scale == Scale::Symmetric => 128,
        false => 0,
    };
    tile.iter().map(|&v| level(v)).collect()
}

/// The first layer's incoming weights, one tile per unit: `layers.0.weight`, or
/// `logistic.weight` for softmax regression; `(n_units, n_inputs)` as rows of f64.
pub fn first_layer_weights<T: Float>(network: &Network<T>) -> Vec<Vec<f64>> {
    let tensors = network.tensors();
    let (_, shape, values) = &tensors[0];
    let n_inputs = shape[1];
    let rows = values.chunks_exact(n_inputs);
    rows.map(|row| row.iter().map(|v| v.to_f64()).collect())
        .collect()
}

/// Where sampling chains start.
#[derive(Clone, Copy, Debug)]
pub enum ChainStart<'a, T> {
    /// `n` chains from noise at the top RBM's visible units: binary units on with
    /// probability ½, Gaussian units N(0, 1).
    Noise(usize),
    /// One chain per row of these (scaled) inputs, `(n_chains, n_inputs)`; for a DBN the
    /// rows are first carried up to the top RBM by mean activations.
    Data(&'a Matrix<T>),
}

/// How long the chains run and when they are looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sampling {
    /// Gibbs sweeps before the first snapshot's `steps`.
    pub burn_in: usize,
    /// Gibbs sweeps between snapshots, at least 1.
    pub steps: usize,
    /// Snapshots taken, at least 1.
    pub snapshots: usize,
}

/// Runs Gibbs chains in an `rbm`, or in a `dbn`'s top RBM with a mean-field pass down to
/// the inputs, and returns the snapshots: `[chain][snapshot]`, each a vector of n_inputs
/// visible means (probabilities for binary inputs).
///
/// A sweep is h ~ p(h | v), then v ~ p(v | h). Snapshot s is taken after
/// `burn_in + (s + 1) · steps` sweeps: E[v | h] of its last hidden sample, then, for a
/// DBN, x ← E[v | x] through each lower RBM, top to bottom. Every draw comes from `rng`,
/// so a seed fixes the pictures, whatever the thread count.
///
/// # Errors
/// [`Error::InvalidSetting`] for a model that is not an `rbm` or a `dbn`, no chains, or
/// `steps` or `snapshots` of 0.
pub fn sample<T: Float, R: Rng + ?Sized>(
    network: &Network<T>,
    start: ChainStart<'_, T>,
    run: Sampling,
    rng: &mut R,
) -> Result<Vec<Vec<Vec<f64>>>> {
    let rbms: Vec<&Rbm<T>> = match network {
        Network::Rbm(r) => vec![r],
        Network::Dbn(d) => d.rbms().iter().collect(),
        other => {
            return Err(Error::InvalidSetting {
                name: "model",
                value: other.kind().name().to_string(),
                expected: "an rbm or a dbn model (only they define a generative model)".into(),
            })
        }
    };
    for (name, value) in [("--steps", run.steps), ("--snapshots", run.snapshots)] {
        if value == 0 {
            let expected = "at least 1".to_string();
            return Err(Error::InvalidSetting {
                name,
                value: "0".into(),
                expected,
            });
        }
    }
    let (top, below) = rbms.split_last().expect("a dbn has at least one RBM");
    let mut v = match start {
        ChainStart::Noise(n) => noise(top, n, rng),
        ChainStart::Data(x) => below
            .iter()
            .fold(x.clone(), |x, r| r.hidden_probabilities(&x)),
    };
    if v.rows() == 0 {
        let expected = "at least 1".to_string();
        return Err(Error::InvalidSetting {
            name: "--chains",
            value: "0".into(),
            expected,
        });
    }

    // burn-in, then snapshots of E[v | h], carried down mean-field
    let mut out = vec![Vec::with_capacity(run.snapshots); v.rows()];
    for _ in 0..run.burn_in {
        v = top.sample_visible(&top.sample_hidden(&v, rng), rng);
    }
    for _ in 0..run.snapshots {
        let mut h = top.sample_hidden(&v, rng);
        for _ in 1..run.steps {
            v = top.sample_visible(&h, rng);
            h = top.sample_hidden(&v, rng);
        }
        let means = top.visible_probabilities(&h);
        let pixels = below
            .iter()
            .rev()
            .fold(means, |x, r| r.visible_probabilities(&x));
        for (i, chain) in out.iter_mut().enumerate() {
            chain.push(pixels.row(i).iter().map(|p| p.to_f64()).collect());
        }
        v = top.sample_visible(&h, rng);
    }
    Ok(out)
}

/// `(n, n_visible)` of noise for `rbm`'s visible units.
fn noise<T: Float, R: Rng + ?Sized>(rbm: &Rbm<T>, n: usize, rng: &mut R) -> Matrix<T> {
    match rbm.visible() {
        Visible::Bernoulli => Matrix::from_fn(n, rbm.n_visible(), |_, _| {
            T::from_f64(if rng.gen::<bool>() { 1.0 } else { 0.0 })
        }),
        Visible::Gaussian => Matrix::from_fn(n, rbm.n_visible(), |_, _| {
            // Box–Muller, one normal of each pair
            let (u1, u2): (f64, f64) = (rng.gen(), rng.gen());
            let r = (-2.0 * (1.0 - u1).ln()).sqrt();
            T::from_f64(r * (std::f64::consts::TAU * u2).cos())
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_and_print_as_width_x_height() {
        let s: ImageShape = "28x14".parse().unwrap();
        assert_eq!((s.width, s.height, s.pixels()), (28, 14, 392));
        assert_eq!(s.to_string(), "28x14");
        for bad in ["28", "0x3", "ax3", "2x3x4", ""] {
            assert!(bad.parse::<ImageShape>().is_err(), "{bad}");
        }
    }

    #[test]
    fn tiles_sit_in_a_grid_with_one_pixel_gaps_each_on_its_own_scale() {
        let shape = ImageShape {
            width: 2,
            height: 1,
        };
        let tiles = vec![vec![-1.0, 3.0], vec![10.0, 20.0], vec![0.5, 0.5]];
        let img = tile_grid(&tiles, shape, 2, Scale::Tile);
        assert_eq!((img.width, img.height), (5, 3));
        #[rustfmt::skip]
        let want = [
            0, 255, 0, 0, 255,
            0, 0, 0, 0, 0,
            0, 0, 0, 0, 0,
        ];
        assert_eq!(img.pixels, want);
        let sym = tile_grid(&tiles[..1], shape, 1, Scale::Symmetric);
        assert_eq!(sym.pixels, [85, 255]); // −1 of ±3 is a third of the way up
        let unit = tile_grid(&[vec![-0.5, 0.5]], shape, 1, Scale::Unit);
        assert_eq!(unit.pixels, [0, 128]);
    }

    #[test]
    fn png_bytes_decode_to_the_same_pixels() {
        let shape = ImageShape {
            width: 3,
            height: 2,
        };
        let img = tile_grid(&[vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]], shape, 1, Scale::Unit);
        let bytes = img.to_png();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (3, 2));
        assert_eq!(&buf[..6], img.pixels.as_slice());
    }
}
