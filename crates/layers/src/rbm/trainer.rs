//! [`RbmTrainer`]: CD-k or persistent CD-k with momentum, weight decay, a sparsity target and
//! a learning-rate schedule, the options of the established RBM libraries.
//!
//! One step on a minibatch V⁺ of B rows, at epoch e (Hinton, "A practical guide to training
//! RBMs", 2010, §§ 5, 9, 10, 11):
//! - positive phase: H⁺ = p(h | V⁺) and a sample of it;
//! - negative phase: k Gibbs steps ending with V⁻ and H⁻ = p(h | V⁻), started from the
//!   sample of H⁺ (CD-k), or from the persistent chains (PCD-k, Tieleman 2008), whose state
//!   is then the last hidden sample;
//! - statistics: G_W = (H⁺ᵀV⁺ − H⁻ᵀV⁻) / B, G_b = Σ(H⁺ − H⁻) / B,
//!   G_c = Σ(V⁺ − V⁻) / B;
//! - decay, on W only: G_W −= λ₂ W + λ₁ sign(W);
//! - sparsity target p with cost s: q̂ⱼ = Σₙ H⁺ₙⱼ / B, the mean hidden
//!   probability on the minibatch; the penalty's gradient with respect to each hidden
//!   unit's total input is taken to be s (q̂ⱼ − p) (the guide's cross-entropy
//!   penalty), so G_b −= s (q̂ − p) and G_W −= s (q̂ − p) v̄ᵀ with
//!   v̄ = Σₙ V⁺ₙ / B;
//! - momentum: Δ ← μ_e Δ + η_e G, then θ ← θ + Δ, with η_e from the [`LrSchedule`] and
//!   μ_e from the [`Momentum`] warm-up. Δ starts at zero.
//!
//! With no momentum, decay or sparsity the statistics are added to θ directly, by the
//! kernel of [`Rbm::contrastive_divergence_with`]: the default configuration (CD-1, constant
//! η) takes bit for bit the steps of that method.
//!
//! Persistent chains: one per minibatch row, `(n_chains, n_hidden)`. A minibatch of B rows
//! uses chains 0..B; a chain used for the first time starts at the positive phase's sample
//! of its row. A smaller minibatch leaves the other chains as they are; they are never
//! reset, across minibatches or epochs.

use super::{check_steps, squared_error, CdWorkspace, Rbm, RbmGradients};
use crate::error::{check_positive, Error, Result};
use crate::hidden::add_col_sums;
use crate::schedule::LrSchedule;
use layerwise_linalg::{Float, Matrix};
use rand::Rng;

/// Momentum μ with an optional warm-up: μ = `warmup` for epochs below `warmup_epochs`, then
/// `value`. Both in [0, 1).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Momentum {
    /// μ during the first `warmup_epochs` epochs.
    pub warmup: f64,
    /// μ afterwards.
    pub value: f64,
    /// Epochs of warm-up.
    pub warmup_epochs: usize,
}

impl Momentum {
    /// No momentum: μ = 0 throughout (the default).
    pub fn none() -> Self {
        Momentum::default()
    }

    /// μ at every epoch.
    pub fn constant(value: f64) -> Self {
        Momentum::warm_up(value, value, 0)
    }

    /// μ = `warmup` for the first `epochs` epochs, then `value` (0.5 then 0.9, say).
    pub fn warm_up(warmup: f64, value: f64, epochs: usize) -> Self {
        Momentum {
            warmup,
            value,
            warmup_epochs: epochs,
        }
    }

    /// μ at epoch `epoch` (from 0).
    pub fn at(&self, epoch: usize) -> f64 {
        if epoch < self.warmup_epochs {
            self.warmup
        } else {
            self.value
        }
    }

    /// `true` when μ is 0 at every epoch.
    fn is_none(&self) -> bool {
        self.warmup == 0.0 && self.value == 0.0
    }
}

