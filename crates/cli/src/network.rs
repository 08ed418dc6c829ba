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
use layerwise_layers::{DenoisingAutoencoder, HiddenLayer, Rbm};
use layerwise_linalg::{Float, Matrix};
use layerwise_models::{Classifier, Dbn, FinetuneEpoch, Mlp, PretrainEpoch, Sda};
use rand::Rng;
use serde::{Deserialize, Serialize};
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
    let started = Instant::now();
    let mut run = Run {
        config,
        train,
        validation,
        rng,
        observer,
        pretrain: Vec::new(),
        finetune: Vec::new(),
    };
    let network = match kind {
        ModelKind::Dbn | ModelKind::Rbm => run.dbn(kind == ModelKind::Rbm)?,
        ModelKind::Sda | ModelKind::Da => run.sda(kind == ModelKind::Da)?,
        ModelKind::Mlp => Network::Mlp(run.mlp()?),
        ModelKind::Logistic => Network::Logistic(run.mlp()?),
    };
    let record = TrainingRecord {
        n_train: train.n_samples(),
        n_validation: validation.map_or(0, Dataset::n_samples),
        pretrain: run.pretrain,
        finetune: run.finetune,
        seconds: Some(started.elapsed().as_secs_f64()),
    };
    Ok((network, record))
}

/// One training run: what every kind's training needs, and what it records.
struct Run<'a, T, R: ?Sized> {
    config: &'a TrainConfig,
    train: &'a Dataset<T>,
    validation: Option<&'a Dataset<T>>,
    rng: &'a mut R,
    observer: &'a mut dyn Observer,
    pretrain: Vec<PretrainRecord>,
    finetune: Vec<FinetuneRecord>,
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

    /// A DBN, pretrained then fine-tuned; or, for `lone_layer`, its one pretrained RBM.
    fn dbn(&mut self, lone_layer: bool) -> Result<Network<T>> {
        let (n_inputs, n_classes) = self.shape(lone_layer);
        let mut dbn = Dbn::new(n_inputs, n_classes, &self.config.dbn(), self.rng)?;
        let (x, layers, epochs) = (
            self.train.features(),
            self.config.hidden().len(),
            self.config.pretrain.epochs,
        );
        let rng = &mut *self.rng;
        self.pretrain =
            observe_pretrain(self.observer, layers, epochs, |cb| dbn.pretrain(x, rng, cb))?;
        if lone_layer {
            return Ok(Network::Rbm(dbn.into_parts().0.remove(0)));
        }
        let (train, validation) = (self.train, self.validation);
        self.finetune = observe_finetune(self.observer, self.config.finetune.epochs, |cb| {
            dbn.finetune(train, validation, rng, cb)
        })?;
        Ok(Network::Dbn(dbn))
    }

    /// An SDA, pretrained (monitored if configured) then fine-tuned; or, for `lone_layer`,
    /// its one pretrained dA.
    fn sda(&mut self, lone_layer: bool) -> Result<Network<T>> {
        let (n_inputs, n_classes) = self.shape(lone_layer);
        let mut sda = Sda::new(n_inputs, n_classes, &self.config.sda(), self.rng)?;
        let (x, layers, epochs) = (
            self.train.features(),
            self.config.hidden().len(),
            self.config.pretrain.epochs,
        );
        let v = self.validation.map(Dataset::features);
        let monitor = self.config.pretrain.monitor;
        let rng = &mut *self.rng;
        self.pretrain = observe_pretrain(self.observer, layers, epochs, |cb| match monitor {
            true => sda.pretrain_monitored(x, v, rng, cb),
            false => sda.pretrain(x, rng, cb),
        })?;
        if lone_layer {
            return Ok(Network::Da(sda.into_parts().0.remove(0)));
        }
        let (train, validation) = (self.train, self.validation);
        self.finetune = observe_finetune(self.observer, self.config.finetune.epochs, |cb| {
            sda.finetune(train, validation, rng, cb)
        })?;
        Ok(Network::Sda(sda))
    }

    /// A randomly initialised MLP (no hidden layers for `logistic`), trained.
    fn mlp(&mut self) -> Result<Mlp<T>> {
        let (n_inputs, n_classes) = self.shape(false);
        let mut mlp = Mlp::new(n_inputs, n_classes, &self.config.mlp(), self.rng)?;
        let (train, validation, rng) = (self.train, self.validation, &mut *self.rng);
        self.finetune = observe_finetune(self.observer, self.config.finetune.epochs, |cb| {
            mlp.train(train, validation, rng, cb)
        })?;
        Ok(mlp)
    }
}

/// Runs a pretraining, timing each epoch and telling the observer.
fn observe_pretrain<F>(
    observer: &mut dyn Observer,
    n_layers: usize,
    epochs: usize,
    run: F,
) -> Result<Vec<PretrainRecord>>
where
    F: FnOnce(&mut dyn FnMut(&PretrainEpoch)) -> layerwise_models::Result<Vec<PretrainEpoch>>,
{
    let phase = |layer| Phase::Pretrain {
        layer,
        n_layers,
        epochs,
    };
    if epochs > 0 && n_layers > 0 {
        observer.phase_started(phase(0));
    }
    let mut records = Vec::new();
    let mut last = Instant::now();
    run(&mut |e: &PretrainEpoch| {
        let record = PretrainRecord::new(e, last.elapsed().as_secs_f64());
        observer.epoch(&EpochRecord::Pretrain(record.clone()));
        records.push(record);
        if e.epoch + 1 == epochs && e.layer + 1 < n_layers {
            observer.phase_started(phase(e.layer + 1));
        }
        last = Instant::now();
    })?;
    Ok(records)
}

/// Runs a supervised training, timing each epoch and telling the observer.
fn observe_finetune<F>(
    observer: &mut dyn Observer,
    epochs: usize,
    run: F,
) -> Result<Vec<FinetuneRecord>>
where
    F: FnOnce(&mut dyn FnMut(&FinetuneEpoch)) -> layerwise_models::Result<Vec<FinetuneEpoch>>,
{
    if epochs > 0 {
        observer.phase_started(Phase::Finetune { epochs });
    }
    let mut records = Vec::new();
    let mut last = Instant::now();
    run(&mut |e: &FinetuneEpoch| {
        let record = FinetuneRecord::new(e, last.elapsed().as_secs_f64());
        observer.epoch(&EpochRecord::Finetune(record.clone()));
        records.push(record);
        last = Instant::now();
    })?;
    Ok(records)
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
