//! The training configuration: defaults, then a TOML file, then flags, resolved once.
//!
//! [`TrainConfig`] is plain data whose fields mirror the models' configurations
//! (`pretrain.learning_rate` is `RbmPretrainConfig::learning_rate` and
//! `DaPretrainConfig::learning_rate`, and so on), so the models' own messages about a bad
//! value name the key to change. A file needs only the keys it changes:
//!
//! ```toml
//! seed = 7
//! [data]
//! train = "iris.csv"
//! scaling = "standardise"
//! [network]
//! hidden = [16]
//! [finetune]
//! epochs = 200
//! ```
//!
//! [`TrainConfig::resolve`] fills what depends on the model's kind (the hidden sizes and
//! the propagation), checks the settings that no model checks, and gives the configuration
//! that is saved with the model.

use crate::error::{io_error, Error, Result};
use crate::picture::ImageShape;
use crate::scaling::ScalingSpec;
use clap::ValueEnum;
use layerwise_layers::{LrSchedule, Momentum, Sparsity, Visible};
use layerwise_models::{
    DaPretrainConfig, DbnConfig, DecoderWeights, EarlyStopping, FinetuneConfig, FinetuneMode, Loss,
    MlpConfig, NoiseKind, Propagation, RbmPretrainConfig, SdaConfig,
};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// What `layerwise train` trains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// A Deep Belief Net: RBMs pretrained greedily, then fine-tuned as a classifier.
    Dbn,
    /// A Stacked Denoising Autoencoder: dAs pretrained greedily, then fine-tuned.
    Sda,
    /// One RBM, trained by CD-k on unlabelled rows (not a classifier).
    Rbm,
    /// One denoising autoencoder, trained on unlabelled rows (not a classifier).
    Da,
    /// A randomly initialised multilayer perceptron, trained by backpropagation.
    Mlp,
    /// Softmax (multinomial logistic) regression alone.
    Logistic,
}

impl ModelKind {
    /// The kind's name as on the command line: `"dbn"`, `"sda"`, ….
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Dbn => "dbn",
            ModelKind::Sda => "sda",
            ModelKind::Rbm => "rbm",
            ModelKind::Da => "da",
            ModelKind::Mlp => "mlp",
            ModelKind::Logistic => "logistic",
        }
    }

    /// The kind named `name`, as [`ModelKind::name`] spells it.
    pub fn from_name(name: &str) -> Option<ModelKind> {
        ModelKind::value_variants()
            .iter()
            .copied()
            .find(|k| k.name() == name)
    }

    /// `true` for the kinds that end in a softmax layer and so predict classes.
    pub fn is_classifier(self) -> bool {
        !matches!(self, ModelKind::Rbm | ModelKind::Da)
    }

    /// `true` for the kinds whose layers are pretrained (and so use `[pretrain]`).
    pub fn pretrains(self) -> bool {
        matches!(
            self,
            ModelKind::Dbn | ModelKind::Sda | ModelKind::Rbm | ModelKind::Da
        )
    }

    /// `true` for the kinds built of RBMs (and so use `pretrain.k`).
    pub fn uses_rbms(self) -> bool {
        matches!(self, ModelKind::Dbn | ModelKind::Rbm)
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The float type a model trains and is stored in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Dtype {
    /// 32-bit floats (the default): half the memory, about twice the speed.
    #[default]
    F32,
    /// 64-bit floats.
    F64,
}

impl Dtype {
    /// `"f32"` or `"f64"`, as the model file's metadata spells it.
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
        }
    }
}

/// A data set known by name, found in a folder of IDX files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// Zalando's Fashion-MNIST: Debian's package `dataset-fashion-mnist` installs it in
    /// `/usr/share/datasets/fashion-mnist`.
    FashionMnist,
    /// LeCun's MNIST digits, the same file names (its folder must be given).
    Mnist,
}

/// How a data file is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DataFormat {
    /// Delimited text, one row per line.
    Csv,
    /// An IDX image file (plain or gzipped) with its label file.
    Idx,
}

/// Whether a CSV file's first row names the columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum HeaderMode {
    /// A header when a field of the first row outside the label column is not a number
    /// (always when the label column is given by name).
    #[default]
    Auto,
    /// The first row is a header.
    Yes,
    /// Every row is data.
    No,
}

