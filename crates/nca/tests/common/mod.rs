//! Helpers shared by the nca crate's test files: scratch run directories, trainer settings, the
//! losses a run logged, and small synthetic MNIST-like splits.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};

use nca::schedule::LrSchedule;
use nca::trainer::{RunOptions, TrainerConfig};
use nca_data::{IdxImages, Split, SplitName};

/// `name` (made unique to this test process) under the temporary folder, removed if it exists
/// and not created.
pub fn fresh_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Run options for `dir`, without a progress bar.
pub fn run_options(dir: &Path, resume: bool) -> RunOptions {
    RunOptions {
        dir: dir.to_path_buf(),
        resume,
        progress: false,
    }
}

/// `steps` steps at a constant learning rate of 2e-3, a checkpoint every `checkpoint_every`
/// steps and a metrics line every `log_every`.
pub fn constant_lr(steps: usize, checkpoint_every: usize, log_every: usize) -> TrainerConfig {
    TrainerConfig {
        steps,
        lr: LrSchedule::Constant { lr: 2e-3 },
        checkpoint_every,
        log_every,
        ..TrainerConfig::default()
    }
}

/// The `loss` of every line of a metrics log (`metrics.jsonl` text).
pub fn losses_of(metrics: &str) -> Vec<f64> {
    metrics
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["loss"]
                .as_f64()
                .unwrap()
        })
        .collect()
}

/// The `loss` of every line of `dir/metrics.jsonl`.
pub fn losses(dir: &Path) -> Vec<f64> {
    losses_of(&std::fs::read_to_string(dir.join("metrics.jsonl")).unwrap())
}

/// A split of `labels.len()` images of `rows`×`cols` pixels (one after another in `pixels`).
pub fn split(name: SplitName, rows: usize, cols: usize, pixels: Vec<u8>, labels: Vec<u8>) -> Split {
    let images = IdxImages {
        count: labels.len(),
        rows,
        cols,
        pixels,
    };
    Split::new(name, images, labels, Path::new("-"), Path::new("-")).unwrap()
}
