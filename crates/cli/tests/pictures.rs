//! `filters`, `sample` and `train --plot`: the pictures' sizes and pixels, the image shape
//! recorded at training or given, seeded sampling, and the errors.

mod common;

use common::{flowers, layerwise, ok, TempDir};
use std::io::Write;

/// 40 images of 4 × 4 bytes, two classes (left or right half lit), gzipped IDX with labels.
fn toy_idx(dir: &TempDir) {
    let n = 40usize;
    let labels: Vec<u8> = (0..n).map(|i| (i % 2) as u8).collect();
    let pixels: Vec<u8> = (0..n * 16)
        .map(|k| {
            let (i, p) = (k / 16, k % 16);
            let lit = (p % 4 < 2) == (labels[i] == 0);
            if lit && (p + i) % 3 != 0 {
                240
            } else {
                10
            }
        })
        .collect();
    write_idx(
        &dir.path("toy-images-idx3-ubyte.gz"),
        &[n as u32, 4, 4],
        &pixels,
    );
    write_idx(&dir.path("toy-labels-idx1-ubyte.gz"), &[n as u32], &labels);
}

fn write_idx(path: &std::path::Path, dims: &[u32], data: &[u8]) {
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

/// Trains `kind` on the toy images with `extra` flags into `out`.
fn train_toy(dir: &TempDir, kind: &str, extra: &[&str], out: &str) {
    let mut args = vec![
        "train",
        kind,
        "--train",
        "toy-images-idx3-ubyte.gz",
        "--hidden",
        "6",
        "--pretrain-epochs",
        "5",
        "--finetune-epochs",
        "5",
        "--batch-size",
        "10",
        "-q",
        "-o",
        out,
    ];
    args.extend(extra);
    ok(&dir.0, &args);
}

/// A PNG's width, height and 8-bit pixels.
fn decode(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut reader = png::Decoder::new(file).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// Runs a command that must fail; returns its one line of stderr.
fn one_line_error(dir: &TempDir, args: &[&str]) -> String {
    let out = layerwise(&dir.0, args);
    assert!(!out.status.success(), "{args:?} succeeded");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    stderr
}

#[test]
fn filters_are_the_first_layers_weights_tile_by_tile_for_every_kind() {
    let dir = TempDir::new("filters");
    toy_idx(&dir);
    for kind in ["rbm", "da", "dbn", "sda", "mlp"] {
        let model = format!("{kind}.safetensors");
        train_toy(&dir, kind, &[], &model);
        let png = format!("{kind}.png");
        ok(&dir.0, &["filters", &model, "-o", &png]);
        // 6 tiles of 4 × 4, ⌈√6⌉ = 3 columns, 1-pixel gaps
        let (w, h, pixels) = decode(&dir.path(&png));
        assert_eq!((w, h), (3 * 5 - 1, 2 * 5 - 1), "{kind}");

        // tile 1 is unit 1's weights, min black and max white
        let bytes = std::fs::read(dir.path(&model)).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let weights = st.tensor("layers.0.weight").unwrap();
        let row: Vec<f32> = weights.data()[16 * 4..32 * 4]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        let (lo, hi) = row
            .iter()
            .fold((f32::MAX, f32::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        for (p, &v) in row.iter().enumerate() {
            let want = (255.0 * f64::from(v - lo) / f64::from(hi - lo)).round() as u8;
            let (x, y) = (5 + p % 4, p / 4);
            assert_eq!(pixels[y * w as usize + x], want, "{kind} pixel {p}");
        }
        assert_eq!(pixels[4], 0, "the gap is black");
    }
    ok(
        &dir.0,
        &[
            "filters",
            "rbm.safetensors",
            "-o",
            "few.png",
            "--count",
            "4",
            "--columns",
            "4",
        ],
    );
    assert_eq!(decode(&dir.path("few.png")).0, 4 * 5 - 1);
    let line = one_line_error(&dir, &["filters", "rbm.safetensors", "--shape", "3x5"]);
    assert!(
        line.contains("3x5 has 15 pixels") && line.contains("16"),
        "{line}"
    );
}

#[test]
fn the_image_shape_comes_from_the_idx_header_the_training_flag_or_the_filters_flag() {
    let dir = TempDir::new("shape");
    toy_idx(&dir);
    train_toy(&dir, "rbm", &[], "idx.safetensors");
    let inspect = ok(&dir.0, &["inspect", "idx.safetensors"]);
    assert!(inspect.contains("image_shape = \"4x4\""), "{inspect}");

    dir.write("train.csv", &flowers(30, 0));
    let csv = [
        "train",
        "mlp",
        "--train",
        "train.csv",
        "--hidden",
        "3",
        "-q",
    ];
    let mut args = csv.to_vec();
    args.extend(["-o", "plain.safetensors"]);
    ok(&dir.0, &args);
    let line = one_line_error(&dir, &["filters", "plain.safetensors"]);
    assert!(
        line.contains("no image shape") && line.contains("--shape"),
        "{line}"
    );
    ok(
        &dir.0,
        &[
            "filters",
            "plain.safetensors",
            "--shape",
            "2x2",
            "-o",
            "p.png",
        ],
    );
    assert_eq!(
        decode(&dir.path("p.png")).0,
        2 * 3 - 1,
        "3 tiles of 2 × 2 in 2 columns"
    );

    let mut args = csv.to_vec();
    args.extend(["--image-shape", "1x4", "-o", "shaped.safetensors"]);
    ok(&dir.0, &args);
    ok(&dir.0, &["filters", "shaped.safetensors", "-o", "s.png"]);
    assert_eq!(
        decode(&dir.path("s.png")).1,
        2 * (4 + 1) - 1,
        "tiles 4 high, two rows"
    );
    let mut args = csv.to_vec();
    args.extend(["--image-shape", "3x3"]);
    let line = one_line_error(&dir, &args);
    assert!(line.contains("data.image_shape = 3x3"), "{line}");
}

#[test]
fn sampling_is_seeded_one_row_per_chain_and_one_column_per_snapshot() {
    let dir = TempDir::new("sample");
    toy_idx(&dir);
    train_toy(&dir, "rbm", &[], "rbm.safetensors");
    train_toy(&dir, "dbn", &["--hidden", "6,5"], "dbn.safetensors");
    let sample = |model: &str, out: &str, extra: &[&str]| {
        let mut args = vec![
            "sample",
            model,
            "-o",
            out,
            "--chains",
            "3",
            "--snapshots",
            "4",
        ];
        args.extend(["--steps", "5"]);
        args.extend(extra);
        ok(&dir.0, &args);
        std::fs::read(dir.path(out)).unwrap()
    };
    for model in ["rbm.safetensors", "dbn.safetensors"] {
        let a = sample(model, "a.png", &["--seed", "7"]);
        let b = sample(model, "b.png", &["--seed", "7", "--threads", "2"]);
        assert!(a == b, "{model}: same seed, same picture");
        let c = sample(model, "c.png", &["--seed", "8"]);
        assert!(a != c, "{model}: another seed, another picture");
        let (w, h, _) = decode(&dir.path("a.png"));
        assert_eq!((w, h), (4 * 5 - 1, 3 * 5 - 1), "{model}");
    }
    let from = ["--from", "toy-images-idx3-ubyte.gz", "--burn-in", "2"];
    sample("dbn.safetensors", "f.png", &from);
    let (_, h, _) = decode(&dir.path("f.png"));
    assert_eq!(h, 3 * 5 - 1, "three chains from the first three rows");

    train_toy(&dir, "mlp", &[], "mlp.safetensors");
    let line = one_line_error(&dir, &["sample", "mlp.safetensors"]);
    assert!(
        line.contains("mlp") && line.contains("rbm or a dbn"),
        "{line}"
    );
    let line = one_line_error(&dir, &["sample", "rbm.safetensors", "--steps", "0"]);
    assert!(line.contains("--steps"), "{line}");
}

#[test]
fn train_plot_draws_one_panel_per_kind_of_curve() {
    let dir = TempDir::new("plot");
    toy_idx(&dir);
    train_toy(
        &dir,
        "dbn",
        &["--validation", "0.25", "--plot", "all.png"],
        "a.safetensors",
    );
    let (w, h, _) = decode(&dir.path("all.png"));
    assert_eq!((w, h), (3 * 520, 380), "pretraining, loss, accuracy");
    train_toy(&dir, "rbm", &["--plot", "rbm.png"], "r.safetensors");
    assert_eq!(decode(&dir.path("rbm.png")).0, 520, "pretraining only");
    let line = one_line_error(
        &dir,
        &[
            "train",
            "rbm",
            "--train",
            "toy-images-idx3-ubyte.gz",
            "--pretrain-epochs",
            "0",
            "-q",
            "--plot",
            "none.png",
            "-o",
            "z.safetensors",
        ],
    );
    assert!(line.contains("no epoch to plot"), "{line}");
}
