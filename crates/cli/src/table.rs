//! Data files read into a [`Table`]: raw features and, when there are any, raw labels.
//!
//! - CSV ([`read_csv`]): a header detected or set, the label column by index, name,
//!   `first` or `last` (or none), any one-byte delimiter; every feature must parse as a
//!   finite number, and a field that does not is reported with its line and column.
//! - IDX ([`read_idx_pair`]): an image file `(n, rows, cols)` or `(n, d)` of bytes, plain
//!   or gzipped, with its label file `(n)`; the bytes are kept as they are (0–255), since
//!   scaling is a setting of its own ([`crate::scaling`]).
//!
//! Labels stay text (CSV) or indices (IDX) until [`Classes`] maps them: fitted on the
//! training labels, kept in the model, and used to encode the labels of later files.

use crate::config::{CsvOptions, DataFormat, DatasetName, HeaderMode, LabelColumn};
use crate::error::{io_error, Error, Result};
use layerwise_data::{read_idx, MnistSplit, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR};
use layerwise_linalg::{Float, Matrix};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Features `(n_samples, n_features)` as read, with the labels when the file has them.
#[derive(Clone, Debug, PartialEq)]
pub struct Table<T> {
    /// The file (the image file for IDX), for messages.
    pub path: PathBuf,
    /// The features, unscaled.
    pub features: Matrix<T>,
    /// The labels, one per row.
    pub labels: Option<RawLabels>,
}

/// Labels as a file gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawLabels {
    /// CSV labels, as written (trimmed).
    Text(Vec<String>),
    /// IDX labels: class indices, with the data set's class names when it has them.
    Indices {
        /// One per row.
        indices: Vec<usize>,
        /// The names of the classes by index (Fashion-MNIST's garments), or `None`.
        names: Option<Vec<String>>,
    },
}

impl RawLabels {
    /// The number of labels.
    pub fn len(&self) -> usize {
        match self {
            RawLabels::Text(t) => t.len(),
            RawLabels::Indices { indices, .. } => indices.len(),
        }
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where a table comes from: what the data flags name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A CSV file.
    Csv(PathBuf),
    /// An IDX image file and, when known, its label file.
    Idx {
        /// The image file.
        images: PathBuf,
        /// The label file.
        labels: Option<PathBuf>,
    },
    /// One split of a named data set in its folder.
    Dataset {
        /// Which.
        name: DatasetName,
        /// Its folder.
        dir: PathBuf,
        /// Training or test rows.
        split: MnistSplit,
    },
}

impl Source {
    /// The source a file names: IDX when `format` says so or, without it, when the name
    /// has `-idx` and `-ubyte`; CSV otherwise. `labels` is an IDX label file; without it
    /// the image file's name with `images-idx3` replaced by `labels-idx1` is used, when
    /// that file exists.
    pub fn file(path: &Path, labels: Option<&Path>, format: Option<DataFormat>) -> Source {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let looks_idx = name
            .as_deref()
            .is_some_and(|n| n.contains("-idx") && n.contains("-ubyte"));
        match format.unwrap_or(if looks_idx {
            DataFormat::Idx
        } else {
            DataFormat::Csv
        }) {
            DataFormat::Csv => Source::Csv(path.to_path_buf()),
            DataFormat::Idx => {
                let derived = name
                    .filter(|n| n.contains("images-idx3"))
                    .map(|n| path.with_file_name(n.replace("images-idx3", "labels-idx1")))
                    .filter(|p| p.is_file());
                let labels = labels.map(Path::to_path_buf).or(derived);
                Source::Idx {
                    images: path.to_path_buf(),
                    labels,
                }
            }
        }
    }

    /// A split of a named data set, in `dir` or in its default folder.
    pub fn dataset(name: DatasetName, dir: Option<&Path>, split: MnistSplit) -> Source {
        let dir = dir.map_or_else(|| PathBuf::from(FASHION_MNIST_DIR), Path::to_path_buf);
        Source::Dataset { name, dir, split }
    }

    /// `true` for IDX files, whose bytes are scaled by `divide:255` unless told otherwise.
    pub fn is_idx(&self) -> bool {
        !matches!(self, Source::Csv(_))
    }

