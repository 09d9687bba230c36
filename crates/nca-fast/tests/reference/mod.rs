//! A dense, obviously-correct reference NCA in `f64`: plain loops over every cell of a
//! `[B, C, H, W]` state, no sparsity, and a hand-written dense backward pass.

// Index loops mirror the maths on purpose.
#![allow(clippy::needless_range_loop)]

use nca_fast::{AliveRule, NcaParams, NcaSpec, Perception, TickMasks};

/// Parameters in `f64`, same layout as [`NcaParams`].
#[derive(Clone, Debug)]
pub struct P64 {
    pub pw: Vec<f64>,
    pub pb: Vec<f64>,
    pub layers: Vec<(Vec<f64>, Vec<f64>)>,
}

fn up(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

impl P64 {
    pub fn from(p: &NcaParams) -> Self {
        let (pw, pb) = p
            .perception
            .as_ref()
            .map_or((vec![], vec![]), |(w, b)| (up(w), up(b)));
        let layers = p.layers.iter().map(|(w, b)| (up(w), up(b))).collect();
        Self { pw, pb, layers }
    }

    pub fn zeros_like(&self) -> Self {
        let z = |v: &Vec<f64>| vec![0.0; v.len()];
        Self {
            pw: z(&self.pw),
            pb: z(&self.pb),
            layers: self.layers.iter().map(|(w, b)| (z(w), z(b))).collect(),
        }
    }
}

/// What the dense backward needs from one tick (all `[B, *, H, W]`).
struct Step {
    x: Vec<f64>,
    /// Perception pre-activation `[B, F, H, W]`.
    zp: Vec<f64>,
    /// Pre-activations of every MLP layer, `[B, width, H, W]`.
    z: Vec<Vec<f64>>,
    /// Update mask: fire ∧ alive (static) or fire (max-pool), `[B, H, W]`.
    upd: Vec<f64>,
    /// Survival mask (max-pool), `[B, H, W]`; all ones for the static rule.
    keep: Vec<f64>,
}

pub struct Dense<'a> {
    pub spec: &'a NcaSpec,
    pub p: &'a P64,
    pub dims: [usize; 3],
}

