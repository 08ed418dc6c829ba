//! The command end to end: train → evaluate → predict → inspect on small files, seeds,
//! configuration files, logs, IDX input, and how user mistakes are reported.

mod common;

use common::{flowers, layerwise, ok, TempDir};
use layerwise_cli::model_file::SavedModel;
use layerwise_cli::network::{self, AnyNetwork};
use layerwise_cli::scaling::Scaler;
use layerwise_cli::table::read_csv;
use std::io::Write;

const MLP: &[&str] = &[
    "--hidden",
    "8",
    "--finetune-epochs",
    "60",
    "--finetune-lr",
    "0.5",
    "--lr-decay",
    "1",
    "--batch-size",
    "10",
    "--scaling",
    "min-max",
    "--seed",
    "2",
    "--quiet",
];

#[test]
fn train_evaluate_predict_and_inspect_a_small_csv() {
    let dir = TempDir::new("session");
    dir.write("train.csv", &flowers(150, 0));
    dir.write("test.csv", &flowers(60, 1));
    let d = &dir.0;
    let mut args = vec![
        "train",
        "mlp",
        "--train",
        "train.csv",
        "-o",
        "m.safetensors",
    ];
    args.extend(MLP);
    ok(d, &args);

    let report = ok(
        d,
        &[
            "evaluate",
            "m.safetensors",
            "--test",
            "test.csv",
            "--metrics-json",
            "m.json",
        ],
    );
    for text in [
        "precision",
        "versicolor",
        "macro avg",
        "weighted avg",
        "true \\ predicted",
    ] {
        assert!(report.contains(text), "{text} in {report}");
    }
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("m.json")).unwrap()).unwrap();
    assert!(metrics["accuracy"].as_f64().unwrap() > 0.9, "{metrics}");
    assert_eq!(metrics["n_samples"], 60);
    assert_eq!(metrics["classes"][2]["name"], "virginica");
    let cm = metrics["confusion_matrix"].as_array().unwrap();
    let total: u64 = cm
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 60);

    let predictions = ok(d, &["predict", "m.safetensors", "--input", "test.csv"]);
    let lines: Vec<&str> = predictions.lines().collect();
    assert_eq!(lines[0], "label,setosa,versicolor,virginica");
    assert_eq!(lines.len(), 61);
    for line in &lines[1..] {
        let fields: Vec<&str> = line.split(',').collect();
        let sum: f64 = fields[1..].iter().map(|p| p.parse::<f64>().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-5, "{line}");
    }

    let inspect = ok(d, &["inspect", "m.safetensors"]);
    for text in [
        "kind: mlp",
        "4 → 8 → 3",
        "layers.0.weight",
        "[8, 4]",
        "logistic.bias",
        "classes: setosa, versicolor, virginica",
        "scaling: min-max",
        "finetune epoch 60",
        "[finetune]",
        "epochs = 60",
    ] {
        assert!(inspect.contains(text), "{text} in {inspect}");
    }
    assert!(
        !inspect.contains("[pretrain]"),
        "an mlp is not pretrained: {inspect}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(d, &["inspect", "--json", "m.safetensors"])).unwrap();
    assert_eq!(json["format_version"], 2);
    assert_eq!(json["config"]["finetune"]["epochs"], 60);
}

/// The tensors of a model file, by name, as bytes.
fn tensor_bytes(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut tensors: Vec<_> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.data().to_vec()))
        .collect();
    tensors.sort();
    tensors
}

#[test]
fn the_same_seed_repeats_a_run_bit_for_bit_whatever_the_threads() {
    let dir = TempDir::new("seed");
    dir.write("train.csv", &flowers(90, 0));
    let d = &dir.0;
    let run = |seed: &str, threads: &str, out: &str| {
        ok(
            d,
            &[
                "train",
                "dbn",
                "--train",
                "train.csv",
                "--hidden",
                "6,5",
                "--pretrain-epochs",
                "3",
                "--finetune-epochs",
                "5",
                "--batch-size",
                "16",
                "--validation",
                "0.2",
                // a Bernoulli RBM takes [0, 1]: min-max, not standardise
                "--scaling",
                "min-max",
                "--seed",
                seed,
                "--threads",
                threads,
                "-q",
                "-o",
                out,
            ],
        );
        (
            std::fs::read(dir.path(out)).unwrap(),
            ok(d, &["predict", out, "--input", "train.csv"]),
        )
    };
    let a = run("5", "1", "a.safetensors");
    let again = run("5", "1", "again.safetensors");
    assert!(
        a.0 == again.0,
        "same seed, the same model file byte for byte"
    );
    let b = run("5", "2", "b.safetensors");
    assert!(
        a.0 == b.0,
        "1 or 2 threads, the same model file byte for byte"
    );
    assert_eq!(a.1, b.1, "and the same predictions");
    run("6", "2", "c.safetensors");
    let (ta, tc) = (
        tensor_bytes(&dir.path("a.safetensors")),
        tensor_bytes(&dir.path("c.safetensors")),
    );
    assert_ne!(ta, tc, "another seed, other weights");
}