    /// The file or folder, for messages.
    pub fn describe(&self) -> String {
        match self {
            Source::Csv(p) => p.display().to_string(),
            Source::Idx { images, .. } => images.display().to_string(),
            Source::Dataset { name, dir, split } => {
                let name = match name {
                    DatasetName::FashionMnist => "fashion-mnist",
                    DatasetName::Mnist => "mnist",
                };
                let split = match split {
                    MnistSplit::Train => "training",
                    MnistSplit::Test => "test",
                };
                format!("{name} {split} split ({})", dir.display())
            }
        }
    }

    /// Reads the table. `n_inputs`, when given (a model's inputs), decides whether a CSV
    /// file has a label column: it has one when its width is `n_inputs + 1`, none when it
    /// is `n_inputs`.
    ///
    /// # Errors
    /// Those of [`read_csv`] and [`read_idx_pair`]; [`Error::Data`] naming a file of a
    /// named data set that is missing.
    pub fn read<T: Float>(&self, csv: &CsvOptions, n_inputs: Option<usize>) -> Result<Table<T>> {
        match self {
            Source::Csv(path) => read_csv(path, csv, n_inputs),
            Source::Idx { images, labels } => read_idx_pair(images, labels.as_deref(), None),
            Source::Dataset { name, dir, split } => {
                let (images, labels) = split.file_names();
                let images = find_plain_or_gz(dir, images)?;
                let labels = find_plain_or_gz(dir, labels)?;
                let names = (*name == DatasetName::FashionMnist).then(|| {
                    FASHION_MNIST_CLASSES
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                });
                read_idx_pair(&images, Some(&labels), names)
            }
        }
    }
}

/// `dir/name`, else `dir/name.gz`.
fn find_plain_or_gz(dir: &Path, name: &str) -> Result<PathBuf> {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    match (plain.is_file(), gz.is_file()) {
        (true, _) => Ok(plain),
        (false, true) => Ok(gz),
        _ => Err(Error::Data(layerwise_data::Error::MissingFile {
            path: plain,
        })),
    }
}

/// Reads an IDX image file (and its labels) with the bytes kept as 0–255.
///
/// # Errors
/// [`Error::Data`] for a file the IDX reader rejects; [`Error::InvalidSetting`] (named
/// `IDX file`) for images that are not `(n, rows, cols)` or `(n, d)` and for labels that
/// are not one per image; [`Error::NoRows`] for no images.
pub fn read_idx_pair<T: Float>(
    images: &Path,
    labels: Option<&Path>,
    names: Option<Vec<String>>,
) -> Result<Table<T>> {
    let array = read_idx(images)?;
    let (n, width) = match array.dims.as_slice() {
        [n, r, c] => (*n, r * c),
        [n, d] => (*n, *d),
        dims => {
            return Err(idx_shape(
                images,
                dims,
                "images of shape (n, rows, cols) or (n, d)",
            ))
        }
    };
    if n == 0 || width == 0 {
        return Err(Error::NoRows {
            path: images.to_path_buf(),
        });
    }
    let values = array
        .data
        .iter()
        .map(|&b| T::from_f64(f64::from(b)))
        .collect();
    let features = Matrix::from_vec(n, width, values).map_err(|_| Error::NoRows {
        path: images.to_path_buf(),
    })?;
    let labels = match labels {
        None => None,
        Some(path) => {
            let array = read_idx(path)?;
            if array.dims != [n] {
                return Err(idx_shape(
                    path,
                    &array.dims,
                    &format!("({n}) labels, one per image"),
                ));
            }
            let indices = array.data.iter().map(|&b| usize::from(b)).collect();
            Some(RawLabels::Indices { indices, names })
        }
    };
    Ok(Table {
        path: images.to_path_buf(),
        features,
        labels,
    })
}

fn idx_shape(path: &Path, dims: &[usize], expected: &str) -> Error {
    Error::InvalidSetting {
        name: "IDX file",
        value: format!("{} of shape {dims:?}", path.display()),
        expected: expected.to_string(),
    }
}

/// Reads a CSV file: features as numbers, the label column (if any) as text.
///
/// `n_inputs`, when given, overrides `options.label` by the width: a file of `n_inputs`
/// columns has no label column, one of `n_inputs + 1` has it where `options.label` says
/// (the last column when that says `none`).
///
/// # Errors
/// [`Error::Io`] or [`Error::Csv`] when the file cannot be read; [`Error::NoRows`];
/// [`Error::RowLength`] for a row of another width than the first; [`Error::NoSuchColumn`]
/// for a label column the file lacks; [`Error::DataWidth`] for a width that fits neither
/// `n_inputs` nor `n_inputs + 1`; [`Error::BadNumber`] naming the line, the column and the
/// field of the first feature that is not a finite number (of type `T`: 1e300 is refused
/// in an `f32` table).
pub fn read_csv<T: Float>(
    path: &Path,
    options: &CsvOptions,
    n_inputs: Option<usize>,
) -> Result<Table<T>> {
    let file = std::fs::File::open(path).map_err(io_error(path))?;
    parse_csv(std::io::BufReader::new(file), path, options, n_inputs)
}

/// Reads CSV text from `reader` as [`read_csv`] reads a file; `path` names the source in
/// errors. Memory grows with the rows read: nothing is allocated ahead of the data.
///
/// # Errors
/// Those of [`read_csv`], with [`Error::Io`] for a failing reader.
///
/// # Examples
/// ```
/// use layerwise_cli::config::CsvOptions;
/// use layerwise_cli::table::parse_csv;
/// use std::path::Path;
/// let options = CsvOptions::default(); // header detected, labels last, commas
/// let text = "x,y,label\n0.5,1,a\n2,3,b\n";
/// let table = parse_csv::<f64, _>(text.as_bytes(), Path::new("inline"), &options, None);
/// assert_eq!(table.unwrap().features.as_slice(), &[0.5, 1.0, 2.0, 3.0]);
/// let ragged = "1,2,a\n3,b\n";
/// assert!(parse_csv::<f64, _>(ragged.as_bytes(), Path::new("r"), &options, None).is_err());
/// ```
pub fn parse_csv<T: Float, R: std::io::Read>(
    reader: R,
    path: &Path,
    options: &CsvOptions,
    n_inputs: Option<usize>,
) -> Result<Table<T>> {
    let mut reader = csv_reader(reader, options)?;
    let mut records = reader.records();
    let first = match records.next() {
        Some(r) => r.map_err(csv_error(path))?,
        None => return Err(no_rows(path)),
    };

    // the label column, then whether the first row names the columns
    let label = label_position(path, options, &first, n_inputs)?;
    let header = has_header(options, &first, label);
    let mut rows = CsvRows {
        path,
        n_cols: first.len(),
        label,
        names: header.then(|| first.iter().map(String::from).collect()),
        values: Vec::new(),
        labels: Vec::new(),
    };

    // every data row, the first one too when it is not a header
    let first_data = (!header).then_some(Ok(first));
    for record in first_data.into_iter().chain(records) {
        rows.push(&record.map_err(csv_error(path))?)?;
    }
    rows.into_table()
}

/// A CSV reader with the options' delimiter, fields trimmed, rows of any width (checked by
/// [`CsvRows::push`], to name the line).
fn csv_reader<R: std::io::Read>(reader: R, options: &CsvOptions) -> Result<csv::Reader<R>> {
    Ok(csv::ReaderBuilder::new()
        .delimiter(options.delimiter_byte()?)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(reader))
}

/// The CSV reader's error as this crate's: [`Error::Io`] or [`Error::Csv`].
fn csv_error(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| {
        let reason = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(source) => Error::Io {
                path: path.to_path_buf(),
                source,
            },
            _ => Error::Csv {
                path: path.to_path_buf(),
                reason,
            },
        }
    }
}

