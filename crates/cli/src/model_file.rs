//! Model files: safetensors with the model's description in the metadata.
//!
//! The tensors are the parameters of every layer, named and shaped as in
//! [`crate::network`] (`layers.0.weight`, `layers.0.hidden_bias`, `layers.0.visible_bias`,
//! …, `logistic.weight`, `logistic.bias`), little-endian `F32` or `F64`, row-major. The
//! `__metadata__` map holds strings:
//!
//! | key | value |
//! |---|---|
//! | `format` | `layerwise` |
//! | `format_version` | `2` ([`FORMAT_VERSION`]) |
//! | `kind` | `dbn`, `sda`, `rbm`, `da`, `mlp` or `logistic` |
//! | `dtype` | `f32` or `f64` |
//! | `architecture` | JSON: `{"n_inputs":784,"hidden":[500,250],"n_classes":10}` |
//! | `config` | JSON: the resolved [`TrainConfig`] |
//! | `scaling` | JSON: the fitted [`Scaler`], e.g. `{"method":"divide","divisor":255.0}` |
//! | `classes` | JSON: the class names by index, `[]` for `rbm`, `da` |
//! | `metrics` | JSON: the [`TrainingRecord`] |
//! | `software` | the writer, e.g. `layerwise-cli 0.1.0` |
//! | `tensor_crc32` | CRC-32 of every tensor's name and bytes, in name order, as 8 hex digits |
//!
//! An `rbm` or a `da` has `"n_classes":null` in its architecture. The metrics hold no wall
//! times, and the header's keys are written in sorted order, so the same seed, data and
//! settings give the same file byte for byte.
//!
//! [`SavedModel::save`] writes a temporary file in the target's folder, syncs it and
//! renames it over the target, so a reader never sees half a model. [`SavedModel::load`]
//! checks every metadata value, every tensor's presence, dtype and shape, and that no
//! tensor is left over, and names what does not fit; last, that the tensors' checksum is
//! the one recorded, so a damaged byte anywhere in the file is refused.

use crate::config::{DecoderArg, Dtype, LossArg, ModelKind, TrainConfig};
use crate::error::{io_error, Error, Result};
use crate::network::{AnyNetwork, Architecture, Network};
use crate::record::TrainingRecord;
use crate::scaling::Scaler;
use layerwise_layers::{DenoisingAutoencoder, HiddenLayer, LogisticRegression, Loss, Rbm};
use layerwise_linalg::{Float, Matrix};
use layerwise_models::{Dbn, Mlp, Sda};
use safetensors::tensor::{Dtype as StDtype, SafeTensors, TensorView};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The value of the `format` key.
pub const FORMAT: &str = "layerwise";

/// The format version this build writes and reads (2 added `tensor_crc32`).
pub const FORMAT_VERSION: u32 = 2;

/// A model with everything needed to use it again: the network, the configuration it was
/// trained with, the fitted scaling, the class names and the training record.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedModel {
    /// The parameters.
    pub network: AnyNetwork,
    /// The resolved training configuration.
    pub config: TrainConfig,
    /// The scaling fitted on the training rows.
    pub scaler: Scaler,
    /// The class names by index (empty for `rbm` and `da`).
    pub classes: Vec<String>,
    /// What training recorded.
    pub record: TrainingRecord,
}

impl SavedModel {
    /// The model's kind.
    pub fn kind(&self) -> ModelKind {
        match &self.network {
            AnyNetwork::F32(n) => n.kind(),
            AnyNetwork::F64(n) => n.kind(),
        }
    }

    /// The float type of its parameters.
    pub fn dtype(&self) -> Dtype {
        match &self.network {
            AnyNetwork::F32(_) => Dtype::F32,
            AnyNetwork::F64(_) => Dtype::F64,
        }
    }

    /// Its shape.
    pub fn architecture(&self) -> Architecture {
        match &self.network {
            AnyNetwork::F32(n) => n.architecture(),
            AnyNetwork::F64(n) => n.architecture(),
        }
    }

    /// The `__metadata__` map the file holds.
    pub fn metadata(&self) -> HashMap<String, String> {
        self.metadata_with(self.tensor_checksum())
    }

