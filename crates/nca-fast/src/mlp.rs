//! The per-cell MLP on gathered rows: dense GEMMs over `[n, width]` row blocks, ReLU between
//! layers, and its hand-written backward pass.

use crate::gemm::{Finish, Start, View, add_col_sums, product};
use crate::layout::transpose;

/// The MLP layers with their `(in, out)` widths, prepared for the products.
pub(crate) struct Mlp<'a> {
    /// Weights `[out, in]`, the first layer's input columns in the perception's internal order.
    pub weights: Vec<Vec<f32>>,
    /// Each weight transposed to `[in, out]`, the layout the forward product reads in place.
    pub transposed: Vec<Vec<f32>>,
    /// Biases `[out]`.
    pub biases: Vec<&'a [f32]>,
    /// `(in, out)` of every layer.
    pub dims: Vec<(usize, usize)>,
    /// The perception's internal feature order (see `Perceiver::feature_order`), if it differs.
    pub input_order: Option<Vec<usize>>,
}

impl<'a> Mlp<'a> {
    /// The MLP of `layers` (`(weight [out, in], bias [out])`) with `(in, out)` widths `dims`,
    /// reading its input in `input_order`.
    pub fn new(
        layers: &'a [(Vec<f32>, Vec<f32>)],
        dims: Vec<(usize, usize)>,
        input_order: Option<Vec<usize>>,
    ) -> Self {
        let weights: Vec<Vec<f32>> = layers
            .iter()
            .enumerate()
            .map(|(i, (w, _))| match (&input_order, i) {
                (Some(order), 0) => w
                    .chunks_exact(order.len())
                    .flat_map(|row| order.iter().map(|&j| row[j]))
                    .collect(),
                _ => w.clone(),
            })
            .collect();
        let transposed = weights
            .iter()
            .zip(&dims)
            .map(|(w, &(din, dout))| transpose(w, dout, din))
            .collect();
        Self {
            weights,
            transposed,
            biases: layers.iter().map(|(_, b)| b.as_slice()).collect(),
            dims,
            input_order,
        }
    }

    /// Puts the first layer's weight gradient (accumulated in the internal input order) back
    /// into the spec's order.
    pub fn restore_input_order(&self, grads: &mut [(Vec<f32>, Vec<f32>)]) {
        if let (Some(order), Some((gw, _))) = (&self.input_order, grads.first_mut()) {
            let internal = gw.clone();
            for (row, irow) in gw
                .chunks_exact_mut(order.len())
                .zip(internal.chunks_exact(order.len()))
            {
                for (&j, &v) in order.iter().zip(irow) {
                    row[j] = v;
                }
            }
        }
    }

    /// Runs `n` rows of `input` (`[n, in0]`) through the MLP. The ReLU outputs of all layers but
    /// the last go to `hidden` (reusing its buffers); the last layer's output goes to `out`.
    #[inline(always)]
    pub fn forward(&self, n: usize, input: &[f32], hidden: &mut Vec<Vec<f32>>, out: &mut Vec<f32>) {
        let l = self.weights.len();
        hidden.resize_with(l - 1, Vec::new);
        for (i, (b, &(din, dout))) in self.biases.iter().zip(&self.dims).enumerate() {
            let (done, rest) = hidden.split_at_mut(i);
            let x: &[f32] = if i == 0 { input } else { &done[i - 1] };
            let y = if i + 1 == l { &mut *out } else { &mut rest[0] };
            y.resize(n * dout, 0.0);
            product(
                n,
                din,
                dout,
                View::rows(x, din),
                View::rows(&self.transposed[i], dout),
                Start::Bias(b),
                Finish::relu_if(i + 1 < l),
                y,
            );
        }
    }

    /// Backward through the MLP for `n` rows: `dout` (`[n, U]`) is the gradient of the last
    /// layer's output. Accumulates into `grads` and writes the gradient of `input` to `dinput`,
    /// zeroed where `input_gate` (`[n, in0]`, if any) is `<= 0`: the derivative of a ReLU that
    /// produced the input. `dhidden` holds the hidden layers' gradients, one buffer per layer
    /// kept between calls (so that a buffer is only zero-filled where it grows).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn backward(
        &self,
        n: usize,
        input: &[f32],
        hidden: &[Vec<f32>],
        dout: &[f32],
        dhidden: &mut Vec<Vec<f32>>,
        grads: &mut [(Vec<f32>, Vec<f32>)],
        dinput: &mut Vec<f32>,
        input_gate: Option<&[f32]>,
    ) {
        let l = self.weights.len();
        dhidden.resize_with(l - 1, Vec::new);
        for i in (0..l).rev() {
            let (din, dout_w) = self.dims[i];
            let x: &[f32] = if i == 0 { input } else { &hidden[i - 1] };
            // The gradient of this layer's output, and where that of its input goes.
            let (below, this) = dhidden.split_at_mut(i.min(l - 1));
            let dy: &[f32] = if i + 1 == l { dout } else { &this[0] };
            let target = if i == 0 {
                &mut *dinput
            } else {
                &mut below[i - 1]
            };
            let (gw, gb) = &mut grads[i];
            // dW += dYᵀ · X, db += Σ dY.
            product(
                dout_w,
                n,
                din,
                View::rows_t(dy, dout_w),
                View::rows(x, din),
                Start::Keep,
                Finish::None,
                gw,
            );
            add_col_sums(dy, dout_w, gb);
            // dX = dY · W, through the derivative of the ReLU that made X, taken from the
            // stored activation (relu(z) > 0 iff z > 0) as the product stores it.
            target.resize(n * din, 0.0);
            let gate = if i == 0 { input_gate } else { Some(x) };
            product(
                n,
                dout_w,
                din,
                View::rows(dy, dout_w),
                View::rows(&self.weights[i], din),
                Start::Zero,
                gate.map_or(Finish::None, Finish::Gate),
                target,
            );
        }
    }
}
