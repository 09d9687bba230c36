//! `nca tiny train`: the tiny family through the shared trainer.

use nca::tiny::{TinyConfig, TinyTask};

use super::CmdResult;
use super::train::{device_and_engine, train_and_report};
use crate::cli::TinyCommand;

pub fn run(c: TinyCommand) -> CmdResult {
    match c {
        TinyCommand::Train {
            train: t,
            poison_at,
        } => {
            let (device, engine) = device_and_engine(t.backend.as_deref(), t.engine)?;
            let mut task = TinyTask::new(TinyConfig::default());
            task.engine = engine;
            task.poison_at = poison_at;
            train_and_report(&mut task, &t, &device)
        }
    }
}
