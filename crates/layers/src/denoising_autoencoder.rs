//! A denoising autoencoder with masking noise, tied weights and a cross-entropy loss.
//!
//! For a clean input x (length `n_visible`, values in [0, 1]):
//! - corrupt: x̃ = x with each component set to 0 with probability ν (the corruption level);
//! - encode: y = σ(W x̃ + b), W `(n_hidden, n_visible)`;
//! - decode with the transposed (tied) weights: z = σ(Wᵀ y + c);
//! - loss: L = −Σᵢ [xᵢ ln zᵢ + (1 − xᵢ) ln(1 − zᵢ)], averaged over the minibatch.
//!
//! Gradient over a minibatch of B rows (one row per sample):
//! - visible error δᵛ = (Z − X) / B;
//! - hidden error δʰ = (δᵛ Wᵀ) ⊙ Y ⊙ (1 − Y), summing over *all* visible units;
//! - ∂L/∂W = δʰᵀ X̃ + Yᵀ δᵛ (encoder plus decoder use of W);
//! - ∂L/∂b = Σ δʰ and ∂L/∂c = Σ δᵛ.
//!
//! Training applies −η times that gradient in place ([`DenoisingAutoencoder::train_batch_with`])
//! with the temporaries of a reused [`DaWorkspace`]: the masking noise draws from per-row
//! streams, and one row-parallel pass after the decoder's GEMM adds c, takes each row's loss
//! and turns the logits into δᵛ. [`DenoisingAutoencoder::gradient`] runs the same kernels on
//! zeros.
//!
//! Vincent et al. (2008); Sugomori's book, with its hidden-error sum fixed.

use crate::activation::{sigmoid, sigmoid_delta, softplus, RowStreams};
use crate::error::{check_positive, check_size, Error, Result};
use crate::hidden::{accumulate_linear, add_col_sums, HiddenLayer};
use crate::rbm::RbmGradients;
use layerwise_linalg::{gemm, matmul, vmath, Float, Matrix, Trans};
use rand::Rng;

/// Validated settings of one dA step: learning rate η > 0, corruption level ν in [0, 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DaParams {
    learning_rate: f64,
    corruption: f64,
}

impl DaParams {
    /// Checks η (finite, > 0) and ν (in [0, 1)).
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the bad parameter and its value.
    pub fn new(learning_rate: f64, corruption: f64) -> Result<Self> {
        check_positive("learning_rate", learning_rate)?;
        if !(0.0..1.0).contains(&corruption) {
            return Err(Error::InvalidHyperparameter {
                name: "corruption_level",
                value: corruption,
                expected: "a probability in [0, 1)",
            });
        }
        Ok(DaParams {
            learning_rate,
            corruption,
        })
    }

    /// The learning rate η.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// The corruption level ν.
    pub fn corruption(&self) -> f64 {
        self.corruption
    }
}

/// A tied-weight denoising autoencoder: a [`HiddenLayer`] (W, b) plus a visible bias c.
#[derive(Clone, Debug, PartialEq)]
pub struct DenoisingAutoencoder<T> {
    encoder: HiddenLayer<T>,
    visible_bias: Vec<T>,
}

impl<T: Float> DenoisingAutoencoder<T> {
    /// A dA with W uniform in [−1/n_visible, 1/n_visible) and both biases zero.
    ///
    /// # Errors
    /// [`Error::ZeroSize`] when `n_visible` or `n_hidden` is 0.
    pub fn new<R: Rng + ?Sized>(n_visible: usize, n_hidden: usize, rng: &mut R) -> Result<Self> {
        check_size("n_visible", n_visible)?;
        check_size("n_hidden", n_hidden)?;
        let encoder = HiddenLayer::new(n_visible, n_hidden, rng)?;
        Ok(DenoisingAutoencoder {
            encoder,
            visible_bias: vec![T::ZERO; n_visible],
        })
    }

