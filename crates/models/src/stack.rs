//! What DBN, SDA and MLP share: a stack of sigmoid layers under a logistic layer, its
//! forward pass, its backpropagation, and the greedy pretraining loop.
//!
//! Shapes: x `(n_samples, n_inputs)`; hidden layer ℓ maps `(n_samples, n_ℓ₋₁)` to
//! `(n_samples, n_ℓ)`; the logistic layer ends with `(n_samples, n_classes)`.

use crate::config::{CheckedFinetune, FinetuneMode, Propagation};
use crate::error::{Error, Result};
use crate::history::{FinetuneEpoch, PretrainEpoch, Validation};
use layerwise_data::{minibatches, shuffled_indices, Dataset};
use layerwise_layers::{argmax_rows, HiddenLayer, LogisticRegression};
use layerwise_linalg::{Float, Matrix};
use rand::Rng;

/// A layer that greedy pretraining can train and that then serves as a hidden layer.
pub(crate) trait Pretrainable<T: Float> {
    /// The validated per-step hyperparameters.
    type Params;

    /// One training step on a minibatch; returns its error before the step.
    fn train_step<R: Rng + ?Sized>(&mut self, x: &Matrix<T>, p: &Self::Params, rng: &mut R) -> T;

    /// The weights and hidden bias as a sigmoid layer.
    fn hidden(&self) -> &HiddenLayer<T>;
}

/// Greedy layer-wise pretraining: layer ℓ learns from the data propagated through layers
/// 0..ℓ, which are already trained.
pub(crate) fn pretrain_stack<T, L, R, F>(
    layers: &mut [L],
    params: &L::Params,
    data: &Matrix<T>,
    schedule: (usize, usize, Propagation),
    rng: &mut R,
    on_epoch: &mut F,
) -> Result<Vec<PretrainEpoch>>
where
    T: Float,
    L: Pretrainable<T>,
    R: Rng + ?Sized,
    F: FnMut(&PretrainEpoch),
{
    let (epochs, batch_size, propagation) = schedule;
    let mut history = Vec::with_capacity(epochs * layers.len());
    for l in 0..layers.len() {
        let (below, rest) = layers.split_at_mut(l);
        let below: Vec<&HiddenLayer<T>> = below.iter().map(|b| b.hidden()).collect();
        let means = (propagation == Propagation::Mean).then(|| forward_means(&below, data));
        for epoch in 0..epochs {
            let order = shuffled_indices(data.rows(), rng);
            let mut total = 0.0;
            for idx in minibatches(&order, batch_size) {
                let x = match &means {
                    Some(m) => m.select_rows(idx),
                    None => forward_samples(&below, data.select_rows(idx), rng),
                };
                total += rest[0].train_step(&x, params, rng).to_f64() * idx.len() as f64;
            }
            let error = total / data.rows().max(1) as f64;
            if !error.is_finite() {
                return Err(Error::NonFinite {
                    phase: "pretraining",
                    layer: Some(l),
                    epoch,
                });
            }
            let record = PretrainEpoch {
                layer: l,
                epoch,
                error,
            };
            on_epoch(&record);
            history.push(record);
        }
    }
    Ok(history)
}

/// Mean activations of the top of `layers` for input x (x itself when `layers` is empty).
pub(crate) fn forward_means<T: Float>(layers: &[&HiddenLayer<T>], x: &Matrix<T>) -> Matrix<T> {
    let mut h = x.clone();
    for layer in layers {
        h = layer.forward(&h);
    }
    h
}

/// Binary samples drawn layer after layer, each from p(h | the sample below).
fn forward_samples<T: Float, R: Rng + ?Sized>(
    layers: &[&HiddenLayer<T>],
    x: Matrix<T>,
    rng: &mut R,
) -> Matrix<T> {
    let mut h = x;
    for layer in layers {
        h = layer.forward_sample(&h, rng);
    }
    h
}

/// The classifier view of a model: its hidden layers (mutable) and its logistic layer.
pub(crate) struct Classifier<'a, T> {
    pub(crate) hidden: Vec<&'a mut HiddenLayer<T>>,
    pub(crate) top: &'a mut LogisticRegression<T>,
}

