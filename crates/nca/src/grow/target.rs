//! Growth targets and the seed: an RGBA image (premultiplied alpha) on a padded square grid.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{NcaError, Result};

/// A target: `4 × side × side` premultiplied RGBA, channel-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GrowTarget {
    /// Grid side in cells (image plus padding).
    pub side: usize,
    /// RGBA planes.
    pub rgba: Vec<f32>,
}

impl GrowTarget {
    /// A PNG resized to `size × size` and padded by `pad` cells on each side.
    pub fn from_png(path: &Path, size: u32, pad: u32) -> Result<Self> {
        let t = nca_data::load_target(path, size, pad)?;
        Ok(Self {
            side: t.side,
            rgba: t.rgba,
        })
    }

    /// The PyTorch tutorial's target: an orange disc (R 1, G 0.5, B 0, A 1) of radius 0.35 ×
    /// `side` in the middle of a `side × side` grid.
    pub fn circle(side: usize) -> Self {
        let mut rgba = vec![0.0; 4 * side * side];
        let c = (side / 2) as f32;
        let r = side as f32 * 0.35;
        for y in 0..side {
            for x in 0..side {
                let (dx, dy) = (x as f32 - c, y as f32 - c);
                if (dx * dx + dy * dy).sqrt() < r {
                    let i = y * side + x;
                    let n = side * side;
                    rgba[i] = 1.0;
                    rgba[n + i] = 0.5;
                    rgba[3 * n + i] = 1.0;
                }
            }
        }
        Self { side, rgba }
    }

    /// `circle` (the built-in, on a grid of `size + 2·pad`) or a PNG path.
    pub fn parse(spec: &str, size: u32, pad: u32) -> Result<Self> {
        if spec == "circle" {
            let side = (size + 2 * pad) as usize;
            if !(4..=1024).contains(&side) {
                return Err(NcaError::config(
                    "target size",
                    "grid side must be in 4..=1024",
                ));
            }
            return Ok(Self::circle(side));
        }
        Self::from_png(Path::new(spec), size, pad)
    }
}

/// The seed: all zeros but one cell at the centre whose alpha and hidden channels are 1
/// (`[C, side, side]`).
pub fn seed_state(channels: usize, side: usize) -> Vec<f32> {
    let mut s = vec![0.0; channels * side * side];
    let centre = (side / 2) * side + side / 2;
    for c in 3..channels {
        s[c * side * side + centre] = 1.0;
    }
    s
}
