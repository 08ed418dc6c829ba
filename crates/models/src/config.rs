//! Training configurations, with the book's values as defaults, and their validation.
//!
//! The public structs are plain data a caller fills in; a model's constructor validates them
//! once into private checked forms, so a training loop never fails on configuration.

use crate::error::{Error, Result};
use layerwise_layers::{
    AisConfig, AisParams, DaParams, DecoderWeights, Loss, LrSchedule, Momentum, Noise,
    RbmTrainConfig, Sparsity, Visible,
};

/// How the input of layer ℓ ≥ 2 is computed from the layers below during pretraining.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    /// Binary samples h ~ p(h | input) at every layer, drawn afresh for each minibatch (the
    /// book's way, the default for a DBN).
    Sample,
    /// Mean activations σ(x Wᵀ + b), computed once per layer (the Theano tutorial's way, the
    /// default for an SDA).
    Mean,
}

/// Which parameters supervised fine-tuning changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinetuneMode {
    /// Backpropagation through every hidden layer and the logistic layer (the book's way).
    Full,
    /// Only the logistic layer learns, on the frozen features of the hidden stack.
    TopOnly,
}

/// Early stopping on the validation loss: training stops once the validation cross-entropy
/// has not improved for `patience` epochs, and the weights of the best epoch are restored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EarlyStopping {
    /// Epochs without improvement tolerated before stopping, at least 1.
    pub patience: usize,
    /// The least decrease of the validation loss that counts as an improvement, ≥ 0.
    pub min_delta: f64,
}

impl EarlyStopping {
    /// Stops after `patience` epochs without any decrease of the validation loss.
    pub fn patience(patience: usize) -> Self {
        EarlyStopping {
            patience,
            min_delta: 0.0,
        }
    }
}

/// Supervised fine-tuning by minibatch gradient descent on the softmax cross-entropy.
///
/// Epoch e uses the learning rate `schedule.learning_rate(η₀ · lr_decayᵉ, e)`: the book's
/// per-epoch decay and a [`LrSchedule`] compose, and either may be left neutral (decay 1,
/// [`LrSchedule::Constant`]). Each minibatch's step, for a weight matrix W with gradient G
/// and velocity V, is V ← μ V − η (G + λ W), W ← W + V (biases: no λ); with
/// μ = λ = 0 it is W ← W − η G. Dropout is inverted: kept units are scaled by
/// 1/(1 − p) during training, so prediction uses every unit unscaled and draws nothing.
#[derive(Clone, Debug, PartialEq)]
pub struct FinetuneConfig {
    /// Passes over the labelled data (at most: early stopping may end sooner).
    pub epochs: usize,
    /// Learning rate η₀ of the first epoch.
    pub learning_rate: f64,
    /// Per-epoch decay: epoch e uses η₀ · decayᵉ (then `schedule`); in (0, 1].
    pub lr_decay: f64,
    /// How η changes from epoch to epoch, on top of `lr_decay`.
    pub schedule: LrSchedule,
    /// Rows per minibatch; the last, smaller minibatch is trained on too.
    pub batch_size: usize,
    /// Which parameters learn.
    pub mode: FinetuneMode,
    /// Classical momentum μ in [0, 1); 0 is plain gradient descent.
    pub momentum: f64,
    /// L2 weight decay λ ≥ 0 on the weights (not the biases).
    pub l2: f64,
    /// Probability in [0, 1) of dropping each input unit during training. Full mode only
    /// when the model has hidden layers (the frozen features of top-only training are
    /// computed once).
    pub dropout_input: f64,
    /// Probability in [0, 1) of dropping each hidden unit during training (the input of
    /// every layer above the first).
    pub dropout_hidden: f64,
    /// Stop when the validation loss stops improving, restoring the best epoch's weights;
    /// needs a validation set.
    pub early_stopping: Option<EarlyStopping>,
}

