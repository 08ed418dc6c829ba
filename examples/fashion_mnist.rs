//! Train a DBN, an SDA or a baseline (MLP, logistic regression) on Fashion-MNIST and report
//! its test accuracy.
//!
//! `cargo run --release --example fashion_mnist -- --model dbn` (or `sda`, `mlp`,
//! `logistic`); the data comes from Debian's package `dataset-fashion-mnist`, or from
//! `--data-dir`. For the SDA, `--noise`, `--loss` and `--untied` choose the autoencoders'
//! options and `--monitor` prints their clean reconstruction losses each pretraining epoch.
//! Fine-tuning takes `--momentum`, `--l2`, `--dropout-input`, `--dropout-hidden`,
//! `--schedule` and `--patience` (early stopping); each epoch prints its validation loss and
//! accuracy unless `--quiet`. `--mirror` adds mirror images of the training rows.

use clap::{Parser, ValueEnum};
use layerwise::data::{load_mnist, Dataset, MnistSplit, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR};
use layerwise::layers::LrSchedule;
use layerwise::metrics::{ConfusionMatrix, Report};
use layerwise::models::EarlyStopping;
use layerwise::models::{
    Classifier, DaPretrainConfig, Dbn, DbnConfig, DecoderWeights, FinetuneConfig, FinetuneEpoch,
    FinetuneMode, Logistic, Loss, Mlp, MlpConfig, NoiseKind, PretrainEpoch, Propagation,
    RbmPretrainConfig, Sda, SdaConfig,
};
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Copy, ValueEnum)]
enum Model {
    Dbn,
    Sda,
    /// The same sigmoid stack, randomly initialised, not pretrained.
    Mlp,
    /// Softmax regression on the pixels.
    Logistic,
}

/// The dA's corruption (SDA).
#[derive(Clone, Copy, ValueEnum)]
enum NoiseArg {
    Masking,
    Gaussian,
    SaltPepper,
}

/// The dA's loss (SDA).
#[derive(Clone, Copy, ValueEnum)]
enum LossArg {
    CrossEntropy,
    SquaredError,
}

/// Pretrain a stack on Fashion-MNIST, fine-tune it, and evaluate it on the test set.
#[derive(Parser)]
struct Args {
    /// Which stack to train.
    #[arg(long, value_enum, default_value_t = Model::Dbn)]
    model: Model,
    /// Folder holding the four IDX files (plain or .gz).
    #[arg(long, default_value = FASHION_MNIST_DIR)]
    data_dir: PathBuf,
    /// Hidden layer sizes, bottom first.
    #[arg(long, value_delimiter = ',', default_value = "500,250")]
    hidden: Vec<usize>,
    /// Pretraining epochs per layer.
    #[arg(long, default_value_t = 3)]
    pretrain_epochs: usize,
    /// Pretraining learning rate.
    #[arg(long, default_value_t = 0.05)]
    pretrain_lr: f64,
    /// Gibbs steps of CD-k (DBN).
    #[arg(long, default_value_t = 1)]
    k: usize,
    /// Noise level (SDA): the probability for masking and salt-pepper, σ for gaussian.
    #[arg(long, default_value_t = 0.2)]
    corruption: f64,
    /// The noise that corrupts each dA's input (SDA).
    #[arg(long, value_enum, default_value_t = NoiseArg::Masking)]
    noise: NoiseArg,
    /// What each dA minimises (SDA).
    #[arg(long, value_enum, default_value_t = LossArg::CrossEntropy)]
    loss: LossArg,
    /// Give each dA a decoder matrix of its own instead of Wᵀ (SDA).
    #[arg(long)]
    untied: bool,
    /// Also print each dA's reconstruction loss of the clean training and validation rows
    /// after every pretraining epoch (SDA; costs time, changes nothing).
    #[arg(long)]
    monitor: bool,
    /// Fine-tuning epochs.
    #[arg(long, default_value_t = 15)]
    finetune_epochs: usize,
    /// Fine-tuning learning rate of the first epoch.
    #[arg(long, default_value_t = 0.2)]
    finetune_lr: f64,
    /// Per-epoch decay of the fine-tuning learning rate.
    #[arg(long, default_value_t = 0.95)]
    lr_decay: f64,
    /// Fine-tuning schedule on top of --lr-decay: `constant`, `exp:DECAY` or
    /// `step:EVERY:FACTOR`.
    #[arg(long, default_value = "constant", value_parser = parse_schedule)]
    schedule: LrSchedule,
    /// Fine-tuning momentum μ.
    #[arg(long, default_value_t = 0.0)]
    momentum: f64,
    /// Fine-tuning L2 weight decay λ.
    #[arg(long, default_value_t = 0.0)]
    l2: f64,
    /// Probability of dropping each input unit during fine-tuning.
    #[arg(long, default_value_t = 0.0)]
    dropout_input: f64,
    /// Probability of dropping each hidden unit during fine-tuning.
    #[arg(long, default_value_t = 0.0)]
    dropout_hidden: f64,
    /// Early stopping: epochs without a lower validation loss before stopping (the best
    /// epoch's weights are kept).
    #[arg(long)]
    patience: Option<usize>,
    /// Train only the top layer on the frozen pretrained features.
    #[arg(long)]
    top_only: bool,
    /// Print no per-epoch lines.
    #[arg(long)]
    quiet: bool,
    /// Rows per minibatch, in both phases.
    #[arg(long, default_value_t = 50)]
    batch_size: usize,
    /// Add the left–right mirror image of every training row (after the validation split) to
    /// the training set, in both phases: twice the rows per epoch.
    #[arg(long)]
    mirror: bool,
    /// Fraction of the training set held out for validation.
    #[arg(long, default_value_t = 0.1)]
    validation: f64,
    /// Seed of the one generator behind every random step.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn load(args: &Args, split: MnistSplit) -> Result<Dataset<f32>, Box<dyn Error>> {
    load_mnist(&args.data_dir, split).map_err(|e| {
        let hint = "install Debian's package dataset-fashion-mnist or pass --data-dir";
        format!(
            "cannot load Fashion-MNIST from {}: {e}\n({hint})",
            args.data_dir.display()
        )
        .into()
    })
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let mut rng = layerwise::seeded_rng(args.seed);
    let (train_all, test) = (
        load(args, MnistSplit::Train)?,
        load(args, MnistSplit::Test)?,
    );
    let (train, validation) = train_all.split_validation(args.validation, &mut rng)?;
    let train = if args.mirror {
        train.with_mirror_images(28, 28)?
    } else {
        train
    };
    println!(
        "Fashion-MNIST: {} training, {} validation, {} test rows; network {} → {:?} → 10",
        train.n_samples(),
        validation.n_samples(),
        test.n_samples(),
        train.n_features(),
        args.hidden
    );

