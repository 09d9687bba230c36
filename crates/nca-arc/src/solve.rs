//! Learning one task from its demonstrations, and answering its tests with two attempts.
//!
//! The method, per task and per seed:
//!
//! 1. A fresh automaton ([`ArcModel::init`]) is trained on the task's demonstration pairs only,
//!    all in one batch: each step every pair's input is run for a number of ticks drawn from
//!    `ticks.0..=ticks.1`, every cell updating each tick, and the per-cell cross-entropy of the
//!    colour channels against the pair's output is minimised with Adam through the whole
//!    rollout (backpropagation through time on the fast engine). With `augment` each pair is
//!    first turned by a random symmetry of the square (left–right flips only for one-row
//!    tasks) and/or has its colours 1–9 permuted, the same way for input and output.
//! 2. Every `check_every` steps the automaton is run on the plain demonstration inputs for
//!    `ticks.1` ticks; training stops early once every demonstration comes out exactly.
//! 3. The trained automaton answers each test input by running it for `ticks.1` ticks.
//!
//! The answers of all seeds are pooled: a grid predicted by a seed that reproduces all its
//! demonstrations counts more than one that does not, ties going to the lower training loss;
//! the two best distinct grids are the two attempts.

use nca_fast::{NcaParams, NcaSpec, TickMasks, backward, rollout_reusing};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::adam::Adam;
use crate::augment::{Recolour, Symmetry};
use crate::error::{ArcError, Result};
use crate::grid::{ArcTask, Grid, Pair};
use crate::model::{ArcModel, Batch};

/// Which variations of the demonstrations training sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Augment {
    /// The demonstrations as they are.
    #[default]
    None,
    /// Random symmetries of the square.
    Symmetry,
    /// Random permutations of colours 1–9.
    Colours,
    /// Both.
    Both,
}

impl Augment {
    /// How many kinds of variation this adds, plus one.
    pub fn strength(self) -> f32 {
        match self {
            Augment::None => 1.0,
            Augment::Symmetry | Augment::Colours => 2.0,
            Augment::Both => 3.0,
        }
    }
}

/// How a task is learned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SolverConfig {
    /// The automaton.
    pub model: ArcModel,
    /// Most training steps per seed.
    pub steps: usize,
    /// Adam's step size.
    pub lr: f32,
    /// Ticks per training rollout, drawn from this range; inference runs the upper end.
    /// `None`: from the task's largest grid side `s` and the seed's reach `r`,
    /// `(r·s/2 + 1, r·s + 2)` capped at 48 and 64.
    pub ticks: Option<(usize, usize)>,
    /// How far, in grid sides, information may travel during a rollout, one per group of
    /// seeds: seed `k` uses `reach[(k / augment.len()) % len]`, so `augment.len() ×
    /// reach.len()` seeds try every pairing. A short reach cannot learn where a cell sits in
    /// the grid, so it cannot memorise the demonstrations by position; a long one can carry
    /// a signal across the grid. Ignored when `ticks` is set.
    pub reach: Vec<f32>,
    /// Chance that a cell updates in a training tick (inference updates every cell).
    pub fire_rate: f32,
    /// Independent seeds trained per task; their answers are pooled.
    pub seeds: usize,
    /// Variations of the demonstrations, one per seed, cycled: seed `k` trains with
    /// `augment[k % len]`.
    pub augment: Vec<Augment>,
    /// Steps between checks of the demonstrations (early stop).
    pub check_every: usize,
    /// Runs per test input of an automaton trained under variations (the plain input and
    /// varied copies), voting for its answer.
    pub votes: usize,
    /// Early stop: training ends at a check where every demonstration comes out exactly and
    /// the loss is below this (0, the default, never stops early: on a 1D-ARC sample, stopping
    /// at 0.01 solved 25 of 54 tasks against 28 for the full budget).
    pub stop_loss: f32,
    /// The base seed; seed `k` of a task uses `seed + k`.
    pub seed: u64,
}

