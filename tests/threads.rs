//! Thread-count invariance: a DBN and an SDA trained with 1 and with 2 threads are
//! bit-identical, since every row of every kernel, random draws included, is computed the same
//! way whatever thread it lands on.
//!
//! `set_threads` is process-global and tests run side by side, so another test may change the
//! count in the middle of a run. That is harmless exactly because results do not depend on it,
//! so nothing here asserts the count.

use layerwise::data::{book_experiment, SyntheticConfig};
use layerwise::linalg::set_threads;
use layerwise::models::{Classifier, Dbn, DbnConfig, Sda, SdaConfig};

/// Hidden layers and minibatches wide enough (400 × 200) for the row loops to split; 400
/// does not divide 600, so every epoch also trains on a smaller last minibatch.
const HIDDEN: [usize; 2] = [200, 200];
const BATCH: usize = 400;
const EPOCHS: usize = 4;

fn dbn(threads: usize) -> Dbn<f64> {
    set_threads(threads);
    let mut rng = layerwise::seeded_rng(21);
    let data = book_experiment::<f64, _>(&SyntheticConfig::default(), &mut rng).unwrap();
    let mut config = DbnConfig {
        hidden_sizes: HIDDEN.to_vec(),
        ..DbnConfig::default()
    };
    (config.pretrain.epochs, config.pretrain.batch_size) = (EPOCHS, BATCH);
    (config.finetune.epochs, config.finetune.batch_size) = (EPOCHS, BATCH);
    let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    dbn.finetune(&data.train, Some(&data.test), &mut rng, |_| {})
        .unwrap();
    assert!(dbn.evaluate(&data.test).unwrap().accuracy.is_finite());
    dbn
}

fn sda(threads: usize) -> Sda<f32> {
    set_threads(threads);
    let mut rng = layerwise::seeded_rng(22);
    let data = book_experiment::<f32, _>(&SyntheticConfig::default(), &mut rng).unwrap();
    let mut config = SdaConfig {
        hidden_sizes: HIDDEN.to_vec(),
        ..SdaConfig::default()
    };
    (config.pretrain.epochs, config.pretrain.batch_size) = (EPOCHS, BATCH);
    (config.finetune.epochs, config.finetune.batch_size) = (EPOCHS, BATCH);
    let mut sda = Sda::new(60, 3, &config, &mut rng).unwrap();
    sda.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    sda.finetune(&data.train, Some(&data.test), &mut rng, |_| {})
        .unwrap();
    sda
}

#[test]
fn dbn_training_is_bit_identical_for_1_and_2_threads() {
    let (one, two) = (dbn(1), dbn(2));
    set_threads(0);
    assert!(one == two, "the DBN depends on the thread count");
}

#[test]
fn sda_training_is_bit_identical_for_1_and_2_threads() {
    let (one, two) = (sda(1), sda(2));
    set_threads(0);
    assert!(one == two, "the SDA depends on the thread count");
}

/// An MLP trained with momentum, dropout on the input and the hidden layers, and early
/// stopping, on 7000 rows in one minibatch: 7000 × 60 inputs and 7000 × 40 hidden units are
/// above the size where the row passes (masks included) split between threads.
fn mlp_with_dropout(threads: usize) -> layerwise::models::Mlp<f32> {
    use layerwise::models::{EarlyStopping, FinetuneConfig, Mlp, MlpConfig};
    set_threads(threads);
    let mut rng = layerwise::seeded_rng(23);
    let synthetic = SyntheticConfig {
        n_train_per_class: 2334,
        ..SyntheticConfig::default()
    };
    let data = book_experiment::<f32, _>(&synthetic, &mut rng).unwrap();
    assert!(data.train.n_samples() >= 7000);
    let finetune = FinetuneConfig {
        epochs: 3,
        learning_rate: 0.3,
        batch_size: 7002,
        momentum: 0.9,
        l2: 1e-4,
        dropout_input: 0.2,
        dropout_hidden: 0.5,
        early_stopping: Some(EarlyStopping::patience(5)),
        ..FinetuneConfig::default()
    };
    let config = MlpConfig {
        hidden_sizes: vec![40, 40],
        finetune,
    };
    let mut mlp = Mlp::new(60, 3, &config, &mut rng).unwrap();
    mlp.train(&data.train, Some(&data.test), &mut rng, |_| {})
        .unwrap();
    mlp
}

#[test]
fn dropout_and_momentum_training_is_bit_identical_for_1_and_2_threads() {
    let (one, two) = (mlp_with_dropout(1), mlp_with_dropout(2));
    set_threads(0);
    assert!(
        one == two,
        "the MLP with dropout depends on the thread count"
    );
}
