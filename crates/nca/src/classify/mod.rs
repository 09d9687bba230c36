//! Self-classifying MNIST digits (Randazzo, Mordvintsev, Niklasson, Levin, Greydanus; Distill
//! 2020).
//!
//! **Method.** Every pixel of a digit is a cell with 20 channels: channel 0 holds the grey value
//! and never changes, channels 1..9 are free hidden channels, and channels 10..19 are the cell's
//! vote for each class. A cell is *alive* when its pixel exceeds 0.1; dead cells are never
//! updated. Each tick, every cell perceives its 3x3 neighbourhood through a learned 3x3
//! convolution (20 → 80, ReLU), then a per-cell MLP (80 → 80 ReLU → 19, last layer zero-initialised)
//! proposes an update of channels 1..19; Gaussian noise N(0, 0.02²) is added to it, and it is
//! applied only at alive cells that fire this tick (probability 0.5). The model has 22,499
//! parameters.
//!
//! Training runs 20 ticks per step on a batch of 16 drawn from a pool of 160 digits. A quarter of
//! each batch is replaced by fresh training digits, another quarter is *mutated*: its digit is
//! swapped for another one and, where the two overlap, the cell states are kept — so the model
//! must learn to reclassify. The loss is the pixel-wise L2 distance between the vote channels
//! and the one-hot label on alive cells (cross-entropy is an option). Adam at 1e-3, ×0.1 at 30k
//! and ×0.01 at 70k steps, with per-variable gradient normalisation.
//!
//! Evaluation follows the paper: the 10,000 test digits run 200 ticks, are mutated into other
//! test digits, and run 200 more; per tick we report the share of alive cells voting for the
//! right class (accuracy) and the share of digits whose alive cells all agree on it.
//!
//! - [`model`]: the network and one tick;
//! - [`eval`]: the paper's evaluation protocol;
//! - [`task`]: the training task (pool, mutation, loss) for the shared trainer.

pub mod eval;
pub mod model;
pub mod task;

pub use model::{ClassifyConfig, Loss, load_checkpoint};
pub use task::ClassifyTask;

/// The family name in checkpoints.
pub const FAMILY: &str = "classify";
