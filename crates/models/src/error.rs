//! The crate's error type.

use std::fmt;

/// What went wrong when building, training or applying a model.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is outside its valid range.
    InvalidConfig {
        /// The parameter, e.g. `"finetune.learning_rate"`.
        name: &'static str,
        /// The value given, as written.
        value: String,
        /// What it must be, in words.
        expected: &'static str,
    },
    /// A layer could not be built or its parameters were rejected.
    Layer(layerwise_layers::Error),
    /// Data with the wrong number of features for the model.
    FeatureMismatch {
        /// What the model's input layer takes.
        expected: usize,
        /// What the data has.
        found: usize,
    },
    /// A data set with a different number of classes than the model's output layer.
    ClassMismatch {
        /// The model's number of classes.
        expected: usize,
        /// The data set's number of classes.
        found: usize,
    },
    /// A data set with no rows to train on (or to monitor pretraining with).
    EmptyData {
        /// `"pretraining"`, `"fine-tuning"` or `"validation"`.
        phase: &'static str,
    },
    /// Early stopping was configured but fine-tuning was given no validation set.
    MissingValidation,
    /// Training produced a non-finite loss or weight, found at the end of that epoch.
    /// Training stops, and the parameters it was changing go back to what they were before
    /// it began: the layer being pretrained to its state before its pretraining (the layers
    /// below keep theirs), a fine-tuned model to its state before fine-tuning. So a model
    /// never holds a non-finite parameter after an error.
    NonFinite {
        /// `"pretraining"` or `"fine-tuning"`.
        phase: &'static str,
        /// The layer (0 is the bottom one): during pretraining the layer being trained;
        /// during fine-tuning the lowest layer with a non-finite parameter (a classifier's
        /// logistic layer is number `n_hidden_layers`; a deep autoencoder counts its encoder
        /// layers, then its decoder layers), or the output layer when only the loss is not
        /// finite. `None` is never produced by this crate's training loops.
        layer: Option<usize>,
        /// The epoch (0-based).
        epoch: usize,
    },
    /// Layers given to a model's `from_parts` that do not stack: a layer's inputs differ
    /// from the outputs of the layer below it (or from the number the model needs).
    LayerMismatch {
        /// The layer whose inputs do not fit, 0 being the bottom hidden layer; the logistic
        /// layer is number `n_hidden_layers`.
        layer: usize,
        /// The outputs of the layer below.
        expected: usize,
        /// The layer's inputs.
        found: usize,
    },
    /// A [`crate::Pause`] given back to a training it does not belong to: a layer, epoch,
    /// row order or optimiser tensor that does not fit the model, data or configuration.
    BadPause {
        /// The field of the pause, e.g. `"order"` or `"tensors"`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidConfig {
                name,
                value,
                expected,
            } => {
                write!(f, "{name} = {value} is invalid: expected {expected}")
            }
            Error::Layer(e) => write!(f, "layer: {e}"),
            Error::FeatureMismatch { expected, found } => {
                write!(
                    f,
                    "the model takes {expected} features, the data has {found}"
                )
            }
            Error::ClassMismatch { expected, found } => {
                write!(f, "the model has {expected} classes, the data set {found}")
            }
            Error::EmptyData { phase } => write!(f, "the {phase} data has no rows"),
            Error::MissingValidation => write!(
                f,
                "finetune.early_stopping needs a validation set, and none was given"
            ),
            Error::NonFinite {
                phase,
                layer: Some(l),
                epoch,
            } => {
                write!(
                    f,
                    "{phase} of layer {l} diverged at epoch {epoch}: \
                     the loss or a weight is not finite"
                )
            }
            Error::NonFinite {
                phase,
                layer: None,
                epoch,
            } => {
                write!(
                    f,
                    "{phase} diverged at epoch {epoch}: the loss or a weight is not finite"
                )
            }
            Error::LayerMismatch {
                layer,
                expected,
                found,
            } => {
                write!(
                    f,
                    "layer {layer} takes {found} inputs, the layer below gives {expected}"
                )
            }
            Error::BadPause { field, reason } => {
                write!(
                    f,
                    "cannot resume training: its {field} does not fit: {reason}"
                )
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Layer(e) => Some(e),
            _ => None,
        }
    }
}

impl From<layerwise_layers::Error> for Error {
    fn from(e: layerwise_layers::Error) -> Self {
        Error::Layer(e)
    }
}
