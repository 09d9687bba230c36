//! One transition of the attention NCA as an ONNX graph: input `state` `[B, C, H, W]`, output
//! `next_state = s + f(s)`, as [`AttentionNca::forward`] (the model is deterministic, so there
//! are no random inputs). Keys and values are zero-padded; neighbours beyond the border get the
//! score −1e9, computed in the graph from a padded map of ones so any grid size works.

use super::model::{AttentionConfig, AttentionNca, NEIGHBOURS, OFFSETS};
use crate::error::Result;
use crate::onnx::{ConvWeights, GraphBuilder, state_dims, tick_graph};

/// The score of a neighbour beyond the border (as the model's border mask).
const MASKED: f32 = 1e9;

/// The `(dy, dx)` window of a tensor padded by one cell: rows `1+dy .. 1+dy+H`.
fn window(g: &mut GraphBuilder, padded: &str, (dy, dx): (isize, isize), name: &str) -> String {
    let bounds = |d: isize| {
        let start = 1 + d as i64;
        let end = if d < 1 { -(1 - d as i64) } else { i64::MAX };
        (start, end)
    };
    let (ys, ye) = bounds(dy);
    let (xs, xe) = bounds(dx);
    let rows = g.slice(padded, 2, ys, ye, &format!("{name}.rows"));
    g.slice(&rows, 3, xs, xe, name)
}

fn values<const D: usize>(t: burn::tensor::Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("f32")
}

/// The transition graph of `model` as a serialised ONNX model (opset 17).
pub fn export(model: &AttentionNca, cfg: &AttentionConfig) -> Result<Vec<u8>> {
    let (c, d) = (cfg.channels(), model.width());
    let config = serde_json::to_value(cfg).expect("config serialises");
    let (mut g, state) = tick_graph(super::FAMILY, c, &config);

    let q = g.conv(&state, "query", &ConvWeights::of(&model.query), 1);
    let k = g.conv(&state, "key", &ConvWeights::of(&model.key), 1);
    let v = g.conv(&state, "value", &ConvWeights::of(&model.value), 1);
    let k = g.pad1(&k, "key.padded");
    let v = g.pad1(&v, "value.padded");
    // 1 inside the grid, 0 in the padding.
    let first = g.slice(&state, 1, 0, 1, "first_channel");
    let zero = g.scale(&first, 0.0, "zeros");
    let one = g.scalar("one", 1.0);
    let ones = g.binary("Add", &zero, &one, "ones");
    let inside = g.pad1(&ones, "inside.padded");

    let position = model.position.as_ref().map(|p| values(p.val()));
    let bias = model.offset_bias.as_ref().map(|b| values(b.val()));
    let mut scores = Vec::with_capacity(NEIGHBOURS);
    for (o, &off) in OFFSETS.iter().enumerate() {
        let mut key = window(&mut g, &k, off, &format!("key.{o}"));
        if let Some(p) = &position {
            let e = g.constant(
                &format!("position.{o}"),
                vec![1, d as i64, 1, 1],
                p[o * d..(o + 1) * d].to_vec(),
            );
            key = g.binary("Add", &key, &e, &format!("key.{o}.positioned"));
        }
        let qk = g.binary("Mul", &q, &key, &format!("qk.{o}"));
        let dot = g.reduce_sum(&qk, 1, &format!("dot.{o}"));
        let mut s = g.scale(&dot, 1.0 / (d as f32).sqrt(), &format!("score.{o}"));
        // (inside - 1) · 1e9: 0 inside, −1e9 beyond the border.
        let ins = window(&mut g, &inside, off, &format!("inside.{o}"));
        let outside = g.binary("Sub", &ins, &one, &format!("outside.{o}"));
        let penalty = g.scale(&outside, MASKED, &format!("penalty.{o}"));
        s = g.binary("Add", &s, &penalty, &format!("score.{o}.masked"));
        if let Some(b) = &bias {
            let bo = g.scalar(&format!("offset_bias.{o}"), b[o]);
            s = g.binary("Add", &s, &bo, &format!("score.{o}.biased"));
        }
        scores.push(s);
    }
    let scores = g.concat(&scores, 1, "scores");
    let weights = g.softmax(&scores, 1, "weights");
    let mut mixed: Option<String> = None;
    for (o, &off) in OFFSETS.iter().enumerate() {
        let w = g.slice(&weights, 1, o as i64, o as i64 + 1, &format!("weight.{o}"));
        let val = window(&mut g, &v, off, &format!("value.{o}"));
        let term = g.binary("Mul", &val, &w, &format!("term.{o}"));
        mixed = Some(match mixed {
            Some(m) => g.binary("Add", &m, &term, &format!("mixed.{o}")),
            None => term,
        });
    }
    let mixed = mixed.expect("nine neighbours");
    let update = g.conv(&mixed, "out", &ConvWeights::of(&model.out), 1);
    let next = g.binary("Add", &state, &update, "next");
    g.output(&next, "next_state", state_dims(c));
    g.encode()
}
