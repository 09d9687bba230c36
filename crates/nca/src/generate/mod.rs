//! Label-conditioned digit generation: one automaton draws the digit it is asked for.
//!
//! **Method.** A 28x28 grid of cells, each with `channels` state channels (the image in channel
//! 0, the others hidden) and `embed` more that hold a learned embedding of the requested label
//! (10 → `embed`), broadcast over the grid and never updated: the label is read by every cell at
//! every tick, as the original concatenates it to the network's input, without being part of the
//! evolving state. Each tick every cell perceives its 3x3 neighbourhood (identity + Sobel x/y
//! of every channel, embedding included), a per-cell MLP proposes an update of the state
//! channels, and a random half of the cells apply it (fire rate 0.5, in training and evaluation
//! alike). There is no alive rule.
//!
//! Two tasks share the model:
//! - [`GenerateMode::Reconstruct`] (the original's): the rollout starts from the target digit
//!   blurred by a 5x5 average pool and must restore it;
//! - [`GenerateMode::Grow`]: the rollout starts from one seed cell at the centre and must grow
//!   a digit of the requested class. With a constant seed (hidden channels 1) and each sample
//!   fitted to a random training digit of its class, the squared error is least for the class's
//!   mean image: a grey prototype, varied by the fire masks only. Two settings make it a
//!   generator instead: a *noise seed* ([`GenerateConfig::seed_noise`]: the seed cell's hidden
//!   channels are random, each sample its own draw) and *matched targets*
//!   ([`GenerateConfig::match_group`]: the batch comes in groups of samples of one class, and
//!   the group's digits are given to its samples by the cheapest matching of the final images,
//!   [`matched_targets`]), so that different seeds are pulled towards different digits, not all
//!   to one mean. What grey haze remains goes with the absolute error ([`GenerateConfig::l1`]):
//!   the shipped grower is trained with matching and the squared error, then with the absolute
//!   error (RESULTS.md).
//!
//! The loss is the mean squared error of channel 0 against the target, averaged over the states
//! after every `observe_every` ticks and the last one (intermediate-step losses, as the
//! original's ticks 0, 16, …, 127), through [`train_step_observed`]; the embedding learns from
//! the gradient at the initial state.
//!
//! **Per-digit pretraining.** With [`GenerateConfig::digit`] set, a model trains on one class
//! only; [`merge`] averages ten such models (all started from the same seed, so their weights
//! stay comparable) into one, taking each class's embedding row from the model trained on it,
//! and a unified run starts from it (`init` of [`GenerateTask`]).
//!
//! The original architecture (two 3x3 convolutions with BatchNorm, 32 channels) is not a preset:
//! its second 3x3 convolution and its cross-cell BatchNorm do not fit the shared automaton and
//! its fast engine. Ours is the Growing-NCA update with the label as input.
//!
//! - [`eval`]: pixel accuracy with its baselines, the two judges, diversity, samples.

pub mod eval;

use std::path::Path;
use std::sync::Arc;

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};
use nca_data::Split;
use rand::Rng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::ca::{CaConfig, Nca, Preset, train_step_observed};
use crate::checkpoint::CheckpointMeta;
use crate::engine::{AliveRule, Engine};
use crate::error::{NcaError, Result};
use crate::perceive::PerceptionKind;
use crate::schedule::LrSchedule;
use crate::trainer::{Recipe, StepOutput, Task};

/// The family name in checkpoints.
pub const FAMILY: &str = "generate";

/// Number of digit classes.
pub const CLASSES: usize = 10;

/// Where a rollout starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum GenerateMode {
    /// From the target blurred by a 5x5 average pool (the original's task).
    #[default]
    Reconstruct,
    /// From one seed cell: grow a digit of the requested class.
    Grow,
}

