//! Gradient steps with momentum and L2 weight decay, and dropout masks.
//!
//! For a layer z = x Wᵀ + b with δ = ∂L/∂z on a minibatch, classical momentum μ and weight
//! decay λ (on W only, never on b):
//!
//! - V ← μ V − η (δᵀ x + λ W),  W ← W + V;
//! - v ← μ v − η Σ_rows δ,      b ← b + v.
//!
//! With μ = 0 and λ = 0 this is plain descent, and the layers then take their plain path
//! (W ← W − η δᵀ x in one GEMM), bit for bit as without a velocity.
//!
//! Dropout keeps each unit with probability q = 1 − p and scales the kept ones by 1/q
//! ("inverted" dropout), so a trained network predicts with every unit and no rescaling.
//! A mask `(n_samples, n_units)` holds 0 or 1/q; its element (i, j) is decided by the 32-bit
//! word [`crate::RowStreams::rows_from`] gives it, so a seed fixes the mask whatever the
//! thread count.

use crate::activation::{chunk_rows, RowStreams};
use layerwise_linalg::{gemm, Float, Matrix, Trans};
use rand::Rng;

/// One step's hyperparameters: learning rate η, momentum μ and L2 decay λ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdStep<T> {
    /// The learning rate η > 0.
    pub learning_rate: T,
    /// The momentum μ in [0, 1).
    pub momentum: T,
    /// The L2 weight decay λ ≥ 0 (weights only).
    pub l2: T,
}

impl<T: Float> SgdStep<T> {
    /// Plain descent at rate η: no momentum, no decay.
    pub fn plain(learning_rate: T) -> Self {
        SgdStep {
            learning_rate,
            momentum: T::ZERO,
            l2: T::ZERO,
        }
    }

    /// `true` when the step is plain descent and needs no velocity.
    pub fn is_plain(&self) -> bool {
        self.momentum == T::ZERO && self.l2 == T::ZERO
    }
}

/// The velocity of one layer's parameters, kept from step to step: V `(n_out, n_in)` and v
/// (length `n_out`), starting at zero.
#[derive(Clone, Debug, PartialEq)]
pub struct Velocity<T> {
    /// V, the weights' velocity.
    pub weights: Matrix<T>,
    /// v, the bias's velocity.
    pub bias: Vec<T>,
}

impl<T: Float> Velocity<T> {
    /// A zero velocity for a layer with weights `(n_out, n_in)`.
    pub fn zeros(n_out: usize, n_in: usize) -> Self {
        Velocity {
            weights: Matrix::zeros(n_out, n_in),
            bias: vec![T::ZERO; n_out],
        }
    }
}

/// The update of W `(n_out, n_in)` and b given δ `(B, n_out)` and x `(B, n_in)`: plain
/// descent in one GEMM when `step` is plain, else through the velocity (module docs).
#[track_caller]
pub(crate) fn update<T: Float>(
    (weights, bias): (&mut Matrix<T>, &mut [T]),
    velocity: &mut Velocity<T>,
    step: &SgdStep<T>,
    delta: &Matrix<T>,
    x: &Matrix<T>,
) {
    let eta = step.learning_rate;
    if step.is_plain() {
        crate::hidden::accumulate_linear(weights, bias, -eta, delta, x);
        return;
    }

    // V ← μ V − η δᵀ x − η λ W, then W ← W + V
    let v = &mut velocity.weights;
    gemm(-eta, delta, Trans::T, x, Trans::N, step.momentum, v);
    if step.l2 != T::ZERO {
        v.axpy(-eta * step.l2, weights);
    }
    weights.axpy(T::ONE, v);

    // v ← μ v − η Σ δ, then b ← b + v
    for vb in velocity.bias.iter_mut() {
        *vb *= step.momentum;
    }
    delta.add_col_sums_to(-eta, &mut velocity.bias);
    for (b, &vb) in bias.iter_mut().zip(&velocity.bias) {
        *b += vb;
    }
}

/// `mask` ← a dropout mask `(rows, cols)`: each element 1/q with probability q = 1 − p,
/// else 0, for a drop probability p in [0, 1).
///
/// One value is drawn from `rng` ([`RowStreams::new`]); element (i, j) then takes word
/// i · cols + j of [`RowStreams::rows_from`], kept when w / 2³² < q. The mask's buffer is
/// reused: nothing is allocated once it is large enough.
///
/// # Panics
/// If p is not in [0, 1).
#[track_caller]
pub fn dropout_mask_into<T: Float, R: Rng + ?Sized>(
    mask: &mut Matrix<T>,
    (rows, cols): (usize, usize),
    p: f64,
    rng: &mut R,
) {
    assert!(
        (0.0..1.0).contains(&p),
        "dropout probability {p} not in [0, 1)"
    );
    const SCALE: f64 = 1.0 / 4_294_967_296.0;
    let keep = 1.0 - p;
    let kept = T::from_f64(1.0 / keep);
    let streams = RowStreams::new(rng);
    mask.reshape_uninit(rows, cols);
    mask.par_row_chunks_mut(chunk_rows(cols), |first, chunk| {
        let mut stream = streams.rows_from(first, cols);
        let mut words = [0_u32; 256];
        for block in chunk.chunks_mut(256) {
            let w = &mut words[..block.len()];
            stream.fill(w);
            for (m, &w) in block.iter_mut().zip(w.iter()) {
                *m = if f64::from(w) * SCALE < keep {
                    kept
                } else {
                    T::ZERO
                };
            }
        }
    });
}

