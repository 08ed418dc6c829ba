//! A denoising autoencoder: corrupt, encode, decode, and compare with the clean input.
//!
//! For a clean input x (length `n_visible`):
//! - corrupt: x̃ = x under a [`Noise`] (masking by default; also salt and pepper, Gaussian);
//! - encode: y = σ(W x̃ + b), W `(n_hidden, n_visible)`;
//! - decode: a = W′ y + c, with W′ `(n_visible, n_hidden)` either tied, W′ = Wᵀ (the
//!   default), or a matrix of its own (untied);
//! - output and loss, by [`Loss`]:
//!   - cross-entropy (the default, for x in [0, 1]): z = σ(a),
//!     L = −Σᵢ [xᵢ ln zᵢ + (1 − xᵢ) ln(1 − zᵢ)];
//!   - squared error (for real-valued x): z = a, a linear output, L = ½ Σᵢ (zᵢ − xᵢ)²;
//!
//!   each averaged over the minibatch. Each output is the one whose loss has ∂L/∂a = z − x,
//!   so both share the gradient below.
//!
//! Gradient over a minibatch of B rows (one row per sample; X, X̃, Y, Z stack the rows):
//! - visible error δᵛ = (Z − X) / B, `(B, n_visible)`;
//! - hidden error δʰ = (δᵛ W′) ⊙ Y ⊙ (1 − Y), summing over *all* visible units;
//! - tied: ∂L/∂W = δʰᵀ X̃ + Yᵀ δᵛ (the encoder's and the decoder's use of W);
//! - untied: ∂L/∂W = δʰᵀ X̃ and ∂L/∂W′ = δᵛᵀ Y;
//! - ∂L/∂b = Σ δʰ and ∂L/∂c = Σ δᵛ (sums over the rows).
//!
//! Training applies −η times that gradient in place ([`DenoisingAutoencoder::train_batch_with`])
//! with the temporaries of a reused [`DaWorkspace`]: the noise draws from per-row streams,
//! and one row-parallel pass after the decoder's GEMM adds c, takes each row's loss and
//! turns a into δᵛ. [`DenoisingAutoencoder::gradient`] runs the same kernels on zeros.
//! [`DenoisingAutoencoder::reconstruction_loss`] monitors a data set: its mean loss with the
//! clean rows as input.
//!
//! Vincent et al. (2008, 2010); Sugomori's book, with its hidden-error sum fixed.

use crate::activation::{
    add_bias_rows, chunk_rows, sigmoid, sigmoid_delta, softplus, CHUNK_ELEMENTS,
};
use crate::error::{check_all_finite, check_positive, check_size, check_unit_interval, Result};
use crate::hidden::{accumulate_linear, add_col_sums, HiddenLayer};
use crate::noise::Noise;
use layerwise_linalg::{gemm, matmul, vmath, Float, Matrix, Trans};
use rand::Rng;

/// What a denoising autoencoder minimises, and so what its decoder outputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Loss {
    /// −Σᵢ [xᵢ ln zᵢ + (1 − xᵢ) ln(1 − zᵢ)] with a sigmoid output z = σ(a), for
    /// inputs in [0, 1] (the default).
    #[default]
    CrossEntropy,
    /// ½ Σᵢ (zᵢ − xᵢ)² with a linear output z = a, for real-valued inputs.
    ///
    /// The output is unbounded, so it needs a smaller learning rate than cross-entropy:
    /// one step moves aⱼ by about η (1 + Σₖ yₖ²) times its error zⱼ − xⱼ, which
    /// diverges above 2; with y near ½ that means η < 8 / n_hidden or so.
    SquaredError,
}

/// Whether the decoder reuses the encoder's weights.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DecoderWeights {
    /// W′ = Wᵀ: one matrix, trained by both halves (the default).
    #[default]
    Tied,
    /// A decoder matrix W′ `(n_visible, n_hidden)` of its own.
    Untied,
}

/// Validated settings of one dA step: learning rate η > 0 and the [`Noise`] with its level.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DaParams {
    learning_rate: f64,
    noise: Noise,
}

