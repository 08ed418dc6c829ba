//! Fine-tuning a deep autoencoder allocates nothing per minibatch: a run of five times as
//! many minibatches makes no more allocations, and fewer than one per minibatch.
//!
//! A counting allocator tallies the allocations made by the test's own thread; the thread
//! count is 1 so that no kernel spawns threads (spawning allocates).

use layerwise_data::{book_experiment, SyntheticConfig};
use layerwise_models::{AutoencoderConfig, Dbn, DbnConfig, DeepAutoencoder};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting each allocation and reallocation of the calling thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the slot may be gone while the thread is being torn down
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is forwarded unchanged to `System`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Allocations made by this thread while `f` runs.
fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn finetuning_allocates_no_more_for_60_minibatches_an_epoch_than_for_12() {
    layerwise_linalg::set_threads(1);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let data = book_experiment::<f64, _>(&SyntheticConfig::default(), &mut rng).unwrap();
    let config = DbnConfig {
        hidden_sizes: vec![20, 6],
        ..DbnConfig::default()
    };
    let dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
    let run = |batch_size: usize| {
        let mut ae = DeepAutoencoder::from_dbn(&dbn).unwrap();
        let tune = AutoencoderConfig {
            epochs: 2,
            batch_size,
            ..AutoencoderConfig::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        allocations(|| {
            ae.finetune(&data.pretrain, None, &tune, &mut rng, |_| {})
                .unwrap();
        })
    };
    // 600 rows: 12 minibatches of 50 or 60 of 10 per epoch. The buffers grow once, to the
    // minibatch's size (larger minibatches may take more steps to grow them), then stay.
    let (few, many) = (run(50), run(10));
    let counts = format!("{few} for 24 minibatches, {many} for 120");
    assert!(many <= few && many < 120, "allocations per run: {counts}");
}
