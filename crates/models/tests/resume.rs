//! Interrupted training carries on bit for bit: a run stopped at every minibatch (or every
//! few, or at epoch ends) and resumed each time from its [`Pause`], a clone of the model and
//! a generator rebuilt from its seed, stream and word position, ends with the model and the
//! records of the run that never stopped.

use layerwise_data::{book_experiment, BookData, SyntheticConfig};
use layerwise_layers::{LrSchedule, Momentum, Sparsity};
use layerwise_models::{
    At, DaPretrainConfig, Dbn, DbnConfig, EarlyStopping, Error, FinetuneConfig, FinetuneEpoch,
    FinetuneMode, Interruptible, Mlp, MlpConfig, Pause, PretrainEpoch, Propagation,
    RbmMonitorConfig, RbmPretrainConfig, Sda, SdaConfig,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn data() -> BookData<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    book_experiment(&SyntheticConfig::default(), &mut rng).unwrap()
}

/// The generator as a file would give it back: seed, stream and word position.
fn reborn(rng: &ChaCha8Rng) -> ChaCha8Rng {
    let mut again = ChaCha8Rng::from_seed(rng.get_seed());
    again.set_stream(rng.get_stream());
    again.set_word_pos(rng.get_word_pos());
    again
}

/// Fine-tuning with every option that keeps state: momentum, decay, dropout, a schedule
/// and early stopping on validation rows.
fn finetune_options(epochs: usize) -> FinetuneConfig {
    FinetuneConfig {
        epochs,
        momentum: 0.5,
        l2: 1e-4,
        dropout_input: 0.1,
        dropout_hidden: 0.2,
        schedule: LrSchedule::Exponential { decay: 0.97 },
        early_stopping: Some(EarlyStopping {
            patience: 2,
            min_delta: 0.0,
        }),
        ..FinetuneConfig::default()
    }
}

/// Which calls of the question stop: every n-th one, or only at epoch ends.
#[derive(Clone, Copy)]
enum When {
    Every(usize),
    EpochEnds,
}

/// Calls `train` until it finishes, stopping where `when` says; after each stop the model
/// is cloned and the generator rebuilt, and training goes on from the pause. Returns the
/// number of stops.
fn interrupted<M: Clone>(
    model: &mut M,
    rng: &mut ChaCha8Rng,
    when: When,
    mut train: impl FnMut(&mut M, Interruptible<'_, f64>, &mut ChaCha8Rng) -> Option<Pause<f64>>,
) -> usize {
    let (mut from, mut asked, mut stops) = (None, 0, 0);
    loop {
        let mut stop = |at: At| {
            asked += 1;
            match when {
                When::Every(n) => asked % n == 0,
                When::EpochEnds => at.end_of_epoch,
            }
        };
        let run = Interruptible {
            from: from.take(),
            stop: &mut stop,
        };
        match train(model, run, rng) {
            None => return stops,
            Some(pause) => {
                stops += 1;
                from = Some(pause);
                *model = model.clone();
                *rng = reborn(rng);
            }
        }
    }
}

type Records = (Vec<PretrainEpoch>, Vec<FinetuneEpoch>);

/// A DBN with PCD, momentum warm-up, decay, sparsity and monitoring (whose generator a
/// pause carries), then fine-tuning with every option, or only its top layer.
fn dbn_config(mode: FinetuneMode) -> DbnConfig {
    let pretrain = RbmPretrainConfig {
        epochs: 3,
        persistent: true,
        momentum: Momentum::warm_up(0.5, 0.9, 1),
        l2: 2e-4,
        sparsity: Some(Sparsity {
            target: 0.2,
            cost: 0.05,
        }),
        monitor: Some(RbmMonitorConfig {
            subset: 40,
            ais: None,
            seed: 3,
        }),
        ..RbmPretrainConfig::default()
    };
    let mut finetune = finetune_options(6);
    finetune.mode = mode;
    if mode == FinetuneMode::TopOnly {
        // the frozen features are dropped by `dropout_hidden`
        finetune.dropout_input = 0.0;
    }
    DbnConfig {
        pretrain,
        finetune,
        propagation: Propagation::Sample,
        ..DbnConfig::default()
    }
}

/// The DBN trained by the plain calls, which never stop.
fn dbn_straight(mode: FinetuneMode) -> (Dbn<f64>, Records) {
    let data = data();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut dbn = Dbn::new(60, 3, &dbn_config(mode), &mut rng).unwrap();
    let held_out = Some(data.test.features());
    let pre = dbn
        .pretrain_with_validation(&data.pretrain, held_out, &mut rng, |_| {})
        .unwrap();
    let fine = dbn
        .finetune(&data.train, Some(&data.test), &mut rng, |_| {})
        .unwrap();
    (dbn, (pre, fine))
}

/// The same DBN stopped where `when` says and resumed each time; also the stops.
fn dbn_interrupted(mode: FinetuneMode, when: When) -> (Dbn<f64>, Records, usize) {
    let data = data();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut dbn = Dbn::new(60, 3, &dbn_config(mode), &mut rng).unwrap();
    let (mut pre, mut fine) = (Vec::new(), Vec::new());
    let held_out = Some(data.test.features());
    let pretrain = |m: &mut Dbn<f64>, run: Interruptible<'_, f64>, rng: &mut ChaCha8Rng| {
        let on_epoch = |e: &PretrainEpoch| pre.push(e.clone());
        let x = &data.pretrain;
        m.pretrain_interruptible(x, held_out, run, rng, on_epoch)
            .unwrap()
    };
    let mut stops = interrupted(&mut dbn, &mut rng, when, pretrain);
    let validation = Some(&data.test);
    let finetune = |m: &mut Dbn<f64>, run: Interruptible<'_, f64>, rng: &mut ChaCha8Rng| {
        let on_epoch = |e: &FinetuneEpoch| fine.push(e.clone());
        let train = &data.train;
        m.finetune_interruptible(train, validation, run, rng, on_epoch)
            .unwrap()
    };
    stops += interrupted(&mut dbn, &mut rng, when, finetune);
    (dbn, (pre, fine), stops)
}