    /// A dA from its parameters.
    ///
    /// # Panics
    /// If `visible_bias.len() ≠ encoder.n_in()`.
    #[track_caller]
    pub fn from_parts(encoder: HiddenLayer<T>, visible_bias: Vec<T>) -> Self {
        assert_eq!(
            visible_bias.len(),
            encoder.n_in(),
            "visible bias length ≠ n_visible"
        );
        DenoisingAutoencoder {
            encoder,
            visible_bias,
        }
    }

    /// Number of visible units.
    pub fn n_visible(&self) -> usize {
        self.encoder.n_in()
    }

    /// Number of hidden units.
    pub fn n_hidden(&self) -> usize {
        self.encoder.n_out()
    }

    /// The encoder (W and b) as the sigmoid layer it defines.
    pub fn hidden_layer(&self) -> &HiddenLayer<T> {
        &self.encoder
    }

    /// Mutable access to W and b, for fine-tuning them as a classifier's hidden layer.
    pub fn hidden_layer_mut(&mut self) -> &mut HiddenLayer<T> {
        &mut self.encoder
    }

    /// The visible (decoder) bias c, length `n_visible`.
    pub fn visible_bias(&self) -> &[T] {
        &self.visible_bias
    }

    /// Masking noise: each element set to 0 with probability ν. Shape unchanged.
    ///
    /// One value is drawn from `rng` ([`crate::RowStreams`]); row i then takes one uniform
    /// `f64` per element, in order, from its own stream.
    pub fn corrupt<R: Rng + ?Sized>(x: &Matrix<T>, corruption: f64, rng: &mut R) -> Matrix<T> {
        let mut out = Matrix::zeros(0, 0);
        Self::corrupt_into(x, corruption, &mut out, rng);
        out
    }

    /// [`DenoisingAutoencoder::corrupt`] into `out`, reshaped to the shape of x and reusing
    /// its buffer; rows in parallel.
    pub fn corrupt_into<R: Rng + ?Sized>(
        x: &Matrix<T>,
        corruption: f64,
        out: &mut Matrix<T>,
        rng: &mut R,
    ) {
        let streams = RowStreams::new(rng);
        out.reshape_uninit(x.rows(), x.cols());
        out.par_rows_mut(|i, row| {
            let mut stream = streams.row(i);
            for (o, &v) in row.iter_mut().zip(x.row(i)) {
                *o = if stream.gen::<f64>() < corruption {
                    T::ZERO
                } else {
                    v
                };
            }
        });
    }

    /// y = σ(x Wᵀ + b): `(n_samples, n_visible) → (n_samples, n_hidden)`.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_visible`.
    #[track_caller]
    pub fn encode(&self, x: &Matrix<T>) -> Matrix<T> {
        self.encoder.forward(x)
    }

    /// Decoder pre-activation y W + c: `(n_samples, n_hidden) → (n_samples, n_visible)`.
    #[track_caller]
    fn decode_logits(&self, y: &Matrix<T>) -> Matrix<T> {
        let mut a = matmul(y, Trans::N, self.encoder.weights(), Trans::N);
        a.add_row_vector(&self.visible_bias);
        a
    }

    /// z = σ(y W + c): `(n_samples, n_hidden) → (n_samples, n_visible)`.
    ///
    /// # Panics
    /// If `y.cols() ≠ n_hidden`.
    #[track_caller]
    pub fn decode(&self, y: &Matrix<T>) -> Matrix<T> {
        self.decode_logits(y).map(sigmoid)
    }

    /// Mean cross-entropy between `clean` and the reconstruction of `corrupted`.
    ///
    /// Evaluated from the decoder's logits a as softplus(a) − x·a, which equals
    /// −x ln σ(a) − (1 − x) ln(1 − σ(a)) and never takes ln 0.
    ///
    /// # Panics
    /// If the shapes differ or do not fit the dA.
    #[track_caller]
    pub fn loss(&self, clean: &Matrix<T>, corrupted: &Matrix<T>) -> T {
        let a = self.decode_logits(&self.encode(corrupted));
        cross_entropy_from_logits(clean, &a)
    }

