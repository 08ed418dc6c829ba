//! Each option of the trainer against the update its formula gives, computed by hand.

use super::*;
use crate::{CdParams, HiddenLayer, RowStreams};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A 6 × 4 RBM with weights of order 1 and non-zero biases.
fn rbm() -> Rbm<f64> {
    let w = Matrix::from_fn(4, 6, |j, i| ((2 * j + 7 * i) as f64 * 0.61).sin());
    let hidden = HiddenLayer::from_parts(w, vec![0.2, -0.1, 0.4, -0.3]);
    Rbm::from_parts(hidden, vec![0.1, -0.2, 0.3, 0.0, -0.4, 0.25])
}

fn binary(rows: usize, rng: &mut ChaCha8Rng) -> Matrix<f64> {
    Matrix::from_fn(rows, 6, |_, _| if rng.gen::<bool>() { 1.0 } else { 0.0 })
}

fn trainer(config: RbmTrainConfig) -> RbmTrainer<f64> {
    RbmTrainer::new(&config).unwrap()
}

/// Every parameter, W then b then c.
fn params(r: &Rbm<f64>) -> Vec<f64> {
    let mut p = r.hidden_layer().weights().as_slice().to_vec();
    p.extend_from_slice(r.hidden_layer().bias());
    p.extend_from_slice(r.visible_bias());
    p
}

/// G = (positive − negative statistics) / B at r, for V⁻ `negative`, in `params` order.
fn statistics(r: &Rbm<f64>, batch: &Matrix<f64>, negative: &Matrix<f64>) -> Vec<f64> {
    let g = r.cd_gradient(batch, negative);
    let mut p: Vec<f64> = g.weights.as_slice().iter().map(|x| -x).collect();
    p.extend(g.hidden_bias.iter().map(|x| -x));
    p.extend(g.visible_bias.iter().map(|x| -x));
    p
}

fn assert_close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (n, (a, b)) in got.iter().zip(want).enumerate() {
        approx::assert_abs_diff_eq!(a, b, epsilon = 1e-13);
        assert!((a - b).abs() <= 1e-13, "parameter {n}: {a} vs {b}");
    }
}

#[test]
fn the_default_trainer_takes_the_steps_of_contrastive_divergence_bit_for_bit() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let batches = [
        binary(7, &mut rng),
        binary(3, &mut rng),
        binary(7, &mut rng),
    ];
    for k in [1, 3] {
        let config = RbmTrainConfig {
            learning_rate: 0.3,
            k,
            ..RbmTrainConfig::default()
        };
        let (mut a, mut b) = (rbm(), rbm());
        let (mut rng_a, mut rng_b) = (ChaCha8Rng::seed_from_u64(2), ChaCha8Rng::seed_from_u64(2));
        let mut t = trainer(config);
        let (params, mut ws) = (CdParams::new(0.3, k).unwrap(), CdWorkspace::new());
        for batch in &batches {
            let ea = t.step(&mut a, batch, &mut rng_a);
            let eb = b.contrastive_divergence_with(batch, &params, &mut ws, &mut rng_b);
            assert_eq!(ea.to_bits(), eb.to_bits());
        }
        assert_eq!(a, b, "k = {k}");
        assert_eq!(rng_a, rng_b, "the same draws");
        assert!(t.velocity().is_none() && t.chains().rows() == 0);
    }
}

#[test]
fn a_schedules_rate_is_the_one_a_step_uses() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let batch = binary(5, &mut rng);
    let config = RbmTrainConfig {
        learning_rate: 0.2,
        schedule: LrSchedule::Exponential { decay: 0.5 },
        ..RbmTrainConfig::default()
    };
    let mut t = trainer(config);
    t.set_epoch(2);
    assert_eq!(t.learning_rate(), 0.05);
    let (mut a, mut b) = (rbm(), rbm());
    t.step(&mut a, &batch, &mut ChaCha8Rng::seed_from_u64(4));
    let cd = CdParams::new(0.05, 1).unwrap();
    b.contrastive_divergence(&batch, &cd, &mut ChaCha8Rng::seed_from_u64(4));
    assert_eq!(a, b);
}

