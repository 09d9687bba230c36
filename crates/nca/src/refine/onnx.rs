//! Export to ONNX in the original's layout, so the browser demo and any ONNX runtime can run a
//! model trained here: opset 17, one input `x` `[B, 1, H, W]` with a dynamic batch, and one
//! output per step, `out00` .. `out49`, each `[B, 1, H, W]`. Step `t` is unrolled as
//! `Concat(x, out00, .., out{t-1})` → `Conv` k×k → `Relu` → `Conv` 1x1 → `Sigmoid`. The
//! templates are not part of the graph. The graph is built with the shared
//! exporter, [`crate::onnx`].

use super::model::RefineNca;
use crate::error::Result;
use crate::onnx::{ConvWeights, Dim, GraphBuilder};

pub use crate::onnx::{IR_VERSION, OPSET};

/// The name of the input.
pub const INPUT: &str = "x";

/// The name of step `t`'s output (0-based), as the original names them: `out00`, `out01`, ...
pub fn output_name(t: usize) -> String {
    format!("out{t:02}")
}

/// The model as a serialised ONNX `ModelProto`, for `side`×`side` images.
pub fn export(model: &RefineNca, side: usize) -> Result<Vec<u8>> {
    let s = side as i64;
    let image = || {
        vec![
            Dim::Named("batch"),
            Dim::Fixed(1),
            Dim::Fixed(s),
            Dim::Fixed(s),
        ]
    };
    let mut g = GraphBuilder::new("nca_refine", "nca digit refiner: one output image per step");
    g.metadata("nca.family", super::FAMILY);
    let x = g.input(INPUT, image());
    let mut outs: Vec<String> = Vec::new();
    for (t, block) in model.blocks.iter().enumerate() {
        let p = format!("blocks.{t}");
        let input = if t == 0 {
            x.clone()
        } else {
            let stack: Vec<String> = std::iter::once(x.clone()).chain(outs.clone()).collect();
            g.concat(&stack, 1, &format!("stack{t:02}"))
        };
        let h = g.conv(
            &input,
            &format!("{p}.conv"),
            &ConvWeights::of(&block.conv),
            1,
        );
        let h = g.unary("Relu", &h);
        let logit = g.conv(&h, &format!("{p}.out"), &ConvWeights::of(&block.out), 1);
        let name = output_name(t);
        let y = g.unary_into("Sigmoid", &logit, &name);
        g.output(&y, &name, image());
        outs.push(name);
    }
    g.encode()
}
