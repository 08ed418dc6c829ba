//! The unpacked GEMM for products too small to pay for packing (the book's 50 × 60 × 20).
//!
//! Legend: op(A) is `m × k`, op(B) is `k × n`, C is `m × n`, tiles of C are `mr × nr`.
//!
//! The micro-kernel ([`Kernel::direct`]) reads op(A) in place through its strides and B one
//! row of a tile at a time; a B whose rows are not contiguous (op(B) = Bᵀ) is first packed
//! whole into `nr`-column panels, which is cheap because B is small here. Each element of C
//! is one sum over p = 0..k in order. Products this small never pay for a second thread, so
//! the path runs on the calling thread.

use super::kernels::Kernel;
use super::packed::{aligned, give_back, pack_b, take_buffer, View};
use crate::Float;

/// C ← α · op(A) · op(B) + β · C for `c` row-major `m × n`, with k ≥ 1.
pub(super) fn gemm<T: Float>(
    kern: &Kernel<T>,
    alpha: T,
    a: View<'_, T>,
    b: View<'_, T>,
    beta: T,
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
        pack_b(kern, b, 0..k, 0..n, out);
        Some(&*out)
    };
    let b_tile = |j0: usize| -> (*const T, usize) {
        match panels {
            None => (b.data[j0..].as_ptr(), b.rs),
            Some(p) => (p[(j0 / nr) * nr * k..].as_ptr(), nr),
        }
    };
    // SAFETY: C is m × n; A, B and the panels hold the values `tiles` reads (its contract).
    unsafe { tiles(kern, alpha, a, &b_tile, beta, c.as_mut_ptr(), (m, n, k)) };
    if panels.is_some() {
        give_back(buf);
    }
}

/// Every tile of C: columns in steps of `nr` (a B tile stays in L1 while the row tiles go
/// past it), rows in steps of `mr`.
///
/// # Safety
/// `c` addresses a row-major `m × n` buffer; `b_tile(j0)` gives the first value and row
/// stride of B's columns `j0..j0 + nr`, with k rows readable up to column n.
#[allow(clippy::too_many_arguments)]
unsafe fn tiles<T: Float>(
    kern: &Kernel<T>,
    alpha: T,
    a: View<'_, T>,
    b_tile: &impl Fn(usize) -> (*const T, usize),
    beta: T,
    c: *mut T,
    (m, n, k): (usize, usize, usize),
) {
    let (mr, nr) = (kern.mr, kern.nr);
    for j0 in (0..n).step_by(nr) {
        let (bp, ldb) = b_tile(j0);
        let w = nr.min(n - j0);
        let run = if 2 * w <= nr {
            kern.direct_half
        } else {
            kern.direct
        };
        for i0 in (0..m).step_by(mr) {
            let h = mr.min(m - i0);
            let ap = a.data[i0 * a.rs..].as_ptr();
            let tile = c.add(i0 * n + j0);
            run(k, ap, a.rs, a.cs, bp, ldb, alpha, beta, tile, n, h, w);
        }
    }
}
