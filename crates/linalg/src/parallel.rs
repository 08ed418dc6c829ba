//! How many threads the kernels use, and deterministic row-parallel loops.
//!
//! The thread count comes from [`set_threads`] when it was called with n ≥ 1, else from the
//! environment variable `LAYERWISE_THREADS`, else from the number of available cores. Work is
//! split into contiguous blocks of rows, and every row is computed by the same code whatever
//! block it lands in, so results never depend on the thread count.

use crate::pool::run_parts;
use crate::{Float, Matrix};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// 0 means "not set": fall back to the environment, then to the core count.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Below this many elements a row loop stays on the calling thread.
const MIN_PARALLEL_ELEMENTS: usize = 1 << 18;

/// Sets the number of threads every kernel may use; 0 restores the default.
pub fn set_threads(n: usize) {
    THREADS.store(n, Ordering::Relaxed);
}

/// The number of threads the kernels use now (always ≥ 1).
///
/// # Examples
/// ```
/// layerwise_linalg::set_threads(2);
/// assert_eq!(layerwise_linalg::threads(), 2);
/// layerwise_linalg::set_threads(0);
/// assert!(layerwise_linalg::threads() >= 1);
/// ```
pub fn threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => default_threads(),
        n => n,
    }
}

/// `LAYERWISE_THREADS` when it holds a number ≥ 1, else the available cores; read once.
fn default_threads() -> usize {
    static DEFAULT: OnceLock<usize> = OnceLock::new();
    *DEFAULT.get_or_init(|| {
        let from_env = std::env::var("LAYERWISE_THREADS")
            .ok()
            .and_then(|v| v.trim().parse().ok());
        match from_env {
            Some(n) if n >= 1 => n,
            _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    })
}

/// How many threads to use for `work` units when each thread should get at least `min_work`.
pub(crate) fn threads_for(work: usize, min_work: usize) -> usize {
    (work / min_work.max(1)).clamp(1, threads())
}

/// `0..n` split into contiguous ranges whose lengths are multiples of `unit` (but the
/// last), as even as possible: part p starts at unit ⌊p · units / parts⌋. Computed on
/// demand, so a parallel call allocates nothing.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Split {
    n: usize,
    unit: usize,
    units: usize,
    parts: usize,
}

impl Split {
    /// At most `parts` ranges (fewer when there are fewer units than parts; always ≥ 1).
    pub(crate) fn new(n: usize, parts: usize, unit: usize) -> Self {
        let unit = unit.max(1);
        let units = n.div_ceil(unit);
        let parts = parts.clamp(1, units.max(1));
        Split {
            n,
            unit,
            units,
            parts,
        }
    }

    /// How many ranges there are.
    pub(crate) fn len(&self) -> usize {
        self.parts
    }

    /// Range p, for p < [`Split::len`].
    pub(crate) fn part(&self, p: usize) -> std::ops::Range<usize> {
        let start_unit = |p: usize| p * self.units / self.parts;
        (start_unit(p) * self.unit).min(self.n)..(start_unit(p + 1) * self.unit).min(self.n)
    }
}

impl<T: Float> Matrix<T> {
    /// Calls `f(i, row_i)` for every row, on up to [`threads`] threads.
    ///
    /// Each row is handed to `f` exactly once with its index, so a computation that depends
    /// only on `i` and the row (a per-row random stream, say) gives the same result for any
    /// thread count.
    pub fn par_rows_mut(&mut self, f: impl Fn(usize, &mut [T]) + Sync) {
        self.par_row_chunks_mut(1, f);
    }

    /// Calls `f(first, chunk)` over contiguous chunks of whole rows, on up to [`threads`]
    /// threads: `chunk` holds rows `first..first + r` (r ≤ `chunk_rows`, r ≥ 1) back to back.
    ///
    /// Chunks let element-wise kernels run over many rows at once (a row of 20 is too short
    /// for a vector loop to pay off). Which rows share a chunk depends on the thread count,
    /// so `f` must treat every row alike for the result not to.
    pub fn par_row_chunks_mut(&mut self, chunk_rows: usize, f: impl Fn(usize, &mut [T]) + Sync) {
        let cols = self.cols().max(1);
        let mut empty: [T; 0] = [];
        row_chunks2(
            (self.as_mut_slice(), cols),
            (&mut empty, 0),
            chunk_rows,
            &|i, a, _| f(i, a),
        );
    }

    /// Calls `f(i, self_row_i, other_row_i)` for every row of two matrices with the same
    /// number of rows, on up to [`threads`] threads, as [`Matrix::par_rows_mut`] does.
    ///
    /// # Panics
    /// If the row counts differ.
    #[track_caller]
    pub fn par_rows_mut2(
        &mut self,
        other: &mut Matrix<T>,
        f: impl Fn(usize, &mut [T], &mut [T]) + Sync,
    ) {
        self.par_row_chunks_mut2(other, 1, f);
    }

