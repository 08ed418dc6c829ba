//! Multinomial logistic regression: the softmax layer on top of every classifier.
//!
//! Forward: p = softmax(x Wᵀ + b), with x `(n_samples, n_in)`, W `(n_classes, n_in)`,
//! b of length `n_classes` and p `(n_samples, n_classes)`.
//!
//! Loss: the mean cross-entropy L = −(1/B) Σₙ ln p[n, yₙ] over a minibatch of B rows.
//! Its gradient at the logits is δ = (p − Y) / B with Y the one-hot labels, so
//! ∂L/∂W = δᵀ x, ∂L/∂b = Σ_rows δ and ∂L/∂x = δ W.
//!
//! [`LogisticRegression::backward_apply`] turns p into δ in place (one row-parallel pass),
//! takes ∂L/∂x from the weights before the step, then updates W and b in place.

use crate::activation::{argmax_rows, softmax_row};
use crate::error::{check_size, Result};
use crate::hidden::{accumulate_linear, input_gradient_into, linear_gradients, LinearGradients};
use crate::sgd::{SgdStep, Velocity};
use layerwise_linalg::{gemm, matmul, Float, Matrix, Trans};

/// A softmax classifier with weights `(n_classes, n_in)` and a bias of length `n_classes`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogisticRegression<T> {
    weights: Matrix<T>,
    bias: Vec<T>,
}

impl<T: Float> LogisticRegression<T> {
    /// A classifier whose weights and bias start at zero (every class equally likely).
    ///
    /// # Errors
    /// [`crate::Error::ZeroSize`] when `n_in` or `n_classes` is 0.
    pub fn new(n_in: usize, n_classes: usize) -> Result<Self> {
        check_size("n_in", n_in)?;
        check_size("n_classes", n_classes)?;
        Ok(LogisticRegression {
            weights: Matrix::zeros(n_classes, n_in),
            bias: vec![T::ZERO; n_classes],
        })
    }

    /// A classifier from given parameters.
    ///
    /// # Panics
    /// If `bias.len() ≠ weights.rows()`.
    #[track_caller]
    pub fn from_parts(weights: Matrix<T>, bias: Vec<T>) -> Self {
        assert_eq!(
            bias.len(),
            weights.rows(),
            "bias length ≠ number of classes"
        );
        LogisticRegression { weights, bias }
    }

    /// Number of inputs.
    pub fn n_in(&self) -> usize {
        self.weights.cols()
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.weights.rows()
    }

    /// The weights W, `(n_classes, n_in)`.
    pub fn weights(&self) -> &Matrix<T> {
        &self.weights
    }

    /// The bias b, length `n_classes`.
    pub fn bias(&self) -> &[T] {
        &self.bias
    }

    /// Class probabilities softmax(x Wᵀ + b): `(n_samples, n_in) → (n_samples, n_classes)`.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_in`.
    #[track_caller]
    pub fn probabilities(&self, x: &Matrix<T>) -> Matrix<T> {
        let mut p = Matrix::zeros(0, 0);
        self.probabilities_into(x, &mut p);
        p
    }

    /// [`LogisticRegression::probabilities`] into `out`, reshaped to `(n_samples, n_classes)`
    /// and reusing its buffer: the GEMM, then one row-parallel pass adding b and normalising.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_in`.
    #[track_caller]
    pub fn probabilities_into(&self, x: &Matrix<T>, out: &mut Matrix<T>) {
        // logits x Wᵀ
        out.reshape_uninit(x.rows(), self.n_classes());
        gemm(T::ONE, x, Trans::N, &self.weights, Trans::T, T::ZERO, out);

        // softmax(z + b), row by row
        let bias = &self.bias;
        out.par_rows_mut(|_, row| {
            for (z, &b) in row.iter_mut().zip(bias) {
                *z += b;
            }
            softmax_row(row);
        });
    }

    /// The most probable class of each row.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_in`.
    #[track_caller]
    pub fn predict(&self, x: &Matrix<T>) -> Vec<usize> {
        argmax_rows(&self.probabilities(x))
    }

