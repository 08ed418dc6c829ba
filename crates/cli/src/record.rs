//! What a training run records, epoch by epoch, and how a caller watches it.
//!
//! The models report each epoch to a callback; [`crate::network::train`] turns those
//! reports into [`EpochRecord`]s with the epoch's wall time, passes each to an
//! [`Observer`] (the command draws progress bars and writes `--log-json` lines from them)
//! and keeps them all in the [`TrainingRecord`] saved with the model.
//!
//! Wall times are for people watching a run: the log lines and the summary have them, but
//! [`TrainingRecord::without_times`] drops them before the record is saved, so that the
//! same seed and settings give a model file identical byte for byte.

use layerwise_models::{At, FinetuneEpoch, PretrainEpoch};
use serde::{Deserialize, Serialize};

/// One epoch of greedy pretraining of one layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PretrainRecord {
    /// The layer, 0 being the bottom one.
    pub layer: usize,
    /// The epoch, from 0.
    pub epoch: usize,
    /// The epoch's mean training error: an RBM's squared reconstruction error, a dA's loss.
    pub error: f64,
    /// A monitored dA's reconstruction loss of the clean training rows.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub train_reconstruction: Option<f64>,
    /// A monitored dA's reconstruction loss of the validation rows.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub validation_reconstruction: Option<f64>,
    /// Wall time of the epoch, in seconds (`None` in a saved model).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub seconds: Option<f64>,
}

/// One epoch of supervised training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FinetuneRecord {
    /// The epoch, from 0.
    pub epoch: usize,
    /// The learning rate of the epoch.
    pub learning_rate: f64,
    /// Mean cross-entropy over the epoch's minibatches, each before its step.
    pub train_loss: f64,
    /// Mean cross-entropy on the validation rows after the epoch.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub validation_loss: Option<f64>,
    /// Accuracy on the validation rows after the epoch, in [0, 1].
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub validation_accuracy: Option<f64>,
    /// The epoch with the lowest validation loss so far, when there are validation rows.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub best_epoch: Option<usize>,
    /// `true` on the last epoch when early stopping ended training there.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub stopped_early: bool,
    /// Wall time of the epoch, in seconds (`None` in a saved model).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub seconds: Option<f64>,
}

impl PretrainRecord {
    /// The model's report with the epoch's wall time.
    pub fn new(e: &PretrainEpoch, seconds: f64) -> Self {
        PretrainRecord {
            layer: e.layer,
            epoch: e.epoch,
            error: e.error,
            train_reconstruction: e.train_reconstruction,
            validation_reconstruction: e.validation_reconstruction,
            seconds: Some(seconds),
        }
    }
}

impl FinetuneRecord {
    /// The model's report with the epoch's wall time.
    pub fn new(e: &FinetuneEpoch, seconds: f64) -> Self {
        FinetuneRecord {
            epoch: e.epoch,
            learning_rate: e.learning_rate,
            train_loss: e.train_loss,
            validation_loss: e.validation.map(|v| v.loss),
            validation_accuracy: e.validation.map(|v| v.accuracy),
            best_epoch: e.best_epoch,
            stopped_early: e.stopped_early,
            seconds: Some(seconds),
        }
    }
}

/// One epoch of either phase, as one `--log-json` line: `{"phase":"pretrain",…}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "kebab-case")]
pub enum EpochRecord {
    /// Pretraining.
    Pretrain(PretrainRecord),
    /// Supervised training.
    Finetune(FinetuneRecord),
}

/// A phase about to start, so that a progress display can open a bar for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Pretraining of one layer.
    Pretrain {
        /// The layer, from 0.
        layer: usize,
        /// The number of layers pretrained.
        n_layers: usize,
        /// The epochs of each.
        epochs: usize,
    },
    /// Supervised training.
    Finetune {
        /// Its epochs.
        epochs: usize,
    },
}

/// Watches a training run. Every method does nothing by default.
pub trait Observer {
    /// A phase starts (only phases with at least one epoch).
    fn phase_started(&mut self, _phase: Phase) {}

    /// An epoch ended.
    fn epoch(&mut self, _record: &EpochRecord) {}

    /// A minibatch ended (not an epoch's last): `at.rows_done` of the epoch's `n_rows`.
    fn minibatch(&mut self, _at: At, _n_rows: usize) {}
}

/// An observer that watches nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unobserved;

impl Observer for Unobserved {}

/// Everything a training run recorded; saved with the model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// Rows trained on.
    pub n_train: usize,
    /// Rows validated on (0 without validation).
    pub n_validation: usize,
    /// Every pretraining epoch, layer by layer.
    pub pretrain: Vec<PretrainRecord>,
    /// Every supervised epoch.
    pub finetune: Vec<FinetuneRecord>,
    /// Wall time of the whole training, in seconds (`None` in a saved model).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub seconds: Option<f64>,
}

impl TrainingRecord {
    /// The record without its wall times: what a model file keeps.
    pub fn without_times(mut self) -> TrainingRecord {
        self.seconds = None;
        self.pretrain.iter_mut().for_each(|e| e.seconds = None);
        self.finetune.iter_mut().for_each(|e| e.seconds = None);
        self
    }
}
