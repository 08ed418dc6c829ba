//! A fully connected sigmoid layer: the building block every model shares.
//!
//! Forward: y = σ(x Wᵀ + b). Shapes: x is `(n_samples, n_in)`, W is `(n_out, n_in)`,
//! b has length `n_out`, y is `(n_samples, n_out)`; one sample is a row.
//!
//! Backward, for a loss L with ∂L/∂y given: δ = ∂L/∂y ⊙ y ⊙ (1 − y), then
//! ∂L/∂W = δᵀ x, ∂L/∂b = Σ_rows δ and ∂L/∂x = δ W.
//!
//! An [`crate::Rbm`] and a [`crate::DenoisingAutoencoder`] each own one `HiddenLayer` (their
//! weights and hidden bias), so a pretrained layer and the classifier's hidden layer are the
//! same parameters.

use crate::activation::{sample_bernoulli, sigmoid};
use crate::error::{check_size, Result};
use layerwise_linalg::{gemm, matmul, Float, Matrix, Trans};
use rand::Rng;

/// A sigmoid layer with weights `(n_out, n_in)` and a bias of length `n_out`.
#[derive(Clone, Debug, PartialEq)]
pub struct HiddenLayer<T> {
    weights: Matrix<T>,
    bias: Vec<T>,
}

/// ∂L/∂W and ∂L/∂b of one layer for one minibatch.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearGradients<T> {
    /// ∂L/∂W, `(n_out, n_in)`.
    pub weights: Matrix<T>,
    /// ∂L/∂b, length `n_out`.
    pub bias: Vec<T>,
}

impl<T: Float> HiddenLayer<T> {
    /// A layer with weights drawn uniformly from [−1/n_in, 1/n_in) and a zero bias.
    ///
    /// # Errors
    /// [`crate::Error::ZeroSize`] when `n_in` or `n_out` is 0.
    pub fn new<R: Rng + ?Sized>(n_in: usize, n_out: usize, rng: &mut R) -> Result<Self> {
        check_size("n_in", n_in)?;
        check_size("n_out", n_out)?;
        let a = 1.0 / n_in as f64;
        let weights = Matrix::from_fn(n_out, n_in, |_, _| T::from_f64(rng.gen_range(-a..a)));
        Ok(HiddenLayer {
            weights,
            bias: vec![T::ZERO; n_out],
        })
    }

    /// A layer from given parameters.
    ///
    /// # Panics
    /// If `bias.len() ≠ weights.rows()`.
    #[track_caller]
    pub fn from_parts(weights: Matrix<T>, bias: Vec<T>) -> Self {
        assert_eq!(
            bias.len(),
            weights.rows(),
            "bias length ≠ number of weight rows"
        );
        HiddenLayer { weights, bias }
    }

    /// Number of inputs.
    pub fn n_in(&self) -> usize {
        self.weights.cols()
    }

    /// Number of outputs (hidden units).
    pub fn n_out(&self) -> usize {
        self.weights.rows()
    }

    /// The weights W, `(n_out, n_in)`.
    pub fn weights(&self) -> &Matrix<T> {
        &self.weights
    }

    /// The bias b, length `n_out`.
    pub fn bias(&self) -> &[T] {
        &self.bias
    }

    /// x Wᵀ + b: `(n_samples, n_in) → (n_samples, n_out)`.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_in`.
    #[track_caller]
    pub fn pre_activation(&self, x: &Matrix<T>) -> Matrix<T> {
        let mut z = matmul(x, Trans::N, &self.weights, Trans::T);
        z.add_row_vector(&self.bias);
        z
    }

    /// y = σ(x Wᵀ + b): `(n_samples, n_in) → (n_samples, n_out)`.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_in`.
    #[track_caller]
    pub fn forward(&self, x: &Matrix<T>) -> Matrix<T> {
        let mut y = self.pre_activation(x);
        y.map_inplace(sigmoid);
        y
    }

    /// A binary sample of the outputs: each unit on with probability σ(x Wᵀ + b).
    ///
    /// # Panics
    /// If `x.cols() ≠ n_in`.
    #[track_caller]
    pub fn forward_sample<R: Rng + ?Sized>(&self, x: &Matrix<T>, rng: &mut R) -> Matrix<T> {
        sample_bernoulli(&self.forward(x), rng)
    }

