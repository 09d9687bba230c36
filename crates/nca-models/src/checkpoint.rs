//! Reading an nca checkpoint from its bytes: the safetensors weights (f32 or f16) and the JSON
//! metadata (`nca.family`, `nca.format_version`, `nca.step`, `nca.config`) that `nca`'s
//! `checkpoint` module writes. Tensor names are Burn's record paths (`update.layers.0.weight`).

use safetensors::{Dtype, SafeTensors};

use crate::error::{Result, bail};

/// The newest checkpoint format this crate reads (the one `nca` writes).
pub const FORMAT_VERSION: u32 = 1;

/// A parsed checkpoint: its metadata and a view of its tensors.
pub struct Checkpoint<'a> {
    /// The model family (`classify`, `grow`, `refine`, ...).
    pub family: String,
    /// The checkpoint format version.
    pub format_version: u32,
    /// Optimisation steps done when it was written.
    pub step: usize,
    /// The model's and training's configuration (`{"family", "task", "trainer"}`).
    pub config: serde_json::Value,
    tensors: SafeTensors<'a>,
}

impl<'a> Checkpoint<'a> {
    /// Parses the bytes of a checkpoint file.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        let (_, header) = match SafeTensors::read_metadata(bytes) {
            Ok(h) => h,
            Err(e) => bail!("not a valid safetensors file ({e})"),
        };
        let meta = header.metadata().clone().unwrap_or_default();
        let Some(family) = meta.get("nca.family").cloned() else {
            bail!("not an nca checkpoint (no nca.family metadata)");
        };
        let Some(format_version) = meta
            .get("nca.format_version")
            .and_then(|v| v.parse::<u32>().ok())
        else {
            bail!("missing or malformed nca.format_version");
        };
        if format_version > FORMAT_VERSION {
            bail!(
                "format version {format_version} is newer than this build reads ({FORMAT_VERSION}); update nca"
            );
        }
        let step = meta
            .get("nca.step")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let config = match meta.get("nca.config") {
            Some(c) => match serde_json::from_str(c) {
                Ok(v) => v,
                Err(e) => bail!("malformed nca.config ({e})"),
            },
            None => serde_json::Value::Null,
        };
        let tensors = match SafeTensors::deserialize(bytes) {
            Ok(t) => t,
            Err(e) => bail!("not a valid safetensors file ({e})"),
        };
        Ok(Self {
            family,
            format_version,
            step,
            config,
            tensors,
        })
    }

    /// Parses the bytes of a checkpoint file of `family`.
    pub(crate) fn open(bytes: &'a [u8], family: &str) -> Result<Self> {
        let ck = Self::parse(bytes)?;
        ck.expect_family(family)?;
        Ok(ck)
    }

    /// Parses the bytes of a checkpoint file of `family` whose task metadata is a configuration
    /// `T` (named `what` in errors), and reads that, checked by `validate`.
    pub(crate) fn open_with_config<T: serde::de::DeserializeOwned>(
        bytes: &'a [u8],
        family: &str,
        what: &str,
        validate: fn(&T) -> Result<()>,
    ) -> Result<(Self, T)> {
        let ck = Self::open(bytes, family)?;
        let cfg: T = from_json(ck.task(), what)?;
        validate(&cfg)?;
        Ok((ck, cfg))
    }

    /// Fails unless the checkpoint is of `family`.
    pub fn expect_family(&self, family: &str) -> Result<()> {
        if self.family != family {
            bail!(
                "is a '{}' checkpoint, not '{family}' (use `nca {} ...` for it)",
                self.family,
                self.family
            );
        }
        Ok(())
    }

    /// The config's `task` object (or the whole config in older files).
    pub fn task(&self) -> serde_json::Value {
        self.config
            .get("task")
            .cloned()
            .unwrap_or(self.config.clone())
    }

    /// Field `key` of the task object as `T` (named `what` in errors; a missing field reads as
    /// null).
    pub(crate) fn task_field<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
        what: &str,
    ) -> Result<T> {
        from_json(self.task().get(key).cloned().unwrap_or_default(), what)
    }

    /// Whether a tensor of that name exists.
    pub fn has(&self, name: &str) -> bool {
        self.tensors.tensor(name).is_ok()
    }

    /// The shape of tensor `name`, if it exists.
    pub fn shape(&self, name: &str) -> Option<Vec<usize>> {
        self.tensors.tensor(name).ok().map(|t| t.shape().to_vec())
    }

    /// Tensor `name` as f32 values (f16 and bf16 are widened exactly), checked to have `shape`
    /// and only finite values.
    pub fn tensor(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let Ok(t) = self.tensors.tensor(name) else {
            bail!("weights do not fit the model: missing tensor {name}");
        };
        if t.shape() != shape {
            bail!(
                "weights do not fit the model: tensor {name} has shape {:?}, expected {shape:?}",
                t.shape()
            );
        }
        let d = t.data();
        let v: Vec<f32> = match t.dtype() {
            Dtype::F32 => d
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::F16 => d
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            Dtype::BF16 => d
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            other => bail!("tensor {name} has unsupported dtype {other:?}"),
        };
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            bail!(
                "tensor {name} holds a non-finite weight (NaN or Inf at index {i}); refusing to load it"
            );
        }
        Ok(v)
    }

    /// A 2-D convolution's `(weight, bias)` under `prefix` (`prefix.weight`, `prefix.bias`);
    /// a missing bias reads as zeros.
    pub fn conv(&self, prefix: &str, shape: [usize; 4]) -> Result<(Vec<f32>, Vec<f32>)> {
        let w = self.tensor(&format!("{prefix}.weight"), &shape)?;
        let bias = format!("{prefix}.bias");
        let b = if self.has(&bias) {
            self.tensor(&bias, &[shape[0]])?
        } else {
            vec![0.0; shape[0]]
        };
        Ok((w, b))
    }
}

/// Parses `value` (a config object) as `T`, with one clear line on failure.
fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value, what: &str) -> Result<T> {
    match serde_json::from_value(value) {
        Ok(v) => Ok(v),
        Err(e) => bail!("malformed {what} ({e})"),
    }
}
