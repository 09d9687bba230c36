//! `nca classify ...`: train and evaluate self-classifying MNIST digits.

use std::sync::Arc;

use nca::classify::eval::{EvalOptions, cell_votes, evaluate, majority, mutation_rollout};
use nca::classify::task::fresh_state;
use nca::classify::{ClassifyConfig, ClassifyTask, Loss};
use nca_data::{SplitName, load_split, resolve_data_dir};
use rand::SeedableRng;

use super::train::{device_and_engine, train_and_report};
use super::{CmdResult, check_free};
use crate::cli::{ClassifyCommand, ReportArgs, TestArgs};
use crate::output::{per_step, print_json, with_progress};

pub fn run(c: ClassifyCommand) -> CmdResult {
    match c {
        ClassifyCommand::ExportOnnx(a) => super::onnx::export(&a, |checkpoint| {
            let device = nca::device::device_for(None)?;
            let (model, cfg, _) = nca::classify::model::load_checkpoint(checkpoint, &device)?;
            super::onnx::nca_tick(&model, nca::classify::FAMILY, &cfg)
        })?,
        ClassifyCommand::Train {
            train: t,
            data,
            limit,
            batch,
            ticks,
            cross_entropy,
        } => {
            let (device, engine) = device_and_engine(t.backend.as_deref(), t.engine)?;
            let dir = resolve_data_dir(data.as_deref())?;
            let mut split = load_split(&dir, SplitName::Train)?;
            if let Some(n) = limit {
                split = split.truncated(n)?;
            }
            let cfg = ClassifyConfig {
                loss: if cross_entropy {
                    Loss::CrossEntropy
                } else {
                    Loss::L2
                },
                ..ClassifyConfig::with_batch(batch, ticks)
            };
            let mut rng = rand::rngs::StdRng::seed_from_u64(t.seed ^ 0x5EED);
            let mut task = ClassifyTask::new(cfg, Arc::new(split), &mut rng)?;
            task.engine = engine;
            train_and_report(&mut task, &t, &device)?;
        }
        ClassifyCommand::Eval {
            test:
                TestArgs {
                    checkpoint,
                    data,
                    limit,
                },
            ticks_before,
            ticks_after,
            seed,
            report: out,
        } => {
            out.check_plot()?;
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
            let report = with_progress(n, out.json, |progress| {
                evaluate(&model, &cfg, &test, &opts, progress)
            })?;
            out.plot(
                &format!(
                    "Self-classifying MNIST ({} digits, mutation at tick {})",
                    report.digits, report.mutate_at
                ),
                "tick",
                &[
                    ("cell accuracy", per_step(&report.accuracy)),
                    ("total agreement", per_step(&report.agreement)),
                ],
            )?;
            if out.json {
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
        ClassifyCommand::Curve {
            run,
            snapshots,
            data,
            limit,
            every,
            report,
        } => curve(&run, snapshots, data.as_deref(), limit, every, &report)?,
        ClassifyCommand::Animate {
            checkpoint,
            data,
            input,
            batch_size,
            zoom_scale,
            fps,
            n_stages,
            n_steps_per_stage,
            seed,
            annotations,
            out,
            still,
            force,
            json,
        } => {
            let a = Animate {
                batch_size,
                zoom: zoom_scale,
                fps,
                n_stages,
                n_steps_per_stage,
                seed,
                annotations,
                still,
                force,
                json,
            };
            animate(&checkpoint, data.as_deref(), input.as_deref(), &out, &a)?;
        }
    }
    Ok(())
}

struct Animate {
    batch_size: usize,
    zoom: usize,
    fps: f64,
    n_stages: usize,
    n_steps_per_stage: usize,
    seed: u64,
    annotations: bool,
    still: Option<std::path::PathBuf>,
    force: bool,
    json: bool,
}

/// One frame: every digit drawn with its alive cells in the colour of their vote (stroke
/// intensity blends towards white), side by side, with the majority vote under each if asked.
fn render(
    states: &[f32],
    cfg: &ClassifyConfig,
    [b, h, w]: [usize; 3],
    a: &Animate,
) -> Result<nca_viz::Frame, nca_viz::VizError> {
    let hw = h * w;
    let votes = cell_votes(states, cfg, hw);
    let majorities = majority(&votes, cfg.classes, hw);
    let label_h = if a.annotations { 9 * 2 + 4 } else { 0 };
    let mut tiles = Vec::with_capacity(b);
    for k in 0..b {
        let pixels = &states[k * cfg.channels * hw..k * cfg.channels * hw + hw];
        let cell = nca_viz::Frame::from_fn(w, h, |x, y| {
            let i = y * w + x;
            match votes[k * hw + i] {
                Some(v) => {
                    let col = nca_viz::class_color(v);
                    let p = pixels[i].clamp(0.0, 1.0);
                    let mix = |c: u8| (255.0 * (1.0 - p) + c as f32 * p) as u8;
                    [mix(col[0]), mix(col[1]), mix(col[2]), 255]
                }
                None => [255, 255, 255, 255],
            }
        })?
        .upscale(a.zoom)?;
        let mut tile = nca_viz::Frame::new(cell.width(), cell.height() + label_h, [255, 255, 255])?;
        tile.blit(&cell, 0, 0);
        if a.annotations
            && let Some((v, share)) = majorities[k]
        {
            let text = format!("{v} {:.0}%", share * 100.0);
            nca_viz::draw_text(
                &mut tile,
                2,
                cell.height() as i64 + 2,
                &text,
                nca_viz::class_color(v),
                2,
            );
        }
        tiles.push(tile);
    }
    let cols = (b as f64).sqrt().ceil() as usize;
    nca_viz::grid(&tiles, cols, 4, [230, 230, 230])
}

fn animate(
    checkpoint: &std::path::Path,
    data: Option<&std::path::Path>,
    input: Option<&std::path::Path>,
    out: &std::path::Path,
    a: &Animate,
) -> CmdResult {
    if a.batch_size == 0 || a.batch_size > 256 {
        return Err("--batch-size must be in 1..=256".into());
    }
    if a.zoom == 0 || a.zoom > 64 || a.n_stages == 0 || a.n_steps_per_stage == 0 {
        return Err(
            "--zoom-scale must be in 1..=64, --n-stages and --n-steps-per-stage at least 1".into(),
        );
    }
    if a.n_stages * a.n_steps_per_stage > 100_000 {
        return Err("--n-stages × --n-steps-per-stage is absurdly large (max 100000 ticks)".into());
    }
    check_free(out, a.force)?;
    if let Some(p) = &a.still {
        check_free(p, a.force)?;
    }
    let device = nca::device::device_for(None)?;
    let (model, cfg, _) = nca::classify::model::load_checkpoint(checkpoint, &device)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(a.seed);
    // The digits: a user image, or random test digits.
    let (mut state, h, w, test) = match input {
        Some(path) => {
            let pixels = nca_data::load_digit_png(path)?;
            (fresh_state(&pixels, cfg.channels), 28, 28, None)
        }
        None => {
            let dir = resolve_data_dir(data)?;
            let test = load_split(&dir, SplitName::Test)?;
            let mut state = Vec::new();
            for _ in 0..a.batch_size {
                let i = rand::Rng::random_range(&mut rng, 0..test.len());
                state.extend(fresh_state(&test.image_f32(i), cfg.channels));
            }
            let (h, w) = (test.rows(), test.cols());
            (state, h, w, Some(test))
        }
    };
    let b = state.len() / (cfg.channels * h * w);
    let dims = [b, h, w];
    let stages = if test.is_some() { a.n_stages } else { 1 };
    let total = stages * a.n_steps_per_stage;
    let frame_px = render(&state, &cfg, dims, a)?;
    if (total + 1) * frame_px.width() * frame_px.height() > 400_000_000 {
        return Err(
            "animation too large; lower --batch-size, --zoom-scale or the number of ticks".into(),
        );
    }
    let mut frames = vec![frame_px];
    let schedule = (stages, a.n_steps_per_stage);
    mutation_rollout(
        &model,
        &cfg,
        &mut state,
        dims,
        test.as_ref(),
        schedule,
        &mut rng,
        |_, s| {
            frames.push(render(s, &cfg, dims, a)?);
            Ok::<_, Box<dyn std::error::Error>>(())
        },
    )?;
    nca_viz::save_gif(&frames, a.fps, true, out, a.force)?;
    if let (Some(p), Some(last)) = (&a.still, frames.last()) {
        nca_viz::save_png(last, p, a.force)?;
    }
    let verdicts: Vec<_> = majority(&cell_votes(&state, &cfg, h * w), cfg.classes, h * w)
        .into_iter()
        .map(|m| m.map(|(digit, share)| serde_json::json!({"digit": digit, "agreement": share})))
        .collect();
    if a.json {
        print_json(&serde_json::json!({"out": out, "ticks": total, "verdicts": verdicts}));
    } else {
        println!("wrote {} ({} frames)", out.display(), frames.len());
        for (k, v) in verdicts.iter().enumerate() {
            match v {
                Some(v) => println!(
                    "digit {k}: votes {} ({:.0}% of its cells)",
                    v["digit"],
                    v["agreement"].as_f64().unwrap_or(0.0) * 100.0
                ),
                None => println!("digit {k}: no alive cells"),
            }
        }
    }
    Ok(())
}

/// Wall seconds at each logged step of a run's metrics.jsonl.
fn wall_times(run: &std::path::Path) -> Result<Vec<(u64, f64)>, Box<dyn std::error::Error>> {
    let path = run.join("metrics.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| Some((v.get("step")?.as_u64()?, v.get("wall_s")?.as_f64()?)))
        .collect())
}

fn curve(
    run: &std::path::Path,
    snapshots: Option<std::path::PathBuf>,
    data: Option<&std::path::Path>,
    limit: usize,
    every: usize,
    out: &ReportArgs,
) -> CmdResult {
    if every == 0 || limit == 0 {
        return Err("--every and --limit must be at least 1".into());
    }
    out.check_plot()?;
    let dir = snapshots.unwrap_or_else(|| run.join("snapshots"));
    let mut snaps: Vec<(u64, std::path::PathBuf)> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let step = p
                .file_stem()?
                .to_str()?
                .strip_prefix("step-")?
                .parse()
                .ok()?;
            Some((step, p))
        })
        .filter(|(step, _)| step % every as u64 == 0)
        .collect();
    snaps.sort();
    if snaps.is_empty() {
        return Err(format!(
            "no step-NNNNNN.safetensors snapshots at multiples of {every} in {}",
            dir.display()
        )
        .into());
    }
    let walls = wall_times(run)?;
    let test = load_split(&resolve_data_dir(data)?, SplitName::Test)?;
    let device = nca::device::device_for(None)?;
    let opts = EvalOptions {
        ticks_before: 200,
        ticks_after: 0,
        limit: Some(limit),
        ..EvalOptions::default()
    };
    let mut points = Vec::new();
    for (step, path) in &snaps {
        let (model, cfg, _) = nca::classify::model::load_checkpoint(path, &device)?;
        let r = evaluate(&model, &cfg, &test, &opts, |_| {})?;
        let wall = walls.iter().find(|(s, _)| s == step).map(|w| w.1);
        if !out.json {
            println!(
                "step {step:>7}  wall {:>7}  accuracy@200 {:.4}  agreement@200 {:.4}",
                wall.map(|w| format!("{:.1} min", w / 60.0))
                    .unwrap_or_else(|| "?".into()),
                r.accuracy_at_200,
                r.agreement_at_200
            );
        }
        points.push(serde_json::json!({
            "step": step, "wall_min": wall.map(|w| w / 60.0),
            "accuracy_at_200": r.accuracy_at_200, "agreement_at_200": r.agreement_at_200,
        }));
    }
    let series = |key: &str| -> Vec<(f64, f64)> {
        points
            .iter()
            .filter_map(|v| Some((v["wall_min"].as_f64()?, v[key].as_f64()?)))
            .collect()
    };
    out.plot(
        &format!("Self-classifying MNIST: time to accuracy ({limit} test digits, tick 200)"),
        "wall minutes on this machine",
        &[
            ("cell accuracy", series("accuracy_at_200")),
            ("total agreement", series("agreement_at_200")),
        ],
    )?;
    if out.json {
        print_json(&serde_json::json!({ "limit": limit, "points": points }));
    }
    Ok(())
}
