//! Self-classifying MNIST digits (Randazzo et al., Distill 2020): the configuration as `nca`
//! stores it, the engine spec, the tick masks, state edits (fresh digit, mutation) and votes.

use nca_fast::{NcaParams, NcaSpec, TickMasks};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::error::{Result, bail};
use crate::masks::{fire_mask, gaussian_values};

/// The family name in checkpoints.
pub const FAMILY: &str = "classify";

/// Matplotlib's "tab10" palette, one colour per digit class (as `nca-viz` draws votes).
pub const TAB10: [[u8; 3]; 10] = [
    [0x1f, 0x77, 0xb4],
    [0xff, 0x7f, 0x0e],
    [0x2c, 0xa0, 0x2c],
    [0xd6, 0x27, 0x28],
    [0x94, 0x67, 0xbd],
    [0x8c, 0x56, 0x4b],
    [0xe3, 0x77, 0xc2],
    [0x7f, 0x7f, 0x7f],
    [0xbc, 0xbd, 0x22],
    [0x17, 0xbe, 0xcf],
];

/// Training loss on the vote channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Pixel-wise L2 to the one-hot label on alive cells (the paper's best).
    #[default]
    L2,
    /// Softmax cross-entropy per alive cell.
    CrossEntropy,
}

/// Architecture and training settings; defaults are the paper's (`nca::classify::ClassifyConfig`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClassifyConfig {
    /// State channels: 1 pixel + hidden + classes.
    pub channels: usize,
    /// Number of classes (the last `classes` channels vote).
    pub classes: usize,
    /// Width of the perception and hidden layer.
    pub hidden: usize,
    /// Probability that a cell updates in a tick.
    pub fire_rate: f32,
    /// A cell is alive when its pixel exceeds this.
    pub alive_threshold: f32,
    /// Standard deviation of the residual noise.
    pub noise_std: f32,
    /// Ticks per training step.
    pub ticks: usize,
    /// Batch size.
    pub batch: usize,
    /// Pool size.
    pub pool: usize,
    /// Batch members replaced by fresh digits each step.
    pub fresh_per_batch: usize,
    /// Batch members mutated into another digit each step.
    pub mutate_per_batch: usize,
    /// The loss.
    pub loss: Loss,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        Self {
            channels: 20,
            classes: 10,
            hidden: 80,
            fire_rate: 0.5,
            alive_threshold: 0.1,
            noise_std: 0.02,
            ticks: 20,
            batch: 16,
            pool: 160,
            fresh_per_batch: 4,
            mutate_per_batch: 4,
            loss: Loss::L2,
        }
    }
}

impl ClassifyConfig {
    /// The paper's settings at another batch size: the pool holds ten batches (at least 160
    /// states), a quarter of each batch is fresh digits and a quarter mutated ones.
    pub fn with_batch(batch: usize, ticks: usize) -> Self {
        Self {
            batch,
            ticks,
            pool: (batch * 10).max(160),
            fresh_per_batch: batch / 4,
            mutate_per_batch: batch / 4,
            ..Self::default()
        }
    }

    /// Channels the network writes (all but the pixel).
    pub fn update_channels(&self) -> usize {
        self.channels - 1
    }

    /// First vote channel.
    pub fn first_class_channel(&self) -> usize {
        self.channels - self.classes
    }

    /// Checks the values a user can get wrong (the same checks as `nca`).
    pub fn validate(&self) -> Result<()> {
        if self.channels <= self.classes {
            bail!("invalid channels: must exceed the number of classes");
        }
        if self.classes < 2 || self.channels > 256 {
            bail!("invalid channels: need at least 2 classes and at most 256 channels");
        }
        if !(0.0..=1.0).contains(&self.fire_rate) || self.fire_rate == 0.0 {
            bail!("invalid fire rate: must be in (0, 1]");
        }
        if self.ticks == 0 || self.ticks > 10_000 {
            bail!("invalid ticks: must be in 1..=10000");
        }
        if self.batch == 0 || self.pool < self.batch {
            bail!("invalid batch: must be at least 1 and at most the pool size");
        }
        if self.fresh_per_batch.saturating_add(self.mutate_per_batch) > self.batch {
            bail!("invalid batch: fresh + mutated members exceed the batch");
        }
        if self.hidden == 0 || self.hidden > 4096 {
            bail!("invalid hidden: must be in 1..=4096");
        }
        Ok(())
    }
}

/// The engine's description of the self-classifier.
pub fn engine_spec(cfg: &ClassifyConfig) -> NcaSpec {
    NcaSpec::self_classifying(cfg.channels, cfg.hidden, cfg.hidden, cfg.alive_threshold)
}

/// The training ticks' fire masks and noise, in the order `nca`'s `classify::task::draw_ticks`
/// draws them (per tick: fire mask, then noise if `noise_std > 0`).
pub fn draw_ticks(
    rng: &mut impl Rng,
    cfg: &ClassifyConfig,
    [b, h, w]: [usize; 3],
) -> Vec<TickMasks> {
    (0..cfg.ticks)
        .map(|_| {
            let fire = fire_mask(rng, b * h * w, cfg.fire_rate);
            let noise = (cfg.noise_std > 0.0)
                .then(|| gaussian_values(rng, b * cfg.update_channels() * h * w, cfg.noise_std));
            TickMasks { fire, noise }
        })
        .collect()
}

/// The fresh state of a digit: its pixels in channel 0, zeros elsewhere (`[C, H, W]`).
pub fn fresh_state(pixels: &[f32], channels: usize) -> Vec<f32> {
    let mut s = vec![0.0; channels * pixels.len()];
    s[..pixels.len()].copy_from_slice(pixels);
    s
}

/// Swaps the digit of `state` for `pixels`: cells alive in both keep their state, all others
/// start from zero (the paper's mutation; also what redrawing a digit does).
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

/// A trained self-classifier read from a checkpoint.
#[derive(Clone, Debug)]
pub struct ClassifyModel {
    /// Its configuration.
    pub cfg: ClassifyConfig,
    /// The engine's description.
    pub spec: NcaSpec,
    /// The weights.
    pub params: NcaParams,
    /// Training steps done.
    pub step: usize,
}

impl ClassifyModel {
    /// Reads a `classify` checkpoint's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let (ck, cfg) = Checkpoint::open_with_config(
            bytes,
            FAMILY,
            "classify config",
            ClassifyConfig::validate,
        )?;
        let (c, h, u) = (cfg.channels, cfg.hidden, cfg.update_channels());
        let params = NcaParams {
            perception: Some(ck.conv("perception", [h, c, 3, 3])?),
            layers: vec![
                ck.conv("update.layers.0", [h, h, 1, 1])?,
                ck.conv("update.layers.1", [u, h, 1, 1])?,
            ],
        };
        let spec = engine_spec(&cfg);
        spec.validate(&params)?;
        Ok(Self {
            cfg,
            spec,
            params,
            step: ck.step,
        })
    }

    /// Per alive cell its vote, `None` for dead cells, of one `[C, H, W]` state with `hw` cells.
    pub fn votes(&self, state: &[f32], hw: usize) -> Vec<Option<usize>> {
        let k0 = self.cfg.first_class_channel();
        (0..hw)
            .map(|i| {
                (state[i] > self.cfg.alive_threshold)
                    .then(|| vote(state, k0, self.cfg.classes, hw, i))
            })
            .collect()
    }
}
