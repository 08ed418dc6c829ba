//! One CD-1 epoch of an RBM 784 → 500 on Fashion-MNIST (60 000 rows, minibatch 100, f32),
//! on 1 and 2 threads: seconds per epoch and achieved GFLOP/s.
//!
//! `cargo run --release --example bench_rbm -- [--data-dir DIR] [--threads 1,2]`
//!
//! A CD-1 step costs five GEMMs of 2·B·n_visible·n_hidden flops each (up, down, up, and the
//! two gradient products), so an epoch is 5 · 2 · 60 000 · 784 · 500 ≈ 235 GFLOP.

use clap::Parser;
use layerwise::data::{load_mnist, minibatches, shuffled_indices, MnistSplit, FASHION_MNIST_DIR};
use layerwise::layers::{CdParams, Rbm};
use layerwise::linalg::{gemm_kernel_name, set_threads, Matrix};
use std::path::PathBuf;
use std::time::Instant;

/// Time CD-1 epochs of a 784 → 500 RBM on Fashion-MNIST.
#[derive(Parser)]
struct Args {
    /// Folder holding the Fashion-MNIST IDX files.
    #[arg(long, default_value = FASHION_MNIST_DIR)]
    data_dir: PathBuf,
    /// Thread counts to time, one epoch each.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Hidden units.
    #[arg(long, default_value_t = 500)]
    hidden: usize,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let data = load_mnist::<f32>(&args.data_dir, MnistSplit::Train)?;
    let x = data.features();
    let (n, n_visible) = x.shape();
    let gflop = 5.0 * 2.0 * (n * n_visible * args.hidden) as f64 / 1e9;
    println!(
        "RBM {n_visible} → {} CD-1, {n} rows, batch 100, f32 ({} kernel)",
        args.hidden,
        gemm_kernel_name::<f32>()
    );
    let params = CdParams::new(0.05, 1)?;
    for &threads in &args.threads {
        set_threads(threads);
        let mut rng = layerwise::seeded_rng(1);
        let mut rbm = Rbm::<f32>::new(n_visible, args.hidden, &mut rng)?;
        let order = shuffled_indices(n, &mut rng);
        let mut batch = Matrix::zeros(0, 0);
        let start = Instant::now();
        let mut error = 0.0;
        for idx in minibatches(&order, 100) {
            x.select_rows_into(idx, &mut batch);
            error += rbm.contrastive_divergence(&batch, &params, &mut rng) * idx.len() as f32;
        }
        let s = start.elapsed().as_secs_f64();
        println!(
            "threads {threads}: {s:.2} s per epoch, {:.1} GFLOP/s (error {:.2})",
            gflop / s,
            error / n as f32
        );
    }
    Ok(())
}
