//! Activation functions, Bernoulli sampling and the fused row passes that follow a GEMM.
//!
//! σ, softplus and softmax are safe for every finite input. Random draws come from
//! [`RowStreams`]: one value is taken from the caller's generator per call, and each element
//! draws from a fixed place of a ChaCha stream set by its row and column, so results do not
//! depend on how rows are split between threads. The fused passes (bias, σ, sample; σ′) each
//! go over a batch once, in chunks of whole rows (in parallel for large batches).

use layerwise_linalg::{vmath, Float, Matrix};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// σ(x) = 1 / (1 + e⁻ˣ), evaluated so that e^(…) never overflows.
///
/// For x ≥ 0 it computes 1 / (1 + e⁻ˣ); for x < 0, eˣ / (1 + eˣ). Both exponents are ≤ 0,
/// so σ(±1000) is exactly 1 and 0 in `f32` and `f64`, never NaN.
///
/// # Examples
/// ```
/// use layerwise_layers::sigmoid;
/// assert_eq!(sigmoid(1000.0_f32), 1.0);
/// assert_eq!(sigmoid(-1000.0_f32), 0.0);
/// assert_eq!(sigmoid(0.0_f64), 0.5);
/// ```
#[inline]
pub fn sigmoid<T: Float>(x: T) -> T {
    if x >= T::ZERO {
        T::ONE / (T::ONE + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::ONE + e)
    }
}

/// softplus(x) = ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|): finite for every finite x.
#[inline]
pub fn softplus<T: Float>(x: T) -> T {
    x.max(T::ZERO) + (-x.abs()).exp().ln_1p()
}

/// Applies σ to every element in place, rows in parallel, with the vectorised
/// [`layerwise_linalg::vmath::sigmoid`] (within a few ulp of [`sigmoid`], exact at ±1000).
pub fn sigmoid_inplace<T: Float>(m: &mut Matrix<T>) {
    let chunk_rows = chunk_rows(m.cols());
    m.par_row_chunks_mut(chunk_rows, |_, chunk| vmath::sigmoid(chunk));
}

/// About this many elements go through the vector σ at once: short rows (20 units) are
/// gathered into chunks long enough for the vector loop to run at full speed, and a chunk
/// still fits in the L1 cache between its passes.
pub(crate) const CHUNK_ELEMENTS: usize = 4096;

/// Rows per chunk of [`CHUNK_ELEMENTS`] for rows of `cols` elements (at least one).
pub(crate) fn chunk_rows(cols: usize) -> usize {
    (CHUNK_ELEMENTS / cols.max(1)).max(1)
}

/// chunk ← chunk + b, b broadcast over the chunk's rows of `b.len()` elements.
pub(crate) fn add_bias_rows<T: Float>(chunk: &mut [T], bias: &[T]) {
    vmath::add_rows(chunk, bias);
}

/// Replaces each row z by softmax(z)ᵢ = e^(zᵢ − max z) / Σⱼ e^(zⱼ − max z), rows in
/// parallel.
///
/// Subtracting the row maximum keeps every exponent ≤ 0, so no logit overflows.
pub fn softmax_rows_inplace<T: Float>(m: &mut Matrix<T>) {
    m.par_rows_mut(|_, row| softmax_row(row));
}

/// One row of [`softmax_rows_inplace`]: z ← e^(z − max z) / Σ e^(z − max z).
pub(crate) fn softmax_row<T: Float>(row: &mut [T]) {
    let max = row
        .iter()
        .copied()
        .fold(T::from_f64(f64::NEG_INFINITY), T::max);
    let mut total = T::ZERO;
    for z in row.iter_mut() {
        *z = (*z - max).exp();
        total += *z;
    }
    for z in row.iter_mut() {
        *z /= total;
    }
}

/// Independent random streams, one per row of a batch, all fixed by one draw.
///
/// [`RowStreams::new`] takes a single value from the caller's generator, a 32-byte ChaCha
/// key. Draws of one word per element (Bernoulli sampling, masking noise) come from
/// [`RowStreams::rows_from`]: element (i, j) of a matrix with `cols` columns takes word
/// i · cols + j of one ChaCha8 stream under that key, so any run of whole rows is drawn in
/// one sequential pass from a generator set to its first row. Draws of varying length use
/// [`RowStreams::row`], ChaCha8 stream number i for row i. Either way a row's draws depend on
/// its index only, never on which thread computes it, and a seed still fixes every bit of a
/// run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowStreams {
    key: [u8; 32],
}

