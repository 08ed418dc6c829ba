//! [`ConfusionMatrix`] and the scores computed from it.
//!
//! With C(t, p) the number of samples of true class t predicted as p:
//!
//! - precision(c) = C(c, c) / Σₜ C(t, c), the share of predictions of c that are right;
//! - recall(c) = C(c, c) / Σₚ C(c, p), the share of class c that is found;
//! - F1(c) = 2 · precision · recall / (precision + recall);
//! - accuracy = Σ꜀ C(c, c) / Σₜₚ C(t, p).
//!
//! A ratio whose denominator is 0 (a class never predicted, a class with no sample, an empty
//! matrix) is 0.0, never NaN.

use crate::{Error, LabelRole, Result};

/// Counts of (true class, predicted class) pairs: rows are the true class, columns the
/// predicted class.
///
/// # Examples
/// ```
/// use layerwise_metrics::ConfusionMatrix;
/// let cm = ConfusionMatrix::from_labels(&[0, 0, 1, 1], &[0, 1, 1, 1], 2).unwrap();
/// assert_eq!(cm.count(0, 1), 1);
/// assert_eq!(cm.accuracy(), 0.75);
/// assert_eq!(cm.precision(1), 2.0 / 3.0);
/// assert_eq!(cm.recall(0), 0.5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfusionMatrix {
    n_classes: usize,
    /// Row-major `(n_classes, n_classes)` counts.
    counts: Vec<usize>,
}

/// Precision, recall and F1 averaged over the classes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Averages {
    /// Averaged precision.
    pub precision: f64,
    /// Averaged recall.
    pub recall: f64,
    /// Averaged F1 (the average of the per-class F1 scores).
    pub f1: f64,
}