/// Which CSV column holds the labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum LabelColumn {
    /// The first column.
    First,
    /// The last column (the default).
    #[default]
    Last,
    /// No label column: every column is a feature.
    None,
    /// The column at this index, from 0.
    Index(usize),
    /// The column with this name in the header.
    Name(String),
}

impl std::str::FromStr for LabelColumn {
    type Err = std::convert::Infallible;

    /// `first`, `last`, `none`, an index from 0, or else a column name.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(match s {
            "first" => LabelColumn::First,
            "last" => LabelColumn::Last,
            "none" => LabelColumn::None,
            _ => match s.parse::<usize>() {
                Ok(i) => LabelColumn::Index(i),
                Err(_) => LabelColumn::Name(s.to_string()),
            },
        })
    }
}

impl fmt::Display for LabelColumn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelColumn::First => f.write_str("first"),
            LabelColumn::Last => f.write_str("last"),
            LabelColumn::None => f.write_str("none"),
            LabelColumn::Index(i) => write!(f, "{i}"),
            LabelColumn::Name(n) => f.write_str(n),
        }
    }
}

impl Serialize for LabelColumn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            LabelColumn::Index(i) => s.serialize_u64(*i as u64),
            other => s.serialize_str(&other.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for LabelColumn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Index(usize),
            Text(String),
        }
        Ok(match Raw::deserialize(d)? {
            Raw::Index(i) => LabelColumn::Index(i),
            Raw::Text(t) => t.parse().unwrap_or_default(),
        })
    }
}

/// How CSV files are read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsvOptions {
    /// Whether the first row is a header.
    pub header: HeaderMode,
    /// The label column.
    pub label: LabelColumn,
    /// The field delimiter, one ASCII character (`"\t"` for tab).
    pub delimiter: char,
}

impl Default for CsvOptions {
    /// Header detected, labels in the last column, comma-separated.
    fn default() -> Self {
        CsvOptions {
            header: HeaderMode::Auto,
            label: LabelColumn::Last,
            delimiter: ',',
        }
    }
}

impl CsvOptions {
    /// The delimiter as the byte the CSV reader takes.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] for a delimiter that is not one ASCII character.
    pub fn delimiter_byte(&self) -> Result<u8> {
        match u8::try_from(self.delimiter) {
            Ok(b) if b.is_ascii() && b != b'"' && b != b'\n' && b != b'\r' => Ok(b),
            _ => Err(Error::InvalidSetting {
                name: "data.csv.delimiter",
                value: format!("{:?}", self.delimiter),
                expected: "one ASCII character other than a quote or a line break".into(),
            }),
        }
    }
}

/// Where the training data comes from and how it is prepared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataConfig {
    /// A named data set (its training split), instead of `train`.
    pub dataset: Option<DatasetName>,
    /// The folder of the named data set, when not its default one.
    pub data_dir: Option<PathBuf>,
    /// The training file: CSV, or an IDX image file.
    pub train: Option<PathBuf>,
    /// The IDX label file of `train`, when its name does not follow from the image file's.
    pub train_labels: Option<PathBuf>,
    /// The format of the files; by default IDX when the name has `-idx` and `-ubyte`.
    pub format: Option<DataFormat>,
    /// The fraction of the training rows held out for validation, in [0, 1).
    pub validation: f64,
    /// A separate validation file (instead of a held-out fraction).
    pub validation_file: Option<PathBuf>,
    /// The IDX label file of `validation_file`.
    pub validation_labels: Option<PathBuf>,
    /// How features are scaled; by default `divide:255` for IDX bytes and `none` for CSV.
    pub scaling: Option<ScalingSpec>,
    /// How CSV files are read.
    pub csv: CsvOptions,
    /// The width × height of the images the rows are (`"28x28"`), for `layerwise filters`
    /// and `sample`; recorded from an IDX file's header when not given.
    pub image_shape: Option<ImageShape>,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            dataset: None,
            data_dir: None,
            train: None,
            train_labels: None,
            format: None,
            validation: 0.0,
            validation_file: None,
            validation_labels: None,
            scaling: None,
            csv: CsvOptions::default(),
            image_shape: None,
        }
    }
}

