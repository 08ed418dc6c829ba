//! Training checkpoints: a model file of the partly trained network, plus where training
//! stopped, so that `layerwise train --resume` carries on to the very bits an uninterrupted
//! run would have saved.
//!
//! A checkpoint is a [`crate::model_file`] file (same tensors, same metadata, the record of
//! the epochs trained so far) with, in addition:
//!
//! - metadata `checkpoint`, JSON: the layer (`null` in fine-tuning), epoch, rows done,
//!   running loss, learning rate, best validation loss and epoch (floats as the 16 hex
//!   digits of their bits); `rng`, the generator (ChaCha8 seed as 64 hex digits, stream,
//!   word position); `monitor_rng`, RBM monitoring's generators when the DBN is monitored;
//!   `data_crc32`, a CRC-32 of the training and validation rows and labels after scaling;
//!   `state`, the names of the state tensors; `output`, `checkpoint`, `checkpoint_every`
//!   and `started_in`, the interrupted run's `-o`, `--checkpoint`, `--checkpoint-every`
//!   and working folder;
//! - tensor `resume.order` (`U64`): the epoch's shuffled row order;
//! - tensors `resume.state.NAME` (the model's dtype, `(rows, cols)`): the optimiser's state,
//!   velocities, persistent chains, the best epoch's weights;
//! - metadata `metadata_crc32`: a CRC-32 of every other metadata entry (key, length,
//!   value, in key order).
//!
//! The `tensor_crc32` covers these tensors too. Saving is atomic, as for models: a
//! temporary file beside the target, synced, renamed over it.

use crate::config::Dtype;
use crate::error::{io_error, Error, Result};
use crate::model_file::{decode, encode, write_atomically, RawTensor, SavedModel, RESUME_PREFIX};
use layerwise_data::Dataset;
use layerwise_linalg::{Float, Matrix};
use layerwise_models::Pause;
use rand_chacha::ChaCha8Rng;
use safetensors::tensor::Dtype as StDtype;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A [`Pause`] of either float type.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyPause {
    /// Of an `f32` model.
    F32(Pause<f32>),
    /// Of an `f64` model.
    F64(Pause<f64>),
}

impl From<Pause<f32>> for AnyPause {
    fn from(p: Pause<f32>) -> Self {
        AnyPause::F32(p)
    }
}

impl From<Pause<f64>> for AnyPause {
    fn from(p: Pause<f64>) -> Self {
        AnyPause::F64(p)
    }
}

/// Where the interrupted run wrote, and the folder it started in (so that `--resume` finds
/// relative paths from anywhere). `None` for a path that is not UTF-8.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunFiles {
    /// The model file it was to save (`-o`).
    pub output: Option<PathBuf>,
    /// Where it wrote checkpoints (`--checkpoint`).
    pub checkpoint: Option<PathBuf>,
    /// Its `--checkpoint-every`.
    pub every: Option<usize>,
    /// The working folder it started in.
    pub started_in: Option<PathBuf>,
}

/// Everything `layerwise train --resume` needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The network so far, its configuration, scaling, classes and the record so far.
    pub model: SavedModel,
    /// Where the training loop stopped.
    pub pause: AnyPause,
    /// The generator, as it was when training stopped.
    pub rng: ChaCha8Rng,
    /// [`data_checksum`] of the rows trained on.
    pub data_crc32: String,
    /// The run's files.
    pub run: RunFiles,
}

/// The `checkpoint` metadata value.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct State {
    layer: Option<usize>,
    epoch: usize,
    rows_done: usize,
    loss_sum: String,
    learning_rate: String,
    best_loss: String,
    best_epoch: Option<usize>,
    rng: RngState,
    monitor_rng: Option<(RngState, Option<RngState>)>,
    data_crc32: String,
    /// The names of the `resume.state.` tensors, in the pause's order.
    state: Vec<String>,
    output: Option<String>,
    checkpoint: Option<String>,
    checkpoint_every: Option<usize>,
    started_in: Option<String>,
}

/// A ChaCha8 generator: seed, stream and position in its stream.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RngState {
    seed: String,
    stream: u64,
    word_pos: String,
}

impl RngState {
    fn of(rng: &ChaCha8Rng) -> Self {
        let seed: String = rng.get_seed().iter().map(|b| format!("{b:02x}")).collect();
        RngState {
            seed,
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos().to_string(),
        }
    }

    fn generator(&self) -> std::result::Result<ChaCha8Rng, String> {
        let hex = self.seed.as_bytes();
        if hex.len() != 64 || !self.seed.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("seed {:?} is not 64 hex digits", self.seed));
        }
        let mut seed = [0u8; 32];
        for (i, byte) in seed.iter_mut().enumerate() {
            let pair = std::str::from_utf8(&hex[2 * i..2 * i + 2]).expect("hex digits");
            *byte = u8::from_str_radix(pair, 16).expect("hex digits");
        }
        let word_pos: u128 = self
            .word_pos
            .parse()
            .map_err(|_| format!("word_pos {:?} is not a whole number", self.word_pos))?;
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::from_seed(seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(word_pos);
        Ok(rng)
    }
}

