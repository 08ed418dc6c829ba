//! The deep autoencoder: a pretrained DBN unrolled into an encoder and a decoder, then
//! fine-tuned for reconstruction by backpropagation (Hinton & Salakhutdinov, Science 2006).
//!
//! From RBMs ℓ = 1..L with weights Wℓ `(n_hidden, n_visible)`, hidden bias bℓ and visible
//! bias cℓ, the network has 2L sigmoid layers:
//!
//! - encoder: a₀ = x, aℓ = σ(aℓ₋₁ Wℓᵀ + bℓ) for ℓ = 1..L; the code is a_L;
//! - decoder: the same RBMs top first, each as σ(a Wℓ + cℓ), so the last output x̂ is the
//!   mean-field reconstruction the RBM stack's down-pass gives.
//!
//! Unrolling copies each Wℓ: the decoder's weights start as the transposes and are
//! fine-tuned on their own (untied), as in the paper. The code layer stays logistic, the top
//! RBM's binary hidden units in mean field; the paper's linear code units (an RBM with
//! Gaussian hidden units) are not built here.
//!
//! Fine-tuning minimises the mean over the rows of the cross-entropy between an input x (in
//! [0, 1]) and its reconstruction x̂ = σ(z):
//! L = −(1/B) Σ_rows Σᵢ [xᵢ ln x̂ᵢ + (1 − xᵢ) ln(1 − x̂ᵢ)], evaluated from z as
//! softplus(zᵢ) − xᵢ zᵢ so that it never takes ln 0.
//!
//! Backward: δ = (x̂ − x) / B at the top; for each layer (input a, output
//! y = σ(a Wᵀ + b)), ∂L/∂W = δᵀ a, ∂L/∂b = Σ_rows δ, and the layer below gets
//! δ ← (δ W) ⊙ a ⊙ (1 − a). Update, with momentum μ: S ← μ S + η ∂L/∂θ, then
//! θ ← θ − S, every layer's gradient taken before any layer moves.
//!
//! Shapes: x and x̂ are `(n_samples, n_visible)`, the code `(n_samples, n_code)`. Training
//! keeps every buffer in a workspace reused across minibatches; nothing is allocated per
//! minibatch.

use crate::config::{batch, invalid, positive, representable};
use crate::dbn::Dbn;
use crate::error::{Error, Result};
use crate::stack::check_features;
use layerwise_data::{minibatches, shuffled_indices};
use layerwise_layers::{
    check_unit_interval, sigmoid_inplace, HiddenLayer, LinearGradients, Rbm, Visible,
};
use layerwise_linalg::{gemm, Float, Matrix, Trans};
use rand::Rng;

/// Rows propagated at once when the reconstruction error of a whole matrix is measured.
const EVALUATION_ROWS: usize = 1000;

/// Fine-tuning of a [`DeepAutoencoder`] by minibatch gradient descent with momentum.
#[derive(Clone, Debug, PartialEq)]
pub struct AutoencoderConfig {
    /// Passes over the data (0 trains nothing).
    pub epochs: usize,
    /// Learning rate η, constant.
    pub learning_rate: f64,
    /// Momentum μ in [0, 1); 0 is plain gradient descent.
    pub momentum: f64,
    /// Rows per minibatch; the last, smaller minibatch is trained on too.
    pub batch_size: usize,
}

impl Default for AutoencoderConfig {
    /// 10 epochs, η = 0.1, μ = 0.9, minibatches of 100.
    fn default() -> Self {
        AutoencoderConfig {
            epochs: 10,
            learning_rate: 0.1,
            momentum: 0.9,
            batch_size: 100,
        }
    }
}

/// An [`AutoencoderConfig`] whose values have been checked.
struct Checked<T> {
    epochs: usize,
    learning_rate: T,
    momentum: T,
    batch_size: usize,
}

