//! The crate's error type.

use std::fmt;

/// What went wrong when building or combining matrices.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A buffer's length does not equal `rows × cols`.
    DataLength {
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
        /// Length of the buffer given.
        len: usize,
    },
    /// Two operands of `op` have shapes that do not fit together.
    ShapeMismatch {
        /// The operation, e.g. `"add_row_vector"`.
        op: &'static str,
        /// Shape (rows, cols) of the left operand.
        left: (usize, usize),
        /// Shape (rows, cols) of the right operand.
        right: (usize, usize),
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DataLength { rows, cols, len } => write!(
                f,
                "a {rows} × {cols} matrix needs {} values, the buffer has {len}",
                rows.saturating_mul(*cols)
            ),
            Error::ShapeMismatch { op, left, right } => write!(
                f,
                "{op}: shapes {} × {} and {} × {} do not fit",
                left.0, left.1, right.0, right.1
            ),
        }
    }
}

impl std::error::Error for Error {}
