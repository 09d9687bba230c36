//! The sparse forward rollout over `T` ticks, optionally recording a [`Tape`] for backward.

use crate::engine::{Engine, grid};
use crate::layout::{to_cell_major, to_channel_major};
use crate::masks::{active_cells, dilate, threshold};
use crate::par::map_items;
use crate::perceive::Grid;
use crate::simd::{add_to, prefetch_l2};
use crate::spec::{AliveRule, NcaParams, NcaSpec, ShapeError, TickMasks, shape_err};
use crate::team;
use std::sync::Arc;

/// The result of [`rollout`].
#[derive(Debug)]
pub struct Rollout {
    /// The state after the last tick, `[B, C, H, W]`.
    pub final_state: Vec<f32>,
    /// What [`crate::backward`] needs, when asked for.
    pub tape: Option<Tape>,
    /// Share of (cell, tick) pairs at which perception and MLP were computed, in `[0, 1]`.
    pub active_share: f32,
}

/// Everything a rollout recorded for backpropagation through time.
pub struct Tape {
    pub(crate) spec: NcaSpec,
    pub(crate) dims: [usize; 3],
    pub(crate) items: Vec<Vec<TickTape>>,
}

impl Tape {
    /// `[B, H, W]` of the rollout.
    pub fn dims(&self) -> [usize; 3] {
        self.dims
    }

    /// Number of recorded ticks.
    pub fn ticks(&self) -> usize {
        self.items.first().map_or(0, Vec::len)
    }

    /// Approximate memory held by the tape, in bytes.
    pub fn bytes(&self) -> usize {
        self.items
            .iter()
            .flatten()
            .map(|t| {
                4 * (t.cells.len()
                    + t.cols.len()
                    + t.feats.len()
                    + t.hidden.iter().map(Vec::len).sum::<usize>())
                    + t.keep.len()
            })
            .sum()
    }
}

impl std::fmt::Debug for Tape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A summary: the buffers can hold hundreds of MiB.
        f.debug_struct("Tape")
            .field("dims", &self.dims)
            .field("ticks", &self.ticks())
            .field("bytes", &self.bytes())
            .finish_non_exhaustive()
    }
}

/// One tick of one batch item, as backward needs it.
pub(crate) struct TickTape {
    /// Active cells (row `r` of the buffers below is cell `cells[r]`).
    pub cells: Vec<u32>,
    /// im2col rows `[n, 9C]` (learned perception only).
    pub cols: Vec<f32>,
    /// Perception output (after its optional ReLU), `[n, F]`.
    pub feats: Vec<f32>,
    /// ReLU outputs of the hidden layers, `[n, width]` each.
    pub hidden: Vec<Vec<f32>>,
    /// Max-pool rule: 1 where the cell survived the tick (pre ∧ post), per cell.
    pub keep: Vec<u8>,
}

/// Runs `ticks.len()` ticks from `x0` (`[B, C, H, W]`, with `dims = [B, H, W]`).
///
/// Each tick's fire mask and optional noise come from `ticks`. With `keep_tape` the returned
/// [`Rollout::tape`] holds what [`crate::backward`] needs; without it only the final state is
/// kept (inference).
pub fn rollout(
    spec: &NcaSpec,
    params: &NcaParams,
    x0: &[f32],
    dims: [usize; 3],
    ticks: &[TickMasks],
    keep_tape: bool,
) -> Result<Rollout, ShapeError> {
    run(spec, params, x0, dims, ticks, keep_tape, Vec::new())
}

/// Like [`rollout`] with a tape, but records into the buffers of a tape that is no longer
/// needed (typically the previous training step's), which saves allocating and first-touching
/// hundreds of MiB per step on large runs.
pub fn rollout_reusing(
    spec: &NcaSpec,
    params: &NcaParams,
    x0: &[f32],
    dims: [usize; 3],
    ticks: &[TickMasks],
    old_tape: Tape,
) -> Result<Rollout, ShapeError> {
    run(spec, params, x0, dims, ticks, true, old_tape.items)
}

