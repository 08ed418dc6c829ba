//! What DBN, SDA and MLP share: a stack of sigmoid layers under a logistic layer, its
//! forward pass, its backpropagation, and the greedy pretraining loop.
//!
//! Shapes: x `(n_samples, n_inputs)`; hidden layer ℓ maps `(n_samples, n_ℓ₋₁)` to
//! `(n_samples, n_ℓ)`; the logistic layer ends with `(n_samples, n_classes)`.
//!
//! Both training loops keep their temporaries between minibatches (the layers' workspaces,
//! the gathered batch and its labels, every activation and gradient) and update the weights
//! in place, so in steady state a minibatch allocates nothing. Backpropagation takes each
//! layer's input gradient δ W from its weights before their update. Pretraining can also
//! measure each epoch's reconstruction loss of clean rows ([`Monitor`]), drawing nothing.

use crate::config::{CheckedFinetune, FinetuneMode, Propagation};
use crate::error::{Error, Result};
use crate::history::{collapsed_class, FinetuneEpoch, PretrainEpoch, Validation};
use crate::resume::{bad, check_progress, check_shape, At, Interruptible, Pause};
use layerwise_data::{shuffled_indices, Dataset};
use layerwise_layers::{
    apply_mask, argmax_rows, dropout_mask_into, sample_bernoulli_into, HiddenLayer,
    LogisticRegression, RbmMonitor, SgdStep, Velocity,
};
use layerwise_linalg::{Float, Matrix};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A layer that greedy pretraining can train and that then serves as a hidden layer.
pub(crate) trait Pretrainable<T: Float>: Clone {
    /// The validated per-step hyperparameters.
    type Params;

    /// The temporaries of a training step, reused across minibatches.
    type Workspace: Default;

    /// One training step on a minibatch; returns its error before the step.
    fn train_step<R: Rng + ?Sized>(
        &mut self,
        x: &Matrix<T>,
        p: &Self::Params,
        ws: &mut Self::Workspace,
        rng: &mut R,
    ) -> T;

    /// The weights and hidden bias as a sigmoid layer.
    fn hidden(&self) -> &HiddenLayer<T>;

    /// `Ok(())` when the layer can be trained on the rows `x` (checked for the bottom layer:
    /// those above it see sigmoid outputs in (0, 1)).
    fn check_inputs(&self, x: &Matrix<T>) -> layerwise_layers::Result<()>;

    /// `true` when every parameter is finite: W and b, and the layer's own (a visible
    /// bias, an untied decoder).
    fn is_finite(&self) -> bool;

    /// The mean reconstruction loss of the clean rows x, for a layer that defines one (a
    /// denoising autoencoder); `None` for the others. Draws nothing.
    fn reconstruction_loss(&self, _x: &Matrix<T>, _ws: &mut Self::Workspace) -> Option<f64> {
        None
    }

    /// A fresh workspace for one layer's pretraining.
    fn workspace(_p: &Self::Params) -> Self::Workspace {
        Self::Workspace::default()
    }

    /// Called before each epoch (from 0) of a layer's pretraining.
    fn begin_epoch(_ws: &mut Self::Workspace, _epoch: usize) {}

    /// The training rows to measure after each epoch and the seed of the measurements'
    /// generator; `None` (the default) measures nothing.
    fn monitoring(_p: &Self::Params) -> Option<(usize, u64)> {
        None
    }

    /// What later steps depend on in the workspace (velocities, persistent chains), by
    /// name; nothing (the default) for a layer whose steps depend only on the weights.
    fn save_state(_ws: &Self::Workspace) -> Vec<(String, Matrix<T>)> {
        Vec::new()
    }

    /// Puts what [`Pretrainable::save_state`] saved back into a fresh workspace, taking its
    /// tensors out of `pause` and checking their shapes against the layer.
    fn restore_state(&self, _ws: &mut Self::Workspace, _pause: &mut Pause<T>) -> Result<()> {
        Ok(())
    }

    /// Measurements after an epoch on the layer's inputs for the measured rows.
    fn measure<R: Rng + ?Sized>(
        &self,
        _p: &Self::Params,
        _train: &Matrix<T>,
        _validation: Option<&Matrix<T>>,
        _rng: &mut R,
    ) -> Option<RbmMonitor> {
        None
    }
}

/// What greedy pretraining measures after each epoch of a layer, besides its training error
/// and what the layer's own [`Pretrainable::monitoring`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Monitor {
    /// Nothing more.
    Off,
    /// The layer's reconstruction loss of the clean training rows, and of the validation
    /// rows when given; both propagated through the layers below by their mean
    /// activations, whatever the [`Propagation`], so that monitoring draws nothing and
    /// leaves training unchanged.
    Reconstruction,
}

/// Epochs, minibatch size and propagation of greedy pretraining.
pub(crate) type Schedule = (usize, usize, Propagation);

/// What one greedy pretraining run is given: the layers' parameters, the training rows
/// and the held-out rows, the schedule and the monitoring.
pub(crate) type PretrainSetup<'a, T, P> = (
    &'a P,
    (&'a Matrix<T>, Option<&'a Matrix<T>>),
    Schedule,
    Monitor,
);

