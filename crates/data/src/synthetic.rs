//! The synthetic binary data of Sugomori's deep-learning book experiments.
//!
//! Each of `n_classes` classes owns one block of `block_size` input bits, so a sample has
//! `n_features = n_classes × block_size` bits. A sample of class c sets each bit of block c
//! with probability p_in and every other bit with probability p_out:
//!
//! x_j ~ Bernoulli(p_in) if j ∈ block c, x_j ~ Bernoulli(p_out) otherwise.
//!
//! The book uses 3 classes of 20 bits; per class 200 unlabelled pretraining rows and
//! 200 labelled training rows drawn with (p_in, p_out) = (0.8, 0.2), and 50 test rows drawn
//! with (0.75, 0.25). Rows come class by class: all of class 0 first.
//!
//! Shapes: pretraining `(n_classes · n_pretrain_per_class, n_features)`, training
//! `(n_classes · n_train_per_class, n_features)`, test `(n_classes · n_test_per_class,
//! n_features)`.

use crate::{Dataset, Error, Result};
use layerwise_linalg::{Float, Matrix};
use rand::Rng;

/// Sizes and bit probabilities of the synthetic experiment; [`Default`] gives the book's.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticConfig {
    /// Number of classes, one block of bits each (book: 3).
    pub n_classes: usize,
    /// Bits per block (book: 20).
    pub block_size: usize,
    /// Unlabelled pretraining rows per class (book: 200).
    pub n_pretrain_per_class: usize,
    /// Labelled training rows per class (book: 200).
    pub n_train_per_class: usize,
    /// Labelled test rows per class (book: 50).
    pub n_test_per_class: usize,
    /// (p_in, p_out) of the pretraining and training rows (book: (0.8, 0.2)).
    pub train_p: (f64, f64),
    /// (p_in, p_out) of the test rows (book: (0.75, 0.25)).
    pub test_p: (f64, f64),
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        SyntheticConfig {
            n_classes: 3,
            block_size: 20,
            n_pretrain_per_class: 200,
            n_train_per_class: 200,
            n_test_per_class: 50,
            train_p: (0.8, 0.2),
            test_p: (0.75, 0.25),
        }
    }
}

impl SyntheticConfig {
    /// Bits per sample: `n_classes × block_size` (saturating; [`validate`](Self::validate)
    /// rejects configurations where it overflows).
    pub fn n_features(&self) -> usize {
        self.n_classes.saturating_mul(self.block_size)
    }

    /// Checks the configuration once, before anything is drawn.
    ///
    /// # Errors
    /// - [`Error::ZeroSize`] when `n_classes` or `block_size` is 0;
    /// - [`Error::Probability`] when a probability is not a finite value in `[0, 1]`;
    /// - [`Error::ConfigTooLarge`] when a matrix would hold more than `usize::MAX` values.
    ///
    /// # Examples
    /// ```
    /// use layerwise_data::SyntheticConfig;
    /// assert!(SyntheticConfig::default().validate().is_ok());
    /// let bad = SyntheticConfig { test_p: (1.5, 0.25), ..SyntheticConfig::default() };
    /// assert!(bad.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.n_classes == 0 {
            return Err(Error::ZeroSize { field: "n_classes" });
        }
        if self.block_size == 0 {
            return Err(Error::ZeroSize {
                field: "block_size",
            });
        }
        check_probability("train_p.0", self.train_p.0)?;
        check_probability("train_p.1", self.train_p.1)?;
        check_probability("test_p.0", self.test_p.0)?;
        check_probability("test_p.1", self.test_p.1)?;
        self.check_sizes()
    }

    /// Every matrix size `n_classes × per_class × n_features` fits in `usize`.
    fn check_sizes(&self) -> Result<()> {
        let n_features = self.n_classes.checked_mul(self.block_size);
        let n_features = n_features.ok_or(Error::ConfigTooLarge {
            field: "block_size",
        })?;
        let per_class = [
            ("n_pretrain_per_class", self.n_pretrain_per_class),
            ("n_train_per_class", self.n_train_per_class),
            ("n_test_per_class", self.n_test_per_class),
        ];
        for (field, n) in per_class {
            let len = self
                .n_classes
                .checked_mul(n)
                .and_then(|rows| rows.checked_mul(n_features))
                .filter(|&len| len <= isize::MAX as usize / std::mem::size_of::<f64>());
            len.ok_or(Error::ConfigTooLarge { field })?;
        }
        Ok(())
    }
}