impl AutoencoderConfig {
    /// Every value in range, and η and μ finite in `T`.
    fn check_for<T: Float>(&self) -> Result<Checked<T>> {
        positive("autoencoder.learning_rate", self.learning_rate)?;
        representable::<T>("autoencoder.learning_rate", self.learning_rate)?;
        if !(0.0..1.0).contains(&self.momentum) {
            let expected = "a momentum in [0, 1)";
            return Err(invalid("autoencoder.momentum", self.momentum, expected));
        }
        batch("autoencoder.batch_size", self.batch_size)?;
        Ok(Checked {
            epochs: self.epochs,
            learning_rate: T::from_f64(self.learning_rate),
            momentum: T::from_f64(self.momentum),
            batch_size: self.batch_size,
        })
    }
}

/// How well inputs are reconstructed: both measures, each a mean over the rows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reconstruction {
    /// The loss trained on: the mean over the rows of
    /// −Σᵢ [xᵢ ln x̂ᵢ + (1 − xᵢ) ln(1 − x̂ᵢ)].
    pub cross_entropy: f64,
    /// Mean over the rows of Σᵢ (xᵢ − x̂ᵢ)².
    pub squared_error: f64,
}

/// One epoch of [`DeepAutoencoder::finetune`].
#[derive(Clone, Debug, PartialEq)]
pub struct AutoencoderEpoch {
    /// The epoch, from 0.
    pub epoch: usize,
    /// The training rows' reconstruction, each minibatch measured before its step.
    pub train: Reconstruction,
    /// The validation rows' reconstruction after the epoch, when they were given.
    pub validation: Option<Reconstruction>,
}

/// A deep autoencoder `n_visible → … → n_code → … → n_visible` of sigmoid layers.
///
/// # Examples
/// ```
/// use layerwise_data::{book_experiment, SyntheticConfig};
/// use layerwise_models::{AutoencoderConfig, Dbn, DbnConfig, DeepAutoencoder};
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let data = book_experiment::<f64, _>(&SyntheticConfig::default(), &mut rng).unwrap();
/// let mut config = DbnConfig::default();
/// config.hidden_sizes = vec![20, 6];
/// config.pretrain.epochs = 20;
/// let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
/// dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
///
/// let mut ae = DeepAutoencoder::from_dbn(&dbn).unwrap();
/// let before = ae.reconstruction_error(data.test.features()).unwrap();
/// let tune = AutoencoderConfig { epochs: 30, batch_size: 20, ..Default::default() };
/// ae.finetune(&data.pretrain, None, &tune, &mut rng, |_| {}).unwrap();
/// let after = ae.reconstruction_error(data.test.features()).unwrap();
/// assert!(after.cross_entropy < before.cross_entropy);
/// assert_eq!(ae.encode(data.test.features()).unwrap().shape(), (150, 6));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DeepAutoencoder<T> {
    /// The encoder's L layers bottom first, then the decoder's L layers.
    layers: Vec<HiddenLayer<T>>,
}

impl<T: Float> DeepAutoencoder<T> {
    /// Unrolls the RBMs of a pretrained DBN (see [`DeepAutoencoder::from_rbms`]).
    ///
    /// # Errors
    /// As [`DeepAutoencoder::from_rbms`].
    pub fn from_dbn(dbn: &Dbn<T>) -> Result<Self> {
        Self::from_rbms(dbn.rbms())
    }

    /// Unrolls a stack of RBMs, bottom first: encoder layer ℓ is (Wℓ, bℓ), decoder layer
    /// ℓ (counted from the top) is (Wℓᵀ, cℓ); the weights are copied.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an empty stack, for RBMs whose sizes do not chain
    /// (n_hidden of one ≠ n_visible of the next), or for Gaussian visible units (the
    /// decoder's layers are all logistic).
    pub fn from_rbms(rbms: &[Rbm<T>]) -> Result<Self> {
        if rbms.is_empty() {
            return Err(invalid("rbms", "[]", "at least one RBM"));
        }
        for pair in rbms.windows(2) {
            if pair[0].n_hidden() != pair[1].n_visible() {
                let sizes = format!("{} → {}", pair[0].n_hidden(), pair[1].n_visible());
                return Err(invalid("rbms", sizes, "n_hidden = next RBM's n_visible"));
            }
        }
        if let Some(rbm) = rbms.iter().find(|r| r.visible() == Visible::Gaussian) {
            let expected = "Bernoulli visible units";
            return Err(invalid("rbms.visible", rbm.visible(), expected));
        }
        let encoder = rbms.iter().map(|r| r.hidden_layer().clone());
        let decoder = rbms.iter().rev().map(decoder_layer);
        Ok(DeepAutoencoder {
            layers: encoder.chain(decoder).collect(),
        })
    }

