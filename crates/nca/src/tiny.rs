//! The tiny family: the smallest complete family, and the template for a new one. Four channels
//! on an 8x8 grid grow a disc in channel 0 from a single seed cell within a few ticks.
//!
//! A cellular family supplies exactly three things; everything else (the automaton, both
//! engines, masks, Adam, schedules, checkpoints, `--resume`, the NaN guard, logs, evaluation
//! runners, ONNX graph building) is shared:
//!
//! 1. its settings, serialised into checkpoints, and their [`CaConfig`] ([`TinyConfig::ca`]);
//! 2. where a rollout starts ([`TinyTask::seed`]) and what it is scored against
//!    ([`TinyTask::target`]), as plain arrays;
//! 3. a [`Task`]: one step draws the start states and masks and calls [`train_step`] with a loss
//!    of the final states; its [`Recipe`] names the default learning rate.

use burn::tensor::Device;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::ca::{CaConfig, Nca, prefix_mse_and_grad, train_step};
use crate::engine::{AliveRule, Engine};
use crate::error::Result;
use crate::perceive::PerceptionKind;
use crate::schedule::LrSchedule;
use crate::trainer::{Recipe, StepOutput, Task};

/// State channels of the tiny automaton.
const CHANNELS: usize = 4;

/// Settings of the tiny task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TinyConfig {
    /// Grid side.
    pub size: usize,
    /// Hidden width of the MLP.
    pub hidden: usize,
    /// Ticks per step.
    pub ticks: usize,
    /// Batch size.
    pub batch: usize,
    /// Fire rate.
    pub fire_rate: f32,
}

impl Default for TinyConfig {
    fn default() -> Self {
        Self {
            size: 8,
            hidden: 32,
            ticks: 8,
            batch: 2,
            fire_rate: 0.5,
        }
    }
}

impl TinyConfig {
    /// The automaton: Sobel perception, a `12 → hidden → 4` update of every channel, every cell
    /// alive (no alive rule), no residual noise.
    pub fn ca(&self) -> CaConfig {
        CaConfig {
            channels: CHANNELS,
            perception: PerceptionKind::Sobel,
            learned_width: 0,
            perception_relu: false,
            hidden: vec![self.hidden],
            update_channels: 0..CHANNELS,
            alive: AliveRule::Static {
                channel: 0,
                threshold: f32::NEG_INFINITY,
            },
            fire_rate: self.fire_rate,
            noise_std: 0.0,
        }
    }
}

/// The tiny task: grow a disc of radius size/3 in channel 0.
pub struct TinyTask {
    /// Its settings.
    pub cfg: TinyConfig,
    /// Which implementation computes a step.
    pub engine: Engine,
    /// Make the loss NaN at this step, once (to test the trainer's guard).
    pub poison_at: Option<usize>,
    tape: Option<nca_fast::Tape>,
}

impl TinyTask {
    /// A task with `cfg`.
    pub fn new(cfg: TinyConfig) -> Self {
        Self {
            cfg,
            engine: Engine::Fast,
            poison_at: None,
            tape: None,
        }
    }

    /// The target disc, `[size*size]`.
    pub fn target(&self) -> Vec<f32> {
        let s = self.cfg.size;
        let c = (s as f32 - 1.0) / 2.0;
        let r = s as f32 / 3.0;
        (0..s * s)
            .map(|i| {
                let (y, x) = ((i / s) as f32, (i % s) as f32);
                f32::from(u8::from((x - c).powi(2) + (y - c).powi(2) <= r * r))
            })
            .collect()
    }

    /// The seed batch `[B, 4, size, size]`: one cell with channel 3 set at the centre.
    pub fn seed(&self) -> Vec<f32> {
        let (s, b) = (self.cfg.size, self.cfg.batch);
        let mut v = vec![0.0f32; b * CHANNELS * s * s];
        for k in 0..b {
            v[k * CHANNELS * s * s + 3 * s * s + (s / 2) * s + s / 2] = 1.0;
        }
        v
    }
}

impl Task for TinyTask {
    type Model = Nca;

    const FAMILY: &'static str = "tiny";

    fn config(&self) -> serde_json::Value {
        serde_json::to_value(&self.cfg).expect("config serialises")
    }

    fn init_model(&self, device: &Device, rng: &mut StdRng) -> Nca {
        Nca::new(self.cfg.ca(), device, rng)
    }

    fn recipe(&self) -> Recipe {
        Recipe {
            lr: LrSchedule::Constant { lr: 2e-3 },
            ..Recipe::default()
        }
    }

    /// Grows the seed for `ticks` ticks; the loss is the mean squared error of channel 0.
    fn step(&mut self, model: &Nca, step: usize, rng: &mut StdRng) -> Result<StepOutput> {
        let s = self.cfg.size;
        let dims = [self.cfg.batch, s, s];
        let masks = model.cfg.draw_ticks(rng, self.cfg.ticks, dims, true);
        let target = self.target();
        let poison = self.poison_at == Some(step);
        let loss = |x: &[f32]| {
            let (l, d) = prefix_mse_and_grad(x, CHANNELS * s * s, &target);
            (if poison { f32::NAN } else { l }, d)
        };
        let out = train_step(
            model,
            self.engine,
            &self.seed(),
            dims,
            &masks,
            &mut self.tape,
            &loss,
        )?;
        if poison {
            self.poison_at = None;
        }
        Ok(StepOutput {
            loss: out.loss,
            grads: out.grads,
            metrics: vec![],
        })
    }
}