    /// The metadata, with `tensor_crc32` given (so saving encodes the tensors once).
    fn metadata_with(&self, checksum: String) -> HashMap<String, String> {
        let entries = [
            ("format", FORMAT.to_string()),
            ("format_version", FORMAT_VERSION.to_string()),
            ("kind", self.kind().name().to_string()),
            ("dtype", self.dtype().name().to_string()),
            ("architecture", json(&self.architecture())),
            ("config", json(&self.config)),
            ("scaling", json(&self.scaler)),
            ("classes", json(&self.classes)),
            ("metrics", json(&self.record)),
            (
                "software",
                format!("layerwise-cli {}", env!("CARGO_PKG_VERSION")),
            ),
            ("tensor_crc32", checksum),
        ];
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    /// The checksum the `tensor_crc32` key records.
    fn tensor_checksum(&self) -> String {
        let tensors = match &self.network {
            AnyNetwork::F32(n) => encode_tensors(n),
            AnyNetwork::F64(n) => encode_tensors(n),
        };
        tensor_checksum(tensors.iter().map(|(n, _, b)| (n.as_str(), b.as_slice())))
    }

    /// The file's bytes.
    ///
    /// # Errors
    /// [`Error::ModelFormat`] when the safetensors writer fails (a header over its limit).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.to_bytes_with(Vec::new(), Vec::new())
    }

    /// The file's bytes with more tensors and metadata entries (a checkpoint's); with
    /// entries, the metadata is sealed by a CRC-32 of its own (`metadata_crc32`).
    pub(crate) fn to_bytes_with(
        &self,
        extra: Vec<RawTensor>,
        extra_meta: Vec<(String, String)>,
    ) -> Result<Vec<u8>> {
        let tensors = match &self.network {
            AnyNetwork::F32(n) => encode_tensors(n),
            AnyNetwork::F64(n) => encode_tensors(n),
        };
        let dtype = match self.dtype() {
            Dtype::F32 => StDtype::F32,
            Dtype::F64 => StDtype::F64,
        };
        let format_error = |e: safetensors::SafeTensorError| Error::ModelFormat {
            path: PathBuf::from("(model being saved)"),
            reason: e.to_string(),
        };
        let tensors: Vec<RawTensor> = tensors
            .into_iter()
            .map(|(name, shape, bytes)| (name, dtype, shape, bytes))
            .chain(extra)
            .collect();
        let mut views = Vec::with_capacity(tensors.len());
        for (name, dtype, shape, bytes) in &tensors {
            views.push((
                name.as_str(),
                TensorView::new(*dtype, shape.clone(), bytes).map_err(format_error)?,
            ));
        }
        let checksum = tensor_checksum(
            tensors
                .iter()
                .map(|(n, _, _, b)| (n.as_str(), b.as_slice())),
        );
        let mut metadata = self.metadata_with(checksum);
        let sealed = !extra_meta.is_empty();
        metadata.extend(extra_meta);
        if sealed {
            let crc = metadata_checksum(&metadata);
            metadata.insert(METADATA_CRC.to_string(), crc);
        }
        let bytes = safetensors::serialize(views, Some(metadata)).map_err(format_error)?;
        Ok(with_sorted_header(bytes))
    }

