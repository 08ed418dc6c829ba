//! The dense row-major [`Matrix`] and its element-wise kernels and reductions.

use crate::{Error, Float, Result};
use std::ops::{Index, IndexMut};

/// A dense matrix of `rows × cols` values stored row after row.
///
/// Element (i, j) lives at `data[i * cols + j]`. A batch of samples is a matrix with one
/// sample per row: `(n_samples, n_features)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix<T> {
    rows: usize,
    cols: usize,
    data: Vec<T>,
}

impl<T: Float> Matrix<T> {
    /// A `rows × cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self::filled(rows, cols, T::ZERO)
    }

    /// A `rows × cols` matrix with every element equal to `value`.
    ///
    /// # Panics
    /// If `rows × cols` overflows `usize`.
    pub fn filled(rows: usize, cols: usize, value: T) -> Self {
        let len = rows.checked_mul(cols).expect("matrix size overflows usize");
        Matrix {
            rows,
            cols,
            data: vec![value; len],
        }
    }

    /// Wraps a row-major buffer of `rows × cols` values.
    ///
    /// # Errors
    /// [`Error::DataLength`] when `data.len() ≠ rows × cols`.
    ///
    /// # Examples
    /// ```
    /// use layerwise_linalg::Matrix;
    /// let m = Matrix::from_vec(2, 3, vec![1.0_f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    /// assert_eq!(m[(1, 0)], 4.0);
    /// assert!(Matrix::from_vec(2, 2, vec![1.0_f32]).is_err());
    /// ```
    pub fn from_vec(rows: usize, cols: usize, data: Vec<T>) -> Result<Self> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(Error::DataLength {
                rows,
                cols,
                len: data.len(),
            });
        }
        Ok(Matrix { rows, cols, data })
    }

    /// A `rows × cols` matrix whose element (i, j) is `f(i, j)`, filled row by row.
    pub fn from_fn(rows: usize, cols: usize, mut f: impl FnMut(usize, usize) -> T) -> Self {
        let mut m = Self::zeros(rows, cols);
        for i in 0..rows {
            for (j, x) in m.row_mut(i).iter_mut().enumerate() {
                *x = f(i, j);
            }
        }
        m
    }

    /// Number of rows.
    #[inline]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    #[inline]
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// `(rows, cols)`.
    #[inline]
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// All elements, row after row.
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// All elements, row after row, mutably.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// The row-major buffer.
    pub fn into_vec(self) -> Vec<T> {
        self.data
    }

    /// Row `i` as a slice of `cols` values.
    ///
    /// # Panics
    /// If `i ≥ rows`.
    #[inline]
    #[track_caller]
    pub fn row(&self, i: usize) -> &[T] {
        assert!(i < self.rows, "row {i} out of range for {} rows", self.rows);
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i` as a mutable slice of `cols` values.
    ///
    /// # Panics
    /// If `i ≥ rows`.
    #[inline]
    #[track_caller]
    pub fn row_mut(&mut self, i: usize) -> &mut [T] {
        assert!(i < self.rows, "row {i} out of range for {} rows", self.rows);
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    /// A new `(indices.len(), cols)` matrix made of the rows named by `indices`, in that order.
    ///
    /// # Panics
    /// If an index is `≥ rows`.
    #[track_caller]
    pub fn select_rows(&self, indices: &[usize]) -> Self {
        let mut out = Vec::with_capacity(indices.len() * self.cols);
        for &i in indices {
            out.extend_from_slice(self.row(i));
        }
        Matrix {
            rows: indices.len(),
            cols: self.cols,
            data: out,
        }
    }

    /// Copies the rows named by `indices` into `out`, reshaping it to
    /// `(indices.len(), cols)` and reusing its buffer.
    ///
    /// # Panics
    /// If an index is `≥ rows`.
    #[track_caller]
    pub fn select_rows_into(&self, indices: &[usize], out: &mut Self) {
        let cols = self.cols;
        out.reshape_uninit(indices.len(), cols);
        for (n, &i) in indices.iter().enumerate() {
            let dst = &mut out.data[n * cols..(n + 1) * cols];
            // an element loop, not copy_from_slice: a call to memmove per short row costs
            for (d, &v) in dst.iter_mut().zip(self.row(i)) {
                *d = v;
            }
        }
    }

    /// Reshapes to `rows × cols`, reusing the buffer; the values are left unspecified (zero
    /// where the buffer grows). For workspaces that are overwritten before they are read.
    ///
    /// # Panics
    /// If `rows × cols` overflows `usize`.
    pub fn reshape_uninit(&mut self, rows: usize, cols: usize) {
        let len = rows.checked_mul(cols).expect("matrix size overflows usize");
        self.data.resize(len, T::ZERO);
        self.rows = rows;
        self.cols = cols;
    }

    /// A new matrix with `f` applied to every element, in row-major order.
    pub fn map(&self, mut f: impl FnMut(T) -> T) -> Self {
        let data = self.data.iter().map(|&x| f(x)).collect();
        Matrix {
            rows: self.rows,
            cols: self.cols,
            data,
        }
    }

    /// Applies `f` to every element in place.
    pub fn map_inplace(&mut self, mut f: impl FnMut(T) -> T) {
        for x in &mut self.data {
            *x = f(*x);
        }
    }

    /// `self[i, j] ← f(self[i, j], other[i, j])` for every element.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn zip_map_inplace(&mut self, other: &Self, mut f: impl FnMut(T, T) -> T) {
        self.assert_same_shape("zip_map_inplace", other);
        for (x, &y) in self.data.iter_mut().zip(&other.data) {
            *x = f(*x, y);
        }
    }

    /// `self ← self + α · x`.
    ///
    /// # Panics
    /// If the shapes differ.
    #[track_caller]
    pub fn axpy(&mut self, alpha: T, x: &Self) {
        self.assert_same_shape("axpy", x);
        for (y, &xv) in self.data.iter_mut().zip(&x.data) {
            *y += alpha * xv;
        }
    }

    /// Multiplies every element by `s`.
    pub fn scale(&mut self, s: T) {
        for x in &mut self.data {
            *x *= s;
        }
    }

    /// Adds the vector `v` (length `cols`) to every row: `self[i, j] += v[j]`.
    ///
    /// # Panics
    /// If `v.len() ≠ cols`.
    #[track_caller]
    pub fn add_row_vector(&mut self, v: &[T]) {
        assert_eq!(v.len(), self.cols, "add_row_vector: vector length ≠ cols");
        for row in self.data.chunks_exact_mut(self.cols.max(1)) {
            for (x, &b) in row.iter_mut().zip(v) {
                *x += b;
            }
        }
    }

    /// Σᵢ self[i, j] for each column j: a vector of length `cols`.
    pub fn col_sums(&self) -> Vec<T> {
        let mut sums = vec![T::ZERO; self.cols];
        for row in self.data.chunks_exact(self.cols.max(1)) {
            for (s, &x) in sums.iter_mut().zip(row) {
                *s += x;
            }
        }
        sums
    }

    /// out\[j\] ← out\[j\] + α Σᵢ self\[i, j\] for each column j (a bias gradient), summing
    /// each column in row order from 0, then adding α times the sum to out\[j\].
    ///
    /// The sums run on the GEMM's in-place kernels as 1ᵀ · self (each step an FMA by 1,
    /// which is exactly an addition), so every element is computed by the same operations
    /// as the plain loop, in vector registers.
    ///
    /// # Panics
    /// If `out.len() ≠ cols`.
    ///
    /// # Examples
    /// ```
    /// let m = layerwise_linalg::Matrix::from_vec(2, 2, vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    /// let mut out = [1.0, 1.0];
    /// m.add_col_sums_to(0.5, &mut out);
    /// assert_eq!(out, [3.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn add_col_sums_to(&self, alpha: T, out: &mut [T]) {
        assert_eq!(out.len(), self.cols, "add_col_sums_to: out length ≠ cols");
        if self.rows == 0 || self.cols == 0 {
            // no sum to run: each out[j] + α·0, as the loop would give
            let zero = alpha * T::ZERO;
            out.iter_mut().for_each(|x| *x += zero);
            return;
        }
        crate::gemm::add_col_sums(alpha, self, out);
    }

    /// Σⱼ self[i, j] for each row i: a vector of length `rows`.
    pub fn row_sums(&self) -> Vec<T> {
        (0..self.rows)
            .map(|i| self.row(i).iter().copied().sum())
            .collect()
    }

    /// Σᵢⱼ self[i, j].
    pub fn sum(&self) -> T {
        self.data.iter().copied().sum()
    }

    /// `true` when every element is finite (no NaN, no ±∞).
    pub fn is_finite(&self) -> bool {
        self.data.iter().all(|x| x.is_finite())
    }

    /// The same values converted to another float type.
    pub fn cast<U: Float>(&self) -> Matrix<U> {
        let data = self.data.iter().map(|&x| U::from_f64(x.to_f64())).collect();
        Matrix {
            rows: self.rows,
            cols: self.cols,
            data,
        }
    }

    #[track_caller]
    fn assert_same_shape(&self, op: &str, other: &Self) {
        assert_eq!(self.shape(), other.shape(), "{op}: shapes differ");
    }
}

