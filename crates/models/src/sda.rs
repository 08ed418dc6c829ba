//! The Stacked Denoising Autoencoder: dAs pretrained greedily, then fine-tuned as one
//! classifier.
//!
//! Vincent et al. (2010); Sugomori's book, chapter 3. Layer ℓ is a [`DenoisingAutoencoder`]
//! whose encoder (weights and hidden bias) is the classifier's ℓ-th sigmoid layer.
//! Input `(n_samples, n_inputs)`, values in [0, 1] (for the default cross-entropy).
//!
//! [`crate::DaPretrainConfig`] chooses each dA's noise, loss and decoder (tied or untied);
//! fine-tuning uses only the encoders, so an untied W′ and the visible biases stay as
//! pretraining left them. [`Sda::pretrain_monitored`] also reports each epoch's
//! reconstruction loss of the clean training and validation rows.

use crate::classifier::Classifier;
use crate::config::{check_shape, CheckedFinetune, Propagation, SdaConfig};
use crate::error::{Error, Result};
use crate::history::{FinetuneEpoch, PretrainEpoch};
use crate::resume::{Interruptible, Pause};
use crate::stack::Pretrainable;
use crate::stack::{self, build_stack, check_features, pretrain_interruptible, Monitor};
use layerwise_data::Dataset;
use layerwise_layers::{
    DaParams, DaWorkspace, DenoisingAutoencoder, HiddenLayer, LogisticRegression,
};
use layerwise_linalg::{Float, Matrix};
use rand::Rng;

impl<T: Float> Pretrainable<T> for DenoisingAutoencoder<T> {
    type Params = DaParams;

    type Workspace = DaWorkspace<T>;

    fn train_step<R: Rng + ?Sized>(
        &mut self,
        x: &Matrix<T>,
        p: &DaParams,
        ws: &mut DaWorkspace<T>,
        rng: &mut R,
    ) -> T {
        self.train_batch_with(x, p, ws, rng)
    }

    fn hidden(&self) -> &HiddenLayer<T> {
        self.hidden_layer()
    }

    fn check_inputs(&self, x: &Matrix<T>) -> layerwise_layers::Result<()> {
        DenoisingAutoencoder::check_inputs(self, x)
    }

    fn is_finite(&self) -> bool {
        let decoder_finite = self.decoder_weights().is_none_or(Matrix::is_finite);
        stack::is_finite(self.hidden_layer())
            && self.visible_bias().iter().all(|c| c.is_finite())
            && decoder_finite
    }

    fn reconstruction_loss(&self, x: &Matrix<T>, ws: &mut DaWorkspace<T>) -> Option<f64> {
        Some(self.reconstruction_loss_with(x, ws).to_f64())
    }
}

/// A Stacked Denoising Autoencoder classifier.
///
/// # Examples
/// ```
/// use layerwise_data::{book_experiment, SyntheticConfig};
/// use layerwise_models::{Classifier, Sda, SdaConfig};
/// use rand::SeedableRng;
///
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
/// let data = book_experiment::<f64, _>(&SyntheticConfig::default(), &mut rng).unwrap();
/// let mut config = SdaConfig::default();
/// config.pretrain.epochs = 20;
/// config.finetune.epochs = 50;
/// let mut sda = Sda::new(60, 3, &config, &mut rng).unwrap();
/// sda.pretrain(&data.pretrain, &mut rng, |_| {}).unwrap();
/// sda.finetune(&data.train, None, &mut rng, |_| {}).unwrap();
/// assert!(sda.evaluate(&data.test).unwrap().accuracy > 0.9);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Sda<T> {
    pub(crate) autoencoders: Vec<DenoisingAutoencoder<T>>,
    pub(crate) logistic: LogisticRegression<T>,
    pretrain: (DaParams, usize, usize, Propagation),
    finetune: CheckedFinetune,
}

impl<T: Float> Sda<T> {
    /// An SDA `n_inputs → hidden_sizes… → n_classes` with freshly initialised layers.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] or [`crate::Error::Layer`] naming the first bad value.
    pub fn new<R: Rng + ?Sized>(
        n_inputs: usize,
        n_classes: usize,
        config: &SdaConfig,
        rng: &mut R,
    ) -> Result<Self> {
        check_shape(n_inputs, n_classes, &config.hidden_sizes, false)?;
        let p = &config.pretrain;
        let da = p.check_for::<T>()?;
        let finetune = config.finetune.check_for::<T>(config.hidden_sizes.len())?;
        let sizes = &config.hidden_sizes;
        let make = |n_in, n_out, rng: &mut R| {
            DenoisingAutoencoder::with_decoder(n_in, n_out, p.decoder, p.loss, rng)
        };
        let (autoencoders, logistic) = build_stack(n_inputs, n_classes, sizes, rng, make)?;
        let pretrain = (da, p.epochs, p.batch_size, config.propagation);
        Ok(Sda {
            autoencoders,
            logistic,
            pretrain,
            finetune,
        })
    }

    /// The denoising autoencoders, bottom first.
    pub fn autoencoders(&self) -> &[DenoisingAutoencoder<T>] {
        &self.autoencoders
    }

