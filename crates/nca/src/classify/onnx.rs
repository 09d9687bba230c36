//! One tick of the self-classifier as an ONNX graph. Inputs: `state` `[B, C, H, W]`, this
//! tick's `fire` mask `[B, 1, H, W]` (0/1) and residual `noise` `[B, C-1, H, W]` (zeros for
//! the noiseless evaluation); output `next_state`. As [`crate::ca::Nca::tick`]: a cell is alive
//! where its pixel exceeds the threshold; the pixel channel is kept and the others get
//! `(delta + noise) · fire · alive`.

use super::model::ClassifyConfig;
use crate::ca::Nca;
use crate::error::Result;
use crate::onnx::{ConvWeights, Dim, state_dims, tick_graph};

/// The tick graph of `model` as a serialised ONNX model (opset 17).
pub fn export(model: &Nca, cfg: &ClassifyConfig) -> Result<Vec<u8>> {
    let c = cfg.channels;
    let config = serde_json::to_value(cfg).expect("config serialises");
    let (mut g, state) = tick_graph(super::FAMILY, c, &config);
    let fire = g.input("fire", state_dims(1));
    let mut noise_dims = state_dims(c - 1);
    noise_dims[1] = Dim::Fixed(c as i64 - 1);
    let noise = g.input("noise", noise_dims);

    let perception = model.perception.as_ref().ok_or_else(|| {
        crate::error::NcaError::config("model", "a classifier has a learned perception")
    })?;
    let seen = g.conv(&state, "perception", &ConvWeights::of(perception), 1);
    let seen = g.unary("Relu", &seen);
    let layers: Vec<ConvWeights> = model.update.layers.iter().map(ConvWeights::of).collect();
    let delta = g.mlp(&seen, "update", &layers);

    let pixel = g.slice(&state, 1, 0, 1, "pixel");
    let rest = g.slice(&state, 1, 1, i64::MAX, "hidden_and_votes");
    let alive = g.greater_mask(&pixel, cfg.alive_threshold, "alive");
    let noisy = g.binary("Add", &delta, &noise, "noisy_delta");
    let gate = g.binary("Mul", &fire, &alive, "gate");
    let step = g.binary("Mul", &noisy, &gate, "masked_delta");
    let rest = g.binary("Add", &rest, &step, "updated");
    let next = g.concat(&[pixel, rest], 1, "next");
    g.output(&next, "next_state", state_dims(c));
    g.encode()
}
