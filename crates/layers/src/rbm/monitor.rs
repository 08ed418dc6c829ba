//! What tells whether an RBM is learning: free energies, the pseudo-likelihood and, with a
//! log Z estimate, the average log-likelihood.
//!
//! - Mean free energy (1/N) Σₙ F(vₙ), summed in `f64`. On training rows and on held-out
//!   rows it should stay close: a growing gap (held-out above training) signals
//!   over-fitting (Hinton's practical guide, § 6).
//! - Pseudo-log-likelihood of binary data, stochastic as in scikit-learn: for each row one
//!   unit i drawn uniformly, ṽ the row with vᵢ flipped to 1 − vᵢ, and
//!   PLL(v) ≈ n_visible · ln σ(F(ṽ) − F(v)), since
//!   ln p(vᵢ | v₋ᵢ) = ln σ(F(ṽ) − F(v)).
//!   The flipped unit changes each hidden pre-activation by (ṽᵢ − vᵢ) Wⱼᵢ, so one GEMM
//!   serves both free energies.
//! - Average log-likelihood (1/N) Σₙ ln p(vₙ) = −mean F(v) − ln Z, with ln Z exact
//!   ([`Rbm::exact_log_partition`]) or estimated by AIS ([`Rbm::estimate_log_partition`]).
//!
//! The pseudo-likelihood is defined for Bernoulli visible units only.

use super::ais::{AisEstimate, AisParams};
use super::{Rbm, Visible};
use crate::activation::{softplus, RowStreams};
use crate::error::{Error, Result};
use layerwise_linalg::{Float, Matrix};
use rand::Rng;

/// An RBM's figures after an epoch ([`Rbm::monitor`]).
#[derive(Clone, Debug, PartialEq)]
pub struct RbmMonitor {
    /// Mean free energy of the training rows measured.
    pub train_free_energy: f64,
    /// Mean free energy of the held-out rows, when some were given.
    pub validation_free_energy: Option<f64>,
    /// Mean stochastic pseudo-log-likelihood of the training rows (Bernoulli units only).
    pub pseudo_log_likelihood: Option<f64>,
    /// The AIS estimate of ln Z, when asked for.
    pub ais: Option<AisEstimate>,
    /// −mean F − ln Ẑ on the training rows, with the AIS estimate.
    pub train_log_likelihood: Option<f64>,
    /// −mean F − ln Ẑ on the held-out rows, with the AIS estimate.
    pub validation_log_likelihood: Option<f64>,
}

impl RbmMonitor {
    /// Held-out minus training mean free energy; it grows as the model over-fits.
    pub fn free_energy_gap(&self) -> Option<f64> {
        self.validation_free_energy
            .map(|v| v - self.train_free_energy)
    }
}

impl<T: Float> Rbm<T> {
    /// F(v) of each row computed in `f64` from the GEMM's pre-activations: length `n_samples`.
    #[track_caller]
    pub(crate) fn free_energy_f64(&self, v: &Matrix<T>) -> Vec<f64> {
        let z = self.hidden.pre_activation(v);
        (0..v.rows())
            .map(|n| visible_energy_f64(self, v.row(n)) - softplus_sum(z.row(n)))
            .collect()
    }

    /// (1/N) Σₙ F(vₙ) over the rows of v `(n_samples, n_visible)`, in `f64`; NaN for no rows.
    ///
    /// # Panics
    /// If `v.cols() ≠ n_visible`.
    #[track_caller]
    pub fn mean_free_energy(&self, v: &Matrix<T>) -> f64 {
        mean(&self.free_energy_f64(v))
    }

    /// −(1/N) Σₙ F(vₙ) − `log_z`: the average log-likelihood of the rows of v given ln Z;
    /// NaN for no rows.
    ///
    /// # Panics
    /// If `v.cols() ≠ n_visible`.
    #[track_caller]
    pub fn log_likelihood(&self, v: &Matrix<T>, log_z: f64) -> f64 {
        -self.mean_free_energy(v) - log_z
    }

    /// n_visible · ln σ(F(ṽ) − F(v)) for each row of v, ṽ flipping unit `units[n]` of
    /// row n.
    ///
    /// Shapes: v `(n_samples, n_visible)`, `units` of length `n_samples`; returns length
    /// `n_samples`. Exact for the units given; [`Rbm::pseudo_log_likelihood`] draws them.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for Gaussian visible units.
    ///
    /// # Panics
    /// If the shapes do not fit or a unit is `≥ n_visible`.
    #[track_caller]
    pub fn pseudo_log_likelihood_of_units(
        &self,
        v: &Matrix<T>,
        units: &[usize],
    ) -> Result<Vec<f64>> {
        if self.visible != Visible::Bernoulli {
            return Err(Error::Unsupported {
                operation: "the pseudo-likelihood",
                visible: self.visible,
            });
        }
        assert_eq!(units.len(), v.rows(), "one flipped unit per row");
        let z = self.hidden.pre_activation(v);
        let n_visible = self.n_visible() as f64;
        let pll = (0..v.rows()).map(|n| {
            let difference = self.flip_difference(v.row(n), z.row(n), units[n]);
            // ln σ(x) = −softplus(−x)
            -n_visible * softplus(-difference)
        });
        Ok(pll.collect())
    }