fn utf8(path: &Option<PathBuf>) -> Option<String> {
    path.as_ref().and_then(|p| p.to_str()).map(str::to_string)
}

fn bits(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

fn from_bits(field: &str, s: &str) -> std::result::Result<f64, String> {
    match (s.len(), u64::from_str_radix(s, 16)) {
        (16, Ok(b)) => Ok(f64::from_bits(b)),
        _ => Err(format!("{field} {s:?} is not 16 hex digits")),
    }
}

/// CRC-32 of the training rows and labels, then of the validation rows and labels when
/// there are some, as 8 hex digits: a resumed run refuses data that changed.
pub fn data_checksum<T: Float>(train: &Dataset<T>, validation: Option<&Dataset<T>>) -> String {
    let mut crc = crc32fast::Hasher::new();
    for data in std::iter::once(train).chain(validation) {
        let x = data.features();
        crc.update(&(x.rows() as u64).to_le_bytes());
        crc.update(&(x.cols() as u64).to_le_bytes());
        for row in x.as_slice().chunks(4096) {
            crc.update(&encode(row));
        }
        for &label in data.labels() {
            crc.update(&(label as u64).to_le_bytes());
        }
    }
    format!("{:08x}", crc.finalize())
}

impl Checkpoint {
    /// The file's bytes.
    ///
    /// # Errors
    /// [`Error::ModelFormat`] when the safetensors writer fails.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let (state, tensors) = match &self.pause {
            AnyPause::F32(p) => self.encode(p),
            AnyPause::F64(p) => self.encode(p),
        };
        let json = serde_json::to_string(&state).expect("the state serialises");
        self.model
            .to_bytes_with(tensors, vec![("checkpoint".into(), json)])
    }

    fn encode<T: Float>(&self, p: &Pause<T>) -> (State, Vec<RawTensor>) {
        let dtype = match T::NAME {
            "f32" => StDtype::F32,
            _ => StDtype::F64,
        };
        let order: Vec<u8> = p
            .order
            .iter()
            .flat_map(|&i| (i as u64).to_le_bytes())
            .collect();
        let mut tensors = vec![(
            format!("{RESUME_PREFIX}order"),
            StDtype::U64,
            vec![p.order.len()],
            order,
        )];
        for (name, m) in &p.tensors {
            let shape = vec![m.rows(), m.cols()];
            let name = format!("{RESUME_PREFIX}state.{name}");
            tensors.push((name, dtype, shape, encode(m.as_slice())));
        }
        let state = State {
            layer: p.layer,
            epoch: p.epoch,
            rows_done: p.rows_done,
            loss_sum: bits(p.loss_sum),
            learning_rate: bits(p.learning_rate),
            best_loss: bits(p.best_loss),
            best_epoch: p.best_epoch,
            rng: RngState::of(&self.rng),
            monitor_rng: p
                .monitor_rng
                .as_ref()
                .map(|(start, now)| (RngState::of(start), now.as_ref().map(RngState::of))),
            data_crc32: self.data_crc32.clone(),
            state: p.tensors.iter().map(|(n, _)| n.clone()).collect(),
            output: utf8(&self.run.output),
            checkpoint: utf8(&self.run.checkpoint),
            checkpoint_every: self.run.every,
            started_in: utf8(&self.run.started_in),
        };
        (state, tensors)
    }

    /// Where its training stopped, in words: `pretraining layer 2, epoch 1, after 13050 of
    /// 54000 rows`, `fine-tuning, before epoch 3`.
    pub fn where_stopped(&self) -> String {
        let (layer, epoch, rows_done, n_rows) = match &self.pause {
            AnyPause::F32(p) => (p.layer, p.epoch, p.rows_done, p.order.len()),
            AnyPause::F64(p) => (p.layer, p.epoch, p.rows_done, p.order.len()),
        };
        let phase = match layer {
            Some(l) => format!("pretraining layer {}", l + 1),
            None => "fine-tuning".to_string(),
        };
        match n_rows {
            0 => format!("{phase}, before epoch {}", epoch + 1),
            n => format!(
                "{phase}, epoch {}, after {rows_done} of {n} rows",
                epoch + 1
            ),
        }
    }

    /// Writes the checkpoint atomically: a temporary file beside `path`, synced, then
    /// renamed over it, so an earlier checkpoint there survives a crash whole.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file; those of [`Checkpoint::to_bytes`].
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomically(path, &self.to_bytes()?)
    }

    /// Reads and checks a checkpoint.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read; those of [`Checkpoint::from_bytes`].
    pub fn load(path: &Path) -> Result<Checkpoint> {
        let bytes = std::fs::read(path).map_err(io_error(path))?;
        Checkpoint::from_bytes(&bytes, path)
    }

    /// A checkpoint from a file's bytes; `path` names the file in messages.
    ///
    /// # Errors
    /// Those of [`SavedModel::from_bytes`] (a model file is refused as not a checkpoint);
    /// [`Error::Metadata`] for a `checkpoint` value that does not parse; [`Error::Tensor`]
    /// for a `resume.` tensor that is missing, left over or of the wrong dtype or shape.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Checkpoint> {
        let (model, resume) = SavedModel::read(bytes, path, true)?;
        let (json, tensors) = resume.expect("read for a checkpoint");
        let meta_error = |reason: String| Error::Metadata {
            path: path.to_path_buf(),
            key: "checkpoint",
            reason,
        };
        let state: State = serde_json::from_str(&json).map_err(|e| meta_error(e.to_string()))?;
        let rng = state.rng.generator().map_err(meta_error)?;
        let pause = match model.dtype() {
            Dtype::F32 => AnyPause::F32(pause(&state, tensors, path)?),
            Dtype::F64 => AnyPause::F64(pause(&state, tensors, path)?),
        };
        let run = RunFiles {
            output: state.output.map(PathBuf::from),
            checkpoint: state.checkpoint.map(PathBuf::from),
            every: state.checkpoint_every,
            started_in: state.started_in.map(PathBuf::from),
        };
        Ok(Checkpoint {
            model,
            pause,
            rng,
            data_crc32: state.data_crc32,
            run,
        })
    }
}