/// The rows of a CSV file as they are read: features as numbers, labels as text.
struct CsvRows<'a, T> {
    path: &'a Path,
    n_cols: usize,
    label: Option<usize>,
    /// The header, when there is one.
    names: Option<Vec<String>>,
    values: Vec<T>,
    labels: Vec<String>,
}

impl<T: Float> CsvRows<'_, T> {
    /// Adds one row, checking its width and every feature.
    fn push(&mut self, record: &csv::StringRecord) -> Result<()> {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != self.n_cols {
            return Err(Error::RowLength {
                path: self.path.to_path_buf(),
                line,
                found: record.len(),
                expected: self.n_cols,
            });
        }
        for (column, field) in record.iter().enumerate() {
            if Some(column) == self.label {
                self.labels.push(field.to_string());
                continue;
            }
            // finite in the table's float type too: 1e300 is an f64 but overflows f32
            match field.parse::<f64>().map(T::from_f64) {
                Ok(v) if v.is_finite() => self.values.push(v),
                _ => return Err(self.bad_number(line, column, field)),
            }
        }
        Ok(())
    }

    fn bad_number(&self, line: u64, column: usize, field: &str) -> Error {
        Error::BadNumber {
            path: self.path.to_path_buf(),
            line,
            column,
            name: self.names.as_ref().map(|n| n[column].clone()),
            text: field.to_string(),
        }
    }

    /// The table, or [`Error::NoRows`] when there is no data row or no feature column.
    fn into_table(self) -> Result<Table<T>> {
        let path = self.path;
        let n_features = self.n_cols - usize::from(self.label.is_some());
        let n_rows = self.values.len().checked_div(n_features).unwrap_or(0);
        if n_rows == 0 {
            return Err(no_rows(path));
        }
        let features =
            Matrix::from_vec(n_rows, n_features, self.values).map_err(|_| no_rows(path))?;
        Ok(Table {
            path: path.to_path_buf(),
            features,
            labels: self.label.map(|_| RawLabels::Text(self.labels)),
        })
    }
}