fn run(
    spec: &NcaSpec,
    params: &NcaParams,
    x0: &[f32],
    dims: [usize; 3],
    ticks: &[TickMasks],
    keep_tape: bool,
    mut recycled: Vec<Vec<TickTape>>,
) -> Result<Rollout, ShapeError> {
    let eng = Engine::new(spec, params)?;
    let (g, hw) = grid(spec.channels, dims)?;
    check_inputs(spec, x0, dims, hw, ticks)?;
    let b = dims[0];
    let item_len = hw * g.c;
    recycled.resize_with(b, Vec::new);
    // An item's work grows with its alive cells (the rows its first tick can compute).
    let (ch, thr) = (spec.alive.channel(), spec.alive.threshold());
    let alive = |i: usize, _: &Vec<TickTape>| {
        let plane = &x0[i * item_len + ch * hw..i * item_len + (ch + 1) * hw];
        plane.iter().filter(|&&v| v > thr).count()
    };
    let results = if b == 1 && !keep_tape && team::worth_it(ticks.len()) {
        vec![team::with_helper(&eng, g, |team| {
            forward_item(&eng, g, 0, x0, ticks, false, Vec::new(), Some(team))
        })]
    } else {
        map_items(recycled, alive, |i, old| {
            let x0 = &x0[i * item_len..(i + 1) * item_len];
            forward_item(&eng, g, i, x0, ticks, keep_tape, old, None)
        })
    };
    let mut final_state = vec![0.0; b * item_len];
    let mut rows = 0usize;
    let mut items = Vec::with_capacity(if keep_tape { b } else { 0 });
    for (i, (state, tape, n)) in results.into_iter().enumerate() {
        to_channel_major(
            &state,
            g.c,
            hw,
            &mut final_state[i * item_len..(i + 1) * item_len],
        );
        rows += n;
        if keep_tape {
            items.push(tape);
        }
    }
    let total = (b * hw * ticks.len()) as f64;
    let active_share = if total > 0.0 {
        (rows as f64 / total) as f32
    } else {
        0.0
    };
    let tape = keep_tape.then(|| Tape {
        spec: spec.clone(),
        dims,
        items,
    });
    Ok(Rollout {
        final_state,
        tape,
        active_share,
    })
}

fn check_inputs(
    spec: &NcaSpec,
    x0: &[f32],
    [b, h, w]: [usize; 3],
    hw: usize,
    ticks: &[TickMasks],
) -> Result<(), ShapeError> {
    let c = spec.channels;
    if x0.len() != b * c * hw {
        return shape_err!(
            "x0 has {} values, expected [B, C, H, W] = [{b}, {c}, {h}, {w}] = {}",
            x0.len(),
            b * c * hw
        );
    }
    let u = spec.update_width();
    for (t, tick) in ticks.iter().enumerate() {
        if tick.fire.len() != b * hw {
            return shape_err!(
                "tick {t}: fire has {} values, expected [B, H, W] = [{b}, {h}, {w}] = {}",
                tick.fire.len(),
                b * hw
            );
        }
        if let Some(noise) = &tick.noise
            && noise.len() != b * u * hw
        {
            return shape_err!(
                "tick {t}: noise has {} values, expected [B, U, H, W] = [{b}, {u}, {h}, {w}] = {}",
                noise.len(),
                b * u * hw
            );
        }
    }
    Ok(())
}

/// Reusable per-item buffers.
#[derive(Default)]
struct Scratch {
    cells: Vec<u32>,
    cols: Vec<f32>,
    feats: Vec<f32>,
    hidden: Vec<Vec<f32>>,
    out: Vec<f32>,
    raw: Vec<u8>,
    pre: Vec<u8>,
    need: Vec<u8>,
    mask_tmp: Vec<u8>,
    keep: Vec<u8>,
    /// Max-pool rule: the cells that survived the previous tick (all, before the first).
    kept: Vec<u8>,
    team_rows: team::RowScratch,
}