impl Default for FinetuneConfig {
    /// The book's: 1000 epochs, η₀ = 0.15 decayed ×0.98 per epoch, minibatch 50, full;
    /// no momentum, decay, dropout or early stopping.
    fn default() -> Self {
        FinetuneConfig {
            epochs: 1000,
            learning_rate: 0.15,
            lr_decay: 0.98,
            schedule: LrSchedule::Constant,
            batch_size: 50,
            mode: FinetuneMode::Full,
            momentum: 0.0,
            l2: 0.0,
            dropout_input: 0.0,
            dropout_hidden: 0.0,
            early_stopping: None,
        }
    }
}

/// Greedy CD-k (or PCD-k) pretraining of each RBM of a DBN.
///
/// The options beyond the book's (persistent chains, schedule, momentum, decay, sparsity)
/// are those of [`layerwise_layers::RbmTrainConfig`]; each layer gets a fresh
/// [`layerwise_layers::RbmTrainer`] (zero velocity, new chains).
#[derive(Clone, Debug, PartialEq)]
pub struct RbmPretrainConfig {
    /// Passes over the data for each layer (0 skips pretraining).
    pub epochs: usize,
    /// Learning rate η of the first epoch.
    pub learning_rate: f64,
    /// Gibbs steps per update (k of CD-k).
    pub k: usize,
    /// Rows per minibatch.
    pub batch_size: usize,
    /// PCD-k: persistent chains, one per minibatch row, kept across minibatches and epochs.
    pub persistent: bool,
    /// How η changes from epoch to epoch.
    pub schedule: LrSchedule,
    /// Momentum, with its warm-up.
    pub momentum: Momentum,
    /// L2 weight decay λ₂ ≥ 0.
    pub l2: f64,
    /// L1 weight decay λ₁ ≥ 0.
    pub l1: f64,
    /// A target mean activation for the hidden units.
    pub sparsity: Option<Sparsity>,
    /// What to measure after each epoch, if anything.
    pub monitor: Option<RbmMonitorConfig>,
}

impl Default for RbmPretrainConfig {
    /// The book's: 1000 epochs of CD-1 at a constant η = 0.2, minibatch 50; no momentum,
    /// decay, sparsity or monitoring.
    fn default() -> Self {
        RbmPretrainConfig {
            epochs: 1000,
            learning_rate: 0.2,
            k: 1,
            batch_size: 50,
            persistent: false,
            schedule: LrSchedule::Constant,
            momentum: Momentum::none(),
            l2: 0.0,
            l1: 0.0,
            sparsity: None,
            monitor: None,
        }
    }
}

/// What DBN pretraining measures after each epoch of each RBM
/// ([`layerwise_layers::RbmMonitor`], in [`crate::PretrainEpoch::monitor`]).
///
/// The training rows measured are the first `subset` rows of the data, and the held-out
/// rows those given to [`crate::Dbn::pretrain_with_validation`], both propagated to the
/// layer once, before its first epoch (sampled or mean activations, as in training).
/// Measurements draw from their own generator, seeded with `seed`, so turning them on
/// never changes the trained model.
#[derive(Clone, Debug, PartialEq)]
pub struct RbmMonitorConfig {
    /// Training rows measured, at least 1 (fewer if the data has fewer).
    pub subset: usize,
    /// AIS settings when ln Z and the log-likelihoods are wanted every epoch (its cost is
    /// two GEMMs of chains × n_visible × n_hidden per temperature).
    pub ais: Option<AisConfig>,
    /// The seed of the measurements' generator.
    pub seed: u64,
}

impl Default for RbmMonitorConfig {
    /// 1000 rows, no AIS, seed 0.
    fn default() -> Self {
        RbmMonitorConfig {
            subset: 1000,
            ais: None,
            seed: 0,
        }
    }
}

/// The corruption a denoising autoencoder is trained to undo; its level is
/// [`DaPretrainConfig::corruption`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NoiseKind {
    /// Each input zeroed with probability `corruption` (the default).
    #[default]
    Masking,
    /// Each input set, with probability `corruption`, to 0 or 1 with equal chance.
    SaltAndPepper,
    /// N(0, σ²) added to each input, σ = `corruption`.
    Gaussian,
}