/// Greedy layer-wise pretraining: layer ℓ learns from the data propagated through layers
/// 0..ℓ, which are already trained. Each layer gets a fresh workspace; in steady state a
/// minibatch allocates nothing.
///
/// It can stop between minibatches ([`Interruptible`]) and carry on from a [`Pause`];
/// returns the records of the epochs it trained and, if it stopped, where.
///
/// A layer whose training diverges goes back to what it was when this call reached it.
pub(crate) fn pretrain_interruptible<T, L, R, F>(
    layers: &mut [L],
    (params, (data, validation), schedule, monitor): PretrainSetup<'_, T, L::Params>,
    run: Interruptible<'_, T>,
    rng: &mut R,
    on_epoch: &mut F,
) -> Result<(Vec<PretrainEpoch>, Option<Pause<T>>)>
where
    T: Float,
    L: Pretrainable<T>,
    R: Rng + ?Sized,
    F: FnMut(&PretrainEpoch),
{
    let (epochs, batch_size, propagation) = schedule;
    if data.rows() == 0 {
        return Err(Error::EmptyData {
            phase: "pretraining",
        });
    }
    // the training rows only: held-out rows are measured, never trained on
    if let Some(bottom) = layers.first() {
        bottom.check_inputs(data)?;
    }
    let Interruptible { mut from, stop } = run;
    let first = match &from {
        Some(p) => check_pretrain_pause(p, (layers.len(), data.rows()), schedule)?,
        None => 0,
    };
    // measurements draw from their own generator, so they never change training
    let mut measured =
        L::monitoring(params).map(|(rows, seed)| (rows, ChaCha8Rng::seed_from_u64(seed)));
    let mut history = Vec::new();
    let n_layers = layers.len();
    for l in first..n_layers {
        let mut resumed = from.take();
        // the measurements' generator as it was when this layer began, then as it is now
        let now = match (resumed.as_mut(), measured.as_mut()) {
            (Some(p), Some((_, mrng))) => {
                let Some((start, now)) = p.monitor_rng.take() else {
                    let reason = "missing, and this pretraining is monitored".to_string();
                    return Err(bad("monitor_rng", reason));
                };
                *mrng = start;
                now
            }
            _ => None,
        };
        let layer_start = measured.as_ref().map(|(_, mrng)| mrng.clone());
        let (below, rest) = layers.split_at_mut(l);
        let below: Vec<&HiddenLayer<T>> = below.iter().map(|b| b.hidden()).collect();
        let mut probe = measured.as_mut().map(|(rows, mrng)| {
            let probe = Probe::new(&below, (data, validation), *rows, propagation, mrng);
            (probe, mrng)
        });
        if let (Some(now), Some((_, mrng))) = (now, probe.as_mut()) {
            **mrng = now;
        }
        let watched = Watched::new(&below, (data, validation), propagation, monitor);
        let mut inputs = LayerInputs::new(below, data, propagation, batch_size);
        let (layer, mut workspace) = (&mut rest[0], L::workspace(params));
        let (mut start, mut progress) = (0, None);
        if let Some(mut p) = resumed {
            layer.restore_state(&mut workspace, &mut p)?;
            p.check_all_taken()?;
            start = p.epoch;
            progress = EpochProgress::resumed(p);
        }
        // what the layer goes back to should its training diverge (one copy per layer)
        let untrained = layer.clone();
        for epoch in start..epochs {
            L::begin_epoch(&mut workspace, epoch);
            let progress = progress
                .take()
                .unwrap_or_else(|| EpochProgress::fresh(data.rows(), rng));
            let at = |rows_done| At {
                layer: Some(l),
                epoch,
                rows_done,
                end_of_epoch: false,
            };
            let mut ask = |rows| stop(at(rows));
            let batches: Batches<'_> = (batch_size, &mut ask);
            let ws = &mut workspace;
            let error = match train_epoch(layer, params, &mut inputs, ws, progress, batches, rng) {
                EpochEnd::Done(error) => error,
                EpochEnd::Stopped(progress) => {
                    let mut pause = progress.into_pause(Some(l), epoch);
                    pause.tensors = L::save_state(&workspace);
                    let now = probe.as_ref().map(|(_, mrng)| (**mrng).clone());
                    pause.monitor_rng = layer_start.map(|s| (s, now));
                    return Ok((history, Some(pause)));
                }
            };
            if let Err(diverged) = check_finite(error, layer.is_finite(), (l, epoch)) {
                *layer = untrained;
                return Err(diverged);
            }
            let monitor = probe.as_mut().and_then(|(p, mrng)| {
                layer.measure(params, &p.train, p.validation.as_ref(), *mrng)
            });
            let mut record = PretrainEpoch {
                layer: l,
                epoch,
                error,
                train_reconstruction: None,
                validation_reconstruction: None,
                monitor,
            };
            watched.fill(&mut record, layer, &inputs, &mut workspace);
            on_epoch(&record);
            history.push(record);
            let last = epoch + 1 == epochs && l + 1 == n_layers;
            let end = At {
                layer: Some(l),
                epoch,
                rows_done: data.rows(),
                end_of_epoch: true,
            };
            if !last && stop(end) {
                let now = probe.as_ref().map(|(_, mrng)| (**mrng).clone());
                let pause = if epoch + 1 < epochs {
                    let mut pause = Pause::before(Some(l), epoch + 1);
                    pause.tensors = L::save_state(&workspace);
                    pause.monitor_rng = layer_start.map(|s| (s, now));
                    pause
                } else {
                    let mut pause = Pause::before(Some(l + 1), 0);
                    pause.monitor_rng = now.map(|n| (n, None));
                    pause
                };
                return Ok((history, Some(pause)));
            }
        }
    }
    Ok((history, None))
}

/// The layer a pretraining pause resumes, once its layer and epoch are checked against
/// the stack and the schedule.
fn check_pretrain_pause<T>(
    pause: &Pause<T>,
    (n_layers, n_rows): (usize, usize),
    schedule: Schedule,
) -> Result<usize> {
    let (epochs, batch_size, _) = schedule;
    let Some(l) = pause.layer else {
        return Err(bad("layer", "none: the pause is fine-tuning's".into()));
    };
    if l >= n_layers {
        return Err(bad("layer", format!("{l}, the stack has {n_layers}")));
    }
    if pause.epoch >= epochs {
        let reason = format!("{}, pretraining has {epochs} per layer", pause.epoch);
        return Err(bad("epoch", reason));
    }
    check_progress(pause, n_rows)?;
    check_batches(pause, batch_size)?;
    Ok(l)
}

/// `Err` when the rows done do not end a minibatch of `batch_size` rows.
fn check_batches<T>(pause: &Pause<T>, batch_size: usize) -> Result<()> {
    let n = pause.order.len();
    if !pause.rows_done.is_multiple_of(batch_size.max(1)) && pause.rows_done != n {
        let reason = format!(
            "{} rows: not whole minibatches of {batch_size}",
            pause.rows_done
        );
        return Err(bad("rows_done", reason));
    }
    Ok(())
}

/// How far an epoch has gone: its order, the rows trained on, the sum of their errors.
struct EpochProgress {
    order: Vec<usize>,
    rows_done: usize,
    loss_sum: f64,
}

impl EpochProgress {
    /// A new epoch over `n_rows` rows in a freshly shuffled order.
    fn fresh<R: Rng + ?Sized>(n_rows: usize, rng: &mut R) -> Self {
        EpochProgress {
            order: shuffled_indices(n_rows, rng),
            rows_done: 0,
            loss_sum: 0.0,
        }
    }

    /// The epoch a pause stopped in, or `None` when it stopped before the epoch began.
    fn resumed<T>(pause: Pause<T>) -> Option<Self> {
        (!pause.order.is_empty()).then_some(EpochProgress {
            order: pause.order,
            rows_done: pause.rows_done,
            loss_sum: pause.loss_sum,
        })
    }

    /// A pause in `epoch` of `layer` at this point, with no optimiser state yet.
    fn into_pause<T>(self, layer: Option<usize>, epoch: usize) -> Pause<T> {
        let mut pause = Pause::before(layer, epoch);
        pause.order = self.order;
        pause.rows_done = self.rows_done;
        pause.loss_sum = self.loss_sum;
        pause
    }
}

/// How an epoch's minibatches ended: all trained (the mean error), or stopped.
enum EpochEnd {
    Done(f64),
    Stopped(EpochProgress),
}

/// What an epoch's minibatches are: their size, and the question asked after each one
/// but the last (given the rows done), whose `true` stops the epoch.
type Batches<'a> = (usize, &'a mut dyn FnMut(usize) -> bool);

/// `Ok(())` when a layer's epoch error and its parameters (`finite`) are all finite.
fn check_finite(error: f64, finite: bool, at: (usize, usize)) -> Result<()> {
    if error.is_finite() && finite {
        return Ok(());
    }
    Err(Error::NonFinite {
        phase: "pretraining",
        layer: Some(at.0),
        epoch: at.1,
    })
}

