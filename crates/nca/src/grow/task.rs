//! Training the growing NCA in the paper's three regimes, as a [`Task`] for the shared trainer.

use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use super::model::{GrowConfig, GrowNca, rgba_loss};
use super::target::{GrowTarget, seed_state};
use crate::error::{NcaError, Result};
use crate::masks::{fire_mask, fire_mask_values};
use crate::perceive::PerceptionKind;
use crate::pool::{SamplePool, random_damage, rank_by_loss_desc};
use crate::sparse::{self, AliveRule, Engine, NcaSpec, Perception, TickMasks};
use crate::trainer::{NamedArray, StepOutput, Task};

/// The engine's description of a growing NCA.
pub fn engine_spec(cfg: &GrowConfig) -> NcaSpec {
    NcaSpec {
        channels: cfg.channels,
        perception: match cfg.perception {
            PerceptionKind::Learned => Perception::Learned {
                out: cfg.features(),
            },
            k => Perception::Fixed {
                filters: k.filters(),
            },
        },
        perception_relu: false,
        hidden: vec![cfg.hidden, cfg.channels],
        update_channels: 0..cfg.channels,
        alive: AliveRule::MaxPool {
            channel: 3,
            threshold: cfg.alive_threshold,
        },
    }
}

/// The training regime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TrainMode {
    /// Always grow from the seed.
    Growing,
    /// Sample pool; the worst sample is replaced by the seed.
    Persistent,
    /// Persistent plus circular damage on the best samples.
    #[default]
    Regenerating,
}

impl std::str::FromStr for TrainMode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "growing" => Ok(Self::Growing),
            "persistent" => Ok(Self::Persistent),
            "regenerating" => Ok(Self::Regenerating),
            _ => Err(format!(
                "unknown mode '{s}' (expected growing, persistent or regenerating)"
            )),
        }
    }
}

/// Training settings; defaults are the paper's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GrowTrainConfig {
    /// The model.
    pub model: GrowConfig,
    /// The regime.
    pub mode: TrainMode,
    /// Pool size (persistent and regenerating).
    pub pool: usize,
    /// Batch size.
    pub batch: usize,
    /// Fewest ticks per step.
    pub min_ticks: usize,
    /// Most ticks per step.
    pub max_ticks: usize,
    /// Lowest-loss samples damaged per step (regenerating).
    pub damaged: usize,
}

impl Default for GrowTrainConfig {
    fn default() -> Self {
        Self {
            model: GrowConfig::default(),
            mode: TrainMode::Regenerating,
            pool: 1024,
            batch: 8,
            min_ticks: 64,
            max_ticks: 96,
            damaged: 3,
        }
    }
}

impl GrowTrainConfig {
    /// Checks the values a user can get wrong.
    pub fn validate(&self) -> Result<()> {
        self.model.validate()?;
        if self.batch == 0 || self.pool < self.batch {
            return Err(NcaError::config(
                "batch",
                "must be at least 1 and at most the pool",
            ));
        }
        if self.min_ticks == 0 || self.min_ticks > self.max_ticks || self.max_ticks > 10_000 {
            return Err(NcaError::config("ticks", "need 1 <= min <= max <= 10000"));
        }
        if self.damaged >= self.batch && self.mode == TrainMode::Regenerating {
            return Err(NcaError::config(
                "--batch",
                format!(
                    "regenerating mode damages {} samples per batch, so the batch must be larger",
                    self.damaged
                ),
            ));
        }
        Ok(())
    }
}

/// The growing-NCA training task.
pub struct GrowTask {
    /// Settings.
    pub cfg: GrowTrainConfig,
    /// The target image.
    pub target: GrowTarget,
    /// Which implementation computes a step.
    pub engine: Engine,
    pool: SamplePool,
    tape: Option<nca_fast::Tape>,
}

