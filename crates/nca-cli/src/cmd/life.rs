//! `nca life`: run a Life-like rule and write an animation or print populations.

use nca::life::{Grid, Pattern, Rule, Topology};
use nca_viz::Frame;

use super::{CmdResult, parse_size};
use crate::cli::{LifeArgs, TopologyArg};
use crate::output::print_json;

/// Largest GIF we agree to write, in frames × pixels, to keep files sane.
const MAX_GIF_PIXELS: usize = 400_000_000;

pub fn run(a: LifeArgs) -> CmdResult {
    let rule: Rule = a.rule.parse()?;
    let (w, h) = parse_size(&a.size)?;
    if a.steps == 0 {
        return Err("--steps must be at least 1".into());
    }
    if a.steps > 1_000_000 {
        return Err("--steps is absurdly large (max 1000000)".into());
    }
    let topology = match a.topology {
        TopologyArg::Torus => Topology::Torus,
        TopologyArg::Bounded => Topology::Bounded,
    };
    let mut grid = match (a.soup, &a.rle) {
        (Some(d), _) => {
            if !(0.0..=1.0).contains(&d) {
                return Err(format!("--soup density {d} is not in 0..1").into());
            }
            Grid::random_soup(w, h, topology, d, a.seed)?
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let pattern =
                Pattern::from_rle(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            place(w, h, topology, &pattern)?
        }
        (None, None) => place(w, h, topology, &Pattern::named(&a.pattern)?)?,
    };
    let out = match (&a.out, a.json) {
        (Some(p), _) => Some(p.clone()),
        (None, false) => Some("life.gif".into()),
        (None, true) => None,
    };
    if let Some(p) = &out {
        let pixels = (a.steps + 1) * w * h * a.zoom * a.zoom;
        if a.zoom == 0 || pixels > MAX_GIF_PIXELS {
            return Err(format!(
                "animation of {} frames at {w}x{h} cells × zoom {} is too large; lower --steps, --size or --zoom",
                a.steps + 1,
                a.zoom
            )
            .into());
        }
        super::check_free(p, a.force)?;
    }

    let mut population = vec![grid.population()];
    let mut frames = Vec::new();
    let frame_of = |g: &Grid| Frame::from_binary(g.width(), g.height(), g.cells());
    if out.is_some() {
        frames.push(frame_of(&grid)?.upscale(a.zoom)?);
    }
    for _ in 0..a.steps {
        grid = grid.step(&rule);
        population.push(grid.population());
        if out.is_some() {
            frames.push(frame_of(&grid)?.upscale(a.zoom)?);
        }
    }
    if let Some(p) = &out {
        nca_viz::save_gif(&frames, a.fps, true, p, a.force)?;
    }
    if a.json {
        print_json(&serde_json::json!({
            "rule": rule.to_string(),
            "width": w,
            "height": h,
            "topology": format!("{:?}", topology).to_lowercase(),
            "steps": a.steps,
            "population": population,
            "out": out,
        }));
    } else {
        println!(
            "{rule} on {w}x{h} ({}), {} steps: population {} → {}{}",
            format!("{topology:?}").to_lowercase(),
            a.steps,
            population[0],
            population[population.len() - 1],
            out.map(|p| format!(", animation in {}", p.display()))
                .unwrap_or_default()
        );
    }
    Ok(())
}

fn place(
    w: usize,
    h: usize,
    topology: Topology,
    pattern: &Pattern,
) -> Result<Grid, nca::life::LifeError> {
    let mut grid = Grid::new(w, h, topology)?;
    grid.place_centered(pattern)?;
    Ok(grid)
}
