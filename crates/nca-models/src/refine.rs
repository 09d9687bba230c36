//! The digit refiner: fifty per-step 9x9 rules over a dense stack of images, run on
//! `nca-fast`'s spectral engine, and the verdict (cosine similarity to the ten class templates).

use nca_fast::{StackBlock, StackParams, StackSpec};
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpoint;
use crate::error::{Result, bail};

/// The family name in checkpoints.
pub const FAMILY: &str = "refine";

/// Architecture and training settings; defaults are the original's. `nca` uses this type as
/// `nca::refine::RefineConfig`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefineConfig {
    /// Steps, each with its own block.
    pub blocks: usize,
    /// Feature maps of each block's 9x9 convolution.
    pub width: usize,
    /// Side of the local convolution (odd; padded by `kernel / 2`).
    pub kernel: usize,
    /// The loss compares the image with the template after every `target_every`-th step.
    pub target_every: usize,
    /// Weight of the mean absolute change between consecutive images.
    pub smooth_weight: f32,
    /// Batch size.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f64,
}

impl Default for RefineConfig {
    fn default() -> Self {
        Self {
            blocks: 50,
            width: 16,
            kernel: 9,
            target_every: 5,
            smooth_weight: 0.1,
            batch: 256,
            lr: 5e-4,
        }
    }
}

impl RefineConfig {
    /// Checks the values a user can get wrong.
    pub fn validate(&self) -> Result<()> {
        if self.blocks == 0 || self.blocks > 200 {
            bail!("invalid blocks: must be in 1..=200");
        }
        if self.width == 0 || self.width > 1024 {
            bail!("invalid --width: must be in 1..=1024");
        }
        if self.kernel.is_multiple_of(2) || self.kernel > 27 {
            bail!("invalid kernel: must be odd and at most 27");
        }
        if self.target_every == 0 || self.target_every > self.blocks {
            bail!("invalid target_every: must be in 1..=blocks");
        }
        if !self.smooth_weight.is_finite() || self.smooth_weight < 0.0 {
            bail!("invalid smooth_weight: must be a finite number >= 0");
        }
        if self.batch == 0 || self.batch > 65_536 {
            bail!("invalid --batch: must be in 1..=65536");
        }
        if !self.lr.is_finite() || self.lr <= 0.0 {
            bail!("invalid --lr: must be a positive number");
        }
        Ok(())
    }

    /// The steps (1-based) whose image the loss compares with the template: 5, 10, ..., 50.
    pub fn target_steps(&self) -> Vec<usize> {
        (self.target_every..=self.blocks)
            .step_by(self.target_every)
            .collect()
    }

    /// Parameters of the blocks: `Σ_t t·w·k² + w + w + 1` (1,654,050 at the defaults).
    pub fn num_params(&self) -> usize {
        let (w, k2) = (self.width, self.kernel * self.kernel);
        (1..=self.blocks).map(|t| t * w * k2 + w + w + 1).sum()
    }

    /// Multiply-adds of one digit's forward pass on a `side`×`side` image.
    pub fn macs_per_digit(&self, side: usize) -> usize {
        let (w, k2, hw) = (self.width, self.kernel * self.kernel, side * side);
        (1..=self.blocks).map(|t| (t * k2 + 1) * w * hw).sum()
    }
}

/// The engine's description of a refiner for `side`×`side` digits.
pub fn stack_spec(cfg: &RefineConfig, side: usize) -> StackSpec {
    StackSpec {
        blocks: cfg.blocks,
        width: cfg.width,
        kernel: cfg.kernel,
        side,
    }
}

/// The ten per-digit mean images.
#[derive(Clone, Debug, PartialEq)]
pub struct Templates {
    /// Image side (28 for MNIST).
    pub side: usize,
    /// The images, `[10, side, side]` row-major.
    pub images: Vec<f32>,
    norms: Vec<f32>,
}

impl Templates {
    /// Templates from `classes` images of `side × side`.
    pub fn new(side: usize, images: Vec<f32>) -> Result<Self> {
        if side == 0 || images.is_empty() || !images.len().is_multiple_of(side * side) {
            bail!(
                "templates: {} values are not images of {side}x{side}",
                images.len()
            );
        }
        let norms = template_norms(side, &images);
        Ok(Self {
            side,
            images,
            norms,
        })
    }