    /// Writes the model to `path`: a temporary file beside it, synced, then renamed over it.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file when it cannot be written (the temporary file is
    /// removed); those of [`SavedModel::to_bytes`].
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomically(path, &self.to_bytes()?)
    }

    /// Reads and checks a model file.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read; those of [`SavedModel::from_bytes`].
    pub fn load(path: &Path) -> Result<SavedModel> {
        let bytes = std::fs::read(path).map_err(io_error(path))?;
        SavedModel::from_bytes(&bytes, path)
    }

    /// A model from a file's bytes; `path` names the file in messages.
    ///
    /// # Errors
    /// [`Error::ModelFormat`] for bytes that are not safetensors or not a layerwise model;
    /// [`Error::Metadata`] for a missing key, a value that does not parse, an unsupported
    /// version, or values that contradict each other (the configuration's hidden sizes,
    /// the number of class names, the scaling's width against the architecture);
    /// [`Error::Tensor`] for a tensor that is missing, left over, or of the wrong dtype or
    /// shape; [`Error::Model`] should the layers still not make a model.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<SavedModel> {
        Ok(SavedModel::read(bytes, path, false)?.0)
    }

    /// A model, or (`checkpoint`) a checkpoint's model with its `checkpoint` metadata
    /// value and its `resume.` tensors; refuses the other kind of file.
    pub(crate) fn read(
        bytes: &[u8],
        path: &Path,
        checkpoint: bool,
    ) -> Result<(SavedModel, Option<CheckpointParts>)> {
        let not_ours = |reason: String| Error::ModelFormat {
            path: path.to_path_buf(),
            reason,
        };
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| not_ours(e.to_string()))?;
        let tensors = SafeTensors::deserialize(bytes).map_err(|e| not_ours(e.to_string()))?;
        let Some(meta) = header.metadata().as_ref() else {
            return Err(not_ours("the file has no __metadata__".into()));
        };
        let meta = MetaReader { path, meta };
        let format = meta.get("format")?;
        if format != FORMAT {
            return Err(not_ours(format!("its metadata says format {format:?}")));
        }
        let version = meta.get("format_version")?;
        if version.parse::<u32>() != Ok(FORMAT_VERSION) {
            let reason = format!("version {version:?}; this build reads version {FORMAT_VERSION}");
            return Err(meta.error("format_version", reason));
        }
        let is_checkpoint = meta.meta.contains_key("checkpoint");
        if checkpoint != is_checkpoint {
            return Err(Error::WrongFileKind {
                path: path.to_path_buf(),
                is_checkpoint,
            });
        }
        if checkpoint {
            // a checkpoint's metadata steers the rest of a run: it is sealed too
            let recorded = meta.get(METADATA_CRC)?;
            let found = metadata_checksum(meta.meta);
            if found != recorded {
                let reason = format!(
                    "the metadata's CRC-32 is {found}, not {recorded:?}: the file is damaged \
                     or was edited"
                );
                return Err(meta.error(METADATA_CRC, reason));
            }
        }
        let kind = meta.get("kind")?;
        let kind = ModelKind::from_name(kind)
            .ok_or_else(|| meta.error("kind", format!("{kind:?} is not a kind of model")))?;
        let dtype = match meta.get("dtype")? {
            "f32" => Dtype::F32,
            "f64" => Dtype::F64,
            other => return Err(meta.error("dtype", format!("{other:?} is not f32 or f64"))),
        };
        let arch: Architecture = meta.json("architecture")?;
        let config: TrainConfig = meta.json("config")?;
        let scaler: Scaler = meta.json("scaling")?;
        let classes: Vec<String> = meta.json("classes")?;
        let record: TrainingRecord = meta.json("metrics")?;
        check_consistency(&meta, kind, &arch, &config, &scaler, &classes)?;

        let store = TensorStore {
            path,
            tensors: &tensors,
            dtype,
            skipped: if checkpoint { RESUME_PREFIX } else { "" },
        };
        store.check_names(kind, &arch, &config)?;
        let network = match dtype {
            Dtype::F32 => AnyNetwork::F32(build(kind, &arch, &config, &store)?),
            Dtype::F64 => AnyNetwork::F64(build(kind, &arch, &config, &store)?),
        };
        // Last, so that a tensor of the wrong shape or name is named as such.
        let recorded = meta.get("tensor_crc32")?;
        let views = tensors.tensors();
        let found = tensor_checksum(views.iter().map(|(n, v)| (n.as_str(), v.data())));
        if found != recorded {
            let reason =
                format!("the tensors' CRC-32 is {found}, not {recorded:?}: the file is damaged");
            return Err(meta.error("tensor_crc32", reason));
        }
        let model = SavedModel {
            network,
            config,
            scaler,
            classes,
            record,
        };
        if !checkpoint {
            return Ok((model, None));
        }
        let state = meta.get("checkpoint")?.to_string();
        let resume = views
            .into_iter()
            .filter(|(n, _)| n.starts_with(RESUME_PREFIX))
            .map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec()))
            .collect();
        Ok((model, Some((state, resume))))
    }
}

/// The key of a checkpoint's metadata checksum.
const METADATA_CRC: &str = "metadata_crc32";

/// CRC-32 of every metadata entry but [`METADATA_CRC`]: key, length and value, in key
/// order, as 8 hex digits.
fn metadata_checksum(meta: &HashMap<String, String>) -> String {
    let mut entries: Vec<(&String, &String)> =
        meta.iter().filter(|(k, _)| *k != METADATA_CRC).collect();
    entries.sort_unstable();
    let mut crc = crc32fast::Hasher::new();
    for (key, value) in entries {
        crc.update(key.as_bytes());
        crc.update(&(value.len() as u64).to_le_bytes());
        crc.update(value.as_bytes());
    }
    format!("{:08x}", crc.finalize())
}

/// A tensor as the file holds it: name, dtype, shape and little-endian bytes.
pub(crate) type RawTensor = (String, StDtype, Vec<usize>, Vec<u8>);

