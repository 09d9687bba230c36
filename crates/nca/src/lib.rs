//! `nca`: Neural Cellular Automata building blocks, trainer and model families.

pub mod life;
