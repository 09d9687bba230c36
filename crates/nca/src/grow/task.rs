//! Training the growing NCA in the paper's three regimes, as a [`Task`] for the shared trainer.

use burn::tensor::Device;
use rand::Rng;
use rand::rngs::StdRng;

use super::target::{GrowTarget, seed_state};
use crate::ca::{Nca, Preset, prefix_mse, prefix_mse_and_grad, train_step};
use crate::engine::Engine;
use crate::error::Result;
use crate::pool::{SamplePool, random_damage, rank_by_loss_desc};
use crate::schedule::LrSchedule;
use crate::trainer::{NamedArray, Recipe, StepOutput, Task};

pub use nca_models::grow::{GrowTrainConfig, TrainMode};

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
            engine: Engine::Fast,
            pool,
            tape: None,
        })
    }
}

impl Task for GrowTask {
    type Model = Nca;

    const FAMILY: &'static str = super::FAMILY;

    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "train": self.cfg, "target": self.target })
    }

    fn init_model(&self, device: &Device, rng: &mut StdRng) -> Nca {
        self.cfg.model.init(device, rng)
    }

    /// The paper's: Adam at 2e-3, ×0.1 from step 2,000, each variable's gradient normalised.
    fn recipe(&self) -> Recipe {
        Recipe {
            lr: LrSchedule::tenfold_drops(2e-3, &[2000]),
            ..Recipe::default()
        }
    }

    fn step(&mut self, model: &Nca, _step: usize, rng: &mut StdRng) -> Result<StepOutput> {
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
            let losses: Vec<f32> = prefix_mse(&states, n, &self.target.rgba)
                .iter()
                .map(|&l| l as f32)
                .collect();
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
            return self.train_on(model, idx_sorted, states, rng);
        }
        self.train_on(model, idx, states, rng)
    }

    fn state(&self) -> Vec<NamedArray> {
        let [c, h, w] = self.pool.shape;
        let shape = vec![self.pool.len(), c, h, w];
        vec![NamedArray::new("pool", shape, self.pool.data.clone())]
    }

    fn set_state(&mut self, state: Vec<NamedArray>) -> Result<()> {
        for a in state {
            if a.name == "pool" && a.data.len() == self.pool.data.len() {
                self.pool.data = a.data;
            } else {
                return Err(a.misfit());
            }
        }
        Ok(())
    }
}

impl GrowTask {
    /// Grows the batch `states` for a random number of ticks and fits the final RGBA to the
    /// target (mean squared error); the final states go back into the pool.
    fn train_on(
        &mut self,
        model: &Nca,
        idx: Vec<usize>,
        states: Vec<f32>,
        rng: &mut StdRng,
    ) -> Result<StepOutput> {
        let (s, b) = (self.target.side, self.cfg.batch);
        let ticks = rng.random_range(self.cfg.min_ticks..=self.cfg.max_ticks);
        let masks = model.cfg.draw_ticks(rng, ticks, [b, s, s], true);
        let per_state = self.cfg.model.channels * s * s;
        let target = &self.target.rgba;
        let loss = |x: &[f32]| prefix_mse_and_grad(x, per_state, target);
        let out = train_step(
            model,
            self.engine,
            &states,
            [b, s, s],
            &masks,
            &mut self.tape,
            &loss,
        )?;
        if self.cfg.mode != TrainMode::Growing {
            self.pool.scatter(&idx, &out.final_state);
        }
        Ok(StepOutput {
            loss: out.loss,
            grads: out.grads,
            metrics: vec![("ticks".into(), ticks as f64)],
        })
    }
}