    /// A network from its 2L layers: the encoder's bottom first, then the decoder's from the
    /// code up (as [`DeepAutoencoder::layers`] returns them).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an odd or zero number of layers, for layers whose sizes
    /// do not chain (n_out of one ≠ n_in of the next), or a last layer whose n_out is not
    /// the first layer's n_in.
    pub fn from_layers(layers: Vec<HiddenLayer<T>>) -> Result<Self> {
        if layers.is_empty() || layers.len() % 2 == 1 {
            let expected = "an even, nonzero number of layers";
            return Err(invalid("layers.len()", layers.len(), expected));
        }
        for pair in layers.windows(2) {
            if pair[0].n_out() != pair[1].n_in() {
                let sizes = format!("{} → {}", pair[0].n_out(), pair[1].n_in());
                return Err(invalid("layers", sizes, "n_out = next layer's n_in"));
            }
        }
        let (n_in, n_out) = (layers[0].n_in(), layers[layers.len() - 1].n_out());
        if n_in != n_out {
            let sizes = format!("{n_in} → … → {n_out}");
            return Err(invalid(
                "layers",
                sizes,
                "a reconstruction as wide as the input",
            ));
        }
        Ok(DeepAutoencoder { layers })
    }

    /// All 2L layers: the encoder's, then the decoder's.
    pub fn layers(&self) -> &[HiddenLayer<T>] {
        &self.layers
    }

    /// The number of encoder layers L (as many as the decoder's).
    pub fn depth(&self) -> usize {
        self.layers.len() / 2
    }

    /// The width of the inputs and reconstructions.
    pub fn n_visible(&self) -> usize {
        self.layers[0].n_in()
    }

    /// The width of the code.
    pub fn n_code(&self) -> usize {
        self.layers[self.depth() - 1].n_out()
    }

    /// The encoder's layers, bottom first: layer ℓ has weights `(n_ℓ, n_ℓ₋₁)`.
    pub fn encoder(&self) -> &[HiddenLayer<T>] {
        &self.layers[..self.depth()]
    }

    /// The decoder's layers, from the code up to the reconstruction.
    pub fn decoder(&self) -> &[HiddenLayer<T>] {
        &self.layers[self.depth()..]
    }

    /// The code a_L: `(n_samples, n_visible) → (n_samples, n_code)`.
    ///
    /// # Errors
    /// [`Error::FeatureMismatch`] for rows of the wrong width.
    pub fn encode(&self, x: &Matrix<T>) -> Result<Matrix<T>> {
        check_features(x, self.n_visible())?;
        Ok(propagate(self.encoder(), x))
    }

    /// The reconstruction x̂: `(n_samples, n_visible)` in and out.
    ///
    /// # Errors
    /// [`Error::FeatureMismatch`] for rows of the wrong width.
    pub fn reconstruct(&self, x: &Matrix<T>) -> Result<Matrix<T>> {
        check_features(x, self.n_visible())?;
        Ok(propagate(&self.layers, x))
    }

    /// The cross-entropy and the squared error between rows x `(n_samples, n_visible)`,
    /// values in [0, 1], and their reconstructions, each a mean over the rows (summed in
    /// `f64`, in row order).
    ///
    /// # Errors
    /// [`Error::FeatureMismatch`] for rows of the wrong width; [`Error::EmptyData`] for none.
    pub fn reconstruction_error(&self, x: &Matrix<T>) -> Result<Reconstruction> {
        check_features(x, self.n_visible())?;
        if x.rows() == 0 {
            return Err(Error::EmptyData {
                phase: "validation",
            });
        }
        Ok(self.evaluate(x, &mut Workspace::new(&self.layers)))
    }

