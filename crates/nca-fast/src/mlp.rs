//! The per-cell MLP on gathered rows: dense GEMMs over `[n, width]` row blocks, ReLU between
//! layers, and its hand-written backward pass.

use crate::gemm::{View, add_col_sums, gemm};

/// The MLP layers `(weight [out, in], bias [out])` with their `(in, out)` widths.
pub(crate) struct Mlp<'a> {
    pub layers: &'a [(Vec<f32>, Vec<f32>)],
    pub dims: Vec<(usize, usize)>,
}

impl Mlp<'_> {
    /// Runs `n` rows of `input` (`[n, in0]`) through the MLP. The ReLU outputs of all layers but
    /// the last go to `hidden` (reusing its buffers); the last layer's output goes to `out`.
    pub fn forward(&self, n: usize, input: &[f32], hidden: &mut Vec<Vec<f32>>, out: &mut Vec<f32>) {
        let l = self.layers.len();
        hidden.resize_with(l - 1, Vec::new);
        for (i, ((w, b), &(din, dout))) in self.layers.iter().zip(&self.dims).enumerate() {
            let (done, rest) = hidden.split_at_mut(i);
            let x: &[f32] = if i == 0 { input } else { &done[i - 1] };
            let y = if i + 1 == l { &mut *out } else { &mut rest[0] };
            y.clear();
            for _ in 0..n {
                y.extend_from_slice(b);
            }
            gemm(
                n,
                din,
                dout,
                View::rows(x, din),
                View::rows_t(w, din),
                1.0,
                y,
            );
            if i + 1 < l {
                y.iter_mut().for_each(|v| *v = v.max(0.0));
            }
        }
    }

    /// Backward through the MLP for `n` rows: `dout` (`[n, U]`, clobbered) is the gradient of
    /// the last layer's output. Accumulates into `grads` and writes the gradient of `input` to
    /// `dinput`. `scratch` is reused between calls.
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        n: usize,
        input: &[f32],
        hidden: &[Vec<f32>],
        dout: &mut Vec<f32>,
        scratch: &mut Vec<f32>,
        grads: &mut [(Vec<f32>, Vec<f32>)],
        dinput: &mut Vec<f32>,
    ) {
        let mut dy = std::mem::take(dout);
        let mut dx = std::mem::take(scratch);
        for i in (0..self.layers.len()).rev() {
            let (din, dout_w) = self.dims[i];
            let x: &[f32] = if i == 0 { input } else { &hidden[i - 1] };
            let (gw, gb) = &mut grads[i];
            // dW += dYᵀ · X, db += Σ dY.
            gemm(
                dout_w,
                n,
                din,
                View::rows_t(&dy, dout_w),
                View::rows(x, din),
                1.0,
                gw,
            );
            add_col_sums(&dy, dout_w, gb);
            // dX = dY · W.
            let target = if i == 0 { &mut *dinput } else { &mut dx };
            target.clear();
            target.resize(n * din, 0.0);
            gemm(
                n,
                dout_w,
                din,
                View::rows(&dy, dout_w),
                View::rows(&self.layers[i].0, din),
                0.0,
                target,
            );
            if i > 0 {
                // ReLU derivative from the stored activation (relu(z) > 0 iff z > 0).
                for (d, &a) in dx.iter_mut().zip(&hidden[i - 1]) {
                    if a <= 0.0 {
                        *d = 0.0;
                    }
                }
                std::mem::swap(&mut dy, &mut dx);
            }
        }
        *dout = dy;
        *scratch = dx;
    }
}
