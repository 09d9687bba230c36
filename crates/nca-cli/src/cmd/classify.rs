//! `nca classify ...`: train and evaluate self-classifying MNIST digits.

use std::sync::Arc;

use nca::classify::{ClassifyConfig, ClassifyTask, Loss};
use nca::schedule::LrSchedule;
use nca::trainer::{RunOptions, train};
use nca_data::{SplitName, load_split, resolve_data_dir};
use rand::SeedableRng;

use super::CmdResult;
use super::tiny::trainer_config;
use crate::cli::ClassifyCommand;
use crate::output::{interactive, print_json};

pub fn run(c: ClassifyCommand) -> CmdResult {
    match c {
        ClassifyCommand::Train {
            train: t,
            data,
            limit,
            batch,
            ticks,
            cross_entropy,
        } => {
            let device = nca::device::device_for(t.backend.as_deref())?;
            let dir = resolve_data_dir(data.as_deref())?;
            let mut split = load_split(&dir, SplitName::Train)?;
            if let Some(n) = limit {
                split = split.truncated(n)?;
            }
            let cfg = ClassifyConfig {
                batch,
                ticks,
                pool: (batch * 10).max(160),
                fresh_per_batch: batch / 4,
                mutate_per_batch: batch / 4,
                loss: if cross_entropy {
                    Loss::CrossEntropy
                } else {
                    Loss::L2
                },
                ..ClassifyConfig::default()
            };
            let mut rng = rand::rngs::StdRng::seed_from_u64(t.seed ^ 0x5EED);
            let mut task = ClassifyTask::new(cfg, Arc::new(split), &mut rng)?;
            let lr = LrSchedule::Piecewise {
                lr: 1e-3,
                boundaries: vec![30_000, 70_000],
                factors: vec![0.1, 0.01],
            };
            let run = RunOptions {
                dir: t.out.clone(),
                resume: t.resume,
                progress: interactive(),
            };
            let report = train(&mut task, &trainer_config(&t, lr), &run, &device)?;
            if t.json {
                print_json(&report);
            } else {
                println!(
                    "trained {} steps ({} now) in {:.1} s: loss {:.5}; model in {}",
                    report.steps,
                    report.steps_this_run,
                    report.wall_s,
                    report.final_loss,
                    report.model_path.display()
                );
            }
        }
    }
    Ok(())
}