impl GrowTask {
    /// A task growing `target`, its pool filled with seeds.
    pub fn new(cfg: GrowTrainConfig, target: GrowTarget) -> Result<Self> {
        cfg.validate()?;
        let (c, side) = (cfg.model.channels, target.side);
        let seed = seed_state(c, side);
        let len = if cfg.mode == TrainMode::Growing {
            cfg.batch
        } else {
            cfg.pool
        };
        let pool = SamplePool::filled(len, [c, side, side], &seed);
        Ok(Self {
            cfg,
            target,
            engine: Engine::Sparse,
            pool,
            tape: None,
        })
    }

    fn target_tensor(&self, device: &Device) -> Tensor<4> {
        let s = self.target.side;
        Tensor::from_data(
            TensorData::new(self.target.rgba.clone(), [1, 4, s, s]),
            device,
        )
    }

    /// Runs `ticks` ticks from `states` (`[B, C, H, W]` data) and returns the final states.
    pub fn rollout(
        &self,
        model: &GrowNca,
        states: Tensor<4>,
        ticks: usize,
        rng: &mut impl Rng,
    ) -> Tensor<4> {
        let [b, _, h, w] = states.dims();
        let device = states.device();
        let mut x = states;
        for _ in 0..ticks {
            let fire = fire_mask(rng, [b, h, w], self.cfg.model.fire_rate, &device);
            x = model.tick(x, fire, self.cfg.model.alive_threshold);
        }
        x
    }
}

impl Task for GrowTask {
    type Model = GrowNca;

    fn family(&self) -> &'static str {
        super::FAMILY
    }

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "train": self.cfg, "target": self.target })
    }

    fn init_model(&self, device: &Device, rng: &mut StdRng) -> GrowNca {
        GrowNca::new(&self.cfg.model, device, rng)
    }

    fn step(&mut self, model: &GrowNca, _step: usize, rng: &mut StdRng) -> Result<StepOutput> {
        let device = model.update.layers[0].weight.val().device();
        let cfg = self.cfg.clone();
        let (c, s, b) = (cfg.model.channels, self.target.side, cfg.batch);
        let n = c * s * s;
        let seed = seed_state(c, s);
        let idx = self.pool.sample(rng, b);
        let mut states = self.pool.gather(&idx);
        if cfg.mode == TrainMode::Growing {
            for k in 0..b {
                states[k * n..(k + 1) * n].copy_from_slice(&seed);
            }
        } else {
            // Rank the batch by its current loss: the worst becomes a seed, the best get damaged.
            let losses = self.sample_losses(&states, b);
            let order = rank_by_loss_desc(&losses);
            let reordered: Vec<f32> = order
                .iter()
                .flat_map(|&k| states[k * n..(k + 1) * n].to_vec())
                .collect();
            states = reordered;
            let idx_sorted: Vec<usize> = order.iter().map(|&k| idx[k]).collect();
            states[..n].copy_from_slice(&seed);
            if cfg.mode == TrainMode::Regenerating {
                for k in b - cfg.damaged..b {
                    random_damage(rng, &mut states[k * n..(k + 1) * n], [c, s, s]);
                }
            }
            return self.train_on(model, idx_sorted, states, rng, &device);
        }
        self.train_on(model, idx, states, rng, &device)
    }

    fn state(&self) -> Vec<NamedArray> {
        let [c, h, w] = self.pool.shape;
        vec![NamedArray {
            name: "pool".into(),
            shape: vec![self.pool.len(), c, h, w],
            data: self.pool.data.clone(),
        }]
    }

    fn set_state(&mut self, state: Vec<NamedArray>) -> Result<()> {
        for a in state {
            if a.name == "pool" && a.data.len() == self.pool.data.len() {
                self.pool.data = a.data;
            } else {
                return Err(NcaError::config(
                    "task state",
                    format!("'{}' does not fit this configuration", a.name),
                ));
            }
        }
        Ok(())
    }
}

