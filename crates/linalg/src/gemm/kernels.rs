//! Micro-kernels: one `mr × nr` tile of C from packed panels, for each instruction set.
//!
//! Every kernel computes acc\[i\]\[j\] = Σ_{p < kc} a[p·mr + i] · b[p·nr + j] in the order
//! p = 0, 1, …, then writes t = α·acc, plus β·C when β ≠ 0 (so β = 0 never reads C), as a
//! product and a sum rounded separately. Edge tiles (`rows < mr` or `cols < nr`) go through
//! the same accumulation and a scalar copy of the same epilogue, so an element's value does
//! not depend on where the tile grid cuts.

use crate::Float;

/// A micro-kernel and the block sizes that suit it.
pub struct Kernel<T> {
    /// Its name, for benchmarks and tests: `"portable"`, `"avx2"` or `"avx512"`.
    pub name: &'static str,
    /// Rows of a tile.
    pub mr: usize,
    /// Columns of a tile.
    pub nr: usize,
    /// Depth of a packed block (the B panel, `kc × nr`, stays in L1).
    pub kc: usize,
    /// Rows of a packed A block (`mc × kc`, kept in L2).
    pub mc: usize,
    /// Columns of a packed B block.
    pub nc: usize,
    /// Packs one full panel of a transposed B with SIMD shuffles, when the kernel has one:
    /// `(src, ld, kc, dst)` reads `nr` rows of `kc` contiguous values `ld` apart and writes
    /// them as `kc` rows of `nr` values.
    pub pack_bt: Option<PackFn<T>>,
    /// The tile routine: `(kc, a, b, α, β, c, ldc, rows, cols)`.
    ///
    /// # Safety
    /// `a` holds `mr·kc` and `b` `nr·kc` readable values; `c` addresses a `rows × cols`
    /// tile (rows ≤ mr, cols ≤ nr) with row stride `ldc`; the CPU has the kernel's features.
    pub run: TileFn<T>,
    /// The same tile read in place, for products too small to pay for packing, in
    /// [`DIRECT_CLASSES`] sizes so that a ragged edge of C does not pay for a whole tile.
    pub direct: DirectSet<T>,
}

/// How many row and column sizes [`DirectSet`] holds.
pub const DIRECT_CLASSES: usize = 3;

/// In-place tile routines by tile size: `run[r][w]` computes a tile of at most `rows[r]`
/// rows and `widths[w]` columns. Both lists fall from the kernel's `mr` and `nr`; a size
/// the instruction set cannot do narrower repeats the one before it.
///
/// Each routine is `(k, a, a_rs, a_cs, b, ldb, α, β, bias, c, ldc, rows, cols)` with
/// op(A)\[i, p\] at `a[i·a_rs + p·a_cs]` and op(B)\[p, j\] at `b[p·ldb + j]`; it writes
/// t = α·acc (+ β·C when β ≠ 0), then t + bias\[j\] when `bias` is not null (the same two
/// roundings as a GEMM followed by a bias pass), and sums every element in the same order as
/// [`Kernel::run`], so the size chosen never changes a result.
///
/// # Safety (of each routine)
/// `a` addresses `rows` (1 ≤ rows ≤ its row size) rows of `k` readable values through its
/// strides; `b` has `k` rows of `cols` (≤ its width) readable values; `bias` is null or has
/// `cols` readable values; `c` as for [`Kernel::run`].
pub struct DirectSet<T> {
    /// Row sizes, largest (`mr`) first.
    pub rows: [usize; DIRECT_CLASSES],
    /// Column widths, largest (`nr`) first.
    pub widths: [usize; DIRECT_CLASSES],
    /// The routines, `[row class][width class]`.
    pub run: [[DirectFn<T>; DIRECT_CLASSES]; DIRECT_CLASSES],
}

impl<T> DirectSet<T> {
    /// The routine for a tile of `rows × cols` (each at least 1 and at most `mr`, `nr`):
    /// the smallest class that holds it.
    #[inline]
    pub fn for_tile(&self, rows: usize, cols: usize) -> DirectFn<T> {
        let r = (0..DIRECT_CLASSES)
            .rev()
            .find(|&r| rows <= self.rows[r])
            .unwrap_or(0);
        let w = (0..DIRECT_CLASSES)
            .rev()
            .find(|&w| cols <= self.widths[w])
            .unwrap_or(0);
        self.run[r][w]
    }
}

/// The signature of an in-place tile routine; see [`Kernel::direct`].
pub type DirectFn<T> = unsafe fn(
    usize,
    *const T,
    usize,
    usize,
    *const T,
    usize,
    T,
    T,
    *const T,
    *mut T,
    usize,
    usize,
    usize,
);

