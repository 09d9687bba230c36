//! The self-classifying NCA as a preset of the shared automaton ([`crate::ca`]): 20 channels
//! (the digit's pixel, 9 hidden, 10 votes), a learned 3x3 perception of width 80 with ReLU, an
//! 80-wide update MLP writing every channel but the pixel, fire rate 0.5, residual noise
//! N(0, 0.02²) in training, and the static alive rule: a cell lives where its pixel exceeds 0.1.

use burn::tensor::Device;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::ca::{CaConfig, Nca};
use crate::engine::AliveRule;
use crate::error::{NcaError, Result};
use crate::perceive::PerceptionKind;

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
    /// The automaton these settings describe.
    pub fn ca(&self) -> CaConfig {
        CaConfig {
            channels: self.channels,
            perception: PerceptionKind::Learned,
            learned_width: self.hidden,
            perception_relu: true,
            hidden: vec![self.hidden],
            update_channels: 1..self.channels,
            alive: AliveRule::Static {
                channel: 0,
                threshold: self.alive_threshold,
            },
            fire_rate: self.fire_rate,
            noise_std: self.noise_std,
        }
    }

    /// A fresh model, weights drawn from `rng`.
    pub fn init(&self, device: &Device, rng: &mut StdRng) -> Nca {
        Nca::new(self.ca(), device, rng)
    }

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

/// The validated configuration stored in a `classify` checkpoint's metadata (its `task`, or the
/// whole config in older files), as [`load_checkpoint`] reads it; `path` is only used in error
/// messages.
pub fn config_from_meta(
    path: &std::path::Path,
    meta: &crate::checkpoint::CheckpointMeta,
) -> Result<ClassifyConfig> {
    let cfg: ClassifyConfig =
        crate::checkpoint::config_part(path, meta, &[&["task"]], "classify config")?;
    cfg.validate()?;
    Ok(cfg)
}

/// Loads a `classify` checkpoint (written by training or shipped in `models/`) on `device`,
/// with the configuration it was trained with.
pub fn load_checkpoint(
    path: &std::path::Path,
    device: &Device,
) -> Result<(Nca, ClassifyConfig, crate::checkpoint::CheckpointMeta)> {
    crate::checkpoint::load_family(path, super::FAMILY, config_from_meta, |cfg| {
        cfg.init(device, &mut rand::SeedableRng::seed_from_u64(0))
    })
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
