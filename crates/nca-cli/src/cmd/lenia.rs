//! `nca lenia run`: a Lenia pattern or soup, to a GIF and/or its mass and centre per step.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use nca::life::lenia::{
    Lenia, LeniaPattern, default_soup_side, lenia_pattern, lenia_pattern_names, wrapped_delta,
};
use nca_viz::Frame;

use super::{CmdResult, parse_size};
use crate::output::print_json;

/// Largest GIF we agree to write, in frames × pixels.
const MAX_GIF_PIXELS: usize = 400_000_000;

/// `nca lenia ...`.
#[derive(Subcommand, Debug)]
pub enum LeniaCommand {
    /// Run a pattern (or a random soup) and write an animation or its mass and centre per step.
    Run(LeniaRunArgs),
    /// List the shipped patterns and their parameters.
    Patterns {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// `nca lenia run`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    nca lenia run --pattern orbium --steps 300 -o orbium.gif\n  \
    nca lenia run --pattern orbium --steps 2000 --json\n  \
    nca lenia run --soup --seed 4 --size 128x128 -o soup.gif\n  \
    nca lenia run --file my-pattern.json -o mine.gif")]
pub struct LeniaRunArgs {
    /// A shipped pattern (see `nca lenia patterns`): orbium, scutium, geminium, ...
    #[arg(long, default_value = "orbium", conflicts_with = "file")]
    pub pattern: String,
    /// Read the pattern from a JSON file (the format of Chakazul's animals.json entries).
    #[arg(long, value_name = "FILE.json")]
    pub file: Option<PathBuf>,
    /// Start from a random soup (uniform states in a centred box) under the pattern's rule.
    #[arg(long)]
    pub soup: bool,
    /// Side of the soup's box (default half the smaller world side).
    #[arg(long, value_name = "CELLS")]
    pub soup_size: Option<usize>,
    /// Seed of the soup.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// World size, WIDTHxHEIGHT (wrapped edges).
    #[arg(long, default_value = "128x128")]
    pub size: String,
    /// Steps to run.
    #[arg(long, default_value_t = 300)]
    pub steps: usize,
    /// Override the growth centre mu of every kernel.
    #[arg(long)]
    pub mu: Option<f32>,
    /// Override the growth width sigma of every kernel.
    #[arg(long)]
    pub sigma: Option<f32>,
    /// Override the time resolution T (a step is 1/T).
    #[arg(long = "time-steps", value_name = "T")]
    pub time_steps: Option<f64>,
    /// Animated GIF to write (default lenia.gif; none with --json).
    #[arg(short = 'o', long, value_name = "FILE.gif")]
    pub out: Option<PathBuf>,
    /// Keep one frame every N steps.
    #[arg(long, default_value_t = 2)]
    pub every: usize,
    /// Pixels per cell.
    #[arg(long, default_value_t = 2)]
    pub zoom: usize,
    /// Frames per second of the GIF.
    #[arg(long, default_value_t = 30.0)]
    pub fps: f64,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Print mass and centre of mass per step as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs `nca lenia ...`.
pub fn run(c: LeniaCommand) -> CmdResult {
    match c {
        LeniaCommand::Run(a) => run_world(a),
        LeniaCommand::Patterns { json } => list(json),
    }
}

fn list(json: bool) -> CmdResult {
    let mut rows = Vec::new();
    for id in lenia_pattern_names() {
        let p = lenia_pattern(&id)?;
        let k = &p.params.kernels[0];
        rows.push(serde_json::json!({
            "id": p.id, "code": p.code, "name": p.name,
            "R": p.params.radius, "T": p.params.time_steps,
            "channels": p.params.channels, "kernels": p.params.kernels.len(),
            "b": k.peaks, "m": k.mu, "s": k.sigma,
            "kn": k.core.kn(), "gn": k.growth.gn(),
            "cells": [p.width, p.height],
        }));
    }
    if json {
        print_json(&serde_json::json!({ "patterns": rows }));
    } else {
        for r in &rows {
            println!(
                "{:<18} {:<6} {:<32} R={} T={} channels={} kernels={} m={} s={} kn={} gn={}",
                r["id"].as_str().unwrap_or(""),
                r["code"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap_or(""),
                r["R"],
                r["T"],
                r["channels"],
                r["kernels"],
                r["m"],
                r["s"],
                r["kn"],
                r["gn"]
            );
        }
    }
    Ok(())
}

fn load_pattern(a: &LeniaRunArgs) -> Result<LeniaPattern, Box<dyn std::error::Error>> {
    let mut pattern = match &a.file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            LeniaPattern::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => lenia_pattern(&a.pattern)?,
    };
    for k in &mut pattern.params.kernels {
        if let Some(mu) = a.mu {
            k.mu = mu;
        }
        if let Some(sigma) = a.sigma {
            k.sigma = sigma;
        }
    }
    if let Some(t) = a.time_steps {
        pattern.params.time_steps = t;
    }
    Ok(pattern)
}

fn run_world(a: LeniaRunArgs) -> CmdResult {
    let pattern = load_pattern(&a)?;
    let (w, h) = parse_size(&a.size)?;
    if a.steps == 0 || a.steps > 1_000_000 {
        return Err("--steps must be in 1..=1000000".into());
    }
    if a.every == 0 {
        return Err("--every must be at least 1".into());
    }
    let mut world = Lenia::new(pattern.params.clone(), w, h)?;
    if a.soup {
        world.soup(a.soup_size.unwrap_or(default_soup_side(w, h)), a.seed)?;
    } else {
        if pattern.width > w || pattern.height > h {
            return Err(format!(
                "pattern {} is {}x{} cells and does not fit in --size {w}x{h}",
                pattern.id, pattern.width, pattern.height
            )
            .into());
        }
        world.place(
            &pattern.cells,
            pattern.width,
            pattern.height,
            (w - pattern.width) / 2,
            (h - pattern.height) / 2,
        )?;
    }
    let out = match (&a.out, a.json) {
        (Some(p), _) => Some(p.clone()),
        (None, false) => Some("lenia.gif".into()),
        (None, true) => None,
    };
    if let Some(p) = &out {
        let frames = a.steps / a.every + 1;
        let pixels = w.saturating_mul(h).saturating_mul(a.zoom * a.zoom);
        if a.zoom == 0 || a.zoom > 64 || pixels.saturating_mul(frames) > MAX_GIF_PIXELS {
            return Err(format!(
                "an animation of {frames} frames at {w}x{h} cells × zoom {} is too large; lower --steps, --size or --zoom, or raise --every",
                a.zoom
            )
            .into());
        }
        super::check_free(p, a.force)?;
    }

    let mut frames = Vec::new();
    if out.is_some() {
        frames.push(render(&world)?.upscale(a.zoom)?);
    }
    let mut mass = vec![world.mass()];
    let mut centre: Vec<Option<[f64; 2]>> = vec![world.centre_of_mass().map(|(x, y)| [x, y])];
    // The centre's path with the wrapping undone, for the speed.
    let mut travelled = 0.0;
    for step in 1..=a.steps {
        world.step();
        mass.push(world.mass());
        let now = world.centre_of_mass().map(|(x, y)| [x, y]);
        if let (Some(p), Some(q)) = (centre[step - 1], now) {
            travelled += wrapped_delta(p[0], q[0], w).hypot(wrapped_delta(p[1], q[1], h));
        }
        centre.push(now);
        if out.is_some() && step % a.every == 0 {
            frames.push(render(&world)?.upscale(a.zoom)?);
        }
    }
    if let Some(p) = &out {
        nca_viz::save_gif(&frames, a.fps, true, p, a.force)?;
    }
    let speed = travelled / a.steps as f64;
    if a.json {
        print_json(&serde_json::json!({
            "pattern": if a.soup { "soup".to_string() } else { pattern.id.clone() },
            "width": w,
            "height": h,
            "steps": a.steps,
            "R": pattern.params.radius,
            "T": pattern.params.time_steps,
            "mass": mass,
            "centre": centre,
            "mean_speed": speed,
            "out": out,
        }));
    } else {
        println!(
            "{} on {w}x{h}, {} steps: mass {:.2} → {:.2}, centre moved {speed:.3} cells/step{}",
            if a.soup { "soup" } else { pattern.id.as_str() },
            a.steps,
            mass[0],
            mass[a.steps],
            out.map(|p| format!(", animation in {}", p.display()))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// One channel through a colour map (dark blue → green → yellow); two or three channels as
/// red, green and blue.
fn render(world: &Lenia) -> Result<Frame, nca_viz::VizError> {
    let (w, h) = (world.width(), world.height());
    let channels = world.params().channels;
    let n = w * h;
    let cells = world.cells();
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    Frame::from_fn(w, h, |x, y| {
        let i = y * w + x;
        if channels == 1 {
            let c = colour_map(cells[i]);
            [c[0], c[1], c[2], 255]
        } else {
            let ch = |c: usize| {
                if c < channels {
                    byte(cells[c * n + i])
                } else {
                    0
                }
            };
            [ch(0), ch(1), ch(2), 255]
        }
    })
}

/// A viridis-like colour map of `v ∈ [0,1]` (five stops, linearly interpolated).
fn colour_map(v: f32) -> [u8; 3] {
    const STOPS: [[f32; 3]; 5] = [
        [68.0, 1.0, 84.0],
        [59.0, 82.0, 139.0],
        [33.0, 145.0, 140.0],
        [94.0, 201.0, 98.0],
        [253.0, 231.0, 37.0],
    ];
    let t = v.clamp(0.0, 1.0) * 4.0;
    let i = (t.floor() as usize).min(3);
    let f = t - i as f32;
    let mut out = [0u8; 3];
    for (k, o) in out.iter_mut().enumerate() {
        *o = (STOPS[i][k] + f * (STOPS[i + 1][k] - STOPS[i][k])).round() as u8;
    }
    out
}
