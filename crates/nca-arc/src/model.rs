//! The ARC automaton: what a cell holds, how a grid becomes a state and a state a grid, and the
//! architecture on the fast engine.
//!
//! A cell's state is `1 + 10 + hidden` channels: channel 0 marks the cells inside the grid (1)
//! and is never updated, channels `1..=10` hold the colours (the input grid one-hot at the
//! start; the output is their argmax), the rest are hidden channels starting at 0. Cells
//! outside the grid (the padding up to the batch's largest grid) are all zero and never
//! updated, which makes the grid's border a fixed boundary for the 3x3 perception. Each tick a
//! learned 3x3 convolution with ReLU feeds a per-cell MLP whose output is added to every
//! channel but the mask, at every cell inside the grid.

use nca_fast::{AliveRule, NcaParams, NcaSpec, Perception};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{ArcError, Result};
use crate::grid::{COLOURS, Grid};

/// The first colour channel.
pub const FIRST_COLOUR: usize = 1;

/// The automaton's shape.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ArcModel {
    /// Hidden channels besides the mask and the ten colours.
    pub hidden_channels: usize,
    /// Output width of the learned 3x3 perception.
    pub perception: usize,
    /// Width of the MLP's hidden layer.
    pub hidden: usize,
}

impl Default for ArcModel {
    fn default() -> Self {
        ArcModel {
            hidden_channels: 10,
            perception: 64,
            hidden: 128,
        }
    }
}

impl ArcModel {
    /// State channels.
    pub fn channels(&self) -> usize {
        1 + COLOURS + self.hidden_channels
    }

    /// Checks the widths.
    pub fn validate(&self) -> Result<()> {
        for (name, v, max) in [
            ("hidden_channels", self.hidden_channels, 256),
            ("perception", self.perception, 4096),
            ("hidden", self.hidden, 4096),
        ] {
            if v > max || (v == 0 && name != "hidden_channels") {
                return Err(ArcError::Setting {
                    name,
                    msg: format!("{v} is outside 1..={max}"),
                });
            }
        }
        Ok(())
    }

    /// The architecture for the fast engine.
    pub fn spec(&self) -> NcaSpec {
        let c = self.channels();
        NcaSpec {
            channels: c,
            perception: Perception::Learned {
                out: self.perception,
            },
            perception_relu: true,
            hidden: vec![self.hidden, c - 1],
            update_channels: 1..c,
            alive: AliveRule::Static {
                channel: 0,
                threshold: 0.5,
            },
        }
    }

    /// Fresh parameters: uniform `±1/sqrt(fan_in)` weights (PyTorch's default scale), zero
    /// biases and a zero last layer, so that the untrained automaton leaves its input as it is.
    pub fn init(&self, rng: &mut impl Rng) -> NcaParams {
        let spec = self.spec();
        let mut p = NcaParams::zeros(&spec);
        let mut fill = |w: &mut [f32], fan_in: usize| {
            let a = 1.0 / (fan_in as f32).sqrt();
            for v in w {
                *v = rng.random_range(-a..a);
            }
        };
        if let Some((w, _)) = p.perception.as_mut() {
            fill(w, 9 * spec.channels);
        }
        let n = p.layers.len();
        let dims = spec.layer_dims();
        for (i, ((w, _), &(inp, _))) in p.layers.iter_mut().zip(&dims).enumerate() {
            if i + 1 < n {
                fill(w, inp);
            }
        }
        p
    }
}

/// A batch of grids laid out as one `[B, C, H, W]` state, padded to the largest grid.
#[derive(Clone, Debug)]
pub struct Batch {
    /// `[B, H, W]`.
    pub dims: [usize; 3],
    /// Each item's `(height, width)`.
    pub sizes: Vec<(usize, usize)>,
}

impl Batch {
    /// The layout of `grids` padded to their largest height and width.
    pub fn of(grids: &[&Grid]) -> Batch {
        let h = grids.iter().map(|g| g.height()).max().unwrap_or(1);
        let w = grids.iter().map(|g| g.width()).max().unwrap_or(1);
        Batch {
            dims: [grids.len(), h, w],
            sizes: grids.iter().map(|g| g.size()).collect(),
        }
    }

    /// The initial state: mask and one-hot colours of each grid, zero elsewhere.
    pub fn encode(&self, grids: &[&Grid], channels: usize) -> Vec<f32> {
        let [b, h, w] = self.dims;
        let hw = h * w;
        let mut x = vec![0.0; b * channels * hw];
        for (bi, g) in grids.iter().enumerate() {
            let item = &mut x[bi * channels * hw..(bi + 1) * channels * hw];
            for y in 0..g.height() {
                for xx in 0..g.width() {
                    let i = y * w + xx;
                    item[i] = 1.0;
                    item[(FIRST_COLOUR + g.at(y, xx) as usize) * hw + i] = 1.0;
                }
            }
        }
        x
    }

    /// The grids a state shows: each cell's colour is its largest colour channel.
    pub fn decode(&self, state: &[f32], channels: usize) -> Vec<Grid> {
        let [_, h, w] = self.dims;
        let hw = h * w;
        self.sizes
            .iter()
            .enumerate()
            .map(|(bi, &(gh, gw))| {
                let item = &state[bi * channels * hw..(bi + 1) * channels * hw];
                let mut cells = Vec::with_capacity(gh * gw);
                for y in 0..gh {
                    for x in 0..gw {
                        let i = y * w + x;
                        let mut best = 0;
                        for k in 1..COLOURS {
                            if item[(FIRST_COLOUR + k) * hw + i]
                                > item[(FIRST_COLOUR + best) * hw + i]
                            {
                                best = k;
                            }
                        }
                        cells.push(best as u8);
                    }
                }
                Grid::new(gh, gw, cells)
            })
            .collect()
    }

    /// Mean per-cell cross-entropy of the colour channels (as logits) against `targets`, over
    /// the cells inside each grid, and its gradient with respect to the state.
    pub fn cross_entropy(
        &self,
        state: &[f32],
        targets: &[&Grid],
        channels: usize,
    ) -> (f32, Vec<f32>) {
        let [_, h, w] = self.dims;
        let hw = h * w;
        let cells: usize = self.sizes.iter().map(|&(a, b)| a * b).sum();
        let scale = 1.0 / cells.max(1) as f32;
        let mut grad = vec![0.0; state.len()];
        let mut total = 0.0f64;
        let mut logits = [0.0f32; COLOURS];
        for (bi, t) in targets.iter().enumerate() {
            let base = bi * channels * hw;
            for y in 0..t.height() {
                for x in 0..t.width() {
                    let i = base + y * w + x;
                    for (k, l) in logits.iter_mut().enumerate() {
                        *l = state[i + (FIRST_COLOUR + k) * hw];
                    }
                    let m = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let z: f32 = logits.iter().map(|&l| (l - m).exp()).sum();
                    let want = t.at(y, x) as usize;
                    total += f64::from(z.ln() + m - logits[want]);
                    for (k, &l) in logits.iter().enumerate() {
                        let p = (l - m).exp() / z;
                        let g = p - f32::from(u8::from(k == want));
                        grad[i + (FIRST_COLOUR + k) * hw] = g * scale;
                    }
                }
            }
        }
        ((total * f64::from(scale)) as f32, grad)
    }
}
