//! Classification metrics for the layerwise models: a confusion matrix, the scores derived
//! from it and a printable report.
//!
//! A [`ConfusionMatrix`] counts (true class, predicted class) pairs, rows being the true
//! class; it gives the accuracy and per-class precision, recall and F1, and their
//! [`Averages`] over classes (macro and support-weighted). A [`Report`] adds class names and
//! formats both as text tables: scores as fractions in [0, 1] with 3 decimals. Scores with a
//! zero denominator are 0.0, never NaN. Fallible functions return this crate's [`Error`].
//!
//! ```
//! use layerwise_metrics::{ConfusionMatrix, Report};
//!
//! let truth = [0, 0, 1, 1, 2, 2];
//! let predicted = [0, 1, 1, 1, 0, 0];
//! let cm = ConfusionMatrix::from_labels(&truth, &predicted, 3).unwrap();
//! assert_eq!(cm.accuracy(), 0.5);
//! assert_eq!(cm.recall(1), 1.0);
//! assert_eq!(cm.precision(2), 0.0); // never predicted: 0, not NaN
//! assert_eq!(cm.macro_average().recall, 0.5);
//!
//! let report = Report::new(&cm, Some(&["low", "mid", "high"])).unwrap();
//! assert!(report.to_string().contains("macro avg"));
//! assert!(report.confusion_table().starts_with("true \\ predicted"));
//! ```
#![deny(missing_docs)]

mod confusion;
mod error;
mod report;

pub use confusion::{Averages, ConfusionMatrix};
pub use error::{Error, LabelRole, Result};
pub use report::Report;