/// What a checkpoint holds besides its model: the `checkpoint` metadata value and the
/// `resume.` tensors.
pub(crate) type CheckpointParts = (String, Vec<RawTensor>);

/// The prefix of a checkpoint's own tensors, which are not the model's.
pub(crate) const RESUME_PREFIX: &str = "resume.";

/// The same safetensors file with its JSON header's keys in sorted order: the writer
/// takes the metadata as a hash map, whose order changes from run to run.
///
/// The layout is an 8-byte little-endian header length n, n bytes of JSON padded with
/// spaces to a multiple of 8, then the tensor bytes, which the header's offsets address
/// from the end of the header; so reordering the header's keys moves no tensor byte.
fn with_sorted_header(bytes: Vec<u8>) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + n]).expect("the writer's header is JSON");
    let sorted: BTreeMap<String, serde_json::Value> = header
        .into_iter()
        .map(|(key, value)| (key, sorted_json(value)))
        .collect();
    let mut json = serde_json::to_vec(&sorted).expect("JSON serialises");
    json.resize(json.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + json.len() + bytes.len() - 8 - n);
    out.extend((json.len() as u64).to_le_bytes());
    out.extend(json);
    out.extend(&bytes[8 + n..]);
    out
}

/// A JSON value with every object's keys sorted, whatever map serde_json is built with.
fn sorted_json(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let sorted: BTreeMap<String, serde_json::Value> =
                map.into_iter().map(|(k, v)| (k, sorted_json(v))).collect();
            serde_json::Value::Object(sorted.into_iter().collect())
        }
        other => other,
    }
}

/// CRC-32 of each tensor's name and bytes, taken in name order (the order of the file's
/// data section is the writer's business), as 8 lowercase hex digits.
fn tensor_checksum<'a>(tensors: impl Iterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut sorted: Vec<_> = tensors.collect();
    sorted.sort_unstable_by_key(|&(name, _)| name);
    let mut crc = crc32fast::Hasher::new();
    for (name, bytes) in sorted {
        crc.update(name.as_bytes());
        crc.update(&(bytes.len() as u64).to_le_bytes());
        crc.update(bytes);
    }
    format!("{:08x}", crc.finalize())
}

/// A metadata value as JSON.
fn json<V: serde::Serialize + ?Sized>(value: &V) -> String {
    serde_json::to_string(value).expect("metadata values always serialise")
}

/// The tensors as `(name, shape, little-endian bytes)`.
fn encode_tensors<T: Float>(network: &Network<T>) -> Vec<(String, Vec<usize>, Vec<u8>)> {
    let tensors = network.tensors();
    tensors
        .into_iter()
        .map(|(name, shape, values)| (name, shape, encode(values)))
        .collect()
}

/// Values as little-endian bytes of their own float type.
pub(crate) fn encode<T: Float>(values: &[T]) -> Vec<u8> {
    match T::NAME {
        "f32" => values
            .iter()
            .flat_map(|v| (v.to_f64() as f32).to_le_bytes())
            .collect(),
        _ => values
            .iter()
            .flat_map(|v| v.to_f64().to_le_bytes())
            .collect(),
    }
}

/// Little-endian bytes of `dtype` (`F32` or `F64`) as values; `None` for another dtype.
pub(crate) fn decode<T: Float>(dtype: StDtype, data: &[u8]) -> Option<Vec<T>> {
    match dtype {
        StDtype::F32 => Some(
            data.chunks_exact(4)
                .map(|b| T::from_f64(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))))
                .collect(),
        ),
        StDtype::F64 => Some(
            data.chunks_exact(8)
                .map(|b| T::from_f64(f64::from_le_bytes(b.try_into().expect("8 bytes"))))
                .collect(),
        ),
        _ => None,
    }
}

/// Writes `bytes` to a temporary file in `path`'s folder, syncs it and renames it over
/// `path`; the folder is synced too where the system allows it.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let Some(name) = path.file_name() else {
        return Err(Error::InvalidSetting {
            name: "output",
            value: path.display().to_string(),
            expected: "a file name".into(),
        });
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Io {
            path: path.to_path_buf(),
            source,
        });
    }
    if let Ok(folder) = std::fs::File::open(&dir) {
        // a folder cannot be synced everywhere; the rename is already done
        let _ = folder.sync_all();
    }
    Ok(())
}

/// The metadata map, read key by key with errors naming the key.
struct MetaReader<'a> {
    path: &'a Path,
    meta: &'a HashMap<String, String>,
}

