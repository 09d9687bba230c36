//! `nca`: Neural Cellular Automata in Rust.
//!
//! The library is organised by concern:
//! - building blocks: [`perceive`] (fixed Sobel/Laplacian or learned 3x3 perception), [`update`]
//!   (per-cell MLP), [`masks`] (fire and alive masks), [`noise`], [`pool`] (sample pool and
//!   damage), [`grads`] (per-variable normalisation, clipping), [`schedule`] (learning rates);
//! - infrastructure: [`checkpoint`] (safetensors + metadata), [`onnx`] (the one ONNX
//!   exporter: a graph builder each family describes its tick with), [`trainer`] (one trainer for every
//!   family), [`device`] (backend selection);
//! - families: [`life`] (classic Life-like CA) and [`tiny`] (a minimal NCA used to test the
//!   trainer end to end).
//!
//! Models are Burn modules; the backend is chosen at run time by the Burn `Device`.

pub mod attention;
pub mod checkpoint;
pub mod classify;
pub mod device;
pub mod error;
pub mod grads;
pub mod grow;
pub mod init;
pub use nca_life as life;
pub mod masks;
pub mod noise;
pub mod onnx;
pub mod perceive;
pub mod pool;
pub mod refine;
pub mod run_lock;
pub mod schedule;
pub mod sparse;
pub mod update;

pub use error::{NcaError, Result};
pub mod tiny;
pub mod trainer;