impl<T: Float> Index<(usize, usize)> for Matrix<T> {
    type Output = T;

    #[inline]
    #[track_caller]
    fn index(&self, (i, j): (usize, usize)) -> &T {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) out of {:?}",
            self.shape()
        );
        &self.data[i * self.cols + j]
    }
}

impl<T: Float> IndexMut<(usize, usize)> for Matrix<T> {
    #[inline]
    #[track_caller]
    fn index_mut(&mut self, (i, j): (usize, usize)) -> &mut T {
        assert!(
            i < self.rows && j < self.cols,
            "index ({i}, {j}) out of {:?}",
            self.shape()
        );
        &mut self.data[i * self.cols + j]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_col_sums_to_equals_col_sums_scaled_in_every_block() {
        let m = Matrix::from_fn(7, 150, |i, j| ((i * 150 + j) as f64 * 0.3).sin());
        let mut out: Vec<f64> = (0..150).map(|j| j as f64).collect();
        m.add_col_sums_to(-0.5, &mut out);
        for (j, (&o, &s)) in out.iter().zip(&m.col_sums()).enumerate() {
            assert_eq!(o, j as f64 + -0.5 * s);
        }
    }

    #[test]
    fn from_vec_checks_length() {
        let err = Matrix::from_vec(2, 3, vec![0.0_f64; 5]).unwrap_err();
        assert_eq!(
            err,
            Error::DataLength {
                rows: 2,
                cols: 3,
                len: 5
            }
        );
        assert!(err.to_string().contains("needs 6 values"));
    }

    #[test]
    fn sums_and_broadcast() {
        let mut m = Matrix::from_fn(2, 3, |i, j| (i * 3 + j) as f32);
        assert_eq!(m.col_sums(), vec![3.0, 5.0, 7.0]);
        assert_eq!(m.row_sums(), vec![3.0, 12.0]);
        m.add_row_vector(&[1.0, 0.0, -1.0]);
        assert_eq!(m.as_slice(), &[1.0, 1.0, 1.0, 4.0, 4.0, 4.0]);
        assert_eq!(m.sum(), 15.0);
    }

    #[test]
    fn empty_matrices_reduce_to_zero() {
        let m = Matrix::<f64>::zeros(0, 4);
        assert_eq!(m.col_sums(), vec![0.0; 4]);
        assert!(m.row_sums().is_empty());
        let n = Matrix::<f64>::zeros(3, 0);
        assert_eq!(n.row_sums(), vec![0.0; 3]);
        assert!(n.col_sums().is_empty());
    }

    #[test]
    fn select_rows_into_reuses_its_buffer() {
        let m = Matrix::from_fn(4, 2, |i, j| (i * 2 + j) as f32);
        let mut out = Matrix::zeros(3, 2);
        m.select_rows_into(&[3, 1], &mut out);
        assert_eq!(out.shape(), (2, 2));
        assert_eq!(out.as_slice(), &[6.0, 7.0, 2.0, 3.0]);
        out.reshape_uninit(1, 3);
        assert_eq!(out.shape(), (1, 3));
    }

    #[test]
    fn select_rows_and_axpy() {
        let m = Matrix::from_fn(3, 2, |i, j| (i * 2 + j) as f64);
        let s = m.select_rows(&[2, 0]);
        assert_eq!(s.as_slice(), &[4.0, 5.0, 0.0, 1.0]);
        let mut y = Matrix::filled(2, 2, 1.0);
        y.axpy(2.0, &s);
        assert_eq!(y.as_slice(), &[9.0, 11.0, 1.0, 3.0]);
    }
}
