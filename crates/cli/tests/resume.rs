//! Interruptions lose nothing: checkpoints change no result, `train --resume` ends with the
//! bytes of the uninterrupted run, Ctrl-C writes a checkpoint and exits with 130, and
//! SIGKILL at any moment (during training or during a save) leaves the model and the
//! checkpoint on disk whole.

mod common;

use common::{flowers, layerwise, ok, TempDir};
use layerwise_cli::checkpoint::{AnyPause, Checkpoint};
use layerwise_cli::model_file::SavedModel;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Small runs of every kind, each with the options that keep optimiser state.
fn kind_flags(kind: &str) -> Vec<&'static str> {
    let mut flags = vec![
        "--train",
        "train.csv",
        "--pretrain-epochs",
        "3",
        "--finetune-epochs",
        "4",
        "--batch-size",
        "16",
        "--validation",
        "0.2",
        "--scaling",
        "min-max",
        "-q",
    ];
    flags.extend(match kind {
        "dbn" => &[
            "--hidden",
            "6,4",
            "--persistent",
            "--pretrain-momentum",
            "0.5",
            "--finetune-momentum",
            "0.5",
            "--patience",
            "2",
            "--dropout-hidden",
            "0.1",
        ][..],
        "sda" => &["--hidden", "6,4", "--monitor", "--finetune-l2", "0.001"],
        "mlp" => &[
            "--hidden",
            "6",
            "--finetune-momentum",
            "0.5",
            "--dropout-input",
            "0.1",
        ],
        "rbm" => &["--hidden", "5", "--persistent", "--pretrain-l2", "0.001"],
        "da" => &["--hidden", "5", "--noise", "salt-pepper"],
        _ => &["--finetune-momentum", "0.9"],
    });
    flags
}

fn train(dir: &TempDir, kind: &str, extra: &[&str], out: &str) -> Vec<u8> {
    let mut args = vec!["train", kind, "-o", out];
    args.extend(kind_flags(kind));
    args.extend(extra);
    ok(&dir.0, &args);
    std::fs::read(dir.path(out)).unwrap()
}

#[test]
fn checkpoints_change_nothing_and_every_kind_resumes_to_the_same_bytes() {
    let dir = TempDir::new("resume-kinds");
    dir.write("train.csv", &flowers(150, 0));
    for kind in ["dbn", "sda", "mlp", "rbm", "da", "logistic"] {
        let straight = train(&dir, kind, &[], "straight.safetensors");
        let every = ["--checkpoint-every", "1", "--checkpoint", "c.ckpt"];
        let checkpointed = train(&dir, kind, &every, "checkpointed.safetensors");
        assert!(
            straight == checkpointed,
            "{kind}: checkpoints changed the model"
        );

        // the last checkpoint: before the last epoch of the last phase
        let checkpoint = Checkpoint::load(&dir.path("c.ckpt")).unwrap();
        assert_eq!(checkpoint.model.kind().name(), kind);
        let args = [
            "train",
            "--resume",
            "c.ckpt",
            "-o",
            "resumed.safetensors",
            "-q",
        ];
        ok(&dir.0, &args);
        let resumed = std::fs::read(dir.path("resumed.safetensors")).unwrap();
        assert!(straight == resumed, "{kind}: the resumed model differs");
    }
}

#[test]
fn a_checkpoint_keeps_velocities_and_the_best_weights_and_resumes_to_the_same_bytes() {
    let dir = TempDir::new("resume-every-two");
    dir.write("train.csv", &flowers(150, 0));
    let straight = train(&dir, "dbn", &[], "straight.safetensors");
    let every = ["--checkpoint-every", "2", "--checkpoint", "c.ckpt"];
    assert!(train(&dir, "dbn", &every, "x.safetensors") == straight);
    let c = Checkpoint::load(&dir.path("c.ckpt")).unwrap();
    let AnyPause::F32(pause) = &c.pause else {
        panic!("an f32 model")
    };
    // the last one written: fine-tuning, before epoch 2 of 4
    assert_eq!((pause.layer, pause.epoch, pause.rows_done), (None, 2, 0));
    assert_eq!(c.model.record.pretrain.len(), 6);
    assert_eq!(c.model.record.finetune.len(), 2);
    assert!(pause.tensors.iter().any(|(n, _)| n == "velocity.0.weight"));
    assert!(pause.tensors.iter().any(|(n, _)| n == "best.2.weight"));
    assert!(pause.best_epoch.is_some() && pause.best_loss.is_finite());
    let described = ok(&dir.0, &["inspect", "c.ckpt"]);
    assert!(described.contains("kind: dbn"), "{described}");
    let stopped =
        "checkpoint: fine-tuning, before epoch 3; carry on with `layerwise train --resume";
    assert!(described.contains(stopped), "{described}");
    ok(
        &dir.0,
        &["train", "--resume", "c.ckpt", "-o", "r.safetensors", "-q"],
    );
    assert!(std::fs::read(dir.path("r.safetensors")).unwrap() == straight);
}