fn no_rows(path: &Path) -> Error {
    Error::NoRows {
        path: path.to_path_buf(),
    }
}

/// The label column's index, from the options, the first row and the model's width.
fn label_position(
    path: &Path,
    options: &CsvOptions,
    first: &csv::StringRecord,
    n_inputs: Option<usize>,
) -> Result<Option<usize>> {
    let n_cols = first.len();
    let mut label = options.label.clone();
    match n_inputs {
        Some(n) if n_cols == n => return Ok(None),
        Some(n) if n_cols == n + 1 && label == LabelColumn::None => label = LabelColumn::Last,
        Some(n) if n_cols != n + 1 => {
            return Err(Error::DataWidth {
                path: path.to_path_buf(),
                found: n_cols,
                n_inputs: n,
            });
        }
        _ => {}
    }
    let missing = |column: String, available: String| Error::NoSuchColumn {
        path: path.to_path_buf(),
        column,
        available,
    };
    match label {
        LabelColumn::None => Ok(None),
        LabelColumn::First => Ok(Some(0)),
        LabelColumn::Last => Ok(Some(n_cols - 1)),
        LabelColumn::Index(i) if i < n_cols => Ok(Some(i)),
        LabelColumn::Index(i) => Err(missing(i.to_string(), format!("{n_cols} columns"))),
        LabelColumn::Name(name) => match first.iter().position(|f| f == name) {
            Some(i) if options.header != HeaderMode::No => Ok(Some(i)),
            _ => {
                let header: Vec<&str> = first.iter().take(12).collect();
                let more = if n_cols > 12 { ", …" } else { "" };
                let available = format!("the columns {}{more}", header.join(", "));
                Err(missing(format!("{name:?}"), available))
            }
        },
    }
}

/// Whether the first row is a header: as set, or when a field outside the label column is
/// not a number (always when the label column is named).
fn has_header(options: &CsvOptions, first: &csv::StringRecord, label: Option<usize>) -> bool {
    match options.header {
        HeaderMode::Yes => true,
        HeaderMode::No => false,
        HeaderMode::Auto => {
            matches!(options.label, LabelColumn::Name(_))
                || first
                    .iter()
                    .enumerate()
                    .any(|(j, f)| Some(j) != label && f.parse::<f64>().is_err())
        }
    }
}

/// The classes of a model: names by class index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classes {
    names: Vec<String>,
}

impl Classes {
    /// Classes with these names, by index.
    pub fn new(names: Vec<String>) -> Classes {
        Classes { names }
    }