/// The rest of an epoch's pass over the data in minibatches: the mean training error, or
/// where it stopped.
fn train_epoch<T, L, R>(
    layer: &mut L,
    params: &L::Params,
    inputs: &mut LayerInputs<'_, T>,
    workspace: &mut L::Workspace,
    progress: EpochProgress,
    (batch_size, stop): Batches<'_>,
    rng: &mut R,
) -> EpochEnd
where
    T: Float,
    L: Pretrainable<T>,
    R: Rng + ?Sized,
{
    assert!(batch_size >= 1, "minibatches of at least one row");
    let n_samples = inputs.data.rows();
    let EpochProgress {
        order,
        mut rows_done,
        loss_sum: mut total,
    } = progress;
    while rows_done < order.len() {
        let idx = &order[rows_done..(rows_done + batch_size).min(order.len())];
        let x = inputs.gather(idx, rng);
        let error = layer.train_step(x, params, workspace, rng);
        total += error.to_f64() * idx.len() as f64;
        rows_done += idx.len();
        if rows_done < order.len() && stop(rows_done) {
            let (loss_sum, order) = (total, order);
            return EpochEnd::Stopped(EpochProgress {
                order,
                rows_done,
                loss_sum,
            });
        }
    }
    EpochEnd::Done(total / n_samples.max(1) as f64)
}

/// The clean rows one layer's reconstruction loss is measured on, when monitoring.
struct Watched<T> {
    /// Whether to measure at all.
    on: bool,
    /// The training rows' mean activations below the layer, when `LayerInputs` keeps none.
    train: Option<Matrix<T>>,
    /// The validation rows' mean activations below the layer, when given.
    validation: Option<Matrix<T>>,
}

impl<T: Float> Watched<T> {
    /// Propagates the clean rows through `below` once (the training rows only when the
    /// layer's inputs are samples, since mean propagation already holds them).
    fn new(
        below: &[&HiddenLayer<T>],
        (data, validation): (&Matrix<T>, Option<&Matrix<T>>),
        propagation: Propagation,
        monitor: Monitor,
    ) -> Self {
        if monitor == Monitor::Off {
            return Watched {
                on: false,
                train: None,
                validation: None,
            };
        }
        let sampled = propagation == Propagation::Sample;
        Watched {
            on: true,
            train: sampled.then(|| forward_means(below, data)),
            validation: validation.map(|v| forward_means(below, v)),
        }
    }

    /// Fills in the record's reconstruction losses when monitoring.
    fn fill<L: Pretrainable<T>>(
        &self,
        record: &mut PretrainEpoch,
        layer: &L,
        inputs: &LayerInputs<'_, T>,
        ws: &mut L::Workspace,
    ) {
        if self.on {
            let train = self.train.as_ref().or(inputs.means.as_ref());
            record.train_reconstruction = train.and_then(|x| layer.reconstruction_loss(x, ws));
            let validation = self.validation.as_ref();
            record.validation_reconstruction =
                validation.and_then(|x| layer.reconstruction_loss(x, ws));
        }
    }
}

/// The rows a layer is measured on, propagated to it once.
struct Probe<T> {
    /// The first training rows, `(subset, n_ℓ)`.
    train: Matrix<T>,
    /// The held-out rows, `(n_validation, n_ℓ)`, when some were given.
    validation: Option<Matrix<T>>,
}

impl<T: Float> Probe<T> {
    /// The first `rows` rows of the data and the held-out rows through `below`.
    fn new<R: Rng + ?Sized>(
        below: &[&HiddenLayer<T>],
        (data, validation): (&Matrix<T>, Option<&Matrix<T>>),
        rows: usize,
        how: Propagation,
        rng: &mut R,
    ) -> Self {
        let first: Vec<usize> = (0..rows.min(data.rows())).collect();
        let train = propagate(below, &data.select_rows(&first), how, rng);
        let validation = validation
            .filter(|v| v.rows() > 0)
            .map(|v| propagate(below, v, how, rng));
        Probe { train, validation }
    }
}

/// x through `layers`: mean activations, or a binary sample drawn layer after layer.
fn propagate<T: Float, R: Rng + ?Sized>(
    layers: &[&HiddenLayer<T>],
    x: &Matrix<T>,
    how: Propagation,
    rng: &mut R,
) -> Matrix<T> {
    match how {
        Propagation::Mean => forward_means(layers, x),
        Propagation::Sample => layers
            .iter()
            .fold(x.clone(), |h, layer| layer.forward_sample(&h, rng)),
    }
}

/// The minibatches one layer is pretrained on, gathered and propagated into reused buffers.
struct LayerInputs<'a, T> {
    /// The trained layers below, bottom first.
    below: Vec<&'a HiddenLayer<T>>,
    /// The unlabelled data `(n_samples, n_inputs)`.
    data: &'a Matrix<T>,
    /// Mean activations of the top of `below` for every row, when propagating means.
    means: Option<Matrix<T>>,
    /// When propagating samples: p(h | x) of the bottom layer for every row, and the
    /// minibatch size it was computed for (see [`bottom_probabilities`]).
    bottom: Option<(Matrix<T>, usize)>,
    /// The gathered rows, then each layer's sample in turn, `(B, ·)`.
    batch: Matrix<T>,
    /// The probabilities a sample is drawn from, `(B, ·)`.
    probs: Matrix<T>,
    /// Where the next sample is drawn, swapped with `batch`, `(B, ·)`.
    spare: Matrix<T>,
}

impl<'a, T: Float> LayerInputs<'a, T> {
    /// Buffers for the layer above `below`, for minibatches of `batch_size` rows. Mean
    /// activations are computed once here; so are the bottom layer's probabilities when
    /// propagating samples, since only the draws from them change between epochs.
    fn new(
        below: Vec<&'a HiddenLayer<T>>,
        data: &'a Matrix<T>,
        how: Propagation,
        batch_size: usize,
    ) -> Self {
        let means = (how == Propagation::Mean).then(|| forward_means(&below, data));
        let bottom = match (how, below.first()) {
            (Propagation::Sample, Some(layer)) => {
                let chunk = batch_size.clamp(1, data.rows().max(1));
                Some((bottom_probabilities(layer, data, chunk), chunk))
            }
            _ => None,
        };
        let empty = || Matrix::zeros(0, 0);
        LayerInputs {
            below,
            data,
            means,
            bottom,
            batch: empty(),
            probs: empty(),
            spare: empty(),
        }
    }

    /// The layer's input for the rows `idx`: gathered mean activations, or binary samples
    /// drawn afresh layer after layer, each from p(h | the sample below).
    fn gather<R: Rng + ?Sized>(&mut self, idx: &[usize], rng: &mut R) -> &Matrix<T> {
        if let Some(means) = &self.means {
            means.select_rows_into(idx, &mut self.batch);
            return &self.batch;
        }
        let mut above = &self.below[..];
        match &self.bottom {
            // a minibatch of the size the probabilities were computed at: they are the
            // bits the bottom layer would compute for it, so only the draw is left
            Some((probs, chunk)) if idx.len() == *chunk => {
                probs.select_rows_into(idx, &mut self.probs);
                sample_bernoulli_into(&self.probs, &mut self.batch, rng);
                above = &above[1..];
            }
            _ => self.data.select_rows_into(idx, &mut self.batch),
        }
        for layer in above {
            layer.forward_sample_into(&self.batch, &mut self.probs, &mut self.spare, rng);
            std::mem::swap(&mut self.batch, &mut self.spare);
        }
        &self.batch
    }
}

