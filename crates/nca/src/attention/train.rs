//! Training on one long trajectory: small noise every step, one-step gradients, Adam, and a large
//! noise spike whenever the state has come within ε of the target.

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::model::{AttentionConfig, AttentionNca};
use super::target::AttentionTarget;
use crate::error::{NcaError, Result};

/// Training settings; defaults are the design doc's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttentionTrainConfig {
    /// The model.
    pub model: AttentionConfig,
    /// Standard deviation of the noise added to the state before every step.
    pub sigma_small: f32,
    /// Standard deviation of the spike added when the loss falls below `epsilon`.
    pub sigma_large: f32,
    /// Loss (mean squared error) below which the state counts as having reached the target.
    pub epsilon: f32,
    /// Adam's learning rate.
    pub lr: f64,
    /// Standard deviation of the Gaussian the trajectory starts from.
    pub init_std: f32,
    /// Steps to run at most.
    pub steps: usize,
    /// Stop after this many spikes (simulated trajectories), if set.
    pub max_spikes: Option<usize>,
    /// Seed of all randomness (weights, initial state, noise).
    pub seed: u64,
}

impl Default for AttentionTrainConfig {
    fn default() -> Self {
        Self {
            model: AttentionConfig::default(),
            sigma_small: 0.01,
            sigma_large: 0.1,
            epsilon: 0.001,
            lr: 1e-3,
            init_std: 1.0,
            steps: 10_000,
            max_spikes: None,
            seed: 42,
        }
    }
}

fn finite_nonneg(v: f32) -> bool {
    v.is_finite() && v >= 0.0
}

impl AttentionTrainConfig {
    /// Checks the values a user can get wrong.
    pub fn validate(&self) -> Result<()> {
        self.model.validate()?;
        for (name, v) in [
            ("--sigma-small", self.sigma_small),
            ("--sigma-large", self.sigma_large),
            ("--epsilon", self.epsilon),
            ("initial std", self.init_std),
        ] {
            if !finite_nonneg(v) || v > 1e3 {
                return Err(NcaError::config(
                    name,
                    format!("must be a number in 0..=1000 (got {v})"),
                ));
            }
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= 1.0) {
            return Err(NcaError::config(
                "--lr",
                format!("must be in (0, 1] (got {})", self.lr),
            ));
        }
        if self.steps == 0 || self.steps > 10_000_000 {
            return Err(NcaError::config("--steps", "must be in 1..=10000000"));
        }
        if self.max_spikes == Some(0) {
            return Err(NcaError::config("--max-spikes", "must be at least 1"));
        }
        Ok(())
    }
}

/// Adds N(0, σ²) noise, drawn on the CPU from `rng`, to every value of `state`.
pub fn perturb(state: Tensor<4>, sigma: f32, rng: &mut StdRng) -> Tensor<4> {
    if sigma == 0.0 {
        return state;
    }
    let noise = crate::noise::gaussian(rng, state.dims(), sigma, &state.device());
    state + noise
}

/// What one training step did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepRecord {
    /// The step number, from 1.
    pub step: usize,
    /// Mean squared error of the step's output to the target (before the optimiser update).
    pub loss: f32,
    /// Whether the loss was below ε, so the state the next step starts from was spiked.
    pub spiked: bool,
}

/// One long trajectory being trained: the model, its optimiser and the current state.
///
/// The state is kept detached: gradients reach the model through the current step only.
pub struct Trajectory {
    cfg: AttentionTrainConfig,
    model: Option<AttentionNca>,
    optim: ModuleOptimizer,
    state: Tensor<4>,
    target: Tensor<4>,
    step: usize,
    spike_steps: Vec<usize>,
    first_below: Option<usize>,
}

impl Trajectory {
    /// A fresh model (weights from `rng`) and a state of N(0, `init_std`²) noise on every
    /// channel, on the autodiff version of `device`. The target must have the model's image
    /// channels.
    pub fn new(
        cfg: &AttentionTrainConfig,
        target: &AttentionTarget,
        device: &Device,
        rng: &mut StdRng,
    ) -> Result<Self> {
        cfg.validate()?;
        let ci = cfg.model.image_channels;
        let s = target.side;
        if target.rgb.len() != ci * s * s {
            return Err(NcaError::config(
                "target",
                format!(
                    "has {} values, not {ci} channels of {s}x{s}",
                    target.rgb.len()
                ),
            ));
        }
        let device = device.clone().autodiff();
        let model = AttentionNca::new(&cfg.model, &device, rng);
        let optim = AdamConfig::new().with_epsilon(1e-8).init();
        let shape = [1, cfg.model.channels(), s, s];
        let state = crate::noise::gaussian(rng, shape, cfg.init_std, &device);
        let target =
            Tensor::<4>::from_data(TensorData::new(target.rgb.clone(), [1, ci, s, s]), &device);
        Ok(Self {
            cfg: cfg.clone(),
            model: Some(model),
            optim,
            state,
            target,
            step: 0,
            spike_steps: Vec::new(),
            first_below: None,
        })
    }