impl DaParams {
    /// Masking noise of level ν: checks η (finite, > 0) and ν (in [0, 1)).
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperparameter`] naming the bad parameter and its value.
    pub fn new(learning_rate: f64, corruption: f64) -> Result<Self> {
        Self::with_noise(learning_rate, Noise::Masking { p: corruption })
    }

    /// Any noise: checks η (finite, > 0) and the noise's level (p in [0, 1) for masking and
    /// salt and pepper, σ finite and ≥ 0 for Gaussian noise).
    ///
    /// # Errors
    /// [`crate::Error::InvalidHyperparameter`] naming the bad parameter (`learning_rate`,
    /// `corruption_level` or `noise_std`) and its value.
    pub fn with_noise(learning_rate: f64, noise: Noise) -> Result<Self> {
        check_positive("learning_rate", learning_rate)?;
        noise.check()?;
        Ok(DaParams {
            learning_rate,
            noise,
        })
    }

    /// The learning rate η.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// The noise and its level.
    pub fn noise(&self) -> Noise {
        self.noise
    }

    /// The noise's level: ν for masking (and p for salt and pepper, σ for Gaussian noise).
    pub fn corruption(&self) -> f64 {
        self.noise.level()
    }
}

/// ∂L/∂θ of a dA's mean loss for one minibatch.
#[derive(Clone, Debug, PartialEq)]
pub struct DaGradients<T> {
    /// ∂L/∂W, `(n_hidden, n_visible)`; tied, it holds both the encoder's and decoder's terms.
    pub weights: Matrix<T>,
    /// ∂L/∂W′, `(n_visible, n_hidden)`, when the decoder is untied.
    pub decoder_weights: Option<Matrix<T>>,
    /// ∂L/∂b, length `n_hidden`.
    pub hidden_bias: Vec<T>,
    /// ∂L/∂c, length `n_visible`.
    pub visible_bias: Vec<T>,
}

/// A denoising autoencoder: a [`HiddenLayer`] (W, b), a visible bias c and, when untied, a
/// decoder matrix W′.
#[derive(Clone, Debug, PartialEq)]
pub struct DenoisingAutoencoder<T> {
    encoder: HiddenLayer<T>,
    /// W′ `(n_visible, n_hidden)`, or `None` when tied (W′ = Wᵀ).
    decoder: Option<Matrix<T>>,
    visible_bias: Vec<T>,
    loss: Loss,
}

impl<T: Float> DenoisingAutoencoder<T> {
    /// A tied, cross-entropy dA with W uniform in [−1/n_visible, 1/n_visible) and both biases
    /// zero.
    ///
    /// # Errors
    /// [`crate::Error::ZeroSize`] when `n_visible` or `n_hidden` is 0.
    pub fn new<R: Rng + ?Sized>(n_visible: usize, n_hidden: usize, rng: &mut R) -> Result<Self> {
        Self::with_decoder(
            n_visible,
            n_hidden,
            DecoderWeights::Tied,
            Loss::CrossEntropy,
            rng,
        )
    }

    /// A dA with the given decoder and loss. W is drawn as by [`DenoisingAutoencoder::new`];
    /// an untied W′ is drawn after it, uniform in the same range [−1/n_visible, 1/n_visible),
    /// so that it is distributed as Wᵀ. Both biases start at zero.
    ///
    /// # Errors
    /// [`crate::Error::ZeroSize`] when `n_visible` or `n_hidden` is 0.
    pub fn with_decoder<R: Rng + ?Sized>(
        n_visible: usize,
        n_hidden: usize,
        weights: DecoderWeights,
        loss: Loss,
        rng: &mut R,
    ) -> Result<Self> {
        check_size("n_visible", n_visible)?;
        check_size("n_hidden", n_hidden)?;
        let encoder = HiddenLayer::new(n_visible, n_hidden, rng)?;
        let a = 1.0 / n_visible as f64;
        let decoder = (weights == DecoderWeights::Untied).then(|| {
            Matrix::from_fn(n_visible, n_hidden, |_, _| {
                T::from_f64(rng.gen_range(-a..a))
            })
        });
        Ok(DenoisingAutoencoder {
            encoder,
            decoder,
            visible_bias: vec![T::ZERO; n_visible],
            loss,
        })
    }

    /// A tied, cross-entropy dA from its parameters.
    ///
    /// # Panics
    /// If `visible_bias.len() ≠ encoder.n_in()`.
    #[track_caller]
    pub fn from_parts(encoder: HiddenLayer<T>, visible_bias: Vec<T>) -> Self {
        assert_eq!(
            visible_bias.len(),
            encoder.n_in(),
            "visible bias length ≠ n_visible"
        );
        DenoisingAutoencoder {
            encoder,
            decoder: None,
            visible_bias,
            loss: Loss::CrossEntropy,
        }
    }

    /// An untied, cross-entropy dA from its parameters; W′ is `(n_visible, n_hidden)`.
    ///
    /// # Panics
    /// If `visible_bias.len() ≠ encoder.n_in()` or W′ is not `(n_visible, n_hidden)`.
    #[track_caller]
    pub fn from_parts_untied(
        encoder: HiddenLayer<T>,
        decoder_weights: Matrix<T>,
        visible_bias: Vec<T>,
    ) -> Self {
        let shape = (encoder.n_in(), encoder.n_out());
        assert_eq!(
            decoder_weights.shape(),
            shape,
            "W′ is not (n_visible, n_hidden)"
        );
        let mut da = Self::from_parts(encoder, visible_bias);
        da.decoder = Some(decoder_weights);
        da
    }

    /// The same dA minimising `loss` instead.
    pub fn with_loss(mut self, loss: Loss) -> Self {
        self.loss = loss;
        self
    }

    /// Number of visible units.
    pub fn n_visible(&self) -> usize {
        self.encoder.n_in()
    }

    /// Number of hidden units.
    pub fn n_hidden(&self) -> usize {
        self.encoder.n_out()
    }

    /// The encoder (W and b) as the sigmoid layer it defines.
    pub fn hidden_layer(&self) -> &HiddenLayer<T> {
        &self.encoder
    }

    /// Mutable access to W and b, for fine-tuning them as a classifier's hidden layer.
    pub fn hidden_layer_mut(&mut self) -> &mut HiddenLayer<T> {
        &mut self.encoder
    }

    /// The visible (decoder) bias c, length `n_visible`.
    pub fn visible_bias(&self) -> &[T] {
        &self.visible_bias
    }

    /// W′ `(n_visible, n_hidden)` when the decoder is untied; `None` when tied (W′ = Wᵀ).
    pub fn decoder_weights(&self) -> Option<&Matrix<T>> {
        self.decoder.as_ref()
    }

    /// Tied or untied.
    pub fn decoder(&self) -> DecoderWeights {
        match self.decoder {
            Some(_) => DecoderWeights::Untied,
            None => DecoderWeights::Tied,
        }
    }

    /// `Ok(())` when the dA can be trained on `x` `(n_samples, n_visible)`: values in [0, 1]
    /// for the cross-entropy loss (its targets are probabilities), finite values for the
    /// squared error. One pass over `x`; the training steps themselves do not check.
    ///
    /// # Errors
    /// [`crate::Error::InputOutOfRange`] naming the first value that does not fit.
    pub fn check_inputs(&self, x: &Matrix<T>) -> Result<()> {
        match self.loss {
            Loss::CrossEntropy => check_unit_interval(x, "a cross-entropy autoencoder"),
            Loss::SquaredError => check_all_finite(x, "a squared-error autoencoder"),
        }
    }

    /// The loss the dA minimises.
    pub fn loss_function(&self) -> Loss {
        self.loss
    }

    /// Masking noise: each element set to 0 with probability ν. Shape unchanged.
    ///
    /// The same as `Noise::Masking { p: corruption }.corrupt(x, rng)`: one value is drawn from
    /// `rng` ([`crate::RowStreams`]); row i then takes one uniform `f64` per element, in
    /// order, from its own stream.
    pub fn corrupt<R: Rng + ?Sized>(x: &Matrix<T>, corruption: f64, rng: &mut R) -> Matrix<T> {
        Noise::Masking { p: corruption }.corrupt(x, rng)
    }

    /// [`DenoisingAutoencoder::corrupt`] into `out`, reshaped to the shape of x and reusing
    /// its buffer; rows in parallel.
    pub fn corrupt_into<R: Rng + ?Sized>(
        x: &Matrix<T>,
        corruption: f64,
        out: &mut Matrix<T>,
        rng: &mut R,
    ) {
        Noise::Masking { p: corruption }.corrupt_into(x, out, rng);
    }

    /// y = σ(x Wᵀ + b): `(n_samples, n_visible) → (n_samples, n_hidden)`.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_visible`.
    #[track_caller]
    pub fn encode(&self, x: &Matrix<T>) -> Matrix<T> {
        self.encoder.forward(x)
    }

