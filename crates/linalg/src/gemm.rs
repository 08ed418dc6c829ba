//! General matrix multiply: C ← α · op(A) · op(B) + β · C.
//!
//! Legend: op(A) is `m × k`, op(B) is `k × n`, C is `m × n`; `op(X)` is X or Xᵀ as chosen by
//! [`Trans`]. A transposed operand is read in place, never copied.
//!
//! These kernels are written for clarity first: each transpose form has the loop order that
//! walks memory contiguously, and the inner loops are plain slices that the compiler
//! vectorises. When β = 0, C is overwritten without being read, so NaN in C never leaks.

use crate::{Float, Matrix};

/// Whether a GEMM operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trans {
    /// Use the matrix as stored.
    N,
    /// Use its transpose.
    T,
}

/// Rows of op(B) consumed together in one sweep over a row of C (fewer loads and stores of C).
const UNROLL: usize = 4;
/// Depth of one cache block: this many rows of B are reused across every row of C.
const K_BLOCK: usize = 128;
/// Rows of B (in the `A · Bᵀ` form) kept hot while every row of A meets them.
const N_BLOCK: usize = 32;

fn op_shape<T: Float>(x: &Matrix<T>, t: Trans) -> (usize, usize) {
    match t {
        Trans::N => (x.rows(), x.cols()),
        Trans::T => (x.cols(), x.rows()),
    }
}

/// C ← α · op(A) · op(B) + β · C.
///
/// Shapes: op(A) is `(m, k)`, op(B) is `(k, n)`, C is `(m, n)`.
///
/// # Panics
/// If the shapes do not fit together.
///
/// # Examples
/// ```
/// use layerwise_linalg::{gemm, Matrix, Trans};
/// let a = Matrix::from_vec(2, 2, vec![1.0_f64, 2.0, 3.0, 4.0]).unwrap();
/// let mut c = Matrix::filled(2, 2, f64::NAN);
/// gemm(1.0, &a, Trans::T, &a, Trans::N, 0.0, &mut c); // Aᵀ A
/// assert_eq!(c.as_slice(), &[10.0, 14.0, 14.0, 20.0]);
/// ```
#[track_caller]
pub fn gemm<T: Float>(
    alpha: T,
    a: &Matrix<T>,
    ta: Trans,
    b: &Matrix<T>,
    tb: Trans,
    beta: T,
    c: &mut Matrix<T>,
) {
    let (m, k) = op_shape(a, ta);
    let (kb, n) = op_shape(b, tb);
    assert!(
        k == kb && c.shape() == (m, n),
        "gemm: op(A) is {m} × {k}, op(B) is {kb} × {n}, C is {} × {}",
        c.rows(),
        c.cols()
    );

    // C ← β · C, without reading C when β = 0.
    if beta == T::ZERO {
        c.as_mut_slice().fill(T::ZERO);
    } else if beta != T::ONE {
        c.scale(beta);
    }
    if m == 0 || n == 0 || k == 0 {
        return;
    }

    match (ta, tb) {
        (Trans::N, Trans::N) => gemm_nn(alpha, a, b, c),
        (Trans::N, Trans::T) => gemm_nt(alpha, a, b, c),
        (Trans::T, Trans::N) => gemm_tn(alpha, a, b, c),
        (Trans::T, Trans::T) => gemm_tt(alpha, a, b, c),
    }
}

/// op(A) · op(B) as a new matrix.
///
/// # Panics
/// If the shapes do not fit together.
#[track_caller]
pub fn matmul<T: Float>(a: &Matrix<T>, ta: Trans, b: &Matrix<T>, tb: Trans) -> Matrix<T> {
    let (m, _) = op_shape(a, ta);
    let (_, n) = op_shape(b, tb);
    let mut c = Matrix::zeros(m, n);
    gemm(T::ONE, a, ta, b, tb, T::ZERO, &mut c);
    c
}