/// The pause a checkpoint's state and `resume.` tensors describe.
fn pause<T: Float>(state: &State, tensors: Vec<RawTensor>, path: &Path) -> Result<Pause<T>> {
    let meta_error = |reason: String| Error::Metadata {
        path: path.to_path_buf(),
        key: "checkpoint",
        reason,
    };
    let tensor_error = |name: &str, reason: String| Error::Tensor {
        path: PathBuf::from(path),
        name: name.to_string(),
        reason,
    };
    let order_name = format!("{RESUME_PREFIX}order");
    let mut tensors: Vec<Option<RawTensor>> = tensors.into_iter().map(Some).collect();
    let mut take = |name: &str| {
        let slot = tensors
            .iter_mut()
            .find(|t| t.as_ref().is_some_and(|t| t.0 == name));
        slot.and_then(Option::take)
            .ok_or_else(|| tensor_error(name, "missing from the checkpoint".into()))
    };
    let (_, dtype, shape, data) = take(&order_name)?;
    if dtype != StDtype::U64 || shape.len() != 1 {
        let reason = format!("dtype {dtype:?} and shape {shape:?}, not U64 of one dimension");
        return Err(tensor_error(&order_name, reason));
    }
    let mut order = Vec::with_capacity(shape[0]);
    for b in data.chunks_exact(8) {
        let i = u64::from_le_bytes(b.try_into().expect("8 bytes"));
        let i = usize::try_from(i).map_err(|_| tensor_error(&order_name, format!("row {i}")))?;
        order.push(i);
    }
    let want = match T::NAME {
        "f32" => StDtype::F32,
        _ => StDtype::F64,
    };
    let mut state_tensors = Vec::with_capacity(state.state.len());
    for name in &state.state {
        let full = format!("{RESUME_PREFIX}state.{name}");
        let (_, dtype, shape, data) = take(&full)?;
        let [rows, cols] = shape[..] else {
            let reason = format!("shape {shape:?}: state tensors have two dimensions");
            return Err(tensor_error(&full, reason));
        };
        if dtype != want {
            let reason = format!("dtype {dtype:?}, the model's is {}", T::NAME);
            return Err(tensor_error(&full, reason));
        }
        let values = decode::<T>(dtype, &data).expect("a float dtype");
        let m =
            Matrix::from_vec(rows, cols, values).map_err(|e| tensor_error(&full, e.to_string()))?;
        state_tensors.push((name.clone(), m));
    }
    if let Some((name, ..)) = tensors.into_iter().flatten().next() {
        let reason = "not part of the checkpoint's state (not in checkpoint.state)".into();
        return Err(tensor_error(&name, reason));
    }
    let monitor_rng = match &state.monitor_rng {
        None => None,
        Some((start, now)) => {
            let now = now.as_ref().map(RngState::generator).transpose();
            Some((
                start.generator().map_err(meta_error)?,
                now.map_err(meta_error)?,
            ))
        }
    };
    let loss_sum = from_bits("loss_sum", &state.loss_sum).map_err(meta_error)?;
    let learning_rate = from_bits("learning_rate", &state.learning_rate).map_err(meta_error)?;
    let best_loss = from_bits("best_loss", &state.best_loss).map_err(meta_error)?;
    // a run that diverged stops with an error, so a checkpoint never holds these
    if !loss_sum.is_finite() || !learning_rate.is_finite() || best_loss.is_nan() {
        let reason = format!(
            "loss_sum {loss_sum}, learning_rate {learning_rate}, best_loss {best_loss}: \
             not finite"
        );
        return Err(meta_error(reason));
    }
    Ok(Pause {
        layer: state.layer,
        epoch: state.epoch,
        order,
        rows_done: state.rows_done,
        loss_sum,
        tensors: state_tensors,
        learning_rate,
        best_loss,
        best_epoch: state.best_epoch,
        monitor_rng,
    })
}