/// A probability must be finite and in `[0, 1]`.
fn check_probability(field: &'static str, value: f64) -> Result<()> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(Error::Probability { field, value })
    }
}

/// The three parts of the book's experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct BookData<T> {
    /// Unlabelled pretraining rows: `(n_classes · n_pretrain_per_class, n_features)`.
    pub pretrain: Matrix<T>,
    /// Labelled training rows for fine-tuning: `(n_classes · n_train_per_class, n_features)`.
    pub train: Dataset<T>,
    /// Labelled test rows: `(n_classes · n_test_per_class, n_features)`.
    pub test: Dataset<T>,
}

/// Draws the book's data: the pretraining matrix first, then the training set, then the test
/// set, each bit as `rng.gen::<f64>() < p` in row-major order, rows class by class.
///
/// # Errors
/// Whatever [`SyntheticConfig::validate`] reports.
///
/// # Examples
/// ```
/// use layerwise_data::{book_experiment, SyntheticConfig};
/// use rand::SeedableRng;
/// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
/// let data = book_experiment::<f32, _>(&SyntheticConfig::default(), &mut rng).unwrap();
/// assert_eq!(data.pretrain.shape(), (600, 60));
/// assert_eq!((data.train.n_samples(), data.test.n_samples()), (600, 150));
/// assert_eq!(data.test.labels()[149], 2);
/// assert!(data.pretrain.as_slice().iter().all(|&b| b == 0.0 || b == 1.0));
/// ```
pub fn book_experiment<T: Float, R: Rng + ?Sized>(
    config: &SyntheticConfig,
    rng: &mut R,
) -> Result<BookData<T>> {
    config.validate()?;
    let (pretrain, _) = block_rows(config, config.n_pretrain_per_class, config.train_p, rng);
    let (x, y) = block_rows(config, config.n_train_per_class, config.train_p, rng);
    let train = Dataset::new(x, y, config.n_classes)?;
    let (x, y) = block_rows(config, config.n_test_per_class, config.test_p, rng);
    let test = Dataset::new(x, y, config.n_classes)?;
    Ok(BookData {
        pretrain,
        train,
        test,
    })
}

