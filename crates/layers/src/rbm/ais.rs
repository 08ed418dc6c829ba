//! The partition function Z of an RBM: exact by enumeration for small models, estimated by
//! annealed importance sampling (AIS) for the others (Salakhutdinov & Murray 2008, "On the
//! quantitative analysis of deep belief networks").
//!
//! AIS moves M independent chains through the distributions
//! p_β(v) ∝ p*_β(v), β from 0 to 1, between a tractable base model A and the RBM B:
//! - base A (no hidden units): Bernoulli units with logits c_A, or Gaussian units
//!   N(c_A, I); c_A from data: the log-odds of each column's mean clipped to
//!   [10⁻³, 1 − 10⁻³] (Bernoulli) or the column's mean (Gaussian); zero without data.
//! - ln p*_β(v) = (1 − β) c_Aᵀv + β cᵀv + Σⱼ softplus(β zⱼ) for Bernoulli
//!   units and −(1 − β) ½‖v − c_A‖² − β ½‖v − c‖² + Σⱼ softplus(β zⱼ)
//!   for Gaussian ones, z = W v + b; at β = 0 it is the base with B's hidden
//!   units uniform, so
//!   ln Z₀ = Σᵢ softplus(c_A,i) + n_hidden ln 2 (Bernoulli) or
//!   (n_visible / 2) ln 2π + n_hidden ln 2 (Gaussian).
//! - Each chain starts with v₁ ~ p₀ and, for k = 1 … K, adds
//!   ln p*_βₖ(vₖ) − ln p*_βₖ₋₁(vₖ) to its log weight, then moves by one Gibbs
//!   sweep that leaves p_βₖ invariant: h ~ σ(βₖ z), then v ~ p(v | h) with logits
//!   (or means) (1 − βₖ) c_A + βₖ (c + Wᵀh).
//! - ln Ẑ = ln Z₀ + ln((1/M) Σₘ e^(wₘ)), a log-sum-exp; the spread is
//!   ln(r̄ ± 3 σ̂), r the importance weights and σ̂ = std(r) / √M, and the
//!   standard deviation of the log weights.
//!
//! Matrices (chains, units) use the model's float type; log weights, ln Z and every sum of
//! them are `f64`. Each temperature costs two GEMMs of M × n_visible × n_hidden.

use super::{Rbm, Visible};
use crate::activation::{bernoulli, softplus, standard_normals, RowStreams};
use crate::error::{check_size, Error, Result};
use layerwise_linalg::{gemm, vmath, Float, Matrix, Trans};
use rand::Rng;

/// The most units of an RBM's smaller layer that [`Rbm::exact_log_partition`] enumerates.
pub const MAX_ENUMERATED_UNITS: usize = 20;

/// AIS settings as plain data; [`AisParams::new`] validates them.
///
/// β runs from 0 through `segments`: `(end, steps)` takes `steps` equal steps from the
/// previous end (0 at first) to `end`; ends increase and the last is 1.
#[derive(Clone, Debug, PartialEq)]
pub struct AisConfig {
    /// Independent chains M, at least 1.
    pub chains: usize,
    /// The β schedule, as `(end, steps)` segments.
    pub segments: Vec<(f64, usize)>,
}

impl Default for AisConfig {
    /// Salakhutdinov & Murray's schedule: 100 chains; β steps of 10⁻³ to 0.5, 10⁻⁴ to 0.9
    /// and 10⁻⁵ to 1, 14 500 temperatures in all.
    fn default() -> Self {
        AisConfig {
            chains: 100,
            segments: vec![(0.5, 500), (0.9, 4_000), (1.0, 10_000)],
        }
    }
}

impl AisConfig {
    /// The default schedule's three segments with `temperatures` steps in all (at least 3),
    /// split in its proportions (500 : 4000 : 10 000), the rounding left to the last.
    pub fn scaled(chains: usize, temperatures: usize) -> Self {
        let part = |n: usize| (temperatures * n / 14_500).max(1);
        let (first, second) = (part(500), part(4_000));
        let last = temperatures.saturating_sub(first + second).max(1);
        AisConfig {
            chains,
            segments: vec![(0.5, first), (0.9, second), (1.0, last)],
        }
    }
}

/// Validated AIS settings: the chains and the temperatures 0 = β₀ < … < β_K = 1.
#[derive(Clone, Debug, PartialEq)]
pub struct AisParams {
    chains: usize,
    betas: Vec<f64>,
}

