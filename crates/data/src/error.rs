//! The crate's error type: every variant names the values or the file that were wrong.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// What went wrong when building, splitting, generating or loading a data set.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The number of labels differs from the number of feature rows.
    LabelCount {
        /// Labels given.
        n_labels: usize,
        /// Rows of the feature matrix.
        n_samples: usize,
    },
    /// A data set or configuration asked for zero classes.
    NoClasses,
    /// The label of sample `index` is not below `n_classes`.
    LabelOutOfRange {
        /// Position of the sample.
        index: usize,
        /// Its label.
        label: usize,
        /// Number of classes of the data set.
        n_classes: usize,
    },
    /// A validation fraction outside `[0, 1)` or not finite.
    ValidationFraction {
        /// The fraction given.
        fraction: f64,
    },
    /// A validation split that would leave no training rows.
    NoTrainingRows {
        /// Rows of the data set split.
        n_samples: usize,
        /// The fraction asked for.
        fraction: f64,
    },
    /// An image shape whose pixel count is not the number of features.
    ImageShape {
        /// Features per sample.
        n_features: usize,
        /// Image width asked for.
        width: usize,
        /// Image height asked for.
        height: usize,
    },
    /// An image file with no images, or images with no pixels.
    NoImages {
        /// The file.
        path: PathBuf,
        /// The dimensions its header claims.
        dims: Vec<usize>,
    },
    /// A probability of the synthetic generator outside `[0, 1]` or not finite.
    Probability {
        /// The configuration field, e.g. `"train_p.0"`.
        field: &'static str,
        /// The value given.
        value: f64,
    },
    /// A size of the synthetic generator that must be at least 1 is 0.
    ZeroSize {
        /// The configuration field, e.g. `"block_size"`.
        field: &'static str,
    },
    /// The synthetic data would hold more values than `usize` can count.
    ConfigTooLarge {
        /// The configuration field whose matrix overflows, e.g. `"n_train_per_class"`.
        field: &'static str,
    },
    /// A matrix could not be built.
    Matrix(layerwise_linalg::Error),
    /// Reading a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A file needed by [`load_mnist`](crate::load_mnist) exists neither plain nor gzipped.
    MissingFile {
        /// The plain name looked for; `path` + `.gz` was looked for too.
        path: PathBuf,
    },
    /// The first two bytes of an IDX file are not zero.
    BadMagic {
        /// The file.
        path: PathBuf,
        /// Its first four bytes.
        found: [u8; 4],
    },
    /// An IDX element type other than `0x08` (unsigned byte).
    UnsupportedElementType {
        /// The file.
        path: PathBuf,
        /// The type code found (third byte of the file).
        code: u8,
    },
    /// An IDX file with no dimension or more than [`MAX_IDX_DIMS`](crate::MAX_IDX_DIMS).
    BadDimensionCount {
        /// The file.
        path: PathBuf,
        /// The number of dimensions found (fourth byte of the file).
        ndims: u8,
    },
    /// The product of an IDX file's dimensions overflows.
    SizeOverflow {
        /// The file.
        path: PathBuf,
        /// The dimensions its header claims.
        dims: Vec<usize>,
    },
    /// A (decompressed) file is shorter than its header says.
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header implies, header included.
        expected: u64,
        /// Bytes found (when reading stopped early, as many as were read).
        found: u64,
    },
    /// A (decompressed) file is longer than its header says.
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// Bytes the header implies, header included.
        expected: u64,
        /// Bytes found, or at least this many when reading stopped at the first extra byte.
        found: u64,
    },
    /// An image file whose array is not 3-D `(n_images, rows, cols)`.
    NotImages {
        /// The file.
        path: PathBuf,
        /// Its dimensions.
        dims: Vec<usize>,
    },
    /// A label file whose array is not 1-D `(n_labels)`.
    NotLabels {
        /// The file.
        path: PathBuf,
        /// Its dimensions.
        dims: Vec<usize>,
    },
    /// An image file and a label file that hold different numbers of items.
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// Images it holds.
        n_images: usize,
        /// The label file.
        labels: PathBuf,
        /// Labels it holds.
        n_labels: usize,
    },
    /// A label in a label file is not below `n_classes`.
    FileLabelOutOfRange {
        /// The label file.
        path: PathBuf,
        /// Position of the label.
        index: usize,
        /// The label.
        label: usize,
        /// Number of classes asked for.
        n_classes: usize,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl From<layerwise_linalg::Error> for Error {
    fn from(e: layerwise_linalg::Error) -> Self {
        Error::Matrix(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LabelCount {
                n_labels,
                n_samples,
            } => {
                write!(f, "{n_labels} labels given for {n_samples} samples")
            }
            Error::NoClasses => write!(f, "the number of classes must be at least 1"),
            Error::LabelOutOfRange {
                index,
                label,
                n_classes,
            } => {
                write!(
                    f,
                    "label {label} of sample {index} is not below n_classes = {n_classes}"
                )
            }
            Error::ValidationFraction { fraction } => {
                write!(f, "validation fraction {fraction} is not in [0, 1)")
            }
            Error::NoTrainingRows {
                n_samples,
                fraction,
            } => write!(
                f,
                "a validation fraction of {fraction} leaves none of the {n_samples} rows \
                 to train on"
            ),
            Error::ImageShape {
                n_features,
                width,
                height,
            } => write!(
                f,
                "an image of {width} × {height} pixels does not cover the {n_features} features"
            ),
            Error::Probability { field, value } => {
                write!(f, "probability {field} = {value} is not in [0, 1]")
            }
            Error::ZeroSize { field } => write!(f, "{field} must be at least 1"),
            Error::ConfigTooLarge { field } => {
                write!(f, "the matrix sized by {field} would overflow usize")
            }
            Error::Matrix(e) => write!(f, "{e}"),
            other => fmt_file_error(other, f),
        }
    }
}

/// Display of the variants that name a file.
fn fmt_file_error(e: &Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match e {
        Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        Error::MissingFile { path } => {
            write!(f, "neither {0} nor {0}.gz exists", path.display())
        }
        Error::BadMagic { path, found } => write!(
            f,
            "{}: not an IDX file, first bytes {found:02x?} (the first two must be zero)",
            path.display()
        ),
        Error::UnsupportedElementType { path, code } => write!(
            f,
            "{}: IDX element type 0x{code:02x} is not supported (only 0x08, unsigned byte)",
            path.display()
        ),
        Error::BadDimensionCount { path, ndims } => write!(
            f,
            "{}: {ndims} dimensions, expected 1 to {}",
            path.display(),
            crate::MAX_IDX_DIMS
        ),
        Error::NoImages { path, dims } => {
            write!(
                f,
                "{}: dimensions {dims:?} hold no image to learn from",
                path.display()
            )
        }
        Error::SizeOverflow { path, dims } => {
            write!(f, "{}: dimensions {dims:?} overflow", path.display())
        }
        Error::Truncated {
            path,
            expected,
            found,
        } => write!(
            f,
            "{}: truncated, the header implies {expected} bytes, found {found}",
            path.display()
        ),
        Error::TrailingBytes {
            path,
            expected,
            found,
        } => write!(
            f,
            "{}: the header implies {expected} bytes, found {found} or more",
            path.display()
        ),
        other => fmt_loader_error(other, f),
    }
}

/// Display of the variants raised when an IDX array does not fit a data set.
fn fmt_loader_error(e: &Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match e {
        Error::NotImages { path, dims } => write!(
            f,
            "{}: dimensions {dims:?} are not (n_images, rows, cols)",
            path.display()
        ),
        Error::NotLabels { path, dims } => {
            write!(
                f,
                "{}: dimensions {dims:?} are not (n_labels)",
                path.display()
            )
        }
        Error::CountMismatch {
            images,
            n_images,
            labels,
            n_labels,
        } => write!(
            f,
            "{} holds {n_images} images but {} holds {n_labels} labels",
            images.display(),
            labels.display()
        ),
        Error::FileLabelOutOfRange {
            path,
            index,
            label,
            n_classes,
        } => write!(
            f,
            "{}: label {label} at position {index} is not below n_classes = {n_classes}",
            path.display()
        ),
        // Every other variant is written by `Display for Error` before reaching here.
        other => write!(f, "{other:?}"),
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Matrix(e) => Some(e),
            _ => None,
        }
    }
}