/// The signature of a tile routine; see [`Kernel::run`].
pub type TileFn<T> = unsafe fn(usize, *const T, *const T, T, T, *mut T, usize, usize, usize);

/// The signature of a transposing pack; see [`Kernel::pack_bt`].
pub type PackFn<T> = unsafe fn(*const T, usize, usize, *mut T);

/// C-tile ← α·acc (+ β·C-tile), for the valid `rows × cols` corner of an accumulated tile.
///
/// # Safety
/// As for [`Kernel::run`]; `tile` has `rows` rows of stride `ld`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn epilogue<T: Float>(
    tile: &[T],
    ld: usize,
    alpha: T,
    beta: T,
    c: *mut T,
    ldc: usize,
    rows: usize,
    cols: usize,
) {
    for i in 0..rows {
        for j in 0..cols {
            let dst = c.add(i * ldc + j);
            let mut t = alpha * tile[i * ld + j];
            if beta != T::ZERO {
                t += beta * *dst;
            }
            *dst = t;
        }
    }
}

const PORTABLE_MR: usize = 4;
const PORTABLE_NR: usize = 8;

/// The fallback: plain arrays the compiler vectorises for whatever the target offers.
///
/// # Safety
/// As for [`Kernel::run`].
#[allow(clippy::too_many_arguments)]
unsafe fn portable<T: Float>(
    kc: usize,
    a: *const T,
    b: *const T,
    alpha: T,
    beta: T,
    c: *mut T,
    ldc: usize,
    rows: usize,
    cols: usize,
) {
    const MR: usize = PORTABLE_MR;
    const NR: usize = PORTABLE_NR;
    let a = std::slice::from_raw_parts(a, kc * MR);
    let b = std::slice::from_raw_parts(b, kc * NR);
    let mut acc = [T::ZERO; MR * NR];
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        for i in 0..MR {
            for j in 0..NR {
                acc[i * NR + j] += ap[i] * bp[j];
            }
        }
    }
    epilogue(&acc, NR, alpha, beta, c, ldc, rows, cols);
}

/// The in-place fallback, accumulating in the same order as [`portable`].
///
/// # Safety
/// As for [`Kernel::direct`].
#[allow(clippy::too_many_arguments)]
unsafe fn portable_direct<T: Float>(
    k: usize,
    a: *const T,
    a_rs: usize,
    a_cs: usize,
    b: *const T,
    ldb: usize,
    alpha: T,
    beta: T,
    bias: *const T,
    c: *mut T,
    ldc: usize,
    rows: usize,
    cols: usize,
) {
    const MR: usize = PORTABLE_MR;
    const NR: usize = PORTABLE_NR;
    let mut acc = [T::ZERO; MR * NR];
    for p in 0..k {
        let bp = std::slice::from_raw_parts(b.add(p * ldb), cols);
        for i in 0..rows {
            let ai = *a.add(i * a_rs + p * a_cs);
            for (j, &bv) in bp.iter().enumerate() {
                acc[i * NR + j] += ai * bv;
            }
        }
    }
    epilogue(&acc, NR, alpha, beta, c, ldc, rows, cols);
    if !bias.is_null() {
        let bias = std::slice::from_raw_parts(bias, cols);
        for i in 0..rows {
            for (j, &b) in bias.iter().enumerate() {
                *c.add(i * ldc + j) += b;
            }
        }
    }
}

