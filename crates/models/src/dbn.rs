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
use crate::stack::Pretrainable;
use crate::stack::{self, build_stack, check_features, pretrain_stack_monitored, Monitor};
use layerwise_data::Dataset;
use layerwise_layers::{HiddenLayer, LogisticRegression, Rbm, RbmMonitor, RbmTrainer, Visible};
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
        check_features(x, self.n_inputs())?;
        if let Some(v) = validation {
            check_features(v, self.n_inputs())?;
        }
        let p = &self.pretrain;
        let schedule = (p.epochs, p.batch_size, self.propagation);
        let (rbms, data) = (&mut self.rbms, (x, validation));
        let monitor = Monitor::Off;
        pretrain_stack_monitored(rbms, p, data, schedule, monitor, rng, &mut on_epoch)
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
        let mut net = stack::Classifier {
            hidden: self.rbms.iter_mut().map(Rbm::hidden_layer_mut).collect(),
            top: &mut self.logistic,
        };
        net.finetune(train, validation, &self.finetune, rng, &mut on_epoch)
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
