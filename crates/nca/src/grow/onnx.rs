//! One tick of the growing NCA as an ONNX graph. Inputs: `state` `[B, C, H, W]` and this
//! tick's `fire` mask `[B, 1, H, W]` (0/1); output `next_state`. As [`crate::ca::Nca::tick`]:
//! perception (depthwise fixed filters or a learned 3x3), per-cell MLP, `x = s + Δ · fire`, and
//! cells not alive (3x3 max-pool of alpha above the threshold) both before and after are
//! cleared.

use super::model::GrowConfig;
use crate::ca::Nca;
use crate::error::Result;
use crate::onnx::{ConvWeights, GraphBuilder, state_dims, tick_graph};

/// Alpha is channel 3.
const ALPHA: i64 = 3;

fn alive(g: &mut GraphBuilder, x: &str, threshold: f32, name: &str) -> String {
    let alpha = g.slice(x, 1, ALPHA, ALPHA + 1, &format!("{name}.alpha"));
    let pooled = g.max_pool3(&alpha, &format!("{name}.pooled"));
    g.greater_mask(&pooled, threshold, name)
}

/// The tick graph of `model` as a serialised ONNX model (opset 17).
pub fn export(model: &Nca, cfg: &GrowConfig) -> Result<Vec<u8>> {
    let c = cfg.channels;
    let config = serde_json::to_value(cfg).expect("config serialises");
    let (mut g, state) = tick_graph(super::FAMILY, c, &config);
    let fire = g.input("fire", state_dims(1));

    let pre = alive(&mut g, &state, cfg.alive_threshold, "alive_before");
    let seen = match &model.perception {
        Some(conv) => g.conv(&state, "perception", &ConvWeights::of(conv), 1),
        None => {
            let device = burn::tensor::Device::flex();
            let w = model.fixed.weight(&device);
            let dims = w.dims().iter().map(|&d| d as i64).collect();
            let weights = ConvWeights {
                dims,
                weight: w
                    .into_data()
                    .convert::<f32>()
                    .try_to_vec::<f32>()
                    .expect("f32"),
                bias: vec![0.0; model.fixed.out_channels()],
            };
            g.conv(&state, "perception", &weights, c as i64)
        }
    };
    let layers: Vec<ConvWeights> = model.update.layers.iter().map(ConvWeights::of).collect();
    let delta = g.mlp(&seen, "update", &layers);
    let step = g.binary("Mul", &delta, &fire, "masked_delta");
    let x = g.binary("Add", &state, &step, "updated");
    let post = alive(&mut g, &x, cfg.alive_threshold, "alive_after");
    let both = g.binary("Mul", &pre, &post, "alive");
    let next = g.binary("Mul", &x, &both, "next");
    g.output(&next, "next_state", state_dims(c));
    g.encode()
}
