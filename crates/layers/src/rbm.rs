//! A Bernoulli–Bernoulli Restricted Boltzmann Machine trained by contrastive divergence.
//!
//! Energy of binary visible units v (length `n_visible`) and hidden units h (`n_hidden`):
//! E(v, h) = −cᵀv − bᵀh − hᵀ W v, with W `(n_hidden, n_visible)`, hidden bias b and
//! visible bias c. Its conditionals factorise: p(hⱼ = 1 | v) = σ(bⱼ + Wⱼ· v) and
//! p(vᵢ = 1 | h) = σ(cᵢ + Σⱼ hⱼ Wⱼᵢ).
//! Free energy: F(v) = −cᵀv − Σⱼ softplus(bⱼ + Wⱼ· v).
//!
//! CD-k on a minibatch V⁺ of B rows (Hinton 2002, as in Sugomori's book):
//! - positive phase: H⁺ = p(h | V⁺), the hidden *probabilities*;
//! - Gibbs chain: start from a sample of H⁺, alternate v ~ p(v | h), h ~ p(h | v) k times,
//!   ending with the visible sample V⁻ and its hidden probabilities H⁻;
//! - update: W += η (H⁺ᵀV⁺ − H⁻ᵀV⁻) / B, b += η Σ(H⁺ − H⁻) / B and
//!   c += η Σ(V⁺ − V⁻) / B.
//!
//! That update is minus η times the gradient of the contrastive objective
//! mean F(V⁺) − mean F(V⁻) with V⁻ held fixed, which is how [`Rbm::cd_gradient`] is
//! defined and tested. Batches are `(n_samples, n_visible)`; hidden matrices are
//! `(n_samples, n_hidden)`.

use crate::activation::{sample_bernoulli, sigmoid, softplus};
use crate::error::{check_positive, check_size, Error, Result};
use crate::hidden::HiddenLayer;
use layerwise_linalg::{gemm, matmul, Float, Matrix, Trans};
use rand::Rng;

/// Validated settings of one CD-k step: a learning rate η > 0 and k ≥ 1 Gibbs steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CdParams {
    learning_rate: f64,
    k: usize,
}

impl CdParams {
    /// Checks η (finite, > 0) and k (≥ 1).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the bad parameter and its value.
    pub fn new(learning_rate: f64, k: usize) -> Result<Self> {
        check_positive("learning_rate", learning_rate)?;
        if k == 0 {
            return Err(Error::InvalidHyperparameter {
                name: "k",
                value: 0.0,
                expected: "at least 1 Gibbs step",
            });
        }
        Ok(CdParams { learning_rate, k })
    }

    /// The learning rate η.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// The number of Gibbs steps k.
    pub fn k(&self) -> usize {
        self.k
    }
}

/// Gradients of an RBM objective with respect to W, b and c.
#[derive(Clone, Debug, PartialEq)]
pub struct RbmGradients<T> {
    /// ∂/∂W, `(n_hidden, n_visible)`.
    pub weights: Matrix<T>,
    /// ∂/∂b, length `n_hidden`.
    pub hidden_bias: Vec<T>,
    /// ∂/∂c, length `n_visible`.
    pub visible_bias: Vec<T>,
}

/// A Bernoulli–Bernoulli RBM: a [`HiddenLayer`] (W and b) plus a visible bias c.
#[derive(Clone, Debug, PartialEq)]
pub struct Rbm<T> {
    hidden: HiddenLayer<T>,
    visible_bias: Vec<T>,
}

impl<T: Float> Rbm<T> {
    /// An RBM with W uniform in [−1/n_visible, 1/n_visible) and both biases zero.
    ///
    /// # Errors
    /// [`Error::ZeroSize`] when `n_visible` or `n_hidden` is 0.
    pub fn new<R: Rng + ?Sized>(n_visible: usize, n_hidden: usize, rng: &mut R) -> Result<Self> {
        check_size("n_visible", n_visible)?;
        check_size("n_hidden", n_hidden)?;
        let hidden = HiddenLayer::new(n_visible, n_hidden, rng)?;
        Ok(Rbm {
            hidden,
            visible_bias: vec![T::ZERO; n_visible],
        })
    }

