//! The convolutional-attention transition `f`: every cell attends over its 3x3 neighbourhood.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

use crate::error::{NcaError, Result};

/// Cells in a neighbourhood (the cell itself included).
pub const NEIGHBOURS: usize = 9;

/// The neighbourhood's `(dy, dx)` offsets in the order of the attention weights: row by row from
/// the top-left, so the cell itself is [`SELF_INDEX`].
pub const OFFSETS: [(isize, isize); NEIGHBOURS] = [
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (0, -1),
    (0, 0),
    (0, 1),
    (1, -1),
    (1, 0),
    (1, 1),
];

/// Index of the cell itself in [`OFFSETS`].
pub const SELF_INDEX: usize = 4;

/// The initial score bias of the cell itself (its neighbours start at 0): with near-zero content
/// scores a fresh model gives itself e²/(e² + 8) ≈ 0.48 of its attention.
pub const SELF_BIAS_INIT: f32 = 2.0;

/// The score given to neighbours beyond the border: their softmax weight underflows to exactly 0.
const MASKED: f32 = -1e9;

/// Architecture settings; defaults follow the design doc.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttentionConfig {
    /// Channels compared with the target (3: RGB).
    pub image_channels: usize,
    /// Extra channels the model may use freely (0: the state is just the image).
    pub hidden_channels: usize,
    /// Width of queries, keys and values.
    pub width: usize,
    /// Relative position: a learned embedding of each neighbour's offset added to its key and a
    /// learned score bias per offset, so that attention can tell the cell itself from its
    /// neighbours (see the module docs).
    pub relative_position: bool,
}

impl Default for AttentionConfig {
    fn default() -> Self {
        Self {
            image_channels: 3,
            hidden_channels: 0,
            width: 16,
            relative_position: true,
        }
    }
}

impl AttentionConfig {
    /// State channels: image, then hidden.
    pub fn channels(&self) -> usize {
        self.image_channels + self.hidden_channels
    }

    /// Parameters of a model with these settings.
    pub fn num_params(&self) -> usize {
        let (c, d) = (self.channels(), self.width);
        let position = NEIGHBOURS * d + NEIGHBOURS;
        3 * (c * d + d) + (d * c + c) + usize::from(self.relative_position) * position
    }

    /// Checks the values a user can get wrong.
    pub fn validate(&self) -> Result<()> {
        if !(1..=4).contains(&self.image_channels) {
            return Err(NcaError::config("image channels", "must be in 1..=4"));
        }
        if self.hidden_channels > 64 {
            return Err(NcaError::config("--hidden-channels", "must be in 0..=64"));
        }
        if !(1..=256).contains(&self.width) {
            return Err(NcaError::config("--attn-width", "must be in 1..=256"));
        }
        Ok(())
    }
}

/// The transition network: per-cell linear maps to queries, keys and values (1x1 convolutions),
/// attention over the 3x3 neighbourhood, and a linear map back to the state's channels.
#[derive(Module, Debug)]
pub struct AttentionNca {
    /// State → query, `[width, C, 1, 1]` and bias.
    pub query: Conv2d,
    /// State → key.
    pub key: Conv2d,
    /// State → value.
    pub value: Conv2d,
    /// Attended value → update of the state, `[C, width, 1, 1]` and bias.
    pub out: Conv2d,
    /// Learned offset embeddings `[9, width]` added to the keys (when enabled).
    pub position: Option<Param<Tensor<2>>>,
    /// Learned score bias `[9]` of each offset (when enabled).
    pub offset_bias: Option<Param<Tensor<1>>>,
}

/// The attention of one forward pass: weights and the attended values.
struct Attended {
    /// `[B, 9, H, W]`, summing to 1 over the neighbours.
    weights: Tensor<4>,
    /// `[B, width, H, W]`.
    mixed: Tensor<4>,
}

