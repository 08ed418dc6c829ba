//! Faults seen in other implementations of these layers, each pinned with its right value:
//! overflowing softmax and sigmoid, an overflowing free energy, a Gibbs sampler that repeats
//! itself, and pixels 0–255 fed to a Bernoulli RBM.

use layerwise_layers::{
    argmax_rows, sigmoid, softmax_rows_inplace, DenoisingAutoencoder, Error, GibbsStart,
    HiddenLayer, Loss, Rbm, Visible,
};
use layerwise_linalg::Matrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

#[test]
fn softmax_of_far_apart_logits_is_finite_and_one_hot() {
    let logits: [f64; 5] = [-249.9, -424.1, -460.3, 378.1, -292.6];
    let mut p32 = Matrix::from_vec(1, 5, logits.map(|z| z as f32).to_vec()).unwrap();
    let mut p64 = Matrix::from_vec(1, 5, logits.to_vec()).unwrap();
    softmax_rows_inplace(&mut p32);
    softmax_rows_inplace(&mut p64);
    let one_hot = [0.0, 0.0, 0.0, 1.0, 0.0];
    for (got, want) in p32.as_slice().iter().zip(one_hot) {
        assert!(
            got.is_finite() && (f64::from(*got) - want).abs() <= 1e-6,
            "{p32:?}"
        );
    }
    for (got, want) in p64.as_slice().iter().zip(one_hot) {
        assert!(got.is_finite() && (got - want).abs() <= 1e-6, "{p64:?}");
    }
    assert_eq!(argmax_rows(&p32), [3]);
}

#[test]
fn sigmoid_saturates_exactly_at_plus_and_minus_1000() {
    assert_eq!(sigmoid(1000.0_f32), 1.0);
    assert_eq!(sigmoid(-1000.0_f32), 0.0);
    assert_eq!(sigmoid(1000.0_f64), 1.0);
    assert_eq!(sigmoid(-1000.0_f64), 0.0);
}

/// An RBM 2 → 1 whose hidden pre-activation for v = (1, 1) is `2 w`, with visible bias c.
fn two_visible_one_hidden(w: f32, c: [f32; 2]) -> Rbm<f32> {
    let weights = Matrix::from_vec(1, 2, vec![w, w]).unwrap();
    Rbm::from_parts(HiddenLayer::from_parts(weights, vec![0.0]), c.to_vec())
}

#[test]
fn free_energy_with_a_pre_activation_of_1000_is_finite_in_f32() {
    // F(v) = −cᵀv − Σⱼ softplus(bⱼ + Wⱼ·v);
    // softplus(1000) = 1000 and softplus(−1000) = 0 in f32
    let v = Matrix::from_vec(1, 2, vec![1.0_f32, 1.0]).unwrap();
    assert_eq!(
        two_visible_one_hidden(500.0, [0.0; 2]).free_energy(&v),
        [-1000.0]
    );
    assert_eq!(
        two_visible_one_hidden(-500.0, [0.0; 2]).free_energy(&v),
        [0.0]
    );
    // visible pre-activations of 1000 too: cᵀv = 2000
    assert_eq!(
        two_visible_one_hidden(500.0, [1000.0; 2]).free_energy(&v),
        [-3000.0]
    );
    let h = Matrix::from_vec(1, 1, vec![1.0_f32]).unwrap();
    let p = two_visible_one_hidden(500.0, [500.0; 2]).visible_probabilities(&h);
    assert_eq!(p.as_slice(), [1.0, 1.0]);
}

#[test]
fn two_calls_of_the_gibbs_sampler_with_one_generator_differ() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let rbm = Rbm::<f64>::new(30, 20, &mut rng).unwrap();
    let start = GibbsStart::Noise { n_chains: 8 };
    let first = rbm.generate(start, 2, &mut rng).unwrap();
    let second = rbm.generate(start, 2, &mut rng).unwrap();
    assert_ne!(first.as_slice(), second.as_slice());

    let v = Matrix::from_fn(8, 30, |i, j| ((i + j) % 2) as f64);
    let (h1, h2) = (
        rbm.sample_hidden(&v, &mut rng),
        rbm.sample_hidden(&v, &mut rng),
    );
    assert_ne!(h1.as_slice(), h2.as_slice());
    // and the same seed repeats the same draws
    let mut again = ChaCha8Rng::seed_from_u64(11);
    let _ = Rbm::<f64>::new(30, 20, &mut again).unwrap();
    assert_eq!(rbm.generate(start, 2, &mut again).unwrap(), first);
}

#[test]
fn pixels_0_to_255_are_refused_by_a_bernoulli_rbm_and_a_cross_entropy_da() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let pixels = Matrix::from_fn(3, 4, |i, j| (i * 4 + j) as f32 * 20.0); // 0, 20, …, 220
    let rbm = Rbm::<f32>::new(4, 2, &mut rng).unwrap();
    let err = rbm.check_inputs(&pixels).unwrap_err();
    let expected = Error::InputOutOfRange {
        layer: "a Bernoulli RBM",
        row: 0,
        column: 1,
        value: 20.0,
        expected: "[0, 1]",
    };
    assert_eq!(err, expected);
    assert!(err.to_string().contains("divide by 255"), "{err}");
    let scaled = Matrix::from_fn(3, 4, |i, j| (i * 4 + j) as f32 * 20.0 / 255.0);
    assert_eq!(rbm.check_inputs(&scaled), Ok(()));
    let gaussian = rbm.with_visible(Visible::Gaussian);
    assert_eq!(gaussian.check_inputs(&pixels), Ok(()));

    let da = DenoisingAutoencoder::<f32>::new(4, 2, &mut rng).unwrap();
    let err = da.check_inputs(&pixels).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InputOutOfRange {
                row: 0,
                column: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(da.check_inputs(&scaled), Ok(()));
    let squared = da.with_loss(Loss::SquaredError);
    assert_eq!(squared.check_inputs(&pixels), Ok(()));
    let nan = Matrix::from_vec(1, 4, vec![0.0, f32::NAN, 0.0, 0.0]).unwrap();
    let err = squared.check_inputs(&nan).unwrap_err();
    assert!(
        matches!(err, Error::InputOutOfRange { column: 1, .. }),
        "{err:?}"
    );
    // a NaN is not a scaling problem: the message does not suggest one
    assert!(!err.to_string().contains("--scaling"), "{err}");
}
