//! Vectorised e^x, σ(x), softplus(x) and Bernoulli draws over slices, for the element-wise
//! work of a training step.
//!
//! Both use the Cephes reduction e^x = 2ⁿ · e^r with n = round(x·log₂e) and |r| ≤ ½ ln 2,
//! then a polynomial (f32, degree 7) or a Padé form (f64) for e^r; σ in f64 folds the Padé
//! quotient into its one division. The code has no branch per element, so the compiler
//! vectorises it; on x86-64 it is compiled for AVX-512 or AVX2 + FMA when the CPU has them.
//! Accuracy: within 2 ulp of the correctly rounded value in f32 and 4 ulp in f64 over the
//! whole finite range (tested against `std`); e^x is +∞ above the largest finite result and
//! 0 below about e^−87 (f32) or e^−708 (f64); NaN stays NaN.

use crate::Float;

/// x ← e^x for every element.
///
/// # Examples
/// ```
/// let mut x = [0.0_f32, 1.0, -1000.0, 1000.0];
/// layerwise_linalg::vmath::exp(&mut x);
/// assert_eq!(x[0], 1.0);
/// assert!((x[1] - std::f32::consts::E).abs() < 1e-6);
/// assert_eq!((x[2], x[3]), (0.0, f32::INFINITY));
/// ```
pub fn exp<T: Float>(x: &mut [T]) {
    T::exp_slice(x);
}

/// x ← σ(x) = 1 / (1 + e^−x) for every element: exactly 1 and 0 at ±1000, never NaN for a
/// finite input.
///
/// # Examples
/// ```
/// let mut x = [0.0_f64, 1000.0, -1000.0];
/// layerwise_linalg::vmath::sigmoid(&mut x);
/// assert_eq!(x, [0.5, 1.0, 0.0]);
/// ```
pub fn sigmoid<T: Float>(x: &mut [T]) {
    T::sigmoid_slice(x);
}

/// x ← softplus(x) = ln(1 + eˣ) for every element, as max(x, 0) + ln(1 + e^−|x|), so it
/// is finite for every finite x (softplus(x) = x above about 37 in f64); NaN stays NaN.
///
/// Accuracy: within 4 ulp of ln(1 + eˣ) in f64 (tested against `std`); f32 goes through f64.
///
/// # Examples
/// ```
/// let mut x = [0.0_f64, 1000.0, -1000.0];
/// layerwise_linalg::vmath::softplus(&mut x);
/// assert!((x[0] - std::f64::consts::LN_2).abs() < 1e-15);
/// assert_eq!(x[1..], [1000.0, 0.0]);
/// ```
pub fn softplus<T: Float>(x: &mut [T]) {
    T::softplus_slice(x);
}

/// out ← Bernoulli draws from uniform words: out\[i\] = 1 when wᵢ / 2³² < p\[i\], else 0,
/// for 32-bit words wᵢ (so a probability ≤ 0 or NaN gives 0 and one ≥ 1 gives 1).
///
/// # Panics
/// If the three slices differ in length.
///
/// # Examples
/// ```
/// let mut out = [9.0_f64; 3];
/// layerwise_linalg::vmath::bernoulli(&[0.5, 0.5, 1.0], &[0, 1 << 31, u32::MAX], &mut out);
/// assert_eq!(out, [1.0, 0.0, 1.0]);
/// ```
#[track_caller]
pub fn bernoulli<T: Float>(p: &[T], words: &[u32], out: &mut [T]) {
    assert!(
        p.len() == words.len() && p.len() == out.len(),
        "bernoulli: {} probabilities, {} words, {} outputs",
        p.len(),
        words.len(),
        out.len()
    );
    T::bernoulli_slice(p, words, out);
}

/// x ← x + b with b broadcast over the rows: `x` holds whole rows of `b.len()` elements (a
/// bias added after a layer's GEMM). Each element is one addition, as in the plain loop;
/// the loop is compiled for AVX-512 or AVX2 when the CPU has them.
///
/// # Panics
/// If `x.len()` is not a multiple of `b.len()` (for a non-empty `b`).
///
/// # Examples
/// ```
/// let mut x = [1.0_f32, 2.0, 3.0, 4.0];
/// layerwise_linalg::vmath::add_rows(&mut x, &[10.0, 20.0]);
/// assert_eq!(x, [11.0, 22.0, 13.0, 24.0]);
/// ```
#[track_caller]
pub fn add_rows<T: Float>(x: &mut [T], b: &[T]) {
    if b.is_empty() {
        return;
    }
    assert!(
        x.len().is_multiple_of(b.len()),
        "add_rows: {} values are not whole rows of {}",
        x.len(),
        b.len()
    );
    T::add_rows_slice(x, b);
}