impl AttentionNca {
    /// A model for `cfg` (validate it first): the output map starts at zero, so a fresh model
    /// leaves the state unchanged; every other parameter is drawn from `rng` with PyTorch's
    /// default initialisation (uniform in ±1/√fan_in).
    pub fn new(cfg: &AttentionConfig, device: &Device, rng: &mut StdRng) -> Self {
        let (c, d) = (cfg.channels(), cfg.width);
        let linear = |i: usize, o: usize| Conv2dConfig::new([i, o], [1, 1]).init(device);
        let zero = Conv2dConfig::new([d, c], [1, 1]).with_initializer(Initializer::Zeros);
        // A non-zero placeholder, so that `torch_default` redraws the embedding too (uniform in
        // ±1/√width: its fan-in is the width).
        let position = cfg
            .relative_position
            .then(|| Param::from_tensor(Tensor::ones([NEIGHBOURS, d], device)));
        let model = Self {
            query: linear(c, d),
            key: linear(c, d),
            value: linear(c, d),
            out: zero.init(device),
            position,
            offset_bias: None,
        };
        let mut model = crate::init::torch_default(model, rng);
        if cfg.relative_position {
            let mut b = vec![0.0f32; NEIGHBOURS];
            b[SELF_INDEX] = SELF_BIAS_INIT;
            let b = Tensor::from_data(TensorData::new(b, [NEIGHBOURS]), device);
            model.offset_bias = Some(Param::from_tensor(b));
        }
        model
    }

    /// Width of queries, keys and values.
    pub fn width(&self) -> usize {
        self.query.weight.dims()[0]
    }

    /// State channels.
    pub fn channels(&self) -> usize {
        self.query.weight.dims()[1]
    }

    fn attend(&self, state: Tensor<4>) -> Attended {
        let [b, _, h, w] = state.dims();
        let d = self.width();
        let device = state.device();
        let q = self.query.forward(state.clone());
        // Keys and values beyond the border are zero-padded; their scores are masked below, so
        // the padding value never reaches the output.
        let k = self.key.forward(state.clone()).pad((1, 1, 1, 1), 0.0);
        let v = self.value.forward(state).pad((1, 1, 1, 1), 0.0);
        let scale = 1.0 / (d as f32).sqrt();
        let window = |t: &Tensor<4>, (dy, dx): (isize, isize)| {
            let (y0, x0) = ((1 + dy) as usize, (1 + dx) as usize);
            t.clone().slice([0..b, 0..d, y0..y0 + h, x0..x0 + w])
        };
        let mut scores = Vec::with_capacity(NEIGHBOURS);
        for (o, &off) in OFFSETS.iter().enumerate() {
            let mut key = window(&k, off);
            if let Some(p) = &self.position {
                key = key + p.val().slice([o..o + 1, 0..d]).reshape([1, d, 1, 1]);
            }
            scores.push((q.clone() * key).sum_dim(1) * scale);
        }
        let mut scores = Tensor::cat(scores, 1) + border_mask(h, w, &device);
        if let Some(bias) = &self.offset_bias {
            scores = scores + bias.val().reshape([1, NEIGHBOURS, 1, 1]);
        }
        let weights = softmax(scores, 1);
        let mut mixed: Option<Tensor<4>> = None;
        for (o, &off) in OFFSETS.iter().enumerate() {
            let term = window(&v, off) * weights.clone().slice([0..b, o..o + 1, 0..h, 0..w]);
            mixed = Some(match mixed {
                Some(m) => m + term,
                None => term,
            });
        }
        Attended {
            weights,
            mixed: mixed.expect("nine neighbours"),
        }
    }

    /// Attention weights `[B, 9, H, W]` of every cell over its neighbours ([`OFFSETS`] order);
    /// neighbours beyond the border get exactly 0.
    pub fn attention_weights(&self, state: Tensor<4>) -> Tensor<4> {
        self.attend(state).weights
    }

    /// The update `f(s)`, `[B, C, H, W]` like the state.
    pub fn update(&self, state: Tensor<4>) -> Tensor<4> {
        self.out.forward(self.attend(state).mixed)
    }

    /// One transition with the residual connection: `s + f(s)`.
    pub fn forward(&self, state: Tensor<4>) -> Tensor<4> {
        state.clone() + self.update(state)
    }
}

/// `[1, 9, H, W]`: 0 where the neighbour lies inside the grid, a large negative score where it
/// lies beyond the border.
pub fn border_mask(h: usize, w: usize, device: &Device) -> Tensor<4> {
    let mut v = vec![0.0f32; NEIGHBOURS * h * w];
    for (o, &(dy, dx)) in OFFSETS.iter().enumerate() {
        for y in 0..h {
            for x in 0..w {
                let (ny, nx) = (y as isize + dy, x as isize + dx);
                if ny < 0 || nx < 0 || ny >= h as isize || nx >= w as isize {
                    v[(o * h + y) * w + x] = MASKED;
                }
            }
        }
    }
    Tensor::from_data(TensorData::new(v, [1, NEIGHBOURS, h, w]), device)
}