    /// An RBM from its parameters.
    ///
    /// # Panics
    /// If `visible_bias.len() ≠ hidden.n_in()`.
    #[track_caller]
    pub fn from_parts(hidden: HiddenLayer<T>, visible_bias: Vec<T>) -> Self {
        assert_eq!(
            visible_bias.len(),
            hidden.n_in(),
            "visible bias length ≠ n_visible"
        );
        Rbm {
            hidden,
            visible_bias,
        }
    }

    /// Number of visible units.
    pub fn n_visible(&self) -> usize {
        self.hidden.n_in()
    }

    /// Number of hidden units.
    pub fn n_hidden(&self) -> usize {
        self.hidden.n_out()
    }

    /// The weights W and hidden bias b, as the sigmoid layer they define.
    pub fn hidden_layer(&self) -> &HiddenLayer<T> {
        &self.hidden
    }

    /// Mutable access to W and b, for fine-tuning them as a classifier's hidden layer.
    pub fn hidden_layer_mut(&mut self) -> &mut HiddenLayer<T> {
        &mut self.hidden
    }

    /// The visible bias c, length `n_visible`.
    pub fn visible_bias(&self) -> &[T] {
        &self.visible_bias
    }

    /// p(h = 1 | v): `(n_samples, n_visible) → (n_samples, n_hidden)`.
    ///
    /// # Panics
    /// If `v.cols() ≠ n_visible`.
    #[track_caller]
    pub fn hidden_probabilities(&self, v: &Matrix<T>) -> Matrix<T> {
        self.hidden.forward(v)
    }

    /// p(v = 1 | h) = σ(h W + c): `(n_samples, n_hidden) → (n_samples, n_visible)`.
    ///
    /// # Panics
    /// If `h.cols() ≠ n_hidden`.
    #[track_caller]
    pub fn visible_probabilities(&self, h: &Matrix<T>) -> Matrix<T> {
        let mut v = matmul(h, Trans::N, self.hidden.weights(), Trans::N);
        v.add_row_vector(&self.visible_bias);
        v.map_inplace(sigmoid);
        v
    }

    /// Mean-field reconstruction p(v | p(h | v)): `(n_samples, n_visible)` in and out.
    ///
    /// # Panics
    /// If `v.cols() ≠ n_visible`.
    #[track_caller]
    pub fn reconstruct(&self, v: &Matrix<T>) -> Matrix<T> {
        self.visible_probabilities(&self.hidden_probabilities(v))
    }

    /// F(v) = −cᵀv − Σⱼ softplus(bⱼ + Wⱼ· v) for each row.
    ///
    /// Returns a vector of length `n_samples`.
    ///
    /// # Panics
    /// If `v.cols() ≠ n_visible`.
    #[track_caller]
    pub fn free_energy(&self, v: &Matrix<T>) -> Vec<T> {
        let z = self.hidden.pre_activation(v);
        (0..v.rows())
            .map(|n| {
                let visible: T = v
                    .row(n)
                    .iter()
                    .zip(&self.visible_bias)
                    .map(|(&x, &c)| x * c)
                    .sum();
                let hidden: T = z.row(n).iter().map(|&x| softplus(x)).sum();
                -visible - hidden
            })
            .collect()
    }

    /// Gradient of mean F(V⁺) − mean F(V⁻), V⁻ held fixed: the CD-k direction, negated.
    ///
    /// Shapes: both batches `(B, n_visible)`, the same B.
    ///
    /// # Panics
    /// If the shapes differ or do not fit the RBM.
    #[track_caller]
    pub fn cd_gradient(&self, v_pos: &Matrix<T>, v_neg: &Matrix<T>) -> RbmGradients<T> {
        let h_pos = self.hidden_probabilities(v_pos);
        let h_neg = self.hidden_probabilities(v_neg);
        cd_statistics(v_pos, &h_pos, v_neg, &h_neg)
    }

    /// θ ← θ − η · ∂/∂θ for all of W, b and c.
    ///
    /// # Panics
    /// If the gradient's shapes differ from the RBM's.
    #[track_caller]
    pub fn apply(&mut self, grads: &RbmGradients<T>, learning_rate: T) {
        let (w, b) = self.hidden.parts_mut();
        w.axpy(-learning_rate, &grads.weights);
        for (x, &g) in b.iter_mut().zip(&grads.hidden_bias) {
            *x -= learning_rate * g;
        }
        for (x, &g) in self.visible_bias.iter_mut().zip(&grads.visible_bias) {
            *x -= learning_rate * g;
        }
    }

