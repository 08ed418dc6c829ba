//! Feature scaling: chosen explicitly, fitted on the training rows only, saved with the
//! model and applied identically to every row the model sees later.
//!
//! Every method maps feature j of a row by x′ⱼ = (xⱼ − oⱼ) / sⱼ, computed in f64, then
//! rounded to the model's float type:
//!
//! | [`ScalingSpec`] | oⱼ | sⱼ |
//! |---|---|---|
//! | `none` | 0 | 1 (the values are kept) |
//! | `divide:C` | 0 | C |
//! | `min-max` | minⱼ | maxⱼ − minⱼ (1 when that is 0) |
//! | `standardise` | meanⱼ | standard deviation σⱼ (population, 1 when σⱼ = 0) |
//!
//! Min–max maps the training rows into [0, 1]; later rows may fall outside it (they are not
//! clipped).

use crate::error::{Error, Result};
use layerwise_linalg::{Float, Matrix};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A scaling method, before it is fitted.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ScalingSpec {
    /// The values as they are.
    None,
    /// Each value divided by this constant, e.g. 255 for bytes.
    Divide(f64),
    /// Each feature mapped to [0, 1] by the training rows' minimum and maximum.
    MinMax,
    /// Each feature to mean 0 and standard deviation 1 over the training rows.
    Standardise,
}

impl std::str::FromStr for ScalingSpec {
    type Err = String;

    /// `none`, `divide:C` (C finite and non-zero), `min-max` or `standardise` (also
    /// spelt `standardize`).
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let expected = "expected none, divide:C, min-max or standardise";
        match s {
            "none" => Ok(ScalingSpec::None),
            "min-max" => Ok(ScalingSpec::MinMax),
            "standardise" | "standardize" => Ok(ScalingSpec::Standardise),
            _ => {
                let Some(c) = s.strip_prefix("divide:") else {
                    return Err(format!("unknown scaling {s:?}: {expected}"));
                };
                match c.parse::<f64>() {
                    Ok(c) if c.is_finite() && c != 0.0 => Ok(ScalingSpec::Divide(c)),
                    _ => Err(format!(
                        "{s:?}: the divisor must be a finite non-zero number"
                    )),
                }
            }
        }
    }
}

impl fmt::Display for ScalingSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScalingSpec::None => f.write_str("none"),
            ScalingSpec::Divide(c) => write!(f, "divide:{c}"),
            ScalingSpec::MinMax => f.write_str("min-max"),
            ScalingSpec::Standardise => f.write_str("standardise"),
        }
    }
}

impl TryFrom<String> for ScalingSpec {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Self, String> {
        s.parse()
    }
}

impl From<ScalingSpec> for String {
    fn from(s: ScalingSpec) -> String {
        s.to_string()
    }
}

/// A fitted scaling: what the model file stores and every later row goes through.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Scaler {
    /// The values as they are.
    None,
    /// x′ = x / divisor.
    Divide {
        /// The constant.
        divisor: f64,
    },
    /// x′ⱼ = (xⱼ − offsetⱼ) / scaleⱼ with the training minimum and range.
    MinMax {
        /// minⱼ, one per feature.
        offset: Vec<f64>,
        /// maxⱼ − minⱼ, or 1 where that is 0.
        scale: Vec<f64>,
    },
    /// x′ⱼ = (xⱼ − offsetⱼ) / scaleⱼ with the training mean and standard deviation.
    Standardise {
        /// meanⱼ, one per feature.
        offset: Vec<f64>,
        /// σⱼ, or 1 where that is 0.
        scale: Vec<f64>,
    },
}

impl Scaler {
    /// Fits `spec` on the training rows x `(n_samples, n_features)`.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] when a per-feature method is asked to fit no rows.
    pub fn fit<T: Float>(spec: ScalingSpec, x: &Matrix<T>) -> Result<Scaler> {
        let per_feature = matches!(spec, ScalingSpec::MinMax | ScalingSpec::Standardise);
        if per_feature && x.rows() == 0 {
            return Err(Error::InvalidSetting {
                name: "data.scaling",
                value: spec.to_string(),
                expected: "training rows to fit it on".into(),
            });
        }
        Ok(match spec {
            ScalingSpec::None => Scaler::None,
            ScalingSpec::Divide(divisor) => Scaler::Divide { divisor },
            ScalingSpec::MinMax => {
                let (offset, scale) = min_and_range(x);
                Scaler::MinMax { offset, scale }
            }
            ScalingSpec::Standardise => {
                let (offset, scale) = mean_and_std(x);
                Scaler::Standardise { offset, scale }
            }
        })
    }

    /// The features it was fitted on, for the per-feature methods.
    pub fn n_features(&self) -> Option<usize> {
        match self {
            Scaler::MinMax { offset, .. } | Scaler::Standardise { offset, .. } => {
                Some(offset.len())
            }
            _ => None,
        }
    }