    /// ∂L/∂W, ∂L/∂b, ∂L/∂c of the mean loss for a fixed corrupted input.
    ///
    /// Shapes: `clean` and `corrupted` `(B, n_visible)`. It is computed by the kernels that
    /// training applies in place, the update run on zeros.
    ///
    /// # Panics
    /// If the shapes differ or do not fit the dA.
    #[track_caller]
    pub fn gradient(&self, clean: &Matrix<T>, corrupted: &Matrix<T>) -> RbmGradients<T> {
        let mut pass = DaPass::new();
        self.forward_errors(clean, corrupted, &mut pass);
        let mut g = RbmGradients::zeros(self.n_hidden(), self.n_visible());
        let (w, b, c) = (&mut g.weights, &mut g.hidden_bias, &mut g.visible_bias);
        pass.accumulate(corrupted, T::ONE, w, b, c);
        g
    }

    /// Encodes x̃, decodes, and leaves y, δᵛ and δʰ in `pass`; returns the mean loss.
    #[track_caller]
    fn forward_errors(&self, clean: &Matrix<T>, corrupted: &Matrix<T>, pass: &mut DaPass<T>) -> T {
        assert_eq!(
            clean.shape(),
            corrupted.shape(),
            "clean and corrupted shapes differ"
        );
        let w = self.encoder.weights();

        // encode: y = σ(x̃ Wᵀ + b)
        self.encoder.forward_into(corrupted, &mut pass.hidden);

        // decode and compare in one pass: loss from a = y W + c, then δᵛ = (σ(a) − x) / B
        pass.visible.reshape_uninit(clean.rows(), self.n_visible());
        gemm(
            T::ONE,
            &pass.hidden,
            Trans::N,
            w,
            Trans::N,
            T::ZERO,
            &mut pass.visible,
        );
        let loss = visible_error(
            &mut pass.visible,
            &self.visible_bias,
            clean,
            &mut pass.row_loss,
        );

        // hidden error δʰ = (δᵛ Wᵀ) ⊙ y (1 − y), summed over every visible unit
        pass.delta_h.reshape_uninit(clean.rows(), self.n_hidden());
        gemm(
            T::ONE,
            &pass.visible,
            Trans::N,
            w,
            Trans::T,
            T::ZERO,
            &mut pass.delta_h,
        );
        sigmoid_delta(&mut pass.delta_h, &pass.hidden);
        loss
    }

    /// θ ← θ − η · ∂L/∂θ for W, b and c.
    ///
    /// # Panics
    /// If the gradient's shapes differ from the dA's.
    #[track_caller]
    pub fn apply(&mut self, grads: &RbmGradients<T>, learning_rate: T) {
        let (w, b) = self.encoder.parts_mut();
        w.axpy(-learning_rate, &grads.weights);
        for (x, &g) in b.iter_mut().zip(&grads.hidden_bias) {
            *x -= learning_rate * g;
        }
        for (x, &g) in self.visible_bias.iter_mut().zip(&grads.visible_bias) {
            *x -= learning_rate * g;
        }
    }

    /// Corrupts a minibatch `(B, n_visible)`, takes one gradient step and returns the loss
    /// measured before the step. Builds a temporary [`DaWorkspace`]; training loops keep one
    /// and call [`DenoisingAutoencoder::train_batch_with`].
    ///
    /// # Panics
    /// If `batch.cols() ≠ n_visible`.
    #[track_caller]
    pub fn train_batch<R: Rng + ?Sized>(
        &mut self,
        batch: &Matrix<T>,
        params: &DaParams,
        rng: &mut R,
    ) -> T {
        self.train_batch_with(batch, params, &mut DaWorkspace::new(), rng)
    }

