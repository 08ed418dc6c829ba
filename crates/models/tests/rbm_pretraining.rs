//! DBN pretraining with the RBM options: persistent chains, momentum, decay, sparsity,
//! schedules, a Gaussian bottom layer and per-epoch monitoring.

use layerwise_data::{book_experiment, BookData, SyntheticConfig};
use layerwise_layers::{AisConfig, LrSchedule, Momentum, Sparsity, Visible};
use layerwise_linalg::Matrix;
use layerwise_models::{Classifier, Dbn, DbnConfig, Error, RbmMonitorConfig, RbmPretrainConfig};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn data(seed: u64) -> BookData<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    book_experiment(&SyntheticConfig::default(), &mut rng).unwrap()
}

/// The book's DBN with every RBM option on, for `epochs` epochs of each phase.
fn with_options(epochs: usize) -> DbnConfig {
    let pretrain = RbmPretrainConfig {
        epochs,
        persistent: true,
        schedule: LrSchedule::Step {
            every: 20,
            factor: 0.5,
        },
        momentum: Momentum::warm_up(0.5, 0.9, 5),
        l2: 2e-4,
        l1: 1e-5,
        sparsity: Some(Sparsity {
            target: 0.2,
            cost: 0.05,
        }),
        learning_rate: 0.05,
        ..RbmPretrainConfig::default()
    };
    let mut config = DbnConfig {
        pretrain,
        ..DbnConfig::default()
    };
    config.finetune.epochs = epochs;
    config
}

#[test]
fn a_dbn_pretrained_with_pcd_momentum_decay_and_sparsity_classifies() {
    let data = data(1);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut dbn = Dbn::new(60, 3, &with_options(100), &mut rng).unwrap();
    let history = dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    assert!(history[99].error < history[0].error, "layer 0 learns");
    assert!(history.iter().all(|e| e.monitor.is_none()));
    dbn.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
    let accuracy = dbn.evaluate(&data.test).unwrap().accuracy;
    assert!(accuracy >= 0.99, "accuracy {accuracy}");
}

/// A two-layer DBN measured after each epoch: 200 training rows, the test rows held out,
/// a short AIS.
fn monitored(monitor: bool, seed: u64) -> (Dbn<f64>, Vec<layerwise_models::PretrainEpoch>) {
    let data = data(seed);
    let mut config = DbnConfig::default();
    config.pretrain.epochs = 5;
    config.pretrain.monitor = monitor.then(|| RbmMonitorConfig {
        subset: 200,
        ais: Some(AisConfig::scaled(20, 200)),
        seed: 9,
    });
    let mut rng = ChaCha8Rng::seed_from_u64(seed + 1);
    let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    let held_out = data.test.features();
    let history = dbn
        .pretrain_with_validation(&data.pretrain, Some(held_out), &mut rng, |_| {})
        .unwrap();
    (dbn, history)
}

#[test]
fn monitoring_reports_every_epoch_and_never_changes_the_model() {
    let (dbn, history) = monitored(true, 3);
    assert_eq!(history.len(), 10);
    for e in &history {
        let m = e.monitor.as_ref().expect("measured");
        let (ll, vll) = (
            m.train_log_likelihood.unwrap(),
            m.validation_log_likelihood.unwrap(),
        );
        assert!(m.free_energy_gap().unwrap().is_finite());
        assert!(m.pseudo_log_likelihood.unwrap() < 0.0);
        assert!(
            ll < 0.0 && vll < 0.0,
            "layer {} epoch {}: {ll}, {vll}",
            e.layer,
            e.epoch
        );
        let ais = m.ais.as_ref().unwrap();
        assert_eq!((ais.chains, ais.temperatures), (20, 200));
    }
    // the likelihood of the bottom layer's training rows rises as it learns
    let ll = |i: usize| {
        history[i]
            .monitor
            .as_ref()
            .unwrap()
            .train_log_likelihood
            .unwrap()
    };
    assert!(ll(4) > ll(0), "{} then {}", ll(0), ll(4));

    let (plain, plain_history) = monitored(false, 3);
    assert!(dbn.rbms() == plain.rbms(), "monitoring changed the model");
    for (a, b) in history.iter().zip(&plain_history) {
        assert_eq!((a.layer, a.epoch, a.error), (b.layer, b.epoch, b.error));
    }
}

