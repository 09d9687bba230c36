//! Training the self-classifier: the sample pool with fresh and mutated digits, the rollout and
//! the loss, as a [`Task`] for the shared trainer.

use std::sync::Arc;

use burn::tensor::Device;
use nca_data::Split;
use rand::Rng;
use rand::rngs::StdRng;

use super::model::{ClassifyConfig, Loss};
use crate::ca::{Nca, Preset, train_step};
use crate::engine::{Engine, TickMasks};
use crate::error::{NcaError, Result};
use crate::pool::SamplePool;
use crate::schedule::LrSchedule;
use crate::trainer::{NamedArray, Recipe, StepOutput, Task};

/// The loss of final states and its gradient with respect to them, in plain Rust (the same
/// function as [`loss`]). `target` is one-hot `[B, classes, H, W]` at alive cells.
pub fn loss_and_grad(
    states: &[f32],
    target: &[f32],
    cfg: &ClassifyConfig,
    [b, h, w]: [usize; 3],
) -> (f32, Vec<f32>) {
    let (c, k, k0, hw) = (cfg.channels, cfg.classes, cfg.first_class_channel(), h * w);
    let mut d = vec![0.0f32; states.len()];
    let alive = |bi: usize, i: usize| states[bi * c * hw + i] > cfg.alive_threshold;
    match cfg.loss {
        Loss::L2 => {
            let mut total = 0.0f64;
            for bi in 0..b {
                for j in 0..k {
                    for i in 0..hw {
                        if alive(bi, i) {
                            let si = (bi * c + k0 + j) * hw + i;
                            let diff = states[si] - target[(bi * k + j) * hw + i];
                            total += (diff * diff) as f64;
                            d[si] = diff / b as f32;
                        }
                    }
                }
            }
            ((total / (2.0 * b as f64)) as f32, d)
        }
        Loss::CrossEntropy => {
            let n_alive = (0..b)
                .flat_map(|bi| (0..hw).map(move |i| (bi, i)))
                .filter(|&(bi, i)| alive(bi, i))
                .count()
                .max(1) as f32;
            let mut total = 0.0f64;
            for bi in 0..b {
                for i in 0..hw {
                    if !alive(bi, i) {
                        continue;
                    }
                    let logit = |j: usize| states[(bi * c + k0 + j) * hw + i];
                    let m = (0..k).map(logit).fold(f32::NEG_INFINITY, f32::max);
                    let z: f32 = (0..k).map(|j| (logit(j) - m).exp()).sum();
                    for j in 0..k {
                        let p = (logit(j) - m).exp() / z;
                        let t = target[(bi * k + j) * hw + i];
                        total -= (t * ((logit(j) - m) - z.ln())) as f64;
                        d[(bi * c + k0 + j) * hw + i] = (p - t) / n_alive;
                    }
                }
            }
            ((total / n_alive as f64) as f32, d)
        }
    }
}

pub use nca_models::classify::{fresh_state, mutate_state, vote};

/// One-hot targets `[B, classes, H, W]` at alive cells.
pub fn targets(labels: &[u8], pixels: &[f32], cfg: &ClassifyConfig, hw: usize) -> Vec<f32> {
    let (k, c) = (cfg.classes, cfg.channels);
    let mut t = vec![0.0; labels.len() * k * hw];
    for (b, &l) in labels.iter().enumerate() {
        for i in 0..hw {
            if pixels[b * c * hw + i] > cfg.alive_threshold {
                t[(b * k + l as usize) * hw + i] = 1.0;
            }
        }
    }
    t
}

/// The self-classification training task.
pub struct ClassifyTask {
    /// Settings.
    pub cfg: ClassifyConfig,
    /// Which implementation computes a step.
    pub engine: Engine,
    data: Arc<Split>,
    pool: SamplePool,
    labels: Vec<u8>,
    tape: Option<nca_fast::Tape>,
    /// The last step's fire masks and noise, redrawn in place (their 19 MB are not reallocated).
    ticks: Vec<TickMasks>,
}

impl ClassifyTask {
    /// A task training on `data`, its pool filled with random digits drawn from `rng`.
    pub fn new(cfg: ClassifyConfig, data: Arc<Split>, rng: &mut StdRng) -> Result<Self> {
        cfg.validate()?;
        if data.is_empty() {
            return Err(NcaError::config("data", "the training split is empty"));
        }
        let (h, w) = (data.rows(), data.cols());
        let shape = [cfg.channels, h, w];
        let mut pool = SamplePool::filled(cfg.pool, shape, &vec![0.0; cfg.channels * h * w]);
        let mut labels = Vec::with_capacity(cfg.pool);
        for i in 0..cfg.pool {
            let d = rng.random_range(0..data.len());
            pool.replace(i, &fresh_state(&data.image_f32(d), cfg.channels));
            labels.push(data.label(d));
        }
        Ok(Self {
            cfg,
            engine: Engine::Fast,
            data,
            pool,
            labels,
            tape: None,
            ticks: Vec::new(),
        })
    }

