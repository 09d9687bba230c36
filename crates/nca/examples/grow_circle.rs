//! Trains a Growing NCA on the built-in circle target and measures how well it grows.
//!
//!     cargo run --release -p nca --example grow_circle -- [STEPS] [RUN_DIR]
use nca::grow::eval::{GrowEvalOptions, evaluate};
use nca::grow::{GrowTarget, GrowTask, GrowTrainConfig, load_checkpoint};
use nca::trainer::{RunOptions, Task, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let steps: usize = args.next().map_or(Ok(200), |s| s.parse())?;
    let dir = args.next().unwrap_or_else(|| "runs/example-grow".into());
    let cfg = GrowTrainConfig {
        batch: 4,
        pool: 64,
        min_ticks: 32,
        max_ticks: 48,
        ..Default::default()
    };
    let mut task = GrowTask::new(cfg, GrowTarget::circle(24))?;
    let trainer = task.recipe().trainer_config(steps, 42);
    let run = RunOptions {
        dir: dir.into(),
        resume: false,
        progress: true,
    };
    let device = nca::device::device_for(None)?;
    let report = train(&mut task, &trainer, &run, &device)?;
    let (model, cfg, target, _) = load_checkpoint(&report.model_path, &device)?;
    let opts = GrowEvalOptions {
        runs: 4,
        ..Default::default()
    };
    let r = evaluate(&model, &cfg, &target, &opts)?;
    println!(
        "{} steps (loss {:.5}); RGBA error after 96 ticks from the seed: {:.5}",
        report.steps, report.final_loss, r.loss_grow
    );
    Ok(())
}
