//! Training on one long trajectory: small noise every step, one-step gradients, Adam (the shared
//! trainer's), and a large noise spike whenever the state has come within ε of the target.

use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::model::{AttentionConfig, AttentionNca};
use super::target::AttentionTarget;
use crate::error::{NcaError, Result};
use crate::grads::GradPolicy;
use crate::noise::gaussian_values;
use crate::schedule::LrSchedule;
use crate::trainer::{NamedArray, Recipe, StepOutput, Task, TrainerConfig};

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

/// The family's recipe for the shared trainer: `steps` steps of Adam at the constant `lr`,
/// gradients as they are, a metrics line every step, a checkpoint every `checkpoint_every`.
pub fn trainer_config(cfg: &AttentionTrainConfig, checkpoint_every: usize) -> TrainerConfig {
    Recipe {
        checkpoint_every,
        ..recipe(cfg)
    }
    .trainer_config(cfg.steps, cfg.seed)
}

/// The family's recipe: Adam at the constant `cfg.lr`, gradients as they are, a checkpoint every
/// 500 steps, a metrics line every step.
pub fn recipe(cfg: &AttentionTrainConfig) -> Recipe {
    Recipe {
        lr: LrSchedule::Constant { lr: cfg.lr },
        grad_policy: GradPolicy::None,
        checkpoint_every: 500,
        log_every: 1,
    }
}

/// One long trajectory being trained, as a [`Task`] for the shared trainer: the current state
/// (kept detached: gradients reach the model through the current step only) and the steps at
/// which it was spiked. Both are saved with checkpoints, so a run resumes exactly.
pub struct AttentionTask {
    cfg: AttentionTrainConfig,
    target: AttentionTarget,
    state: Vec<f32>,
    spike_steps: Vec<usize>,
}

impl AttentionTask {
    /// A trajectory starting from N(0, `init_std`²) noise on every channel (drawn from a stream
    /// derived from the seed). The target must have the model's image channels.
    pub fn new(cfg: &AttentionTrainConfig, target: &AttentionTarget) -> Result<Self> {
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
        let mut rng = StdRng::seed_from_u64(cfg.seed ^ 0x5EED_57A7E);
        let state = gaussian_values(&mut rng, cfg.model.channels() * s * s, cfg.init_std);
        Ok(Self {
            cfg: cfg.clone(),
            target: target.clone(),
            state,
            spike_steps: Vec::new(),
        })
    }

    /// The current state, channel-major (`C × side × side`): the one the next step starts from.
    pub fn state_values(&self) -> &[f32] {
        &self.state
    }

    /// Mean squared error of the current state's image channels to the target.
    pub fn distance(&self) -> f32 {
        let n = self.target.rgb.len();
        let sum: f64 = self.state[..n]
            .iter()
            .zip(&self.target.rgb)
            .map(|(a, t)| ((a - t) * (a - t)) as f64)
            .sum();
        (sum / n as f64) as f32
    }

    /// The steps (numbered from 1) whose loss was below ε, each followed by a spike.
    pub fn spike_steps(&self) -> &[usize] {
        &self.spike_steps
    }

    /// The first step whose loss was below ε.
    pub fn first_below_epsilon(&self) -> Option<usize> {
        self.spike_steps.first().copied()
    }

    /// The settings.
    pub fn config(&self) -> &AttentionTrainConfig {
        &self.cfg
    }

    /// The target.
    pub fn target(&self) -> &AttentionTarget {
        &self.target
    }
}

impl Task for AttentionTask {
    type Model = AttentionNca;

    const FAMILY: &'static str = super::FAMILY;

    fn config(&self) -> serde_json::Value {
        serde_json::json!({
            "train": self.cfg,
            "target": {"spec": self.target.spec, "side": self.target.side},
        })
    }

    fn init_model(&self, device: &Device, rng: &mut StdRng) -> AttentionNca {
        AttentionNca::new(&self.cfg.model, device, rng)
    }

    /// One step of the doc's loop:
    ///
    /// 1. `s_prev = s + N(0, σ_small²)`;
    /// 2. `s_next = s_prev + f(s_prev)`, gradients flowing through `f` for this step only;
    /// 3. `loss = MSE(image channels of s_next, target)` (the trainer then takes one Adam step);
    /// 4. `s = s_next` detached, plus `N(0, σ_large²)` on every channel if `loss < ε`.
    ///
    /// The spike goes on the state the *next* step starts from (the doc's pseudo-code adds it
    /// to `s_prev` and then overwrites `s_prev` with `s_next`, which would lose it).
    fn step(&mut self, model: &AttentionNca, step: usize, rng: &mut StdRng) -> Result<StepOutput> {
        let device = model.query.weight.val().device();
        let (ci, s) = (self.cfg.model.image_channels, self.target.side);
        let shape = [1, self.cfg.model.channels(), s, s];
        let mut s_prev = self.state.clone();
        for (v, n) in
            s_prev
                .iter_mut()
                .zip(gaussian_values(rng, self.state.len(), self.cfg.sigma_small))
        {
            *v += n;
        }
        let s_next = model.forward(Tensor::from_data(TensorData::new(s_prev, shape), &device));
        let image = s_next.clone().slice([0..1, 0..ci, 0..s, 0..s]);
        let target = Tensor::<4>::from_data(
            TensorData::new(self.target.rgb.clone(), [1, ci, s, s]),
            &device,
        );
        let loss = (image - target).square().mean();
        let value = loss.clone().into_scalar::<f32>();
        let grads = GradientsParams::from_grads(loss.backward(), model);
        let mut next: Vec<f32> = s_next
            .detach()
            .into_data()
            .convert::<f32>()
            .try_to_vec()
            .map_err(|e| NcaError::config("state", format!("{e:?}")))?;
        let spiked = value < self.cfg.epsilon;
        if spiked {
            for (v, n) in
                next.iter_mut()
                    .zip(gaussian_values(rng, self.state.len(), self.cfg.sigma_large))
            {
                *v += n;
            }
            self.spike_steps.push(step + 1);
        }
        self.state = next;
        Ok(StepOutput {
            loss: value,
            grads,
            metrics: vec![
                ("spiked".into(), f64::from(u8::from(spiked))),
                ("spikes".into(), self.spike_steps.len() as f64),
            ],
        })
    }

    fn state(&self) -> Vec<NamedArray> {
        let s = self.target.side;
        let shape = vec![1, self.cfg.model.channels(), s, s];
        vec![
            NamedArray::new("state", shape, self.state.clone()),
            // Exact: steps are at most 10^7 < 2^24.
            NamedArray::of_integers("spike_steps", self.spike_steps.iter().copied()),
        ]
    }

    fn set_state(&mut self, state: Vec<NamedArray>) -> Result<()> {
        for a in state {
            match a.name.as_str() {
                "state" if a.data.len() == self.state.len() => self.state = a.data,
                "spike_steps" => self.spike_steps = a.data.iter().map(|&k| k as usize).collect(),
                _ => return Err(a.misfit()),
            }
        }
        Ok(())
    }

    fn recipe(&self) -> Recipe {
        recipe(&self.cfg)
    }

    fn finished(&self) -> bool {
        self.cfg
            .max_spikes
            .is_some_and(|k| self.spike_steps.len() >= k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let e = AttentionTask::new(&AttentionTrainConfig::default(), &t)
            .err()
            .expect("refused")
            .to_string();
        assert!(e.contains("target"), "{e}");
    }
}