#[test]
fn a_gaussian_bottom_rbm_learns_standardised_inputs() {
    // the book's binary inputs, standardised per column to mean 0 and variance 1
    let data = data(4);
    let standardise = |x: &Matrix<f64>| {
        let n = x.rows() as f64;
        let mean: Vec<f64> = x.col_sums().iter().map(|s| s / n).collect();
        let var: Vec<f64> = (0..x.cols())
            .map(|j| {
                (0..x.rows())
                    .map(|i| (x[(i, j)] - mean[j]).powi(2))
                    .sum::<f64>()
                    / n
            })
            .collect();
        Matrix::from_fn(x.rows(), x.cols(), |i, j| {
            (x[(i, j)] - mean[j]) / var[j].sqrt().max(1e-6)
        })
    };
    let mut config = DbnConfig {
        visible: Visible::Gaussian,
        ..DbnConfig::default()
    };
    (config.pretrain.epochs, config.pretrain.learning_rate) = (50, 0.005);
    config.finetune.epochs = 100;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    let kinds: Vec<Visible> = dbn.rbms().iter().map(|r| r.visible()).collect();
    assert_eq!(kinds, [Visible::Gaussian, Visible::Bernoulli]);
    let history = dbn
        .pretrain(&standardise(&data.pretrain), &mut rng, |_| {})
        .unwrap();
    assert!(
        history[49].error < history[0].error,
        "the Gaussian layer learns"
    );
    let train = layerwise_data::Dataset::new(
        standardise(data.train.features()),
        data.train.labels().to_vec(),
        3,
    )
    .unwrap();
    dbn.finetune(&train, None, &mut rng, |_| {}).unwrap();
    let test = standardise(data.test.features());
    let predicted = dbn.predict(&test).unwrap();
    let correct = predicted
        .iter()
        .zip(data.test.labels())
        .filter(|(p, y)| p == y)
        .count();
    assert!(
        correct as f64 >= 0.95 * predicted.len() as f64,
        "{correct} right"
    );
}

#[test]
fn bad_rbm_options_are_named() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut config = DbnConfig::default();
    config.pretrain.momentum = Momentum::warm_up(0.5, 1.5, 2);
    let e = Dbn::<f64>::new(60, 3, &config, &mut rng).unwrap_err();
    assert!(matches!(e, Error::Layer(_)) && e.to_string().contains("momentum.value = 1.5"));
    config.pretrain.momentum = Momentum::none();
    config.pretrain.monitor = Some(RbmMonitorConfig {
        subset: 0,
        ..RbmMonitorConfig::default()
    });
    let e = Dbn::<f64>::new(60, 3, &config, &mut rng).unwrap_err();
    assert!(e.to_string().contains("pretrain.monitor.subset = 0"), "{e}");
    config.pretrain.monitor = Some(RbmMonitorConfig {
        ais: Some(AisConfig {
            chains: 10,
            segments: vec![(0.5, 10)],
        }),
        ..RbmMonitorConfig::default()
    });
    assert!(Dbn::<f64>::new(60, 3, &config, &mut rng).is_err());
    let mut dbn = Dbn::<f64>::new(60, 3, &DbnConfig::default(), &mut rng).unwrap();
    let narrow = Matrix::zeros(4, 59);
    let e = dbn
        .pretrain_with_validation(&Matrix::zeros(4, 60), Some(&narrow), &mut rng, |_| {})
        .unwrap_err();
    assert_eq!(
        e,
        Error::FeatureMismatch {
            expected: 60,
            found: 59
        }
    );
}
