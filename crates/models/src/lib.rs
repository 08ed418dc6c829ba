//! Deep Belief Nets, Stacked Denoising Autoencoders and their baselines (MLP, logistic
//! regression).
//!
//! Each model is a stack of sigmoid layers under a softmax layer. A [`Dbn`] owns one
//! [`layerwise_layers::Rbm`] per hidden layer and an [`Sda`] one
//! [`layerwise_layers::DenoisingAutoencoder`]; each of those owns the
//! [`layerwise_layers::HiddenLayer`] that the classifier uses, so the two phases train the
//! same weights:
//!
//! 1. `pretrain` on unlabelled rows, greedily: layer ℓ learns from the data propagated
//!    through layers 0..ℓ (sampled or mean activations, see [`Propagation`]);
//! 2. `finetune` on a labelled [`layerwise_data::Dataset`] by backpropagation of the softmax
//!    cross-entropy through every layer ([`FinetuneMode`]);
//! 3. predict labels or class probabilities through the [`Classifier`] trait.
//!
//! Fine-tuning ([`FinetuneConfig`]) takes momentum, L2 weight decay, dropout on the input and
//! hidden layers, a learning-rate schedule and [`EarlyStopping`]; the baselines, [`Mlp`]
//! (random initialisation) and [`Logistic`] (no hidden layer), train with the same options.
//!
//! Configurations ([`DbnConfig`], [`SdaConfig`], [`MlpConfig`]) default to the values of
//! Sugomori's book and are validated once by the model's constructor. Training reports each
//! epoch to a callback and returns the history; nothing is printed. A DBN's RBMs may be
//! trained with the options of [`layerwise_layers::RbmTrainer`] (PCD, momentum, decay,
//! sparsity, schedules) and measured after every epoch ([`RbmMonitorConfig`]).
//! `into_parts` and `from_parts` take a model apart into its layers and rebuild it (for
//! model files).
#![deny(missing_docs)]

mod autoencoder;
mod classifier;
mod config;
mod dbn;
mod error;
mod history;
mod logistic;
mod mlp;
mod parts;
mod resume;
mod sda;
mod stack;

pub use autoencoder::{AutoencoderConfig, AutoencoderEpoch, DeepAutoencoder, Reconstruction};
pub use classifier::Classifier;
pub use config::{
    DaPretrainConfig, DbnConfig, EarlyStopping, FinetuneConfig, FinetuneMode, MlpConfig, NoiseKind,
    Propagation, RbmMonitorConfig, RbmPretrainConfig, SdaConfig,
};
pub use dbn::Dbn;
pub use error::{Error, Result};
pub use history::{collapsed_class, FinetuneEpoch, PretrainEpoch, Validation};
/// The dA options that [`DaPretrainConfig`] chooses, from `layerwise_layers`.
pub use layerwise_layers::{DecoderWeights, Loss};
pub use logistic::Logistic;
pub use mlp::Mlp;
pub use resume::{At, Interruptible, Pause};
pub use sda::Sda;
