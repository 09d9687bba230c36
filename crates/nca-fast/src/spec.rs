//! The model description ([`NcaSpec`]), its parameters ([`NcaParams`]) and the shape checks that
//! tie the two together.

use std::ops::Range;

crate::message_error! {
    /// A shape or configuration mismatch, with a message naming the offending tensor.
    ShapeError
}

/// Shorthand for building an `Err(ShapeError)` from a format string.
macro_rules! shape_err {
    ($($arg:tt)*) => { Err($crate::spec::ShapeError(format!($($arg)*))) };
}
pub(crate) use shape_err;

/// How a cell sees its 3x3 neighbourhood (zero padding at the grid border).
#[derive(Clone, Debug, PartialEq)]
pub enum Perception {
    /// Fixed depthwise 3x3 filters (row-major, cross-correlation); feature `c*K + k` is filter `k`
    /// applied to channel `c`. No parameters.
    Fixed {
        /// The `K` filters.
        filters: Vec<[f32; 9]>,
    },
    /// A learned 3x3 convolution (cross-correlation, padding 1) with `out` output channels;
    /// parameters `weight [out, C, 3, 3]` and `bias [out]`.
    Learned {
        /// Number of perception features `P`.
        out: usize,
    },
}

/// Which cells may change, and which survive a tick.
#[derive(Clone, Debug, PartialEq)]
pub enum AliveRule {
    /// Self-classifying MNIST: alive = `x0[channel] > threshold` on the rollout's initial state,
    /// fixed for all ticks. Only alive, firing cells are updated.
    Static {
        /// Channel tested.
        channel: usize,
        /// Strict lower bound for alive.
        threshold: f32,
    },
    /// Growing NCA: a cell lives through a tick if the 3x3 max-pool of `channel` exceeds
    /// `threshold` both before and after the update; dead cells are zeroed on all channels.
    MaxPool {
        /// Channel tested (alpha).
        channel: usize,
        /// Strict lower bound for alive.
        threshold: f32,
    },
}

impl AliveRule {
    /// The channel the rule looks at.
    pub fn channel(&self) -> usize {
        match *self {
            AliveRule::Static { channel, .. } | AliveRule::MaxPool { channel, .. } => channel,
        }
    }

    /// The threshold the rule compares against.
    pub fn threshold(&self) -> f32 {
        match *self {
            AliveRule::Static { threshold, .. } | AliveRule::MaxPool { threshold, .. } => threshold,
        }
    }
}

/// The architecture of an NCA: perception, per-cell MLP, update channels and alive rule.
#[derive(Clone, Debug, PartialEq)]
pub struct NcaSpec {
    /// Number of state channels `C`.
    pub channels: usize,
    /// How cells perceive their neighbourhood.
    pub perception: Perception,
    /// Apply ReLU to the perception output (self-classifying MNIST: true; growing NCA: false).
    pub perception_relu: bool,
    /// MLP output widths, layer by layer; ReLU between layers, none after the last. The last
    /// width is `U`, the number of update channels.
    pub hidden: Vec<usize>,
    /// The state channels the MLP output is added to (length `U`).
    pub update_channels: Range<usize>,
    /// The alive rule.
    pub alive: AliveRule,
}

impl NcaSpec {
    /// The self-classifying MNIST architecture: `channels` state channels of which channel 0 is
    /// the read-only pixel, a learned perception of width `perception_out` with ReLU, an MLP of
    /// one hidden layer of width `hidden` writing channels `1..channels`, and a cell alive while
    /// its pixel is above `threshold`.
    pub fn self_classifying(
        channels: usize,
        perception_out: usize,
        hidden: usize,
        threshold: f32,
    ) -> Self {
        NcaSpec {
            channels,
            perception: Perception::Learned {
                out: perception_out,
            },
            perception_relu: true,
            hidden: vec![hidden, channels.saturating_sub(1)],
            update_channels: 1..channels,
            alive: AliveRule::Static {
                channel: 0,
                threshold,
            },
        }
    }

    /// The growing-NCA architecture: `channels` state channels seen through `perception`
    /// (no ReLU), an MLP of one hidden layer of width `hidden` writing every channel, and a cell
    /// alive while the largest alpha (channel 3) in its 3x3 neighbourhood is above `threshold`.
    pub fn growing(channels: usize, perception: Perception, hidden: usize, threshold: f32) -> Self {
        NcaSpec {
            channels,
            perception,
            perception_relu: false,
            hidden: vec![hidden, channels],
            update_channels: 0..channels,
            alive: AliveRule::MaxPool {
                channel: 3,
                threshold,
            },
        }
    }

    /// Width of the perception output, i.e. the MLP's input width (`C*K` or `P`).
    pub fn features(&self) -> usize {
        match &self.perception {
            Perception::Fixed { filters } => self.channels * filters.len(),
            Perception::Learned { out } => *out,
        }
    }

    /// Number of update channels `U`.
    pub fn update_width(&self) -> usize {
        self.update_channels.len()
    }

    /// `(in, out)` of every MLP layer, input first.
    pub fn layer_dims(&self) -> Vec<(usize, usize)> {
        let mut prev = self.features();
        self.hidden
            .iter()
            .map(|&out| {
                let d = (prev, out);
                prev = out;
                d
            })
            .collect()
    }