/// p(h | x) of `layer` for every row of `data`, computed `chunk` rows at a time (the last
/// chunk ends at the last row and overlaps the one before it), so that every row's
/// probabilities come out of a product of exactly `chunk` rows.
///
/// Which GEMM path a product takes depends on its shape, and each path has its own
/// rounding; a row of a minibatch of `chunk` rows gets these very bits, so drawing from them
/// draws what computing them afresh would (tested below, on both paths).
fn bottom_probabilities<T: Float>(
    layer: &HiddenLayer<T>,
    data: &Matrix<T>,
    chunk: usize,
) -> Matrix<T> {
    let (n, chunk) = (data.rows(), chunk.clamp(1, data.rows().max(1)));
    let mut probs = Matrix::zeros(n, layer.n_out());
    let (mut rows, mut out) = (Matrix::zeros(0, 0), Matrix::zeros(0, 0));
    let mut start = 0;
    while start < n {
        let first = start.min(n - chunk);
        let idx: Vec<usize> = (first..first + chunk).collect();
        data.select_rows_into(&idx, &mut rows);
        layer.forward_into(&rows, &mut out);
        for i in start..first + chunk {
            probs.row_mut(i).copy_from_slice(out.row(i - first));
        }
        start = first + chunk;
    }
    probs
}

/// Mean activations of the top of `layers` for input x (x itself when `layers` is empty).
pub(crate) fn forward_means<T: Float>(layers: &[&HiddenLayer<T>], x: &Matrix<T>) -> Matrix<T> {
    let mut h = x.clone();
    for layer in layers {
        h = layer.forward(&h);
    }
    h
}

/// The classifier view of a model: its hidden layers (mutable) and its logistic layer.
pub(crate) struct Classifier<'a, T> {
    pub(crate) hidden: Vec<&'a mut HiddenLayer<T>>,
    pub(crate) top: &'a mut LogisticRegression<T>,
}

/// Every temporary of a fine-tuning step, reused across minibatches: each matrix is reshaped
/// to the minibatch's B rows, so in steady state a step allocates nothing.
pub(crate) struct BackpropWorkspace<T> {
    /// The gathered minibatch, `(B, n_inputs)` (frozen features when only the top learns),
    /// masked in place when inputs are dropped.
    batch: Matrix<T>,
    /// Its labels, length B.
    labels: Vec<usize>,
    /// y_ℓ, the output of hidden layer ℓ, `(B, n_ℓ)`.
    outputs: Vec<Matrix<T>>,
    /// y_ℓ ⊙ m_ℓ, what layer ℓ + 1 sees when hidden units are dropped, `(B, n_ℓ)`.
    dropped: Vec<Matrix<T>>,
    /// The dropout masks (0 or 1/q): `masks[0]` for the input `(B, n_inputs)`, `masks[ℓ + 1]`
    /// for the output of hidden layer ℓ `(B, n_ℓ)`.
    masks: Vec<Matrix<T>>,
    /// ∂L/∂y_ℓ, turned into δ_ℓ in place, `(B, n_ℓ)`.
    grads: Vec<Matrix<T>>,
    /// The class probabilities, turned into the top layer's δ, `(B, n_classes)`.
    probs: Matrix<T>,
    /// The velocity of each hidden layer, then of the top layer (empty matrices when every
    /// step is plain: they are then never read).
    velocities: Vec<Velocity<T>>,
}

/// The drop probabilities of one fine-tuning run: of the step's input (the raw input, or
/// the frozen features when only the top learns) and of each hidden layer's output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Drops {
    pub(crate) input: f64,
    pub(crate) hidden: f64,
}

impl<T: Float> BackpropWorkspace<T> {
    /// Empty buffers for a stack of `n_hidden_layers` sigmoid layers; the velocities are
    /// empty until [`BackpropWorkspace::with_velocities`].
    pub(crate) fn new(n_hidden_layers: usize) -> Self {
        let empty = || Matrix::zeros(0, 0);
        let n = n_hidden_layers;
        BackpropWorkspace {
            batch: empty(),
            labels: Vec::new(),
            outputs: (0..n).map(|_| empty()).collect(),
            dropped: (0..n).map(|_| empty()).collect(),
            masks: (0..=n).map(|_| empty()).collect(),
            grads: (0..n).map(|_| empty()).collect(),
            probs: empty(),
            velocities: (0..=n).map(|_| Velocity::zeros(0, 0)).collect(),
        }
    }

    /// Zero velocities for layers of shapes `(n_out, n_in)`, hidden layers first.
    fn with_velocities(mut self, shapes: &[(usize, usize)]) -> Self {
        self.velocities = shapes.iter().map(|&(o, i)| Velocity::zeros(o, i)).collect();
        self
    }

    /// Gathers the rows `idx` of `features` and their labels into the batch buffers.
    pub(crate) fn gather(&mut self, features: &Matrix<T>, labels: &[usize], idx: &[usize]) {
        features.select_rows_into(idx, &mut self.batch);
        self.labels.clear();
        self.labels.extend(idx.iter().map(|&i| labels[i]));
    }

    /// Draws the masks of one minibatch: the input's first, then each hidden layer's, bottom
    /// up; a probability of 0 draws nothing.
    fn draw_masks<R: Rng + ?Sized>(&mut self, widths: &[usize], drops: Drops, rng: &mut R) {
        let rows = self.batch.rows();
        if drops.input > 0.0 {
            let cols = self.batch.cols();
            dropout_mask_into(&mut self.masks[0], (rows, cols), drops.input, rng);
        }
        if drops.hidden > 0.0 {
            for (mask, &cols) in self.masks[1..].iter_mut().zip(widths) {
                dropout_mask_into(mask, (rows, cols), drops.hidden, rng);
            }
        }
    }
}

/// What layer `l` of a stack sees: the batch for l = 0, else the (dropped) output below.
fn layer_input<'w, T>(
    (batch, outputs, dropped): (&'w Matrix<T>, &'w [Matrix<T>], &'w [Matrix<T>]),
    l: usize,
    drop_hidden: bool,
) -> &'w Matrix<T> {
    match (l, drop_hidden) {
        (0, _) => batch,
        (_, true) => &dropped[l - 1],
        (_, false) => &outputs[l - 1],
    }
}

