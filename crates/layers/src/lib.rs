//! The layers the layerwise models are stacked from.
//!
//! - [`HiddenLayer`]: y = σ(x Wᵀ + b), with its backward pass; the shared building block.
//! - [`Rbm`]: an RBM with binary hidden units and Bernoulli or Gaussian visible units
//!   ([`Visible`]), trained by CD-k ([`CdParams`]) or by an [`RbmTrainer`] (PCD-k,
//!   momentum, weight decay, sparsity, [`LrSchedule`]). It *owns* a [`HiddenLayer`] holding W
//!   and the hidden bias, plus a visible bias. [`Rbm::monitor`] measures free energies and
//!   the pseudo-likelihood, [`Rbm::estimate_log_partition`] ln Z by AIS ([`AisParams`]),
//!   [`Rbm::generate`] runs Gibbs chains.
//! - [`DenoisingAutoencoder`]: a [`Noise`] (masking, salt and pepper, Gaussian) chosen in
//!   [`DaParams`], tied or untied decoder weights ([`DecoderWeights`]), cross-entropy or
//!   squared error ([`Loss`]); it too owns a [`HiddenLayer`] (the encoder) plus a visible
//!   bias, and, untied, a decoder matrix.
//! - [`LogisticRegression`]: the softmax output layer with its cross-entropy.
//! - [`SgdStep`] and [`Velocity`]: gradient steps with momentum and L2 decay
//!   ([`HiddenLayer::backward_step`], [`LogisticRegression::backward_step`]);
//!   [`dropout_mask_into`] draws inverted-dropout masks.
//!
//! Because the pretrained layers own their [`HiddenLayer`], a Deep Belief Net fine-tunes the
//! very weights its RBMs learnt: no copy, no shared pointer. Batches are matrices with one
//! sample per row; every random step takes the caller's generator `rng: &mut R`, draws one
//! key from it and gives each row its own stream ([`RowStreams`]), so results do not depend
//! on the thread count.
//!
//! Each training step has a variant that keeps its temporaries in a reused workspace
//! ([`Rbm::contrastive_divergence_with`] with a [`CdWorkspace`],
//! [`DenoisingAutoencoder::train_batch_with`] with a [`DaWorkspace`],
//! [`LogisticRegression::train_batch_with`]) and updates the parameters in place; with
//! [`HiddenLayer::forward_into`] and [`HiddenLayer::backward_apply`] a training loop
//! allocates nothing per minibatch. The plain methods build a temporary workspace.
//!
//! ```
//! use layerwise_layers::{CdParams, Rbm};
//! use layerwise_linalg::Matrix;
//! use rand::SeedableRng;
//!
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
//! let mut rbm = Rbm::<f64>::new(4, 3, &mut rng).unwrap();
//! let batch = Matrix::from_vec(2, 4, vec![1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0]).unwrap();
//! let params = CdParams::new(0.1, 1).unwrap();
//! let error = rbm.contrastive_divergence(&batch, &params, &mut rng);
//! assert!(error >= 0.0);
//! assert_eq!(rbm.hidden_probabilities(&batch).shape(), (2, 3));
//! ```
#![deny(missing_docs)]

mod activation;
mod denoising_autoencoder;
mod error;
mod hidden;
mod logistic;
mod noise;
mod rbm;
mod schedule;
mod sgd;

pub use activation::{
    argmax_rows, sample_bernoulli, sample_bernoulli_into, sigmoid, sigmoid_inplace,
    softmax_rows_inplace, softplus, RowStreams,
};
pub use denoising_autoencoder::{
    DaGradients, DaParams, DaWorkspace, DecoderWeights, DenoisingAutoencoder, Loss,
};
pub use error::{check_unit_interval, Error, Result};
pub use hidden::{HiddenLayer, LinearGradients};
pub use logistic::LogisticRegression;
pub use noise::Noise;
pub use rbm::{
    AisConfig, AisEstimate, AisParams, CdParams, CdWorkspace, GibbsStart, Momentum, Rbm,
    RbmGradients, RbmMonitor, RbmTrainConfig, RbmTrainer, Sparsity, Visible, MAX_ENUMERATED_UNITS,
};
pub use schedule::LrSchedule;
pub use sgd::{apply_mask, dropout_mask_into, SgdStep, Velocity};
