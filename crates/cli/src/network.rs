//! The six kinds of model behind one type, their training and their named tensors.
//!
//! [`Network`] holds a model of either float type's parameters; [`train`] builds one from a
//! resolved [`TrainConfig`] and trains it, reporting to an [`Observer`]. An `rbm` or a `da`
//! is the one layer of a DBN or SDA that is pretrained and never fine-tuned, so it is
//! trained by the very loop the stacks use.
//!
//! Tensor names, with shapes; n₀ = n_inputs, nₗ₊₁ = the size of hidden layer ℓ:
//!
//! | name | shape | kinds |
//! |---|---|---|
//! | `layers.ℓ.weight` | (nₗ₊₁, nₗ) | all but `logistic` |
//! | `layers.ℓ.hidden_bias` | (nₗ₊₁) | all but `logistic` |
//! | `layers.ℓ.visible_bias` | (nₗ) | `dbn`, `sda`, `rbm`, `da` |
//! | `layers.ℓ.decoder_weight` | (nₗ, nₗ₊₁) | `sda`, `da` with untied decoders |
//! | `logistic.weight` | (n_classes, n_top) | `dbn`, `sda`, `mlp`, `logistic` |
//! | `logistic.bias` | (n_classes) | `dbn`, `sda`, `mlp`, `logistic` |
//!
//! Weights are `(n_out, n_in)` as in PyTorch's `nn.Linear`: a layer computes
//! σ(x Wᵀ + b), and the classifier softmax(x Wᵀ + b) on the top layer's output.

use crate::config::{DecoderArg, ModelKind, TrainConfig};
use crate::error::Result;
use crate::record::TrainingRecord;
use crate::record::{EpochRecord, FinetuneRecord, Observer, Phase, PretrainRecord};
use layerwise_data::Dataset;
use layerwise_layers::{DenoisingAutoencoder, HiddenLayer, LogisticRegression, Rbm};
use layerwise_linalg::{Float, Matrix};
use layerwise_models::{
    At, Classifier, Dbn, FinetuneEpoch, Interruptible, Mlp, Pause, PretrainEpoch, Sda,
};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::time::Instant;

/// A trained model of one of the six kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum Network<T> {
    /// A Deep Belief Net.
    Dbn(Dbn<T>),
    /// A Stacked Denoising Autoencoder.
    Sda(Sda<T>),
    /// A multilayer perceptron.
    Mlp(Mlp<T>),
    /// Softmax regression: an MLP without hidden layers.
    Logistic(Mlp<T>),
    /// One RBM.
    Rbm(Rbm<T>),
    /// One denoising autoencoder.
    Da(DenoisingAutoencoder<T>),
}

/// A [`Network`] of `f32` or of `f64` parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyNetwork {
    /// 32-bit parameters.
    F32(Network<f32>),
    /// 64-bit parameters.
    F64(Network<f64>),
}

/// A network's shape: what the model file's `architecture` holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Architecture {
    /// Input features.
    pub n_inputs: usize,
    /// Hidden layer sizes, bottom first.
    pub hidden: Vec<usize>,
    /// Classes; `None` for an `rbm` or a `da`.
    pub n_classes: Option<usize>,
}

impl Architecture {
    /// `784 → 500 → 250 → 10`.
    pub fn arrows(&self) -> String {
        let mut sizes = vec![self.n_inputs];
        sizes.extend(&self.hidden);
        sizes.extend(self.n_classes);
        let sizes: Vec<String> = sizes.iter().map(usize::to_string).collect();
        sizes.join(" → ")
    }

    /// Every tensor the kind stores, in the order of the table in the module docs, with
    /// its shape.
    pub fn tensor_shapes(&self, kind: ModelKind, decoder: DecoderArg) -> Vec<(String, Vec<usize>)> {
        let mut shapes = Vec::new();
        let mut n_in = self.n_inputs;
        for (l, &n_out) in self.hidden.iter().enumerate() {
            shapes.push((format!("layers.{l}.weight"), vec![n_out, n_in]));
            shapes.push((format!("layers.{l}.hidden_bias"), vec![n_out]));
            if kind.pretrains() {
                shapes.push((format!("layers.{l}.visible_bias"), vec![n_in]));
            }
            let untied =
                matches!(kind, ModelKind::Sda | ModelKind::Da) && decoder == DecoderArg::Untied;
            if untied {
                shapes.push((format!("layers.{l}.decoder_weight"), vec![n_in, n_out]));
            }
            n_in = n_out;
        }
        if let Some(n_classes) = self.n_classes {
            shapes.push(("logistic.weight".into(), vec![n_classes, n_in]));
            shapes.push(("logistic.bias".into(), vec![n_classes]));
        }
        shapes
    }
}