/// x ← x ⊙ m, element by element: a mask applied to the rows it was drawn for.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub fn apply_mask<T: Float>(x: &mut Matrix<T>, mask: &Matrix<T>) {
    assert_eq!(x.shape(), mask.shape(), "apply_mask: shapes differ");
    for (v, &m) in x.as_mut_slice().iter_mut().zip(mask.as_slice()) {
        *v *= m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn momentum_and_decay_match_a_hand_computed_step() {
        // one weight, one input, one row: δ = 0.5, x = 2, so δᵀ x = 1 and Σ δ = 0.5
        let mut w = Matrix::from_vec(1, 1, vec![0.4_f64]).unwrap();
        let mut b = vec![0.1_f64];
        let mut v = Velocity::zeros(1, 1);
        v.weights.as_mut_slice()[0] = 0.2;
        v.bias[0] = -0.1;
        let step = SgdStep {
            learning_rate: 0.5,
            momentum: 0.9,
            l2: 0.01,
        };
        let delta = Matrix::from_vec(1, 1, vec![0.5]).unwrap();
        let x = Matrix::from_vec(1, 1, vec![2.0]).unwrap();
        update((&mut w, &mut b), &mut v, &step, &delta, &x);
        // V = 0.9·0.2 − 0.5·(1 + 0.01·0.4) = −0.322; W = 0.4 − 0.322 = 0.078
        approx::assert_abs_diff_eq!(v.weights.as_slice()[0], -0.322, epsilon = 1e-15);
        approx::assert_abs_diff_eq!(w.as_slice()[0], 0.078, epsilon = 1e-15);
        // v = 0.9·(−0.1) − 0.5·0.5 = −0.34 (no decay on the bias); b = 0.1 − 0.34
        approx::assert_abs_diff_eq!(v.bias[0], -0.34, epsilon = 1e-15);
        approx::assert_abs_diff_eq!(b[0], -0.24, epsilon = 1e-15);
    }

    #[test]
    fn a_plain_step_is_the_one_gemm_update() {
        let x = Matrix::from_fn(3, 4, |i, j| ((i * 4 + j) as f64).sin());
        let delta = Matrix::from_fn(3, 2, |i, j| ((i + 2 * j) as f64).cos());
        let (mut w, mut b) = (Matrix::filled(2, 4, 0.3), vec![0.0; 2]);
        let (mut w2, mut b2) = (w.clone(), b.clone());
        let mut v = Velocity::zeros(2, 4);
        update((&mut w, &mut b), &mut v, &SgdStep::plain(0.1), &delta, &x);
        crate::hidden::accumulate_linear(&mut w2, &mut b2, -0.1, &delta, &x);
        assert_eq!((w, b), (w2, b2));
        assert_eq!(
            v,
            Velocity::zeros(2, 4),
            "a plain step leaves the velocity alone"
        );
    }

    #[test]
    fn dropout_drops_the_expected_fraction_and_scales_the_rest() {
        let mut mask = Matrix::<f32>::zeros(0, 0);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        dropout_mask_into(&mut mask, (200, 500), 0.3, &mut rng);
        let n = mask.as_slice().len() as f64;
        let dropped = mask.as_slice().iter().filter(|&&m| m == 0.0).count() as f64;
        let kept_value = (1.0 / 0.7_f64) as f32;
        assert!(mask.as_slice().iter().all(|&m| m == 0.0 || m == kept_value));
        // 100 000 draws: the standard error of the fraction is √(0.3·0.7/n) ≈ 0.0014
        let fraction = dropped / n;
        assert!((fraction - 0.3).abs() < 0.01, "{fraction}");
    }

    #[test]
    fn dropout_masks_do_not_depend_on_the_thread_count() {
        // 600 × 500 = 300 000 elements, above the size where the row passes split
        crate::activation::tests::same_for_1_2_3_threads(|| {
            let mut mask = Matrix::<f64>::zeros(0, 0);
            let mut rng = ChaCha8Rng::seed_from_u64(8);
            dropout_mask_into(&mut mask, (600, 500), 0.5, &mut rng);
            mask
        });
    }
}