/// The network's shape.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Hidden layer sizes, bottom first. By default `[500, 250]` (`dbn`, `sda`, `mlp`),
    /// `[500]` (`rbm`, `da`: exactly one) or `[]` (`logistic`: none).
    pub hidden: Option<Vec<usize>>,
    /// The visible units of the bottom RBM (`dbn`, `rbm`).
    pub visible: VisibleArg,
}

/// The visible units of the bottom RBM.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum VisibleArg {
    /// Binary units, for inputs in [0, 1] (the default).
    #[default]
    Bernoulli,
    /// Real-valued units of unit variance, for standardised inputs.
    Gaussian,
}

impl VisibleArg {
    /// The layers crate's value.
    pub fn units(self) -> Visible {
        match self {
            VisibleArg::Bernoulli => Visible::Bernoulli,
            VisibleArg::Gaussian => Visible::Gaussian,
        }
    }
}

/// The dA's corruption.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum NoiseArg {
    /// Each input zeroed with probability `corruption`.
    #[default]
    Masking,
    /// Each input set, with probability `corruption`, to 0 or 1.
    SaltPepper,
    /// N(0, σ²) added to each input, σ = `corruption`.
    Gaussian,
}

/// What a dA minimises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum LossArg {
    /// Cross-entropy with a sigmoid output, for inputs in [0, 1].
    #[default]
    CrossEntropy,
    /// Squared error with a linear output, for real-valued inputs.
    SquaredError,
}

/// Whether a dA's decoder reuses the encoder's weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DecoderArg {
    /// W′ = Wᵀ.
    #[default]
    Tied,
    /// A decoder matrix of its own.
    Untied,
}

/// How layer ℓ ≥ 2 sees the data during pretraining.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PropagationArg {
    /// Binary samples, drawn afresh for each minibatch (the DBN's default).
    Sample,
    /// Mean activations, computed once (the SDA's default).
    Mean,
}

/// Which parameters fine-tuning changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum FinetuneModeArg {
    /// Backpropagation through every layer.
    #[default]
    Full,
    /// Only the softmax layer learns, on the frozen features below it.
    TopOnly,
}

/// How a learning rate changes with the epoch e (from 0), written `constant`, `exp:D` or
/// `step:EVERY:FACTOR` in flags and files:
///
/// - `constant`: η_e = η₀;
/// - `exp:D`: η_e = η₀ · Dᵉ, D in (0, 1];
/// - `step:EVERY:FACTOR`: η_e = η₀ · FACTOR^⌊e / EVERY⌋, EVERY ≥ 1, FACTOR in (0, 1].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Schedule(pub LrSchedule);

impl std::str::FromStr for Schedule {
    type Err = String;

    /// Parses and checks a schedule; the message says what is wrong.
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let expected = "expected constant, exp:DECAY or step:EVERY:FACTOR";
        let factor = |v: &str| {
            v.parse::<f64>()
                .map_err(|_| format!("{v:?} in {s:?} is not a number ({expected})"))
        };
        let parts: Vec<&str> = s.split(':').collect();
        let schedule = match parts[..] {
            ["constant"] => LrSchedule::Constant,
            ["exp", decay] => LrSchedule::Exponential {
                decay: factor(decay)?,
            },
            ["step", every, f] => LrSchedule::Step {
                every: every
                    .parse()
                    .map_err(|_| format!("{every:?} in {s:?} is not a whole number of epochs"))?,
                factor: factor(f)?,
            },
            _ => return Err(format!("{s:?}: {expected}")),
        };
        schedule.validate().map_err(|e| format!("{s:?}: {e}"))?;
        Ok(Schedule(schedule))
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            LrSchedule::Constant => f.write_str("constant"),
            LrSchedule::Exponential { decay } => write!(f, "exp:{decay}"),
            LrSchedule::Step { every, factor } => write!(f, "step:{every}:{factor}"),
        }
    }
}