impl MetaReader<'_> {
    fn error(&self, key: &'static str, reason: String) -> Error {
        Error::Metadata {
            path: self.path.to_path_buf(),
            key,
            reason,
        }
    }

    fn get(&self, key: &'static str) -> Result<&str> {
        self.meta
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| self.error(key, "missing".into()))
    }

    fn json<V: serde::de::DeserializeOwned>(&self, key: &'static str) -> Result<V> {
        serde_json::from_str(self.get(key)?).map_err(|e| self.error(key, e.to_string()))
    }
}

/// The metadata values that must agree with each other.
fn check_consistency(
    meta: &MetaReader<'_>,
    kind: ModelKind,
    arch: &Architecture,
    config: &TrainConfig,
    scaler: &Scaler,
    classes: &[String],
) -> Result<()> {
    if config.hidden() != arch.hidden {
        let reason = format!(
            "hidden sizes {:?}, the architecture {:?}",
            config.hidden(),
            arch.hidden
        );
        return Err(meta.error("config", reason));
    }
    let n_classes = arch.n_classes.unwrap_or(0);
    if kind.is_classifier() != arch.n_classes.is_some() || (kind.is_classifier() && n_classes < 2) {
        let reason = format!("{:?} classes for a {kind} model", arch.n_classes);
        return Err(meta.error("architecture", reason));
    }
    if classes.len() != n_classes {
        let reason = format!("{} names for {n_classes} classes", classes.len());
        return Err(meta.error("classes", reason));
    }
    if let Some(n) = scaler.n_features().filter(|&n| n != arch.n_inputs) {
        let reason = format!("fitted on {n} features, the model takes {}", arch.n_inputs);
        return Err(meta.error("scaling", reason));
    }
    let layers_fit = match kind {
        ModelKind::Rbm | ModelKind::Da => arch.hidden.len() == 1,
        ModelKind::Dbn | ModelKind::Sda => !arch.hidden.is_empty(),
        ModelKind::Logistic => arch.hidden.is_empty(),
        ModelKind::Mlp => true,
    };
    if !layers_fit || arch.n_inputs == 0 || arch.hidden.contains(&0) {
        let reason = format!("{} is not a {kind} model", arch.arrows());
        return Err(meta.error("architecture", reason));
    }
    Ok(())
}

/// The file's tensors, read with errors naming the tensor.
struct TensorStore<'a> {
    path: &'a Path,
    tensors: &'a SafeTensors<'a>,
    dtype: Dtype,
    /// The prefix of tensors that are not the model's (a checkpoint's), or "" for none.
    skipped: &'static str,
}

impl TensorStore<'_> {
    fn error(&self, name: &str, reason: String) -> Error {
        Error::Tensor {
            path: self.path.to_path_buf(),
            name: name.to_string(),
            reason,
        }
    }

    /// Every expected tensor there with its dtype and shape, and no other.
    fn check_names(
        &self,
        kind: ModelKind,
        arch: &Architecture,
        config: &TrainConfig,
    ) -> Result<()> {
        let expected = arch.tensor_shapes(kind, config.pretrain.decoder);
        let st_dtype = match self.dtype {
            Dtype::F32 => StDtype::F32,
            Dtype::F64 => StDtype::F64,
        };
        for (name, shape) in &expected {
            let Ok(view) = self.tensors.tensor(name) else {
                let reason = format!("missing (a {kind} model {} has one)", arch.arrows());
                return Err(self.error(name, reason));
            };
            if view.dtype() != st_dtype {
                let reason = format!(
                    "dtype {:?}, the metadata says {}",
                    view.dtype(),
                    self.dtype.name()
                );
                return Err(self.error(name, reason));
            }
            if view.shape() != shape.as_slice() {
                let reason = format!(
                    "shape {:?}, but the architecture {} needs {shape:?}",
                    view.shape(),
                    arch.arrows()
                );
                return Err(self.error(name, reason));
            }
        }
        let mut names = self.tensors.names();
        names.retain(|n| self.skipped.is_empty() || !n.starts_with(self.skipped));
        names.sort_unstable();
        if let Some(extra) = names
            .iter()
            .find(|n| !expected.iter().any(|(e, _)| e == *n))
        {
            let reason = format!("not part of a {kind} model {}", arch.arrows());
            return Err(self.error(extra, reason));
        }
        Ok(())
    }

    /// The values of a tensor whose dtype and shape are already checked.
    fn values<T: Float>(&self, name: &str) -> Result<Vec<T>> {
        let view = self
            .tensors
            .tensor(name)
            .map_err(|e| self.error(name, e.to_string()))?;
        let st_dtype = match self.dtype {
            Dtype::F32 => StDtype::F32,
            Dtype::F64 => StDtype::F64,
        };
        Ok(decode(st_dtype, view.data()).expect("a float dtype"))
    }

    fn matrix<T: Float>(&self, name: &str, rows: usize, cols: usize) -> Result<Matrix<T>> {
        let values = self.values(name)?;
        Matrix::from_vec(rows, cols, values).map_err(|e| self.error(name, e.to_string()))
    }

    /// Hidden layer `l` mapping `n_in` to `n_out`.
    fn hidden<T: Float>(&self, l: usize, n_in: usize, n_out: usize) -> Result<HiddenLayer<T>> {
        let w = self.matrix(&format!("layers.{l}.weight"), n_out, n_in)?;
        let b = self.values(&format!("layers.{l}.hidden_bias"))?;
        Ok(HiddenLayer::from_parts(w, b))
    }

    fn visible<T: Float>(&self, l: usize) -> Result<Vec<T>> {
        self.values(&format!("layers.{l}.visible_bias"))
    }

    fn logistic<T: Float>(&self, n_in: usize, n_classes: usize) -> Result<LogisticRegression<T>> {
        let w = self.matrix("logistic.weight", n_classes, n_in)?;
        Ok(LogisticRegression::from_parts(
            w,
            self.values("logistic.bias")?,
        ))
    }
}

