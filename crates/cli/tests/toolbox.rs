//! The training options beyond the book's, as flags and as TOML keys: the same setting
//! either way gives the same model file, each one changes the model, and a bad value is one
//! line naming its key and flag.

mod common;

use common::{flowers, layerwise, ok, TempDir};
use layerwise_cli::config::TrainConfig;

const BASE: &[&str] = &[
    "--train",
    "train.csv",
    "--hidden",
    "6,4",
    "--pretrain-epochs",
    "3",
    "--finetune-epochs",
    "6",
    "--batch-size",
    "16",
    "--validation",
    "0.2",
    "--scaling",
    "min-max",
    "-q",
];

/// Trains `kind` with the base flags and `extra`, returns the model file's bytes.
fn train(dir: &TempDir, kind: &str, extra: &[&str], out: &str) -> Vec<u8> {
    let mut args = vec!["train", kind, "-o", out];
    args.extend(BASE);
    args.extend(extra);
    ok(&dir.0, &args);
    std::fs::read(dir.path(out)).unwrap()
}

const RBM_FLAGS: &[&str] = &[
    "--persistent",
    "--pretrain-schedule",
    "exp:0.9",
    "--pretrain-momentum",
    "0.5",
    "--momentum-warmup",
    "0.2",
    "--momentum-warmup-epochs",
    "1",
    "--pretrain-l2",
    "0.001",
    "--pretrain-l1",
    "0.0001",
    "--sparsity-target",
    "0.1",
    "--sparsity-cost",
    "0.3",
];

const RBM_KEYS: &str = "[pretrain]\npersistent = true\nschedule = \"exp:0.9\"\n\
    momentum = 0.5\nmomentum_warmup = 0.2\nmomentum_warmup_epochs = 1\nl2 = 0.001\n\
    l1 = 0.0001\nsparsity_target = 0.1\nsparsity_cost = 0.3\n";

const FINETUNE_FLAGS: &[&str] = &[
    "--finetune-schedule",
    "step:2:0.5",
    "--finetune-momentum",
    "0.6",
    "--finetune-l2",
    "0.0005",
    "--dropout-input",
    "0.1",
    "--dropout-hidden",
    "0.2",
    "--patience",
    "2",
    "--min-delta",
    "0.001",
];

const FINETUNE_KEYS: &str = "[finetune]\nschedule = \"step:2:0.5\"\nmomentum = 0.6\n\
    l2 = 0.0005\ndropout_input = 0.1\ndropout_hidden = 0.2\npatience = 2\nmin_delta = 0.001\n";

#[test]
fn a_flag_and_its_toml_key_give_the_same_model_and_each_changes_it() {
    let dir = TempDir::new("toolbox");
    dir.write("train.csv", &flowers(80, 0));
    let mut flags = RBM_FLAGS.to_vec();
    flags.extend(FINETUNE_FLAGS);
    let by_flags = train(&dir, "dbn", &flags, "flags.safetensors");
    dir.write("keys.toml", &format!("{RBM_KEYS}{FINETUNE_KEYS}"));
    let by_keys = train(&dir, "dbn", &["--config", "keys.toml"], "keys.safetensors");
    assert!(by_flags == by_keys, "flags and keys, the same file");

    let plain = train(&dir, "dbn", &[], "plain.safetensors");
    let rbm_only = train(&dir, "dbn", RBM_FLAGS, "rbm.safetensors");
    let finetune_only = train(&dir, "dbn", FINETUNE_FLAGS, "ft.safetensors");
    for (name, bytes) in [("rbm", &rbm_only), ("finetune", &finetune_only)] {
        assert!(bytes != &plain, "the {name} options change the model");
    }

    let printed = ok(&dir.0, &["inspect", "flags.safetensors"]);
    for line in [
        "persistent = true",
        "schedule = \"exp:0.9\"",
        "patience = 2",
    ] {
        assert!(printed.contains(line), "{line} in {printed}");
    }
}

#[test]
fn sda_options_and_top_only_as_flags_or_keys() {
    let dir = TempDir::new("toolbox-sda");
    dir.write("train.csv", &flowers(60, 0));
    let flags = [
        "--noise",
        "salt-pepper",
        "--corruption",
        "0.25",
        "--loss",
        "squared-error",
        "--decoder",
        "untied",
        "--top-only",
    ];
    let by_flags = train(&dir, "sda", &flags, "flags.safetensors");
    dir.write(
        "keys.toml",
        "[pretrain]\nnoise = \"salt-pepper\"\ncorruption = 0.25\nloss = \"squared-error\"\n\
         decoder = \"untied\"\n[finetune]\nmode = \"top-only\"\n",
    );
    let by_keys = train(&dir, "sda", &["--config", "keys.toml"], "keys.safetensors");
    assert!(by_flags == by_keys, "flags and keys, the same file");
    let printed = ok(
        &dir.0,
        &[
            "train",
            "mlp",
            "--train",
            "x.csv",
            "--top-only",
            "--print-config",
        ],
    );
    let config = TrainConfig::from_toml(&printed).unwrap();
    assert_eq!(
        config.finetune.mode,
        layerwise_cli::config::FinetuneModeArg::TopOnly
    );
}