impl Serialize for Schedule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Greedy pretraining of the RBMs (`dbn`, `rbm`) or dAs (`sda`, `da`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PretrainSection {
    /// Passes over the data for each layer (0 skips pretraining).
    pub epochs: usize,
    /// Learning rate η.
    pub learning_rate: f64,
    /// Rows per minibatch.
    pub batch_size: usize,
    /// Gibbs steps of CD-k (RBMs).
    pub k: usize,
    /// PCD-k: persistent chains instead of chains started at the data (RBMs).
    pub persistent: bool,
    /// How η changes with the epoch (RBMs).
    pub schedule: Schedule,
    /// Momentum μ in [0, 1) after the warm-up (RBMs).
    pub momentum: f64,
    /// Momentum during the first `momentum_warmup_epochs` epochs; by default `momentum`
    /// (RBMs).
    pub momentum_warmup: Option<f64>,
    /// Epochs of momentum warm-up (RBMs).
    pub momentum_warmup_epochs: usize,
    /// L2 weight decay λ₂ ≥ 0 on W (RBMs).
    pub l2: f64,
    /// L1 weight decay λ₁ ≥ 0 on W (RBMs).
    pub l1: f64,
    /// A target mean activation p in (0, 1) of each hidden unit, if any (RBMs).
    pub sparsity_target: Option<f64>,
    /// The sparsity penalty's cost s ≥ 0 (RBMs, with `sparsity_target`).
    pub sparsity_cost: f64,
    /// The corruption (dAs).
    pub noise: NoiseArg,
    /// The corruption's level: a probability, or σ for Gaussian noise (dAs).
    pub corruption: f64,
    /// What each dA minimises.
    pub loss: LossArg,
    /// Tied or untied decoder weights (dAs).
    pub decoder: DecoderArg,
    /// How layer ℓ ≥ 2 sees the data; by default `sample` for RBMs and `mean` for dAs.
    pub propagation: Option<PropagationArg>,
    /// Also measure each dA's reconstruction loss of the clean training (and validation)
    /// rows after every epoch (dAs; costs time, changes nothing).
    pub monitor: bool,
}

impl Default for PretrainSection {
    /// 3 epochs at η = 0.05, minibatch 50, CD-1 without momentum, decay or sparsity (a cost
    /// of 0.1 once a target is set), masking noise 0.2, cross-entropy, tied.
    fn default() -> Self {
        PretrainSection {
            epochs: 3,
            learning_rate: 0.05,
            batch_size: 50,
            k: 1,
            persistent: false,
            schedule: Schedule::default(),
            momentum: 0.0,
            momentum_warmup: None,
            momentum_warmup_epochs: 0,
            l2: 0.0,
            l1: 0.0,
            sparsity_target: None,
            sparsity_cost: 0.1,
            noise: NoiseArg::Masking,
            corruption: 0.2,
            loss: LossArg::CrossEntropy,
            decoder: DecoderArg::Tied,
            propagation: None,
            monitor: false,
        }
    }
}

/// Supervised training: fine-tuning (`dbn`, `sda`) or the whole training (`mlp`,
/// `logistic`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FinetuneSection {
    /// Passes over the labelled data.
    pub epochs: usize,
    /// Learning rate η₀ of the first epoch.
    pub learning_rate: f64,
    /// Per-epoch decay of the learning rate, in (0, 1].
    pub lr_decay: f64,
    /// Rows per minibatch.
    pub batch_size: usize,
    /// Which parameters learn.
    pub mode: FinetuneModeArg,
    /// How η changes with the epoch, on top of `lr_decay`.
    pub schedule: Schedule,
    /// Classical momentum μ in [0, 1).
    pub momentum: f64,
    /// L2 weight decay λ ≥ 0 on the weights.
    pub l2: f64,
    /// Probability in [0, 1) of dropping each input unit (full mode only).
    pub dropout_input: f64,
    /// Probability in [0, 1) of dropping each hidden unit.
    pub dropout_hidden: f64,
    /// Early stopping: epochs without a better validation loss before training stops and
    /// the best epoch's weights return; needs validation rows.
    pub patience: Option<usize>,
    /// The least decrease of the validation loss that counts as better (with `patience`).
    pub min_delta: f64,
}

impl Default for FinetuneSection {
    /// 15 epochs at η₀ = 0.2 decayed ×0.95, minibatch 50, full backpropagation; no
    /// schedule, momentum, decay, dropout or early stopping.
    fn default() -> Self {
        FinetuneSection {
            epochs: 15,
            learning_rate: 0.2,
            lr_decay: 0.95,
            batch_size: 50,
            mode: FinetuneModeArg::Full,
            schedule: Schedule::default(),
            momentum: 0.0,
            l2: 0.0,
            dropout_input: 0.0,
            dropout_hidden: 0.0,
            patience: None,
            min_delta: 0.0,
        }
    }
}

