//! Export to ONNX in the original's layout, so the browser demo and any ONNX runtime can run a
//! model trained here: opset 17, one input `x` `[B, 1, H, W]` with a dynamic batch, and one
//! output per step, `out00` .. `out49`, each `[B, 1, H, W]`. Step `t` is unrolled as
//! `Concat(x, out00, .., out{t-2})` → `Conv` k×k → `Relu` → `Conv` 1x1 → `Sigmoid`. The
//! templates are not part of the graph. The messages and their protobuf encoding come from the
//! `onnx-rs` crate.

use onnx_rs::ast::{
    Attribute, AttributeType, DataType, Dimension, Graph, Model, Node, OpType, OperatorSetId,
    TensorProto, TensorShape, TensorShapeDimension, TensorTypeProto, TypeProto, TypeValue,
    ValueInfo,
};

use super::model::RefineNca;
use crate::error::{NcaError, Result};

/// The ONNX operator set the graph uses (the original's export setting).
pub const OPSET: i64 = 17;
/// The ONNX IR version that goes with opset 17.
pub const IR_VERSION: i64 = 8;
/// The name of the input.
pub const INPUT: &str = "x";
/// The name of the dynamic batch dimension.
const BATCH: &str = "batch";

/// The name of step `t`'s output (0-based), as the original names them: `out00`, `out01`, ...
pub fn output_name(t: usize) -> String {
    format!("out{t:02}")
}

/// The weights of one convolution: shape `[out, in, k, k]`, weight and bias values.
struct ConvWeights {
    dims: Vec<i64>,
    weight: Vec<f32>,
    bias: Vec<f32>,
}

fn conv_weights(conv: &burn::nn::conv::Conv2d) -> Result<ConvWeights> {
    let err = |e| NcaError::config("weights", format!("{e:?}"));
    let w = conv.weight.val();
    let dims = w.dims().iter().map(|&d| d as i64).collect();
    let bias = conv
        .bias
        .as_ref()
        .ok_or_else(|| NcaError::config("weights", "a convolution has no bias"))?;
    Ok(ConvWeights {
        dims,
        weight: w.into_data().try_to_vec::<f32>().map_err(err)?,
        bias: bias.val().into_data().try_to_vec::<f32>().map_err(err)?,
    })
}

/// Every name one step's nodes and values need (owned here; the graph borrows them).
struct StepNames {
    stack: String,
    conv_w: String,
    conv_b: String,
    hidden: String,
    relu: String,
    out_w: String,
    out_b: String,
    logit: String,
    out: String,
    nodes: [String; 5],
}

impl StepNames {
    fn new(t: usize) -> Self {
        let p = format!("blocks.{t}");
        Self {
            stack: format!("stack{t:02}"),
            conv_w: format!("{p}.conv.weight"),
            conv_b: format!("{p}.conv.bias"),
            hidden: format!("hidden{t:02}"),
            relu: format!("relu{t:02}"),
            out_w: format!("{p}.out.weight"),
            out_b: format!("{p}.out.bias"),
            logit: format!("logit{t:02}"),
            out: output_name(t),
            nodes: ["concat", "conv", "relu", "out", "sigmoid"].map(|n| format!("{p}.{n}")),
        }
    }
}

fn ints<'a>(name: &'a str, v: &[i64]) -> Attribute<'a> {
    Attribute {
        name,
        r#type: AttributeType::Ints,
        ints: v.to_vec(),
        ..Default::default()
    }
}

fn int(name: &str, v: i64) -> Attribute<'_> {
    Attribute {
        name,
        r#type: AttributeType::Int,
        i: v,
        ..Default::default()
    }
}

fn node<'a>(
    op: OpType<'a>,
    name: &'a str,
    input: Vec<&'a str>,
    output: &'a str,
    attribute: Vec<Attribute<'a>>,
) -> Node<'a> {
    Node {
        op_type: op,
        name,
        input,
        output: vec![output],
        attribute,
        ..Default::default()
    }
}