impl GrowTask {
    /// Mean squared RGBA error of each of `b` states (plain data, no model run).
    fn sample_losses(&self, states: &[f32], b: usize) -> Vec<f32> {
        let (c, s) = (self.cfg.model.channels, self.target.side);
        let n = s * s;
        (0..b)
            .map(|k| {
                let st = &states[k * c * n..k * c * n + 4 * n];
                st.iter()
                    .zip(&self.target.rgba)
                    .map(|(a, t)| (a - t) * (a - t))
                    .sum::<f32>()
                    / (4 * n) as f32
            })
            .collect()
    }

    fn train_on(
        &mut self,
        model: &GrowNca,
        idx: Vec<usize>,
        states: Vec<f32>,
        rng: &mut StdRng,
        device: &Device,
    ) -> Result<StepOutput> {
        let cfg = self.cfg.clone();
        let (c, s, b) = (cfg.model.channels, self.target.side, cfg.batch);
        let ticks = rng.random_range(cfg.min_ticks..=cfg.max_ticks);
        let masks: Vec<TickMasks> = (0..ticks)
            .map(|_| TickMasks {
                fire: fire_mask_values(rng, b, s, s, cfg.model.fire_rate)
                    .iter()
                    .map(|&v| v as u8)
                    .collect(),
                noise: None,
            })
            .collect();
        let (loss_value, grads, final_state) = match self.engine {
            Engine::Burn => {
                let x0 = Tensor::<4>::from_data(TensorData::new(states, [b, c, s, s]), device);
                let mut x = x0;
                for m in &masks {
                    let fire: Vec<f32> = m.fire.iter().map(|&v| v as f32).collect();
                    let fire = Tensor::<4>::from_data(TensorData::new(fire, [b, 1, s, s]), device);
                    x = model.tick(x, fire, cfg.model.alive_threshold);
                }
                let l = rgba_loss(x.clone(), self.target_tensor(device)).mean();
                let loss_value = l.clone().into_scalar::<f32>();
                let grads = GradientsParams::from_grads(l.backward(), model);
                let final_state: Vec<f32> = x
                    .detach()
                    .into_data()
                    .try_to_vec()
                    .map_err(|e| NcaError::config("state", format!("{e:?}")))?;
                (loss_value, grads, final_state)
            }
            Engine::Sparse => self.sparse_step(model, &states, &masks)?,
        };
        if cfg.mode != TrainMode::Growing {
            self.pool.scatter(&idx, &final_state);
        }
        Ok(StepOutput {
            loss: loss_value,
            grads,
            metrics: vec![("ticks".into(), ticks as f64)],
        })
    }

    fn sparse_step(
        &mut self,
        model: &GrowNca,
        states: &[f32],
        masks: &[TickMasks],
    ) -> Result<(f32, GradientsParams, Vec<f32>)> {
        let (c, s, b) = (self.cfg.model.channels, self.target.side, self.cfg.batch);
        let spec = engine_spec(&self.cfg.model);
        let params = sparse::params_from(model.learned.as_ref(), &model.update);
        let dims = [b, s, s];
        let roll = match self.tape.take() {
            Some(old) => nca_fast::rollout_reusing(&spec, &params, states, dims, masks, old),
            None => nca_fast::rollout(&spec, &params, states, dims, masks, true),
        }
        .map_err(sparse::engine_err)?;
        // Mean over the batch of each sample's mean squared RGBA error, and its gradient.
        let n = s * s;
        let scale = 1.0 / (4 * n * b) as f32;
        let mut d = vec![0.0f32; roll.final_state.len()];
        let mut total = 0.0f64;
        for k in 0..b {
            for i in 0..4 * n {
                let si = k * c * n + i;
                let diff = roll.final_state[si] - self.target.rgba[i];
                total += (diff * diff) as f64;
                d[si] = 2.0 * diff * scale;
            }
        }
        let tape = roll.tape.expect("tape kept");
        let (g, _) = nca_fast::backward(&spec, &params, &tape, &d).map_err(sparse::engine_err)?;
        self.tape = Some(tape);
        let grads = sparse::grads_to_burn(g, model.learned.as_ref(), &model.update);
        Ok(((total * scale as f64) as f32, grads, roll.final_state))
    }
}
