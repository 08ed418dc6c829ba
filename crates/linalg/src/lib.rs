//! Dense row-major matrices and the kernels the layerwise models are built from.
//!
//! [`Matrix<T>`] holds `rows × cols` values of a [`Float`] type (`f32` or `f64`), one
//! sample per row when it holds a batch. [`gemm()`] computes C ← α · op(A) · op(B) + β · C
//! with either operand transposed in place ([`Trans`]). The element-wise maps, the row
//! broadcast of a bias vector and the row and column sums are methods of [`Matrix`].
//! Fallible constructors return this crate's [`Error`]; kernels given operands that do not
//! fit panic, naming both shapes.
//!
//! ```
//! use layerwise_linalg::{matmul, Matrix, Trans};
//! let x = Matrix::from_vec(1, 2, vec![1.0_f32, 2.0]).unwrap(); // (n_samples, n_in)
//! let w = Matrix::from_vec(3, 2, vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0]).unwrap(); // (n_out, n_in)
//! let mut h = matmul(&x, Trans::N, &w, Trans::T); // x · Wᵀ: (n_samples, n_out)
//! h.add_row_vector(&[0.5, 0.5, 0.5]);
//! assert_eq!(h.as_slice(), &[1.5, 2.5, 3.5]);
//! ```
#![deny(missing_docs)]

mod error;
mod float;
mod gemm;
mod matrix;
mod parallel;
mod pool;
pub mod vmath;

pub use error::{Error, Result};
pub use float::Float;
pub use gemm::{gemm, gemm_bias, gemm_kernel_name, matmul, Trans, PACKING_THRESHOLD};
pub use matrix::Matrix;
pub use parallel::{set_threads, threads};
