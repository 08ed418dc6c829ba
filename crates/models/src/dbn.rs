//! The Deep Belief Net: RBMs pretrained greedily, then fine-tuned as one classifier.
//!
//! Hinton, Osindero & Teh (2006); Sugomori's book, chapter 3. Layer ℓ is an [`Rbm`] whose
//! weights and hidden bias are the classifier's ℓ-th sigmoid layer, so fine-tuning refines
//! exactly what pretraining learnt. Input `(n_samples, n_inputs)`, values in [0, 1], or
//! standardised real values under a Gaussian bottom RBM ([`DbnConfig::visible`]).
//!
//! Each RBM is pretrained by its own [`RbmTrainer`] (CD-k or PCD-k, momentum, decay,
//! sparsity, schedule: [`crate::RbmPretrainConfig`]), optionally measured after every epoch
//! ([`crate::RbmMonitorConfig`]).

use crate::classifier::Classifier;
use crate::config::{
    check_shape, representable, CheckedFinetune, CheckedRbmPretrain, DbnConfig, Propagation,
};
use crate::error::Result;
use crate::history::{FinetuneEpoch, PretrainEpoch};
use crate::resume::{self, Interruptible, Pause};
use crate::stack::Pretrainable;
use crate::stack::{self, build_stack, check_features, pretrain_interruptible, Monitor};
use layerwise_data::Dataset;
use layerwise_layers::{
    HiddenLayer, LogisticRegression, Rbm, RbmGradients, RbmMonitor, RbmTrainer, Visible,
};
use layerwise_linalg::{Float, Matrix};
use rand::Rng;

impl<T: Float> Pretrainable<T> for Rbm<T> {
    type Params = CheckedRbmPretrain;

    type Workspace = RbmTrainer<T>;

    fn train_step<R: Rng + ?Sized>(
        &mut self,
        x: &Matrix<T>,
        _p: &CheckedRbmPretrain,
        trainer: &mut RbmTrainer<T>,
        rng: &mut R,
    ) -> T {
        trainer.step(self, x, rng)
    }

    fn hidden(&self) -> &HiddenLayer<T> {
        self.hidden_layer()
    }

    fn check_inputs(&self, x: &Matrix<T>) -> layerwise_layers::Result<()> {
        Rbm::check_inputs(self, x)
    }

    fn is_finite(&self) -> bool {
        stack::is_finite(self.hidden_layer()) && self.visible_bias().iter().all(|c| c.is_finite())
    }

    fn workspace(p: &CheckedRbmPretrain) -> RbmTrainer<T> {
        RbmTrainer::new(&p.train).expect("validated when the DBN was built")
    }

    fn begin_epoch(trainer: &mut RbmTrainer<T>, epoch: usize) {
        trainer.set_epoch(epoch);
    }

    fn save_state(trainer: &RbmTrainer<T>) -> Vec<(String, Matrix<T>)> {
        let row = |v: &[T]| Matrix::from_vec(1, v.len(), v.to_vec()).expect("one row");
        let mut state = Vec::new();
        if let Some(v) = trainer.velocity() {
            state.push(("velocity.weight".to_string(), v.weights.clone()));
            state.push(("velocity.hidden_bias".to_string(), row(&v.hidden_bias)));
            state.push(("velocity.visible_bias".to_string(), row(&v.visible_bias)));
        }
        if trainer.chains().rows() > 0 {
            state.push(("chains".to_string(), trainer.chains().clone()));
        }
        state
    }

    fn restore_state(&self, trainer: &mut RbmTrainer<T>, pause: &mut Pause<T>) -> Result<()> {
        let (n_hidden, n_visible) = (self.n_hidden(), self.n_visible());
        // a trainer without momentum, decay or sparsity has no velocity
        let pause_lacks_velocity = !pause.tensors.iter().any(|(n, _)| n == "velocity.weight");
        let chains = pause.take("chains");
        let mut take = |name: &str, rows: usize, cols: usize| -> Result<Matrix<T>> {
            let m = pause.take(name).ok_or_else(|| {
                let reason = format!("{name} is missing (the others of the velocity are there)");
                resume::bad("tensors", reason)
            })?;
            resume::check_shape(name, &m, rows, cols)?;
            Ok(m)
        };
        let velocity = match take("velocity.weight", n_hidden, n_visible) {
            Err(_) if pause_lacks_velocity => None,
            weights => Some(RbmGradients {
                weights: weights?,
                hidden_bias: take("velocity.hidden_bias", 1, n_hidden)?.into_vec(),
                visible_bias: take("velocity.visible_bias", 1, n_visible)?.into_vec(),
            }),
        };
        let chains = match chains {
            Some(c) => {
                resume::check_shape("chains", &c, c.rows(), n_hidden)?;
                c
            }
            None => Matrix::zeros(0, 0),
        };
        trainer.restore(velocity, chains);
        Ok(())
    }

