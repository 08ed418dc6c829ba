//! `layerwise filters MODEL -o filters.png`: the first layer's weights as a grid of tiles,
//! one per unit.

use super::load_model;
use anyhow::Context;
use clap::{Args, ValueEnum};
use layerwise_cli::model_file::SavedModel;
use layerwise_cli::network::AnyNetwork;
use layerwise_cli::picture::{first_layer_weights, tile_grid, ImageShape, Scale};
use std::path::PathBuf;

/// Draw each first-layer unit's incoming weights as a W × H tile (softmax regression: each
/// class's weights), in a grid with 1-pixel gaps, saved as PNG.
#[derive(Args, Debug)]
pub struct FiltersArgs {
    /// The model file
    pub model: PathBuf,

    /// Where to write the PNG
    #[arg(short, long, value_name = "FILE", default_value = "filters.png")]
    pub output: PathBuf,

    /// The tile's width × height [default: the image shape recorded at training]
    #[arg(long, value_name = "WxH")]
    pub shape: Option<ImageShape>,

    /// Draw only the first N units [default: all]
    #[arg(long, value_name = "N")]
    pub count: Option<usize>,

    /// Tiles per row [default: ⌈√count⌉]
    #[arg(long, value_name = "N")]
    pub columns: Option<usize>,

    /// Grey levels: `tile` maps each tile's min–max to black–white; `symmetric` maps 0 to
    /// mid-grey and ±the tile's max |w| to black and white
    #[arg(long, value_enum, default_value_t = TileScale::Tile)]
    pub scale: TileScale,
}

/// How a filter tile's weights become grey levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TileScale {
    /// Each tile's own minimum black, maximum white.
    Tile,
    /// 0 mid-grey, ±max |w| of the tile black and white.
    Symmetric,
}

/// Runs `layerwise filters`.
pub fn run(args: &FiltersArgs) -> anyhow::Result<()> {
    let model = load_model(&args.model)?;
    let shape = image_shape(&model, args.shape, "--shape")?;
    let mut tiles = match &model.network {
        AnyNetwork::F32(n) => first_layer_weights(n),
        AnyNetwork::F64(n) => first_layer_weights(n),
    };
    let count = args.count.unwrap_or(tiles.len());
    if count == 0 {
        anyhow::bail!("--count 0: nothing to draw (give at least 1)");
    }
    tiles.truncate(count);
    let columns = grid_columns(args.columns, tiles.len())?;
    let scale = match args.scale {
        TileScale::Tile => Scale::Tile,
        TileScale::Symmetric => Scale::Symmetric,
    };
    let image = tile_grid(&tiles, shape, columns, scale);
    image
        .save(&args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    println!(
        "wrote {} filters of {shape} ({} × {} pixels) to {}",
        tiles.len(),
        image.width,
        image.height,
        args.output.display()
    );
    Ok(())
}

/// The tile shape: the flag, else the one recorded at training; its pixels must be the
/// model's inputs.
pub fn image_shape(
    model: &SavedModel,
    flag: Option<ImageShape>,
    flag_name: &str,
) -> anyhow::Result<ImageShape> {
    let n_inputs = model.architecture().n_inputs;
    let Some(shape) = flag.or(model.config.data.image_shape) else {
        anyhow::bail!(
            "the model records no image shape (it was trained on CSV without --image-shape): \
             give {flag_name} WxH with W·H = {n_inputs}"
        );
    };
    if shape.pixels() != n_inputs {
        anyhow::bail!(
            "{flag_name} {shape} has {} pixels, but the model takes {n_inputs} inputs: \
             W·H must be {n_inputs}",
            shape.pixels()
        );
    }
    Ok(shape)
}

/// `--columns`, else ⌈√n⌉; at least 1.
pub fn grid_columns(flag: Option<usize>, n: usize) -> anyhow::Result<usize> {
    match flag {
        Some(0) => anyhow::bail!("--columns 0: give at least 1"),
        Some(c) => Ok(c),
        None => Ok((1..=n).find(|c| c * c >= n).unwrap_or(1)),
    }
}