    /// Gradients and ∂L/∂x, given the layer's input x, its output y and ∂L/∂y.
    ///
    /// Shapes: x `(n_samples, n_in)`, y and `grad_output` `(n_samples, n_out)`; the returned
    /// ∂L/∂x is `(n_samples, n_in)`. Pass `need_input_grad = false` for the bottom layer.
    ///
    /// # Panics
    /// If the shapes do not fit the layer.
    #[track_caller]
    pub fn backward(
        &self,
        x: &Matrix<T>,
        y: &Matrix<T>,
        grad_output: &Matrix<T>,
        need_input_grad: bool,
    ) -> (LinearGradients<T>, Option<Matrix<T>>) {
        // δ = ∂L/∂y ⊙ σ'(z), with σ'(z) = y (1 − y)
        let mut delta = grad_output.clone();
        delta.zip_map_inplace(y, |g, yv| g * yv * (T::ONE - yv));
        let grad_input = need_input_grad.then(|| matmul(&delta, Trans::N, &self.weights, Trans::N));
        (linear_gradients(&delta, x), grad_input)
    }

    /// θ ← θ − η · ∂L/∂θ.
    ///
    /// # Panics
    /// If the gradient's shapes differ from the layer's.
    #[track_caller]
    pub fn apply(&mut self, grads: &LinearGradients<T>, learning_rate: T) {
        self.weights.axpy(-learning_rate, &grads.weights);
        for (b, &g) in self.bias.iter_mut().zip(&grads.bias) {
            *b -= learning_rate * g;
        }
    }

    /// Mutable access to W and b together, for the layers that train them.
    pub(crate) fn parts_mut(&mut self) -> (&mut Matrix<T>, &mut Vec<T>) {
        (&mut self.weights, &mut self.bias)
    }
}

/// ∂L/∂W = δᵀ x and ∂L/∂b = Σ_rows δ for a layer z = x Wᵀ + b with δ = ∂L/∂z.
pub(crate) fn linear_gradients<T: Float>(delta: &Matrix<T>, x: &Matrix<T>) -> LinearGradients<T> {
    let mut weights = Matrix::zeros(delta.cols(), x.cols());
    gemm(T::ONE, delta, Trans::T, x, Trans::N, T::ZERO, &mut weights);
    LinearGradients {
        weights,
        bias: delta.col_sums(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// L = Σ c ⊙ y for a fixed matrix c, so ∂L/∂y = c.
    fn loss(layer: &HiddenLayer<f64>, x: &Matrix<f64>, c: &Matrix<f64>) -> f64 {
        let y = layer.forward(x);
        y.as_slice()
            .iter()
            .zip(c.as_slice())
            .map(|(a, b)| a * b)
            .sum()
    }

    #[test]
    fn init_is_uniform_within_one_over_n_in_with_zero_bias() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let layer = HiddenLayer::<f64>::new(50, 40, &mut rng).unwrap();
        assert!(layer
            .weights()
            .as_slice()
            .iter()
            .all(|w| w.abs() <= 1.0 / 50.0));
        assert!(layer.bias().iter().all(|&b| b == 0.0));
        assert!(HiddenLayer::<f64>::new(0, 3, &mut rng).is_err());
    }

    #[test]
    fn backward_matches_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut layer = HiddenLayer::<f64>::new(5, 4, &mut rng).unwrap();
        layer.bias = vec![0.3, -0.2, 0.1, 0.5];
        layer.weights.map_inplace(|w| w * 40.0);
        let x = Matrix::from_fn(3, 5, |i, j| ((i * 5 + j) as f64 * 0.37).sin());
        let c = Matrix::from_fn(3, 4, |i, j| ((i + 2 * j) as f64 * 0.71).cos());
        let y = layer.forward(&x);
        let (g, gx) = layer.backward(&x, &y, &c, true);
        let h = 1e-6;
        for idx in 0..20 {
            let mut plus = layer.clone();
            plus.weights.as_mut_slice()[idx] += h;
            let mut minus = layer.clone();
            minus.weights.as_mut_slice()[idx] -= h;
            let fd = (loss(&plus, &x, &c) - loss(&minus, &x, &c)) / (2.0 * h);
            approx::assert_abs_diff_eq!(g.weights.as_slice()[idx], fd, epsilon = 1e-8);
        }
        for j in 0..4 {
            let mut plus = layer.clone();
            plus.bias[j] += h;
            let mut minus = layer.clone();
            minus.bias[j] -= h;
            let fd = (loss(&plus, &x, &c) - loss(&minus, &x, &c)) / (2.0 * h);
            approx::assert_abs_diff_eq!(g.bias[j], fd, epsilon = 1e-8);
        }
        let gx = gx.unwrap();
        for idx in 0..15 {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp.as_mut_slice()[idx] += h;
            xm.as_mut_slice()[idx] -= h;
            let fd = (loss(&layer, &xp, &c) - loss(&layer, &xm, &c)) / (2.0 * h);
            approx::assert_abs_diff_eq!(gx.as_slice()[idx], fd, epsilon = 1e-8);
        }
    }
}
