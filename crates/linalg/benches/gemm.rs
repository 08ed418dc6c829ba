//! GEMM throughput at the shapes training uses, beside the `matrixmultiply` crate.
//!
//! `cargo bench -p layerwise-linalg --bench gemm` runs itself once per thread count (1 and 2,
//! or the counts in `BENCH_THREADS=1,2,4`) and prints GFLOP/s for both libraries and their
//! ratio (`BENCH_FILTER=dW` keeps the shapes whose label holds it). Each figure is the best
//! of five timed batches of about 0.1 s.

use layerwise_linalg::{gemm, gemm_kernel_name, set_threads, Float, Matrix, Trans};
use std::process::Command;
use std::time::Instant;

/// (label, m, k, n, op(A), op(B)): what a CD-1 step and backprop compute on 784 → 500 → 500,
/// and on the book's 60 → 20 (below the packing threshold).
#[rustfmt::skip]
const SHAPES: [(&str, usize, usize, usize, Trans, Trans); 10] = [
    ("h = v·Wᵀ   100×784·784×500", 100, 784, 500, Trans::N, Trans::T),
    ("h = v·W    100×784·784×500", 100, 784, 500, Trans::N, Trans::N),
    ("h2 = h·Wᵀ  100×500·500×500", 100, 500, 500, Trans::N, Trans::T),
    ("v = h·W    100×500·500×784", 100, 500, 784, Trans::N, Trans::N),
    ("dW = δᵀ·x  500×100·100×784", 500, 100, 784, Trans::T, Trans::N),
    ("dW = xᵀ·δ  784×100·100×500", 784, 100, 500, Trans::T, Trans::N),
    ("square     1024×1024·1024", 1024, 1024, 1024, Trans::N, Trans::N),
    ("book h     50×60·60×20", 50, 60, 20, Trans::N, Trans::T),
    ("book v     50×20·20×60", 50, 20, 60, Trans::N, Trans::N),
    ("book dW    20×50·50×60", 20, 50, 60, Trans::T, Trans::N),
];

fn main() {
    match std::env::var("BENCH_CHILD_THREADS") {
        Ok(t) => child(t.parse().expect("thread count")),
        Err(_) => parent(),
    }
}

/// Re-runs this binary once per thread count, each with both libraries set to that count.
fn parent() {
    let counts = std::env::var("BENCH_THREADS").unwrap_or_else(|_| "1,2".into());
    let exe = std::env::current_exe().expect("own path");
    println!(
        "GEMM GFLOP/s, layerwise ({} f32, {} f64) vs matrixmultiply 0.3.11",
        gemm_kernel_name::<f32>(),
        gemm_kernel_name::<f64>()
    );
    println!(
        "{:<30} {:>4} {:>7} {:>10} {:>10} {:>7}",
        "shape", "type", "threads", "layerwise", "mm", "ratio"
    );
    for t in counts.split(',') {
        let status = Command::new(&exe)
            .env("BENCH_CHILD_THREADS", t.trim())
            .env("MATMUL_NUM_THREADS", t.trim())
            .status()
            .expect("child run");
        assert!(status.success());
    }
}

fn child(threads: usize) {
    if threads == 1 && std::env::var_os("BENCH_FILTER").is_none() {
        sigmoid_rates();
    }
    set_threads(threads);
    // BENCH_FILTER=square (say) runs only the shapes whose label contains it
    let filter = std::env::var("BENCH_FILTER").unwrap_or_default();
    for &(label, m, k, n, ta, tb) in SHAPES.iter().filter(|s| s.0.contains(&filter)) {
        row::<f32>(label, threads, (m, k, n), ta, tb);
        row::<f64>(label, threads, (m, k, n), ta, tb);
    }
}

fn row<T: Bench>(
    label: &str,
    threads: usize,
    (m, k, n): (usize, usize, usize),
    ta: Trans,
    tb: Trans,
) {
    let a = stored::<T>(m, k, ta, 1);
    let b = stored::<T>(k, n, tb, 2);
    let mut c = Matrix::<T>::zeros(m, n);
    let flops = 2.0 * (m * n * k) as f64;
    let ours = best_gflops(flops, || gemm(T::ONE, &a, ta, &b, tb, T::ZERO, &mut c));
    let theirs = best_gflops(flops, || T::mm(&a, ta, &b, tb, &mut c));
    println!(
        "{label:<30} {:>4} {threads:>7} {ours:>10.1} {theirs:>10.1} {:>7.2}",
        T::NAME,
        ours / theirs
    );
}

/// Nanoseconds per element of σ over 64 Ki values (in L2): vectorised beside `std`'s exp.
fn sigmoid_rates() {
    let x: Vec<f32> = (0..1 << 16)
        .map(|i| (i % 2000) as f32 / 100.0 - 10.0)
        .collect();
    let mut y = x.clone();
    let per = |s: f64| s * 1e9 / x.len() as f64;
    let ours = 2.0
        / best_gflops(2.0, || {
            y.copy_from_slice(&x);
            layerwise_linalg::vmath::sigmoid(&mut y);
        });
    let plain = 2.0
        / best_gflops(2.0, || {
            for (o, &v) in y.iter_mut().zip(&x) {
                *o = 1.0 / (1.0 + (-v).exp());
            }
        });
    println!(
        "sigmoid f32: {:.2} ns per element vectorised, {:.2} ns with std exp",
        per(ours * 1e-9),
        per(plain * 1e-9)
    );
}

fn stored<T: Float>(rows: usize, cols: usize, t: Trans, seed: usize) -> Matrix<T> {
    let (r, c) = if t == Trans::N {
        (rows, cols)
    } else {
        (cols, rows)
    };
    Matrix::from_fn(r, c, |i, j| {
        T::from_f64((((i * 31 + j * 17 + seed) % 97) as f64) / 97.0 - 0.5)
    })
}

/// The best of five batches, each repeating `f` for about 0.1 s.
fn best_gflops(flops: f64, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    f();
    let reps = ((0.1 / start.elapsed().as_secs_f64()) as usize).max(1);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() / reps as f64);
    }
    flops / best / 1e9
}

/// Strides of op(X) for matrixmultiply: (row stride, column stride).
fn strides<T: Float>(x: &Matrix<T>, t: Trans) -> (isize, isize) {
    match t {
        Trans::N => (x.cols() as isize, 1),
        Trans::T => (1, x.cols() as isize),
    }
}

trait Bench: Float {
    fn mm(a: &Matrix<Self>, ta: Trans, b: &Matrix<Self>, tb: Trans, c: &mut Matrix<Self>);
}

macro_rules! bench_impl {
    ($t:ty, $f:ident) => {
        impl Bench for $t {
            fn mm(a: &Matrix<$t>, ta: Trans, b: &Matrix<$t>, tb: Trans, c: &mut Matrix<$t>) {
                let (m, n) = c.shape();
                let k = if ta == Trans::N { a.cols() } else { a.rows() };
                let ((rsa, csa), (rsb, csb)) = (strides(a, ta), strides(b, tb));
                let ldc = n as isize;
                // SAFETY: the pointers and strides describe the three matrices' buffers.
                unsafe {
                    matrixmultiply::$f(
                        m,
                        k,
                        n,
                        1.0,
                        a.as_slice().as_ptr(),
                        rsa,
                        csa,
                        b.as_slice().as_ptr(),
                        rsb,
                        csb,
                        0.0,
                        c.as_mut_slice().as_mut_ptr(),
                        ldc,
                        1,
                    );
                }
            }
        }
    };
}

bench_impl!(f32, sgemm);
bench_impl!(f64, dgemm);