/// Settings of a generation model and its training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenerateConfig {
    /// Reconstruct a blurred digit or grow one from a seed.
    pub mode: GenerateMode,
    /// State channels per cell (the image is channel 0).
    pub channels: usize,
    /// Width of the label embedding (read-only channels after the state).
    pub embed: usize,
    /// Hidden width of the update MLP.
    pub hidden: usize,
    /// Ticks per rollout.
    pub ticks: usize,
    /// The loss reads the state every this many ticks (and after the last).
    pub observe_every: usize,
    /// Batch size.
    pub batch: usize,
    /// Probability that a cell updates in a tick.
    pub fire_rate: f32,
    /// Side of the average-pool blur of the reconstruction start.
    pub blur: usize,
    /// Train on this class only (per-digit pretraining); `None`: every class.
    pub digit: Option<u8>,
    /// Grow: the seed cell's hidden channels are N(0, `seed_noise`) draws, a noise seed that
    /// each sample gets its own of (0: all 1, the same seed for every sample).
    pub seed_noise: f32,
    /// Grow: 0 fits every sample to its own random digit of its class. `k > 0` draws the batch
    /// as groups of `k` samples of one class and `k` digits of it, and fits each sample to the
    /// digit the minimum-cost matching of the group gives it (by the final error), so that
    /// different noise seeds are pulled to different digits instead of all to the class mean.
    pub match_group: usize,
    /// Fit channel 0 with the mean absolute error instead of the squared error: among the
    /// digits a sample could become, the loss is least at their median, not their mean, so
    /// uncertain pixels go to 0 or 1 instead of grey.
    pub l1: bool,
}

impl Default for GenerateConfig {
    fn default() -> Self {
        Self {
            mode: GenerateMode::Reconstruct,
            channels: 16,
            embed: 8,
            hidden: 128,
            ticks: 64,
            observe_every: 16,
            batch: 16,
            fire_rate: 0.5,
            blur: 5,
            digit: None,
            seed_noise: 0.0,
            match_group: 0,
            l1: false,
        }
    }
}

impl GenerateConfig {
    /// Checks the settings.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str, why: &str| Err(NcaError::config(what, why.to_string()));
        if self.channels < 2 || self.channels > 256 {
            return bad("channels", "must be in 2..=256");
        }
        if self.embed == 0 || self.embed > 64 {
            return bad("embed", "must be in 1..=64");
        }
        if self.hidden == 0 || self.hidden > 4096 {
            return bad("hidden", "must be in 1..=4096");
        }
        if self.ticks == 0 || self.ticks > 10_000 {
            return bad("ticks", "must be in 1..=10000");
        }
        if self.observe_every == 0 {
            return bad("observe_every", "must be at least 1");
        }
        if self.batch == 0 || self.batch > 4096 {
            return bad("batch", "must be in 1..=4096");
        }
        if !(self.fire_rate > 0.0 && self.fire_rate <= 1.0) {
            return bad("fire_rate", "must be in (0, 1]");
        }
        if self.blur == 0 || self.blur.is_multiple_of(2) || self.blur > 27 {
            return bad("blur", "must be an odd side in 1..=27");
        }
        if let Some(d) = self.digit
            && d as usize >= CLASSES
        {
            return bad("digit", "must be 0..9");
        }
        if !(self.seed_noise >= 0.0 && self.seed_noise <= 100.0) {
            return bad("seed_noise", "must be in 0..=100");
        }
        if self.match_group > 0 && !self.batch.is_multiple_of(self.match_group) {
            return bad("match_group", "must divide the batch size");
        }
        Ok(())
    }

    /// The tick counts after which the loss reads the state: every `observe_every`, and the last.
    pub fn observations(&self) -> Vec<usize> {
        let mut at: Vec<usize> = (1..)
            .map(|k| k * self.observe_every)
            .take_while(|&t| t < self.ticks)
            .collect();
        at.push(self.ticks);
        at
    }
}

impl Preset for GenerateConfig {
    /// Sobel perception of state and embedding, a `3(C+E) → hidden → C` update, no alive rule,
    /// no residual noise.
    fn ca(&self) -> CaConfig {
        CaConfig {
            channels: self.channels + self.embed,
            perception: PerceptionKind::Sobel,
            learned_width: 0,
            perception_relu: false,
            hidden: vec![self.hidden],
            update_channels: 0..self.channels,
            alive: AliveRule::Static {
                channel: self.channels,
                threshold: f32::NEG_INFINITY,
            },
            fire_rate: self.fire_rate,
            noise_std: 0.0,
        }
    }
}

/// The generation model: the automaton and the label embedding `[10, embed]`.
#[derive(Module, Debug)]
pub struct GenerateModel {
    /// The cellular automaton.
    pub nca: Nca,
    /// One row per class, written into the read-only channels.
    pub embedding: Param<Tensor<2>>,
}