    /// F(ṽ) − F(v) for one row v with pre-activations z = W v + b, ṽ flipping unit i.
    #[track_caller]
    fn flip_difference(&self, v: &[T], z: &[T], i: usize) -> f64 {
        let delta = 1.0 - 2.0 * v[i].to_f64();
        let w = self.hidden.weights();
        let mut hidden = 0.0;
        for (j, &zj) in z.iter().enumerate() {
            let zj = zj.to_f64();
            hidden += softplus(zj + delta * w[(j, i)].to_f64()) - softplus(zj);
        }
        -self.visible_bias[i].to_f64() * delta - hidden
    }

    /// The mean stochastic pseudo-log-likelihood of the rows of v `(n_samples, n_visible)`:
    /// one unit per row drawn uniformly (row n from stream n of one [`crate::RowStreams`]
    /// key), then [`Rbm::pseudo_log_likelihood_of_units`]. NaN for no rows.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for Gaussian visible units.
    ///
    /// # Panics
    /// If `v.cols() ≠ n_visible`.
    #[track_caller]
    pub fn pseudo_log_likelihood<R: Rng + ?Sized>(
        &self,
        v: &Matrix<T>,
        rng: &mut R,
    ) -> Result<f64> {
        let streams = RowStreams::new(rng);
        let units: Vec<usize> = (0..v.rows())
            .map(|n| streams.row(n).gen_range(0..self.n_visible()))
            .collect();
        Ok(mean(&self.pseudo_log_likelihood_of_units(v, &units)?))
    }

    /// The figures of [`RbmMonitor`] for training rows `train` and held-out rows
    /// `validation`, both `(·, n_visible)`: mean free energies, the pseudo-likelihood
    /// (Bernoulli units) and, given AIS settings, ln Ẑ and the log-likelihoods.
    ///
    /// The AIS base model takes its visible biases from `train`
    /// ([`Rbm::estimate_log_partition`]). `rng` gives one value for the pseudo-likelihood
    /// and those of AIS.
    ///
    /// # Panics
    /// If a matrix's width is not `n_visible`.
    #[track_caller]
    pub fn monitor<R: Rng + ?Sized>(
        &self,
        train: &Matrix<T>,
        validation: Option<&Matrix<T>>,
        ais: Option<&AisParams>,
        rng: &mut R,
    ) -> RbmMonitor {
        let train_free_energy = self.mean_free_energy(train);
        let validation_free_energy = validation.map(|v| self.mean_free_energy(v));
        let pseudo_log_likelihood = self.pseudo_log_likelihood(train, rng).ok();
        let ais = ais.map(|p| self.estimate_log_partition(p, Some(train), rng));
        let log_z = ais.as_ref().map(|a| a.log_z);
        let likelihood = |free_energy: f64| log_z.map(|z| -free_energy - z);
        RbmMonitor {
            train_free_energy,
            validation_free_energy,
            pseudo_log_likelihood,
            train_log_likelihood: likelihood(train_free_energy),
            validation_log_likelihood: validation_free_energy.and_then(likelihood),
            ais,
        }
    }
}

/// The visible term of F(v) in `f64`: −cᵀv, or ½‖v − c‖² for Gaussian units.
fn visible_energy_f64<T: Float>(rbm: &Rbm<T>, v: &[T]) -> f64 {
    let pairs = v.iter().zip(&rbm.visible_bias);
    let pairs = pairs.map(|(&x, &c)| (x.to_f64(), c.to_f64()));
    match rbm.visible {
        Visible::Bernoulli => -pairs.map(|(x, c)| x * c).sum::<f64>(),
        Visible::Gaussian => pairs.map(|(x, c)| 0.5 * (x - c) * (x - c)).sum(),
    }
}

/// Σⱼ softplus(zⱼ) in `f64`.
pub(crate) fn softplus_sum<T: Float>(z: &[T]) -> f64 {
    z.iter().map(|&x| softplus(x.to_f64())).sum()
}

