//! Training allocates nothing per minibatch: the allocations of a run grow with its epochs
//! (one shuffled order each), not with its minibatches. Checked for the DBN and for SDAs with
//! each noise, loss and decoder, with pretraining monitored, and for fine-tuning with
//! momentum, decay, dropout and early stopping.
//!
//! A counting allocator tallies the allocations made by the test's own thread. The thread
//! count is set to 1 so that no kernel spawns threads (spawning allocates).

use layerwise_data::{book_experiment, BookData, SyntheticConfig};
use layerwise_layers::{LrSchedule, Momentum, Sparsity};
use layerwise_models::{
    DaPretrainConfig, Dbn, DbnConfig, DecoderWeights, EarlyStopping, FinetuneMode, Loss, NoiseKind,
    Sda, SdaConfig,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

mod common;
use common::allocations;

fn data() -> BookData<f64> {
    book_experiment(
        &SyntheticConfig::default(),
        &mut ChaCha8Rng::seed_from_u64(1),
    )
    .unwrap()
}

/// Allocations of pretraining and of fine-tuning a two-layer DBN for `epochs` epochs each.
fn dbn_allocations(data: &BookData<f64>, epochs: usize) -> (usize, usize) {
    dbn_allocations_with(data, epochs, DbnConfig::default())
}

/// The same with PCD-2, momentum, both decays, sparsity and a step schedule.
fn dbn_options_allocations(data: &BookData<f64>, epochs: usize) -> (usize, usize) {
    let mut config = DbnConfig::default();
    let p = &mut config.pretrain;
    (p.persistent, p.k, p.l2, p.l1) = (true, 2, 1e-4, 1e-5);
    p.momentum = Momentum::warm_up(0.5, 0.9, 2);
    p.schedule = LrSchedule::Step {
        every: 2,
        factor: 0.5,
    };
    p.sparsity = Some(Sparsity {
        target: 0.1,
        cost: 0.1,
    });
    dbn_allocations_with(data, epochs, config)
}

fn dbn_allocations_with(data: &BookData<f64>, epochs: usize, config: DbnConfig) -> (usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut config = config;
    (config.pretrain.epochs, config.finetune.epochs) = (epochs, epochs);
    let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    let pre = allocations(|| {
        dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    });
    let fine = allocations(|| {
        dbn.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
    });
    (pre, fine)
}

/// The same for an SDA whose fine-tuning trains the top layer only, its pretraining set by
/// `pretrain` and, when `monitored`, measuring the clean training and validation rows.
fn sda_allocations(
    data: &BookData<f64>,
    epochs: usize,
    pretrain: &DaPretrainConfig,
    monitored: bool,
) -> (usize, usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let mut config = SdaConfig {
        pretrain: pretrain.clone(),
        ..SdaConfig::default()
    };
    (config.pretrain.epochs, config.finetune.epochs) = (epochs, epochs);
    config.finetune.mode = FinetuneMode::TopOnly;
    let mut sda = Sda::new(60, 3, &config, &mut rng).unwrap();
    let validation = data.test.features();
    let pre = allocations(|| {
        if monitored {
            sda.pretrain_monitored(&data.pretrain, Some(validation), &mut rng, |_| {})
        } else {
            sda.pretrain(&data.pretrain, &mut rng, |_| {})
        }
        .unwrap();
    });
    let fine = allocations(|| {
        sda.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
    });
    (pre, fine)
}

/// The default dA, and each other noise, loss and decoder, monitored or not.
fn da_variants() -> Vec<(DaPretrainConfig, bool)> {
    let default = DaPretrainConfig::default();
    let gaussian = DaPretrainConfig {
        noise: NoiseKind::Gaussian,
        loss: Loss::SquaredError,
        decoder: DecoderWeights::Untied,
        ..DaPretrainConfig::default()
    };
    let salt_and_pepper = DaPretrainConfig {
        noise: NoiseKind::SaltAndPepper,
        decoder: DecoderWeights::Untied,
        ..DaPretrainConfig::default()
    };
    vec![
        (default.clone(), false),
        (gaussian, false),
        (salt_and_pepper, false),
        (default, true),
    ]
}

/// Allocations of fine-tuning a DBN for `epochs` epochs with momentum, L2 decay, dropout on
/// the input and the hidden layers, a step schedule and early stopping (with a patience
/// longer than the run, so that every run trains all its epochs), on minibatches of 5 rows.
fn dbn_finetune_options_allocations(data: &BookData<f64>, epochs: usize) -> usize {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut config = DbnConfig::default();
    config.pretrain.epochs = 1;
    let f = &mut config.finetune;
    (f.epochs, f.batch_size, f.momentum, f.l2) = (epochs, 5, 0.9, 1e-4);
    (f.dropout_input, f.dropout_hidden) = (0.2, 0.5);
    f.schedule = LrSchedule::Step {
        every: 2,
        factor: 0.5,
    };
    f.early_stopping = Some(EarlyStopping::patience(100));
    let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    allocations(|| {
        dbn.finetune(&data.train, Some(&data.test), &mut rng, |_| {})
            .unwrap();
    })
}

#[test]
fn finetuning_with_momentum_dropout_and_early_stopping_allocates_per_epoch() {
    layerwise_linalg::set_threads(1);
    let data = data();
    dbn_finetune_options_allocations(&data, 1);
    let (short, long) = (
        dbn_finetune_options_allocations(&data, 3),
        dbn_finetune_options_allocations(&data, 6),
    );
    // 600 rows in minibatches of 5 are 120 minibatches an epoch; per epoch there are the
    // shuffled order, the validation pass and, when it improves, the copy of the weights
    let per_epoch = (long - short) / 3;
    assert!(per_epoch <= 40, "{per_epoch} allocations per epoch");
}

/// Three more epochs of 600 rows in minibatches of 50 are 36 more minibatches per layer; at
/// most 2 more allocations per layer and epoch shows none of them allocates.
fn assert_per_epoch_only(name: &str, short: (usize, usize), long: (usize, usize)) {
    let (pre, fine) = (long.0 - short.0, long.1 - short.1);
    assert!(
        pre <= 2 * 2 * 3,
        "{name} pretraining: {pre} more allocations"
    );
    assert!(fine <= 2 * 3, "{name} fine-tuning: {fine} more allocations");
}

#[test]
fn training_loops_allocate_per_epoch_not_per_minibatch() {
    layerwise_linalg::set_threads(1);
    let data = data();
    // a first run pays the one-time costs (the GEMM's buffer pool, say)
    dbn_allocations(&data, 1);
    dbn_options_allocations(&data, 1);
    sda_allocations(&data, 1, &DaPretrainConfig::default(), true);
    let dbn = (dbn_allocations(&data, 3), dbn_allocations(&data, 6));
    assert_per_epoch_only("DBN", dbn.0, dbn.1);
    let options = (
        dbn_options_allocations(&data, 3),
        dbn_options_allocations(&data, 6),
    );
    assert_per_epoch_only(
        "DBN with PCD, momentum, decay and sparsity",
        options.0,
        options.1,
    );
    for (pretrain, monitored) in da_variants() {
        let sda = (
            sda_allocations(&data, 3, &pretrain, monitored),
            sda_allocations(&data, 6, &pretrain, monitored),
        );
        let (noise, loss, decoder) = (pretrain.noise, pretrain.loss, pretrain.decoder);
        let name = format!("SDA ({noise:?}, {loss:?}, {decoder:?}, monitored: {monitored})");
        assert_per_epoch_only(&name, sda.0, sda.1);
    }
}

#[test]
fn the_counting_allocator_counts() {
    let n = allocations(|| drop(std::hint::black_box(vec![0_u8; 64])));
    assert_eq!(
        n, 1,
        "the shared counter must see this thread's allocations"
    );
}
