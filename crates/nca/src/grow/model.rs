//! The growing NCA as a preset of the shared automaton ([`crate::ca`]): 16 channels (RGBA +
//! 12 hidden), identity + Sobel perception (or learned), a 128-wide update MLP writing every
//! channel, fire rate 0.5, and the 3x3 max-pool alive rule on alpha.

use burn::tensor::Device;

use crate::ca::{CaConfig, Nca, Preset};
use crate::engine::AliveRule;
use crate::error::{NcaError, Result};

pub use nca_models::grow::GrowConfig;

impl Preset for GrowConfig {
    fn ca(&self) -> CaConfig {
        CaConfig {
            channels: self.channels,
            perception: self.perception,
            learned_width: self.features(),
            perception_relu: false,
            hidden: vec![self.hidden],
            update_channels: 0..self.channels,
            alive: AliveRule::MaxPool {
                channel: 3,
                threshold: self.alive_threshold,
            },
            fire_rate: self.fire_rate,
            noise_std: 0.0,
        }
    }
}

/// The validated model settings (`task.train.model`) and the target (`task.target`) stored in a
/// `grow` checkpoint's metadata, as [`load_checkpoint`] reads them; `path` is only used in error
/// messages.
pub fn config_from_meta(
    path: &std::path::Path,
    meta: &crate::checkpoint::CheckpointMeta,
) -> Result<(GrowConfig, super::GrowTarget)> {
    let bad = |why: String| NcaError::Checkpoint {
        path: path.to_path_buf(),
        why,
    };
    let task = meta.config.get("task").cloned().unwrap_or_default();
    let train: super::task::GrowTrainConfig =
        serde_json::from_value(task.get("train").cloned().unwrap_or_default())
            .map_err(|e| bad(format!("malformed grow config ({e})")))?;
    let target: super::GrowTarget =
        serde_json::from_value(task.get("target").cloned().unwrap_or_default())
            .map_err(|e| bad(format!("malformed or missing target ({e})")))?;
    if target.side == 0 {
        return Err(bad("target side is 0".into()));
    }
    // Checked: `4 * side * side` overflows for a side of 2^31 or more (and wraps to 0).
    let cells = target
        .side
        .checked_mul(target.side)
        .and_then(|n| n.checked_mul(4));
    if cells != Some(target.rgba.len()) {
        return Err(bad("target size does not match its side".into()));
    }
    train.model.validate()?;
    Ok((train.model, target))
}

/// Loads a `grow` checkpoint on `device` with the model settings and target it was trained with.
pub fn load_checkpoint(
    path: &std::path::Path,
    device: &Device,
) -> Result<(
    Nca,
    GrowConfig,
    super::GrowTarget,
    crate::checkpoint::CheckpointMeta,
)> {
    let (model, (cfg, target), meta) =
        crate::checkpoint::load_family(path, super::FAMILY, config_from_meta, |(cfg, _)| {
            cfg.init(device, &mut rand::SeedableRng::seed_from_u64(0))
        })?;
    Ok((model, cfg, target, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::CheckpointMeta;

    fn meta(target: serde_json::Value) -> CheckpointMeta {
        CheckpointMeta::new(
            "grow",
            0,
            serde_json::json!({"task": {"train": {}, "target": target}}),
        )
    }

    /// Found by `fuzz/fuzz_targets/checkpoint_meta.rs` inputs: a target of side 0 was accepted
    /// (and growing from it indexed an empty seed), and a side of 2^31 or more overflowed the size
    /// check (a panic with overflow checks; without them the product wraps to 0 and an empty
    /// target passed).
    #[test]
    fn config_from_meta_refuses_empty_and_overflowing_targets() {
        let path = std::path::Path::new("g.safetensors");
        for (target, why) in [
            (
                serde_json::json!({"side": 0, "rgba": []}),
                "target side is 0",
            ),
            (
                serde_json::json!({"side": 1u64 << 31, "rgba": []}),
                "does not match its side",
            ),
            (
                serde_json::json!({"side": 1u64 << 32, "rgba": []}),
                "does not match its side",
            ),
            (
                serde_json::json!({"side": 1, "rgba": [0.0, 0.0, 0.0]}),
                "does not match its side",
            ),
        ] {
            let e = config_from_meta(path, &meta(target.clone()))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(why) && e.contains("g.safetensors"),
                "{target}: {e}"
            );
        }
        let (cfg, target) = config_from_meta(
            path,
            &meta(serde_json::json!({"side": 1, "rgba": [0.5, 0.5, 0.0, 1.0]})),
        )
        .unwrap();
        assert_eq!(cfg, GrowConfig::default());
        assert_eq!((target.side, target.rgba.len()), (1, 4));
    }
}
