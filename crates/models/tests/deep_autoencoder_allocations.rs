//! Fine-tuning a deep autoencoder allocates nothing per minibatch: a run of five times as
//! many minibatches makes no more allocations, and fewer than one per minibatch.
//!
//! A counting allocator tallies the allocations made by the test's own thread; the thread
//! count is 1 so that no kernel spawns threads (spawning allocates).

use layerwise_data::{book_experiment, SyntheticConfig};
use layerwise_models::{AutoencoderConfig, Dbn, DbnConfig, DeepAutoencoder};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

mod common;
use common::allocations;

#[test]
fn finetuning_allocates_no_more_for_60_minibatches_an_epoch_than_for_12() {
    layerwise_linalg::set_threads(1);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let data = book_experiment::<f64, _>(&SyntheticConfig::default(), &mut rng).unwrap();
    let config = DbnConfig {
        hidden_sizes: vec![20, 6],
        ..DbnConfig::default()
    };
    let dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    let run = |batch_size: usize| {
        let mut ae = DeepAutoencoder::from_dbn(&dbn).unwrap();
        let tune = AutoencoderConfig {
            epochs: 2,
            batch_size,
            ..AutoencoderConfig::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        allocations(|| {
            ae.finetune(&data.pretrain, None, &tune, &mut rng, |_| {})
                .unwrap();
        })
    };
    // 600 rows: 12 minibatches of 50 or 60 of 10 per epoch. The buffers grow once, to the
    // minibatch's size (larger minibatches may take more steps to grow them), then stay.
    let (few, many) = (run(50), run(10));
    let counts = format!("{few} for 24 minibatches, {many} for 120");
    assert!(many <= few && many < 120, "allocations per run: {counts}");
}
