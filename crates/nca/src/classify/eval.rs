//! The paper's evaluation: every test digit runs 200 ticks, is mutated into another test digit
//! (of a different class; states are kept where the two overlap), and runs 200 more. After each
//! tick we measure the share of alive cells voting for the right class (*accuracy*) and the share
//! of digits whose alive cells all vote for it (*agreement*). Runs on the sparse engine's
//! forward pass, so the full 10,000 × 400 ticks take minutes, not hours.

use nca_data::Split;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use super::model::ClassifyConfig;
use super::task::{fresh_state, mutate_state, vote};
use crate::ca::{Nca, Runner};
use crate::error::{NcaError, Result};

/// Evaluation settings.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// Ticks before the mutation.
    pub ticks_before: usize,
    /// Ticks after the mutation.
    pub ticks_after: usize,
    /// Evaluate the first N test digits only.
    pub limit: Option<usize>,
    /// Digits per engine call.
    pub batch: usize,
    /// Seed of fire masks and mutation partners.
    pub seed: u64,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            ticks_before: 200,
            ticks_after: 200,
            limit: None,
            batch: 100,
            seed: 0,
        }
    }
}

/// Per-tick accuracy and agreement, and the paper's summary numbers.
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// Digits evaluated.
    pub digits: usize,
    /// Ticks before the mutation.
    pub mutate_at: usize,
    /// Share of alive cells voting right after each tick (`ticks_before + ticks_after` values).
    pub accuracy: Vec<f64>,
    /// Share of digits whose alive cells all vote right after each tick.
    pub agreement: Vec<f64>,
    /// Accuracy after tick 200 (or the last tick before mutation).
    pub accuracy_at_200: f64,
    /// Agreement after tick 200.
    pub agreement_at_200: f64,
    /// Accuracy after the last tick.
    pub accuracy_at_400: f64,
    /// Agreement after the last tick.
    pub agreement_at_400: f64,
}

/// Counts of right votes and agreeing digits over a batch of states.
fn score(states: &[f32], labels: &[u8], cfg: &ClassifyConfig, hw: usize) -> (usize, usize, usize) {
    let (c, k0) = (cfg.channels, cfg.first_class_channel());
    let (mut right, mut alive, mut agree) = (0, 0, 0);
    for (b, &l) in labels.iter().enumerate() {
        let s = &states[b * c * hw..(b + 1) * c * hw];
        let mut all = true;
        for i in 0..hw {
            if s[i] > cfg.alive_threshold {
                alive += 1;
                let best = vote(s, k0, cfg.classes, hw, i);
                if best == l as usize {
                    right += 1;
                } else {
                    all = false;
                }
            }
        }
        agree += usize::from(all);
    }
    (right, alive, agree)
}

/// Runs one tick per entry of `sums` on `state`, adding each tick's counts to its entry.
fn run_scored(
    runner: &Runner,
    cfg: &ClassifyConfig,
    (state, labels): (&mut Vec<f32>, &[u8]),
    dims: [usize; 3],
    rng: &mut StdRng,
    sums: &mut [(usize, usize, usize)],
) -> Result<()> {
    let [_, h, w] = dims;
    for sum in sums.iter_mut() {
        runner.run(state, dims, 1, rng)?;
        let (r, a, g) = score(state, labels, cfg, h * w);
        sum.0 += r;
        sum.1 += a;
        sum.2 += g;
    }
    Ok(())
}

