//! `layerwise train KIND`: resolve the configuration, read and scale the data, train with
//! progress, save the model.

use super::CsvArgs;
use crate::progress::{Display, Progress};
use anyhow::Context;
use clap::Args;
use layerwise_cli::checkpoint::{data_checksum, AnyPause, Checkpoint, RunFiles};
use layerwise_cli::config::{
    DataFormat, DatasetName, DecoderArg, Dtype, FinetuneModeArg, LossArg, ModelKind, NoiseArg,
    PropagationArg, Schedule, TrainConfig, VisibleArg,
};
use layerwise_cli::model_file::SavedModel;
use layerwise_cli::network::{self, AnyNetwork, Network};
use layerwise_cli::network::{Start, Trained};
use layerwise_cli::picture::{idx_image_shape, ImageShape};
use layerwise_cli::record::TrainingRecord;
use layerwise_cli::scaling::{Scaler, ScalingSpec};
use layerwise_cli::table::{Classes, Source, Table};
use layerwise_cli::Error;
use layerwise_data::{Dataset, MnistSplit};
use layerwise_linalg::Float;
use layerwise_models::{At, Pause};
use rand::SeedableRng;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Training stopped by Ctrl-C, its checkpoint written: `main` exits with 130.
#[derive(Debug)]
pub struct Interrupted {
    /// Where the checkpoint is.
    pub checkpoint: PathBuf,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (path, quoted) = (
            self.checkpoint.display(),
            layerwise_cli::shell_quoted(&self.checkpoint),
        );
        write!(
            f,
            "interrupted: checkpoint written to {path}; carry on with \
             `layerwise train --resume {quoted}`"
        )
    }
}

impl std::error::Error for Interrupted {}

/// Ctrl-C before training began: nothing to checkpoint; `main` exits with 130.
#[derive(Debug)]
pub struct InterruptedEarly;

impl std::fmt::Display for InterruptedEarly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "interrupted before training began: nothing to checkpoint"
        )
    }
}

impl std::error::Error for InterruptedEarly {}