impl Default for SolverConfig {
    fn default() -> Self {
        SolverConfig {
            model: ArcModel::default(),
            steps: 400,
            lr: 2e-3,
            ticks: None,
            fire_rate: 1.0,
            seeds: 4,
            augment: vec![Augment::Colours, Augment::None],
            reach: vec![1.0, 0.5],
            check_every: 100,
            votes: 8,
            stop_loss: 0.0,
            seed: 0,
        }
    }
}

impl SolverConfig {
    /// Checks every setting.
    pub fn validate(&self) -> Result<()> {
        self.model.validate()?;
        let bad = |name, msg: String| Err(ArcError::Setting { name, msg });
        if self.steps == 0 || self.steps > 1_000_000 {
            return bad("steps", format!("{} is outside 1..=1000000", self.steps));
        }
        if !(self.lr > 0.0 && self.lr < 1.0) {
            return bad("lr", format!("{} is outside (0, 1)", self.lr));
        }
        if let Some((a, b)) = self.ticks
            && (a == 0 || a > b || b > 1000)
        {
            return bad("ticks", format!("{a}..={b} is not a range within 1..=1000"));
        }
        if !(self.fire_rate > 0.0 && self.fire_rate <= 1.0) {
            return bad("fire_rate", format!("{} is outside (0, 1]", self.fire_rate));
        }
        if self.seeds == 0 || self.seeds > 64 {
            return bad("seeds", format!("{} is outside 1..=64", self.seeds));
        }
        if self.stop_loss.is_nan() || self.stop_loss < 0.0 {
            return bad(
                "stop_loss",
                format!("{} is not a loss (at least 0)", self.stop_loss),
            );
        }
        if self.votes == 0 || self.votes > 64 {
            return bad("votes", format!("{} is outside 1..=64", self.votes));
        }
        if self.augment.is_empty() {
            return bad("augment", "needs at least one entry".into());
        }
        if self.reach.is_empty() || self.reach.iter().any(|r| !(*r > 0.0 && *r <= 4.0)) {
            return bad("reach", "needs one or more values in (0, 4]".into());
        }
        if self.check_every == 0 {
            return bad("check_every", "must be at least 1".into());
        }
        Ok(())
    }

    /// The variation and reach seed `k` trains with.
    pub fn plan(&self, k: usize) -> (Augment, f32) {
        let a = self.augment.len();
        (self.augment[k % a], self.reach[(k / a) % self.reach.len()])
    }

    /// The tick range for `task` at reach `reach`.
    pub fn ticks_for(&self, task: &ArcTask, reach: f32) -> (usize, usize) {
        self.ticks.unwrap_or_else(|| {
            let s = task
                .train
                .iter()
                .chain(&task.test)
                .map(|p| p.input.height().max(p.input.width()))
                .max()
                .unwrap_or(1);
            let far = (reach * s as f32).round() as usize;
            ((far / 2 + 1).min(48), (far + 2).min(64))
        })
    }
}

/// One trained automaton and how it fitted the demonstrations.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The parameters.
    pub params: NcaParams,
    /// Whether every demonstration came out exactly at the last check.
    pub fits: bool,
    /// Training steps run.
    pub steps: usize,
    /// The last step's loss.
    pub loss: f32,
    /// The variation it was trained under.
    pub augment: Augment,
    /// The tick range it was trained with; it answers after the upper end.
    pub ticks: (usize, usize),
}

/// What one solver run produced for a task.
#[derive(Clone, Debug)]
pub struct Answer {
    /// Per test pair, up to two attempts, best first.
    pub attempts: Vec<Vec<Grid>>,
    /// Seeds whose automaton reproduced every demonstration.
    pub seeds_fitting: usize,
    /// Training steps run, summed over seeds.
    pub steps: usize,
}

impl Answer {
    /// Whether every test pair's expected output is among its attempts.
    pub fn solves(&self, task: &ArcTask) -> bool {
        task.test
            .iter()
            .zip(&self.attempts)
            .all(|(p, a)| a.contains(&p.output))
    }
}

fn ticks_all(dims: [usize; 3], n: usize) -> Vec<TickMasks> {
    let cells = dims[0] * dims[1] * dims[2];
    vec![
        TickMasks {
            fire: vec![1; cells],
            noise: None,
        };
        n
    ]
}