    /// The decoder's matrix D and how it is used, so that y W′ᵀ = y op(D): (W, as stored)
    /// when tied, (W′, transposed) when untied.
    fn decoder_operand(&self) -> (&Matrix<T>, Trans) {
        match &self.decoder {
            Some(w2) => (w2, Trans::T),
            None => (self.encoder.weights(), Trans::N),
        }
    }

    /// The decoder's pre-activation a = y W′ᵀ + c:
    /// `(n_samples, n_hidden) → (n_samples, n_visible)`.
    #[track_caller]
    fn decode_linear(&self, y: &Matrix<T>) -> Matrix<T> {
        let (d, how) = self.decoder_operand();
        let mut a = matmul(y, Trans::N, d, how);
        a.add_row_vector(&self.visible_bias);
        a
    }

    /// The reconstruction z: σ(y W′ᵀ + c) for cross-entropy, y W′ᵀ + c for squared error;
    /// `(n_samples, n_hidden) → (n_samples, n_visible)`.
    ///
    /// # Panics
    /// If `y.cols() ≠ n_hidden`.
    #[track_caller]
    pub fn decode(&self, y: &Matrix<T>) -> Matrix<T> {
        let a = self.decode_linear(y);
        match self.loss {
            Loss::CrossEntropy => a.map(sigmoid),
            Loss::SquaredError => a,
        }
    }

    /// Mean loss between `clean` and the reconstruction of `corrupted`, both
    /// `(n_samples, n_visible)`.
    ///
    /// Cross-entropy is evaluated from the decoder's pre-activation a as softplus(a) − x·a,
    /// which equals −x ln σ(a) − (1 − x) ln(1 − σ(a)) and never takes ln 0.
    ///
    /// # Panics
    /// If the shapes differ or do not fit the dA.
    #[track_caller]
    pub fn loss(&self, clean: &Matrix<T>, corrupted: &Matrix<T>) -> T {
        assert_eq!(
            clean.shape(),
            corrupted.shape(),
            "clean and corrupted shapes differ"
        );
        let a = self.decode_linear(&self.encode(corrupted));
        let total: T = clean
            .as_slice()
            .iter()
            .zip(a.as_slice())
            .map(|(&x, &a)| element_loss(self.loss, x, a))
            .sum();
        total / T::from_f64(clean.rows().max(1) as f64)
    }

    /// Mean reconstruction loss of a data set `(n_samples, n_visible)`, uncorrupted: the loss
    /// with each clean row as its own input, as [`DenoisingAutoencoder::loss`]`(x, x)` gives
    /// up to rounding. Builds a temporary [`DaWorkspace`]; see
    /// [`DenoisingAutoencoder::reconstruction_loss_with`].
    ///
    /// # Panics
    /// If `x.cols() ≠ n_visible`.
    #[track_caller]
    pub fn reconstruction_loss(&self, x: &Matrix<T>) -> T {
        self.reconstruction_loss_with(x, &mut DaWorkspace::new())
    }

    /// [`DenoisingAutoencoder::reconstruction_loss`] in blocks of rows, with the temporaries
    /// of `ws` (so memory stays that of a minibatch, whatever the data set's size), summed in
    /// `f64`. Draws nothing: monitoring leaves a training run unchanged.
    ///
    /// # Panics
    /// If `x.cols() ≠ n_visible`.
    #[track_caller]
    pub fn reconstruction_loss_with(&self, x: &Matrix<T>, ws: &mut DaWorkspace<T>) -> T {
        const BLOCK_ROWS: usize = 256;
        assert_eq!(x.cols(), self.n_visible(), "x.cols() ≠ n_visible");
        let cols = x.cols();
        let mut total = 0.0;
        for start in (0..x.rows()).step_by(BLOCK_ROWS) {
            let rows = BLOCK_ROWS.min(x.rows() - start);
            let block = &x.as_slice()[start * cols..(start + rows) * cols];
            ws.corrupted.reshape_uninit(rows, cols);
            ws.corrupted.as_mut_slice().copy_from_slice(block);
            total += self
                .decode_errors(&ws.corrupted, &ws.corrupted, &mut ws.pass)
                .to_f64();
        }
        T::from_f64(total / x.rows().max(1) as f64)
    }

