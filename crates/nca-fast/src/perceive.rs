//! Perception on gathered cells: the 3x3 neighbourhood of each active cell (zero padded) turned
//! into feature rows, and the matching backward pass that scatter-adds into neighbouring cells.
//!
//! States are NHWC for one batch item: cell `y*W + x` holds its `C` channels contiguously.

use crate::gemm::{Finish, Start, View, add_col_sums, product};
use crate::layout::transpose;
use crate::simd::{add_to, axpy};
use crate::spec::{NcaSpec, Perception};

/// Grid geometry of one batch item.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grid {
    pub h: usize,
    pub w: usize,
    pub c: usize,
}

impl Grid {
    /// Number of cells `H*W`.
    pub fn cells(&self) -> usize {
        self.h * self.w
    }

    /// The in-bounds 3x3 neighbours of `cell`, indexed by offset `o = (dy+1)*3 + (dx+1)`
    /// (`None` outside the grid). One division per cell; interior cells need no bounds checks.
    #[inline]
    pub fn neighbours(&self, cell: usize) -> [Option<usize>; 9] {
        let (h, w) = (self.h, self.w);
        let (y, x) = (cell / w, cell % w);
        if y > 0 && x > 0 && y + 1 < h && x + 1 < w {
            let top_left = cell - w - 1;
            return std::array::from_fn(|o| Some(top_left + (o / 3) * w + o % 3));
        }
        std::array::from_fn(|o| {
            let ny = (y + o / 3).checked_sub(1).filter(|&v| v < h)?;
            let nx = (x + o % 3).checked_sub(1).filter(|&v| v < w)?;
            Some(ny * w + nx)
        })
    }
}

/// Perception prepared for fast evaluation.
pub(crate) struct Perceiver {
    kernel: Kernel,
    /// ReLU on the output.
    relu: bool,
}

/// The 3x3 operator itself.
enum Kernel {
    /// Fixed depthwise filters: per 3x3 offset, the nonzero `(filter, coefficient)` taps.
    Fixed {
        k: usize,
        taps: [Vec<(usize, f32)>; 9],
    },
    /// Learned conv with its weight permuted to `[P, 9, C]` so that im2col rows are contiguous
    /// copies of neighbour cells, and that weight transposed (`[9C, P]`) for the forward product.
    Learned {
        p: usize,
        w: Vec<f32>,
        wt: Vec<f32>,
        b: Vec<f32>,
    },
}