    /// Draws a batch from the pool, refreshing and mutating members as the paper does.
    /// Returns pool indices, states `[B, C, H, W]` and labels.
    fn batch(&mut self, rng: &mut StdRng) -> (Vec<usize>, Vec<f32>, Vec<u8>) {
        let cfg = &self.cfg;
        let idx = self.pool.sample(rng, cfg.batch);
        let mut states = self.pool.gather(&idx);
        let mut labels: Vec<u8> = idx.iter().map(|&i| self.labels[i]).collect();
        let n = self.pool.state_len();
        for k in 0..cfg.fresh_per_batch + cfg.mutate_per_batch {
            let d = rng.random_range(0..self.data.len());
            let pixels = self.data.image_f32(d);
            let s = &mut states[k * n..(k + 1) * n];
            if k < cfg.fresh_per_batch {
                s.copy_from_slice(&fresh_state(&pixels, cfg.channels));
            } else {
                mutate_state(s, &pixels, cfg.channels, cfg.alive_threshold);
            }
            labels[k] = self.data.label(d);
        }
        (idx, states, labels)
    }
}

impl Task for ClassifyTask {
    type Model = Nca;

    const FAMILY: &'static str = super::FAMILY;

    fn config(&self) -> serde_json::Value {
        serde_json::to_value(&self.cfg).expect("config serialises")
    }

    fn init_model(&self, device: &Device, rng: &mut StdRng) -> Nca {
        self.cfg.init(device, rng)
    }

    /// The paper's: Adam at 1e-3, ×0.1 at step 30,000 and ×0.01 at 70,000, each variable's
    /// gradient normalised.
    fn recipe(&self) -> Recipe {
        Recipe {
            lr: LrSchedule::tenfold_drops(1e-3, &[30_000, 70_000]),
            ..Recipe::default()
        }
    }

    /// The paper's step: a batch from the pool (fresh and mutated digits among it), 20 noisy
    /// ticks, the L2 (or cross-entropy) loss of the votes at alive cells, back into the pool.
    fn step(&mut self, model: &Nca, _step: usize, rng: &mut StdRng) -> Result<StepOutput> {
        let (idx, states, labels) = self.batch(rng);
        let cfg = &self.cfg;
        let dims = [cfg.batch, self.data.rows(), self.data.cols()];
        let target = targets(&labels, &states, cfg, dims[1] * dims[2]);
        let ticks = &mut self.ticks;
        model
            .cfg
            .draw_training_ticks_into(rng, cfg.ticks, &states, dims, ticks);
        let loss = |x: &[f32]| loss_and_grad(x, &target, cfg, dims);
        let out = train_step(
            model,
            self.engine,
            &states,
            dims,
            &self.ticks,
            &mut self.tape,
            &loss,
        )?;
        let (loss_value, grads, final_state) = (out.loss, out.grads, out.final_state);
        let accuracy = cell_accuracy(&final_state, &labels, cfg, dims[1] * dims[2]);
        self.pool.scatter(&idx, &final_state);
        for (k, &i) in idx.iter().enumerate() {
            self.labels[i] = labels[k];
        }
        Ok(StepOutput {
            loss: loss_value,
            grads,
            metrics: vec![("batch_accuracy".into(), accuracy)],
        })
    }

    fn state(&self) -> Vec<NamedArray> {
        let [c, h, w] = self.pool.shape;
        vec![
            NamedArray::new(
                "pool",
                vec![self.pool.len(), c, h, w],
                self.pool.data.clone(),
            ),
            NamedArray::of_integers("labels", self.labels.iter().map(|&l| usize::from(l))),
        ]
    }

    fn set_state(&mut self, state: Vec<NamedArray>) -> Result<()> {
        for a in state {
            match a.name.as_str() {
                "pool" if a.data.len() == self.pool.data.len() => self.pool.data = a.data,
                "labels" if a.data.len() == self.labels.len() => {
                    self.labels = a.data.iter().map(|&l| l as u8).collect()
                }
                _ => return Err(a.misfit()),
            }
        }
        Ok(())
    }
}

/// Share of alive cells whose highest vote is their digit's label, over a batch of states.
pub fn cell_accuracy(states: &[f32], labels: &[u8], cfg: &ClassifyConfig, hw: usize) -> f64 {
    let (c, k0) = (cfg.channels, cfg.first_class_channel());
    let (mut right, mut alive) = (0usize, 0usize);
    for (b, &l) in labels.iter().enumerate() {
        let s = &states[b * c * hw..(b + 1) * c * hw];
        for i in 0..hw {
            if s[i] > cfg.alive_threshold {
                alive += 1;
                let best = vote(s, k0, cfg.classes, hw, i);
                right += usize::from(best == l as usize);
            }
        }
    }
    right as f64 / alive.max(1) as f64
}
