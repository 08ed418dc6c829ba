//! Property tests of the IDX parser: arbitrary and mutated bytes give an error, never a
//! panic, and every valid array reads back as written, plain or gzipped.

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use layerwise_data::{parse_idx, Error, IdxArray};
use proptest::prelude::*;
use std::io::Write;
use std::path::Path;

/// The IDX encoding of unsigned bytes with these dimensions.
fn encode(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Both readings of `bytes`: as a file of known length and as a stream.
fn parse_both(bytes: &[u8]) -> (Result<IdxArray, Error>, Result<IdxArray, Error>) {
    let path = Path::new("prop.idx");
    let known = parse_idx(bytes, Some(bytes.len() as u64), path);
    (known, parse_idx(bytes, None, path))
}

/// 1 to 4 dimensions of at most 5, and that many bytes.
fn valid_array() -> impl Strategy<Value = (Vec<u32>, Vec<u8>)> {
    prop::collection::vec(0_u32..=5, 1..=4).prop_flat_map(|dims| {
        let n: u32 = dims.iter().product();
        (Just(dims), prop::collection::vec(any::<u8>(), n as usize))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic_and_both_readings_agree(
        bytes in prop::collection::vec(any::<u8>(), 0..64)
    ) {
        let (known, streamed) = parse_both(&bytes);
        prop_assert_eq!(known.is_ok(), streamed.is_ok());
        if let Err(e) = &known {
            prop_assert!(e.to_string().contains("prop.idx"), "{}", e);
        }
    }

    #[test]
    fn headers_with_arbitrary_dimensions_never_panic(
        ndims in 0_u8..6, dims in prop::collection::vec(any::<u32>(), 0..5),
        tail in prop::collection::vec(any::<u8>(), 0..32),
    ) {
        let mut bytes = vec![0, 0, 0x08, ndims];
        for d in &dims {
            bytes.extend_from_slice(&d.to_be_bytes());
        }
        bytes.extend_from_slice(&tail);
        let (known, streamed) = parse_both(&bytes);
        prop_assert_eq!(known.is_ok(), streamed.is_ok());
        let gz = gzip(&bytes);
        let _ = parse_idx(MultiGzDecoder::new(&gz[..]), None, Path::new("prop.idx.gz"));
    }

    #[test]
    fn valid_arrays_round_trip_plain_and_gzipped((dims, data) in valid_array()) {
        let bytes = encode(&dims, &data);
        let expected = IdxArray {
            dims: dims.iter().map(|&d| d as usize).collect(),
            data,
        };
        let (known, streamed) = parse_both(&bytes);
        prop_assert_eq!(known.unwrap(), expected.clone());
        prop_assert_eq!(streamed.unwrap(), expected.clone());
        let gz = gzip(&bytes);
        let unzipped = parse_idx(MultiGzDecoder::new(&gz[..]), None, Path::new("p.gz"));
        prop_assert_eq!(unzipped.unwrap(), expected);
    }

    #[test]
    fn a_file_cut_anywhere_is_truncated(
        (dims, data) in valid_array(), cut in any::<prop::sample::Index>(),
    ) {
        let bytes = encode(&dims, &data);
        let keep = cut.index(bytes.len());
        let (known, streamed) = parse_both(&bytes[..keep]);
        let truncated = |r: &Result<IdxArray, Error>| matches!(r, Err(Error::Truncated { .. }));
        prop_assert!(truncated(&known), "{:?}", known);
        prop_assert!(truncated(&streamed), "{:?}", streamed);
    }

    #[test]
    fn a_flipped_byte_never_panics(
        (dims, data) in valid_array(), at in any::<prop::sample::Index>(), flip in 1_u8..,
    ) {
        let mut bytes = encode(&dims, &data);
        let i = at.index(bytes.len());
        bytes[i] ^= flip;
        let (known, streamed) = parse_both(&bytes);
        prop_assert_eq!(known.is_ok(), streamed.is_ok());
        if i >= 4 + 4 * dims.len() {
            // a data byte: still a valid file, of other contents
            prop_assert!(known.is_ok());
        }
    }
}