    fn monitoring(p: &CheckedRbmPretrain) -> Option<(usize, u64)> {
        p.monitor.as_ref().map(|m| (m.subset, m.seed))
    }

    fn measure<R: Rng + ?Sized>(
        &self,
        p: &CheckedRbmPretrain,
        train: &Matrix<T>,
        validation: Option<&Matrix<T>>,
        rng: &mut R,
    ) -> Option<RbmMonitor> {
        let ais = p.monitor.as_ref().and_then(|m| m.ais.as_ref());
        Some(self.monitor(train, validation, ais, rng))
    }
}

/// A Deep Belief Net classifier.
///
/// # Examples
/// ```
/// use layerwise_data::{book_experiment, SyntheticConfig};
/// use layerwise_models::{Classifier, Dbn, DbnConfig};
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let data = book_experiment::<f64, _>(&SyntheticConfig::default(), &mut rng).unwrap();
/// let mut config = DbnConfig::default();
/// config.pretrain.epochs = 20;
/// config.finetune.epochs = 50;
/// let mut dbn = Dbn::new(60, 3, &config, &mut rng).unwrap();
/// dbn.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
/// dbn.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
/// assert!(dbn.evaluate(&data.test).unwrap().accuracy > 0.9);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dbn<T> {
    pub(crate) rbms: Vec<Rbm<T>>,
    pub(crate) logistic: LogisticRegression<T>,
    pretrain: CheckedRbmPretrain,
    propagation: Propagation,
    finetune: CheckedFinetune,
}

impl<T: Float> Dbn<T> {
    /// A DBN `n_inputs → hidden_sizes… → n_classes` with freshly initialised layers.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] or [`crate::Error::Layer`] naming the first bad value.
    pub fn new<R: Rng + ?Sized>(
        n_inputs: usize,
        n_classes: usize,
        config: &DbnConfig,
        rng: &mut R,
    ) -> Result<Self> {
        check_shape(n_inputs, n_classes, &config.hidden_sizes, false)?;
        let p = &config.pretrain;
        let pretrain = p.check()?;
        representable::<T>("pretrain.learning_rate", p.learning_rate)?;
        let finetune = config.finetune.check_for::<T>(config.hidden_sizes.len())?;
        let sizes = &config.hidden_sizes;
        let mut visible = Some(config.visible);
        let (rbms, logistic) = build_stack(n_inputs, n_classes, sizes, rng, |n_in, n_out, rng| {
            let rbm = Rbm::new(n_in, n_out, rng)?;
            Ok(rbm.with_visible(visible.take().unwrap_or(Visible::Bernoulli)))
        })?;
        Ok(Dbn {
            rbms,
            logistic,
            pretrain,
            propagation: config.propagation,
            finetune,
        })
    }

    /// The RBMs, bottom first.
    pub fn rbms(&self) -> &[Rbm<T>] {
        &self.rbms
    }

    /// Greedy CD-k pretraining of each RBM on unlabelled data `(n_samples, n_inputs)`.
    ///
    /// `on_epoch` is called after every epoch of every layer; the same records are returned.
    ///
    /// # Errors
    /// [`crate::Error::FeatureMismatch`] for data of the wrong width;
    /// [`crate::Error::Layer`] ([`layerwise_layers::Error::InputOutOfRange`]) for a training
    /// value the bottom layer cannot model: outside [0, 1] for Bernoulli visible units, not finite
    /// otherwise; [`crate::Error::NonFinite`] when a layer's error or a weight stops being
    /// finite.
    pub fn pretrain<R, F>(
        &mut self,
        x: &Matrix<T>,
        rng: &mut R,
        on_epoch: F,
    ) -> Result<Vec<PretrainEpoch>>
    where
        R: Rng + ?Sized,
        F: FnMut(&PretrainEpoch),
    {
        self.pretrain_with_validation(x, None, rng, on_epoch)
    }

    /// [`Dbn::pretrain`] with held-out rows `(n_validation, n_inputs)` for the monitoring's
    /// validation free energy and log-likelihood ([`crate::RbmMonitorConfig`]); they are
    /// never trained on. Without monitoring they are not used.
    ///
    /// # Errors
    /// As [`Dbn::pretrain`], and [`crate::Error::FeatureMismatch`] for held-out rows of the
    /// wrong width.
    pub fn pretrain_with_validation<R, F>(
        &mut self,
        x: &Matrix<T>,
        validation: Option<&Matrix<T>>,
        rng: &mut R,
        mut on_epoch: F,
    ) -> Result<Vec<PretrainEpoch>>
    where
        R: Rng + ?Sized,
        F: FnMut(&PretrainEpoch),
    {
        let run =
            |run: Interruptible<'_, T>| self.pretrain_run(x, validation, run, rng, &mut on_epoch);
        Interruptible::never(run).map(|(history, _)| history)
    }

