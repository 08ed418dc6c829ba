//! The Deep Belief Net: RBMs pretrained greedily, then fine-tuned as one classifier.
//!
//! Hinton, Osindero & Teh (2006); Sugomori's book, chapter 3. Layer ℓ is an [`Rbm`] whose
//! weights and hidden bias are the classifier's ℓ-th sigmoid layer, so fine-tuning refines
//! exactly what pretraining learnt. Input `(n_samples, n_inputs)`, values in [0, 1].

use crate::classifier::Classifier;
use crate::config::{check_shape, representable, CheckedFinetune, DbnConfig, Propagation};
use crate::error::Result;
use crate::history::{FinetuneEpoch, PretrainEpoch};
use crate::stack::{self, build_stack, check_features, pretrain_stack, Pretrainable};
use layerwise_data::Dataset;
use layerwise_layers::{CdParams, CdWorkspace, HiddenLayer, LogisticRegression, Rbm};
use layerwise_linalg::{Float, Matrix};
use rand::Rng;

impl<T: Float> Pretrainable<T> for Rbm<T> {
    type Params = CdParams;

    type Workspace = CdWorkspace<T>;

    fn train_step<R: Rng + ?Sized>(
        &mut self,
        x: &Matrix<T>,
        p: &CdParams,
        ws: &mut CdWorkspace<T>,
        rng: &mut R,
    ) -> T {
        self.contrastive_divergence_with(x, p, ws, rng)
    }

    fn hidden(&self) -> &HiddenLayer<T> {
        self.hidden_layer()
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
    pretrain: (CdParams, usize, usize, Propagation),
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
        let cd = p.check()?;
        representable::<T>("pretrain.learning_rate", p.learning_rate)?;
        let finetune = config.finetune.check_for::<T>()?;
        let sizes = &config.hidden_sizes;
        let (rbms, logistic) = build_stack(n_inputs, n_classes, sizes, rng, Rbm::new)?;
        let pretrain = (cd, p.epochs, p.batch_size, config.propagation);
        Ok(Dbn {
            rbms,
            logistic,
            pretrain,
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
    /// [`crate::Error::NonFinite`] when a layer's error stops being finite.
    pub fn pretrain<R, F>(
        &mut self,
        x: &Matrix<T>,
        rng: &mut R,
        mut on_epoch: F,
    ) -> Result<Vec<PretrainEpoch>>
    where
        R: Rng + ?Sized,
        F: FnMut(&PretrainEpoch),
    {
        check_features(x, self.n_inputs())?;
        let (cd, epochs, batch, propagation) = self.pretrain;
        pretrain_stack(
            &mut self.rbms,
            &cd,
            x,
            (epochs, batch, propagation),
            rng,
            &mut on_epoch,
        )
    }

    /// Supervised fine-tuning of the whole stack (or its top, as configured).
    ///
    /// `validation`, when given, is evaluated after each epoch.
    ///
    /// # Errors
    /// [`crate::Error::FeatureMismatch`] or [`crate::Error::ClassMismatch`] for data that does
    /// not fit; [`crate::Error::NonFinite`] when the loss stops being finite.
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
