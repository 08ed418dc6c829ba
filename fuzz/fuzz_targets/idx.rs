//! The IDX parser on arbitrary bytes: as a file of known length, as a stream of unknown
//! length, and through the gzip decoder when the bytes start like gzip. Any outcome but a
//! panic, a hang or an oversized allocation is fine.
#![no_main]

use flate2::read::MultiGzDecoder;
use layerwise_data::parse_idx;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.idx");
    let known = parse_idx(data, Some(data.len() as u64), path);
    let streamed = parse_idx(data, None, path);
    // both readings agree on what a valid file holds
    if let (Ok(a), Ok(b)) = (&known, &streamed) {
        assert_eq!(a, b);
    }
    assert_eq!(known.is_ok(), streamed.is_ok());
    if data.starts_with(&[0x1f, 0x8b]) {
        let _ = parse_idx(MultiGzDecoder::new(data), None, path);
    }
});