fn conv_attrs(k: i64) -> Vec<Attribute<'static>> {
    let p = k / 2;
    vec![
        ints("kernel_shape", &[k, k]),
        ints("pads", &[p, p, p, p]),
        ints("strides", &[1, 1]),
        ints("dilations", &[1, 1]),
        int("group", 1),
    ]
}

/// A `[batch, 1, side, side]` f32 value description.
fn image_value(name: &str, side: usize) -> ValueInfo<'_> {
    let dim = |value| TensorShapeDimension {
        value,
        denotation: "",
    };
    let s = side as i64;
    let shape = TensorShape {
        dim: vec![
            dim(Dimension::Param(BATCH)),
            dim(Dimension::Value(1)),
            dim(Dimension::Value(s)),
            dim(Dimension::Value(s)),
        ],
    };
    ValueInfo {
        name,
        r#type: Some(TypeProto {
            value: Some(TypeValue::Tensor(TensorTypeProto {
                elem_type: DataType::Float,
                shape: Some(shape),
            })),
            denotation: "",
        }),
        ..Default::default()
    }
}

/// The model as a serialised ONNX `ModelProto`, for `side`×`side` images.
pub fn export(model: &RefineNca, side: usize) -> Result<Vec<u8>> {
    let steps = model.blocks.len();
    let names: Vec<StepNames> = (0..steps).map(StepNames::new).collect();
    let weights = model
        .blocks
        .iter()
        .map(|b| Ok((conv_weights(&b.conv)?, conv_weights(&b.out)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut graph = Graph {
        name: "nca_refine",
        input: vec![image_value(INPUT, side)],
        ..Default::default()
    };
    for (t, (n, (conv, out))) in names.iter().zip(&weights).enumerate() {
        let input = if t == 0 {
            INPUT
        } else {
            let inputs = std::iter::once(INPUT)
                .chain(names[..t].iter().map(|m| m.out.as_str()))
                .collect();
            graph.node.push(node(
                OpType::Concat,
                &n.nodes[0],
                inputs,
                &n.stack,
                vec![int("axis", 1)],
            ));
            n.stack.as_str()
        };
        for (wn, bn, w) in [(&n.conv_w, &n.conv_b, conv), (&n.out_w, &n.out_b, out)] {
            graph
                .initializer
                .push(TensorProto::from_f32(wn, w.dims.clone(), w.weight.clone()));
            let bias_dims = vec![w.bias.len() as i64];
            graph
                .initializer
                .push(TensorProto::from_f32(bn, bias_dims, w.bias.clone()));
        }
        let conv_in = vec![input, n.conv_w.as_str(), n.conv_b.as_str()];
        let out_in = vec![n.relu.as_str(), n.out_w.as_str(), n.out_b.as_str()];
        graph.node.extend([
            node(
                OpType::Conv,
                &n.nodes[1],
                conv_in,
                &n.hidden,
                conv_attrs(conv.dims[2]),
            ),
            node(OpType::Relu, &n.nodes[2], vec![&n.hidden], &n.relu, vec![]),
            node(
                OpType::Conv,
                &n.nodes[3],
                out_in,
                &n.logit,
                conv_attrs(out.dims[2]),
            ),
            node(OpType::Sigmoid, &n.nodes[4], vec![&n.logit], &n.out, vec![]),
        ]);
        graph.output.push(image_value(&n.out, side));
    }
    let model = Model {
        ir_version: IR_VERSION,
        opset_import: vec![OperatorSetId {
            domain: "",
            version: OPSET,
        }],
        producer_name: "nca",
        producer_version: env!("CARGO_PKG_VERSION"),
        doc_string: "nca digit refiner: one output image per step",
        graph: Some(graph),
        ..Default::default()
    };
    Ok(onnx_rs::encode(&model))
}
