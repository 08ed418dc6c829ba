//! The SDA's autoencoder options: each noise, loss and decoder learns the book's data,
//! monitoring reports clean reconstruction losses without changing training, and the
//! options keep results independent of the thread count.

use layerwise_data::{book_experiment, BookData, SyntheticConfig};
use layerwise_models::{
    Classifier, DaPretrainConfig, DecoderWeights, Loss, NoiseKind, Propagation, Sda, SdaConfig,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn data(rng: &mut ChaCha8Rng) -> BookData<f64> {
    book_experiment(&SyntheticConfig::default(), rng).unwrap()
}

/// The book's network with `pretrain` and 100 + 100 epochs.
fn config(pretrain: DaPretrainConfig) -> SdaConfig {
    let mut config = SdaConfig {
        pretrain,
        ..SdaConfig::default()
    };
    (config.pretrain.epochs, config.finetune.epochs) = (100, 100);
    config
}

/// A noise, loss and decoder other than the defaults.
fn option(noise: NoiseKind, corruption: f64, loss: Loss, untied: bool) -> DaPretrainConfig {
    let decoder = match untied {
        true => DecoderWeights::Untied,
        false => DecoderWeights::Tied,
    };
    DaPretrainConfig {
        noise,
        corruption,
        loss,
        decoder,
        ..DaPretrainConfig::default()
    }
}

#[test]
fn each_noise_loss_and_decoder_learns_the_book_experiment() {
    let options = [
        option(NoiseKind::Gaussian, 0.3, Loss::SquaredError, true),
        option(NoiseKind::Gaussian, 0.3, Loss::CrossEntropy, false),
        option(NoiseKind::SaltAndPepper, 0.3, Loss::CrossEntropy, true),
        option(NoiseKind::Masking, 0.3, Loss::SquaredError, false),
    ];
    for pretrain in options {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let data = data(&mut rng);
        let mut sda = Sda::new(60, 3, &config(pretrain.clone()), &mut rng).unwrap();
        let history = sda.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
        let (first, last) = (&history[0], &history[99]);
        assert!(
            last.error < first.error,
            "{pretrain:?}: {first:?} → {last:?}"
        );
        sda.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
        let accuracy = sda.evaluate(&data.test).unwrap().accuracy;
        assert!(accuracy >= 0.95, "{pretrain:?}: accuracy {accuracy}");
        assert_eq!(sda.autoencoders()[1].loss_function(), pretrain.loss);
        assert_eq!(sda.autoencoders()[1].decoder(), pretrain.decoder);
    }
}

#[test]
fn monitoring_reports_clean_losses_and_changes_nothing() {
    for propagation in [Propagation::Mean, Propagation::Sample] {
        let pretrain = option(NoiseKind::SaltAndPepper, 0.2, Loss::CrossEntropy, true);
        let mut config = SdaConfig {
            propagation,
            ..config(pretrain)
        };
        config.pretrain.epochs = 10;
        let run = |monitored: bool| {
            let mut rng = ChaCha8Rng::seed_from_u64(2);
            let data = data(&mut rng);
            let mut sda = Sda::new(60, 3, &config, &mut rng).unwrap();
            let history = match monitored {
                true => sda.pretrain_monitored(
                    &data.pretrain,
                    Some(data.test.features()),
                    &mut rng,
                    |_| {},
                ),
                false => sda.pretrain(&data.pretrain, &mut rng, |_| {}),
            };
            (sda, history.unwrap(), rng, data)
        };
        let (plain, plain_history, plain_rng, _) = run(false);
        let (watched, history, rng, data) = run(true);
        assert!(
            plain == watched,
            "{propagation:?}: monitoring changed the SDA"
        );
        assert_eq!(
            plain_rng, rng,
            "{propagation:?}: monitoring drew from the generator"
        );
        for (p, w) in plain_history.iter().zip(&history) {
            assert_eq!((p.layer, p.epoch, p.error), (w.layer, w.epoch, w.error));
            assert_eq!(
                (p.train_reconstruction, p.validation_reconstruction),
                (None, None)
            );
        }

        // the last record of each layer measures that layer as it was left
        let das = watched.autoencoders();
        let below = das[0].encode(&data.pretrain);
        let want = [
            das[0].reconstruction_loss(&data.pretrain),
            das[1].reconstruction_loss(&below),
        ];
        let last = [&history[9], &history[19]];
        for (record, want) in last.iter().zip(want) {
            let got = record.train_reconstruction.unwrap();
            approx::assert_relative_eq!(got, want, max_relative = 1e-12);
        }
        let val = das[1].reconstruction_loss(&das[0].encode(data.test.features()));
        let got = history[19].validation_reconstruction.unwrap();
        approx::assert_relative_eq!(got, val, max_relative = 1e-12);
        let falls = |i: usize, j: usize| {
            let (a, b) = (&history[i], &history[j]);
            b.train_reconstruction < a.train_reconstruction
                && b.validation_reconstruction < a.validation_reconstruction
        };
        assert!(falls(0, 9) && falls(10, 19), "{history:#?}");
    }
}

#[test]
fn a_validation_set_that_does_not_fit_is_refused() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let data = data(&mut rng);
    let mut sda = Sda::<f64>::new(60, 3, &SdaConfig::default(), &mut rng).unwrap();
    let narrow = layerwise_linalg::Matrix::zeros(5, 59);
    let err = sda
        .pretrain_monitored(&data.pretrain, Some(&narrow), &mut rng, |_| {})
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the model takes 60 features, the data has 59"
    );
    let empty = layerwise_linalg::Matrix::zeros(0, 60);
    let err = sda
        .pretrain_monitored(&data.pretrain, Some(&empty), &mut rng, |_| {})
        .unwrap_err();
    assert_eq!(err.to_string(), "the validation data has no rows");
}

