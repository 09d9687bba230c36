//! The bridge to `nca-fast`'s spectral refiner engine: the model's weights in the engine's
//! layout, the loss in its terms, and its gradients back as Burn [`GradientsParams`] (so the
//! trainer's Adam and checkpoints are unchanged). The engine computes the same function as
//! [`RefineNca::forward`](super::RefineNca::forward) and [`loss_terms`](super::task::loss_terms)
//! with the convolutions done as products of spectra (see `nca_fast::stack_train_step`);
//! `tests/refine.rs` checks the two agree on loss, images and every gradient.

use burn::optim::GradientsParams;
use nca_fast::{StackBlock, StackLoss, StackParams};

use super::model::{RefineConfig, RefineNca};
use crate::engine::{conv_params, register_conv};
use crate::error::Result;

// The engine's description of a refiner for `side`×`side` digits, shared with the playground.
pub use nca_models::refine::stack_spec;

/// The original's loss in the engine's terms.
pub fn stack_loss(cfg: &RefineConfig) -> StackLoss {
    StackLoss {
        target_steps: cfg.target_steps(),
        smooth_weight: cfg.smooth_weight,
    }
}

/// The model's weights in the engine's layout (the 1x1 conv `[1, w, 1, 1]` becomes `[w]`).
pub fn stack_params(model: &RefineNca) -> StackParams {
    let blocks = model
        .blocks
        .iter()
        .map(|b| {
            let ((conv_w, conv_b), (out_w, out_b)) = (conv_params(&b.conv), conv_params(&b.out));
            StackBlock {
                conv_w,
                conv_b,
                out_w,
                out_b: out_b[0],
            }
        })
        .collect();
    StackParams { blocks }
}

/// The engine's gradients as Burn gradients of `model`'s parameters (none for the templates).
pub fn grads_to_burn(grads: StackParams, model: &RefineNca) -> GradientsParams {
    let device = model.templates.val().device().inner();
    let mut out = GradientsParams::new();
    for (g, b) in grads.blocks.into_iter().zip(&model.blocks) {
        register_conv(&mut out, &b.conv, (g.conv_w, g.conv_b), &device);
        register_conv(&mut out, &b.out, (g.out_w, vec![g.out_b]), &device);
    }
    out
}

/// Every step's images of `b` digits (`[b, side, side]` row-major) on the engine.
pub fn images(model: &RefineNca, pixels: &[f32], b: usize, side: usize) -> Result<Vec<Vec<f32>>> {
    let cfg = RefineConfig {
        blocks: model.blocks.len(),
        width: model.blocks[0].conv.weight.val().dims()[0],
        kernel: model.blocks[0].conv.weight.val().dims()[2],
        ..RefineConfig::default()
    };
    let params = stack_params(model);
    nca_fast::stack_images(&stack_spec(&cfg, side), &params, pixels, b)
        .map_err(crate::engine::engine_err)
}