/// Greedy pretraining of each denoising autoencoder of an SDA.
#[derive(Clone, Debug, PartialEq)]
pub struct DaPretrainConfig {
    /// Passes over the data for each layer (0 skips pretraining).
    pub epochs: usize,
    /// Learning rate η.
    pub learning_rate: f64,
    /// Which noise corrupts the input.
    pub noise: NoiseKind,
    /// The noise's level: the probability p in [0, 1) of masking or of salt and pepper, or
    /// the standard deviation σ ≥ 0 of Gaussian noise.
    pub corruption: f64,
    /// What each dA minimises: cross-entropy (inputs in [0, 1]) or squared error.
    pub loss: Loss,
    /// Tied (W′ = Wᵀ) or untied decoder weights.
    pub decoder: DecoderWeights,
    /// Rows per minibatch.
    pub batch_size: usize,
}

impl Default for DaPretrainConfig {
    /// The book's: 1000 epochs, η = 0.2, masking noise of level 0.3, cross-entropy, tied
    /// weights, minibatch 50.
    fn default() -> Self {
        DaPretrainConfig {
            epochs: 1000,
            learning_rate: 0.2,
            noise: NoiseKind::Masking,
            corruption: 0.3,
            loss: Loss::CrossEntropy,
            decoder: DecoderWeights::Tied,
            batch_size: 50,
        }
    }
}

/// Everything that defines a DBN and its training.
#[derive(Clone, Debug, PartialEq)]
pub struct DbnConfig {
    /// Hidden layer sizes, bottom first; at least one.
    pub hidden_sizes: Vec<usize>,
    /// Pretraining of the RBMs.
    pub pretrain: RbmPretrainConfig,
    /// Fine-tuning of the whole classifier.
    pub finetune: FinetuneConfig,
    /// How layer ℓ ≥ 2 sees the data during pretraining.
    pub propagation: Propagation,
    /// The visible units of the bottom RBM (those above are Bernoulli): Gaussian for
    /// real-valued, standardised inputs.
    pub visible: Visible,
}

impl Default for DbnConfig {
    /// The book's network: two hidden layers of 20, sampled propagation, Bernoulli inputs.
    fn default() -> Self {
        DbnConfig {
            hidden_sizes: vec![20, 20],
            pretrain: RbmPretrainConfig::default(),
            finetune: FinetuneConfig::default(),
            propagation: Propagation::Sample,
            visible: Visible::Bernoulli,
        }
    }
}

/// Everything that defines an SDA and its training.
#[derive(Clone, Debug, PartialEq)]
pub struct SdaConfig {
    /// Hidden layer sizes, bottom first; at least one.
    pub hidden_sizes: Vec<usize>,
    /// Pretraining of the denoising autoencoders.
    pub pretrain: DaPretrainConfig,
    /// Fine-tuning of the whole classifier.
    pub finetune: FinetuneConfig,
    /// How layer ℓ ≥ 2 sees the data during pretraining.
    pub propagation: Propagation,
}

impl Default for SdaConfig {
    /// The book's network: two hidden layers of 20, mean propagation.
    fn default() -> Self {
        SdaConfig {
            hidden_sizes: vec![20, 20],
            pretrain: DaPretrainConfig::default(),
            finetune: FinetuneConfig::default(),
            propagation: Propagation::Mean,
        }
    }
}

/// Everything that defines a randomly initialised MLP and its training.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpConfig {
    /// Hidden layer sizes, bottom first; may be empty (plain logistic regression).
    pub hidden_sizes: Vec<usize>,
    /// Supervised training.
    pub finetune: FinetuneConfig,
}

impl Default for MlpConfig {
    /// The book's network shape and fine-tuning schedule, without pretraining.
    fn default() -> Self {
        MlpConfig {
            hidden_sizes: vec![20, 20],
            finetune: FinetuneConfig::default(),
        }
    }
}

/// [`FinetuneConfig`] once validated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CheckedFinetune {
    pub(crate) epochs: usize,
    pub(crate) learning_rate: f64,
    pub(crate) lr_decay: f64,
    pub(crate) schedule: LrSchedule,
    pub(crate) batch_size: usize,
    pub(crate) mode: FinetuneMode,
    pub(crate) momentum: f64,
    pub(crate) l2: f64,
    pub(crate) dropout_input: f64,
    pub(crate) dropout_hidden: f64,
    pub(crate) early_stopping: Option<EarlyStopping>,
}