/// The mean of a slice; NaN when it is empty.
fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HiddenLayer;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// A 6 × 4 Bernoulli RBM with weights of order 1.
    fn rbm() -> Rbm<f64> {
        let w = Matrix::from_fn(4, 6, |j, i| ((3 * j + 5 * i) as f64 * 0.77).sin() * 1.5);
        let hidden = HiddenLayer::from_parts(w, vec![0.3, -0.4, 0.1, -0.2]);
        Rbm::from_parts(hidden, vec![0.2, -0.5, 0.4, 0.0, -0.3, 0.6])
    }

    /// ln Σ_h e^(−E(v, h)) by enumerating the 2⁴ hidden states, from the energy itself.
    fn log_marginal(r: &Rbm<f64>, v: &[f64]) -> f64 {
        let w = r.hidden_layer().weights();
        let terms: Vec<f64> = (0..16_u32)
            .map(|code| {
                let mut neg_energy: f64 = v.iter().zip(r.visible_bias()).map(|(x, c)| x * c).sum();
                for j in 0..4 {
                    if (code >> j) & 1 == 1 {
                        let wv: f64 = (0..6).map(|i| w[(j, i)] * v[i]).sum();
                        neg_energy += r.hidden_layer().bias()[j] + wv;
                    }
                }
                neg_energy
            })
            .collect();
        let max = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
    }

    fn binary(rows: usize, rng: &mut ChaCha8Rng) -> Matrix<f64> {
        Matrix::from_fn(rows, 6, |_, _| if rng.gen::<bool>() { 1.0 } else { 0.0 })
    }

    #[test]
    fn pseudo_likelihood_matches_the_conditional_computed_from_the_energy() {
        let r = rbm();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let v = binary(9, &mut rng);
        let units: Vec<usize> = (0..9).map(|n| (n * 5) % 6).collect();
        let pll = r.pseudo_log_likelihood_of_units(&v, &units).unwrap();
        for n in 0..9 {
            let (row, i) = (v.row(n).to_vec(), units[n]);
            let mut flipped = row.clone();
            flipped[i] = 1.0 - flipped[i];
            let (a, b) = (log_marginal(&r, &row), log_marginal(&r, &flipped));
            // ln p(vᵢ | v₋ᵢ) = ln p*(v) − ln(p*(v) + p*(ṽ))
            let conditional = a - (a.max(b) + ((a - a.max(b)).exp() + (b - a.max(b)).exp()).ln());
            approx::assert_relative_eq!(pll[n], 6.0 * conditional, epsilon = 1e-12);
        }
    }

    #[test]
    fn stochastic_pseudo_likelihood_averages_the_full_one() {
        // E over the drawn unit of n_visible · ln p(vᵢ | v₋ᵢ) = Σᵢ ln p(vᵢ | v₋ᵢ)
        let r = rbm();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let row = binary(1, &mut rng);
        let v = Matrix::from_fn(6000, 6, |_, i| row[(0, i)]);
        let all: f64 = (0..6)
            .map(|i| r.pseudo_log_likelihood_of_units(&row, &[i]).unwrap()[0] / 6.0)
            .sum();
        let drawn = r.pseudo_log_likelihood(&v, &mut rng).unwrap();
        let spread = (0..6)
            .map(|i| r.pseudo_log_likelihood_of_units(&row, &[i]).unwrap()[0])
            .fold(0.0_f64, |m, x| m.max((x - all).abs()));
        assert!(
            (drawn - all).abs() < 4.0 * spread / 6000_f64.sqrt(),
            "{drawn} vs {all}"
        );
    }

    #[test]
    fn mean_free_energy_and_log_likelihood_match_direct_sums() {
        let r = rbm();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let v = binary(7, &mut rng);
        let direct: f64 = (0..7).map(|n| -log_marginal(&r, v.row(n))).sum::<f64>() / 7.0;
        approx::assert_relative_eq!(r.mean_free_energy(&v), direct, epsilon = 1e-12);
        let log_z = r.exact_log_partition().unwrap();
        // Σ over all 2⁶ visible states of p(v) is 1
        let states = Matrix::from_fn(64, 6, |n, i| ((n >> i) & 1) as f64);
        let total: f64 = r
            .free_energy(&states)
            .iter()
            .map(|f| (-f - log_z).exp())
            .sum();
        approx::assert_relative_eq!(total, 1.0, epsilon = 1e-12);
        approx::assert_relative_eq!(r.log_likelihood(&v, log_z), -direct - log_z);
    }

    #[test]
    fn monitoring_reports_the_gap_and_refuses_gaussian_pseudo_likelihood() {
        let r = rbm();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (train, held_out) = (binary(20, &mut rng), binary(10, &mut rng));
        let m = r.monitor(&train, Some(&held_out), None, &mut rng);
        let gap = r.mean_free_energy(&held_out) - r.mean_free_energy(&train);
        approx::assert_relative_eq!(m.free_energy_gap().unwrap(), gap);
        assert!(m.pseudo_log_likelihood.unwrap() < 0.0);
        assert_eq!((m.ais, m.train_log_likelihood), (None, None));

        let gaussian = r.with_visible(Visible::Gaussian);
        let e = gaussian
            .pseudo_log_likelihood(&train, &mut rng)
            .unwrap_err();
        assert!(e.to_string().contains("Gaussian"), "{e}");
        let m = gaussian.monitor(&train, None, None, &mut rng);
        assert_eq!(m.pseudo_log_likelihood, None);
        assert!(m.train_free_energy.is_finite());
    }
}