#[test]
fn a_dbn_stopped_anywhere_and_resumed_trains_the_same_bits() {
    let (straight, records) = dbn_straight(FinetuneMode::Full);
    // the book's data: 2 layers × 3 pretraining epochs and 6 fine-tuning epochs (or fewer,
    // stopping early) of 600 rows in minibatches of 50
    for when in [When::Every(1), When::Every(7), When::EpochEnds] {
        let (dbn, again, stops) = dbn_interrupted(FinetuneMode::Full, when);
        assert!(stops > 0);
        assert_eq!(dbn, straight, "{stops} stops");
        assert_eq!(again, records);
    }
}

#[test]
fn top_only_fine_tuning_stopped_and_resumed_trains_the_same_bits() {
    let (straight, records) = dbn_straight(FinetuneMode::TopOnly);
    let (dbn, again, stops) = dbn_interrupted(FinetuneMode::TopOnly, When::Every(5));
    assert!(stops > 20, "{stops} stops");
    assert_eq!(dbn, straight);
    assert_eq!(again, records);
}

fn sda_config() -> SdaConfig {
    SdaConfig {
        pretrain: DaPretrainConfig {
            epochs: 2,
            ..DaPretrainConfig::default()
        },
        finetune: finetune_options(4),
        ..SdaConfig::default()
    }
}

#[test]
fn a_monitored_sda_stopped_and_resumed_trains_the_same_bits() {
    let data = data();
    let held_out = Some(data.test.features());
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut straight = Sda::new(60, 3, &sda_config(), &mut rng).unwrap();
    let pre = straight
        .pretrain_monitored(&data.pretrain, held_out, &mut rng, |_| {})
        .unwrap();
    let fine = straight
        .finetune(&data.train, Some(&data.test), &mut rng, |_| {})
        .unwrap();

    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut sda = Sda::new(60, 3, &sda_config(), &mut rng).unwrap();
    let (mut pre_again, mut fine_again) = (Vec::new(), Vec::new());
    let pretrain = |m: &mut Sda<f64>, run: Interruptible<'_, f64>, rng: &mut ChaCha8Rng| {
        let on_epoch = |e: &PretrainEpoch| pre_again.push(e.clone());
        let data = (&data.pretrain, held_out);
        m.pretrain_interruptible(data, true, run, rng, on_epoch)
            .unwrap()
    };
    let mut stops = interrupted(&mut sda, &mut rng, When::Every(3), pretrain);
    let finetune = |m: &mut Sda<f64>, run: Interruptible<'_, f64>, rng: &mut ChaCha8Rng| {
        let on_epoch = |e: &FinetuneEpoch| fine_again.push(e.clone());
        let validation = Some(&data.test);
        m.finetune_interruptible(&data.train, validation, run, rng, on_epoch)
            .unwrap()
    };
    stops += interrupted(&mut sda, &mut rng, When::Every(3), finetune);
    assert!(stops > 20, "{stops} stops");
    assert_eq!(sda, straight);
    assert_eq!((pre_again, fine_again), (pre, fine));
}

