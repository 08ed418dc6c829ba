//! Parallel kernels allocate nothing once warm: handing work to the pool's threads takes no
//! box, channel or vector, and the GEMM's packing buffers come back to its pool.
//!
//! Unlike the models' allocation tests this counts the allocations of every thread, workers
//! included, so it runs without libtest (`harness = false`): nothing else may allocate
//! beside it. Before the allocation-free pool, 20 warm steps here made 524 allocations.

use layerwise_linalg::{gemm, set_threads, Matrix, Trans};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counting every allocation and reallocation of every thread.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn filled(rows: usize, cols: usize) -> Matrix<f32> {
    let data = (0..rows * cols).map(|i| (i % 17) as f32 * 0.125).collect();
    Matrix::from_vec(rows, cols, data).unwrap()
}

fn main() {
    set_threads(2);
    let (v, w) = (filled(100, 784), filled(500, 784));
    let (big_a, big_b) = (filled(300, 300), filled(300, 300));
    let mut h = Matrix::zeros(100, 500);
    let mut back = Matrix::zeros(100, 784);
    let mut dw = Matrix::zeros(500, 784);
    let mut square = Matrix::zeros(300, 300);
    let mut big = Matrix::<f32>::zeros(1000, 784);
    let mut step = || {
        // the forward, downward and gradient products of an RBM 784 → 500, and a square
        // product on the packed path
        gemm(1.0, &v, Trans::N, &w, Trans::T, 0.0, &mut h);
        gemm(1.0, &h, Trans::N, &w, Trans::N, 0.0, &mut back);
        gemm(0.01, &h, Trans::T, &v, Trans::N, 1.0, &mut dw);
        gemm(1.0, &big_a, Trans::N, &big_b, Trans::N, 0.0, &mut square);
        // a row pass large enough to be split between the threads
        big.par_row_chunks_mut(8, |first, chunk| {
            chunk
                .iter_mut()
                .for_each(|x| *x = x.mul_add(0.5, first as f32));
        });
    };
    // the first calls start the worker and fill the GEMM's buffer pool
    for _ in 0..3 {
        step();
    }
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..20 {
        step();
    }
    let made = ALLOCATIONS.load(Ordering::SeqCst) - before;
    assert_eq!(made, 0, "{made} allocations in 20 warm steps on 2 threads");
    set_threads(0);
    println!("parallel_allocations: 20 warm steps on 2 threads allocated nothing");
}