impl Perceiver {
    /// Prepares the perception of a validated `spec` with its learned parameters, if any.
    pub fn new(spec: &NcaSpec, learned: Option<&(Vec<f32>, Vec<f32>)>) -> Self {
        let kernel = match (&spec.perception, learned) {
            (Perception::Learned { out }, Some((w, b))) => {
                let w = permute_to_offset_major(w, *out, spec.channels);
                Kernel::Learned {
                    p: *out,
                    wt: transpose(&w, *out, 9 * spec.channels),
                    w,
                    b: b.clone(),
                }
            }
            (Perception::Fixed { filters }, _) => {
                // Zero taps are skipped: they add exactly 0 for finite states.
                let taps = std::array::from_fn(|o| {
                    filters
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| f[o] != 0.0)
                        .map(|(k, f)| (k, f[o]))
                        .collect()
                });
                Kernel::Fixed {
                    k: filters.len(),
                    taps,
                }
            }
            // `validate` rules this out; treat as a zero learned perception.
            (Perception::Learned { out }, None) => Kernel::Learned {
                p: *out,
                w: vec![0.0; out * spec.channels * 9],
                wt: vec![0.0; out * spec.channels * 9],
                b: vec![0.0; *out],
            },
        };
        Self {
            kernel,
            relu: spec.perception_relu,
        }
    }

    /// The internal order of the perception features, when it differs from the spec's: entry
    /// `i` is the spec's index of internal feature `i`. Fixed filters are computed filter-major
    /// (`k*C + c`) while the spec numbers them channel-major (`c*K + k`).
    pub fn feature_order(&self, c: usize) -> Option<Vec<usize>> {
        match self.kernel {
            Kernel::Fixed { k, .. } => Some((0..k * c).map(|i| (i % c) * k + i / c).collect()),
            Kernel::Learned { .. } => None,
        }
    }

    /// `P` for learned perception, `None` for fixed filters.
    pub fn learned_out(&self) -> Option<usize> {
        match self.kernel {
            Kernel::Learned { p, .. } => Some(p),
            Kernel::Fixed { .. } => None,
        }
    }

    /// Computes the perception features of `cells` into `feats` (`[n, F]`, in the internal
    /// [`Perceiver::feature_order`]), filling `cols` with the im2col rows (`[n, 9C]`, learned
    /// only).
    #[inline(always)]
    pub fn forward(
        &self,
        g: Grid,
        state: &[f32],
        cells: &[u32],
        cols: &mut Vec<f32>,
        feats: &mut Vec<f32>,
    ) {
        let n = cells.len();
        match &self.kernel {
            Kernel::Fixed { k, taps } => {
                // Features are kept filter-major internally (`[K, C]` per row, see
                // `feature_order`), so each tap adds one contiguous neighbour cell.
                let (c, k) = (g.c, *k);
                cols.clear();
                feats.clear();
                feats.resize(n * c * k, 0.0);
                for (&cell, f) in cells.iter().zip(feats.chunks_exact_mut(c * k)) {
                    for (taps, nb) in taps.iter().zip(g.neighbours(cell as usize)) {
                        let Some(nb) = nb else { continue };
                        let v = &state[nb * c..(nb + 1) * c];
                        for &(kk, coef) in taps {
                            axpy(&mut f[kk * c..(kk + 1) * c], coef, v);
                        }
                    }
                }
            }
            Kernel::Learned { p, wt, b, .. } => {
                let (c, p) = (g.c, *p);
                im2col(g, state, cells, cols);
                feats.resize(n * p, 0.0);
                // The ReLU is applied by the product as it stores.
                product(
                    n,
                    9 * c,
                    p,
                    View::rows(cols, 9 * c),
                    View::rows(wt, p),
                    Start::Bias(b),
                    Finish::relu_if(self.relu),
                    feats,
                );
                return;
            }
        }
        if self.relu {
            feats.iter_mut().for_each(|v| *v = v.max(0.0));
        }
    }

    /// The gate of the features' gradient in backward: the stored features (`[n, F]`) when
    /// perception ends in a ReLU (its derivative is `f > 0`), else none.
    pub fn relu_gate<'r>(&self, feats: &'r [f32]) -> Option<&'r [f32]> {
        self.relu.then_some(feats)
    }

    /// Backward of [`Perceiver::forward`] for the recorded `rows`: `dfeats` (`[n, F]`, the
    /// gradient of the features, already through the ReLU: see [`Perceiver::relu_gate`]) goes
    /// into the parameter gradients (learned: `dw` in `[P, 9, C]` order, `db`) and is
    /// scatter-added into the state gradient `dstate` at the neighbours of the cells.
    #[inline(always)]
    pub fn backward(
        &self,
        g: Grid,
        rows: Rows,
        dfeats: &[f32],
        grads: Option<(&mut [f32], &mut [f32])>,
        dstate: &mut [f32],
        tmp: &mut Vec<f32>,
    ) {
        let Rows { cells, cols } = rows;
        let n = cells.len();
        let c = g.c;
        match &self.kernel {
            Kernel::Fixed { k, taps } => {
                for (&cell, df) in cells.iter().zip(dfeats.chunks_exact(c * *k)) {
                    for (taps, nb) in taps.iter().zip(g.neighbours(cell as usize)) {
                        let Some(nb) = nb else { continue };
                        let d = &mut dstate[nb * c..(nb + 1) * c];
                        for &(kk, coef) in taps {
                            axpy(d, coef, &df[kk * c..(kk + 1) * c]);
                        }
                    }
                }
            }
            Kernel::Learned { p, w, .. } => {
                let p = *p;
                let wc = 9 * c;
                if let Some((dw, db)) = grads {
                    product(
                        p,
                        n,
                        wc,
                        View::rows_t(dfeats, p),
                        View::rows(cols, wc),
                        Start::Keep,
                        Finish::None,
                        dw,
                    );
                    add_col_sums(dfeats, p, db);
                }
                tmp.resize(n * wc, 0.0);
                product(
                    n,
                    p,
                    wc,
                    View::rows(dfeats, p),
                    View::rows(w, wc),
                    Start::Zero,
                    Finish::None,
                    tmp,
                );
                for (&cell, da) in cells.iter().zip(tmp.chunks_exact(wc)) {
                    for (dao, nb) in da.chunks_exact(c).zip(g.neighbours(cell as usize)) {
                        if let Some(nb) = nb {
                            add_to(&mut dstate[nb * c..(nb + 1) * c], dao);
                        }
                    }
                }
            }
        }
    }
}

