//! Hostile checkpoints: a checkpoint cut at any length, with a flipped byte or arbitrary
//! edits is refused with an error naming the file, never a panic; one whose state was
//! edited to a layer, epoch or row count that does not exist is refused when training
//! resumes; a whole one reads back exactly.

use layerwise_cli::checkpoint::{data_checksum, AnyPause, Checkpoint, RunFiles};
use layerwise_cli::config::{ModelKind, TrainConfig};
use layerwise_cli::model_file::SavedModel;
use layerwise_cli::network::{self, AnyNetwork, Start, Trained};
use layerwise_cli::record::Unobserved;
use layerwise_cli::scaling::{Scaler, ScalingSpec};
use layerwise_cli::Error;
use layerwise_data::Dataset;
use layerwise_linalg::{Float, Matrix};
use layerwise_models::{At, Pause};
use proptest::prelude::*;
use rand::SeedableRng;
use std::path::Path;
use std::sync::OnceLock;

fn config(kind: ModelKind, dtype: &str) -> TrainConfig {
    let text = format!(
        "seed = 3\ndtype = \"{dtype}\"\n[data]\ntrain = \"x.csv\"\nvalidation = 0.25\n\
         [network]\nhidden = [4, 3]\n\
         [pretrain]\nepochs = 2\nbatch_size = 8\n\
         [finetune]\nepochs = 3\nbatch_size = 8\nmomentum = 0.5\npatience = 2\n"
    );
    let mut text = text;
    if kind == ModelKind::Dbn {
        text = text.replace(
            "epochs = 2\n",
            "epochs = 2\npersistent = true\nmomentum = 0.5\n",
        );
    }
    TrainConfig::from_toml(&text)
        .unwrap()
        .resolve(kind)
        .unwrap()
}

fn data<T: Float>() -> (Dataset<T>, Dataset<T>, Scaler) {
    let mut x = Matrix::from_fn(40, 5, |i, j| T::from_f64(((i * 7 + j * 3) % 11) as f64));
    let scaler = Scaler::fit(ScalingSpec::MinMax, &x).unwrap();
    scaler.apply(&mut x).unwrap();
    let labels: Vec<usize> = (0..40).map(|i| i % 3).collect();
    let all = Dataset::new(x, labels, 3).unwrap();
    let first: Vec<usize> = (0..30).collect();
    let rest: Vec<usize> = (30..40).collect();
    let pick = |idx: &[usize]| {
        let x = all.features().select_rows(idx);
        let y = idx.iter().map(|&i| all.labels()[i]).collect();
        Dataset::new(x, y, 3).unwrap()
    };
    (pick(&first), pick(&rest), scaler)
}

/// A run stopped after `questions` questions, as a checkpoint.
fn paused<T: Float>(kind: ModelKind, dtype: &str, questions: usize) -> Checkpoint
where
    network::Network<T>: Into<AnyNetwork>,
    Pause<T>: Into<AnyPause>,
{
    let config = config(kind, dtype);
    let (train, validation, scaler) = data::<T>();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(config.seed);
    let mut asked = 0;
    let mut stop = |_: At| {
        asked += 1;
        asked == questions
    };
    let data = (&train, Some(&validation));
    let run = (Start::Fresh, &mut stop as &mut dyn FnMut(At) -> bool);
    let trained = network::train_from(kind, &config, data, &mut rng, &mut Unobserved, run);
    let Trained::Paused {
        network,
        pause,
        record,
    } = trained.unwrap()
    else {
        panic!("the run stops")
    };
    Checkpoint {
        model: SavedModel {
            network: network.into(),
            config,
            scaler,
            classes: vec!["a".into(), "b".into(), "c".into()],
            record: record.without_times(),
        },
        pause: pause.into(),
        rng,
        data_crc32: data_checksum(&train, Some(&validation)),
        run: RunFiles::default(),
    }
}

/// A DBN (f32) stopped in fine-tuning, with velocities and the best epoch's weights, and
/// an SDA (f64) stopped in its second layer's pretraining.
fn checkpoints() -> &'static [(Checkpoint, Vec<u8>)] {
    static CHECKPOINTS: OnceLock<Vec<(Checkpoint, Vec<u8>)>> = OnceLock::new();
    CHECKPOINTS.get_or_init(|| {
        let a = paused::<f32>(ModelKind::Dbn, "f32", 20);
        let b = paused::<f64>(ModelKind::Sda, "f64", 10);
        [a, b]
            .into_iter()
            .map(|c| {
                let bytes = c.to_bytes().unwrap();
                (c, bytes)
            })
            .collect()
    })
}

fn names(err: &Error, path: &str) -> bool {
    err.to_string().contains(path)
}

#[test]
fn a_checkpoint_reads_back_exactly() {
    let (dbn, sda) = (&checkpoints()[0], &checkpoints()[1]);
    let AnyPause::F32(p) = &dbn.0.pause else {
        panic!("f32")
    };
    assert_eq!(p.layer, None);
    assert!(p.tensors.iter().any(|(n, _)| n == "best.0.weight"));
    assert!(p.tensors.iter().any(|(n, _)| n == "velocity.2.bias"));
    let AnyPause::F64(p) = &sda.0.pause else {
        panic!("f64")
    };
    assert_eq!(p.layer, Some(1));
    for (checkpoint, bytes) in checkpoints() {
        let again = Checkpoint::from_bytes(bytes, Path::new("c.ckpt")).unwrap();
        assert_eq!(&again, checkpoint);
    }
}