    /// ∂L/∂θ of the mean loss for a fixed corrupted input: W, W′ (when untied), b and c.
    ///
    /// Shapes: `clean` and `corrupted` `(B, n_visible)`. It is computed by the kernels that
    /// training applies in place, the update run on zeros.
    ///
    /// # Panics
    /// If the shapes differ or do not fit the dA.
    #[track_caller]
    pub fn gradient(&self, clean: &Matrix<T>, corrupted: &Matrix<T>) -> DaGradients<T> {
        let mut pass = DaPass::new();
        self.forward_errors(clean, corrupted, &mut pass);
        let (n_hidden, n_visible) = (self.n_hidden(), self.n_visible());
        let mut g = DaGradients {
            weights: Matrix::zeros(n_hidden, n_visible),
            decoder_weights: self
                .decoder
                .as_ref()
                .map(|_| Matrix::zeros(n_visible, n_hidden)),
            hidden_bias: vec![T::ZERO; n_hidden],
            visible_bias: vec![T::ZERO; n_visible],
        };
        let params = Params {
            weights: &mut g.weights,
            decoder: g.decoder_weights.as_mut(),
            hidden_bias: &mut g.hidden_bias,
            visible_bias: &mut g.visible_bias,
        };
        pass.accumulate(corrupted, T::ONE, params);
        g
    }

    /// Encodes x̃ and decodes: leaves y and δᵛ in `pass`; returns the *sum* of the rows'
    /// losses.
    #[track_caller]
    fn decode_errors(&self, clean: &Matrix<T>, corrupted: &Matrix<T>, pass: &mut DaPass<T>) -> T {
        assert_eq!(
            clean.shape(),
            corrupted.shape(),
            "clean and corrupted shapes differ"
        );
        let (d, how) = self.decoder_operand();

        // encode: y = σ(x̃ Wᵀ + b)
        self.encoder.forward_into(corrupted, &mut pass.hidden);

        // decode and compare in one pass: the loss from a = y W′ᵀ + c, then δᵛ = (z − x)/B
        pass.visible.reshape_uninit(clean.rows(), self.n_visible());
        gemm(
            T::ONE,
            &pass.hidden,
            Trans::N,
            d,
            how,
            T::ZERO,
            &mut pass.visible,
        );
        let visible = (&mut pass.visible, &mut pass.row_loss);
        visible_error(self.loss, visible, &self.visible_bias, clean)
    }

    /// Encodes x̃, decodes, and leaves y, δᵛ and δʰ in `pass`; returns the mean loss.
    #[track_caller]
    fn forward_errors(&self, clean: &Matrix<T>, corrupted: &Matrix<T>, pass: &mut DaPass<T>) -> T {
        let loss = self.decode_errors(clean, corrupted, pass);
        let (d, how) = self.decoder_operand();

        // hidden error δʰ = (δᵛ W′) ⊙ y (1 − y), summed over every visible unit
        pass.delta_h.reshape_uninit(clean.rows(), self.n_hidden());
        gemm(
            T::ONE,
            &pass.visible,
            Trans::N,
            d,
            flip(how),
            T::ZERO,
            &mut pass.delta_h,
        );
        sigmoid_delta(&mut pass.delta_h, &pass.hidden);
        loss / T::from_f64(clean.rows().max(1) as f64)
    }

    /// θ ← θ − η · ∂L/∂θ for W, W′ (when untied), b and c.
    ///
    /// # Panics
    /// If the gradient's shapes differ from the dA's, or it has a W′ term exactly when the
    /// dA is tied.
    #[track_caller]
    pub fn apply(&mut self, grads: &DaGradients<T>, learning_rate: T) {
        let (w, b) = self.encoder.parts_mut();
        w.axpy(-learning_rate, &grads.weights);
        match (&mut self.decoder, &grads.decoder_weights) {
            (Some(w2), Some(g)) => w2.axpy(-learning_rate, g),
            (None, None) => {}
            _ => panic!("the gradient's W′ term does not match the dA's decoder"),
        }
        for (x, &g) in b.iter_mut().zip(&grads.hidden_bias) {
            *x -= learning_rate * g;
        }
        for (x, &g) in self.visible_bias.iter_mut().zip(&grads.visible_bias) {
            *x -= learning_rate * g;
        }
    }

    /// Corrupts a minibatch `(B, n_visible)`, takes one gradient step and returns the loss
    /// measured before the step. Builds a temporary [`DaWorkspace`]; training loops keep one
    /// and call [`DenoisingAutoencoder::train_batch_with`].
    ///
    /// # Panics
    /// If `batch.cols() ≠ n_visible`.
    #[track_caller]
    pub fn train_batch<R: Rng + ?Sized>(
        &mut self,
        batch: &Matrix<T>,
        params: &DaParams,
        rng: &mut R,
    ) -> T {
        self.train_batch_with(batch, params, &mut DaWorkspace::new(), rng)
    }

