//! The refiner network: one convolutional block per step, each reading the input and every
//! image made before it.

use burn::module::{Module, ModuleMapper, Param};
use burn::nn::Initializer;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

use super::templates::Templates;
use crate::error::{NcaError, Result};

// The settings (architecture and training, defaults the original's, and their checks) are
// Burn-free and live in `nca_models`, shared with the playground.
pub use nca_models::refine::RefineConfig;

/// The original's training recipe for `cfg`: plain Adam at `cfg.lr`, a checkpoint every 20 steps
/// (a step is a large batch), a metrics line every step.
pub fn recipe(cfg: &RefineConfig) -> crate::trainer::Recipe {
    crate::trainer::Recipe {
        lr: crate::schedule::LrSchedule::Constant { lr: cfg.lr },
        grad_policy: crate::grads::GradPolicy::None,
        checkpoint_every: 20,
        log_every: 1,
    }
}

/// The rule of one step: `k×k` conv (t inputs → width, ReLU), 1x1 conv (width → 1), sigmoid.
#[derive(Module, Debug)]
pub struct RefineBlock {
    /// The local convolution over the stacked images.
    pub conv: Conv2d,
    /// The 1x1 convolution to the new image's logits.
    pub out: Conv2d,
}

impl RefineBlock {
    /// Block with `inputs` input images, its weights zero (see [`kaiming_normal`]).
    fn new(inputs: usize, cfg: &RefineConfig, device: &Device) -> Self {
        let conv = |c: [usize; 2], k: usize| {
            Conv2dConfig::new(c, [k, k])
                .with_padding(PaddingConfig2d::Explicit(k / 2, k / 2, k / 2, k / 2))
                .with_initializer(Initializer::Zeros)
                .init(device)
        };
        Self {
            conv: conv([inputs, cfg.width], cfg.kernel),
            out: conv([cfg.width, 1], 1),
        }
    }

    /// The new image `[B, 1, H, W]` from the stacked images `[B, t, H, W]`.
    pub fn forward(&self, stack: Tensor<4>) -> Tensor<4> {
        sigmoid(self.out.forward(relu(self.conv.forward(stack))))
    }
}

/// The refiner: one block per step, and the templates it was trained towards (stored with the
/// weights so that a checkpoint is self-contained; they receive no gradient).
#[derive(Module, Debug)]
pub struct RefineNca {
    /// Block `t-1` makes image `y_t`.
    pub blocks: Vec<RefineBlock>,
    /// The per-digit mean training images, `[10, H, W]`.
    pub templates: Param<Tensor<3>>,
}

impl RefineNca {
    /// A model for `cfg` with Kaiming-normal weights drawn from `rng` and the given templates.
    pub fn new(
        cfg: &RefineConfig,
        templates: &Templates,
        device: &Device,
        rng: &mut StdRng,
    ) -> Self {
        let blocks = (1..=cfg.blocks)
            .map(|t| kaiming_normal(RefineBlock::new(t, cfg, device), rng))
            .collect();
        let s = templates.side;
        let data = TensorData::new(templates.images.clone(), [templates.classes(), s, s]);
        Self {
            blocks,
            templates: Param::from_tensor(Tensor::from_data(data, device)),
        }
    }

    /// Every step's image, `blocks` tensors `[B, 1, H, W]`, from the input digits `[B, 1, H, W]`.
    pub fn forward(&self, x: Tensor<4>) -> Vec<Tensor<4>> {
        let mut stack = vec![x];
        let mut outs = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            let input = if stack.len() == 1 {
                stack[0].clone()
            } else {
                Tensor::cat(stack.clone(), 1)
            };
            let y = block.forward(input);
            stack.push(y.clone());
            outs.push(y);
        }
        outs
    }

    /// The templates stored in the model.
    pub fn templates(&self) -> Result<Templates> {
        let t = self.templates.val();
        let [k, h, w] = t.dims();
        let images = t
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| NcaError::config("templates", format!("{e:?}")))?;
        Templates::new(h.max(w), images, vec![0; k])
    }
}

/// Redraws a block's weights as PyTorch's `kaiming_normal_(nonlinearity="relu")` does
/// (N(0, 2/fan_in)) and zeroes its biases, as the original initialises every convolution.
pub fn kaiming_normal<M: Module>(module: M, rng: &mut StdRng) -> M {
    struct Init<'a, R: Rng> {
        rng: &'a mut R,
    }
    impl<R: Rng> ModuleMapper for Init<'_, R> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (id, value, mapper) = param.consume();
            let dims = value.dims();
            let n: usize = dims.iter().product();
            let v: Vec<f32> = if D >= 2 {
                let fan_in: usize = dims[1..].iter().product();
                let std = (2.0 / fan_in.max(1) as f32).sqrt();
                let normal = Normal::new(0.0f32, std).expect("finite std");
                (0..n).map(|_| normal.sample(self.rng)).collect()
            } else {
                vec![0.0; n]
            };
            let t = Tensor::from_data(TensorData::new(v, dims), &value.device());
            let t = t.set_require_grad(value.is_require_grad());
            Param::from_mapped_value(id, t, mapper)
        }
    }
    module.map(&mut Init { rng })
}

/// The validated configuration stored in a `refine` checkpoint's metadata (its `task`, or the
/// whole config), as [`load_checkpoint`] reads it; `path` is only used in error messages.
pub fn config_from_meta(
    path: &std::path::Path,
    meta: &crate::checkpoint::CheckpointMeta,
) -> Result<RefineConfig> {
    let what = "refine config";
    crate::checkpoint::validated_part(path, meta, &[&["task"]], what, RefineConfig::validate)
}

/// Loads a `refine` checkpoint on `device`, with the configuration it was trained with.
pub fn load_checkpoint(
    path: &std::path::Path,
    device: &Device,
) -> Result<(RefineNca, RefineConfig, crate::checkpoint::CheckpointMeta)> {
    crate::checkpoint::load_family(path, super::FAMILY, config_from_meta, |cfg| {
        let blank = Templates::blank(nca_data::DIGIT_SIDE);
        RefineNca::new(
            cfg,
            &blank,
            device,
            &mut rand::SeedableRng::seed_from_u64(0),
        )
    })
}
