//! [`Dataset`]: a feature matrix with one class label per row.
//!
//! Shapes: features `(n_samples, n_features)`, labels `(n_samples)`, one-hot targets
//! `(n_samples, n_classes)`.

use crate::batches::shuffled_indices;
use crate::{Error, Result};
use layerwise_linalg::{Float, Matrix};
use rand::Rng;

/// Labelled samples: a `(n_samples, n_features)` matrix, one label per row and the number of
/// classes the labels are drawn from.
///
/// Every label is below `n_classes`; [`Dataset::new`] checks it once, so models can index by
/// label without checking again.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<T> {
    features: Matrix<T>,
    labels: Vec<usize>,
    n_classes: usize,
}

impl<T: Float> Dataset<T> {
    /// Pairs `(n_samples, n_features)` features with `n_samples` labels in `0..n_classes`.
    ///
    /// # Errors
    /// - [`Error::LabelCount`] when `labels.len()` differs from `features.rows()`;
    /// - [`Error::NoClasses`] when `n_classes` is 0;
    /// - [`Error::LabelOutOfRange`] for the first label `≥ n_classes`.
    ///
    /// # Examples
    /// ```
    /// use layerwise_data::Dataset;
    /// use layerwise_linalg::Matrix;
    /// let x = Matrix::from_vec(2, 2, vec![0.0_f32, 1.0, 1.0, 0.0]).unwrap();
    /// let data = Dataset::new(x.clone(), vec![1, 0], 2).unwrap();
    /// assert_eq!((data.n_samples(), data.n_features(), data.n_classes()), (2, 2, 2));
    /// assert!(Dataset::new(x, vec![2, 0], 2).is_err());
    /// ```
    pub fn new(features: Matrix<T>, labels: Vec<usize>, n_classes: usize) -> Result<Self> {
        if labels.len() != features.rows() {
            return Err(Error::LabelCount {
                n_labels: labels.len(),
                n_samples: features.rows(),
            });
        }
        if n_classes == 0 {
            return Err(Error::NoClasses);
        }
        if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= n_classes) {
            return Err(Error::LabelOutOfRange {
                index,
                label,
                n_classes,
            });
        }
        Ok(Dataset {
            features,
            labels,
            n_classes,
        })
    }

    /// The `(n_samples, n_features)` feature matrix.
    pub fn features(&self) -> &Matrix<T> {
        &self.features
    }

    /// The `n_samples` labels, each in `0..n_classes`.
    pub fn labels(&self) -> &[usize] {
        &self.labels
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Number of samples (rows).
    pub fn n_samples(&self) -> usize {
        self.features.rows()
    }

    /// Number of features (columns).
    pub fn n_features(&self) -> usize {
        self.features.cols()
    }

    /// The features, the labels and the number of classes.
    pub fn into_parts(self) -> (Matrix<T>, Vec<usize>, usize) {
        (self.features, self.labels, self.n_classes)
    }

    /// The samples named by `indices`, in that order: `(indices.len(), n_features)`.
    ///
    /// # Panics
    /// If an index is `≥ n_samples`.
    ///
    /// # Examples
    /// ```
    /// use layerwise_data::Dataset;
    /// use layerwise_linalg::Matrix;
    /// let x = Matrix::from_vec(3, 1, vec![10.0_f64, 11.0, 12.0]).unwrap();
    /// let data = Dataset::new(x, vec![0, 1, 2], 3).unwrap();
    /// let sub = data.select(&[2, 0]);
    /// assert_eq!(sub.features().as_slice(), &[12.0, 10.0]);
    /// assert_eq!(sub.labels(), &[2, 0]);
    /// ```
    #[track_caller]
    pub fn select(&self, indices: &[usize]) -> Dataset<T> {
        let features = self.features.select_rows(indices);
        let labels = indices.iter().map(|&i| self.labels[i]).collect();
        Dataset {
            features,
            labels,
            n_classes: self.n_classes,
        }
    }

    /// Shuffles the samples and splits them into `(train, validation)`, the validation part
    /// holding round(`fraction` · n_samples) of them.
    ///
    /// # Errors
    /// [`Error::ValidationFraction`] unless `fraction` is finite and in `[0, 1)`.
    ///
    /// # Examples
    /// ```
    /// use layerwise_data::Dataset;
    /// use layerwise_linalg::Matrix;
    /// use rand::SeedableRng;
    /// let x = Matrix::<f32>::zeros(10, 3);
    /// let data = Dataset::new(x, vec![0; 10], 1).unwrap();
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    /// let (train, valid) = data.split_validation(0.2, &mut rng).unwrap();
    /// assert_eq!((train.n_samples(), valid.n_samples()), (8, 2));
    /// assert!(data.split_validation(1.0, &mut rng).is_err());
    /// assert!(data.split_validation(0.96, &mut rng).is_err()); // no training row left
    /// ```
    pub fn split_validation<R: Rng + ?Sized>(
        &self,
        fraction: f64,
        rng: &mut R,
    ) -> Result<(Dataset<T>, Dataset<T>)> {
        if !(0.0..1.0).contains(&fraction) {
            return Err(Error::ValidationFraction { fraction });
        }
        let order = shuffled_indices(self.n_samples(), rng);
        // fraction < 1, so the rounded count never exceeds n_samples.
        let n_valid = ((fraction * self.n_samples() as f64).round() as usize).min(order.len());
        if n_valid == order.len() && n_valid > 0 {
            return Err(Error::NoTrainingRows {
                n_samples: order.len(),
                fraction,
            });
        }
        let (valid, train) = order.split_at(n_valid);
        Ok((self.select(train), self.select(valid)))
    }

    /// The samples followed by their mirror images: each row, read as a `height × width` image
    /// stored row by row, reflected left to right, with the same label. `2 · n_samples` rows.
    ///
    /// A cheap augmentation for images whose classes do not depend on left and right (clothes,
    /// most natural objects; not digits or letters).
    ///
    /// # Errors
    /// [`Error::ImageShape`] when `width · height` is not the number of features.
    ///
    /// # Examples
    /// ```
    /// use layerwise_data::Dataset;
    /// use layerwise_linalg::Matrix;
    /// let x = Matrix::from_vec(1, 6, vec![1.0_f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    /// let data = Dataset::new(x, vec![1], 2).unwrap().with_mirror_images(3, 2).unwrap();
    /// assert_eq!(data.features().row(1), &[3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
    /// assert_eq!(data.labels(), &[1, 1]);
    /// ```
    pub fn with_mirror_images(&self, width: usize, height: usize) -> Result<Dataset<T>> {
        let n_features = self.n_features();
        if width.checked_mul(height) != Some(n_features) {
            return Err(Error::ImageShape {
                n_features,
                width,
                height,
            });
        }
        let n = self.n_samples();
        let mut features = Matrix::zeros(2 * n, n_features);
        for i in 0..n {
            let row = self.features.row(i);
            features.row_mut(i).copy_from_slice(row);
            let mirrored = features.row_mut(n + i);
            // width ≥ 1 here unless there are no features, when there is nothing to copy.
            for (out, line) in mirrored
                .chunks_exact_mut(width.max(1))
                .zip(row.chunks_exact(width.max(1)))
            {
                for (o, &v) in out.iter_mut().zip(line.iter().rev()) {
                    *o = v;
                }
            }
        }
        let mut labels = Vec::with_capacity(2 * n);
        labels.extend_from_slice(&self.labels);
        labels.extend_from_slice(&self.labels);
        Ok(Dataset {
            features,
            labels,
            n_classes: self.n_classes,
        })
    }

    /// The labels as one-hot rows: `(n_samples, n_classes)`, 1 at column `label`, 0 elsewhere.
    ///
    /// # Examples
    /// ```
    /// use layerwise_data::Dataset;
    /// use layerwise_linalg::Matrix;
    /// let data = Dataset::new(Matrix::<f32>::zeros(2, 4), vec![2, 0], 3).unwrap();
    /// assert_eq!(data.one_hot().as_slice(), &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    /// ```
    pub fn one_hot(&self) -> Matrix<T> {
        Matrix::from_fn(self.n_samples(), self.n_classes, |i, c| {
            if self.labels[i] == c {
                T::ONE
            } else {
                T::ZERO
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// `n` samples whose single feature is their index; label = index mod 3.
    fn numbered(n: usize) -> Dataset<f64> {
        let x = Matrix::from_fn(n, 1, |i, _| i as f64);
        Dataset::new(x, (0..n).map(|i| i % 3).collect(), 3).unwrap()
    }

    #[test]
    fn mirror_images_reflect_each_image_row_and_keep_labels() {
        let x = Matrix::from_fn(3, 12, |i, j| (100 * i + j) as f64);
        let data = Dataset::new(x, vec![2, 0, 1], 3).unwrap();
        let both = data.with_mirror_images(4, 3).unwrap();
        assert_eq!(both.n_samples(), 6);
        assert_eq!(both.labels(), &[2, 0, 1, 2, 0, 1]);
        for i in 0..3 {
            assert_eq!(both.features().row(i), data.features().row(i));
            for r in 0..3 {
                for c in 0..4 {
                    let original = data.features().row(i)[4 * r + c];
                    assert_eq!(both.features().row(3 + i)[4 * r + 3 - c], original);
                }
            }
        }
        // Mirroring twice gives the original back.
        let twice = both.select(&[3, 4, 5]).with_mirror_images(4, 3).unwrap();
        assert_eq!(twice.select(&[3, 4, 5]), data);
    }

    #[test]
    fn mirror_images_reject_a_shape_that_does_not_cover_the_features() {
        let data = Dataset::new(Matrix::<f32>::zeros(2, 12), vec![0, 0], 1).unwrap();
        let err = data.with_mirror_images(5, 3).unwrap_err();
        assert!(matches!(
            err,
            Error::ImageShape {
                n_features: 12,
                width: 5,
                height: 3
            }
        ));
        assert!(err.to_string().contains("5 × 3"), "{err}");
        assert!(data.with_mirror_images(usize::MAX, 2).is_err());
    }

    #[test]
    fn new_rejects_label_count_naming_both_counts() {
        let err = Dataset::new(Matrix::<f32>::zeros(3, 2), vec![0, 0], 1).unwrap_err();
        assert!(matches!(
            err,
            Error::LabelCount {
                n_labels: 2,
                n_samples: 3
            }
        ));
        assert_eq!(err.to_string(), "2 labels given for 3 samples");
    }

    #[test]
    fn new_rejects_zero_classes_and_out_of_range_labels() {
        let err = Dataset::new(Matrix::<f32>::zeros(0, 2), vec![], 0).unwrap_err();
        assert!(matches!(err, Error::NoClasses));
        let err = Dataset::new(Matrix::<f32>::zeros(3, 2), vec![0, 1, 5], 2).unwrap_err();
        assert!(matches!(
            err,
            Error::LabelOutOfRange {
                index: 2,
                label: 5,
                n_classes: 2
            }
        ));
    }

    #[test]
    fn into_parts_returns_what_new_took() {
        let data = numbered(4);
        let (x, y, k) = data.clone().into_parts();
        assert_eq!(x, *data.features());
        assert_eq!(y, vec![0, 1, 2, 0]);
        assert_eq!(k, 3);
    }

    #[test]
    fn split_validation_partitions_the_samples() {
        let data = numbered(10);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (train, valid) = data.split_validation(0.25, &mut rng).unwrap();
        // round(2.5) = 3
        assert_eq!((train.n_samples(), valid.n_samples()), (7, 3));
        let mut seen: Vec<usize> = train
            .features()
            .as_slice()
            .iter()
            .chain(valid.features().as_slice())
            .map(|&v| v as usize)
            .collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        for part in [&train, &valid] {
            for (row, &label) in part.labels().iter().enumerate() {
                assert_eq!(part.features()[(row, 0)] as usize % 3, label);
            }
        }
    }

    #[test]
    fn split_validation_is_reproducible_and_zero_fraction_keeps_all() {
        let data = numbered(20);
        let split = |seed| {
            data.split_validation(0.3, &mut ChaCha8Rng::seed_from_u64(seed))
                .unwrap()
        };
        assert_eq!(split(9), split(9));
        let (train, valid) = data
            .split_validation(0.0, &mut ChaCha8Rng::seed_from_u64(1))
            .unwrap();
        assert_eq!((train.n_samples(), valid.n_samples()), (20, 0));
    }

    #[test]
    fn split_validation_rejects_bad_fractions() {
        let data = numbered(4);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        for fraction in [1.0, -0.1, f64::NAN, f64::INFINITY] {
            let err = data.split_validation(fraction, &mut rng).unwrap_err();
            assert!(
                matches!(err, Error::ValidationFraction { .. }),
                "{fraction}"
            );
        }
    }

    #[test]
    fn one_hot_has_one_one_per_row() {
        let hot = numbered(5).one_hot();
        assert_eq!(hot.shape(), (5, 3));
        assert_eq!(hot.row_sums(), vec![1.0; 5]);
        assert_eq!(hot.row(4), &[0.0, 1.0, 0.0]);
    }
}
