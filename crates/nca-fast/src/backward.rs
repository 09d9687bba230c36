//! Backpropagation through time over a recorded [`Tape`].

use crate::engine::{Engine, grid};
use crate::forward::{Tape, TickTape};
use crate::layout::{to_cell_major, to_channel_major};
use crate::par::map_items;
use crate::perceive::{Grid, Rows, permute_to_channel_major};
use crate::simd::prefetch_l2;
use crate::spec::{NcaGrads, NcaParams, NcaSpec, ShapeError, shape_err};

/// Gradients of a loss on the final state, given `d_final = dL/dx_T` (`[B, C, H, W]`).
///
/// Returns the parameter gradients and `dL/dx0` (`[B, C, H, W]`). Masks (fire, alive) are
/// constants for the gradient. `params` must be the ones the tape was recorded with.
pub fn backward(
    spec: &NcaSpec,
    params: &NcaParams,
    tape: &Tape,
    d_final: &[f32],
) -> Result<(NcaGrads, Vec<f32>), ShapeError> {
    let eng = Engine::new(spec, params)?;
    if tape.spec != *spec {
        return shape_err!("backward: the tape was recorded with a different spec");
    }
    let (g, hw) = grid(spec.channels, tape.dims)?;
    let [b, h, w] = tape.dims;
    let item_len = hw * g.c;
    if d_final.len() != b * item_len {
        return shape_err!(
            "d_final has {} values, expected [B, C, H, W] = [{b}, {}, {h}, {w}] = {}",
            d_final.len(),
            g.c,
            b * item_len
        );
    }
    // An item's work is proportional to the rows it recorded.
    let rows = |_: usize, item: &&Vec<TickTape>| item.iter().map(|t| t.cells.len()).sum();
    let results = map_items(tape.items.iter().collect(), rows, |i, item| {
        backward_item(&eng, g, item, &d_final[i * item_len..(i + 1) * item_len])
    });
    // The learned perception weight is accumulated in the internal [P, 9, C] order.
    let mut grads = NcaParams::zeros(spec);
    let mut dx0 = vec![0.0; b * item_len];
    for (i, (gi, dxi)) in results.into_iter().enumerate() {
        grads.add_assign(&gi);
        to_channel_major(&dxi, g.c, hw, &mut dx0[i * item_len..(i + 1) * item_len]);
    }
    eng.mlp.restore_input_order(&mut grads.layers);
    if let (Some((wg, _)), Some(p)) = (&mut grads.perception, eng.perceiver.learned_out()) {
        *wg = permute_to_channel_major(wg, p, g.c);
    }
    Ok((grads, dx0))
}

/// Reusable per-item buffers.
#[derive(Default)]
struct Scratch {
    dout: Vec<f32>,
    dhidden: Vec<Vec<f32>>,
    dfeats: Vec<f32>,
    tmp: Vec<f32>,
}

crate::simd::avx2_dispatch! {
/// BPTT for one batch item: its parameter gradients (learned perception weight in `[P, 9, C]`
/// order) and `dL/dx0` (cell-major).
fn backward_item(
    eng: &Engine,
    g: Grid,
    ticks: &[TickTape],
    d_final: &[f32],
) -> (NcaGrads, Vec<f32>) {
    let c = g.c;
    let (u0, u) = (eng.u0, eng.u);
    let mut grads = NcaParams::zeros(eng.spec);
    let mut gs = to_cell_major(d_final, c, g.cells());
    let mut s = Scratch::default();
    // Max-pool rule: the cells whose state gradient may be nonzero (all, at the start).
    let mut live = vec![1u8; g.cells()];
    for (ti, t) in ticks.iter().enumerate().rev() {
        // The tape is far larger than the caches: start bringing the next tick's rows in.
        if ti > 0 {
            prefetch_tick(&ticks[ti - 1]);
        }
        // Through the max-pool survival mask: dead cells pass no gradient. A cell zeroed
        // earlier that no scatter has reached since is zero already.
        let maxpool = !t.keep.is_empty();
        if maxpool {
            for ((&k, l), cell) in t.keep.iter().zip(&mut live).zip(gs.chunks_exact_mut(c)) {
                if k == 0 && *l != 0 {
                    cell.fill(0.0);
                    *l = 0;
                }
            }
        }
        let n = t.cells.len();
        if n == 0 {
            continue;
        }
        // x' = x + dx on the update channels of active cells, so dL/d(dx) = dL/dx' there.
        s.dout.clear();
        for &cell in &t.cells {
            let cell = cell as usize;
            s.dout
                .extend_from_slice(&gs[cell * c + u0..cell * c + u0 + u]);
        }
        eng.mlp.backward(
            n,
            &t.feats,
            &t.hidden,
            &s.dout,
            &mut s.dhidden,
            &mut grads.layers,
            &mut s.dfeats,
            eng.perceiver.relu_gate(&t.feats),
        );
        let pgrads = grads
            .perception
            .as_mut()
            .map(|(w, b)| (w.as_mut_slice(), b.as_mut_slice()));
        let rows = Rows {
            cells: &t.cells,
            cols: &t.cols,
        };
        eng.perceiver
            .backward(g, rows, &s.dfeats, pgrads, &mut gs, &mut s.tmp);
        if maxpool {
            // The scatter reached the 3x3 neighbourhoods of the active cells.
            for &cell in &t.cells {
                for nb in g.neighbours(cell as usize).into_iter().flatten() {
                    live[nb] = 1;
                }
            }
        }
    }
    (grads, gs)
}
}

/// Starts bringing a tick's recorded rows into the L2 cache.
#[inline(always)]
fn prefetch_tick(t: &TickTape) {
    prefetch_l2(&t.cols);
    prefetch_l2(&t.feats);
    t.hidden.iter().for_each(|h| prefetch_l2(h));
}