/// The loop of [`add_rows`].
#[inline(always)]
fn add_rows_any<T: Float>(x: &mut [T], b: &[T]) {
    for row in x.chunks_exact_mut(b.len()) {
        for (v, &c) in row.iter_mut().zip(b) {
            *v += c;
        }
    }
}

macro_rules! dispatch_add_rows {
    ($name:ident, $t:ty) => {
        pub(crate) fn $name(x: &mut [$t], b: &[$t]) {
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx512f") {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn widest(x: &mut [$t], b: &[$t]) {
                    add_rows_any(x, b);
                }
                // SAFETY: the CPU has just been found to support AVX-512 F.
                return unsafe { widest(x, b) };
            }
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                #[target_feature(enable = "avx2")]
                unsafe fn wide(x: &mut [$t], b: &[$t]) {
                    add_rows_any(x, b);
                }
                // SAFETY: the CPU has just been found to support AVX2.
                return unsafe { wide(x, b) };
            }
            add_rows_any(x, b);
        }
    };
}

dispatch_add_rows!(add_rows_f32, f32);
dispatch_add_rows!(add_rows_f64, f64);

/// Σₑ (xₑ − yₑ)², summed in 8 interleaved partial sums (element e into sum e mod 8, then
/// the eight added in order from 0), so that it runs in vector registers; compiled for
/// AVX-512 or AVX2 when the CPU has them (the order, and so the result, is the same).
///
/// # Panics
/// If the slices differ in length.
///
/// # Examples
/// ```
/// let d = layerwise_linalg::vmath::squared_distance(&[1.0_f64, 2.0, 3.0], &[1.0, 0.0, 0.0]);
/// assert_eq!(d, 13.0);
/// ```
#[track_caller]
pub fn squared_distance<T: Float>(x: &[T], y: &[T]) -> T {
    assert_eq!(x.len(), y.len(), "squared_distance: lengths differ");
    T::squared_distance_slice(x, y)
}

/// The loop of [`squared_distance`].
#[inline(always)]
fn squared_distance_any<T: Float>(x: &[T], y: &[T]) -> T {
    const LANES: usize = 8;
    let mut sums = [T::ZERO; LANES];
    let (mut xs, mut ys) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    for (a, b) in (&mut xs).zip(&mut ys) {
        for ((s, &a), &b) in sums.iter_mut().zip(a).zip(b) {
            *s += (a - b) * (a - b);
        }
    }
    let tail = xs.remainder().iter().zip(ys.remainder());
    for (s, (&a, &b)) in sums.iter_mut().zip(tail) {
        *s += (a - b) * (a - b);
    }
    sums.iter().fold(T::ZERO, |acc, &s| acc + s)
}

macro_rules! dispatch_squared_distance {
    ($name:ident, $t:ty) => {
        pub(crate) fn $name(x: &[$t], y: &[$t]) -> $t {
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx512f") {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn widest(x: &[$t], y: &[$t]) -> $t {
                    squared_distance_any(x, y)
                }
                // SAFETY: the CPU has just been found to support AVX-512 F.
                return unsafe { widest(x, y) };
            }
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                #[target_feature(enable = "avx2")]
                unsafe fn wide(x: &[$t], y: &[$t]) -> $t {
                    squared_distance_any(x, y)
                }
                // SAFETY: the CPU has just been found to support AVX2.
                return unsafe { wide(x, y) };
            }
            squared_distance_any(x, y)
        }
    };
}

dispatch_squared_distance!(squared_distance_f32, f32);
dispatch_squared_distance!(squared_distance_f64, f64);