    /// x ← the scaled x, in place, `(n_samples, n_features)`.
    ///
    /// # Errors
    /// [`Error::InvalidSetting`] when x has another number of features than the scaler
    /// was fitted on.
    pub fn apply<T: Float>(&self, x: &mut Matrix<T>) -> Result<()> {
        if let Some(n) = self.n_features().filter(|&n| n != x.cols()) {
            return Err(Error::InvalidSetting {
                name: "scaling",
                value: format!("{self}"),
                expected: format!("data of {n} features, not {}", x.cols()),
            });
        }
        let scale = |v: T, o: f64, s: f64| T::from_f64((v.to_f64() - o) / s);
        match self {
            Scaler::None => {}
            Scaler::Divide { divisor } => x.map_inplace(|v| scale(v, 0.0, *divisor)),
            Scaler::MinMax { offset, scale: s } | Scaler::Standardise { offset, scale: s } => {
                for i in 0..x.rows() {
                    let row = x.row_mut(i);
                    for ((v, &o), &s) in row.iter_mut().zip(offset).zip(s) {
                        *v = scale(*v, o, s);
                    }
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for Scaler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scaler::None => f.write_str("none"),
            Scaler::Divide { divisor } => write!(f, "divide by {divisor}"),
            Scaler::MinMax { offset, .. } => {
                write!(
                    f,
                    "min-max over {} features (fitted on training rows)",
                    offset.len()
                )
            }
            Scaler::Standardise { offset, .. } => {
                let n = offset.len();
                write!(f, "standardise {n} features (fitted on training rows)")
            }
        }
    }
}

/// Per-feature minimum and range (1 where the range is 0).
fn min_and_range<T: Float>(x: &Matrix<T>) -> (Vec<f64>, Vec<f64>) {
    let mut min = vec![f64::INFINITY; x.cols()];
    let mut max = vec![f64::NEG_INFINITY; x.cols()];
    for i in 0..x.rows() {
        for (j, &v) in x.row(i).iter().enumerate() {
            min[j] = min[j].min(v.to_f64());
            max[j] = max[j].max(v.to_f64());
        }
    }
    let range = min
        .iter()
        .zip(&max)
        .map(|(lo, hi)| nonzero(hi - lo))
        .collect();
    (min, range)
}

/// Per-feature mean and population standard deviation (1 where that is 0).
fn mean_and_std<T: Float>(x: &Matrix<T>) -> (Vec<f64>, Vec<f64>) {
    let n = x.rows() as f64;
    let mut mean = vec![0.0; x.cols()];
    for i in 0..x.rows() {
        for (m, &v) in mean.iter_mut().zip(x.row(i)) {
            *m += v.to_f64();
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);

    // two passes: Σ (x − mean)² is exact enough where Σ x² − n mean² cancels
    let mut var = vec![0.0; x.cols()];
    for i in 0..x.rows() {
        for ((s, &v), m) in var.iter_mut().zip(x.row(i)).zip(&mean) {
            *s += (v.to_f64() - m).powi(2);
        }
    }
    let std = var.iter().map(|s| nonzero((s / n).sqrt())).collect();
    (mean, std)
}

fn nonzero(s: f64) -> f64 {
    if s == 0.0 {
        1.0
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: &[[f64; 2]]) -> Matrix<f64> {
        Matrix::from_vec(rows.len(), 2, rows.concat()).unwrap()
    }

    #[test]
    fn specs_parse_and_print_back() {
        for s in ["none", "divide:255", "min-max", "standardise"] {
            assert_eq!(s.parse::<ScalingSpec>().unwrap().to_string(), s);
        }
        assert_eq!("standardize".parse(), Ok(ScalingSpec::Standardise));
        assert!("divide:0".parse::<ScalingSpec>().is_err());
        assert!("log"
            .parse::<ScalingSpec>()
            .unwrap_err()
            .contains("\"log\""));
    }

    #[test]
    fn min_max_is_fitted_on_the_training_rows_and_applied_as_fitted() {
        let train = matrix(&[[0.0, 5.0], [10.0, 5.0], [5.0, 5.0]]);
        let scaler = Scaler::fit(ScalingSpec::MinMax, &train).unwrap();
        let mut test = matrix(&[[20.0, 5.0], [-10.0, 6.0]]);
        scaler.apply(&mut test).unwrap();
        // the test rows use the training range: 20 → 2, −10 → −1; a constant feature → 0
        assert_eq!(test.as_slice(), &[2.0, 0.0, -1.0, 1.0]);
        let mut again = train.clone();
        scaler.apply(&mut again).unwrap();
        assert_eq!(again.as_slice(), &[0.0, 0.0, 1.0, 0.0, 0.5, 0.0]);
    }

    #[test]
    fn standardise_gives_zero_mean_unit_deviation_on_training_rows_only() {
        let train = matrix(&[[1.0, 2.0], [3.0, 2.0]]);
        let scaler = Scaler::fit(ScalingSpec::Standardise, &train).unwrap();
        let Scaler::Standardise { offset, scale } = &scaler else {
            panic!("{scaler:?}")
        };
        assert_eq!(
            (offset.as_slice(), scale.as_slice()),
            (&[2.0, 2.0][..], &[1.0, 1.0][..])
        );
        let mut test = matrix(&[[5.0, 4.0]]);
        scaler.apply(&mut test).unwrap();
        assert_eq!(test.as_slice(), &[3.0, 2.0]);
    }

    #[test]
    fn a_saved_scaler_reads_back_exactly_and_checks_the_width() {
        let train = Matrix::from_fn(7, 2, |i, j| (i as f64 * 0.1 + j as f64).sin() / 3.0);
        let scaler = Scaler::fit(ScalingSpec::Standardise, &train).unwrap();
        let json = serde_json::to_string(&scaler).unwrap();
        assert!(json.starts_with("{\"method\":\"standardise\""), "{json}");
        assert_eq!(serde_json::from_str::<Scaler>(&json).unwrap(), scaler);
        let mut wide = Matrix::<f32>::zeros(1, 3);
        assert!(scaler.apply(&mut wide).is_err());
        let mut x = Matrix::filled(1, 1, 510.0_f32);
        Scaler::Divide { divisor: 255.0 }.apply(&mut x).unwrap();
        assert_eq!(x.as_slice(), &[2.0]);
    }
}