/// Train a model and save it with its configuration, scaling, classes and metrics.
///
/// Settings come from the defaults, then the `--config` file, then the flags. The same
/// seed, data and settings give the same weights bit for bit, whatever the thread count.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// What to train (with --resume: the checkpoint's kind)
    #[arg(value_enum, required_unless_present = "resume")]
    pub kind: Option<ModelKind>,

    /// A TOML file of settings (the keys `layerwise inspect` prints); flags override it
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Where to save the model (safetensors)
    #[arg(short, long, value_name = "FILE", default_value = "model.safetensors")]
    pub output: PathBuf,

    /// Print the resolved configuration as TOML and stop, training nothing
    #[arg(long)]
    pub print_config: bool,

    /// Write a checkpoint every N epochs (of each layer's pretraining, and of fine-tuning)
    #[arg(long, value_name = "N", help_heading = "Checkpoints")]
    pub checkpoint_every: Option<usize>,

    /// Where checkpoints go; Ctrl-C writes one there too [default: the output's name with
    /// .ckpt added]
    #[arg(long, value_name = "FILE", help_heading = "Checkpoints")]
    pub checkpoint: Option<PathBuf>,

    /// Carry on the training a checkpoint holds, with its settings and data; the saved
    /// model is the one the uninterrupted run would have saved, bit for bit
    #[arg(
        long,
        value_name = "CHECKPOINT",
        conflicts_with_all = ["config", "print_config"],
        help_heading = "Checkpoints"
    )]
    pub resume: Option<PathBuf>,

    /// Show no progress
    #[arg(short, long)]
    pub quiet: bool,

    /// Write one JSON object per epoch to this file
    #[arg(long, value_name = "FILE")]
    pub log_json: Option<PathBuf>,

    /// Draw the per-epoch curves (pretraining error, supervised loss, validation accuracy)
    /// into this PNG
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,

    /// The training file: CSV, or an IDX image file
    #[arg(long, value_name = "FILE", help_heading = "Data")]
    pub train: Option<PathBuf>,

    /// The IDX label file of --train (found beside it when its name follows the MNIST
    /// pattern)
    #[arg(long, value_name = "FILE", help_heading = "Data")]
    pub train_labels: Option<PathBuf>,

    /// A named data set instead of --train: its training split
    #[arg(long, value_enum, value_name = "NAME", help_heading = "Data")]
    pub dataset: Option<DatasetName>,

    /// The named data set's folder [default: /usr/share/datasets/fashion-mnist]
    #[arg(long, value_name = "DIR", help_heading = "Data")]
    pub data_dir: Option<PathBuf>,

    /// The files' format [default: idx when the name has -idx and -ubyte, else csv]
    #[arg(long, value_enum, help_heading = "Data")]
    pub format: Option<DataFormat>,

    /// Hold out this fraction of the training rows for validation [default: 0]
    #[arg(long, value_name = "FRACTION", help_heading = "Data")]
    pub validation: Option<f64>,

    /// Validate on this file instead
    #[arg(long, value_name = "FILE", help_heading = "Data")]
    pub validation_file: Option<PathBuf>,

    /// The IDX label file of --validation-file
    #[arg(long, value_name = "FILE", help_heading = "Data")]
    pub validation_labels: Option<PathBuf>,

    /// none, divide:C, min-max or standardise, fitted on the training rows [default:
    /// divide:255 for IDX, none for CSV]
    #[arg(long, value_name = "METHOD", help_heading = "Data")]
    pub scaling: Option<ScalingSpec>,

    /// The rows are images of W × H pixels, for `filters` and `sample` [default: from an
    /// IDX file's header]
    #[arg(long, value_name = "WxH", help_heading = "Data")]
    pub image_shape: Option<ImageShape>,

    #[command(flatten, next_help_heading = "CSV")]
    pub csv: CsvArgs,

    /// Hidden layer sizes, bottom first [default: 500,250; 500 for rbm and da]
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SIZES",
        help_heading = "Network"
    )]
    pub hidden: Option<Vec<usize>>,

    /// The bottom RBM's visible units (dbn, rbm) [default: bernoulli]
    #[arg(long, value_enum, help_heading = "Network")]
    pub visible: Option<VisibleArg>,

    /// The float type [default: f32]
    #[arg(long, value_enum, help_heading = "Network")]
    pub dtype: Option<Dtype>,

    /// Seed of the generator behind every random step [default: 1]
    #[arg(long, help_heading = "Network")]
    pub seed: Option<u64>,

    /// Rows per minibatch, in both phases [default: 50]
    #[arg(long, value_name = "N", help_heading = "Training")]
    pub batch_size: Option<usize>,

    /// Pretraining epochs per layer [default: 3]
    #[arg(
        long,
        value_name = "N",
        help_heading = "Pretraining (dbn, sda, rbm, da)"
    )]
    pub pretrain_epochs: Option<usize>,

    /// Pretraining learning rate [default: 0.05]
    #[arg(
        long,
        value_name = "RATE",
        help_heading = "Pretraining (dbn, sda, rbm, da)"
    )]
    pub pretrain_lr: Option<f64>,

    /// Gibbs steps of CD-k (dbn, rbm) [default: 1]
    #[arg(long, help_heading = "Pretraining (dbn, sda, rbm, da)")]
    pub k: Option<usize>,

    /// PCD-k: persistent Gibbs chains (dbn, rbm)
    #[arg(long, help_heading = "Pretraining (dbn, sda, rbm, da)")]
    pub persistent: bool,

    /// The RBMs' learning-rate schedule: constant, exp:DECAY or step:EVERY:FACTOR (dbn,
    /// rbm) [default: constant]
    #[arg(
        long,
        value_name = "SCHEDULE",
        help_heading = "Pretraining (dbn, sda, rbm, da)"
    )]
    pub pretrain_schedule: Option<Schedule>,

    /// The RBMs' momentum μ in [0, 1), after any warm-up (dbn, rbm) [default: 0]
    #[arg(
        long,
        value_name = "MU",
        help_heading = "Pretraining (dbn, sda, rbm, da)"
    )]
    pub pretrain_momentum: Option<f64>,

    /// The RBMs' momentum during the warm-up epochs [default: --pretrain-momentum]
    #[arg(
        long,
        value_name = "MU",
        help_heading = "Pretraining (dbn, sda, rbm, da)"
    )]
    pub momentum_warmup: Option<f64>,

    /// Epochs of momentum warm-up (dbn, rbm) [default: 0]
    #[arg(
        long,
        value_name = "N",
        help_heading = "Pretraining (dbn, sda, rbm, da)"
    )]
    pub momentum_warmup_epochs: Option<usize>,

    /// The RBMs' L2 weight decay λ₂ (dbn, rbm) [default: 0]
    #[arg(
        long,
        value_name = "LAMBDA",
        help_heading = "Pretraining (dbn, sda, rbm, da)"
    )]
    pub pretrain_l2: Option<f64>,

    /// The RBMs' L1 weight decay λ₁ (dbn, rbm) [default: 0]
    #[arg(
        long,
        value_name = "LAMBDA",
        help_heading = "Pretraining (dbn, sda, rbm, da)"
    )]
    pub pretrain_l1: Option<f64>,

    /// A target mean activation in (0, 1) for each hidden unit (dbn, rbm) [default: none]
    #[arg(
        long,
        value_name = "P",
        help_heading = "Pretraining (dbn, sda, rbm, da)"
    )]
    pub sparsity_target: Option<f64>,

    /// The sparsity penalty's cost (dbn, rbm) [default: 0.1]
    #[arg(
        long,
        value_name = "COST",
        help_heading = "Pretraining (dbn, sda, rbm, da)"
    )]
    pub sparsity_cost: Option<f64>,

    /// The dA's corruption (sda, da) [default: masking]
    #[arg(long, value_enum, help_heading = "Pretraining (dbn, sda, rbm, da)")]
    pub noise: Option<NoiseArg>,

    /// The corruption's level: a probability, or σ for gaussian (sda, da) [default: 0.2]
    #[arg(
        long,
        value_name = "LEVEL",
        help_heading = "Pretraining (dbn, sda, rbm, da)"
    )]
    pub corruption: Option<f64>,

    /// What each dA minimises (sda, da) [default: cross-entropy]
    #[arg(long, value_enum, help_heading = "Pretraining (dbn, sda, rbm, da)")]
    pub loss: Option<LossArg>,

    /// Tied (Wᵀ) or untied decoder weights (sda, da) [default: tied]
    #[arg(long, value_enum, help_heading = "Pretraining (dbn, sda, rbm, da)")]
    pub decoder: Option<DecoderArg>,

    /// How layer 2 and above see the data [default: sample for dbn, mean for sda]
    #[arg(long, value_enum, help_heading = "Pretraining (dbn, sda, rbm, da)")]
    pub propagation: Option<PropagationArg>,

    /// Also record each dA's clean reconstruction loss per epoch (sda, da)
    #[arg(long, help_heading = "Pretraining (dbn, sda, rbm, da)")]
    pub monitor: bool,

    /// Supervised epochs [default: 15]
    #[arg(
        long,
        value_name = "N",
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub finetune_epochs: Option<usize>,

    /// Supervised learning rate of the first epoch [default: 0.2]
    #[arg(
        long,
        value_name = "RATE",
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub finetune_lr: Option<f64>,

    /// Per-epoch decay of the supervised learning rate [default: 0.95]
    #[arg(
        long,
        value_name = "FACTOR",
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub lr_decay: Option<f64>,

    /// Which parameters learn [default: full]
    #[arg(
        long,
        value_enum,
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub finetune_mode: Option<FinetuneModeArg>,

    /// Only the softmax layer learns (--finetune-mode top-only)
    #[arg(
        long,
        conflicts_with = "finetune_mode",
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub top_only: bool,

    /// Schedule on top of --lr-decay: constant, exp:DECAY or step:EVERY:FACTOR [default:
    /// constant]
    #[arg(
        long,
        value_name = "SCHEDULE",
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub finetune_schedule: Option<Schedule>,

    /// Momentum μ in [0, 1) [default: 0]
    #[arg(
        long,
        value_name = "MU",
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub finetune_momentum: Option<f64>,

    /// L2 weight decay λ on the weights [default: 0]
    #[arg(
        long,
        value_name = "LAMBDA",
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub finetune_l2: Option<f64>,

    /// Probability of dropping each input unit [default: 0]
    #[arg(
        long,
        value_name = "P",
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub dropout_input: Option<f64>,

    /// Probability of dropping each hidden unit [default: 0]
    #[arg(
        long,
        value_name = "P",
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub dropout_hidden: Option<f64>,

    /// Early stopping: stop after N epochs without a better validation loss, keeping the
    /// best epoch's weights (needs validation rows) [default: off]
    #[arg(
        long,
        value_name = "N",
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub patience: Option<usize>,

    /// The least decrease of the validation loss that counts as better [default: 0]
    #[arg(
        long,
        value_name = "DELTA",
        help_heading = "Fine-tuning (dbn, sda, mlp, logistic)"
    )]
    pub min_delta: Option<f64>,
}