    /// Greedy pretraining of each denoising autoencoder on unlabelled data `(n_samples, n_inputs)`.
    ///
    /// `on_epoch` is called after every epoch of every layer; the same records are returned.
    /// Each record's `error` is the epoch's training loss; the reconstruction fields are
    /// `None` (see [`Sda::pretrain_monitored`]).
    ///
    /// # Errors
    /// [`crate::Error::FeatureMismatch`] for data of the wrong width;
    /// [`crate::Error::Layer`] ([`layerwise_layers::Error::InputOutOfRange`]) for a training
    /// value the bottom layer cannot model: outside [0, 1] for the cross-entropy loss, not finite
    /// otherwise; [`crate::Error::NonFinite`] when a layer's error or a weight stops being
    /// finite.
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
        let run = |run: Interruptible<'_, T>| {
            self.pretrain_run((x, None), Monitor::Off, run, rng, &mut on_epoch)
        };
        Interruptible::never(run).map(|(history, _)| history)
    }

    /// [`Sda::pretrain`], also measuring after each epoch the layer's mean reconstruction
    /// loss of the clean training rows (`train_reconstruction`) and, when given, of the
    /// `validation` rows `(n_val, n_inputs)` (`validation_reconstruction`).
    ///
    /// Each row is its own uncorrupted input, propagated to the layer through the trained
    /// layers below by their mean activations (whatever [`Propagation`] the training uses).
    /// Monitoring draws nothing from `rng`: the trained SDA is the one [`Sda::pretrain`]
    /// gives. It costs about two more GEMMs per row and epoch, in blocks of rows.
    ///
    /// # Errors
    /// Those of [`Sda::pretrain`]; [`crate::Error::FeatureMismatch`] and
    /// [`crate::Error::EmptyData`] for a validation set of the wrong width or with no rows.
    pub fn pretrain_monitored<R, F>(
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
        let monitor = Monitor::Reconstruction;
        let run = |run: Interruptible<'_, T>| {
            self.pretrain_run((x, validation), monitor, run, rng, &mut on_epoch)
        };
        Interruptible::never(run).map(|(history, _)| history)
    }

    /// [`Sda::pretrain`] (or, when `monitored`, [`Sda::pretrain_monitored`] with the
    /// `validation` rows) that stops where `run.stop` asks and returns the [`Pause`], or
    /// carries on from `run.from`; `Ok(None)` once every layer is trained. Given the pause
    /// back with the same model, data and generator state, it trains the same bits as a
    /// run that never stopped. `on_epoch` sees only the epochs this call completes.
    ///
    /// # Errors
    /// Those of [`Sda::pretrain_monitored`]; [`crate::Error::BadPause`] for a pause that
    /// does not fit the model, the configuration or the data.
    pub fn pretrain_interruptible<R, F>(
        &mut self,
        (x, validation): (&Matrix<T>, Option<&Matrix<T>>),
        monitored: bool,
        run: Interruptible<'_, T>,
        rng: &mut R,
        mut on_epoch: F,
    ) -> Result<Option<Pause<T>>>
    where
        R: Rng + ?Sized,
        F: FnMut(&PretrainEpoch),
    {
        let monitor = match monitored {
            true => Monitor::Reconstruction,
            false => Monitor::Off,
        };
        let data = (x, validation.filter(|_| monitored));
        let (_, pause) = self.pretrain_run(data, monitor, run, rng, &mut on_epoch)?;
        Ok(pause)
    }

    fn pretrain_run<R, F>(
        &mut self,
        (x, validation): (&Matrix<T>, Option<&Matrix<T>>),
        monitor: Monitor,
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
            if v.rows() == 0 {
                return Err(Error::EmptyData {
                    phase: "validation",
                });
            }
        }
        let (da, epochs, batch, propagation) = self.pretrain;
        let setup = (&da, (x, validation), (epochs, batch, propagation), monitor);
        pretrain_interruptible(&mut self.autoencoders, setup, run, rng, on_epoch)
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

    /// [`Sda::finetune`] that stops where `run.stop` asks and returns the [`Pause`], or carries
    /// on from `run.from`; `Ok(None)` once it has trained every epoch. Given the pause back
    /// with the same model, data and generator state, it trains the same bits as a run that
    /// never stopped. `on_epoch` sees only the epochs this call completes.
    ///
    /// # Errors
    /// Those of [`Sda::finetune`]; [`crate::Error::BadPause`] for a pause that does not fit the
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

    /// The model as one classifier, and its fine-tuning settings.
    fn classifier(&mut self) -> (stack::Classifier<'_, T>, &CheckedFinetune) {
        let net = stack::Classifier {
            hidden: self
                .autoencoders
                .iter_mut()
                .map(DenoisingAutoencoder::hidden_layer_mut)
                .collect(),
            top: &mut self.logistic,
        };
        (net, &self.finetune)
    }
}

impl<T: Float> Classifier<T> for Sda<T> {
    fn hidden_layers(&self) -> Vec<&HiddenLayer<T>> {
        self.autoencoders
            .iter()
            .map(DenoisingAutoencoder::hidden_layer)
            .collect()
    }

    fn logistic(&self) -> &LogisticRegression<T> {
        &self.logistic
    }
}