impl CheckedFinetune {
    /// The book's plain schedule with the given essentials and no other option.
    #[cfg(test)]
    pub(crate) fn plain(epochs: usize, learning_rate: f64, lr_decay: f64, batch: usize) -> Self {
        let cfg = FinetuneConfig {
            epochs,
            learning_rate,
            lr_decay,
            batch_size: batch,
            ..FinetuneConfig::default()
        };
        cfg.check().expect("valid")
    }
}

impl FinetuneConfig {
    /// [`FinetuneConfig::check`] plus a learning rate that stays finite in `T`, for a model
    /// with `n_hidden_layers` sigmoid layers under its logistic layer.
    pub(crate) fn check_for<T: layerwise_linalg::Float>(
        &self,
        n_hidden_layers: usize,
    ) -> Result<CheckedFinetune> {
        let checked = self.check()?;
        representable::<T>("finetune.learning_rate", checked.learning_rate)?;
        let frozen = checked.mode == FinetuneMode::TopOnly && n_hidden_layers > 0;
        if frozen && checked.dropout_input > 0.0 {
            return Err(invalid(
                "finetune.dropout_input",
                checked.dropout_input,
                "0 when only the top layer learns on frozen features",
            ));
        }
        Ok(checked)
    }

    pub(crate) fn check(&self) -> Result<CheckedFinetune> {
        positive("finetune.learning_rate", self.learning_rate)?;
        if !(self.lr_decay > 0.0 && self.lr_decay <= 1.0) {
            return Err(invalid(
                "finetune.lr_decay",
                self.lr_decay,
                "a factor in (0, 1]",
            ));
        }
        self.schedule.validate()?;
        batch("finetune.batch_size", self.batch_size)?;
        let unit = (0.0..1.0).contains(&self.momentum);
        if !unit {
            return Err(invalid(
                "finetune.momentum",
                self.momentum,
                "a value in [0, 1)",
            ));
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(invalid("finetune.l2", self.l2, "a finite number ≥ 0"));
        }
        for (name, p) in [
            ("finetune.dropout_input", self.dropout_input),
            ("finetune.dropout_hidden", self.dropout_hidden),
        ] {
            if !(0.0..1.0).contains(&p) {
                return Err(invalid(name, p, "a probability in [0, 1)"));
            }
        }
        if let Some(stop) = &self.early_stopping {
            if stop.patience == 0 {
                return Err(invalid("finetune.early_stopping.patience", 0, "at least 1"));
            }
            if !(stop.min_delta.is_finite() && stop.min_delta >= 0.0) {
                let delta = stop.min_delta;
                let name = "finetune.early_stopping.min_delta";
                return Err(invalid(name, delta, "a finite number ≥ 0"));
            }
        }
        Ok(CheckedFinetune {
            epochs: self.epochs,
            learning_rate: self.learning_rate,
            lr_decay: self.lr_decay,
            schedule: self.schedule,
            batch_size: self.batch_size,
            mode: self.mode,
            momentum: self.momentum,
            l2: self.l2,
            dropout_input: self.dropout_input,
            dropout_hidden: self.dropout_hidden,
            early_stopping: self.early_stopping,
        })
    }
}

/// [`RbmPretrainConfig`] once validated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CheckedRbmPretrain {
    /// The trainer's options, validated.
    pub(crate) train: RbmTrainConfig,
    pub(crate) epochs: usize,
    pub(crate) batch_size: usize,
    pub(crate) monitor: Option<CheckedMonitor>,
}

/// [`RbmMonitorConfig`] once validated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CheckedMonitor {
    pub(crate) subset: usize,
    pub(crate) ais: Option<AisParams>,
    pub(crate) seed: u64,
}

