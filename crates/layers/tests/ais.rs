//! AIS against the exact ln Z of RBMs small enough to enumerate.
//!
//! The models are trained by CD-1 on noisy copies of a few prototypes, so their weights
//! (|W| up to about 3) make p(v) multimodal, as a trained model's is. With 100 chains and
//! 2000 temperatures (the default schedule's proportions, [`AisConfig::scaled`]) the
//! estimate falls within 0.1 nats of the truth; the tests assert that for each model (the
//! errors were 0.013–0.021 nats when they were written, inside the ±3σ̂ band each time).

use layerwise_layers::{AisConfig, AisParams, Rbm, RbmTrainConfig, RbmTrainer, Visible};
use layerwise_linalg::{Float, Matrix};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Chains and temperatures of every estimate here.
const CHAINS: usize = 100;
const TEMPERATURES: usize = 2_000;

/// 300 rows: one of three random binary prototypes, each bit flipped with probability 0.05.
fn prototypes<T: Float>(n_visible: usize, rng: &mut ChaCha8Rng) -> Matrix<T> {
    let protos: Vec<Vec<bool>> = (0..3)
        .map(|_| (0..n_visible).map(|_| rng.gen()).collect())
        .collect();
    Matrix::from_fn(300, n_visible, |n, i| {
        let bit = protos[n % 3][i] ^ rng.gen_bool(0.05);
        T::from_f64(if bit { 1.0 } else { 0.0 })
    })
}

/// An RBM trained by CD-1 for `epochs` full-batch steps at η = 0.5.
fn trained<T: Float>(n_visible: usize, n_hidden: usize, epochs: usize, seed: u64) -> Rbm<T> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = prototypes::<T>(n_visible, &mut rng);
    let mut rbm = Rbm::new(n_visible, n_hidden, &mut rng).unwrap();
    let config = RbmTrainConfig {
        learning_rate: 0.5,
        ..RbmTrainConfig::default()
    };
    let mut trainer = RbmTrainer::new(&config).unwrap();
    for _ in 0..epochs {
        trainer.step(&mut rbm, &data, &mut rng);
    }
    rbm
}

fn estimate<T: Float>(rbm: &Rbm<T>, base: Option<&Matrix<T>>, seed: u64) -> f64 {
    let params = AisParams::new(&AisConfig::scaled(CHAINS, TEMPERATURES)).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let e = rbm.estimate_log_partition(&params, base, &mut rng);
    assert!(e.log_z_low < e.log_z && e.log_z < e.log_z_high);
    e.log_z
}

fn max_abs_weight<T: Float>(rbm: &Rbm<T>) -> f64 {
    let w = rbm.hidden_layer().weights().as_slice();
    w.iter().map(|x| x.to_f64().abs()).fold(0.0, f64::max)
}

#[test]
fn ais_is_within_a_tenth_of_a_nat_for_10_visible_and_8_hidden() {
    let rbm = trained::<f64>(10, 8, 400, 1);
    assert!(max_abs_weight(&rbm) > 1.0, "the model is not trivial");
    let exact = rbm.exact_log_partition().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let data = prototypes::<f64>(10, &mut rng);
    for (seed, base) in [(3, None), (4, Some(&data))] {
        let got = estimate(&rbm, base, seed);
        assert!((got - exact).abs() < 0.1, "AIS {got} vs exact {exact}");
    }
}

#[test]
fn ais_is_within_a_tenth_of_a_nat_for_8_visible_and_12_hidden_in_f32() {
    let rbm = trained::<f32>(8, 12, 400, 5);
    assert!(max_abs_weight(&rbm) > 1.0, "the model is not trivial");
    let exact = rbm.exact_log_partition().unwrap();
    let got = estimate(&rbm, None, 6);
    assert!((got - exact).abs() < 0.1, "AIS {got} vs exact {exact}");
}

#[test]
fn ais_is_within_a_tenth_of_a_nat_for_a_gaussian_rbm() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let w = Matrix::from_fn(8, 6, |_, _| rng.gen_range(-0.5..0.5));
    let b: Vec<f64> = (0..8).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let c: Vec<f64> = (0..6).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let hidden = layerwise_layers::HiddenLayer::from_parts(w, b);
    let rbm = Rbm::from_parts(hidden, c).with_visible(Visible::Gaussian);
    let exact = rbm.exact_log_partition().unwrap();
    let got = estimate(&rbm, None, 8);
    assert!((got - exact).abs() < 0.1, "AIS {got} vs exact {exact}");
}
