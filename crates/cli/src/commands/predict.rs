//! `layerwise predict MODEL --input DATA`: one CSV line per row, the predicted class and
//! the probability of every class.

use super::{load_model, read_for_model, row_text, InputArgs};
use anyhow::Context;
use clap::Args;
use layerwise_cli::model_file::SavedModel;
use layerwise_cli::network::{self, AnyNetwork, Network};
use layerwise_cli::table::Source;
use layerwise_cli::Error;
use layerwise_layers::argmax_rows;
use layerwise_linalg::Float;
use std::io::Write;
use std::path::PathBuf;

/// Predict with a classifier: a header `label,<class names…>`, then for each row its most
/// probable class and every class's probability (each value printed so that it reads back
/// to the same float).
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The model file
    pub model: PathBuf,

    /// The rows: CSV (with or without the label column), or an IDX image file
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub data: InputArgs,

    /// Write the CSV to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Runs `layerwise predict`.
pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    if !model.kind().is_classifier() {
        return Err(Error::NotAClassifier {
            kind: model.kind().name(),
        }
        .into());
    }
    let source = args.data.source(args.input.as_deref(), "--input")?;
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(out));
    match &model.network {
        AnyNetwork::F32(n) => predict(args, &model, n, &source, &mut writer),
        AnyNetwork::F64(n) => predict(args, &model, n, &source, &mut writer),
    }
}

fn predict<T: Float, W: Write>(
    args: &PredictArgs,
    model: &SavedModel,
    network: &Network<T>,
    source: &Source,
    writer: &mut csv::Writer<W>,
) -> anyhow::Result<()> {
    let table = read_for_model::<T>(model, source, &args.data.csv)?;
    let probs = network::probabilities(network, &table.features)?;
    let labels = argmax_rows(&probs);
    let header = std::iter::once("label").chain(model.classes.iter().map(String::as_str));
    writer.write_record(header).map_err(csv_io)?;
    for (i, &label) in labels.iter().enumerate() {
        let name = std::iter::once(model.classes[label].clone());
        writer
            .write_record(name.chain(row_text(&probs, i)))
            .map_err(csv_io)?;
    }
    writer.flush()?;
    Ok(())
}

/// A CSV writer's error, with the I/O error underneath when there is one (so that a closed
/// pipe is recognised).
fn csv_io(e: csv::Error) -> anyhow::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io.into(),
        kind => anyhow::anyhow!("cannot write CSV: {kind:?}"),
    }
}
