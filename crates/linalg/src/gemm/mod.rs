//! General matrix multiply: C ← α · op(A) · op(B) + β · C.
//!
//! Legend: op(A) is `m × k`, op(B) is `k × n`, C is `m × n`; `op(X)` is X or Xᵀ as chosen by
//! [`Trans`]. A transposed operand is read in place, never copied whole.
//!
//! Two paths, chosen by shape alone (never by thread count, so results do not depend on it),
//! both built on the fastest micro-kernels this CPU runs (`kernels`: AVX-512, AVX2 + FMA, or
//! portable) and split over [`crate::threads`] threads by whole tiles of C:
//! - `direct` reads A and B where they lie (only a transposed B is copied, into panels): for
//!   small products (m·n·k below [`PACKING_THRESHOLD`]), and for products with an untransposed
//!   B and one dimension of at most [`THIN`] (a minibatch of 100 against a layer's weights),
//!   where B streams from cache at full speed;
//! - the rest use the packed, cache-blocked scheme of `packed`.
//!
//! When β = 0, C is overwritten without being read, so NaN in C never leaks.

mod direct;
pub(crate) mod kernels;
mod packed;

use crate::{Float, Matrix};
use packed::View;

/// Whether a GEMM operand is used as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trans {
    /// Use the matrix as stored.
    N,
    /// Use its transpose.
    T,
}

/// Products with fewer multiply-adds than this (m·n·k) skip packing.
///
/// Below it, A and B stay in cache anyway, so copying them into panels costs more than it
/// saves (the book's 50 × 60 × 20 products are all below).
pub const PACKING_THRESHOLD: usize = 1 << 18;

/// A product whose B is not transposed and whose m, n or k is at most this goes through the
/// unpacked path whatever its size (measured here: 83 against 66–70 GFLOP/s at 2000 × 100 ×
/// 100, 89 against 86 at 784 × 100 × 500; at 1024³ packing wins, 68 against 50).
pub const THIN: usize = 128;

/// Which of the two paths a product takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    /// By shape: direct below [`PACKING_THRESHOLD`] or when thin ([`THIN`]), else packed.
    Auto,
    /// In place (`direct`).
    #[cfg_attr(not(test), allow(dead_code))]
    Direct,
    /// Packed and cache-blocked (`packed`).
    #[cfg_attr(not(test), allow(dead_code))]
    Packed,
}

fn op_shape<T: Float>(x: &Matrix<T>, t: Trans) -> (usize, usize) {
    match t {
        Trans::N => (x.rows(), x.cols()),
        Trans::T => (x.cols(), x.rows()),
    }
}

/// op(X) as a strided view: element (i, p) of op(X).
fn view<T: Float>(x: &Matrix<T>, t: Trans) -> View<'_, T> {
    let (rs, cs) = match t {
        Trans::N => (x.cols(), 1),
        Trans::T => (1, x.cols()),
    };
    View {
        data: x.as_slice(),
        rs,
        cs,
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
    gemm_with(T::kernel(), Path::Auto, alpha, a, ta, b, tb, beta, c);
}

/// [`gemm`] with a given micro-kernel and path.
#[track_caller]
#[allow(clippy::too_many_arguments)]
fn gemm_with<T: Float>(
    kern: &kernels::Kernel<T>,
    path: Path,
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
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 || alpha == T::ZERO {
        scale_by_beta(beta, c);
        return;
    }
    let (va, vb) = (view(a, ta), view(b, tb));
    if takes_direct(path, tb, (m, n, k)) {
        direct::gemm(kern, alpha, va, vb, beta, None, c.as_mut_slice(), (m, n, k));
    } else {
        packed::gemm(kern, alpha, va, vb, beta, c.as_mut_slice(), (m, n, k));
    }
}

/// Whether a product of this shape goes through `direct` (else `packed`).
fn takes_direct(path: Path, tb: Trans, (m, n, k): (usize, usize, usize)) -> bool {
    match path {
        Path::Auto => m * n * k < PACKING_THRESHOLD || (tb == Trans::N && m.min(n).min(k) <= THIN),
        Path::Direct => true,
        Path::Packed => false,
    }
}

