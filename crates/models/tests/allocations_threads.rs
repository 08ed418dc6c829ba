//! Training on two threads allocates nothing per minibatch either: with products and row
//! passes large enough to be split between threads (a layer 784 → 300, minibatches of 400),
//! a DBN's allocations grow with its epochs, not with its minibatches.
//!
//! The counting allocator tallies the test thread's own allocations; the workers' (none,
//! once warm) are counted by `crates/linalg/tests/parallel_allocations.rs`. This binary
//! holds one test, so that nothing else changes the thread count while it runs.

use layerwise_data::Dataset;
use layerwise_linalg::Matrix;
use layerwise_models::{Dbn, DbnConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod common;
use common::allocations;

/// 1 200 binary rows of 784 pixels and labels in 0..10, fixed by the seed.
fn data() -> (Matrix<f32>, Dataset<f32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (rows, cols) = (1200, 784);
    let x: Vec<f32> = (0..rows * cols)
        .map(|_| if rng.gen_bool(0.3) { 1.0 } else { 0.0 })
        .collect();
    let x = Matrix::from_vec(rows, cols, x).unwrap();
    let labels = (0..rows).map(|_| rng.gen_range(0..10)).collect();
    let train = Dataset::new(x.clone(), labels, 10).unwrap();
    (x, train)
}

/// Allocations of pretraining and of fine-tuning a DBN 784 → 300 → 10 for `epochs` each.
fn dbn_allocations(data: &(Matrix<f32>, Dataset<f32>), epochs: usize) -> (usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let mut config = DbnConfig {
        hidden_sizes: vec![300],
        ..DbnConfig::default()
    };
    (config.pretrain.epochs, config.finetune.epochs) = (epochs, epochs);
    (config.pretrain.batch_size, config.finetune.batch_size) = (400, 400);
    let mut dbn = Dbn::new(784, 10, &config, &mut rng).unwrap();
    let pre = allocations(|| {
        dbn.pretrain(&data.0, &mut rng, |_| {}).unwrap();
    });
    let fine = allocations(|| {
        dbn.finetune(&data.1, None, &mut rng, |_| {}).unwrap();
    });
    (pre, fine)
}

#[test]
fn two_thread_training_allocates_per_epoch_not_per_minibatch() {
    layerwise_linalg::set_threads(2);
    let data = data();
    // a first run starts the worker and fills the GEMM's buffer pool
    dbn_allocations(&data, 1);
    let short = dbn_allocations(&data, 2);
    let long = dbn_allocations(&data, 5);
    // 3 more epochs are 9 more minibatches in each phase; at most 2 allocations per epoch
    let (pre, fine) = (long.0 - short.0, long.1 - short.1);
    assert!(pre <= 2 * 3, "pretraining: {pre} more allocations");
    assert!(fine <= 2 * 3, "fine-tuning: {fine} more allocations");
    layerwise_linalg::set_threads(0);
}