    /// [`DenoisingAutoencoder::train_batch`] with every temporary in `workspace`, reused:
    /// once its buffers have grown to the largest minibatch, a step allocates nothing.
    ///
    /// One value is drawn from `rng` (the masking noise); W, b and c are updated in place.
    ///
    /// # Panics
    /// If `batch.cols() ≠ n_visible`.
    #[track_caller]
    pub fn train_batch_with<R: Rng + ?Sized>(
        &mut self,
        batch: &Matrix<T>,
        params: &DaParams,
        ws: &mut DaWorkspace<T>,
        rng: &mut R,
    ) -> T {
        // corrupt: x̃ = x with each element zeroed with probability ν
        Self::corrupt_into(batch, params.corruption(), &mut ws.corrupted, rng);

        // forward and errors, from the parameters before the step
        let loss = self.forward_errors(batch, &ws.corrupted, &mut ws.pass);

        // θ ← θ − η ∂L/∂θ, in place
        let eta = T::from_f64(params.learning_rate());
        let (w, b) = self.encoder.parts_mut();
        ws.pass
            .accumulate(&ws.corrupted, -eta, w, b, &mut self.visible_bias);
        loss
    }
}

/// The temporaries of one dA step, kept between minibatches so training allocates nothing.
///
/// Each matrix is reshaped to the minibatch's B rows on every step, reusing its buffer, so
/// one workspace serves any batch size and any dA.
#[derive(Clone, Debug)]
pub struct DaWorkspace<T> {
    /// x̃, the corrupted batch, `(B, n_visible)`.
    corrupted: Matrix<T>,
    /// What the forward and backward passes leave behind.
    pass: DaPass<T>,
}

impl<T: Float> DaWorkspace<T> {
    /// An empty workspace; its buffers grow on the first step.
    pub fn new() -> Self {
        DaWorkspace {
            corrupted: Matrix::zeros(0, 0),
            pass: DaPass::new(),
        }
    }

    /// x̃, the corrupted batch of the latest step, `(B, n_visible)`.
    pub fn corrupted(&self) -> &Matrix<T> {
        &self.corrupted
    }
}

impl<T: Float> Default for DaWorkspace<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// y, δᵛ and δʰ of one minibatch, and the per-row losses.
#[derive(Clone, Debug)]
struct DaPass<T> {
    /// y = σ(x̃ Wᵀ + b), `(B, n_hidden)`.
    hidden: Matrix<T>,
    /// The decoder's logits a = y W + c, then δᵛ = (σ(a) − x) / B, `(B, n_visible)`.
    visible: Matrix<T>,
    /// δʰ = (δᵛ Wᵀ) ⊙ y (1 − y), `(B, n_hidden)`.
    delta_h: Matrix<T>,
    /// Σᵢ softplus(aᵢ) − xᵢ aᵢ of each row, `(B, 1)`.
    row_loss: Matrix<T>,
}

impl<T: Float> DaPass<T> {
    fn new() -> Self {
        let empty = || Matrix::zeros(0, 0);
        DaPass {
            hidden: empty(),
            visible: empty(),
            delta_h: empty(),
            row_loss: empty(),
        }
    }

    /// θ ← θ + s ∂L/∂θ: W += s (δʰᵀ x̃ + yᵀ δᵛ), b += s Σ δʰ and c += s Σ
    /// δᵛ.
    ///
    /// s = −η is the training step; s = 1 on zeros gives the gradient.
    #[track_caller]
    fn accumulate(
        &self,
        corrupted: &Matrix<T>,
        scale: T,
        weights: &mut Matrix<T>,
        hidden_bias: &mut [T],
        visible_bias: &mut [T],
    ) {
        // tied weights: encoder term δʰᵀ x̃ (with b), plus decoder term yᵀ δᵛ
        accumulate_linear(weights, hidden_bias, scale, &self.delta_h, corrupted);
        gemm(
            scale,
            &self.hidden,
            Trans::T,
            &self.visible,
            Trans::N,
            T::ONE,
            weights,
        );
        add_col_sums(visible_bias, scale, &self.visible);
    }
}

