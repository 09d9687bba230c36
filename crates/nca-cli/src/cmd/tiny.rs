//! `nca tiny train`: the tiny test family through the shared trainer.

use nca::schedule::LrSchedule;
use nca::tiny::{TinyConfig, TinyTask};
use nca::trainer::{RunOptions, TrainerConfig, train};

use super::CmdResult;
use crate::cli::{TinyCommand, TrainArgs};
use crate::output::{interactive, print_train_report};

/// The trainer settings every family takes from the command line.
pub fn trainer_config(t: &TrainArgs, lr: LrSchedule) -> TrainerConfig {
    TrainerConfig {
        steps: t.steps,
        lr,
        checkpoint_every: t.checkpoint_every,
        log_every: t.log_every,
        seed: t.seed,
        keep_snapshots: t.snapshots,
        ..TrainerConfig::default()
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

/// The device and engine a training command asked for.
pub fn device_and_engine(
    t: &TrainArgs,
) -> Result<(burn::tensor::Device, nca::sparse::Engine), Box<dyn std::error::Error>> {
    device_and_engine_for(t.backend.as_deref(), t.engine.as_deref())
}

/// The device for `--backend` and the engine for `--engine` on it (the fast CPU engine by
/// default on a CPU backend).
pub fn device_and_engine_for(
    backend: Option<&str>,
    engine: Option<&str>,
) -> Result<(burn::tensor::Device, nca::sparse::Engine), Box<dyn std::error::Error>> {
    let device = nca::device::device_for(backend)?;
    let backend = backend.unwrap_or(nca::device::available_backends()[0]);
    let requested = engine.map(str::parse::<nca::sparse::Engine>).transpose()?;
    Ok((device, nca::sparse::engine_for(requested, backend)?))
}

pub fn run(c: TinyCommand) -> CmdResult {
    match c {
        TinyCommand::Train {
            train: t,
            lr,
            poison_at,
        } => {
            let device = nca::device::device_for(t.backend.as_deref())?;
            let mut task = TinyTask::new(TinyConfig::default());
            task.poison_at = poison_at;
            let cfg = trainer_config(&t, LrSchedule::Constant { lr });
            let run = run_options(&t);
            let report = train(&mut task, &cfg, &run, &device)?;
            print_train_report(&report, t.json);
        }
    }
    Ok(())
}