impl TrainArgs {
    /// `config` with every flag given.
    fn apply(&self, c: &mut TrainConfig) {
        set(&mut c.seed, self.seed);
        set(&mut c.dtype, self.dtype);
        let d = &mut c.data;
        some(&mut d.train, &self.train);
        some(&mut d.train_labels, &self.train_labels);
        some(&mut d.dataset, &self.dataset);
        some(&mut d.data_dir, &self.data_dir);
        some(&mut d.format, &self.format);
        set(&mut d.validation, self.validation);
        some(&mut d.validation_file, &self.validation_file);
        some(&mut d.validation_labels, &self.validation_labels);
        some(&mut d.scaling, &self.scaling);
        self.csv.apply(&mut d.csv);
        some(&mut d.image_shape, &self.image_shape);
        some(&mut c.network.hidden, &self.hidden);
        set(&mut c.network.visible, self.visible);
        let p = &mut c.pretrain;
        set(&mut p.epochs, self.pretrain_epochs);
        set(&mut p.learning_rate, self.pretrain_lr);
        set(&mut p.batch_size, self.batch_size);
        set(&mut p.k, self.k);
        p.persistent |= self.persistent;
        set(&mut p.schedule, self.pretrain_schedule);
        set(&mut p.momentum, self.pretrain_momentum);
        some(&mut p.momentum_warmup, &self.momentum_warmup);
        set(&mut p.momentum_warmup_epochs, self.momentum_warmup_epochs);
        set(&mut p.l2, self.pretrain_l2);
        set(&mut p.l1, self.pretrain_l1);
        some(&mut p.sparsity_target, &self.sparsity_target);
        set(&mut p.sparsity_cost, self.sparsity_cost);
        set(&mut p.noise, self.noise);
        set(&mut p.corruption, self.corruption);
        set(&mut p.loss, self.loss);
        set(&mut p.decoder, self.decoder);
        some(&mut p.propagation, &self.propagation);
        p.monitor |= self.monitor;
        let f = &mut c.finetune;
        set(&mut f.epochs, self.finetune_epochs);
        set(&mut f.learning_rate, self.finetune_lr);
        set(&mut f.lr_decay, self.lr_decay);
        set(&mut f.batch_size, self.batch_size);
        set(&mut f.mode, self.finetune_mode);
        if self.top_only {
            f.mode = FinetuneModeArg::TopOnly;
        }
        set(&mut f.schedule, self.finetune_schedule);
        set(&mut f.momentum, self.finetune_momentum);
        set(&mut f.l2, self.finetune_l2);
        set(&mut f.dropout_input, self.dropout_input);
        set(&mut f.dropout_hidden, self.dropout_hidden);
        some(&mut f.patience, &self.patience);
        set(&mut f.min_delta, self.min_delta);
    }
}