/// g ← g · y · (1 − y) element by element, as (g·y)·(1 − y): ∂L/∂y turned into
/// ∂L/∂z for y = σ(z); compiled for AVX-512 or AVX2 when the CPU has them.
///
/// # Panics
/// If the slices differ in length.
///
/// # Examples
/// ```
/// let mut g = [2.0_f64, 1.0];
/// layerwise_linalg::vmath::sigmoid_delta(&mut g, &[0.5, 1.0]);
/// assert_eq!(g, [0.5, 0.0]);
/// ```
#[track_caller]
pub fn sigmoid_delta<T: Float>(g: &mut [T], y: &[T]) {
    assert_eq!(g.len(), y.len(), "sigmoid_delta: lengths differ");
    T::sigmoid_delta_slice(g, y);
}

/// The loop of [`sigmoid_delta`].
#[inline(always)]
fn sigmoid_delta_any<T: Float>(g: &mut [T], y: &[T]) {
    for (g, &y) in g.iter_mut().zip(y) {
        *g = *g * y * (T::ONE - y);
    }
}

macro_rules! dispatch_sigmoid_delta {
    ($name:ident, $t:ty) => {
        pub(crate) fn $name(g: &mut [$t], y: &[$t]) {
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx512f") {
                #[target_feature(enable = "avx512f,avx2,fma")]
                unsafe fn widest(g: &mut [$t], y: &[$t]) {
                    sigmoid_delta_any(g, y);
                }
                // SAFETY: the CPU has just been found to support AVX-512 F.
                return unsafe { widest(g, y) };
            }
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                #[target_feature(enable = "avx2")]
                unsafe fn wide(g: &mut [$t], y: &[$t]) {
                    sigmoid_delta_any(g, y);
                }
                // SAFETY: the CPU has just been found to support AVX2.
                return unsafe { wide(g, y) };
            }
            sigmoid_delta_any(g, y);
        }
    };
}

dispatch_sigmoid_delta!(sigmoid_delta_f32, f32);
dispatch_sigmoid_delta!(sigmoid_delta_f64, f64);

/// The loop of [`bernoulli`]; the comparison is exact, as w / 2³² is exact in f64.
#[inline(always)]
fn bernoulli_any<T: Float>(p: &[T], words: &[u32], out: &mut [T]) {
    const SCALE: f64 = 1.0 / 4_294_967_296.0;
    for ((o, &p), &w) in out.iter_mut().zip(p).zip(words) {
        *o = if f64::from(w) * SCALE < p.to_f64() {
            T::ONE
        } else {
            T::ZERO
        };
    }
}

macro_rules! dispatch_bernoulli {
    ($name:ident, $t:ty) => {
        pub(crate) fn $name(p: &[$t], words: &[u32], out: &mut [$t]) {
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512dq")
            {
                #[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
                unsafe fn widest(p: &[$t], words: &[u32], out: &mut [$t]) {
                    bernoulli_any(p, words, out);
                }
                // SAFETY: the CPU has just been found to support AVX-512 F and DQ.
                return unsafe { widest(p, words, out) };
            }
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide(p: &[$t], words: &[u32], out: &mut [$t]) {
                    bernoulli_any(p, words, out);
                }
                // SAFETY: the CPU has just been found to support AVX2 and FMA.
                return unsafe { wide(p, words, out) };
            }
            bernoulli_any(p, words, out);
        }
    };
}

dispatch_bernoulli!(bernoulli_f32, f32);
dispatch_bernoulli!(bernoulli_f64, f64);

/// Applies `$elem` over a slice, compiled for AVX-512 or AVX2 + FMA when the CPU has them
/// (the arithmetic per element is the same, so the results are too).
macro_rules! dispatch {
    ($name:ident, $t:ty, $elem:path) => {
        pub(crate) fn $name(x: &mut [$t]) {
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512dq")
            {
                #[target_feature(enable = "avx512f,avx512dq,avx2,fma")]
                unsafe fn widest(x: &mut [$t]) {
                    in_blocks(x, $elem);
                }
                // SAFETY: the CPU has just been found to support AVX-512 F and DQ.
                return unsafe { widest(x) };
            }
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                #[target_feature(enable = "avx2,fma")]
                unsafe fn wide(x: &mut [$t]) {
                    in_blocks(x, $elem);
                }
                // SAFETY: the CPU has just been found to support AVX2 and FMA.
                return unsafe { wide(x) };
            }
            in_blocks(x, $elem);
        }
    };
}