/// Runs the paper's protocol on `test` and reports per-tick accuracy and agreement.
/// `on_batch` is called with the number of digits done (for progress output).
pub fn evaluate(
    model: &Nca,
    cfg: &ClassifyConfig,
    test: &Split,
    opts: &EvalOptions,
    mut on_batch: impl FnMut(usize),
) -> Result<EvalReport> {
    let n = opts.limit.unwrap_or(test.len()).min(test.len());
    if n == 0 {
        return Err(NcaError::config("--limit", "must be at least 1"));
    }
    if opts.ticks_before == 0 {
        return Err(NcaError::config(
            "ticks",
            "at least one tick before the mutation",
        ));
    }
    let runner = Runner::new(model);
    let (h, w) = (test.rows(), test.cols());
    let total = opts.ticks_before + opts.ticks_after;
    let mut sums = vec![(0usize, 0usize, 0usize); total];
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut start = 0;
    while start < n {
        let b = opts.batch.max(1).min(n - start);
        let mut state = Vec::with_capacity(b * cfg.channels * h * w);
        let mut labels = Vec::with_capacity(b);
        for i in start..start + b {
            state.extend(fresh_state(&test.image_f32(i), cfg.channels));
            labels.push(test.label(i));
        }
        let dims = [b, h, w];
        let scored = |state: &mut Vec<f32>, labels: &[u8], rng: &mut StdRng, sums: &mut [_]| {
            run_scored(&runner, cfg, (state, labels), dims, rng, sums)
        };
        let (before, after) = sums.split_at_mut(opts.ticks_before);
        scored(&mut state, &labels, &mut rng, before)?;
        if opts.ticks_after > 0 {
            // Mutate every digit into a random test digit of another class.
            let len = cfg.channels * h * w;
            for k in 0..b {
                let other = loop {
                    let j = rng.random_range(0..test.len());
                    if test.label(j) != labels[k] {
                        break j;
                    }
                };
                mutate_state(
                    &mut state[k * len..(k + 1) * len],
                    &test.image_f32(other),
                    cfg.channels,
                    cfg.alive_threshold,
                );
                labels[k] = test.label(other);
            }
            scored(&mut state, &labels, &mut rng, after)?;
        }
        start += b;
        on_batch(start);
    }
    let accuracy: Vec<f64> = sums
        .iter()
        .map(|s| s.0 as f64 / s.1.max(1) as f64)
        .collect();
    let agreement: Vec<f64> = sums.iter().map(|s| s.2 as f64 / n as f64).collect();
    let at = |v: &[f64], t: usize| v[t.min(v.len()) - 1];
    Ok(EvalReport {
        digits: n,
        mutate_at: opts.ticks_before,
        accuracy_at_200: at(&accuracy, 200.min(opts.ticks_before)),
        agreement_at_200: at(&agreement, 200.min(opts.ticks_before)),
        accuracy_at_400: at(&accuracy, total),
        agreement_at_400: at(&agreement, total),
        accuracy,
        agreement,
    })
}

/// Each cell's vote (`None` for dead cells) for every digit of a batch of states.
pub fn cell_votes(states: &[f32], cfg: &ClassifyConfig, hw: usize) -> Vec<Option<usize>> {
    let c = cfg.channels;
    let k0 = cfg.first_class_channel();
    let b = states.len() / (c * hw);
    let mut out = Vec::with_capacity(b * hw);
    for bi in 0..b {
        let s = &states[bi * c * hw..(bi + 1) * c * hw];
        for i in 0..hw {
            out.push((s[i] > cfg.alive_threshold).then(|| vote(s, k0, cfg.classes, hw, i)));
        }
    }
    out
}

/// The majority vote of each digit's alive cells, with its share of the votes.
pub fn majority(votes: &[Option<usize>], classes: usize, hw: usize) -> Vec<Option<(usize, f64)>> {
    votes
        .chunks(hw)
        .map(|cells| {
            let mut counts = vec![0usize; classes];
            for v in cells.iter().flatten() {
                counts[*v] += 1;
            }
            let total: usize = counts.iter().sum();
            let (best, n) = counts
                .iter()
                .enumerate()
                .max_by_key(|(k, n)| (**n, std::cmp::Reverse(*k)))?;
            (total > 0).then(|| (best, *n as f64 / total as f64))
        })
        .collect()
}

/// The paper's mutation demo: `stages × per_stage` ticks of the digits in `state` (`dims`);
/// at the start of every stage after the first, each digit turns into a random digit of `test`
/// if given (its cells keep their state, as in training's mutations). Calls `observe(t, state)`
/// after every tick.
#[allow(clippy::too_many_arguments)]
pub fn mutation_rollout<E: From<NcaError>>(
    model: &Nca,
    cfg: &ClassifyConfig,
    state: &mut Vec<f32>,
    dims: [usize; 3],
    test: Option<&Split>,
    (stages, per_stage): (usize, usize),
    rng: &mut StdRng,
    mut observe: impl FnMut(usize, &[f32]) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let runner = Runner::new(model);
    let len = cfg.channels * dims[1] * dims[2];
    for t in 1..=stages * per_stage {
        if let Some(test) = test
            && t > 1
            && (t - 1) % per_stage == 0
        {
            for s in state.chunks_mut(len) {
                let j = rng.random_range(0..test.len());
                mutate_state(s, &test.image_f32(j), cfg.channels, cfg.alive_threshold);
            }
        }
        runner.run(state, dims, 1, rng)?;
        observe(t, state)?;
    }
    Ok(())
}
