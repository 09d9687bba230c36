//! The bridge to `nca-fast`'s spectral refiner engine: the model's weights in the engine's
//! layout, the loss in its terms, and its gradients back as Burn [`GradientsParams`] (so the
//! trainer's Adam and checkpoints are unchanged). The engine computes the same function as
//! [`RefineNca::forward`](super::RefineNca::forward) and [`loss_terms`](super::task::loss_terms)
//! with the convolutions done as products of spectra (see `nca_fast::stack_train_step`);
//! `tests/refine.rs` checks the two agree on loss, images and every gradient.

use burn::module::Param;
use burn::optim::GradientsParams;
use burn::tensor::{Tensor, TensorData};
use nca_fast::{StackBlock, StackLoss, StackParams, StackSpec};

use super::model::{RefineConfig, RefineNca};
use crate::error::{NcaError, Result};

/// The engine's description of a refiner for `side`×`side` digits.
pub fn stack_spec(cfg: &RefineConfig, side: usize) -> StackSpec {
    StackSpec {
        blocks: cfg.blocks,
        width: cfg.width,
        kernel: cfg.kernel,
        side,
    }
}

/// The original's loss in the engine's terms.
pub fn stack_loss(cfg: &RefineConfig) -> StackLoss {
    StackLoss {
        target_steps: cfg.target_steps(),
        smooth_weight: cfg.smooth_weight,
    }
}

fn values<const D: usize>(p: &Param<Tensor<D>>) -> Result<Vec<f32>> {
    p.val()
        .into_data()
        .convert::<f32>()
        .try_to_vec()
        .map_err(|e| NcaError::config("weights", format!("{e:?}")))
}

fn bias(p: &Option<Param<Tensor<1>>>, n: usize) -> Result<Vec<f32>> {
    p.as_ref().map_or(Ok(vec![0.0; n]), values)
}

/// The model's weights in the engine's layout (the 1x1 conv `[1, w, 1, 1]` becomes `[w]`).
pub fn stack_params(model: &RefineNca) -> Result<StackParams> {
    let blocks = model
        .blocks
        .iter()
        .map(|b| {
            let w = b.conv.weight.val().dims()[0];
            Ok(StackBlock {
                conv_w: values(&b.conv.weight)?,
                conv_b: bias(&b.conv.bias, w)?,
                out_w: values(&b.out.weight)?,
                out_b: bias(&b.out.bias, 1)?[0],
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(StackParams { blocks })
}

fn register<const D: usize>(grads: &mut GradientsParams, param: &Param<Tensor<D>>, v: Vec<f32>) {
    let value = param.val();
    let t = Tensor::<D>::from_data(TensorData::new(v, value.dims()), &value.device().inner());
    grads.register(param.id, t);
}

/// The engine's gradients as Burn gradients of `model`'s parameters (none for the templates).
pub fn grads_to_burn(grads: StackParams, model: &RefineNca) -> GradientsParams {
    let mut out = GradientsParams::new();
    for (g, b) in grads.blocks.into_iter().zip(&model.blocks) {
        register(&mut out, &b.conv.weight, g.conv_w);
        if let Some(p) = &b.conv.bias {
            register(&mut out, p, g.conv_b);
        }
        register(&mut out, &b.out.weight, g.out_w);
        if let Some(p) = &b.out.bias {
            register(&mut out, p, vec![g.out_b]);
        }
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
    let params = stack_params(model)?;
    nca_fast::stack_images(&stack_spec(&cfg, side), &params, pixels, b)
        .map_err(crate::sparse::engine_err)
}
