//! The packed, cache-blocked GEMM (the Goto/BLIS scheme) and its threading.
//!
//! Legend: op(A) is `m × k`, op(B) is `k × n`, C is `m × n`; a micro-kernel computes one
//! `mr × nr` tile of C from an `mr`-row panel of A and an `nr`-column panel of B.
//!
//! Loops, outermost first: columns of C in blocks of `nc` (B block in L3) → depth in blocks of
//! `kc` (B is packed) → rows in blocks of `mc` (A is packed, the block stays in L2) → B panels
//! of `nr` columns (one stays in L1) → A panels of `mr` rows → the micro-kernel.
//!
//! Every element of C is summed in one fixed order: the kernel's p = 0..kc loop, block after
//! block of k, each block added to C in turn. Threads split C into ranges of whole tiles, so
//! an element is computed by the same instructions whatever the thread count.

use super::kernels::Kernel;
use crate::parallel::{threads_for, Split};
use crate::pool::run_parts;
use crate::Float;
use std::ops::Range;

/// A read-only operand seen as `rows × cols` with element (i, p) at `data[i·rs + p·cs]`.
#[derive(Clone, Copy)]
pub(super) struct View<'a, T> {
    pub(super) data: &'a [T],
    pub(super) rs: usize,
    pub(super) cs: usize,
}

impl<T: Copy> View<'_, T> {
    #[inline(always)]
    fn at(&self, i: usize, p: usize) -> T {
        self.data[i * self.rs + p * self.cs]
    }
}

/// C's buffer shared by threads that write disjoint tiles of it.
#[derive(Clone, Copy)]
pub(super) struct SharedC<T>(pub(super) *mut T);

// SAFETY: threads write disjoint rows or column ranges of C (see `gemm`), and the scope
// joins them before the borrow of C ends.
unsafe impl<T: Send> Send for SharedC<T> {}
unsafe impl<T: Send> Sync for SharedC<T> {}

/// Multiply-adds one thread should do at least, so that spawning it pays.
const MIN_WORK_PER_THREAD: usize = 1 << 21;

/// C ← α · op(A) · op(B) + β · C for `c` row-major `m × n` (leading dimension n).
pub(super) fn gemm<T: Float>(
    kern: &Kernel<T>,
    alpha: T,
    a: View<'_, T>,
    b: View<'_, T>,
    beta: T,
    c: &mut [T],
    (m, n, k): (usize, usize, usize),
) {
    let shared = SharedC(c.as_mut_ptr());
    in_tile_ranges(kern, (m, n, k), |rows, cols| {
        // SAFETY: `rows × cols` lies inside C, and no other thread touches it.
        unsafe { block(kern, alpha, a, b, beta, shared, n, k, rows, cols) }
    });
}

/// Runs `run(rows, cols)` over ranges of whole tiles that cover C (`m × n`), one per thread.
///
/// Splitting the columns makes every thread read all of A (m × k), splitting the rows all
/// of B (k × n), so the split goes across the dimension that makes each thread re-read the
/// smaller operand.
pub(super) fn in_tile_ranges<T: Float>(
    kern: &Kernel<T>,
    (m, n, k): (usize, usize, usize),
    run: impl Fn(Range<usize>, Range<usize>) + Sync,
) {
    let n_threads = threads_for(m * n * k, MIN_WORK_PER_THREAD);
    if n_threads == 1 {
        return run(0..m, 0..n);
    }
    let by_cols = (m <= n && n >= 2 * kern.nr) || m < 2 * kern.mr;
    let unit = if by_cols { kern.nr } else { kern.mr };
    let ranges = Split::new(if by_cols { n } else { m }, n_threads, unit);
    run_parts(ranges.len(), &|p| {
        let r = ranges.part(p);
        if by_cols {
            run(0..m, r)
        } else {
            run(r, 0..n)
        }
    });
}

/// The blocked loops over one `rows × cols` range of C.
///
/// # Safety
/// `c` must point to a row-major buffer of at least `rows.end × ldc` elements that no other
/// thread reads or writes inside `rows × cols`.
#[allow(clippy::too_many_arguments)]
unsafe fn block<T: Float>(
    kern: &Kernel<T>,
    alpha: T,
    a: View<'_, T>,
    b: View<'_, T>,
    beta: T,
    c: SharedC<T>,
    ldc: usize,
    k: usize,
    rows: Range<usize>,
    cols: Range<usize>,
) {
    let (mr, nr) = (kern.mr, kern.nr);
    let mut a_buf = take_buffer::<T>(kern.mc.next_multiple_of(mr) * kern.kc);
    let mut b_buf = take_buffer::<T>(kern.nc.next_multiple_of(nr) * kern.kc);
    for jc in cols.clone().step_by(kern.nc) {
        let nc = kern.nc.min(cols.end - jc);
        for pc in (0..k).step_by(kern.kc) {
            let kc = kern.kc.min(k - pc);
            let b_pack = aligned(&mut b_buf, nc.next_multiple_of(nr) * kc);
            pack_b(kern, b, pc..pc + kc, jc..jc + nc, b_pack, Pad::Zeros);
            // the first block of k applies β; later blocks add to what is there
            let beta = if pc == 0 { beta } else { T::ONE };
            for ic in rows.clone().step_by(kern.mc) {
                let mc = kern.mc.min(rows.end - ic);
                let a_pack = aligned(&mut a_buf, mc.next_multiple_of(mr) * kc);
                pack_a(a, ic..ic + mc, pc..pc + kc, mr, a_pack);
                for jr in (0..nc).step_by(nr) {
                    for ir in (0..mc).step_by(mr) {
                        let tile = c.0.add((ic + ir) * ldc + jc + jr);
                        let (ap, bp) = (a_pack.as_ptr().add(ir * kc), b_pack.as_ptr().add(jr * kc));
                        let (h, w) = (mr.min(mc - ir), nr.min(nc - jr));
                        (kern.run)(kc, ap, bp, alpha, beta, tile, ldc, h, w);
                    }
                }
            }
        }
    }
    give_back(a_buf);
    give_back(b_buf);
}

