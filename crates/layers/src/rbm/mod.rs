//! Restricted Boltzmann Machines with binary hidden units and Bernoulli or Gaussian visible
//! units, trained by contrastive divergence.
//!
//! Hidden units h (length `n_hidden`) are binary; W is `(n_hidden, n_visible)`, b the hidden
//! bias and c the visible bias. The visible units v (length `n_visible`) are of one
//! [`Visible`] kind:
//! - Bernoulli–Bernoulli, v binary: E(v, h) = −cᵀv − bᵀh − hᵀ W v, with
//!   p(hⱼ = 1 | v) = σ(bⱼ + Wⱼ· v) and p(vᵢ = 1 | h) = σ(cᵢ + Σⱼ hⱼ Wⱼᵢ);
//!   free energy F(v) = −cᵀv − Σⱼ softplus(bⱼ + Wⱼ· v).
//! - Gaussian–Bernoulli, v real with unit variance (standardised data):
//!   E(v, h) = ½‖v − c‖² − bᵀh − hᵀ W v, with the same p(h | v) and
//!   v | h ~ N(c + Wᵀh, I);
//!   free energy F(v) = ½‖v − c‖² − Σⱼ softplus(bⱼ + Wⱼ· v).
//!
//! CD-k on a minibatch V⁺ of B rows (Hinton 2002, as in Sugomori's book):
//! - positive phase: H⁺ = p(h | V⁺), the hidden *probabilities*;
//! - Gibbs chain: start from a sample of H⁺, alternate v ~ p(v | h), h ~ p(h | v) k times,
//!   ending with the visible sample V⁻ and its hidden probabilities H⁻;
//! - update: W += η (H⁺ᵀV⁺ − H⁻ᵀV⁻) / B, b += η Σ(H⁺ − H⁻) / B and
//!   c += η Σ(V⁺ − V⁻) / B (the same for both visible kinds).
//!
//! That update is minus η times the gradient of the contrastive objective
//! mean F(V⁺) − mean F(V⁻) with V⁻ held fixed, which is how [`Rbm::cd_gradient`] is
//! defined and tested. Batches are `(n_samples, n_visible)`; hidden matrices are
//! `(n_samples, n_hidden)`.
//!
//! Training applies that update in place ([`Rbm::contrastive_divergence_with`]): each layer's
//! GEMM is followed by one row-parallel pass adding the bias, applying σ and drawing the
//! sample, into the matrices of a reused [`CdWorkspace`]; W and the biases are accumulated
//! into directly, by the same kernel that [`Rbm::cd_gradient`] runs on zeros.
//! [`RbmTrainer`] adds persistent chains, momentum, weight decay, a sparsity target and
//! learning-rate schedules; [`Rbm::monitor`] measures free energies and the
//! pseudo-likelihood; [`Rbm::generate`] runs Gibbs chains to show what the model learnt.

mod ais;
mod gibbs;
mod monitor;
mod trainer;

pub use ais::{AisConfig, AisEstimate, AisParams, MAX_ENUMERATED_UNITS};
pub use gibbs::GibbsStart;
pub use monitor::RbmMonitor;
pub use trainer::{Momentum, RbmTrainConfig, RbmTrainer, Sparsity};

use crate::activation::{
    add_bias_gaussian_sample, add_bias_sigmoid, sigmoid_sample, softplus, RowStreams,
};
use crate::error::{
    check_all_finite, check_positive, check_size, check_unit_interval, Error, Result,
};
use crate::hidden::{add_col_sums, HiddenLayer};
use layerwise_linalg::{gemm, gemm_bias, vmath, Float, Matrix, Trans};
use rand::Rng;
use std::fmt;

/// The kind of an RBM's visible units; hidden units are always binary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Visible {
    /// Binary units: p(vᵢ = 1 | h) = σ(cᵢ + Σⱼ hⱼ Wⱼᵢ). The default.
    #[default]
    Bernoulli,
    /// Real-valued units of unit variance: vᵢ | h ~ N(cᵢ + Σⱼ hⱼ Wⱼᵢ, 1). Meant
    /// for data standardised to mean 0 and variance 1 per column.
    Gaussian,
}