impl GenerateModel {
    /// A fresh model: PyTorch's default init for the automaton, N(0, 1) embedding rows (as
    /// `nn.Embedding`).
    pub fn new(cfg: &GenerateConfig, device: &Device, rng: &mut StdRng) -> Self {
        let nca = cfg.init(device, rng);
        let rows: Vec<f32> = crate::noise::gaussian_values(rng, CLASSES * cfg.embed, 1.0);
        let t = Tensor::from_data(TensorData::new(rows, [CLASSES, cfg.embed]), device);
        Self {
            nca,
            embedding: Param::from_tensor(t),
        }
    }

    /// The same weights as fresh trainable parameters on `device` (e.g. loaded weights to train
    /// on an autodiff device).
    pub fn copy_on(&self, device: &Device) -> Self {
        let mut nca = Nca::new(
            self.nca.cfg.clone(),
            device,
            &mut rand::SeedableRng::seed_from_u64(0),
        );
        nca = set_params(nca, &self.nca.params());
        let rows = TensorData::new(self.embedding_values(), self.embedding.val().dims());
        Self {
            nca,
            embedding: Param::from_tensor(Tensor::from_data(rows, device)),
        }
    }

    /// The embedding rows, row-major `[10, embed]`.
    pub fn embedding_values(&self) -> Vec<f32> {
        self.embedding
            .val()
            .into_data()
            .convert::<f32>()
            .try_to_vec()
            .expect("f32 embedding")
    }
}

/// The 5x5 (`side`) average pool of a `h × w` image, zero padding counted (PyTorch's default).
pub fn blur(image: &[f32], h: usize, w: usize, side: usize) -> Vec<f32> {
    let r = (side / 2) as isize;
    let norm = (side * side) as f32;
    let mut out = vec![0.0; h * w];
    for y in 0..h as isize {
        for x in 0..w as isize {
            let mut s = 0.0;
            for dy in -r..=r {
                for dx in -r..=r {
                    let (yy, xx) = (y + dy, x + dx);
                    if yy >= 0 && xx >= 0 && (yy as usize) < h && (xx as usize) < w {
                        s += image[yy as usize * w + xx as usize];
                    }
                }
            }
            out[y as usize * w + x as usize] = s / norm;
        }
    }
    out
}

/// The start states `[B, C+E, H, W]` of `labels`: channel 0 the blurred `images` (reconstruct)
/// or a seed cell in the hidden channels (grow; its noise, if any, drawn from `rng`), the
/// label's embedding row in the last channels.
pub fn start_states(
    cfg: &GenerateConfig,
    embedding: &[f32],
    labels: &[u8],
    images: &[f32],
    [h, w]: [usize; 2],
    rng: &mut impl Rng,
) -> Vec<f32> {
    let (c, e, hw) = (cfg.channels, cfg.embed, h * w);
    let per = (c + e) * hw;
    let mut x = vec![0.0f32; labels.len() * per];
    for (k, &label) in labels.iter().enumerate() {
        let s = &mut x[k * per..(k + 1) * per];
        match cfg.mode {
            GenerateMode::Reconstruct => {
                s[..hw].copy_from_slice(&blur(&images[k * hw..(k + 1) * hw], h, w, cfg.blur));
            }
            GenerateMode::Grow => {
                let centre = (h / 2) * w + w / 2;
                let noise = crate::noise::gaussian_values(rng, c - 1, cfg.seed_noise);
                for ch in 1..c {
                    s[ch * hw + centre] = if cfg.seed_noise > 0.0 {
                        noise[ch - 1]
                    } else {
                        1.0
                    };
                }
            }
        }
        for j in 0..e {
            let v = embedding[label as usize * e + j];
            s[(c + j) * hw..(c + j + 1) * hw].fill(v);
        }
    }
    x
}

/// Mean squared error of channel 0 of each state against its image, averaged over the batch,
/// and its gradient (`per` values per state, `images` `[B, H·W]`).
pub fn image_mse_and_grad(states: &[f32], per: usize, images: &[f32]) -> (f32, Vec<f32>) {
    channel0_loss(states, per, images, |diff| (diff * diff, 2.0 * diff))
}

/// Mean absolute error of channel 0 of each state against its image, averaged over the batch,
/// and its (sub)gradient; the layout as [`image_mse_and_grad`].
pub fn image_l1_and_grad(states: &[f32], per: usize, images: &[f32]) -> (f32, Vec<f32>) {
    channel0_loss(states, per, images, |diff| {
        let slope = if diff == 0.0 { 0.0 } else { diff.signum() };
        (diff.abs(), slope)
    })
}