/// A target p for the mean activation of each hidden unit, pulled towards with cost s.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sparsity {
    /// The target mean hidden probability p, in (0, 1).
    pub target: f64,
    /// The penalty's weight s, finite and ≥ 0.
    pub cost: f64,
}

/// Every training option of an RBM, as plain data; [`RbmTrainer::new`] validates it.
#[derive(Clone, Debug, PartialEq)]
pub struct RbmTrainConfig {
    /// The learning rate η₀ of the first epoch, > 0.
    pub learning_rate: f64,
    /// How η changes with the epoch.
    pub schedule: LrSchedule,
    /// Gibbs steps per update, ≥ 1.
    pub k: usize,
    /// PCD-k (persistent chains) instead of CD-k.
    pub persistent: bool,
    /// Momentum and its warm-up.
    pub momentum: Momentum,
    /// L2 weight decay λ₂ ≥ 0, on W only.
    pub l2: f64,
    /// L1 weight decay λ₁ ≥ 0, on W only.
    pub l1: f64,
    /// A sparsity target on the hidden activations, if any.
    pub sparsity: Option<Sparsity>,
}

impl Default for RbmTrainConfig {
    /// CD-1 at a constant η = 0.1: no momentum, decay or sparsity.
    fn default() -> Self {
        RbmTrainConfig {
            learning_rate: 0.1,
            schedule: LrSchedule::Constant,
            k: 1,
            persistent: false,
            momentum: Momentum::none(),
            l2: 0.0,
            l1: 0.0,
            sparsity: None,
        }
    }
}

impl RbmTrainConfig {
    /// Checks every option once.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the first bad option and its value.
    pub fn validate(&self) -> Result<()> {
        check_positive("learning_rate", self.learning_rate)?;
        self.schedule.validate()?;
        check_steps("k", self.k)?;
        check_in(
            "momentum.warmup",
            self.momentum.warmup,
            0.0..1.0,
            "in [0, 1)",
        )?;
        check_in("momentum.value", self.momentum.value, 0.0..1.0, "in [0, 1)")?;
        let decay = 0.0..f64::INFINITY;
        check_in("l2", self.l2, decay.clone(), "finite and ≥ 0")?;
        check_in("l1", self.l1, decay.clone(), "finite and ≥ 0")?;
        if let Some(s) = self.sparsity {
            check_open_unit("sparsity.target", s.target)?;
            check_in("sparsity.cost", s.cost, decay, "finite and ≥ 0")?;
        }
        Ok(())
    }

    /// `true` when the update is the plain CD one: no momentum, decay or sparsity.
    fn is_plain(&self) -> bool {
        self.momentum.is_none() && self.l2 == 0.0 && self.l1 == 0.0 && self.sparsity.is_none()
    }
}

/// `Ok(())` when `value` lies in `range`.
fn check_in(
    name: &'static str,
    value: f64,
    range: std::ops::Range<f64>,
    expected: &'static str,
) -> Result<()> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(Error::InvalidHyperparameter {
            name,
            value,
            expected,
        })
    }
}

/// `Ok(())` when `value` lies in (0, 1).
fn check_open_unit(name: &'static str, value: f64) -> Result<()> {
    if value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidHyperparameter {
            name,
            value,
            expected: "a probability in (0, 1)",
        })
    }
}