    /// [`DenoisingAutoencoder::train_batch`] with every temporary in `workspace`, reused:
    /// once its buffers have grown to the largest minibatch, a step allocates nothing.
    ///
    /// One value is drawn from `rng` (the noise); W, W′, b and c are updated in place.
    ///
    /// # Panics
    /// If `batch.cols() ≠ n_visible`.
    #[track_caller]
    pub fn train_batch_with<R: Rng + ?Sized>(
        &mut self,
        batch: &Matrix<T>,
        params: &DaParams,
        ws: &mut DaWorkspace<T>,
        rng: &mut R,
    ) -> T {
        // corrupt: x̃ drawn from the noise around x
        params.noise().corrupt_into(batch, &mut ws.corrupted, rng);

        // forward and errors, from the parameters before the step
        let loss = self.forward_errors(batch, &ws.corrupted, &mut ws.pass);

        // θ ← θ − η ∂L/∂θ, in place
        let eta = T::from_f64(params.learning_rate());
        let (weights, hidden_bias) = self.encoder.parts_mut();
        let params = Params {
            weights,
            decoder: self.decoder.as_mut(),
            hidden_bias,
            visible_bias: &mut self.visible_bias,
        };
        ws.pass.accumulate(&ws.corrupted, -eta, params);
        loss
    }
}

/// The operand's other use: δʰ = δᵛ W′ multiplies by the transpose of what decoding used.
fn flip(how: Trans) -> Trans {
    match how {
        Trans::N => Trans::T,
        Trans::T => Trans::N,
    }
}

/// The temporaries of one dA step, kept between minibatches so training allocates nothing.
///
/// Each matrix is reshaped to the minibatch's B rows on every step, reusing its buffer, so
/// one workspace serves any batch size and any dA.
#[derive(Clone, Debug)]
pub struct DaWorkspace<T> {
    /// x̃, the corrupted batch, `(B, n_visible)` (a block of clean rows while monitoring).
    corrupted: Matrix<T>,
    /// What the forward and backward passes leave behind.
    pass: DaPass<T>,
}

impl<T: Float> DaWorkspace<T> {
    /// An empty workspace; its buffers grow on the first step.
    pub fn new() -> Self {
        DaWorkspace {
            corrupted: Matrix::zeros(0, 0),
            pass: DaPass::new(),
        }
    }

    /// x̃, the corrupted batch of the latest step, `(B, n_visible)`.
    pub fn corrupted(&self) -> &Matrix<T> {
        &self.corrupted
    }
}

impl<T: Float> Default for DaWorkspace<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The parameters one step updates (or, from zeros, the gradient it accumulates).
struct Params<'a, T> {
    /// W `(n_hidden, n_visible)`.
    weights: &'a mut Matrix<T>,
    /// W′ `(n_visible, n_hidden)` when untied.
    decoder: Option<&'a mut Matrix<T>>,
    /// b, length `n_hidden`.
    hidden_bias: &'a mut [T],
    /// c, length `n_visible`.
    visible_bias: &'a mut [T],
}

/// y, δᵛ and δʰ of one minibatch, and the per-row losses.
#[derive(Clone, Debug)]
struct DaPass<T> {
    /// y = σ(x̃ Wᵀ + b), `(B, n_hidden)`.
    hidden: Matrix<T>,
    /// The decoder's pre-activation a = y W′ᵀ + c, then δᵛ = (z − x)/B, `(B, n_visible)`.
    visible: Matrix<T>,
    /// δʰ = (δᵛ W′) ⊙ y (1 − y), `(B, n_hidden)`.
    delta_h: Matrix<T>,
    /// Each row's loss, `(B, 1)`.
    row_loss: Matrix<T>,
}

impl<T: Float> DaPass<T> {
    fn new() -> Self {
        let empty = || Matrix::zeros(0, 0);
        DaPass {
            hidden: empty(),
            visible: empty(),
            delta_h: empty(),
            row_loss: empty(),
        }
    }

    /// θ ← θ + s ∂L/∂θ: W += s δʰᵀ x̃ and b += s Σ δʰ; then, tied,
    /// W += s yᵀ δᵛ, or, untied, W′ += s δᵛᵀ y; and c += s Σ δᵛ.
    ///
    /// s = −η is the training step; s = 1 on zeros gives the gradient.
    #[track_caller]
    fn accumulate(&self, corrupted: &Matrix<T>, scale: T, p: Params<'_, T>) {
        // encoder term δʰᵀ x̃ (with b)
        accumulate_linear(p.weights, p.hidden_bias, scale, &self.delta_h, corrupted);

        // decoder term: yᵀ δᵛ into W when tied, δᵛᵀ y into W′ when untied (with c)
        match p.decoder {
            None => {
                gemm(
                    scale,
                    &self.hidden,
                    Trans::T,
                    &self.visible,
                    Trans::N,
                    T::ONE,
                    p.weights,
                );
                add_col_sums(p.visible_bias, scale, &self.visible);
            }
            Some(w2) => accumulate_linear(w2, p.visible_bias, scale, &self.visible, &self.hidden),
        }
    }
}

/// One element's loss from the decoder's pre-activation a: softplus(a) − x·a for
/// cross-entropy, ½ (a − x)² for squared error.
#[inline]
fn element_loss<T: Float>(loss: Loss, x: T, a: T) -> T {
    match loss {
        Loss::CrossEntropy => softplus(a) - x * a,
        Loss::SquaredError => T::from_f64(0.5) * (a - x) * (a - x),
    }
}

