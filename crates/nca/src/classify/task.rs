//! Training the self-classifier: the sample pool with fresh and mutated digits, the rollout and
//! the loss, as a [`Task`] for the shared trainer.

use std::sync::Arc;

use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use nca_data::Split;
use rand::Rng;
use rand::rngs::StdRng;

use super::model::{ClassifyConfig, ClassifyNca, Loss, loss};
use crate::error::{NcaError, Result};
use crate::masks::{alive_threshold, fire_mask_values};
use crate::noise::gaussian_values;
use crate::pool::SamplePool;
use crate::sparse::{self, AliveRule, Engine, NcaSpec, Perception, TickMasks};
use crate::trainer::{NamedArray, StepOutput, Task};

/// The engine's description of the self-classifier.
pub fn engine_spec(cfg: &ClassifyConfig) -> NcaSpec {
    NcaSpec {
        channels: cfg.channels,
        perception: Perception::Learned { out: cfg.hidden },
        perception_relu: true,
        hidden: vec![cfg.hidden, cfg.update_channels()],
        update_channels: 1..cfg.channels,
        alive: AliveRule::Static {
            channel: 0,
            threshold: cfg.alive_threshold,
        },
    }
}

/// Draws the fire masks and noise of `ticks` ticks, in the order both engines consume them.
pub fn draw_ticks(
    rng: &mut impl Rng,
    cfg: &ClassifyConfig,
    [b, h, w]: [usize; 3],
) -> Vec<TickMasks> {
    (0..cfg.ticks)
        .map(|_| {
            let fire = fire_mask_values(rng, b, h, w, cfg.fire_rate)
                .iter()
                .map(|&v| v as u8)
                .collect();
            let noise = (cfg.noise_std > 0.0)
                .then(|| gaussian_values(rng, b * cfg.update_channels() * h * w, cfg.noise_std));
            TickMasks { fire, noise }
        })
        .collect()
}

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

/// The fresh state of a digit: its pixels in channel 0, zeros elsewhere (`[C, H, W]`).
pub fn fresh_state(pixels: &[f32], channels: usize) -> Vec<f32> {
    let mut s = vec![0.0; channels * pixels.len()];
    s[..pixels.len()].copy_from_slice(pixels);
    s
}

