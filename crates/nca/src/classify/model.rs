//! The self-classifying NCA: learned 3x3 perception, per-cell MLP, masked noisy residual update.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::{Device, Tensor};
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::error::{NcaError, Result};
use crate::perceive::learned_perception;
use crate::update::CellMlp;

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

/// Architecture and training settings; defaults are the paper's.
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
    /// Channels the network writes (all but the pixel).
    pub fn update_channels(&self) -> usize {
        self.channels - 1
    }

    /// First vote channel.
    pub fn first_class_channel(&self) -> usize {
        self.channels - self.classes
    }

    /// Checks the values a user can get wrong.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str, why: &str| Err(NcaError::config(what, why));
        // Compared without `classes + 1`, which overflows for a class count of usize::MAX.
        if self.channels <= self.classes {
            return bad("channels", "must exceed the number of classes");
        }
        if self.classes < 2 || self.channels > 256 {
            return bad(
                "channels",
                "need at least 2 classes and at most 256 channels",
            );
        }
        if !(0.0..=1.0).contains(&self.fire_rate) || self.fire_rate == 0.0 {
            return bad("fire rate", "must be in (0, 1]");
        }
        if self.ticks == 0 || self.ticks > 10_000 {
            return bad("ticks", "must be in 1..=10000");
        }
        if self.batch == 0 || self.pool < self.batch {
            return bad("batch", "must be at least 1 and at most the pool size");
        }
        if self.fresh_per_batch.saturating_add(self.mutate_per_batch) > self.batch {
            return bad("batch", "fresh + mutated members exceed the batch");
        }
        if self.hidden == 0 || self.hidden > 4096 {
            return bad("hidden", "must be in 1..=4096");
        }
        Ok(())
    }
}

/// The network: perception conv (3x3, C → hidden, ReLU) and MLP (hidden → hidden ReLU → C-1).
#[derive(Module, Debug)]
pub struct ClassifyNca {
    /// Learned 3x3 perception.
    pub perception: Conv2d,
    /// Per-cell update.
    pub update: CellMlp,
}

impl ClassifyNca {
    /// A model for `cfg`; weights drawn from `rng` (PyTorch's default init), last layer zero.
    pub fn new(cfg: &ClassifyConfig, device: &Device, rng: &mut StdRng) -> Self {
        let model = Self {
            perception: learned_perception(cfg.channels, cfg.hidden, device),
            update: CellMlp::new(
                &[cfg.hidden, cfg.hidden, cfg.update_channels()],
                true,
                device,
            ),
        };
        crate::init::torch_default(model, rng)
    }

    /// The proposed update `[B, C-1, H, W]` of every cell (before noise and masks).
    pub fn delta(&self, state: Tensor<4>) -> Tensor<4> {
        self.update.forward(relu(self.perception.forward(state)))
    }

    /// One tick. `alive` and `fire` are `[B, 1, H, W]` 0/1 masks, `noise` is `[B, C-1, H, W]`
    /// (or `None`). The pixel channel is kept; the others get `(delta + noise) · fire · alive`.
    pub fn tick(
        &self,
        state: Tensor<4>,
        alive: Tensor<4>,
        fire: Tensor<4>,
        noise: Option<Tensor<4>>,
    ) -> Tensor<4> {
        let [b, c, h, w] = state.dims();
        let mut dx = self.delta(state.clone());
        if let Some(n) = noise {
            dx = dx + n;
        }
        let pixel = state.clone().slice([0..b, 0..1, 0..h, 0..w]);
        let rest = state.slice([0..b, 1..c, 0..h, 0..w]);
        Tensor::cat(vec![pixel, rest + dx * (fire * alive)], 1)
    }
}

/// The vote channels `[B, classes, H, W]` of a state.
pub fn votes(state: Tensor<4>, cfg: &ClassifyConfig) -> Tensor<4> {
    let [b, c, h, w] = state.dims();
    state.slice([0..b, cfg.first_class_channel()..c, 0..h, 0..w])
}

