//! Checkpoint metadata and the configs stored in it: `read_meta_bytes` (what `read_meta` runs on
//! the file's bytes), then every family's `config_from_meta` (what its `load_checkpoint` runs
//! before building the model), plus the raw config into each config type and `validate`.
//!
//! Byte 0 picks how the rest is used, so that the fuzzer reaches the config parsing without
//! having to keep a safetensors length prefix right:
//! - 0: the rest is a whole safetensors file;
//! - 1: the rest is the safetensors JSON header (the length prefix is added);
//! - 2 and 3: the rest is the `nca.config` JSON text, in a header with `nca.family` and
//!   `nca.format_version` (and `nca.step` for 3).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use nca::attention::{AttentionConfig, AttentionTrainConfig};
use nca::checkpoint::{CheckpointMeta, FORMAT_VERSION, read_meta_bytes};
use nca::classify::ClassifyConfig;
use nca::generate::GenerateConfig;
use nca::grow::task::GrowTrainConfig;
use nca::grow::{GrowConfig, seed_state};
use nca::refine::RefineConfig;

/// A safetensors file with no tensors whose header is `header`.
fn with_prefix(header: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header);
    out
}

/// What loading runs on a checkpoint's config, for each family.
fn configs(path: &Path, meta: &CheckpointMeta) {
    if let Ok(cfg) = nca::classify::model::config_from_meta(path, meta) {
        let _ = (cfg.update_channels(), cfg.first_class_channel());
    }
    if let Ok((cfg, target)) = nca::grow::model::config_from_meta(path, meta) {
        assert_eq!(target.rgba.len(), 4 * target.side * target.side);
        // What growing from the checkpoint starts with.
        let seed = seed_state(cfg.channels, target.side);
        assert_eq!(seed.len(), cfg.channels * target.side * target.side);
        let _ = cfg.features();
    }
    if let Ok(cfg) = nca::attention::model::config_from_meta(path, meta) {
        let _ = (cfg.channels(), cfg.num_params());
    }
    if let Ok(cfg) = nca::generate::config_from_meta(path, meta) {
        let _ = cfg.observations();
    }
    if let Ok(cfg) = nca::refine::model::config_from_meta(path, meta) {
        assert!(!cfg.target_steps().is_empty());
        let _ = (cfg.num_params(), cfg.macs_per_digit(nca_data::DIGIT_SIDE));
    }
    // The config (or its usual sub-objects) straight into each config type.
    let c = &meta.config;
    let parts = [
        Some(c),
        c.get("task"),
        c.get("train"),
        c.get("train").and_then(|t| t.get("model")),
        c.get("task").and_then(|t| t.get("train")),
    ];
    for v in parts.into_iter().flatten() {
        parse_and_validate(v, ClassifyConfig::validate);
        parse_and_validate(v, GrowConfig::validate);
        parse_and_validate(v, GrowTrainConfig::validate);
        parse_and_validate(v, AttentionConfig::validate);
        parse_and_validate(v, AttentionTrainConfig::validate);
        parse_and_validate(v, RefineConfig::validate);
        parse_and_validate(v, GenerateConfig::validate);
    }
}

/// Reads `v` as a `C` and validates it: errors are expected, a panic is a finding.
fn parse_and_validate<C: serde::de::DeserializeOwned, E>(
    v: &serde_json::Value,
    validate: fn(&C) -> Result<(), E>,
) {
    if let Ok(cfg) = serde_json::from_value::<C>(v.clone()) {
        let _ = validate(&cfg);
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else {
        return;
    };
    let bytes = match mode % 4 {
        0 => rest.to_vec(),
        1 => with_prefix(rest),
        m => {
            let config = String::from_utf8_lossy(rest);
            let mut meta = serde_json::json!({
                "nca.family": "fuzz",
                "nca.format_version": FORMAT_VERSION.to_string(),
                "nca.config": config,
            });
            if m == 3 {
                meta["nca.step"] = serde_json::json!("12");
            }
            let header = serde_json::json!({ "__metadata__": meta }).to_string();
            with_prefix(header.as_bytes())
        }
    };
    let path = Path::new("fuzz.safetensors");
    if let Ok(meta) = read_meta_bytes(path, &bytes) {
        assert!(meta.format_version <= FORMAT_VERSION);
        configs(path, &meta);
    }
});