impl<T: Float> Network<T> {
    /// The kind.
    pub fn kind(&self) -> ModelKind {
        match self {
            Network::Dbn(_) => ModelKind::Dbn,
            Network::Sda(_) => ModelKind::Sda,
            Network::Mlp(_) => ModelKind::Mlp,
            Network::Logistic(_) => ModelKind::Logistic,
            Network::Rbm(_) => ModelKind::Rbm,
            Network::Da(_) => ModelKind::Da,
        }
    }

    /// The model as a classifier; `None` for an `rbm` or a `da`.
    pub fn classifier(&self) -> Option<&dyn Classifier<T>> {
        match self {
            Network::Dbn(m) => Some(m),
            Network::Sda(m) => Some(m),
            Network::Mlp(m) | Network::Logistic(m) => Some(m),
            Network::Rbm(_) | Network::Da(_) => None,
        }
    }

    /// The shape.
    pub fn architecture(&self) -> Architecture {
        let hidden_sizes =
            |layers: Vec<&HiddenLayer<T>>| layers.iter().map(|h| h.n_out()).collect();
        match (self, self.classifier()) {
            (_, Some(c)) => Architecture {
                n_inputs: c.n_inputs(),
                hidden: hidden_sizes(c.hidden_layers()),
                n_classes: Some(c.n_classes()),
            },
            (Network::Rbm(r), None) => Architecture {
                n_inputs: r.n_visible(),
                hidden: vec![r.n_hidden()],
                n_classes: None,
            },
            (Network::Da(d), None) => Architecture {
                n_inputs: d.n_visible(),
                hidden: vec![d.n_hidden()],
                n_classes: None,
            },
            _ => unreachable!("every other kind is a classifier"),
        }
    }

    /// Every parameter as a named tensor, in the order of [`Architecture::tensor_shapes`].
    pub fn tensors(&self) -> Vec<Named<'_, T>> {
        let mut out = Vec::new();
        match self {
            Network::Dbn(m) => {
                for (l, r) in m.rbms().iter().enumerate() {
                    push_rbm(&mut out, l, r);
                }
            }
            Network::Sda(m) => {
                for (l, d) in m.autoencoders().iter().enumerate() {
                    push_da(&mut out, l, d);
                }
            }
            Network::Mlp(m) | Network::Logistic(m) => {
                for (l, h) in m.hidden_layers().into_iter().enumerate() {
                    push_hidden(&mut out, l, h);
                }
            }
            Network::Rbm(r) => push_rbm(&mut out, 0, r),
            Network::Da(d) => push_da(&mut out, 0, d),
        }
        if let Some(c) = self.classifier() {
            let w = c.logistic().weights();
            out.push((
                "logistic.weight".into(),
                vec![w.rows(), w.cols()],
                w.as_slice(),
            ));
            let b = c.logistic().bias();
            out.push(("logistic.bias".into(), vec![b.len()], b));
        }
        out
    }
}

/// A named tensor: `(name, shape, values in row-major order)`.
pub type Named<'a, T> = (String, Vec<usize>, &'a [T]);

fn push_hidden<'a, T: Float>(out: &mut Vec<Named<'a, T>>, l: usize, h: &'a HiddenLayer<T>) {
    let w = h.weights();
    out.push((
        format!("layers.{l}.weight"),
        vec![w.rows(), w.cols()],
        w.as_slice(),
    ));
    out.push((format!("layers.{l}.hidden_bias"), vec![h.n_out()], h.bias()));
}

fn push_rbm<'a, T: Float>(out: &mut Vec<Named<'a, T>>, l: usize, r: &'a Rbm<T>) {
    push_hidden(out, l, r.hidden_layer());
    let c = r.visible_bias();
    out.push((format!("layers.{l}.visible_bias"), vec![c.len()], c));
}