impl<T: Float> Classifier<'_, T> {
    fn hidden_refs(&self) -> Vec<&HiddenLayer<T>> {
        self.hidden.iter().map(|h| &**h).collect()
    }

    /// Minibatch gradient descent on the softmax cross-entropy, with per-epoch decay, after
    /// checking that both data sets fit the network.
    pub(crate) fn finetune<R, F>(
        &mut self,
        train: &Dataset<T>,
        validation: Option<&Dataset<T>>,
        cfg: &CheckedFinetune,
        rng: &mut R,
        on_epoch: &mut F,
    ) -> Result<Vec<FinetuneEpoch>>
    where
        R: Rng + ?Sized,
        F: FnMut(&FinetuneEpoch),
    {
        let n_inputs = self.hidden.first().map_or(self.top.n_in(), |h| h.n_in());
        check_dataset(train, n_inputs, self.top.n_classes())?;
        if let Some(v) = validation {
            check_dataset(v, n_inputs, self.top.n_classes())?;
        }

        // frozen features are computed once when only the top layer learns
        let frozen = (cfg.mode == FinetuneMode::TopOnly)
            .then(|| forward_means(&self.hidden_refs(), train.features()));
        let mut history = Vec::with_capacity(cfg.epochs);
        let mut learning_rate = cfg.learning_rate;
        for epoch in 0..cfg.epochs {
            let order = shuffled_indices(train.n_samples(), rng);
            let mut total = 0.0;
            for idx in minibatches(&order, cfg.batch_size) {
                let labels: Vec<usize> = idx.iter().map(|&i| train.labels()[i]).collect();
                let eta = T::from_f64(learning_rate);
                let loss = match &frozen {
                    Some(features) => {
                        self.top
                            .train_batch(&features.select_rows(idx), &labels, eta)
                    }
                    None => self.backprop_step(&train.features().select_rows(idx), &labels, eta),
                };
                total += loss.to_f64() * idx.len() as f64;
            }
            let train_loss = total / train.n_samples().max(1) as f64;
            if !train_loss.is_finite() {
                return Err(Error::NonFinite {
                    phase: "fine-tuning",
                    layer: None,
                    epoch,
                });
            }
            let validation = validation.map(|v| self.evaluate(v));
            let record = FinetuneEpoch {
                epoch,
                learning_rate,
                train_loss,
                validation,
            };
            on_epoch(&record);
            history.push(record);
            learning_rate *= cfg.lr_decay;
        }
        Ok(history)
    }

    /// One step of backpropagation through the logistic layer and every hidden layer.
    fn backprop_step(&mut self, x: &Matrix<T>, labels: &[usize], eta: T) -> T {
        // forward with mean activations, keeping every layer's output
        let mut outputs = Vec::with_capacity(self.hidden.len() + 1);
        outputs.push(x.clone());
        for layer in &self.hidden {
            let h = layer.forward(outputs.last().expect("input is pushed first"));
            outputs.push(h);
        }
        let top_input = outputs.last().expect("input is pushed first");
        let probs = self.top.probabilities(top_input);
        let loss = LogisticRegression::cross_entropy(&probs, labels);

        // backward: each layer's input gradient is taken before its own update
        let (grads, mut upstream) = self.top.backward(top_input, &probs, labels, true);
        self.top.apply(&grads, eta);
        for l in (0..self.hidden.len()).rev() {
            let grad_output = upstream.take().expect("requested from the layer above");
            let (g, grad_input) =
                self.hidden[l].backward(&outputs[l], &outputs[l + 1], &grad_output, l > 0);
            self.hidden[l].apply(&g, eta);
            upstream = grad_input;
        }
        loss
    }

    /// Loss and accuracy on a data set.
    fn evaluate(&self, data: &Dataset<T>) -> Validation {
        evaluate(&self.hidden_refs(), self.top, data)
    }
}

/// Mean cross-entropy and accuracy of a stack on a data set.
pub(crate) fn evaluate<T: Float>(
    hidden: &[&HiddenLayer<T>],
    top: &LogisticRegression<T>,
    data: &Dataset<T>,
) -> Validation {
    let probs = top.probabilities(&forward_means(hidden, data.features()));
    let loss = LogisticRegression::cross_entropy(&probs, data.labels()).to_f64();
    let predicted = argmax_rows(&probs);
    let correct = predicted
        .iter()
        .zip(data.labels())
        .filter(|(p, y)| p == y)
        .count();
    Validation {
        loss,
        accuracy: correct as f64 / data.n_samples().max(1) as f64,
    }
}

/// Checks that a data set fits a model's input and output sizes.
pub(crate) fn check_dataset<T: Float>(
    data: &Dataset<T>,
    n_inputs: usize,
    n_classes: usize,
) -> Result<()> {
    check_features(data.features(), n_inputs)?;
    if data.n_classes() != n_classes {
        return Err(Error::ClassMismatch {
            expected: n_classes,
            found: data.n_classes(),
        });
    }
    Ok(())
}

