//! Model files: every kind survives save and load bit for bit, and a file that does not fit
//! its metadata is rejected with the key or tensor named.

use layerwise_cli::config::{DecoderArg, Dtype, ModelKind, TrainConfig};
use layerwise_cli::model_file::SavedModel;
use layerwise_cli::network::{self, AnyNetwork};
use layerwise_cli::record::Unobserved;
use layerwise_cli::scaling::{Scaler, ScalingSpec};
use layerwise_cli::Error;
use layerwise_data::Dataset;
use layerwise_linalg::{Float, Matrix};
use rand::SeedableRng;
use safetensors::tensor::{Dtype as StDtype, SafeTensors, TensorView};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// 60 rows of 5 features in [0, 4], three classes.
fn data<T: Float>() -> Dataset<T> {
    let x = Matrix::from_fn(60, 5, |i, j| T::from_f64(((i * 7 + j * 3) % 5) as f64));
    let labels = (0..60).map(|i| (i * 7 % 5) % 3).collect();
    Dataset::new(x, labels, 3).unwrap()
}

fn config(kind: ModelKind, dtype: Dtype, decoder: DecoderArg) -> TrainConfig {
    let hidden = match kind {
        ModelKind::Rbm | ModelKind::Da => "[4]",
        ModelKind::Logistic => "[]",
        _ => "[4, 3]",
    };
    let text = format!(
        "seed = 3\n[data]\ntrain = \"x.csv\"\n[network]\nhidden = {hidden}\n\
         [pretrain]\nepochs = 3\nbatch_size = 16\n[finetune]\nepochs = 4\nbatch_size = 16\n"
    );
    let mut c = TrainConfig::from_toml(&text)
        .unwrap()
        .resolve(kind)
        .unwrap();
    c.dtype = dtype;
    c.pretrain.decoder = decoder;
    c
}

fn trained<T: Float>(kind: ModelKind, config: &TrainConfig) -> SavedModel
where
    network::Network<T>: Into<AnyNetwork>,
{
    let mut train = data::<T>();
    let scaler = Scaler::fit(ScalingSpec::MinMax, train.features()).unwrap();
    let (mut x, y, k) = train.into_parts();
    scaler.apply(&mut x).unwrap();
    train = Dataset::new(x, y, k).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(config.seed);
    let (network, record) =
        network::train(kind, config, &train, None, &mut rng, &mut Unobserved).unwrap();
    let classes = match kind.is_classifier() {
        true => vec!["a".into(), "b".into(), "c".into()],
        false => vec![],
    };
    SavedModel {
        network: network.into(),
        config: config.clone(),
        scaler,
        classes,
        record,
    }
}

fn model(kind: ModelKind, dtype: Dtype, decoder: DecoderArg) -> SavedModel {
    let c = config(kind, dtype, decoder);
    match dtype {
        Dtype::F32 => trained::<f32>(kind, &c),
        Dtype::F64 => trained::<f64>(kind, &c),
    }
}

/// A fresh folder under the system's temporary one.
fn temp_dir(name: &str) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("layerwise-{name}-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn every_kind_round_trips_bit_for_bit_with_identical_predictions() {
    let dir = temp_dir("round-trip");
    let x = Matrix::from_fn(9, 5, |i, j| ((i + j) % 3) as f64 / 2.0);
    let kinds = [
        (ModelKind::Dbn, Dtype::F32, DecoderArg::Tied),
        (ModelKind::Sda, Dtype::F64, DecoderArg::Untied),
        (ModelKind::Sda, Dtype::F32, DecoderArg::Tied),
        (ModelKind::Mlp, Dtype::F32, DecoderArg::Tied),
        (ModelKind::Logistic, Dtype::F64, DecoderArg::Tied),
        (ModelKind::Rbm, Dtype::F32, DecoderArg::Tied),
        (ModelKind::Da, Dtype::F64, DecoderArg::Untied),
    ];
    for (kind, dtype, decoder) in kinds {
        let saved = model(kind, dtype, decoder);
        let path = dir.join(format!("{kind}.safetensors"));
        saved.save(&path).unwrap();
        let loaded = SavedModel::load(&path).unwrap();
        assert_eq!(loaded, saved, "{kind} {dtype:?}");
        match (&saved.network, &loaded.network) {
            (AnyNetwork::F32(a), AnyNetwork::F32(b)) if kind.is_classifier() => {
                let xf = x.cast::<f32>();
                let (pa, pb) = (
                    network::probabilities(a, &xf),
                    network::probabilities(b, &xf),
                );
                assert_eq!(pa.unwrap().as_slice(), pb.unwrap().as_slice());
            }
            (AnyNetwork::F64(a), AnyNetwork::F64(b)) if kind.is_classifier() => {
                let (pa, pb) = (network::probabilities(a, &x), network::probabilities(b, &x));
                assert_eq!(pa.unwrap().as_slice(), pb.unwrap().as_slice());
            }
            _ => assert!(!kind.is_classifier()),
        }
    }
    // a Gaussian bottom RBM keeps its visible units through the file
    let mut c = config(ModelKind::Dbn, Dtype::F64, DecoderArg::Tied);
    c.network.visible = layerwise_cli::config::VisibleArg::Gaussian;
    c.data.scaling = Some(ScalingSpec::Standardise);
    let saved = trained::<f64>(ModelKind::Dbn, &c);
    let path = dir.join("gaussian.safetensors");
    saved.save(&path).unwrap();
    assert_eq!(SavedModel::load(&path).unwrap(), saved);

    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_tensors_have_names_a_pytorch_user_can_map() {
    let saved = model(ModelKind::Sda, Dtype::F32, DecoderArg::Untied);
    let bytes = saved.to_bytes().unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort_unstable();
    let expected = [
        "layers.0.decoder_weight",
        "layers.0.hidden_bias",
        "layers.0.visible_bias",
        "layers.0.weight",
        "layers.1.decoder_weight",
        "layers.1.hidden_bias",
        "layers.1.visible_bias",
        "layers.1.weight",
        "logistic.bias",
        "logistic.weight",
    ];
    assert_eq!(names, expected);
    assert_eq!(st.tensor("layers.0.weight").unwrap().shape(), &[4, 5]);
    assert_eq!(
        st.tensor("layers.1.decoder_weight").unwrap().shape(),
        &[4, 3]
    );
    assert_eq!(st.tensor("logistic.weight").unwrap().shape(), &[3, 3]);
    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = header.metadata().as_ref().unwrap();
    assert_eq!(meta["format_version"], "2");
    assert_eq!(meta["kind"], "sda");
    assert_eq!(meta["classes"], "[\"a\",\"b\",\"c\"]");
    assert!(meta["scaling"].starts_with("{\"method\":\"min-max\""));
}

#[test]
fn saving_replaces_the_target_and_a_missing_folder_is_named() {
    let dir = temp_dir("replace");
    let path = dir.join("m.safetensors");
    std::fs::write(&path, b"old contents").unwrap();
    let saved = model(ModelKind::Logistic, Dtype::F32, DecoderArg::Tied);
    saved.save(&path).unwrap();
    assert_eq!(SavedModel::load(&path).unwrap(), saved);
    let missing = dir.join("no/such/folder/m.safetensors");
    let err = saved.save(&missing).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(
        err.to_string().contains("no/such/folder/m.safetensors"),
        "{err}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

type Tensors = Vec<(String, StDtype, Vec<usize>, Vec<u8>)>;

/// The model's file with its tensors and metadata edited.
fn edited(
    saved: &SavedModel,
    edit: impl FnOnce(&mut Tensors, &mut HashMap<String, String>),
) -> Vec<u8> {
    let bytes = saved.to_bytes().unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: Tensors = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec()))
        .collect();
    let mut meta = saved.metadata();
    edit(&mut tensors, &mut meta);
    let views = tensors
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()));
    safetensors::serialize(views, Some(meta)).unwrap()
}