/// Packs rows × depth of op(A) into panels of `mr` rows: panel q holds, for each p, the `mr`
/// values A[q·mr + i, p] side by side; rows past the end are zero.
fn pack_a<T: Float>(
    a: View<'_, T>,
    rows: Range<usize>,
    depth: Range<usize>,
    mr: usize,
    out: &mut [T],
) {
    let kc = depth.len();
    for (q, panel) in out.chunks_exact_mut(mr * kc).enumerate() {
        let first = rows.start + q * mr;
        let h = mr.min(rows.end - first);
        if h < mr {
            panel.fill(T::ZERO);
        }
        if a.cs == 1 {
            // rows are contiguous in memory: read along each row
            for i in 0..h {
                let start = (first + i) * a.rs + depth.start;
                let row = &a.data[start..start + kc];
                for (dst, &v) in panel.chunks_exact_mut(mr).zip(row) {
                    dst[i] = v;
                }
            }
        } else {
            // columns are contiguous (A is transposed): h values side by side per p
            for (dst, x) in panel.chunks_exact_mut(mr).zip(depth.clone()) {
                let start = x * a.cs + first * a.rs;
                for (d, &v) in dst[..h].iter_mut().zip(&a.data[start..start + h]) {
                    *d = v;
                }
            }
        }
    }
}

/// Packs depth × cols of op(B) into panels of `nr` columns: panel q holds, for each p, the
/// `nr` values B[p, q·nr + j] side by side. With `Pad::Zeros` the columns past the end are
/// zero (the packed kernels read whole panels); with `Pad::Unread` they are left as they
/// were (the direct kernels load under lane masks and never read them).
pub(super) fn pack_b<T: Float>(
    kern: &Kernel<T>,
    b: View<'_, T>,
    depth: Range<usize>,
    cols: Range<usize>,
    out: &mut [T],
    pad: Pad,
) {
    let (kc, nr) = (depth.len(), kern.nr);
    for (q, panel) in out.chunks_exact_mut(nr * kc).enumerate() {
        let first = cols.start + q * nr;
        let w = nr.min(cols.end - first);
        if w < nr && pad == Pad::Zeros {
            panel.fill(T::ZERO);
        }
        if b.cs == 1 {
            // rows of op(B) are contiguous: copy w values per p
            for (p, x) in depth.clone().enumerate() {
                let src = &b.data[x * b.rs + first..x * b.rs + first + w];
                // an element loop, not copy_from_slice: a call to memmove per 32 values costs
                for (d, &v) in panel[p * nr..p * nr + w].iter_mut().zip(src) {
                    *d = v;
                }
            }
        } else if let (Some(pack), true) = (kern.pack_bt, w == nr && b.rs == 1) {
            // a full panel of a transposed B: square blocks transposed in registers
            let src = &b.data[first * b.cs + depth.start..];
            assert!(src.len() >= (nr - 1) * b.cs + kc, "panel inside B");
            // SAFETY: the assert bounds every read; `panel` holds kc × nr values.
            unsafe { pack(src.as_ptr(), b.cs, kc, panel.as_mut_ptr()) };
        } else {
            // columns of op(B) are contiguous (B is transposed): read down each column
            for j in 0..w {
                for (p, x) in depth.clone().enumerate() {
                    panel[p * nr + j] = b.at(x, first + j);
                }
            }
        }
    }
}

/// What [`pack_b`] writes past the last column of a partial panel.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pad {
    /// Zeros.
    Zeros,
    /// Nothing: whatever the buffer held stays.
    Unread,
}

/// A sub-slice of `buf` of `len` elements starting on a 64-byte boundary.
pub(super) fn aligned<T: Float>(buf: &mut Vec<T>, len: usize) -> &mut [T] {
    let slack = 64 / std::mem::size_of::<T>();
    if buf.len() < len + slack {
        buf.resize(len + slack, T::ZERO);
    }
    let off = buf.as_ptr().align_offset(64).min(slack);
    &mut buf[off..off + len]
}

/// The smallest of this thread's kept buffers that holds `capacity` elements (and the
/// alignment slack) without growing, else the largest kept one, else a new one.
///
/// Buffers are kept per thread (the caller's and each worker's), so that what a thread
/// needs does not depend on what the other threads hold at the moment: once every thread
/// has packed once, steady-state training allocates nothing. Choosing by size keeps a
/// small buffer from being taken, and grown, for a large panel.
pub(super) fn take_buffer<T: Float>(capacity: usize) -> Vec<T> {
    let need = capacity + 64;
    let taken = T::with_pack_pool(|p| {
        let fits = (0..p.len())
            .filter(|&i| p[i].capacity() >= need)
            .min_by_key(|&i| p[i].capacity());
        let largest = || (0..p.len()).max_by_key(|&i| p[i].capacity());
        fits.or_else(largest).map(|i| p.swap_remove(i))
    });
    taken.unwrap_or_else(|| Vec::with_capacity(need))
}

/// Keeps `buf` for this thread's next [`take_buffer`] (up to 8 buffers a thread).
pub(super) fn give_back<T: Float>(buf: Vec<T>) {
    T::with_pack_pool(|p| {
        if p.len() < 8 {
            p.push(buf);
        }
    });
}