/// Checks that a feature matrix has the model's number of columns.
pub(crate) fn check_features<T: Float>(x: &Matrix<T>, n_inputs: usize) -> Result<()> {
    if x.cols() != n_inputs {
        return Err(Error::FeatureMismatch {
            expected: n_inputs,
            found: x.cols(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    struct Net {
        hidden: Vec<HiddenLayer<f64>>,
        top: LogisticRegression<f64>,
    }

    impl Net {
        fn new(rng: &mut ChaCha8Rng) -> Self {
            let mut hidden = Vec::new();
            for (n_in, n_out) in [(5, 4), (4, 3)] {
                let h = HiddenLayer::new(n_in, n_out, rng).unwrap();
                let w = h.weights().map(|w| w * 3.0 * n_in as f64);
                let b = (0..n_out).map(|j| 0.1 * j as f64 - 0.1).collect();
                hidden.push(HiddenLayer::from_parts(w, b));
            }
            // a non-zero top layer, trained a few steps from its zero start
            let mut top = LogisticRegression::new(3, 3).unwrap();
            let feats = Matrix::from_fn(6, 3, |i, j| ((i + 2 * j) as f64).sin());
            for _ in 0..5 {
                top.train_batch(&feats, &[0, 1, 2, 0, 1, 2], 1.0);
            }
            Net { hidden, top }
        }

        /// Every parameter, hidden layers first then the top layer, weights before biases.
        fn params(&self) -> Vec<f64> {
            let mut p = Vec::new();
            for h in &self.hidden {
                p.extend_from_slice(h.weights().as_slice());
                p.extend_from_slice(h.bias());
            }
            p.extend_from_slice(self.top.weights().as_slice());
            p.extend_from_slice(self.top.bias());
            p
        }

        fn loss(&self, data: &Dataset<f64>) -> f64 {
            let hidden: Vec<&HiddenLayer<f64>> = self.hidden.iter().collect();
            evaluate(&hidden, &self.top, data).loss
        }

        fn step(&mut self, data: &Dataset<f64>, eta: f64) -> f64 {
            let mut c = Classifier {
                hidden: self.hidden.iter_mut().collect(),
                top: &mut self.top,
            };
            c.backprop_step(data.features(), data.labels(), eta)
        }
    }

    /// Adds `h` to parameter number `idx` (in `Net::params` order) of a fresh copy.
    fn nudged(net: &Net, idx: usize, h: f64) -> Net {
        let mut p = net.params();
        p[idx] += h;
        let mut at = 0;
        let mut take = |n: usize| {
            at += n;
            p[at - n..at].to_vec()
        };
        let hidden = net
            .hidden
            .iter()
            .map(|l| {
                let w = Matrix::from_vec(l.n_out(), l.n_in(), take(l.n_in() * l.n_out())).unwrap();
                HiddenLayer::from_parts(w, take(l.n_out()))
            })
            .collect();
        let (k, n) = (net.top.n_classes(), net.top.n_in());
        let w = Matrix::from_vec(k, n, take(k * n)).unwrap();
        let top = LogisticRegression::from_parts(w, take(k));
        Net { hidden, top }
    }

    #[test]
    fn backpropagation_through_the_stack_matches_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let net = Net::new(&mut rng);
        let x = Matrix::from_fn(7, 5, |i, j| ((i * 5 + j) as f64 * 0.43).cos().abs());
        let data = Dataset::new(x, vec![0, 1, 2, 2, 1, 0, 1], 3).unwrap();

        // the update is −η ∂L/∂θ, so ∂L/∂θ = (θ_before − θ_after) / η
        let before = net.params();
        let mut stepped = Net {
            hidden: net.hidden.clone(),
            top: net.top.clone(),
        };
        let eta = 1e-3;
        let loss = stepped.step(&data, eta);
        approx::assert_relative_eq!(loss, net.loss(&data), epsilon = 1e-12);
        let after = stepped.params();

        let h = 1e-6;
        for idx in 0..before.len() {
            let grad = (before[idx] - after[idx]) / eta;
            let fd =
                (nudged(&net, idx, h).loss(&data) - nudged(&net, idx, -h).loss(&data)) / (2.0 * h);
            approx::assert_abs_diff_eq!(grad, fd, epsilon = 1e-7);
        }
    }

    #[test]
    fn thirteen_rows_with_minibatch_ten_train_on_two_minibatches() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut net = Net::new(&mut rng);
        let x = Matrix::from_fn(13, 5, |i, j| ((i + j) % 2) as f64);
        let labels = (0..13).map(|i| i % 3).collect();
        let data = Dataset::new(x, labels, 3).unwrap();
        let cfg = CheckedFinetune {
            epochs: 2,
            learning_rate: 0.1,
            lr_decay: 0.5,
            batch_size: 10,
            mode: FinetuneMode::Full,
        };
        let mut c = Classifier {
            hidden: net.hidden.iter_mut().collect(),
            top: &mut net.top,
        };
        let history = c
            .finetune(&data, Some(&data), &cfg, &mut rng, &mut |_| {})
            .unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[1].learning_rate, 0.05);
        assert!(history.iter().all(|e| e.train_loss.is_finite()));
    }
}