fn push_da<'a, T: Float>(out: &mut Vec<Named<'a, T>>, l: usize, d: &'a DenoisingAutoencoder<T>) {
    push_hidden(out, l, d.hidden_layer());
    let c = d.visible_bias();
    out.push((format!("layers.{l}.visible_bias"), vec![c.len()], c));
    if let Some(w) = d.decoder_weights() {
        let name = format!("layers.{l}.decoder_weight");
        out.push((name, vec![w.rows(), w.cols()], w.as_slice()));
    }
}

/// Builds the model `kind` of `config` and trains it on `train` (for `rbm` and `da` its
/// features only), validating on `validation` when given; the record has every epoch.
///
/// For the classifiers `train.n_classes()` is the number of classes; for `rbm` and `da`
/// the labels are not used.
///
/// # Errors
/// [`crate::Error::Model`] for a setting a model rejects (named as in the configuration
/// file, e.g. `pretrain.learning_rate`) or a run that diverges.
pub fn train<T: Float, R: Rng + ?Sized>(
    kind: ModelKind,
    config: &TrainConfig,
    train: &Dataset<T>,
    validation: Option<&Dataset<T>>,
    rng: &mut R,
    observer: &mut dyn Observer,
) -> Result<(Network<T>, TrainingRecord)> {
    let data = (train, validation);
    match train_from(
        kind,
        config,
        data,
        rng,
        observer,
        (Start::Fresh, &mut |_| false),
    )? {
        Trained::Finished(network, record) => Ok((network, record)),
        Trained::Paused { .. } => unreachable!("a run that is never asked to stop"),
    }
}

/// Where [`train_from`] starts.
// made once per run or pause, so the variants' sizes do not matter
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Start<T> {
    /// A new model, drawn from the generator.
    Fresh,
    /// A partly trained model (of the kind being trained: an `rbm` is its RBM, not the
    /// one-layer DBN it is trained as), where its training stopped, and what training
    /// recorded until then.
    Resume {
        /// The parameters so far.
        network: Network<T>,
        /// Where the training loop stopped.
        pause: Pause<T>,
        /// The epochs trained so far.
        record: TrainingRecord,
    },
}

/// How [`train_from`] ended.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Trained<T> {
    /// Every epoch is trained.
    Finished(Network<T>, TrainingRecord),
    /// Training stopped where it was asked to; [`Start::Resume`] with these carries on.
    Paused {
        /// The parameters so far.
        network: Network<T>,
        /// Where the training loop stopped.
        pause: Pause<T>,
        /// The epochs trained so far, those of earlier calls included.
        record: TrainingRecord,
    },
}

/// [`train`] that starts afresh or from where an earlier call stopped, and that `stop` can
/// stop after any minibatch or epoch (see [`layerwise_models::Interruptible`]). Resumed
/// with the same configuration, data and generator state, it trains the bits an
/// uninterrupted run trains.
///
/// # Errors
/// Those of [`train`]; [`crate::Error::Model`] for a pause that does not fit, and
/// [`crate::Error::NotResumable`] for a network of another kind than `kind`.
pub fn train_from<T: Float, R: Rng + ?Sized>(
    kind: ModelKind,
    config: &TrainConfig,
    (train, validation): (&Dataset<T>, Option<&Dataset<T>>),
    rng: &mut R,
    observer: &mut dyn Observer,
    (start, stop): (Start<T>, &mut dyn FnMut(At) -> bool),
) -> Result<Trained<T>> {
    let started = Instant::now();
    let (network, from, done) = match start {
        Start::Fresh => (None, None, None),
        Start::Resume {
            network,
            pause,
            record,
        } => {
            if network.kind() != kind {
                return Err(crate::Error::NotResumable {
                    kind: kind.name(),
                    found: network.kind().name(),
                });
            }
            (Some(network), Some(pause), Some(record))
        }
    };
    let (pretrain, finetune) = done.map_or((Vec::new(), Vec::new()), |r| (r.pretrain, r.finetune));
    let mut run = Run {
        config,
        train,
        validation,
        rng,
        observer,
        pretrain,
        finetune,
        from,
        stop,
    };
    let outcome = match kind {
        ModelKind::Dbn | ModelKind::Rbm => run.dbn(kind == ModelKind::Rbm, network)?,
        ModelKind::Sda | ModelKind::Da => run.sda(kind == ModelKind::Da, network)?,
        ModelKind::Mlp => run.mlp(network, Network::Mlp)?,
        ModelKind::Logistic => run.mlp(network, Network::Logistic)?,
    };
    let record = TrainingRecord {
        n_train: train.n_samples(),
        n_validation: validation.map_or(0, Dataset::n_samples),
        pretrain: run.pretrain,
        finetune: run.finetune,
        seconds: Some(started.elapsed().as_secs_f64()),
    };
    Ok(match outcome {
        (network, None) => Trained::Finished(network, record),
        (network, Some(pause)) => Trained::Paused {
            network,
            pause,
            record,
        },
    })
}

