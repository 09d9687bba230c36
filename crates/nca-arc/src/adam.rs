//! Adam on the engine's flat parameter vectors, with the gradient clipped to a global norm.

use nca_fast::{NcaGrads, NcaParams};

/// Adam's moments for one set of parameters.
#[derive(Clone, Debug)]
pub struct Adam {
    lr: f32,
    clip: f32,
    t: i32,
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
}

/// Every parameter vector of `p`, perception first.
fn slices(p: &mut NcaParams) -> Vec<&mut Vec<f32>> {
    let mut out = Vec::new();
    if let Some((w, b)) = p.perception.as_mut() {
        out.push(w);
        out.push(b);
    }
    for (w, b) in &mut p.layers {
        out.push(w);
        out.push(b);
    }
    out
}

impl Adam {
    /// Moments for `params` (betas 0.9 / 0.999, eps 1e-8), step size `lr`, and the gradient
    /// rescaled to at most `clip` in global L2 norm.
    pub fn new(params: &NcaParams, lr: f32, clip: f32) -> Adam {
        let mut p = params.clone();
        let m: Vec<Vec<f32>> = slices(&mut p).iter().map(|s| vec![0.0; s.len()]).collect();
        Adam {
            lr,
            clip,
            t: 0,
            v: m.clone(),
            m,
        }
    }

    /// One step of `params` against `grads`, at `lr_scale` times the step size.
    pub fn step(&mut self, params: &mut NcaParams, grads: &mut NcaGrads, lr_scale: f32) {
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        let mut gs = slices(grads);
        let norm = gs
            .iter()
            .flat_map(|g| g.iter())
            .map(|&g| f64::from(g) * f64::from(g))
            .sum::<f64>()
            .sqrt() as f32;
        let clip = if norm.is_finite() && norm > self.clip {
            self.clip / norm
        } else {
            1.0
        };
        self.t += 1;
        let c1 = 1.0 - b1.powi(self.t);
        let c2 = 1.0 - b2.powi(self.t);
        let lr = self.lr * lr_scale;
        for (((p, g), m), v) in slices(params)
            .into_iter()
            .zip(gs.iter_mut())
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            for i in 0..p.len() {
                let gi = g[i] * clip;
                m[i] = b1 * m[i] + (1.0 - b1) * gi;
                v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
                p[i] -= lr * (m[i] / c1) / ((v[i] / c2).sqrt() + eps);
            }
        }
    }
}