    let started = Instant::now();
    let finetune = FinetuneConfig {
        epochs: args.finetune_epochs,
        learning_rate: args.finetune_lr,
        lr_decay: args.lr_decay,
        schedule: args.schedule,
        batch_size: args.batch_size,
        mode: match args.top_only {
            true => FinetuneMode::TopOnly,
            false => FinetuneMode::Full,
        },
        momentum: args.momentum,
        l2: args.l2,
        dropout_input: args.dropout_input,
        dropout_hidden: args.dropout_hidden,
        early_stopping: args.patience.map(EarlyStopping::patience),
    };
    let validation_set = (validation.n_samples() > 0).then_some(&validation);
    let mut pretrain_seconds = 0.0;
    let (model, history): (Box<dyn Classifier<f32>>, _) = match args.model {
        Model::Dbn => {
            let pretrain = RbmPretrainConfig {
                epochs: args.pretrain_epochs,
                learning_rate: args.pretrain_lr,
                k: args.k,
                batch_size: args.batch_size,
                ..RbmPretrainConfig::default()
            };
            let hidden_sizes = args.hidden.clone();
            let config = DbnConfig {
                hidden_sizes,
                pretrain,
                finetune,
                propagation: Propagation::Sample,
                ..DbnConfig::default()
            };
            let mut dbn = Dbn::new(train.n_features(), 10, &config, &mut rng)?;
            dbn.pretrain(train.features(), &mut rng, pretrain_printer(args))?;
            pretrain_seconds = started.elapsed().as_secs_f64();
            let h = dbn.finetune(&train, validation_set, &mut rng, finetune_printer(args))?;
            (Box::new(dbn), h)
        }
        Model::Sda => {
            let pretrain = da_pretrain(args);
            let hidden_sizes = args.hidden.clone();
            let config = SdaConfig {
                hidden_sizes,
                pretrain,
                finetune,
                propagation: Propagation::Mean,
            };
            let mut sda = Sda::new(train.n_features(), 10, &config, &mut rng)?;
            if args.monitor {
                let v = validation_set.map(Dataset::features);
                sda.pretrain_monitored(train.features(), v, &mut rng, pretrain_printer(args))?;
            } else {
                sda.pretrain(train.features(), &mut rng, pretrain_printer(args))?;
            }
            pretrain_seconds = started.elapsed().as_secs_f64();
            let h = sda.finetune(&train, validation_set, &mut rng, finetune_printer(args))?;
            (Box::new(sda), h)
        }
        Model::Mlp => {
            let hidden_sizes = args.hidden.clone();
            let config = MlpConfig {
                hidden_sizes,
                finetune,
            };
            let mut mlp = Mlp::new(train.n_features(), 10, &config, &mut rng)?;
            let h = mlp.train(&train, validation_set, &mut rng, finetune_printer(args))?;
            (Box::new(mlp), h)
        }
        Model::Logistic => {
            let mut model = Logistic::new(train.n_features(), 10, &finetune)?;
            let h = model.train(&train, validation_set, &mut rng, finetune_printer(args))?;
            (Box::new(model), h)
        }
    };
    let seconds = started.elapsed().as_secs_f64();