impl AisParams {
    /// Checks the settings and lays out the β schedule.
    ///
    /// # Errors
    /// [`Error::ZeroSize`] for no chains; [`Error::InvalidHyperparameter`] for a segment of
    /// no steps, ends that do not increase within (0, 1], or a last end other than 1.
    pub fn new(config: &AisConfig) -> Result<Self> {
        check_size("ais.chains", config.chains)?;
        let mut betas = vec![0.0];
        for &(end, steps) in &config.segments {
            let start = *betas.last().unwrap_or(&0.0);
            if steps == 0 {
                return Err(invalid("ais.segments.steps", 0.0, "at least 1 step"));
            }
            if !(end > start && end <= 1.0) {
                return Err(invalid(
                    "ais.segments.end",
                    end,
                    "increasing ends in (0, 1]",
                ));
            }
            betas.extend((1..=steps).map(|t| start + (end - start) * t as f64 / steps as f64));
        }
        let last = *betas.last().unwrap_or(&0.0);
        if last != 1.0 {
            return Err(invalid("ais.segments.end", last, "a last end of 1"));
        }
        Ok(AisParams {
            chains: config.chains,
            betas,
        })
    }

    /// The number of chains M.
    pub fn chains(&self) -> usize {
        self.chains
    }

    /// The number of intermediate distributions K (the steps of β).
    pub fn temperatures(&self) -> usize {
        self.betas.len() - 1
    }
}

fn invalid(name: &'static str, value: f64, expected: &'static str) -> Error {
    Error::InvalidHyperparameter {
        name,
        value,
        expected,
    }
}

/// The result of AIS: ln Ẑ, its spread, and what it was computed with.
#[derive(Clone, Debug, PartialEq)]
pub struct AisEstimate {
    /// ln Ẑ.
    pub log_z: f64,
    /// ln(r̄ − 3σ̂) + the same offset: −∞ when r̄ ≤ 3σ̂.
    pub log_z_low: f64,
    /// ln(r̄ + 3σ̂) + the same offset.
    pub log_z_high: f64,
    /// The standard deviation of the chains' log weights.
    pub log_weight_std: f64,
    /// ln Z₀ of the base model (with the RBM's hidden units uniform).
    pub log_z_base: f64,
    /// Chains M.
    pub chains: usize,
    /// Intermediate distributions K.
    pub temperatures: usize,
}

/// The chains' state and temporaries, `(M, ·)`.
struct Chains<T> {
    v: Matrix<T>,
    z: Matrix<T>,
    h: Matrix<T>,
    /// Per chain, the part of ln p*_β(v) linear in β, divided by β: (c − c_A)ᵀv, or
    /// ½‖v − c_A‖² − ½‖v − c‖² for Gaussian units.
    visible_term: Vec<f64>,
    log_weights: Vec<f64>,
}

impl<T: Float> Rbm<T> {
    /// ln Z estimated by AIS with `params`, the base model's biases from `base_data`
    /// `(n_samples, n_visible)` when given (see the module docs).
    ///
    /// `rng` gives one value to start the chains and two per temperature but the last.
    ///
    /// # Panics
    /// If `base_data` does not have `n_visible` columns.
    ///
    /// # Examples
    /// ```
    /// use layerwise_layers::{AisConfig, AisParams, Rbm};
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let rbm = Rbm::<f64>::new(8, 5, &mut rng).unwrap();
    /// let params = AisParams::new(&AisConfig::scaled(50, 1000)).unwrap();
    /// let estimate = rbm.estimate_log_partition(&params, None, &mut rng);
    /// let exact = rbm.exact_log_partition().unwrap();
    /// assert!((estimate.log_z - exact).abs() < 0.01);
    /// ```
    #[track_caller]
    pub fn estimate_log_partition<R: Rng + ?Sized>(
        &self,
        params: &AisParams,
        base_data: Option<&Matrix<T>>,
        rng: &mut R,
    ) -> AisEstimate {
        let base = self.base_biases(base_data);
        let mut chains = self.start_chains(params.chains, &base, rng);
        let b = &params.betas;
        for k in 1..b.len() {
            // weight: ln p*_βₖ(vₖ) − ln p*_βₖ₋₁(vₖ)
            self.add_log_weights(&mut chains, b[k], b[k - 1]);

            // move: one sweep that leaves p_βₖ invariant
            if k + 1 < b.len() {
                self.anneal_sweep(&mut chains, &base, b[k], rng);
            }
        }
        let log_z_base = self.base_log_partition(&base);
        summarise(&chains.log_weights, log_z_base, params.temperatures())
    }