    /// The classes of training labels: for CSV text, the distinct labels in numeric order
    /// when all are integers, else in lexicographic order; for IDX indices, 0 to the
    /// largest, named by the data set when it names them.
    pub fn fit(labels: &RawLabels) -> Classes {
        match labels {
            RawLabels::Text(text) => {
                let ints: Option<BTreeSet<i64>> = text.iter().map(|t| t.parse().ok()).collect();
                let names = match ints {
                    Some(ints) => ints.iter().map(i64::to_string).collect(),
                    None => text
                        .iter()
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .cloned()
                        .collect(),
                };
                Classes { names }
            }
            RawLabels::Indices { indices, names } => {
                let n = indices.iter().max().map_or(0, |m| m + 1);
                let names = match names {
                    Some(names) if names.len() >= n => names.clone(),
                    _ => (0..n).map(|c| c.to_string()).collect(),
                };
                Classes { names }
            }
        }
    }

    /// The names, by class index.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The number of classes.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// `true` when there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The class index of each label. A CSV label is a class name (an integer label also
    /// matches a name such as `"07"` → `"7"`); when no class name is a number, a label may
    /// also be a class index. IDX labels are class indices.
    ///
    /// # Errors
    /// [`Error::UnknownLabel`] for the first label that is not a class.
    pub fn encode(&self, labels: &RawLabels, path: &Path) -> Result<Vec<usize>> {
        let index: HashMap<&str, usize> = self
            .names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let numeric_names = self.names.iter().any(|n| n.parse::<i64>().is_ok());
        let unknown = |at: String, label: String| Error::UnknownLabel {
            path: path.to_path_buf(),
            at,
            label,
            classes: self.listing(),
        };
        match labels {
            RawLabels::Text(text) => text
                .iter()
                .enumerate()
                .map(|(row, t)| {
                    let as_int = t.parse::<i64>().ok();
                    let by_int = as_int.and_then(|i| index.get(i.to_string().as_str()).copied());
                    let by_index = as_int
                        .filter(|&i| !numeric_names && i >= 0 && (i as usize) < self.len())
                        .map(|i| i as usize);
                    let found = index.get(t.as_str()).copied().or(by_int).or(by_index);
                    found.ok_or_else(|| unknown(format!("data row {}", row + 1), t.clone()))
                })
                .collect(),
            RawLabels::Indices { indices, .. } => indices
                .iter()
                .enumerate()
                .map(|(row, &c)| match c < self.len() {
                    true => Ok(c),
                    false => Err(unknown(format!("row {row}"), c.to_string())),
                })
                .collect(),
        }
    }

