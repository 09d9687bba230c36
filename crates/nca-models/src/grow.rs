//! Growing, persistent and regenerating NCA (Mordvintsev et al., Distill 2020): the
//! configuration as `nca` stores it, the engine spec, the seed, circular cuts, and a loaded model.

use nca_fast::{NcaParams, NcaSpec, Perception};
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::error::{Result, bail};

/// The family name in checkpoints.
pub const FAMILY: &str = "grow";

/// The 3x3 identity filter: a cell's own value.
pub const IDENTITY: [f32; 9] = [0., 0., 0., 0., 1., 0., 0., 0., 0.];
/// Sobel x (left-to-right gradient), divided by 8 as in the Growing NCA paper.
pub const SOBEL_X: [f32; 9] = [-0.125, 0., 0.125, -0.25, 0., 0.25, -0.125, 0., 0.125];
/// Sobel y (top-to-bottom gradient), divided by 8.
pub const SOBEL_Y: [f32; 9] = [-0.125, -0.25, -0.125, 0., 0., 0., 0.125, 0.25, 0.125];
/// The 9-point Laplacian used by later NCA work, divided by 16.
pub const LAPLACIAN: [f32; 9] = [
    0.0625, 0.125, 0.0625, 0.125, -0.75, 0.125, 0.0625, 0.125, 0.0625,
];

/// Which perception a model uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum PerceptionKind {
    /// Identity + Sobel x + Sobel y per channel (3 features per channel).
    #[default]
    Sobel,
    /// Identity + Sobel x + Sobel y + Laplacian per channel (4 features per channel).
    #[cfg_attr(feature = "clap", value(alias = "sobel_laplacian"))]
    SobelLaplacian,
    /// A learned 3x3 convolution with bias.
    Learned,
}

impl PerceptionKind {
    /// The fixed filters of this kind, in output order; empty for [`PerceptionKind::Learned`].
    pub fn filters(self) -> Vec<[f32; 9]> {
        match self {
            PerceptionKind::Sobel => vec![IDENTITY, SOBEL_X, SOBEL_Y],
            PerceptionKind::SobelLaplacian => vec![IDENTITY, SOBEL_X, SOBEL_Y, LAPLACIAN],
            PerceptionKind::Learned => vec![],
        }
    }
}

/// Architecture settings; defaults are the paper's (`nca::grow::GrowConfig`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GrowConfig {
    /// State channels (RGBA + hidden).
    pub channels: usize,
    /// Hidden width of the update MLP.
    pub hidden: usize,
    /// Perception kind.
    pub perception: PerceptionKind,
    /// Probability that a cell updates in a tick.
    pub fire_rate: f32,
    /// Alpha above which a cell (and its neighbours) is alive.
    pub alive_threshold: f32,
}

impl Default for GrowConfig {
    fn default() -> Self {
        Self {
            channels: 16,
            hidden: 128,
            perception: PerceptionKind::Sobel,
            fire_rate: 0.5,
            alive_threshold: 0.1,
        }
    }
}

impl GrowConfig {
    /// Perception features per cell.
    pub fn features(&self) -> usize {
        match self.perception {
            PerceptionKind::Learned => 3 * self.channels,
            k => k.filters().len() * self.channels,
        }
    }

    /// Checks the values a user can get wrong.
    pub fn validate(&self) -> Result<()> {
        if self.channels < 4 || self.channels > 256 {
            bail!("invalid channels: must be in 4..=256 (RGBA first)");
        }
        if self.hidden == 0 || self.hidden > 4096 {
            bail!("invalid hidden: must be in 1..=4096");
        }
        if !(self.fire_rate > 0.0 && self.fire_rate <= 1.0) {
            bail!("invalid fire rate: must be in (0, 1]");
        }
        Ok(())
    }
}

/// The training regime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
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

/// Training settings; defaults are the paper's (`nca::grow::task::GrowTrainConfig`).
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
            bail!("invalid batch: must be at least 1 and at most the pool");
        }
        if self.min_ticks == 0 || self.min_ticks > self.max_ticks || self.max_ticks > 10_000 {
            bail!("invalid ticks: need 1 <= min <= max <= 10000");
        }
        if self.damaged >= self.batch && self.mode == TrainMode::Regenerating {
            bail!(
                "invalid --batch: regenerating mode damages {} samples per batch, so the batch \
                 must be larger",
                self.damaged
            );
        }
        Ok(())
    }
}

/// A target: `4 × side × side` premultiplied RGBA, channel-major (`nca::grow::GrowTarget`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrowTarget {
    /// Grid side in cells (image plus padding).
    pub side: usize,
    /// RGBA planes.
    pub rgba: Vec<f32>,
}

/// The engine's description of a growing NCA.
pub fn engine_spec(cfg: &GrowConfig) -> NcaSpec {
    let perception = match cfg.perception {
        PerceptionKind::Learned => Perception::Learned {
            out: cfg.features(),
        },
        k => Perception::Fixed {
            filters: k.filters(),
        },
    };
    NcaSpec::growing(cfg.channels, perception, cfg.hidden, cfg.alive_threshold)
}

