//! The book's DBN experiment: 60 → 20 → 20 → 3 on the synthetic three-block data.
//!
//! `cargo run --release --example dbn -- [--seed N]`

use clap::Parser;
use layerwise::data::{book_experiment, SyntheticConfig};
use layerwise::metrics::ConfusionMatrix;
use layerwise::models::{Classifier, Dbn, DbnConfig};
use std::time::Instant;

/// Train the book's Deep Belief Net and print its evaluation.
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
    let mut dbn = Dbn::new(60, 3, &DbnConfig::default(), &mut rng)?;
    dbn.pretrain(&data.pretrain, &mut rng, |_| {})?;
    dbn.finetune(&data.train, None, &mut rng, |_| {})?;
    let seconds = start.elapsed().as_secs_f64();

    let predicted = dbn.predict(data.test.features())?;
    let cm = ConfusionMatrix::from_labels(data.test.labels(), &predicted, 3)?;
    print!(
        "{}",
        layerwise::book_evaluation("DBN model evaluation", &cm)
    );
    println!("Training time: {seconds:.2} s");
    Ok(())
}
