//! `nca grow ...`: train and evaluate growing / persistent / regenerating NCA.

use nca::grow::task::GrowTrainConfig;
use nca::grow::{GrowConfig, GrowTarget, GrowTask, TrainMode};
use nca::perceive::PerceptionKind;
use nca::schedule::LrSchedule;
use nca::trainer::{RunOptions, train};

use super::CmdResult;
use super::tiny::trainer_config;
use crate::cli::GrowCommand;
use crate::output::{interactive, print_json};

/// Parses `MIN..MAX` (or one number).
fn parse_range(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("malformed tick range '{s}' (expected MIN..MAX, e.g. 64..96)");
    let (a, b) = s.split_once("..").unwrap_or((s, s));
    let a: usize = a.trim().parse().map_err(|_| bad())?;
    let b: usize = b.trim().parse().map_err(|_| bad())?;
    Ok((a, b))
}

pub fn run(c: GrowCommand) -> CmdResult {
    match c {
        GrowCommand::Train {
            train: t,
            target,
            size,
            pad,
            mode,
            perception,
            batch,
            pool,
            ticks,
        } => {
            let (device, engine) = super::tiny::device_and_engine(&t)?;
            let mode: TrainMode = mode.parse()?;
            let perception: PerceptionKind = perception.parse()?;
            let (min_ticks, max_ticks) = parse_range(&ticks)?;
            if size == 0 || size > 1024 || pad > 1024 {
                return Err("--size must be in 1..=1024 and --pad at most 1024".into());
            }
            let target = GrowTarget::parse(&target, size, pad)?;
            let cfg = GrowTrainConfig {
                model: GrowConfig {
                    perception,
                    ..GrowConfig::default()
                },
                mode,
                pool,
                batch,
                min_ticks,
                max_ticks,
                ..GrowTrainConfig::default()
            };
            let mut task = GrowTask::new(cfg, target)?;
            task.engine = engine;
            let lr = LrSchedule::Piecewise {
                lr: 2e-3,
                boundaries: vec![2000],
                factors: vec![0.1],
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