/// Trains one RBM: a validated [`RbmTrainConfig`] with the state that lives across
/// minibatches (the velocity Δ, the persistent chains and every temporary of a step).
///
/// Buffers grow on the first step to the RBM's shape and the minibatch's rows, so later
/// steps allocate nothing. A trainer serves one RBM; make a new one for another.
///
/// # Examples
/// ```
/// use layerwise_layers::{LrSchedule, Momentum, Rbm, RbmTrainConfig, RbmTrainer};
/// use layerwise_linalg::Matrix;
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let mut rbm = Rbm::<f64>::new(6, 3, &mut rng).unwrap();
/// let config = RbmTrainConfig {
///     learning_rate: 0.1,
///     schedule: LrSchedule::Exponential { decay: 0.9 },
///     persistent: true,
///     momentum: Momentum::warm_up(0.5, 0.9, 5),
///     l2: 2e-4,
///     ..RbmTrainConfig::default()
/// };
/// let mut trainer = RbmTrainer::new(&config).unwrap();
/// let data = Matrix::from_fn(8, 6, |i, j| ((i + j) % 2) as f64);
/// for epoch in 0..3 {
///     trainer.set_epoch(epoch);
///     let error = trainer.step(&mut rbm, &data, &mut rng);
///     assert!(error.is_finite());
/// }
/// assert_eq!(trainer.chains().shape(), (8, 3)); // one persistent chain per row
/// ```
#[derive(Clone, Debug)]
pub struct RbmTrainer<T> {
    config: RbmTrainConfig,
    epoch: usize,
    learning_rate: f64,
    momentum: f64,
    cd: CdWorkspace<T>,
    /// Δ for W, b and c, allocated by the first step that uses momentum, decay or sparsity.
    velocity: Option<RbmGradients<T>>,
    /// The persistent chains' hidden states, `(n_chains, n_hidden)`.
    chains: Matrix<T>,
    /// q̂ (length `n_hidden`) and v̄ (length `n_visible`) of the sparsity term.
    means: (Vec<T>, Vec<T>),
}

impl<T: Float> RbmTrainer<T> {
    /// A trainer at epoch 0 with the checked `config`.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the first bad option.
    pub fn new(config: &RbmTrainConfig) -> Result<Self> {
        config.validate()?;
        Ok(RbmTrainer {
            config: config.clone(),
            epoch: 0,
            learning_rate: config.learning_rate,
            momentum: config.momentum.at(0),
            cd: CdWorkspace::new(),
            velocity: None,
            chains: Matrix::zeros(0, 0),
            means: (Vec::new(), Vec::new()),
        })
    }

    /// The configuration, as validated.
    pub fn config(&self) -> &RbmTrainConfig {
        &self.config
    }

    /// Sets the epoch (from 0) whose η and μ the following steps use.
    pub fn set_epoch(&mut self, epoch: usize) {
        self.epoch = epoch;
        self.learning_rate = self
            .config
            .schedule
            .learning_rate(self.config.learning_rate, epoch);
        self.momentum = self.config.momentum.at(epoch);
    }

    /// The current epoch.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// η of the current epoch.
    pub fn learning_rate(&self) -> f64 {
        self.learning_rate
    }

    /// μ of the current epoch.
    pub fn momentum(&self) -> f64 {
        self.momentum
    }

    /// The persistent chains' hidden states, `(n_chains, n_hidden)`: as many chains as the
    /// largest minibatch so far, none before the first PCD step (or ever, with CD).
    pub fn chains(&self) -> &Matrix<T> {
        &self.chains
    }

    /// V⁻, the negative phase's visible sample of the latest step, `(B, n_visible)`.
    pub fn negative_sample(&self) -> &Matrix<T> {
        self.cd.negative_sample()
    }

    /// The velocity Δ of W, b and c after the latest step; `None` until a step has used
    /// momentum, decay or sparsity.
    pub fn velocity(&self) -> Option<&RbmGradients<T>> {
        self.velocity.as_ref()
    }

    /// Puts back the state a trainer of the same configuration had, as its
    /// [`RbmTrainer::velocity`] and [`RbmTrainer::chains`] gave it, so that the following
    /// steps are those it would have taken (a resumed run). The epoch is set apart, by
    /// [`RbmTrainer::set_epoch`].
    ///
    /// The shapes are the caller's to check: the velocity's against the RBM's, the chains'
    /// columns against its hidden units (or 0 × 0, no chains yet).
    pub fn restore(&mut self, velocity: Option<RbmGradients<T>>, chains: Matrix<T>) {
        self.velocity = velocity;
        self.chains = chains;
    }

