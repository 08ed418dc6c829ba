//! The IDX file format of MNIST and Fashion-MNIST, plain or gzipped.
//!
//! An IDX file is a big-endian header followed by the array's elements, row-major:
//!
//! | bytes | content |
//! |---|---|
//! | 0–1 | zero |
//! | 2 | element type: `0x08` unsigned byte (the only one supported here) |
//! | 3 | number of dimensions d |
//! | 4 … 4 + 4d | each dimension as a `u32` |
//! | then | d₀ · d₁ ⋯ elements |
//!
//! The reader checks the element count against the data before it allocates for it, so a
//! corrupt header claiming billions of elements fails quickly and with little memory.
//! Image files `(n_images, rows, cols)` become features `(n_images, rows · cols)` scaled by
//! 1/255 into [0, 1].

use crate::{Dataset, Error, Result};
use flate2::read::MultiGzDecoder;
use layerwise_linalg::{Float, Matrix};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The most dimensions an IDX file may declare.
pub const MAX_IDX_DIMS: u8 = 4;

/// Where the `dataset-fashion-mnist` package installs Fashion-MNIST.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The names of the ten Fashion-MNIST classes, by label.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// The unsigned-byte element type code.
const TYPE_U8: u8 = 0x08;

/// The first two bytes of a gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An IDX array of unsigned bytes: its dimensions and its elements in row-major order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// The dimensions, outermost first, e.g. `[n_images, rows, cols]`.
    pub dims: Vec<usize>,
    /// The `dims.iter().product()` elements.
    pub data: Vec<u8>,
}

/// Reads an IDX file of unsigned bytes, gzipped (detected by its magic `1f 8b`) or plain.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read or decompressed, and every error of
/// [`parse_idx`]; each names `path`.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    let io_err = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let len = file.metadata().map_err(io_err)?.len();
    let mut reader = BufReader::new(file);
    if reader.fill_buf().map_err(io_err)?.starts_with(&GZIP_MAGIC) {
        parse_idx(MultiGzDecoder::new(reader), None, path)
    } else {
        parse_idx(reader, Some(len), path)
    }
}

/// Parses an IDX array of unsigned bytes from `reader`.
///
/// `source_len` is the stream's length in bytes when known (a plain file's size): then a
/// length that does not fit the header is reported before anything is allocated. Without it
/// the data is read through a limit of one byte more than the header implies, so memory grows
/// only with the bytes really present. `path` names the source in errors.
///
/// # Errors
/// [`Error::BadMagic`], [`Error::UnsupportedElementType`], [`Error::BadDimensionCount`] or
/// [`Error::SizeOverflow`] for a bad header; [`Error::Truncated`] or
/// [`Error::TrailingBytes`] when the data is shorter or longer than the header says;
/// [`Error::Io`] when reading fails.
///
/// # Examples
/// ```
/// use layerwise_data::parse_idx;
/// use std::path::Path;
/// let bytes = [0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6];
/// let array = parse_idx(&bytes[..], Some(18), Path::new("inline")).unwrap();
/// assert_eq!(array.dims, vec![2, 3]);
/// assert_eq!(array.data, vec![1, 2, 3, 4, 5, 6]);
/// assert!(parse_idx(&bytes[..17], Some(17), Path::new("inline")).is_err());
/// ```
pub fn parse_idx<R: Read>(mut reader: R, source_len: Option<u64>, path: &Path) -> Result<IdxArray> {
    let dims = read_header(&mut reader, path)?;
    let n_items = checked_product(&dims).ok_or_else(|| Error::SizeOverflow {
        path: path.to_path_buf(),
        dims: dims.clone(),
    })?;
    let header_len = 4 + 4 * dims.len() as u64;
    let expected = header_len.saturating_add(n_items);
    let data = match source_len {
        Some(len) => read_known_length(reader, header_len, expected, len, path)?,
        None => read_bounded(reader, header_len, expected, path)?,
    };
    Ok(IdxArray { dims, data })
}

