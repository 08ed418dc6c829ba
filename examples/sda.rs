//! The book's SDA experiment: 60 → 20 → 20 → 3 on the synthetic three-block data.
//!
//! `cargo run --release --example sda -- [--seed N]`

use clap::Parser;
use layerwise::data::{book_experiment, SyntheticConfig};
use layerwise::metrics::ConfusionMatrix;
use layerwise::models::{Classifier, Sda, SdaConfig};
use std::time::Instant;

/// Train the book's Stacked Denoising Autoencoder and print its evaluation.
#[derive(Parser)]
struct Args {
    /// Seed of the one generator behind every random step.
    #[arg(long, default_value_t = 1234)]
    seed: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut rng = layerwise::seeded_rng(args.seed);
    let data = book_experiment::<f64, _>(&SyntheticConfig::default(), &mut rng)?;

    let start = Instant::now();
    let mut sda = Sda::new(60, 3, &SdaConfig::default(), &mut rng)?;
    sda.pretrain(&data.pretrain, &mut rng, |_| {})?;
    sda.finetune(&data.train, None, &mut rng, |_| {})?;
    let seconds = start.elapsed().as_secs_f64();

    let predicted = sda.predict(data.test.features())?;
    let cm = ConfusionMatrix::from_labels(data.test.labels(), &predicted, 3)?;
    print!(
        "{}",
        layerwise::book_evaluation("SDA model evaluation", &cm)
    );
    println!("Training time: {seconds:.2} s");
    Ok(())
}
