//! A header claiming far more data than a file holds is refused without allocating for
//! the claim: the largest allocation stays within what the file's bytes justify.

use flate2::write::GzEncoder;
use flate2::Compression;
use layerwise_data::{read_idx, Error};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, recording the largest single allocation.
struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

/// An IDX header `(n, 28, 28)` followed by `data` bytes.
fn header_claiming(n: u32, data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 0x08, 3];
    for d in [n, 28, 28] {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    bytes
}

#[test]
fn a_header_claiming_billions_of_images_allocates_only_for_the_bytes_present() {
    let dir = std::env::temp_dir().join(format!("layerwise-idx-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // 3.7 GB claimed; 100 kB present, plain and gzipped (the gzip decompresses to 100 kB)
    let bytes = header_claiming(4_700_000, &vec![7; 100_000]);
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&bytes).unwrap();
    let files = [("plain", bytes.clone()), ("gz", gz.finish().unwrap())];
    for (name, contents) in files {
        let path = dir.join(name);
        std::fs::write(&path, &contents).unwrap();
        LARGEST.store(0, Ordering::Relaxed);
        let err = read_idx(&path).unwrap_err();
        let largest = LARGEST.load(Ordering::Relaxed);
        assert!(
            matches!(
                err,
                Error::Truncated {
                    expected: 3_684_800_016,
                    found: 100_016,
                    ..
                }
            ),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains(&*path.to_string_lossy()), "{err}");
        // the plain file is refused from its length; the stream grows with what it reads
        assert!(
            largest < 512 * 1024,
            "{name}: an allocation of {largest} bytes"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_file_is_truncated_and_named() {
    let path = std::env::temp_dir().join(format!("layerwise-idx-empty-{}", std::process::id()));
    std::fs::write(&path, b"").unwrap();
    let err = read_idx(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(
        matches!(
            err,
            Error::Truncated {
                expected: 4,
                found: 0,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("layerwise-idx-empty"), "{err}");
}