/// Reads and checks the magic and the dimensions.
fn read_header<R: Read>(reader: &mut R, path: &Path) -> Result<Vec<usize>> {
    let mut magic = [0_u8; 4];
    read_full(reader, &mut magic, 4, path)?;
    if magic[0] != 0 || magic[1] != 0 {
        return Err(Error::BadMagic {
            path: path.to_path_buf(),
            found: magic,
        });
    }
    if magic[2] != TYPE_U8 {
        return Err(Error::UnsupportedElementType {
            path: path.to_path_buf(),
            code: magic[2],
        });
    }
    let ndims = magic[3];
    if ndims == 0 || ndims > MAX_IDX_DIMS {
        return Err(Error::BadDimensionCount {
            path: path.to_path_buf(),
            ndims,
        });
    }
    let mut raw = vec![0_u8; 4 * usize::from(ndims)];
    let header_len = 4 + raw.len() as u64;
    read_full(reader, &mut raw, header_len, path)?;
    let dims = raw
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    Ok(dims.map(|d| d as usize).collect())
}

/// d₀ · d₁ ⋯ as a byte count, `None` on overflow of `usize` (the buffer) or `u64`.
fn checked_product(dims: &[usize]) -> Option<u64> {
    let n = dims
        .iter()
        .try_fold(1_usize, |acc, &d| acc.checked_mul(d))?;
    u64::try_from(n).ok()
}

/// Fills `buf` or reports how far the stream got; `total` is the file length this part
/// completes, for the error.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8], total: u64, path: &Path) -> Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(Error::Io {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
    if filled < buf.len() {
        let found = total - (buf.len() - filled) as u64;
        return Err(Error::Truncated {
            path: path.to_path_buf(),
            expected: total,
            found,
        });
    }
    Ok(())
}

/// Reads the data of a stream of known length `len`, refusing a wrong length up front.
fn read_known_length<R: Read>(
    mut reader: R,
    header_len: u64,
    expected: u64,
    len: u64,
    path: &Path,
) -> Result<Vec<u8>> {
    let path_buf = path.to_path_buf();
    if len < expected {
        return Err(Error::Truncated {
            path: path_buf,
            expected,
            found: len,
        });
    }
    if len > expected {
        return Err(Error::TrailingBytes {
            path: path_buf,
            expected,
            found: len,
        });
    }
    // The stream holds exactly this many bytes, so the allocation is backed by real data.
    let mut data = vec![0_u8; (expected - header_len) as usize];
    read_full(&mut reader, &mut data, expected, path)?;
    Ok(data)
}

