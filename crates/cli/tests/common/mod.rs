//! What the command's tests share: a temporary folder, the binary, small data files.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let pid = std::process::id();
        let dir = std::env::temp_dir().join(format!("layerwise-cli-{name}-{pid}-{stamp}"));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `layerwise` with these arguments in `dir`.
pub fn layerwise(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_layerwise"))
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the binary runs")
}

/// Runs `layerwise`, asserting success; returns standard output.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = layerwise(dir, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "layerwise {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

/// A deterministic pseudo-random number in [0, 1) from a counter.
fn noise(i: usize) -> f64 {
    let mut z = (i as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

/// Three well separated classes of `n` rows with four features on different scales, a
/// header and the class name last: `f1,f2,f3,f4,species`.
pub fn flowers(n: usize, offset: usize) -> String {
    let names = ["setosa", "versicolor", "virginica"];
    let mut text = String::from("f1,f2,f3,f4,species\n");
    for i in 0..n {
        let c = (i * 7 + offset) % 3;
        let r = |k: usize| noise(4 * (i + offset * 1000) + k) - 0.5;
        let f = [
            1.0 + 2.0 * c as f64 + r(0),
            50.0 - 20.0 * c as f64 + 10.0 * r(1),
            0.01 * c as f64 + 0.01 * r(2),
            300.0 + 100.0 * r(3),
        ];
        text += &format!(
            "{:.4},{:.3},{:.5},{:.2},{}\n",
            f[0], f[1], f[2], f[3], names[c]
        );
    }
    text
}

/// The features of `flowers` without header and label, for the Python check.
pub fn features_only(csv: &str) -> String {
    let mut out = String::new();
    for line in csv.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        out += &fields[..fields.len() - 1].join(",");
        out.push('\n');
    }
    out
}
