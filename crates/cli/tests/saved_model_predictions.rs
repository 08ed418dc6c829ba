//! A model saved to a file and loaded again predicts bit for bit what the trained model did
//! on the same raw rows, its scaling included: the loaded scaler scales exactly as the
//! fitted one, and the loaded network computes the same probabilities from them.

use layerwise_cli::config::{Dtype, ModelKind, TrainConfig};
use layerwise_cli::model_file::SavedModel;
use layerwise_cli::network::{self, AnyNetwork};
use layerwise_cli::record::Unobserved;
use layerwise_cli::scaling::{Scaler, ScalingSpec};
use layerwise_data::Dataset;
use layerwise_linalg::{Float, Matrix};
use rand::SeedableRng;

/// Raw rows: pixel-like values 0–255 in 6 columns, three classes.
fn raw<T: Float>(n: usize, offset: usize) -> (Matrix<T>, Vec<usize>) {
    let x = Matrix::from_fn(n, 6, |i, j| {
        T::from_f64((((i + offset) * 37 + j * 91) % 256) as f64)
    });
    let labels = (0..n)
        .map(|i| ((i + offset) * 37 % 256) * 3 / 256)
        .collect();
    (x, labels)
}

fn config(kind: ModelKind, dtype: Dtype, scaling: &str) -> TrainConfig {
    let hidden = if kind == ModelKind::Logistic {
        "[]"
    } else {
        "[5]"
    };
    let text = format!(
        "seed = 8\n[data]\ntrain = \"x.csv\"\nscaling = \"{scaling}\"\n\
         [network]\nhidden = {hidden}\n[pretrain]\nepochs = 3\nbatch_size = 10\n\
         [finetune]\nepochs = 5\nbatch_size = 10\n"
    );
    let mut c = TrainConfig::from_toml(&text)
        .unwrap()
        .resolve(kind)
        .unwrap();
    c.dtype = dtype;
    c
}

/// Trains on scaled rows, saves to a file, loads it, and compares the probabilities of new
/// raw rows scaled by each model's own scaler.
fn round_trip<T: Float>(kind: ModelKind, dtype: Dtype, spec: ScalingSpec, scaling: &str)
where
    network::Network<T>: Into<AnyNetwork>,
{
    let config = config(kind, dtype, scaling);
    let (mut x, labels) = raw::<T>(40, 0);
    let scaler = Scaler::fit(spec, &x).unwrap();
    scaler.apply(&mut x).unwrap();
    let train = Dataset::new(x, labels, 3).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(config.seed);
    let (net, record) =
        network::train(kind, &config, &train, None, &mut rng, &mut Unobserved).unwrap();
    let saved = SavedModel {
        network: net.into(),
        config,
        scaler,
        classes: vec!["low".into(), "mid".into(), "high".into()],
        record,
    };
    let dir = std::env::temp_dir().join(format!("layerwise-predict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{kind}-{}.safetensors", dtype.name()));
    saved.save(&path).unwrap();
    let loaded = SavedModel::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.scaler, saved.scaler);

    let (new_rows, _) = raw::<f64>(25, 1000);
    let probabilities = |model: &SavedModel| -> Vec<f64> {
        match &model.network {
            AnyNetwork::F32(n) => {
                let mut x = new_rows.cast::<f32>();
                model.scaler.apply(&mut x).unwrap();
                let p = network::probabilities(n, &x).unwrap();
                p.as_slice().iter().map(|&v| f64::from(v)).collect()
            }
            AnyNetwork::F64(n) => {
                let mut x = new_rows.clone();
                model.scaler.apply(&mut x).unwrap();
                network::probabilities(n, &x).unwrap().as_slice().to_vec()
            }
        }
    };
    let (before, after) = (probabilities(&saved), probabilities(&loaded));
    let bits = |p: &[f64]| p.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&after), bits(&before), "{kind} {dtype:?} {scaling}");

    // the scaling matters: the raw rows give other probabilities
    let unscaled = match &loaded.network {
        AnyNetwork::F32(n) => {
            let p = network::probabilities(n, &new_rows.cast::<f32>()).unwrap();
            p.as_slice()
                .iter()
                .map(|&v| f64::from(v))
                .collect::<Vec<_>>()
        }
        AnyNetwork::F64(n) => network::probabilities(n, &new_rows)
            .unwrap()
            .as_slice()
            .to_vec(),
    };
    assert_ne!(bits(&unscaled), bits(&before), "{kind} {dtype:?} {scaling}");
}

#[test]
fn a_saved_and_loaded_model_predicts_bit_identically_with_its_scaling() {
    round_trip::<f32>(
        ModelKind::Dbn,
        Dtype::F32,
        ScalingSpec::Divide(255.0),
        "divide:255",
    );
    round_trip::<f64>(ModelKind::Sda, Dtype::F64, ScalingSpec::MinMax, "min-max");
    round_trip::<f32>(
        ModelKind::Mlp,
        Dtype::F32,
        ScalingSpec::Standardise,
        "standardise",
    );
    round_trip::<f64>(
        ModelKind::Logistic,
        Dtype::F64,
        ScalingSpec::MinMax,
        "min-max",
    );
}
