//! `nca refine ...`: the digit refiner — templates, training, evaluation, animation and ONNX
//! export.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use nca::engine::Engine;
use nca::refine::eval::{EvalOptions, evaluate, run_images};
use nca::refine::{RefineConfig, RefineNca, RefineTask, Templates, Verdict, verdict};
use nca_data::{SplitName, load_split, resolve_data_dir};

use super::train::{device_and_engine, train_and_report, trainer_config};
use super::{CmdResult, check_free};
use crate::cli::{ReportArgs, TestArgs};
use crate::output::{per_step, print_json, with_progress};

/// `nca refine ...`.
#[derive(Subcommand, Debug)]
pub enum RefineCommand {
    /// Compute the templates (the mean training image of each digit) and store them.
    Templates {
        /// Data directory holding MNIST (default: $NCA_DATA, else ~/.cache/nca).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Where to store them (safetensors).
        #[arg(
            long,
            value_name = "FILE",
            default_value = "refine-templates.safetensors"
        )]
        out: PathBuf,
        /// Also draw the ten templates side by side to this PNG.
        #[arg(long, value_name = "FILE.png")]
        sheet: Option<PathBuf>,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
        /// Print one JSON object (counts per digit, files written).
        #[arg(long)]
        json: bool,
    },
    /// Train the refiner on MNIST (defaults: the original's settings; resumable).
    Train(TrainArgs),
    /// Accuracy of the verdict after every step on the test digits, and of the templates alone.
    Eval {
        /// The checkpoint and the test digits.
        #[command(flatten)]
        test: TestArgs,
        /// Digits per forward pass.
        #[arg(long, default_value_t = 500)]
        batch: usize,
        /// `fast` (nca-fast's spectral engine, CPU) or `burn` (the Burn backend).
        #[arg(long, value_enum, default_value = "fast")]
        engine: Engine,
        /// Plot (accuracy and confidence per step) and JSON output.
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Refine one digit image: all steps as a contact sheet and an animation, and the verdict.
    Animate {
        /// The checkpoint (.safetensors).
        #[arg(long)]
        checkpoint: PathBuf,
        /// A PNG of a digit (any size; cropped, squared and scaled to 28x28 like MNIST).
        #[arg(long, value_name = "FILE.png")]
        input: PathBuf,
        /// The animation to write.
        #[arg(long, value_name = "FILE.gif")]
        out: PathBuf,
        /// Also write every step side by side (input, 50 steps, chosen template) to this PNG.
        #[arg(long, value_name = "FILE.png")]
        sheet: Option<PathBuf>,
        /// Pixels per image pixel.
        #[arg(long, default_value_t = 4)]
        zoom: usize,
        /// Frames per second of the animation.
        #[arg(long, default_value_t = 10.0)]
        fps: f64,
        /// Replace existing files.
        #[arg(long)]
        force: bool,
        /// Print one JSON object (verdict per step and final).
        #[arg(long)]
        json: bool,
    },
    /// Export to ONNX as the original does: opset 17, input `x` [B,1,28,28], outputs
    /// out00..out49.
    ExportOnnx(super::onnx::ExportOnnxArgs),
}

/// `nca refine train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Training options (one epoch of MNIST is 235 steps at batch 256; the learning rate
    /// defaults to the original's 5e-4).
    #[command(flatten)]
    train: crate::cli::TrainArgs,
    /// Data directory holding MNIST (default: $NCA_DATA, else ~/.cache/nca).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Train on the first N training digits only (templates still come from all of them).
    #[arg(long)]
    limit: Option<usize>,
    /// Feature maps per block (16 in the original; smaller is proportionally cheaper).
    #[arg(long, default_value_t = 16)]
    width: usize,
    /// Batch size.
    #[arg(long, default_value_t = 256)]
    batch: usize,
    /// With `--engine burn`: digits per forward/backward pass; a batch's gradients are summed
    /// over its micro-batches (the same step as one pass over the batch, with less memory).
    #[arg(long, default_value_t = 64)]
    micro_batch: usize,
    /// Templates file from `nca refine templates` (default: computed from the training set).
    #[arg(long, value_name = "FILE")]
    templates: Option<PathBuf>,
}

/// Runs one `nca refine` command.
pub fn run(c: RefineCommand) -> CmdResult {
    match c {
        RefineCommand::Templates {
            data,
            out,
            sheet,
            force,
            json,
        } => templates(data.as_deref(), &out, sheet.as_deref(), force, json),
        RefineCommand::Train(t) => train_cmd(t),
        RefineCommand::Eval {
            test:
                TestArgs {
                    checkpoint,
                    data,
                    limit,
                },
            batch,
            engine,
            report,
        } => eval(&checkpoint, data.as_deref(), limit, batch, engine, &report),
        RefineCommand::Animate {
            checkpoint,
            input,
            out,
            sheet,
            zoom,
            fps,
            force,
            json,
        } => animate(
            &checkpoint,
            &input,
            &out,
            sheet.as_deref(),
            zoom,
            fps,
            force,
            json,
        ),
        RefineCommand::ExportOnnx(a) => export_onnx(&a),
    }
}