/// Runs `params` on `inputs` for `ticks` ticks and reads the colours.
pub fn run(
    model: &ArcModel,
    params: &NcaParams,
    inputs: &[&Grid],
    ticks: usize,
) -> Result<Vec<Grid>> {
    let spec = model.spec();
    let batch = Batch::of(inputs);
    let x0 = batch.encode(inputs, spec.channels);
    let out = nca_fast::rollout(
        &spec,
        params,
        &x0,
        batch.dims,
        &ticks_all(batch.dims, ticks),
        false,
    )
    .map_err(engine_error)?;
    Ok(batch.decode(&out.final_state, spec.channels))
}

/// The states of a run after each tick (the first being the input's), for pictures.
pub fn run_states(
    model: &ArcModel,
    params: &NcaParams,
    input: &Grid,
    ticks: usize,
) -> Result<Vec<Grid>> {
    let mut frames = vec![input.clone()];
    let spec = model.spec();
    let batch = Batch::of(&[input]);
    let mut x = batch.encode(&[input], spec.channels);
    for _ in 0..ticks {
        let out = nca_fast::rollout(
            &spec,
            params,
            &x,
            batch.dims,
            &ticks_all(batch.dims, 1),
            false,
        )
        .map_err(engine_error)?;
        x = out.final_state;
        frames.push(batch.decode(&x, spec.channels).remove(0));
    }
    Ok(frames)
}

fn engine_error(e: nca_fast::ShapeError) -> ArcError {
    ArcError::Setting {
        name: "model",
        msg: e.to_string(),
    }
}

/// The demonstrations one training step sees.
fn draw_pairs(task: &ArcTask, augment: Augment, rng: &mut StdRng) -> Vec<Pair> {
    let syms: &[Symmetry] = if one_row(task) {
        &Symmetry::ROW
    } else {
        &Symmetry::ALL
    };
    task.train
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if matches!(augment, Augment::Symmetry | Augment::Both) {
                let s = syms[rng.random_range(0..syms.len())];
                p = Pair {
                    input: s.apply(&p.input),
                    output: s.apply(&p.output),
                };
            }
            if matches!(augment, Augment::Colours | Augment::Both) {
                let r = Recolour::random(rng);
                p = Pair {
                    input: r.apply(&p.input),
                    output: r.apply(&p.output),
                };
            }
            p
        })
        .collect()
}

/// The answer of an automaton trained under `augment` to `input`: the plain run's grid, or
/// with variations the grid most of `cfg.votes` runs on varied copies gave (ties to the plain
/// run).
fn predict(
    task: &ArcTask,
    cfg: &SolverConfig,
    params: &NcaParams,
    input: &Grid,
    augment: Augment,
    ticks: usize,
    rng: &mut StdRng,
) -> Result<Grid> {
    let runs = if augment == Augment::None {
        1
    } else {
        cfg.votes
    };
    let syms: &[Symmetry] = if one_row(task) {
        &Symmetry::ROW
    } else {
        &Symmetry::ALL
    };
    let mut variants = vec![(Symmetry(0), Recolour::identity())];
    for _ in 1..runs {
        let s = if matches!(augment, Augment::Symmetry | Augment::Both) {
            syms[rng.random_range(0..syms.len())]
        } else {
            Symmetry(0)
        };
        let r = if matches!(augment, Augment::Colours | Augment::Both) {
            Recolour::random(rng)
        } else {
            Recolour::identity()
        };
        variants.push((s, r));
    }
    let inputs: Vec<Grid> = variants
        .iter()
        .map(|(s, r)| r.apply(&s.apply(input)))
        .collect();
    // Variants of one size run as one batch; a turned input may have another shape.
    let refs: Vec<&Grid> = inputs.iter().collect();
    let outs = run(&cfg.model, params, &refs, ticks)?;
    let mut tally: Vec<(Grid, usize)> = Vec::new();
    for ((s, r), out) in variants.iter().zip(outs) {
        let g = s.invert(&r.inverse().apply(&out));
        match tally.iter_mut().find(|(c, _)| *c == g) {
            Some((_, n)) => *n += 1,
            None => tally.push((g, 1)),
        }
    }
    // The first-seen (plain run's) grid wins ties: max_by_key keeps the last maximum, so
    // search in reverse.
    Ok(tally
        .into_iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .map(|(g, _)| g)
        .expect("at least one run"))
}