/// `per_class` rows of each class, class by class, with bit probabilities `(p_in, p_out)`:
/// `(n_classes · per_class, n_features)` and the row labels.
fn block_rows<T: Float, R: Rng + ?Sized>(
    config: &SyntheticConfig,
    per_class: usize,
    (p_in, p_out): (f64, f64),
    rng: &mut R,
) -> (Matrix<T>, Vec<usize>) {
    let n_rows = config.n_classes * per_class;
    let labels: Vec<usize> = (0..n_rows).map(|i| i / per_class).collect();
    let x = Matrix::from_fn(n_rows, config.n_features(), |i, j| {
        let in_block = j / config.block_size == labels[i];
        let p = if in_block { p_in } else { p_out };
        if rng.gen::<f64>() < p {
            T::ONE
        } else {
            T::ZERO
        }
    });
    (x, labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn book_f64(seed: u64) -> BookData<f64> {
        book_experiment(
            &SyntheticConfig::default(),
            &mut ChaCha8Rng::seed_from_u64(seed),
        )
        .unwrap()
    }

    fn bits(values: &[f64]) -> Vec<u8> {
        values.iter().map(|&v| v as u8).collect()
    }

    /// The first bits of the pretraining and test matrices for ChaCha8 seed 42: they change
    /// only if the drawing order or the comparison `rng.gen::<f64>() < p` changes.
    #[test]
    fn value_stability_seed_42() {
        let data = book_f64(42);
        let pretrain = [1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1];
        let test = [1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1];
        assert_eq!(bits(&data.pretrain.as_slice()[..20]), pretrain);
        assert_eq!(bits(&data.test.features().as_slice()[..20]), test);
    }

    #[test]
    fn rows_come_class_by_class() {
        let data = book_f64(1);
        let labels = data.train.labels();
        assert!(labels.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(
            (labels[0], labels[199], labels[200], labels[599]),
            (0, 0, 1, 2)
        );
        assert_eq!(data.test.labels()[50], 1);
    }

    /// Mean of block `block` over the rows of class `class`.
    fn block_mean(x: &Matrix<f64>, labels: &[usize], class: usize, block: usize) -> f64 {
        let rows: Vec<usize> = (0..x.rows()).filter(|&i| labels[i] == class).collect();
        let sum: f64 = rows
            .iter()
            .map(|&i| x.row(i)[block * 20..(block + 1) * 20].iter().sum::<f64>())
            .sum();
        sum / (rows.len() * 20) as f64
    }

    #[test]
    fn block_frequencies_match_the_probabilities() {
        let data = book_f64(7);
        let (x, y) = (data.train.features(), data.train.labels());
        for class in 0..3 {
            for block in 0..3 {
                let expected = if class == block { 0.8 } else { 0.2 };
                // 4000 bits per cell: standard deviation ≈ 0.0063, tolerance ≈ 5σ.
                approx::assert_abs_diff_eq!(
                    block_mean(x, y, class, block),
                    expected,
                    epsilon = 0.03
                );
            }
        }
        let (x, y) = (data.test.features(), data.test.labels());
        // 1000 bits per cell: standard deviation ≈ 0.014.
        approx::assert_abs_diff_eq!(block_mean(x, y, 2, 2), 0.75, epsilon = 0.07);
        approx::assert_abs_diff_eq!(block_mean(x, y, 2, 0), 0.25, epsilon = 0.07);
    }

    #[test]
    fn pretrain_rows_follow_the_training_probabilities() {
        let data = book_f64(8);
        let labels: Vec<usize> = (0..600).map(|i| i / 200).collect();
        approx::assert_abs_diff_eq!(
            block_mean(&data.pretrain, &labels, 1, 1),
            0.8,
            epsilon = 0.03
        );
        approx::assert_abs_diff_eq!(
            block_mean(&data.pretrain, &labels, 1, 2),
            0.2,
            epsilon = 0.03
        );
    }

    #[test]
    fn validate_names_the_bad_field() {
        let base = SyntheticConfig::default();
        let zero = SyntheticConfig {
            block_size: 0,
            ..base.clone()
        };
        assert!(matches!(
            zero.validate(),
            Err(Error::ZeroSize {
                field: "block_size"
            })
        ));
        let nan = SyntheticConfig {
            train_p: (0.8, f64::NAN),
            ..base.clone()
        };
        assert!(matches!(
            nan.validate(),
            Err(Error::Probability {
                field: "train_p.1",
                ..
            })
        ));
        let huge = SyntheticConfig {
            n_test_per_class: usize::MAX,
            ..base.clone()
        };
        let err = huge.validate().unwrap_err();
        assert!(matches!(
            err,
            Error::ConfigTooLarge {
                field: "n_test_per_class"
            }
        ));
        let none = SyntheticConfig {
            n_classes: 0,
            ..base
        };
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert!(book_experiment::<f32, _>(&none, &mut rng).is_err());
    }

    #[test]
    fn empty_parts_are_allowed() {
        let config = SyntheticConfig {
            n_pretrain_per_class: 0,
            ..SyntheticConfig::default()
        };
        let data: BookData<f32> =
            book_experiment(&config, &mut ChaCha8Rng::seed_from_u64(0)).unwrap();
        assert_eq!(data.pretrain.shape(), (0, 60));
    }
}
