//! Growing, persistent and regenerating NCA (Mordvintsev, Randazzo, Niklasson, Levin; Distill
//! 2020), the model of the PyTorch NCA tutorial.
//!
//! **Method.** A cell has 16 channels: RGBA and 12 hidden ones. Alpha decides life: a cell is
//! *alive* when some cell in its 3x3 neighbourhood has alpha > 0.1. Each tick every cell perceives
//! its neighbourhood through fixed filters — identity, Sobel x and Sobel y per channel (48
//! features; a Laplacian or a learned 3x3 convolution are options) — and a per-cell MLP
//! (48 → 128 ReLU → 16, last layer zero-initialised; 8,336 parameters) proposes an update,
//! applied only at cells that fire this tick (probability 0.5). Cells that are not alive both
//! before and after the update are cleared. Growth starts from a single seed cell (alpha and
//! hidden channels 1 at the centre).
//!
//! Training minimises the mean squared RGBA error to a target image (a 40x40 emoji padded by 16
//! cells) after 64–96 ticks, with Adam (2e-3, ×0.1 at step 2,000) and per-variable gradient
//! normalisation. Three regimes, as in the paper:
//! - `growing`: every step starts from the seed;
//! - `persistent`: batches of 8 come from a pool of 1,024 states and go back after the step; the
//!   batch member with the highest loss is replaced by the seed, so the model learns to keep a
//!   grown pattern stable;
//! - `regenerating`: as persistent, and the 3 lowest-loss members get a random circular cut-out,
//!   so the model learns to repair damage.
//!
//! - [`model`]: the network and one tick;
//! - [`eval`]: growth, stability and regrowth figures, and running a model for animations;
//! - [`target`]: targets (PNG files, the tutorial's circle) and the seed;
//! - [`task`]: the training task for the shared trainer.

pub mod eval;
pub mod model;
pub mod target;
pub mod task;

pub use model::{GrowConfig, load_checkpoint};
pub use target::{GrowTarget, seed_state};
pub use task::{GrowTask, GrowTrainConfig, TrainMode};

/// The family name in checkpoints.
pub const FAMILY: &str = "grow";