#[test]
fn a_resumed_run_writes_where_the_interrupted_one_would_have_from_any_folder() {
    let dir = TempDir::new("resume-elsewhere");
    dir.write("train.csv", &flowers(150, 0));
    std::fs::create_dir(dir.path("out")).unwrap();
    std::fs::create_dir(dir.path("elsewhere")).unwrap();
    let straight = train(&dir, "dbn", &[], "straight.safetensors");
    let every = ["--checkpoint-every", "2"];
    train(&dir, "dbn", &every, "out/m.safetensors");
    let model = dir.path("out/m.safetensors");
    std::fs::remove_file(&model).unwrap();
    // no -o: the interrupted run's output, its data found from its own folder
    let checkpoint = dir.path("out/m.safetensors.ckpt");
    let args = ["train", "--resume", checkpoint.to_str().unwrap(), "-q"];
    ok(&dir.path("elsewhere"), &args);
    assert!(std::fs::read(&model).unwrap() == straight);
    assert!(!dir.path("elsewhere/model.safetensors").exists());
}

fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_layerwise"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// Lines in a file that may not exist yet.
fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |s| s.lines().count())
}

/// Waits until the `--log-json` file has `n` epochs (or the child ends).
fn wait_for_epochs(child: &mut Child, log: &Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while lines(log) < n && child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "no epoch {n} after 5 minutes");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// `n` rows of `d` features in [0, 1] and a label of three classes, with a header: enough
/// arithmetic per row for epochs that take a while.
fn wide(n: usize, d: usize) -> String {
    let mut state = 0x1234_5678_9abc_def1_u64;
    let mut text: String = (0..d).map(|j| format!("x{j},")).collect();
    text += "label\n";
    for i in 0..n {
        let c = i % 3;
        for j in 0..d {
            let u = (next(&mut state) >> 11) as f64 / (1u64 << 53) as f64;
            let on = (j % 3 == c) as u8 as f64;
            text += &format!("{:.3},", 0.6 * on + 0.4 * u);
        }
        text += &format!("{c}\n");
    }
    text
}

/// A run long enough to interrupt: 2 × 4 pretraining epochs then 16 fine-tuning epochs
/// over 2 700 rows of 100 features in minibatches of 10.
const LONG: &[&str] = &[
    "--train",
    "train.csv",
    "--hidden",
    "128,64",
    "--pretrain-epochs",
    "4",
    "--finetune-epochs",
    "16",
    "--batch-size",
    "10",
    "--validation",
    "0.1",
    "--scaling",
    "min-max",
    "--pretrain-momentum",
    "0.5",
    "--finetune-momentum",
    "0.5",
    "--persistent",
    "-q",
];

fn long_run<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["train", "dbn", "-o", out, "--log-json", "log.jsonl"];
    args.extend(LONG);
    args.extend(extra);
    args
}

#[test]
fn ctrl_c_writes_a_checkpoint_exits_130_and_the_run_resumes_to_the_same_bytes() {
    let dir = TempDir::new("resume-ctrl-c");
    dir.write("train.csv", &wide(3000, 100));
    ok(&dir.0, &long_run("straight.safetensors", &[]));
    let straight = std::fs::read(dir.path("straight.safetensors")).unwrap();
    let log = dir.path("log.jsonl");
    // in layer 0's pretraining, in layer 1's, in fine-tuning
    let mut phases = Vec::new();
    for after in [1, 5, 10] {
        std::fs::remove_file(&log).unwrap();
        let mut child = spawn(
            &dir.0,
            &long_run("never.safetensors", &["--checkpoint", "c.ckpt"]),
        );
        wait_for_epochs(&mut child, &log, after);
        let pid = child.id().to_string();
        let sent = Command::new("sh")
            .args(["-c", &format!("kill -INT {pid}")])
            .status();
        assert!(sent.unwrap().success());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(130),
            "after {after} epochs: {stderr}"
        );
        assert!(stderr.contains("checkpoint written to c.ckpt"), "{stderr}");
        assert!(
            stderr.contains("layerwise train --resume c.ckpt"),
            "{stderr}"
        );
        assert!(!dir.path("never.safetensors").exists(), "no model is saved");

        let checkpoint = Checkpoint::load(&dir.path("c.ckpt")).unwrap();
        let AnyPause::F32(pause) = &checkpoint.pause else {
            panic!("an f32 model")
        };
        let epochs_done =
            checkpoint.model.record.pretrain.len() + checkpoint.model.record.finetune.len();
        assert!(
            epochs_done >= after,
            "{epochs_done} epochs recorded after {after}"
        );
        let phase = match pause.layer {
            Some(l) => format!("layer {l}"),
            None => "fine-tuning".into(),
        };
        eprintln!(
            "stopped in {phase}, epoch {}, row {}",
            pause.epoch, pause.rows_done
        );
        phases.push(pause.layer);

        let logged = lines(&log);
        let args = ["train", "--resume", "c.ckpt", "-o", "resumed.safetensors"];
        ok(
            &dir.0,
            &[&args[..], &["--log-json", "log.jsonl", "-q"]].concat(),
        );
        let resumed = std::fs::read(dir.path("resumed.safetensors")).unwrap();
        assert!(
            resumed == straight,
            "resumed after {after} epochs: the model differs"
        );
        // the resumed run adds its epochs to the log: every epoch is there once
        assert_eq!(
            lines(&log),
            8 + 16,
            "{logged} epochs were logged before the stop"
        );
    }
    // the stops land one minibatch after the signal: in pretraining and in fine-tuning
    assert!(phases.iter().any(Option::is_some), "{phases:?}");
    assert!(phases.iter().any(Option::is_none), "{phases:?}");
}

