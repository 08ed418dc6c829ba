//! The book's synthetic experiment: what DBN and SDA must reach, and what pretraining buys.

use layerwise_data::{book_experiment, BookData, SyntheticConfig};
use layerwise_models::{
    Classifier, Dbn, DbnConfig, FinetuneConfig, FinetuneMode, Mlp, MlpConfig, Sda, SdaConfig,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Fewer epochs than the book's 1000 + 1000, enough to reach its accuracy.
const PRETRAIN_EPOCHS: usize = 200;
const FINETUNE_EPOCHS: usize = 200;

fn data(rng: &mut ChaCha8Rng) -> BookData<f64> {
    book_experiment(&SyntheticConfig::default(), rng).unwrap()
}

fn finetune(mode: FinetuneMode) -> FinetuneConfig {
    FinetuneConfig {
        epochs: FINETUNE_EPOCHS,
        mode,
        ..FinetuneConfig::default()
    }
}

fn dbn_accuracy(seed: u64, pretrain_epochs: usize, mode: FinetuneMode) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = data(&mut rng);
    let mut config = DbnConfig {
        finetune: finetune(mode),
        ..DbnConfig::default()
    };
    config.pretrain.epochs = pretrain_epochs;
    let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    dbn.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
    dbn.evaluate(&data.test).unwrap().accuracy
}

fn sda_accuracy(seed: u64, pretrain_epochs: usize, mode: FinetuneMode) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = data(&mut rng);
    let mut config = SdaConfig {
        finetune: finetune(mode),
        ..SdaConfig::default()
    };
    config.pretrain.epochs = pretrain_epochs;
    let mut sda = Sda::new(60, 3, &config, &mut rng).unwrap();
    sda.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    sda.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
    sda.evaluate(&data.test).unwrap().accuracy
}

#[test]
fn dbn_reaches_99_percent_on_seeds_1_to_5() {
    for seed in 1..=5 {
        let acc = dbn_accuracy(seed, PRETRAIN_EPOCHS, FinetuneMode::Full);
        assert!(acc >= 0.99, "seed {seed}: DBN accuracy {acc}");
    }
}

#[test]
fn sda_reaches_99_percent_on_seeds_1_to_5() {
    for seed in 1..=5 {
        let acc = sda_accuracy(seed, PRETRAIN_EPOCHS, FinetuneMode::Full);
        assert!(acc >= 0.99, "seed {seed}: SDA accuracy {acc}");
    }
}

#[test]
fn pretrained_features_alone_suffice_for_the_top_layer() {
    for seed in 1..=3 {
        let dbn = dbn_accuracy(seed, PRETRAIN_EPOCHS, FinetuneMode::TopOnly);
        let sda = sda_accuracy(seed, PRETRAIN_EPOCHS, FinetuneMode::TopOnly);
        assert!(
            dbn >= 0.95 && sda >= 0.95,
            "seed {seed}: DBN {dbn}, SDA {sda}"
        );
    }
}

#[test]
fn without_pretraining_the_top_layer_alone_does_clearly_worse() {
    for seed in 1..=3 {
        let pretrained = dbn_accuracy(seed, PRETRAIN_EPOCHS, FinetuneMode::TopOnly);
        let dbn = dbn_accuracy(seed, 0, FinetuneMode::TopOnly);
        let sda = sda_accuracy(seed, 0, FinetuneMode::TopOnly);
        eprintln!("seed {seed}: pretrained {pretrained}, unpretrained DBN {dbn}, SDA {sda}");
        assert!(
            dbn < 0.8 && sda < 0.8,
            "seed {seed}: DBN {dbn}, SDA {sda} without pretraining"
        );
        assert!(pretrained - dbn > 0.2);
    }
}

#[test]
fn the_mlp_baseline_learns_the_book_data_by_backpropagation_alone() {
    for hidden_sizes in [vec![], vec![20, 20]] {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let data = data(&mut rng);
        // a steady learning rate: with the book's decay a random stack barely moves
        let finetune = FinetuneConfig {
            learning_rate: 0.5,
            lr_decay: 1.0,
            ..finetune(FinetuneMode::Full)
        };
        let config = MlpConfig {
            hidden_sizes: hidden_sizes.clone(),
            finetune,
        };
        let mut mlp = Mlp::new(60, 3, &config, &mut rng).unwrap();
        let history = mlp
            .train(&data.train, Some(&data.test), &mut rng, |_| {})
            .unwrap();
        let acc = mlp.evaluate(&data.test).unwrap().accuracy;
        eprintln!("MLP {hidden_sizes:?} without pretraining: {acc}");
        assert_eq!(history.len(), FINETUNE_EPOCHS);
        assert_eq!(history.last().unwrap().validation.unwrap().accuracy, acc);
        assert!(acc >= 0.99, "MLP {hidden_sizes:?}: {acc}");
    }
}

#[test]
fn a_random_mlp_with_the_books_decaying_schedule_does_not_learn() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let data = data(&mut rng);
    let config = MlpConfig {
        finetune: finetune(FinetuneMode::Full),
        ..MlpConfig::default()
    };
    let mut mlp = Mlp::new(60, 3, &config, &mut rng).unwrap();
    mlp.train(&data.train, None, &mut rng, |_| {}).unwrap();
    let acc = mlp.evaluate(&data.test).unwrap().accuracy;
    eprintln!("MLP [20, 20] with the book's schedule: {acc}");
    assert!(acc < 0.5, "{acc}");
}
