//! Training that can stop between two minibatches and carry on later exactly where it was.
//!
//! Every training loop of this crate can be asked, after each minibatch and after each
//! epoch, whether to stop ([`Interruptible::stop`]). When it stops it returns a [`Pause`]:
//! everything besides the model's parameters and the caller's generator that the rest of
//! the run depends on: the epoch under way, its shuffled order and how far it got, the
//! running loss, the optimiser's state (velocities, persistent chains, the best weights so
//! far) and the learning rate. Given back with the same model, data and generator, the
//! loop goes on as if it had never stopped: the trained bits are the same.
//!
//! The caller owns the generator, so it saves and restores it itself (a `ChaCha8Rng` is
//! exactly its seed, stream and word position). Only what a loop sets up from the data is
//! rebuilt on resuming: the mean activations an SDA layer trains on, the frozen features
//! of top-only fine-tuning.

use crate::error::{Error, Result};
use layerwise_linalg::Matrix;
use rand_chacha::ChaCha8Rng;

/// Where a training loop is when it asks whether to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct At {
    /// The layer being pretrained (0 is the bottom one); `None` in fine-tuning.
    pub layer: Option<usize>,
    /// The epoch (0-based) of that layer or of fine-tuning.
    pub epoch: usize,
    /// Rows of the epoch trained on so far.
    pub rows_done: usize,
    /// `true` once the epoch is complete: trained, checked, measured and reported.
    pub end_of_epoch: bool,
}

/// A training loop stopped between two minibatches, or between two epochs.
///
/// `epoch` is the epoch under way; an empty `order` means it has not begun (its order is
/// drawn when training resumes, as it would have been).
#[derive(Clone, Debug, PartialEq)]
pub struct Pause<T> {
    /// The layer being pretrained; `None` when fine-tuning.
    pub layer: Option<usize>,
    /// The epoch under way (0-based).
    pub epoch: usize,
    /// This epoch's shuffled row order, or empty before it begins.
    pub order: Vec<usize>,
    /// Rows of `order` already trained on.
    pub rows_done: usize,
    /// The sum over those rows' minibatches of each minibatch's error (or loss) × rows.
    pub loss_sum: f64,
    /// The optimiser's state by name: an RBM's `velocity.weight`, `velocity.hidden_bias`,
    /// `velocity.visible_bias` and `chains`; fine-tuning's `velocity.ℓ.weight` and
    /// `velocity.ℓ.bias` (ℓ = the number of hidden layers is the logistic layer) and the
    /// best epoch's weights under early stopping, `best.ℓ.weight` and `best.ℓ.bias`.
    /// Vectors are one-row matrices.
    pub tensors: Vec<(String, Matrix<T>)>,
    /// Fine-tuning: the learning rate after the per-epoch decay, before the schedule.
    pub learning_rate: f64,
    /// Fine-tuning: the best validation loss so far (∞ before any).
    pub best_loss: f64,
    /// Fine-tuning: the epoch of `best_loss`.
    pub best_epoch: Option<usize>,
    /// Pretraining with RBM monitoring: the measurements' generator when the paused layer
    /// began (its measured rows are drawn again from it) and, once they are drawn, where it
    /// is now.
    pub monitor_rng: Option<(ChaCha8Rng, Option<ChaCha8Rng>)>,
}

impl<T> Pause<T> {
    /// A pause before `epoch` of `layer` begins, with no optimiser state yet.
    pub(crate) fn before(layer: Option<usize>, epoch: usize) -> Self {
        Pause {
            layer,
            epoch,
            order: Vec::new(),
            rows_done: 0,
            loss_sum: 0.0,
            tensors: Vec::new(),
            learning_rate: 0.0,
            best_loss: f64::INFINITY,
            best_epoch: None,
            monitor_rng: None,
        }
    }

    /// Takes the tensor `name` out of the pause, or `None` when it has none.
    pub(crate) fn take(&mut self, name: &str) -> Option<Matrix<T>> {
        let i = self.tensors.iter().position(|(n, _)| n == name)?;
        Some(self.tensors.swap_remove(i).1)
    }

    /// `Err` naming the first tensor left over once a loop has taken what it uses.
    pub(crate) fn check_all_taken(&self) -> Result<()> {
        match self.tensors.first() {
            None => Ok(()),
            Some((name, _)) => Err(bad(
                "tensors",
                format!("{name} is not part of this training's state"),
            )),
        }
    }
}

/// How a training call may be interrupted and where it starts.
pub struct Interruptible<'a, T> {
    /// Where to carry on; `None` starts from the beginning.
    pub from: Option<Pause<T>>,
    /// Asked after every minibatch (but an epoch's last) and after every epoch (but the
    /// run's last); `true` stops there and returns a [`Pause`].
    pub stop: &'a mut dyn FnMut(At) -> bool,
}

impl<T> Interruptible<'_, T> {
    /// Runs `f` with a call that starts from the beginning and never stops.
    pub(crate) fn never<V>(f: impl FnOnce(Interruptible<'_, T>) -> V) -> V {
        f(Interruptible {
            from: None,
            stop: &mut |_| false,
        })
    }
}

/// The error for a pause that does not fit the training it is given to.
pub(crate) fn bad(field: &'static str, reason: String) -> Error {
    Error::BadPause { field, reason }
}

/// Checks a resumed epoch's order against the rows it will train on: a permutation of
/// 0..n_rows (or empty, before the epoch begins), with `rows_done` within it.
pub(crate) fn check_progress<T>(pause: &Pause<T>, n_rows: usize) -> Result<()> {
    if pause.order.is_empty() {
        if pause.rows_done != 0 {
            let reason = format!("{} rows done before the epoch began", pause.rows_done);
            return Err(bad("rows_done", reason));
        }
        return Ok(());
    }
    if pause.order.len() != n_rows {
        let reason = format!("{} rows, the training data has {n_rows}", pause.order.len());
        return Err(bad("order", reason));
    }
    let mut seen = vec![false; n_rows];
    for &i in &pause.order {
        if i >= n_rows || std::mem::replace(&mut seen[i], true) {
            let reason = format!("row {i} is out of range or repeated: not a permutation");
            return Err(bad("order", reason));
        }
    }
    if pause.rows_done > n_rows {
        let reason = format!("{} of {n_rows} rows", pause.rows_done);
        return Err(bad("rows_done", reason));
    }
    Ok(())
}

/// Checks a state tensor's shape.
pub(crate) fn check_shape<T: layerwise_linalg::Float>(
    name: &str,
    m: &Matrix<T>,
    rows: usize,
    cols: usize,
) -> Result<()> {
    if (m.rows(), m.cols()) == (rows, cols) {
        return Ok(());
    }
    Err(bad(
        "tensors",
        format!(
            "{name} is {} × {}, this layer's needs {rows} × {cols}",
            m.rows(),
            m.cols()
        ),
    ))
}