/// One step of backpropagation through the logistic layer and every layer of `hidden` on
/// the minibatch gathered in `ws`, under the masks already in `ws` (those of the non-zero
/// probabilities of `drops`); returns the loss before the step.
///
/// Forward: x̃ = x ⊙ m₀, y_ℓ = σ(ỹ_ℓ₋₁ Wᵀ + b), ỹ_ℓ = y_ℓ ⊙ m_ℓ₊₁.
/// Backward: each ∂L/∂ỹ_ℓ is multiplied by its mask into ∂L/∂y_ℓ, and each layer's
/// input gradient is taken before its own update.
pub(crate) fn backprop_masked<T: Float>(
    hidden: &mut [&mut HiddenLayer<T>],
    top: &mut LogisticRegression<T>,
    ws: &mut BackpropWorkspace<T>,
    step: &SgdStep<T>,
    drops: Drops,
) -> T {
    let drop_hidden = drops.hidden > 0.0;
    let n = hidden.len();
    let w = &mut *ws;

    // forward, keeping every layer's output and, when dropping, its masked copy
    if drops.input > 0.0 {
        apply_mask(&mut w.batch, &w.masks[0]);
    }
    for (l, layer) in hidden.iter().enumerate() {
        let (below, rest) = w.outputs.split_at_mut(l);
        let x = layer_input((&w.batch, below, &w.dropped), l, drop_hidden);
        layer.forward_into(x, &mut rest[0]);
        if drop_hidden {
            let (y, d) = (&w.outputs[l], &mut w.dropped[l]);
            d.reshape_uninit(y.rows(), y.cols());
            d.as_mut_slice().copy_from_slice(y.as_slice());
            apply_mask(d, &w.masks[l + 1]);
        }
    }
    let top_input = layer_input((&w.batch, &w.outputs, &w.dropped), n, drop_hidden);
    top.probabilities_into(top_input, &mut w.probs);
    let loss = LogisticRegression::cross_entropy(&w.probs, &w.labels);

    // backward, in place: the top layer, then each hidden layer from the top down
    let (vel_hidden, vel_top) = w.velocities.split_at_mut(n);
    let data = (top_input, &w.labels[..]);
    top.backward_step(
        data,
        &mut w.probs,
        w.grads.last_mut(),
        step,
        &mut vel_top[0],
    );
    for l in (0..n).rev() {
        let (below, rest) = w.grads.split_at_mut(l);
        if drop_hidden {
            apply_mask(&mut rest[0], &w.masks[l + 1]);
        }
        let x = layer_input((&w.batch, &w.outputs, &w.dropped), l, drop_hidden);
        let io = (x, &w.outputs[l]);
        hidden[l].backward_step(io, &mut rest[0], below.last_mut(), step, &mut vel_hidden[l]);
    }
    loss
}

/// The parameters of the best validation epoch so far, for early stopping.
struct Snapshot<T> {
    hidden: Vec<HiddenLayer<T>>,
    top: LogisticRegression<T>,
}

/// The best validation loss seen, its epoch, and (under early stopping) its weights.
struct Best<T> {
    loss: f64,
    epoch: Option<usize>,
    snapshot: Option<Snapshot<T>>,
}