impl fmt::Display for Visible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Visible::Bernoulli => "Bernoulli",
            Visible::Gaussian => "Gaussian",
        })
    }
}

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
        check_steps("k", k)?;
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

/// `Ok(())` when a number of Gibbs steps is at least 1.
pub(crate) fn check_steps(name: &'static str, k: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::InvalidHyperparameter {
            name,
            value: 0.0,
            expected: "at least 1 Gibbs step",
        });
    }
    Ok(())
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

/// An RBM: a [`HiddenLayer`] (W and b), a visible bias c and the kind of its visible units.
#[derive(Clone, Debug, PartialEq)]
pub struct Rbm<T> {
    hidden: HiddenLayer<T>,
    visible_bias: Vec<T>,
    visible: Visible,
}

impl<T: Float> Rbm<T> {
    /// A Bernoulli–Bernoulli RBM with W uniform in [−1/n_visible, 1/n_visible) and both
    /// biases zero.
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
            visible: Visible::Bernoulli,
        })
    }

    /// A Bernoulli–Bernoulli RBM from its parameters.
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
            visible: Visible::Bernoulli,
        }
    }

    /// The same parameters with visible units of another kind.
    ///
    /// # Examples
    /// ```
    /// use layerwise_layers::{Rbm, Visible};
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let rbm = Rbm::<f64>::new(5, 3, &mut rng).unwrap().with_visible(Visible::Gaussian);
    /// assert_eq!(rbm.visible(), Visible::Gaussian);
    /// ```
    pub fn with_visible(mut self, visible: Visible) -> Self {
        self.visible = visible;
        self
    }

    /// `Ok(())` when the RBM can be trained on `v` `(n_samples, n_visible)`: values in
    /// [0, 1] for Bernoulli visible units (probabilities or binary values), finite values
    /// for Gaussian ones. One pass over `v`; the training steps themselves do not check.
    ///
    /// # Errors
    /// [`crate::Error::InputOutOfRange`] naming the first value that does not fit.
    ///
    /// # Examples
    /// ```
    /// use layerwise_layers::{Error, Rbm, Visible};
    /// use layerwise_linalg::Matrix;
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let rbm = Rbm::<f32>::new(2, 3, &mut rng).unwrap();
    /// let pixels = Matrix::from_vec(2, 2, vec![0.0, 1.0, 0.5, 255.0]).unwrap();
    /// let err = rbm.check_inputs(&pixels).unwrap_err();
    /// assert!(matches!(err, Error::InputOutOfRange { row: 1, column: 1, .. }));
    /// assert!(rbm.with_visible(Visible::Gaussian).check_inputs(&pixels).is_ok());
    /// ```
    pub fn check_inputs(&self, v: &Matrix<T>) -> Result<()> {
        match self.visible {
            Visible::Bernoulli => check_unit_interval(v, "a Bernoulli RBM"),
            Visible::Gaussian => check_all_finite(v, "a Gaussian RBM"),
        }
    }

    /// The kind of the visible units.
    pub fn visible(&self) -> Visible {
        self.visible
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

    /// E[v | h]: p(v = 1 | h) = σ(h W + c) for Bernoulli units, the mean h W + c for
    /// Gaussian ones; `(n_samples, n_hidden) → (n_samples, n_visible)`.
    ///
    /// # Panics
    /// If `h.cols() ≠ n_hidden`.
    #[track_caller]
    pub fn visible_probabilities(&self, h: &Matrix<T>) -> Matrix<T> {
        let mut v = Matrix::zeros(0, 0);
        self.visible_means_into(h, &mut v);
        v
    }

    /// `v` ← E[v | h], reshaped to `(n_samples, n_visible)`: the GEMM, then the bias (and σ).
    #[track_caller]
    fn visible_means_into(&self, h: &Matrix<T>, v: &mut Matrix<T>) {
        self.visible_linear_into(h, v);
        match self.visible {
            Visible::Bernoulli => add_bias_sigmoid(v, &self.visible_bias),
            Visible::Gaussian => v.add_row_vector(&self.visible_bias),
        }
    }

    /// a ← h W (the GEMM of the downward pass), a reshaped to `(n_samples, n_visible)`.
    #[track_caller]
    fn visible_linear_into(&self, h: &Matrix<T>, a: &mut Matrix<T>) {
        a.reshape_uninit(h.rows(), self.n_visible());
        let w = self.hidden.weights();
        gemm(T::ONE, h, Trans::N, w, Trans::N, T::ZERO, a);
    }

    /// `probs` ← E[v | h] and `sample` ← a sample of v | h, both `(n_samples, n_visible)`:
    /// the GEMM (with the bias, for Bernoulli units), then one row-parallel pass (the bias
    /// for Gaussian units, σ or not, draw).
    #[track_caller]
    fn visible_sample_into<R: Rng + ?Sized>(
        &self,
        h: &Matrix<T>,
        probs: &mut Matrix<T>,
        sample: &mut Matrix<T>,
        rng: &mut R,
    ) {
        let streams = RowStreams::new(rng);
        let c = &self.visible_bias;
        match self.visible {
            Visible::Bernoulli => {
                // the bias goes in with the GEMM's epilogue (same bits as adding it after)
                probs.reshape_uninit(h.rows(), self.n_visible());
                let w = self.hidden.weights();
                gemm_bias(T::ONE, h, Trans::N, w, Trans::N, c, probs);
                sigmoid_sample(probs, sample, &streams);
            }
            Visible::Gaussian => {
                self.visible_linear_into(h, probs);
                add_bias_gaussian_sample(probs, c, sample, &streams);
            }
        }
    }

    /// Mean-field reconstruction E[v | p(h | v)]: `(n_samples, n_visible)` in and out.
    ///
    /// # Panics
    /// If `v.cols() ≠ n_visible`.
    #[track_caller]
    pub fn reconstruct(&self, v: &Matrix<T>) -> Matrix<T> {
        self.visible_probabilities(&self.hidden_probabilities(v))
    }

    /// F(v) for each row: −cᵀv − Σⱼ softplus(bⱼ + Wⱼ· v) for Bernoulli visible units,
    /// ½‖v − c‖² − Σⱼ softplus(bⱼ + Wⱼ· v) for Gaussian ones.
    ///
    /// Returns a vector of length `n_samples`. The softplus stays finite for every finite
    /// argument, in `f32` too. [`Rbm::mean_free_energy`] sums in `f64`.
    ///
    /// # Panics
    /// If `v.cols() ≠ n_visible`.
    #[track_caller]
    pub fn free_energy(&self, v: &Matrix<T>) -> Vec<T> {
        let z = self.hidden.pre_activation(v);
        (0..v.rows())
            .map(|n| {
                let hidden: T = z.row(n).iter().map(|&x| softplus(x)).sum();
                self.visible_energy(v.row(n)) - hidden
            })
            .collect()
    }

    /// The visible term of F(v) for one row: −cᵀv, or ½‖v − c‖² for Gaussian units.
    fn visible_energy(&self, v: &[T]) -> T {
        let c = &self.visible_bias;
        match self.visible {
            Visible::Bernoulli => -v.iter().zip(c).map(|(&x, &c)| x * c).sum::<T>(),
            Visible::Gaussian => {
                let half = T::from_f64(0.5);
                v.iter()
                    .zip(c)
                    .map(|(&x, &c)| half * (x - c) * (x - c))
                    .sum()
            }
        }
    }

    /// Gradient of mean F(V⁺) − mean F(V⁻), V⁻ held fixed: the CD-k direction, negated.
    ///
    /// Shapes: both batches `(B, n_visible)`, the same B. It is computed by the kernel that
    /// training applies in place, run on zeros.
    ///
    /// # Panics
    /// If the shapes differ or do not fit the RBM.
    #[track_caller]
    pub fn cd_gradient(&self, v_pos: &Matrix<T>, v_neg: &Matrix<T>) -> RbmGradients<T> {
        assert_eq!(
            v_pos.shape(),
            v_neg.shape(),
            "cd_gradient: batch shapes differ"
        );
        let h_pos = self.hidden_probabilities(v_pos);
        let h_neg = self.hidden_probabilities(v_neg);
        let mut g = RbmGradients::zeros(self.n_hidden(), self.n_visible());
        let phases = Phases {
            v_pos,
            h_pos: &h_pos,
            v_neg,
            h_neg: &h_neg,
        };
        phases.accumulate(
            -T::ONE,
            &mut g.weights,
            &mut g.hidden_bias,
            &mut g.visible_bias,
        );
        g
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
    /// The error is the mean over rows of Σᵢ (vᵢ − E[vᵢ | h])² at the chain's first
    /// visible step, measured before the update. Builds a temporary [`CdWorkspace`]; training
    /// loops keep one and call [`Rbm::contrastive_divergence_with`].
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
        self.contrastive_divergence_with(batch, params, &mut CdWorkspace::new(), rng)
    }

    /// [`Rbm::contrastive_divergence`] with every temporary in `workspace`, reused: once its
    /// buffers have grown to the largest minibatch, a step allocates nothing.
    ///
    /// `rng` gives one value per sampled layer, 2k in all ([`crate::RowStreams`]).
    /// W, b and c are updated in place: W += η (H⁺ᵀV⁺ − H⁻ᵀV⁻) / B and likewise
    /// the biases.
    ///
    /// # Panics
    /// If `batch.cols() ≠ n_visible`.
    #[track_caller]
    pub fn contrastive_divergence_with<R: Rng + ?Sized>(
        &mut self,
        batch: &Matrix<T>,
        params: &CdParams,
        ws: &mut CdWorkspace<T>,
        rng: &mut R,
    ) -> T {
        // positive phase: H⁺ = p(h | V⁺), and the chain's first hidden sample
        self.positive_phase(batch, ws, rng);

        // Gibbs chain, ending with V⁻ and H⁻ = p(h | V⁻)
        let error = self.gibbs_chain(Some(batch), params.k(), false, ws, rng);

        // update: θ ← θ + η (positive − negative statistics) / B
        let eta = T::from_f64(params.learning_rate());
        let (w, b) = self.hidden.parts_mut();
        ws.phases(batch)
            .accumulate(eta, w, b, &mut self.visible_bias);
        error
    }

    /// H⁺ = p(h | V⁺) into `ws.h_pos` and its sample into `ws.h_sample`.
    fn positive_phase<R: Rng + ?Sized>(
        &self,
        batch: &Matrix<T>,
        ws: &mut CdWorkspace<T>,
        rng: &mut R,
    ) {
        let (h_pos, h_sample) = (&mut ws.h_pos, &mut ws.h_sample);
        self.hidden.forward_sample_into(batch, h_pos, h_sample, rng);
    }

    /// k alternations from `ws.h_sample`, sampling both layers, keeping the last hidden means
    /// in `ws.h_probs` and V⁻ in `ws.v_sample`; the last hidden layer is sampled into
    /// `ws.h_sample` too when `sample_last`. Returns the first step's reconstruction error
    /// against `batch` when one is given (0 otherwise).
    fn gibbs_chain<R: Rng + ?Sized>(
        &self,
        batch: Option<&Matrix<T>>,
        k: usize,
        sample_last: bool,
        ws: &mut CdWorkspace<T>,
        rng: &mut R,
    ) -> T {
        let mut error = T::ZERO;
        for step in 0..k {
            // down: E[v | h] and a visible sample
            self.visible_sample_into(&ws.h_sample, &mut ws.v_probs, &mut ws.v_sample, rng);
            if let (0, Some(batch)) = (step, batch) {
                error = squared_error(batch, &ws.v_probs);
            }

            // up: p(h | v), sampled again unless the chain ends here
            if step + 1 < k || sample_last {
                self.hidden.forward_sample_into(
                    &ws.v_sample,
                    &mut ws.h_probs,
                    &mut ws.h_sample,
                    rng,
                );
            } else {
                self.hidden.forward_into(&ws.v_sample, &mut ws.h_probs);
            }
        }
        error
    }
}