    /// The names for a message, at most 12.
    fn listing(&self) -> String {
        let shown: Vec<&str> = self.names.iter().take(12).map(String::as_str).collect();
        let more = if self.names.len() > 12 { ", …" } else { "" };
        format!("{}{more}", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A file in a fresh temporary folder, removed with the folder when the test ends.
    struct TempFile {
        dir: PathBuf,
        path: PathBuf,
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn file(name: &str, text: &str) -> TempFile {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("layerwise-table-{name}-{stamp}"));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        TempFile { dir, path }
    }

    fn options(label: &str) -> CsvOptions {
        CsvOptions {
            label: label.parse().unwrap(),
            ..CsvOptions::default()
        }
    }

    fn text(labels: &Option<RawLabels>) -> Vec<&str> {
        match labels {
            Some(RawLabels::Text(t)) => t.iter().map(String::as_str).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_header_is_detected_and_labels_are_found_by_name_index_first_or_last() {
        let f = file("h.csv", "a,b,species\n1,2,cat\n3,4,dog\n");
        let t = read_csv::<f64>(&f.path, &options("last"), None).unwrap();
        assert_eq!(t.features.as_slice(), &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(text(&t.labels), ["cat", "dog"]);
        let by_name = read_csv::<f64>(&f.path, &options("species"), None).unwrap();
        assert_eq!(by_name, t);

        let f = file("n.csv", "0,1,2\n1,4,5\n");
        let first = read_csv::<f32>(&f.path, &options("first"), None).unwrap();
        assert_eq!(first.features.as_slice(), &[1.0, 2.0, 4.0, 5.0]);
        assert_eq!(text(&first.labels), ["0", "1"]);
        let middle = read_csv::<f32>(&f.path, &options("1"), None).unwrap();
        assert_eq!(middle.features.as_slice(), &[0.0, 2.0, 1.0, 5.0]);
        let none = read_csv::<f32>(&f.path, &options("none"), None).unwrap();
        assert_eq!((none.features.shape(), none.labels), ((2, 3), None));
    }

    #[test]
    fn a_categorical_first_field_is_not_taken_for_a_header() {
        let f = file("c.csv", "setosa;5.1;3.5\nvirginica;6.3;2.9\n");
        let opts = CsvOptions {
            delimiter: ';',
            ..options("first")
        };
        let t = read_csv::<f64>(&f.path, &opts, None).unwrap();
        assert_eq!(t.features.shape(), (2, 2));
        let classes = Classes::fit(t.labels.as_ref().unwrap());
        assert_eq!(classes.names(), ["setosa", "virginica"]);
        assert_eq!(
            classes.encode(t.labels.as_ref().unwrap(), &f.path).unwrap(),
            [0, 1]
        );
        let forced = CsvOptions {
            header: HeaderMode::Yes,
            ..opts
        };
        assert_eq!(
            read_csv::<f64>(&f.path, &forced, None)
                .unwrap()
                .features
                .rows(),
            1
        );
    }

    #[test]
    fn a_bad_number_is_reported_with_its_line_and_column() {
        let f = file("bad.csv", "x,y,label\n1,2,a\n3,oops,b\n");
        let err = read_csv::<f64>(&f.path, &options("last"), None).unwrap_err();
        assert!(
            matches!(
                err,
                Error::BadNumber {
                    line: 3,
                    column: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.ends_with("line 3, column 1 (\"y\"): \"oops\" is not a finite number"));
        let f = file("nan.csv", "1,NaN,0\n");
        assert!(matches!(
            read_csv::<f64>(&f.path, &options("last"), None),
            Err(Error::BadNumber { column: 1, .. })
        ));
    }

    #[test]
    fn ragged_rows_missing_columns_and_empty_files_are_named() {
        let f = file("r.csv", "1,2,0\n1,2\n");
        let err = read_csv::<f64>(&f.path, &options("last"), None).unwrap_err();
        assert!(matches!(
            err,
            Error::RowLength {
                line: 2,
                found: 2,
                expected: 3,
                ..
            }
        ));
        let f = file("m.csv", "a,b\n1,2\n");
        let err = read_csv::<f64>(&f.path, &options("class"), None).unwrap_err();
        assert!(err
            .to_string()
            .contains("no label column \"class\"; the file has the columns a, b"));
        let err = read_csv::<f64>(&f.path, &options("5"), None).unwrap_err();
        assert!(matches!(err, Error::NoSuchColumn { .. }));
        let f = file("e.csv", "a,b\n");
        assert!(matches!(
            read_csv::<f64>(&f.path, &options("last"), None),
            Err(Error::NoRows { .. })
        ));
    }

    #[test]
    fn the_model_width_decides_whether_a_label_column_is_there() {
        let f = file("w.csv", "1,2,3\n4,5,6\n");
        let unlabelled = read_csv::<f64>(&f.path, &options("first"), Some(3)).unwrap();
        assert_eq!((unlabelled.features.cols(), unlabelled.labels), (3, None));
        let labelled = read_csv::<f64>(&f.path, &options("first"), Some(2)).unwrap();
        assert_eq!(text(&labelled.labels), ["1", "4"]);
        let err = read_csv::<f64>(&f.path, &options("last"), Some(5)).unwrap_err();
        assert!(matches!(
            err,
            Error::DataWidth {
                found: 3,
                n_inputs: 5,
                ..
            }
        ));
    }

    #[test]
    fn integer_labels_are_classes_in_numeric_order_and_unknown_ones_are_named() {
        let labels = RawLabels::Text(vec!["10".into(), "9".into(), "10".into()]);
        let classes = Classes::fit(&labels);
        assert_eq!(classes.names(), ["9", "10"]);
        let path = Path::new("t.csv");
        assert_eq!(classes.encode(&labels, path).unwrap(), [1, 0, 1]);
        let err = classes
            .encode(&RawLabels::Text(vec!["0".into()]), path)
            .unwrap_err();
        assert!(err
            .to_string()
            .contains("label \"0\" is not one of the model's classes (9, 10)"));

        // class names that are not numbers also take class indices
        let named = Classes::new(vec!["cat".into(), "dog".into()]);
        let idx = RawLabels::Text(vec!["1".into(), "cat".into()]);
        assert_eq!(named.encode(&idx, path).unwrap(), [1, 0]);
    }
}
