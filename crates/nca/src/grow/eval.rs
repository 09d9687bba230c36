//! Evaluating and running a trained growing NCA: growth from the seed, long-term stability,
//! and regrowth after damage — on the sparse engine's forward pass.

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;

use super::model::GrowConfig;
use super::target::{GrowTarget, seed_state};
use crate::ca::{Nca, Runner, prefix_mse};
use crate::error::{NcaError, Result};
use crate::pool::damage_circle;

/// Mean over states of the mean squared RGBA error to the target.
pub fn mean_rgba_loss(states: &[f32], b: usize, channels: usize, target: &GrowTarget) -> f64 {
    let per_state = channels * target.side * target.side;
    prefix_mse(states, per_state, &target.rgba)
        .iter()
        .sum::<f64>()
        / b as f64
}

/// A circle (centre x, centre y, radius, in cells) that covers half of the target's visible
/// cells: centred on their centroid, radius the median distance from it (the playground's cut).
pub fn half_cut(target: &GrowTarget) -> (f32, f32, f32) {
    nca_models::grow::half_cut(&nca_models::grow::GrowTarget {
        side: target.side,
        rgba: target.rgba.clone(),
    })
}

/// Evaluation settings.
#[derive(Clone, Debug)]
pub struct GrowEvalOptions {
    /// Independent runs averaged.
    pub runs: usize,
    /// Ticks of growth from the seed.
    pub grow_ticks: usize,
    /// Total ticks for the stability figure.
    pub persist_ticks: usize,
    /// Ticks of regrowth after the cut.
    pub regrow_ticks: usize,
    /// Seed of the fire masks.
    pub seed: u64,
}

impl Default for GrowEvalOptions {
    fn default() -> Self {
        Self {
            runs: 8,
            grow_ticks: 96,
            persist_ticks: 1000,
            regrow_ticks: 96,
            seed: 0,
        }
    }
}

/// The three figures of `nca grow eval`.
#[derive(Clone, Debug, Serialize)]
pub struct GrowEvalReport {
    /// Runs averaged.
    pub runs: usize,
    /// Mean RGBA L2 to the target after `grow_ticks` ticks from the seed.
    pub loss_grow: f64,
    /// The same after `persist_ticks` ticks in all (stability).
    pub loss_persist_1000: f64,
    /// The same `regrow_ticks` ticks after cutting out half of the grown pattern.
    pub loss_regrow: f64,
    /// The loss right after the cut (how much damage was done).
    pub loss_after_cut: f64,
    /// The cut: centre x, centre y, radius (cells).
    pub cut: (f32, f32, f32),
}

/// Grows `runs` patterns from the seed and measures growth, stability and regrowth.
pub fn evaluate(
    model: &Nca,
    cfg: &GrowConfig,
    target: &GrowTarget,
    opts: &GrowEvalOptions,
) -> Result<GrowEvalReport> {
    let (c, s, b) = (cfg.channels, target.side, opts.runs.max(1));
    let (runner, dims) = (Runner::new(model), [b, s, s]);
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let seed = seed_state(c, s);
    let mut x: Vec<f32> = (0..b).flat_map(|_| seed.iter().copied()).collect();
    runner.run(&mut x, dims, opts.grow_ticks, &mut rng)?;
    let loss_grow = mean_rgba_loss(&x, b, c, target);
    runner.run(
        &mut x,
        dims,
        opts.persist_ticks.saturating_sub(opts.grow_ticks),
        &mut rng,
    )?;
    let loss_persist_1000 = mean_rgba_loss(&x, b, c, target);
    let cut = half_cut(target);
    for k in 0..b {
        damage_circle(
            &mut x[k * c * s * s..(k + 1) * c * s * s],
            [c, s, s],
            cut.0,
            cut.1,
            cut.2,
        );
    }
    let loss_after_cut = mean_rgba_loss(&x, b, c, target);
    runner.run(&mut x, dims, opts.regrow_ticks, &mut rng)?;
    let loss_regrow = mean_rgba_loss(&x, b, c, target);
    Ok(GrowEvalReport {
        runs: b,
        loss_grow,
        loss_persist_1000,
        loss_regrow,
        loss_after_cut,
        cut,
    })
}

/// A cut in a rollout: the disc of radius `r` cells around cell (`x`, `y`) is cleared before
/// tick `tick`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Damage {
    /// Centre column.
    pub x: f32,
    /// Centre row.
    pub y: f32,
    /// Radius in cells.
    pub r: f32,
    /// The tick before which the cut is made.
    pub tick: usize,
}

impl Damage {
    /// Parses `X,Y,R@TICK`, or `half@TICK` for [`half_cut`] of `target`.
    pub fn parse(s: &str, target: &GrowTarget) -> Result<Self> {
        let bad = || {
            NcaError::config(
                "--damage",
                format!("malformed '{s}' (expected X,Y,R@TICK or half@TICK)"),
            )
        };
        let (what, tick) = s.split_once('@').ok_or_else(bad)?;
        let tick: usize = tick.trim().parse().map_err(|_| bad())?;
        let (x, y, r) = if what.trim() == "half" {
            half_cut(target)
        } else {
            let v: Vec<f32> = what
                .split(',')
                .map(|p| p.trim().parse::<f32>())
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| bad())?;
            match v[..] {
                [x, y, r] if r >= 0.0 && x.is_finite() && y.is_finite() && r.is_finite() => {
                    (x, y, r)
                }
                _ => return Err(bad()),
            }
        };
        Ok(Damage { x, y, r, tick })
    }
}

/// The regeneration demo: runs one pattern `state` (`[C, side, side]`) for `ticks` ticks,
/// making each of `damages` before its tick, and calls `observe(t, state)` after every tick.
pub fn damage_rollout<E: From<NcaError>>(
    model: &Nca,
    state: &mut Vec<f32>,
    side: usize,
    damages: &[Damage],
    ticks: usize,
    rng: &mut StdRng,
    mut observe: impl FnMut(usize, &[f32]) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let (runner, dims) = (Runner::new(model), [1, side, side]);
    let c = model.cfg.channels;
    for t in 1..=ticks {
        for d in damages.iter().filter(|d| d.tick == t) {
            damage_circle(state, [c, side, side], d.x, d.y, d.r);
        }
        runner.run(state, dims, 1, rng)?;
        observe(t, state)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_parses_discs_and_the_half_cut() {
        let target = GrowTarget::circle(16);
        let d = Damage::parse(" 6, 7.5 ,3@12", &target).unwrap();
        assert_eq!(
            d,
            Damage {
                x: 6.0,
                y: 7.5,
                r: 3.0,
                tick: 12
            }
        );
        let (x, y, r) = half_cut(&target);
        assert_eq!(
            Damage::parse("half@3", &target).unwrap(),
            Damage { x, y, r, tick: 3 }
        );
        for bad in [
            "1,2@5",
            "1,2,3",
            "1,2,-1@5",
            "1,2,nan@5",
            "half@x",
            "a,b,c@1",
        ] {
            let e = Damage::parse(bad, &target).unwrap_err().to_string();
            assert!(e.contains(&format!("malformed '{bad}'")), "{e}");
        }
    }
}