/// A network, and where its training stopped if it did.
type Outcome<T> = (Network<T>, Option<Pause<T>>);

/// One training run: what every kind's training needs, and what it records.
struct Run<'a, T, R: ?Sized> {
    config: &'a TrainConfig,
    train: &'a Dataset<T>,
    validation: Option<&'a Dataset<T>>,
    rng: &'a mut R,
    observer: &'a mut dyn Observer,
    pretrain: Vec<PretrainRecord>,
    finetune: Vec<FinetuneRecord>,
    /// Where to carry on, when resuming.
    from: Option<Pause<T>>,
    stop: &'a mut dyn FnMut(At) -> bool,
}

impl<T: Float, R: Rng + ?Sized> Run<'_, T, R> {
    /// The inputs and classes of the model to build: a lone layer (`rbm`, `da`) is the one
    /// layer of a stack with two classes, whose top layer is never trained.
    fn shape(&self, lone_layer: bool) -> (usize, usize) {
        let n_classes = if lone_layer {
            2
        } else {
            self.train.n_classes()
        };
        (self.train.n_features(), n_classes)
    }

    /// What a phase's training is watched by (the observer, the stop question, where to
    /// start and the rows of an epoch), the generator, and where the records go.
    #[allow(clippy::type_complexity)]
    fn watch(
        &mut self,
        from: Option<Pause<T>>,
    ) -> (
        Watch<'_, T>,
        &mut R,
        (&mut Vec<PretrainRecord>, &mut Vec<FinetuneRecord>),
    ) {
        let watch = Watch {
            observer: &mut *self.observer,
            stop: &mut *self.stop,
            from,
            n_rows: self.train.n_samples(),
        };
        (
            watch,
            &mut *self.rng,
            (&mut self.pretrain, &mut self.finetune),
        )
    }

    /// The pause to resume pretraining from and the one to resume fine-tuning from (at
    /// most one of them is set).
    fn pauses(&mut self) -> (Option<Pause<T>>, Option<Pause<T>>) {
        match self.from.take() {
            Some(p) if p.layer.is_none() => (None, Some(p)),
            p => (p, None),
        }
    }

    /// A DBN, pretrained then fine-tuned; or, for `lone_layer`, its one pretrained RBM.
    fn dbn(&mut self, lone_layer: bool, resumed: Option<Network<T>>) -> Result<Outcome<T>> {
        let (n_inputs, n_classes) = self.shape(lone_layer);
        let config = self.config.dbn();
        let mut dbn = match resumed {
            None => Dbn::new(n_inputs, n_classes, &config, self.rng)?,
            Some(Network::Dbn(dbn)) => dbn,
            // the untrained top layer of a lone RBM is zero, as `Dbn::new` makes it
            Some(Network::Rbm(rbm)) => {
                let top = LogisticRegression::new(rbm.n_hidden(), 2)
                    .map_err(layerwise_models::Error::from)?;
                Dbn::from_parts(vec![rbm], top, &config)?
            }
            Some(_) => unreachable!("train_from checks the kind"),
        };
        let (pretrain_from, finetune_from) = self.pauses();
        let lone = |dbn: Dbn<T>| Network::Rbm(dbn.into_parts().0.remove(0));
        if finetune_from.is_none() {
            let x = self.train.features();
            let layers = (
                pretrain_from.as_ref().and_then(|p| p.layer),
                self.config.hidden().len(),
            );
            let epochs = self.config.pretrain.epochs;
            let (watch, rng, (records, _)) = self.watch(pretrain_from);
            let paused = observe_pretrain(watch, layers, epochs, records, |cb, run| {
                dbn.pretrain_interruptible(x, None, run, rng, cb)
            })?;
            if let Some(pause) = paused {
                let network = if lone_layer {
                    lone(dbn)
                } else {
                    Network::Dbn(dbn)
                };
                return Ok((network, Some(pause)));
            }
        }
        if lone_layer {
            return Ok((lone(dbn), None));
        }
        let (train, validation) = (self.train, self.validation);
        let epochs = self.config.finetune.epochs;
        let (watch, rng, (_, records)) = self.watch(finetune_from);
        let paused = observe_finetune(watch, epochs, records, |cb, run| {
            dbn.finetune_interruptible(train, validation, run, rng, cb)
        })?;
        Ok((Network::Dbn(dbn), paused))
    }

    /// An SDA, pretrained (monitored if configured) then fine-tuned; or, for `lone_layer`,
    /// its one pretrained dA.
    fn sda(&mut self, lone_layer: bool, resumed: Option<Network<T>>) -> Result<Outcome<T>> {
        let (n_inputs, n_classes) = self.shape(lone_layer);
        let config = self.config.sda();
        let mut sda = match resumed {
            None => Sda::new(n_inputs, n_classes, &config, self.rng)?,
            Some(Network::Sda(sda)) => sda,
            // the untrained top layer of a lone dA is zero, as `Sda::new` makes it
            Some(Network::Da(da)) => {
                let top = LogisticRegression::new(da.n_hidden(), 2)
                    .map_err(layerwise_models::Error::from)?;
                Sda::from_parts(vec![da], top, &config)?
            }
            Some(_) => unreachable!("train_from checks the kind"),
        };
        let (pretrain_from, finetune_from) = self.pauses();
        let lone = |sda: Sda<T>| Network::Da(sda.into_parts().0.remove(0));
        if finetune_from.is_none() {
            let x = (
                self.train.features(),
                self.validation.map(Dataset::features),
            );
            let layers = (
                pretrain_from.as_ref().and_then(|p| p.layer),
                self.config.hidden().len(),
            );
            let (monitor, epochs) = (self.config.pretrain.monitor, self.config.pretrain.epochs);
            let (watch, rng, (records, _)) = self.watch(pretrain_from);
            let paused = observe_pretrain(watch, layers, epochs, records, |cb, run| {
                sda.pretrain_interruptible(x, monitor, run, rng, cb)
            })?;
            if let Some(pause) = paused {
                let network = if lone_layer {
                    lone(sda)
                } else {
                    Network::Sda(sda)
                };
                return Ok((network, Some(pause)));
            }
        }
        if lone_layer {
            return Ok((lone(sda), None));
        }
        let (train, validation) = (self.train, self.validation);
        let epochs = self.config.finetune.epochs;
        let (watch, rng, (_, records)) = self.watch(finetune_from);
        let paused = observe_finetune(watch, epochs, records, |cb, run| {
            sda.finetune_interruptible(train, validation, run, rng, cb)
        })?;
        Ok((Network::Sda(sda), paused))
    }

    /// A randomly initialised MLP (no hidden layers for `logistic`), trained, and wrapped
    /// as its kind.
    fn mlp(
        &mut self,
        resumed: Option<Network<T>>,
        wrap: fn(Mlp<T>) -> Network<T>,
    ) -> Result<Outcome<T>> {
        let (n_inputs, n_classes) = self.shape(false);
        let mut mlp = match resumed {
            None => Mlp::new(n_inputs, n_classes, &self.config.mlp(), self.rng)?,
            Some(Network::Mlp(m) | Network::Logistic(m)) => m,
            Some(_) => unreachable!("train_from checks the kind"),
        };
        let (_, from) = self.pauses();
        let (train, validation) = (self.train, self.validation);
        let epochs = self.config.finetune.epochs;
        let (watch, rng, (_, records)) = self.watch(from);
        let paused = observe_finetune(watch, epochs, records, |cb, run| {
            mlp.train_interruptible(train, validation, run, rng, cb)
        })?;
        Ok((wrap(mlp), paused))
    }
}