/// Runs a command that must fail; returns its one line of stderr.
fn one_line_error(dir: &TempDir, args: &[&str]) -> String {
    let out = layerwise(&dir.0, args);
    assert!(!out.status.success(), "{args:?} succeeded");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
    stderr
}

#[test]
fn a_bad_value_is_one_line_naming_its_key_or_flag_and_value() {
    let dir = TempDir::new("toolbox-bad");
    dir.write("train.csv", &flowers(30, 0));
    let train = [
        "train",
        "dbn",
        "--train",
        "train.csv",
        "--validation",
        "0.2",
    ];
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--pretrain-momentum", "1.5"],
            &["pretrain.momentum = 1.5", "--pretrain-momentum"],
        ),
        (
            &["--pretrain-l2", "-1"],
            &["pretrain.l2 = -1", "--pretrain-l2"],
        ),
        (
            &["--sparsity-target", "1"],
            &["pretrain.sparsity_target = 1", "(0, 1)"],
        ),
        (
            &["--dropout-hidden", "1"],
            &["finetune.dropout_hidden = 1", "--dropout-hidden"],
        ),
        (
            &["--finetune-momentum", "-0.1"],
            &["finetune.momentum = -0.1"],
        ),
        (&["--patience", "0"], &["finetune.patience = 0"]),
        (&["--min-delta", "-1"], &["finetune.min_delta = -1"]),
        (
            &["--finetune-schedule", "exp:2"],
            &["--finetune-schedule", "exp:2"],
        ),
        (
            &["--pretrain-schedule", "step:0:0.5"],
            &["--pretrain-schedule", "step:0:0.5"],
        ),
        (
            &["--pretrain-schedule", "linear"],
            &["linear", "constant, exp:DECAY"],
        ),
        (
            &["--top-only", "--dropout-input", "0.2"],
            &["finetune.dropout_input = 0.2", "top layer"],
        ),
    ];
    for (extra, wanted) in cases {
        let mut args = train.to_vec();
        args.extend(*extra);
        let line = one_line_error(&dir, &args);
        for w in *wanted {
            assert!(line.contains(w), "{extra:?}: {w:?} not in {line}");
        }
    }

    let no_validation = ["train", "dbn", "--train", "train.csv", "--patience", "3"];
    let line = one_line_error(&dir, &no_validation);
    assert!(
        line.contains("finetune.patience = 3") && line.contains("--validation"),
        "{line}"
    );

    for (toml, wanted) in [
        ("[finetune]\nschedule = \"exp:1.5\"\n", "schedule"),
        ("[pretrain]\nmomentum = 2.0\n", "pretrain.momentum = 2"),
        (
            "[finetune]\ndropout_input = -0.5\n",
            "finetune.dropout_input = -0.5",
        ),
    ] {
        dir.write("bad.toml", toml);
        let mut args = train.to_vec();
        args.extend(["--config", "bad.toml"]);
        let line = one_line_error(&dir, &args);
        assert!(line.contains(wanted), "{toml}: {line}");
    }
}

#[test]
fn an_option_of_another_kind_of_layer_is_refused_not_ignored() {
    let dir = TempDir::new("toolbox-kind");
    dir.write("train.csv", &flowers(30, 0));
    let cases: &[(&str, &[&str], &str)] = &[
        ("sda", &["--persistent"], "pretrain.persistent"),
        ("da", &["--pretrain-momentum", "0.5"], "pretrain.momentum"),
        (
            "mlp",
            &["--sparsity-target", "0.1"],
            "pretrain.sparsity_target",
        ),
        ("dbn", &["--noise", "gaussian"], "pretrain.noise"),
        ("rbm", &["--corruption", "0.3"], "pretrain.corruption"),
        ("logistic", &["--loss", "squared-error"], "pretrain.loss"),
    ];
    for (kind, extra, key) in cases {
        let mut args = vec!["train", kind, "--train", "train.csv", "--validation", "0.2"];
        args.extend(*extra);
        let line = one_line_error(&dir, &args);
        assert!(
            line.contains(&format!("{key} is set, but `{kind}` does not use it")),
            "{kind} {extra:?}: {line}"
        );
    }
    // the same options where they belong are accepted (checked by the other tests' runs)
}