    /// Checks the spec on its own (widths, channel ranges).
    pub fn validate_spec(&self) -> Result<(), ShapeError> {
        let c = self.channels;
        if c == 0 {
            return shape_err!("spec: channels must be > 0");
        }
        match &self.perception {
            Perception::Fixed { filters } if filters.is_empty() => {
                return shape_err!("spec: fixed perception needs at least one filter");
            }
            Perception::Learned { out: 0 } => {
                return shape_err!("spec: learned perception needs out > 0");
            }
            _ => {}
        }
        if self.hidden.is_empty() {
            return shape_err!("spec: the MLP needs at least one layer (hidden is empty)");
        }
        if let Some(i) = self.hidden.iter().position(|&w| w == 0) {
            return shape_err!("spec: MLP layer {i} has width 0");
        }
        let r = &self.update_channels;
        if r.start >= r.end || r.end > c {
            return shape_err!(
                "spec: update_channels {}..{} must be a non-empty range within 0..{c}",
                r.start,
                r.end
            );
        }
        let last = self.hidden[self.hidden.len() - 1];
        if last != r.len() {
            return shape_err!(
                "spec: last MLP width {last} must equal the number of update channels {}",
                r.len()
            );
        }
        let ch = self.alive.channel();
        if ch >= c {
            return shape_err!("spec: alive channel {ch} is out of range for {c} channels");
        }
        Ok(())
    }

    /// Checks the spec and that `params` has exactly the shapes the spec asks for.
    pub fn validate(&self, params: &NcaParams) -> Result<(), ShapeError> {
        self.validate_spec()?;
        let c = self.channels;
        match (&self.perception, &params.perception) {
            (Perception::Fixed { .. }, None) => {}
            (Perception::Fixed { .. }, Some(_)) => {
                return shape_err!(
                    "params: fixed perception takes no parameters, but some were given"
                );
            }
            (Perception::Learned { out }, None) => {
                return shape_err!(
                    "params: learned perception needs weight [{out}, {c}, 3, 3] and bias [{out}], none given"
                );
            }
            (Perception::Learned { out }, Some((w, b))) => {
                if w.len() != out * c * 9 {
                    return shape_err!(
                        "params: perception weight has {} values, expected [{out}, {c}, 3, 3] = {}",
                        w.len(),
                        out * c * 9
                    );
                }
                if b.len() != *out {
                    return shape_err!(
                        "params: perception bias has {} values, expected [{out}]",
                        b.len()
                    );
                }
            }
        }
        let dims = self.layer_dims();
        if params.layers.len() != dims.len() {
            return shape_err!(
                "params: {} MLP layers given, spec has {}",
                params.layers.len(),
                dims.len()
            );
        }
        for (i, ((w, b), &(inp, out))) in params.layers.iter().zip(&dims).enumerate() {
            if w.len() != out * inp {
                return shape_err!(
                    "params: layer {i} weight has {} values, expected [{out}, {inp}] = {}",
                    w.len(),
                    out * inp
                );
            }
            if b.len() != out {
                return shape_err!(
                    "params: layer {i} bias has {} values, expected [{out}]",
                    b.len()
                );
            }
        }
        Ok(())
    }
}

/// The trainable parameters of an NCA, as flat row-major `f32` vectors.
#[derive(Clone, Debug, PartialEq)]
pub struct NcaParams {
    /// Learned perception `(weight [P, C, 3, 3], bias [P])`; `None` for fixed perception.
    pub perception: Option<(Vec<f32>, Vec<f32>)>,
    /// MLP layers `(weight [out, in], bias [out])`, input first.
    pub layers: Vec<(Vec<f32>, Vec<f32>)>,
}

/// Gradients of the loss with respect to every parameter, shaped like [`NcaParams`].
pub type NcaGrads = NcaParams;

impl NcaParams {
    /// All-zero parameters (or gradient accumulators) with the shapes `spec` asks for.
    pub fn zeros(spec: &NcaSpec) -> Self {
        let perception = match spec.perception {
            Perception::Fixed { .. } => None,
            Perception::Learned { out } => {
                Some((vec![0.0; out * spec.channels * 9], vec![0.0; out]))
            }
        };
        let layers = spec
            .layer_dims()
            .into_iter()
            .map(|(i, o)| (vec![0.0; o * i], vec![0.0; o]))
            .collect();
        Self { perception, layers }
    }

    /// Adds `other` element-wise (shapes must match, as for two values from the same spec).
    pub fn add_assign(&mut self, other: &NcaParams) {
        if let (Some((w, b)), Some((ow, ob))) = (&mut self.perception, &other.perception) {
            add(w, ow);
            add(b, ob);
        }
        for ((w, b), (ow, ob)) in self.layers.iter_mut().zip(&other.layers) {
            add(w, ow);
            add(b, ob);
        }
    }
}

fn add(a: &mut [f32], b: &[f32]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// Per-tick inputs chosen by the caller, so that runs are reproducible and comparable.
#[derive(Clone, Debug, PartialEq)]
pub struct TickMasks {
    /// `[B, H, W]`: nonzero where the cell fires this tick.
    pub fire: Vec<u8>,
    /// `[B, U, H, W]` noise added to the update of firing cells; `None` for no noise.
    pub noise: Option<Vec<f32>>,
}