#[test]
fn a_checkpoint_cut_at_any_length_or_with_a_flipped_byte_is_refused_and_named() {
    for (_, bytes) in checkpoints() {
        for keep in 0..bytes.len() {
            let err = Checkpoint::from_bytes(&bytes[..keep], Path::new("cut.ckpt")).unwrap_err();
            assert!(matches!(err, Error::ModelFormat { .. }), "{keep}: {err:?}");
            assert!(names(&err, "cut.ckpt"), "{err}");
        }
        let header = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        for at in 0..bytes.len() {
            let mut copy = bytes.clone();
            copy[at] ^= 0xff;
            let err = Checkpoint::from_bytes(&copy, Path::new("flip.ckpt")).unwrap_err();
            assert!(names(&err, "flip.ckpt"), "{at}: {err}");
            if at >= header {
                let crc = matches!(
                    err,
                    Error::Metadata {
                        key: "tensor_crc32",
                        ..
                    }
                );
                assert!(crc, "{at}: {err:?}");
            }
        }
    }
}

/// The checkpoint's bytes with `from` replaced by `to` in its `checkpoint` value, the
/// header kept at its length (both strings are as long).
fn edited(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = bytes
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .unwrap_or_else(|| panic!("{from} is in the header"));
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to.as_bytes());
    out
}

/// Resumes training from a checkpoint (of the f64 SDA): `Err` with the message.
fn resume_fails(c: Checkpoint) -> String {
    let (train, validation, _) = data::<f64>();
    let AnyNetwork::F64(network) = c.model.network else {
        panic!("f64")
    };
    let AnyPause::F64(pause) = c.pause else {
        panic!("f64")
    };
    let start = Start::Resume {
        network,
        pause,
        record: c.model.record,
    };
    let mut rng = c.rng;
    let data = (&train, Some(&validation));
    let mut never = |_: At| false;
    let run = (start, &mut never as &mut dyn FnMut(At) -> bool);
    let config = &c.model.config;
    match network::train_from(ModelKind::Sda, config, data, &mut rng, &mut Unobserved, run) {
        Ok(_) => panic!("resumed"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_checkpoint_whose_metadata_was_edited_is_refused_by_its_checksum() {
    let (checkpoint, bytes) = &checkpoints()[1];
    let AnyPause::F64(pause) = &checkpoint.pause else {
        panic!("f64")
    };
    let epoch = format!(r#"\"epoch\":{}"#, pause.epoch);
    let edits = [
        (r#"\"layer\":1"#.to_string(), r#"\"layer\":7"#.to_string()),
        (epoch, r#"\"epoch\":9"#.to_string()),
        (r#""kind":"sda""#.to_string(), r#""kind":"dbn""#.to_string()),
        (r#"\"seed\":3"#.to_string(), r#"\"seed\":4"#.to_string()),
    ];
    for (from, to) in edits {
        let err = Checkpoint::from_bytes(&edited(bytes, &from, &to), Path::new("e.ckpt"));
        let err = err.unwrap_err();
        let sealed = matches!(
            err,
            Error::Metadata {
                key: "metadata_crc32",
                ..
            }
        );
        assert!(sealed, "{from} → {to}: {err:?}");
        assert!(err.to_string().contains("e.ckpt"), "{err}");
    }
}

#[test]
fn a_pause_that_does_not_fit_is_refused_when_training_resumes() {
    let (checkpoint, _) = &checkpoints()[1];
    let with = |edit: &dyn Fn(&mut Pause<f64>)| {
        let mut c = checkpoint.clone();
        let AnyPause::F64(pause) = &mut c.pause else {
            panic!("f64")
        };
        edit(pause);
        // written and read back: the file's own checks pass, training's do not
        let bytes = c.to_bytes().unwrap();
        resume_fails(Checkpoint::from_bytes(&bytes, Path::new("p.ckpt")).unwrap())
    };
    let err = with(&|p| p.layer = Some(7));
    assert!(
        err.contains("its layer does not fit: 7, the stack has 2"),
        "{err}"
    );
    let err = with(&|p| p.epoch = 9);
    assert!(
        err.contains("its epoch does not fit: 9, pretraining has 2"),
        "{err}"
    );
    let err = with(&|p| p.rows_done += 3);
    assert!(err.contains("its rows_done does not fit"), "{err}");
    let err = with(&|p| p.order.truncate(5));
    assert!(err.contains("its order does not fit"), "{err}");
}

#[test]
fn a_checkpoint_with_a_non_finite_learning_rate_is_refused() {
    let (checkpoint, _) = &checkpoints()[0];
    let mut c = checkpoint.clone();
    let AnyPause::F32(pause) = &mut c.pause else {
        panic!("f32")
    };
    pause.learning_rate = f64::NAN;
    let bytes = c.to_bytes().unwrap();
    let err = Checkpoint::from_bytes(&bytes, Path::new("nan.ckpt")).unwrap_err();
    let key = matches!(
        err,
        Error::Metadata {
            key: "checkpoint",
            ..
        }
    );
    assert!(key, "{err:?}");
    assert!(err.to_string().contains("learning_rate NaN"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_checkpoints_never_panic(
        which in 0_usize..2,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0_u8..3), 1..4),
    ) {
        let (saved, bytes) = &checkpoints()[which];
        let mut bytes = bytes.clone();
        for (at, byte, how) in edits {
            let i = at.index(bytes.len());
            match how {
                0 => bytes[i] = byte,
                1 => bytes.truncate(i),
                _ => bytes.insert(i, byte),
            }
            if bytes.is_empty() {
                break;
            }
        }
        match Checkpoint::from_bytes(&bytes, Path::new("mut.ckpt")) {
            Ok(c) => prop_assert_eq!(c.model.architecture(), saved.model.architecture()),
            Err(e) => prop_assert!(names(&e, "mut.ckpt"), "{}", e),
        }
    }
}
