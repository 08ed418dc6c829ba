use super::kernels::{available, Kernel};
use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random<T: Float>(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Matrix<T> {
    Matrix::from_fn(rows, cols, |_, _| T::from_f64(rng.gen_range(-1.0..1.0)))
}

/// The textbook triple loop in f64, reading op(A) and op(B) element by element.
fn naive<T: Float>(alpha: f64, a: &Matrix<T>, ta: Trans, b: &Matrix<T>, tb: Trans) -> Matrix<f64> {
    let at = |i: usize, p: usize| if ta == Trans::N { a[(i, p)] } else { a[(p, i)] };
    let bt = |p: usize, j: usize| if tb == Trans::N { b[(p, j)] } else { b[(j, p)] };
    let (m, k) = op_shape(a, ta);
    let (_, n) = op_shape(b, tb);
    Matrix::from_fn(m, n, |i, j| {
        alpha
            * (0..k)
                .map(|p| at(i, p).to_f64() * bt(p, j).to_f64())
                .sum::<f64>()
    })
}

fn stored<T: Float>(rows: usize, cols: usize, t: Trans, rng: &mut ChaCha8Rng) -> Matrix<T> {
    match t {
        Trans::N => random(rows, cols, rng),
        Trans::T => random(cols, rows, rng),
    }
}

const PATHS: [Path; 2] = [Path::Direct, Path::Packed];

const FORMS: [(Trans, Trans); 4] = [
    (Trans::N, Trans::N),
    (Trans::N, Trans::T),
    (Trans::T, Trans::N),
    (Trans::T, Trans::T),
];

/// Sizes 0, 1, odd, prime, and past one block of each kernel (mc ≤ 128, kc ≤ 256); the row
/// and column tails reach every size class of the direct routines (rows 1–2, 3–4, 5–6;
/// widths up to a quarter, a half and all of `nr`).
const M_SIZES: [usize; 7] = [0, 1, 7, 13, 16, 131, 263];
const K_SIZES: [usize; 5] = [0, 1, 17, 257, 301];
const N_SIZES: [usize; 6] = [0, 1, 5, 20, 37, 97];

/// Every kernel, both paths, every form, every size class; β = 0 on a C full of NaN must not
/// read it.
fn check_kernel<T: Float>(kern: &Kernel<T>, tolerance: f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for (path, &(ta, tb)) in PATHS.iter().flat_map(|p| FORMS.iter().map(move |f| (p, f))) {
        for &m in &M_SIZES {
            for &k in &K_SIZES {
                for &n in &N_SIZES {
                    let a: Matrix<T> = stored(m, k, ta, &mut rng);
                    let b: Matrix<T> = stored(k, n, tb, &mut rng);
                    let mut c = Matrix::filled(m, n, T::from_f64(f64::NAN));
                    let half = T::from_f64(0.5);
                    gemm_with(kern, *path, half, &a, ta, &b, tb, T::ZERO, &mut c);
                    let want = naive(0.5, &a, ta, &b, tb);
                    for (x, y) in c.as_slice().iter().zip(want.as_slice()) {
                        let tol = tolerance * (1.0 + k as f64);
                        assert!(
                            (x.to_f64() - y).abs() <= tol,
                            "{} {path:?} {ta:?}{tb:?} {m}×{k}×{n}: {x} vs {y}",
                            kern.name
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn every_f64_kernel_matches_naive_and_beta_zero_never_reads_c() {
    for kern in available::<f64>() {
        check_kernel(&kern, 1e-14);
    }
}

#[test]
fn every_f32_kernel_matches_naive_and_beta_zero_never_reads_c() {
    for kern in available::<f32>() {
        check_kernel(&kern, 1e-6);
    }
}

#[test]
fn beta_scales_existing_c_on_both_paths() {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    for (kern, path) in available::<f64>()
        .iter()
        .flat_map(|k| PATHS.map(|p| (k, p)))
    {
        for &(ta, tb) in &FORMS {
            for (m, k, n) in [(9, 17, 5), (70, 300, 41)] {
                let a: Matrix<f64> = stored(m, k, ta, &mut rng);
                let b: Matrix<f64> = stored(k, n, tb, &mut rng);
                let c0: Matrix<f64> = random(m, n, &mut rng);
                let mut c = c0.clone();
                gemm_with(kern, path, -1.5, &a, ta, &b, tb, 0.25, &mut c);
                let mut want = naive(-1.5, &a, ta, &b, tb);
                want.axpy(0.25, &c0);
                for (x, y) in c.as_slice().iter().zip(want.as_slice()) {
                    approx::assert_abs_diff_eq!(*x, *y, epsilon = 1e-12);
                }
            }
        }
    }
}

#[test]
fn wide_products_cross_the_column_block() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    for kern in available::<f32>() {
        let a: Matrix<f32> = random(13, 40, &mut rng);
        let b: Matrix<f32> = random(40, 2 * kern.nc + 37, &mut rng);
        let mut c = Matrix::zeros(13, b.cols());
        gemm_with(
            &kern,
            Path::Packed,
            1.0,
            &a,
            Trans::N,
            &b,
            Trans::N,
            0.0,
            &mut c,
        );
        let want = naive(1.0, &a, Trans::N, &b, Trans::N);
        for (x, y) in c.as_slice().iter().zip(want.as_slice()) {
            approx::assert_abs_diff_eq!(f64::from(*x), *y, epsilon = 1e-4);
        }
    }
}

/// Up to one block of depth (k ≤ kc), both paths sum each element in the same order, so
/// every direct routine, whatever tile size cuts the edge, gives the packed path's bits.
#[test]
fn direct_tiles_of_every_size_give_the_packed_bits() {
    fn check<T: Float>() {
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        for kern in available::<T>() {
            for &(ta, tb) in &FORMS {
                for m in 1..=14 {
                    for n in [1, 3, 4, 5, 8, 9, 16, 17, 20, 24, 33, 60] {
                        let k = 23;
                        let a: Matrix<T> = stored(m, k, ta, &mut rng);
                        let b: Matrix<T> = stored(k, n, tb, &mut rng);
                        let c0: Matrix<T> = random(m, n, &mut rng);
                        let run = |path, beta| {
                            let mut c = c0.clone();
                            let alpha = T::from_f64(-0.75);
                            gemm_with(&kern, path, alpha, &a, ta, &b, tb, beta, &mut c);
                            c
                        };
                        for beta in [T::ZERO, T::ONE, T::from_f64(0.5)] {
                            let (direct, packed) =
                                (run(Path::Direct, beta), run(Path::Packed, beta));
                            let same = direct
                                .as_slice()
                                .iter()
                                .zip(packed.as_slice())
                                .all(|(x, y)| x.to_f64().to_bits() == y.to_f64().to_bits());
                            assert!(same, "{} {ta:?}{tb:?} {m}×{k}×{n}", kern.name);
                        }
                    }
                }
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// The bias added in the direct tiles' epilogue gives the bits of a GEMM followed by a bias
/// pass, on every kernel, path, form and size class; C full of NaN is never read.
#[test]
fn gemm_bias_equals_gemm_then_bias_bit_for_bit() {
    fn check<T: Float>() {
        let mut rng = ChaCha8Rng::seed_from_u64(14);
        for (kern, path) in available::<T>().iter().flat_map(|k| PATHS.map(|p| (k, p))) {
            for &(ta, tb) in &FORMS {
                for &m in &M_SIZES {
                    for k in [0, 1, 23, 301] {
                        for &n in &N_SIZES {
                            let a: Matrix<T> = stored(m, k, ta, &mut rng);
                            let b: Matrix<T> = stored(k, n, tb, &mut rng);
                            let bias: Vec<T> = random::<T>(1, n, &mut rng).as_slice().to_vec();
                            let alpha = T::from_f64(0.75);
                            let mut got = Matrix::filled(m, n, T::from_f64(f64::NAN));
                            gemm_bias_with(kern, path, alpha, &a, ta, &b, tb, &bias, &mut got);
                            let mut want = Matrix::filled(m, n, T::from_f64(f64::NAN));
                            gemm_with(kern, path, alpha, &a, ta, &b, tb, T::ZERO, &mut want);
                            crate::vmath::add_rows(want.as_mut_slice(), &bias);
                            let same = got
                                .as_slice()
                                .iter()
                                .zip(want.as_slice())
                                .all(|(x, y)| x.to_f64().to_bits() == y.to_f64().to_bits());
                            assert!(same, "{} {path:?} {ta:?}{tb:?} {m}×{k}×{n}", kern.name);
                        }
                    }
                }
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// The column sums through the GEMM's kernels equal the plain loop bit for bit.
#[test]
fn column_sums_match_the_loop_bit_for_bit() {
    let mut rng = ChaCha8Rng::seed_from_u64(13);
    for (rows, cols) in [(1, 1), (50, 20), (50, 60), (7, 150), (100, 500), (3, 784)] {
        let x: Matrix<f64> = random(rows, cols, &mut rng);
        let start: Vec<f64> = (0..cols).map(|j| j as f64 * 0.1 - 1.0).collect();
        let mut out = start.clone();
        x.add_col_sums_to(-0.37, &mut out);
        for (j, (&o, &s0)) in out.iter().zip(&start).enumerate() {
            let sum = (0..rows).fold(0.0, |acc, i| acc + x[(i, j)]);
            assert_eq!(
                o.to_bits(),
                (s0 + -0.37 * sum).to_bits(),
                "{rows}×{cols}, column {j}"
            );
        }
    }
}

#[test]
fn results_are_bit_identical_for_any_thread_count() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for &(ta, tb) in &FORMS {
        for (m, k, n) in [
            (100, 784, 500),
            (500, 100, 784),
            (7, 300, 1031),
            (611, 129, 9),
        ] {
            let a: Matrix<f32> = stored(m, k, ta, &mut rng);
            let b: Matrix<f32> = stored(k, n, tb, &mut rng);
            let run = |threads: usize| {
                crate::set_threads(threads);
                let mut c = Matrix::filled(m, n, 0.5);
                gemm(1.0, &a, ta, &b, tb, 0.5, &mut c);
                c
            };
            let one = run(1);
            assert_eq!(one, run(2), "{ta:?}{tb:?} {m}×{k}×{n}");
            assert_eq!(one, run(3), "{ta:?}{tb:?} {m}×{k}×{n}");
        }
    }
    crate::set_threads(0);
}

#[test]
fn the_chosen_kernel_is_named() {
    assert!(["portable", "avx2", "avx512"].contains(&gemm_kernel_name::<f32>()));
}

#[test]
#[should_panic(expected = "gemm: op(A) is 2 × 3")]
fn mismatched_shapes_panic_with_both_shapes() {
    let a = Matrix::<f32>::zeros(2, 3);
    let mut c = Matrix::zeros(2, 2);
    gemm(1.0, &a, Trans::N, &a, Trans::N, 0.0, &mut c);
}
