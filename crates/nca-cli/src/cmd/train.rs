//! What every training command shares: the trainer settings from [`TrainArgs`] over the family's
//! recipe, the run directory, the device and engine, and the report.

use nca::trainer::{Recipe, RunOptions, Task, TrainerConfig, train};

use super::CmdResult;
use crate::cli::TrainArgs;
use crate::output::{interactive, print_train_report};

/// The trainer settings: the family's recipe (schedule, gradient policy, checkpoint and log
/// intervals) with what the command line overrides.
pub fn trainer_config(t: &TrainArgs, mut recipe: Recipe) -> TrainerConfig {
    if let Some(lr) = t.lr {
        recipe = recipe.with_lr(lr);
    }
    if !t.lr_drops.is_empty() {
        recipe.lr = nca::schedule::LrSchedule::tenfold_drops(recipe.lr.lr_at(0), &t.lr_drops);
    }
    recipe.checkpoint_every = t.checkpoint_every.unwrap_or(recipe.checkpoint_every);
    recipe.log_every = t.log_every.unwrap_or(recipe.log_every);
    TrainerConfig {
        keep_snapshots: t.snapshots,
        ..recipe.trainer_config(t.steps, t.seed)
    }
}

/// Where a training command's run lives and whether it resumes.
pub fn run_options(t: &TrainArgs) -> RunOptions {
    RunOptions {
        dir: t.out.clone(),
        resume: t.resume,
        progress: interactive(),
    }
}

/// The device for `--backend` and the engine for `--engine` on it (the fast CPU engine by
/// default on a CPU backend).
pub fn device_and_engine(
    backend: Option<&str>,
    engine: Option<nca::engine::Engine>,
) -> Result<(burn::tensor::Device, nca::engine::Engine), Box<dyn std::error::Error>> {
    let device = nca::device::device_for(backend)?;
    let backend = backend.unwrap_or(nca::device::available_backends()[0]);
    Ok((device, nca::engine::engine_for(engine, backend)?))
}

/// Trains `task` as the command line says on `device` and prints the report.
pub fn train_and_report<T: Task>(
    task: &mut T,
    t: &TrainArgs,
    device: &burn::tensor::Device,
) -> CmdResult {
    let cfg = trainer_config(t, task.recipe());
    let report = train(task, &cfg, &run_options(t), device)?;
    print_train_report(&report, t.json);
    Ok(())
}
