//! `nca grow ...`: train and evaluate growing / persistent / regenerating NCA.

use std::path::PathBuf;

use nca::grow::eval::{Damage, GrowEvalOptions, damage_rollout, evaluate};
use nca::grow::model::load_checkpoint;
use nca::grow::seed_state;
use nca::grow::task::GrowTrainConfig;
use nca::grow::{GrowConfig, GrowTarget, GrowTask};

use super::train::{device_and_engine, train_and_report};
use super::{CmdResult, check_free};
use crate::cli::GrowCommand;
use crate::output::print_json;

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
        GrowCommand::ExportOnnx(a) => super::onnx::export(&a, |checkpoint| {
            let device = nca::device::device_for(None)?;
            let (model, cfg, _, _) = load_checkpoint(checkpoint, &device)?;
            super::onnx::nca_tick(&model, nca::grow::FAMILY, &cfg)
        })?,
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
            let (device, engine) = device_and_engine(t.backend.as_deref(), t.engine)?;
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
            train_and_report(&mut task, &t, &device)?;
        }
        GrowCommand::Eval {
            checkpoint,
            runs,
            seed,
            json,
        } => eval(&checkpoint, runs, seed, json)?,
        GrowCommand::Animate(a) => animate(a)?,
    }
    Ok(())
}

/// `nca grow eval`: growth, stability and regrowth figures of a checkpoint.
fn eval(checkpoint: &std::path::Path, runs: usize, seed: u64, json: bool) -> CmdResult {
    if runs == 0 || runs > 1024 {
        return Err("--runs must be in 1..=1024".into());
    }
    let device = nca::device::device_for(None)?;
    let (model, cfg, target, meta) = load_checkpoint(checkpoint, &device)?;
    let opts = GrowEvalOptions {
        runs,
        seed,
        ..GrowEvalOptions::default()
    };
    let r = evaluate(&model, &cfg, &target, &opts)?;
    if json {
        print_json(&r);
        return Ok(());
    }
    println!(
        "checkpoint {} (step {}), {} runs",
        checkpoint.display(),
        meta.step,
        r.runs
    );
    for (name, value, what) in [
        ("loss_grow", r.loss_grow, "96 ticks from the seed"),
        ("loss_persist_1000", r.loss_persist_1000, "1000 ticks"),
        (
            "loss_after_cut",
            r.loss_after_cut,
            "half of the pattern cut out",
        ),
        ("loss_regrow", r.loss_regrow, "96 ticks after the cut"),
    ] {
        println!("{name:<18} {value:.5}  ({what})");
    }
    Ok(())
}

/// `nca grow animate`.
#[derive(clap::Args, Debug)]
pub struct AnimateArgs {
    /// The checkpoint (.safetensors).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Ticks to run.
    #[arg(long, default_value_t = 300)]
    pub ticks: usize,
    /// Damage events: `X,Y,R@TICK` cuts a disc of radius R at cell (X,Y) before tick TICK;
    /// `half@TICK` cuts out half of the pattern. Repeatable.
    #[arg(long, value_name = "X,Y,R@TICK")]
    pub damage: Vec<String>,
    /// The animated GIF to write.
    #[arg(long, default_value = "grow.gif")]
    pub out: PathBuf,
    /// Also write a contact sheet PNG of the ticks in --sheet-ticks.
    #[arg(long, value_name = "FILE.png")]
    pub sheet: Option<PathBuf>,
    /// Ticks shown on the contact sheet.
    #[arg(long, value_delimiter = ',', default_value = "0,10,20,30,40,60,80,100")]
    pub sheet_ticks: Vec<usize>,
    /// Pixels per cell.
    #[arg(long, default_value_t = 4)]
    pub zoom: usize,
    /// Frames per second.
    #[arg(long, default_value_t = 20.0)]
    pub fps: f64,
    /// Keep every Nth tick as a frame.
    #[arg(long, default_value_t = 1)]
    pub every: usize,
    /// Seed of the fire masks.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Replace existing output files.
    #[arg(long)]
    pub force: bool,
}

fn animate(a: AnimateArgs) -> CmdResult {
    if a.ticks == 0 || a.ticks > 100_000 {
        return Err("--ticks must be in 1..=100000".into());
    }
    if a.every == 0 || a.zoom == 0 || a.zoom > 64 {
        return Err("--every must be at least 1 and --zoom in 1..=64".into());
    }
    for p in std::iter::once(&a.out).chain(a.sheet.as_ref()) {
        check_free(p, a.force)?;
    }
    let device = nca::device::device_for(None)?;
    let (model, cfg, target, _) = load_checkpoint(&a.checkpoint, &device)?;
    let damages: Vec<Damage> = a
        .damage
        .iter()
        .map(|d| Damage::parse(d, &target))
        .collect::<Result<_, _>>()?;
    let (c, s) = (cfg.channels, target.side);
    let frames_total = a.ticks / a.every + 1;
    if frames_total * s * s * a.zoom * a.zoom > 400_000_000 {
        return Err("animation too large; lower --ticks, raise --every or lower --zoom".into());
    }
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(a.seed);
    let mut x = seed_state(c, s);
    let frame_of = |x: &[f32], t: usize| -> Result<nca_viz::Frame, nca_viz::VizError> {
        let mut f =
            nca_viz::Frame::from_rgba_f32_chw(s, s, &x[..4 * s * s], true)?.upscale(a.zoom)?;
        nca_viz::draw_text(&mut f, 2, 2, &format!("{t}"), [90, 90, 90], 1);
        Ok(f)
    };
    let mut frames = vec![frame_of(&x, 0)?];
    let mut sheet = Vec::new();
    if a.sheet_ticks.contains(&0) {
        sheet.push(frames[0].clone());
    }
    damage_rollout(&model, &mut x, s, &damages, a.ticks, &mut rng, |t, x| {
        if t % a.every == 0 || a.sheet_ticks.contains(&t) {
            let f = frame_of(x, t)?;
            if a.sheet_ticks.contains(&t) {
                sheet.push(f.clone());
            }
            if t % a.every == 0 {
                frames.push(f);
            }
        }
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    nca_viz::save_gif(&frames, a.fps, true, &a.out, a.force)?;
    println!("wrote {} ({} frames)", a.out.display(), frames.len());
    if let Some(p) = &a.sheet {
        if sheet.is_empty() {
            return Err("--sheet-ticks selects no tick within --ticks".into());
        }
        let cols = if sheet.len() <= 8 {
            sheet.len()
        } else {
            sheet.len().div_ceil(2)
        };
        let g = nca_viz::grid(&sheet, cols, 4, [255, 255, 255])?;
        nca_viz::save_png(&g, p, a.force)?;
        println!("wrote {}", p.display());
    }
    Ok(())
}