    /// [`Matrix::par_row_chunks_mut`] over two matrices with the same number of rows: `f`
    /// gets the same rows of both.
    ///
    /// # Panics
    /// If the row counts differ.
    #[track_caller]
    pub fn par_row_chunks_mut2(
        &mut self,
        other: &mut Matrix<T>,
        chunk_rows: usize,
        f: impl Fn(usize, &mut [T], &mut [T]) + Sync,
    ) {
        assert_eq!(
            self.rows(),
            other.rows(),
            "par_rows_mut2: row counts differ"
        );
        let (ca, cb) = (self.cols().max(1), other.cols());
        row_chunks2(
            (self.as_mut_slice(), ca),
            (other.as_mut_slice(), cb),
            chunk_rows,
            &f,
        );
    }
}

/// The engine of the row loops: `a` and `b` are `(data, cols)` with the same row count
/// (`a`'s cols ≥ 1); rows are split into one contiguous block per thread, each block walked
/// in chunks of at most `chunk_rows` rows.
fn row_chunks2<T: Float>(
    a: (&mut [T], usize),
    b: (&mut [T], usize),
    chunk_rows: usize,
    f: &(impl Fn(usize, &mut [T], &mut [T]) + Sync),
) {
    let ((data_a, ca), (data_b, cb)) = (a, b);
    let rows = data_a.len() / ca;
    let chunk_rows = chunk_rows.max(1);
    let walk = |start: usize, mine_a: &mut [T], mine_b: &mut [T]| {
        let mut chunks_b = mine_b.chunks_mut((chunk_rows * cb).max(1));
        for (c, ra) in mine_a.chunks_mut(chunk_rows * ca).enumerate() {
            // b may have no columns: its chunks are then empty
            let rb = chunks_b.next().unwrap_or_default();
            f(start + c * chunk_rows, ra, rb);
        }
    };
    let n_threads = threads_for(data_a.len() + data_b.len(), MIN_PARALLEL_ELEMENTS);
    if n_threads == 1 {
        // on the calling thread, allocating nothing
        walk(0, data_a, data_b);
        return;
    }
    let blocks = Split::new(rows, n_threads, 1);
    let (base_a, base_b) = (
        SharedRows(data_a.as_mut_ptr()),
        SharedRows(data_b.as_mut_ptr()),
    );
    run_parts(blocks.len(), &|p| {
        let block = blocks.part(p);
        // SAFETY: the blocks are disjoint ranges of rows inside both buffers, each handed
        // to one part, and `run_parts` returns only when every part has finished.
        let (mine_a, mine_b) = unsafe {
            (
                std::slice::from_raw_parts_mut(base_a.at(block.start * ca), block.len() * ca),
                std::slice::from_raw_parts_mut(base_b.at(block.start * cb), block.len() * cb),
            )
        };
        walk(block.start, mine_a, mine_b);
    });
}

/// A buffer's start, shared by parts that take disjoint rows of it.
#[derive(Clone, Copy)]
struct SharedRows<T>(*mut T);

impl<T> SharedRows<T> {
    /// The address `offset` elements in (the buffer is only ever offset within its length).
    fn at(self, offset: usize) -> *mut T {
        self.0.wrapping_add(offset)
    }
}

// SAFETY: parts write disjoint rows (see `row_chunks2`), joined before the borrow ends.
unsafe impl<T: Send> Send for SharedRows<T> {}
unsafe impl<T: Send> Sync for SharedRows<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_covers_the_range_in_whole_units() {
        let parts = |n, parts, unit| {
            let s = Split::new(n, parts, unit);
            (0..s.len()).map(|p| s.part(p)).collect::<Vec<_>>()
        };
        assert_eq!(parts(10, 3, 1), vec![0..3, 3..6, 6..10]);
        assert_eq!(parts(50, 2, 16), vec![0..32, 32..50]);
        assert_eq!(parts(5, 4, 16), vec![0..5]);
        assert_eq!(parts(0, 2, 1), vec![0..0]);
        assert_eq!(parts(7, 7, 1), (0..7).map(|i| i..i + 1).collect::<Vec<_>>());
    }

    #[test]
    fn row_loops_see_each_row_once_with_its_index() {
        let mut m = Matrix::<f64>::zeros(1000, 70);
        m.par_rows_mut(|i, row| row.iter_mut().for_each(|x| *x += i as f64));
        assert!((0..1000).all(|i| m.row(i).iter().all(|&x| x == i as f64)));
        let mut other = Matrix::<f64>::zeros(1000, 3);
        m.par_rows_mut2(&mut other, |i, a, b| {
            b[0] = a[0] * 2.0;
            b[2] = i as f64;
        });
        assert!((0..1000).all(|i| other[(i, 0)] == 2.0 * i as f64 && other[(i, 2)] == i as f64));
    }
}