/// A phase's watchers: the observer (told of every epoch and minibatch), the question
/// whether to stop, where the phase starts, and how many rows an epoch has.
struct Watch<'a, T> {
    observer: &'a mut dyn Observer,
    stop: &'a mut dyn FnMut(At) -> bool,
    from: Option<Pause<T>>,
    n_rows: usize,
}

impl<T> Watch<'_, T> {
    /// Runs `train` with an epoch callback that makes each epoch's record (timed, told to
    /// the observer, given to `record`) and an [`Interruptible`] whose question also tells
    /// the observer how far the epoch has gone.
    fn run<E, V>(
        self,
        mut record: impl FnMut(&mut dyn Observer, &E, f64),
        train: impl FnOnce(&mut dyn FnMut(&E), Interruptible<'_, T>) -> layerwise_models::Result<V>,
    ) -> Result<V> {
        let Watch {
            observer,
            stop,
            from,
            n_rows,
        } = self;
        // both callbacks tell the observer, one after the other, never at once
        let observer = RefCell::new(observer);
        let mut ask = |at: At| {
            observer.borrow_mut().minibatch(at, n_rows);
            stop(at)
        };
        let run = Interruptible {
            from,
            stop: &mut ask,
        };
        let mut last = Instant::now();
        let mut on_epoch = |e: &E| {
            record(
                &mut **observer.borrow_mut(),
                e,
                last.elapsed().as_secs_f64(),
            );
            last = Instant::now();
        };
        Ok(train(&mut on_epoch, run)?)
    }
}