fn set<V: Copy>(field: &mut V, flag: Option<V>) {
    if let Some(v) = flag {
        *field = v;
    }
}

fn some<V: Clone>(field: &mut Option<V>, flag: &Option<V>) {
    if flag.is_some() {
        field.clone_from(flag);
    }
}

/// The flags `--resume` takes; every other one is a setting, which the checkpoint holds.
const RESUME_FLAGS: &[&str] = &[
    "kind",
    "resume",
    "output",
    "checkpoint",
    "checkpoint_every",
    "quiet",
    "log_json",
    "plot",
];

/// The default checkpoint of a model file: its name with `.ckpt` added.
fn default_checkpoint(output: &Path) -> PathBuf {
    let mut name = output.to_path_buf().into_os_string();
    name.push(".ckpt");
    PathBuf::from(name)
}

/// Where a run writes: the model, its checkpoints and how often, and the curves.
struct Outputs {
    model: PathBuf,
    checkpoint: PathBuf,
    every: Option<usize>,
}

impl Outputs {
    /// The run's files as the flags give them.
    fn of(args: &TrainArgs) -> Outputs {
        Outputs {
            model: args.output.clone(),
            checkpoint: args
                .checkpoint
                .clone()
                .unwrap_or_else(|| default_checkpoint(&args.output)),
            every: args.checkpoint_every,
        }
    }

    /// A resumed run's files: those of the interrupted run, unless a flag says otherwise.
    fn resumed(args: &TrainArgs, given: &[String], run: &RunFiles) -> Outputs {
        let flag = |name: &str| given.iter().any(|g| g == name);
        let model = match (flag("output"), &run.output) {
            (false, Some(path)) => under(run, path),
            _ => args.output.clone(),
        };
        let checkpoint = match (&args.checkpoint, &run.checkpoint, flag("output")) {
            (Some(path), _, _) => path.clone(),
            (None, Some(path), false) => under(run, path),
            _ => default_checkpoint(&model),
        };
        let every = args.checkpoint_every.or(run.every);
        Outputs {
            model,
            checkpoint,
            every,
        }
    }

    /// `Err` when the model or the checkpoint would overwrite a data file, or each other,
    /// or when a folder to write into does not exist.
    fn check(&self, reading: &TrainConfig, plot: Option<&Path>) -> anyhow::Result<()> {
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        };
        let d = &reading.data;
        let inputs = [
            &d.train,
            &d.train_labels,
            &d.validation_file,
            &d.validation_labels,
        ];
        let written = [("-o", &self.model), ("--checkpoint", &self.checkpoint)];
        for (flag, out) in written {
            if let Some(input) = inputs.iter().copied().flatten().find(|i| same(i, out)) {
                anyhow::bail!(
                    "{flag} {} would overwrite the data file {}",
                    out.display(),
                    input.display()
                );
            }
        }
        if same(&self.model, &self.checkpoint) {
            anyhow::bail!(
                "-o and --checkpoint are both {}: the checkpoint would overwrite the model",
                self.model.display()
            );
        }
        for out in [
            Some(self.model.as_path()),
            Some(self.checkpoint.as_path()),
            plot,
        ] {
            let Some(out) = out else { continue };
            let folder = out.parent().filter(|f| !f.as_os_str().is_empty());
            if let Some(folder) = folder.filter(|f| !f.is_dir()) {
                anyhow::bail!(
                    "cannot write {}: the folder {} does not exist",
                    out.display(),
                    folder.display()
                );
            }
        }
        Ok(())
    }
}

