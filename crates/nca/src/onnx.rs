//! The one ONNX exporter behind every family: a small graph builder that owns its names and
//! weights, so a family describes its graph in a few lines (`conv`, `relu`, `mul`, ...) and
//! [`GraphBuilder::encode`] turns it into an opset-17 `ModelProto` (the messages and their
//! protobuf encoding come from the `onnx-rs` crate). Each model carries its family and
//! configuration in its metadata (`nca.family`, `nca.config`).

use onnx_rs::ast::{
    Attribute, AttributeType, DataType, Dimension, Graph, Model, Node, OpType, OperatorSetId,
    StringStringEntry, TensorProto, TensorShape, TensorShapeDimension, TensorTypeProto, TypeProto,
    TypeValue, ValueInfo,
};

use crate::error::{NcaError, Result};

/// The ONNX operator set every exported graph uses.
pub const OPSET: i64 = 17;
/// The ONNX IR version that goes with opset 17.
pub const IR_VERSION: i64 = 8;

/// One dimension of a graph input or output.
#[derive(Clone, Debug, PartialEq)]
pub enum Dim {
    /// A named dimension chosen by the caller at run time (`batch`, `height`, ...).
    Named(&'static str),
    /// A fixed size.
    Fixed(i64),
}

#[derive(Clone, Debug)]
enum Attr {
    Int(&'static str, i64),
    Ints(&'static str, Vec<i64>),
}

#[derive(Clone, Debug)]
struct NodeSpec {
    op: &'static str,
    name: String,
    inputs: Vec<String>,
    output: String,
    attrs: Vec<Attr>,
}

enum Init {
    F32(String, Vec<i64>, Vec<f32>),
    I64(String, Vec<i64>, Vec<i64>),
}

/// The weights of one convolution: `[out, in/group, k, k]` weight and `[out]` bias.
#[derive(Clone, Debug)]
pub struct ConvWeights {
    /// Weight shape.
    pub dims: Vec<i64>,
    /// Weight values, row-major.
    pub weight: Vec<f32>,
    /// Bias values (zeros for a convolution without bias).
    pub bias: Vec<f32>,
}

impl ConvWeights {
    /// A Burn convolution's weights (its bias, or zeros when it has none).
    pub fn of(conv: &burn::nn::conv::Conv2d) -> Self {
        let (weight, bias) = crate::engine::conv_params(conv);
        let dims = conv.weight.val().dims().iter().map(|&d| d as i64).collect();
        Self { dims, weight, bias }
    }
}

/// Builds one ONNX graph. Every method that adds a node returns the name of its output.
pub struct GraphBuilder {
    name: String,
    inputs: Vec<(String, Vec<Dim>)>,
    outputs: Vec<(String, Vec<Dim>)>,
    inits: Vec<Init>,
    nodes: Vec<NodeSpec>,
    metadata: Vec<(String, String)>,
    doc: String,
}

impl GraphBuilder {
    /// An empty graph called `name`, described by `doc`.
    pub fn new(name: &str, doc: &str) -> Self {
        Self {
            name: name.into(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            inits: Vec::new(),
            nodes: Vec::new(),
            metadata: Vec::new(),
            doc: doc.into(),
        }
    }

    /// Declares a float input; returns its name.
    pub fn input(&mut self, name: &str, dims: Vec<Dim>) -> String {
        self.inputs.push((name.into(), dims));
        name.into()
    }

    /// Declares `value` a float output called `name` (an `Identity` renames it).
    pub fn output(&mut self, value: &str, name: &str, dims: Vec<Dim>) {
        if value != name {
            self.push("Identity", name, vec![value.into()], vec![]);
        }
        self.outputs.push((name.into(), dims));
    }

    /// Adds `key = value` to the model's metadata.
    pub fn metadata(&mut self, key: &str, value: &str) {
        self.metadata.push((key.into(), value.into()));
    }

    /// A float constant (weights); returns its name.
    pub fn constant(&mut self, name: &str, dims: Vec<i64>, data: Vec<f32>) -> String {
        self.inits.push(Init::F32(name.into(), dims, data));
        name.into()
    }

    /// A scalar float constant.
    pub fn scalar(&mut self, name: &str, v: f32) -> String {
        self.constant(name, vec![], vec![v])
    }

    /// An int64 constant (slice bounds, axes, pads).
    pub fn ints(&mut self, name: &str, data: Vec<i64>) -> String {
        let dims = vec![data.len() as i64];
        self.inits.push(Init::I64(name.into(), dims, data));
        name.into()
    }

    fn push(
        &mut self,
        op: &'static str,
        out: &str,
        inputs: Vec<String>,
        attrs: Vec<Attr>,
    ) -> String {
        self.nodes.push(NodeSpec {
            op,
            name: format!("{out}.{}", op.to_lowercase()),
            inputs,
            output: out.into(),
            attrs,
        });
        out.into()
    }

    /// A convolution `k`×`k` with "same" zero padding, stride 1, `group` groups; the weights
    /// are stored as `{prefix}.weight` / `{prefix}.bias`.
    pub fn conv(&mut self, x: &str, prefix: &str, w: &ConvWeights, group: i64) -> String {
        let k = w.dims[2];
        let p = k / 2;
        let wn = self.constant(
            &format!("{prefix}.weight"),
            w.dims.clone(),
            w.weight.clone(),
        );
        let bn = self.constant(
            &format!("{prefix}.bias"),
            vec![w.bias.len() as i64],
            w.bias.clone(),
        );
        self.push(
            "Conv",
            prefix,
            vec![x.into(), wn, bn],
            vec![
                Attr::Ints("kernel_shape", vec![k, k]),
                Attr::Ints("pads", vec![p, p, p, p]),
                Attr::Ints("strides", vec![1, 1]),
                Attr::Ints("dilations", vec![1, 1]),
                Attr::Int("group", group),
            ],
        )
    }

    /// A per-cell MLP (1x1 convolutions, ReLU between layers, none after the last), weights
    /// stored as `{prefix}.{i}.weight` / `.bias`.
    pub fn mlp(&mut self, x: &str, prefix: &str, layers: &[ConvWeights]) -> String {
        let mut h = x.to_string();
        for (i, l) in layers.iter().enumerate() {
            h = self.conv(&h, &format!("{prefix}.{i}"), l, 1);
            if i + 1 < layers.len() {
                h = self.unary("Relu", &h);
            }
        }
        h
    }

    /// A one-input operator (`Relu`, `Sigmoid`, `Exp`, ...), output named after its input.
    pub fn unary(&mut self, op: &'static str, x: &str) -> String {
        let out = format!("{x}.{}", op.to_lowercase());
        self.unary_into(op, x, &out)
    }

    /// A one-input operator with its output named `out`.
    pub fn unary_into(&mut self, op: &'static str, x: &str, out: &str) -> String {
        self.push(op, out, vec![x.into()], vec![])
    }

    /// A two-input elementwise operator (`Add`, `Mul`, `Sub`, `Greater`, ...) into `out`.
    pub fn binary(&mut self, op: &'static str, a: &str, b: &str, out: &str) -> String {
        self.push(op, out, vec![a.into(), b.into()], vec![])
    }

    /// `Slice(x)` along `axis` from `start` to `end` (ONNX semantics: negative counts from the
    /// end, `i64::MAX` is the end).
    pub fn slice(&mut self, x: &str, axis: i64, start: i64, end: i64, out: &str) -> String {
        let s = self.ints(&format!("{out}.starts"), vec![start]);
        let e = self.ints(&format!("{out}.ends"), vec![end]);
        let a = self.ints(&format!("{out}.axes"), vec![axis]);
        self.push("Slice", out, vec![x.into(), s, e, a], vec![])
    }

    /// `Concat` of `xs` along `axis`.
    pub fn concat(&mut self, xs: &[String], axis: i64, out: &str) -> String {
        self.push("Concat", out, xs.to_vec(), vec![Attr::Int("axis", axis)])
    }

    /// A float 0/1 mask: `x > threshold`.
    pub fn greater_mask(&mut self, x: &str, threshold: f32, out: &str) -> String {
        let t = self.scalar(&format!("{out}.threshold"), threshold);
        let b = self.binary("Greater", x, &t, &format!("{out}.bool"));
        self.push(
            "Cast",
            out,
            vec![b],
            vec![Attr::Int("to", DataType::Float as i64)],
        )
    }

    /// 3x3 max-pool, stride 1, padded so the output keeps the input's size.
    pub fn max_pool3(&mut self, x: &str, out: &str) -> String {
        self.push(
            "MaxPool",
            out,
            vec![x.into()],
            vec![
                Attr::Ints("kernel_shape", vec![3, 3]),
                Attr::Ints("pads", vec![1, 1, 1, 1]),
                Attr::Ints("strides", vec![1, 1]),
            ],
        )
    }

    /// Zero padding of the two spatial axes of an NCHW tensor by one cell on every side.
    pub fn pad1(&mut self, x: &str, out: &str) -> String {
        let pads = self.ints(&format!("{out}.pads"), vec![0, 0, 1, 1, 0, 0, 1, 1]);
        self.push("Pad", out, vec![x.into(), pads], vec![])
    }

    /// The sum over `axis`, kept as a size-1 axis.
    pub fn reduce_sum(&mut self, x: &str, axis: i64, out: &str) -> String {
        let a = self.ints(&format!("{out}.axes"), vec![axis]);
        self.push(
            "ReduceSum",
            out,
            vec![x.into(), a],
            vec![Attr::Int("keepdims", 1)],
        )
    }

    /// Softmax over `axis`.
    pub fn softmax(&mut self, x: &str, axis: i64, out: &str) -> String {
        self.push(
            "Softmax",
            out,
            vec![x.into()],
            vec![Attr::Int("axis", axis)],
        )
    }

    /// `x * s` for a float scalar `s`.
    pub fn scale(&mut self, x: &str, s: f32, out: &str) -> String {
        let c = self.scalar(&format!("{out}.factor"), s);
        self.binary("Mul", x, &c, out)
    }

    /// The serialised `ModelProto`.
    pub fn encode(&self) -> Result<Vec<u8>> {
        if self.outputs.is_empty() {
            return Err(NcaError::config("onnx export", "the graph has no output"));
        }
        let graph = Graph {
            name: &self.name,
            input: self.inputs.iter().map(|(n, d)| value_info(n, d)).collect(),
            output: self.outputs.iter().map(|(n, d)| value_info(n, d)).collect(),
            initializer: self
                .inits
                .iter()
                .map(|i| match i {
                    Init::F32(n, d, v) => TensorProto::from_f32(n, d.clone(), v.clone()),
                    Init::I64(n, d, v) => TensorProto::from_i64(n, d.clone(), v.clone()),
                })
                .collect(),
            node: self
                .nodes
                .iter()
                .map(|n| Node {
                    op_type: OpType::from(n.op),
                    name: &n.name,
                    input: n.inputs.iter().map(String::as_str).collect(),
                    output: vec![n.output.as_str()],
                    attribute: n.attrs.iter().map(attribute).collect(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        };
        let model = Model {
            ir_version: IR_VERSION,
            opset_import: vec![OperatorSetId {
                domain: "",
                version: OPSET,
            }],
            producer_name: "nca",
            producer_version: env!("CARGO_PKG_VERSION"),
            doc_string: &self.doc,
            metadata_props: self
                .metadata
                .iter()
                .map(|(key, value)| StringStringEntry { key, value })
                .collect(),
            graph: Some(graph),
            ..Default::default()
        };
        Ok(onnx_rs::encode(&model))
    }
}

/// The description of a float graph input or output.
fn value_info<'a>(name: &'a str, dims: &'a [Dim]) -> ValueInfo<'a> {
    let dim = |d: &'a Dim| TensorShapeDimension {
        value: match d {
            Dim::Named(n) => Dimension::Param(n),
            Dim::Fixed(v) => Dimension::Value(*v),
        },
        denotation: "",
    };
    ValueInfo {
        name,
        r#type: Some(TypeProto {
            value: Some(TypeValue::Tensor(TensorTypeProto {
                elem_type: DataType::Float,
                shape: Some(TensorShape {
                    dim: dims.iter().map(dim).collect(),
                }),
            })),
            denotation: "",
        }),
        ..Default::default()
    }
}

/// A node attribute in onnx-rs's form.
fn attribute(a: &Attr) -> Attribute<'_> {
    match a {
        Attr::Int(name, v) => Attribute {
            name,
            r#type: AttributeType::Int,
            i: *v,
            ..Default::default()
        },
        Attr::Ints(name, v) => Attribute {
            name,
            r#type: AttributeType::Ints,
            ints: v.clone(),
            ..Default::default()
        },
    }
}

/// The inputs and output of a one-tick graph, `[batch, channels, height, width]`.
pub fn state_dims(channels: usize) -> Vec<Dim> {
    vec![
        Dim::Named("batch"),
        Dim::Fixed(channels as i64),
        Dim::Named("height"),
        Dim::Named("width"),
    ]
}

/// Starts a one-tick graph of `family`: metadata (family, configuration JSON) and the `state`
/// input with `channels` channels. Returns the builder and the state's name.
pub fn tick_graph(
    family: &str,
    channels: usize,
    config: &serde_json::Value,
) -> (GraphBuilder, String) {
    let mut g = GraphBuilder::new(
        &format!("nca_{family}_tick"),
        &format!(
            "nca {family}: one tick; inputs are the state and this tick's random draws, output the next state"
        ),
    );
    g.metadata("nca.family", family);
    g.metadata("nca.config", &config.to_string());
    let state = g.input("state", state_dims(channels));
    (g, state)
}

/// One tick of a cellular automaton ([`crate::ca::Nca::tick`]) as a serialised ONNX model of
/// `family` with its `config` in the metadata. Inputs: `state` `[B, C, H, W]`, this tick's
/// `fire` mask `[B, 1, H, W]` (0/1) and, when the rule has residual noise, `noise`
/// `[B, U, H, W]` (zeros for the noiseless evaluation); output `next_state`.
pub fn nca_tick(
    nca: &crate::ca::Nca,
    family: &str,
    config: &serde_json::Value,
) -> crate::error::Result<Vec<u8>> {
    use crate::engine::AliveRule;
    let cfg = &nca.cfg;
    let (c, u) = (cfg.channels, cfg.update_channels.clone());
    let (mut g, state) = tick_graph(family, c, config);
    let fire = g.input("fire", state_dims(1));
    let noise = (cfg.noise_std > 0.0).then(|| g.input("noise", state_dims(u.len())));
    let mut seen = match &nca.perception {
        Some(conv) => g.conv(&state, "perception", &ConvWeights::of(conv), 1),
        None => {
            let w = nca.fixed.weight(&burn::tensor::Device::flex());
            let weights = ConvWeights {
                dims: w.dims().iter().map(|&d| d as i64).collect(),
                weight: w
                    .into_data()
                    .convert::<f32>()
                    .try_to_vec::<f32>()
                    .expect("f32"),
                bias: vec![0.0; nca.fixed.out_channels()],
            };
            g.conv(&state, "perception", &weights, c as i64)
        }
    };
    if cfg.perception_relu {
        seen = g.unary("Relu", &seen);
    }
    let layers: Vec<ConvWeights> = nca.update.layers.iter().map(ConvWeights::of).collect();
    let mut delta = g.mlp(&seen, "update", &layers);
    if let Some(n) = &noise {
        delta = g.binary("Add", &delta, n, "noisy_delta");
    }
    let (channel, threshold) = (cfg.alive.channel() as i64, cfg.alive.threshold());
    let alive_of = |g: &mut GraphBuilder, x: &str, name: &str, pool: bool| {
        let a = g.slice(x, 1, channel, channel + 1, &format!("{name}.channel"));
        let a = if pool {
            g.max_pool3(&a, &format!("{name}.pooled"))
        } else {
            a
        };
        g.greater_mask(&a, threshold, name)
    };
    let pooled = matches!(cfg.alive, AliveRule::MaxPool { .. });
    let gate = if pooled {
        fire
    } else {
        let alive = alive_of(&mut g, &state, "alive", false);
        g.binary("Mul", &fire, &alive, "gate")
    };
    let step = g.binary("Mul", &delta, &gate, "masked_delta");
    let mut parts = Vec::new();
    if u.start > 0 {
        parts.push(g.slice(&state, 1, 0, u.start as i64, "kept_before"));
    }
    let written = g.slice(&state, 1, u.start as i64, u.end as i64, "written");
    parts.push(g.binary("Add", &written, &step, "updated"));
    if u.end < c {
        parts.push(g.slice(&state, 1, u.end as i64, c as i64, "kept_after"));
    }
    let mut next = if parts.len() == 1 {
        parts.remove(0)
    } else {
        g.concat(&parts, 1, "next")
    };
    if pooled {
        let pre = alive_of(&mut g, &state, "alive_before", true);
        let post = alive_of(&mut g, &next, "alive_after", true);
        let both = g.binary("Mul", &pre, &post, "alive");
        next = g.binary("Mul", &next, &both, "survivors");
    }
    g.output(&next, "next_state", state_dims(c));
    g.encode()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graph_round_trips_through_the_onnx_parser() {
        let (mut g, x) = tick_graph("tiny", 4, &serde_json::json!({"a": 1}));
        let w = ConvWeights {
            dims: vec![4, 4, 1, 1],
            weight: vec![0.5; 16],
            bias: vec![0.0; 4],
        };
        let y = g.mlp(&x, "update", &[w.clone(), w]);
        let m = g.greater_mask(&y, 0.1, "alive");
        let out = g.binary("Mul", &y, &m, "masked");
        g.output(&out, "next_state", state_dims(4));
        let bytes = g.encode().unwrap();
        let model = onnx_rs::parse(&bytes).unwrap();
        let graph = model.graph.unwrap();
        assert_eq!(model.opset_import[0].version, OPSET);
        assert_eq!(graph.input[0].name, "state");
        assert_eq!(graph.output[0].name, "next_state");
        let ops: Vec<&str> = graph.node.iter().map(|n| n.op_type.as_str()).collect();
        assert_eq!(
            ops,
            ["Conv", "Relu", "Conv", "Greater", "Cast", "Mul", "Identity"]
        );
        let meta: Vec<_> = model
            .metadata_props
            .iter()
            .map(|e| (e.key, e.value))
            .collect();
        assert!(meta.contains(&("nca.config", "{\"a\":1}")), "{meta:?}");
    }

    #[test]
    fn a_graph_without_output_is_refused() {
        assert!(GraphBuilder::new("g", "").encode().is_err());
    }
}