/// A small generator for the kill times: the same delays every run.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn sigkill_during_training_leaves_model_and_checkpoint_whole_and_resumable() {
    let dir = TempDir::new("resume-sigkill");
    dir.write("train.csv", &wide(3000, 100));
    let every = ["--checkpoint-every", "1", "--checkpoint", "c.ckpt"];
    ok(&dir.0, &long_run("model.safetensors", &every));
    let straight = std::fs::read(dir.path("model.safetensors")).unwrap();
    let log = dir.path("log.jsonl");
    let mut state = 0x2545_f491_4f6c_dd1d;
    let mut killed = 0;
    for round in 0..8 {
        std::fs::remove_file(&log).ok();
        let mut child = spawn(&dir.0, &long_run("model.safetensors", &every));
        // at a random moment after a random epoch: often while a checkpoint is written
        wait_for_epochs(&mut child, &log, 1 + (next(&mut state) % 20) as usize);
        std::thread::sleep(Duration::from_micros(next(&mut state) % 3000));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        killed += usize::from(!status.success());
        let model = SavedModel::load(&dir.path("model.safetensors"));
        assert!(
            model.is_ok(),
            "round {round}: the model is damaged: {model:?}"
        );
        let checkpoint = Checkpoint::load(&dir.path("c.ckpt"));
        assert!(
            checkpoint.is_ok(),
            "round {round}: the checkpoint is damaged"
        );
    }
    assert!(
        killed >= 6,
        "only {killed} of 8 runs were killed before they ended"
    );
    // whatever checkpoint survived carries on to the uninterrupted run's bytes
    ok(
        &dir.0,
        &[
            "train",
            "--resume",
            "c.ckpt",
            "-o",
            "resumed.safetensors",
            "-q",
        ],
    );
    assert!(std::fs::read(dir.path("resumed.safetensors")).unwrap() == straight);
}

/// Set for the child of the save test: saves a checkpoint and a model to this folder
/// until killed.
const SAVE_LOOP: &str = "LAYERWISE_TEST_SAVE_LOOP";

#[test]
fn sigkill_during_saves_never_damages_the_previous_files() {
    let dir = TempDir::new("resume-save-kill");
    dir.write("train.csv", &wide(60, 64));
    // a checkpoint of a wide model (2 MB), so that a save takes a while
    let mut args = vec![
        "train",
        "mlp",
        "-o",
        "m.safetensors",
        "--train",
        "train.csv",
    ];
    args.extend(["--hidden", "4000", "--finetune-epochs", "2", "-q"]);
    args.extend(["--checkpoint-every", "1", "--checkpoint", "c.ckpt"]);
    ok(&dir.0, &args);
    let mut state = 0x9e37_79b9_7f4a_7c15;
    let mut cut_short = 0;
    for round in 0..12 {
        let ready = dir.path("ready");
        std::fs::remove_file(&ready).ok();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "save_loop_child", "--ignored", "--nocapture"])
            .env(SAVE_LOOP, &dir.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // once the child has loaded both files and begun saving
        let deadline = Instant::now() + Duration::from_secs(120);
        while !ready.exists() {
            assert!(child.try_wait().unwrap().is_none(), "the child ended");
            assert!(Instant::now() < deadline, "the child never got ready");
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_micros(next(&mut state) % 100_000));
        child.kill().unwrap();
        child.wait().unwrap();
        let model = SavedModel::load(&dir.path("m.safetensors"));
        assert!(model.is_ok(), "round {round}: {model:?}");
        let checkpoint = Checkpoint::load(&dir.path("c.ckpt"));
        assert!(checkpoint.is_ok(), "round {round}: {checkpoint:?}");
        // a save cut short leaves its temporary file, never a damaged target
        for entry in std::fs::read_dir(&dir.0).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tmp") {
                cut_short += 1;
                std::fs::remove_file(path).unwrap();
            }
        }
    }
    eprintln!("{cut_short} of 12 kills landed during a save");
    assert!(cut_short >= 1, "no kill landed during a save");
}