    /// One CD-k update on a minibatch `(B, n_visible)`; returns the reconstruction error.
    ///
    /// The error is the mean over rows of Σᵢ (vᵢ − p(vᵢ | h))² at the chain's first
    /// visible step, measured before the update.
    ///
    /// # Panics
    /// If `batch.cols() ≠ n_visible`.
    #[track_caller]
    pub fn contrastive_divergence<R: Rng + ?Sized>(
        &mut self,
        batch: &Matrix<T>,
        params: &CdParams,
        rng: &mut R,
    ) -> T {
        // positive phase
        let h_pos = self.hidden_probabilities(batch);
        let mut h_sample = sample_bernoulli(&h_pos, rng);

        // Gibbs chain: k alternations, sampling both layers, keeping the last hidden means
        let mut error = T::ZERO;
        let mut chain = None;
        for step in 0..params.k() {
            let v_probs = self.visible_probabilities(&h_sample);
            if step == 0 {
                error = squared_error(batch, &v_probs);
            }
            let v_sample = sample_bernoulli(&v_probs, rng);
            let h_probs = self.hidden_probabilities(&v_sample);
            if step + 1 < params.k() {
                h_sample = sample_bernoulli(&h_probs, rng);
            }
            chain = Some((v_sample, h_probs));
        }
        let (v_neg, h_neg) = chain.expect("k ≥ 1 is checked by CdParams");

        // negative phase and update
        let grads = cd_statistics(batch, &h_pos, &v_neg, &h_neg);
        self.apply(&grads, T::from_f64(params.learning_rate()));
        error
    }
}

/// Negative minus positive statistics of h vᵀ, h and v, each a mean over the B rows.
fn cd_statistics<T: Float>(
    v_pos: &Matrix<T>,
    h_pos: &Matrix<T>,
    v_neg: &Matrix<T>,
    h_neg: &Matrix<T>,
) -> RbmGradients<T> {
    let inv_b = T::ONE / T::from_f64(v_pos.rows().max(1) as f64);
    let mut weights = Matrix::zeros(h_pos.cols(), v_pos.cols());
    gemm(
        -inv_b,
        h_pos,
        Trans::T,
        v_pos,
        Trans::N,
        T::ZERO,
        &mut weights,
    );
    gemm(
        inv_b,
        h_neg,
        Trans::T,
        v_neg,
        Trans::N,
        T::ONE,
        &mut weights,
    );
    let mean_difference = |pos: &Matrix<T>, neg: &Matrix<T>| -> Vec<T> {
        let (p, n) = (pos.col_sums(), neg.col_sums());
        p.iter().zip(&n).map(|(&a, &b)| (b - a) * inv_b).collect()
    };
    RbmGradients {
        weights,
        hidden_bias: mean_difference(h_pos, h_neg),
        visible_bias: mean_difference(v_pos, v_neg),
    }
}

