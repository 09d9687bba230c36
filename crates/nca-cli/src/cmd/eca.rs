//! `nca eca run`: an elementary cellular automaton's space-time diagram.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use nca::life::{Eca, EcaBoundary, EcaRule, check_eca_run};
use nca_viz::Frame;

use super::CmdResult;
use crate::output::print_json;

/// Largest GIF we agree to write, in frames × pixels.
const MAX_GIF_PIXELS: usize = 400_000_000;

/// `nca eca ...`.
#[derive(Subcommand, Debug)]
pub enum EcaCommand {
    /// Run a rule and write its space-time diagram (PNG, or a GIF of it growing).
    Run(EcaRunArgs),
}

/// `nca eca run`.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    nca eca run --rule 30 --width 201 --steps 100 -o rule30.png\n  \
    nca eca run --rule 110 --start random --density 0.5 --seed 3 --gif -o rule110.gif\n  \
    nca eca run --rule 90 --width 15 --steps 7 --json")]
pub struct EcaRunArgs {
    /// Wolfram rule number 0..=255 (`30`, `rule110`).
    #[arg(long, default_value = "30")]
    pub rule: String,
    /// Cells in the row.
    #[arg(long, default_value_t = 201)]
    pub width: usize,
    /// Steps to run (the diagram has steps + 1 rows).
    #[arg(long, default_value_t = 100)]
    pub steps: usize,
    /// Start: `single` (one live cell in the middle), `random` (see --density, --seed) or a
    /// pattern of 0/1 (also . and #) centred in the row, e.g. `1011`.
    #[arg(long, default_value = "single")]
    pub start: String,
    /// Density of live cells of a random start.
    #[arg(long, default_value_t = 0.5)]
    pub density: f64,
    /// Seed of a random start.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Ends: `wrap`, `fixed0` or `fixed1` (cells beyond the ends held at 0 or 1).
    #[arg(long, default_value = "wrap")]
    pub boundary: String,
    /// Output file (default eca.png, eca.gif with --gif; none with --json).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write a GIF of the diagram growing row by row instead of a PNG.
    #[arg(long)]
    pub gif: bool,
    /// Pixels per cell.
    #[arg(long, default_value_t = 2)]
    pub zoom: usize,
    /// Frames per second of the GIF.
    #[arg(long, default_value_t = 30.0)]
    pub fps: f64,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Print the final row and the density per step as one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs `nca eca ...`.
pub fn run(c: EcaCommand) -> CmdResult {
    match c {
        EcaCommand::Run(a) => run_diagram(a),
    }
}

fn run_diagram(a: EcaRunArgs) -> CmdResult {
    let rule: EcaRule = a.rule.parse()?;
    let boundary: EcaBoundary = a.boundary.parse()?;
    check_eca_run(a.width, a.steps)?;
    let start = match a.start.trim() {
        "single" => Eca::single(a.width)?,
        "random" => Eca::random(a.width, a.density, a.seed)?,
        pattern => Eca::from_pattern(pattern, a.width)?,
    };
    let out = match (&a.out, a.json) {
        (Some(p), _) => Some(p.clone()),
        (None, false) => Some(if a.gif { "eca.gif" } else { "eca.png" }.into()),
        (None, true) => None,
    };
    let rows = a.steps + 1;
    if let Some(p) = &out {
        let frames = if a.gif { rows } else { 1 };
        let pixels = a.width.saturating_mul(rows).saturating_mul(a.zoom * a.zoom);
        if a.zoom == 0 || a.zoom > 64 || pixels.saturating_mul(frames) > MAX_GIF_PIXELS {
            return Err(format!(
                "a {}x{rows} diagram at zoom {} ({frames} frame(s)) is too large; lower --width, --steps or --zoom",
                a.width, a.zoom
            )
            .into());
        }
        super::check_free(p, a.force)?;
    }
    let diagram = start.run(&rule, boundary, a.steps)?;
    if let Some(p) = &out {
        let frame_upto = |last: usize| {
            Frame::from_fn(a.width, rows, |x, y| {
                if y <= last && diagram[y][x] != 0 {
                    [0, 0, 0, 255]
                } else {
                    [255, 255, 255, 255]
                }
            })
            .and_then(|f| f.upscale(a.zoom))
        };
        if a.gif {
            let frames = (0..rows).map(frame_upto).collect::<Result<Vec<_>, _>>()?;
            nca_viz::save_gif(&frames, a.fps, true, p, a.force)?;
        } else {
            nca_viz::save_png(&frame_upto(rows - 1)?, p, a.force)?;
        }
    }
    let density: Vec<f64> = diagram
        .iter()
        .map(|r| r.iter().filter(|&&c| c != 0).count() as f64 / a.width as f64)
        .collect();
    let last = &diagram[rows - 1];
    if a.json {
        print_json(&serde_json::json!({
            "rule": rule.number(),
            "width": a.width,
            "steps": a.steps,
            "boundary": boundary.to_string(),
            "final_row": last,
            "density": density,
            "out": out,
        }));
    } else {
        println!(
            "rule {} on {} cells ({boundary}), {} steps: density {:.3} → {:.3}{}",
            rule.number(),
            a.width,
            a.steps,
            density[0],
            density[rows - 1],
            out.map(|p| format!(", diagram in {}", p.display()))
                .unwrap_or_default()
        );
    }
    Ok(())
}
