//! Hostile input for the two loaders of the `layerwise` library: CSV files that are ragged,
//! hold text where numbers belong, are empty or stop mid-record, and model files that are
//! truncated, have a flipped byte or arbitrary contents. Each gives a typed error naming
//! the file; none panics. Property tests cover arbitrary and mutated bytes and check that
//! valid tables and models read back as written.

use layerwise_cli::config::{CsvOptions, Dtype, HeaderMode, LabelColumn, ModelKind, TrainConfig};
use layerwise_cli::model_file::SavedModel;
use layerwise_cli::network::{self, AnyNetwork};
use layerwise_cli::record::Unobserved;
use layerwise_cli::scaling::{Scaler, ScalingSpec};
use layerwise_cli::table::{parse_csv, read_csv, RawLabels, Table};
use layerwise_cli::Error;
use layerwise_data::Dataset;
use layerwise_linalg::{Float, Matrix};
use proptest::prelude::*;
use rand::SeedableRng;
use std::path::Path;
use std::sync::OnceLock;

fn csv(text: &[u8], path: &str) -> Result<Table<f64>, Error> {
    parse_csv(text, Path::new(path), &CsvOptions::default(), None)
}

/// `err`'s message names `path`.
fn names(err: &Error, path: &str) -> bool {
    err.to_string().contains(path)
}