/// The portable kernel for any float type.
pub fn portable_kernel<T: Float>() -> Kernel<T> {
    Kernel {
        name: "portable",
        mr: PORTABLE_MR,
        nr: PORTABLE_NR,
        kc: 256,
        mc: 128,
        nc: 2048,
        pack_bt: None,
        run: portable::<T>,
        direct: DirectSet {
            rows: [PORTABLE_MR; DIRECT_CLASSES],
            widths: [PORTABLE_NR; DIRECT_CLASSES],
            run: [[portable_direct::<T>; DIRECT_CLASSES]; DIRECT_CLASSES],
        },
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::epilogue;
    use std::arch::x86_64::*;

    /// One SIMD kernel: `$mr` rows × `$nv` vectors of `$lanes` columns, kept in registers.
    macro_rules! simd_kernel {
        ($name:ident, $t:ty, $feat:literal, $lanes:expr, $mr:expr, $nv:expr,
         $zero:ident, $set1:ident, $load:ident, $store:ident, $fma:ident, $mul:ident,
         $add:ident) => {
            /// # Safety
            /// As for `Kernel::run`; the CPU must support the enabled features.
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments)]
            pub(super) unsafe fn $name(
                kc: usize,
                a: *const $t,
                b: *const $t,
                alpha: $t,
                beta: $t,
                c: *mut $t,
                ldc: usize,
                rows: usize,
                cols: usize,
            ) {
                const MR: usize = $mr;
                const NV: usize = $nv;
                const L: usize = $lanes;
                let mut acc = [[$zero(); NV]; MR];
                let (mut ap, mut bp) = (a, b);

                // C's tile is read only after the loop: ask for its lines now, so that the
                // misses overlap the multiply-adds (a hint: it reads and changes nothing)
                if beta != 0.0 {
                    for i in 0..rows.min(MR) {
                        for v in 0..NV {
                            let line = c.wrapping_add(i * ldc + v * L) as *const i8;
                            _mm_prefetch::<_MM_HINT_T0>(line);
                        }
                    }
                }

                // acc += a-column ⊗ b-row, for p = 0..kc in order
                for _ in 0..kc {
                    let mut bv = [$zero(); NV];
                    for v in 0..NV {
                        bv[v] = $load(bp.add(v * L));
                    }
                    for i in 0..MR {
                        let ai = $set1(*ap.add(i));
                        for v in 0..NV {
                            acc[i][v] = $fma(ai, bv[v], acc[i][v]);
                        }
                    }
                    ap = ap.add(MR);
                    bp = bp.add(NV * L);
                }

                // C ← α·acc (+ β·C): in registers for a full tile, else through a buffer
                if rows == MR && cols == NV * L {
                    let (va, vb) = ($set1(alpha), $set1(beta));
                    for i in 0..MR {
                        for v in 0..NV {
                            let dst = c.add(i * ldc + v * L);
                            let mut t = $mul(va, acc[i][v]);
                            if beta != 0.0 {
                                t = $add(t, $mul(vb, $load(dst)));
                            }
                            $store(dst, t);
                        }
                    }
                } else {
                    let mut tile = [0.0 as $t; MR * NV * L];
                    for i in 0..MR {
                        for v in 0..NV {
                            $store(tile.as_mut_ptr().add((i * NV + v) * L), acc[i][v]);
                        }
                    }
                    epilogue(&tile, NV * L, alpha, beta, c, ldc, rows, cols);
                }
            }
        };
    }

    /// One SIMD tile read in place (see `Kernel::direct`): `$mr` rows × `$nv` vectors of
    /// `$lanes` columns in registers; op(A) is broadcast through its strides, B rows are
    /// loaded under a lane mask so that the column tail reads and writes nothing past `cols`.
    /// Rows past `rows` repeat the last valid row, and their sums are dropped.
    macro_rules! direct_kernel {
        ($name:ident, $t:ty, $feat:literal, $lanes:expr, $mr:expr, $nv:expr, $mask_of:ident,
         $zero:ident, $set1:ident, $mload:ident, $mstore:ident, $fma:ident, $mul:ident,
         $add:ident) => {
            /// # Safety
            /// As for `Kernel::direct`; the CPU must support the enabled features.
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments)]
            pub(super) unsafe fn $name(
                k: usize,
                a: *const $t,
                a_rs: usize,
                a_cs: usize,
                b: *const $t,
                ldb: usize,
                alpha: $t,
                beta: $t,
                bias: *const $t,
                c: *mut $t,
                ldc: usize,
                rows: usize,
                cols: usize,
            ) {
                const MR: usize = $mr;
                const NV: usize = $nv;
                const L: usize = $lanes;
                let mut masks = [$mask_of(0); NV];
                for (v, mask) in masks.iter_mut().enumerate() {
                    *mask = $mask_of(cols.saturating_sub(v * L).min(L));
                }
                let mut arow = [a; MR];
                for (i, row) in arow.iter_mut().enumerate() {
                    *row = a.add(i.min(rows - 1) * a_rs);
                }
                let mut acc = [[$zero(); NV]; MR];

                // C's tile is read only after the loop (a weight matrix being updated, say):
                // ask for its lines now (a hint: it reads and changes nothing)
                if beta != 0.0 {
                    for i in 0..rows.min(MR) {
                        for v in 0..NV {
                            let line = c.wrapping_add(i * ldc + v * L) as *const i8;
                            _mm_prefetch::<_MM_HINT_T0>(line);
                        }
                    }
                }

                // acc += op(A)[:, p] ⊗ B[p, :], for p = 0..k in order
                for p in 0..k {
                    let bp = b.add(p * ldb);
                    let mut bv = [$zero(); NV];
                    for v in 0..NV {
                        bv[v] = $mload!(bp.wrapping_add(v * L), masks[v]);
                    }
                    for i in 0..MR {
                        let ai = $set1(*arow[i].add(p * a_cs));
                        for v in 0..NV {
                            acc[i][v] = $fma(ai, bv[v], acc[i][v]);
                        }
                    }
                }

                // C ← α·acc (+ β·C) (+ bias) under the same masks
                let (va, vb) = ($set1(alpha), $set1(beta));
                let mut bias_v = [$zero(); NV];
                if !bias.is_null() {
                    for v in 0..NV {
                        bias_v[v] = $mload!(bias.wrapping_add(v * L), masks[v]);
                    }
                }
                for i in 0..MR {
                    if i < rows {
                        for v in 0..NV {
                            let dst = c.wrapping_add(i * ldc + v * L);
                            let mut t = $mul(va, acc[i][v]);
                            if beta != 0.0 {
                                t = $add(t, $mul(vb, $mload!(dst, masks[v])));
                            }
                            if !bias.is_null() {
                                t = $add(t, bias_v[v]);
                            }
                            // a whole vector goes out by a plain store: a masked one
                            // would keep the next pass from forwarding it to its loads
                            $mstore!(dst, masks[v], t, cols >= (v + 1) * L);
                        }
                    }
                }
            }
        };
    }

    /// [`direct_kernel!`] once per row size: `[(name, mr), …]`, then the shared arguments.
    macro_rules! direct_kernels {
        ([], $($rest:tt)*) => {};
        ([($name:ident, $mr:expr) $(, $more:tt)*], $t:ty, $feat:literal, $lanes:expr,
         $nv:expr, $($ops:ident),*) => {
            direct_kernel!($name, $t, $feat, $lanes, $mr, $nv, $($ops),*);
            direct_kernels!([$($more),*], $t, $feat, $lanes, $nv, $($ops),*);
        };
    }

    /// Lane masks: the first `valid` lanes set.
    fn mask8(valid: usize) -> __mmask8 {
        ((1_u16 << valid) - 1) as __mmask8
    }

    fn mask16(valid: usize) -> __mmask16 {
        ((1_u32 << valid) - 1) as __mmask16
    }

    /// Sign-bit masks for AVX2's masked moves, read off a sliding window of a table.
    static MASK_TABLE: [i64; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

    #[target_feature(enable = "avx")]
    unsafe fn mask_pd(valid: usize) -> __m256i {
        _mm256_loadu_si256(MASK_TABLE.as_ptr().add(8 - valid) as *const __m256i)
    }

    #[target_feature(enable = "avx")]
    unsafe fn mask_ps(valid: usize) -> __m256i {
        let table = MASK_TABLE.as_ptr() as *const i32;
        _mm256_loadu_si256(table.add(16 - valid) as *const __m256i)
    }

    macro_rules! load_avx512_ps {
        ($p:expr, $m:expr) => {
            _mm512_maskz_loadu_ps($m, $p)
        };
    }
    macro_rules! store_avx512_ps {
        ($p:expr, $m:expr, $v:expr, $full:expr) => {
            if $full {
                _mm512_storeu_ps($p, $v)
            } else {
                _mm512_mask_storeu_ps($p, $m, $v)
            }
        };
    }
    macro_rules! load_avx512_pd {
        ($p:expr, $m:expr) => {
            _mm512_maskz_loadu_pd($m, $p)
        };
    }
    macro_rules! store_avx512_pd {
        ($p:expr, $m:expr, $v:expr, $full:expr) => {
            if $full {
                _mm512_storeu_pd($p, $v)
            } else {
                _mm512_mask_storeu_pd($p, $m, $v)
            }
        };
    }
    macro_rules! load_vl_ps {
        ($p:expr, $m:expr) => {
            _mm256_maskz_loadu_ps($m, $p)
        };
    }
    macro_rules! store_vl_ps {
        ($p:expr, $m:expr, $v:expr, $full:expr) => {
            if $full {
                _mm256_storeu_ps($p, $v)
            } else {
                _mm256_mask_storeu_ps($p, $m, $v)
            }
        };
    }
    macro_rules! load_vl_pd {
        ($p:expr, $m:expr) => {
            _mm256_maskz_loadu_pd($m, $p)
        };
    }
    macro_rules! store_vl_pd {
        ($p:expr, $m:expr, $v:expr, $full:expr) => {
            if $full {
                _mm256_storeu_pd($p, $v)
            } else {
                _mm256_mask_storeu_pd($p, $m, $v)
            }
        };
    }
    macro_rules! load_avx2_ps {
        ($p:expr, $m:expr) => {
            _mm256_maskload_ps($p, $m)
        };
    }
    macro_rules! store_avx2_ps {
        ($p:expr, $m:expr, $v:expr, $full:expr) => {
            if $full {
                _mm256_storeu_ps($p, $v)
            } else {
                _mm256_maskstore_ps($p, $m, $v)
            }
        };
    }
    macro_rules! load_avx2_pd {
        ($p:expr, $m:expr) => {
            _mm256_maskload_pd($p, $m)
        };
    }
    macro_rules! store_avx2_pd {
        ($p:expr, $m:expr, $v:expr, $full:expr) => {
            if $full {
                _mm256_storeu_pd($p, $v)
            } else {
                _mm256_maskstore_pd($p, $m, $v)
            }
        };
    }

    /// Writes the transpose of the 8 × 8 block at `src` (rows `ld` apart) to `dst` (rows
    /// `ld_dst` apart).
    #[target_feature(enable = "avx")]
    unsafe fn transpose_8x8(src: *const f32, ld: usize, dst: *mut f32, ld_dst: usize) {
        let r: [__m256; 8] = std::array::from_fn(|i| _mm256_loadu_ps(src.add(i * ld)));
        let t = [
            _mm256_unpacklo_ps(r[0], r[1]),
            _mm256_unpackhi_ps(r[0], r[1]),
            _mm256_unpacklo_ps(r[2], r[3]),
            _mm256_unpackhi_ps(r[2], r[3]),
            _mm256_unpacklo_ps(r[4], r[5]),
            _mm256_unpackhi_ps(r[4], r[5]),
            _mm256_unpacklo_ps(r[6], r[7]),
            _mm256_unpackhi_ps(r[6], r[7]),
        ];
        let s = [
            _mm256_shuffle_ps::<0x44>(t[0], t[2]),
            _mm256_shuffle_ps::<0xEE>(t[0], t[2]),
            _mm256_shuffle_ps::<0x44>(t[1], t[3]),
            _mm256_shuffle_ps::<0xEE>(t[1], t[3]),
            _mm256_shuffle_ps::<0x44>(t[4], t[6]),
            _mm256_shuffle_ps::<0xEE>(t[4], t[6]),
            _mm256_shuffle_ps::<0x44>(t[5], t[7]),
            _mm256_shuffle_ps::<0xEE>(t[5], t[7]),
        ];
        for q in 0..4 {
            let lo = _mm256_permute2f128_ps::<0x20>(s[q], s[q + 4]);
            let hi = _mm256_permute2f128_ps::<0x31>(s[q], s[q + 4]);
            _mm256_storeu_ps(dst.add(q * ld_dst), lo);
            _mm256_storeu_ps(dst.add((q + 4) * ld_dst), hi);
        }
    }

    /// Writes the transpose of the 4 × 4 block at `src` (rows `ld` apart) to `dst`.
    #[target_feature(enable = "avx")]
    unsafe fn transpose_4x4(src: *const f64, ld: usize, dst: *mut f64, ld_dst: usize) {
        let r: [__m256d; 4] = std::array::from_fn(|i| _mm256_loadu_pd(src.add(i * ld)));
        let t = [
            _mm256_unpacklo_pd(r[0], r[1]),
            _mm256_unpackhi_pd(r[0], r[1]),
            _mm256_unpacklo_pd(r[2], r[3]),
            _mm256_unpackhi_pd(r[2], r[3]),
        ];
        _mm256_storeu_pd(dst, _mm256_permute2f128_pd::<0x20>(t[0], t[2]));
        _mm256_storeu_pd(dst.add(ld_dst), _mm256_permute2f128_pd::<0x20>(t[1], t[3]));
        _mm256_storeu_pd(
            dst.add(2 * ld_dst),
            _mm256_permute2f128_pd::<0x31>(t[0], t[2]),
        );
        _mm256_storeu_pd(
            dst.add(3 * ld_dst),
            _mm256_permute2f128_pd::<0x31>(t[1], t[3]),
        );
    }

    /// A transposing pack of `$nr` rows of B, in square blocks of `$b`, the tail by scalars.
    macro_rules! pack_transposed {
        ($name:ident, $t:ty, $nr:expr, $b:expr, $block:ident) => {
            /// # Safety
            /// `src` has `$nr` rows of `kc` readable values `ld` apart; `dst` has room for
            /// `kc × $nr` values; the CPU has AVX.
            #[target_feature(enable = "avx")]
            pub(super) unsafe fn $name(src: *const $t, ld: usize, kc: usize, dst: *mut $t) {
                let full = kc - kc % $b;
                for p0 in (0..full).step_by($b) {
                    for j0 in (0..$nr).step_by($b) {
                        $block(src.add(j0 * ld + p0), ld, dst.add(p0 * $nr + j0), $nr);
                    }
                }
                for p in full..kc {
                    for j in 0..$nr {
                        *dst.add(p * $nr + j) = *src.add(j * ld + p);
                    }
                }
            }
        };
    }

    pack_transposed!(pack_bt_f32_16, f32, 16, 8, transpose_8x8);
    pack_transposed!(pack_bt_f32_32, f32, 32, 8, transpose_8x8);
    pack_transposed!(pack_bt_f64_8, f64, 8, 4, transpose_4x4);
    pack_transposed!(pack_bt_f64_16, f64, 16, 4, transpose_4x4);

    simd_kernel!(
        sgemm_avx2,
        f32,
        "avx2,fma",
        8,
        6,
        2,
        _mm256_setzero_ps,
        _mm256_set1_ps,
        _mm256_loadu_ps,
        _mm256_storeu_ps,
        _mm256_fmadd_ps,
        _mm256_mul_ps,
        _mm256_add_ps
    );
    simd_kernel!(
        dgemm_avx2,
        f64,
        "avx2,fma",
        4,
        6,
        2,
        _mm256_setzero_pd,
        _mm256_set1_pd,
        _mm256_loadu_pd,
        _mm256_storeu_pd,
        _mm256_fmadd_pd,
        _mm256_mul_pd,
        _mm256_add_pd
    );
    simd_kernel!(
        sgemm_avx512,
        f32,
        "avx512f",
        16,
        6,
        2,
        _mm512_setzero_ps,
        _mm512_set1_ps,
        _mm512_loadu_ps,
        _mm512_storeu_ps,
        _mm512_fmadd_ps,
        _mm512_mul_ps,
        _mm512_add_ps
    );
    simd_kernel!(
        dgemm_avx512,
        f64,
        "avx512f",
        8,
        6,
        2,
        _mm512_setzero_pd,
        _mm512_set1_pd,
        _mm512_loadu_pd,
        _mm512_storeu_pd,
        _mm512_fmadd_pd,
        _mm512_mul_pd,
        _mm512_add_pd
    );

    direct_kernels!(
        [
            (sgemm_direct_avx2_full_6, 6),
            (sgemm_direct_avx2_full_4, 4),
            (sgemm_direct_avx2_full_2, 2)
        ],
        f32,
        "avx2,fma",
        8,
        2,
        mask_ps,
        _mm256_setzero_ps,
        _mm256_set1_ps,
        load_avx2_ps,
        store_avx2_ps,
        _mm256_fmadd_ps,
        _mm256_mul_ps,
        _mm256_add_ps
    );
    direct_kernels!(
        [
            (sgemm_direct_avx2_half_6, 6),
            (sgemm_direct_avx2_half_4, 4),
            (sgemm_direct_avx2_half_2, 2)
        ],
        f32,
        "avx2,fma",
        8,
        1,
        mask_ps,
        _mm256_setzero_ps,
        _mm256_set1_ps,
        load_avx2_ps,
        store_avx2_ps,
        _mm256_fmadd_ps,
        _mm256_mul_ps,
        _mm256_add_ps
    );
    direct_kernels!(
        [
            (dgemm_direct_avx2_full_6, 6),
            (dgemm_direct_avx2_full_4, 4),
            (dgemm_direct_avx2_full_2, 2)
        ],
        f64,
        "avx2,fma",
        4,
        2,
        mask_pd,
        _mm256_setzero_pd,
        _mm256_set1_pd,
        load_avx2_pd,
        store_avx2_pd,
        _mm256_fmadd_pd,
        _mm256_mul_pd,
        _mm256_add_pd
    );
    direct_kernels!(
        [
            (dgemm_direct_avx2_half_6, 6),
            (dgemm_direct_avx2_half_4, 4),
            (dgemm_direct_avx2_half_2, 2)
        ],
        f64,
        "avx2,fma",
        4,
        1,
        mask_pd,
        _mm256_setzero_pd,
        _mm256_set1_pd,
        load_avx2_pd,
        store_avx2_pd,
        _mm256_fmadd_pd,
        _mm256_mul_pd,
        _mm256_add_pd
    );
    direct_kernels!(
        [
            (sgemm_direct_avx512_full_6, 6),
            (sgemm_direct_avx512_full_4, 4),
            (sgemm_direct_avx512_full_2, 2)
        ],
        f32,
        "avx512f",
        16,
        2,
        mask16,
        _mm512_setzero_ps,
        _mm512_set1_ps,
        load_avx512_ps,
        store_avx512_ps,
        _mm512_fmadd_ps,
        _mm512_mul_ps,
        _mm512_add_ps
    );
    direct_kernels!(
        [
            (sgemm_direct_avx512_half_6, 6),
            (sgemm_direct_avx512_half_4, 4),
            (sgemm_direct_avx512_half_2, 2)
        ],
        f32,
        "avx512f",
        16,
        1,
        mask16,
        _mm512_setzero_ps,
        _mm512_set1_ps,
        load_avx512_ps,
        store_avx512_ps,
        _mm512_fmadd_ps,
        _mm512_mul_ps,
        _mm512_add_ps
    );
    direct_kernels!(
        [
            (sgemm_direct_avx512_quarter_6, 6),
            (sgemm_direct_avx512_quarter_4, 4),
            (sgemm_direct_avx512_quarter_2, 2)
        ],
        f32,
        "avx512f,avx512vl,avx2,fma",
        8,
        1,
        mask8,
        _mm256_setzero_ps,
        _mm256_set1_ps,
        load_vl_ps,
        store_vl_ps,
        _mm256_fmadd_ps,
        _mm256_mul_ps,
        _mm256_add_ps
    );
    direct_kernels!(
        [
            (dgemm_direct_avx512_full_6, 6),
            (dgemm_direct_avx512_full_4, 4),
            (dgemm_direct_avx512_full_2, 2)
        ],
        f64,
        "avx512f",
        8,
        2,
        mask8,
        _mm512_setzero_pd,
        _mm512_set1_pd,
        load_avx512_pd,
        store_avx512_pd,
        _mm512_fmadd_pd,
        _mm512_mul_pd,
        _mm512_add_pd
    );
    direct_kernels!(
        [
            (dgemm_direct_avx512_half_6, 6),
            (dgemm_direct_avx512_half_4, 4),
            (dgemm_direct_avx512_half_2, 2)
        ],
        f64,
        "avx512f",
        8,
        1,
        mask8,
        _mm512_setzero_pd,
        _mm512_set1_pd,
        load_avx512_pd,
        store_avx512_pd,
        _mm512_fmadd_pd,
        _mm512_mul_pd,
        _mm512_add_pd
    );
    direct_kernels!(
        [
            (dgemm_direct_avx512_quarter_6, 6),
            (dgemm_direct_avx512_quarter_4, 4),
            (dgemm_direct_avx512_quarter_2, 2)
        ],
        f64,
        "avx512f,avx512vl,avx2,fma",
        4,
        1,
        mask8,
        _mm256_setzero_pd,
        _mm256_set1_pd,
        load_vl_pd,
        store_vl_pd,
        _mm256_fmadd_pd,
        _mm256_mul_pd,
        _mm256_add_pd
    );
}