#[test]
fn a_noise_level_out_of_its_range_is_named() {
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let mut config = SdaConfig::default();
    config.pretrain.noise = NoiseKind::Gaussian;
    config.pretrain.corruption = -0.5;
    let err = Sda::<f64>::new(60, 3, &config, &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("pretrain.corruption = -0.5"), "{err}");
    config.pretrain.corruption = 2.0; // a σ of 2 is fine, a probability of 2 is not
    assert!(Sda::<f64>::new(60, 3, &config, &mut rng).is_ok());
    config.pretrain.noise = NoiseKind::SaltAndPepper;
    let err = Sda::<f64>::new(60, 3, &config, &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("pretrain.corruption = 2"), "{err}");
}

/// Wide layers and minibatches (400 × 200) so that the row loops split over threads.
fn untied_gaussian_sda(threads: usize) -> Sda<f32> {
    layerwise_linalg::set_threads(threads);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let data = book_experiment::<f32, _>(&SyntheticConfig::default(), &mut rng).unwrap();
    let pretrain = option(NoiseKind::Gaussian, 0.3, Loss::SquaredError, true);
    let mut config = SdaConfig {
        hidden_sizes: vec![200, 200],
        pretrain,
        ..SdaConfig::default()
    };
    (config.pretrain.epochs, config.pretrain.batch_size) = (3, 400);
    (config.finetune.epochs, config.finetune.batch_size) = (3, 400);
    let mut sda = Sda::new(60, 3, &config, &mut rng).unwrap();
    let validation = data.test.features();
    sda.pretrain_monitored(&data.pretrain, Some(validation), &mut rng, |_| {})
        .unwrap();
    sda.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
    sda
}

#[test]
fn an_untied_gaussian_squared_error_sda_is_bit_identical_for_1_and_2_threads() {
    let (one, two) = (untied_gaussian_sda(1), untied_gaussian_sda(2));
    layerwise_linalg::set_threads(0);
    assert!(one == two, "the SDA depends on the thread count");
}