    /// c_A: log-odds of the clipped column means, the means themselves, or zeros.
    #[track_caller]
    fn base_biases(&self, data: Option<&Matrix<T>>) -> Vec<f64> {
        let Some(x) = data.filter(|x| x.rows() > 0) else {
            return vec![0.0; self.n_visible()];
        };
        assert_eq!(
            x.cols(),
            self.n_visible(),
            "AIS base data width ≠ n_visible"
        );
        let n = x.rows() as f64;
        let means = x.col_sums().into_iter().map(|s| s.to_f64() / n);
        match self.visible {
            Visible::Bernoulli => means
                .map(|p| {
                    let p = p.clamp(1e-3, 1.0 - 1e-3);
                    (p / (1.0 - p)).ln()
                })
                .collect(),
            Visible::Gaussian => means.collect(),
        }
    }

    /// ln Z₀ = ln Z_A + n_hidden ln 2.
    fn base_log_partition(&self, base: &[f64]) -> f64 {
        let hidden = self.n_hidden() as f64 * std::f64::consts::LN_2;
        match self.visible {
            Visible::Bernoulli => base.iter().map(|&c| softplus(c)).sum::<f64>() + hidden,
            Visible::Gaussian => {
                0.5 * self.n_visible() as f64 * (2.0 * std::f64::consts::PI).ln() + hidden
            }
        }
    }

    /// M chains drawn from the base model, with zero log weights.
    fn start_chains<R: Rng + ?Sized>(&self, m: usize, base: &[f64], rng: &mut R) -> Chains<T> {
        let mut chains = Chains {
            v: Matrix::zeros(m, self.n_visible()),
            z: Matrix::zeros(m, self.n_hidden()),
            h: Matrix::zeros(m, self.n_hidden()),
            visible_term: vec![0.0; m],
            log_weights: vec![0.0; m],
        };
        let mut logits = Matrix::from_fn(m, self.n_visible(), |_, i| T::from_f64(base[i]));
        self.sample_annealed_visible(&mut logits, &mut chains, base, rng);
        chains
    }

    /// wₘ += (βₖ − βₖ₋₁) · visible termₘ + Σⱼ [softplus(βₖ zⱼ) −
    /// softplus(βₖ₋₁ zⱼ)], with z = W vₖ + b kept in `chains.z` for the sweep.
    fn add_log_weights(&self, chains: &mut Chains<T>, beta: f64, previous: f64) {
        chains.z.reshape_uninit(chains.v.rows(), self.n_hidden());
        let w = self.hidden.weights();
        gemm(
            T::ONE,
            &chains.v,
            Trans::N,
            w,
            Trans::T,
            T::ZERO,
            &mut chains.z,
        );
        chains.z.add_row_vector(self.hidden.bias());
        for (m, lw) in chains.log_weights.iter_mut().enumerate() {
            let hidden = softplus_difference_sum(chains.z.row(m), beta, previous);
            *lw += (beta - previous) * chains.visible_term[m] + hidden;
        }
    }

    /// h ~ σ(β z), then v ~ p(v | (1 − β) c_A + β (c + Wᵀh)).
    fn anneal_sweep<R: Rng + ?Sized>(
        &self,
        chains: &mut Chains<T>,
        base: &[f64],
        beta: f64,
        rng: &mut R,
    ) {
        // up: h ~ σ(β z), z = W v + b from the weighting step
        let streams = RowStreams::new(rng);
        let beta_t = T::from_f64(beta);
        let n_hidden = self.n_hidden();
        let rows = chains.z.as_slice().chunks(n_hidden);
        for (m, (z, h)) in rows
            .zip(chains.h.as_mut_slice().chunks_mut(n_hidden))
            .enumerate()
        {
            let mut stream = streams.row(m);
            h.iter_mut().zip(z).for_each(|(hj, &zj)| *hj = beta_t * zj);
            vmath::sigmoid(h);
            h.iter_mut().for_each(|p| *p = bernoulli(*p, &mut stream));
        }

        // down: logits (means) (1 − β) c_A + β (c + Wᵀh), into z's buffer
        let mut a = std::mem::replace(&mut chains.z, Matrix::zeros(0, 0));
        a.reshape_uninit(chains.h.rows(), self.n_visible());
        let w = self.hidden.weights();
        gemm(T::ONE, &chains.h, Trans::N, w, Trans::N, T::ZERO, &mut a);
        for row in a.as_mut_slice().chunks_mut(self.n_visible()) {
            let biases = base.iter().zip(&self.visible_bias);
            for (x, (&ca, &c)) in row.iter_mut().zip(biases) {
                *x = T::from_f64((1.0 - beta) * ca) + beta_t * (*x + c);
            }
        }
        self.sample_annealed_visible(&mut a, chains, base, rng);
        chains.z = a;
    }