/// Row sizes of the SIMD [`DirectSet`]s: a full tile, then the tails of 3–4 and 1–2 rows.
const DIRECT_ROWS: [usize; DIRECT_CLASSES] = [6, 4, 2];

/// A [`DirectSet`] from the full, half and (when the CPU has one) quarter-width routines,
/// each given for [`DIRECT_ROWS`].
#[cfg(target_arch = "x86_64")]
fn direct_set<T>(
    nr: usize,
    full: [DirectFn<T>; DIRECT_CLASSES],
    half: [DirectFn<T>; DIRECT_CLASSES],
    quarter: Option<[DirectFn<T>; DIRECT_CLASSES]>,
) -> DirectSet<T> {
    let (quarter, narrowest) = match quarter {
        Some(q) => (q, nr / 4),
        None => (half, nr / 2),
    };
    DirectSet {
        rows: DIRECT_ROWS,
        widths: [nr, nr / 2, narrowest],
        run: std::array::from_fn(|r| [full[r], half[r], quarter[r]]),
    }
}

/// The quarter-width routines (256-bit vectors under AVX-512 masks) when the CPU has
/// AVX-512 VL.
#[cfg(target_arch = "x86_64")]
fn quarter_if_vl<T>(q: [DirectFn<T>; DIRECT_CLASSES]) -> Option<[DirectFn<T>; DIRECT_CLASSES]> {
    std::is_x86_feature_detected!("avx512vl").then_some(q)
}

