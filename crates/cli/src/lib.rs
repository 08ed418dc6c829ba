//! The library behind the `layerwise` command: configuration, data files, scaling, training
//! and model files. The binary parses flags, draws progress and prints; this crate prints
//! nothing and returns this crate's [`Error`], naming the file, line, key or value at fault.
//!
//! The data's path through a training run:
//!
//! 1. [`config::TrainConfig`]: defaults, overridden by a TOML file, overridden by flags,
//!    then [`config::TrainConfig::resolve`]d for the model's kind;
//! 2. [`table::Source::read`] reads a CSV or IDX file into a [`table::Table`] of raw
//!    features and labels; [`table::Classes`] maps the labels to class indices;
//! 3. [`scaling::Scaler::fit`] fits the chosen scaling on the training rows, and
//!    [`scaling::Scaler::apply`] scales every row the model sees;
//! 4. [`network::train`] builds and trains the model, reporting each epoch to a
//!    [`record::Observer`] and keeping a [`record::TrainingRecord`];
//! 5. [`model_file::SavedModel`] saves all of it as safetensors, and loads and checks it
//!    for `evaluate`, `predict` and `inspect`.
//!
//! ```
//! use layerwise_cli::config::{ModelKind, TrainConfig};
//!
//! let text = "[data]\ntrain = \"iris.csv\"\n[finetune]\nepochs = 40\n";
//! let config = TrainConfig::from_toml(text).unwrap().resolve(ModelKind::Logistic).unwrap();
//! assert_eq!(config.finetune.epochs, 40);
//! assert!(config.hidden().is_empty()); // logistic regression has no hidden layer
//! ```
#![deny(missing_docs)]

pub mod checkpoint;
pub mod config;
mod error;
pub mod model_file;
pub mod network;
pub mod picture;
pub mod plot;
pub mod record;
pub mod scaling;
pub mod table;

pub use error::{Error, Result};

/// A path as a shell reads it back: as it is when it holds only safe characters, else in
/// single quotes (a quote inside written `'\''`).
pub fn shell_quoted(path: &std::path::Path) -> String {
    let text = path.display().to_string();
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        return text;
    }
    format!("'{}'", text.replace('\'', "'\\''"))
}