    /// One step of the doc's loop:
    ///
    /// 1. `s_prev = s + N(0, σ_small²)`;
    /// 2. `s_next = s_prev + f(s_prev)`, gradients flowing through `f` for this step only;
    /// 3. `loss = MSE(image channels of s_next, target)`; backpropagate; one Adam step;
    /// 4. `s = s_next` detached, plus `N(0, σ_large²)` on every channel if `loss < ε`.
    ///
    /// The spike goes on the state the *next* step starts from (the doc's pseudo-code adds it
    /// to `s_prev` and then overwrites `s_prev` with `s_next`, which would lose it).
    pub fn step(&mut self, rng: &mut StdRng) -> Result<StepRecord> {
        let model = self
            .model
            .take()
            .expect("model is put back after every step");
        let s_prev = perturb(self.state.clone(), self.cfg.sigma_small, rng);
        let s_next = model.forward(s_prev);
        let [b, _, h, w] = s_next.dims();
        let image = s_next
            .clone()
            .slice([0..b, 0..self.cfg.model.image_channels, 0..h, 0..w]);
        let loss = (image - self.target.clone()).square().mean();
        let value = loss.clone().into_scalar::<f32>();
        self.step += 1;
        if !value.is_finite() {
            self.model = Some(model);
            return Err(NcaError::Diverged(format!(
                "non-finite loss at step {} (try a lower --lr)",
                self.step
            )));
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        self.model = Some(self.optim.step(self.cfg.lr, model, grads));
        let mut next = s_next.detach();
        let spiked = value < self.cfg.epsilon;
        if spiked {
            next = perturb(next, self.cfg.sigma_large, rng);
            self.spike_steps.push(self.step);
            self.first_below.get_or_insert(self.step);
        }
        self.state = next;
        Ok(StepRecord {
            step: self.step,
            loss: value,
            spiked,
        })
    }

    /// Whether the run is over: `steps` done or `max_spikes` spikes made.
    pub fn finished(&self) -> bool {
        self.step >= self.cfg.steps
            || self
                .cfg
                .max_spikes
                .is_some_and(|k| self.spike_steps.len() >= k)
    }

    /// The model as trained so far.
    pub fn model(&self) -> &AttentionNca {
        self.model
            .as_ref()
            .expect("model is put back after every step")
    }

    /// The current state `[1, C, H, W]` (the one the next step starts from), as a tensor.
    pub fn state_tensor(&self) -> Tensor<4> {
        self.state.clone()
    }

    /// The current state, channel-major values (`C × side × side`).
    pub fn state(&self) -> Vec<f32> {
        self.state
            .clone()
            .into_data()
            .try_to_vec()
            .expect("state is f32")
    }

    /// Mean squared error of the current state's image channels to the target.
    pub fn distance(&self) -> f32 {
        let [b, _, h, w] = self.state.dims();
        let image = self
            .state
            .clone()
            .slice([0..b, 0..self.cfg.model.image_channels, 0..h, 0..w]);
        (image - self.target.clone())
            .square()
            .mean()
            .into_scalar::<f32>()
    }

    /// Steps done.
    pub fn steps_done(&self) -> usize {
        self.step
    }

    /// The steps whose loss was below ε, each followed by a spike.
    pub fn spike_steps(&self) -> &[usize] {
        &self.spike_steps
    }

    /// The first step whose loss was below ε.
    pub fn first_below_epsilon(&self) -> Option<usize> {
        self.first_below
    }

    /// The settings.
    pub fn config(&self) -> &AttentionTrainConfig {
        &self.cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn doc_defaults_and_validation() {
        let c = AttentionTrainConfig::default();
        assert_eq!(
            (c.sigma_small, c.sigma_large, c.epsilon, c.lr),
            (0.01, 0.1, 0.001, 1e-3)
        );
        assert!(c.validate().is_ok());
        let bad = [
            AttentionTrainConfig {
                steps: 0,
                ..c.clone()
            },
            AttentionTrainConfig {
                sigma_small: -1.0,
                ..c.clone()
            },
            AttentionTrainConfig {
                sigma_large: f32::NAN,
                ..c.clone()
            },
            AttentionTrainConfig {
                lr: 0.0,
                ..c.clone()
            },
            AttentionTrainConfig {
                max_spikes: Some(0),
                ..c.clone()
            },
        ];
        for b in bad {
            assert!(b.validate().is_err(), "{b:?}");
        }
    }

    #[test]
    fn a_target_of_the_wrong_shape_is_refused() {
        let t = AttentionTarget {
            spec: "x".into(),
            side: 4,
            rgb: vec![0.0; 10],
        };
        let e = Trajectory::new(
            &AttentionTrainConfig::default(),
            &t,
            &Device::flex(),
            &mut StdRng::seed_from_u64(0),
        )
        .err()
        .expect("refused")
        .to_string();
        assert!(e.contains("target"), "{e}");
    }
}
