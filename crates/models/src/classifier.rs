//! [`Classifier`]: prediction, shared by every model that ends in a logistic layer.

use crate::error::Result;
use crate::history::Validation;
use crate::stack::{check_dataset, check_features, evaluate, forward_means};
use layerwise_data::Dataset;
use layerwise_layers::{argmax_rows, HiddenLayer, LogisticRegression};
use layerwise_linalg::{Float, Matrix};

/// A stack of sigmoid layers under a softmax layer, seen as a classifier.
///
/// Implementors provide their layers; prediction comes with the trait.
pub trait Classifier<T: Float> {
    /// The hidden layers, bottom first.
    fn hidden_layers(&self) -> Vec<&HiddenLayer<T>>;

    /// The softmax output layer.
    fn logistic(&self) -> &LogisticRegression<T>;

    /// Number of input features.
    fn n_inputs(&self) -> usize {
        match self.hidden_layers().first() {
            Some(h) => h.n_in(),
            None => self.logistic().n_in(),
        }
    }

    /// Number of classes.
    fn n_classes(&self) -> usize {
        self.logistic().n_classes()
    }

    /// Class probabilities: `(n_samples, n_inputs) → (n_samples, n_classes)`, mean
    /// activations throughout.
    ///
    /// # Errors
    /// [`crate::Error::FeatureMismatch`] when `x.cols() ≠ n_inputs`.
    fn predict_proba(&self, x: &Matrix<T>) -> Result<Matrix<T>> {
        check_features(x, self.n_inputs())?;
        Ok(self
            .logistic()
            .probabilities(&forward_means(&self.hidden_layers(), x)))
    }

    /// The most probable class of each row of x `(n_samples, n_inputs)`.
    ///
    /// # Errors
    /// [`crate::Error::FeatureMismatch`] when `x.cols() ≠ n_inputs`.
    fn predict(&self, x: &Matrix<T>) -> Result<Vec<usize>> {
        Ok(argmax_rows(&self.predict_proba(x)?))
    }

    /// Mean cross-entropy and accuracy on a labelled data set.
    ///
    /// # Errors
    /// [`crate::Error::FeatureMismatch`] or [`crate::Error::ClassMismatch`] when the data set
    /// does not fit the model.
    fn evaluate(&self, data: &Dataset<T>) -> Result<Validation> {
        check_dataset(data, self.n_inputs(), self.n_classes())?;
        Ok(evaluate(&self.hidden_layers(), self.logistic(), data))
    }
}
