//! Activation functions and Bernoulli sampling, safe for every finite input.

use layerwise_linalg::{Float, Matrix};
use rand::Rng;

/// σ(x) = 1 / (1 + e⁻ˣ), evaluated so that e^(…) never overflows.
///
/// For x ≥ 0 it computes 1 / (1 + e⁻ˣ); for x < 0, eˣ / (1 + eˣ). Both exponents are ≤ 0,
/// so σ(±1000) is exactly 1 and 0 in `f32` and `f64`, never NaN.
///
/// # Examples
/// ```
/// use layerwise_layers::sigmoid;
/// assert_eq!(sigmoid(1000.0_f32), 1.0);
/// assert_eq!(sigmoid(-1000.0_f32), 0.0);
/// assert_eq!(sigmoid(0.0_f64), 0.5);
/// ```
#[inline]
pub fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::ZERO {
        T::ONE / (T::ONE + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::ONE + e)
    }
}

/// softplus(x) = ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|): finite for every finite x.
#[inline]
pub fn softplus<T: Float>(x: T) -> T {
    x.max(T::ZERO) + (-x.abs()).exp().ln_1p()
}

/// Applies σ to every element in place.
pub fn sigmoid_inplace<T: Float>(m: &mut Matrix<T>) {
    m.map_inplace(sigmoid);
}

/// Replaces each row z by softmax(z)ᵢ = e^(zᵢ − max z) / Σⱼ e^(zⱼ − max z).
///
/// Subtracting the row maximum keeps every exponent ≤ 0, so no logit overflows.
pub fn softmax_rows_inplace<T: Float>(m: &mut Matrix<T>) {
    for i in 0..m.rows() {
        let row = m.row_mut(i);
        let max = row
            .iter()
            .copied()
            .fold(T::from_f64(f64::NEG_INFINITY), T::max);
        let mut total = T::ZERO;
        for z in row.iter_mut() {
            *z = (*z - max).exp();
            total += *z;
        }
        for z in row.iter_mut() {
            *z /= total;
        }
    }
}

/// A matrix of independent draws: element (i, j) is 1 with probability `probs[i, j]`, else 0.
///
/// Draws are taken in row-major order, one uniform `f64` each, so a seed fixes every bit.
pub fn sample_bernoulli<T: Float, R: Rng + ?Sized>(probs: &Matrix<T>, rng: &mut R) -> Matrix<T> {
    probs.map(|p| {
        if rng.gen::<f64>() < p.to_f64() {
            T::ONE
        } else {
            T::ZERO
        }
    })
}

/// Index of the largest value of each row (the first one on ties).
pub fn argmax_rows<T: Float>(m: &Matrix<T>) -> Vec<usize> {
    (0..m.rows())
        .map(|i| {
            let row = m.row(i);
            let mut best = 0;
            for (j, &x) in row.iter().enumerate() {
                if x > row[best] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_saturates_exactly_without_nan() {
        assert_eq!(sigmoid(1000.0_f32), 1.0);
        assert_eq!(sigmoid(-1000.0_f32), 0.0);
        assert_eq!(sigmoid(1000.0_f64), 1.0);
        assert_eq!(sigmoid(-1000.0_f64), 0.0);
        assert_eq!(sigmoid(f32::MAX), 1.0);
        assert_eq!(sigmoid(f32::MIN), 0.0);
        approx::assert_relative_eq!(sigmoid(2.0_f64), 1.0 / (1.0 + (-2.0_f64).exp()));
        approx::assert_relative_eq!(sigmoid(-2.0_f64), 1.0 / (1.0 + 2.0_f64.exp()));
    }

    #[test]
    fn softplus_is_finite_and_accurate() {
        assert_eq!(softplus(1000.0_f32), 1000.0);
        assert_eq!(softplus(-1000.0_f32), 0.0);
        approx::assert_relative_eq!(softplus(0.3_f64), 0.3_f64.exp().ln_1p(), epsilon = 1e-15);
        approx::assert_relative_eq!(softplus(-3.0_f64), (-3.0_f64).exp().ln_1p());
    }

    #[test]
    fn softmax_of_extreme_logits_is_finite_and_one_hot() {
        let logits = vec![
            -249.9_f32, -424.1, -460.3, 378.1, -292.6, 1000.0, -1000.0, 0.0,
        ];
        let mut m = Matrix::from_vec(1, 8, logits).unwrap();
        softmax_rows_inplace(&mut m);
        assert!(m.is_finite());
        assert_eq!(argmax_rows(&m), vec![5]);
        approx::assert_abs_diff_eq!(m[(0, 5)], 1.0, epsilon = 1e-6);
        let mut n = Matrix::from_vec(2, 2, vec![1000.0_f64, -1000.0, 0.0, 0.0]).unwrap();
        softmax_rows_inplace(&mut n);
        assert_eq!(n.as_slice(), &[1.0, 0.0, 0.5, 0.5]);
    }

    #[test]
    fn bernoulli_frequencies_follow_probabilities() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let p = Matrix::from_fn(200, 50, |_, j| if j < 25 { 0.2_f64 } else { 0.9 });
        let s = sample_bernoulli(&p, &mut rng);
        let sums = s.col_sums();
        let low: f64 = sums[..25].iter().sum::<f64>() / 5000.0;
        let high: f64 = sums[25..].iter().sum::<f64>() / 5000.0;
        approx::assert_abs_diff_eq!(low, 0.2, epsilon = 0.02);
        approx::assert_abs_diff_eq!(high, 0.9, epsilon = 0.02);
        assert!(s.as_slice().iter().all(|&x| x == 0.0 || x == 1.0));
    }
}
