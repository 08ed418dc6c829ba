//! Multinomial logistic regression as a classifier of its own: the baseline with no hidden
//! layer, trained with the same options as every other model.
//!
//! p = softmax(x Wᵀ + b), x `(n_samples, n_inputs)`, p `(n_samples, n_classes)`, W and b
//! starting at zero. Training is [`crate::FinetuneConfig`]'s minibatch descent with its
//! schedule, momentum, L2 decay, early stopping and input dropout (`dropout_input`; there
//! are no hidden units for `dropout_hidden`, and [`crate::FinetuneMode`] makes no
//! difference).

use crate::classifier::Classifier;
use crate::config::{check_shape, CheckedFinetune, FinetuneConfig, FinetuneMode};
use crate::error::Result;
use crate::history::FinetuneEpoch;
use crate::resume::{Interruptible, Pause};
use crate::stack;
use layerwise_data::Dataset;
use layerwise_layers::{HiddenLayer, LogisticRegression};
use layerwise_linalg::Float;
use rand::Rng;

/// A softmax classifier trained on its inputs directly.
///
/// # Examples
/// ```
/// use layerwise_data::{book_experiment, SyntheticConfig};
/// use layerwise_models::{Classifier, FinetuneConfig, Logistic};
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let data = book_experiment::<f64, _>(&SyntheticConfig::default(), &mut rng).unwrap();
/// let config = FinetuneConfig { epochs: 30, momentum: 0.9, ..FinetuneConfig::default() };
/// let mut model = Logistic::new(60, 3, &config).unwrap();
/// model.train(&data.train, None, &mut rng, |_| {}).unwrap();
/// assert!(model.evaluate(&data.test).unwrap().accuracy > 0.9);
/// let p = model.predict_proba(&data.test.features()).unwrap();
/// assert_eq!(p.shape(), (data.test.n_samples(), 3));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Logistic<T> {
    logistic: LogisticRegression<T>,
    finetune: CheckedFinetune,
}

impl<T: Float> Logistic<T> {
    /// A zero-initialised classifier `n_inputs → n_classes`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] or [`crate::Error::Layer`] naming the first bad value.
    pub fn new(n_inputs: usize, n_classes: usize, config: &FinetuneConfig) -> Result<Self> {
        check_shape(n_inputs, n_classes, &[], true)?;
        let mut finetune = config.check_for::<T>(0)?;
        finetune.mode = FinetuneMode::Full;
        Ok(Logistic {
            logistic: LogisticRegression::new(n_inputs, n_classes)?,
            finetune,
        })
    }

    /// Supervised training; `validation`, when given, is evaluated after each epoch.
    ///
    /// # Errors
    /// [`crate::Error::FeatureMismatch`] or [`crate::Error::ClassMismatch`] for data that does
    /// not fit; [`crate::Error::MissingValidation`] for early stopping without validation
    /// data; [`crate::Error::NonFinite`] when the loss stops being finite.
    pub fn train<R, F>(
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

    /// [`Logistic::train`] that stops where `run.stop` asks and returns the [`Pause`], or carries
    /// on from `run.from`; `Ok(None)` once it has trained every epoch. Given the pause back
    /// with the same model, data and generator state, it trains the same bits as a run that
    /// never stopped. `on_epoch` sees only the epochs this call completes.
    ///
    /// # Errors
    /// Those of [`Logistic::train`]; [`crate::Error::BadPause`] for a pause that does not fit the
    /// model, the configuration or the data.
    pub fn train_interruptible<R, F>(
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

    /// The model as one classifier, and its fine-tuning settings.
    fn classifier(&mut self) -> (stack::Classifier<'_, T>, &CheckedFinetune) {
        let net = stack::Classifier {
            hidden: Vec::new(),
            top: &mut self.logistic,
        };
        (net, &self.finetune)
    }
}

impl<T: Float> Classifier<T> for Logistic<T> {
    fn hidden_layers(&self) -> Vec<&HiddenLayer<T>> {
        Vec::new()
    }

    fn logistic(&self) -> &LogisticRegression<T> {
        &self.logistic
    }
}