#[test]
fn model_files_have_sorted_headers_and_no_wall_times() {
    let dir = TempDir::new("header");
    dir.write("train.csv", &flowers(60, 0));
    let mut args = vec![
        "train",
        "mlp",
        "--train",
        "train.csv",
        "-o",
        "m.safetensors",
    ];
    args.extend(MLP);
    ok(&dir.0, &args);
    let bytes = std::fs::read(dir.path("m.safetensors")).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    let keys = [
        "\"architecture\"",
        "\"classes\"",
        "\"config\"",
        "\"dtype\"",
        "\"format\"",
    ];
    let at: Vec<usize> = keys.iter().map(|k| header.find(k).unwrap()).collect();
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "metadata keys sorted: {header}"
    );
    assert!(!header.contains("seconds"), "{header}");
    let model = SavedModel::load(&dir.path("m.safetensors")).unwrap();
    assert_eq!(model.record.seconds, None);
    assert_eq!(model.record.finetune.len(), 60);
}

#[test]
fn flags_override_the_configuration_file_and_the_file_overrides_the_defaults() {
    let dir = TempDir::new("config");
    dir.write(
        "c.toml",
        "seed = 4\n[data]\ntrain = \"x.csv\"\n[network]\nhidden = [3]\n\
         [finetune]\nepochs = 7\nlearning_rate = 0.3\n",
    );
    let printed = ok(
        &dir.0,
        &[
            "train",
            "mlp",
            "--config",
            "c.toml",
            "--finetune-epochs",
            "9",
            "--print-config",
        ],
    );
    let config = layerwise_cli::config::TrainConfig::from_toml(&printed).unwrap();
    assert_eq!((config.seed, config.finetune.epochs), (4, 9));
    assert_eq!(config.finetune.learning_rate, 0.3);
    assert_eq!(config.hidden(), &[3]);
    assert_eq!(
        config.finetune.lr_decay, 0.95,
        "untouched keys keep their defaults"
    );
    assert_eq!(
        config.data.scaling.map(|s| s.to_string()).as_deref(),
        Some("none")
    );
}

/// Runs a command that must fail; returns its one line of stderr.
fn one_line_error(dir: &std::path::Path, args: &[&str]) -> String {
    let out = layerwise(dir, args);
    assert!(!out.status.success(), "{args:?} should fail");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: one line, got {stderr:?}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    lines[0].to_string()
}