/// Everything that defines a training run; saved with the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    /// Seed of the one generator behind every random step (split, initialisation,
    /// minibatches, sampling, noise): the same seed and data give the same model, bit for
    /// bit, whatever the thread count.
    pub seed: u64,
    /// The float type.
    pub dtype: Dtype,
    /// The data.
    pub data: DataConfig,
    /// The network's shape.
    pub network: NetworkConfig,
    /// Greedy pretraining.
    pub pretrain: PretrainSection,
    /// Supervised training.
    pub finetune: FinetuneSection,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            seed: 1,
            dtype: Dtype::F32,
            data: DataConfig::default(),
            network: NetworkConfig::default(),
            pretrain: PretrainSection::default(),
            finetune: FinetuneSection::default(),
        }
    }
}

impl TrainConfig {
    /// The defaults overridden by the keys of a TOML file.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::ConfigFile`] for invalid TOML,
    /// an unknown key or a value of the wrong type (the message names the line).
    pub fn from_toml_file(path: &Path) -> Result<TrainConfig> {
        let text = std::fs::read_to_string(path).map_err(io_error(path))?;
        TrainConfig::from_toml(&text).map_err(|reason| Error::ConfigFile {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// The defaults overridden by the keys of a TOML text; the parser's message on failure.
    pub fn from_toml(text: &str) -> std::result::Result<TrainConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The configuration as TOML, which [`TrainConfig::from_toml`] reads back.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a configuration always serialises to TOML")
    }

    /// Fills what depends on the kind and checks what no model checks.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] for hidden sizes the kind does not take, a validation
    /// fraction outside [0, 1), both a fraction and a validation file, no training data or
    /// two sources of it, or a bad CSV delimiter.
    pub fn resolve(mut self, kind: ModelKind) -> Result<TrainConfig> {
        let hidden = self.network.hidden.take().unwrap_or_else(|| match kind {
            ModelKind::Rbm | ModelKind::Da => vec![500],
            ModelKind::Logistic => vec![],
            _ => vec![500, 250],
        });
        check_hidden(kind, &hidden)?;
        self.network.hidden = Some(hidden);
        let default_propagation = match kind.uses_rbms() {
            true => PropagationArg::Sample,
            false => PropagationArg::Mean,
        };
        self.pretrain.propagation = self.pretrain.propagation.or(Some(default_propagation));
        self.check_data()?;
        self.check_toolbox()?;
        self.check_kind_options(kind)?;
        Ok(self)
    }

    /// Refuses an RBM option set for a kind without RBMs, or a dA option for a kind without
    /// dAs, rather than ignoring it.
    fn check_kind_options(&self, kind: ModelKind) -> Result<()> {
        let (p, d) = (&self.pretrain, PretrainSection::default());
        let rbm_only = [
            ("pretrain.k", p.k != d.k),
            ("pretrain.persistent", p.persistent != d.persistent),
            ("pretrain.schedule", p.schedule != d.schedule),
            ("pretrain.momentum", p.momentum != d.momentum),
            (
                "pretrain.momentum_warmup",
                p.momentum_warmup != d.momentum_warmup,
            ),
            (
                "pretrain.momentum_warmup_epochs",
                p.momentum_warmup_epochs != d.momentum_warmup_epochs,
            ),
            ("pretrain.l2", p.l2 != d.l2),
            ("pretrain.l1", p.l1 != d.l1),
            (
                "pretrain.sparsity_target",
                p.sparsity_target != d.sparsity_target,
            ),
            ("pretrain.sparsity_cost", p.sparsity_cost != d.sparsity_cost),
        ];
        let da_only = [
            ("pretrain.noise", p.noise != d.noise),
            ("pretrain.corruption", p.corruption != d.corruption),
            ("pretrain.loss", p.loss != d.loss),
            ("pretrain.decoder", p.decoder != d.decoder),
            ("pretrain.monitor", p.monitor != d.monitor),
        ];
        let uses_das = matches!(kind, ModelKind::Sda | ModelKind::Da);
        let refused = rbm_only
            .iter()
            .filter(|_| !kind.uses_rbms())
            .chain(da_only.iter().filter(|_| !uses_das))
            .find(|(_, set)| *set);
        match refused {
            Some(&(name, _)) => Err(Error::OptionNotForKind {
                name,
                kind: kind.name(),
                used_by: match rbm_only.iter().any(|(n, _)| *n == name) {
                    true => "dbn and rbm (their RBMs)",
                    false => "sda and da (their denoising autoencoders)",
                },
            }),
            None => Ok(()),
        }
    }

    /// The resolved hidden sizes (empty before [`TrainConfig::resolve`] only for
    /// `logistic`).
    pub fn hidden(&self) -> &[usize] {
        self.network.hidden.as_deref().unwrap_or(&[])
    }

    fn check_data(&self) -> Result<()> {
        let d = &self.data;
        if !(0.0..1.0).contains(&d.validation) {
            return Err(setting(
                "data.validation",
                d.validation,
                "a fraction in [0, 1)",
            ));
        }
        if d.validation > 0.0 && d.validation_file.is_some() {
            let expected = "0 when data.validation_file is given (one or the other)";
            return Err(setting("data.validation", d.validation, expected));
        }
        match (&d.dataset, &d.train) {
            (Some(name), Some(train)) => {
                let value = format!("{name:?} and data.train = {}", train.display());
                let expected = "a data set or a training file, not both";
                return Err(setting("data.dataset", value, expected));
            }
            (None, None) => {
                let expected = "a training file (--train) or a data set (--dataset)";
                return Err(setting("data.train", "nothing", expected));
            }
            _ => {}
        }
        if d.dataset == Some(DatasetName::Mnist) && d.data_dir.is_none() {
            return Err(setting(
                "data.data_dir",
                "nothing",
                "MNIST's folder (--data-dir)",
            ));
        }
        d.csv.delimiter_byte()?;
        Ok(())
    }

    /// The training options the models would also check, checked here under their keys
    /// and flags (the models name their own fields).
    fn check_toolbox(&self) -> Result<()> {
        let (p, f) = (&self.pretrain, &self.finetune);
        let unit = "a value in [0, 1)";
        let decay = "a finite number ≥ 0";
        let checks: [(&'static str, &str, f64, bool, &str); 10] = [
            (
                "pretrain.momentum",
                "--pretrain-momentum",
                p.momentum,
                in_unit(p.momentum),
                unit,
            ),
            (
                "pretrain.momentum_warmup",
                "--momentum-warmup",
                p.momentum_warmup.unwrap_or(0.0),
                in_unit(p.momentum_warmup.unwrap_or(0.0)),
                unit,
            ),
            (
                "pretrain.l2",
                "--pretrain-l2",
                p.l2,
                non_negative(p.l2),
                decay,
            ),
            (
                "pretrain.l1",
                "--pretrain-l1",
                p.l1,
                non_negative(p.l1),
                decay,
            ),
            (
                "pretrain.sparsity_target",
                "--sparsity-target",
                p.sparsity_target.unwrap_or(0.5),
                p.sparsity_target.is_none_or(|t| t > 0.0 && t < 1.0),
                "a probability in (0, 1)",
            ),
            (
                "pretrain.sparsity_cost",
                "--sparsity-cost",
                p.sparsity_cost,
                non_negative(p.sparsity_cost),
                decay,
            ),
            (
                "finetune.momentum",
                "--finetune-momentum",
                f.momentum,
                in_unit(f.momentum),
                unit,
            ),
            (
                "finetune.l2",
                "--finetune-l2",
                f.l2,
                non_negative(f.l2),
                decay,
            ),
            (
                "finetune.dropout_input",
                "--dropout-input",
                f.dropout_input,
                in_unit(f.dropout_input),
                "a probability in [0, 1)",
            ),
            (
                "finetune.dropout_hidden",
                "--dropout-hidden",
                f.dropout_hidden,
                in_unit(f.dropout_hidden),
                "a probability in [0, 1)",
            ),
        ];
        for (name, flag, value, ok, expected) in checks {
            if !ok {
                return Err(setting(name, value, &format!("{expected} ({flag})")));
            }
        }
        if !non_negative(f.min_delta) {
            return Err(setting(
                "finetune.min_delta",
                f.min_delta,
                &format!("{decay} (--min-delta)"),
            ));
        }
        match f.patience {
            Some(0) => Err(setting(
                "finetune.patience",
                0,
                "at least 1 epoch (--patience)",
            )),
            Some(n) if self.data.validation == 0.0 && self.data.validation_file.is_none() => {
                let expected = "validation rows to watch: --validation or --validation-file";
                Err(setting("finetune.patience", n, expected))
            }
            _ => Ok(()),
        }
    }

    /// The DBN configuration these settings describe.
    pub fn dbn(&self) -> DbnConfig {
        with_defaults(|c: &mut DbnConfig| {
            c.hidden_sizes = self.hidden().to_vec();
            c.pretrain = self.rbm_pretrain();
            c.finetune = self.finetune_config();
            c.propagation = self.propagation();
            c.visible = self.network.visible.units();
        })
    }

    /// The SDA configuration these settings describe.
    pub fn sda(&self) -> SdaConfig {
        with_defaults(|c: &mut SdaConfig| {
            c.hidden_sizes = self.hidden().to_vec();
            c.pretrain = self.da_pretrain();
            c.finetune = self.finetune_config();
            c.propagation = self.propagation();
        })
    }

    /// The MLP configuration these settings describe (no hidden layers for `logistic`).
    pub fn mlp(&self) -> MlpConfig {
        with_defaults(|c: &mut MlpConfig| {
            c.hidden_sizes = self.hidden().to_vec();
            c.finetune = self.finetune_config();
        })
    }

    fn propagation(&self) -> Propagation {
        match self.pretrain.propagation {
            Some(PropagationArg::Sample) => Propagation::Sample,
            Some(PropagationArg::Mean) => Propagation::Mean,
            None => Propagation::Sample,
        }
    }

    fn rbm_pretrain(&self) -> RbmPretrainConfig {
        let p = &self.pretrain;
        with_defaults(|c: &mut RbmPretrainConfig| {
            c.epochs = p.epochs;
            c.learning_rate = p.learning_rate;
            c.k = p.k;
            c.batch_size = p.batch_size;
            c.persistent = p.persistent;
            c.schedule = p.schedule.0;
            let warmup = p.momentum_warmup.unwrap_or(p.momentum);
            c.momentum = Momentum::warm_up(warmup, p.momentum, p.momentum_warmup_epochs);
            c.l2 = p.l2;
            c.l1 = p.l1;
            c.sparsity = p.sparsity_target.map(|target| Sparsity {
                target,
                cost: p.sparsity_cost,
            });
        })
    }

    fn da_pretrain(&self) -> DaPretrainConfig {
        let p = &self.pretrain;
        with_defaults(|c: &mut DaPretrainConfig| {
            c.epochs = p.epochs;
            c.learning_rate = p.learning_rate;
            c.noise = match p.noise {
                NoiseArg::Masking => NoiseKind::Masking,
                NoiseArg::SaltPepper => NoiseKind::SaltAndPepper,
                NoiseArg::Gaussian => NoiseKind::Gaussian,
            };
            c.corruption = p.corruption;
            c.loss = match p.loss {
                LossArg::CrossEntropy => Loss::CrossEntropy,
                LossArg::SquaredError => Loss::SquaredError,
            };
            c.decoder = match p.decoder {
                DecoderArg::Tied => DecoderWeights::Tied,
                DecoderArg::Untied => DecoderWeights::Untied,
            };
            c.batch_size = p.batch_size;
        })
    }

    fn finetune_config(&self) -> FinetuneConfig {
        let f = &self.finetune;
        with_defaults(|c: &mut FinetuneConfig| {
            c.epochs = f.epochs;
            c.learning_rate = f.learning_rate;
            c.lr_decay = f.lr_decay;
            c.batch_size = f.batch_size;
            c.mode = match f.mode {
                FinetuneModeArg::Full => FinetuneMode::Full,
                FinetuneModeArg::TopOnly => FinetuneMode::TopOnly,
            };
            c.schedule = f.schedule.0;
            c.momentum = f.momentum;
            c.l2 = f.l2;
            c.dropout_input = f.dropout_input;
            c.dropout_hidden = f.dropout_hidden;
            c.early_stopping = f.patience.map(|patience| EarlyStopping {
                patience,
                min_delta: f.min_delta,
            });
        })
    }
}

/// A model configuration at its defaults with the fields `set` changes: fields a model
/// crate adds later keep their defaults.
fn with_defaults<C: Default>(set: impl FnOnce(&mut C)) -> C {
    let mut config = C::default();
    set(&mut config);
    config
}

fn in_unit(value: f64) -> bool {
    (0.0..1.0).contains(&value)
}

fn non_negative(value: f64) -> bool {
    value.is_finite() && value >= 0.0
}

fn check_hidden(kind: ModelKind, hidden: &[usize]) -> Result<()> {
    let expected = match kind {
        ModelKind::Rbm | ModelKind::Da if hidden.len() != 1 => "exactly one hidden size",
        ModelKind::Logistic if !hidden.is_empty() => "no hidden layers for logistic",
        ModelKind::Dbn | ModelKind::Sda if hidden.is_empty() => "at least one hidden size",
        _ if hidden.contains(&0) => "sizes of at least 1",
        _ => return Ok(()),
    };
    Err(setting("network.hidden", format!("{hidden:?}"), expected))
}

fn setting(name: &'static str, value: impl fmt::Display, expected: &str) -> Error {
    Error::InvalidSetting {
        name,
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(text: &str, kind: ModelKind) -> Result<TrainConfig> {
        TrainConfig::from_toml(text).unwrap().resolve(kind)
    }

    #[test]
    fn a_file_changes_only_its_keys_and_resolution_fills_the_kind_defaults() {
        let c = resolved(
            "seed = 9\n[data]\ntrain = \"a.csv\"\n[pretrain]\nk = 3\n",
            ModelKind::Dbn,
        )
        .unwrap();
        assert_eq!((c.seed, c.pretrain.k), (9, 3));
        assert_eq!(c.pretrain.epochs, PretrainSection::default().epochs);
        assert_eq!(c.hidden(), &[500, 250]);
        assert_eq!(c.pretrain.propagation, Some(PropagationArg::Sample));
        let sda = resolved("[data]\ntrain = \"a.csv\"\n", ModelKind::Sda).unwrap();
        assert_eq!(sda.pretrain.propagation, Some(PropagationArg::Mean));
        let rbm = resolved("[data]\ntrain = \"a.csv\"\n", ModelKind::Rbm).unwrap();
        assert_eq!(rbm.hidden(), &[500]);
    }

    #[test]
    fn the_saved_toml_reads_back_to_the_same_configuration() {
        let text = "[data]\ntrain = \"a.csv\"\nscaling = \"divide:255\"\n\
                    [data.csv]\nlabel = 0\ndelimiter = \";\"\n";
        let c = resolved(text, ModelKind::Sda).unwrap();
        assert_eq!(c.data.csv.label, LabelColumn::Index(0));
        let again = TrainConfig::from_toml(&c.to_toml()).unwrap();
        assert_eq!(again, c);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<TrainConfig>(&json).unwrap(), c);
    }

    #[test]
    fn unknown_keys_and_bad_types_are_named() {
        let err = TrainConfig::from_toml("[pretrain]\nepoch = 3\n").unwrap_err();
        assert!(err.contains("epoch"), "{err}");
        let err = TrainConfig::from_toml("[finetune]\nepochs = \"many\"\n").unwrap_err();
        assert!(err.contains("epochs"), "{err}");
    }

    #[test]
    fn settings_no_model_checks_are_checked_once() {
        let train = "[data]\ntrain = \"a.csv\"\n";
        let err = resolved(&format!("{train}validation = 1.0\n"), ModelKind::Dbn).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("data.validation = 1 is invalid"),
            "{err}"
        );
        let err = resolved("[network]\nhidden = [3]\n", ModelKind::Dbn).unwrap_err();
        assert!(err.to_string().contains("data.train"), "{err}");
        let text = format!("{train}[network]\nhidden = [3, 2]\n");
        let err = resolved(&text, ModelKind::Rbm).unwrap_err();
        assert!(err.to_string().contains("exactly one hidden size"), "{err}");
        let text = format!("{train}[network]\nhidden = [3]\n");
        assert!(resolved(&text, ModelKind::Logistic).is_err());
        let text = format!("{train}[data.csv]\ndelimiter = \"é\"\n");
        assert!(resolved(&text, ModelKind::Mlp).is_err());
    }

    #[test]
    fn label_columns_parse_from_words_numbers_and_names() {
        let parse = |s: &str| s.parse::<LabelColumn>().unwrap();
        assert_eq!(parse("first"), LabelColumn::First);
        assert_eq!(parse("none"), LabelColumn::None);
        assert_eq!(parse("2"), LabelColumn::Index(2));
        assert_eq!(parse("species"), LabelColumn::Name("species".into()));
    }
}
