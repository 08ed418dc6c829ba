//! The unpacked kernels: one loop order per transpose form, walking memory contiguously.
//!
//! Used for products too small to repay packing (the book's 50 × 60 × 20, say). They
//! accumulate into C, which the caller has already scaled by β.

use super::Trans;
use crate::{Float, Matrix};

/// C += α · op(A) · op(B), shapes already checked.
///
/// On x86-64 CPUs with AVX2 and FMA the same loops are compiled for those instructions (the
/// compiler vectorises them 8 lanes wide instead of 4); the arithmetic is unchanged.
pub(super) fn accumulate<T: Float>(
    alpha: T,
    a: &Matrix<T>,
    ta: Trans,
    b: &Matrix<T>,
    tb: Trans,
    c: &mut Matrix<T>,
) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has just been found to support AVX2 and FMA.
        return unsafe { accumulate_avx2(alpha, a, ta, b, tb, c) };
    }
    accumulate_any(alpha, a, ta, b, tb, c);
}

/// [`accumulate_any`] compiled for AVX2 and FMA.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn accumulate_avx2<T: Float>(
    alpha: T,
    a: &Matrix<T>,
    ta: Trans,
    b: &Matrix<T>,
    tb: Trans,
    c: &mut Matrix<T>,
) {
    accumulate_any(alpha, a, ta, b, tb, c);
}

#[inline(always)]
fn accumulate_any<T: Float>(
    alpha: T,
    a: &Matrix<T>,
    ta: Trans,
    b: &Matrix<T>,
    tb: Trans,
    c: &mut Matrix<T>,
) {
    match (ta, tb) {
        (Trans::N, Trans::N) => gemm_nn(alpha, a, b, c),
        (Trans::N, Trans::T) => gemm_nt(alpha, a, b, c),
        (Trans::T, Trans::N) => gemm_tn(alpha, a, b, c),
        (Trans::T, Trans::T) => gemm_tt(alpha, a, b, c),
    }
}

/// Rows of op(B) consumed together in one sweep over a row of C (fewer loads and stores of C).
const UNROLL: usize = 4;
/// Depth of one cache block: this many rows of B are reused across every row of C.
const K_BLOCK: usize = 128;
/// Rows of B (in the `A · Bᵀ` form) kept hot while every row of A meets them.
const N_BLOCK: usize = 32;

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
#[inline(always)]
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

/// Σ x\[p\] · y\[p\] with eight independent partial sums, so the loop vectorises.
#[inline(always)]
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
#[inline(always)]
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
#[inline(always)]
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
#[inline(always)]
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