impl<T: Float> Classifier<'_, T> {
    fn hidden_refs(&self) -> Vec<&HiddenLayer<T>> {
        self.hidden.iter().map(|h| &**h).collect()
    }

    fn snapshot(&self) -> Snapshot<T> {
        Snapshot {
            hidden: self.hidden.iter().map(|h| (**h).clone()).collect(),
            top: self.top.clone(),
        }
    }

    fn restore(&mut self, snapshot: Snapshot<T>) {
        for (dst, src) in self.hidden.iter_mut().zip(snapshot.hidden) {
            **dst = src;
        }
        *self.top = snapshot.top;
    }

    /// Checks both data sets against the network, and that early stopping has validation
    /// rows to watch.
    fn check_data(
        &self,
        train: &Dataset<T>,
        validation: Option<&Dataset<T>>,
        cfg: &CheckedFinetune,
    ) -> Result<()> {
        let n_inputs = self.hidden.first().map_or(self.top.n_in(), |h| h.n_in());
        check_dataset(train, n_inputs, self.top.n_classes())?;
        if train.n_samples() == 0 {
            return Err(Error::EmptyData {
                phase: "fine-tuning",
            });
        }
        if let Some(v) = validation {
            check_dataset(v, n_inputs, self.top.n_classes())?;
        }
        if cfg.early_stopping.is_some() {
            match validation {
                None => return Err(Error::MissingValidation),
                Some(v) if v.n_samples() == 0 => {
                    return Err(Error::EmptyData {
                        phase: "validation",
                    })
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Minibatch gradient descent on the softmax cross-entropy, with the configured
    /// schedule, momentum, decay, dropout and early stopping, after checking that both data
    /// sets fit the network; it can stop between minibatches ([`Interruptible`]) and carry
    /// on from a [`Pause`]. Returns the records of the epochs it trained and, if it
    /// stopped, where.
    ///
    /// Should training diverge, the parameters go back to what they were when this call
    /// began.
    pub(crate) fn finetune<R, F>(
        &mut self,
        (train, validation): (&Dataset<T>, Option<&Dataset<T>>),
        cfg: &CheckedFinetune,
        run: Interruptible<'_, T>,
        rng: &mut R,
        on_epoch: &mut F,
    ) -> Result<(Vec<FinetuneEpoch>, Option<Pause<T>>)>
    where
        R: Rng + ?Sized,
        F: FnMut(&FinetuneEpoch),
    {
        self.check_data(train, validation, cfg)?;

        // frozen features are computed once when only the top layer learns
        let top_only = cfg.mode == FinetuneMode::TopOnly;
        let frozen = top_only.then(|| forward_means(&self.hidden_refs(), train.features()));
        let mut ws = self.workspace(cfg, top_only);
        let mut history = Vec::new();
        let mut best = Best {
            loss: f64::INFINITY,
            epoch: None,
            snapshot: None,
        };
        let widths: Vec<usize> = self.hidden.iter().map(|h| h.n_out()).collect();
        let Interruptible { from, stop } = run;
        let mut decayed = cfg.learning_rate;
        let (mut start, mut progress) = (0, None);
        if let Some(pause) = from {
            let n_rows = train.n_samples();
            start = pause.epoch;
            decayed = pause.learning_rate;
            progress = self.resume(pause, (cfg, n_rows), &mut ws, &mut best)?;
        }
        // what the parameters go back to should training diverge (one copy per run)
        let untrained = self.snapshot();
        for epoch in start..cfg.epochs {
            let learning_rate = cfg.schedule.learning_rate(decayed, epoch);
            let progress = progress
                .take()
                .unwrap_or_else(|| EpochProgress::fresh(train.n_samples(), rng));
            let step = SgdStep {
                learning_rate: T::from_f64(learning_rate),
                momentum: T::from_f64(cfg.momentum),
                l2: T::from_f64(cfg.l2),
            };
            let at = |rows_done| At {
                layer: None,
                epoch,
                rows_done,
                end_of_epoch: false,
            };
            let mut ask = |rows| stop(at(rows));
            let batches: Batches<'_> = (cfg.batch_size, &mut ask);
            let run = (frozen.as_ref(), progress, batches, &widths[..]);
            let dropped = drops(cfg, top_only, self.hidden.len());
            let train_loss = match self.epoch(train, run, &step, dropped, &mut ws, rng) {
                EpochEnd::Done(loss) => loss,
                EpochEnd::Stopped(progress) => {
                    let pause = progress.into_pause(None, epoch);
                    return Ok((history, Some(self.pause(pause, decayed, &ws, &best))));
                }
            };
            if let Err(diverged) = self.check_epoch(train_loss, epoch) {
                self.restore(untrained);
                return Err(diverged);
            }
            let validation = validation.map(|v| self.evaluate(v));
            let stopped_early = self.watch(validation, epoch, cfg, &mut best);
            let record = FinetuneEpoch {
                epoch,
                learning_rate,
                train_loss,
                validation,
                best_epoch: best.epoch,
                stopped_early,
            };
            on_epoch(&record);
            history.push(record);
            if stopped_early {
                break;
            }
            decayed *= cfg.lr_decay;
            let end = At {
                layer: None,
                epoch,
                rows_done: train.n_samples(),
                end_of_epoch: true,
            };
            if epoch + 1 < cfg.epochs && stop(end) {
                let pause = Pause::before(None, epoch + 1);
                return Ok((history, Some(self.pause(pause, decayed, &ws, &best))));
            }
        }
        if let Some(snapshot) = best.snapshot {
            self.restore(snapshot);
        }
        Ok((history, None))
    }

    /// `pause` with the optimiser's state: the decayed learning rate, the velocities in use,
    /// the best validation loss, its epoch and (under early stopping) its weights.
    fn pause(
        &self,
        mut pause: Pause<T>,
        decayed: f64,
        ws: &BackpropWorkspace<T>,
        best: &Best<T>,
    ) -> Pause<T> {
        pause.learning_rate = decayed;
        pause.best_loss = best.loss;
        pause.best_epoch = best.epoch;
        let row = |v: &[T]| Matrix::from_vec(1, v.len(), v.to_vec()).expect("one row");
        for (i, v) in ws.velocities.iter().enumerate() {
            if v.weights.rows() > 0 {
                pause
                    .tensors
                    .push((format!("velocity.{i}.weight"), v.weights.clone()));
                pause
                    .tensors
                    .push((format!("velocity.{i}.bias"), row(&v.bias)));
            }
        }
        if let Some(snapshot) = &best.snapshot {
            let layers = snapshot.hidden.iter().map(|h| (h.weights(), h.bias()));
            let top = (snapshot.top.weights(), snapshot.top.bias());
            for (l, (w, b)) in layers.chain(std::iter::once(top)).enumerate() {
                pause.tensors.push((format!("best.{l}.weight"), w.clone()));
                pause.tensors.push((format!("best.{l}.bias"), row(b)));
            }
        }
        pause
    }

    /// Puts a pause's state into a fresh workspace and best-so-far, after checking it
    /// against the network, the configuration and the `n_rows` training rows; returns the
    /// progress of the epoch it stopped in (`None` when it stopped between epochs).
    fn resume(
        &self,
        mut pause: Pause<T>,
        (cfg, n_rows): (&CheckedFinetune, usize),
        ws: &mut BackpropWorkspace<T>,
        best: &mut Best<T>,
    ) -> Result<Option<EpochProgress>> {
        if let Some(l) = pause.layer {
            return Err(bad("layer", format!("{l}: the pause is pretraining's")));
        }
        if pause.epoch >= cfg.epochs {
            let reason = format!("{}, fine-tuning has {}", pause.epoch, cfg.epochs);
            return Err(bad("epoch", reason));
        }
        check_progress(&pause, n_rows)?;
        check_batches(&pause, cfg.batch_size)?;
        best.loss = pause.best_loss;
        best.epoch = pause.best_epoch;
        let mut take = |name: String, rows: usize, cols: usize| -> Result<Matrix<T>> {
            let m = pause
                .take(&name)
                .ok_or_else(|| bad("tensors", format!("{name} is missing")))?;
            check_shape(&name, &m, rows, cols)?;
            Ok(m)
        };
        for (i, v) in ws.velocities.iter_mut().enumerate() {
            let (rows, cols) = (v.weights.rows(), v.weights.cols());
            if rows > 0 {
                v.weights = take(format!("velocity.{i}.weight"), rows, cols)?;
                v.bias = take(format!("velocity.{i}.bias"), 1, rows)?
                    .as_slice()
                    .to_vec();
            }
        }
        if cfg.early_stopping.is_some() && best.epoch.is_some() {
            let mut tensors = |l: usize, (rows, cols): (usize, usize)| -> Result<_> {
                let w = take(format!("best.{l}.weight"), rows, cols)?;
                let b = take(format!("best.{l}.bias"), 1, rows)?.as_slice().to_vec();
                Ok((w, b))
            };
            let mut hidden = Vec::with_capacity(self.hidden.len());
            for (l, h) in self.hidden.iter().enumerate() {
                let (w, b) = tensors(l, (h.n_out(), h.n_in()))?;
                hidden.push(HiddenLayer::from_parts(w, b));
            }
            let top = (self.top.n_classes(), self.top.n_in());
            let (w, b) = tensors(self.hidden.len(), top)?;
            let top = LogisticRegression::from_parts(w, b);
            let snapshot = Snapshot { hidden, top };
            best.snapshot = Some(snapshot);
        }
        pause.check_all_taken()?;
        Ok(EpochProgress::resumed(pause))
    }

    /// The workspace of a run: the frozen-feature case has no hidden layers to train, and
    /// velocities are allocated only when a step uses them.
    fn workspace(&self, cfg: &CheckedFinetune, top_only: bool) -> BackpropWorkspace<T> {
        let n_trained = if top_only { 0 } else { self.hidden.len() };
        let ws = BackpropWorkspace::new(n_trained);
        if cfg.momentum == 0.0 && cfg.l2 == 0.0 {
            return ws;
        }
        let mut shapes: Vec<(usize, usize)> = self.hidden[..n_trained]
            .iter()
            .map(|h| (h.n_out(), h.n_in()))
            .collect();
        shapes.push((self.top.n_classes(), self.top.n_in()));
        ws.with_velocities(&shapes)
    }

    /// `Err` when the epoch's loss or a parameter is no longer finite, naming the lowest
    /// layer with a non-finite parameter, or the logistic layer (number `hidden.len()`),
    /// whose output the loss is, when only the loss is not finite.
    fn check_epoch(&self, train_loss: f64, epoch: usize) -> Result<()> {
        let top_finite =
            self.top.weights().is_finite() && self.top.bias().iter().all(|b| b.is_finite());
        let bad_layer = self.hidden.iter().position(|h| !is_finite(h));
        if train_loss.is_finite() && top_finite && bad_layer.is_none() {
            return Ok(());
        }
        Err(Error::NonFinite {
            phase: "fine-tuning",
            layer: Some(bad_layer.unwrap_or(self.hidden.len())),
            epoch,
        })
    }

    /// Updates the best validation loss (and, under early stopping, its weights); returns
    /// `true` when early stopping's patience has run out.
    fn watch(
        &self,
        validation: Option<Validation>,
        epoch: usize,
        cfg: &CheckedFinetune,
        best: &mut Best<T>,
    ) -> bool {
        let Some(v) = validation else {
            return false;
        };
        let min_delta = cfg.early_stopping.map_or(0.0, |s| s.min_delta);
        if v.loss < best.loss - min_delta {
            best.loss = v.loss;
            best.epoch = Some(epoch);
            if cfg.early_stopping.is_some() {
                best.snapshot = Some(self.snapshot());
            }
        }
        match (cfg.early_stopping, best.epoch) {
            (Some(stop), Some(b)) => epoch - b >= stop.patience,
            _ => false,
        }
    }

    /// The rest of an epoch's pass over the data in minibatches: the mean training loss
    /// (each minibatch's loss under its dropout masks, before its step), or where it
    /// stopped.
    ///
    /// With `frozen` features only the top layer learns; otherwise every layer does, their
    /// widths being `widths`.
    #[allow(clippy::type_complexity)]
    fn epoch<R: Rng + ?Sized>(
        &mut self,
        train: &Dataset<T>,
        (frozen, progress, (batch_size, stop), widths): (
            Option<&Matrix<T>>,
            EpochProgress,
            Batches<'_>,
            &[usize],
        ),
        step: &SgdStep<T>,
        drops: Drops,
        ws: &mut BackpropWorkspace<T>,
        rng: &mut R,
    ) -> EpochEnd {
        assert!(batch_size >= 1, "minibatches of at least one row");
        let EpochProgress {
            order,
            mut rows_done,
            loss_sum: mut total,
        } = progress;
        while rows_done < order.len() {
            let idx = &order[rows_done..(rows_done + batch_size).min(order.len())];
            ws.gather(frozen.unwrap_or(train.features()), train.labels(), idx);
            let hidden: &mut [&mut HiddenLayer<T>] = match frozen {
                Some(_) => &mut [],
                None => &mut self.hidden,
            };
            ws.draw_masks(&widths[..hidden.len()], drops, rng);
            let loss = backprop_masked(hidden, self.top, ws, step, drops);
            total += loss.to_f64() * idx.len() as f64;
            rows_done += idx.len();
            if rows_done < order.len() && stop(rows_done) {
                let (loss_sum, order) = (total, order);
                return EpochEnd::Stopped(EpochProgress {
                    order,
                    rows_done,
                    loss_sum,
                });
            }
        }
        EpochEnd::Done(total / train.n_samples().max(1) as f64)
    }

    /// Loss and accuracy on a data set.
    fn evaluate(&self, data: &Dataset<T>) -> Validation {
        evaluate(&self.hidden_refs(), self.top, data)
    }
}

/// The drop probabilities of a run. Frozen features are the top hidden layer's output, or
/// the raw input for a model without hidden layers.
fn drops(cfg: &CheckedFinetune, top_only: bool, n_hidden_layers: usize) -> Drops {
    let hidden = cfg.dropout_hidden;
    match (top_only, n_hidden_layers) {
        (false, _) => Drops {
            input: cfg.dropout_input,
            hidden,
        },
        (true, 0) => Drops {
            input: cfg.dropout_input,
            hidden: 0.0,
        },
        (true, _) => Drops {
            input: hidden,
            hidden: 0.0,
        },
    }
}

/// Mean cross-entropy and accuracy of a stack on a data set.
pub(crate) fn evaluate<T: Float>(
    hidden: &[&HiddenLayer<T>],
    top: &LogisticRegression<T>,
    data: &Dataset<T>,
) -> Validation {
    let probs = top.probabilities(&forward_means(hidden, data.features()));
    let loss = LogisticRegression::cross_entropy(&probs, data.labels()).to_f64();
    let predicted = argmax_rows(&probs);
    let correct = predicted
        .iter()
        .zip(data.labels())
        .filter(|(p, y)| p == y)
        .count();
    Validation {
        loss,
        accuracy: correct as f64 / data.n_samples().max(1) as f64,
        single_class: collapsed_class(&predicted, data.labels()),
    }
}

/// Checks that a data set fits a model's input and output sizes.
pub(crate) fn check_dataset<T: Float>(
    data: &Dataset<T>,
    n_inputs: usize,
    n_classes: usize,
) -> Result<()> {
    check_features(data.features(), n_inputs)?;
    if data.n_classes() != n_classes {
        return Err(Error::ClassMismatch {
            expected: n_classes,
            found: data.n_classes(),
        });
    }
    Ok(())
}

/// Hidden layers `n_inputs → sizes…`, each made by `make(n_in, n_out, rng)`, and the zero
/// logistic layer on top of the last: the shape every model is built to.
pub(crate) fn build_stack<L, T, R>(
    n_inputs: usize,
    n_classes: usize,
    sizes: &[usize],
    rng: &mut R,
    mut make: impl FnMut(usize, usize, &mut R) -> layerwise_layers::Result<L>,
) -> Result<(Vec<L>, LogisticRegression<T>)>
where
    T: Float,
    R: Rng + ?Sized,
{
    let mut layers = Vec::with_capacity(sizes.len());
    let mut n_in = n_inputs;
    for &n_out in sizes {
        layers.push(make(n_in, n_out, rng)?);
        n_in = n_out;
    }
    Ok((layers, LogisticRegression::new(n_in, n_classes)?))
}

/// `true` when every weight and bias of the layer is finite.
pub(crate) fn is_finite<T: Float>(layer: &HiddenLayer<T>) -> bool {
    layer.weights().is_finite() && layer.bias().iter().all(|b| b.is_finite())
}

/// Checks that a feature matrix has the model's number of columns.
pub(crate) fn check_features<T: Float>(x: &Matrix<T>, n_inputs: usize) -> Result<()> {
    if x.cols() != n_inputs {
        return Err(Error::FeatureMismatch {
            expected: n_inputs,
            found: x.cols(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    struct Net {
        hidden: Vec<HiddenLayer<f64>>,
        top: LogisticRegression<f64>,
    }

    impl Net {
        fn new(rng: &mut ChaCha8Rng) -> Self {
            let mut hidden = Vec::new();
            for (n_in, n_out) in [(5, 4), (4, 3)] {
                let h = HiddenLayer::new(n_in, n_out, rng).unwrap();
                let w = h.weights().map(|w| w * 3.0 * n_in as f64);
                let b = (0..n_out).map(|j| 0.1 * j as f64 - 0.1).collect();
                hidden.push(HiddenLayer::from_parts(w, b));
            }
            // a non-zero top layer, trained a few steps from its zero start
            let mut top = LogisticRegression::new(3, 3).unwrap();
            let feats = Matrix::from_fn(6, 3, |i, j| ((i + 2 * j) as f64).sin());
            for _ in 0..5 {
                top.train_batch(&feats, &[0, 1, 2, 0, 1, 2], 1.0);
            }
            Net { hidden, top }
        }

        /// Every parameter, hidden layers first then the top layer, weights before biases.
        fn params(&self) -> Vec<f64> {
            let mut p = Vec::new();
            for h in &self.hidden {
                p.extend_from_slice(h.weights().as_slice());
                p.extend_from_slice(h.bias());
            }
            p.extend_from_slice(self.top.weights().as_slice());
            p.extend_from_slice(self.top.bias());
            p
        }

        fn loss(&self, data: &Dataset<f64>) -> f64 {
            let hidden: Vec<&HiddenLayer<f64>> = self.hidden.iter().collect();
            evaluate(&hidden, &self.top, data).loss
        }

        fn step(&mut self, data: &Dataset<f64>, eta: f64) -> f64 {
            let mut c = Classifier {
                hidden: self.hidden.iter_mut().collect(),
                top: &mut self.top,
            };
            let mut ws = BackpropWorkspace::new(c.hidden.len());
            let all: Vec<usize> = (0..data.n_samples()).collect();
            ws.gather(data.features(), data.labels(), &all);
            let step = SgdStep::plain(eta);
            backprop_masked(
                &mut c.hidden,
                c.top,
                &mut ws,
                &step,
                Drops {
                    input: 0.0,
                    hidden: 0.0,
                },
            )
        }
    }

    /// Adds `h` to parameter number `idx` (in `Net::params` order) of a fresh copy.
    fn nudged(net: &Net, idx: usize, h: f64) -> Net {
        let mut p = net.params();
        p[idx] += h;
        let mut at = 0;
        let mut take = |n: usize| {
            at += n;
            p[at - n..at].to_vec()
        };
        let hidden = net
            .hidden
            .iter()
            .map(|l| {
                let w = Matrix::from_vec(l.n_out(), l.n_in(), take(l.n_in() * l.n_out())).unwrap();
                HiddenLayer::from_parts(w, take(l.n_out()))
            })
            .collect();
        let (k, n) = (net.top.n_classes(), net.top.n_in());
        let w = Matrix::from_vec(k, n, take(k * n)).unwrap();
        let top = LogisticRegression::from_parts(w, take(k));
        Net { hidden, top }
    }

    #[test]
    fn backpropagation_through_the_stack_matches_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let net = Net::new(&mut rng);
        let x = Matrix::from_fn(7, 5, |i, j| ((i * 5 + j) as f64 * 0.43).cos().abs());
        let data = Dataset::new(x, vec![0, 1, 2, 2, 1, 0, 1], 3).unwrap();

        // the update is −η ∂L/∂θ, so ∂L/∂θ = (θ_before − θ_after) / η
        let before = net.params();
        let mut stepped = Net {
            hidden: net.hidden.clone(),
            top: net.top.clone(),
        };
        let eta = 1e-3;
        let loss = stepped.step(&data, eta);
        approx::assert_relative_eq!(loss, net.loss(&data), epsilon = 1e-12);
        let after = stepped.params();

        let h = 1e-6;
        for idx in 0..before.len() {
            let grad = (before[idx] - after[idx]) / eta;
            let fd =
                (nudged(&net, idx, h).loss(&data) - nudged(&net, idx, -h).loss(&data)) / (2.0 * h);
            approx::assert_abs_diff_eq!(grad, fd, epsilon = 1e-7);
        }
    }

    /// A fixed mask of 0 and 1/q for a `(rows, cols)` activation, q = 1 − p.
    fn fixed_mask(rows: usize, cols: usize, p: f64, salt: usize) -> Matrix<f64> {
        Matrix::from_fn(rows, cols, |i, j| {
            let dropped = ((i * 7 + j * 3 + salt) % 5) < 2;
            if dropped {
                0.0
            } else {
                1.0 / (1.0 - p)
            }
        })
    }

    /// The loss of `net` under the masks:
    /// x̃ = x ⊙ m₀, ỹ_ℓ = σ(ỹ_ℓ₋₁ Wᵀ + b) ⊙ m_ℓ₊₁.
    fn masked_loss(net: &Net, data: &Dataset<f64>, masks: &[Matrix<f64>]) -> f64 {
        let mut h = data.features().clone();
        apply_mask(&mut h, &masks[0]);
        for (layer, mask) in net.hidden.iter().zip(&masks[1..]) {
            h = layer.forward(&h);
            apply_mask(&mut h, mask);
        }
        LogisticRegression::cross_entropy(&net.top.probabilities(&h), data.labels())
    }

    #[test]
    fn backpropagation_with_fixed_dropout_masks_matches_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let net = Net::new(&mut rng);
        let x = Matrix::from_fn(7, 5, |i, j| ((i * 5 + j) as f64 * 0.37).sin().abs());
        let data = Dataset::new(x, vec![2, 1, 0, 2, 1, 0, 0], 3).unwrap();
        let drops = Drops {
            input: 0.2,
            hidden: 0.5,
        };
        let masks = vec![
            fixed_mask(7, 5, drops.input, 0),
            fixed_mask(7, 4, drops.hidden, 1),
            fixed_mask(7, 3, drops.hidden, 2),
        ];

        // one plain step under the masks: ∂L/∂θ = (θ_before − θ_after) / η
        let mut stepped = Net {
            hidden: net.hidden.clone(),
            top: net.top.clone(),
        };
        let eta = 1e-3;
        let mut c = Classifier {
            hidden: stepped.hidden.iter_mut().collect(),
            top: &mut stepped.top,
        };
        let mut ws = BackpropWorkspace::new(2);
        let all: Vec<usize> = (0..7).collect();
        ws.gather(data.features(), data.labels(), &all);
        ws.masks = masks.clone();
        let step = SgdStep::plain(eta);
        let loss = backprop_masked(&mut c.hidden, c.top, &mut ws, &step, drops);
        approx::assert_relative_eq!(loss, masked_loss(&net, &data, &masks), epsilon = 1e-12);
        let (before, after) = (net.params(), stepped.params());

        let h = 1e-6;
        for idx in 0..before.len() {
            let grad = (before[idx] - after[idx]) / eta;
            let plus = masked_loss(&nudged(&net, idx, h), &data, &masks);
            let minus = masked_loss(&nudged(&net, idx, -h), &data, &masks);
            approx::assert_abs_diff_eq!(grad, (plus - minus) / (2.0 * h), epsilon = 1e-7);
        }
    }

    #[test]
    fn thirteen_rows_with_minibatch_ten_train_on_two_minibatches() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut net = Net::new(&mut rng);
        let x = Matrix::from_fn(13, 5, |i, j| ((i + j) % 2) as f64);
        let labels = (0..13).map(|i| i % 3).collect();
        let data = Dataset::new(x, labels, 3).unwrap();
        let cfg = CheckedFinetune::plain(2, 0.1, 0.5, 10);
        let mut c = Classifier {
            hidden: net.hidden.iter_mut().collect(),
            top: &mut net.top,
        };
        let run = |run: Interruptible<'_, f64>| {
            c.finetune((&data, Some(&data)), &cfg, run, &mut rng, &mut |_| {})
        };
        let (history, pause) = Interruptible::never(run).unwrap();
        assert!(pause.is_none());
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].learning_rate, 0.05);
        assert!(history.iter().all(|e| e.train_loss.is_finite()));
    }

    /// The rows of `bottom_probabilities` are bit for bit those of the minibatches they stand
    /// for: the book's shape (the unpacked GEMM) and an MNIST-sized layer (the packed one),
    /// with a row count that leaves a ragged last chunk, on 1 and 2 threads.
    #[test]
    fn precomputed_bottom_probabilities_are_the_minibatches_bits() {
        fn check<T: Float>(n_in: usize, n_out: usize, rows: usize, chunk: usize) {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let layer = HiddenLayer::<T>::new(n_in, n_out, &mut rng).unwrap();
            let data: Vec<T> = (0..rows * n_in)
                .map(|_| T::from_f64(rng.gen_range(0.0..1.0)))
                .collect();
            let data = Matrix::from_vec(rows, n_in, data).unwrap();
            for threads in [1, 2] {
                layerwise_linalg::set_threads(threads);
                let probs = bottom_probabilities(&layer, &data, chunk);
                for _ in 0..3 {
                    let order = shuffled_indices(rows, &mut rng);
                    let idx = &order[..chunk];
                    let fresh = layer.forward(&data.select_rows(idx));
                    assert!(
                        idx.iter()
                            .enumerate()
                            .all(|(r, &i)| probs.row(i) == fresh.row(r)),
                        "{n_in} → {n_out}, {rows} rows in chunks of {chunk}, {threads} threads"
                    );
                }
            }
            layerwise_linalg::set_threads(0);
        }
        check::<f64>(60, 20, 610, 50);
        check::<f32>(784, 500, 330, 100);
        check::<f64>(60, 20, 30, 30);
    }
}
