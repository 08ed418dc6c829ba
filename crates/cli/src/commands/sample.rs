//! `layerwise sample MODEL -o samples.png`: Gibbs chains of an RBM, or a DBN's generative
//! path, drawn as a grid: one row per chain, one column per snapshot.

use super::filters::image_shape;
use super::{load_model, read_for_model, InputArgs};
use anyhow::Context;
use clap::Args;
use layerwise_cli::model_file::SavedModel;
use layerwise_cli::network::{AnyNetwork, Network};
use layerwise_cli::picture::{self, tile_grid, ChainStart, ImageShape, Sampling, Scale};
use layerwise_layers::Visible;
use layerwise_linalg::{Float, Matrix};
use rand::SeedableRng;
use std::path::PathBuf;

/// Run Gibbs chains in an rbm, or in a dbn's top RBM with a mean-field pass down through the
/// RBMs below to the inputs, and draw snapshots of the visible means as a PNG grid: one row
/// per chain, one column per snapshot. The same seed draws the same picture.
#[derive(Args, Debug)]
pub struct SampleArgs {
    /// The model file (rbm or dbn)
    pub model: PathBuf,

    /// Where to write the PNG
    #[arg(short, long, value_name = "FILE", default_value = "samples.png")]
    pub output: PathBuf,

    /// Chains, one row each (with --from: at most the rows read)
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub chains: usize,

    /// Gibbs sweeps between snapshots
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub steps: usize,

    /// Snapshots, one column each
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub snapshots: usize,

    /// Gibbs sweeps before the first snapshot's --steps
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub burn_in: usize,

    /// Seed of the chains' generator
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Start the chains at the first rows of this file (CSV or IDX) instead of noise
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,

    #[command(flatten)]
    pub input: InputArgs,

    /// The tile's width × height [default: the image shape recorded at training]
    #[arg(long, value_name = "WxH")]
    pub shape: Option<ImageShape>,
}

/// Runs `layerwise sample`.
pub fn run(args: &SampleArgs) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let shape = image_shape(&model, args.shape, "--shape")?;
    if args.chains == 0 {
        anyhow::bail!("--chains 0: give at least 1");
    }
    let (snapshots, gaussian) = match &model.network {
        AnyNetwork::F32(n) => chains(args, &model, n)?,
        AnyNetwork::F64(n) => chains(args, &model, n)?,
    };
    let n_chains = snapshots.len();
    let tiles: Vec<Vec<f64>> = snapshots.into_iter().flatten().collect();
    let scale = if gaussian { Scale::Grid } else { Scale::Unit };
    let image = tile_grid(&tiles, shape, args.snapshots, scale);
    image
        .save(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!(
        "wrote {n_chains} chains × {} snapshots, {} Gibbs sweeps apart after {} of burn-in \
         ({} × {} pixels), to {}",
        args.snapshots,
        args.steps,
        args.burn_in,
        image.width,
        image.height,
        args.output.display()
    );
    Ok(())
}

/// The snapshots, `[chain][snapshot]`, and whether the inputs are Gaussian units.
fn chains<T: Float>(
    args: &SampleArgs,
    model: &SavedModel,
    network: &Network<T>,
) -> anyhow::Result<(Vec<Vec<Vec<f64>>>, bool)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let run = Sampling {
        burn_in: args.burn_in,
        steps: args.steps,
        snapshots: args.snapshots,
    };
    let rows: Option<Matrix<T>> = match (&args.from, args.input.dataset) {
        (None, None) => None,
        (from, _) => {
            let source = args.input.source(from.as_deref(), "--from")?;
            let table = read_for_model::<T>(model, &source, &args.input.csv)?;
            let n = args.chains.min(table.features.rows());
            let first: Vec<usize> = (0..n).collect();
            Some(table.features.select_rows(&first))
        }
    };
    let start = match &rows {
        Some(x) => ChainStart::Data(x),
        None => ChainStart::Noise(args.chains),
    };
    let gaussian = match network {
        Network::Rbm(r) => r.visible() == Visible::Gaussian,
        Network::Dbn(d) => d.rbms()[0].visible() == Visible::Gaussian,
        _ => false,
    };
    Ok((picture::sample(network, start, run, &mut rng)?, gaussian))
}
