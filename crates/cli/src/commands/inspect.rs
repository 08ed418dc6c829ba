//! `layerwise inspect MODEL`: the architecture, the tensors, the classes, the scaling, the
//! recorded metrics and the training configuration (as TOML that `--config` reads); for a
//! training checkpoint, also where its training stopped.

use super::load_model;
use clap::Args;
use layerwise_cli::checkpoint::Checkpoint;
use layerwise_cli::config::ModelKind;
use layerwise_cli::model_file::{SavedModel, FORMAT_VERSION};
use layerwise_cli::record::TrainingRecord;
use layerwise_cli::Error;
use std::path::PathBuf;

/// Describe a model file or a training checkpoint.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The model file (or a checkpoint of `train --checkpoint-every`)
    pub model: PathBuf,

    /// Print the file's metadata as one JSON object instead
    #[arg(long)]
    pub json: bool,
}

/// Runs `layerwise inspect`.
pub fn run(args: &InspectArgs) -> anyhow::Result<()> {
    let (model, stopped) = match Checkpoint::load(&args.model) {
        Ok(c) => {
            let stopped = c.where_stopped();
            (c.model, Some(stopped))
        }
        Err(Error::WrongFileKind { .. }) => (load_model(&args.model)?, None),
        Err(e) => {
            let path = args.model.display();
            return Err(anyhow::Error::new(e).context(format!("cannot load {path}")));
        }
    };
    if args.json {
        let mut meta: serde_json::Map<String, serde_json::Value> = model
            .metadata()
            .into_iter()
            .map(|(k, v)| {
                let value = serde_json::from_str(&v).unwrap_or(serde_json::Value::String(v));
                (k, value)
            })
            .collect();
        if let Some(stopped) = stopped {
            meta.insert("checkpoint".into(), stopped.into());
        }
        println!("{}", serde_json::to_string_pretty(&meta)?);
        return Ok(());
    }
    print!("{}", describe(&model, &args.model));
    if let Some(stopped) = stopped {
        let path = layerwise_cli::shell_quoted(&args.model);
        println!("\ncheckpoint: {stopped}; carry on with `layerwise train --resume {path}`");
    }
    Ok(())
}

fn describe(model: &SavedModel, path: &std::path::Path) -> String {
    let kind = model.kind();
    let arch = model.architecture();
    let decoder = model.config.pretrain.decoder;
    let shapes = arch.tensor_shapes(kind, decoder);
    let n_params: usize = shapes
        .iter()
        .map(|(_, s)| s.iter().product::<usize>())
        .sum();
    let mut out = format!(
        "{}: layerwise model, format version {FORMAT_VERSION}\n",
        path.display()
    );
    out += &format!("kind: {kind} ({})\n", long_name(kind));
    out += &format!(
        "architecture: {} ({n_params} parameters, {})\n",
        arch.arrows(),
        model.dtype().name()
    );
    out += "tensors:\n";
    for (name, shape) in &shapes {
        out += &format!("  {name:<24} {shape:?}\n");
    }
    if !model.classes.is_empty() {
        out += &format!("classes: {}\n", model.classes.join(", "));
    }
    out += &format!("scaling: {}\n", model.scaler);
    out += &metrics(&model.record);
    out += "\nconfiguration:\n";
    out += &relevant_config(model);
    out
}

fn long_name(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Dbn => "Deep Belief Net",
        ModelKind::Sda => "Stacked Denoising Autoencoder",
        ModelKind::Rbm => "Restricted Boltzmann Machine",
        ModelKind::Da => "denoising autoencoder",
        ModelKind::Mlp => "multilayer perceptron",
        ModelKind::Logistic => "softmax regression",
    }
}

/// The recorded epochs, one line each.
fn metrics(r: &TrainingRecord) -> String {
    let mut out = format!(
        "training: {} rows, {} validation rows{}\n",
        r.n_train,
        r.n_validation,
        time(r.seconds)
    );
    for e in &r.pretrain {
        out += &format!(
            "  pretrain layer {} epoch {}: error {:.4}",
            e.layer + 1,
            e.epoch + 1,
            e.error
        );
        if let Some(t) = e.train_reconstruction {
            out += &format!(", clean {t:.4}");
        }
        if let Some(v) = e.validation_reconstruction {
            out += &format!(", validation {v:.4}");
        }
        out += &time(e.seconds);
        out += "\n";
    }
    for e in &r.finetune {
        out += &format!("  finetune epoch {}: loss {:.4}", e.epoch + 1, e.train_loss);
        if let (Some(l), Some(a)) = (e.validation_loss, e.validation_accuracy) {
            out += &format!(", validation loss {l:.4}, accuracy {:.2} %", 100.0 * a);
        }
        out += &time(e.seconds);
        out += "\n";
    }
    out
}

/// ` (1.2 s)`, for the older model files that recorded wall times; saved models have none.
fn time(seconds: Option<f64>) -> String {
    seconds.map_or(String::new(), |s| format!(" ({s:.1} s)"))
}

/// The configuration as TOML, without the sections the kind does not use.
fn relevant_config(model: &SavedModel) -> String {
    let kind = model.kind();
    let mut table: toml::Table = toml::from_str(&model.config.to_toml()).unwrap_or_default();
    if !kind.pretrains() {
        table.remove("pretrain");
    }
    if !kind.is_classifier() {
        table.remove("finetune");
    }
    toml::to_string(&table).unwrap_or_default()
}