/// A path of the interrupted run, relative to the folder it started in.
fn under(run: &RunFiles, path: &Path) -> PathBuf {
    match &run.started_in {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}

/// The configuration with its data paths made relative to `dir` (for reading only: the
/// saved configuration keeps them as given).
fn reading_from(config: &TrainConfig, dir: Option<&Path>) -> TrainConfig {
    let mut reading = config.clone();
    let Some(dir) = dir else {
        return reading;
    };
    let d = &mut reading.data;
    for path in [
        &mut d.train,
        &mut d.train_labels,
        &mut d.validation_file,
        &mut d.validation_labels,
        &mut d.data_dir,
    ]
    .into_iter()
    .flatten()
    {
        if path.is_relative() {
            *path = dir.join(&*path);
        }
    }
    reading
}

/// Runs `layerwise train`; `given` names the flags given on the command line.
pub fn run(args: &TrainArgs, given: &[String]) -> anyhow::Result<()> {
    if args.checkpoint_every == Some(0) {
        anyhow::bail!("--checkpoint-every 0: expected a number of epochs, at least 1");
    }
    // from here Ctrl-C is ours: before training it quits, during training it checkpoints
    catch_ctrl_c();
    if let Some(path) = &args.resume {
        return resume(args, given, path);
    }
    let kind = args.kind.expect("clap requires a kind without --resume");
    let mut config = match &args.config {
        Some(path) => TrainConfig::from_toml_file(path)?,
        None => TrainConfig::default(),
    };
    args.apply(&mut config);
    let mut config = config.resolve(kind)?;
    let source = training_source(&config);
    let scaling = match source.is_idx() {
        true => ScalingSpec::Divide(255.0),
        false => ScalingSpec::None,
    };
    config.data.scaling = Some(config.data.scaling.unwrap_or(scaling));
    config.data.image_shape = config.data.image_shape.or_else(|| idx_shape(&source));
    if args.print_config {
        print!("{}", config.to_toml());
        return Ok(());
    }
    let reading = config.clone();
    let plan = Plan {
        kind,
        config,
        reading,
        outputs: Outputs::of(args),
    };
    match plan.config.dtype {
        Dtype::F32 => train_typed::<f32>(args, plan, &source, None),
        Dtype::F64 => train_typed::<f64>(args, plan, &source, None),
    }
}

/// What one training run does: the kind, the configuration it saves, the same with the
/// data paths it reads from, and where it writes.
struct Plan {
    kind: ModelKind,
    config: TrainConfig,
    reading: TrainConfig,
    outputs: Outputs,
}

/// `layerwise train --resume CHECKPOINT`: the checkpoint's settings and data, its network
/// and generator, carried on.
fn resume(args: &TrainArgs, given: &[String], path: &Path) -> anyhow::Result<()> {
    let settings: Vec<String> = given
        .iter()
        .filter(|g| !RESUME_FLAGS.contains(&g.as_str()))
        .map(|g| format!("--{}", g.replace('_', "-")))
        .collect();
    if !settings.is_empty() {
        anyhow::bail!(
            "--resume continues with the checkpoint's own settings and data, so {} cannot \
             go with it (only -o, --checkpoint, --checkpoint-every, --quiet, --log-json and \
             --plot can)",
            settings.join(", ")
        );
    }
    let checkpoint = Checkpoint::load(path)?;
    let kind = checkpoint.model.kind();
    if let Some(asked) = args.kind.filter(|&k| k != kind) {
        anyhow::bail!(
            "{}: the checkpoint trains a model of kind {kind}, not {asked}",
            path.display()
        );
    }
    let config = checkpoint.model.config.clone();
    let reading = reading_from(&config, checkpoint.run.started_in.as_deref());
    let source = training_source(&reading);
    let plan = Plan {
        kind,
        config,
        reading,
        outputs: Outputs::resumed(args, given, &checkpoint.run),
    };
    match checkpoint.model.dtype() {
        Dtype::F32 => train_typed::<f32>(args, plan, &source, Some(checkpoint)),
        Dtype::F64 => train_typed::<f64>(args, plan, &source, Some(checkpoint)),
    }
}

/// The float types a network and a pause can be taken out of their `Any` forms as.
trait Typed: Float {
    fn network(network: AnyNetwork) -> Option<Network<Self>>;
    fn pause(pause: AnyPause) -> Option<Pause<Self>>;
    fn any_pause(pause: Pause<Self>) -> AnyPause;
}

impl Typed for f32 {
    fn network(network: AnyNetwork) -> Option<Network<f32>> {
        match network {
            AnyNetwork::F32(n) => Some(n),
            AnyNetwork::F64(_) => None,
        }
    }
    fn pause(pause: AnyPause) -> Option<Pause<f32>> {
        match pause {
            AnyPause::F32(p) => Some(p),
            AnyPause::F64(_) => None,
        }
    }
    fn any_pause(pause: Pause<f32>) -> AnyPause {
        AnyPause::F32(pause)
    }
}

impl Typed for f64 {
    fn network(network: AnyNetwork) -> Option<Network<f64>> {
        match network {
            AnyNetwork::F64(n) => Some(n),
            AnyNetwork::F32(_) => None,
        }
    }
    fn pause(pause: AnyPause) -> Option<Pause<f64>> {
        match pause {
            AnyPause::F64(p) => Some(p),
            AnyPause::F32(_) => None,
        }
    }
    fn any_pause(pause: Pause<f64>) -> AnyPause {
        AnyPause::F64(pause)
    }
}

/// Set by Ctrl-C: training stops after the current minibatch and writes a checkpoint.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Ctrl-C sets [`INTERRUPTED`]; a second Ctrl-C quits at once, with no checkpoint.
fn catch_ctrl_c() {
    let handler = || {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!(
            "\ninterrupted: stopping after the current minibatch, with a checkpoint (Ctrl-C \
             again quits now)"
        );
    };
    // a handler can be set once per process; should that fail, Ctrl-C just kills it
    let _ = ctrlc::set_handler(handler);
}

/// The training data the configuration names.
fn training_source(config: &TrainConfig) -> Source {
    let d = &config.data;
    match (&d.train, d.dataset) {
        (Some(path), _) => Source::file(path, d.train_labels.as_deref(), d.format),
        (None, Some(name)) => Source::dataset(name, d.data_dir.as_deref(), MnistSplit::Train),
        (None, None) => unreachable!("resolve checks that there is training data"),
    }
}

/// The image shape an IDX source's header records; `None` for CSV, for other ranks, and
/// for a file that cannot be read (reading the data reports that).
fn idx_shape(source: &Source) -> Option<ImageShape> {
    let images = match source {
        Source::Csv(_) => return None,
        Source::Idx { images, .. } => images.clone(),
        Source::Dataset { dir, split, .. } => {
            let plain = dir.join(split.file_names().0);
            match plain.is_file() {
                true => plain,
                false => plain.with_extension("gz"),
            }
        }
    };
    idx_image_shape(&images).ok().flatten()
}

/// `Ok` when the configured image shape has as many pixels as the rows have features.
fn check_image_shape(config: &TrainConfig, n_features: usize) -> anyhow::Result<()> {
    match config.data.image_shape {
        Some(shape) if shape.pixels() != n_features => Err(Error::InvalidSetting {
            name: "data.image_shape",
            value: shape.to_string(),
            expected: format!("W × H = {n_features}, the rows' features (--image-shape)"),
        }
        .into()),
        _ => Ok(()),
    }
}

/// The training data, ready for a model: read, labelled, split and scaled.
struct Prepared<T> {
    train: Dataset<T>,
    validation: Option<Dataset<T>>,
    /// The classes of a classifier's labels; `None` for `rbm` and `da`.
    classes: Option<Classes>,
    scaler: Scaler,
}

fn train_typed<T: Typed>(
    args: &TrainArgs,
    plan: Plan,
    source: &Source,
    checkpoint: Option<Checkpoint>,
) -> anyhow::Result<()>
where
    Network<T>: Into<AnyNetwork>,
{
    let Plan {
        kind,
        config,
        reading,
        outputs,
    } = plan;
    outputs.check(&reading, args.plot.as_deref())?;
    // one generator, seeded once: the split, the initialisation, then training (a resumed
    // run draws the same split, then takes the generator where the checkpoint left it)
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(config.seed);
    let data = prepare::<T>(kind, &reading, source, &mut rng)?;
    check_image_shape(&config, data.train.n_features())?;
    if INTERRUPTED.load(Ordering::SeqCst) {
        anyhow::bail!(InterruptedEarly);
    }
    let data_crc32 = data_checksum(&data.train, data.validation.as_ref());
    let resumed_at = checkpoint.as_ref().map(Checkpoint::where_stopped);
    let resumed_in = checkpoint.as_ref().and_then(|c| c.run.started_in.clone());
    let start = match checkpoint {
        None => Start::Fresh,
        Some(c) => {
            if c.data_crc32 != data_crc32 {
                let files = match &reading.data.validation_file {
                    Some(v) => format!(
                        "{} or the validation file {}",
                        source.describe(),
                        v.display()
                    ),
                    None => source.describe(),
                };
                anyhow::bail!(
                    "{files}: the data has changed since the checkpoint was written (CRC-32 \
                     {}, now {data_crc32}); resume with the same files",
                    c.data_crc32
                );
            }
            rng = c.rng;
            let network = T::network(c.model.network).expect("the checkpoint's dtype");
            let pause = T::pause(c.pause).expect("the checkpoint's dtype");
            let record = c.model.record;
            Start::Resume {
                network,
                pause,
                record,
            }
        }
    };

    // train, with progress on stderr and in the log
    let display = Display::choose(args.quiet);
    // a resumed run adds its epochs to the log the interrupted one began
    let resuming = matches!(start, Start::Resume { .. });
    let log = match &args.log_json {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .append(resuming)
                .truncate(!resuming)
                .open(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => None,
    };
    let mut line = header(kind, &config, &data, source);
    if let Some(at) = resumed_at {
        line += &format!("; resuming at {at}");
    }
    let mut progress = Progress::new(display, log, line);
    let validation = data.validation.as_ref();
    let every = outputs.every;
    // where relative paths start from: the interrupted run's folder when resuming
    let started_in = match &resumed_in {
        Some(dir) => Some(dir.clone()),
        None => std::env::current_dir().ok(),
    };
    let mut stop = |at: At| {
        let due = at.end_of_epoch && every.is_some_and(|n| (at.epoch + 1).is_multiple_of(n));
        due || INTERRUPTED.load(Ordering::SeqCst)
    };
    let ckpt_path = outputs.checkpoint.clone();
    let mut start = start;
    let trained = loop {
        let run = (start, &mut stop as &mut dyn FnMut(At) -> bool);
        let data_sets = (&data.train, validation);
        match network::train_from(kind, &config, data_sets, &mut rng, &mut progress, run) {
            Err(e) => break Err(e),
            Ok(Trained::Finished(network, record)) => break Ok((network, record)),
            Ok(Trained::Paused {
                network,
                pause,
                record,
            }) => {
                let checkpoint = Checkpoint {
                    model: SavedModel {
                        network: network.clone().into(),
                        config: config.clone(),
                        scaler: data.scaler.clone(),
                        classes: data
                            .classes
                            .as_ref()
                            .map_or_else(Vec::new, |c| c.names().to_vec()),
                        record: record.clone().without_times(),
                    },
                    pause: T::any_pause(pause.clone()),
                    rng: rng.clone(),
                    data_crc32: data_crc32.clone(),
                    run: RunFiles {
                        output: Some(outputs.model.clone()),
                        checkpoint: Some(ckpt_path.clone()),
                        every,
                        started_in: started_in.clone(),
                    },
                };
                let saved = checkpoint.save(&ckpt_path).with_context(|| {
                    format!("cannot write the checkpoint {}", ckpt_path.display())
                });
                if let Err(e) = saved {
                    let _ = progress.finish();
                    return Err(e);
                }
                if INTERRUPTED.load(Ordering::SeqCst) {
                    let _ = progress.finish();
                    return Err(Interrupted {
                        checkpoint: ckpt_path,
                    }
                    .into());
                }
                start = Start::Resume {
                    network,
                    pause,
                    record,
                };
            }
        }
    };
    let log_written = progress.finish();
    let (network, record) = trained?;
    log_written.context("cannot write the --log-json file")?;
    if kind.is_classifier() {
        let (rows, which) = match validation {
            Some(v) => (v, "validation"),
            None => (&data.train, "training"),
        };
        if let Some(class) = collapsed(&network, rows)? {
            let name = data.classes.as_ref().map_or(class.to_string(), |c| {
                c.names().get(class).cloned().unwrap_or(class.to_string())
            });
            eprintln!(
                "warning: the trained model predicts class {name} for every {which} row: \
                 training has collapsed (try a smaller learning rate or another seed)"
            );
        }
    }

    // save, without the wall times (the same run gives the same bytes)
    let seconds = record.seconds.unwrap_or(0.0);
    let model = SavedModel {
        network: network.into(),
        config,
        scaler: data.scaler,
        classes: data.classes.map_or_else(Vec::new, |c| c.names().to_vec()),
        record: record.without_times(),
    };
    model
        .save(&outputs.model)
        .with_context(|| format!("cannot save the model to {}", outputs.model.display()))?;
    if let Some(path) = &args.plot {
        let png = layerwise_cli::plot::curves_png(&model.record)?;
        std::fs::write(path, png).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if display != Display::Quiet {
        println!("{}", summary(&model, &outputs.model, seconds));
    }
    Ok(())
}

/// The one class a classifier predicts for every row, when the rows' labels hold several.
fn collapsed<T: Float>(network: &Network<T>, rows: &Dataset<T>) -> anyhow::Result<Option<usize>> {
    let Some(classifier) = network.classifier() else {
        return Ok(None);
    };
    let predicted = classifier.predict(rows.features())?;
    Ok(layerwise_models::collapsed_class(&predicted, rows.labels()))
}

/// Reads the training data, fits the classes, holds out the validation rows (or reads
/// them), then fits the scaling on the training rows and applies it to both.
fn prepare<T: Float>(
    kind: ModelKind,
    config: &TrainConfig,
    source: &Source,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> anyhow::Result<Prepared<T>> {
    let table: Table<T> = source
        .read(&config.data.csv, None)
        .with_context(|| format!("cannot read the training data {}", source.describe()))?;
    let classes = match (kind.is_classifier(), &table.labels) {
        (true, Some(labels)) => Some(Classes::fit(labels)),
        (true, None) => anyhow::bail!(
            "{}: no labels, needed to train a {kind} classifier \
             (a CSV label column, or an IDX label file)",
            source.describe()
        ),
        (false, _) => None,
    };
    let data = labelled(table, classes.as_ref())?;
    let (train, validation) = validation_split(config, data, classes.as_ref(), rng)?;
    let spec = config.data.scaling.unwrap_or(ScalingSpec::None);
    let scaler = Scaler::fit(spec, train.features())?;
    Ok(Prepared {
        train: scaled(train, &scaler)?,
        validation: validation.map(|v| scaled(v, &scaler)).transpose()?,
        classes,
        scaler,
    })
}

/// The line printed before the first epoch.
fn header<T: Float>(kind: ModelKind, c: &TrainConfig, data: &Prepared<T>, s: &Source) -> String {
    let arch = shape_text(
        kind,
        c.hidden(),
        data.train.n_features(),
        data.classes.as_ref(),
    );
    let n_val = data.validation.as_ref().map_or(0, Dataset::n_samples);
    let (dtype, n_train) = (c.dtype.name(), data.train.n_samples());
    format!(
        "training {kind} {arch} ({dtype}) on {n_train} rows ({n_val} validation) of {}; \
         scaling {}; seed {}",
        s.describe(),
        c.data.scaling.unwrap_or(ScalingSpec::None),
        c.seed
    )
}

/// The table as a data set: labels encoded by the classes, or all 0 in one class for the
/// unsupervised kinds.
fn labelled<T: Float>(table: Table<T>, classes: Option<&Classes>) -> anyhow::Result<Dataset<T>> {
    let n = table.features.rows();
    let (labels, n_classes) = match (classes, &table.labels) {
        (Some(c), Some(labels)) => (c.encode(labels, &table.path)?, c.len().max(1)),
        _ => (vec![0; n], 1),
    };
    Ok(Dataset::new(table.features, labels, n_classes)?)
}

/// The training rows and the validation rows: a file, a held-out fraction, or none.
fn validation_split<T: Float>(
    config: &TrainConfig,
    data: Dataset<T>,
    classes: Option<&Classes>,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> anyhow::Result<(Dataset<T>, Option<Dataset<T>>)> {
    let d = &config.data;
    if let Some(path) = &d.validation_file {
        let source = Source::file(path, d.validation_labels.as_deref(), d.format);
        let table: Table<T> = source
            .read(&d.csv, Some(data.n_features()))
            .with_context(|| format!("cannot read the validation data {}", path.display()))?;
        if classes.is_some() && table.labels.is_none() {
            anyhow::bail!(
                "{}: no labels, needed to validate a classifier",
                path.display()
            );
        }
        return Ok((data, Some(labelled(table, classes)?)));
    }
    if d.validation > 0.0 {
        let (train, validation) = data.split_validation(d.validation, rng)?;
        let validation = (validation.n_samples() > 0).then_some(validation);
        return Ok((train, validation));
    }
    Ok((data, None))
}

fn scaled<T: Float>(data: Dataset<T>, scaler: &Scaler) -> anyhow::Result<Dataset<T>> {
    let (mut x, labels, n_classes) = data.into_parts();
    scaler.apply(&mut x)?;
    Ok(Dataset::new(x, labels, n_classes)?)
}

fn shape_text(kind: ModelKind, hidden: &[usize], n_in: usize, classes: Option<&Classes>) -> String {
    let arch = layerwise_cli::network::Architecture {
        n_inputs: n_in,
        hidden: hidden.to_vec(),
        n_classes: classes.filter(|_| kind.is_classifier()).map(Classes::len),
    };
    arch.arrows()
}

/// One line: what was saved where, how long it took, the last validation accuracy.
fn summary(model: &SavedModel, path: &std::path::Path, seconds: f64) -> String {
    let r: &TrainingRecord = &model.record;
    let mut line = format!(
        "saved {} {} ({}) to {}: {} training rows, {:.1} s",
        model.kind(),
        model.architecture().arrows(),
        model.dtype().name(),
        path.display(),
        r.n_train,
        seconds
    );
    // under early stopping the model keeps its best epoch's weights
    let last = r.finetune.last();
    let kept = match (
        model.config.finetune.patience,
        last.and_then(|e| e.best_epoch),
    ) {
        (Some(_), Some(best)) => r.finetune.iter().find(|e| e.epoch == best),
        _ => last,
    };
    if let Some(a) = kept.and_then(|e| e.validation_accuracy) {
        line += &format!(", validation accuracy {:.1} %", 100.0 * a);
    }
    line
}