    /// ∂L/∂W and ∂L/∂b of every layer (encoder first, as in [`DeepAutoencoder::encoder`]
    /// then [`DeepAutoencoder::decoder`]) for the mean cross-entropy L of the rows x.
    ///
    /// # Errors
    /// [`Error::FeatureMismatch`] for rows of the wrong width; [`Error::EmptyData`] for none.
    pub fn gradients(&self, x: &Matrix<T>) -> Result<Vec<LinearGradients<T>>> {
        check_features(x, self.n_visible())?;
        if x.rows() == 0 {
            return Err(Error::EmptyData {
                phase: "fine-tuning",
            });
        }
        let mut ws = Workspace::new(&self.layers);
        ws.acts[0] = x.clone();
        self.forward(&mut ws);
        self.backward(&mut ws, T::ONE, T::ZERO);
        Ok(ws.steps)
    }

    /// Fine-tunes every layer by backpropagation of the cross-entropy on rows x
    /// `(n_samples, n_visible)`, values in [0, 1], in shuffled minibatches.
    ///
    /// `validation` rows, when given, are measured after each epoch and never trained on.
    /// `on_epoch` is called after every epoch; the same records are returned. The generator
    /// only shuffles.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad configuration (before any training);
    /// [`Error::FeatureMismatch`] or [`Error::EmptyData`] for data that does not fit;
    /// [`Error::Layer`] ([`layerwise_layers::Error::InputOutOfRange`]) for a training value
    /// outside [0, 1]; [`Error::NonFinite`] when the loss or a weight stops being finite.
    pub fn finetune<R, F>(
        &mut self,
        x: &Matrix<T>,
        validation: Option<&Matrix<T>>,
        config: &AutoencoderConfig,
        rng: &mut R,
        mut on_epoch: F,
    ) -> Result<Vec<AutoencoderEpoch>>
    where
        R: Rng + ?Sized,
        F: FnMut(&AutoencoderEpoch),
    {
        let c = config.check_for::<T>()?;
        self.check_data(x, "fine-tuning")?;
        // the cross-entropy's targets are probabilities (held-out rows are only measured)
        check_unit_interval(x, "a cross-entropy deep autoencoder")?;
        if let Some(v) = validation {
            self.check_data(v, "validation")?;
        }
        let mut ws = Workspace::new(&self.layers);
        let mut history = Vec::with_capacity(c.epochs);
        // what the layers go back to should training diverge (one copy per run)
        let untrained = self.layers.clone();
        for epoch in 0..c.epochs {
            let train = self.train_epoch(x, &c, &mut ws, rng);
            let bad_layer = self.first_non_finite();
            if bad_layer.is_some() || !train.cross_entropy.is_finite() {
                self.layers = untrained;
                // only the loss: the output layer, whose reconstruction it measures
                let layer = Some(bad_layer.unwrap_or(self.layers.len() - 1));
                let phase = "fine-tuning";
                return Err(Error::NonFinite {
                    phase,
                    layer,
                    epoch,
                });
            }
            let validation = validation.map(|v| self.evaluate(v, &mut ws));
            let record = AutoencoderEpoch {
                epoch,
                train,
                validation,
            };
            on_epoch(&record);
            history.push(record);
        }
        Ok(history)
    }

    /// Rows of the right width, at least one.
    fn check_data(&self, x: &Matrix<T>, phase: &'static str) -> Result<()> {
        check_features(x, self.n_visible())?;
        if x.rows() == 0 {
            return Err(Error::EmptyData { phase });
        }
        Ok(())
    }

    /// The first layer (encoder first, then decoder) with a weight or bias that is not
    /// finite.
    fn first_non_finite(&self) -> Option<usize> {
        let finite =
            |l: &HiddenLayer<T>| l.weights().is_finite() && l.bias().iter().all(|b| b.is_finite());
        self.layers.iter().position(|l| !finite(l))
    }