/// Reads the data of a stream of unknown length through a limit of one extra byte.
fn read_bounded<R: Read>(
    reader: R,
    header_len: u64,
    expected: u64,
    path: &Path,
) -> Result<Vec<u8>> {
    let mut data = Vec::new();
    let limit = (expected - header_len).saturating_add(1);
    if let Err(source) = reader.take(limit).read_to_end(&mut data) {
        return Err(Error::Io {
            path: path.to_path_buf(),
            source,
        });
    }
    let found = header_len + data.len() as u64;
    if found < expected {
        return Err(Error::Truncated {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    if found > expected {
        return Err(Error::TrailingBytes {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    Ok(data)
}

/// Loads an image file `(n_images, rows, cols)` and its label file `(n_images)` as a data set
/// with features `(n_images, rows · cols)` in [0, 1] (each byte divided by 255).
///
/// # Errors
/// Every error of [`read_idx`] for either file; [`Error::NotImages`] or
/// [`Error::NotLabels`] for arrays of the wrong rank; [`Error::CountMismatch`] when the
/// files hold different numbers of items; [`Error::NoClasses`] when `n_classes` is 0;
/// [`Error::FileLabelOutOfRange`] for the first label `≥ n_classes`.
pub fn load_idx_dataset<T: Float>(
    images: &Path,
    labels: &Path,
    n_classes: usize,
) -> Result<Dataset<T>> {
    if n_classes == 0 {
        return Err(Error::NoClasses);
    }
    let image_array = read_idx(images)?;
    let &[n_images, rows, cols] = image_array.dims.as_slice() else {
        return Err(Error::NotImages {
            path: images.to_path_buf(),
            dims: image_array.dims,
        });
    };
    let pixels = rows.checked_mul(cols).filter(|&p| p > 0 && n_images > 0);
    let Some(pixels) = pixels else {
        let (path, dims) = (images.to_path_buf(), image_array.dims);
        return Err(if n_images > 0 && rows > 0 && cols > 0 {
            Error::SizeOverflow { path, dims }
        } else {
            Error::NoImages { path, dims }
        });
    };
    let label_array = read_idx(labels)?;
    let &[n_labels] = label_array.dims.as_slice() else {
        return Err(Error::NotLabels {
            path: labels.to_path_buf(),
            dims: label_array.dims,
        });
    };
    if n_labels != n_images {
        let (images, labels) = (images.to_path_buf(), labels.to_path_buf());
        return Err(Error::CountMismatch {
            images,
            n_images,
            labels,
            n_labels,
        });
    }
    let targets = checked_labels(&label_array.data, n_classes, labels)?;
    let scaled = image_array
        .data
        .iter()
        .map(|&b| T::from_f64(f64::from(b) / 255.0))
        .collect();
    let features = Matrix::from_vec(n_images, pixels, scaled)?;
    Dataset::new(features, targets, n_classes)
}

/// The label bytes as class indices, each checked against `n_classes`.
fn checked_labels(bytes: &[u8], n_classes: usize, path: &Path) -> Result<Vec<usize>> {
    let labels: Vec<usize> = bytes.iter().map(|&b| usize::from(b)).collect();
    match labels.iter().position(|&label| label >= n_classes) {
        Some(index) => Err(Error::FileLabelOutOfRange {
            path: path.to_path_buf(),
            index,
            label: labels[index],
            n_classes,
        }),
        None => Ok(labels),
    }
}

/// Which half of an MNIST-style data set to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MnistSplit {
    /// `train-images-idx3-ubyte` and `train-labels-idx1-ubyte` (60 000 samples).
    Train,
    /// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte` (10 000 samples).
    Test,
}

impl MnistSplit {
    /// The image and label file names, without `.gz`.
    pub fn file_names(self) -> (&'static str, &'static str) {
        match self {
            MnistSplit::Train => ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
            MnistSplit::Test => ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
        }
    }
}

/// Loads one split of MNIST or Fashion-MNIST (10 classes) from `dir`, which holds the
/// standard file names, each plain or with `.gz` (the plain one is used when both exist).
///
/// Features are `(n_samples, 784)` in [0, 1].
///
/// # Errors
/// [`Error::MissingFile`] when a file exists in neither form, and every error of
/// [`load_idx_dataset`].
///
/// # Examples
/// ```
/// use layerwise_data::{load_mnist, Error, MnistSplit};
/// use std::path::Path;
/// let err = load_mnist::<f32>(Path::new("/no/such/dir"), MnistSplit::Test).unwrap_err();
/// assert!(matches!(err, Error::MissingFile { .. }));
/// ```
pub fn load_mnist<T: Float>(dir: &Path, split: MnistSplit) -> Result<Dataset<T>> {
    let (images, labels) = split.file_names();
    let images = find_plain_or_gz(dir, images)?;
    let labels = find_plain_or_gz(dir, labels)?;
    load_idx_dataset(&images, &labels, FASHION_MNIST_CLASSES.len())
}

/// `dir/name` when it exists, else `dir/name.gz` when that exists.
fn find_plain_or_gz(dir: &Path, name: &str) -> Result<PathBuf> {
    let plain = dir.join(name);
    if plain.is_file() {
        return Ok(plain);
    }
    let gz = dir.join(format!("{name}.gz"));
    if gz.is_file() {
        return Ok(gz);
    }
    Err(Error::MissingFile { path: plain })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    /// A fresh directory under the system temporary directory, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!("layerwise-data-{tag}-{}-{n}", std::process::id());
            let dir = std::env::temp_dir().join(name);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        /// Writes `bytes` to `name`, gzipped when `gz`, and returns the path.
        fn write(&self, name: &str, bytes: &[u8], gz: bool) -> PathBuf {
            let path = self.0.join(name);
            let bytes = if gz { gzip(bytes) } else { bytes.to_vec() };
            std::fs::write(&path, bytes).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// The IDX encoding of unsigned bytes with these dimensions.
    fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut out = vec![0, 0, TYPE_U8, dims.len() as u8];
        for d in dims {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out.extend_from_slice(data);
        out
    }

    fn images_2x2x3() -> Vec<u8> {
        idx_bytes(
            &[2, 2, 3],
            &[0, 51, 102, 153, 204, 255, 255, 0, 0, 0, 0, 255],
        )
    }

    #[test]
    fn raw_and_gz_round_trip() {
        let dir = TempDir::new("round-trip");
        for gz in [false, true] {
            let path = dir.write(&format!("a-{gz}"), &images_2x2x3(), gz);
            let array = read_idx(&path).unwrap();
            assert_eq!(array.dims, vec![2, 2, 3]);
            assert_eq!(array.data[..6], [0, 51, 102, 153, 204, 255]);
        }
    }

    #[test]
    fn bad_magic_names_the_file_and_bytes() {
        let dir = TempDir::new("magic");
        let mut bytes = images_2x2x3();
        bytes[1] = 7;
        let path = dir.write("bad", &bytes, false);
        let err = read_idx(&path).unwrap_err();
        assert!(
            matches!(
                err,
                Error::BadMagic {
                    found: [0, 7, 8, 3],
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains(&*path.to_string_lossy()));
    }

    #[test]
    fn unsupported_type_and_dimension_count() {
        let mut bytes = images_2x2x3();
        bytes[2] = 0x0d; // float
        let err = parse_idx(&bytes[..], None, Path::new("f")).unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedElementType { code: 0x0d, .. }),
            "{err:?}"
        );
        for ndims in [0, 5] {
            let bytes = [0, 0, TYPE_U8, ndims];
            let err = parse_idx(&bytes[..], None, Path::new("d")).unwrap_err();
            assert!(matches!(err, Error::BadDimensionCount { .. }), "{err:?}");
        }
    }

    #[test]
    fn huge_header_on_short_file_fails_fast() {
        let dir = TempDir::new("huge");
        let bytes = idx_bytes(&[1_000_000_000, 28, 28], &[1, 2, 3, 4]);
        assert_eq!(bytes.len(), 20);
        let start = Instant::now();
        for gz in [false, true] {
            let path = dir.write(&format!("huge-{gz}"), &bytes, gz);
            let err = read_idx(&path).unwrap_err();
            let expected = 16 + 784_000_000_000;
            assert!(
                matches!(err, Error::Truncated { expected: e, found: 20, .. } if e == expected)
            );
        }
        assert!(start.elapsed().as_secs() < 2, "took {:?}", start.elapsed());
    }

    #[test]
    fn dimensions_whose_product_overflows_are_an_error() {
        let bytes = idx_bytes(&[u32::MAX; 4], &[]);
        let err = parse_idx(&bytes[..], Some(20), Path::new("o")).unwrap_err();
        assert!(
            matches!(&err, Error::SizeOverflow { dims, .. } if dims.len() == 4),
            "{err:?}"
        );
    }

    #[test]
    fn truncated_header_reports_lengths() {
        let bytes = images_2x2x3();
        let err = parse_idx(&bytes[..10], None, Path::new("h")).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Truncated {
                    expected: 16,
                    found: 10,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let dir = TempDir::new("trailing");
        let mut bytes = images_2x2x3();
        bytes.push(9);
        for gz in [false, true] {
            let path = dir.write(&format!("t-{gz}"), &bytes, gz);
            let err = read_idx(&path).unwrap_err();
            assert!(matches!(
                err,
                Error::TrailingBytes {
                    expected: 28,
                    found: 29,
                    ..
                }
            ));
        }
    }

    #[test]
    fn truncated_gz_is_an_error_naming_the_file() {
        let dir = TempDir::new("trunc-gz");
        let full = gzip(&images_2x2x3());
        // Cut inside the compressed data, then inside the 8-byte trailer.
        for keep in [full.len() / 2, full.len() - 6] {
            let path = dir.write(&format!("cut-{keep}.gz"), &full[..keep], false);
            let err = read_idx(&path).unwrap_err();
            assert!(err.to_string().contains(&format!("cut-{keep}.gz")), "{err}");
        }
    }

    #[test]
    fn dataset_scales_pixels_into_unit_interval() {
        let dir = TempDir::new("dataset");
        let images = dir.write("img", &images_2x2x3(), true);
        let labels = dir.write("lab", &idx_bytes(&[2], &[4, 1]), false);
        let data: Dataset<f64> = load_idx_dataset(&images, &labels, 5).unwrap();
        assert_eq!((data.n_samples(), data.n_features()), (2, 6));
        assert_eq!(data.labels(), &[4, 1]);
        approx::assert_abs_diff_eq!(data.features().row(0)[1], 0.2, epsilon = 1e-12);
        assert_eq!(data.features().row(1), &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn label_count_mismatch_names_both_files() {
        let dir = TempDir::new("mismatch");
        let images = dir.write("img", &images_2x2x3(), false);
        let labels = dir.write("lab", &idx_bytes(&[3], &[0, 1, 2]), false);
        let err = load_idx_dataset::<f32>(&images, &labels, 10).unwrap_err();
        assert!(matches!(
            err,
            Error::CountMismatch {
                n_images: 2,
                n_labels: 3,
                ..
            }
        ));
        let text = err.to_string();
        assert!(text.contains("img") && text.contains("lab"), "{text}");
    }

    #[test]
    fn label_out_of_range_and_wrong_ranks() {
        let dir = TempDir::new("labels");
        let images = dir.write("img", &images_2x2x3(), false);
        let labels = dir.write("lab", &idx_bytes(&[2], &[0, 10]), false);
        let err = load_idx_dataset::<f32>(&images, &labels, 10).unwrap_err();
        assert!(matches!(
            err,
            Error::FileLabelOutOfRange {
                index: 1,
                label: 10,
                ..
            }
        ));
        let err = load_idx_dataset::<f32>(&labels, &labels, 10).unwrap_err();
        assert!(matches!(err, Error::NotImages { .. }), "{err:?}");
        let err = load_idx_dataset::<f32>(&images, &images, 10).unwrap_err();
        assert!(matches!(err, Error::NotLabels { .. }), "{err:?}");
    }

    #[test]
    fn load_mnist_prefers_plain_files_and_reports_missing_ones() {
        let dir = TempDir::new("mnist");
        dir.write("t10k-images-idx3-ubyte.gz", &images_2x2x3(), true);
        let err = load_mnist::<f32>(&dir.0, MnistSplit::Test).unwrap_err();
        let missing = dir.0.join("t10k-labels-idx1-ubyte");
        assert!(
            matches!(&err, Error::MissingFile { path } if *path == missing),
            "{err:?}"
        );
        dir.write("t10k-labels-idx1-ubyte", &idx_bytes(&[2], &[3, 9]), false);
        // A broken plain image file beside the good gz one: the plain one is read.
        dir.write("t10k-images-idx3-ubyte", &[1, 2, 3, 4], false);
        assert!(load_mnist::<f32>(&dir.0, MnistSplit::Test).is_err());
        std::fs::remove_file(dir.0.join("t10k-images-idx3-ubyte")).unwrap();
        let data = load_mnist::<f32>(&dir.0, MnistSplit::Test).unwrap();
        assert_eq!(data.labels(), &[3, 9]);
    }

    #[test]
    fn image_files_without_pixels_are_refused_before_allocating() {
        let dir = TempDir::new("no-pixels");
        let labels = dir.write("labels", &idx_bytes(&[0], &[]), false);
        for dims in [[0, u32::MAX, u32::MAX], [0, 28, 28], [3, 0, 5]] {
            let images = dir.write("images", &idx_bytes(&dims, &[]), false);
            let err = load_idx_dataset::<f32>(&images, &labels, 10).unwrap_err();
            assert!(matches!(err, Error::NoImages { .. }), "{dims:?}: {err:?}");
            assert!(err.to_string().contains("no image"), "{err}");
        }
    }

    #[test]
    fn a_file_split_over_two_gzip_members_reads_whole() {
        let dir = TempDir::new("members");
        let bytes = images_2x2x3();
        let mut two = gzip(&bytes[..10]);
        two.extend(gzip(&bytes[10..]));
        let path = dir.write("two", &two, false);
        assert_eq!(read_idx(&path).unwrap().data, bytes[16..]);
    }

    #[test]
    fn fashion_mnist_test_split_when_installed() {
        // The data set comes from the optional `dataset-fashion-mnist` package; without it
        // there is nothing to check, so the test passes silently.
        let dir = Path::new(FASHION_MNIST_DIR);
        if !dir.is_dir() {
            return;
        }
        let data = load_mnist::<f32>(dir, MnistSplit::Test).unwrap();
        assert_eq!(
            (data.n_samples(), data.n_features(), data.n_classes()),
            (10_000, 784, 10)
        );
        assert!(data.labels().iter().all(|&label| label < 10));
        assert!(data
            .features()
            .as_slice()
            .iter()
            .all(|&v| (0.0..=1.0).contains(&v)));
    }
}