/// What forward recorded for one tick's active cells, as backward reads it.
#[derive(Clone, Copy)]
pub(crate) struct Rows<'a> {
    /// Active cells; row `r` belongs to `cells[r]`.
    pub cells: &'a [u32],
    /// im2col rows `[n, 9C]` (learned perception only, else empty).
    pub cols: &'a [f32],
}

/// im2col rows in offset-major order: `cols[r, o*C + c]` = channel `c` of the neighbour of
/// `cells[r]` at offset `o`, or 0 outside the grid.
#[inline(always)]
fn im2col(g: Grid, state: &[f32], cells: &[u32], cols: &mut Vec<f32>) {
    let c = g.c;
    // Every value is written below (a copy or the zero padding), so the buffer is not cleared.
    cols.resize(cells.len() * 9 * c, 0.0);
    for (&cell, row) in cells.iter().zip(cols.chunks_exact_mut(9 * c)) {
        let cell = cell as usize;
        let (y, x) = (cell / g.w, cell % g.w);
        if y > 0 && x > 0 && y + 1 < g.h && x + 1 < g.w {
            // Interior: each row of the neighbourhood is three consecutive cells, one copy.
            for (dy, dst) in row.chunks_exact_mut(3 * c).enumerate() {
                let left = cell + dy * g.w - g.w - 1;
                dst.copy_from_slice(&state[left * c..(left + 3) * c]);
            }
            continue;
        }
        for (dst, nb) in row.chunks_exact_mut(c).zip(g.neighbours(cell)) {
            match nb {
                Some(nb) => dst.copy_from_slice(&state[nb * c..(nb + 1) * c]),
                None => dst.fill(0.0),
            }
        }
    }
}

/// `[P, C, 3, 3]` → `[P, 9, C]`.
fn permute_to_offset_major(w: &[f32], p: usize, c: usize) -> Vec<f32> {
    let mut out = vec![0.0; p * c * 9];
    for pi in 0..p {
        for ci in 0..c {
            for o in 0..9 {
                out[pi * 9 * c + o * c + ci] = w[pi * c * 9 + ci * 9 + o];
            }
        }
    }
    out
}

/// `[P, 9, C]` → `[P, C, 3, 3]` (inverse of the permutation used internally).
pub(crate) fn permute_to_channel_major(w: &[f32], p: usize, c: usize) -> Vec<f32> {
    let mut out = vec![0.0; p * c * 9];
    for pi in 0..p {
        for ci in 0..c {
            for o in 0..9 {
                out[pi * c * 9 + ci * 9 + o] = w[pi * 9 * c + o * c + ci];
            }
        }
    }
    out
}