/// The kernels of one float type that this CPU can run, slowest first.
pub(crate) fn available<T: Float>() -> Vec<Kernel<T>> {
    let mut all = vec![portable_kernel::<T>()];
    all.extend(T::simd_kernels());
    all
}

/// Kernels for `f32` using the CPU's SIMD units, slowest first.
pub(crate) fn simd_f32() -> Vec<Kernel<f32>> {
    #[allow(unused_mut)]
    let mut out = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            let nr = 16;
            out.push(Kernel {
                name: "avx2",
                mr: DIRECT_ROWS[0],
                nr,
                kc: 256,
                mc: 120,
                nc: 2048,
                pack_bt: Some(x86::pack_bt_f32_16),
                run: x86::sgemm_avx2,
                direct: direct_set(
                    nr,
                    [
                        x86::sgemm_direct_avx2_full_6,
                        x86::sgemm_direct_avx2_full_4,
                        x86::sgemm_direct_avx2_full_2,
                    ],
                    [
                        x86::sgemm_direct_avx2_half_6,
                        x86::sgemm_direct_avx2_half_4,
                        x86::sgemm_direct_avx2_half_2,
                    ],
                    None,
                ),
            });
        }
        if std::is_x86_feature_detected!("avx512f") {
            let nr = 32;
            out.push(Kernel {
                name: "avx512",
                mr: DIRECT_ROWS[0],
                nr,
                kc: 256,
                mc: 120,
                nc: 2048,
                pack_bt: Some(x86::pack_bt_f32_32),
                run: x86::sgemm_avx512,
                direct: direct_set(
                    nr,
                    [
                        x86::sgemm_direct_avx512_full_6,
                        x86::sgemm_direct_avx512_full_4,
                        x86::sgemm_direct_avx512_full_2,
                    ],
                    [
                        x86::sgemm_direct_avx512_half_6,
                        x86::sgemm_direct_avx512_half_4,
                        x86::sgemm_direct_avx512_half_2,
                    ],
                    quarter_if_vl([
                        x86::sgemm_direct_avx512_quarter_6,
                        x86::sgemm_direct_avx512_quarter_4,
                        x86::sgemm_direct_avx512_quarter_2,
                    ]),
                ),
            });
        }
    }
    out
}