    /// Mean cross-entropy −(1/B) Σₙ ln p[n, yₙ] of given probabilities.
    ///
    /// Probabilities are floored at the smallest positive normal value so the loss stays
    /// finite when a class is certain to be wrong.
    ///
    /// # Panics
    /// If `labels.len() ≠ probs.rows()` or a label is `≥ n_classes`.
    #[track_caller]
    pub fn cross_entropy(probs: &Matrix<T>, labels: &[usize]) -> T {
        assert_eq!(labels.len(), probs.rows(), "one label per row");
        if labels.is_empty() {
            return T::ZERO;
        }
        let tiny = T::from_f64(f64::from(f32::MIN_POSITIVE));
        let total: T = labels
            .iter()
            .enumerate()
            .map(|(n, &y)| -floor_keeping_nan(probs[(n, y)], tiny).ln())
            .sum();
        total / T::from_f64(labels.len() as f64)
    }

    /// Gradients of the mean cross-entropy and ∂L/∂x, given x, p = `probabilities(x)` and y.
    ///
    /// Shapes: x `(B, n_in)`, p `(B, n_classes)`; the returned ∂L/∂x is `(B, n_in)`.
    ///
    /// # Panics
    /// If the shapes do not fit or a label is `≥ n_classes`.
    #[track_caller]
    pub fn backward(
        &self,
        x: &Matrix<T>,
        probs: &Matrix<T>,
        labels: &[usize],
        need_input_grad: bool,
    ) -> (LinearGradients<T>, Option<Matrix<T>>) {
        // δ = (p − Y) / B
        let mut delta = probs.clone();
        softmax_delta(&mut delta, labels);
        let grad_input = need_input_grad.then(|| matmul(&delta, Trans::N, &self.weights, Trans::N));
        (linear_gradients(&delta, x), grad_input)
    }

    /// One backward step with the update applied in place: no gradient is materialised.
    ///
    /// `probs` `(B, n_classes)` holds p = `probabilities(x)` and is turned into
    /// δ = (p − Y) / B; `grad_input`, when given, receives ∂L/∂x = δ W `(B, n_in)` computed
    /// from the weights *before* the step; then W ← W − η δᵀ x and b ← b − η Σ_rows
    /// δ.
    ///
    /// # Panics
    /// If the shapes do not fit or a label is `≥ n_classes`.
    #[track_caller]
    pub fn backward_apply(
        &mut self,
        x: &Matrix<T>,
        probs: &mut Matrix<T>,
        labels: &[usize],
        grad_input: Option<&mut Matrix<T>>,
        learning_rate: T,
    ) {
        // δ = (p − Y) / B, in place
        softmax_delta(probs, labels);

        // ∂L/∂x = δ W, from the weights before their update
        if let Some(gx) = grad_input {
            input_gradient_into(probs, &self.weights, gx);
        }

        // W ← W − η δᵀ x and b ← b − η Σ δ, in place
        accumulate_linear(&mut self.weights, &mut self.bias, -learning_rate, probs, x);
    }