/// Swaps the digit of `state` for `pixels`: cells alive in both keep their state, all others
/// start from zero (the paper's mutation).
pub fn mutate_state(state: &mut [f32], pixels: &[f32], channels: usize, threshold: f32) {
    let n = pixels.len();
    for i in 0..n {
        let keep = state[i] > threshold && pixels[i] > threshold;
        state[i] = pixels[i];
        if !keep {
            for c in 1..channels {
                state[c * n + i] = 0.0;
            }
        }
    }
}

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
            engine: Engine::Sparse,
            data,
            pool,
            labels,
            tape: None,
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
    type Model = ClassifyNca;

    fn family(&self) -> &'static str {
        super::FAMILY
    }

    fn config(&self) -> serde_json::Value {
        serde_json::to_value(&self.cfg).expect("config serialises")
    }

    fn init_model(&self, device: &Device, rng: &mut StdRng) -> ClassifyNca {
        ClassifyNca::new(&self.cfg, device, rng)
    }

    fn step(&mut self, model: &ClassifyNca, _step: usize, rng: &mut StdRng) -> Result<StepOutput> {
        let (idx, states, labels) = self.batch(rng);
        let cfg = self.cfg.clone();
        let dims = [cfg.batch, self.data.rows(), self.data.cols()];
        let target = targets(&labels, &states, &cfg, dims[1] * dims[2]);
        let ticks = draw_ticks(rng, &cfg, dims);
        let (loss_value, grads, final_state) = match self.engine {
            Engine::Burn => burn_step(model, &cfg, states, &target, &ticks, dims)?,
            Engine::Sparse => self.sparse_step(model, &states, &target, &ticks, dims)?,
        };
        let accuracy = cell_accuracy(&final_state, &labels, &cfg, dims[1] * dims[2]);
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
            NamedArray {
                name: "pool".into(),
                shape: vec![self.pool.len(), c, h, w],
                data: self.pool.data.clone(),
            },
            NamedArray {
                name: "labels".into(),
                shape: vec![self.labels.len()],
                data: self.labels.iter().map(|&l| l as f32).collect(),
            },
        ]
    }

    fn set_state(&mut self, state: Vec<NamedArray>) -> Result<()> {
        for a in state {
            match a.name.as_str() {
                "pool" if a.data.len() == self.pool.data.len() => self.pool.data = a.data,
                "labels" if a.data.len() == self.labels.len() => {
                    self.labels = a.data.iter().map(|&l| l as u8).collect()
                }
                _ => {
                    return Err(NcaError::config(
                        "task state",
                        format!("'{}' does not fit this configuration", a.name),
                    ));
                }
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

impl ClassifyTask {
    fn sparse_step(
        &mut self,
        model: &ClassifyNca,
        states: &[f32],
        target: &[f32],
        ticks: &[TickMasks],
        dims: [usize; 3],
    ) -> Result<(f32, burn::optim::GradientsParams, Vec<f32>)> {
        let spec = engine_spec(&self.cfg);
        let params = sparse::params_from(Some(&model.perception), &model.update);
        let roll = match self.tape.take() {
            Some(old) => nca_fast::rollout_reusing(&spec, &params, states, dims, ticks, old),
            None => nca_fast::rollout(&spec, &params, states, dims, ticks, true),
        }
        .map_err(sparse::engine_err)?;
        let (loss_value, d_final) = loss_and_grad(&roll.final_state, target, &self.cfg, dims);
        let tape = roll.tape.expect("tape kept");
        let (g, _) =
            nca_fast::backward(&spec, &params, &tape, &d_final).map_err(sparse::engine_err)?;
        self.tape = Some(tape);
        let grads = sparse::grads_to_burn(g, Some(&model.perception), &model.update);
        Ok((loss_value, grads, roll.final_state))
    }
}

/// One step on the plain Burn path (any backend): the same masks, noise and loss.
fn burn_step(
    model: &ClassifyNca,
    cfg: &ClassifyConfig,
    states: Vec<f32>,
    target: &[f32],
    ticks: &[TickMasks],
    [b, h, w]: [usize; 3],
) -> Result<(f32, burn::optim::GradientsParams, Vec<f32>)> {
    let device = model.perception.weight.val().device();
    let c = cfg.channels;
    let mut x = Tensor::<4>::from_data(TensorData::new(states, [b, c, h, w]), &device);
    let alive = alive_threshold(x.clone(), 0, cfg.alive_threshold);
    for t in ticks {
        let fire: Vec<f32> = t.fire.iter().map(|&v| v as f32).collect();
        let fire = Tensor::<4>::from_data(TensorData::new(fire, [b, 1, h, w]), &device);
        let noise = t
            .noise
            .as_ref()
            .map(|n| Tensor::<4>::from_data(TensorData::new(n.clone(), [b, c - 1, h, w]), &device));
        x = model.tick(x, alive.clone(), fire, noise);
    }
    let target = Tensor::<4>::from_data(
        TensorData::new(target.to_vec(), [b, cfg.classes, h, w]),
        &device,
    );
    let l = loss(x.clone(), target, alive, cfg);
    let loss_value = l.clone().into_scalar::<f32>();
    let grads = GradientsParams::from_grads(l.backward(), model);
    let final_state: Vec<f32> = x
        .detach()
        .into_data()
        .try_to_vec()
        .map_err(|e| NcaError::config("state", format!("{e:?}")))?;
    Ok((loss_value, grads, final_state))
}

/// The class a cell votes for: the first of the highest vote channels (like `argmax`).
/// `state` is one `[C, H, W]` state, `k0` its first vote channel, `i` the cell.
pub fn vote(state: &[f32], k0: usize, classes: usize, hw: usize, i: usize) -> usize {
    let mut best = 0;
    for k in 1..classes {
        if state[(k0 + k) * hw + i] > state[(k0 + best) * hw + i] {
            best = k;
        }
    }
    best
}
