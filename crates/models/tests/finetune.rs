//! Fine-tuning's options: early stopping restores the best epoch, top-only training leaves
//! the pretrained layers alone, momentum keeps the book's accuracy, and the baselines take
//! the same options.

use layerwise_data::{book_experiment, BookData, Dataset, SyntheticConfig};
use layerwise_layers::LrSchedule;
use layerwise_models::{
    Classifier, Dbn, DbnConfig, EarlyStopping, Error, FinetuneConfig, FinetuneMode, Logistic, Mlp,
    MlpConfig, Sda, SdaConfig,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn data(rng: &mut ChaCha8Rng) -> BookData<f64> {
    book_experiment(&SyntheticConfig::default(), rng).unwrap()
}

/// The training rows with every label moved to the next class: the better a model fits the
/// training set, the worse its loss on these.
fn mislabelled(train: &Dataset<f64>) -> Dataset<f64> {
    let k = train.n_classes();
    let labels = train.labels().iter().map(|&y| (y + 1) % k).collect();
    Dataset::new(train.features().clone(), labels, k).unwrap()
}

#[test]
fn early_stopping_restores_the_weights_of_the_best_validation_epoch() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let data = data(&mut rng);
    let adversarial = mislabelled(&data.train);
    let finetune = FinetuneConfig {
        epochs: 60,
        learning_rate: 0.5,
        lr_decay: 1.0,
        momentum: 0.5,
        early_stopping: Some(EarlyStopping::patience(4)),
        ..FinetuneConfig::default()
    };
    let config = MlpConfig {
        hidden_sizes: vec![20],
        finetune,
    };
    let mut mlp = Mlp::new(60, 3, &config, &mut rng).unwrap();
    let history = mlp
        .train(&data.train, Some(&adversarial), &mut rng, |_| {})
        .unwrap();

    // the validation loss rose for `patience` epochs after the best one, then training ended
    let last = history.last().unwrap();
    assert!(last.stopped_early, "{} epochs", history.len());
    let best = last.best_epoch.unwrap();
    assert_eq!(history.len(), best + 4 + 1);
    let losses: Vec<f64> = history.iter().map(|e| e.validation.unwrap().loss).collect();
    let lowest = losses.iter().cloned().fold(f64::INFINITY, f64::min);
    assert_eq!(losses[best], lowest);
    assert!(losses[history.len() - 1] > losses[best]);

    // the model is the best epoch's, bit for bit: its loss is the one recorded then
    let now = mlp.evaluate(&adversarial).unwrap();
    assert_eq!(now, history[best].validation.unwrap());
}

#[test]
fn early_stopping_without_validation_data_is_a_typed_error() {
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let data = data(&mut rng);
    let finetune = FinetuneConfig {
        epochs: 3,
        early_stopping: Some(EarlyStopping::patience(2)),
        ..FinetuneConfig::default()
    };
    let mut model = Logistic::new(60, 3, &finetune).unwrap();
    let e = model
        .train(&data.train, None, &mut rng, |_| {})
        .unwrap_err();
    assert_eq!(e, Error::MissingValidation);
    assert!(e.to_string().contains("validation"), "{e}");
}

#[test]
fn top_only_training_leaves_the_pretrained_layers_bit_identical() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let data = data(&mut rng);
    let finetune = FinetuneConfig {
        epochs: 20,
        mode: FinetuneMode::TopOnly,
        momentum: 0.9,
        l2: 1e-3,
        dropout_hidden: 0.3,
        ..FinetuneConfig::default()
    };
    let mut config = DbnConfig {
        finetune,
        ..DbnConfig::default()
    };
    config.pretrain.epochs = 10;
    let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    let (rbms, top) = (dbn.rbms().to_vec(), dbn.logistic().clone());
    dbn.finetune(&data.train, Some(&data.test), &mut rng, |_| {})
        .unwrap();
    assert!(dbn.rbms() == &rbms[..], "a pretrained layer changed");
    assert!(dbn.logistic() != &top, "the top layer did not learn");
}

#[test]
fn the_book_experiment_keeps_its_accuracy_with_momentum_and_dropout() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let data = data(&mut rng);
    let finetune = FinetuneConfig {
        epochs: 100,
        learning_rate: 0.05,
        lr_decay: 1.0,
        schedule: LrSchedule::Step {
            every: 50,
            factor: 0.5,
        },
        momentum: 0.9,
        ..FinetuneConfig::default()
    };
    let mut config = DbnConfig {
        finetune: finetune.clone(),
        ..DbnConfig::default()
    };
    config.pretrain.epochs = 100;
    let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    dbn.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
    let acc = dbn.evaluate(&data.test).unwrap().accuracy;
    assert!(acc >= 0.99, "DBN with momentum: {acc}");

    let mut config = SdaConfig {
        finetune: FinetuneConfig {
            dropout_input: 0.1,
            dropout_hidden: 0.1,
            ..finetune.clone()
        },
        ..SdaConfig::default()
    };
    config.pretrain.epochs = 100;
    let mut sda = Sda::new(60, 3, &config, &mut rng).unwrap();
    sda.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    sda.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
    let acc = sda.evaluate(&data.test).unwrap().accuracy;
    assert!(acc >= 0.99, "SDA with momentum and dropout: {acc}");

    let mut logistic = Logistic::new(60, 3, &finetune).unwrap();
    logistic.train(&data.train, None, &mut rng, |_| {}).unwrap();
    let acc = logistic.evaluate(&data.test).unwrap().accuracy;
    assert!(acc >= 0.99, "logistic regression with momentum: {acc}");
}

#[test]
fn prediction_is_deterministic_and_its_probabilities_sum_to_one() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let data = data(&mut rng);
    let finetune = FinetuneConfig {
        epochs: 5,
        dropout_input: 0.2,
        dropout_hidden: 0.5,
        ..FinetuneConfig::default()
    };
    let config = MlpConfig {
        hidden_sizes: vec![20, 20],
        finetune,
    };
    let mut mlp = Mlp::new(60, 3, &config, &mut rng).unwrap();
    mlp.train(&data.train, None, &mut rng, |_| {}).unwrap();
    let x = data.test.features();
    let p = mlp.predict_proba(x).unwrap();
    assert_eq!(p, mlp.predict_proba(x).unwrap());
    for i in 0..p.rows() {
        approx::assert_abs_diff_eq!(p.row(i).iter().sum::<f64>(), 1.0, epsilon = 1e-12);
    }
    assert_eq!(mlp.predict(x).unwrap().len(), x.rows());
}
