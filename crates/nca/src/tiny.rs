//! A tiny NCA used to test the trainer end to end: 4 channels on a small grid grow a disc in
//! channel 0 from a single seed cell within a few ticks. It uses the same building blocks as the
//! real families (Sobel perception, zero-initialised per-cell MLP, fire mask, residual update).

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::masks::fire_mask;
use crate::perceive::{FixedPerception, PerceptionKind};
use crate::trainer::{StepOutput, Task};
use crate::update::CellMlp;

/// The tiny model: Sobel perception and a 12 → hidden → 4 per-cell MLP.
#[derive(Module, Debug)]
pub struct TinyNca {
    /// Fixed perception.
    pub perception: FixedPerception,
    /// Per-cell update.
    pub update: CellMlp,
}

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

const CHANNELS: usize = 4;

impl TinyNca {
    /// One tick: perceive, update, stochastic residual.
    pub fn tick(&self, state: Tensor<4>, fire: Tensor<4>) -> Tensor<4> {
        let delta = self.update.forward(self.perception.forward(state.clone()));
        state + delta * fire
    }
}

/// The tiny task: grow a disc of radius size/3 in channel 0.
pub struct TinyTask {
    /// Its settings.
    pub cfg: TinyConfig,
    /// Make the loss NaN at this step, once (to test the trainer's guard).
    pub poison_at: Option<usize>,
}

impl TinyTask {
    /// A task with `cfg`.
    pub fn new(cfg: TinyConfig) -> Self {
        Self {
            cfg,
            poison_at: None,
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
                if (x - c).powi(2) + (y - c).powi(2) <= r * r {
                    1.0
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// The seed batch: one cell with channel 3 set at the centre.
    pub fn seed(&self, device: &Device) -> Tensor<4> {
        let (s, b) = (self.cfg.size, self.cfg.batch);
        let mut v = vec![0.0f32; b * CHANNELS * s * s];
        for k in 0..b {
            v[k * CHANNELS * s * s + 3 * s * s + (s / 2) * s + s / 2] = 1.0;
        }
        Tensor::from_data(TensorData::new(v, [b, CHANNELS, s, s]), device)
    }

    /// Runs the model from the seed and returns the mean squared error of channel 0.
    pub fn loss(&self, model: &TinyNca, rng: &mut StdRng, device: &Device) -> Tensor<1> {
        let (s, b) = (self.cfg.size, self.cfg.batch);
        let mut x = self.seed(device);
        for _ in 0..self.cfg.ticks {
            let fire = fire_mask(rng, [b, s, s], self.cfg.fire_rate, device);
            x = model.tick(x, fire);
        }
        let target: Tensor<4> =
            Tensor::<1>::from_data(TensorData::new(self.target(), [s * s]), device)
                .reshape([1, 1, s, s]);
        let out = x.slice([0..b, 0..1, 0..s, 0..s]);
        (out - target).square().mean().reshape([1])
    }
}

impl Task for TinyTask {
    type Model = TinyNca;

    fn family(&self) -> &'static str {
        "tiny"
    }

    fn config(&self) -> serde_json::Value {
        serde_json::to_value(&self.cfg).expect("config serialises")
    }

    fn init_model(&self, device: &Device, rng: &mut StdRng) -> TinyNca {
        let perception = FixedPerception::new(PerceptionKind::Sobel.filters(), CHANNELS);
        let update = CellMlp::new(
            &[perception.out_channels(), self.cfg.hidden, CHANNELS],
            true,
            device,
        );
        crate::init::torch_default(TinyNca { perception, update }, rng)
    }

    fn step(&mut self, model: &TinyNca, step: usize, rng: &mut StdRng) -> Result<StepOutput> {
        let device = model.update.layers[0].weight.val().device();
        let mut loss = self.loss(model, rng, &device);
        if self.poison_at == Some(step) {
            self.poison_at = None;
            loss = loss * f32::NAN;
        }
        let value = loss.clone().into_scalar::<f32>();
        let grads = GradientsParams::from_grads(loss.backward(), model);
        Ok(StepOutput {
            loss: value,
            grads,
            metrics: vec![],
        })
    }
}
