//! The crate's error type: every variant names the values that were wrong.

use std::fmt;

/// Which of a (truth, predicted) pair a label came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LabelRole {
    /// The true class.
    Truth,
    /// The predicted class.
    Predicted,
}

impl fmt::Display for LabelRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LabelRole::Truth => "true",
            LabelRole::Predicted => "predicted",
        })
    }
}

/// What went wrong when counting predictions or building a report.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The true and predicted label slices have different lengths.
    LengthMismatch {
        /// Number of true labels.
        n_truth: usize,
        /// Number of predicted labels.
        n_predicted: usize,
    },
    /// A label is not below `n_classes`.
    LabelOutOfRange {
        /// Whether it was the true or the predicted label.
        role: LabelRole,
        /// Its position in the slices given to
        /// [`ConfusionMatrix::from_labels`](crate::ConfusionMatrix::from_labels), `None` for
        /// a single [`ConfusionMatrix::add`](crate::ConfusionMatrix::add).
        index: Option<usize>,
        /// The label.
        label: usize,
        /// Number of classes of the matrix.
        n_classes: usize,
    },
    /// A report was given a number of class names other than the number of classes.
    ClassNames {
        /// Names given.
        n_names: usize,
        /// Classes of the confusion matrix.
        n_classes: usize,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LengthMismatch {
                n_truth,
                n_predicted,
            } => {
                write!(
                    f,
                    "{n_truth} true labels but {n_predicted} predicted labels"
                )
            }
            Error::LabelOutOfRange {
                role,
                index: Some(i),
                label,
                n_classes,
            } => {
                write!(
                    f,
                    "{role} label {label} at position {i} is not below {n_classes} classes"
                )
            }
            Error::LabelOutOfRange {
                role,
                index: None,
                label,
                n_classes,
            } => {
                write!(f, "{role} label {label} is not below {n_classes} classes")
            }
            Error::ClassNames { n_names, n_classes } => {
                write!(f, "{n_names} class names given for {n_classes} classes")
            }
        }
    }
}

impl std::error::Error for Error {}
