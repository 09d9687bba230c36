//! A training run on disk, through the shared trainer: `config.json`, `metrics.jsonl` (one line
//! per step, readable by `nca plot`), checkpoints with the trajectory's state (so `--resume`
//! continues exactly) and the model in `checkpoint/model.safetensors`.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::Device;
use serde::Serialize;

use super::target::AttentionTarget;
#[cfg(doc)]
use super::train::trainer_config;
use super::train::{AttentionTask, AttentionTrainConfig};
use crate::error::{NcaError, Result};
use crate::trainer::{RunOptions, Task, TrainerConfig, train_observed};

/// How a run starts in its directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// A new run; a directory that already holds one is refused.
    Fresh,
    /// A new run replacing the one in the directory.
    Replace,
    /// Continue the run in the directory from its last checkpoint.
    Resume,
}

/// What a run did.
#[derive(Clone, Debug, Serialize)]
pub struct AttentionReport {
    /// Steps done.
    pub steps: usize,
    /// The loss of every step, step 1 first.
    pub losses: Vec<f32>,
    /// The steps whose loss was below ε (each followed by a spike).
    pub spike_steps: Vec<usize>,
    /// The first step whose loss was below ε, if any.
    pub first_below_epsilon: Option<usize>,
    /// The last step's loss.
    pub final_loss: f32,
    /// The lowest loss of the run.
    pub min_loss: f32,
    /// The loss of the best uniform image (the target's mean colour), for comparison.
    pub mean_colour_loss: f32,
    /// Why the run stopped: `steps` or `max_spikes`.
    pub stopped_by: &'static str,
    /// Trainable parameters.
    pub params: usize,
    /// Seconds spent training (all chunks of a resumed run).
    pub wall_s: f64,
    /// Times the NaN guard reloaded a checkpoint.
    pub recoveries: usize,
    /// The final model.
    pub model_path: PathBuf,
}

/// The model file of a run directory.
pub fn model_path(dir: &Path) -> PathBuf {
    crate::trainer::model_path(dir)
}

/// Removes what a run leaves in `dir` (checkpoints, logs), for [`Start::Replace`].
fn clear_run(dir: &Path) -> Result<()> {
    for name in ["checkpoint", ".checkpoint.old", ".checkpoint.tmp"] {
        let p = dir.join(name);
        if p.exists() {
            std::fs::remove_dir_all(&p).map_err(|e| NcaError::io(&p, e))?;
        }
    }
    for name in ["metrics.jsonl", "config.json"] {
        let p = dir.join(name);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| NcaError::io(&p, e))?;
        }
    }
    Ok(())
}

/// The loss of every logged step, from the run's metrics log.
fn logged_losses(dir: &Path) -> Result<Vec<f32>> {
    let path = dir.join("metrics.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| NcaError::io(&path, e))?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("loss").and_then(|l| l.as_f64()))
        .map(|l| l as f32)
        .collect())
}

/// Trains `cfg` on `target` in the run directory `dir` on the autodiff version of `device`, as
/// `trainer` says (see [`trainer_config`] for the family's recipe).
///
/// `observe` sees the trajectory and the steps done before the first step and after every step
/// (e.g. to draw snapshots); an error from it stops the run.
pub fn train_run(
    cfg: &AttentionTrainConfig,
    target: &AttentionTarget,
    dir: &Path,
    (start, trainer): (Start, &TrainerConfig),
    device: &Device,
    observe: impl FnMut(&AttentionTask, usize) -> Result<()>,
) -> Result<AttentionReport> {
    let mut task = AttentionTask::new(cfg, target)?;
    if start == Start::Replace {
        clear_run(dir)?;
    }
    let run = RunOptions {
        dir: dir.to_path_buf(),
        resume: start == Start::Resume,
        progress: false,
    };
    let report = train_observed(&mut task, trainer, &run, device, observe)?;
    let losses = logged_losses(dir)?;
    let params = task
        .init_model(device, &mut rand::SeedableRng::seed_from_u64(0))
        .num_params();
    Ok(AttentionReport {
        steps: report.steps,
        final_loss: losses.last().copied().unwrap_or(f32::NAN),
        min_loss: losses.iter().copied().fold(f32::INFINITY, f32::min),
        losses,
        spike_steps: task.spike_steps().to_vec(),
        first_below_epsilon: task.first_below_epsilon(),
        mean_colour_loss: target.mean_colour_mse(),
        stopped_by: if task.finished() {
            "max_spikes"
        } else {
            "steps"
        },
        params,
        wall_s: report.wall_s,
        recoveries: report.recoveries,
        model_path: report.model_path,
    })
}