/// The temporaries of one CD-k step, kept between minibatches so training allocates nothing.
///
/// Each matrix is reshaped to the minibatch's B rows on every step, reusing its buffer, so
/// one workspace serves any batch size and any RBM.
#[derive(Clone, Debug)]
pub struct CdWorkspace<T> {
    /// H⁺ = p(h | V⁺), `(B, n_hidden)`.
    h_pos: Matrix<T>,
    /// The chain's hidden sample, `(B, n_hidden)`.
    h_sample: Matrix<T>,
    /// E[v | h] of the latest step, `(B, n_visible)`.
    v_probs: Matrix<T>,
    /// The chain's visible sample, V⁻ once it ends, `(B, n_visible)`.
    v_sample: Matrix<T>,
    /// p(h | v) of the latest step, H⁻ once the chain ends, `(B, n_hidden)`.
    h_probs: Matrix<T>,
}

impl<T: Float> CdWorkspace<T> {
    /// An empty workspace; its buffers grow on the first step.
    pub fn new() -> Self {
        let empty = || Matrix::zeros(0, 0);
        CdWorkspace {
            h_pos: empty(),
            h_sample: empty(),
            v_probs: empty(),
            v_sample: empty(),
            h_probs: empty(),
        }
    }

    /// V⁻, the chain's last visible sample in the latest step, `(B, n_visible)`.
    pub fn negative_sample(&self) -> &Matrix<T> {
        &self.v_sample
    }