impl Dense<'_> {
    fn feats(&self) -> usize {
        self.spec.features()
    }

    /// 3x3 max-pool (in-bounds) of channel `ch` thresholded, per cell.
    fn pool_alive(&self, x: &[f64], ch: usize, thr: f64) -> Vec<f64> {
        let [b, h, w] = self.dims;
        let c = self.spec.channels;
        let mut out = vec![0.0; b * h * w];
        for bi in 0..b {
            for y in 0..h {
                for xx in 0..w {
                    let mut m = f64::NEG_INFINITY;
                    for dy in -1i64..=1 {
                        for dx in -1i64..=1 {
                            let (ny, nx) = (y as i64 + dy, xx as i64 + dx);
                            if ny >= 0 && nx >= 0 && (ny as usize) < h && (nx as usize) < w {
                                m = m.max(x[((bi * c + ch) * h + ny as usize) * w + nx as usize]);
                            }
                        }
                    }
                    out[(bi * h + y) * w + xx] = if m > thr { 1.0 } else { 0.0 };
                }
            }
        }
        out
    }

    /// Perception pre-activation at every cell.
    fn perceive(&self, x: &[f64]) -> Vec<f64> {
        let [b, h, w] = self.dims;
        let c = self.spec.channels;
        let f = self.feats();
        let mut z = vec![0.0; b * f * h * w];
        let at = |bi: usize, ci: usize, y: i64, xx: i64| -> f64 {
            if y < 0 || xx < 0 || y as usize >= h || xx as usize >= w {
                0.0
            } else {
                x[((bi * c + ci) * h + y as usize) * w + xx as usize]
            }
        };
        for bi in 0..b {
            for y in 0..h {
                for xx in 0..w {
                    for fi in 0..f {
                        let mut s = 0.0;
                        match &self.spec.perception {
                            Perception::Fixed { filters } => {
                                let k = filters.len();
                                let (ci, ki) = (fi / k, fi % k);
                                for o in 0..9 {
                                    let v = at(bi, ci, y as i64 + o / 3 - 1, xx as i64 + o % 3 - 1);
                                    s += filters[ki][o as usize] as f64 * v;
                                }
                            }
                            Perception::Learned { .. } => {
                                s = self.p.pb[fi];
                                for ci in 0..c {
                                    for o in 0..9 {
                                        let v =
                                            at(bi, ci, y as i64 + o / 3 - 1, xx as i64 + o % 3 - 1);
                                        s += self.p.pw[(fi * c + ci) * 9 + o as usize] * v;
                                    }
                                }
                            }
                        }
                        z[((bi * f + fi) * h + y) * w + xx] = s;
                    }
                }
            }
        }
        z
    }

    /// Runs the rollout; returns the final state and the per-tick record.
    fn run(&self, x0: &[f64], ticks: &[TickMasks]) -> (Vec<f64>, Vec<Step>) {
        let [b, h, w] = self.dims;
        let hw = h * w;
        let c = self.spec.channels;
        let relu = |v: f64| v.max(0.0);
        let static_alive = match self.spec.alive {
            AliveRule::Static { channel, threshold } => Some(
                (0..b * hw)
                    .map(|i| {
                        let (bi, cell) = (i / hw, i % hw);
                        if x0[(bi * c + channel) * hw + cell] > threshold as f64 {
                            1.0
                        } else {
                            0.0
                        }
                    })
                    .collect::<Vec<f64>>(),
            ),
            AliveRule::MaxPool { .. } => None,
        };
        let mut x = x0.to_vec();
        let mut steps = Vec::new();
        for tick in ticks {
            let zp = self.perceive(&x);
            let f = self.feats();
            // MLP at every cell.
            let mut z: Vec<Vec<f64>> = Vec::new();
            let mut input: Vec<f64> = zp
                .iter()
                .map(|&v| {
                    if self.spec.perception_relu {
                        relu(v)
                    } else {
                        v
                    }
                })
                .collect();
            let mut din = f;
            let nl = self.p.layers.len();
            for (li, (lw, lb)) in self.p.layers.iter().enumerate() {
                let dout = lb.len();
                let mut zl = vec![0.0; b * dout * hw];
                for bi in 0..b {
                    for cell in 0..hw {
                        for o in 0..dout {
                            let mut s = lb[o];
                            for i in 0..din {
                                s += lw[o * din + i] * input[(bi * din + i) * hw + cell];
                            }
                            zl[(bi * dout + o) * hw + cell] = s;
                        }
                    }
                }
                input = if li + 1 < nl {
                    zl.iter().map(|&v| relu(v)).collect()
                } else {
                    zl.clone()
                };
                z.push(zl);
                din = dout;
            }
            let dx = input; // [B, U, H, W]
            let x_before = x.clone();
            let mut upd = vec![0.0; b * hw];
            let mut keep = vec![1.0; b * hw];
            match self.spec.alive {
                AliveRule::Static { .. } => {
                    let alive = static_alive.as_ref().unwrap();
                    for i in 0..b * hw {
                        upd[i] = tick.fire[i] as f64 * alive[i];
                    }
                    self.add_update(&mut x, &dx, tick, &upd);
                }
                AliveRule::MaxPool { channel, threshold } => {
                    let pre = self.pool_alive(&x, channel, threshold as f64);
                    for i in 0..b * hw {
                        upd[i] = tick.fire[i] as f64;
                    }
                    self.add_update(&mut x, &dx, tick, &upd);
                    let post = self.pool_alive(&x, channel, threshold as f64);
                    for i in 0..b * hw {
                        keep[i] = pre[i] * post[i];
                        let (bi, cell) = (i / hw, i % hw);
                        for ci in 0..c {
                            x[(bi * c + ci) * hw + cell] *= keep[i];
                        }
                    }
                }
            }
            steps.push(Step {
                x: x_before,
                zp,
                z,
                upd,
                keep,
            });
        }
        (x, steps)
    }

    fn add_update(&self, x: &mut [f64], dx: &[f64], tick: &TickMasks, upd: &[f64]) {
        let [b, h, w] = self.dims;
        let hw = h * w;
        let c = self.spec.channels;
        let u0 = self.spec.update_channels.start;
        let u = self.spec.update_width();
        for bi in 0..b {
            for j in 0..u {
                for cell in 0..hw {
                    let nz = tick
                        .noise
                        .as_ref()
                        .map_or(0.0, |n| n[(bi * u + j) * hw + cell] as f64);
                    x[(bi * c + u0 + j) * hw + cell] +=
                        (dx[(bi * u + j) * hw + cell] + nz) * upd[bi * hw + cell];
                }
            }
        }
    }

    /// Final state only.
    pub fn forward(&self, x0: &[f64], ticks: &[TickMasks]) -> Vec<f64> {
        self.run(x0, ticks).0
    }

    /// `L = Σ d_final · x_T`; returns parameter gradients and `dL/dx0`.
    pub fn backward(&self, x0: &[f64], ticks: &[TickMasks], d_final: &[f64]) -> (P64, Vec<f64>) {
        let [b, h, w] = self.dims;
        let hw = h * w;
        let c = self.spec.channels;
        let u0 = self.spec.update_channels.start;
        let u = self.spec.update_width();
        let f = self.feats();
        let (_, steps) = self.run(x0, ticks);
        let mut gr = self.p.zeros_like();
        let mut g = d_final.to_vec();
        for st in steps.iter().rev() {
            // Survival mask.
            for bi in 0..b {
                for ci in 0..c {
                    for cell in 0..hw {
                        g[(bi * c + ci) * hw + cell] *= st.keep[bi * hw + cell];
                    }
                }
            }
            // d(dx) = g[update channels] * upd.
            let mut dz = vec![0.0; b * u * hw];
            for bi in 0..b {
                for j in 0..u {
                    for cell in 0..hw {
                        dz[(bi * u + j) * hw + cell] =
                            g[(bi * c + u0 + j) * hw + cell] * st.upd[bi * hw + cell];
                    }
                }
            }
            // MLP backward.
            let nl = self.p.layers.len();
            for li in (0..nl).rev() {
                let (lw, lb) = &self.p.layers[li];
                let dout = lb.len();
                let din = lw.len() / dout;
                let input: Vec<f64> = if li == 0 {
                    st.zp
                        .iter()
                        .map(|&v| {
                            if self.spec.perception_relu {
                                v.max(0.0)
                            } else {
                                v
                            }
                        })
                        .collect()
                } else {
                    st.z[li - 1].iter().map(|&v| v.max(0.0)).collect()
                };
                let mut dinput = vec![0.0; b * din * hw];
                for bi in 0..b {
                    for cell in 0..hw {
                        for o in 0..dout {
                            let d = dz[(bi * dout + o) * hw + cell];
                            gr.layers[li].1[o] += d;
                            for i in 0..din {
                                gr.layers[li].0[o * din + i] +=
                                    d * input[(bi * din + i) * hw + cell];
                                dinput[(bi * din + i) * hw + cell] += lw[o * din + i] * d;
                            }
                        }
                    }
                }
                // Through the ReLU of the layer below (or the perception's).
                let pre = if li == 0 { &st.zp } else { &st.z[li - 1] };
                let apply_relu = li > 0 || self.spec.perception_relu;
                if apply_relu {
                    for (d, &zv) in dinput.iter_mut().zip(pre) {
                        if zv <= 0.0 {
                            *d = 0.0;
                        }
                    }
                }
                dz = dinput;
            }
            // dz is now d(perception pre-activation) [B, F, H, W]; g becomes dL/dx_t.
            let xs = &st.x;
            let mut gp = g.clone();
            for bi in 0..b {
                for y in 0..h {
                    for xx in 0..w {
                        for fi in 0..f {
                            let d = dz[((bi * f + fi) * h + y) * w + xx];
                            if let Perception::Learned { .. } = self.spec.perception {
                                gr.pb[fi] += d;
                            }
                            for o in 0..9i64 {
                                let (ny, nx) = (y as i64 + o / 3 - 1, xx as i64 + o % 3 - 1);
                                if ny < 0 || nx < 0 || ny as usize >= h || nx as usize >= w {
                                    continue;
                                }
                                let ncell = ny as usize * w + nx as usize;
                                match &self.spec.perception {
                                    Perception::Fixed { filters } => {
                                        let k = filters.len();
                                        let (ci, ki) = (fi / k, fi % k);
                                        gp[(bi * c + ci) * hw + ncell] +=
                                            filters[ki][o as usize] as f64 * d;
                                    }
                                    Perception::Learned { .. } => {
                                        for ci in 0..c {
                                            let wi = (fi * c + ci) * 9 + o as usize;
                                            gr.pw[wi] += d * xs[(bi * c + ci) * hw + ncell];
                                            gp[(bi * c + ci) * hw + ncell] += self.p.pw[wi] * d;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            g = gp;
        }
        (gr, g)
    }
}
