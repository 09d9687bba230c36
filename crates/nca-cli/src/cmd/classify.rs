//! `nca classify ...`: train and evaluate self-classifying MNIST digits.

use std::sync::Arc;

use nca::classify::eval::{EvalOptions, evaluate};
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
            let (device, engine) = super::tiny::device_and_engine(&t)?;
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
            task.engine = engine;
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
        ClassifyCommand::Eval {
            checkpoint,
            data,
            limit,
            ticks_before,
            ticks_after,
            seed,
            plot,
            force,
            json,
        } => {
            if let Some(p) = &plot
                && p.exists()
                && !force
            {
                return Err(
                    format!("{} already exists (pass --force to overwrite)", p.display()).into(),
                );
            }
            let device = nca::device::device_for(None)?;
            let (model, cfg, meta) = nca::classify::model::load_checkpoint(&checkpoint, &device)?;
            let dir = resolve_data_dir(data.as_deref())?;
            let test = load_split(&dir, SplitName::Test)?;
            let opts = EvalOptions {
                ticks_before,
                ticks_after,
                limit,
                seed,
                ..EvalOptions::default()
            };
            let n = limit.unwrap_or(test.len()).min(test.len());
            let started = std::time::Instant::now();
            let show = interactive() && !json;
            let report = evaluate(&model, &cfg, &test, &opts, |done| {
                if show {
                    eprint!("\r{done}/{n} digits");
                }
            })?;
            if show {
                eprintln!();
            }
            if let Some(p) = &plot {
                let pts = |v: &[f64]| {
                    v.iter()
                        .enumerate()
                        .map(|(i, y)| ((i + 1) as f64, *y))
                        .collect()
                };
                nca_viz::plot_curves(
                    &format!(
                        "Self-classifying MNIST ({} digits, mutation at tick {})",
                        report.digits, report.mutate_at
                    ),
                    "tick",
                    "share",
                    &[
                        ("cell accuracy", pts(&report.accuracy)),
                        ("total agreement", pts(&report.agreement)),
                    ],
                    p,
                    force,
                )?;
            }
            if json {
                print_json(&report);
            } else {
                println!("checkpoint {} (step {})", checkpoint.display(), meta.step);
                println!(
                    "{} test digits, mutation after tick {}, {:.1} s",
                    report.digits,
                    report.mutate_at,
                    started.elapsed().as_secs_f64()
                );
                println!("{:>6} {:>10} {:>10}", "tick", "accuracy", "agreement");
                let total = report.accuracy.len();
                for t in [1, 10, 20, 50, 100, 200, 201, 210, 250, 300, 400] {
                    if t <= total {
                        println!(
                            "{t:>6} {:>10.4} {:>10.4}",
                            report.accuracy[t - 1],
                            report.agreement[t - 1]
                        );
                    }
                }
            }
        }
    }
    Ok(())
}