fn load_error(bytes: &[u8]) -> Error {
    SavedModel::from_bytes(bytes, Path::new("m.safetensors")).unwrap_err()
}

#[test]
fn tensors_that_do_not_fit_are_named() {
    let saved = model(ModelKind::Dbn, Dtype::F32, DecoderArg::Tied);

    // a weight of the wrong shape (same number of values)
    let bytes = edited(&saved, |t, _| {
        let w = t.iter_mut().find(|t| t.0 == "layers.0.weight").unwrap();
        w.2 = vec![5, 4];
    });
    let err = load_error(&bytes);
    assert!(
        matches!(&err, Error::Tensor { name, .. } if name == "layers.0.weight"),
        "{err}"
    );
    assert!(err
        .to_string()
        .contains("shape [5, 4], but the architecture 5 → 4 → 3 → 3 needs [4, 5]"));

    // a missing bias, a tensor left over, a tensor of the wrong dtype
    let bytes = edited(&saved, |t, _| t.retain(|t| t.0 != "layers.1.visible_bias"));
    let err = load_error(&bytes);
    assert!(
        err.to_string()
            .contains("tensor \"layers.1.visible_bias\": missing"),
        "{err}"
    );
    let bytes = edited(&saved, |t, _| {
        t.push(("extra".into(), StDtype::F32, vec![1], vec![0; 4]))
    });
    assert!(load_error(&bytes)
        .to_string()
        .contains("tensor \"extra\": not part of"));
    let bytes = edited(&saved, |t, _| {
        let b = t.iter_mut().find(|t| t.0 == "logistic.bias").unwrap();
        *b = (b.0.clone(), StDtype::F64, vec![3], vec![0; 24]);
    });
    assert!(load_error(&bytes)
        .to_string()
        .contains("dtype F64, the metadata says f32"));
}

#[test]
fn metadata_that_does_not_fit_is_named() {
    let saved = model(ModelKind::Mlp, Dtype::F32, DecoderArg::Tied);
    let with = |key: &str, value: &str| {
        let (key, value) = (key.to_string(), value.to_string());
        edited(&saved, move |_, m| {
            m.insert(key, value);
        })
    };
    let cases = [
        (
            "format_version",
            "1",
            "metadata \"format_version\": version \"1\"; this build reads version 2",
        ),
        (
            "kind",
            "gan",
            "metadata \"kind\": \"gan\" is not a kind of model",
        ),
        (
            "classes",
            "[\"a\",\"b\"]",
            "metadata \"classes\": 2 names for 3 classes",
        ),
        (
            "scaling",
            "{\"method\":\"min-max\",\"offset\":[0],\"scale\":[1]}",
            "fitted on 1",
        ),
        (
            "config",
            "{\"seed\": \"x\"}",
            "metadata \"config\": invalid type",
        ),
        (
            "architecture",
            "{}",
            "metadata \"architecture\": missing field",
        ),
    ];
    for (key, value, message) in cases {
        let err = load_error(&with(key, value));
        assert!(err.to_string().contains(message), "{key}: {err}");
    }
    let bytes = edited(&saved, |_, m| {
        m.remove("metrics");
    });
    assert!(load_error(&bytes)
        .to_string()
        .contains("metadata \"metrics\": missing"));
    let err = load_error(b"not a model at all");
    assert!(matches!(err, Error::ModelFormat { .. }), "{err}");
    let bytes = safetensors::serialize(Vec::<(&str, TensorView)>::new(), None).unwrap();
    assert!(load_error(&bytes).to_string().contains("no __metadata__"));
}
