//! An exact, sparse CPU engine for training Neural Cellular Automata: forward rollout over `T`
//! ticks and backpropagation through time, with hand-written gradients and no tensor library.
//!
//! # The model
//!
//! A state `x` is `[B, C, H, W]` (`f32`, channel-major, as in PyTorch or Burn). Each tick:
//!
//! 1. *Perception*: a 3x3 neighbourhood operator with zero padding, either fixed depthwise
//!    filters ([`Perception::Fixed`], e.g. identity + Sobel) or a learned convolution
//!    ([`Perception::Learned`]), optionally followed by ReLU.
//! 2. *Update*: a per-cell MLP (ReLU between layers) gives `dx` for the
//!    [`NcaSpec::update_channels`].
//! 3. *Residual, fire and alive masks*:
//!    - [`AliveRule::Static`]: `x[u] += (dx[u] + noise[u]) * fire * alive`, with `alive`
//!      thresholded once on the initial state;
//!    - [`AliveRule::MaxPool`]: `x' = x + (dx + noise) * fire`, then
//!      `x = x' * (pre ∧ post)` where `pre` / `post` are the 3x3 max-pool of the alive channel
//!      before / after the update, thresholded.
//!
//! Fire masks and noise are inputs ([`TickMasks`]), so a run is reproducible and can be
//! compared exactly with another implementation fed the same masks.
//!
//! # The method: compute only where it matters
//!
//! Perception and MLP are evaluated only at the *active* cells of a tick, whose update can
//! change the result:
//!
//! - Static rule: `fire ∧ alive`. Every other cell adds exactly zero.
//! - Max-pool rule: `fire ∧ dilate3x3(pre)`. A cell with `pre` false is zeroed whatever its
//!   update, and a surviving cell `p` reads `x'` only at its 3x3 neighbours (for `post`), which
//!   lie in `dilate(pre)`. A firing cell outside `dilate(pre)` therefore never influences the
//!   new state, so skipping it is exact.
//!
//! For the active cells the engine gathers rows (a cell's channels are contiguous internally,
//! NHWC): im2col rows of `9C` values for learned perception, or the `C*K` filter responses for
//! fixed perception (kept filter-major internally). The MLP then runs as dense products on
//! these `[n, width]` blocks and the updates are scattered back. The products use an AVX-512
//! or AVX2 + FMA micro-kernel when the CPU has one (chosen at run time, bias and ReLU fused into
//! its stores) and `matrixmultiply::sgemm` otherwise; the per-item loops are compiled for AVX2
//! and baseline. `NCA_FAST_KERNEL=avx2` or `portable` forces the narrower paths. Nothing is approximated: the result
//! equals the dense computation up to floating-point summation order.
//!
//! Backward replays the tape in reverse (BPTT). Per tick the tape keeps only the active cell
//! list (less the cells that died that tick, which pass no gradient), the gathered perception
//! input (learned only), the perception output and hidden activations of the active rows, and
//! (max-pool rule) the survival mask. The gradient flows
//! through the survival mask (a constant, as a comparison is in autodiff frameworks), the
//! identity path of the residual update, the MLP (`dW = dYᵀ·X`, `db = Σ dY`, `dX = dY·W`, ReLU
//! derivative) and perception (`dW`, `db` when learned), and is scatter-added into the
//! neighbouring cells' state gradient, respecting the zero padding. Gradients w.r.t. the initial
//! state come out too. A training loop can hand the previous step's tape to
//! [`rollout_reusing`] so that its buffers are recorded into instead of freshly allocated.
//!
//! Batch items are independent: with the default `parallel` feature they run on rayon's
//! pool (largest first), each with its own gradient accumulators, reduced at the end. An
//! inference rollout of a single item splits each tick's rows with a helper thread instead,
//! which spin-waits between ticks for the rollout's length. Without the feature everything is
//! single-threaded and free of OS APIs (for wasm32).
//!
//! The same crate holds the digit refiner's engine ([`stack_train_step`], [`stack_images`]): a
//! dense stack of images whose convolutions run as products of spectra (see the `stack` module).
//!
//! # Example
//!
//! ```
//! use nca_fast::*;
//!
//! let spec = NcaSpec {
//!     channels: 4,
//!     perception: Perception::Learned { out: 6 },
//!     perception_relu: true,
//!     hidden: vec![8, 3],
//!     update_channels: 1..4,
//!     alive: AliveRule::Static { channel: 0, threshold: 0.1 },
//! };
//! let mut params = NcaParams::zeros(&spec);
//! params.layers[1].1.fill(0.5); // last bias: alive firing cells grow by 0.5
//! let (b, h, w) = (1, 5, 5);
//! let mut x0 = vec![0.0; b * 4 * h * w];
//! x0[12] = 1.0; // channel 0, centre cell: alive
//! let ticks = vec![TickMasks { fire: vec![1; b * h * w], noise: None }; 2];
//! let out = rollout(&spec, &params, &x0, [b, h, w], &ticks, true).unwrap();
//! assert_eq!(out.final_state[25 + 12], 1.0); // channel 1, centre: two updates
//! let d_final = vec![1.0; x0.len()];
//! let (grads, dx0) = backward(&spec, &params, out.tape.as_ref().unwrap(), &d_final).unwrap();
//! assert_eq!(grads.layers[1].1, vec![2.0; 3]); // one cell, two ticks
//! assert_eq!(dx0.len(), x0.len());
//! ```

#![warn(missing_docs)]

/// Defines an error type that is a one-line message: `pub struct $name(pub String)`, shown as
/// the message, with `Clone`, `Debug`, `PartialEq`, `Eq` and [`std::error::Error`]. The
/// attributes given before the name (its doc comment) go on the struct. Used for
/// [`ShapeError`] here and for `nca_models::ModelError`.
#[macro_export]
macro_rules! message_error {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(pub String);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::error::Error for $name {}
    };
}

mod backward;
mod engine;
mod forward;
mod gemm;
mod layout;
mod masks;
mod mlp;
mod par;
mod perceive;
mod simd;
mod spec;
mod spectrum;
mod stack;
mod team;

pub use backward::backward;
pub use forward::{Rollout, Tape, rollout, rollout_reusing};
pub use spec::{AliveRule, NcaGrads, NcaParams, NcaSpec, Perception, ShapeError, TickMasks};
pub use stack::{
    StackBlock, StackLoss, StackParams, StackSpec, StackStep, stack_images, stack_train_step,
};
