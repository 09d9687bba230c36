//! `nca`: Neural Cellular Automata in Rust, on Burn.
//!
//! **Families.** Each lives in one module whose documentation reads like its paper's method
//! section:
//! - [`life`]: classic cellular automata: Life-like (B/S rules, patterns, RLE) and elementary
//!   (Wolfram's 1-D rules 0–255) and Lenia (continuous, FFT ring kernels);
//! - [`grow`]: Growing NCA (grow an image from one cell, keep it, regenerate it);
//! - [`classify`]: self-classifying MNIST digits (every cell votes for its digit);
//! - [`refine`]: the digit refiner (50 distinct local rules rewrite a digit into its template);
//! - [`generate`]: label-conditioned digit generation (reconstruct a blurred digit, grow one
//!   of a requested class from a seed cell);
//! - [`attention`]: a convolutional-attention NCA trained on one long noisy trajectory;
//! - [`tiny`]: the smallest complete cellular family, the template for a new one.
//!
//! **Layout.** The cellular families (grow, classify, generate, tiny) are presets of one automaton,
//! [`ca::Nca`] (perception, per-cell update MLP, fire mask, alive rule), with one training step
//! ([`ca::train_step`]) that runs either the exact sparse CPU engine `nca-fast` or Burn
//! autodiff ([`engine`] is the bridge between the two), and one forward runner
//! ([`ca::Runner`]) for evaluation and animation. Every family trains through the one trainer
//! ([`trainer`]: Adam, the family's [`trainer::Recipe`], checkpoints, `--resume`, the NaN
//! guard, metrics) by implementing [`trainer::Task`]. Building blocks: [`perceive`], [`update`],
//! [`masks`], [`noise`], [`pool`], [`grads`], [`schedule`], [`init`]; infrastructure:
//! [`checkpoint`] (safetensors + metadata), [`onnx`] (the ONNX graph builder every family
//! exports its tick with), [`run_lock`], [`device`] (backend selection).
//!
//! Models are Burn modules; the backend is chosen at run time by the Burn `Device`.

#![warn(missing_docs)]

pub mod attention;
pub mod ca;
pub mod checkpoint;
pub mod classify;
pub mod device;
pub mod engine;
pub mod error;
pub mod generate;
pub mod grads;
pub mod grow;
pub mod init;
pub use nca_life as life;
pub mod lenia;
pub mod masks;
pub mod noise;
pub mod onnx;
pub mod perceive;
pub mod pool;
pub mod refine;
pub mod run_lock;
pub mod schedule;
pub mod update;

pub mod tiny;
pub mod trainer;

pub use error::{NcaError, Result};