/// The network from checked tensors.
fn build<T: Float>(
    kind: ModelKind,
    arch: &Architecture,
    config: &TrainConfig,
    store: &TensorStore<'_>,
) -> Result<Network<T>> {
    let sizes: Vec<(usize, usize)> = std::iter::once(arch.n_inputs)
        .chain(arch.hidden.iter().copied())
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| (w[0], w[1]))
        .collect();
    let n_top = arch.hidden.last().copied().unwrap_or(arch.n_inputs);
    let top = |store: &TensorStore<'_>| store.logistic(n_top, arch.n_classes.unwrap_or(0));
    let rbms = || -> Result<Vec<Rbm<T>>> {
        let layers = sizes.iter().enumerate().map(|(l, &(n_in, n_out))| {
            let rbm = Rbm::from_parts(store.hidden(l, n_in, n_out)?, store.visible(l)?);
            Ok(match l {
                0 => rbm.with_visible(config.network.visible.units()),
                _ => rbm,
            })
        });
        layers.collect()
    };
    let loss = match config.pretrain.loss {
        LossArg::CrossEntropy => Loss::CrossEntropy,
        LossArg::SquaredError => Loss::SquaredError,
    };
    let das = || -> Result<Vec<DenoisingAutoencoder<T>>> {
        let layers = sizes.iter().enumerate().map(|(l, &(n_in, n_out))| {
            let encoder = store.hidden(l, n_in, n_out)?;
            let visible = store.visible(l)?;
            let da = match config.pretrain.decoder {
                DecoderArg::Tied => DenoisingAutoencoder::from_parts(encoder, visible),
                DecoderArg::Untied => {
                    let w = store.matrix(&format!("layers.{l}.decoder_weight"), n_in, n_out)?;
                    DenoisingAutoencoder::from_parts_untied(encoder, w, visible)
                }
            };
            Ok(da.with_loss(loss))
        });
        layers.collect()
    };
    let hidden = || -> Result<Vec<HiddenLayer<T>>> {
        let layers = sizes
            .iter()
            .enumerate()
            .map(|(l, &(n_in, n_out))| store.hidden(l, n_in, n_out));
        layers.collect()
    };
    Ok(match kind {
        ModelKind::Dbn => Network::Dbn(Dbn::from_parts(rbms()?, top(store)?, &config.dbn())?),
        ModelKind::Sda => Network::Sda(Sda::from_parts(das()?, top(store)?, &config.sda())?),
        ModelKind::Mlp => Network::Mlp(Mlp::from_parts(hidden()?, top(store)?, &config.mlp())?),
        ModelKind::Logistic => {
            Network::Logistic(Mlp::from_parts(vec![], top(store)?, &config.mlp())?)
        }
        ModelKind::Rbm => Network::Rbm(rbms()?.remove(0)),
        ModelKind::Da => Network::Da(das()?.remove(0)),
    })
}