/// The decoder's fused pass over chunks of rows (in parallel for large batches): with
/// a = pre-activation + c, each row's loss goes to `row_loss` (softplus(a) − x·a summed for
/// cross-entropy, ½ (a − x)² for squared error) and a becomes δᵛ = (z − x) / B, z = σ(a)
/// (cross-entropy) or a (squared error); returns the sum of the B rows' losses.
#[track_caller]
fn visible_error<T: Float>(
    loss: Loss,
    (pre, row_loss): (&mut Matrix<T>, &mut Matrix<T>),
    bias: &[T],
    clean: &Matrix<T>,
) -> T {
    let inv_b = T::ONE / T::from_f64(clean.rows().max(1) as f64);
    let cols = clean.cols().max(1);
    row_loss.reshape_uninit(clean.rows(), 1);
    pre.par_row_chunks_mut2(row_loss, chunk_rows(cols), |first, chunk, losses| {
        let x = &clean.as_slice()[first * cols..first * cols + chunk.len()];
        add_bias_rows(chunk, bias);
        row_losses(loss, chunk, x, losses);
        if loss == Loss::CrossEntropy {
            vmath::sigmoid(chunk);
        }
        for (z, &x) in chunk.iter_mut().zip(x) {
            *z = (*z - x) * inv_b;
        }
    });
    row_loss.sum()
}