/// The seed: all zeros but one cell at the centre whose alpha and hidden channels are 1
/// (`[C, side, side]`).
pub fn seed_state(channels: usize, side: usize) -> Vec<f32> {
    let mut s = vec![0.0; channels * side * side];
    plant_seed(&mut s, channels, side, side / 2, side / 2);
    s
}

/// Sets alpha and the hidden channels of cell `(x, y)` to 1 (a new seed; out of range: nothing).
pub fn plant_seed(state: &mut [f32], channels: usize, side: usize, x: usize, y: usize) {
    if x >= side || y >= side {
        return;
    }
    for c in 3..channels {
        state[c * side * side + y * side + x] = 1.0;
    }
}

/// Zeroes every channel of the cells whose centre lies within `r` of `(cx, cy)` (cell units) in a
/// `[c, h, w]` state (`nca::pool::damage_circle`).
pub fn damage_circle(state: &mut [f32], shape: [usize; 3], cx: f32, cy: f32, r: f32) {
    let [c, h, w] = shape;
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            if dx * dx + dy * dy < r * r {
                for ch in 0..c {
                    state[ch * h * w + y * w + x] = 0.0;
                }
            }
        }
    }
}

/// A circle (centre x, centre y, radius, in cells) that covers half of the target's visible
/// cells: centred on their centroid, radius the median distance from it.
pub fn half_cut(target: &GrowTarget) -> (f32, f32, f32) {
    let s = target.side;
    let n = s * s;
    let cells: Vec<(f32, f32)> = (0..n)
        .filter(|&i| target.rgba[3 * n + i] > 0.1)
        .map(|i| ((i % s) as f32 + 0.5, (i / s) as f32 + 0.5))
        .collect();
    if cells.is_empty() {
        return (s as f32 / 2.0, s as f32 / 2.0, 0.0);
    }
    let cx = cells.iter().map(|c| c.0).sum::<f32>() / cells.len() as f32;
    let cy = cells.iter().map(|c| c.1).sum::<f32>() / cells.len() as f32;
    let mut d: Vec<f32> = cells
        .iter()
        .map(|(x, y)| ((x - cx).powi(2) + (y - cy).powi(2)).sqrt())
        .collect();
    d.sort_by(f32::total_cmp);
    (cx, cy, d[d.len() / 2])
}

/// The RGBA bytes of the first four channels of a `[C, side, side]` state composited over white
/// (premultiplied alpha), as `nca grow animate` draws a frame.
pub fn render_rgba(state: &[f32], side: usize, out: &mut [u8]) {
    let n = side * side;
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    for i in 0..n {
        let a = state[3 * n + i];
        let a = if a.is_nan() { 0.0 } else { a.clamp(0.0, 1.0) };
        for ch in 0..3 {
            let c = state[ch * n + i];
            let c = if c.is_nan() { 0.0 } else { c };
            out[4 * i + ch] = byte(1.0 - a + c);
        }
        out[4 * i + 3] = 255;
    }
}

/// A trained growing NCA read from a checkpoint.
#[derive(Clone, Debug)]
pub struct GrowModel {
    /// Its training configuration (the model settings are `train.model`).
    pub train: GrowTrainConfig,
    /// The target it was trained to grow.
    pub target: GrowTarget,
    /// The engine's description.
    pub spec: NcaSpec,
    /// The weights.
    pub params: NcaParams,
    /// Training steps done.
    pub step: usize,
}

impl GrowModel {
    /// Reads a `grow` checkpoint's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let ck = Checkpoint::open(bytes, FAMILY)?;
        let train: GrowTrainConfig = ck.task_field("train", "grow config")?;
        let target: GrowTarget = ck.task_field("target", "or missing target")?;
        if target.side == 0 {
            bail!("target side is 0");
        }
        let cells = target
            .side
            .checked_mul(target.side)
            .and_then(|n| n.checked_mul(4));
        if cells != Some(target.rgba.len()) {
            bail!("target size does not match its side");
        }
        let cfg = &train.model;
        cfg.validate()?;
        let (c, f, h) = (cfg.channels, cfg.features(), cfg.hidden);
        let perception = match cfg.perception {
            PerceptionKind::Learned => Some(ck.conv("learned", [f, c, 3, 3])?),
            _ => None,
        };
        let layers = vec![
            ck.conv("update.layers.0", [h, f, 1, 1])?,
            ck.conv("update.layers.1", [c, h, 1, 1])?,
        ];
        let params = NcaParams { perception, layers };
        let spec = engine_spec(cfg);
        spec.validate(&params)?;
        Ok(Self {
            spec,
            params,
            target,
            step: ck.step,
            train,
        })
    }

    /// The model settings.
    pub fn cfg(&self) -> &GrowConfig {
        &self.train.model
    }

    /// Grid side (the target's).
    pub fn side(&self) -> usize {
        self.target.side
    }

    /// The seed state on the model's grid.
    pub fn seed_state(&self) -> Vec<f32> {
        seed_state(self.cfg().channels, self.side())
    }

    /// A stepper growing one pattern from the seed, its fire masks drawn from `seed`.
    pub fn seed_stepper(&self, seed: u64) -> Result<crate::Stepper> {
        let s = self.side();
        let (spec, params) = (self.spec.clone(), self.params.clone());
        let rate = self.cfg().fire_rate;
        crate::Stepper::new(spec, params, self.seed_state(), [1, s, s], rate, seed)
    }
}
