//! The unpacked GEMM for products too small to pay for packing (the book's 50 × 60 × 20).
//!
//! Legend: op(A) is `m × k`, op(B) is `k × n`, C is `m × n`, tiles of C are `mr × nr`.
//!
//! The micro-kernel ([`Kernel::direct`]) reads op(A) in place through its strides and B one
//! row of a tile at a time; a B whose rows are not contiguous (op(B) = Bᵀ) is first packed
//! whole into `nr`-column panels. Rows of C go in blocks whose slice of A stays in L2 while
//! B's columns stream past in tiles. Each element of C is one sum over p = 0..k in order,
//! and threads take ranges of whole tiles, so a result never depends on the thread count.

use super::kernels::Kernel;
use super::packed::{aligned, give_back, in_tile_ranges, pack_b, take_buffer, Pad, SharedC, View};
use crate::Float;
use std::ops::Range;

/// Bytes of A one block of rows may span (most of a 1 MiB L2, half of a small one).
const A_BLOCK_BYTES: usize = 256 << 10;

/// C ← α · op(A) · op(B) + β · C (+ 1 · biasᵀ, each row) for `c` row-major `m × n`, with
/// k ≥ 1 and `bias` of length n.
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm<T: Float>(
    kern: &Kernel<T>,
    alpha: T,
    a: View<'_, T>,
    b: View<'_, T>,
    beta: T,
    bias: Option<&[T]>,
    c: &mut [T],
    (m, n, k): (usize, usize, usize),
) {
    let nr = kern.nr;
    // B's rows in place when they are contiguous, else B packed whole into panels
    let mut buf = Vec::new();
    let panels = if b.cs == 1 {
        None
    } else {
        buf = take_buffer::<T>(n.next_multiple_of(nr) * k);
        let out = aligned(&mut buf, n.next_multiple_of(nr) * k);
        pack_b(kern, b, 0..k, 0..n, out, Pad::Unread);
        Some(&*out)
    };
    let b_tile = |j0: usize| -> (*const T, usize) {
        match panels {
            None => (b.data[j0..].as_ptr(), b.rs),
            Some(p) => (p[(j0 / nr) * nr * k..].as_ptr(), nr),
        }
    };
    let shared = SharedC(c.as_mut_ptr());
    in_tile_ranges(kern, (m, n, k), |rows, cols| {
        // SAFETY: `rows × cols` lies inside C and no other thread writes it; A, B and the
        // panels hold the values `tiles` reads (see its contract).
        unsafe {
            tiles(
                kern,
                alpha,
                a,
                &b_tile,
                beta,
                bias,
                shared,
                (n, k),
                rows,
                cols,
            )
        }
    });
    if panels.is_some() {
        give_back(buf);
    }
}

/// The tiles of C in `rows × cols`: rows in blocks of A that fit [`A_BLOCK_BYTES`], then
/// columns in steps of `nr` (a B tile stays in L1 while the row tiles go past it), then rows
/// in steps of `mr`; a ragged last tile takes the narrowest, shortest routine of
/// [`Kernel::direct`] that holds it.
///
/// # Safety
/// `c` addresses a row-major buffer with `n` columns, `rows × cols` inside it, that no
/// other thread writes inside `rows × cols`; `cols.start` is a multiple of `nr`;
/// `b_tile(j0)` gives the first value and row stride of B's columns `j0..j0 + nr`, with k
/// rows readable up to column n; `bias`, when given, has n values.
#[allow(clippy::too_many_arguments)]
unsafe fn tiles<T: Float>(
    kern: &Kernel<T>,
    alpha: T,
    a: View<'_, T>,
    b_tile: &impl Fn(usize) -> (*const T, usize),
    beta: T,
    bias: Option<&[T]>,
    c: SharedC<T>,
    (n, k): (usize, usize),
    rows: Range<usize>,
    cols: Range<usize>,
) {
    let (mr, nr) = (kern.mr, kern.nr);
    let block = (A_BLOCK_BYTES / (k * std::mem::size_of::<T>())).max(1);
    let block = block.next_multiple_of(mr);
    for ib in rows.clone().step_by(block) {
        let block_end = rows.end.min(ib + block);
        for j0 in cols.clone().step_by(nr) {
            let (bp, ldb) = b_tile(j0);
            let bias_j = bias.map_or(std::ptr::null(), |b| b[j0..].as_ptr());
            let w = nr.min(cols.end - j0);
            let run = kern.direct.for_tile(mr, w);
            for i0 in (ib..block_end).step_by(mr) {
                let h = mr.min(block_end - i0);
                // the last row tile of a block may be shorter: the smallest routine that fits
                let run = if h < mr {
                    kern.direct.for_tile(h, w)
                } else {
                    run
                };
                let ap = a.data[i0 * a.rs..].as_ptr();
                let tile = c.0.add(i0 * n + j0);
                run(
                    k, ap, a.rs, a.cs, bp, ldb, alpha, beta, bias_j, tile, n, h, w,
                );
            }
        }
    }
}
