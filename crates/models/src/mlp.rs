//! The multilayer perceptron baseline: the same sigmoid stack, randomly initialised.
//!
//! Hidden weights start uniform in ±1/n_in like the pretrained models' layers, so a
//! comparison with a DBN or an SDA of the same shape isolates what pretraining buys. With no
//! hidden layers it is plain multinomial logistic regression.

use crate::classifier::Classifier;
use crate::config::{check_shape, CheckedFinetune, MlpConfig};
use crate::error::Result;
use crate::history::FinetuneEpoch;
use crate::resume::{Interruptible, Pause};
use crate::stack::{self, build_stack};
use layerwise_data::Dataset;
use layerwise_layers::{HiddenLayer, LogisticRegression};
use layerwise_linalg::Float;
use rand::Rng;

/// A multilayer perceptron classifier trained by backpropagation only.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp<T> {
    pub(crate) hidden: Vec<HiddenLayer<T>>,
    pub(crate) logistic: LogisticRegression<T>,
    finetune: CheckedFinetune,
}

impl<T: Float> Mlp<T> {
    /// An MLP `n_inputs → hidden_sizes… → n_classes` with random hidden weights.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] or [`crate::Error::Layer`] naming the first bad value.
    pub fn new<R: Rng + ?Sized>(
        n_inputs: usize,
        n_classes: usize,
        config: &MlpConfig,
        rng: &mut R,
    ) -> Result<Self> {
        check_shape(n_inputs, n_classes, &config.hidden_sizes, true)?;
        let finetune = config.finetune.check_for::<T>(config.hidden_sizes.len())?;
        let sizes = &config.hidden_sizes;
        let (hidden, logistic) = build_stack(n_inputs, n_classes, sizes, rng, HiddenLayer::new)?;
        Ok(Mlp {
            hidden,
            logistic,
            finetune,
        })
    }

    /// Supervised training by backpropagation (or of the top layer only, as configured).
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

    /// [`Mlp::train`] that stops where `run.stop` asks and returns the [`Pause`], or carries
    /// on from `run.from`; `Ok(None)` once it has trained every epoch. Given the pause back
    /// with the same model, data and generator state, it trains the same bits as a run that
    /// never stopped. `on_epoch` sees only the epochs this call completes.
    ///
    /// # Errors
    /// Those of [`Mlp::train`]; [`crate::Error::BadPause`] for a pause that does not fit the
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
            hidden: self.hidden.iter_mut().collect(),
            top: &mut self.logistic,
        };
        (net, &self.finetune)
    }
}

impl<T: Float> Classifier<T> for Mlp<T> {
    fn hidden_layers(&self) -> Vec<&HiddenLayer<T>> {
        self.hidden.iter().collect()
    }

    fn logistic(&self) -> &LogisticRegression<T> {
        &self.logistic
    }
}