crate::simd::avx2_dispatch! {
/// Rolls batch item `b` out; returns its final state (cell-major), its tape (empty unless
/// `keep_tape`) and the number of computed rows. The tape is recorded into the buffers of
/// `recycled`, an old tape of this item, where available.
pub(crate) fn forward_item(
    eng: &Engine,
    g: Grid,
    b: usize,
    x0: &[f32],
    ticks: &[TickMasks],
    keep_tape: bool,
    recycled: Vec<TickTape>,
    team: Option<&team::Team>,
) -> (Vec<f32>, Vec<TickTape>, usize) {
    let hw = g.cells();
    let (c, u0, u) = (g.c, eng.u0, eng.u);
    let mut state = to_cell_major(x0, c, hw);
    let mut s = Scratch {
        need: vec![0; hw],
        ..Default::default()
    };
    let alive = &eng.spec.alive;
    let (ch, thr) = (alive.channel(), alive.threshold());
    let maxpool = matches!(alive, AliveRule::MaxPool { .. });
    if !maxpool {
        // Static rule: alive is fixed by the initial state.
        threshold(&state, c, ch, thr, &mut s.need);
    } else {
        s.raw.resize(hw, 0);
        s.pre.resize(hw, 0);
        s.kept = vec![1; hw];
    }
    let mut tape = Vec::with_capacity(if keep_tape { ticks.len() } else { 0 });
    let mut rows = 0;
    let mut recycled = recycled.into_iter();
    for (ti, tick) in ticks.iter().enumerate() {
        // The noise arrays are far larger than the caches: start bringing the next tick's in.
        if let Some(nz) = ticks.get(ti + 1).and_then(|t| t.noise.as_ref()) {
            prefetch_l2(&nz[b * u * hw..(b + 1) * u * hw]);
        }
        if keep_tape && let Some(old) = recycled.next() {
            (s.cells, s.cols, s.feats, s.hidden, s.keep) =
                (old.cells, old.cols, old.feats, old.hidden, old.keep);
        }
        s.keep.clear(); // stays empty under the static rule
        let fire = &tick.fire[b * hw..(b + 1) * hw];
        if maxpool {
            // pre = maxpool(alpha) > thr; updates matter within one cell of a pre-alive cell.
            threshold(&state, c, ch, thr, &mut s.raw);
            dilate(&s.raw, g.h, g.w, &mut s.mask_tmp, &mut s.pre);
            dilate(&s.pre, g.h, g.w, &mut s.mask_tmp, &mut s.need);
        }
        active_cells(fire, &s.need, &mut s.cells);
        let n = s.cells.len();
        rows += n;
        match team {
            Some(team) if n >= team::MIN_SPLIT_ROWS => {
                // The helper reads the state and the cells for its half, then hands them back.
                let (st, cl) = (Arc::new(std::mem::take(&mut state)), Arc::new(std::mem::take(&mut s.cells)));
                team.update_rows(eng, g, &st, &cl, &mut s.team_rows, &mut s.out);
                state = Arc::try_unwrap(st).expect("the helper has returned the state");
                s.cells = Arc::try_unwrap(cl).expect("the helper has returned the cells");
            }
            _ => {
                eng.perceiver
                    .forward(g, &state, &s.cells, &mut s.cols, &mut s.feats);
                eng.mlp.forward(n, &s.feats, &mut s.hidden, &mut s.out);
            }
        }
        // Residual update of the active cells: x += dx + noise. The noise is channel-major, so
        // it is added to `dx` plane by plane (a cell's channels lie a plane apart).
        if let Some(nz) = &tick.noise {
            let nz = &nz[b * u * hw..(b + 1) * u * hw];
            for (j, plane) in nz.chunks_exact(hw).enumerate() {
                for (&cell, d) in s.cells.iter().zip(s.out.chunks_exact_mut(u)) {
                    d[j] += plane[cell as usize];
                }
            }
        }
        for (&cell, dx) in s.cells.iter().zip(s.out.chunks_exact(u)) {
            let cell = cell as usize;
            add_to(&mut state[cell * c + u0..cell * c + u0 + u], dx);
        }
        if maxpool {
            // post = maxpool(alpha') > thr; cells that are not pre ∧ post die (all channels).
            threshold(&state, c, ch, thr, &mut s.raw);
            s.keep.resize(hw, 0);
            dilate(&s.raw, g.h, g.w, &mut s.mask_tmp, &mut s.keep);
            for (k, &p) in s.keep.iter_mut().zip(&s.pre) {
                *k &= p;
            }
            // x *= keep. A cell that died earlier and was not updated since is zero already
            // (x * 0 again changes nothing), so only the cells that survived the last tick and
            // the ones updated in this one are multiplied.
            for (cell, (&k, &was)) in state.chunks_exact_mut(c).zip(s.keep.iter().zip(&s.kept)) {
                if k == 0 && was != 0 {
                    cell.iter_mut().for_each(|v| *v *= 0.0);
                }
            }
            for &cell in &s.cells {
                let cell = cell as usize;
                if s.keep[cell] == 0 {
                    state[cell * c..(cell + 1) * c].iter_mut().for_each(|v| *v *= 0.0);
                }
            }
            s.kept.copy_from_slice(&s.keep);
            if keep_tape {
                drop_dead_rows(&s.keep, &mut s.cells, &mut s.cols, &mut s.feats, &mut s.hidden);
            }
        }
        if keep_tape {
            tape.push(TickTape {
                cells: std::mem::take(&mut s.cells),
                cols: std::mem::take(&mut s.cols),
                feats: std::mem::take(&mut s.feats),
                hidden: std::mem::take(&mut s.hidden),
                keep: std::mem::take(&mut s.keep),
            });
        }
    }
    (state, tape, rows)
}
}

/// Removes from a tick's recorded rows the cells that died this tick. Their update is zeroed
/// with the rest of the cell, so they pass no gradient and backward can skip them (exactly:
/// their rows would add zeros). The rows are compacted in place, order kept.
#[inline(always)]
fn drop_dead_rows(
    keep: &[u8],
    cells: &mut Vec<u32>,
    cols: &mut Vec<f32>,
    feats: &mut Vec<f32>,
    hidden: &mut [Vec<f32>],
) {
    let n = cells.len();
    if n == 0 {
        return;
    }
    let widths: Vec<usize> = [cols.len(), feats.len()]
        .into_iter()
        .chain(hidden.iter().map(Vec::len))
        .map(|len| len / n)
        .collect();
    let mut kept = 0;
    for r in 0..n {
        if keep[cells[r] as usize] == 0 {
            continue;
        }
        if kept != r {
            cells[kept] = cells[r];
            let buffers = [&mut *cols, &mut *feats]
                .into_iter()
                .chain(hidden.iter_mut());
            for (buf, &wd) in buffers.zip(&widths) {
                buf.copy_within(r * wd..(r + 1) * wd, kept * wd);
            }
        }
        kept += 1;
    }
    cells.truncate(kept);
    let buffers = [cols, feats].into_iter().chain(hidden.iter_mut());
    for (buf, &wd) in buffers.zip(&widths) {
        buf.truncate(kept * wd);
    }
}