    /// Number of templates.
    pub fn classes(&self) -> usize {
        self.norms.len()
    }

    /// Template `k`, row-major.
    pub fn image(&self, k: usize) -> &[f32] {
        let n = self.side * self.side;
        &self.images[k * n..(k + 1) * n]
    }
}

/// The verdict on one image.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// The digit whose template is most similar (the first of equals).
    pub digit: usize,
    /// Its cosine similarity, the confidence (0 for a blank image).
    pub confidence: f32,
    /// Cosine similarity to each template.
    pub cosines: Vec<f32>,
}

/// The verdict on `image` (row-major, the templates' size): the cosine similarity to each
/// template, the most similar digit and its cosine as the confidence.
pub fn verdict(image: &[f32], templates: &Templates) -> Verdict {
    cosine_verdict(image, &templates.images, &templates.norms)
}

/// The Euclidean norm of each `side × side` image of `images` (row-major, one after another;
/// `side` > 0).
pub fn template_norms(side: usize, images: &[f32]) -> Vec<f32> {
    images
        .chunks(side * side)
        .map(|t| t.iter().map(|v| v * v).sum::<f32>().sqrt())
        .collect()
}

/// The verdict on `image` against the templates `images` (`norms.len()` equal images, row-major,
/// one after another) whose norms are `norms` (from [`template_norms`]); what [`verdict`] and
/// `nca::refine::verdict` compute.
pub fn cosine_verdict(image: &[f32], images: &[f32], norms: &[f32]) -> Verdict {
    let n = images.len() / norms.len().max(1);
    let norm = image.iter().map(|v| v * v).sum::<f32>().sqrt();
    let cosines: Vec<f32> = norms
        .iter()
        .enumerate()
        .map(|(k, &t_norm)| {
            let t = &images[k * n..(k + 1) * n];
            let dot: f32 = image.iter().zip(t).map(|(a, b)| a * b).sum();
            let denom = norm * t_norm;
            if denom > 0.0 { dot / denom } else { 0.0 }
        })
        .collect();
    let mut digit = 0;
    for (k, &c) in cosines.iter().enumerate() {
        if c > cosines[digit] {
            digit = k;
        }
    }
    Verdict {
        digit,
        confidence: cosines[digit],
        cosines,
    }
}

/// A trained refiner read from a checkpoint.
#[derive(Clone, Debug)]
pub struct RefineModel {
    /// Its configuration.
    pub cfg: RefineConfig,
    /// The engine's description.
    pub spec: StackSpec,
    /// The weights, in the engine's layout.
    pub params: StackParams,
    /// The templates stored with the weights.
    pub templates: Templates,
    /// Training steps done.
    pub step: usize,
}

impl RefineModel {
    /// Reads a `refine` checkpoint's bytes (f32 or f16 weights).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let (ck, cfg) =
            Checkpoint::open_with_config(bytes, FAMILY, "refine config", RefineConfig::validate)?;
        let side = match ck.shape("templates").as_deref() {
            Some(&[10, h, w]) if h == w && h > 0 => h,
            Some(s) => bail!("templates have shape {s:?}, expected [10, H, H]"),
            None => bail!("weights do not fit the model: missing tensor templates"),
        };
        let templates = Templates::new(side, ck.tensor("templates", &[10, side, side])?)?;
        let (w, k) = (cfg.width, cfg.kernel);
        let blocks = (0..cfg.blocks)
            .map(|t| {
                let (conv_w, conv_b) = ck.conv(&format!("blocks.{t}.conv"), [w, t + 1, k, k])?;
                let (out_w, out_b) = ck.conv(&format!("blocks.{t}.out"), [1, w, 1, 1])?;
                Ok(StackBlock {
                    conv_w,
                    conv_b,
                    out_w,
                    out_b: out_b[0],
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let params = StackParams { blocks };
        let spec = stack_spec(&cfg, side);
        params.check(&spec)?;
        Ok(Self {
            cfg,
            spec,
            params,
            templates,
            step: ck.step,
        })
    }

    /// Every step's image for one digit (`side × side`, row-major): `blocks` images.
    pub fn images(&self, pixels: &[f32]) -> Result<Vec<Vec<f32>>> {
        Ok(nca_fast::stack_images(&self.spec, &self.params, pixels, 1)?)
    }
}