    let predicted = model.predict(test.features())?;
    let cm = ConfusionMatrix::from_labels(test.labels(), &predicted, 10)?;
    if let Some(last) = history.last() {
        let best = last
            .best_epoch
            .map_or(String::new(), |b| format!(", best epoch {}", b + 1));
        let stopped = if last.stopped_early {
            ", stopped early"
        } else {
            ""
        };
        println!("Fine-tuning: {} epochs{best}{stopped}", history.len());
    }
    if let Some(v) = validation_set {
        let v = model.evaluate(v)?;
        println!(
            "Validation accuracy (final model): {:.2} %",
            100.0 * v.accuracy
        );
    }
    println!("Test accuracy (2 decimals): {:.2} %", 100.0 * cm.accuracy());
    println!("Test accuracy: {:.1} %", 100.0 * cm.accuracy());
    println!("{}", Report::new(&cm, Some(&FASHION_MNIST_CLASSES))?);
    println!("Training time: {seconds:.1} s (pretraining {pretrain_seconds:.1} s)");
    Ok(())
}

/// The SDA's pretraining settings from the flags.
fn da_pretrain(args: &Args) -> DaPretrainConfig {
    DaPretrainConfig {
        epochs: args.pretrain_epochs,
        learning_rate: args.pretrain_lr,
        noise: match args.noise {
            NoiseArg::Masking => NoiseKind::Masking,
            NoiseArg::Gaussian => NoiseKind::Gaussian,
            NoiseArg::SaltPepper => NoiseKind::SaltAndPepper,
        },
        corruption: args.corruption,
        loss: match args.loss {
            LossArg::CrossEntropy => Loss::CrossEntropy,
            LossArg::SquaredError => Loss::SquaredError,
        },
        decoder: match args.untied {
            true => DecoderWeights::Untied,
            false => DecoderWeights::Tied,
        },
        batch_size: args.batch_size,
    }
}

/// Prints one line per pretraining epoch with the time it took.
fn pretrain_printer(args: &Args) -> impl FnMut(&PretrainEpoch) {
    let (epochs, mut last, quiet) = (args.pretrain_epochs, Instant::now(), args.quiet);
    let what = match (args.model, args.loss) {
        (Model::Dbn | Model::Mlp | Model::Logistic, _) => "reconstruction error",
        (Model::Sda, LossArg::CrossEntropy) => "cross-entropy",
        (Model::Sda, LossArg::SquaredError) => "squared error",
    };
    move |e| {
        if quiet {
            return;
        }
        let layer = e.layer + 1;
        let s = last.elapsed().as_secs_f64();
        let clean =
            |name: &str, v: Option<f64>| v.map_or(String::new(), |v| format!(", {name} {v:.4}"));
        let train = clean("clean training", e.train_reconstruction);
        let validation = clean("validation", e.validation_reconstruction);
        println!(
            "pretrain layer {layer} epoch {}/{epochs}: {what} {:.4}{train}{validation} ({s:.1} s)",
            e.epoch + 1,
            e.error
        );
        last = Instant::now();
    }
}

/// Prints one line per fine-tuning epoch with the validation figures and the time it took.
fn finetune_printer(args: &Args) -> impl FnMut(&FinetuneEpoch) {
    let (epochs, mut last, quiet) = (args.finetune_epochs, Instant::now(), args.quiet);
    move |e| {
        if quiet {
            return;
        }
        let s = last.elapsed().as_secs_f64();
        let v = e.validation.map_or(String::new(), |v| {
            format!(
                ", validation loss {:.4}, accuracy {:.1} %",
                v.loss,
                100.0 * v.accuracy
            )
        });
        println!(
            "finetune epoch {}/{epochs}: loss {:.4}{v} ({s:.1} s)",
            e.epoch + 1,
            e.train_loss
        );
        last = Instant::now();
    }
}

/// `constant`, `exp:DECAY` or `step:EVERY:FACTOR`.
fn parse_schedule(s: &str) -> Result<LrSchedule, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let num = |v: &str| v.parse::<f64>().map_err(|e| format!("{v}: {e}"));
    let schedule = match parts[..] {
        ["constant"] => LrSchedule::Constant,
        ["exp", decay] => LrSchedule::Exponential { decay: num(decay)? },
        ["step", every, factor] => LrSchedule::Step {
            every: every.parse().map_err(|e| format!("{every}: {e}"))?,
            factor: num(factor)?,
        },
        _ => {
            return Err(format!(
                "{s}: expected constant, exp:DECAY or step:EVERY:FACTOR"
            ))
        }
    };
    schedule.validate().map_err(|e| e.to_string())?;
    Ok(schedule)
}
