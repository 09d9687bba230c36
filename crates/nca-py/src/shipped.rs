//! The models the project trained and ships in `models/`, embedded in the extension so that
//! `nca.load("lizard")` works wherever the wheel is installed.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;

/// A shipped model: its name for `nca.load` and its checkpoint bytes.
pub struct Shipped {
    /// The name `nca.load` takes.
    pub name: &'static str,
    /// What it is, for `nca.shipped_models()`.
    pub what: &'static str,
    /// The safetensors checkpoint.
    pub bytes: &'static [u8],
}

/// Every shipped model.
pub const SHIPPED: &[Shipped] = &[
    Shipped {
        name: "lizard",
        what: "grow: the regenerating lizard emoji (Growing NCA, 40x40 + padding)",
        bytes: include_bytes!("../../../models/lizard.safetensors"),
    },
    Shipped {
        name: "classify-mnist",
        what: "classify: self-classifying MNIST digits",
        bytes: include_bytes!("../../../models/classify-mnist.safetensors"),
    },
    Shipped {
        name: "generate-grow",
        what: "generate: grows a digit of the requested class from one seed cell",
        bytes: include_bytes!("../../../models/generate-grow.safetensors"),
    },
    Shipped {
        name: "generate-reconstruct",
        what: "generate: reconstructs a blurred digit given its class",
        bytes: include_bytes!("../../../models/generate-reconstruct.safetensors"),
    },
    Shipped {
        name: "refine-mnist",
        what: "refine: rewrites a digit into its class template (f16 weights)",
        bytes: include_bytes!("../../../models/refine-mnist-f16.safetensors"),
    },
];

/// The shipped model called `name`, if any.
pub fn find(name: &str) -> Option<&'static Shipped> {
    SHIPPED.iter().find(|s| s.name == name)
}

/// A checkpoint file that exists for as long as this value: the given path, or the shipped
/// bytes written to a private temporary file (the family loaders read files).
pub struct CheckpointFile {
    path: PathBuf,
    temporary: bool,
}

impl CheckpointFile {
    /// The path to load from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file for `path_or_name`: a shipped model's name, a checkpoint path or a training
    /// run's folder (its latest checkpoint).
    pub fn open(path_or_name: &str) -> std::io::Result<(Self, Vec<u8>)> {
        if let Some(s) = find(path_or_name) {
            static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let path = std::env::temp_dir().join(format!(
                "nca-py-{}-{n}-{}.safetensors",
                std::process::id(),
                s.name
            ));
            std::fs::write(&path, s.bytes)?;
            let file = Self {
                path,
                temporary: true,
            };
            return Ok((file, s.bytes.to_vec()));
        }
        let mut path = PathBuf::from(path_or_name);
        if path.is_dir() {
            // A run folder: its latest checkpoint.
            path = nca::trainer::model_path(&path);
        }
        let bytes = std::fs::read(&path)?;
        Ok((
            Self {
                path,
                temporary: false,
            },
            bytes,
        ))
    }
}

impl Drop for CheckpointFile {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `{name: description}` of the models `nca.load` knows by name.
#[pyfunction]
pub fn shipped_models() -> Vec<(&'static str, &'static str)> {
    SHIPPED.iter().map(|s| (s.name, s.what)).collect()
}