#[test]
fn user_mistakes_are_one_line_with_the_cause_and_a_nonzero_exit() {
    let dir = TempDir::new("mistakes");
    let d = &dir.0;
    dir.write("train.csv", &flowers(30, 0));
    dir.write("bad.csv", "a,b,label\n1,2,x\n3,two,y\n");
    dir.write("bad.toml", "[finetune]\nepoch = 3\n");
    let cases: &[(&[&str], &str)] = &[
        (
            &["train", "mlp", "--train", "nope.csv"],
            "nope.csv: No such file",
        ),
        (
            &["train", "mlp", "--train", "bad.csv"],
            "line 3, column 1 (\"b\"): \"two\" is not a finite number",
        ),
        (
            &["train", "mlp", "--train", "train.csv", "--label", "kind"],
            "no label column \"kind\"",
        ),
        (
            &["train", "mlp", "--train", "train.csv", "--scaling", "log"],
            "unknown scaling \"log\"",
        ),
        (
            &[
                "train",
                "mlp",
                "--train",
                "train.csv",
                "--finetune-lr",
                "-1",
            ],
            "finetune.learning_rate = -1 is invalid",
        ),
        (
            &["train", "rbm", "--train", "train.csv", "--hidden", "3,2"],
            "exactly one hidden size",
        ),
        (
            &["train", "mlp", "--config", "bad.toml"],
            "unknown field `epoch`",
        ),
        (
            &["train", "mlp", "--trian", "train.csv"],
            "unexpected argument '--trian'",
        ),
        (&["train", "gan"], "invalid value 'gan'"),
        (
            &["evaluate", "train.csv", "--test", "train.csv"],
            "not a layerwise model",
        ),
        (
            &["inspect", "missing.safetensors"],
            "missing.safetensors: No such file",
        ),
    ];
    for (args, expected) in cases {
        let line = one_line_error(d, args);
        assert!(line.contains(expected), "{args:?}: {line}");
    }
    let out = layerwise(d, &["train", "--help"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("--pretrain-epochs"));
}

#[test]
fn rbm_and_da_learn_from_unlabelled_rows_and_are_not_classifiers() {
    let dir = TempDir::new("unsupervised");
    let d = &dir.0;
    let rows: String = (0..40)
        .map(|i| format!("{},{},{}\n", i % 2, (i / 2) % 2, (i + 1) % 2))
        .collect();
    dir.write("bits.csv", &rows);
    for kind in ["rbm", "da"] {
        let mut args = vec![
            "train",
            kind,
            "--train",
            "bits.csv",
            "--label",
            "none",
            "--hidden",
            "4",
            "--pretrain-epochs",
            "3",
            "--batch-size",
            "8",
            "-q",
            "-o",
            "u.safetensors",
        ];
        if kind == "da" {
            // the monitoring of the clean reconstruction is a dA option
            args.push("--monitor");
        }
        ok(d, &args);
        let inspect = ok(d, &["inspect", "u.safetensors"]);
        assert!(inspect.contains("layers.0.visible_bias") && !inspect.contains("logistic"));
        assert!(inspect.contains("pretrain layer 1 epoch 3") && !inspect.contains("[finetune]"));
        let line = one_line_error(d, &["evaluate", "u.safetensors", "--test", "bits.csv"]);
        assert!(
            line.contains(&format!("a {kind} model is not a classifier")),
            "{line}"
        );
        let line = one_line_error(d, &["predict", "u.safetensors", "--input", "bits.csv"]);
        assert!(line.contains("not a classifier"), "{line}");
    }
}

#[test]
fn log_json_has_one_object_per_epoch_and_lines_replace_bars_off_a_terminal() {
    let dir = TempDir::new("log");
    dir.write("train.csv", &flowers(60, 0));
    let out = layerwise(
        &dir.0,
        &[
            "train",
            "sda",
            "--train",
            "train.csv",
            "--hidden",
            "5,4",
            "--pretrain-epochs",
            "2",
            "--finetune-epochs",
            "3",
            "--validation",
            "0.25",
            "--log-json",
            "log.jsonl",
            "--scaling",
            "min-max",
            "-o",
            "s.safetensors",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::read_to_string(dir.path("log.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2 * 2 + 3);
    assert_eq!(records[0]["phase"], "pretrain");
    assert_eq!(records[3]["layer"], 1);
    assert_eq!(records[6]["phase"], "finetune");
    assert!(records[6]["validation_accuracy"].as_f64().is_some());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("pretrain layer 2/2 epoch 2/2: error"),
        "{stderr}"
    );
    assert!(stderr.contains("finetune epoch 3/3: loss"), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("saved sda 4 → 5 → 4 → 3 (f32) to s.safetensors"),
        "{stdout}"
    );
}

#[test]
fn scaling_is_fitted_on_the_training_rows_and_applied_from_the_saved_model() {
    let dir = TempDir::new("scaling");
    let d = &dir.0;
    let train = dir.write("train.csv", &flowers(90, 0));
    // validation rows far from the training rows: a scaler fitted on them would differ
    let valid: String = flowers(30, 2)
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut fields: Vec<String> = line.split(',').map(String::from).collect();
            if i > 0 {
                fields[0] = (fields[0].parse::<f64>().unwrap() * 100.0).to_string();
            }
            fields.join(",") + "\n"
        })
        .collect();
    dir.write("valid.csv", &valid);
    let mut args = vec![
        "train",
        "logistic",
        "--train",
        "train.csv",
        "--validation-file",
        "valid.csv",
        "--dtype",
        "f64",
        "-o",
        "l.safetensors",
    ];
    args.extend(MLP.iter().filter(|a| !["--hidden", "8"].contains(a)));
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "min-max" { "standardise" } else { a })
        .collect();
    ok(d, &args);

    let model = SavedModel::load(&dir.path("l.safetensors")).unwrap();
    assert_eq!(model.record.n_validation, 30);
    let options = model.config.data.csv.clone();
    let raw = read_csv::<f64>(&train, &options, None).unwrap().features;
    let fitted = Scaler::fit(layerwise_cli::scaling::ScalingSpec::Standardise, &raw).unwrap();
    assert_eq!(model.scaler, fitted, "fitted on the training rows alone");

    // predict scales the new rows with the saved scaler, exactly
    let mut x = read_csv::<f64>(&dir.path("valid.csv"), &options, Some(4))
        .unwrap()
        .features;
    model.scaler.apply(&mut x).unwrap();
    let AnyNetwork::F64(net) = &model.network else {
        panic!("f64")
    };
    let probs = network::probabilities(net, &x).unwrap();
    let printed = ok(d, &["predict", "l.safetensors", "--input", "valid.csv"]);
    for (i, line) in printed.lines().skip(1).enumerate() {
        let ours: Vec<f64> = line
            .split(',')
            .skip(1)
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(ours, probs.row(i), "row {i} bit for bit");
    }
}

/// An IDX file of unsigned bytes with these dimensions, gzipped.
fn idx(path: &std::path::Path, dims: &[u32], data: &[u8]) {
    let mut bytes = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend(data);
    let file = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    gz.finish().unwrap();
}

#[test]
fn idx_files_are_read_raw_or_gzipped_with_labels_found_beside_them() {
    let dir = TempDir::new("idx");
    let n = 60;
    let labels: Vec<u8> = (0..n).map(|i| (i % 2) as u8).collect();
    let pixels: Vec<u8> = (0..n * 4)
        .map(|k| {
            if (k % 4 < 2) == (labels[k / 4] == 0) {
                250
            } else {
                5
            }
        })
        .collect();
    idx(
        &dir.path("toy-images-idx3-ubyte.gz"),
        &[n as u32, 2, 2],
        &pixels,
    );
    idx(&dir.path("toy-labels-idx1-ubyte.gz"), &[n as u32], &labels);
    let d = &dir.0;
    ok(
        d,
        &[
            "train",
            "logistic",
            "--train",
            "toy-images-idx3-ubyte.gz",
            "--finetune-epochs",
            "30",
            "--batch-size",
            "10",
            "-q",
            "-o",
            "t.safetensors",
        ],
    );
    let inspect = ok(d, &["inspect", "t.safetensors"]);
    assert!(inspect.contains("scaling: divide by 255"), "{inspect}");
    let report = ok(
        d,
        &[
            "evaluate",
            "t.safetensors",
            "--test",
            "toy-images-idx3-ubyte.gz",
        ],
    );
    assert!(report.contains("accuracy 100.00 %"), "{report}");
    let line = one_line_error(
        d,
        &[
            "evaluate",
            "t.safetensors",
            "--dataset",
            "fashion-mnist",
            "--data-dir",
            "nowhere",
        ],
    );
    assert!(line.contains("nowhere/t10k-images-idx3-ubyte"), "{line}");
}

#[test]
fn predict_takes_rows_without_labels_and_names_a_width_that_fits_nothing() {
    let dir = TempDir::new("width");
    let d = &dir.0;
    let text = flowers(60, 0);
    dir.write("train.csv", &text);
    dir.write("rows.csv", &common::features_only(&text));
    dir.write("wide.csv", "1,2,3,4,5,6\n");
    let mut args = vec![
        "train",
        "mlp",
        "--train",
        "train.csv",
        "-o",
        "m.safetensors",
    ];
    args.extend(MLP);
    ok(d, &args);
    let with = ok(d, &["predict", "m.safetensors", "--input", "train.csv"]);
    let without = ok(d, &["predict", "m.safetensors", "--input", "rows.csv"]);
    assert_eq!(with, without);
    let line = one_line_error(d, &["predict", "m.safetensors", "--input", "wide.csv"]);
    assert!(
        line.contains("6 columns, but the model takes 4 features"),
        "{line}"
    );
    let line = one_line_error(d, &["evaluate", "m.safetensors", "--test", "rows.csv"]);
    assert!(line.contains("no labels, needed for evaluation"), "{line}");

    // the same rows, tab-separated and with the label first, read with flags
    let tsv: String = text
        .lines()
        .map(|l| {
            let (features, label) = l.rsplit_once(',').unwrap();
            format!("{label}\t{}\n", features.replace(',', "\t"))
        })
        .collect();
    dir.write("rows.tsv", &tsv);
    let args = ["--delimiter", "tab", "--label", "first"];
    let tab = ok(
        d,
        &[
            &["predict", "m.safetensors", "--input", "rows.tsv"][..],
            &args,
        ]
        .concat(),
    );
    assert_eq!(tab, with);
}

#[test]
fn a_run_whose_predictions_collapse_to_one_class_says_so() {
    let dir = TempDir::new("collapse");
    dir.write("train.csv", &flowers(150, 0));
    let d = &dir.0;
    let train = |lr: &str| {
        let mut args = vec![
            "train",
            "mlp",
            "--train",
            "train.csv",
            "-o",
            "m.safetensors",
        ];
        args.extend(MLP);
        let at = args.iter().position(|a| *a == "0.5").unwrap();
        args[at] = lr;
        args.extend(["--validation", "0.2"]);
        layerwise(d, &args)
    };
    // a learning rate of 1000 saturates every unit: one class for every row
    let out = train("1000");
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: the trained model predicts class")
            && err.contains("for every validation row"),
        "{err}"
    );
    // the rate of the other tests separates the flowers: no warning
    let out = train("0.5");
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("warning"), "{err}");
}
