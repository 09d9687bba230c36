//! The ten templates (the mean training image of each digit), their file format, and the
//! verdict: which template an image resembles most by cosine similarity.
//!
//! A templates file is a safetensors file with `templates` (`[10, H, W]`, f32) and `counts`
//! (`[10]`, the training digits averaged into each, as f32) and the metadata
//! `nca.kind = refine-templates`.

use std::collections::HashMap;
use std::path::Path;

use nca_data::{NUM_CLASSES, Split};

use crate::error::{NcaError, Result};

// The verdict on one image (digit, confidence, cosines) and its computation are the
// playground's, in `nca_models` (one copy).
pub use nca_models::refine::Verdict;

const KIND_KEY: &str = "nca.kind";
const KIND: &str = "refine-templates";

/// The per-digit mean images, row-major, `NUM_CLASSES` of `side × side`.
#[derive(Clone, Debug, PartialEq)]
pub struct Templates {
    /// Image side (28 for MNIST).
    pub side: usize,
    /// The images, `[10, side, side]` row-major, values in `[0, 1]`.
    pub images: Vec<f32>,
    /// How many training digits were averaged into each (0 where unknown).
    pub counts: Vec<u64>,
    norms: Vec<f32>,
}

impl Templates {
    /// Templates from raw parts; checks the sizes and that every value is finite.
    pub fn new(side: usize, images: Vec<f32>, counts: Vec<u64>) -> Result<Self> {
        let bad = |why: String| Err(NcaError::config("templates", why));
        if side == 0 || images.len() != NUM_CLASSES * side * side {
            return bad(format!(
                "expected {NUM_CLASSES} images of {side}x{side}, got {} values",
                images.len()
            ));
        }
        if counts.len() != NUM_CLASSES {
            return bad(format!(
                "expected {NUM_CLASSES} counts, got {}",
                counts.len()
            ));
        }
        if images.iter().any(|v| !v.is_finite()) {
            return bad("a template holds a non-finite value".into());
        }
        let norms = nca_models::refine::template_norms(side, &images);
        Ok(Self {
            side,
            images,
            counts,
            norms,
        })
    }

    /// All-zero templates of `side` (a placeholder to load a checkpoint into).
    pub fn blank(side: usize) -> Self {
        Self::new(
            side,
            vec![0.0; NUM_CLASSES * side * side],
            vec![0; NUM_CLASSES],
        )
        .expect("sizes agree")
    }

    /// The mean image of each digit of `split`; a digit absent from it gets a blank template.
    pub fn from_split(split: &Split) -> Result<Self> {
        if split.is_empty() {
            return Err(NcaError::config("data", "the training split is empty"));
        }
        let (side, n) = (split.rows(), split.rows() * split.cols());
        if split.rows() != split.cols() {
            return Err(NcaError::config("data", "images must be square"));
        }
        let mut sums = vec![0.0f64; NUM_CLASSES * n];
        let mut counts = vec![0u64; NUM_CLASSES];
        for i in 0..split.len() {
            let l = split.label(i) as usize;
            counts[l] += 1;
            for (s, &p) in sums[l * n..(l + 1) * n].iter_mut().zip(split.image(i)) {
                *s += p as f64 / 255.0;
            }
        }
        let images = sums
            .chunks(n)
            .zip(&counts)
            .flat_map(|(s, &c)| s.iter().map(move |v| (v / c.max(1) as f64) as f32))
            .collect();
        Self::new(side, images, counts)
    }

    /// Number of templates (10).
    pub fn classes(&self) -> usize {
        self.norms.len()
    }

    /// Template `k`, row-major.
    pub fn image(&self, k: usize) -> &[f32] {
        let n = self.side * self.side;
        &self.images[k * n..(k + 1) * n]
    }

    /// Writes the templates to `path` (safetensors, atomically; no overwrite unless asked).
    pub fn save(&self, path: &Path, overwrite: bool) -> Result<()> {
        let s = self.side;
        let counts: Vec<f32> = self.counts.iter().map(|&c| c as f32).collect();
        let (img_bytes, count_bytes) = (f32_bytes(&self.images), f32_bytes(&counts));
        let view = |shape: Vec<usize>, bytes| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape, bytes)
                .map_err(|e| NcaError::config("templates", e.to_string()))
        };
        let views = vec![
            ("templates", view(vec![NUM_CLASSES, s, s], &img_bytes)?),
            ("counts", view(vec![NUM_CLASSES], &count_bytes)?),
        ];
        let meta = HashMap::from([(KIND_KEY.to_string(), KIND.to_string())]);
        let bytes = safetensors::serialize(views, Some(meta))
            .map_err(|e| NcaError::config("templates", e.to_string()))?;
        nca_data::write_atomic(path, &bytes, overwrite)?;
        Ok(())
    }

    /// Reads a templates file written by [`Templates::save`].
    pub fn load(path: &Path) -> Result<Self> {
        let bad = |why: String| NcaError::config(format!("templates file {}", path.display()), why);
        let bytes = std::fs::read(path).map_err(|e| NcaError::io(path, e))?;
        let st = safetensors::SafeTensors::deserialize(&bytes)
            .map_err(|e| bad(format!("not a valid safetensors file ({e})")))?;
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| bad(format!("not a valid safetensors file ({e})")))?;
        let kind = header.metadata().as_ref().and_then(|m| m.get(KIND_KEY));
        if kind.map(String::as_str) != Some(KIND) {
            return Err(bad(
                "not a refine templates file (make one with `nca refine templates`)".into(),
            ));
        }
        let read = |name: &str| -> Result<(Vec<usize>, Vec<f32>)> {
            let t = st
                .tensor(name)
                .map_err(|_| bad(format!("no '{name}' tensor")))?;
            let v = crate::checkpoint::f32_values(&t)
                .ok_or_else(|| bad(format!("'{name}' is not f32")))?;
            Ok((t.shape().to_vec(), v))
        };
        let (shape, images) = read("templates")?;
        let (_, counts) = read("counts")?;
        if shape.len() != 3 || shape[1] != shape[2] {
            return Err(bad(format!(
                "templates have shape {shape:?}, expected [10, H, H]"
            )));
        }
        let counts = counts.iter().map(|&c| c.max(0.0) as u64).collect();
        Self::new(shape[1], images, counts).map_err(|e| bad(e.to_string()))
    }
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The verdict on `image` (row-major, the templates' size): the cosine similarity to each
/// template, the most similar digit and its cosine as the confidence.
pub fn verdict(image: &[f32], templates: &Templates) -> Verdict {
    nca_models::refine::cosine_verdict(image, &templates.images, &templates.norms)
}