#[test]
fn momentum_adds_mu_times_the_previous_step() {
    // θ₂ = θ₁ + μ (θ₁ − θ₀) + η G(θ₁); μ = 0.5 in epoch 0, 0.9 from epoch 1
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (b1, b2) = (binary(7, &mut rng), binary(7, &mut rng));
    let config = RbmTrainConfig {
        learning_rate: 0.1,
        momentum: Momentum::warm_up(0.5, 0.9, 1),
        ..RbmTrainConfig::default()
    };
    let mut t = trainer(config);
    let mut r = rbm();
    let theta0 = params(&r);
    t.step(&mut r, &b1, &mut rng);
    let want1: Vec<f64> = theta0
        .iter()
        .zip(statistics(&rbm(), &b1, t.negative_sample()))
        .map(|(p, g)| p + 0.1 * g)
        .collect();
    assert_close(&params(&r), &want1);

    t.set_epoch(1);
    assert_eq!(t.momentum(), 0.9);
    let before = r.clone();
    t.step(&mut r, &b2, &mut rng);
    let g = statistics(&before, &b2, t.negative_sample());
    let want2: Vec<f64> = (0..want1.len())
        .map(|n| want1[n] + 0.9 * (want1[n] - theta0[n]) + 0.1 * g[n])
        .collect();
    assert_close(&params(&r), &want2);
}

#[test]
fn l2_and_l1_decay_subtract_from_the_weights_only() {
    // W₁ = W₀ + η (G_W − λ₂ W₀ − λ₁ sign W₀); b and c move by η G.
    // W₀[0, 0] = 0, whose sign is 0
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let batch = binary(7, &mut rng);
    let config = RbmTrainConfig {
        learning_rate: 0.1,
        l2: 0.02,
        l1: 0.005,
        ..RbmTrainConfig::default()
    };
    let mut t = trainer(config);
    let mut r = rbm();
    assert_eq!(r.hidden_layer().weights()[(0, 0)], 0.0);
    t.step(&mut r, &batch, &mut rng);
    let g = statistics(&rbm(), &batch, t.negative_sample());
    let n_weights = 24;
    let want: Vec<f64> = params(&rbm())
        .iter()
        .zip(&g)
        .enumerate()
        .map(|(n, (&p, &g))| {
            let decay = if n < n_weights {
                let sign = if p == 0.0 { 0.0 } else { p.signum() };
                0.02 * p + 0.005 * sign
            } else {
                0.0
            };
            p + 0.1 * (g - decay)
        })
        .collect();
    assert_close(&params(&r), &want);
}

#[test]
fn sparsity_pulls_the_mean_hidden_probability_to_its_target() {
    // b₁ = b₀ + η (G_b − s (q̂ − p)), W₁ = W₀ + η (G_W − s (q̂ − p) v̄ᵀ),
    // c₁ = c₀ + η G_c
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let batch = binary(9, &mut rng);
    let (target, cost) = (0.05, 0.7);
    let config = RbmTrainConfig {
        learning_rate: 0.1,
        sparsity: Some(Sparsity { target, cost }),
        ..RbmTrainConfig::default()
    };
    let mut t = trainer(config);
    let mut r = rbm();
    t.step(&mut r, &batch, &mut rng);
    let start = rbm();
    let g = statistics(&start, &batch, t.negative_sample());
    let q = start.hidden_probabilities(&batch).col_sums();
    let v = batch.col_sums();
    let (q, v): (Vec<f64>, Vec<f64>) = (
        q.iter().map(|s| s / 9.0).collect(),
        v.iter().map(|s| s / 9.0).collect(),
    );
    let mut want = params(&start);
    for j in 0..4 {
        for i in 0..6 {
            want[j * 6 + i] += 0.1 * (g[j * 6 + i] - cost * (q[j] - target) * v[i]);
        }
        want[24 + j] += 0.1 * (g[24 + j] - cost * (q[j] - target));
    }
    for i in 0..6 {
        want[28 + i] += 0.1 * g[28 + i];
    }
    assert_close(&params(&r), &want);
}

#[test]
fn persistent_chains_start_the_next_minibatch_where_the_last_one_ended() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let (b1, b2) = (binary(8, &mut rng), binary(8, &mut rng));
    let config = RbmTrainConfig {
        persistent: true,
        ..RbmTrainConfig::default()
    };
    let mut t = trainer(config);
    let mut r = rbm();
    t.step(&mut r, &b1, &mut rng);
    let chains = t.chains().clone();
    assert_eq!(chains.shape(), (8, 4));

    // replay the draws of the next step: the positive sample, then v ~ p(v | chains) and
    // h ~ p(h | v), the chains' next state
    let mut replay = rng.clone();
    let before = r.clone();
    t.step(&mut r, &b2, &mut rng);
    RowStreams::new(&mut replay);
    let v = before.sample_visible(&chains, &mut replay);
    assert_eq!(t.negative_sample(), &v, "PCD-1 started from the chains");
    assert_eq!(t.chains(), &before.sample_hidden(&v, &mut replay));
    assert_eq!(replay, rng);
}