/// One image as a tile: upscaled, with a caption line under it.
fn tile(
    values: &[f32],
    side: usize,
    zoom: usize,
    caption: &str,
) -> Result<nca_viz::Frame, nca_viz::VizError> {
    let img = nca_viz::Frame::from_gray(side, side, values)?.upscale(zoom)?;
    let mut t = nca_viz::Frame::new(img.width(), img.height() + 12, [255, 255, 255])?;
    t.blit(&img, 0, 0);
    nca_viz::draw_text(&mut t, 2, img.height() as i64 + 3, caption, [30, 30, 30], 1);
    Ok(t)
}

fn templates(
    data: Option<&Path>,
    out: &Path,
    sheet: Option<&Path>,
    force: bool,
    json: bool,
) -> CmdResult {
    check_free(out, force)?;
    if let Some(s) = sheet {
        check_free(s, force)?;
    }
    let dir = resolve_data_dir(data)?;
    let split = load_split(&dir, SplitName::Train)?;
    let t = Templates::from_split(&split)?;
    t.save(out, force)?;
    if let Some(s) = sheet {
        let tiles = (0..t.classes())
            .map(|k| tile(t.image(k), t.side, 4, &format!("{k}: {}", t.counts[k])))
            .collect::<Result<Vec<_>, _>>()?;
        nca_viz::save_png(&nca_viz::grid(&tiles, 10, 4, [230, 230, 230])?, s, force)?;
    }
    if json {
        print_json(&serde_json::json!({
            "out": out, "sheet": sheet, "digits": split.len(), "counts": t.counts,
        }));
    } else {
        println!(
            "templates of {} training digits (per digit: {:?}) written to {}",
            split.len(),
            t.counts,
            out.display()
        );
        if let Some(s) = sheet {
            println!("sheet: {}", s.display());
        }
    }
    Ok(())
}

fn train_cmd(a: TrainArgs) -> CmdResult {
    let t = &a.train;
    let d = RefineConfig::default();
    let cfg = RefineConfig {
        width: a.width,
        batch: a.batch,
        lr: t.lr.unwrap_or(d.lr),
        ..d
    };
    cfg.validate()?;
    trainer_config(t, nca::refine::model::recipe(&cfg)).validate()?;
    if a.micro_batch == 0 {
        return Err("--micro-batch must be at least 1".into());
    }
    let (device, engine) = device_and_engine(t.backend.as_deref(), t.engine)?;
    let dir = resolve_data_dir(a.data.as_deref())?;
    let full = load_split(&dir, SplitName::Train)?;
    let ckpt = nca::trainer::model_path(&t.out);
    let templates = if t.resume && ckpt.exists() {
        // Resume towards the very templates the run started with.
        nca::refine::load_checkpoint(&ckpt, &device)?
            .0
            .templates()?
    } else if let Some(p) = &a.templates {
        Templates::load(p)?
    } else {
        Templates::from_split(&full)?
    };
    let split = match a.limit {
        Some(n) => full.truncated(n)?,
        None => full,
    };
    let mut task = RefineTask::new(cfg, templates, Arc::new(split), t.seed ^ 0x5EED)?;
    task.micro_batch = a.micro_batch;
    task.engine = engine;
    train_and_report(&mut task, t, &device)
}

fn load(checkpoint: &Path) -> Result<(RefineNca, Templates, usize), Box<dyn std::error::Error>> {
    let device = nca::device::device_for(None)?;
    let (model, _, meta) = nca::refine::load_checkpoint(checkpoint, &device)?;
    let templates = model.templates()?;
    Ok((model, templates, meta.step))
}

