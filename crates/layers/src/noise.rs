//! The corruptions a denoising autoencoder learns to undo.
//!
//! For a clean input x (one row of `n_visible` values), the corrupted x̃ has the same shape:
//! - masking, level p: x̃ᵢ = 0 with probability p, else xᵢ (for inputs in [0, 1]);
//! - salt and pepper, level p: with probability p, x̃ᵢ is set to 0 or to 1 with equal chance
//!   (so 0 with probability p/2, 1 with probability p/2), else x̃ᵢ = xᵢ (inputs in [0, 1]);
//! - additive Gaussian, level σ: x̃ᵢ = xᵢ + σ εᵢ, εᵢ ~ N(0, 1) (for real-valued
//!   inputs; the result is not clipped).
//!
//! Draws come from [`crate::RowStreams`]: one value is taken from the caller's generator per
//! call. Masking and salt and pepper take one 32-bit word per element, u = w / 2³², element
//! (i, j) word i · cols + j of [`crate::RowStreams::rows_from`]; the Gaussian noise draws
//! from row i's own stream, in column order, one uniform `f64` per element, in pairs, turned
//! into normal deviates by the Box–Muller transform. So a seed fixes every bit whatever the
//! thread count, and a row's noise depends on its index only.

use crate::activation::{chunk_rows, RowStreams};
use crate::error::{Error, Result};
use layerwise_linalg::{Float, Matrix};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// A corruption of the input, with its level.
///
/// The levels are checked by [`crate::DaParams::with_noise`]; [`Noise::corrupt_into`] uses
/// them as given.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Noise {
    /// Each element set to 0 with probability `p`, in [0, 1).
    Masking {
        /// The probability of zeroing an element.
        p: f64,
    },
    /// Each element replaced, with probability `p` in [0, 1), by 0 or 1 with equal chance.
    SaltAndPepper {
        /// The probability of replacing an element.
        p: f64,
    },
    /// N(0, σ²) noise added to every element; σ = `std`, finite and ≥ 0.
    Gaussian {
        /// The standard deviation σ.
        std: f64,
    },
}

impl Noise {
    /// The level of the noise: p for masking and salt and pepper, σ for Gaussian noise.
    pub fn level(&self) -> f64 {
        match *self {
            Noise::Masking { p } | Noise::SaltAndPepper { p } => p,
            Noise::Gaussian { std } => std,
        }
    }

    /// `Ok(())` when the level is in range: p in [0, 1), or σ finite and ≥ 0.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] named `corruption_level` (p) or `noise_std` (σ).
    pub(crate) fn check(&self) -> Result<()> {
        let (name, value, ok, expected) = match *self {
            Noise::Masking { p } | Noise::SaltAndPepper { p } => {
                let ok = (0.0..1.0).contains(&p);
                ("corruption_level", p, ok, "a probability in [0, 1)")
            }
            Noise::Gaussian { std } => {
                let ok = std.is_finite() && std >= 0.0;
                ("noise_std", std, ok, "a finite standard deviation ≥ 0")
            }
        };
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidHyperparameter {
                name,
                value,
                expected,
            })
        }
    }

    /// x̃, the corrupted copy of x: `(n_samples, n_visible) → (n_samples, n_visible)`.
    ///
    /// One value is drawn from `rng` (see the module docs for the per-row draws).
    pub fn corrupt<T: Float, R: Rng + ?Sized>(&self, x: &Matrix<T>, rng: &mut R) -> Matrix<T> {
        let mut out = Matrix::zeros(0, 0);
        self.corrupt_into(x, &mut out, rng);
        out
    }

    /// [`Noise::corrupt`] into `out`, reshaped to the shape of x and reusing its buffer;
    /// rows in parallel.
    pub fn corrupt_into<T: Float, R: Rng + ?Sized>(
        &self,
        x: &Matrix<T>,
        out: &mut Matrix<T>,
        rng: &mut R,
    ) {
        let streams = RowStreams::new(rng);
        let cols = x.cols().max(1);
        out.reshape_uninit(x.rows(), x.cols());
        let noise = *self;
        out.par_row_chunks_mut(chunk_rows(cols), |first, chunk| {
            let clean = &x.as_slice()[first * cols..first * cols + chunk.len()];
            match noise {
                Noise::Masking { p } => {
                    let mut words = streams.rows_from(first, cols);
                    in_word_runs(
                        chunk,
                        clean,
                        &mut words,
                        |v, u| if u < p { T::ZERO } else { v },
                    );
                }
                Noise::SaltAndPepper { p } => {
                    let mut words = streams.rows_from(first, cols);
                    in_word_runs(chunk, clean, &mut words, |v, u| salt_and_pepper(v, u, p));
                }
                Noise::Gaussian { std } => {
                    let rows = chunk.chunks_mut(cols).zip(clean.chunks(cols));
                    for (r, (row, clean)) in rows.enumerate() {
                        gaussian_row(row, clean, std, &mut streams.row(first + r));
                    }
                }
            }
        });
    }
}