/// The mean over the batch's channel-0 pixels of `pixel(output − image)` (a loss term and its
/// derivative), and the gradient with respect to the states.
fn channel0_loss(
    states: &[f32],
    per: usize,
    images: &[f32],
    pixel: impl Fn(f32) -> (f32, f32),
) -> (f32, Vec<f32>) {
    let b = states.len() / per;
    let hw = images.len() / b.max(1);
    let scale = 1.0 / (b * hw) as f32;
    let mut d = vec![0.0f32; states.len()];
    let mut total = 0.0f64;
    for k in 0..b {
        for i in 0..hw {
            let (term, slope) = pixel(states[k * per + i] - images[k * hw + i]);
            total += term as f64;
            d[k * per + i] = slope * scale;
        }
    }
    ((total * scale as f64) as f32, d)
}

/// The generation training task.
pub struct GenerateTask {
    /// Settings.
    pub cfg: GenerateConfig,
    /// Which implementation computes a step.
    pub engine: Engine,
    /// Weights to start from instead of a fresh model (e.g. [`merge`]d per-digit models).
    pub init: Option<GenerateModel>,
    data: Arc<Split>,
    indices: Vec<usize>,
    by_class: Vec<Vec<usize>>,
    tapes: Vec<nca_fast::Tape>,
}

impl GenerateTask {
    /// A task training on `data` (only on `cfg.digit`'s images when set).
    pub fn new(cfg: GenerateConfig, data: Arc<Split>) -> Result<Self> {
        cfg.validate()?;
        let indices: Vec<usize> = (0..data.len())
            .filter(|&i| cfg.digit.is_none_or(|d| data.label(i) == d))
            .collect();
        if indices.is_empty() {
            return Err(NcaError::config("data", "no training digits of that class"));
        }
        let mut by_class = vec![Vec::new(); CLASSES];
        for &i in &indices {
            by_class[data.label(i) as usize].push(i);
        }
        Ok(Self {
            cfg,
            engine: Engine::Fast,
            init: None,
            data,
            indices,
            by_class,
            tapes: Vec::new(),
        })
    }
}