    /// One update of `rbm` on a minibatch `(B, n_visible)`; returns its reconstruction error.
    ///
    /// The error is the mean over rows of Σᵢ (vᵢ − E[vᵢ | h])², h the positive phase's
    /// sample, before the update (for PCD that costs one more GEMM). `rng` gives one value
    /// per sampled layer: 2k for CD-k, 2k + 1 for PCD-k.
    ///
    /// # Panics
    /// If `batch.cols() ≠ n_visible`, or the RBM's shape is not the one the trainer's
    /// buffers were grown for.
    #[track_caller]
    pub fn step<R: Rng + ?Sized>(&mut self, rbm: &mut Rbm<T>, batch: &Matrix<T>, rng: &mut R) -> T {
        // positive phase: H⁺ = p(h | V⁺) and its sample
        rbm.positive_phase(batch, &mut self.cd, rng);

        // negative phase: V⁻ and H⁻, from the data (CD-k) or the persistent chains (PCD-k)
        let k = self.config.k;
        let error = if self.config.persistent {
            self.persistent_chain(rbm, batch, rng)
        } else {
            rbm.gibbs_chain(Some(batch), k, false, &mut self.cd, rng)
        };

        // update: θ ← θ + η G directly, or through the velocity
        if self.config.is_plain() {
            let eta = T::from_f64(self.learning_rate);
            let (w, b) = rbm.hidden.parts_mut();
            self.cd
                .phases(batch)
                .accumulate(eta, w, b, &mut rbm.visible_bias);
        } else {
            self.update_with_velocity(rbm, batch);
        }
        error
    }

    /// PCD-k's negative phase on chains 0..B; returns the reconstruction error of the data.
    fn persistent_chain<R: Rng + ?Sized>(
        &mut self,
        rbm: &Rbm<T>,
        batch: &Matrix<T>,
        rng: &mut R,
    ) -> T {
        // reconstruction error, from the positive sample as in CD
        let cd = &mut self.cd;
        rbm.visible_means_into(&cd.h_sample, &mut cd.v_probs);
        let error = squared_error(batch, &cd.v_probs);

        // chains 0..B, those used for the first time starting at the positive sample
        self.grow_chains(batch.rows());
        let len = self.cd.h_sample.as_slice().len();
        let state = &mut self.chains.as_mut_slice()[..len];
        self.cd.h_sample.as_mut_slice().copy_from_slice(state);

        // k Gibbs steps; the last hidden sample is the chains' next state
        rbm.gibbs_chain(None, self.config.k, true, &mut self.cd, rng);
        state.copy_from_slice(self.cd.h_sample.as_slice());
        error
    }

    /// At least `rows` chains: new ones start at the rows of the current positive sample.
    #[track_caller]
    fn grow_chains(&mut self, rows: usize) {
        let (old, n_hidden) = (self.chains.rows(), self.cd.h_sample.cols());
        if rows <= old {
            assert_eq!(
                self.chains.cols(),
                n_hidden,
                "the trainer serves another RBM"
            );
            return;
        }
        let mut grown = Matrix::zeros(rows, n_hidden);
        let (kept, new) = grown.as_mut_slice().split_at_mut(old * n_hidden);
        kept.copy_from_slice(self.chains.as_slice());
        new.copy_from_slice(&self.cd.h_sample.as_slice()[old * n_hidden..]);
        self.chains = grown;
    }

