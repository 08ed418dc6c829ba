//! The CSV parser on arbitrary bytes, with the first byte choosing the options (label
//! column, header mode, delimiter) and whether a model width is given.
#![no_main]

use layerwise_cli::config::{CsvOptions, HeaderMode, LabelColumn};
use layerwise_cli::table::parse_csv;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, text)) = data.split_first() else {
        return;
    };
    let label = match choice % 5 {
        0 => LabelColumn::Last,
        1 => LabelColumn::First,
        2 => LabelColumn::None,
        3 => LabelColumn::Index(usize::from(choice >> 5)),
        _ => LabelColumn::Name("label".into()),
    };
    let header = match (choice >> 3) % 3 {
        0 => HeaderMode::Auto,
        1 => HeaderMode::Yes,
        _ => HeaderMode::No,
    };
    let delimiter = if choice & 0x80 == 0 { ',' } else { ';' };
    let options = CsvOptions {
        header,
        label,
        delimiter,
    };
    let n_inputs = (choice & 0x40 != 0).then_some(usize::from(choice & 0x07));
    let path = Path::new("fuzz.csv");
    if let Ok(table) = parse_csv::<f32, _>(text, path, &options, n_inputs) {
        assert!(table.features.as_slice().iter().all(|v| v.is_finite()));
        if let Some(labels) = &table.labels {
            assert_eq!(labels.len(), table.features.rows());
        }
    }
});
