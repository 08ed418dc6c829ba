//! Train an RBM 784 → 500 on Fashion-MNIST by CD-1 and by PCD-1, watch it learn epoch by
//! epoch, and estimate its average test log-likelihood by AIS.
//!
//! `cargo run --release --example rbm_ais -- [--cd] [--pcd] [--epochs 10] [--hidden 500]
//! [--ais-chains 100] [--ais-temperatures 14500] [--seed 1]`; `--help` lists every flag
//! (momentum, L2 decay, an AIS run after every epoch, Gibbs samples written as images).
//!
//! The pixels are binarised once (each on with its grey level as probability, or above ½
//! with `--binarize threshold`), since the log-likelihood of a Bernoulli RBM is that of
//! binary images. A one-layer DBN's pretraining is the RBM's training loop; its history
//! carries the monitoring (free energies of 1000 training rows and of the held-out rows,
//! the pseudo-likelihood). AIS then runs Salakhutdinov & Murray's schedule, the base model's
//! biases from the training pixels' means.

use clap::{Parser, ValueEnum};
use layerwise::data::{load_mnist, MnistSplit, FASHION_MNIST_DIR};
use layerwise::layers::{sample_bernoulli, AisConfig, AisParams, GibbsStart, Momentum, Rbm};
use layerwise::linalg::{set_threads, Matrix};
use layerwise::models::{
    Dbn, DbnConfig, FinetuneConfig, PretrainEpoch, RbmMonitorConfig, RbmPretrainConfig,
};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Binarize {
    /// Each pixel on with its grey level as probability (seeded).
    Sample,
    /// Each pixel on when its grey level is above ½.
    Threshold,
}

/// Train RBMs on Fashion-MNIST by CD-k and PCD-k and estimate their log-likelihood by AIS.
#[derive(Parser)]
struct Args {
    /// Train by CD-k (with neither --cd nor --pcd, both run).
    #[arg(long)]
    cd: bool,
    /// Train by PCD-k.
    #[arg(long)]
    pcd: bool,
    /// Folder holding the Fashion-MNIST IDX files (plain or .gz).
    #[arg(long, default_value = FASHION_MNIST_DIR)]
    data_dir: PathBuf,
    /// Training epochs.
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    /// Hidden units.
    #[arg(long, default_value_t = 500)]
    hidden: usize,
    /// Gibbs steps per update.
    #[arg(long, default_value_t = 1)]
    k: usize,
    /// Learning rate η (constant).
    #[arg(long, default_value_t = 0.05)]
    learning_rate: f64,
    /// Momentum after a warm-up of 5 epochs at 0.5 (0: none).
    #[arg(long, default_value_t = 0.0)]
    momentum: f64,
    /// L2 weight decay.
    #[arg(long, default_value_t = 0.0)]
    l2: f64,
    /// Rows per minibatch (and persistent chains).
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// Fraction of the training set held out for the free-energy gap.
    #[arg(long, default_value_t = 0.1)]
    validation: f64,
    /// How grey pixels become binary.
    #[arg(long, value_enum, default_value_t = Binarize::Sample)]
    binarize: Binarize,
    /// AIS chains.
    #[arg(long, default_value_t = 100)]
    ais_chains: usize,
    /// AIS temperatures, in Salakhutdinov & Murray's proportions (14 500: theirs).
    #[arg(long, default_value_t = 14_500)]
    ais_temperatures: usize,
    /// Seed of the final AIS run's own generator.
    #[arg(long, default_value_t = 1)]
    ais_seed: u64,
    /// Temperatures of an AIS run after every epoch, with --ais-chains chains (0: none).
    #[arg(long, default_value_t = 0)]
    monitor_ais: usize,
    /// Threads for training (0: all cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Threads for AIS (0: all cores).
    #[arg(long, default_value_t = 0)]
    ais_threads: usize,
    /// Write 10 samples from Gibbs chains started from noise (1000 sweeps) to
    /// PREFIX-cd-1.pgm, PREFIX-pcd-1.pgm.
    #[arg(long)]
    samples: Option<PathBuf>,
    /// Seed of the generators behind every random step.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Binarised pixels of the training rows, the held-out rows and the test rows.
struct Data {
    train: Matrix<f32>,
    validation: Matrix<f32>,
    test: Matrix<f32>,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(&args) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let data = load(args)?;
    println!(
        "Fashion-MNIST, binarised: {} training, {} held-out, {} test rows; RBM {} → {}",
        data.train.rows(),
        data.validation.rows(),
        data.test.rows(),
        data.train.cols(),
        args.hidden
    );
    let both = !args.cd && !args.pcd;
    let runs = [(false, args.cd || both), (true, args.pcd || both)];
    for (persistent, _) in runs.iter().filter(|(_, wanted)| *wanted) {
        train_and_evaluate(args, &data, *persistent)?;
    }
    Ok(())
}

/// Loads both splits, binarises them and holds out part of the training rows.
fn load(args: &Args) -> Result<Data, Box<dyn Error>> {
    let read = |split| {
        load_mnist::<f32>(&args.data_dir, split).map_err(|e| {
            let hint = "install Debian's package dataset-fashion-mnist or pass --data-dir";
            format!(
                "cannot load Fashion-MNIST from {}: {e}\n({hint})",
                args.data_dir.display()
            )
        })
    };
    let (train_all, test) = (read(MnistSplit::Train)?, read(MnistSplit::Test)?);
    let mut rng = layerwise::seeded_rng(args.seed);
    let (train, validation) = train_all.split_validation(args.validation, &mut rng)?;
    let mut binary = |x: &Matrix<f32>| match args.binarize {
        Binarize::Sample => sample_bernoulli(x, &mut rng),
        Binarize::Threshold => x.map(|p| if p > 0.5 { 1.0 } else { 0.0 }),
    };
    Ok(Data {
        train: binary(train.features()),
        validation: binary(validation.features()),
        test: binary(test.features()),
    })
}

/// Trains one RBM by CD-k or PCD-k, printing each epoch, then estimates its ln Z by AIS.
fn train_and_evaluate(args: &Args, data: &Data, persistent: bool) -> Result<(), Box<dyn Error>> {
    let name = format!("{}{}", if persistent { "PCD-" } else { "CD-" }, args.k);
    println!(
        "\n{name}, η = {}, minibatch {}",
        args.learning_rate, args.batch_size
    );
    set_threads(args.threads);
    let mut rng = layerwise::seeded_rng(args.seed);
    let mut dbn = Dbn::new(data.train.cols(), 10, &config(args, persistent), &mut rng)?;
    let started = Instant::now();
    let held_out = Some(&data.validation);
    dbn.pretrain_with_validation(&data.train, held_out, &mut rng, epoch_printer(args))?;
    let training = started.elapsed().as_secs_f64();
    let rbm = &dbn.rbms()[0];

    // AIS: ln Ẑ, then −mean F − ln Ẑ on the test and training rows
    set_threads(args.ais_threads);
    let params = AisParams::new(&AisConfig::scaled(args.ais_chains, args.ais_temperatures))?;
    let started = Instant::now();
    let mut ais_rng = layerwise::seeded_rng(args.ais_seed);
    let ais = rbm.estimate_log_partition(&params, Some(&data.train), &mut ais_rng);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{name}: training {training:.1} s; AIS ({} chains × {} temperatures, {seconds:.1} s): \
         ln Ẑ = {:.2} (±3σ: {:.2} … {:.2}; log-weight std {:.2})",
        ais.chains, ais.temperatures, ais.log_z, ais.log_z_low, ais.log_z_high, ais.log_weight_std
    );
    let (test, train) = (
        rbm.log_likelihood(&data.test, ais.log_z),
        rbm.log_likelihood(&data.train, ais.log_z),
    );
    println!("{name}: average log-likelihood: test {test:.2} nats, training {train:.2} nats");

