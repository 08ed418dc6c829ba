//! The crate's error type: each variant names the file, the row, the key or the value at
//! fault, so that the command can report it in one line.

use std::fmt;
use std::path::PathBuf;

/// What went wrong while reading data, resolving a configuration or handling a model file.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read, written or renamed.
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A configuration file that is not valid TOML or has unknown keys.
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// The parser's message (it names the line and the key).
        reason: String,
    },
    /// A setting outside its valid range, or settings that contradict each other.
    InvalidSetting {
        /// The setting, as in the configuration file, e.g. `"data.validation"`.
        name: &'static str,
        /// The value given, as written.
        value: String,
        /// What it must be, in words.
        expected: String,
    },
    /// An option set for a kind of model that does not use it.
    OptionNotForKind {
        /// The setting, as in the configuration file, e.g. `"pretrain.persistent"`.
        name: &'static str,
        /// The kind being trained.
        kind: &'static str,
        /// The kinds that use it, in words, e.g. `"dbn and rbm (their RBMs)"`.
        used_by: &'static str,
    },
    /// A CSV file the reader rejected (bad quoting, invalid UTF-8).
    Csv {
        /// The file.
        path: PathBuf,
        /// The CSV reader's message.
        reason: String,
    },
    /// A CSV or IDX file with no data rows.
    NoRows {
        /// The file.
        path: PathBuf,
    },
    /// A CSV row with another number of fields than the first row.
    RowLength {
        /// The file.
        path: PathBuf,
        /// The line the row starts on, from 1.
        line: u64,
        /// Its number of fields.
        found: usize,
        /// The first row's number of fields.
        expected: usize,
    },
    /// A CSV field that is not a finite number.
    BadNumber {
        /// The file.
        path: PathBuf,
        /// The line the row starts on, from 1.
        line: u64,
        /// The column, from 0.
        column: usize,
        /// The column's name, when the file has a header.
        name: Option<String>,
        /// The field as written.
        text: String,
    },
    /// A label column that the file does not have.
    NoSuchColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for, as written.
        column: String,
        /// The columns the file has (its header, or their number).
        available: String,
    },
    /// Data whose width fits neither the model's inputs nor its inputs plus a label column.
    DataWidth {
        /// The file.
        path: PathBuf,
        /// The data's number of columns.
        found: usize,
        /// The model's number of inputs.
        n_inputs: usize,
    },
    /// A label that is not one of the model's classes.
    UnknownLabel {
        /// The file.
        path: PathBuf,
        /// Where: `"data row 5"` (CSV, from 1) or `"row 3"` (IDX, from 0).
        at: String,
        /// The label as written.
        label: String,
        /// The model's classes, as a list for the message.
        classes: String,
    },
    /// Labelled data was needed (training a classifier, evaluating) but the data has none.
    NoLabels {
        /// The file.
        path: PathBuf,
        /// Why labels are needed.
        needed_for: &'static str,
    },
    /// The IDX reader rejected a file, or a data set could not be found.
    Data(layerwise_data::Error),
    /// The model rejected its configuration or its data.
    Model(layerwise_models::Error),
    /// The metrics could not be computed (more classes in the data than in the model).
    Metrics(layerwise_metrics::Error),
    /// A file that is not a safetensors file, or not one written by layerwise.
    ModelFormat {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A training checkpoint where a model was expected, or a model where a checkpoint was.
    WrongFileKind {
        /// The file.
        path: PathBuf,
        /// `true` when the file is a checkpoint (and a model was expected).
        is_checkpoint: bool,
    },
    /// A model file whose metadata is missing a key or holds a value that does not parse.
    Metadata {
        /// The file.
        path: PathBuf,
        /// The metadata key, e.g. `"config"`.
        key: &'static str,
        /// What is wrong with its value.
        reason: String,
    },
    /// A model file whose tensors do not fit its metadata.
    Tensor {
        /// The file.
        path: PathBuf,
        /// The tensor, e.g. `"layers.0.weight"`.
        name: String,
        /// What is wrong with it: missing, unexpected, its dtype or its shape.
        reason: String,
    },
    /// The training curves could not be drawn.
    Plot {
        /// Why.
        reason: String,
    },
    /// `evaluate` or `predict` given a model that is not a classifier (an RBM or a dA).
    NotAClassifier {
        /// The model's kind.
        kind: &'static str,
    },
    /// Training asked to resume a network of another kind.
    NotResumable {
        /// The kind being trained.
        kind: &'static str,
        /// The kind of the network given.
        found: &'static str,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::ConfigFile { path, reason } => {
                write!(f, "configuration {}: {}", path.display(), one_line(reason))
            }
            Error::InvalidSetting {
                name,
                value,
                expected,
            } => write!(f, "{name} = {value} is invalid: expected {expected}"),
            Error::OptionNotForKind {
                name,
                kind,
                used_by,
            } => write!(
                f,
                "{name} is set, but `{kind}` does not use it: it is for {used_by}"
            ),
            Error::Csv { path, reason } => write!(f, "{}: {reason}", path.display()),
            Error::NoRows { path } => write!(f, "{}: no data rows", path.display()),
            Error::RowLength {
                path,
                line,
                found,
                expected,
            } => write!(
                f,
                "{}: line {line} has {found} fields, the first row has {expected}",
                path.display()
            ),
            Error::BadNumber {
                path,
                line,
                column,
                name,
                text,
            } => {
                let name = name.as_ref().map_or(String::new(), |n| format!(" ({n:?})"));
                write!(
                    f,
                    "{}: line {line}, column {column}{name}: {text:?} is not a finite number",
                    path.display()
                )
            }
            Error::NoSuchColumn {
                path,
                column,
                available,
            } => write!(
                f,
                "{}: no label column {column}; the file has {available}",
                path.display()
            ),
            Error::DataWidth {
                path,
                found,
                n_inputs,
            } => write!(
                f,
                "{}: {found} columns, but the model takes {n_inputs} features \
                 ({n_inputs} columns, or {} with a label column)",
                path.display(),
                n_inputs + 1
            ),
            Error::UnknownLabel {
                path,
                at,
                label,
                classes,
            } => write!(
                f,
                "{}: {at}: label {label:?} is not one of the model's classes ({classes})",
                path.display()
            ),
            Error::NoLabels { path, needed_for } => {
                write!(f, "{}: no labels, needed for {needed_for}", path.display())
            }
            Error::Data(e) => write!(f, "{e}"),
            Error::Model(e) => write!(f, "{e}"),
            Error::Metrics(e) => write!(f, "{e}"),
            Error::ModelFormat { path, reason } => {
                write!(f, "{}: not a layerwise model: {reason}", path.display())
            }
            Error::WrongFileKind {
                path,
                is_checkpoint: true,
            } => write!(
                f,
                "{}: a training checkpoint, not a model: carry its training on with \
                 `layerwise train --resume {}`",
                path.display(),
                crate::shell_quoted(path)
            ),
            Error::WrongFileKind {
                path,
                is_checkpoint: false,
            } => write!(
                f,
                "{}: a model file, not a training checkpoint (one is written by `train \
                 --checkpoint-every N` or Ctrl-C)",
                path.display()
            ),
            Error::Metadata { path, key, reason } => {
                write!(f, "{}: metadata {key:?}: {reason}", path.display())
            }
            Error::Tensor { path, name, reason } => {
                write!(f, "{}: tensor {name:?}: {reason}", path.display())
            }
            Error::Plot { reason } => write!(f, "cannot draw the curves: {reason}"),
            Error::NotAClassifier { kind } => write!(
                f,
                "a {kind} model is not a classifier: evaluate and predict need a dbn, sda, \
                 mlp or logistic model"
            ),
            Error::NotResumable { kind, found } => {
                write!(
                    f,
                    "cannot resume training a model of kind {kind} from one of kind {found}"
                )
            }
        }
    }
}

/// Each variant's message already holds the message of the error it wraps, so `source` is
/// `None` (a chain printer would repeat it otherwise); match the variant to reach it.
impl std::error::Error for Error {}

impl From<layerwise_data::Error> for Error {
    fn from(e: layerwise_data::Error) -> Self {
        Error::Data(e)
    }
}

impl From<layerwise_models::Error> for Error {
    fn from(e: layerwise_models::Error) -> Self {
        Error::Model(e)
    }
}

impl From<layerwise_metrics::Error> for Error {
    fn from(e: layerwise_metrics::Error) -> Self {
        Error::Metrics(e)
    }
}

/// A parser's multi-line message folded into one line.
fn one_line(text: &str) -> String {
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    parts.join(" ")
}

/// An [`Error::Io`] for `path`.
pub(crate) fn io_error(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}