    /// The statistics of the latest step, V⁺ being `batch`.
    fn phases<'a>(&'a self, batch: &'a Matrix<T>) -> Phases<'a, T> {
        Phases {
            v_pos: batch,
            h_pos: &self.h_pos,
            v_neg: &self.v_sample,
            h_neg: &self.h_probs,
        }
    }
}

impl<T: Float> Default for CdWorkspace<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> RbmGradients<T> {
    /// Zero gradients for W `(n_hidden, n_visible)`, b and c.
    pub(crate) fn zeros(n_hidden: usize, n_visible: usize) -> Self {
        RbmGradients {
            weights: Matrix::zeros(n_hidden, n_visible),
            hidden_bias: vec![T::ZERO; n_hidden],
            visible_bias: vec![T::ZERO; n_visible],
        }
    }
}

/// The four batches CD-k's statistics come from: V⁺ and V⁻ `(B, n_visible)`, H⁺ and H⁻
/// `(B, n_hidden)`.
struct Phases<'a, T> {
    v_pos: &'a Matrix<T>,
    h_pos: &'a Matrix<T>,
    v_neg: &'a Matrix<T>,
    h_neg: &'a Matrix<T>,
}

impl<T: Float> Phases<'_, T> {
    /// θ ← θ + s (positive − negative statistics) / B: W += s (H⁺ᵀV⁺ − H⁻ᵀV⁻)
    /// / B,
    /// b += s Σ(H⁺ − H⁻) / B and c += s Σ(V⁺ − V⁻) / B.
    ///
    /// s = η is the CD-k update; s = −1 on zeros gives the gradient of the objective.
    #[track_caller]
    fn accumulate(&self, scale: T, weights: &mut Matrix<T>, hidden: &mut [T], visible: &mut [T]) {
        let s = scale / T::from_f64(self.v_pos.rows().max(1) as f64);
        gemm(
            s,
            self.h_pos,
            Trans::T,
            self.v_pos,
            Trans::N,
            T::ONE,
            weights,
        );
        gemm(
            -s,
            self.h_neg,
            Trans::T,
            self.v_neg,
            Trans::N,
            T::ONE,
            weights,
        );
        add_col_sums(hidden, s, self.h_pos);
        add_col_sums(hidden, -s, self.h_neg);
        add_col_sums(visible, s, self.v_pos);
        add_col_sums(visible, -s, self.v_neg);
    }
}