/// Kernels for `f64` using the CPU's SIMD units, slowest first.
pub(crate) fn simd_f64() -> Vec<Kernel<f64>> {
    #[allow(unused_mut)]
    let mut out = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            let nr = 8;
            out.push(Kernel {
                name: "avx2",
                mr: DIRECT_ROWS[0],
                nr,
                kc: 256,
                mc: 96,
                nc: 2048,
                pack_bt: Some(x86::pack_bt_f64_8),
                run: x86::dgemm_avx2,
                direct: direct_set(
                    nr,
                    [
                        x86::dgemm_direct_avx2_full_6,
                        x86::dgemm_direct_avx2_full_4,
                        x86::dgemm_direct_avx2_full_2,
                    ],
                    [
                        x86::dgemm_direct_avx2_half_6,
                        x86::dgemm_direct_avx2_half_4,
                        x86::dgemm_direct_avx2_half_2,
                    ],
                    None,
                ),
            });
        }
        if std::is_x86_feature_detected!("avx512f") {
            let nr = 16;
            out.push(Kernel {
                name: "avx512",
                mr: DIRECT_ROWS[0],
                nr,
                kc: 256,
                mc: 120,
                nc: 2048,
                pack_bt: Some(x86::pack_bt_f64_16),
                run: x86::dgemm_avx512,
                direct: direct_set(
                    nr,
                    [
                        x86::dgemm_direct_avx512_full_6,
                        x86::dgemm_direct_avx512_full_4,
                        x86::dgemm_direct_avx512_full_2,
                    ],
                    [
                        x86::dgemm_direct_avx512_half_6,
                        x86::dgemm_direct_avx512_half_4,
                        x86::dgemm_direct_avx512_half_2,
                    ],
                    quarter_if_vl([
                        x86::dgemm_direct_avx512_quarter_6,
                        x86::dgemm_direct_avx512_quarter_4,
                        x86::dgemm_direct_avx512_quarter_2,
                    ]),
                ),
            });
        }
    }
    out
}

/// The kernel `gemm` uses: `LAYERWISE_GEMM_KERNEL` (`portable`, `avx2`, `avx512`) when it
/// names an available one, else the fastest available.
pub(crate) fn choose<T: Float>(mut available: Vec<Kernel<T>>) -> Kernel<T> {
    let wanted = std::env::var("LAYERWISE_GEMM_KERNEL").ok();
    if let Some(i) = available
        .iter()
        .position(|k| Some(k.name) == wanted.as_deref())
    {
        return available.swap_remove(i);
    }
    available
        .pop()
        .expect("the portable kernel is always available")
}
