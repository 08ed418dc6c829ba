//! From the generator to the report, seeded: two runs give bit-identical models.

use layerwise::data::{book_experiment, SyntheticConfig};
use layerwise::metrics::{ConfusionMatrix, Report};
use layerwise::models::{Classifier, Dbn, DbnConfig, Sda, SdaConfig};

fn short<C: Default>(set: impl Fn(&mut C)) -> C {
    let mut config = C::default();
    set(&mut config);
    config
}

fn train_dbn(seed: u64) -> (Dbn<f32>, ConfusionMatrix) {
    let mut rng = layerwise::seeded_rng(seed);
    let data = book_experiment::<f32, _>(&SyntheticConfig::default(), &mut rng).unwrap();
    let config: DbnConfig = short(|c: &mut DbnConfig| {
        c.pretrain.epochs = 100;
        c.finetune.epochs = 100;
    });
    let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    let pre = dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    assert_eq!(pre.len(), 200);
    assert!(pre[99].error < pre[0].error, "layer 0 learns");
    let fine = dbn.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
    assert!(fine[99].train_loss < fine[0].train_loss);
    let predicted = dbn.predict(data.test.features()).unwrap();
    let cm = ConfusionMatrix::from_labels(data.test.labels(), &predicted, 3).unwrap();
    (dbn, cm)
}

#[test]
fn seeded_dbn_run_repeats_bit_for_bit_and_reports() {
    let (a, cm) = train_dbn(42);
    let (b, cm_b) = train_dbn(42);
    assert_eq!(a, b, "same seed, same weights, bit for bit");
    assert_eq!(cm, cm_b);
    let (c, _) = train_dbn(43);
    assert_ne!(a, c, "another seed, other weights");

    assert!(cm.accuracy() >= 0.99, "accuracy {}", cm.accuracy());
    let report = Report::new(&cm, Some(&["block 1", "block 2", "block 3"])).unwrap();
    let text = report.to_string();
    assert!(text.contains("block 3"), "{text}");
    let book = layerwise::book_evaluation("DBN model evaluation", &cm);
    assert!(book.starts_with("DBN model evaluation\n"));
    assert!(book.contains("Recall:\n class 1: "));
}

#[test]
fn seeded_sda_run_repeats_bit_for_bit() {
    let run = |seed| {
        let mut rng = layerwise::seeded_rng(seed);
        let data = book_experiment::<f64, _>(&SyntheticConfig::default(), &mut rng).unwrap();
        let config: SdaConfig = short(|c: &mut SdaConfig| {
            c.pretrain.epochs = 50;
            c.finetune.epochs = 50;
        });
        let mut sda = Sda::new(60, 3, &config, &mut rng).unwrap();
        sda.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
        sda.finetune(&data.train, Some(&data.test), &mut rng, |_| {})
            .unwrap();
        sda
    };
    assert_eq!(run(5), run(5));
}

#[test]
fn models_refuse_data_of_the_wrong_shape() {
    let mut rng = layerwise::seeded_rng(1);
    let data = book_experiment::<f64, _>(&SyntheticConfig::default(), &mut rng).unwrap();
    let mut dbn = Dbn::<f64>::new(59, 3, &DbnConfig::default(), &mut rng).unwrap();
    let err = dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the model takes 59 features, the data has 60"
    );
    let mut four = Dbn::<f64>::new(60, 4, &DbnConfig::default(), &mut rng).unwrap();
    let err = four
        .finetune(&data.train, None, &mut rng, |_| {})
        .unwrap_err();
    assert_eq!(err.to_string(), "the model has 4 classes, the data set 3");
    assert!(dbn.predict(data.test.features()).is_err());
}

#[test]
fn invalid_hyperparameters_are_named_when_the_model_is_built() {
    let mut rng = layerwise::seeded_rng(1);
    let mut config = DbnConfig::default();
    config.pretrain.k = 0;
    let err = Dbn::<f64>::new(60, 3, &config, &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("pretrain.k = 0"), "{err}");
    let mut config = SdaConfig::default();
    config.pretrain.corruption = 1.0;
    let err = Sda::<f64>::new(60, 3, &config, &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("pretrain.corruption = 1"), "{err}");
    config.pretrain.corruption = 0.3;
    config.hidden_sizes.clear();
    let err = Sda::<f64>::new(60, 3, &config, &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at least one hidden layer"), "{err}");
    let mut config = DbnConfig::default();
    config.finetune.learning_rate = f64::INFINITY;
    let err = Dbn::<f64>::new(60, 3, &config, &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("finetune.learning_rate = inf"), "{err}");
    config.finetune.learning_rate = 0.1;
    config.pretrain.batch_size = 0;
    let err = Dbn::<f64>::new(60, 3, &config, &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("pretrain.batch_size = 0"), "{err}");
}

#[test]
fn a_diverging_network_is_reported_not_trained_to_nan() {
    use layerwise::models::{Mlp, MlpConfig};
    let mut rng = layerwise::seeded_rng(3);
    let data = book_experiment::<f32, _>(&SyntheticConfig::default(), &mut rng).unwrap();
    let mut config = MlpConfig::default();
    config.finetune.learning_rate = 1e38;
    config.finetune.epochs = 5;
    let mut mlp = Mlp::new(60, 3, &config, &mut rng).unwrap();
    let err = mlp.train(&data.train, None, &mut rng, |_| {}).unwrap_err();
    assert!(err.to_string().contains("diverged at epoch"), "{err}");
    config.finetune.learning_rate = 1e39; // finite in f64, infinite in f32
    let err = Mlp::<f32>::new(60, 3, &config, &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("finetune.learning_rate = 1"), "{err}");
}

#[test]
fn empty_training_data_is_refused() {
    use layerwise::data::Dataset;
    use layerwise::linalg::Matrix;
    let mut rng = layerwise::seeded_rng(4);
    let config = DbnConfig::default();
    let mut dbn = Dbn::<f64>::new(60, 3, &config, &mut rng).unwrap();
    let err = dbn
        .pretrain(&Matrix::zeros(0, 60), &mut rng, |_| {})
        .unwrap_err();
    assert_eq!(err.to_string(), "the pretraining data has no rows");
    let empty = Dataset::new(Matrix::zeros(0, 60), vec![], 3).unwrap();
    let err = dbn.finetune(&empty, None, &mut rng, |_| {}).unwrap_err();
    assert_eq!(err.to_string(), "the fine-tuning data has no rows");
}

#[test]
fn a_layer_too_large_to_allocate_is_an_error_not_a_panic() {
    use layerwise::models::{Mlp, MlpConfig};
    let mut rng = layerwise::seeded_rng(5);
    let err = Mlp::<f32>::new(usize::MAX, 3, &MlpConfig::default(), &mut rng).unwrap_err();
    assert!(err.to_string().contains("too large to allocate"), "{err}");
}
