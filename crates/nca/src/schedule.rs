//! Learning-rate schedules: constant, piecewise constant (the papers' steps), linear and
//! exponential decay. Serialisable so a run's config records the schedule it used.

use serde::{Deserialize, Serialize};

use crate::error::{NcaError, Result};

/// A learning rate as a function of the (0-based) optimisation step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LrSchedule {
    /// Always `lr`.
    Constant {
        /// The learning rate.
        lr: f64,
    },
    /// `lr × factors[i]` from step `boundaries[i]` on (e.g. ×0.1 at 30k, ×0.01 at 70k).
    Piecewise {
        /// The initial learning rate.
        lr: f64,
        /// Steps where the factor changes, increasing.
        boundaries: Vec<usize>,
        /// The factor from each boundary on (same length as `boundaries`).
        factors: Vec<f64>,
    },
    /// Linear from `from` to `to` over `steps` steps, then `to`.
    LinearDecay {
        /// Start value.
        from: f64,
        /// End value.
        to: f64,
        /// Length of the ramp in steps.
        steps: usize,
    },
    /// `lr × rate^(step / every)` (continuous).
    ExponentialDecay {
        /// The initial learning rate.
        lr: f64,
        /// The factor per `every` steps.
        rate: f64,
        /// The decay period in steps.
        every: usize,
    },
}

impl LrSchedule {
    /// `lr`, divided by ten at each step of `at` (increasing): the papers' step schedules.
    pub fn tenfold_drops(lr: f64, at: &[usize]) -> Self {
        LrSchedule::Piecewise {
            lr,
            boundaries: at.to_vec(),
            factors: (1..=at.len()).map(|i| 1.0 / 10f64.powi(i as i32)).collect(),
        }
    }

    /// The learning rate at `step`.
    pub fn lr_at(&self, step: usize) -> f64 {
        match self {
            LrSchedule::Constant { lr } => *lr,
            LrSchedule::Piecewise {
                lr,
                boundaries,
                factors,
            } => {
                let mut f = 1.0;
                for (b, fac) in boundaries.iter().zip(factors) {
                    if step >= *b {
                        f = *fac;
                    }
                }
                lr * f
            }
            LrSchedule::LinearDecay { from, to, steps } => {
                if *steps == 0 || step >= *steps {
                    *to
                } else {
                    from + (to - from) * step as f64 / *steps as f64
                }
            }
            LrSchedule::ExponentialDecay { lr, rate, every } => {
                lr * rate.powf(step as f64 / (*every).max(1) as f64)
            }
        }
    }

    /// Checks that the schedule is usable: positive finite rates, increasing boundaries.
    pub fn validate(&self) -> Result<()> {
        let bad = |why: &str| Err(NcaError::config("learning-rate schedule", why));
        let ok = |v: f64| v.is_finite() && v > 0.0;
        match self {
            LrSchedule::Constant { lr } if !ok(*lr) => bad("lr must be positive"),
            LrSchedule::Piecewise {
                lr,
                boundaries,
                factors,
            } => {
                if !ok(*lr) || factors.iter().any(|f| !ok(*f)) {
                    bad("lr and factors must be positive")
                } else if boundaries.len() != factors.len() {
                    bad("boundaries and factors differ in length")
                } else if boundaries.windows(2).any(|w| w[0] >= w[1]) {
                    bad("boundaries must increase")
                } else {
                    Ok(())
                }
            }
            LrSchedule::LinearDecay { from, to, .. } if !ok(*from) || !ok(*to) => {
                bad("from and to must be positive")
            }
            LrSchedule::ExponentialDecay { lr, rate, .. } if !ok(*lr) || !ok(*rate) => {
                bad("lr and rate must be positive")
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenfold_drops_are_the_classifier_schedule() {
        let s = LrSchedule::tenfold_drops(1e-3, &[30_000, 70_000]);
        let written = LrSchedule::Piecewise {
            lr: 1e-3,
            boundaries: vec![30_000, 70_000],
            factors: vec![0.1, 0.01],
        };
        assert_eq!(s, written);
        s.validate().unwrap();
        assert_eq!(s.lr_at(0), 1e-3);
        assert_eq!(s.lr_at(29_999), 1e-3);
        assert!((s.lr_at(30_000) - 1e-4).abs() < 1e-12);
        assert!((s.lr_at(99_999) - 1e-5).abs() < 1e-12);
    }

    #[test]
    fn decays() {
        let l = LrSchedule::LinearDecay {
            from: 1.0,
            to: 0.5,
            steps: 10,
        };
        assert_eq!(l.lr_at(5), 0.75);
        assert_eq!(l.lr_at(100), 0.5);
        let e = LrSchedule::ExponentialDecay {
            lr: 1.0,
            rate: 0.5,
            every: 10,
        };
        assert!((e.lr_at(20) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn invalid_schedules_are_rejected() {
        let s = LrSchedule::tenfold_drops(1e-3, &[10, 5]);
        assert!(s.validate().unwrap_err().to_string().contains("increase"));
        assert!(LrSchedule::Constant { lr: -1.0 }.validate().is_err());
        let j = serde_json::to_string(&s).unwrap();
        assert!(j.contains("\"kind\":\"piecewise\""));
    }
}