/// `c_row += Σ_r coef[r] · rows[r]` for `UNROLL` rows at once, or one row.
#[inline(always)]
fn axpy_rows<T: Float>(c_row: &mut [T], coef: &[T], rows: &[&[T]]) {
    if let ([a0, a1, a2, a3], [b0, b1, b2, b3]) = (coef, rows) {
        let n = c_row.len();
        let (b0, b1, b2, b3) = (&b0[..n], &b1[..n], &b2[..n], &b3[..n]);
        for j in 0..n {
            c_row[j] += *a0 * b0[j] + *a1 * b1[j] + *a2 * b2[j] + *a3 * b3[j];
        }
    } else {
        for (&a, b) in coef.iter().zip(rows) {
            for (c, &bv) in c_row.iter_mut().zip(b.iter()) {
                *c += a * bv;
            }
        }
    }
}

/// C += α A B: for each block of k, each row i of C gathers rows of B scaled by A[i, p].
fn gemm_nn<T: Float>(alpha: T, a: &Matrix<T>, b: &Matrix<T>, c: &mut Matrix<T>) {
    let k = a.cols();
    for p0 in (0..k).step_by(K_BLOCK) {
        let p1 = (p0 + K_BLOCK).min(k);
        for i in 0..a.rows() {
            let a_row = a.row(i);
            let c_row = c.row_mut(i);
            let mut p = p0;
            while p < p1 {
                let len = UNROLL.min(p1 - p);
                let mut coef = [T::ZERO; UNROLL];
                let mut rows: [&[T]; UNROLL] = [&[]; UNROLL];
                for r in 0..len {
                    coef[r] = alpha * a_row[p + r];
                    rows[r] = b.row(p + r);
                }
                axpy_rows(c_row, &coef[..len], &rows[..len]);
                p += len;
            }
        }
    }
}

/// Σ x[p] · y[p] with eight independent partial sums, so the loop vectorises.
#[inline]
fn dot<T: Float>(x: &[T], y: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let chunks = x.len() / 8;
    for q in 0..chunks {
        let (xs, ys) = (&x[q * 8..q * 8 + 8], &y[q * 8..q * 8 + 8]);
        for l in 0..8 {
            acc[l] += xs[l] * ys[l];
        }
    }
    let mut tail = T::ZERO;
    for p in chunks * 8..x.len() {
        tail += x[p] * y[p];
    }
    let halves = [
        acc[0] + acc[4],
        acc[1] + acc[5],
        acc[2] + acc[6],
        acc[3] + acc[7],
    ];
    (halves[0] + halves[2]) + (halves[1] + halves[3]) + tail
}

/// C += α A Bᵀ: C[i, j] is the dot product of row i of A with row j of B.
fn gemm_nt<T: Float>(alpha: T, a: &Matrix<T>, b: &Matrix<T>, c: &mut Matrix<T>) {
    let n = b.rows();
    for j0 in (0..n).step_by(N_BLOCK) {
        let j1 = (j0 + N_BLOCK).min(n);
        for i in 0..a.rows() {
            let a_row = a.row(i);
            let c_row = c.row_mut(i);
            for (j, c) in c_row.iter_mut().enumerate().take(j1).skip(j0) {
                *c += alpha * dot(a_row, b.row(j));
            }
        }
    }
}

/// C += α Aᵀ B: row p of A and row p of B form a rank-1 update of C.
fn gemm_tn<T: Float>(alpha: T, a: &Matrix<T>, b: &Matrix<T>, c: &mut Matrix<T>) {
    let (k, m) = a.shape();
    let mut p = 0;
    while p < k {
        let len = UNROLL.min(k - p);
        let mut rows: [&[T]; UNROLL] = [&[]; UNROLL];
        for (r, row) in rows.iter_mut().enumerate().take(len) {
            *row = b.row(p + r);
        }
        for i in 0..m {
            let mut coef = [T::ZERO; UNROLL];
            for (r, co) in coef.iter_mut().enumerate().take(len) {
                *co = alpha * a[(p + r, i)];
            }
            axpy_rows(c.row_mut(i), &coef[..len], &rows[..len]);
        }
        p += len;
    }
}