/// x ← f(x) in blocks of 16, the tail through a padded block, so that every element goes
/// through the vector code, whatever the slice's length (rows of 20 are common).
#[inline(always)]
fn in_blocks<T: Copy + Default>(x: &mut [T], f: impl Fn(T) -> T) {
    const BLOCK: usize = 16;
    let mut blocks = x.chunks_exact_mut(BLOCK);
    for block in &mut blocks {
        for v in block.iter_mut() {
            *v = f(*v);
        }
    }
    let tail = blocks.into_remainder();
    if !tail.is_empty() {
        let mut padded = [T::default(); BLOCK];
        padded[..tail.len()].copy_from_slice(tail);
        for v in padded.iter_mut() {
            *v = f(*v);
        }
        tail.copy_from_slice(&padded[..tail.len()]);
    }
}

dispatch!(exp_f32, f32, exp_f32_one);
dispatch!(exp_f64, f64, exp_f64_one);
dispatch!(sigmoid_f32, f32, sigmoid_f32_one);
dispatch!(sigmoid_f64, f64, sigmoid_f64_one);
dispatch!(softplus_f32, f32, softplus_f32_one);
dispatch!(softplus_f64, f64, softplus_f64_one);

#[inline(always)]
fn softplus_f32_one(x: f32) -> f32 {
    softplus_f64_one(f64::from(x)) as f32
}

/// softplus(x) = max(x, 0) + ln(1 + e^−|x|), branch-free.
#[inline(always)]
fn softplus_f64_one(x: f64) -> f64 {
    x.max(0.0) + ln_1p_unit(exp_f64_one(-x.abs()))
}

/// ln(1 + u) for u in [0, 1], branch-free: w = 1 + u = 2ᵉ · m with m in [√½, √2] and e in
/// {0, 1}, ln m = 2 atanh(s) with s = (m − 1) / (m + 1) (|s| ≤ 0.172, eleven odd terms), and
/// c = (u − (w − 1)) / w making up for the rounding of 1 + u.
#[inline(always)]
fn ln_1p_unit(u: f64) -> f64 {
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let w = 1.0 + u;
    let c = (u - (w - 1.0)) / w;
    let big = w > std::f64::consts::SQRT_2;
    let m = if big { w * 0.5 } else { w };
    let e = if big { 1.0 } else { 0.0 };
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    // 2 atanh(s) = 2s (1 + z/3 + z²/5 + … + z¹⁰/21)
    let mut p = 1.0 / 21.0;
    for d in [19.0, 17.0, 15.0, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0, 1.0] {
        p = p * z + 1.0 / d;
    }
    e * LN2_HI + (2.0 * s * p + (e * LN2_LO + c))
}

#[inline(always)]
fn sigmoid_f32_one(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32_one(-x))
}