    /// `chains.v` ← a sample of the visible units given their logits (means) `a`, and the
    /// visible term of each chain.
    fn sample_annealed_visible<R: Rng + ?Sized>(
        &self,
        a: &mut Matrix<T>,
        chains: &mut Chains<T>,
        base: &[f64],
        rng: &mut R,
    ) {
        let streams = RowStreams::new(rng);
        let n = self.n_visible();
        let mut normals = vec![
            0.0;
            if self.visible == Visible::Gaussian {
                n
            } else {
                0
            }
        ];
        let rows = a
            .as_mut_slice()
            .chunks_mut(n)
            .zip(chains.v.as_mut_slice().chunks_mut(n));
        for (m, (a, v)) in rows.enumerate() {
            let mut stream = streams.row(m);
            match self.visible {
                Visible::Bernoulli => {
                    vmath::sigmoid(a);
                    for (x, &p) in v.iter_mut().zip(a.iter()) {
                        *x = bernoulli(p, &mut stream);
                    }
                }
                Visible::Gaussian => {
                    standard_normals(&mut normals, &mut stream);
                    for ((x, &mean), &e) in v.iter_mut().zip(a.iter()).zip(&normals) {
                        *x = mean + T::from_f64(e);
                    }
                }
            }
            chains.visible_term[m] = self.visible_term(v, base);
        }
    }

    /// (c − c_A)ᵀv, or ½‖v − c_A‖² − ½‖v − c‖² for Gaussian units, in `f64`.
    fn visible_term(&self, v: &[T], base: &[f64]) -> f64 {
        let triples = v.iter().zip(&self.visible_bias).zip(base);
        let triples = triples.map(|((&x, &c), &ca)| (x.to_f64(), c.to_f64(), ca));
        match self.visible {
            Visible::Bernoulli => triples.map(|(x, c, ca)| (c - ca) * x).sum(),
            Visible::Gaussian => triples
                .map(|(x, c, ca)| 0.5 * ((x - ca) * (x - ca) - (x - c) * (x - c)))
                .sum(),
        }
    }

    /// ln Z exactly, by enumerating the states of the smaller layer (the hidden one for
    /// Gaussian visible units) and a log-sum-exp in `f64`:
    /// - over h (Bernoulli): ln Z = lse_h [bᵀh + Σᵢ softplus(cᵢ + (Wᵀh)ᵢ)];
    /// - over v (Bernoulli): ln Z = lse_v [cᵀv + Σⱼ softplus(bⱼ + Wⱼ· v)];
    /// - Gaussian: ln Z = (n_visible / 2) ln 2π
    ///   + lse_h [bᵀh + ½‖c + Wᵀh‖² − ½‖c‖²].
    ///
    /// # Errors
    /// [`Error::TooManyStates`] when that layer has more than [`MAX_ENUMERATED_UNITS`] units.
    pub fn exact_log_partition(&self) -> Result<f64> {
        let over_hidden = self.visible == Visible::Gaussian || self.n_hidden() <= self.n_visible();
        let units = if over_hidden {
            self.n_hidden()
        } else {
            self.n_visible()
        };
        if units > MAX_ENUMERATED_UNITS {
            return Err(Error::TooManyStates {
                units,
                max: MAX_ENUMERATED_UNITS,
            });
        }
        let w = self.hidden.weights().cast::<f64>();
        let b: Vec<f64> = self.hidden.bias().iter().map(|x| x.to_f64()).collect();
        let c: Vec<f64> = self.visible_bias.iter().map(|x| x.to_f64()).collect();
        let terms = (0..1_u64 << units).map(|code| match (self.visible, over_hidden) {
            (Visible::Gaussian, _) => gaussian_term(&w, &b, &c, code),
            (Visible::Bernoulli, true) => bernoulli_hidden_term(&w, &b, &c, code),
            (Visible::Bernoulli, false) => bernoulli_visible_term(&w, &b, &c, code),
        });
        let log_z = log_sum_exp(terms);
        Ok(match self.visible {
            Visible::Gaussian => {
                log_z + 0.5 * self.n_visible() as f64 * (2.0 * std::f64::consts::PI).ln()
            }
            Visible::Bernoulli => log_z,
        })
    }
}

