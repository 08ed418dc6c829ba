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
//! Vincent et al. (2008); Sugomori's book, with its hidden-error sum fixed.

use crate::activation::{sigmoid, softplus};
use crate::error::{check_positive, check_size, Error, Result};
use crate::hidden::{linear_gradients, HiddenLayer};
use crate::rbm::RbmGradients;
use layerwise_linalg::{gemm, matmul, Float, Matrix, Trans};
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

    /// Masking noise: each element set to 0 with probability ν, one uniform draw per element
    /// in row-major order. Shape unchanged.
    pub fn corrupt<R: Rng + ?Sized>(x: &Matrix<T>, corruption: f64, rng: &mut R) -> Matrix<T> {
        x.map(|v| {
            if rng.gen::<f64>() < corruption {
                T::ZERO
            } else {
                v
            }
        })
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
    /// Shapes: `clean` and `corrupted` `(B, n_visible)`.
    ///
    /// # Panics
    /// If the shapes differ or do not fit the dA.
    #[track_caller]
    pub fn gradient(&self, clean: &Matrix<T>, corrupted: &Matrix<T>) -> RbmGradients<T> {
        self.loss_and_gradient(clean, corrupted).1
    }

    fn loss_and_gradient(&self, clean: &Matrix<T>, corrupted: &Matrix<T>) -> (T, RbmGradients<T>) {
        // encode, decode
        let y = self.encode(corrupted);
        let a = self.decode_logits(&y);
        let loss = cross_entropy_from_logits(clean, &a);

        // visible error δᵛ = (z − x) / B
        let inv_b = T::ONE / T::from_f64(clean.rows().max(1) as f64);
        let mut delta_v = a.map(sigmoid);
        delta_v.zip_map_inplace(clean, |z, x| (z - x) * inv_b);

        // hidden error δʰ = (δᵛ Wᵀ) ⊙ y (1 − y), summed over every visible unit
        let mut delta_h = matmul(&delta_v, Trans::N, self.encoder.weights(), Trans::T);
        delta_h.zip_map_inplace(&y, |d, yv| d * yv * (T::ONE - yv));

        // tied weights: encoder term δʰᵀ x̃ plus decoder term yᵀ δᵛ
        let enc = linear_gradients(&delta_h, corrupted);
        let mut weights = enc.weights;
        gemm(
            T::ONE,
            &y,
            Trans::T,
            &delta_v,
            Trans::N,
            T::ONE,
            &mut weights,
        );
        let grads = RbmGradients {
            weights,
            hidden_bias: enc.bias,
            visible_bias: delta_v.col_sums(),
        };
        (loss, grads)
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
    /// measured before the step.
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
        let corrupted = Self::corrupt(batch, params.corruption(), rng);
        let (loss, grads) = self.loss_and_gradient(batch, &corrupted);
        self.apply(&grads, T::from_f64(params.learning_rate()));
        loss
    }
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
}