impl RowStreams {
    /// Draws the key: exactly one value (32 bytes) from `rng`.
    pub fn new<R: Rng + ?Sized>(rng: &mut R) -> Self {
        RowStreams { key: rng.gen() }
    }

    /// The generator of row `i`, at the start of its own stream (number i).
    pub fn row(&self, i: usize) -> ChaCha8Rng {
        let mut stream = ChaCha8Rng::from_seed(self.key);
        stream.set_stream(i as u64);
        stream
    }

    /// The generator of one-word-per-element draws for a matrix with `cols` columns, set to
    /// row `first`: its next words are those of element (first, 0), (first, 1), … in row order.
    ///
    /// The words come from stream 2⁶⁴ − 1, which [`RowStreams::row`] never hands out for a
    /// real row index.
    pub fn rows_from(&self, first: usize, cols: usize) -> ChaCha8Rng {
        let mut stream = ChaCha8Rng::from_seed(self.key);
        stream.set_stream(u64::MAX);
        stream.set_word_pos(first as u128 * cols as u128);
        stream
    }
}

/// 1 with probability p, else 0: one uniform from `stream`, a 32-bit draw seen as
/// u = k / 2³² (fine enough for a unit's probability, and half the generator's work of a
/// 64-bit draw).
#[inline]
pub(crate) fn bernoulli<T: Float>(p: T, stream: &mut ChaCha8Rng) -> T {
    const SCALE: f64 = 1.0 / 4_294_967_296.0;
    if f64::from(stream.next_u32()) * SCALE < p.to_f64() {
        T::ONE
    } else {
        T::ZERO
    }
}

/// `out` ← Bernoulli(`probs`), one 32-bit word of `stream` per element in order, seen as
/// u = w / 2³² (fine enough for a unit's probability, and half the generator's work of a
/// 64-bit draw); the words are drawn in runs of 256 and compared in vector code.
fn sample_into<T: Float>(probs: &[T], out: &mut [T], stream: &mut ChaCha8Rng) {
    let mut words = [0_u32; 256];
    for (p, o) in probs.chunks(256).zip(out.chunks_mut(256)) {
        let w = &mut words[..p.len()];
        stream.fill(w);
        vmath::bernoulli(p, w, o);
    }
}

/// A matrix of independent draws: element (i, j) is 1 with probability `probs[i, j]`, else 0.
///
/// Shape unchanged. One value is drawn from `rng` (see [`RowStreams`]); element (i, j) then
/// takes the 32-bit word [`RowStreams::rows_from`] gives it, so a seed fixes every bit,
/// whatever the thread count.
pub fn sample_bernoulli<T: Float, R: Rng + ?Sized>(probs: &Matrix<T>, rng: &mut R) -> Matrix<T> {
    let mut out = Matrix::zeros(0, 0);
    sample_bernoulli_into(probs, &mut out, rng);
    out
}

/// [`sample_bernoulli`] into `out`, reshaped to the shape of `probs` and reusing its buffer.
pub fn sample_bernoulli_into<T: Float, R: Rng + ?Sized>(
    probs: &Matrix<T>,
    out: &mut Matrix<T>,
    rng: &mut R,
) {
    let streams = RowStreams::new(rng);
    let cols = probs.cols();
    out.reshape_uninit(probs.rows(), cols);
    out.par_row_chunks_mut(chunk_rows(cols), |first, chunk| {
        let p = &probs.as_slice()[first * cols..first * cols + chunk.len()];
        sample_into(p, chunk, &mut streams.rows_from(first, cols));
    });
}

/// z ← σ(z + b), b broadcast over the rows: the pass after a layer's GEMM, rows in parallel.
///
/// # Panics
/// If `bias.len() ≠ z.cols()`.
#[track_caller]
pub(crate) fn add_bias_sigmoid<T: Float>(z: &mut Matrix<T>, bias: &[T]) {
    assert_eq!(bias.len(), z.cols(), "bias length ≠ cols");
    z.par_row_chunks_mut(chunk_rows(bias.len()), |_, chunk| {
        add_bias_rows(chunk, bias);
        vmath::sigmoid(chunk);
    });
}