/// out\[i\] ← f(x\[i\], uᵢ), with u = w / 2³² for the next 32-bit word w of `words`, drawn
/// in runs of 256.
fn in_word_runs<T: Float>(out: &mut [T], x: &[T], words: &mut ChaCha8Rng, f: impl Fn(T, f64) -> T) {
    const SCALE: f64 = 1.0 / 4_294_967_296.0;
    let mut run = [0_u32; 256];
    for (o, x) in out.chunks_mut(256).zip(x.chunks(256)) {
        let w = &mut run[..o.len()];
        words.fill(w);
        for ((o, &v), &w) in o.iter_mut().zip(x).zip(w.iter()) {
            *o = f(v, f64::from(w) * SCALE);
        }
    }
}

/// x with its uniform u: 0 when u < p/2, 1 when p/2 ≤ u < p, else x.
#[inline]
fn salt_and_pepper<T: Float>(x: T, u: f64, p: f64) -> T {
    if u < 0.5 * p {
        T::ZERO
    } else if u < p {
        T::ONE
    } else {
        x
    }
}

/// out ← x + σ ε, ε ~ N(0, 1) by Box–Muller: the uniforms u₁, u₂ of each pair of
/// elements give r = √(−2 ln(1 − u₁)) and the deviates r cos 2πu₂, r sin 2πu₂ (the
/// second unused after an odd last element).
fn gaussian_row<T: Float>(out: &mut [T], x: &[T], std: f64, stream: &mut ChaCha8Rng) {
    for (o, v) in out.chunks_mut(2).zip(x.chunks(2)) {
        let (u1, u2) = (stream.gen::<f64>(), stream.gen::<f64>());
        let r = std * (-2.0 * (1.0 - u1).ln()).sqrt();
        let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
        for ((o, &v), e) in o.iter_mut().zip(v).zip([cos, sin]) {
            *o = T::from_f64(v.to_f64() + r * e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Fraction of the elements of `m` for which `f` holds.
    fn fraction(m: &Matrix<f64>, f: impl Fn(f64) -> bool) -> f64 {
        m.as_slice().iter().filter(|&&v| f(v)).count() as f64 / m.as_slice().len() as f64
    }

    #[test]
    fn levels_are_checked_and_named() {
        assert!(Noise::Masking { p: 0.0 }.check().is_ok());
        assert!(Noise::SaltAndPepper { p: 0.99 }.check().is_ok());
        assert!(Noise::Gaussian { std: 0.0 }.check().is_ok());
        let e = Noise::SaltAndPepper { p: 1.0 }.check().unwrap_err();
        assert!(e.to_string().contains("corruption_level = 1"), "{e}");
        let e = Noise::Masking { p: -0.1 }.check().unwrap_err();
        assert!(e.to_string().contains("corruption_level = -0.1"), "{e}");
        let e = Noise::Gaussian { std: -0.5 }.check().unwrap_err();
        assert!(e.to_string().contains("noise_std = -0.5"), "{e}");
        let e = Noise::Gaussian { std: f64::NAN }.check().unwrap_err();
        assert!(e.to_string().contains("noise_std = NaN"), "{e}");
    }

    /// 40 000 elements at level 0.3: the fraction changed has standard deviation
    /// √(0.3 · 0.7 / 40 000) ≈ 0.0023, so 0.01 is over 4 standard deviations.
    #[test]
    fn masking_zeroes_the_requested_fraction() {
        let mut rng = ChaCha8Rng::seed_from_u64(20);
        let x = Matrix::filled(200, 200, 0.5_f64);
        let c = Noise::Masking { p: 0.3 }.corrupt(&x, &mut rng);
        approx::assert_abs_diff_eq!(fraction(&c, |v| v == 0.0), 0.3, epsilon = 0.01);
        approx::assert_abs_diff_eq!(fraction(&c, |v| v == 0.5), 0.7, epsilon = 0.01);
    }

    /// 40 000 elements at level 0.3: the fraction replaced as above (± 0.01); of the about
    /// 12 000 replaced, the share set to 0 has standard deviation √(0.25 / 12 000) ≈ 0.0046,
    /// so 0.02 is over 4 standard deviations.
    #[test]
    fn salt_and_pepper_replaces_the_requested_fraction_half_by_0_half_by_1() {
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let x = Matrix::filled(200, 200, 0.5_f64);
        let c = Noise::SaltAndPepper { p: 0.3 }.corrupt(&x, &mut rng);
        let (zeros, ones) = (fraction(&c, |v| v == 0.0), fraction(&c, |v| v == 1.0));
        approx::assert_abs_diff_eq!(zeros + ones, 0.3, epsilon = 0.01);
        approx::assert_abs_diff_eq!(fraction(&c, |v| v == 0.5), 0.7, epsilon = 0.01);
        approx::assert_abs_diff_eq!(zeros / (zeros + ones), 0.5, epsilon = 0.02);
    }

    /// 40 000 deviates at σ = 0.5: the sample mean has standard deviation σ / 200 = 0.0025
    /// (tolerance 0.01), the sample variance √(2 / 40 000) σ² ≈ 0.0018 (tolerance 0.01, about
    /// 4 % of σ² = 0.25); and about 68.3 % of deviates fall within one σ (± 0.01).
    #[test]
    fn gaussian_noise_has_the_requested_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(22);
        let x = Matrix::from_fn(200, 201, |i, j| ((i * 201 + j) as f64 * 0.37).sin());
        let c = Noise::Gaussian { std: 0.5 }.corrupt(&x, &mut rng);
        let e: Vec<f64> = c
            .as_slice()
            .iter()
            .zip(x.as_slice())
            .map(|(a, b)| a - b)
            .collect();
        let n = e.len() as f64;
        let mean = e.iter().sum::<f64>() / n;
        let variance = e.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        approx::assert_abs_diff_eq!(mean, 0.0, epsilon = 0.01);
        approx::assert_abs_diff_eq!(variance, 0.25, epsilon = 0.01);
        let within = e.iter().filter(|v| v.abs() < 0.5).count() as f64 / n;
        approx::assert_abs_diff_eq!(within, 0.6827, epsilon = 0.01);
    }

    #[test]
    fn level_zero_leaves_the_input_unchanged() {
        let mut rng = ChaCha8Rng::seed_from_u64(23);
        let x = Matrix::from_fn(9, 7, |i, j| ((i + j) % 3) as f32 / 2.0);
        for noise in [
            Noise::Masking { p: 0.0 },
            Noise::SaltAndPepper { p: 0.0 },
            Noise::Gaussian { std: 0.0 },
        ] {
            assert_eq!(noise.corrupt(&x, &mut rng), x, "{noise:?}");
        }
    }

    #[test]
    fn a_rows_noise_depends_on_its_index_only() {
        let x = Matrix::from_fn(9, 13, |i, j| ((i * 13 + j) as f64 * 0.1).cos().abs());
        for noise in [
            Noise::Masking { p: 0.4 },
            Noise::SaltAndPepper { p: 0.4 },
            Noise::Gaussian { std: 0.3 },
        ] {
            let all = noise.corrupt(&x, &mut ChaCha8Rng::seed_from_u64(24));
            let top = noise.corrupt(&x.select_rows(&[0, 1]), &mut ChaCha8Rng::seed_from_u64(24));
            assert_eq!(top, all.select_rows(&[0, 1]), "{noise:?}");
        }
    }

    #[test]
    fn every_noise_is_bit_identical_for_1_2_and_3_threads() {
        // 7000 × 121: enough for three threads, whose blocks start inside chunks of rows
        let x = Matrix::from_fn(7000, 121, |i, j| ((i * 121 + j) as f64 * 0.1).sin().abs());
        crate::activation::tests::same_for_1_2_3_threads(|| {
            let mut rng = ChaCha8Rng::seed_from_u64(25);
            let noises = [
                Noise::Masking { p: 0.3 },
                Noise::SaltAndPepper { p: 0.3 },
                Noise::Gaussian { std: 0.3 },
            ];
            noises.map(|n| n.corrupt(&x, &mut rng))
        });
    }

    #[test]
    fn gaussian_and_salt_and_pepper_draws_are_value_stable() {
        let x = Matrix::filled(1, 3, 0.5_f64);
        let g = Noise::Gaussian { std: 1.0 }.corrupt(&x, &mut ChaCha8Rng::seed_from_u64(1));
        let x8 = Matrix::filled(1, 8, 0.5_f64);
        let s = Noise::SaltAndPepper { p: 0.6 }.corrupt(&x8, &mut ChaCha8Rng::seed_from_u64(1));
        let rounded: Vec<f64> = g
            .as_slice()
            .iter()
            .map(|v| (v * 1e6).round() / 1e6)
            .collect();
        assert_eq!(rounded, PINNED_GAUSSIAN);
        assert_eq!(s.as_slice(), PINNED_SALT_AND_PEPPER);
    }

    const PINNED_GAUSSIAN: [f64; 3] = [-0.766424, 0.329973, -0.183936];
    const PINNED_SALT_AND_PEPPER: [f64; 8] = [1.0, 1.0, 1.0, 0.5, 0.5, 1.0, 0.5, 0.5];
}
