//! One CD-1 epoch of an RBM 784 → 500 on Fashion-MNIST (60 000 rows, minibatch 100, f32),
//! on 1 and 2 threads: seconds per epoch and achieved GFLOP/s.
//!
//! `cargo run --release --example bench_rbm -- [--data-dir DIR] [--threads 1,2] [--hidden N]
//! [--repeat N]`
//!
//! A CD-1 step costs five GEMMs of 2·B·n_visible·n_hidden flops each (up, down, up, and the
//! two gradient products), so an epoch is 5 · 2 · 60 000 · 784 · 500 ≈ 235 GFLOP. The loop is
//! the one DBN pretraining runs: a gathered minibatch and a CD workspace, both reused.

use clap::Parser;
use layerwise::data::{load_mnist, minibatches, shuffled_indices, MnistSplit, FASHION_MNIST_DIR};
use layerwise::layers::{CdParams, CdWorkspace, Rbm};
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
    /// Epochs timed per thread count; the best and the median are printed.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
}

/// Seconds of one CD-1 epoch of a fresh RBM, seeded, over `x` in minibatches of 100.
fn epoch(x: &Matrix<f32>, args: &Args, params: &CdParams) -> f64 {
    let (n, n_visible) = x.shape();
    let mut rng = layerwise::seeded_rng(1);
    let mut rbm = Rbm::<f32>::new(n_visible, args.hidden, &mut rng).expect("valid sizes");
    let order = shuffled_indices(n, &mut rng);
    let (mut batch, mut workspace) = (Matrix::zeros(0, 0), CdWorkspace::new());
    let start = Instant::now();
    for idx in minibatches(&order, 100) {
        x.select_rows_into(idx, &mut batch);
        rbm.contrastive_divergence_with(&batch, params, &mut workspace, &mut rng);
    }
    start.elapsed().as_secs_f64()
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
        let mut seconds: Vec<f64> = (0..args.repeat.max(1))
            .map(|_| epoch(x, &args, &params))
            .collect();
        seconds.sort_by(f64::total_cmp);
        let (best, median) = (seconds[0], seconds[seconds.len() / 2]);
        println!(
            "threads {threads}: best {best:.2} s per epoch ({:.1} GFLOP/s), median {median:.2} s",
            gflop / best
        );
    }
    Ok(())
}
