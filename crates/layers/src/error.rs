//! The crate's error type.

use crate::rbm::Visible;
use std::fmt;

/// What went wrong when building a layer or its training parameters.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A layer size is zero.
    ZeroSize {
        /// Which size, e.g. `"n_visible"`.
        name: &'static str,
    },
    /// A layer too large to allocate.
    TooLarge {
        /// Inputs asked for.
        n_in: usize,
        /// Outputs asked for.
        n_out: usize,
    },
    /// A hyperparameter is outside its valid range.
    InvalidHyperparameter {
        /// Its name, e.g. `"learning_rate"`.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The range it must lie in, in words.
        expected: &'static str,
    },
    /// An operation an RBM with this kind of visible units does not support.
    Unsupported {
        /// What was asked, e.g. `"the pseudo-likelihood"`.
        operation: &'static str,
        /// The RBM's visible units.
        visible: Visible,
    },
    /// A model too large to enumerate the states of its smaller layer.
    TooManyStates {
        /// Units of the layer to enumerate.
        units: usize,
        /// The most that are enumerated.
        max: usize,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ZeroSize { name } => write!(f, "{name} must be at least 1, got 0"),
            Error::TooLarge { n_in, n_out } => {
                write!(
                    f,
                    "a layer of {n_in} inputs × {n_out} outputs is too large to allocate"
                )
            }
            Error::InvalidHyperparameter {
                name,
                value,
                expected,
            } => {
                write!(f, "{name} = {value} is invalid: expected {expected}")
            }
            Error::Unsupported { operation, visible } => {
                write!(f, "{operation} is not defined for {visible} visible units")
            }
            Error::TooManyStates { units, max } => {
                write!(
                    f,
                    "enumerating 2^{units} states is too many: at most {max} units"
                )
            }
        }
    }
}

impl std::error::Error for Error {}

/// `Ok(())` when `value` is finite and > 0.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidHyperparameter {
            name,
            value,
            expected: "a finite number > 0",
        })
    }
}

/// `Ok(())` when `n ≥ 1`.
pub(crate) fn check_size(name: &'static str, n: usize) -> Result<()> {
    if n == 0 {
        Err(Error::ZeroSize { name })
    } else {
        Ok(())
    }
}