/// C += α Aᵀ Bᵀ: C[i, j] = Σ_p A[p, i] · B[j, p]; the rare form, written plainly.
fn gemm_tt<T: Float>(alpha: T, a: &Matrix<T>, b: &Matrix<T>, c: &mut Matrix<T>) {
    let k = a.rows();
    for i in 0..a.cols() {
        for j in 0..b.rows() {
            let b_row = b.row(j);
            let mut s = T::ZERO;
            for (p, &bv) in b_row.iter().enumerate().take(k) {
                s += a[(p, i)] * bv;
            }
            c[(i, j)] += alpha * s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Matrix<f64> {
        Matrix::from_fn(rows, cols, |_, _| rng.gen_range(-1.0..1.0))
    }

    /// The textbook triple loop, reading op(A) and op(B) element by element.
    fn naive(alpha: f64, a: &Matrix<f64>, ta: Trans, b: &Matrix<f64>, tb: Trans) -> Matrix<f64> {
        let at = |i: usize, p: usize| if ta == Trans::N { a[(i, p)] } else { a[(p, i)] };
        let bt = |p: usize, j: usize| if tb == Trans::N { b[(p, j)] } else { b[(j, p)] };
        let (m, k) = op_shape(a, ta);
        let (_, n) = op_shape(b, tb);
        Matrix::from_fn(m, n, |i, j| {
            alpha * (0..k).map(|p| at(i, p) * bt(p, j)).sum::<f64>()
        })
    }

    fn stored(rows: usize, cols: usize, t: Trans, rng: &mut ChaCha8Rng) -> Matrix<f64> {
        match t {
            Trans::N => random(rows, cols, rng),
            Trans::T => random(cols, rows, rng),
        }
    }

    const SIZES: [usize; 7] = [0, 1, 2, 7, 33, 130, 257];
    const FORMS: [(Trans, Trans); 4] = [
        (Trans::N, Trans::N),
        (Trans::N, Trans::T),
        (Trans::T, Trans::N),
        (Trans::T, Trans::T),
    ];

    #[test]
    fn every_form_matches_naive_with_beta_zero_never_reading_c() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for &(ta, tb) in &FORMS {
            for &m in &SIZES {
                for &k in &[0, 1, 5, 129, 300] {
                    for &n in &[0, 1, 3, 31, 65] {
                        let a = stored(m, k, ta, &mut rng);
                        let b = stored(k, n, tb, &mut rng);
                        let mut c = Matrix::filled(m, n, f64::NAN);
                        gemm(0.5, &a, ta, &b, tb, 0.0, &mut c);
                        let want = naive(0.5, &a, ta, &b, tb);
                        for (x, y) in c.as_slice().iter().zip(want.as_slice()) {
                            approx::assert_relative_eq!(
                                *x,
                                *y,
                                epsilon = 1e-12,
                                max_relative = 1e-12
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn beta_scales_existing_c() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        for &(ta, tb) in &FORMS {
            let a = stored(9, 17, ta, &mut rng);
            let b = stored(17, 5, tb, &mut rng);
            let c0 = random(9, 5, &mut rng);
            let mut c = c0.clone();
            gemm(-1.5, &a, ta, &b, tb, 0.25, &mut c);
            let mut want = naive(-1.5, &a, ta, &b, tb);
            want.axpy(0.25, &c0);
            for (x, y) in c.as_slice().iter().zip(want.as_slice()) {
                approx::assert_relative_eq!(*x, *y, epsilon = 1e-12);
            }
        }
    }

    #[test]
    fn f32_large_product_matches_f64_reference() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let a = random(100, 784, &mut rng);
        let b = random(784, 50, &mut rng);
        let c = matmul(&a.cast::<f32>(), Trans::N, &b.cast::<f32>(), Trans::N);
        let want = naive(1.0, &a, Trans::N, &b, Trans::N);
        for (x, y) in c.as_slice().iter().zip(want.as_slice()) {
            approx::assert_abs_diff_eq!(*x as f64, *y, epsilon = 1e-3);
        }
    }

    #[test]
    #[should_panic(expected = "gemm: op(A) is 2 × 3")]
    fn mismatched_shapes_panic_with_both_shapes() {
        let a = Matrix::<f32>::zeros(2, 3);
        let mut c = Matrix::zeros(2, 2);
        gemm(1.0, &a, Trans::N, &a, Trans::N, 0.0, &mut c);
    }
}