/// The bits of `code` as a 0/1 state of `n` units.
fn bits(code: u64, n: usize) -> impl Iterator<Item = f64> {
    (0..n).map(move |u| ((code >> u) & 1) as f64)
}

/// Wᵀh for the hidden state `code`: length `n_visible`.
fn hidden_drive(w: &Matrix<f64>, code: u64) -> Vec<f64> {
    let mut a = vec![0.0; w.cols()];
    for (j, hj) in bits(code, w.rows()).enumerate() {
        if hj == 1.0 {
            a.iter_mut().zip(w.row(j)).for_each(|(x, &wji)| *x += wji);
        }
    }
    a
}

/// bᵀh + Σᵢ softplus(cᵢ + (Wᵀh)ᵢ).
fn bernoulli_hidden_term(w: &Matrix<f64>, b: &[f64], c: &[f64], code: u64) -> f64 {
    let bh: f64 = bits(code, b.len()).zip(b).map(|(h, b)| h * b).sum();
    let a = hidden_drive(w, code);
    bh + a.iter().zip(c).map(|(&a, &c)| softplus(c + a)).sum::<f64>()
}

/// cᵀv + Σⱼ softplus(bⱼ + Wⱼ· v).
fn bernoulli_visible_term(w: &Matrix<f64>, b: &[f64], c: &[f64], code: u64) -> f64 {
    let v: Vec<f64> = bits(code, c.len()).collect();
    let cv: f64 = v.iter().zip(c).map(|(v, c)| v * c).sum();
    let hidden = (0..w.rows()).map(|j| {
        let wv: f64 = w.row(j).iter().zip(&v).map(|(w, v)| w * v).sum();
        softplus(b[j] + wv)
    });
    cv + hidden.sum::<f64>()
}

/// bᵀh + ½‖c + Wᵀh‖² − ½‖c‖².
fn gaussian_term(w: &Matrix<f64>, b: &[f64], c: &[f64], code: u64) -> f64 {
    let bh: f64 = bits(code, b.len()).zip(b).map(|(h, b)| h * b).sum();
    let a = hidden_drive(w, code);
    let square: f64 = a
        .iter()
        .zip(c)
        .map(|(&a, &c)| 0.5 * (c + a) * (c + a) - 0.5 * c * c)
        .sum();
    bh + square
}

/// ln Σ e^(xᵢ), shifted by the maximum so no term overflows.
fn log_sum_exp(x: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = x.clone().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + x.map(|t| (t - max).exp()).sum::<f64>().ln()
}

/// ln Ẑ and its spread from the log weights.
fn summarise(log_weights: &[f64], log_z_base: f64, temperatures: usize) -> AisEstimate {
    let m = log_weights.len() as f64;
    let max = log_weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let r: Vec<f64> = log_weights.iter().map(|w| (w - max).exp()).collect();
    let r_mean = r.iter().sum::<f64>() / m;
    let sigma = (std_dev(&r, r_mean) / m.sqrt()) * 3.0;
    let offset = log_z_base + max;
    let lw_mean = log_weights.iter().sum::<f64>() / m;
    AisEstimate {
        log_z: offset + r_mean.ln(),
        log_z_low: offset + (r_mean - sigma).max(0.0).ln(),
        log_z_high: offset + (r_mean + sigma).ln(),
        log_weight_std: std_dev(log_weights, lw_mean),
        log_z_base,
        chains: log_weights.len(),
        temperatures,
    }
}

/// The sample standard deviation (divisor n − 1; 0 for one value).
fn std_dev(x: &[f64], mean: f64) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let ss: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
    (ss / (x.len() - 1) as f64).sqrt()
}

