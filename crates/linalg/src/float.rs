//! The [`Float`] trait: what the kernels need of `f32` and `f64`.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A floating-point scalar the matrix can hold: implemented for `f32` and `f64` only (the
/// trait is sealed).
///
/// The trait is deliberately small: arithmetic, the few transcendental functions the
/// learning algorithms use, and lossless-enough conversions through `f64`.
pub trait Float:
    Copy
    + Send
    + Sync
    + Debug
    + Display
    + Default
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + sealed::Sealed
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The type's name, `"f32"` or `"f64"`, for messages and file metadata.
    const NAME: &'static str;

    /// Rounds an `f64` to the nearest value of this type.
    fn from_f64(x: f64) -> Self;
    /// Widens (or keeps) the value as an `f64`.
    fn to_f64(self) -> f64;
    /// eˣ.
    fn exp(self) -> Self;
    /// ln x.
    fn ln(self) -> Self;
    /// ln(1 + x), accurate for small x.
    fn ln_1p(self) -> Self;
    /// |x|.
    fn abs(self) -> Self;
    /// The larger of two values (the other one when either is NaN).
    fn max(self, other: Self) -> Self;
    /// The smaller of two values (the other one when either is NaN).
    fn min(self, other: Self) -> Self;
    /// `true` unless the value is infinite or NaN.
    fn is_finite(self) -> bool;
}

/// What the GEMM needs per float type, out of the public interface.
pub(crate) mod sealed {
    use crate::gemm::kernels::Kernel;

    pub trait Sealed: Sized {
        /// Runs `f` on this thread's packing buffers, kept between GEMM calls.
        fn with_pack_pool<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> R;
        /// The SIMD micro-kernels this CPU supports, slowest first.
        fn simd_kernels() -> Vec<Kernel<Self>>;
        /// The micro-kernel GEMM uses, chosen once.
        fn kernel() -> &'static Kernel<Self>;
        /// x ← e^x over a slice, vectorised.
        fn exp_slice(x: &mut [Self]);
        /// x ← σ(x) over a slice, vectorised.
        fn sigmoid_slice(x: &mut [Self]);
        /// x ← softplus(x) over a slice, vectorised.
        fn softplus_slice(x: &mut [Self]);
        /// Bernoulli draws from 32-bit words, vectorised (see `vmath::bernoulli`).
        fn bernoulli_slice(p: &[Self], words: &[u32], out: &mut [Self]);
        /// x ← x + b over whole rows of `b.len()`, vectorised (see `vmath::add_rows`).
        fn add_rows_slice(x: &mut [Self], b: &[Self]);
        /// Σ (x − y)² in 8 partial sums, vectorised (see `vmath::squared_distance`).
        fn squared_distance_slice(x: &[Self], y: &[Self]) -> Self;
        /// g ← g·y·(1 − y), vectorised (see `vmath::sigmoid_delta`).
        fn sigmoid_delta_slice(g: &mut [Self], y: &[Self]);
    }
}

macro_rules! impl_float {
    ($t:ty, $simd:path, $exp:path, $sigmoid:path, $softplus:path, $bernoulli:path,
     $add_rows:path, $squared_distance:path, $sigmoid_delta:path) => {
        impl sealed::Sealed for $t {
            fn sigmoid_delta_slice(g: &mut [Self], y: &[Self]) {
                $sigmoid_delta(g, y)
            }
            fn squared_distance_slice(x: &[Self], y: &[Self]) -> Self {
                $squared_distance(x, y)
            }
            fn add_rows_slice(x: &mut [Self], b: &[Self]) {
                $add_rows(x, b)
            }
            fn softplus_slice(x: &mut [Self]) {
                $softplus(x)
            }
            fn bernoulli_slice(p: &[Self], words: &[u32], out: &mut [Self]) {
                $bernoulli(p, words, out)
            }
            fn exp_slice(x: &mut [Self]) {
                $exp(x)
            }
            fn sigmoid_slice(x: &mut [Self]) {
                $sigmoid(x)
            }
            fn with_pack_pool<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> R {
                thread_local! {
                    static POOL: std::cell::RefCell<Vec<Vec<$t>>> =
                        const { std::cell::RefCell::new(Vec::new()) };
                }
                // a thread being torn down has no pool left: it gets an empty one
                let mut f = Some(f);
                let mut run = |p: &mut Vec<Vec<$t>>| f.take().expect("called once")(p);
                match POOL.try_with(|p| run(&mut p.borrow_mut())) {
                    Ok(r) => r,
                    Err(_) => run(&mut Vec::new()),
                }
            }
            fn simd_kernels() -> Vec<crate::gemm::kernels::Kernel<Self>> {
                $simd()
            }
            fn kernel() -> &'static crate::gemm::kernels::Kernel<Self> {
                static CHOSEN: std::sync::OnceLock<crate::gemm::kernels::Kernel<$t>> =
                    std::sync::OnceLock::new();
                CHOSEN.get_or_init(|| {
                    crate::gemm::kernels::choose(crate::gemm::kernels::available::<$t>())
                })
            }
        }

        impl Float for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NAME: &'static str = stringify!($t);

            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                <$t>::exp(self)
            }
            #[inline]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                <$t>::min(self, other)
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}

impl_float!(
    f32,
    crate::gemm::kernels::simd_f32,
    crate::vmath::exp_f32,
    crate::vmath::sigmoid_f32,
    crate::vmath::softplus_f32,
    crate::vmath::bernoulli_f32,
    crate::vmath::add_rows_f32,
    crate::vmath::squared_distance_f32,
    crate::vmath::sigmoid_delta_f32
);
impl_float!(
    f64,
    crate::gemm::kernels::simd_f64,
    crate::vmath::exp_f64,
    crate::vmath::sigmoid_f64,
    crate::vmath::softplus_f64,
    crate::vmath::bernoulli_f64,
    crate::vmath::add_rows_f64,
    crate::vmath::squared_distance_f64,
    crate::vmath::sigmoid_delta_f64
);
