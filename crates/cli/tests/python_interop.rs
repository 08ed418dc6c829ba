//! A saved model read by Python's `safetensors` and NumPy: the probabilities recomputed
//! there (scaling, sigmoid layers, softmax, by `python/predict.py`) agree with
//! `layerwise predict` within 1e-5.
//!
//! Without `python3`, `safetensors` or `numpy` the test fails when `CI` is set (`.ci/run`
//! installs them) and is skipped with a note otherwise.

mod common;

use common::{features_only, flowers, ok, TempDir};
use std::process::Command;

fn python_has_numpy_and_safetensors() -> bool {
    let probe = Command::new("python3")
        .args(["-c", "import safetensors, numpy"])
        .output();
    matches!(probe, Ok(out) if out.status.success())
}

#[test]
fn python_recomputes_our_probabilities() {
    if !python_has_numpy_and_safetensors() {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false");
        assert!(
            !ci,
            "CI needs python3 with safetensors and numpy (pip install them)"
        );
        eprintln!("note: python3 with safetensors and numpy not found; interop test skipped");
        return;
    }
    let dir = TempDir::new("python");
    let d = &dir.0;
    let text = flowers(90, 0);
    dir.write("train.csv", &text);
    dir.write("rows.csv", &features_only(&flowers(40, 1)));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/predict.py");
    let runs: &[&[&str]] = &[
        &[
            "dbn",
            "--hidden",
            "6,5",
            "--scaling",
            "min-max",
            "--dtype",
            "f32",
        ],
        &[
            "sda",
            "--hidden",
            "5",
            "--scaling",
            "standardise",
            // standardised inputs leave [0, 1]: a squared-error dA takes them
            "--loss",
            "squared-error",
            "--decoder",
            "untied",
            "--dtype",
            "f64",
        ],
        &["mlp", "--hidden", "7", "--scaling", "divide:50"],
        &["logistic", "--scaling", "none", "--dtype", "f64"],
    ];
    for run in runs {
        let mut args = vec!["train"];
        args.extend(*run);
        args.extend([
            "--train",
            "train.csv",
            "--pretrain-epochs",
            "4",
            "--finetune-epochs",
            "20",
            "--batch-size",
            "10",
            "-q",
            "-o",
            "m.safetensors",
        ]);
        ok(d, &args);
        let predictions = ok(d, &["predict", "m.safetensors", "--input", "rows.csv"]);
        dir.write("predictions.csv", &predictions);
        let out = Command::new("python3")
            .args([script, "m.safetensors", "rows.csv", "predictions.csv"])
            .current_dir(d)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{run:?}: {report}");
        assert!(report.contains("0 labels differ"), "{report}");
    }
}
