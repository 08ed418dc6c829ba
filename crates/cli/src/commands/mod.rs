//! The subcommands, one module each, and what they share: the data flags, loading a model
//! and reading data for it.
//!
//! A new subcommand is a module here with its clap `Args` and a `run`, and a variant of
//! `Command` in `main.rs`.

pub mod evaluate;
pub mod filters;
pub mod inspect;
pub mod predict;
pub mod sample;
pub mod train;

use anyhow::Context;
use clap::Args;
use layerwise_cli::config::{CsvOptions, DataFormat, DatasetName, HeaderMode, LabelColumn};
use layerwise_cli::model_file::SavedModel;
use layerwise_cli::table::{Source, Table};
use layerwise_data::MnistSplit;
use layerwise_linalg::{Float, Matrix};
use std::path::{Path, PathBuf};

/// How CSV files are read; each flag overrides the saved or configured setting.
#[derive(Args, Clone, Debug, Default)]
pub struct CsvArgs {
    /// Whether a CSV file's first row is a header [default: auto: when a field outside the
    /// label column is not a number]
    #[arg(long, value_enum, value_name = "MODE")]
    pub header: Option<HeaderMode>,

    /// The CSV label column: first, last, none, an index from 0, or a header name
    /// [default: last]
    #[arg(long, value_name = "COLUMN")]
    pub label: Option<LabelColumn>,

    /// The CSV delimiter: one character, or `tab` [default: ,]
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    pub delimiter: Option<char>,
}

impl CsvArgs {
    /// `options` with the flags given.
    pub fn apply(&self, options: &mut CsvOptions) {
        if let Some(h) = self.header {
            options.header = h;
        }
        if let Some(l) = &self.label {
            options.label = l.clone();
        }
        if let Some(d) = self.delimiter {
            options.delimiter = d;
        }
    }
}

fn parse_delimiter(s: &str) -> Result<char, String> {
    let mut chars = s.chars();
    match (s, chars.next(), chars.next()) {
        ("tab" | "\\t", _, _) => Ok('\t'),
        (_, Some(c), None) => Ok(c),
        _ => Err(format!("{s:?} is not one character (or `tab`)")),
    }
}

/// The data a model is applied to: a file or a named data set's test split.
#[derive(Args, Clone, Debug)]
pub struct InputArgs {
    /// A named data set instead of a file: its test split
    #[arg(long, value_enum, value_name = "NAME")]
    pub dataset: Option<DatasetName>,

    /// The named data set's folder [default: /usr/share/datasets/fashion-mnist]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The IDX label file of an IDX image file (found beside it when its name follows the
    /// MNIST pattern)
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,

    /// The file's format [default: idx when the name has -idx and -ubyte, else csv]
    #[arg(long, value_enum)]
    pub format: Option<DataFormat>,

    #[command(flatten)]
    pub csv: CsvArgs,
}

impl InputArgs {
    /// The source named by `file` or `--dataset`.
    pub fn source(&self, file: Option<&Path>, flag: &str) -> anyhow::Result<Source> {
        match (file, self.dataset) {
            (Some(f), None) => Ok(Source::file(f, self.labels.as_deref(), self.format)),
            (None, Some(DatasetName::Mnist)) if self.data_dir.is_none() => {
                anyhow::bail!("--dataset mnist needs its folder: --data-dir DIR")
            }
            (None, Some(name)) => {
                let dir = self.data_dir.as_deref();
                Ok(Source::dataset(name, dir, MnistSplit::Test))
            }
            (Some(_), Some(_)) => anyhow::bail!("give {flag} or --dataset, not both"),
            (None, None) => anyhow::bail!("no data: give {flag} FILE or --dataset NAME"),
        }
    }
}

/// Loads a model file, naming it on failure.
pub fn load_model(path: &Path) -> anyhow::Result<SavedModel> {
    SavedModel::load(path).with_context(|| format!("cannot load model {}", path.display()))
}

/// Reads `source` for `model`: CSV as the model was trained on unless `csv` says
/// otherwise, a label column only when the width says there is one; then scaled.
pub fn read_for_model<T: Float>(
    model: &SavedModel,
    source: &Source,
    csv: &CsvArgs,
) -> anyhow::Result<Table<T>> {
    let mut options = model.config.data.csv.clone();
    csv.apply(&mut options);
    let n_inputs = model.architecture().n_inputs;
    let mut table: Table<T> = source
        .read(&options, Some(n_inputs))
        .with_context(|| format!("cannot read {}", source.describe()))?;
    if table.features.cols() != n_inputs {
        anyhow::bail!(
            "{}: {} features, the model takes {n_inputs}",
            source.describe(),
            table.features.cols()
        );
    }
    model.scaler.apply(&mut table.features)?;
    Ok(table)
}

/// `true` when the error is a closed pipe on stdout (`… | head`): not worth a message.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The rows of a matrix as strings, each value as the shortest text that reads back to it.
pub fn row_text<T: Float>(x: &Matrix<T>, i: usize) -> impl Iterator<Item = String> + '_ {
    x.row(i).iter().map(|v| v.to_string())
}
