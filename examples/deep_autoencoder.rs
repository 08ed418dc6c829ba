//! Pretrain a DBN on Fashion-MNIST, unroll it into a deep autoencoder and fine-tune it for
//! reconstruction (Hinton & Salakhutdinov 2006); report the test reconstruction error of the
//! stack before and after fine-tuning.
//!
//! `cargo run --release --example deep_autoencoder -- --hidden 500,100,30`; the data comes
//! from Debian's package `dataset-fashion-mnist`, or from `--data-dir`.

use clap::Parser;
use layerwise::data::{load_mnist, Dataset, MnistSplit, FASHION_MNIST_DIR};
use layerwise::models::{
    AutoencoderConfig, AutoencoderEpoch, Dbn, DbnConfig, DeepAutoencoder, PretrainEpoch,
    Propagation, RbmPretrainConfig, Reconstruction,
};
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

/// Pretrain RBMs greedily, unroll them, fine-tune the autoencoder, measure the test set.
#[derive(Parser)]
struct Args {
    /// Folder holding the four IDX files (plain or .gz).
    #[arg(long, default_value = FASHION_MNIST_DIR)]
    data_dir: PathBuf,
    /// Hidden layer sizes, bottom first; the last is the code.
    #[arg(long, value_delimiter = ',', default_value = "500,100,30")]
    hidden: Vec<usize>,
    /// Pretraining epochs per RBM.
    #[arg(long, default_value_t = 5)]
    pretrain_epochs: usize,
    /// Pretraining learning rate (CD-1).
    #[arg(long, default_value_t = 0.05)]
    pretrain_lr: f64,
    /// Fine-tuning epochs.
    #[arg(long, default_value_t = 20)]
    finetune_epochs: usize,
    /// Fine-tuning learning rate.
    #[arg(long, default_value_t = 0.05)]
    finetune_lr: f64,
    /// Fine-tuning momentum.
    #[arg(long, default_value_t = 0.9)]
    momentum: f64,
    /// Rows per minibatch, in both phases.
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// Use only the first this many training rows (0: all).
    #[arg(long, default_value_t = 0)]
    train_rows: usize,
    /// Fraction of the training rows held out for validation.
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
    let (mut train_all, test) = (
        load(args, MnistSplit::Train)?,
        load(args, MnistSplit::Test)?,
    );
    if args.train_rows > 0 && args.train_rows < train_all.n_samples() {
        let first: Vec<usize> = (0..args.train_rows).collect();
        train_all = train_all.select(&first);
    }
    let (train, validation) = train_all.split_validation(args.validation, &mut rng)?;
    println!(
        "Fashion-MNIST: {} training, {} validation, {} test rows; autoencoder {} → {:?} → {}",
        train.n_samples(),
        validation.n_samples(),
        test.n_samples(),
        train.n_features(),
        args.hidden,
        train.n_features()
    );

    // greedy pretraining of the RBMs
    let started = Instant::now();
    let config = DbnConfig {
        hidden_sizes: args.hidden.clone(),
        pretrain: RbmPretrainConfig {
            epochs: args.pretrain_epochs,
            learning_rate: args.pretrain_lr,
            batch_size: args.batch_size,
            ..RbmPretrainConfig::default()
        },
        propagation: Propagation::Sample,
        ..DbnConfig::default()
    };
    let mut dbn = Dbn::new(train.n_features(), 10, &config, &mut rng)?;
    dbn.pretrain(train.features(), &mut rng, pretrain_printer(args))?;
    let pretrain_s = started.elapsed().as_secs_f64();

    // unroll, and measure the stack as pretrained
    let mut ae = DeepAutoencoder::from_dbn(&dbn)?;
    let before = ae.reconstruction_error(test.features())?;
    println!("test reconstruction before fine-tuning: {}", show(&before));

    // fine-tune by backpropagation of the cross-entropy
    let started = Instant::now();
    let tune = AutoencoderConfig {
        epochs: args.finetune_epochs,
        learning_rate: args.finetune_lr,
        momentum: args.momentum,
        batch_size: args.batch_size,
    };
    let v = (validation.n_samples() > 0).then(|| validation.features());
    ae.finetune(train.features(), v, &tune, &mut rng, finetune_printer(args))?;
    let finetune_s = started.elapsed().as_secs_f64();

    let after = ae.reconstruction_error(test.features())?;
    println!("test reconstruction after fine-tuning:  {}", show(&after));
    let code = ae.encode(test.features())?;
    println!("code of the test set: {} × {}", code.rows(), code.cols());
    println!("time: pretraining {pretrain_s:.1} s, fine-tuning {finetune_s:.1} s");
    Ok(())
}

/// Both measures, per image.
fn show(r: &Reconstruction) -> String {
    format!(
        "cross-entropy {:.2}, squared error {:.2} (per image, summed over 784 pixels)",
        r.cross_entropy, r.squared_error
    )
}

/// Prints one line per pretraining epoch with the time it took.
fn pretrain_printer(args: &Args) -> impl FnMut(&PretrainEpoch) {
    let (epochs, mut last) = (args.pretrain_epochs, Instant::now());
    move |e| {
        let s = last.elapsed().as_secs_f64();
        println!(
            "pretrain layer {} epoch {}/{epochs}: reconstruction error {:.4} ({s:.1} s)",
            e.layer + 1,
            e.epoch + 1,
            e.error
        );
        last = Instant::now();
    }
}

/// Prints one line per fine-tuning epoch with the validation figures and the time it took.
fn finetune_printer(args: &Args) -> impl FnMut(&AutoencoderEpoch) {
    let (epochs, mut last) = (args.finetune_epochs, Instant::now());
    move |e| {
        let s = last.elapsed().as_secs_f64();
        let v = e.validation.map_or(String::new(), |v| {
            format!(
                "; validation cross-entropy {:.2}, squared error {:.2}",
                v.cross_entropy, v.squared_error
            )
        });
        println!(
            "finetune epoch {}/{epochs}: training cross-entropy {:.2}, squared error {:.2}{v} \
             ({s:.1} s)",
            e.epoch + 1,
            e.train.cross_entropy,
            e.train.squared_error
        );
        last = Instant::now();
    }
}