/// Mean over rows of Σⱼ (xᵢⱼ − yᵢⱼ)².
pub(crate) fn squared_error<T: Float>(x: &Matrix<T>, y: &Matrix<T>) -> T {
    let total: T = x
        .as_slice()
        .iter()
        .zip(y.as_slice())
        .map(|(&a, &b)| (a - b) * (a - b))
        .sum();
    total / T::from_f64(x.rows().max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn rbm(rng: &mut ChaCha8Rng) -> Rbm<f64> {
        let mut hidden = HiddenLayer::new(6, 4, rng).unwrap();
        let w = hidden.weights().map(|w| w * 30.0);
        hidden = HiddenLayer::from_parts(w, vec![0.2, -0.1, 0.4, -0.3]);
        Rbm::from_parts(hidden, vec![0.1, -0.2, 0.3, 0.0, -0.4, 0.25])
    }

    fn binary(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Matrix<f64> {
        Matrix::from_fn(rows, cols, |_, _| if rng.gen::<bool>() { 1.0 } else { 0.0 })
    }

    fn objective(r: &Rbm<f64>, v_pos: &Matrix<f64>, v_neg: &Matrix<f64>) -> f64 {
        let mean = |v: &Matrix<f64>| r.free_energy(v).iter().sum::<f64>() / v.rows() as f64;
        mean(v_pos) - mean(v_neg)
    }

    #[test]
    fn params_are_validated() {
        assert!(CdParams::new(0.1, 1).is_ok());
        let e = CdParams::new(0.1, 0).unwrap_err();
        assert!(e.to_string().contains('k'));
        assert!(CdParams::new(-1.0, 1).is_err());
        assert!(CdParams::new(f64::NAN, 1).is_err());
    }

    #[test]
    fn free_energy_matches_brute_force_marginal() {
        // F(v) = −ln Σ_h e^(−E(v, h)), enumerated over all 2⁴ hidden states.
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let r = rbm(&mut rng);
        let v = binary(5, 6, &mut rng);
        let f = r.free_energy(&v);
        for n in 0..5 {
            let mut z = 0.0;
            for code in 0..16_u32 {
                let h: Vec<f64> = (0..4).map(|j| f64::from((code >> j) & 1)).collect();
                let mut neg_energy: f64 =
                    (0..6).map(|i| r.visible_bias()[i] * v[(n, i)]).sum::<f64>();
                for (j, &hj) in h.iter().enumerate() {
                    let wv: f64 = (0..6)
                        .map(|i| r.hidden_layer().weights()[(j, i)] * v[(n, i)])
                        .sum();
                    neg_energy += hj * (r.hidden_layer().bias()[j] + wv);
                }
                z += neg_energy.exp();
            }
            approx::assert_relative_eq!(f[n], -z.ln(), epsilon = 1e-12);
        }
    }

    #[test]
    fn cd_gradient_matches_finite_differences_of_free_energy() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let r = rbm(&mut rng);
        let (v_pos, v_neg) = (binary(7, 6, &mut rng), binary(7, 6, &mut rng));
        let g = r.cd_gradient(&v_pos, &v_neg);
        let h = 1e-6;
        let perturbed = |f: &dyn Fn(&mut Rbm<f64>)| {
            let mut p = r.clone();
            f(&mut p);
            objective(&p, &v_pos, &v_neg)
        };
        for idx in 0..24 {
            let up = perturbed(&|p| p.hidden.parts_mut().0.as_mut_slice()[idx] += h);
            let down = perturbed(&|p| p.hidden.parts_mut().0.as_mut_slice()[idx] -= h);
            approx::assert_abs_diff_eq!(
                g.weights.as_slice()[idx],
                (up - down) / (2.0 * h),
                epsilon = 1e-8
            );
        }
        for j in 0..4 {
            let up = perturbed(&|p| p.hidden.parts_mut().1[j] += h);
            let down = perturbed(&|p| p.hidden.parts_mut().1[j] -= h);
            approx::assert_abs_diff_eq!(g.hidden_bias[j], (up - down) / (2.0 * h), epsilon = 1e-8);
        }
        for i in 0..6 {
            let up = perturbed(&|p| p.visible_bias[i] += h);
            let down = perturbed(&|p| p.visible_bias[i] -= h);
            approx::assert_abs_diff_eq!(g.visible_bias[i], (up - down) / (2.0 * h), epsilon = 1e-8);
        }
    }

    #[test]
    fn free_energy_is_finite_for_huge_pre_activations_in_f32() {
        let hidden = HiddenLayer::from_parts(Matrix::filled(3, 2, 500.0_f32), vec![0.0; 3]);
        let r = Rbm::from_parts(hidden, vec![1000.0, -1000.0]);
        let f = r.free_energy(&Matrix::filled(1, 2, 1.0));
        assert!(f[0].is_finite());
        assert_eq!(f[0], -3000.0);
    }

    #[test]
    fn cd_training_lowers_reconstruction_error_and_is_seeded() {
        let run = |seed: u64| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut r = Rbm::<f64>::new(12, 6, &mut rng).unwrap();
            let data = Matrix::from_fn(
                40,
                12,
                |i, j| if (j < 6) == (i % 2 == 0) { 1.0 } else { 0.0 },
            );
            let params = CdParams::new(0.1, 2).unwrap();
            let first = r.contrastive_divergence(&data, &params, &mut rng);
            let mut last = first;
            for _ in 0..300 {
                last = r.contrastive_divergence(&data, &params, &mut rng);
            }
            (first, last, r)
        };
        let (first, last, a) = run(11);
        assert!(last < first / 4.0, "error went from {first} to {last}");
        assert_eq!(a, run(11).2);
        assert_ne!(a, run(12).2);
    }
}
