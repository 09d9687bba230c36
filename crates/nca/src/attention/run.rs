//! A training run on disk: `config.json`, `metrics.jsonl` (one line per step, readable by
//! `nca plot`) and the final model in `checkpoint/model.safetensors`.
//!
//! The family trains on a single trajectory without a pool, so there is nothing to resume from:
//! the checkpoint is written once, at the end, for inspection and reloading.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::Module;
use burn::tensor::Device;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;

use super::target::AttentionTarget;
use super::train::{AttentionTrainConfig, StepRecord, Trajectory};
use crate::checkpoint::{self, CheckpointMeta};
use crate::error::{NcaError, Result};

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
    /// Seconds spent in the training loop.
    pub wall_s: f64,
    /// The final model.
    pub model_path: PathBuf,
}

/// One line of `metrics.jsonl`.
#[derive(Serialize)]
struct MetricsLine {
    step: usize,
    loss: f32,
    /// Spikes so far.
    spikes: usize,
    wall_s: f64,
}

/// The model file of a run directory.
pub fn model_path(dir: &Path) -> PathBuf {
    dir.join("checkpoint").join("model.safetensors")
}

/// Trains `cfg` on `target` in the run directory `dir`, on the autodiff version of `device`.
///
/// `observe` sees the trajectory before the first step (with `None`) and after every step (with
/// that step's record), e.g. to draw snapshots; an error from it stops the run. A directory that
/// already holds a run is refused unless `overwrite`.
pub fn train_run(
    cfg: &AttentionTrainConfig,
    target: &AttentionTarget,
    dir: &Path,
    overwrite: bool,
    device: &Device,
    mut observe: impl FnMut(&Trajectory, Option<&StepRecord>) -> Result<()>,
) -> Result<AttentionReport> {
    cfg.validate()?;
    let metrics_path = dir.join("metrics.jsonl");
    if !overwrite && (metrics_path.exists() || model_path(dir).exists()) {
        return Err(NcaError::config(
            "--out",
            format!(
                "{} already holds a run; pass --force to replace it or choose another --out",
                dir.display()
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| NcaError::io(dir, e))?;
    let config = serde_json::json!({
        "family": super::FAMILY,
        "train": cfg,
        "target": {"spec": target.spec, "side": target.side},
    });
    let text = serde_json::to_vec_pretty(&config).expect("config serialises");
    nca_data::write_atomic(&dir.join("config.json"), &text, true)?;
    let file = std::fs::File::create(&metrics_path).map_err(|e| NcaError::io(&metrics_path, e))?;
    let mut metrics = std::io::BufWriter::new(file);

    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut traj = Trajectory::new(cfg, target, device, &mut rng)?;
    let params = traj.model().num_params();
    observe(&traj, None)?;
    let start = Instant::now();
    let mut losses = Vec::with_capacity(cfg.steps);
    while !traj.finished() {
        let rec = traj.step(&mut rng)?;
        losses.push(rec.loss);
        let line = MetricsLine {
            step: rec.step,
            loss: rec.loss,
            spikes: traj.spike_steps().len(),
            wall_s: start.elapsed().as_secs_f64(),
        };
        let line = serde_json::to_string(&line).expect("metrics serialise");
        writeln!(metrics, "{line}").map_err(|e| NcaError::io(&metrics_path, e))?;
        observe(&traj, Some(&rec))?;
    }
    let wall_s = start.elapsed().as_secs_f64();
    metrics
        .flush()
        .map_err(|e| NcaError::io(&metrics_path, e))?;

    let steps = traj.steps_done();
    let meta = CheckpointMeta::new(super::FAMILY, steps, config);
    let path = model_path(dir);
    checkpoint::save(traj.model(), &meta, &path, true)?;
    let stopped_by = if traj.spike_steps().len() >= cfg.max_spikes.unwrap_or(usize::MAX) {
        "max_spikes"
    } else {
        "steps"
    };
    Ok(AttentionReport {
        steps,
        final_loss: losses.last().copied().unwrap_or(f32::NAN),
        min_loss: losses.iter().copied().fold(f32::INFINITY, f32::min),
        losses,
        spike_steps: traj.spike_steps().to_vec(),
        first_below_epsilon: traj.first_below_epsilon(),
        mean_colour_loss: target.mean_colour_mse(),
        stopped_by,
        params,
        wall_s,
        model_path: path,
    })
}
