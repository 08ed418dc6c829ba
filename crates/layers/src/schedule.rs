//! Learning-rate schedules: how η changes from one epoch to the next.
//!
//! For an initial rate η₀ and the epoch e (from 0):
//! - [`LrSchedule::Constant`]: η_e = η₀;
//! - [`LrSchedule::Exponential`]: η_e = η₀ · decayᵉ;
//! - [`LrSchedule::Step`]: η_e = η₀ · factor^⌊e / every⌋.
//!
//! Powers are taken by repeated multiplication, epoch after epoch, so η_e is bit for bit the
//! rate of a loop that multiplies η by `decay` after every epoch.

use crate::error::{Error, Result};

/// How the learning rate changes with the epoch; validated by [`LrSchedule::validate`].
///
/// # Examples
/// ```
/// use layerwise_layers::LrSchedule;
///
/// let step = LrSchedule::Step { every: 2, factor: 0.5 };
/// step.validate().unwrap();
/// let rates: Vec<f64> = (0..5).map(|e| step.learning_rate(0.1, e)).collect();
/// assert_eq!(rates, [0.1, 0.1, 0.05, 0.05, 0.025]);
/// assert!(LrSchedule::Exponential { decay: 1.5 }.validate().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum LrSchedule {
    /// η_e = η₀ for every epoch. The default.
    #[default]
    Constant,
    /// η_e = η₀ · decayᵉ, decay in (0, 1].
    Exponential {
        /// The factor applied after each epoch.
        decay: f64,
    },
    /// η_e = η₀ · factor^⌊e / every⌋: the rate drops by `factor` every `every` epochs.
    Step {
        /// Epochs between drops, at least 1.
        every: usize,
        /// The factor of each drop, in (0, 1].
        factor: f64,
    },
}

impl LrSchedule {
    /// Checks the schedule's parameters: a factor in (0, 1], a step of at least one epoch.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the bad parameter and its value.
    pub fn validate(&self) -> Result<()> {
        match *self {
            LrSchedule::Constant => Ok(()),
            LrSchedule::Exponential { decay } => check_factor("schedule.decay", decay),
            LrSchedule::Step { every, factor } => {
                if every == 0 {
                    return Err(Error::InvalidHyperparameter {
                        name: "schedule.every",
                        value: 0.0,
                        expected: "at least 1 epoch",
                    });
                }
                check_factor("schedule.factor", factor)
            }
        }
    }

    /// η_e for the initial rate η₀ = `initial` at epoch `epoch` (from 0).
    pub fn learning_rate(&self, initial: f64, epoch: usize) -> f64 {
        let (factor, times) = match *self {
            LrSchedule::Constant => return initial,
            LrSchedule::Exponential { decay } => (decay, epoch),
            LrSchedule::Step { every, factor } => (factor, epoch / every.max(1)),
        };
        (0..times).fold(initial, |rate, _| rate * factor)
    }
}

/// `Ok(())` when `value` is a factor in (0, 1].
fn check_factor(name: &'static str, value: f64) -> Result<()> {
    if value > 0.0 && value <= 1.0 {
        Ok(())
    } else {
        Err(Error::InvalidHyperparameter {
            name,
            value,
            expected: "a factor in (0, 1]",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_decay_is_the_per_epoch_product() {
        let s = LrSchedule::Exponential { decay: 0.98 };
        let mut rate = 0.15;
        for epoch in 0..50 {
            assert_eq!(s.learning_rate(0.15, epoch), rate, "epoch {epoch}");
            rate *= 0.98;
        }
    }

    #[test]
    fn constant_and_step_schedules() {
        assert_eq!(LrSchedule::Constant.learning_rate(0.3, 99), 0.3);
        let s = LrSchedule::Step {
            every: 3,
            factor: 0.1,
        };
        assert_eq!(s.learning_rate(1.0, 2), 1.0);
        assert_eq!(s.learning_rate(1.0, 3), 0.1);
        assert_eq!(s.learning_rate(1.0, 6), 0.1 * 0.1);
    }

    #[test]
    fn bad_schedules_are_named() {
        let e = LrSchedule::Step {
            every: 0,
            factor: 0.5,
        };
        assert!(e.validate().unwrap_err().to_string().contains("every"));
        let f = LrSchedule::Step {
            every: 1,
            factor: 0.0,
        };
        assert!(f.validate().unwrap_err().to_string().contains("factor = 0"));
        let nan = LrSchedule::Exponential { decay: f64::NAN };
        assert!(nan.validate().is_err());
    }
}
