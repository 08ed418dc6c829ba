//! The model-file loader on arbitrary bytes. A file it accepts must save back to bytes
//! that load as the same model.
#![no_main]

use layerwise_cli::model_file::SavedModel;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.safetensors");
    if let Ok(model) = SavedModel::from_bytes(data, path) {
        let bytes = model.to_bytes().expect("a loaded model saves");
        let again = SavedModel::from_bytes(&bytes, path).expect("a saved model loads");
        assert_eq!(format!("{again:?}"), format!("{model:?}"));
    }
});
