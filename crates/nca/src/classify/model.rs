//! The self-classifying NCA as a preset of the shared automaton ([`crate::ca`]): 20 channels
//! (the digit's pixel, 9 hidden, 10 votes), a learned 3x3 perception of width 80 with ReLU, an
//! 80-wide update MLP writing every channel but the pixel, fire rate 0.5, residual noise
//! N(0, 0.02²) in training, and the static alive rule: a cell lives where its pixel exceeds 0.1.

use burn::tensor::Device;

use crate::ca::{CaConfig, Nca, Preset};
use crate::engine::AliveRule;
use crate::error::Result;
use crate::perceive::PerceptionKind;

pub use nca_models::classify::{ClassifyConfig, Loss};

impl Preset for ClassifyConfig {
    fn ca(&self) -> CaConfig {
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
}

/// The validated configuration stored in a `classify` checkpoint's metadata (its `task`, or the
/// whole config in older files), as [`load_checkpoint`] reads it; `path` is only used in error
/// messages.
pub fn config_from_meta(
    path: &std::path::Path,
    meta: &crate::checkpoint::CheckpointMeta,
) -> Result<ClassifyConfig> {
    let what = "classify config";
    crate::checkpoint::validated_part(path, meta, &[&["task"]], what, ClassifyConfig::validate)
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