/// Σⱼ softplus(β zⱼ) − softplus(β′ zⱼ) over a row, in `f64`.
///
/// With x = |z|, softplus(βz) − softplus(β′z) =
/// (β − β′) max(z, 0) + ln((1 + e^(−βx)) / (1 + e^(−β′x))):
/// both exponents are ≤ 0 and each ratio lies in (½, 2), so blocks of 64
/// ratios (on the stack) are multiplied before one logarithm, with the vectorised e^x.
fn softplus_difference_sum<T: Float>(z: &[T], beta: f64, previous: f64) -> f64 {
    const BLOCK: usize = 64;
    let (mut now, mut before) = ([0.0_f64; BLOCK], [0.0_f64; BLOCK]);
    let mut total = 0.0;
    for block in z.chunks(BLOCK) {
        let n = block.len();
        let mut positive = 0.0;
        for ((a, b), &zj) in now.iter_mut().zip(before.iter_mut()).zip(block) {
            let zj = zj.to_f64();
            positive += zj.max(0.0);
            (*a, *b) = (-beta * zj.abs(), -previous * zj.abs());
        }
        vmath::exp(&mut now[..n]);
        vmath::exp(&mut before[..n]);
        let pairs = now[..n].iter().zip(&before[..n]);
        let ratio: f64 = pairs.map(|(a, b)| (1.0 + a) / (1.0 + b)).product();
        total += (beta - previous) * positive + ratio.ln();
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_validated_and_laid_out() {
        let p = AisParams::new(&AisConfig::default()).unwrap();
        assert_eq!((p.chains(), p.temperatures()), (100, 14_500));
        assert_eq!(p.betas[500], 0.5);
        assert_eq!(*p.betas.last().unwrap(), 1.0);
        assert!(p.betas.windows(2).all(|w| w[0] < w[1]));
        let bad = |segments: Vec<(f64, usize)>| {
            AisParams::new(&AisConfig {
                chains: 3,
                segments,
            })
            .unwrap_err()
            .to_string()
        };
        assert!(bad(vec![(0.5, 10)]).contains("0.5"));
        assert!(bad(vec![(0.5, 10), (0.4, 10), (1.0, 1)]).contains("0.4"));
        assert!(bad(vec![(1.0, 0)]).contains("steps"));
        assert!(AisParams::new(&AisConfig::scaled(0, 100)).is_err());
        assert_eq!(
            AisParams::new(&AisConfig::scaled(5, 1450))
                .unwrap()
                .temperatures(),
            1450
        );
    }

    #[test]
    fn softplus_differences_match_the_direct_formula() {
        let z: Vec<f64> = (0..150)
            .map(|j| (j as f64 * 0.37).sin() * 40.0 - 3.0)
            .collect();
        let (beta, previous) = (0.7001, 0.7);
        let direct: f64 = z
            .iter()
            .map(|&x| softplus(beta * x) - softplus(previous * x))
            .sum();
        let got = softplus_difference_sum(&z, beta, previous);
        approx::assert_abs_diff_eq!(got, direct, epsilon = 1e-11);
        let huge = [1e6_f32, -1e6, 0.0];
        assert!(softplus_difference_sum(&huge, 1.0, 0.5).is_finite());
    }

    #[test]
    fn enumerating_either_layer_gives_the_same_log_partition() {
        // 5 visible < 7 hidden: the method enumerates v; sum over h here instead
        let w = Matrix::from_fn(7, 5, |j, i| ((j * 5 + i) as f64 * 1.3).sin() * 2.0);
        let b: Vec<f64> = (0..7).map(|j| 0.3 - 0.1 * j as f64).collect();
        let c: Vec<f64> = (0..5).map(|i| 0.2 * i as f64 - 0.5).collect();
        let hidden = crate::HiddenLayer::from_parts(w.clone(), b.clone());
        let rbm = Rbm::from_parts(hidden, c.clone());
        let over_h = log_sum_exp((0..1_u64 << 7).map(|h| bernoulli_hidden_term(&w, &b, &c, h)));
        approx::assert_relative_eq!(rbm.exact_log_partition().unwrap(), over_h, epsilon = 1e-12);
    }

    #[test]
    fn too_large_a_model_is_refused_for_enumeration() {
        let w = Matrix::zeros(21, 22);
        let rbm = Rbm::<f64>::from_parts(crate::HiddenLayer::from_parts(w, vec![0.0; 21]), {
            vec![0.0; 22]
        });
        let e = rbm.exact_log_partition().unwrap_err();
        assert_eq!(e, Error::TooManyStates { units: 21, max: 20 });
    }
}