/// e^x in f32, branch-free: 2ⁿ · p(r) with a degree-7 polynomial p.
#[inline(always)]
fn exp_f32_one(x: f32) -> f32 {
    const HI: f32 = 88.72283;
    const LO: f32 = -87.33654;
    let xc = x.clamp(LO, HI);
    // n = round(x·log₂e) by the 1.5·2²³ trick: n sits in the low bits of t
    let t = xc * std::f32::consts::LOG2_E + 12_582_912.0;
    let n = t - 12_582_912.0;
    let ni = (t.to_bits() as i32).wrapping_sub(0x4B40_0000);
    let r = xc - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_2e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    // 2ⁿ in two halves, so that n = 128 (x near HI) does not overflow the exponent field
    let half = ni >> 1;
    let s1 = f32::from_bits((half.wrapping_add(127) as u32) << 23);
    let s2 = f32::from_bits((ni.wrapping_sub(half).wrapping_add(127) as u32) << 23);
    let y = e * s1 * s2;
    let y = if x > HI { f32::INFINITY } else { y };
    let y = if x < LO { 0.0 } else { y };
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// The largest and smallest f64 arguments of e^x with a finite, normal result.
const HI_F64: f64 = 709.782_712_893_384;
const LO_F64: f64 = -708.396_418_532_264;

/// e^x for x in [LO_F64, HI_F64] as (num / den) · s1 · s2: Cephes' Padé form
/// e^r = (Q(r²) + r P(r²)) / (Q(r²) − r P(r²)) times 2ⁿ split in two halves (so that
/// n = 1024 does not overflow the exponent field).
#[inline(always)]
fn exp_f64_parts(x: f64) -> (f64, f64, f64, f64) {
    // n = round(x·log₂e) by the 1.5·2⁵² trick: n sits in the low bits of t
    let t = x * std::f64::consts::LOG2_E + 6_755_399_441_055_744.0;
    let n = t - 6_755_399_441_055_744.0;
    let ni = (t.to_bits() as i64).wrapping_sub(0x4338_0000_0000_0000);
    let r = x - n * 6.931_457_519_531_25e-1 - n * 1.428_606_820_309_417_2e-6;
    let (num, den) = pade_exp(r);
    // ⌊n / 2⌋ with a logical shift of a biased n (AVX2 has no 64-bit arithmetic shift)
    // (wrapping: a NaN argument gives meaningless bits here, and NaN out of the quotient)
    let half = ((ni.wrapping_add(2048) as u64 >> 1) as i64).wrapping_sub(1024);
    let s1 = f64::from_bits((half.wrapping_add(1023) as u64) << 52);
    let s2 = f64::from_bits((ni.wrapping_sub(half).wrapping_add(1023) as u64) << 52);
    (num, den, s1, s2)
}

/// Cephes' Padé form of e^r for |r| ≤ ½ ln 2:
/// (Q(r²) + r P(r²)) / (Q(r²) − r P(r²)), as its numerator and denominator.
#[inline(always)]
fn pade_exp(r: f64) -> (f64, f64) {
    let rr = r * r;
    let p = ((1.261_771_930_748_105_9e-4 * rr + 3.029_944_077_074_419_6e-2) * rr + 1.0) * r;
    let q = ((3.001_985_051_386_644_5e-6 * rr + 2.524_483_403_496_841e-3) * rr
        + 2.272_655_482_081_550_3e-1)
        * rr
        + 2.0;
    (q + p, q - p)
}

/// e^x in f64, branch-free.
#[inline(always)]
fn exp_f64_one(x: f64) -> f64 {
    let (num, den, s1, s2) = exp_f64_parts(x.clamp(LO_F64, HI_F64));
    let y = num / den * s1 * s2;
    let y = if x > HI_F64 { f64::INFINITY } else { y };
    let y = if x < LO_F64 { 0.0 } else { y };
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// σ(x) = 1 / (1 + e^−x) in f64 with a single division: with e^−x = (num / den) · 2ⁿ,
/// σ = den / (den + num · 2ⁿ).
///
/// z = −x is clamped to [−40, 709]: below −40, σ rounds to exactly 1 anyway, and up to 709
/// the scale 2ⁿ (n ≤ 1023) is one normal number; above, σ is taken as 0 (the true value is
/// below 1.2 · 10⁻³⁰⁸). NaN propagates through the arithmetic.
#[inline(always)]
fn sigmoid_f64_one(x: f64) -> f64 {
    const Z_MAX: f64 = 709.0;
    let z = -x;
    let zc = z.clamp(-40.0, Z_MAX);
    let t = zc * std::f64::consts::LOG2_E + 6_755_399_441_055_744.0;
    let n = t - 6_755_399_441_055_744.0;
    let ni = (t.to_bits() as i64).wrapping_sub(0x4338_0000_0000_0000);
    let r = zc - n * 6.931_457_519_531_25e-1 - n * 1.428_606_820_309_417_2e-6;
    let (num, den) = pade_exp(r);
    let scale = f64::from_bits((ni.wrapping_add(1023) as u64) << 52);
    let y = den / (den + num * scale);
    if z > Z_MAX {
        0.0
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps_f32(a: f32, b: f32) -> u32 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
    }

    fn ulps_f64(a: f64, b: f64) -> u64 {
        (a.to_bits() as i128 - b.to_bits() as i128).unsigned_abs() as u64
    }

    /// The dispatched loops (AVX-512, AVX2 or plain) give the plain loops' bits.
    #[test]
    fn add_rows_squared_distance_and_sigmoid_delta_match_plain_loops_bit_for_bit() {
        for cols in [1, 3, 8, 20, 60, 37] {
            let x: Vec<f64> = (0..cols * 7).map(|i| (i as f64 * 0.37).sin()).collect();
            let b: Vec<f64> = (0..cols).map(|j| (j as f64 * 1.3).cos()).collect();
            let mut got = x.clone();
            add_rows(&mut got, &b);
            for (e, (&g, &v)) in got.iter().zip(&x).enumerate() {
                assert_eq!(g.to_bits(), (v + b[e % cols]).to_bits());
            }
            let y: Vec<f64> = x.iter().map(|v| v * 0.5 + 0.1).collect();
            let mut sums = [0.0; 8];
            for (e, (&a, &c)) in x.iter().zip(&y).enumerate() {
                sums[e % 8] += (a - c) * (a - c);
            }
            let want = sums.iter().fold(0.0, |acc, &s| acc + s);
            assert_eq!(squared_distance(&x, &y).to_bits(), want.to_bits());
            let mut g = x.clone();
            sigmoid_delta(&mut g, &y);
            for ((&g, &v), &y) in g.iter().zip(&x).zip(&y) {
                assert_eq!(g.to_bits(), (v * y * (1.0 - y)).to_bits());
            }
        }
    }

    #[test]
    fn exp_f32_is_within_2_ulp_of_std_over_the_finite_range() {
        let xs: Vec<f32> = (0..200_001)
            .map(|i| -87.0 + 175.7 * i as f32 / 200_000.0)
            .collect();
        let mut y = xs.clone();
        exp(&mut y);
        for (&x, &e) in xs.iter().zip(&y) {
            assert!(ulps_f32(e, x.exp()) <= 2, "e^{x}: {e} vs {}", x.exp());
        }
    }

    #[test]
    fn exp_f64_is_within_4_ulp_of_std_over_the_finite_range() {
        let xs: Vec<f64> = (0..200_001)
            .map(|i| -708.0 + 1417.7 * i as f64 / 200_000.0)
            .collect();
        let mut y = xs.clone();
        exp(&mut y);
        for (&x, &e) in xs.iter().zip(&y) {
            assert!(ulps_f64(e, x.exp()) <= 4, "e^{x}: {e} vs {}", x.exp());
        }
    }

    #[test]
    fn exp_saturates_and_keeps_nan() {
        let mut x = [
            1000.0_f32,
            -1000.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ];
        exp(&mut x);
        assert_eq!(x[..4], [f32::INFINITY, 0.0, f32::INFINITY, 0.0]);
        assert!(x[4].is_nan());
        let mut y = [1000.0_f64, -1000.0, f64::NAN];
        exp(&mut y);
        assert_eq!(y[..2], [f64::INFINITY, 0.0]);
        assert!(y[2].is_nan());
    }

    #[test]
    fn softplus_is_within_4_ulp_of_std_and_finite_everywhere() {
        let xs: Vec<f64> = (0..400_001)
            .map(|i| -60.0 + 120.0 * i as f64 / 400_000.0)
            .collect();
        let mut y = xs.clone();
        softplus(&mut y);
        for (&x, &s) in xs.iter().zip(&y) {
            let want = x.max(0.0) + (-x.abs()).exp().ln_1p();
            assert!(ulps_f64(s, want) <= 4, "softplus({x}) = {s}, not {want}");
        }
        let mut z = [1e300_f64, -1e300, 0.0, f64::NAN];
        softplus(&mut z);
        assert_eq!(z[..3], [1e300, 0.0, std::f64::consts::LN_2]);
        assert!(z[3].is_nan());
        let mut f = [f32::MAX, f32::MIN, 0.0, 20.0, -20.0];
        softplus(&mut f);
        assert_eq!(f[..3], [f32::MAX, 0.0, std::f32::consts::LN_2]);
        assert!((f[3] - 20.0).abs() < 1e-6 && (f[4] - 2.061_153_6e-9).abs() < 1e-15);
    }

    #[test]
    fn sigmoid_is_exact_at_the_extremes_and_accurate_between() {
        let mut x = [1000.0_f32, -1000.0, f32::MAX, f32::MIN, 0.0];
        sigmoid(&mut x);
        assert_eq!(x, [1.0, 0.0, 1.0, 0.0, 0.5]);
        let xs: Vec<f64> = (0..2001).map(|i| -40.0 + 0.04 * i as f64).collect();
        let mut y = xs.clone();
        sigmoid(&mut y);
        for (&x, &s) in xs.iter().zip(&y) {
            let want = 1.0 / (1.0 + (-x).exp());
            assert!(
                (s - want).abs() <= 4.0 * f64::EPSILON * want,
                "σ({x}) = {s}, not {want}"
            );
        }
    }
}