/// `num / den`, or 0.0 when `den` is 0.
fn ratio(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

impl ConfusionMatrix {
    /// An empty `(n_classes, n_classes)` matrix.
    ///
    /// # Panics
    /// If `n_classes²` overflows `usize`.
    #[track_caller]
    pub fn new(n_classes: usize) -> Self {
        let len = n_classes
            .checked_mul(n_classes)
            .expect("n_classes² overflows usize");
        ConfusionMatrix {
            n_classes,
            counts: vec![0; len],
        }
    }

    /// Counts one sample of class `truth` predicted as `predicted`.
    ///
    /// # Errors
    /// [`Error::LabelOutOfRange`] (with `index: None`) when either is `≥ n_classes`; the
    /// matrix is then unchanged.
    pub fn add(&mut self, truth: usize, predicted: usize) -> Result<()> {
        self.check(LabelRole::Truth, None, truth)?;
        self.check(LabelRole::Predicted, None, predicted)?;
        self.counts[truth * self.n_classes + predicted] += 1;
        Ok(())
    }

    /// The matrix of the pairs `(truth[i], predicted[i])`.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] when the slices differ in length;
    /// [`Error::LabelOutOfRange`] (with the position) for the first label `≥ n_classes`.
    ///
    /// # Panics
    /// If `n_classes²` overflows `usize`.
    #[track_caller]
    pub fn from_labels(truth: &[usize], predicted: &[usize], n_classes: usize) -> Result<Self> {
        if truth.len() != predicted.len() {
            let (n_truth, n_predicted) = (truth.len(), predicted.len());
            return Err(Error::LengthMismatch {
                n_truth,
                n_predicted,
            });
        }
        let mut cm = ConfusionMatrix::new(n_classes);
        for (i, (&t, &p)) in truth.iter().zip(predicted).enumerate() {
            cm.check(LabelRole::Truth, Some(i), t)?;
            cm.check(LabelRole::Predicted, Some(i), p)?;
            cm.counts[t * n_classes + p] += 1;
        }
        Ok(cm)
    }

    /// `label < n_classes`, or the error naming it.
    fn check(&self, role: LabelRole, index: Option<usize>, label: usize) -> Result<()> {
        if label < self.n_classes {
            Ok(())
        } else {
            Err(Error::LabelOutOfRange {
                role,
                index,
                label,
                n_classes: self.n_classes,
            })
        }
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Samples of class `truth` predicted as `predicted`: C(truth, predicted).
    ///
    /// # Panics
    /// If either is `≥ n_classes`.
    #[track_caller]
    pub fn count(&self, truth: usize, predicted: usize) -> usize {
        let n = self.n_classes;
        assert!(
            truth < n && predicted < n,
            "class ({truth}, {predicted}) out of range for {n}"
        );
        self.counts[truth * n + predicted]
    }

    /// All samples counted.
    pub fn total(&self) -> usize {
        self.counts.iter().sum()
    }

    /// Samples whose true class is `c` (the row sum).
    ///
    /// # Panics
    /// If `c ≥ n_classes`.
    #[track_caller]
    pub fn support(&self, c: usize) -> usize {
        (0..self.n_classes).map(|p| self.count(c, p)).sum()
    }

    /// Samples predicted as `c` (the column sum).
    ///
    /// # Panics
    /// If `c ≥ n_classes`.
    #[track_caller]
    pub fn predicted_count(&self, c: usize) -> usize {
        (0..self.n_classes).map(|t| self.count(t, c)).sum()
    }

    /// Samples predicted correctly (the trace).
    pub fn correct(&self) -> usize {
        (0..self.n_classes).map(|c| self.count(c, c)).sum()
    }

    /// correct / total; 0.0 for an empty matrix.
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct() as f64, self.total() as f64)
    }

    /// C(c, c) / predicted_count(c); 0.0 when `c` is never predicted.
    ///
    /// # Panics
    /// If `c ≥ n_classes`.
    #[track_caller]
    pub fn precision(&self, c: usize) -> f64 {
        ratio(self.count(c, c) as f64, self.predicted_count(c) as f64)
    }

    /// C(c, c) / support(c); 0.0 when class `c` has no sample.
    ///
    /// # Panics
    /// If `c ≥ n_classes`.
    #[track_caller]
    pub fn recall(&self, c: usize) -> f64 {
        ratio(self.count(c, c) as f64, self.support(c) as f64)
    }

    /// 2 · precision · recall / (precision + recall); 0.0 when both are 0.
    ///
    /// # Panics
    /// If `c ≥ n_classes`.
    #[track_caller]
    pub fn f1(&self, c: usize) -> f64 {
        let (p, r) = (self.precision(c), self.recall(c));
        ratio(2.0 * p * r, p + r)
    }

    /// The unweighted mean over classes of precision, recall and F1; zeros without classes.
    pub fn macro_average(&self) -> Averages {
        self.average(|_| 1.0)
    }

    /// The mean over classes weighted by support; zeros for an empty matrix.
    pub fn weighted_average(&self) -> Averages {
        self.average(|c| self.support(c) as f64)
    }

    /// Σ꜀ w(c) · score(c) / Σ꜀ w(c) for each score.
    fn average(&self, weight: impl Fn(usize) -> f64) -> Averages {
        let (mut sum, mut p, mut r, mut f1) = (0.0, 0.0, 0.0, 0.0);
        for c in 0..self.n_classes {
            let w = weight(c);
            sum += w;
            p += w * self.precision(c);
            r += w * self.recall(c);
            f1 += w * self.f1(c);
        }
        Averages {
            precision: ratio(p, sum),
            recall: ratio(r, sum),
            f1: ratio(f1, sum),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    /// 3 classes with supports 4, 3, 3; class 2 is never predicted.
    ///
    /// ```text
    ///            pred 0  pred 1  pred 2
    /// true 0        3       1       0
    /// true 1        1       2       0
    /// true 2        1       2       0
    /// ```
    fn never_predicted() -> ConfusionMatrix {
        let truth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
        let predicted = [0, 0, 1, 0, 1, 1, 0, 1, 0, 1];
        ConfusionMatrix::from_labels(&truth, &predicted, 3).unwrap()
    }

    #[test]
    fn counts_rows_are_truth_columns_prediction() {
        let cm = never_predicted();
        let rows: Vec<Vec<usize>> = (0..3)
            .map(|t| (0..3).map(|p| cm.count(t, p)).collect())
            .collect();
        assert_eq!(rows, vec![vec![3, 1, 0], vec![1, 2, 0], vec![1, 2, 0]]);
        assert_eq!((cm.total(), cm.correct()), (10, 5));
        assert_eq!((cm.support(0), cm.support(1), cm.support(2)), (4, 3, 3));
        assert_eq!(cm.predicted_count(2), 0);
    }

    #[test]
    fn per_class_scores_by_hand() {
        let cm = never_predicted();
        assert_eq!(cm.accuracy(), 0.5);
        // class 0: p = 3/5, r = 3/4, F1 = 2·0.6·0.75 / 1.35 = 2/3
        assert_abs_diff_eq!(cm.precision(0), 0.6, epsilon = 1e-15);
        assert_abs_diff_eq!(cm.recall(0), 0.75, epsilon = 1e-15);
        assert_abs_diff_eq!(cm.f1(0), 2.0 / 3.0, epsilon = 1e-15);
        // class 1: p = 2/5, r = 2/3, F1 = (8/15) / (16/15) = 1/2
        assert_abs_diff_eq!(cm.precision(1), 0.4, epsilon = 1e-15);
        assert_abs_diff_eq!(cm.recall(1), 2.0 / 3.0, epsilon = 1e-15);
        assert_abs_diff_eq!(cm.f1(1), 0.5, epsilon = 1e-15);
        // class 2 is never predicted: every score is exactly 0, not NaN.
        assert_eq!((cm.precision(2), cm.recall(2), cm.f1(2)), (0.0, 0.0, 0.0));
    }

    #[test]
    fn macro_and_weighted_averages_by_hand() {
        let cm = never_predicted();
        let m = cm.macro_average();
        // p = (0.6 + 0.4 + 0) / 3, r = (3/4 + 2/3 + 0) / 3, F1 = (2/3 + 1/2 + 0) / 3
        assert_abs_diff_eq!(m.precision, 1.0 / 3.0, epsilon = 1e-15);
        assert_abs_diff_eq!(m.recall, 17.0 / 36.0, epsilon = 1e-15);
        assert_abs_diff_eq!(m.f1, 7.0 / 18.0, epsilon = 1e-15);
        let w = cm.weighted_average();
        // weights 4, 3, 3 over 10: p = (2.4 + 1.2) / 10, r = (3 + 2) / 10, F1 = (8/3 + 3/2) / 10
        assert_abs_diff_eq!(w.precision, 0.36, epsilon = 1e-15);
        assert_abs_diff_eq!(w.recall, 0.5, epsilon = 1e-15);
        assert_abs_diff_eq!(w.f1, 5.0 / 12.0, epsilon = 1e-15);
    }

    #[test]
    fn empty_matrix_scores_zero_not_nan() {
        let cm = ConfusionMatrix::new(2);
        assert_eq!(cm.accuracy(), 0.0);
        assert_eq!((cm.precision(1), cm.recall(1), cm.f1(1)), (0.0, 0.0, 0.0));
        let zero = Averages {
            precision: 0.0,
            recall: 0.0,
            f1: 0.0,
        };
        assert_eq!(cm.weighted_average(), zero);
        assert_eq!(ConfusionMatrix::new(0).macro_average(), zero);
    }

    #[test]
    fn add_matches_from_labels_and_rejects_bad_labels() {
        let mut cm = ConfusionMatrix::new(3);
        for (t, p) in [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
            .into_iter()
            .zip([0, 0, 1, 0, 1, 1, 0, 1, 0, 1])
        {
            cm.add(t, p).unwrap();
        }
        assert_eq!(cm, never_predicted());
        let err = cm.add(1, 3).unwrap_err();
        let expected = Error::LabelOutOfRange {
            role: LabelRole::Predicted,
            index: None,
            label: 3,
            n_classes: 3,
        };
        assert_eq!(err, expected);
        assert_eq!(cm, never_predicted());
    }

    #[test]
    fn from_labels_errors_name_the_values() {
        let err = ConfusionMatrix::from_labels(&[0, 1], &[0], 2).unwrap_err();
        assert_eq!(
            err,
            Error::LengthMismatch {
                n_truth: 2,
                n_predicted: 1
            }
        );
        assert_eq!(err.to_string(), "2 true labels but 1 predicted labels");
        let err = ConfusionMatrix::from_labels(&[0, 1, 7], &[0, 1, 1], 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "true label 7 at position 2 is not below 2 classes"
        );
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn count_out_of_range_panics() {
        let _ = ConfusionMatrix::new(2).count(2, 0);
    }
}