fn eval(
    checkpoint: &Path,
    data: Option<&Path>,
    limit: Option<usize>,
    batch: usize,
    engine: Engine,
    out: &ReportArgs,
) -> CmdResult {
    out.check_plot()?;
    if batch == 0 || batch > 10_000 {
        return Err("--batch must be in 1..=10000".into());
    }
    let (model, templates, step) = load(checkpoint)?;
    let test = load_split(&resolve_data_dir(data)?, SplitName::Test)?;
    let n = limit.unwrap_or(test.len()).min(test.len());
    let started = std::time::Instant::now();
    let opts = EvalOptions {
        limit,
        batch,
        engine,
    };
    let r = with_progress(n, out.json, |progress| {
        evaluate(&model, &templates, &test, &opts, progress)
    })?;
    let secs = started.elapsed().as_secs_f64();
    let base = vec![
        (1.0, r.accuracy_templates_only),
        (r.accuracy_per_step.len() as f64, r.accuracy_templates_only),
    ];
    out.plot(
        &format!(
            "Digit refiner: verdict after each step ({} test digits)",
            r.digits
        ),
        "step",
        &[
            ("accuracy", per_step(&r.accuracy_per_step)),
            ("mean confidence", per_step(&r.confidence_per_step)),
            ("templates only", base),
        ],
    )?;
    if out.json {
        let mut v = serde_json::to_value(&r)?;
        v["checkpoint"] = serde_json::json!(checkpoint);
        v["step"] = serde_json::json!(step);
        v["seconds"] = serde_json::json!(secs);
        print_json(&v);
    } else {
        println!("checkpoint {} (step {step})", checkpoint.display());
        println!("{} test digits in {secs:.1} s", r.digits);
        println!(
            "templates only (verdict on the raw input): {:.4}",
            r.accuracy_templates_only
        );
        println!("{:>6} {:>10} {:>11}", "step", "accuracy", "confidence");
        for t in [1, 5, 10, 20, 30, 40, 50] {
            if t <= r.accuracy_per_step.len() {
                println!(
                    "{t:>6} {:>10.4} {:>11.4}",
                    r.accuracy_per_step[t - 1],
                    r.confidence_per_step[t - 1]
                );
            }
        }
    }
    Ok(())
}

fn verdict_json(step: usize, v: &Verdict) -> serde_json::Value {
    serde_json::json!({"step": step, "digit": v.digit, "confidence": v.confidence})
}

#[allow(clippy::too_many_arguments)]
fn animate(
    checkpoint: &Path,
    input: &Path,
    out: &Path,
    sheet: Option<&Path>,
    zoom: usize,
    fps: f64,
    force: bool,
    json: bool,
) -> CmdResult {
    if zoom == 0 || zoom > 32 {
        return Err("--zoom must be in 1..=32".into());
    }
    check_free(out, force)?;
    if let Some(s) = sheet {
        check_free(s, force)?;
    }
    let pixels = nca_data::load_digit_png(input)?;
    let (model, templates, _) = load(checkpoint)?;
    let side = templates.side;
    let images = run_images(&model, &pixels, 1, side, Engine::Fast)?;
    let verdicts: Vec<Verdict> = images.iter().map(|img| verdict(img, &templates)).collect();
    let first = verdict(&pixels, &templates);
    let last = verdicts.last().cloned().unwrap_or_else(|| first.clone());
    let caption = |name: String, v: &Verdict| format!("{name}: {} {:.2}", v.digit, v.confidence);
    let mut tiles = vec![tile(&pixels, side, zoom, &caption("IN".into(), &first))?];
    for (t, (img, v)) in images.iter().zip(&verdicts).enumerate() {
        tiles.push(tile(img, side, zoom, &caption(format!("{}", t + 1), v))?);
    }
    // The animation holds the last image a while.
    let mut frames = tiles.clone();
    frames.extend(std::iter::repeat_n(
        tiles[tiles.len() - 1].clone(),
        (fps.max(1.0) as usize).min(30),
    ));
    nca_viz::save_gif(&frames, fps, true, out, force)?;
    if let Some(s) = sheet {
        let tpl = templates.image(last.digit);
        tiles.push(tile(tpl, side, zoom, &format!("MEAN {}", last.digit))?);
        let cols = 13;
        nca_viz::save_png(&nca_viz::grid(&tiles, cols, 4, [230, 230, 230])?, s, force)?;
    }
    if json {
        let steps: Vec<_> = verdicts
            .iter()
            .enumerate()
            .map(|(t, v)| verdict_json(t + 1, v))
            .collect();
        print_json(&serde_json::json!({
            "out": out, "sheet": sheet, "digit": last.digit, "confidence": last.confidence,
            "cosines": last.cosines, "input_verdict": verdict_json(0, &first), "steps": steps,
        }));
    } else {
        println!(
            "verdict: {} (confidence {:.3}; the raw input alone says {} at {:.3})",
            last.digit, last.confidence, first.digit, first.confidence
        );
        println!("wrote {} ({} frames)", out.display(), frames.len());
        if let Some(s) = sheet {
            println!("wrote {}", s.display());
        }
    }
    Ok(())
}

fn export_onnx(a: &super::onnx::ExportOnnxArgs) -> CmdResult {
    super::onnx::export(a, |checkpoint| {
        let (model, templates, _) = load(checkpoint)?;
        let bytes = nca::refine::onnx::export(&model, templates.side)?;
        let steps = model.blocks.len();
        let mut extra = serde_json::Map::new();
        extra.insert("input".into(), nca::refine::onnx::INPUT.into());
        Ok(super::onnx::Exported {
            bytes,
            inputs: vec![nca::refine::onnx::INPUT.into()],
            outputs: (steps, nca::refine::onnx::output_name(steps - 1)),
            extra,
        })
    })
}