fn one_row(task: &ArcTask) -> bool {
    task.train
        .iter()
        .chain(&task.test)
        .all(|p| p.input.height() == 1 && p.output.height() == 1)
}

/// Trains one automaton on `task`'s demonstrations from seed `seed` with variations
/// `augment` and ticks drawn from `ticks`, calling `progress(step, loss)` after each step.
pub fn train(
    task: &ArcTask,
    cfg: &SolverConfig,
    seed: u64,
    augment: Augment,
    ticks: (usize, usize),
    mut progress: impl FnMut(usize, f32),
) -> Result<Trained> {
    cfg.validate()?;
    if !task.same_size() {
        return Err(ArcError::Setting {
            name: "task",
            msg: format!(
                "{}: an output differs in size from its input (unsupported)",
                task.name
            ),
        });
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let spec: NcaSpec = cfg.model.spec();
    let mut params = cfg.model.init(&mut rng);
    let mut adam = Adam::new(&params, cfg.lr, 1.0);
    let (t_lo, t_hi) = ticks;
    if t_lo == 0 || t_lo > t_hi {
        return Err(ArcError::Setting {
            name: "ticks",
            msg: format!("{t_lo}..={t_hi} is not a range of at least one tick"),
        });
    }
    let inputs: Vec<&Grid> = task.train.iter().map(|p| &p.input).collect();
    let outputs: Vec<&Grid> = task.train.iter().map(|p| &p.output).collect();
    let mut tape = None;
    let mut loss = f32::NAN;
    let mut fits = false;
    let mut steps = 0;
    while steps < cfg.steps {
        let pairs = draw_pairs(task, augment, &mut rng);
        let ins: Vec<&Grid> = pairs.iter().map(|p| &p.input).collect();
        let outs: Vec<&Grid> = pairs.iter().map(|p| &p.output).collect();
        let batch = Batch::of(&ins);
        let x0 = batch.encode(&ins, spec.channels);
        let n = rng.random_range(t_lo..=t_hi);
        let ticks = if cfg.fire_rate < 1.0 {
            let cells = batch.dims.iter().product::<usize>();
            (0..n)
                .map(|_| TickMasks {
                    fire: (0..cells)
                        .map(|_| u8::from(rng.random::<f32>() < cfg.fire_rate))
                        .collect(),
                    noise: None,
                })
                .collect()
        } else {
            ticks_all(batch.dims, n)
        };
        let out = match tape.take() {
            Some(old) => rollout_reusing(&spec, &params, &x0, batch.dims, &ticks, old),
            None => nca_fast::rollout(&spec, &params, &x0, batch.dims, &ticks, true),
        }
        .map_err(engine_error)?;
        let (l, d) = batch.cross_entropy(&out.final_state, &outs, spec.channels);
        let tp = out.tape.expect("a tape was asked for");
        let (mut grads, _) = backward(&spec, &params, &tp, &d).map_err(engine_error)?;
        tape = Some(tp);
        loss = l;
        steps += 1;
        if !l.is_finite() {
            break;
        }
        // Cosine decay to a tenth of the step size over the step budget.
        let frac = steps as f32 / cfg.steps as f32;
        let scale = 0.1 + 0.9 * 0.5 * (1.0 + (std::f32::consts::PI * frac).cos());
        adam.step(&mut params, &mut grads, scale);
        progress(steps, l);
        if steps % cfg.check_every == 0 || steps == cfg.steps {
            fits = run(&cfg.model, &params, &inputs, t_hi)?
                == outputs.iter().map(|g| (*g).clone()).collect::<Vec<_>>();
            if fits && l < cfg.stop_loss {
                break;
            }
        }
    }
    Ok(Trained {
        params,
        fits,
        steps,
        loss,
        augment,
        ticks,
    })
}

/// Learns `task` with every seed and answers its tests with up to two attempts each.
pub fn solve(task: &ArcTask, cfg: &SolverConfig) -> Result<Answer> {
    Ok(solve_seeds(task, cfg, |_, _, _| {})?.0)
}

/// [`solve`], also returning every seed's automaton (seed order), calling `progress(seed
/// index, step, loss)` after each training step.
pub fn solve_seeds(
    task: &ArcTask,
    cfg: &SolverConfig,
    mut progress: impl FnMut(usize, usize, f32),
) -> Result<(Answer, Vec<Trained>)> {
    let tests: Vec<&Grid> = task.test.iter().map(|p| &p.input).collect();
    // (grid, score) candidates per test pair.
    let mut candidates: Vec<Vec<(Grid, f32)>> = vec![Vec::new(); tests.len()];
    let mut trained = Vec::new();
    for k in 0..cfg.seeds {
        let (augment, reach) = cfg.plan(k);
        let ticks = cfg.ticks_for(task, reach);
        let seed = cfg.seed.wrapping_add(k as u64);
        let t = train(task, cfg, seed, augment, ticks, |step, loss| {
            progress(k, step, loss)
        })?;
        if t.loss.is_finite() {
            // A fitting seed outweighs any number of non-fitting ones, and one that fitted
            // under more variations outweighs one that fitted under fewer (its rule held for
            // them too); lower loss breaks ties.
            let weight = if t.fits {
                1000.0 * augment.strength()
            } else {
                1.0
            } + 1.0 / (1.0 + t.loss);
            let mut rng = StdRng::seed_from_u64(seed ^ 0x005e_ed0f_7e57);
            let answers = tests
                .iter()
                .map(|g| predict(task, cfg, &t.params, g, augment, ticks.1, &mut rng))
                .collect::<Result<Vec<_>>>()?;
            for (i, g) in answers.into_iter().enumerate() {
                match candidates[i].iter_mut().find(|(c, _)| *c == g) {
                    Some((_, s)) => *s += weight,
                    None => candidates[i].push((g, weight)),
                }
            }
        }
        trained.push(t);
    }
    let attempts = candidates
        .into_iter()
        .map(|mut c| {
            c.sort_by(|a, b| b.1.total_cmp(&a.1));
            c.into_iter().take(2).map(|(g, _)| g).collect()
        })
        .collect();
    let answer = Answer {
        attempts,
        seeds_fitting: trained.iter().filter(|t| t.fits).count(),
        steps: trained.iter().map(|t| t.steps).sum(),
    };
    Ok((answer, trained))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(side: usize) -> ArcTask {
        let g = Grid::new(side, side, vec![0; side * side]);
        ArcTask {
            name: "t".into(),
            group: String::new(),
            train: vec![Pair {
                input: g.clone(),
                output: g.clone(),
            }],
            test: vec![Pair {
                input: g.clone(),
                output: g,
            }],
        }
    }

    #[test]
    fn seeds_pair_every_variation_with_every_reach_and_reach_scales_the_ticks() {
        let cfg = SolverConfig {
            augment: vec![Augment::Colours, Augment::None],
            reach: vec![1.0, 0.5],
            ..SolverConfig::default()
        };
        let plans: Vec<_> = (0..5).map(|k| cfg.plan(k)).collect();
        assert_eq!(
            plans,
            vec![
                (Augment::Colours, 1.0),
                (Augment::None, 1.0),
                (Augment::Colours, 0.5),
                (Augment::None, 0.5),
                (Augment::Colours, 1.0),
            ]
        );
        let task = square(10);
        assert_eq!(cfg.ticks_for(&task, 1.0), (6, 12));
        assert_eq!(cfg.ticks_for(&task, 0.5), (3, 7));
        // Large grids are capped; fixed ticks ignore the reach.
        assert_eq!(cfg.ticks_for(&square(30), 4.0), (48, 64));
        let fixed = SolverConfig {
            ticks: Some((2, 3)),
            ..cfg.clone()
        };
        assert_eq!(fixed.ticks_for(&task, 0.5), (2, 3));
        for bad in [vec![], vec![0.0], vec![f32::NAN], vec![5.0]] {
            let c = SolverConfig {
                reach: bad,
                ..cfg.clone()
            };
            assert!(c.validate().unwrap_err().to_string().contains("reach"));
        }
    }
}
