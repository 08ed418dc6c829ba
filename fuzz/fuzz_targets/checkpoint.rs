//! The checkpoint loader on arbitrary bytes. A checkpoint it accepts must save back to
//! bytes that load as the same checkpoint.
#![no_main]

use layerwise_cli::checkpoint::Checkpoint;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.ckpt");
    if let Ok(checkpoint) = Checkpoint::from_bytes(data, path) {
        let bytes = checkpoint.to_bytes().expect("a loaded checkpoint saves");
        let again = Checkpoint::from_bytes(&bytes, path).expect("a saved checkpoint loads");
        // as text, since a tensor may hold a NaN, which is not equal to itself
        assert_eq!(format!("{again:?}"), format!("{checkpoint:?}"));
    }
});
