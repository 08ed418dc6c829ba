//! layerwise: Restricted Boltzmann Machines and denoising autoencoders, stacked greedily into
//! Deep Belief Nets and Stacked Denoising Autoencoders, fine-tuned into classifiers. Every
//! matrix kernel and learning rule is written from scratch in the crates re-exported here:
//!
//! - [`linalg`]: the row-major [`linalg::Matrix`] and its GEMM;
//! - [`layers`]: RBM, denoising autoencoder, sigmoid and softmax layers;
//! - [`models`]: [`models::Dbn`], [`models::Sda`] and the [`models::Mlp`] baseline;
//! - [`data`]: the book's synthetic data, [`data::Dataset`], minibatches, the IDX loader;
//! - [`metrics`]: confusion matrix, precision, recall, F1 and a report.
//!
//! One seeded ChaCha generator ([`seeded_rng`]) is threaded through every random step, so a
//! run repeats bit for bit.
//!
//! ```
//! use layerwise::data::{book_experiment, SyntheticConfig};
//! use layerwise::models::{Classifier, Sda, SdaConfig};
//!
//! let mut rng = layerwise::seeded_rng(7);
//! let data = book_experiment::<f32, _>(&SyntheticConfig::default(), &mut rng).unwrap();
//! let mut config = SdaConfig::default();
//! config.pretrain.epochs = 20;
//! config.finetune.epochs = 50;
//! let mut sda = Sda::new(60, 3, &config, &mut rng).unwrap();
//! sda.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
//! sda.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
//! let predicted = sda.predict(data.test.features()).unwrap();
//! let cm = layerwise::metrics::ConfusionMatrix::from_labels(data.test.labels(), &predicted, 3)
//!     .unwrap();
//! assert!(cm.accuracy() > 0.9);
//! ```
#![deny(missing_docs)]

pub use layerwise_data as data;
pub use layerwise_layers as layers;
pub use layerwise_linalg as linalg;
pub use layerwise_metrics as metrics;
pub use layerwise_models as models;

use layerwise_metrics::ConfusionMatrix;
use rand::SeedableRng;

/// The generator every example and test uses: ChaCha with 8 rounds.
pub type Rng = rand_chacha::ChaCha8Rng;

/// A [`Rng`] seeded from a `u64`: the same seed gives the same stream on every machine.
pub fn seeded_rng(seed: u64) -> Rng {
    Rng::seed_from_u64(seed)
}

/// The evaluation block the book's demos print: a title, the accuracy, then the precision and
/// the recall of each class (numbered from 1), as percentages.
///
/// # Examples
/// ```
/// let cm = layerwise::metrics::ConfusionMatrix::from_labels(&[0, 1], &[0, 1], 2).unwrap();
/// let text = layerwise::book_evaluation("DBN model evaluation", &cm);
/// assert!(text.contains("Accuracy: 100.0 %"));
/// assert!(text.contains(" class 2: 100.0 %"));
/// ```
pub fn book_evaluation(title: &str, cm: &ConfusionMatrix) -> String {
    let mut out = format!("{title}\n{}\n", "-".repeat(title.len()));
    out += &format!("Accuracy: {:.1} %\n", 100.0 * cm.accuracy());
    out += "Precision:\n";
    for c in 0..cm.n_classes() {
        out += &format!(" class {}: {:.1} %\n", c + 1, 100.0 * cm.precision(c));
    }
    out += "Recall:\n";
    for c in 0..cm.n_classes() {
        out += &format!(" class {}: {:.1} %\n", c + 1, 100.0 * cm.recall(c));
    }
    out
}

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