impl RbmPretrainConfig {
    pub(crate) fn check(&self) -> Result<CheckedRbmPretrain> {
        positive("pretrain.learning_rate", self.learning_rate)?;
        if self.k == 0 {
            return Err(invalid("pretrain.k", 0, "at least 1 Gibbs step"));
        }
        batch("pretrain.batch_size", self.batch_size)?;
        let train = RbmTrainConfig {
            learning_rate: self.learning_rate,
            schedule: self.schedule,
            k: self.k,
            persistent: self.persistent,
            momentum: self.momentum,
            l2: self.l2,
            l1: self.l1,
            sparsity: self.sparsity,
        };
        train.validate()?;
        let monitor = self
            .monitor
            .as_ref()
            .map(RbmMonitorConfig::check)
            .transpose()?;
        Ok(CheckedRbmPretrain {
            train,
            epochs: self.epochs,
            batch_size: self.batch_size,
            monitor,
        })
    }
}

impl RbmMonitorConfig {
    fn check(&self) -> Result<CheckedMonitor> {
        batch("pretrain.monitor.subset", self.subset)?;
        let ais = self.ais.as_ref().map(AisParams::new).transpose()?;
        Ok(CheckedMonitor {
            subset: self.subset,
            ais,
            seed: self.seed,
        })
    }
}

impl DaPretrainConfig {
    /// The checked step parameters; the learning rate and σ must also stay finite in `T`.
    pub(crate) fn check_for<T: layerwise_linalg::Float>(&self) -> Result<DaParams> {
        positive("pretrain.learning_rate", self.learning_rate)?;
        representable::<T>("pretrain.learning_rate", self.learning_rate)?;
        let noise = self.checked_noise::<T>()?;
        batch("pretrain.batch_size", self.batch_size)?;
        Ok(DaParams::with_noise(self.learning_rate, noise)?)
    }

    /// The noise of the configured kind, its level checked as `pretrain.corruption`.
    fn checked_noise<T: layerwise_linalg::Float>(&self) -> Result<Noise> {
        const PROBABILITY: &str = "a probability in [0, 1)";
        let level = self.corruption;
        let probability = (0.0..1.0).contains(&level);
        let (noise, ok, expected) = match self.noise {
            NoiseKind::Masking => (Noise::Masking { p: level }, probability, PROBABILITY),
            NoiseKind::SaltAndPepper => {
                (Noise::SaltAndPepper { p: level }, probability, PROBABILITY)
            }
            NoiseKind::Gaussian => {
                let ok = level.is_finite() && level >= 0.0;
                (
                    Noise::Gaussian { std: level },
                    ok,
                    "a finite standard deviation ≥ 0",
                )
            }
        };
        if !ok {
            return Err(invalid("pretrain.corruption", level, expected));
        }
        if self.noise == NoiseKind::Gaussian {
            representable::<T>("pretrain.corruption", level)?;
        }
        Ok(noise)
    }
}

/// Checks sizes of the input, the classes and each hidden layer (at least one unless
/// `allow_none`).
pub(crate) fn check_shape(
    n_inputs: usize,
    n_classes: usize,
    hidden_sizes: &[usize],
    allow_none: bool,
) -> Result<()> {
    if n_inputs == 0 {
        return Err(invalid("n_inputs", 0, "at least 1"));
    }
    if n_classes < 2 {
        return Err(invalid("n_classes", n_classes, "at least 2"));
    }
    if hidden_sizes.is_empty() && !allow_none {
        return Err(invalid("hidden_sizes", "[]", "at least one hidden layer"));
    }
    if hidden_sizes.contains(&0) {
        return Err(invalid(
            "hidden_sizes",
            format!("{hidden_sizes:?}"),
            "sizes of at least 1",
        ));
    }
    Ok(())
}

/// `Ok(())` when `value` stays finite in the model's float type (1e39 does not in f32).
pub(crate) fn representable<T: layerwise_linalg::Float>(
    name: &'static str,
    value: f64,
) -> Result<()> {
    if T::from_f64(value).is_finite() {
        Ok(())
    } else {
        Err(invalid(
            name,
            value,
            "a value finite in the model's float type",
        ))
    }
}

pub(crate) fn positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(invalid(name, value, "a finite number > 0"))
    }
}

pub(crate) fn batch(name: &'static str, value: usize) -> Result<()> {
    if value == 0 {
        Err(invalid(name, 0, "at least 1"))
    } else {
        Ok(())
    }
}

