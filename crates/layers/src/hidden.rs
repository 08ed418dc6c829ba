//! A fully connected sigmoid layer: the building block every model shares.
//!
//! Forward: y = σ(x Wᵀ + b). Shapes: x is `(n_samples, n_in)`, W is `(n_out, n_in)`,
//! b has length `n_out`, y is `(n_samples, n_out)`; one sample is a row.
//!
//! Backward, for a loss L with ∂L/∂y given: δ = ∂L/∂y ⊙ y ⊙ (1 − y), then
//! ∂L/∂W = δᵀ x, ∂L/∂b = Σ_rows δ and ∂L/∂x = δ W.
//!
//! The `*_into` and `backward_apply` methods write into caller-owned matrices (reshaped to
//! the batch, their buffers reused) and update W and b in place, so a training loop that
//! keeps its workspace allocates nothing per minibatch. After each GEMM one row-parallel
//! pass does the element-wise work: bias and σ (and the sample), or δ = ∂L/∂y ⊙ y (1 −
//! y).
//!
//! An [`crate::Rbm`] and a [`crate::DenoisingAutoencoder`] each own one `HiddenLayer` (their
//! weights and hidden bias), so a pretrained layer and the classifier's hidden layer are the
//! same parameters.

use crate::activation::{sigmoid_delta, sigmoid_inplace, sigmoid_sample, RowStreams};
use crate::error::{check_size, Result};
use crate::sgd::{SgdStep, Velocity};
use layerwise_linalg::{gemm, gemm_bias, matmul, Float, Matrix, Trans};
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
        let fits = n_in
            .checked_mul(n_out)
            .filter(|&n| n <= isize::MAX as usize / 8);
        if fits.is_none() {
            return Err(crate::Error::TooLarge { n_in, n_out });
        }
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
        let mut z = Matrix::zeros(0, 0);
        self.linear_into(x, &mut z);
        z.add_row_vector(&self.bias);
        z
    }

    /// z ← x Wᵀ + b (the GEMM of the forward pass, the bias added in its epilogue), z
    /// reshaped to `(n_samples, n_out)`; the same bits as [`HiddenLayer::linear_into`]
    /// followed by adding b.
    #[track_caller]
    fn affine_into(&self, x: &Matrix<T>, z: &mut Matrix<T>) {
        z.reshape_uninit(x.rows(), self.n_out());
        gemm_bias(T::ONE, x, Trans::N, &self.weights, Trans::T, &self.bias, z);
    }

    /// z ← x Wᵀ (the GEMM of the forward pass), z reshaped to `(n_samples, n_out)`.
    #[track_caller]
    fn linear_into(&self, x: &Matrix<T>, z: &mut Matrix<T>) {
        z.reshape_uninit(x.rows(), self.n_out());
        gemm(T::ONE, x, Trans::N, &self.weights, Trans::T, T::ZERO, z);
    }

    /// y = σ(x Wᵀ + b): `(n_samples, n_in) → (n_samples, n_out)`.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_in`.
    #[track_caller]
    pub fn forward(&self, x: &Matrix<T>) -> Matrix<T> {
        let mut y = Matrix::zeros(0, 0);
        self.forward_into(x, &mut y);
        y
    }

    /// [`HiddenLayer::forward`] into `out`, reshaped to `(n_samples, n_out)`, reusing its
    /// buffer: the GEMM with b added in its epilogue, then one row-parallel pass of σ.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_in`.
    #[track_caller]
    pub fn forward_into(&self, x: &Matrix<T>, out: &mut Matrix<T>) {
        self.affine_into(x, out);
        sigmoid_inplace(out);
    }

    /// A binary sample of the outputs: each unit on with probability σ(x Wᵀ + b).
    ///
    /// The same draws as `sample_bernoulli(&self.forward(x), rng)`.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_in`.
    #[track_caller]
    pub fn forward_sample<R: Rng + ?Sized>(&self, x: &Matrix<T>, rng: &mut R) -> Matrix<T> {
        let (mut probs, mut sample) = (Matrix::zeros(0, 0), Matrix::zeros(0, 0));
        self.forward_sample_into(x, &mut probs, &mut sample, rng);
        sample
    }

    /// `probs` ← σ(x Wᵀ + b) and `sample` ← a binary sample of it, both reshaped to
    /// `(n_samples, n_out)`: the GEMM with b, then one row-parallel pass (σ, draw) with a
    /// stream per row ([`crate::RowStreams`]), one value drawn from `rng`.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_in`.
    #[track_caller]
    pub fn forward_sample_into<R: Rng + ?Sized>(
        &self,
        x: &Matrix<T>,
        probs: &mut Matrix<T>,
        sample: &mut Matrix<T>,
        rng: &mut R,
    ) {
        let streams = RowStreams::new(rng);
        self.affine_into(x, probs);
        sigmoid_sample(probs, sample, &streams);
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
        sigmoid_delta(&mut delta, y);
        let grad_input = need_input_grad.then(|| matmul(&delta, Trans::N, &self.weights, Trans::N));
        (linear_gradients(&delta, x), grad_input)
    }

    /// One backward step with the update applied in place: no gradient is materialised.
    ///
    /// `grad` holds ∂L/∂y `(n_samples, n_out)` and is turned into δ = ∂L/∂y ⊙ y (1 −
    /// y);
    /// `grad_input`, when given, receives ∂L/∂x = δ W `(n_samples, n_in)` computed from the
    /// weights *before* the step; then W ← W − η δᵀ x and b ← b − η Σ_rows δ.
    ///
    /// # Panics
    /// If the shapes do not fit the layer.
    #[track_caller]
    pub fn backward_apply(
        &mut self,
        x: &Matrix<T>,
        y: &Matrix<T>,
        grad: &mut Matrix<T>,
        grad_input: Option<&mut Matrix<T>>,
        learning_rate: T,
    ) {
        // δ = ∂L/∂y ⊙ y (1 − y), in place
        sigmoid_delta(grad, y);

        // ∂L/∂x = δ W, from the weights before their update
        if let Some(gx) = grad_input {
            input_gradient_into(grad, &self.weights, gx);
        }

        // W ← W − η δᵀ x and b ← b − η Σ δ, in place
        accumulate_linear(&mut self.weights, &mut self.bias, -learning_rate, grad, x);
    }

    /// [`HiddenLayer::backward_apply`] with momentum and L2 decay: the same δ and ∂L/∂x,
    /// then the update through `velocity` (shaped as the layer) described in
    /// [`crate::SgdStep`]'s module; a plain `step` is `backward_apply` bit for bit.
    ///
    /// # Panics
    /// If the shapes do not fit the layer.
    #[track_caller]
    pub fn backward_step(
        &mut self,
        (x, y): (&Matrix<T>, &Matrix<T>),
        grad: &mut Matrix<T>,
        grad_input: Option<&mut Matrix<T>>,
        step: &SgdStep<T>,
        velocity: &mut Velocity<T>,
    ) {
        // δ = ∂L/∂y ⊙ y (1 − y), in place
        sigmoid_delta(grad, y);

        // ∂L/∂x = δ W, from the weights before their update
        if let Some(gx) = grad_input {
            input_gradient_into(grad, &self.weights, gx);
        }

        // the step, with its momentum and decay
        let params = (&mut self.weights, &mut self.bias[..]);
        crate::sgd::update(params, velocity, step, grad, x);
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
///
/// The same kernel as the in-place update, applied to zeros with α = 1.
#[track_caller]
pub(crate) fn linear_gradients<T: Float>(delta: &Matrix<T>, x: &Matrix<T>) -> LinearGradients<T> {
    let mut weights = Matrix::zeros(delta.cols(), x.cols());
    let mut bias = vec![T::ZERO; delta.cols()];
    accumulate_linear(&mut weights, &mut bias, T::ONE, delta, x);
    LinearGradients { weights, bias }
}

/// W ← W + α δᵀ x and b ← b + α Σ_rows δ: δ `(n_samples, n_out)`, x `(n_samples,
/// n_in)`.
///
/// With α = −η on a layer's parameters it is the gradient step; with α = 1 on zeros it gives
/// the gradient itself.
#[track_caller]
pub(crate) fn accumulate_linear<T: Float>(
    weights: &mut Matrix<T>,
    bias: &mut [T],
    alpha: T,
    delta: &Matrix<T>,
    x: &Matrix<T>,
) {
    gemm(alpha, delta, Trans::T, x, Trans::N, T::ONE, weights);
    add_col_sums(bias, alpha, delta);
}

/// v ← v + α Σᵢ m[i, ·]: the column sums of m `(rows, cols)`, scaled, added to v (`cols`).
///
/// Each sum runs over the rows in order ([`Matrix::add_col_sums_to`]), allocating nothing.
///
/// # Panics
/// If `v.len() ≠ m.cols()`.
#[track_caller]
pub(crate) fn add_col_sums<T: Float>(v: &mut [T], alpha: T, m: &Matrix<T>) {
    m.add_col_sums_to(alpha, v);
}

/// ∂L/∂x = δ W into `out`, reshaped to `(n_samples, n_in)`: δ `(n_samples, n_out)`, W
/// `(n_out, n_in)`.
#[track_caller]
pub(crate) fn input_gradient_into<T: Float>(
    delta: &Matrix<T>,
    weights: &Matrix<T>,
    out: &mut Matrix<T>,
) {
    out.reshape_uninit(delta.rows(), weights.cols());
    gemm(T::ONE, delta, Trans::N, weights, Trans::N, T::ZERO, out);
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

    #[test]
    fn backward_apply_is_backward_then_apply() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let layer = HiddenLayer::<f64>::new(5, 4, &mut rng).unwrap();
        let x = Matrix::from_fn(6, 5, |i, j| ((i * 5 + j) as f64 * 0.29).sin());
        let c = Matrix::from_fn(6, 4, |i, j| ((i + 3 * j) as f64 * 0.61).cos());
        let y = layer.forward(&x);
        let (g, gx) = layer.backward(&x, &y, &c, true);
        let mut want = layer.clone();
        want.apply(&g, 0.3);

        let mut got = layer.clone();
        let (mut grad, mut grad_input) = (c.clone(), Matrix::filled(1, 1, f64::NAN));
        got.backward_apply(&x, &y, &mut grad, Some(&mut grad_input), 0.3);
        assert_eq!(
            grad_input,
            gx.unwrap(),
            "∂L/∂x from the weights before the step"
        );
        for (a, b) in got.weights.as_slice().iter().zip(want.weights.as_slice()) {
            approx::assert_abs_diff_eq!(a, b, epsilon = 1e-15);
        }
        for (a, b) in got.bias.iter().zip(&want.bias) {
            approx::assert_abs_diff_eq!(a, b, epsilon = 1e-15);
        }
    }

    #[test]
    fn forward_into_reuses_a_larger_buffer() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let layer = HiddenLayer::<f32>::new(3, 2, &mut rng).unwrap();
        let x = Matrix::from_fn(4, 3, |i, j| (i + j) as f32 * 0.5);
        let mut out = Matrix::filled(10, 10, f32::NAN);
        layer.forward_into(&x, &mut out);
        assert_eq!(out, layer.forward(&x));
        let sample = layer.forward_sample(&x, &mut ChaCha8Rng::seed_from_u64(5));
        let want = crate::sample_bernoulli(&out, &mut ChaCha8Rng::seed_from_u64(5));
        assert_eq!(sample, want);
    }

    #[test]
    fn column_sums_are_added_in_blocks_without_loss() {
        let m = Matrix::from_fn(7, 150, |i, j| ((i * 150 + j) as f64 * 0.13).sin());
        let mut v = vec![1.0; 150];
        add_col_sums(&mut v, -0.5, &m);
        let want: Vec<f64> = m.col_sums().iter().map(|&s| 1.0 - 0.5 * s).collect();
        assert_eq!(v, want);
        add_col_sums(&mut [], 1.0, &Matrix::<f64>::zeros(3, 0));
    }
}