/// The child of [`sigkill_during_saves_never_damages_the_previous_files`]: rewrites the
/// model and the checkpoint in turn, forever; does nothing when run as a test.
#[test]
#[ignore = "run by sigkill_during_saves_never_damages_the_previous_files"]
fn save_loop_child() {
    let Some(dir) = std::env::var_os(SAVE_LOOP) else {
        return;
    };
    let dir = Path::new(&dir);
    let model = SavedModel::load(&dir.join("m.safetensors")).unwrap();
    let checkpoint = Checkpoint::load(&dir.join("c.ckpt")).unwrap();
    std::fs::write(dir.join("ready"), b"").unwrap();
    loop {
        model.save(&dir.join("m.safetensors")).unwrap();
        checkpoint.save(&dir.join("c.ckpt")).unwrap();
    }
}

#[test]
fn a_bad_resume_is_one_line_naming_the_problem() {
    let dir = TempDir::new("resume-errors");
    dir.write("train.csv", &flowers(150, 0));
    let every = ["--checkpoint-every", "1", "--checkpoint", "c.ckpt"];
    train(&dir, "dbn", &every, "m.safetensors");
    let fails = |args: &[&str]| {
        let out = layerwise(&dir.0, args);
        assert!(!out.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };

    let err = fails(&["train", "--resume", "c.ckpt", "--hidden", "3"]);
    let refused = "--resume continues with the checkpoint's own settings and data, so --hidden";
    assert!(err.contains(refused), "{err}");
    // a setting is refused even at the value the checkpoint has
    let err = fails(&[
        "train",
        "--resume",
        "c.ckpt",
        "--finetune-epochs",
        "4",
        "--seed",
        "1",
    ]);
    assert!(
        err.contains("so --seed, --finetune-epochs cannot go with it")
            || err.contains("so --finetune-epochs, --seed cannot go with it"),
        "{err}"
    );
    let err = fails(&["train", "sda", "--resume", "c.ckpt"]);
    assert!(
        err.contains("the checkpoint trains a model of kind dbn, not sda"),
        "{err}"
    );
    let err = fails(&["train", "--resume", "m.safetensors"]);
    assert!(
        err.contains("m.safetensors: a model file, not a training checkpoint"),
        "{err}"
    );
    let err = fails(&["evaluate", "c.ckpt", "--test", "train.csv"]);
    let hint = "c.ckpt: a training checkpoint, not a model: carry its training on with \
                `layerwise train --resume c.ckpt`";
    assert!(err.contains(hint), "{err}");
    // the checkpoint or the model would overwrite the data, or each other
    let mut args = vec!["train", "dbn", "-o", "m2.safetensors"];
    args.extend(kind_flags("dbn"));
    let err = fails(&[&args[..], &["--checkpoint", "train.csv"]].concat());
    assert!(
        err.contains("--checkpoint train.csv would overwrite the data file train.csv"),
        "{err}"
    );
    let err = fails(&[&args[..], &["--checkpoint", "m2.safetensors"]].concat());
    assert!(
        err.contains("-o and --checkpoint are both m2.safetensors"),
        "{err}"
    );
    let err = fails(&[&args[..], &["--checkpoint", "no/such/folder/c.ckpt"]].concat());
    assert!(
        err.contains("the folder no/such/folder does not exist"),
        "{err}"
    );
    let err = fails(&[&args[..], &["--plot", "nowhere/p.png"]].concat());
    assert!(
        err.contains("cannot write nowhere/p.png: the folder nowhere does not exist"),
        "{err}"
    );
    let err = fails(&[
        "train",
        "dbn",
        "--train",
        "train.csv",
        "--checkpoint-every",
        "0",
    ]);
    assert!(err.contains("--checkpoint-every 0"), "{err}");
    let err = fails(&["train", "--resume", "missing.ckpt"]);
    assert!(err.contains("missing.ckpt"), "{err}");

    // the data changed under the checkpoint
    dir.write("train.csv", &flowers(150, 1));
    let err = fails(&["train", "--resume", "c.ckpt"]);
    assert!(
        err.contains("the data has changed since the checkpoint was written"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