/// The training loss of final states against `target` (one-hot `[B, classes, H, W]`, zero at
/// dead cells), averaged over the batch. L2 is the paper's `Σ (y - ŷ)² / 2` per digit.
pub fn loss(
    state: Tensor<4>,
    target: Tensor<4>,
    alive: Tensor<4>,
    cfg: &ClassifyConfig,
) -> Tensor<1> {
    let [b, _, _, _] = state.dims();
    let v = votes(state, cfg);
    match cfg.loss {
        Loss::L2 => ((v - target) * alive)
            .square()
            .sum()
            .div_scalar(2.0 * b as f32)
            .reshape([1]),
        Loss::CrossEntropy => {
            let n_alive = alive.clone().sum().clamp_min(1.0);
            let ce = (log_softmax(v, 1) * target).sum_dim(1).neg() * alive;
            (ce.sum() / n_alive).reshape([1])
        }
    }
}

/// The validated configuration stored in a `classify` checkpoint's metadata (its `task`, or the
/// whole config in older files), as [`load_checkpoint`] reads it; `path` is only used in error
/// messages.
pub fn config_from_meta(
    path: &std::path::Path,
    meta: &crate::checkpoint::CheckpointMeta,
) -> Result<ClassifyConfig> {
    let cfg_json = meta
        .config
        .get("task")
        .cloned()
        .unwrap_or(meta.config.clone());
    let cfg: ClassifyConfig =
        serde_json::from_value(cfg_json).map_err(|e| NcaError::Checkpoint {
            path: path.to_path_buf(),
            why: format!("malformed classify config ({e})"),
        })?;
    cfg.validate()?;
    Ok(cfg)
}

/// Loads a `classify` checkpoint (written by training or shipped in `models/`) on `device`,
/// with the configuration it was trained with.
pub fn load_checkpoint(
    path: &std::path::Path,
    device: &Device,
) -> Result<(
    ClassifyNca,
    ClassifyConfig,
    crate::checkpoint::CheckpointMeta,
)> {
    let meta = crate::checkpoint::read_meta(path)?;
    crate::checkpoint::expect_family(path, &meta, super::FAMILY)?;
    let cfg = config_from_meta(path, &meta)?;
    let init = ClassifyNca::new(&cfg, device, &mut rand::SeedableRng::seed_from_u64(0));
    let (model, meta) = crate::checkpoint::load(init, path, super::FAMILY)?;
    Ok((model, cfg, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by `fuzz/fuzz_targets/checkpoint_meta.rs` inputs: counts near usize::MAX in a
    /// checkpoint's config overflowed `validate`'s sums (a panic with overflow checks, a wrong
    /// answer without) instead of being refused.
    #[test]
    fn validate_refuses_absurd_channel_and_class_counts() {
        for (channels, classes) in [(1 << 40, 10), (20, 0), (20, 1)] {
            let cfg = ClassifyConfig {
                channels,
                classes,
                ..ClassifyConfig::default()
            };
            let e = cfg.validate().unwrap_err().to_string();
            assert!(e.contains("channels"), "{channels}/{classes}: {e}");
        }
        assert!(ClassifyConfig::default().validate().is_ok());
    }

    #[test]
    fn validate_refuses_counts_whose_sums_overflow() {
        let cfg = ClassifyConfig {
            classes: usize::MAX,
            ..ClassifyConfig::default()
        };
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("channels"), "{e}");
        let cfg = ClassifyConfig {
            fresh_per_batch: usize::MAX,
            mutate_per_batch: 1,
            ..ClassifyConfig::default()
        };
        let e = cfg.validate().unwrap_err().to_string();
        assert!(e.contains("exceed the batch"), "{e}");
        let meta = crate::checkpoint::CheckpointMeta::new(
            "classify",
            0,
            serde_json::json!({"task": {"classes": u64::MAX}}),
        );
        assert!(config_from_meta(std::path::Path::new("c.safetensors"), &meta).is_err());
        // The boundaries are unchanged.
        let ok = ClassifyConfig {
            channels: 11,
            classes: 10,
            ..ClassifyConfig::default()
        };
        assert!(ok.validate().is_ok());
        let bad = ClassifyConfig {
            channels: 10,
            ..ok.clone()
        };
        assert!(bad.validate().is_err());
        assert_eq!(
            config_from_meta(
                std::path::Path::new("c"),
                &crate::checkpoint::CheckpointMeta::new(
                    "classify",
                    0,
                    serde_json::json!({"task": {}})
                )
            )
            .unwrap(),
            ClassifyConfig::default()
        );
    }
}