impl GenerateTask {
    /// The batch's training digits: independent random picks, or with `match_group` groups of
    /// digits of one random class each.
    fn picks(&self, rng: &mut StdRng) -> Vec<usize> {
        let (b, k) = (self.cfg.batch, self.cfg.match_group);
        if self.cfg.mode != GenerateMode::Grow || k == 0 {
            return (0..b)
                .map(|_| self.indices[rng.random_range(0..self.indices.len())])
                .collect();
        }
        let classes: Vec<&Vec<usize>> = self.by_class.iter().filter(|c| !c.is_empty()).collect();
        (0..b / k)
            .flat_map(|_| {
                let class = classes[rng.random_range(0..classes.len())];
                (0..k)
                    .map(|_| class[rng.random_range(0..class.len())])
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// The targets `images` (`[B, H·W]`) reordered within each group of `group` so that the total
/// squared error to `outputs` is least (`group` 0: unchanged).
pub fn matched_targets(outputs: &[f32], images: &[f32], hw: usize, group: usize) -> Vec<f32> {
    if group == 0 {
        return images.to_vec();
    }
    let mut out = vec![0.0; images.len()];
    let block = group * hw;
    for (g, (o, t)) in outputs.chunks(block).zip(images.chunks(block)).enumerate() {
        let cost: Vec<f64> = (0..group * group)
            .map(|ij| {
                let (i, j) = (ij / group, ij % group);
                let (a, b) = (&o[i * hw..(i + 1) * hw], &t[j * hw..(j + 1) * hw]);
                a.iter()
                    .zip(b)
                    .map(|(x, y)| ((x - y) * (x - y)) as f64)
                    .sum()
            })
            .collect();
        for (i, j) in min_cost_assignment(&cost, group).into_iter().enumerate() {
            let dst = g * block + i * hw;
            out[dst..dst + hw].copy_from_slice(&t[j * hw..(j + 1) * hw]);
        }
    }
    out
}

/// The minimum-cost perfect matching of the `n × n` row-major `cost` (the Hungarian algorithm
/// with potentials, O(n³)): entry `i` is the column given to row `i`. Non-finite costs count as
/// very large.
pub fn min_cost_assignment(cost: &[f64], n: usize) -> Vec<usize> {
    let c = |i: usize, j: usize| {
        let v = cost[i * n + j];
        if v.is_finite() { v } else { 1e300 }
    };
    // 1-based rows/columns; column 0 is the virtual start. `row_of[j]`: the row matched to j.
    let (mut u, mut v) = (vec![0.0; n + 1], vec![0.0; n + 1]);
    let (mut row_of, mut way) = (vec![0usize; n + 1], vec![0usize; n + 1]);
    for i in 1..=n {
        row_of[0] = i;
        let mut j0 = 0;
        let mut min_v = vec![f64::INFINITY; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let (i0, mut delta, mut j1) = (row_of[j0], f64::INFINITY, 0);
            for j in 1..=n {
                if !used[j] {
                    let cur = c(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < min_v[j] {
                        (min_v[j], way[j]) = (cur, j0);
                    }
                    if min_v[j] < delta {
                        (delta, j1) = (min_v[j], j);
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[row_of[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_v[j] -= delta;
                }
            }
            j0 = j1;
            if row_of[j0] == 0 {
                break;
            }
        }
        while j0 != 0 {
            let j1 = way[j0];
            row_of[j0] = row_of[j1];
            j0 = j1;
        }
    }
    let mut col_of = vec![0; n];
    for j in 1..=n {
        col_of[row_of[j] - 1] = j - 1;
    }
    col_of
}

impl Task for GenerateTask {
    type Model = GenerateModel;

    const FAMILY: &'static str = FAMILY;

    fn config(&self) -> serde_json::Value {
        serde_json::to_value(&self.cfg).expect("config serialises")
    }

    fn init_model(&self, device: &Device, rng: &mut StdRng) -> GenerateModel {
        match &self.init {
            Some(m) => m.copy_on(device),
            None => GenerateModel::new(&self.cfg, device, rng),
        }
    }

    /// Adam at 1e-3, ×0.1 at step 4,000; gradients clipped to a global norm of 1 (the
    /// original's clip; its AdamW at 1e-5 learns far too slowly for a CPU budget).
    fn recipe(&self) -> Recipe {
        Recipe {
            lr: LrSchedule::tenfold_drops(1e-3, &[4000]),
            grad_policy: crate::grads::GradPolicy::ClipGlobal { max_norm: 1.0 },
            ..Recipe::default()
        }
    }

    /// A batch of random training digits, a rollout of `ticks` ticks, the channel-0 error
    /// averaged over the observations.
    fn step(
        &mut self,
        model: &GenerateModel,
        _step: usize,
        rng: &mut StdRng,
    ) -> Result<StepOutput> {
        let cfg = &self.cfg;
        let (h, w) = (self.data.rows(), self.data.cols());
        let hw = h * w;
        let picks = self.picks(rng);
        let labels: Vec<u8> = picks.iter().map(|&i| self.data.label(i)).collect();
        let images: Vec<f32> = picks.iter().flat_map(|&i| self.data.image_f32(i)).collect();
        let embedding = model.embedding_values();
        let x0 = start_states(cfg, &embedding, &labels, &images, [h, w], rng);
        let dims = [cfg.batch, h, w];
        let ticks = model.nca.cfg.draw_ticks(rng, cfg.ticks, dims, false);
        let at = cfg.observations();
        let per = (cfg.channels + cfg.embed) * hw;
        let n = at.len() as f32;
        let group = if cfg.mode == GenerateMode::Grow {
            cfg.match_group
        } else {
            0
        };
        // The matching is made once, on the final images, and kept for the step's metrics.
        let matched = std::cell::OnceCell::new();
        let loss = |states: &[Vec<f32>]| {
            let last = states.last().expect("an observation");
            let targets = matched
                .get_or_init(|| matched_targets(&channel0(last, per, hw), &images, hw, group));
            let mut total = 0.0;
            let grads = states
                .iter()
                .map(|s| {
                    let (l, mut d) = if cfg.l1 {
                        image_l1_and_grad(s, per, targets)
                    } else {
                        image_mse_and_grad(s, per, targets)
                    };
                    total += l / n;
                    d.iter_mut().for_each(|v| *v /= n);
                    d
                })
                .collect();
            (total, grads)
        };
        let out = train_step_observed(
            &model.nca,
            self.engine,
            &x0,
            dims,
            &ticks,
            &at,
            &mut self.tapes,
            &loss,
        )?;
        let mut grads = out.grads;
        let d_embedding = embedding_grad(cfg, &out.d_initial, &labels, hw);
        let device = model.embedding.val().device().inner();
        let t = Tensor::<2>::from_data(TensorData::new(d_embedding, [CLASSES, cfg.embed]), &device);
        grads.register(model.embedding.id, t);
        let last = out.states.last().expect("an observation");
        let targets = matched.into_inner().expect("the loss ran");
        let (final_mse, _) = image_mse_and_grad(last, per, &targets);
        let acc = eval::pixel_accuracy(&channel0(last, per, hw), &targets);
        Ok(StepOutput {
            loss: out.loss,
            grads,
            metrics: vec![
                ("final_mse".into(), final_mse as f64),
                ("pixel_accuracy".into(), acc),
            ],
        })
    }
}

/// `∂loss/∂embedding` `[10, E]` from the gradient at the initial states: each read-only channel
/// holds its row's value at every cell, so the row's gradient is the sum over the cells.
fn embedding_grad(cfg: &GenerateConfig, d_initial: &[f32], labels: &[u8], hw: usize) -> Vec<f32> {
    let (c, e) = (cfg.channels, cfg.embed);
    let per = (c + e) * hw;
    let mut g = vec![0.0f32; CLASSES * e];
    for (k, &label) in labels.iter().enumerate() {
        for j in 0..e {
            let off = k * per + (c + j) * hw;
            g[label as usize * e + j] += d_initial[off..off + hw].iter().sum::<f32>();
        }
    }
    g
}

/// Channel 0 of each state (`per` values each, `hw` cells): the images, `[B, H·W]`.
pub fn channel0(states: &[f32], per: usize, hw: usize) -> Vec<f32> {
    states
        .chunks_exact(per)
        .flat_map(|s| &s[..hw])
        .copied()
        .collect()
}

/// Averages the weights of per-digit models into one; class `d`'s embedding row is taken from
/// `models[d]`, the model trained on that class.
pub fn merge(models: &[GenerateModel]) -> Result<GenerateModel> {
    if models.len() != CLASSES {
        return Err(NcaError::config(
            "merge",
            format!("needs {CLASSES} per-digit models, got {}", models.len()),
        ));
    }
    let n = models.len() as f32;
    let mut merged = models[0].clone();
    let mut avg = nca_fast::NcaParams::zeros(&models[0].nca.cfg.spec());
    for m in models {
        avg.add_assign(&m.nca.params());
    }
    let scale = |v: &mut Vec<f32>| v.iter_mut().for_each(|x| *x /= n);
    avg.layers.iter_mut().for_each(|(w, b)| {
        scale(w);
        scale(b);
    });
    merged.nca = set_params(merged.nca, &avg);
    let e = merged.embedding.val().dims()[1];
    let table: Vec<f32> = models
        .iter()
        .enumerate()
        .flat_map(|(d, m)| m.embedding_values()[d * e..(d + 1) * e].to_vec())
        .collect();
    let device = merged.embedding.val().device();
    merged.embedding = Param::from_tensor(Tensor::from_data(
        TensorData::new(table, [CLASSES, e]),
        &device,
    ));
    Ok(merged)
}

/// `nca` with its MLP weights replaced by `params` (fixed perception: no perception weights).
fn set_params(mut nca: Nca, params: &nca_fast::NcaParams) -> Nca {
    let device = nca.device();
    for (layer, (w, b)) in nca.update.layers.iter_mut().zip(&params.layers) {
        let dims = layer.weight.val().dims();
        layer.weight =
            Param::from_tensor(Tensor::from_data(TensorData::new(w.clone(), dims), &device));
        if let Some(bias) = &mut layer.bias {
            let dims = bias.val().dims();
            *bias =
                Param::from_tensor(Tensor::from_data(TensorData::new(b.clone(), dims), &device));
        }
    }
    nca
}

/// The validated configuration in a `generate` checkpoint's metadata.
pub fn config_from_meta(path: &Path, meta: &CheckpointMeta) -> Result<GenerateConfig> {
    let what = "generate config";
    crate::checkpoint::validated_part(path, meta, &[&["task"]], what, GenerateConfig::validate)
}

/// Loads a `generate` checkpoint on `device` with the configuration it was trained with.
pub fn load_checkpoint(
    path: &Path,
    device: &Device,
) -> Result<(GenerateModel, GenerateConfig, CheckpointMeta)> {
    crate::checkpoint::load_family(path, FAMILY, config_from_meta, |cfg| {
        GenerateModel::new(cfg, device, &mut rand::SeedableRng::seed_from_u64(0))
    })
}

#[cfg(test)]
mod tests;