fn mlp_and_rng() -> (Mlp<f64>, ChaCha8Rng) {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let config = MlpConfig {
        finetune: finetune_options(5),
        ..MlpConfig::default()
    };
    (Mlp::new(60, 3, &config, &mut rng).unwrap(), rng)
}

/// One stop of an MLP's training: the pause after `stops_after` questions.
fn mlp_pause(data: &BookData<f64>, stops_after: usize) -> (Mlp<f64>, Pause<f64>) {
    let (mut mlp, mut rng) = mlp_and_rng();
    let mut asked = 0;
    let mut stop = |_: At| {
        asked += 1;
        asked == stops_after
    };
    let run = Interruptible {
        from: None,
        stop: &mut stop,
    };
    let validation = Some(&data.test);
    let pause = mlp.train_interruptible(&data.train, validation, run, &mut rng, |_| {});
    (mlp, pause.unwrap().expect("stopped"))
}

#[test]
fn an_mlp_stopped_and_resumed_trains_the_same_bits() {
    let data = data();
    let (mut straight, mut rng) = mlp_and_rng();
    straight
        .train(&data.train, Some(&data.test), &mut rng, |_| {})
        .unwrap();
    let (mut mlp, mut rng) = mlp_and_rng();
    let train = |m: &mut Mlp<f64>, run: Interruptible<'_, f64>, rng: &mut ChaCha8Rng| {
        m.train_interruptible(&data.train, Some(&data.test), run, rng, |_| {})
            .unwrap()
    };
    let stops = interrupted(&mut mlp, &mut rng, When::Every(4), train);
    assert!(stops > 10);
    assert_eq!(mlp, straight);
}

#[test]
fn a_pause_that_does_not_fit_is_refused_and_names_what() {
    let data = data();
    let (mlp, pause) = mlp_pause(&data, 3);
    assert_eq!((pause.layer, pause.epoch, pause.rows_done), (None, 0, 150));
    let resume = |pause: Pause<f64>| {
        let (mut mlp, mut rng) = (mlp.clone(), ChaCha8Rng::seed_from_u64(0));
        let run = Interruptible {
            from: Some(pause),
            stop: &mut |_| false,
        };
        mlp.train_interruptible(&data.train, Some(&data.test), run, &mut rng, |_| {})
    };
    let field = |result: Result<Option<Pause<f64>>, Error>| match result {
        Err(Error::BadPause { field, reason }) => (field, reason),
        other => panic!("expected BadPause, got {other:?}"),
    };

    let mut short = pause.clone();
    short.order.pop();
    let (name, reason) = field(resume(short));
    assert_eq!(name, "order");
    assert!(reason.contains("599 rows"), "{reason}");

    let mut repeated = pause.clone();
    repeated.order[1] = repeated.order[0];
    assert_eq!(field(resume(repeated)).0, "order");

    let mut ragged = pause.clone();
    ragged.rows_done = 25;
    assert_eq!(field(resume(ragged)).0, "rows_done");

    let mut pretraining = pause.clone();
    pretraining.layer = Some(0);
    assert_eq!(field(resume(pretraining)).0, "layer");

    let mut late = pause.clone();
    late.epoch = 5;
    assert_eq!(field(resume(late)).0, "epoch");

    let mut no_velocity = pause.clone();
    no_velocity
        .tensors
        .retain(|(n, _)| n != "velocity.0.weight");
    let (name, reason) = field(resume(no_velocity));
    assert_eq!(name, "tensors");
    assert!(reason.contains("velocity.0.weight is missing"), "{reason}");

    let mut extra = pause.clone();
    let spare = extra.tensors[0].1.clone();
    extra.tensors.push(("chains".into(), spare));
    let (_, reason) = field(resume(extra));
    assert!(reason.contains("chains is not part"), "{reason}");

    let mut misshapen = pause.clone();
    let (_, w) = misshapen
        .tensors
        .iter_mut()
        .find(|(n, _)| n == "velocity.0.bias")
        .unwrap();
    *w = layerwise_linalg::Matrix::zeros(1, 3);
    let (_, reason) = field(resume(misshapen));
    assert!(reason.contains("velocity.0.bias is 1 × 3"), "{reason}");

    // the pause itself resumes
    assert!(resume(pause).unwrap().is_none());
}