    /// One pass over x in shuffled minibatches; the mean of the minibatches' measures.
    fn train_epoch<R: Rng + ?Sized>(
        &mut self,
        x: &Matrix<T>,
        c: &Checked<T>,
        ws: &mut Workspace<T>,
        rng: &mut R,
    ) -> Reconstruction {
        let order = shuffled_indices(x.rows(), rng);
        let mut sums = (0.0, 0.0);
        for idx in minibatches(&order, c.batch_size) {
            x.select_rows_into(idx, &mut ws.acts[0]);

            // forward, the loss, and δ at the top
            let (ce, se) = self.forward(ws);
            sums = (sums.0 + ce, sums.1 + se);

            // every layer's step from the weights before the update, then the update
            self.backward(ws, c.learning_rate, c.momentum);
            for (layer, step) in self.layers.iter_mut().zip(&ws.steps) {
                layer.apply(step, T::ONE);
            }
        }
        let n = x.rows() as f64;
        Reconstruction {
            cross_entropy: sums.0 / n,
            squared_error: sums.1 / n,
        }
    }

    /// Both measures of the rows x, in blocks of [`EVALUATION_ROWS`] rows.
    fn evaluate(&self, x: &Matrix<T>, ws: &mut Workspace<T>) -> Reconstruction {
        let cols = x.cols();
        let mut sums = (0.0, 0.0);
        for first in (0..x.rows()).step_by(EVALUATION_ROWS) {
            let rows = EVALUATION_ROWS.min(x.rows() - first);
            ws.acts[0].reshape_uninit(rows, cols);
            let block = &x.as_slice()[first * cols..(first + rows) * cols];
            ws.acts[0].as_mut_slice().copy_from_slice(block);
            let (ce, se) = self.forward(ws);
            sums = (sums.0 + ce, sums.1 + se);
        }
        let n = x.rows() as f64;
        Reconstruction {
            cross_entropy: sums.0 / n,
            squared_error: sums.1 / n,
        }
    }

    /// Forward pass of the rows in `ws.acts[0]`: fills every activation, the top
    /// pre-activation z and δ = (x̂ − x) / B; returns the sums over the rows of the
    /// cross-entropy and of the squared error.
    fn forward(&self, ws: &mut Workspace<T>) -> (f64, f64) {
        let top = self.layers.len() - 1;

        // every layer but the top: a ← σ(a Wᵀ + b)
        for (l, layer) in self.layers[..top].iter().enumerate() {
            let (below, above) = ws.acts.split_at_mut(l + 1);
            layer.forward_into(&below[l], &mut above[0]);
        }

        // the top layer keeps its pre-activation z for the loss, then x̂ = σ(z)
        let layer = &self.layers[top];
        let (a, z) = (&ws.acts[top], &mut ws.logits);
        z.reshape_uninit(a.rows(), layer.n_out());
        gemm(T::ONE, a, Trans::N, layer.weights(), Trans::T, T::ZERO, z);
        z.add_row_vector(layer.bias());
        let out = &mut ws.acts[top + 1];
        out.reshape_uninit(z.rows(), z.cols());
        out.as_mut_slice().copy_from_slice(z.as_slice());
        sigmoid_inplace(out);

        // the loss and δ = (x̂ − x) / B
        let (x, y) = (&ws.acts[0], &ws.acts[top + 1]);
        output_delta(x, &ws.logits, y, &mut ws.delta)
    }