    if let Some(prefix) = &args.samples {
        let path = PathBuf::from(format!("{}-{}.pgm", prefix.display(), name.to_lowercase()));
        write_samples(rbm, &path, &mut rng)?;
        println!("{name}: Gibbs samples written to {}", path.display());
    }
    Ok(())
}

/// A one-layer DBN whose pretraining is the RBM's training, measured every epoch.
fn config(args: &Args, persistent: bool) -> DbnConfig {
    let momentum = if args.momentum == 0.0 {
        Momentum::none()
    } else {
        Momentum::warm_up(0.5, args.momentum, 5)
    };
    let pretrain = RbmPretrainConfig {
        epochs: args.epochs,
        learning_rate: args.learning_rate,
        k: args.k,
        batch_size: args.batch_size,
        persistent,
        momentum,
        l2: args.l2,
        monitor: Some(RbmMonitorConfig {
            subset: 1000,
            ais: (args.monitor_ais > 0)
                .then(|| AisConfig::scaled(args.ais_chains, args.monitor_ais)),
            seed: args.seed,
        }),
        ..RbmPretrainConfig::default()
    };
    let finetune = FinetuneConfig {
        epochs: 0,
        ..FinetuneConfig::default()
    };
    DbnConfig {
        hidden_sizes: vec![args.hidden],
        pretrain,
        finetune,
        ..DbnConfig::default()
    }
}

/// Prints one line per epoch: reconstruction error, free energies, their gap, the PLL.
fn epoch_printer(args: &Args) -> impl FnMut(&PretrainEpoch) {
    let (epochs, mut last) = (args.epochs, Instant::now());
    move |e| {
        let s = last.elapsed().as_secs_f64();
        let m = e.monitor.as_ref().expect("monitoring is on");
        let nan = f64::NAN;
        let ll = m.validation_log_likelihood.map_or(String::new(), |ll| {
            let z = m.ais.as_ref().map_or(nan, |a| a.log_z);
            format!(", held-out log-likelihood {ll:.2} (ln Ẑ {z:.2})")
        });
        println!(
            "epoch {:>2}/{epochs}: reconstruction {:.2}, free energy train {:.2} held-out {:.2} \
             (gap {:.2}), pseudo-log-likelihood {:.2}{ll} ({s:.1} s)",
            e.epoch + 1,
            e.error,
            m.train_free_energy,
            m.validation_free_energy.unwrap_or(nan),
            m.free_energy_gap().unwrap_or(nan),
            m.pseudo_log_likelihood.unwrap_or(nan),
        );
        last = Instant::now();
    }
}

/// Ten chains from noise, 1000 sweeps each, as one 280 × 28 binary PGM (grey levels).
fn write_samples(rbm: &Rbm<f32>, path: &Path, rng: &mut layerwise::Rng) -> std::io::Result<()> {
    let v = rbm
        .generate(GibbsStart::Noise { n_chains: 10 }, 1000, rng)
        .expect("10 chains and 1000 sweeps are valid");
    let mut bytes = b"P5\n280 28\n255\n".to_vec();
    for y in 0..28 {
        for chain in 0..10 {
            let row = &v.row(chain)[y * 28..(y + 1) * 28];
            bytes.extend(row.iter().map(|&p| (255.0 * (1.0 - p)).round() as u8));
        }
    }
    std::fs::write(path, bytes)
}