/// C ← α · op(A) · op(B) + 1 · biasᵀ: a layer's affine map, the bias added to every row.
///
/// Shapes: op(A) is `(m, k)`, op(B) is `(k, n)`, C is `(m, n)`, `bias` has n values. C is
/// overwritten without being read. Each element is rounded as by [`gemm`] with β = 0
/// followed by adding the bias (α·acc, then + bⱼ), so the result is the same bit for bit;
/// on the in-place path the bias is added while the tile is still in registers.
///
/// # Panics
/// If the shapes do not fit together.
///
/// # Examples
/// ```
/// use layerwise_linalg::{gemm_bias, Matrix, Trans};
/// let x = Matrix::from_vec(1, 2, vec![1.0_f64, 2.0]).unwrap();
/// let w = Matrix::from_vec(2, 2, vec![1.0, 0.0, 0.0, 1.0]).unwrap();
/// let mut z = Matrix::filled(1, 2, f64::NAN);
/// gemm_bias(1.0, &x, Trans::N, &w, Trans::T, &[10.0, 20.0], &mut z);
/// assert_eq!(z.as_slice(), &[11.0, 22.0]);
/// ```
#[track_caller]
pub fn gemm_bias<T: Float>(
    alpha: T,
    a: &Matrix<T>,
    ta: Trans,
    b: &Matrix<T>,
    tb: Trans,
    bias: &[T],
    c: &mut Matrix<T>,
) {
    gemm_bias_with(T::kernel(), Path::Auto, alpha, a, ta, b, tb, bias, c);
}

/// [`gemm_bias`] with a given micro-kernel and path.
#[track_caller]
#[allow(clippy::too_many_arguments)]
fn gemm_bias_with<T: Float>(
    kern: &kernels::Kernel<T>,
    path: Path,
    alpha: T,
    a: &Matrix<T>,
    ta: Trans,
    b: &Matrix<T>,
    tb: Trans,
    bias: &[T],
    c: &mut Matrix<T>,
) {
    let (m, k) = op_shape(a, ta);
    let (kb, n) = op_shape(b, tb);
    assert!(
        k == kb && c.shape() == (m, n) && bias.len() == n,
        "gemm_bias: op(A) is {m} × {k}, op(B) is {kb} × {n}, C is {} × {}, bias has {}",
        c.rows(),
        c.cols(),
        bias.len()
    );
    if m == 0 || n == 0 {
        return;
    }
    if k > 0 && alpha != T::ZERO && takes_direct(path, tb, (m, n, k)) {
        let (va, vb) = (view(a, ta), view(b, tb));
        let out = c.as_mut_slice();
        direct::gemm(kern, alpha, va, vb, T::ZERO, Some(bias), out, (m, n, k));
    } else {
        gemm_with(kern, path, alpha, a, ta, b, tb, T::ZERO, c);
        crate::vmath::add_rows(c.as_mut_slice(), bias);
    }
}

/// out ← out + α · 1ᵀ X: the column sums of X (`rows × cols`, both at least 1) in row
/// order, added scaled to `out` (length `cols`); see [`Matrix::add_col_sums_to`].
pub(crate) fn add_col_sums<T: Float>(alpha: T, x: &Matrix<T>, out: &mut [T]) {
    // op(A) = 1ᵀ: one value read at every (0, p) through zero strides
    let ones = View {
        data: &[T::ONE],
        rs: 0,
        cs: 0,
    };
    let (k, n) = x.shape();
    direct::gemm(
        T::kernel(),
        alpha,
        ones,
        view(x, Trans::N),
        T::ONE,
        None,
        out,
        (1, n, k),
    );
}

/// C ← β · C, without reading C when β = 0.
fn scale_by_beta<T: Float>(beta: T, c: &mut Matrix<T>) {
    if beta == T::ZERO {
        c.as_mut_slice().fill(T::ZERO);
    } else if beta != T::ONE {
        c.scale(beta);
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

/// The name of the micro-kernel [`gemm`] uses for `T` on this CPU: `"avx512"`, `"avx2"` or
/// `"portable"` (set `LAYERWISE_GEMM_KERNEL` to one of them to choose).
pub fn gemm_kernel_name<T: Float>() -> &'static str {
    T::kernel().name
}

#[cfg(test)]
mod tests;