/// `losses[r]` ← the loss of row r of a chunk of pre-activations `a` against inputs `x`
/// (each row `a.len() / losses.len()` long); cross-entropy's softplus runs in vector code.
fn row_losses<T: Float>(loss: Loss, a: &[T], x: &[T], losses: &mut [T]) {
    let cols = a.len() / losses.len().max(1);
    match loss {
        Loss::CrossEntropy => {
            let mut soft = [T::ZERO; CHUNK_ELEMENTS];
            let soft = &mut soft[..a.len()];
            soft.copy_from_slice(a);
            vmath::softplus(soft);
            for (r, out) in losses.iter_mut().enumerate() {
                let row = r * cols..(r + 1) * cols;
                let terms = soft[row.clone()].iter().zip(&a[row.clone()]).zip(&x[row]);
                *out = terms.fold(T::ZERO, |acc, ((&s, &a), &x)| acc + (s - x * a));
            }
        }
        Loss::SquaredError => {
            for (r, out) in losses.iter_mut().enumerate() {
                let row = r * cols..(r + 1) * cols;
                let terms = a[row.clone()].iter().zip(&x[row]);
                let total = terms.fold(T::ZERO, |acc, (&a, &x)| acc + (a - x) * (a - x));
                *out = T::from_f64(0.5) * total;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// A 6 → 4 dA with weights large enough for σ′ to matter, non-zero biases and, untied, a
    /// W′ unrelated to Wᵀ.
    fn da(rng: &mut ChaCha8Rng, weights: DecoderWeights, loss: Loss) -> DenoisingAutoencoder<f64> {
        let enc = HiddenLayer::new(6, 4, rng).unwrap();
        let w = enc.weights().map(|w| w * 25.0);
        let enc = HiddenLayer::from_parts(w, vec![0.1, -0.3, 0.2, 0.05]);
        let c = vec![-0.1, 0.2, 0.0, 0.3, -0.2, 0.1];
        let d = match weights {
            DecoderWeights::Tied => DenoisingAutoencoder::from_parts(enc, c),
            DecoderWeights::Untied => {
                let w2 = Matrix::from_fn(6, 4, |i, j| ((i * 4 + j) as f64 * 1.3).sin());
                DenoisingAutoencoder::from_parts_untied(enc, w2, c)
            }
        };
        d.with_loss(loss)
    }

    const EVERY_KIND: [(DecoderWeights, Loss); 4] = [
        (DecoderWeights::Tied, Loss::CrossEntropy),
        (DecoderWeights::Tied, Loss::SquaredError),
        (DecoderWeights::Untied, Loss::CrossEntropy),
        (DecoderWeights::Untied, Loss::SquaredError),
    ];

    #[test]
    fn params_are_validated() {
        assert!(DaParams::new(0.1, 0.0).is_ok());
        let e = DaParams::new(0.1, 1.0).unwrap_err();
        assert!(e.to_string().contains("corruption_level = 1"));
        assert!(DaParams::new(0.0, 0.3).is_err());
        let e = DaParams::with_noise(0.1, Noise::Gaussian { std: -1.0 }).unwrap_err();
        assert!(e.to_string().contains("noise_std = -1"), "{e}");
        let e = DaParams::with_noise(f64::NAN, Noise::Gaussian { std: 1.0 }).unwrap_err();
        assert!(e.to_string().contains("learning_rate = NaN"), "{e}");
        let p = DaParams::with_noise(0.1, Noise::SaltAndPepper { p: 0.25 }).unwrap();
        assert_eq!(
            (p.noise(), p.corruption()),
            (Noise::SaltAndPepper { p: 0.25 }, 0.25)
        );
        assert_eq!(
            DaParams::new(0.1, 0.3).unwrap().noise(),
            Noise::Masking { p: 0.3 }
        );
    }

    #[test]
    fn loss_equals_textbook_cross_entropy() {
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let d = da(&mut rng, DecoderWeights::Tied, Loss::CrossEntropy);
        let x = Matrix::from_fn(3, 6, |i, j| ((i + j) % 3) as f64 / 2.0);
        let z = d.decode(&d.encode(&x));
        let want: f64 = x
            .as_slice()
            .iter()
            .zip(z.as_slice())
            .map(|(&x, &z)| -(x * z.ln() + (1.0 - x) * (1.0 - z).ln()))
            .sum::<f64>()
            / 3.0;
        approx::assert_relative_eq!(d.loss(&x, &x), want, epsilon = 1e-12);
    }

    #[test]
    fn squared_error_has_a_linear_output_and_half_the_squared_distance() {
        let mut rng = ChaCha8Rng::seed_from_u64(16);
        let d = da(&mut rng, DecoderWeights::Untied, Loss::SquaredError);
        let x = Matrix::from_fn(3, 6, |i, j| (i as f64 - j as f64) * 0.4);
        let y = d.encode(&x);
        let w2 = d.decoder_weights().unwrap();
        let z = d.decode(&y);
        for i in 0..3 {
            for j in 0..6 {
                let a: f64 = (0..4).map(|k| y[(i, k)] * w2[(j, k)]).sum::<f64>();
                approx::assert_relative_eq!(z[(i, j)], a + d.visible_bias()[j], epsilon = 1e-12);
            }
        }
        let want: f64 = x
            .as_slice()
            .iter()
            .zip(z.as_slice())
            .map(|(&x, &z)| 0.5 * (z - x) * (z - x))
            .sum::<f64>()
            / 3.0;
        approx::assert_relative_eq!(d.loss(&x, &x), want, epsilon = 1e-12);
    }

    /// Every parameter of a dA, in the order W, W′, b, c, as mutable references.
    fn parameters(d: &mut DenoisingAutoencoder<f64>) -> Vec<&mut f64> {
        let (w, b) = d.encoder.parts_mut();
        let mut all: Vec<&mut f64> = w.as_mut_slice().iter_mut().collect();
        if let Some(w2) = d.decoder.as_mut() {
            all.extend(w2.as_mut_slice().iter_mut());
        }
        all.extend(b.iter_mut());
        all.extend(d.visible_bias.iter_mut());
        all
    }

    /// The gradient flattened in the order of [`parameters`].
    fn flat(g: &DaGradients<f64>) -> Vec<f64> {
        let mut all = g.weights.as_slice().to_vec();
        if let Some(w2) = &g.decoder_weights {
            all.extend_from_slice(w2.as_slice());
        }
        all.extend_from_slice(&g.hidden_bias);
        all.extend_from_slice(&g.visible_bias);
        all
    }

    #[test]
    fn gradient_matches_finite_differences_for_each_loss_tied_and_untied() {
        for (weights, loss) in EVERY_KIND {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let d = da(&mut rng, weights, loss);
            let clean = Matrix::from_fn(5, 6, |i, j| ((i * 6 + j) as f64 * 0.7).sin().abs());
            let corrupted = DenoisingAutoencoder::corrupt(&clean, 0.3, &mut rng);
            let g = flat(&d.gradient(&clean, &corrupted));
            let n_params = 24
                + 6
                + 4
                + if weights == DecoderWeights::Untied {
                    24
                } else {
                    0
                };
            assert_eq!(g.len(), n_params);
            let h = 1e-6;
            for (idx, &got) in g.iter().enumerate() {
                let (mut p, mut m) = (d.clone(), d.clone());
                *parameters(&mut p)[idx] += h;
                *parameters(&mut m)[idx] -= h;
                let fd = (p.loss(&clean, &corrupted) - m.loss(&clean, &corrupted)) / (2.0 * h);
                let what = format!("{weights:?} {loss:?} parameter {idx}: {got} vs {fd}");
                assert!((got - fd).abs() <= 1e-8, "{what}");
            }
        }
    }

    #[test]
    fn masking_noise_zeroes_the_requested_fraction() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let x = Matrix::filled(100, 100, 1.0_f32);
        let c = DenoisingAutoencoder::corrupt(&x, 0.3, &mut rng);
        let zeroed = c.as_slice().iter().filter(|&&v| v == 0.0).count() as f64 / 10_000.0;
        approx::assert_abs_diff_eq!(zeroed, 0.3, epsilon = 0.015);
        assert_eq!(DenoisingAutoencoder::corrupt(&x, 0.0, &mut rng), x);
    }

    #[test]
    fn untied_init_draws_w_as_tied_then_w_prime_in_the_same_range() {
        let tied =
            DenoisingAutoencoder::<f64>::new(30, 20, &mut ChaCha8Rng::seed_from_u64(17)).unwrap();
        let untied = DenoisingAutoencoder::<f64>::with_decoder(
            30,
            20,
            DecoderWeights::Untied,
            Loss::CrossEntropy,
            &mut ChaCha8Rng::seed_from_u64(17),
        )
        .unwrap();
        assert_eq!(untied.hidden_layer(), tied.hidden_layer());
        assert_eq!(
            (tied.decoder(), untied.decoder()),
            (DecoderWeights::Tied, DecoderWeights::Untied)
        );
        let w2 = untied.decoder_weights().unwrap();
        assert_eq!(w2.shape(), (30, 20));
        assert!(w2.as_slice().iter().all(|w| w.abs() <= 1.0 / 30.0));
        assert!(w2.as_slice().iter().any(|w| w.abs() > 0.9 / 30.0));
        assert!(untied.visible_bias().iter().all(|&c| c == 0.0));
    }

    #[test]
    fn training_lowers_the_loss_for_each_loss_tied_and_untied() {
        let noises = [
            Noise::Masking { p: 0.2 },
            Noise::SaltAndPepper { p: 0.2 },
            Noise::Gaussian { std: 0.2 },
        ];
        for (weights, loss) in EVERY_KIND {
            for noise in noises {
                let mut rng = ChaCha8Rng::seed_from_u64(9);
                let mut d =
                    DenoisingAutoencoder::<f64>::with_decoder(12, 6, weights, loss, &mut rng)
                        .unwrap();
                let data = Matrix::from_fn(
                    40,
                    12,
                    |i, j| if (j < 6) == (i % 2 == 0) { 1.0 } else { 0.0 },
                );
                let eta = if loss == Loss::CrossEntropy { 0.5 } else { 0.1 };
                let params = DaParams::with_noise(eta, noise).unwrap();
                let first = d.reconstruction_loss(&data);
                for _ in 0..500 {
                    d.train_batch(&data, &params, &mut rng);
                }
                let last = d.reconstruction_loss(&data);
                assert!(
                    last < first / 3.0,
                    "{weights:?} {loss:?} {noise:?}: {first} → {last}"
                );
            }
        }
    }

    #[test]
    fn reconstruction_loss_is_the_clean_loss_in_blocks() {
        for (weights, loss) in EVERY_KIND {
            let mut rng = ChaCha8Rng::seed_from_u64(18);
            let d = da(&mut rng, weights, loss);
            let x = Matrix::from_fn(600, 6, |i, j| ((i * 6 + j) as f64 * 0.23).sin().abs());
            let mut ws = DaWorkspace::new();
            let got = d.reconstruction_loss_with(&x, &mut ws);
            approx::assert_relative_eq!(got, d.loss(&x, &x), max_relative = 1e-12);
            assert_eq!(
                d.reconstruction_loss_with(&x, &mut ws),
                got,
                "a reused workspace"
            );
            assert_eq!(d.reconstruction_loss(&Matrix::zeros(0, 6)), 0.0);
        }
    }

    #[test]
    fn a_training_step_moves_by_minus_eta_times_the_gradient() {
        for (weights, loss) in EVERY_KIND {
            let mut rng = ChaCha8Rng::seed_from_u64(10);
            let d = da(&mut rng, weights, loss);
            let clean = Matrix::from_fn(5, 6, |i, j| ((i * 6 + j) as f64 * 0.3).cos().abs());
            let params = DaParams::with_noise(0.01, Noise::Gaussian { std: 0.2 }).unwrap();
            let mut stepped = d.clone();
            let mut ws = DaWorkspace::new();
            let loss = stepped.train_batch_with(&clean, &params, &mut ws, &mut rng);
            approx::assert_relative_eq!(loss, d.loss(&clean, ws.corrupted()), epsilon = 1e-12);
            let g = flat(&d.gradient(&clean, ws.corrupted()));
            let (mut before, mut after) = (d.clone(), stepped.clone());
            let pairs = parameters(&mut before)
                .into_iter()
                .zip(parameters(&mut after));
            for ((b, a), g) in pairs.zip(g) {
                approx::assert_abs_diff_eq!((*b - *a) / 0.01, g, epsilon = 1e-10);
            }
            let mut applied = d.clone();
            applied.apply(&d.gradient(&clean, ws.corrupted()), 0.01);
            let pairs = parameters(&mut applied)
                .into_iter()
                .zip(parameters(&mut stepped));
            for (a, s) in pairs {
                approx::assert_abs_diff_eq!(*a, *s, epsilon = 1e-15);
            }
        }
    }

    #[test]
    fn a_reused_workspace_gives_what_fresh_ones_give() {
        for (weights, loss) in EVERY_KIND {
            let mut rng = ChaCha8Rng::seed_from_u64(11);
            let start = da(&mut rng, weights, loss);
            let rows =
                |n: usize, k: f64| Matrix::from_fn(n, 6, |i, j| ((i + j) as f64 * k).sin().abs());
            let batches = [rows(7, 0.3), rows(2, 0.5), rows(7, 0.7)];
            let params = DaParams::new(0.1, 0.3).unwrap();
            let run = |reuse: bool| {
                let (mut d, mut rng) = (start.clone(), ChaCha8Rng::seed_from_u64(12));
                let mut ws = DaWorkspace::new();
                let losses: Vec<f64> = batches
                    .iter()
                    .map(|b| {
                        if !reuse {
                            ws = DaWorkspace::new();
                        }
                        d.train_batch_with(b, &params, &mut ws, &mut rng)
                    })
                    .collect();
                (d, losses)
            };
            assert_eq!(run(true), run(false));
        }
    }

    #[test]
    fn masking_and_a_step_are_bit_identical_for_1_2_and_3_threads() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        let start = DenoisingAutoencoder::<f64>::new(120, 100, &mut rng).unwrap();
        // 7000 rows: enough for the row passes, not only the GEMMs, to use three threads
        let batch = Matrix::from_fn(7000, 120, |i, j| ((i * 120 + j) as f64 * 0.1).sin().abs());
        let params = DaParams::new(0.1, 0.3).unwrap();
        crate::activation::tests::same_for_1_2_3_threads(|| {
            let mut rng = ChaCha8Rng::seed_from_u64(14);
            let masked = DenoisingAutoencoder::corrupt(&batch, 0.3, &mut rng);
            let mut d = start.clone();
            let loss = d.train_batch(&batch, &params, &mut rng);
            (masked, d, loss)
        });
    }

    #[test]
    fn an_untied_squared_error_step_is_bit_identical_for_1_2_and_3_threads() {
        let mut rng = ChaCha8Rng::seed_from_u64(15);
        let (weights, loss) = (DecoderWeights::Untied, Loss::SquaredError);
        let start =
            DenoisingAutoencoder::<f32>::with_decoder(120, 100, weights, loss, &mut rng).unwrap();
        let batch = Matrix::from_fn(7000, 120, |i, j| ((i * 120 + j) as f32 * 0.1).sin());
        let params = DaParams::with_noise(0.05, Noise::Gaussian { std: 0.3 }).unwrap();
        crate::activation::tests::same_for_1_2_3_threads(|| {
            let mut rng = ChaCha8Rng::seed_from_u64(16);
            let mut d = start.clone();
            let loss = d.train_batch(&batch, &params, &mut rng);
            (d.reconstruction_loss(&batch), d, loss)
        });
    }
}
