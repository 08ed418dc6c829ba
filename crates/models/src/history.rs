//! What training reports back, epoch by epoch.

use layerwise_layers::RbmMonitor;

/// One epoch of greedy pretraining of one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct PretrainEpoch {
    /// The layer trained, 0 being the bottom one.
    pub layer: usize,
    /// The epoch, from 0.
    pub epoch: usize,
    /// Mean over the rows of the epoch of the layer's training error, each minibatch
    /// measured before its step: for an RBM the squared reconstruction error
    /// Σᵢ (vᵢ − p(vᵢ | h))², for a denoising autoencoder its loss (cross-entropy or
    /// squared error) between the clean input and the reconstruction of its corrupted copy.
    pub error: f64,
    /// Denoising autoencoders only, when monitored (`Sda::pretrain_monitored`): the mean
    /// reconstruction loss of the clean training rows after the epoch, each row its own
    /// uncorrupted input. `None` otherwise, and always for an RBM.
    pub train_reconstruction: Option<f64>,
    /// Denoising autoencoders only: the same for the validation rows, when monitored with a
    /// validation set. `None` otherwise, and always for an RBM.
    pub validation_reconstruction: Option<f64>,
    /// For an RBM with monitoring on ([`crate::RbmMonitorConfig`]): free energies, the
    /// pseudo-likelihood and, with AIS, ln Ẑ and the log-likelihoods, measured after the
    /// epoch. `None` otherwise.
    pub monitor: Option<RbmMonitor>,
}

/// One epoch of supervised training.
#[derive(Clone, Debug, PartialEq)]
pub struct FinetuneEpoch {
    /// The epoch, from 0.
    pub epoch: usize,
    /// The learning rate used in this epoch.
    pub learning_rate: f64,
    /// Mean cross-entropy over the minibatches of the epoch, each measured before its step.
    pub train_loss: f64,
    /// Loss and accuracy on the validation set after the epoch, when one was given.
    pub validation: Option<Validation>,
    /// The epoch with the lowest validation loss so far (this one included), when a
    /// validation set was given. Under early stopping its weights are those the model
    /// keeps at the end.
    pub best_epoch: Option<usize>,
    /// `true` on the last record when early stopping ended training before the configured
    /// number of epochs.
    pub stopped_early: bool,
}

/// A model's performance on held-out data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Validation {
    /// Mean cross-entropy.
    pub loss: f64,
    /// Fraction of rows classified correctly, in [0, 1].
    pub accuracy: f64,
    /// `Some(c)` when the model predicted class c for every row although the rows belong to
    /// more than one class: its predictions have collapsed to a single class (see
    /// [`collapsed_class`]). `None` otherwise.
    pub single_class: Option<usize>,
}

/// The class every prediction falls into, when the predictions have collapsed to one class
/// while the true `labels` hold at least two; `None` when the predictions vary, when the
/// labels are all one class (predicting it is then right), or when there are no rows.
///
/// # Examples
/// ```
/// use layerwise_models::collapsed_class;
/// assert_eq!(collapsed_class(&[2, 2, 2], &[0, 1, 2]), Some(2));
/// assert_eq!(collapsed_class(&[2, 1, 2], &[0, 1, 2]), None);
/// assert_eq!(collapsed_class(&[1, 1], &[1, 1]), None);
/// ```
pub fn collapsed_class(predicted: &[usize], labels: &[usize]) -> Option<usize> {
    let (&first, rest) = predicted.split_first()?;
    let one_prediction = rest.iter().all(|&p| p == first);
    let several_classes = labels.iter().any(|&y| y != labels[0]);
    (one_prediction && several_classes).then_some(first)
}