    /// Backward pass from δ at the top: S ← μ S + η ∂L/∂θ for every layer, each
    /// ∂L/∂θ from the current weights.
    fn backward(&self, ws: &mut Workspace<T>, eta: T, mu: T) {
        for l in (0..self.layers.len()).rev() {
            let (layer, a) = (&self.layers[l], &ws.acts[l]);

            // S_W ← μ S_W + η δᵀ a and S_b ← μ S_b + η Σ_rows δ
            let step = &mut ws.steps[l];
            if mu == T::ZERO {
                step.bias.iter_mut().for_each(|b| *b = T::ZERO);
            } else {
                step.bias.iter_mut().for_each(|b| *b *= mu);
            }
            gemm(eta, &ws.delta, Trans::T, a, Trans::N, mu, &mut step.weights);
            ws.delta.add_col_sums_to(eta, &mut step.bias);

            // δ below = (δ W) ⊙ a ⊙ (1 − a)
            if l > 0 {
                let below = &mut ws.spare;
                below.reshape_uninit(ws.delta.rows(), layer.n_in());
                gemm(
                    T::ONE,
                    &ws.delta,
                    Trans::N,
                    layer.weights(),
                    Trans::N,
                    T::ZERO,
                    below,
                );
                below.zip_map_inplace(a, |g, a| g * a * (T::ONE - a));
                std::mem::swap(&mut ws.delta, &mut ws.spare);
            }
        }
    }
}

/// The decoder layer of one RBM: weights Wᵀ `(n_visible, n_hidden)` and the visible bias.
fn decoder_layer<T: Float>(rbm: &Rbm<T>) -> HiddenLayer<T> {
    let w = rbm.hidden_layer().weights();
    let transposed = Matrix::from_fn(w.cols(), w.rows(), |i, j| w[(j, i)]);
    HiddenLayer::from_parts(transposed, rbm.visible_bias().to_vec())
}

/// x through `layers` in turn (at least one layer).
fn propagate<T: Float>(layers: &[HiddenLayer<T>], x: &Matrix<T>) -> Matrix<T> {
    let (mut a, mut b) = (Matrix::zeros(0, 0), Matrix::zeros(0, 0));
    layers[0].forward_into(x, &mut a);
    for layer in &layers[1..] {
        layer.forward_into(&a, &mut b);
        std::mem::swap(&mut a, &mut b);
    }
    a
}

/// δ ← (x̂ − x) / B; returns Σ softplus(z) − x z and Σ (x − x̂)² over every
/// element, in `f64`, in row-major order.
fn output_delta<T: Float>(
    x: &Matrix<T>,
    z: &Matrix<T>,
    y: &Matrix<T>,
    delta: &mut Matrix<T>,
) -> (f64, f64) {
    delta.reshape_uninit(x.rows(), x.cols());
    let inv_b = T::ONE / T::from_f64(x.rows() as f64);
    let (mut ce, mut se) = (0.0, 0.0);
    let pairs = x.as_slice().iter().zip(z.as_slice()).zip(y.as_slice());
    for (((&x, &z), &y), d) in pairs.zip(delta.as_mut_slice()) {
        *d = (y - x) * inv_b;
        let (xf, zf, e) = (x.to_f64(), z.to_f64(), (y - x).to_f64());
        ce += zf.max(0.0) + (-zf.abs()).exp().ln_1p() - xf * zf;
        se += e * e;
    }
    (ce, se)
}

/// Every buffer of a forward and backward pass, reshaped to each minibatch.
struct Workspace<T> {
    /// a₀ (the minibatch) … a_2L (the reconstruction).
    acts: Vec<Matrix<T>>,
    /// The top layer's pre-activation z.
    logits: Matrix<T>,
    /// δ of the layer being differentiated.
    delta: Matrix<T>,
    /// δ of the layer below, being computed.
    spare: Matrix<T>,
    /// Each layer's step S (momentum buffer), or its gradient when η = 1 and μ = 0.
    steps: Vec<LinearGradients<T>>,
}

impl<T: Float> Workspace<T> {
    /// Empty activations, and zero steps of each layer's shapes.
    fn new(layers: &[HiddenLayer<T>]) -> Self {
        let zeros = |l: &HiddenLayer<T>| LinearGradients {
            weights: Matrix::zeros(l.n_out(), l.n_in()),
            bias: vec![T::ZERO; l.n_out()],
        };
        Workspace {
            acts: (0..=layers.len()).map(|_| Matrix::zeros(0, 0)).collect(),
            logits: Matrix::zeros(0, 0),
            delta: Matrix::zeros(0, 0),
            spare: Matrix::zeros(0, 0),
            steps: layers.iter().map(zeros).collect(),
        }
    }
}
