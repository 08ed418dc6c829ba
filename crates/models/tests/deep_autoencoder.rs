//! The deep autoencoder's contracts: its gradient, its unrolling, its training and its
//! independence of the thread count.

use layerwise_data::{book_experiment, BookData, SyntheticConfig};
use layerwise_layers::{HiddenLayer, Rbm};
use layerwise_linalg::Matrix;
use layerwise_models::{
    AutoencoderConfig, Dbn, DbnConfig, DeepAutoencoder, Error, RbmPretrainConfig,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A layer with weights and bias drawn from [−1.5, 1.5), large enough to leave σ's linear
/// part.
fn random_layer(n_in: usize, n_out: usize, rng: &mut ChaCha8Rng) -> HiddenLayer<f64> {
    let weights = Matrix::from_fn(n_out, n_in, |_, _| rng.gen_range(-1.5..1.5));
    let bias = (0..n_out).map(|_| rng.gen_range(-1.5..1.5)).collect();
    HiddenLayer::from_parts(weights, bias)
}

/// The book's DBN configuration with other sizes, epochs and minibatch.
fn dbn_config(hidden_sizes: Vec<usize>, epochs: usize, batch_size: usize) -> DbnConfig {
    DbnConfig {
        hidden_sizes,
        pretrain: RbmPretrainConfig {
            epochs,
            batch_size,
            ..RbmPretrainConfig::default()
        },
        ..DbnConfig::default()
    }
}

/// The book's data and a DBN `60 → 20 → 6` pretrained on it for `epochs` epochs per layer.
fn book_dbn(seed: u64, epochs: usize) -> (BookData<f64>, Dbn<f64>, ChaCha8Rng) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = book_experiment::<f64, _>(&SyntheticConfig::default(), &mut rng).unwrap();
    let config = dbn_config(vec![20, 6], epochs, 50);
    let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
    (data, dbn, rng)
}

#[test]
fn gradient_of_the_unrolled_network_matches_finite_differences() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let sizes = [7, 5, 3, 5, 7];
    let layers = sizes
        .windows(2)
        .map(|w| random_layer(w[0], w[1], &mut rng))
        .collect();
    let ae = DeepAutoencoder::from_layers(layers).unwrap();
    let x = Matrix::from_fn(4, 7, |_, _| rng.gen_range(0.0..1.0));
    let grads = ae.gradients(&x).unwrap();
    let loss = |ae: &DeepAutoencoder<f64>| ae.reconstruction_error(&x).unwrap().cross_entropy;

    let h = 1e-6;
    for (l, g) in grads.iter().enumerate() {
        // each weight, then each bias, moved by ±h in a copy of the network
        let perturbed = |dw: Option<usize>, db: Option<usize>, by: f64| {
            let mut layers = ae.layers().to_vec();
            let (mut w, mut b) = (layers[l].weights().clone(), layers[l].bias().to_vec());
            if let Some(i) = dw {
                w.as_mut_slice()[i] += by;
            }
            if let Some(j) = db {
                b[j] += by;
            }
            layers[l] = HiddenLayer::from_parts(w, b);
            loss(&DeepAutoencoder::from_layers(layers).unwrap())
        };
        for i in 0..g.weights.as_slice().len() {
            let fd = (perturbed(Some(i), None, h) - perturbed(Some(i), None, -h)) / (2.0 * h);
            approx::assert_abs_diff_eq!(g.weights.as_slice()[i], fd, epsilon = 1e-7);
        }
        for j in 0..g.bias.len() {
            let fd = (perturbed(None, Some(j), h) - perturbed(None, Some(j), -h)) / (2.0 * h);
            approx::assert_abs_diff_eq!(g.bias[j], fd, epsilon = 1e-7);
        }
    }
}

#[test]
fn unrolling_reproduces_the_up_pass_and_the_down_pass_exactly() {
    let (data, dbn, _) = book_dbn(3, 5);
    let ae = DeepAutoencoder::from_dbn(&dbn).unwrap();
    let x = data.test.features();
    assert_eq!((ae.depth(), ae.n_visible(), ae.n_code()), (2, 60, 6));

    // mean-field up-pass through the RBMs
    let mut up = x.clone();
    for rbm in dbn.rbms() {
        up = rbm.hidden_probabilities(&up);
    }
    assert_eq!(ae.encode(x).unwrap(), up);

    // RBM down-pass from that code
    let mut down = up;
    for rbm in dbn.rbms().iter().rev() {
        down = rbm.visible_probabilities(&down);
    }
    assert_eq!(ae.reconstruct(x).unwrap(), down);
}