/// The validated model settings stored in an `attention` checkpoint's metadata (`train.model`),
/// as [`load_checkpoint`] reads them; `path` is only used in error messages.
pub fn config_from_meta(
    path: &std::path::Path,
    meta: &crate::checkpoint::CheckpointMeta,
) -> Result<AttentionConfig> {
    // Written by the shared trainer under `task`; runs from before it kept `train` at the top.
    let keys: &[&[&str]] = &[&["task", "train", "model"], &["train", "model"]];
    let what = "attention config";
    crate::checkpoint::validated_part(path, meta, keys, what, AttentionConfig::validate)
}

/// Loads an `attention` checkpoint on `device`, with the model settings it was trained with.
pub fn load_checkpoint(
    path: &std::path::Path,
    device: &Device,
) -> Result<(
    AttentionNca,
    AttentionConfig,
    crate::checkpoint::CheckpointMeta,
)> {
    crate::checkpoint::load_family(path, super::FAMILY, config_from_meta, |cfg| {
        AttentionNca::new(cfg, device, &mut rand::SeedableRng::seed_from_u64(0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn parameter_count_matches_the_model() {
        let dev = Device::flex();
        for cfg in [
            AttentionConfig::default(),
            AttentionConfig {
                hidden_channels: 5,
                width: 8,
                relative_position: false,
                ..AttentionConfig::default()
            },
        ] {
            let m = AttentionNca::new(&cfg, &dev, &mut StdRng::seed_from_u64(1));
            assert_eq!(m.num_params(), cfg.num_params());
            assert_eq!((m.channels(), m.width()), (cfg.channels(), cfg.width));
        }
        assert_eq!(AttentionConfig::default().num_params(), 396);
    }

    #[test]
    fn position_embedding_is_drawn_like_the_other_weights() {
        let m = AttentionNca::new(
            &AttentionConfig::default(),
            &Device::flex(),
            &mut StdRng::seed_from_u64(3),
        );
        let p: Vec<f32> = m
            .position
            .expect("enabled by default")
            .val()
            .into_data()
            .try_to_vec()
            .unwrap();
        assert!(p.iter().all(|v| v.abs() <= 0.25));
        assert!(
            p.iter().any(|v| v.abs() > 0.1),
            "redrawn, not the placeholder"
        );
    }

    #[test]
    fn a_fresh_model_leaves_the_state_unchanged_and_favours_the_cell_itself() {
        let dev = Device::flex();
        let m = AttentionNca::new(
            &AttentionConfig::default(),
            &dev,
            &mut StdRng::seed_from_u64(4),
        );
        let x = Tensor::<4>::random([1, 3, 6, 6], burn::tensor::Distribution::Default, &dev);
        let y: Vec<f32> = m.forward(x.clone()).into_data().try_to_vec().unwrap();
        assert_eq!(y, x.clone().into_data().try_to_vec::<f32>().unwrap());
        let w: Vec<f32> = m.attention_weights(x).into_data().try_to_vec().unwrap();
        // An inner cell: the self weight is the largest, near e²/(e² + 8).
        let at = |o: usize| w[(o * 6 + 2) * 6 + 3];
        let own = at(SELF_INDEX);
        assert!((0..9).all(|o| o == SELF_INDEX || at(o) < own), "{w:?}");
        assert!((own - 0.48).abs() < 0.15, "self weight {own}");
    }

    #[test]
    fn mask_blocks_exactly_the_neighbours_beyond_the_border() {
        let m: Vec<f32> = border_mask(3, 4, &Device::flex())
            .into_data()
            .try_to_vec()
            .unwrap();
        let at = |o: usize, y: usize, x: usize| m[(o * 3 + y) * 4 + x];
        // The corner (0, 0) sees only itself, right, below and below-right.
        let open: Vec<usize> = (0..9).filter(|&o| at(o, 0, 0) == 0.0).collect();
        assert_eq!(open, vec![4, 5, 7, 8]);
        // An inner cell sees all nine.
        assert!((0..9).all(|o| at(o, 1, 1) == 0.0));
        // The last column's right neighbours are blocked.
        assert!([2, 5, 8].iter().all(|&o| at(o, 1, 3) == MASKED));
    }

    #[test]
    fn bad_settings_are_rejected() {
        let changes: [fn(&mut AttentionConfig); 3] = [
            |c| c.width = 0,
            |c| c.hidden_channels = 1000,
            |c| c.image_channels = 0,
        ];
        for change in changes {
            let mut cfg = AttentionConfig::default();
            change(&mut cfg);
            assert!(cfg.validate().is_err(), "{cfg:?}");
        }
        assert!(AttentionConfig::default().validate().is_ok());
    }
}