/// z ← σ(z + b) and `sample` ← Bernoulli(z) in one pass over chunks of rows.
///
/// `sample` is reshaped to the shape of z; the draws are those of [`sample_bernoulli`].
/// The layers now add the bias in the GEMM (`gemm_bias`) and call [`sigmoid_sample`]; this
/// form stays for the tests that pin the pass.
///
/// # Panics
/// If `bias.len() ≠ z.cols()`.
#[cfg(test)]
#[track_caller]
pub(crate) fn add_bias_sigmoid_sample<T: Float>(
    z: &mut Matrix<T>,
    bias: &[T],
    sample: &mut Matrix<T>,
    streams: &RowStreams,
) {
    assert_eq!(bias.len(), z.cols(), "bias length ≠ cols");
    sigmoid_sample_with(z, Some(bias), sample, streams);
}

/// z ← σ(z) and `sample` ← Bernoulli(z): [`add_bias_sigmoid_sample`] for a z that already
/// holds its bias (from `gemm_bias`), drawing the same words.
pub(crate) fn sigmoid_sample<T: Float>(
    z: &mut Matrix<T>,
    sample: &mut Matrix<T>,
    streams: &RowStreams,
) {
    sigmoid_sample_with(z, None, sample, streams);
}

/// The pass of [`add_bias_sigmoid_sample`] and [`sigmoid_sample`].
fn sigmoid_sample_with<T: Float>(
    z: &mut Matrix<T>,
    bias: Option<&[T]>,
    sample: &mut Matrix<T>,
    streams: &RowStreams,
) {
    sample.reshape_uninit(z.rows(), z.cols());
    let cols = z.cols().max(1);
    z.par_row_chunks_mut2(sample, chunk_rows(cols), |first, probs, bits| {
        if let Some(bias) = bias {
            add_bias_rows(probs, bias);
        }
        vmath::sigmoid(probs);
        sample_into(probs, bits, &mut streams.rows_from(first, cols));
    });
}

