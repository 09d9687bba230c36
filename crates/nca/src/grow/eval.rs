//! Evaluating and running a trained growing NCA: growth from the seed, long-term stability,
//! and regrowth after damage — on the sparse engine's forward pass.

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;

use super::model::GrowConfig;
use super::target::{GrowTarget, seed_state};
use crate::ca::{Nca, Runner, prefix_mse};
use crate::error::Result;
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