#[test]
fn a_ragged_csv_row_is_named_by_its_line() {
    let err = csv(b"1,2,a\n3,4,b\n5,6\n", "ragged.csv").unwrap_err();
    assert!(
        matches!(
            err,
            Error::RowLength {
                line: 3,
                found: 2,
                expected: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(names(&err, "ragged.csv"), "{err}");
    let err = csv(b"1,2,a\n3,4,5,b\n", "long.csv").unwrap_err();
    assert!(
        matches!(
            err,
            Error::RowLength {
                line: 2,
                found: 4,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_non_numeric_cell_is_named_by_line_and_column() {
    let err = csv(b"x,y,label\n1,2,a\n3,four,b\n", "text.csv").unwrap_err();
    assert!(
        matches!(&err, Error::BadNumber { line: 3, column: 1, text, .. } if text == "four"),
        "{err:?}"
    );
    assert!(names(&err, "text.csv"), "{err}");
    for cell in ["inf", "-inf", "NaN", "1e999", ""] {
        // after a good row, so that the bad one is not taken for a header
        let text = format!("0,0,a\n1,{cell},a\n");
        let err = csv(text.as_bytes(), "nonfinite.csv").unwrap_err();
        assert!(
            matches!(
                err,
                Error::BadNumber {
                    line: 2,
                    column: 1,
                    ..
                }
            ),
            "{cell:?}: {err:?}"
        );
    }
}

#[test]
fn a_number_too_large_for_f32_is_refused_in_an_f32_table() {
    // found by the `csv` fuzz target: 55…5 (51 digits) parsed as f64, then +inf in f32
    let text = b"1e300,0.5,a\n";
    let err = parse_csv::<f32, _>(
        &text[..],
        Path::new("big.csv"),
        &CsvOptions::default(),
        None,
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::BadNumber { line: 1, column: 0, text, .. } if text == "1e300"),
        "{err:?}"
    );
    let f64_table = parse_csv::<f64, _>(
        &text[..],
        Path::new("big.csv"),
        &CsvOptions::default(),
        None,
    );
    assert_eq!(f64_table.unwrap().features.as_slice(), &[1e300, 0.5]);
}

#[test]
fn empty_and_header_only_csv_files_have_no_rows() {
    for (text, path) in [
        (&b""[..], "empty.csv"),
        (b"a,b,label\n", "header.csv"),
        (b"\n\n", "blank.csv"),
    ] {
        let err = csv(text, path).unwrap_err();
        assert!(matches!(err, Error::NoRows { .. }), "{path}: {err:?}");
        assert!(names(&err, path), "{err}");
    }
}

#[test]
fn a_csv_file_ending_mid_record_is_refused() {
    // the last row stops after two of its three fields
    let err = csv(b"1,2,a\n3,4,b\n5,6", "cut.csv").unwrap_err();
    assert!(
        matches!(
            err,
            Error::RowLength {
                line: 3,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
    // cut inside a quoted label: the row still has too few fields
    let err = csv(b"1,2,\"a\"\n3,\"4", "quote.csv").unwrap_err();
    assert!(
        matches!(
            err,
            Error::RowLength {
                line: 2,
                found: 2,
                ..
            }
        ),
        "{err:?}"
    );
    // invalid UTF-8 is the reader's error, named
    let err = csv(b"1,2,a\n3,4,\xff\xfe\n", "bytes.csv").unwrap_err();
    assert!(matches!(err, Error::Csv { .. }), "{err:?}");
    assert!(names(&err, "bytes.csv"), "{err}");
}

#[test]
fn a_missing_csv_file_is_an_io_error_naming_it() {
    let path = Path::new("/no/such/folder/data.csv");
    let err = read_csv::<f32>(path, &CsvOptions::default(), None).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(names(&err, "/no/such/folder/data.csv"), "{err}");
}

/// A small trained model of each float type: a DBN 5 → 4 → 3 → 3 (f32) and an SDA with an
/// untied decoder (f64), on min-max scaled rows.
fn models() -> &'static [(SavedModel, Vec<u8>)] {
    static MODELS: OnceLock<Vec<(SavedModel, Vec<u8>)>> = OnceLock::new();
    MODELS.get_or_init(|| {
        let a = trained::<f32>(ModelKind::Dbn, "tied", Dtype::F32);
        let b = trained::<f64>(ModelKind::Sda, "untied", Dtype::F64);
        [a, b]
            .into_iter()
            .map(|m| {
                let bytes = m.to_bytes().unwrap();
                (m, bytes)
            })
            .collect()
    })
}

fn trained<T: Float>(kind: ModelKind, decoder: &str, dtype: Dtype) -> SavedModel
where
    network::Network<T>: Into<AnyNetwork>,
{
    let text = format!(
        "seed = 5\n[data]\ntrain = \"x.csv\"\n[network]\nhidden = [4, 3]\n\
         [pretrain]\nepochs = 2\nbatch_size = 8\ndecoder = \"{decoder}\"\n\
         [finetune]\nepochs = 2\nbatch_size = 8\n"
    );
    let mut config = TrainConfig::from_toml(&text)
        .unwrap()
        .resolve(kind)
        .unwrap();
    config.dtype = dtype;
    let mut x = Matrix::from_fn(30, 5, |i, j| T::from_f64(((i * 7 + j * 3) % 11) as f64));
    let scaler = Scaler::fit(ScalingSpec::MinMax, &x).unwrap();
    scaler.apply(&mut x).unwrap();
    let labels = (0..30).map(|i| i % 3).collect();
    let train = Dataset::new(x, labels, 3).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(config.seed);
    let (net, record) =
        network::train(kind, &config, &train, None, &mut rng, &mut Unobserved).unwrap();
    SavedModel {
        network: net.into(),
        config,
        scaler,
        classes: vec!["a".into(), "b".into(), "c".into()],
        record,
    }
}

/// The length of the safetensors header: 8 bytes of length, then the JSON.
fn header_len(bytes: &[u8]) -> usize {
    8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize
}

#[test]
fn a_model_file_cut_at_any_length_is_refused_and_named() {
    for (_, bytes) in models() {
        for keep in 0..bytes.len() {
            let err =
                SavedModel::from_bytes(&bytes[..keep], Path::new("cut.safetensors")).unwrap_err();
            assert!(matches!(err, Error::ModelFormat { .. }), "{keep}: {err:?}");
            assert!(names(&err, "cut.safetensors"), "{err}");
        }
    }
}

#[test]
fn a_flipped_byte_anywhere_is_refused_naming_the_file() {
    for (_, bytes) in models() {
        let header = header_len(bytes);
        for at in 0..bytes.len() {
            let mut copy = bytes.clone();
            copy[at] ^= 0xff;
            let loaded = SavedModel::from_bytes(&copy, Path::new("flip.safetensors"));
            // the length, the JSON or its padding: an ASCII byte flipped is not UTF-8;
            // a tensor byte: the recorded CRC-32 no longer matches
            let err = loaded.unwrap_err();
            assert!(names(&err, "flip.safetensors"), "{at}: {err}");
            if at >= header {
                assert!(
                    matches!(
                        err,
                        Error::Metadata {
                            key: "tensor_crc32",
                            ..
                        }
                    ),
                    "{at}: {err:?}"
                );
                assert!(err.to_string().contains("damaged"), "{err}");
            }
        }
    }
}

#[test]
fn a_model_file_with_trailing_bytes_or_an_unknown_version_is_refused() {
    let (_, bytes) = &models()[0];
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 4]);
    let err = SavedModel::from_bytes(&longer, Path::new("long.safetensors")).unwrap_err();
    assert!(matches!(err, Error::ModelFormat { .. }), "{err:?}");
    // the same bytes with version 9 (one byte changed, so the header keeps its length)
    let key = b"\"format_version\":\"2\"";
    let at = bytes.windows(key.len()).position(|w| w == key).unwrap();
    let mut v9 = bytes.clone();
    v9[at + key.len() - 2] = b'9';
    let err = SavedModel::from_bytes(&v9, Path::new("v9.safetensors")).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Metadata {
                key: "format_version",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("v9.safetensors: metadata \"format_version\""),
        "{err}"
    );
}

/// CSV options from a byte: label column, header mode and delimiter.
fn options(choice: u8) -> CsvOptions {
    let label = match choice % 4 {
        0 => LabelColumn::Last,
        1 => LabelColumn::First,
        2 => LabelColumn::None,
        _ => LabelColumn::Index(usize::from(choice >> 6)),
    };
    let header = [HeaderMode::Auto, HeaderMode::Yes, HeaderMode::No][usize::from(choice >> 2) % 3];
    CsvOptions {
        header,
        label,
        delimiter: if choice & 0x20 == 0 { ',' } else { ';' },
    }
}

/// Rows × columns of finite values and one label per row.
fn table() -> impl Strategy<Value = (Vec<Vec<f64>>, Vec<String>)> {
    (1_usize..8, 1_usize..5).prop_flat_map(|(rows, cols)| {
        let value = prop_oneof![
            any::<f64>().prop_filter("finite", |v| v.is_finite()),
            -3.0..3.0
        ];
        let row = prop::collection::vec(value, cols);
        let labels = prop::collection::vec("[a-c][a-z0-9]{0,3}", rows);
        (prop::collection::vec(row, rows), labels)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_csv_bytes_give_a_table_or_a_named_error(
        choice in any::<u8>(), bytes in prop::collection::vec(any::<u8>(), 0..96),
        n_inputs in prop::option::of(0_usize..5),
    ) {
        match parse_csv::<f32, _>(&bytes[..], Path::new("arb.csv"), &options(choice), n_inputs) {
            Ok(t) => {
                prop_assert!(t.features.as_slice().iter().all(|v| v.is_finite()));
                let n_labels = t.labels.as_ref().map_or(t.features.rows(), RawLabels::len);
                prop_assert_eq!(n_labels, t.features.rows());
            }
            Err(e) => prop_assert!(names(&e, "arb.csv"), "{}", e),
        }
    }

    #[test]
    fn written_tables_read_back_exactly((rows, labels) in table(), semicolon in any::<bool>()) {
        let sep = if semicolon { ';' } else { ',' };
        let mut text = String::new();
        for (row, label) in rows.iter().zip(&labels) {
            for v in row {
                text.push_str(&format!("{v}{sep}"));
            }
            text.push_str(label);
            text.push('\n');
        }
        let options = CsvOptions { delimiter: sep, ..CsvOptions::default() };
        let t = parse_csv::<f64, _>(text.as_bytes(), Path::new("w.csv"), &options, None).unwrap();
        let flat: Vec<f64> = rows.concat();
        prop_assert_eq!(t.features.as_slice(), &flat[..]);
        prop_assert_eq!(t.labels, Some(RawLabels::Text(labels)));
    }

    #[test]
    fn arbitrary_model_bytes_are_refused_as_not_a_model(
        bytes in prop::collection::vec(any::<u8>(), 0..256)
    ) {
        let err = SavedModel::from_bytes(&bytes, Path::new("arb.safetensors")).unwrap_err();
        prop_assert!(names(&err, "arb.safetensors"), "{}", err);
    }

    #[test]
    fn mutated_model_files_never_panic(
        which in 0_usize..2,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0_u8..3), 1..4),
    ) {
        let (saved, bytes) = &models()[which];
        let mut bytes = bytes.clone();
        for (at, byte, how) in edits {
            let i = at.index(bytes.len());
            match how {
                0 => bytes[i] = byte,
                1 => bytes.truncate(i),
                _ => bytes.insert(i, byte),
            }
            if bytes.is_empty() {
                break;
            }
        }
        match SavedModel::from_bytes(&bytes, Path::new("mut.safetensors")) {
            Ok(model) => prop_assert_eq!(model.architecture(), saved.architecture()),
            Err(e) => prop_assert!(names(&e, "mut.safetensors"), "{}", e),
        }
    }

    #[test]
    fn saved_models_load_back_and_predict_the_same_bits(
        which in 0_usize..2,
        rows in prop::collection::vec(prop::collection::vec(0.0..1.0_f64, 5), 1..6),
    ) {
        let (saved, bytes) = &models()[which];
        let loaded = SavedModel::from_bytes(bytes, Path::new("rt.safetensors")).unwrap();
        prop_assert_eq!(&loaded, saved);
        let x = Matrix::from_vec(rows.len(), 5, rows.concat()).unwrap();
        match (&saved.network, &loaded.network) {
            (AnyNetwork::F32(a), AnyNetwork::F32(b)) => {
                let x = x.cast::<f32>();
                let pa = network::probabilities(a, &x).unwrap();
                let pb = network::probabilities(b, &x).unwrap();
                prop_assert_eq!(pa.as_slice(), pb.as_slice());
            }
            (AnyNetwork::F64(a), AnyNetwork::F64(b)) => {
                let pa = network::probabilities(a, &x).unwrap();
                let pb = network::probabilities(b, &x).unwrap();
                prop_assert_eq!(pa.as_slice(), pb.as_slice());
            }
            _ => prop_assert!(false, "the dtype changed"),
        }
    }
}
