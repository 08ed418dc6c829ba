//! The crate's error type.

use crate::rbm::Visible;
use layerwise_linalg::{Float, Matrix};
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
    /// Training data a layer cannot model: a value outside [0, 1] given to a Bernoulli RBM
    /// or a cross-entropy autoencoder, or a value that is not finite.
    InputOutOfRange {
        /// The layer refusing it, e.g. `"a Bernoulli RBM"`.
        layer: &'static str,
        /// The row of the first offending value, from 0.
        row: usize,
        /// Its column, from 0.
        column: usize,
        /// The value.
        value: f64,
        /// The values the layer takes, e.g. `"[0, 1]"`.
        expected: &'static str,
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
            Error::InputOutOfRange {
                layer,
                row,
                column,
                value,
                expected,
            } => {
                write!(
                    f,
                    "{layer} takes inputs in {expected}, but row {row}, column {column} is \
                     {value}"
                )?;
                match *expected == UNIT_INTERVAL {
                    true => write!(
                        f,
                        ": scale the data first (pixels 0–255: divide by 255, \
                         --scaling divide:255; other data: --scaling min-max)"
                    ),
                    false => Ok(()),
                }
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

/// How [`Error::InputOutOfRange`] writes the inputs of Bernoulli units and cross-entropy.
const UNIT_INTERVAL: &str = "[0, 1]";

/// `Ok(())` when every value of `x` lies in [0, 1]; otherwise
/// [`Error::InputOutOfRange`] naming `layer` (e.g. `"a Bernoulli RBM"`) and the first value
/// outside, in row order. One pass over `x`.
///
/// # Errors
/// [`Error::InputOutOfRange`], as above.
///
/// # Examples
/// ```
/// use layerwise_layers::{check_unit_interval, Error};
/// use layerwise_linalg::Matrix;
/// let x = Matrix::from_vec(2, 3, vec![0.0, 0.5, 1.0, 0.2, -0.1, 0.3]).unwrap();
/// let err = check_unit_interval(&x, "a Bernoulli RBM").unwrap_err();
/// assert!(matches!(err, Error::InputOutOfRange { row: 1, column: 1, .. }));
/// assert!(err.to_string().contains("divide by 255"));
/// ```
pub fn check_unit_interval<T: Float>(x: &Matrix<T>, layer: &'static str) -> Result<()> {
    let inside = |v: &T| (0.0..=1.0).contains(&v.to_f64());
    check_inputs(x, layer, UNIT_INTERVAL, inside)
}

/// `Ok(())` when every value of `x` is finite; otherwise [`Error::InputOutOfRange`].
pub(crate) fn check_all_finite<T: Float>(x: &Matrix<T>, layer: &'static str) -> Result<()> {
    check_inputs(x, layer, "finite numbers", |v: &T| v.is_finite())
}

/// One pass over `x`, stopping at the first value `accept` refuses.
fn check_inputs<T: Float>(
    x: &Matrix<T>,
    layer: &'static str,
    expected: &'static str,
    accept: impl Fn(&T) -> bool,
) -> Result<()> {
    let Some(at) = x.as_slice().iter().position(|v| !accept(v)) else {
        return Ok(());
    };
    Err(Error::InputOutOfRange {
        layer,
        row: at / x.cols(),
        column: at % x.cols(),
        value: x.as_slice()[at].to_f64(),
        expected,
    })
}