#[test]
fn unrolling_is_exact_for_products_large_enough_to_be_packed() {
    // 300 × 500 × 784 products take the packed GEMM path, the book's sizes the direct one
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let config = dbn_config(vec![500, 30], 0, 50);
    let dbn = Dbn::<f32>::new(784, 10, &config, &mut rng).unwrap();
    let x = Matrix::from_fn(300, 784, |_, _| rng.gen_range(0.0..1.0_f32));
    let ae = DeepAutoencoder::from_dbn(&dbn).unwrap();
    let mut v = x.clone();
    for rbm in dbn.rbms() {
        v = rbm.hidden_probabilities(&v);
    }
    for rbm in dbn.rbms().iter().rev() {
        v = rbm.visible_probabilities(&v);
    }
    assert_eq!(ae.reconstruct(&x).unwrap(), v);
}

#[test]
fn finetuning_lowers_the_reconstruction_error_and_is_seeded() {
    let run = || {
        let (data, dbn, mut rng) = book_dbn(5, 10);
        let mut ae = DeepAutoencoder::from_dbn(&dbn).unwrap();
        let before = ae.reconstruction_error(data.test.features()).unwrap();
        let config = AutoencoderConfig {
            epochs: 20,
            batch_size: 20,
            ..AutoencoderConfig::default()
        };
        let v = Some(data.test.features());
        let history = ae
            .finetune(&data.pretrain, v, &config, &mut rng, |_| {})
            .unwrap();
        let after = ae.reconstruction_error(data.test.features()).unwrap();
        (before, after, history, ae)
    };
    let (before, after, history, ae) = run();
    assert!(
        after.cross_entropy < before.cross_entropy,
        "{before:?} → {after:?}"
    );
    assert!(after.squared_error < before.squared_error);
    assert_eq!(history.len(), 20);
    assert_eq!(history[19].validation, Some(after));
    assert!(history[19].train.cross_entropy < history[0].train.cross_entropy);
    let (b2, a2, h2, ae2) = run();
    assert_eq!((b2, a2), (before, after));
    assert_eq!(h2, history);
    assert_eq!(ae2, ae, "same seed, same bits");
}

#[test]
fn bad_configurations_and_data_are_refused_before_training() {
    let (data, dbn, mut rng) = book_dbn(7, 1);
    let mut ae = DeepAutoencoder::from_dbn(&dbn).unwrap();
    let untouched = ae.clone();
    let bad = [
        AutoencoderConfig {
            learning_rate: 0.0,
            ..Default::default()
        },
        AutoencoderConfig {
            momentum: 1.0,
            ..Default::default()
        },
        AutoencoderConfig {
            batch_size: 0,
            ..Default::default()
        },
    ];
    let names = [
        "autoencoder.learning_rate",
        "autoencoder.momentum",
        "autoencoder.batch_size",
    ];
    for (config, want) in bad.iter().zip(names) {
        match ae.finetune(&data.pretrain, None, config, &mut rng, |_| {}) {
            Err(Error::InvalidConfig { name, .. }) => assert_eq!(name, want),
            other => panic!("{want}: {other:?}"),
        }
    }
    let narrow = Matrix::zeros(3, 59);
    let ok = AutoencoderConfig::default();
    let got = ae.finetune(&narrow, None, &ok, &mut rng, |_| {});
    let want = Error::FeatureMismatch {
        expected: 60,
        found: 59,
    };
    assert_eq!(got.unwrap_err(), want);
    assert_eq!(ae, untouched);

    let gaussian = Rbm::<f64>::new(4, 3, &mut rng)
        .unwrap()
        .with_visible(layerwise_layers::Visible::Gaussian);
    assert!(DeepAutoencoder::from_rbms(&[gaussian]).is_err());
    let odd = vec![random_layer(4, 3, &mut rng)];
    assert!(DeepAutoencoder::from_layers(odd).is_err());
}

#[test]
fn finetuning_is_bit_identical_for_1_and_2_threads() {
    // 7000 rows of 100 bits, minibatches of 1000: every GEMM has work for two threads
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let x = Matrix::from_fn(7000, 100, |i, j| {
        let p = if (i + j / 25) % 4 == 0 { 0.8 } else { 0.2 };
        f64::from(u8::from(rng.gen::<f64>() < p))
    });
    let config = dbn_config(vec![64, 16], 1, 500);
    let mut dbn = Dbn::new(100, 2, &config, &mut rng).unwrap();
    dbn.pretrain(&x, &mut rng, |_| {}).unwrap();

    let run = |threads: usize| {
        layerwise_linalg::set_threads(threads);
        let mut rng = ChaCha8Rng::seed_from_u64(10);
        let mut ae = DeepAutoencoder::from_dbn(&dbn).unwrap();
        let tune = AutoencoderConfig {
            epochs: 2,
            batch_size: 1000,
            ..Default::default()
        };
        let history = ae.finetune(&x, Some(&x), &tune, &mut rng, |_| {}).unwrap();
        let code = ae.encode(&x).unwrap();
        (ae, history, code)
    };
    let one = run(1);
    let two = run(2);
    layerwise_linalg::set_threads(0);
    assert!(one == two, "1 vs 2 threads");
}