#[test]
fn a_smaller_minibatch_uses_the_first_chains_and_an_epoch_resets_none() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (full, small) = (binary(8, &mut rng), binary(3, &mut rng));
    let config = RbmTrainConfig {
        persistent: true,
        k: 2,
        ..RbmTrainConfig::default()
    };
    let mut t = trainer(config);
    let mut r = rbm();
    t.step(&mut r, &full, &mut rng);
    let after_full = t.chains().clone();
    t.step(&mut r, &small, &mut rng);
    assert_eq!(t.chains().shape(), (8, 4));
    assert_eq!(t.chains().as_slice()[12..], after_full.as_slice()[12..]);
    assert_eq!(t.negative_sample().rows(), 3);

    // a new epoch: the chains carry on (PCD-2: v, h, v from the chains)
    t.set_epoch(1);
    let chains = t.chains().clone();
    let mut replay = rng.clone();
    let before = r.clone();
    t.step(&mut r, &full, &mut rng);
    RowStreams::new(&mut replay);
    let v = before.sample_visible(&chains, &mut replay);
    let h = before.sample_hidden(&v, &mut replay);
    assert_eq!(t.negative_sample(), &before.sample_visible(&h, &mut replay));
}

#[test]
fn a_first_larger_minibatch_adds_chains_from_its_positive_sample() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let (small, full) = (binary(3, &mut rng), binary(8, &mut rng));
    let config = RbmTrainConfig {
        persistent: true,
        ..RbmTrainConfig::default()
    };
    let mut t = trainer(config);
    let mut r = rbm();
    t.step(&mut r, &small, &mut rng);
    let old = t.chains().clone();
    assert_eq!(old.rows(), 3);

    // chains 0..3 carry on, chains 3..8 start at the rows of the positive sample
    let (before, mut replay) = (r.clone(), rng.clone());
    t.step(&mut r, &full, &mut rng);
    let positive = before.sample_hidden(&full, &mut replay);
    let mut start = positive.clone();
    start.as_mut_slice()[..12].copy_from_slice(old.as_slice());
    let v = before.sample_visible(&start, &mut replay);
    assert_eq!(t.negative_sample(), &v);
    assert_eq!(t.chains().rows(), 8);
}

#[test]
fn options_are_validated_naming_the_value() {
    let bad = |config: RbmTrainConfig| RbmTrainer::<f64>::new(&config).unwrap_err().to_string();
    let base = RbmTrainConfig::default;
    assert!(bad(RbmTrainConfig { k: 0, ..base() }).contains("k = 0"));
    let m = Momentum::warm_up(0.5, 1.0, 3);
    assert!(bad(RbmTrainConfig {
        momentum: m,
        ..base()
    })
    .contains("momentum.value = 1"));
    assert!(bad(RbmTrainConfig { l2: -1.0, ..base() }).contains("l2 = -1"));
    assert!(bad(RbmTrainConfig {
        l1: f64::NAN,
        ..base()
    })
    .contains("l1 = NaN"));
    let s = Some(Sparsity {
        target: 1.0,
        cost: 0.1,
    });
    assert!(bad(RbmTrainConfig {
        sparsity: s,
        ..base()
    })
    .contains("sparsity.target = 1"));
    let schedule = LrSchedule::Step {
        every: 0,
        factor: 0.5,
    };
    assert!(bad(RbmTrainConfig { schedule, ..base() }).contains("schedule.every"));
    assert!(bad(RbmTrainConfig {
        learning_rate: 0.0,
        ..base()
    })
    .contains("learning_rate"));
}

#[test]
fn a_pcd_step_with_every_option_is_bit_identical_for_1_2_and_3_threads() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let start = Rbm::<f64>::new(120, 100, &mut rng).unwrap();
    let data = Matrix::from_fn(900, 120, |_, _| if rng.gen::<bool>() { 1.0 } else { 0.0 });
    let config = RbmTrainConfig {
        persistent: true,
        k: 2,
        momentum: Momentum::constant(0.5),
        l2: 1e-3,
        l1: 1e-4,
        sparsity: Some(Sparsity {
            target: 0.1,
            cost: 0.1,
        }),
        ..RbmTrainConfig::default()
    };
    crate::activation::tests::same_for_1_2_3_threads(|| {
        let (mut r, mut rng) = (start.clone(), ChaCha8Rng::seed_from_u64(12));
        let mut t = trainer(config.clone());
        let errors: Vec<f64> = (0..2).map(|_| t.step(&mut r, &data, &mut rng)).collect();
        (r, errors, t.chains().clone())
    });
}
