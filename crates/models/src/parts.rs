//! Models taken apart into their layers and put back together: what a model file needs.
//!
//! `into_parts` gives a model's layers by value, bottom first, with the logistic layer;
//! `from_parts` rebuilds the model from such layers and a configuration. The configuration
//! is validated exactly as by the model's `new` (it supplies the training settings, should
//! the model be trained further); its `hidden_sizes` must be the layers' sizes. The layers
//! must stack: layer ℓ takes the n_out of layer ℓ − 1 as its n_in, and the logistic layer
//! the n_out of the top hidden layer (or the model's inputs when there is none).

use crate::config::{DbnConfig, MlpConfig, SdaConfig};
use crate::error::{Error, Result};
use crate::{Dbn, Mlp, Sda};
use layerwise_layers::{DenoisingAutoencoder, HiddenLayer, LogisticRegression, Rbm, Visible};
use layerwise_linalg::Float;
use rand::rngs::mock::StepRng;

impl<T: Float> Dbn<T> {
    /// A DBN from its RBMs (bottom first) and its logistic layer.
    ///
    /// # Errors
    /// [`Error::LayerMismatch`] for layers that do not stack; [`Error::InvalidConfig`]
    /// when `config.hidden_sizes` differs from the RBMs' hidden sizes, `config.visible`
    /// from the bottom RBM's visible units (those above must be Bernoulli), or a setting is
    /// invalid (as for [`Dbn::new`]).
    ///
    /// # Examples
    /// ```
    /// use layerwise_models::{Classifier, Dbn, DbnConfig};
    /// use layerwise_linalg::Matrix;
    /// use rand::SeedableRng;
    ///
    /// let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    /// let config = DbnConfig::default();
    /// let dbn = Dbn::<f32>::new(6, 3, &config, &mut rng).unwrap();
    /// let (rbms, logistic) = dbn.clone().into_parts();
    /// let again = Dbn::from_parts(rbms, logistic, &config).unwrap();
    /// assert_eq!(again, dbn);
    /// ```
    pub fn from_parts(
        rbms: Vec<Rbm<T>>,
        logistic: LogisticRegression<T>,
        config: &DbnConfig,
    ) -> Result<Self> {
        let hidden: Vec<&HiddenLayer<T>> = rbms.iter().map(Rbm::hidden_layer).collect();
        let n_inputs = check_parts(&hidden, &logistic, &config.hidden_sizes)?;
        for (l, rbm) in rbms.iter().enumerate() {
            let expected = if l == 0 {
                config.visible
            } else {
                Visible::Bernoulli
            };
            if rbm.visible() != expected {
                let value = format!("{} (layer {l} is {})", config.visible, rbm.visible());
                let expected = "the visible units of the bottom RBM, Bernoulli above it";
                return Err(invalid("visible", value, expected));
            }
        }
        let n_classes = logistic.n_classes();
        let mut dbn = Dbn::new(n_inputs, n_classes, config, &mut StepRng::new(0, 0))?;
        dbn.rbms = rbms;
        dbn.logistic = logistic;
        Ok(dbn)
    }

    /// The RBMs, bottom first, and the logistic layer.
    pub fn into_parts(self) -> (Vec<Rbm<T>>, LogisticRegression<T>) {
        (self.rbms, self.logistic)
    }
}

impl<T: Float> Sda<T> {
    /// An SDA from its denoising autoencoders (bottom first) and its logistic layer.
    ///
    /// Each autoencoder keeps its own decoder (tied or untied) and loss; they must be the
    /// ones `config.pretrain` names.
    ///
    /// # Errors
    /// [`Error::LayerMismatch`] for layers that do not stack; [`Error::InvalidConfig`]
    /// when `config.hidden_sizes`, `config.pretrain.decoder` or `config.pretrain.loss`
    /// differ from the layers' or a setting is invalid (as for [`Sda::new`]).
    pub fn from_parts(
        autoencoders: Vec<DenoisingAutoencoder<T>>,
        logistic: LogisticRegression<T>,
        config: &SdaConfig,
    ) -> Result<Self> {
        let hidden: Vec<&HiddenLayer<T>> = autoencoders
            .iter()
            .map(DenoisingAutoencoder::hidden_layer)
            .collect();
        let n_inputs = check_parts(&hidden, &logistic, &config.hidden_sizes)?;
        for (l, da) in autoencoders.iter().enumerate() {
            let p = &config.pretrain;
            if da.decoder() != p.decoder {
                let value = format!("{:?} (layer {l} is {:?})", p.decoder, da.decoder());
                let expected = "the decoder of every given autoencoder";
                return Err(invalid("pretrain.decoder", value, expected));
            }
            if da.loss_function() != p.loss {
                let value = format!("{:?} (layer {l} has {:?})", p.loss, da.loss_function());
                let expected = "the loss of every given autoencoder";
                return Err(invalid("pretrain.loss", value, expected));
            }
        }
        let n_classes = logistic.n_classes();
        let mut sda = Sda::new(n_inputs, n_classes, config, &mut StepRng::new(0, 0))?;
        sda.autoencoders = autoencoders;
        sda.logistic = logistic;
        Ok(sda)
    }

    /// The denoising autoencoders, bottom first, and the logistic layer.
    pub fn into_parts(self) -> (Vec<DenoisingAutoencoder<T>>, LogisticRegression<T>) {
        (self.autoencoders, self.logistic)
    }
}

