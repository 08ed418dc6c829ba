//! Data for the layerwise models: labelled data sets, minibatches, the synthetic experiment
//! of Sugomori's book and a loader for MNIST-style IDX files.
//!
//! A [`Dataset`] pairs a `(n_samples, n_features)` [`Matrix`](layerwise_linalg::Matrix) with
//! one label per row, all below `n_classes`. It comes from [`book_experiment`] (together with
//! an unlabelled pretraining matrix, as [`BookData`]) or from [`load_mnist`] and
//! [`load_idx_dataset`], which read IDX files through [`read_idx`]. Training draws an order
//! per epoch with [`shuffled_indices`], cuts it with [`minibatches`] and gathers each batch
//! with [`Dataset::select`]; [`Dataset::split_validation`] holds samples out and
//! [`Dataset::one_hot`] gives the targets of a softmax layer. Every random function takes the
//! generator as `rng: &mut R`; fallible ones return this crate's [`Error`].
//!
//! ```
//! use layerwise_data::{book_experiment, minibatches, shuffled_indices, SyntheticConfig};
//! use rand::SeedableRng;
//!
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
//! let data = book_experiment::<f32, _>(&SyntheticConfig::default(), &mut rng).unwrap();
//! let (train, valid) = data.train.split_validation(0.1, &mut rng).unwrap();
//! assert_eq!((train.n_samples(), valid.n_samples()), (540, 60));
//!
//! let order = shuffled_indices(train.n_samples(), &mut rng);
//! let mut seen = 0;
//! for batch in minibatches(&order, 50) {
//!     let x = train.select(batch);
//!     assert_eq!(x.one_hot().shape(), (batch.len(), 3));
//!     seen += batch.len();
//! }
//! assert_eq!(seen, 540);
//! ```
#![deny(missing_docs)]

mod batches;
mod dataset;
mod error;
mod idx;
mod synthetic;

pub use batches::{minibatches, shuffled_indices};
pub use dataset::Dataset;
pub use error::{Error, Result};
pub use idx::{
    load_idx_dataset, load_mnist, parse_idx, read_idx, IdxArray, MnistSplit, FASHION_MNIST_CLASSES,
    FASHION_MNIST_DIR, MAX_IDX_DIMS,
};
pub use synthetic::{book_experiment, BookData, SyntheticConfig};