    /// Δ ← μ Δ + η (G − decay − sparsity), then θ ← θ + Δ.
    fn update_with_velocity(&mut self, rbm: &mut Rbm<T>, batch: &Matrix<T>) {
        let (n_hidden, n_visible) = (rbm.n_hidden(), rbm.n_visible());
        let delta = self
            .velocity
            .get_or_insert_with(|| RbmGradients::zeros(n_hidden, n_visible));
        let (eta, mu) = (T::from_f64(self.learning_rate), T::from_f64(self.momentum));

        // Δ ← μ Δ + η (positive − negative statistics) / B
        delta.weights.scale(mu);
        delta.hidden_bias.iter_mut().for_each(|x| *x *= mu);
        delta.visible_bias.iter_mut().for_each(|x| *x *= mu);
        let phases = self.cd.phases(batch);
        let (dw, db) = (&mut delta.weights, &mut delta.hidden_bias);
        phases.accumulate(eta, dw, db, &mut delta.visible_bias);

        // Δ_W ← Δ_W − η (λ₂ W + λ₁ sign W)
        let weights = rbm.hidden.weights();
        add_decay(dw, weights, eta, (self.config.l2, self.config.l1));

        // Δ_b ← Δ_b − η s (q̂ − p) and Δ_W ← Δ_W − η s (q̂ − p) v̄ᵀ
        if let Some(s) = self.config.sparsity {
            let (q, v) = (&mut self.means.0, &mut self.means.1);
            column_means(phases.h_pos, q);
            column_means(batch, v);
            add_sparsity(dw, db, (q, v), eta, s);
        }

        // θ ← θ + Δ
        let (w, b) = rbm.hidden.parts_mut();
        w.axpy(T::ONE, &delta.weights);
        add_to(b, &delta.hidden_bias);
        add_to(&mut rbm.visible_bias, &delta.visible_bias);
    }
}

impl<T: Float> Default for RbmTrainer<T> {
    /// A trainer of the default configuration: CD-1 at a constant η = 0.1.
    fn default() -> Self {
        RbmTrainer::new(&RbmTrainConfig::default()).expect("the default configuration is valid")
    }
}

/// Δ ← Δ − η (λ₂ W + λ₁ sign W), sign 0 = 0; nothing when both λ are 0.
fn add_decay<T: Float>(delta: &mut Matrix<T>, weights: &Matrix<T>, eta: T, (l2, l1): (f64, f64)) {
    if l2 == 0.0 && l1 == 0.0 {
        return;
    }
    let (l2, l1) = (T::from_f64(l2), T::from_f64(l1));
    for (d, &w) in delta.as_mut_slice().iter_mut().zip(weights.as_slice()) {
        let sign = if w > T::ZERO {
            T::ONE
        } else if w < T::ZERO {
            -T::ONE
        } else {
            T::ZERO
        };
        *d -= eta * (l2 * w + l1 * sign);
    }
}

/// Δ_b −= η s (q̂ − p) and Δ_W −= η s (q̂ − p) v̄ᵀ, given q̂ and v̄.
fn add_sparsity<T: Float>(
    dw: &mut Matrix<T>,
    db: &mut [T],
    (q, v): (&[T], &[T]),
    eta: T,
    s: Sparsity,
) {
    let (p, cost) = (T::from_f64(s.target), T::from_f64(s.cost));
    let n_visible = dw.cols().max(1);
    let rows = dw.as_mut_slice().chunks_exact_mut(n_visible);
    for ((row, bias), &qj) in rows.zip(db.iter_mut()).zip(q) {
        let g = eta * cost * (qj - p);
        *bias -= g;
        for (d, &vi) in row.iter_mut().zip(v) {
            *d -= g * vi;
        }
    }
}

/// `out` ← the column means of m `(rows, cols)`, resized to `cols` (allocating only once).
fn column_means<T: Float>(m: &Matrix<T>, out: &mut Vec<T>) {
    out.clear();
    out.resize(m.cols(), T::ZERO);
    add_col_sums(out, T::ONE / T::from_f64(m.rows().max(1) as f64), m);
}

/// x ← x + y, element by element.
fn add_to<T: Float>(x: &mut [T], y: &[T]) {
    for (a, &b) in x.iter_mut().zip(y) {
        *a += b;
    }
}

#[cfg(test)]
mod tests;