    /// [`Dbn::pretrain_with_validation`] that stops where `run.stop` asks and returns the
    /// [`Pause`], or carries on from `run.from`; `Ok(None)` once every layer is trained.
    /// Given the pause back with the same model, data and generator state, it trains the
    /// same bits as a run that never stopped. `on_epoch` sees only the epochs this call
    /// completes.
    ///
    /// # Errors
    /// Those of [`Dbn::pretrain_with_validation`]; [`crate::Error::BadPause`] for a pause
    /// that does not fit the model, the configuration or the data.
    pub fn pretrain_interruptible<R, F>(
        &mut self,
        x: &Matrix<T>,
        validation: Option<&Matrix<T>>,
        run: Interruptible<'_, T>,
        rng: &mut R,
        mut on_epoch: F,
    ) -> Result<Option<Pause<T>>>
    where
        R: Rng + ?Sized,
        F: FnMut(&PretrainEpoch),
    {
        let (_, pause) = self.pretrain_run(x, validation, run, rng, &mut on_epoch)?;
        Ok(pause)
    }

    fn pretrain_run<R, F>(
        &mut self,
        x: &Matrix<T>,
        validation: Option<&Matrix<T>>,
        run: Interruptible<'_, T>,
        rng: &mut R,
        on_epoch: &mut F,
    ) -> Result<(Vec<PretrainEpoch>, Option<Pause<T>>)>
    where
        R: Rng + ?Sized,
        F: FnMut(&PretrainEpoch),
    {
        check_features(x, self.n_inputs())?;
        if let Some(v) = validation {
            check_features(v, self.n_inputs())?;
        }
        let p = &self.pretrain;
        let schedule = (p.epochs, p.batch_size, self.propagation);
        let setup = (p, (x, validation), schedule, Monitor::Off);
        pretrain_interruptible(&mut self.rbms, setup, run, rng, on_epoch)
    }

    /// Supervised fine-tuning of the whole stack (or its top, as configured).
    ///
    /// `validation`, when given, is evaluated after each epoch.
    ///
    /// # Errors
    /// [`crate::Error::FeatureMismatch`] or [`crate::Error::ClassMismatch`] for data that does
    /// not fit; [`crate::Error::MissingValidation`] for early stopping without validation
    /// data; [`crate::Error::NonFinite`] when the loss stops being finite.
    pub fn finetune<R, F>(
        &mut self,
        train: &Dataset<T>,
        validation: Option<&Dataset<T>>,
        rng: &mut R,
        mut on_epoch: F,
    ) -> Result<Vec<FinetuneEpoch>>
    where
        R: Rng + ?Sized,
        F: FnMut(&FinetuneEpoch),
    {
        let (mut net, cfg) = self.classifier();
        let run = |run: Interruptible<'_, T>| {
            net.finetune((train, validation), cfg, run, rng, &mut on_epoch)
        };
        Interruptible::never(run).map(|(history, _)| history)
    }

    /// [`Dbn::finetune`] that stops where `run.stop` asks and returns the [`Pause`], or carries
    /// on from `run.from`; `Ok(None)` once it has trained every epoch. Given the pause back
    /// with the same model, data and generator state, it trains the same bits as a run that
    /// never stopped. `on_epoch` sees only the epochs this call completes.
    ///
    /// # Errors
    /// Those of [`Dbn::finetune`]; [`crate::Error::BadPause`] for a pause that does not fit the
    /// model, the configuration or the data.
    pub fn finetune_interruptible<R, F>(
        &mut self,
        train: &Dataset<T>,
        validation: Option<&Dataset<T>>,
        run: Interruptible<'_, T>,
        rng: &mut R,
        mut on_epoch: F,
    ) -> Result<Option<Pause<T>>>
    where
        R: Rng + ?Sized,
        F: FnMut(&FinetuneEpoch),
    {
        let (mut net, cfg) = self.classifier();
        let data = (train, validation);
        let (_, pause) = net.finetune(data, cfg, run, rng, &mut on_epoch)?;
        Ok(pause)
    }

    /// The stack as one classifier, and its fine-tuning settings.
    fn classifier(&mut self) -> (stack::Classifier<'_, T>, &CheckedFinetune) {
        let net = stack::Classifier {
            hidden: self.rbms.iter_mut().map(Rbm::hidden_layer_mut).collect(),
            top: &mut self.logistic,
        };
        (net, &self.finetune)
    }
}

impl<T: Float> Classifier<T> for Dbn<T> {
    fn hidden_layers(&self) -> Vec<&HiddenLayer<T>> {
        self.rbms.iter().map(Rbm::hidden_layer).collect()
    }

    fn logistic(&self) -> &LogisticRegression<T> {
        &self.logistic
    }
}