/// Mean over rows of Σⱼ (xᵢⱼ − yᵢⱼ)².
///
/// The sum runs in 8 interleaved partial sums ([`vmath::squared_distance`]), so that it
/// vectorises instead of waiting on one chain of additions.
fn squared_error<T: Float>(x: &Matrix<T>, y: &Matrix<T>) -> T {
    let total = vmath::squared_distance(x.as_slice(), y.as_slice());
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

    /// A 6 × 4 Gaussian–Bernoulli RBM with the weights of `rbm`, scaled down.
    fn gaussian(rng: &mut ChaCha8Rng) -> Rbm<f64> {
        let r = rbm(rng);
        let w = r.hidden_layer().weights().map(|w| w * 0.3);
        let hidden = HiddenLayer::from_parts(w, r.hidden_layer().bias().to_vec());
        Rbm::from_parts(hidden, r.visible_bias().to_vec()).with_visible(Visible::Gaussian)
    }

    fn real(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Matrix<f64> {
        Matrix::from_fn(rows, cols, |_, _| rng.gen_range(-2.0..2.0))
    }

    #[test]
    fn gaussian_free_energy_matches_brute_force_marginal() {
        // F(v) = −ln Σ_h e^(−E(v, h)) over all 2⁴ states,
        // E = ½‖v − c‖² − bᵀh − hᵀWv
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let r = gaussian(&mut rng);
        let v = real(5, 6, &mut rng);
        let f = r.free_energy(&v);
        let (w, b, c) = (
            r.hidden_layer().weights(),
            r.hidden_layer().bias(),
            r.visible_bias(),
        );
        for n in 0..5 {
            let half_square: f64 = (0..6).map(|i| 0.5 * (v[(n, i)] - c[i]).powi(2)).sum();
            let z: f64 = (0..16_u32)
                .map(|code| {
                    let on = (0..4).filter(|j| (code >> j) & 1 == 1);
                    let drive: f64 = on
                        .map(|j| b[j] + (0..6).map(|i| w[(j, i)] * v[(n, i)]).sum::<f64>())
                        .sum();
                    (drive - half_square).exp()
                })
                .sum();
            approx::assert_relative_eq!(f[n], -z.ln(), epsilon = 1e-12);
            approx::assert_relative_eq!(r.free_energy_f64(&v)[n], f[n], epsilon = 1e-12);
        }
    }

    #[test]
    fn gaussian_cd_gradient_matches_finite_differences_of_free_energy() {
        let mut rng = ChaCha8Rng::seed_from_u64(22);
        let r = gaussian(&mut rng);
        let (v_pos, v_neg) = (real(7, 6, &mut rng), real(7, 6, &mut rng));
        let g = r.cd_gradient(&v_pos, &v_neg);
        let h = 1e-6;
        let at = |f: &dyn Fn(&mut Rbm<f64>)| {
            let mut p = r.clone();
            f(&mut p);
            objective(&p, &v_pos, &v_neg)
        };
        for i in 0..6 {
            let fd =
                (at(&|p| p.visible_bias[i] += h) - at(&|p| p.visible_bias[i] -= h)) / (2.0 * h);
            approx::assert_abs_diff_eq!(g.visible_bias[i], fd, epsilon = 1e-7);
        }
        for idx in [0, 7, 23] {
            let up = at(&|p| p.hidden.parts_mut().0.as_mut_slice()[idx] += h);
            let down = at(&|p| p.hidden.parts_mut().0.as_mut_slice()[idx] -= h);
            approx::assert_abs_diff_eq!(
                g.weights.as_slice()[idx],
                (up - down) / (2.0 * h),
                epsilon = 1e-7
            );
        }
    }

    #[test]
    fn gaussian_cd_learns_real_valued_data_from_real_valued_samples() {
        // two clusters at ±1.5 in the first and second halves of 8 standardised inputs
        let mut rng = ChaCha8Rng::seed_from_u64(23);
        let data = Matrix::from_fn(200, 8, |n, i| {
            let sign = if (i < 4) == (n % 2 == 0) { 1.5 } else { -1.5 };
            sign + rng.gen_range(-0.3..0.3)
        });
        let mut r = Rbm::<f64>::new(8, 4, &mut rng)
            .unwrap()
            .with_visible(Visible::Gaussian);
        let params = CdParams::new(0.01, 1).unwrap();
        let mut ws = CdWorkspace::new();
        let first = r.contrastive_divergence_with(&data, &params, &mut ws, &mut rng);
        let binary = ws
            .negative_sample()
            .as_slice()
            .iter()
            .all(|&x| x == 0.0 || x == 1.0);
        assert!(!binary, "V⁻ is a Gaussian sample");
        let mut last = first;
        for _ in 0..500 {
            last = r.contrastive_divergence_with(&data, &params, &mut ws, &mut rng);
        }
        assert!(last < first / 2.0, "error went from {first} to {last}");
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

    #[test]
    fn a_cd_step_moves_by_minus_eta_times_cd_gradient() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        let r = rbm(&mut rng);
        let batch = binary(7, 6, &mut rng);
        let params = CdParams::new(0.01, 2).unwrap();
        let mut stepped = r.clone();
        let mut ws = CdWorkspace::new();
        stepped.contrastive_divergence_with(&batch, &params, &mut ws, &mut rng);
        let g = r.cd_gradient(&batch, ws.negative_sample());
        let moved = |after: &[f64], before: &[f64], grad: &[f64]| {
            for ((a, b), g) in after.iter().zip(before).zip(grad) {
                approx::assert_abs_diff_eq!((b - a) / 0.01, g, epsilon = 1e-10);
            }
        };
        let (w, b) = (r.hidden_layer().weights(), r.hidden_layer().bias());
        let after = stepped.hidden_layer();
        moved(
            after.weights().as_slice(),
            w.as_slice(),
            g.weights.as_slice(),
        );
        moved(after.bias(), b, &g.hidden_bias);
        moved(stepped.visible_bias(), r.visible_bias(), &g.visible_bias);
    }

    #[test]
    fn a_reused_workspace_gives_what_fresh_ones_give() {
        let mut rng = ChaCha8Rng::seed_from_u64(14);
        let start = rbm(&mut rng);
        let batches = [
            binary(7, 6, &mut rng),
            binary(3, 6, &mut rng),
            binary(7, 6, &mut rng),
        ];
        let params = CdParams::new(0.1, 2).unwrap();
        let run = |reuse: bool| {
            let (mut r, mut rng) = (start.clone(), ChaCha8Rng::seed_from_u64(15));
            let mut ws = CdWorkspace::new();
            let errors: Vec<f64> = batches
                .iter()
                .map(|b| {
                    if !reuse {
                        ws = CdWorkspace::new();
                    }
                    r.contrastive_divergence_with(b, &params, &mut ws, &mut rng)
                })
                .collect();
            (r, errors)
        };
        assert_eq!(run(true), run(false));
    }

    #[test]
    fn a_cd_step_is_bit_identical_for_1_2_and_3_threads() {
        let mut rng = ChaCha8Rng::seed_from_u64(16);
        let start = Rbm::<f64>::new(120, 100, &mut rng).unwrap();
        let batch = binary(900, 120, &mut rng);
        let params = CdParams::new(0.1, 2).unwrap();
        crate::activation::tests::same_for_1_2_3_threads(|| {
            let (mut r, mut rng) = (start.clone(), ChaCha8Rng::seed_from_u64(17));
            let error = r.contrastive_divergence(&batch, &params, &mut rng);
            (r, error)
        });
    }
}