    /// [`LogisticRegression::backward_apply`] with momentum and L2 decay: the same δ and
    /// ∂L/∂x, then the update through `velocity` (shaped as the layer) described in
    /// [`crate::SgdStep`]'s module; a plain `step` is `backward_apply` bit for bit.
    ///
    /// # Panics
    /// If the shapes do not fit or a label is `≥ n_classes`.
    #[track_caller]
    pub fn backward_step(
        &mut self,
        (x, labels): (&Matrix<T>, &[usize]),
        probs: &mut Matrix<T>,
        grad_input: Option<&mut Matrix<T>>,
        step: &SgdStep<T>,
        velocity: &mut Velocity<T>,
    ) {
        // δ = (p − Y) / B, in place
        softmax_delta(probs, labels);

        // ∂L/∂x = δ W, from the weights before their update
        if let Some(gx) = grad_input {
            input_gradient_into(probs, &self.weights, gx);
        }

        // the step, with its momentum and decay
        let params = (&mut self.weights, &mut self.bias[..]);
        crate::sgd::update(params, velocity, step, probs, x);
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

    /// One gradient step on a minibatch; returns the mean cross-entropy before the step.
    ///
    /// # Panics
    /// If the shapes do not fit or a label is `≥ n_classes`.
    #[track_caller]
    pub fn train_batch(&mut self, x: &Matrix<T>, labels: &[usize], learning_rate: T) -> T {
        self.train_batch_with(x, labels, learning_rate, &mut Matrix::zeros(0, 0))
    }

    /// [`LogisticRegression::train_batch`] with the probabilities (then δ) kept in `probs`,
    /// reshaped to `(B, n_classes)` and reused: nothing is allocated once it is large enough.
    ///
    /// # Panics
    /// If the shapes do not fit or a label is `≥ n_classes`.
    #[track_caller]
    pub fn train_batch_with(
        &mut self,
        x: &Matrix<T>,
        labels: &[usize],
        learning_rate: T,
        probs: &mut Matrix<T>,
    ) -> T {
        self.probabilities_into(x, probs);
        let loss = Self::cross_entropy(probs, labels);
        self.backward_apply(x, probs, labels, None, learning_rate);
        loss
    }
}

/// p ← (p − Y) / B in place, Y the one-hot labels: the softmax cross-entropy's δ at the
/// logits, rows in parallel.
///
/// # Panics
/// If `labels.len() ≠ probs.rows()` or a label is `≥ probs.cols()`.
#[track_caller]
fn softmax_delta<T: Float>(probs: &mut Matrix<T>, labels: &[usize]) {
    assert_eq!(labels.len(), probs.rows(), "one label per row");
    let n_classes = probs.cols();
    if let Some(&y) = labels.iter().find(|&&y| y >= n_classes) {
        panic!("label {y} out of range for {n_classes} classes");
    }
    let scale = T::ONE / T::from_f64(labels.len().max(1) as f64);
    probs.par_rows_mut(|n, row| {
        row[labels[n]] -= T::ONE;
        for p in row.iter_mut() {
            *p *= scale;
        }
    });
}

/// max(p, tiny), except that NaN stays NaN (so a diverged network is not hidden).
fn floor_keeping_nan<T: Float>(p: T, tiny: T) -> T {
    if p < tiny {
        tiny
    } else {
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> LogisticRegression<f64> {
        let mut m = LogisticRegression::new(4, 3).unwrap();
        m.weights = Matrix::from_fn(3, 4, |i, j| ((i * 4 + j) as f64 * 0.53).sin());
        m.bias = vec![0.1, -0.3, 0.2];
        m
    }

    fn loss(m: &LogisticRegression<f64>, x: &Matrix<f64>, y: &[usize]) -> f64 {
        LogisticRegression::cross_entropy(&m.probabilities(x), y)
    }

    #[test]
    fn starts_uniform() {
        let m = LogisticRegression::<f32>::new(5, 4).unwrap();
        let p = m.probabilities(&Matrix::filled(2, 5, 1.0));
        assert!(p.as_slice().iter().all(|&v| v == 0.25));
        assert!(LogisticRegression::<f32>::new(5, 0).is_err());
    }

    #[test]
    fn backward_matches_finite_differences() {
        let m = model();
        let x = Matrix::from_fn(5, 4, |i, j| ((i * 3 + j) as f64 * 0.91).cos());
        let y = [0, 2, 1, 1, 0];
        let (g, gx) = m.backward(&x, &m.probabilities(&x), &y, true);
        let h = 1e-6;
        for idx in 0..12 {
            let (mut p, mut q) = (m.clone(), m.clone());
            p.weights.as_mut_slice()[idx] += h;
            q.weights.as_mut_slice()[idx] -= h;
            let fd = (loss(&p, &x, &y) - loss(&q, &x, &y)) / (2.0 * h);
            approx::assert_abs_diff_eq!(g.weights.as_slice()[idx], fd, epsilon = 1e-8);
        }
        for c in 0..3 {
            let (mut p, mut q) = (m.clone(), m.clone());
            p.bias[c] += h;
            q.bias[c] -= h;
            let fd = (loss(&p, &x, &y) - loss(&q, &x, &y)) / (2.0 * h);
            approx::assert_abs_diff_eq!(g.bias[c], fd, epsilon = 1e-8);
        }
        let gx = gx.unwrap();
        for idx in 0..20 {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp.as_mut_slice()[idx] += h;
            xm.as_mut_slice()[idx] -= h;
            let fd = (loss(&m, &xp, &y) - loss(&m, &xm, &y)) / (2.0 * h);
            approx::assert_abs_diff_eq!(gx.as_slice()[idx], fd, epsilon = 1e-8);
        }
    }

    #[test]
    fn training_separates_two_points() {
        let mut m = LogisticRegression::<f64>::new(2, 2).unwrap();
        let x = Matrix::from_vec(2, 2, vec![1.0, 0.0, 0.0, 1.0]).unwrap();
        let first = m.train_batch(&x, &[0, 1], 0.5);
        for _ in 0..200 {
            m.train_batch(&x, &[0, 1], 0.5);
        }
        assert!(loss(&m, &x, &[0, 1]) < first / 10.0);
        assert_eq!(m.predict(&x), vec![0, 1]);
    }
}