/// Runs a pretraining (from layer `first`, 0 when `None`, of `n_layers`), timing each
/// epoch, telling the observer and adding each epoch's record to `records`.
fn observe_pretrain<T, F, V>(
    watch: Watch<'_, T>,
    (first, n_layers): (Option<usize>, usize),
    epochs: usize,
    records: &mut Vec<PretrainRecord>,
    train: F,
) -> Result<V>
where
    F: FnOnce(&mut dyn FnMut(&PretrainEpoch), Interruptible<'_, T>) -> layerwise_models::Result<V>,
{
    let phase = |layer| Phase::Pretrain {
        layer,
        n_layers,
        epochs,
    };
    let first = first.unwrap_or(0);
    if epochs > 0 && first < n_layers {
        watch.observer.phase_started(phase(first));
    }
    let record = |observer: &mut dyn Observer, e: &PretrainEpoch, seconds| {
        let record = PretrainRecord::new(e, seconds);
        observer.epoch(&EpochRecord::Pretrain(record.clone()));
        records.push(record);
        if e.epoch + 1 == epochs && e.layer + 1 < n_layers {
            observer.phase_started(phase(e.layer + 1));
        }
    };
    watch.run(record, train)
}

/// Runs a supervised training, timing each epoch, telling the observer and adding each
/// epoch's record to `records`.
fn observe_finetune<T, F, V>(
    watch: Watch<'_, T>,
    epochs: usize,
    records: &mut Vec<FinetuneRecord>,
    train: F,
) -> Result<V>
where
    F: FnOnce(&mut dyn FnMut(&FinetuneEpoch), Interruptible<'_, T>) -> layerwise_models::Result<V>,
{
    if epochs > 0 {
        watch.observer.phase_started(Phase::Finetune { epochs });
    }
    let record = |observer: &mut dyn Observer, e: &FinetuneEpoch, seconds| {
        let record = FinetuneRecord::new(e, seconds);
        observer.epoch(&EpochRecord::Finetune(record.clone()));
        records.push(record);
    };
    watch.run(record, train)
}

/// Class probabilities of a classifier, `(n_samples, n_inputs) → (n_samples, n_classes)`.
///
/// # Errors
/// [`crate::Error::NotAClassifier`] for an `rbm` or a `da`; [`crate::Error::Model`] for
/// data of the wrong width.
pub fn probabilities<T: Float>(network: &Network<T>, x: &Matrix<T>) -> Result<Matrix<T>> {
    let classifier = network.classifier().ok_or(crate::Error::NotAClassifier {
        kind: network.kind().name(),
    })?;
    Ok(classifier.predict_proba(x)?)
}

impl From<Network<f32>> for AnyNetwork {
    fn from(n: Network<f32>) -> Self {
        AnyNetwork::F32(n)
    }
}

impl From<Network<f64>> for AnyNetwork {
    fn from(n: Network<f64>) -> Self {
        AnyNetwork::F64(n)
    }
}
