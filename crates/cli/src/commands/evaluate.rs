//! `layerwise evaluate MODEL --test DATA`: the classification report, the confusion matrix
//! and, with `--metrics-json`, the same figures for machines.

use super::{load_model, read_for_model, InputArgs};
use anyhow::Context;
use clap::Args;
use layerwise_cli::model_file::SavedModel;
use layerwise_cli::network::{self, AnyNetwork, Network};
use layerwise_cli::table::{Classes, Source};
use layerwise_cli::Error;
use layerwise_layers::{argmax_rows, LogisticRegression};
use layerwise_linalg::Float;
use layerwise_metrics::{Averages, ConfusionMatrix, Report};
use serde::Serialize;
use std::path::PathBuf;

/// Evaluate a classifier on labelled data: per-class precision, recall, F1 and support,
/// the accuracy, the macro and weighted averages, and the confusion matrix.
#[derive(Args, Debug)]
pub struct EvaluateArgs {
    /// The model file
    pub model: PathBuf,

    /// Labelled data: CSV, or an IDX image file
    #[arg(long, value_name = "FILE")]
    pub test: Option<PathBuf>,

    #[command(flatten)]
    pub input: InputArgs,

    /// Also write the figures to this file as JSON
    #[arg(long, value_name = "FILE")]
    pub metrics_json: Option<PathBuf>,
}

/// The figures of one evaluation, as `--metrics-json` writes them.
#[derive(Serialize)]
struct Metrics {
    model: String,
    data: String,
    n_samples: usize,
    accuracy: f64,
    /// Mean cross-entropy of the true classes.
    loss: f64,
    classes: Vec<ClassMetrics>,
    macro_avg: AverageMetrics,
    weighted_avg: AverageMetrics,
    /// Counts, rows the true class and columns the predicted one.
    confusion_matrix: Vec<Vec<usize>>,
}

#[derive(Serialize)]
struct ClassMetrics {
    name: String,
    precision: f64,
    recall: f64,
    f1: f64,
    support: usize,
}

#[derive(Serialize)]
struct AverageMetrics {
    precision: f64,
    recall: f64,
    f1: f64,
    support: usize,
}

impl AverageMetrics {
    fn new(a: Averages, support: usize) -> Self {
        AverageMetrics {
            precision: a.precision,
            recall: a.recall,
            f1: a.f1,
            support,
        }
    }
}

/// Runs `layerwise evaluate`.
pub fn run(args: &EvaluateArgs) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    if !model.kind().is_classifier() {
        return Err(Error::NotAClassifier {
            kind: model.kind().name(),
        }
        .into());
    }
    let source = args.input.source(args.test.as_deref(), "--test")?;
    let metrics = match &model.network {
        AnyNetwork::F32(n) => evaluate(args, &model, n, &source)?,
        AnyNetwork::F64(n) => evaluate(args, &model, n, &source)?,
    };
    if let Some(path) = &args.metrics_json {
        let text = serde_json::to_string_pretty(&metrics)? + "\n";
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn evaluate<T: Float>(
    args: &EvaluateArgs,
    model: &SavedModel,
    network: &Network<T>,
    source: &Source,
) -> anyhow::Result<Metrics> {
    let table = read_for_model::<T>(model, source, &args.input.csv)?;
    let Some(labels) = &table.labels else {
        return Err(Error::NoLabels {
            path: table.path.clone(),
            needed_for: "evaluation (a label column, or an IDX label file)",
        }
        .into());
    };
    let classes = Classes::new(model.classes.clone());
    let truth = classes.encode(labels, &table.path)?;
    let probs = network::probabilities(network, &table.features)?;
    let predicted = argmax_rows(&probs);
    let loss = LogisticRegression::cross_entropy(&probs, &truth).to_f64();
    let cm = ConfusionMatrix::from_labels(&truth, &predicted, classes.len())?;
    let names: Vec<&str> = classes.names().iter().map(String::as_str).collect();
    let report = Report::new(&cm, Some(&names))?;

    println!(
        "{} on {}: {} rows, accuracy {:.2} %, mean cross-entropy {loss:.4}\n",
        args.model.display(),
        source.describe(),
        cm.total(),
        100.0 * cm.accuracy()
    );
    println!("{report}");
    println!("confusion matrix (rows: true class, columns: predicted class)\n");
    print!("{}", report.confusion_table());

    let n = classes.len();
    Ok(Metrics {
        model: args.model.display().to_string(),
        data: source.describe(),
        n_samples: cm.total(),
        accuracy: cm.accuracy(),
        loss,
        classes: (0..n)
            .map(|c| ClassMetrics {
                name: classes.names()[c].clone(),
                precision: cm.precision(c),
                recall: cm.recall(c),
                f1: cm.f1(c),
                support: cm.support(c),
            })
            .collect(),
        macro_avg: AverageMetrics::new(cm.macro_average(), cm.total()),
        weighted_avg: AverageMetrics::new(cm.weighted_average(), cm.total()),
        confusion_matrix: (0..n)
            .map(|t| (0..n).map(|p| cm.count(t, p)).collect())
            .collect(),
    })
}
