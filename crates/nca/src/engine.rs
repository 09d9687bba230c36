//! The bridge between Burn models and the exact sparse CPU engine (`nca-fast`): it reads a
//! model's weights into the engine's plain arrays and hands the engine's parameter gradients
//! back to Burn as [`GradientsParams`], so Burn's optimiser, checkpoints and trainer stay as they
//! are. The engine computes the same function as the Burn path (see the equality tests).

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::error::{NcaError, Result};
use crate::update::CellMlp;

pub use nca_fast::{AliveRule, NcaParams, NcaSpec, Perception, TickMasks};

/// Which implementation computes a training step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// `nca-fast`'s exact CPU engine (default on CPU): sparse NCA kernels for the cellular
    /// families, FFT convolutions for the refiner.
    #[default]
    #[serde(alias = "sparse")]
    #[cfg_attr(feature = "clap", value(alias = "sparse"))]
    Fast,
    /// Plain Burn tensors and autodiff (any backend).
    Burn,
}

impl Engine {
    /// The engine's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fast => "fast",
            Self::Burn => "burn",
        }
    }
}

/// Picks the engine for a backend: the fast engine runs on the CPU only, so any other backend
/// uses Burn. An explicit choice of `fast` on a non-CPU backend is an error.
pub fn engine_for(requested: Option<Engine>, backend: &str) -> Result<Engine> {
    let cpu = backend == "flex" || backend == "ndarray";
    match requested {
        Some(Engine::Fast) if !cpu => Err(NcaError::config(
            "--engine",
            format!("the fast engine runs on the CPU only, not on {backend}"),
        )),
        Some(e) => Ok(e),
        None if cpu => Ok(Engine::Fast),
        None => Ok(Engine::Burn),
    }
}

fn values<const D: usize>(t: &Tensor<D>) -> Vec<f32> {
    t.clone()
        .into_data()
        .convert::<f32>()
        .try_to_vec()
        .expect("f32 data")
}

/// A conv's weights and biases (zeros when it has none) as plain row-major arrays.
pub(crate) fn conv_params(conv: &Conv2d) -> (Vec<f32>, Vec<f32>) {
    let w = values(&conv.weight.val());
    let b = match &conv.bias {
        Some(b) => values(&b.val()),
        None => vec![0.0; conv.weight.val().dims()[0]],
    };
    (w, b)
}

/// The engine's parameters from a Burn perception conv (if learned) and MLP. 1x1 conv weights
/// `[out, in, 1, 1]` are already the engine's row-major `[out, in]`.
pub fn params_from(perception: Option<&Conv2d>, mlp: &CellMlp) -> NcaParams {
    NcaParams {
        perception: perception.map(conv_params),
        layers: mlp.layers.iter().map(conv_params).collect(),
    }
}

fn register<const D: usize>(
    grads: &mut GradientsParams,
    param: &Param<Tensor<D>>,
    values: Vec<f32>,
    device: &Device,
) {
    let dims = param.val().dims();
    let t = Tensor::<D>::from_data(TensorData::new(values, dims), device);
    grads.register(param.id, t);
}

/// Registers a conv's weight and bias gradients `(w, b)` in `grads`.
pub(crate) fn register_conv(
    grads: &mut GradientsParams,
    conv: &Conv2d,
    (w, b): (Vec<f32>, Vec<f32>),
    device: &Device,
) {
    register(grads, &conv.weight, w, device);
    if let Some(bias) = &conv.bias {
        register(grads, bias, b, device);
    }
}

/// The engine's gradients as Burn [`GradientsParams`] for the same perception conv and MLP.
pub fn grads_to_burn(
    g: nca_fast::NcaGrads,
    perception: Option<&Conv2d>,
    mlp: &CellMlp,
) -> GradientsParams {
    let device = mlp.layers[0].weight.val().device().inner();
    let mut grads = GradientsParams::new();
    if let (Some(conv), Some(pg)) = (perception, g.perception) {
        register_conv(&mut grads, conv, pg, &device);
    }
    for (layer, lg) in mlp.layers.iter().zip(g.layers) {
        register_conv(&mut grads, layer, lg, &device);
    }
    grads
}

/// Converts an engine error into the library's.
pub fn engine_err(e: nca_fast::ShapeError) -> NcaError {
    NcaError::config("fast engine", e.to_string())
}