/// Fills `out` with independent N(0, 1) draws from `stream` by the Box–Muller transform: each
/// pair of 64-bit draws (u₁ ∈ (0, 1], u₂ ∈ [0, 1), 53 bits each) gives
/// √(−2 ln u₁)·cos 2πu₂ and √(−2 ln u₁)·sin 2πu₂; an odd last element drops
/// the sine.
pub(crate) fn standard_normals(out: &mut [f64], stream: &mut ChaCha8Rng) {
    const SCALE: f64 = 1.0 / (1_u64 << 53) as f64;
    for pair in out.chunks_mut(2) {
        let u1 = 1.0 - (stream.next_u64() >> 11) as f64 * SCALE;
        let u2 = (stream.next_u64() >> 11) as f64 * SCALE;
        let r = (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
        pair[0] = r * cos;
        if let Some(second) = pair.get_mut(1) {
            *second = r * sin;
        }
    }
}

/// z ← z + b (the means of unit-variance Gaussian units) and `sample` ← z + ε, ε ~ N(0, I),
/// in one pass, row i drawing from stream i ([`standard_normals`], in column order).
///
/// `sample` is reshaped to the shape of z. The draws are made in blocks on the stack, so
/// nothing is allocated.
///
/// # Panics
/// If `bias.len() ≠ z.cols()`.
#[track_caller]
pub(crate) fn add_bias_gaussian_sample<T: Float>(
    z: &mut Matrix<T>,
    bias: &[T],
    sample: &mut Matrix<T>,
    streams: &RowStreams,
) {
    const BLOCK: usize = 64;
    assert_eq!(bias.len(), z.cols(), "bias length ≠ cols");
    sample.reshape_uninit(z.rows(), z.cols());
    z.par_rows_mut2(sample, |i, means, draws| {
        let mut stream = streams.row(i);
        let mut noise = [0.0_f64; BLOCK];
        for (m, &b) in means.iter_mut().zip(bias) {
            *m += b;
        }
        for (means, draws) in means.chunks(BLOCK).zip(draws.chunks_mut(BLOCK)) {
            standard_normals(&mut noise[..means.len()], &mut stream);
            for ((s, &m), &e) in draws.iter_mut().zip(means).zip(&noise) {
                *s = m + T::from_f64(e);
            }
        }
    });
}

/// g ← g ⊙ y ⊙ (1 − y): ∂L/∂y turned into δ = ∂L/∂z for y = σ(z), in place,
/// rows in parallel.
///
/// # Panics
/// If the shapes differ.
#[track_caller]
pub(crate) fn sigmoid_delta<T: Float>(grad: &mut Matrix<T>, y: &Matrix<T>) {
    assert_eq!(grad.shape(), y.shape(), "sigmoid_delta: shapes differ");
    let cols = y.cols().max(1);
    grad.par_row_chunks_mut(chunk_rows(cols), |first, chunk| {
        let y = &y.as_slice()[first * cols..first * cols + chunk.len()];
        vmath::sigmoid_delta(chunk, y);
    });
}

/// Index of the largest value of each row (the first one on ties).
pub fn argmax_rows<T: Float>(m: &Matrix<T>) -> Vec<usize> {
    (0..m.rows())
        .map(|i| {
            let row = m.row(i);
            let mut best = 0;
            for (j, &x) in row.iter().enumerate() {
                if x > row[best] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn sigmoid_saturates_exactly_without_nan() {
        assert_eq!(sigmoid(1000.0_f32), 1.0);
        assert_eq!(sigmoid(-1000.0_f32), 0.0);
        assert_eq!(sigmoid(1000.0_f64), 1.0);
        assert_eq!(sigmoid(-1000.0_f64), 0.0);
        assert_eq!(sigmoid(f32::MAX), 1.0);
        assert_eq!(sigmoid(f32::MIN), 0.0);
        approx::assert_relative_eq!(sigmoid(2.0_f64), 1.0 / (1.0 + (-2.0_f64).exp()));
        approx::assert_relative_eq!(sigmoid(-2.0_f64), 1.0 / (1.0 + 2.0_f64.exp()));
    }

    #[test]
    fn softplus_is_finite_and_accurate() {
        assert_eq!(softplus(1000.0_f32), 1000.0);
        assert_eq!(softplus(-1000.0_f32), 0.0);
        approx::assert_relative_eq!(softplus(0.3_f64), 0.3_f64.exp().ln_1p(), epsilon = 1e-15);
        approx::assert_relative_eq!(softplus(-3.0_f64), (-3.0_f64).exp().ln_1p());
    }

    #[test]
    fn softmax_of_extreme_logits_is_finite_and_one_hot() {
        let logits = vec![
            -249.9_f32, -424.1, -460.3, 378.1, -292.6, 1000.0, -1000.0, 0.0,
        ];
        let mut m = Matrix::from_vec(1, 8, logits).unwrap();
        softmax_rows_inplace(&mut m);
        assert!(m.is_finite());
        assert_eq!(argmax_rows(&m), vec![5]);
        approx::assert_abs_diff_eq!(m[(0, 5)], 1.0, epsilon = 1e-6);
        let mut n = Matrix::from_vec(2, 2, vec![1000.0_f64, -1000.0, 0.0, 0.0]).unwrap();
        softmax_rows_inplace(&mut n);
        assert_eq!(n.as_slice(), &[1.0, 0.0, 0.5, 0.5]);
    }

    #[test]
    fn bernoulli_frequencies_follow_probabilities() {
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let p = Matrix::from_fn(200, 50, |_, j| if j < 25 { 0.2_f64 } else { 0.9 });
        let s = sample_bernoulli(&p, &mut rng);
        let sums = s.col_sums();
        let low: f64 = sums[..25].iter().sum::<f64>() / 5000.0;
        let high: f64 = sums[25..].iter().sum::<f64>() / 5000.0;
        approx::assert_abs_diff_eq!(low, 0.2, epsilon = 0.02);
        approx::assert_abs_diff_eq!(high, 0.9, epsilon = 0.02);
        assert!(s.as_slice().iter().all(|&x| x == 0.0 || x == 1.0));
    }

    /// f() run with 1, 2 and 3 threads: the three results must be bit-identical.
    pub(crate) fn same_for_1_2_3_threads<M: PartialEq + std::fmt::Debug>(f: impl Fn() -> M) {
        let runs: Vec<M> = [1, 2, 3]
            .iter()
            .map(|&n| {
                layerwise_linalg::set_threads(n);
                f()
            })
            .collect();
        layerwise_linalg::set_threads(0);
        assert_eq!(runs[0], runs[1], "1 vs 2 threads");
        assert_eq!(runs[0], runs[2], "1 vs 3 threads");
    }

    /// 7000 × 120 probabilities: enough work for a row loop to use three threads, whose
    /// blocks (2333 rows) start inside chunks of rows (34 rows).
    fn big_probabilities() -> Matrix<f64> {
        Matrix::from_fn(7000, 120, |i, j| ((i * 120 + j) as f64 * 0.37).sin().abs())
    }

    #[test]
    fn sampling_is_bit_identical_for_1_2_and_3_threads() {
        use rand::SeedableRng;
        let p = big_probabilities();
        same_for_1_2_3_threads(|| sample_bernoulli(&p, &mut ChaCha8Rng::seed_from_u64(5)));
        let bias: Vec<f64> = (0..120).map(|j| 0.01 * j as f64 - 0.6).collect();
        same_for_1_2_3_threads(|| {
            let streams = RowStreams::new(&mut ChaCha8Rng::seed_from_u64(6));
            let (mut z, mut s) = (p.clone(), Matrix::zeros(0, 0));
            add_bias_sigmoid_sample(&mut z, &bias, &mut s, &streams);
            (z, s)
        });
    }

    #[test]
    fn fused_pass_equals_sigmoid_then_sampling() {
        use rand::SeedableRng;
        let z = big_probabilities().map(|x| 4.0 * x - 2.0);
        let bias: Vec<f64> = (0..120).map(|j| 0.02 * j as f64 - 1.0).collect();
        let mut probs = z.clone();
        let mut sample = Matrix::zeros(3, 3);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        add_bias_sigmoid_sample(&mut probs, &bias, &mut sample, &RowStreams::new(&mut rng));
        let mut want = z.clone();
        want.add_row_vector(&bias);
        sigmoid_inplace(&mut want);
        assert_eq!(probs, want);
        assert_eq!(
            sample,
            sample_bernoulli(&want, &mut ChaCha8Rng::seed_from_u64(7))
        );
        assert_eq!(rng, {
            let mut r = ChaCha8Rng::seed_from_u64(7);
            r.gen::<[u8; 32]>();
            r
        });
    }

    #[test]
    fn a_rows_draws_depend_on_its_index_only() {
        use rand::SeedableRng;
        let p = Matrix::filled(9, 40, 0.5_f32);
        let all = sample_bernoulli(&p, &mut ChaCha8Rng::seed_from_u64(8));
        let top = sample_bernoulli(
            &p.select_rows(&[0, 1, 2]),
            &mut ChaCha8Rng::seed_from_u64(8),
        );
        assert_eq!(top, all.select_rows(&[0, 1, 2]));
        assert_ne!(all.row(0), all.row(1), "rows draw from different streams");
    }

    #[test]
    fn element_i_j_takes_word_i_cols_plus_j() {
        use rand::SeedableRng;
        let p = Matrix::from_fn(7, 300, |i, j| ((i * 300 + j) as f64 * 0.7).sin().abs());
        let s = sample_bernoulli(&p, &mut ChaCha8Rng::seed_from_u64(3));
        let streams = RowStreams::new(&mut ChaCha8Rng::seed_from_u64(3));
        let mut words = streams.rows_from(0, 300);
        for (&x, &p) in s.as_slice().iter().zip(p.as_slice()) {
            let u = f64::from(words.next_u32()) / 4_294_967_296.0;
            assert_eq!(x, if u < p { 1.0 } else { 0.0 });
        }
        let mut from_row_5 = streams.rows_from(5, 300);
        let mut skipped = streams.rows_from(0, 300);
        for _ in 0..5 * 300 {
            skipped.next_u32();
        }
        assert_eq!(from_row_5.next_u64(), skipped.next_u64());
    }

    #[test]
    fn row_streams_are_value_stable() {
        use rand::SeedableRng;
        let p = Matrix::filled(2, 8, 0.5_f64);
        let s = sample_bernoulli(&p, &mut ChaCha8Rng::seed_from_u64(1));
        let bits: Vec<u8> = s.as_slice().iter().map(|&x| x as u8).collect();
        assert_eq!(bits, [1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 1]);
    }
}