impl<T: Float> Mlp<T> {
    /// An MLP from its hidden layers (bottom first, possibly none) and its logistic layer.
    ///
    /// # Errors
    /// [`Error::LayerMismatch`] for layers that do not stack; [`Error::InvalidConfig`]
    /// when `config.hidden_sizes` differs from the layers' sizes or a setting is invalid
    /// (as for [`Mlp::new`]).
    pub fn from_parts(
        hidden: Vec<HiddenLayer<T>>,
        logistic: LogisticRegression<T>,
        config: &MlpConfig,
    ) -> Result<Self> {
        let refs: Vec<&HiddenLayer<T>> = hidden.iter().collect();
        let n_inputs = check_parts(&refs, &logistic, &config.hidden_sizes)?;
        let n_classes = logistic.n_classes();
        let mut mlp = Mlp::new(n_inputs, n_classes, config, &mut StepRng::new(0, 0))?;
        mlp.hidden = hidden;
        mlp.logistic = logistic;
        Ok(mlp)
    }

    /// The hidden layers, bottom first, and the logistic layer.
    pub fn into_parts(self) -> (Vec<HiddenLayer<T>>, LogisticRegression<T>) {
        (self.hidden, self.logistic)
    }
}

/// Checks that the layers stack and have the configured sizes; returns the model's inputs.
fn check_parts<T: Float>(
    hidden: &[&HiddenLayer<T>],
    logistic: &LogisticRegression<T>,
    hidden_sizes: &[usize],
) -> Result<usize> {
    let sizes: Vec<usize> = hidden.iter().map(|h| h.n_out()).collect();
    if sizes != hidden_sizes {
        let value = format!("{hidden_sizes:?} (the layers have {sizes:?})");
        return Err(invalid(
            "hidden_sizes",
            value,
            "the sizes of the given layers",
        ));
    }
    let n_inputs = hidden.first().map_or(logistic.n_in(), |h| h.n_in());
    let mut below = n_inputs;
    let n_ins = hidden.iter().map(|h| (h.n_in(), h.n_out()));
    for (layer, (n_in, n_out)) in n_ins.chain([(logistic.n_in(), 0)]).enumerate() {
        if n_in != below {
            return Err(Error::LayerMismatch {
                layer,
                expected: below,
                found: n_in,
            });
        }
        below = n_out;
    }
    Ok(n_inputs)
}

fn invalid(name: &'static str, value: String, expected: &'static str) -> Error {
    Error::InvalidConfig {
        name,
        value,
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Classifier, DecoderWeights, Loss};
    use layerwise_linalg::Matrix;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(5)
    }

    fn sizes(hidden: &[usize]) -> MlpConfig {
        MlpConfig {
            hidden_sizes: hidden.to_vec(),
            ..MlpConfig::default()
        }
    }

    #[test]
    fn every_model_survives_into_parts_and_from_parts() {
        let x = Matrix::from_fn(4, 6, |i, j| ((i * 6 + j) as f64 * 0.3).sin().abs());
        let dbn = Dbn::<f64>::new(6, 3, &DbnConfig::default(), &mut rng()).unwrap();
        let (rbms, top) = dbn.clone().into_parts();
        let again = Dbn::from_parts(rbms, top, &DbnConfig::default()).unwrap();
        assert_eq!(again, dbn);

        let mut config = SdaConfig::default();
        config.pretrain.decoder = DecoderWeights::Untied;
        let sda = Sda::<f64>::new(6, 3, &config, &mut rng()).unwrap();
        let (das, top) = sda.clone().into_parts();
        let again = Sda::from_parts(das, top, &config).unwrap();
        assert_eq!(again, sda);

        let mlp = Mlp::<f64>::new(6, 3, &sizes(&[]), &mut rng()).unwrap();
        let (hidden, top) = mlp.clone().into_parts();
        let again = Mlp::from_parts(hidden, top, &sizes(&[])).unwrap();
        assert_eq!(
            again.predict_proba(&x).unwrap(),
            mlp.predict_proba(&x).unwrap()
        );
    }

    #[test]
    fn layers_that_do_not_stack_are_named() {
        let mut r = rng();
        let h0 = HiddenLayer::<f32>::new(6, 5, &mut r).unwrap();
        let h1 = HiddenLayer::<f32>::new(4, 3, &mut r).unwrap();
        let top = LogisticRegression::new(3, 2).unwrap();
        let err = Mlp::from_parts(vec![h0.clone(), h1], top, &sizes(&[5, 3])).unwrap_err();
        let expected = Error::LayerMismatch {
            layer: 1,
            expected: 5,
            found: 4,
        };
        assert_eq!(err, expected);
        assert_eq!(
            err.to_string(),
            "layer 1 takes 4 inputs, the layer below gives 5"
        );

        let top = LogisticRegression::new(7, 2).unwrap();
        let err = Mlp::from_parts(vec![h0], top, &sizes(&[5])).unwrap_err();
        assert!(
            matches!(err, Error::LayerMismatch { layer: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn configured_sizes_and_options_must_be_the_layers() {
        let mut r = rng();
        let h0 = HiddenLayer::<f32>::new(6, 5, &mut r).unwrap();
        let top = LogisticRegression::new(5, 2).unwrap();
        let err = Mlp::from_parts(vec![h0.clone()], top.clone(), &sizes(&[4])).unwrap_err();
        assert!(
            err.to_string().contains("[4] (the layers have [5])"),
            "{err}"
        );

        let da = DenoisingAutoencoder::from_parts(h0, vec![0.0; 6]).with_loss(Loss::SquaredError);
        let config = SdaConfig {
            hidden_sizes: vec![5],
            ..SdaConfig::default()
        };
        let err = Sda::from_parts(vec![da], top, &config).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidConfig {
                    name: "pretrain.loss",
                    ..
                }
            ),
            "{err}"
        );
    }
}