pub(crate) fn invalid(name: &'static str, value: impl ToString, expected: &'static str) -> Error {
    Error::InvalidConfig {
        name,
        value: value.to_string(),
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_named() {
        let mut f = FinetuneConfig {
            learning_rate: -0.5,
            ..FinetuneConfig::default()
        };
        let e = f.check().unwrap_err().to_string();
        assert!(e.contains("finetune.learning_rate = -0.5"), "{e}");
        f.learning_rate = 0.1;
        f.lr_decay = 1.5;
        assert!(f
            .check()
            .unwrap_err()
            .to_string()
            .contains("lr_decay = 1.5"));
        f.lr_decay = 1.0;
        f.batch_size = 0;
        assert!(f
            .check()
            .unwrap_err()
            .to_string()
            .contains("batch_size = 0"));
        f.batch_size = 10;
        for (bad, name) in [
            (
                FinetuneConfig {
                    momentum: 1.0,
                    ..f.clone()
                },
                "momentum = 1",
            ),
            (
                FinetuneConfig {
                    l2: -1.0,
                    ..f.clone()
                },
                "l2 = -1",
            ),
            (
                FinetuneConfig {
                    dropout_input: 1.0,
                    ..f.clone()
                },
                "dropout_input = 1",
            ),
            (
                FinetuneConfig {
                    dropout_hidden: -0.1,
                    ..f.clone()
                },
                "dropout_hidden = -0.1",
            ),
            (
                FinetuneConfig {
                    early_stopping: Some(EarlyStopping::patience(0)),
                    ..f.clone()
                },
                "patience = 0",
            ),
            (
                FinetuneConfig {
                    schedule: LrSchedule::Step {
                        every: 0,
                        factor: 0.5,
                    },
                    ..f.clone()
                },
                "every",
            ),
        ] {
            let e = bad.check().unwrap_err().to_string();
            assert!(e.contains(name), "{e}");
        }
        let frozen = FinetuneConfig {
            mode: FinetuneMode::TopOnly,
            dropout_input: 0.2,
            ..f.clone()
        };
        assert!(frozen.check_for::<f64>(0).is_ok());
        let e = frozen.check_for::<f64>(2).unwrap_err().to_string();
        assert!(e.contains("dropout_input = 0.2"), "{e}");
        assert!(check_shape(60, 3, &[], false).is_err());
        assert!(check_shape(60, 3, &[], true).is_ok());
        assert!(check_shape(60, 3, &[20, 0], false)
            .unwrap_err()
            .to_string()
            .contains("[20, 0]"));
    }

    #[test]
    fn each_noise_level_is_checked_against_its_own_range() {
        let mut p = DaPretrainConfig {
            noise: NoiseKind::Gaussian,
            corruption: 1.5,
            ..DaPretrainConfig::default()
        };
        let da = p.check_for::<f64>().unwrap();
        assert_eq!(da.noise(), Noise::Gaussian { std: 1.5 });
        p.corruption = -0.1;
        let e = p.check_for::<f64>().unwrap_err().to_string();
        assert!(
            e.contains("pretrain.corruption = -0.1") && e.contains("deviation"),
            "{e}"
        );
        p.corruption = 1e39; // finite in f64, infinite in f32
        assert!(p.check_for::<f64>().is_ok());
        let e = p.check_for::<f32>().unwrap_err().to_string();
        assert!(e.contains("pretrain.corruption = 1"), "{e}");
        p.noise = NoiseKind::SaltAndPepper;
        p.corruption = 1.0;
        let e = p.check_for::<f64>().unwrap_err().to_string();
        assert!(
            e.contains("pretrain.corruption = 1") && e.contains("[0, 1)"),
            "{e}"
        );
        p.corruption = 0.25;
        let da = p.check_for::<f64>().unwrap();
        assert_eq!(da.noise(), Noise::SaltAndPepper { p: 0.25 });
        let default = DaPretrainConfig::default().check_for::<f32>().unwrap();
        assert_eq!(default, DaParams::new(0.2, 0.3).unwrap());
    }
}