/// The decoder's fused pass, rows in parallel: with a = logits + c, each row's loss
/// Σᵢ softplus(aᵢ) − xᵢ aᵢ goes to `row_loss` and the logits become δᵛ = (σ(a) −
/// x) / B;
/// returns the mean loss over the B rows.
#[track_caller]
fn visible_error<T: Float>(
    logits: &mut Matrix<T>,
    bias: &[T],
    clean: &Matrix<T>,
    row_loss: &mut Matrix<T>,
) -> T {
    let inv_b = T::ONE / T::from_f64(clean.rows().max(1) as f64);
    row_loss.reshape_uninit(clean.rows(), 1);
    logits.par_rows_mut2(row_loss, |i, row, loss| {
        let mut total = T::ZERO;
        for ((z, &c), &x) in row.iter_mut().zip(bias).zip(clean.row(i)) {
            *z += c;
            total += softplus(*z) - x * *z;
        }
        vmath::sigmoid(row);
        for (z, &x) in row.iter_mut().zip(clean.row(i)) {
            *z = (*z - x) * inv_b;
        }
        loss[0] = total;
    });
    row_loss.sum() / T::from_f64(clean.rows().max(1) as f64)
}

/// Mean over rows of Σᵢ softplus(aᵢ) − xᵢ aᵢ, the cross-entropy of x against σ(a).
fn cross_entropy_from_logits<T: Float>(x: &Matrix<T>, a: &Matrix<T>) -> T {
    let total: T = x
        .as_slice()
        .iter()
        .zip(a.as_slice())
        .map(|(&x, &a)| softplus(a) - x * a)
        .sum();
    total / T::from_f64(x.rows().max(1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn da(rng: &mut ChaCha8Rng) -> DenoisingAutoencoder<f64> {
        let enc = HiddenLayer::new(6, 4, rng).unwrap();
        let w = enc.weights().map(|w| w * 25.0);
        let enc = HiddenLayer::from_parts(w, vec![0.1, -0.3, 0.2, 0.05]);
        DenoisingAutoencoder::from_parts(enc, vec![-0.1, 0.2, 0.0, 0.3, -0.2, 0.1])
    }

    #[test]
    fn params_are_validated() {
        assert!(DaParams::new(0.1, 0.0).is_ok());
        let e = DaParams::new(0.1, 1.0).unwrap_err();
        assert!(e.to_string().contains("corruption_level = 1"));
        assert!(DaParams::new(0.0, 0.3).is_err());
    }

    #[test]
    fn loss_equals_textbook_cross_entropy() {
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let d = da(&mut rng);
        let x = Matrix::from_fn(3, 6, |i, j| ((i + j) % 3) as f64 / 2.0);
        let z = d.decode(&d.encode(&x));
        let want: f64 = x
            .as_slice()
            .iter()
            .zip(z.as_slice())
            .map(|(&x, &z)| -(x * z.ln() + (1.0 - x) * (1.0 - z).ln()))
            .sum::<f64>()
            / 3.0;
        approx::assert_relative_eq!(d.loss(&x, &x), want, epsilon = 1e-12);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let d = da(&mut rng);
        let clean = Matrix::from_fn(5, 6, |i, j| ((i * 6 + j) as f64 * 0.7).sin().abs());
        let corrupted = DenoisingAutoencoder::corrupt(&clean, 0.3, &mut rng);
        let g = d.gradient(&clean, &corrupted);
        let h = 1e-6;
        let fd = |f: &dyn Fn(&mut DenoisingAutoencoder<f64>, f64)| {
            let (mut p, mut m) = (d.clone(), d.clone());
            f(&mut p, h);
            f(&mut m, -h);
            (p.loss(&clean, &corrupted) - m.loss(&clean, &corrupted)) / (2.0 * h)
        };
        for idx in 0..24 {
            let want = fd(&|p, e| p.encoder.parts_mut().0.as_mut_slice()[idx] += e);
            approx::assert_abs_diff_eq!(g.weights.as_slice()[idx], want, epsilon = 1e-8);
        }
        for j in 0..4 {
            let want = fd(&|p, e| p.encoder.parts_mut().1[j] += e);
            approx::assert_abs_diff_eq!(g.hidden_bias[j], want, epsilon = 1e-8);
        }
        for i in 0..6 {
            let want = fd(&|p, e| p.visible_bias[i] += e);
            approx::assert_abs_diff_eq!(g.visible_bias[i], want, epsilon = 1e-8);
        }
    }

    #[test]
    fn masking_noise_zeroes_the_requested_fraction() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let x = Matrix::filled(100, 100, 1.0_f32);
        let c = DenoisingAutoencoder::corrupt(&x, 0.3, &mut rng);
        let zeroed = c.as_slice().iter().filter(|&&v| v == 0.0).count() as f64 / 10_000.0;
        approx::assert_abs_diff_eq!(zeroed, 0.3, epsilon = 0.015);
        assert_eq!(DenoisingAutoencoder::corrupt(&x, 0.0, &mut rng), x);
    }

    #[test]
    fn training_lowers_the_loss() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut d = DenoisingAutoencoder::<f64>::new(12, 6, &mut rng).unwrap();
        let data = Matrix::from_fn(
            40,
            12,
            |i, j| if (j < 6) == (i % 2 == 0) { 1.0 } else { 0.0 },
        );
        let params = DaParams::new(0.5, 0.2).unwrap();
        let first = d.train_batch(&data, &params, &mut rng);
        for _ in 0..500 {
            d.train_batch(&data, &params, &mut rng);
        }
        assert!(d.loss(&data, &data) < first / 3.0);
    }

    #[test]
    fn a_training_step_moves_by_minus_eta_times_the_gradient() {
        let mut rng = ChaCha8Rng::seed_from_u64(10);
        let d = da(&mut rng);
        let clean = Matrix::from_fn(5, 6, |i, j| ((i * 6 + j) as f64 * 0.3).cos().abs());
        let params = DaParams::new(0.01, 0.3).unwrap();
        let mut stepped = d.clone();
        let mut ws = DaWorkspace::new();
        let loss = stepped.train_batch_with(&clean, &params, &mut ws, &mut rng);
        approx::assert_relative_eq!(loss, d.loss(&clean, ws.corrupted()), epsilon = 1e-12);
        let g = d.gradient(&clean, ws.corrupted());
        let moved = |after: &[f64], before: &[f64], grad: &[f64]| {
            for ((a, b), g) in after.iter().zip(before).zip(grad) {
                approx::assert_abs_diff_eq!((b - a) / 0.01, g, epsilon = 1e-10);
            }
        };
        let (w, b) = (d.hidden_layer().weights(), d.hidden_layer().bias());
        let after = stepped.hidden_layer();
        moved(
            after.weights().as_slice(),
            w.as_slice(),
            g.weights.as_slice(),
        );
        moved(after.bias(), b, &g.hidden_bias);
        moved(stepped.visible_bias(), d.visible_bias(), &g.visible_bias);
    }

    #[test]
    fn a_reused_workspace_gives_what_fresh_ones_give() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let start = da(&mut rng);
        let rows =
            |n: usize, k: f64| Matrix::from_fn(n, 6, |i, j| ((i + j) as f64 * k).sin().abs());
        let batches = [rows(7, 0.3), rows(2, 0.5), rows(7, 0.7)];
        let params = DaParams::new(0.1, 0.3).unwrap();
        let run = |reuse: bool| {
            let (mut d, mut rng) = (start.clone(), ChaCha8Rng::seed_from_u64(12));
            let mut ws = DaWorkspace::new();
            let losses: Vec<f64> = batches
                .iter()
                .map(|b| {
                    if !reuse {
                        ws = DaWorkspace::new();
                    }
                    d.train_batch_with(b, &params, &mut ws, &mut rng)
                })
                .collect();
            (d, losses)
        };
        assert_eq!(run(true), run(false));
    }

    #[test]
    fn masking_and_a_step_are_bit_identical_for_1_2_and_3_threads() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        let start = DenoisingAutoencoder::<f64>::new(120, 100, &mut rng).unwrap();
        let batch = Matrix::from_fn(900, 120, |i, j| ((i * 120 + j) as f64 * 0.1).sin().abs());
        let params = DaParams::new(0.1, 0.3).unwrap();
        crate::activation::tests::same_for_1_2_3_threads(|| {
            let mut rng = ChaCha8Rng::seed_from_u64(14);
            let masked = DenoisingAutoencoder::corrupt(&batch, 0.3, &mut rng);
            let mut d = start.clone();
            let loss = d.train_batch(&batch, &params, &mut rng);
            (masked, d, loss)
        });
    }
}
