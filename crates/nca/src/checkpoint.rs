//! Checkpoints: safetensors weights with the model's family, format version, step and config as
//! JSON metadata, so that a file says what it is and loads into the PyTorch reference by name.
//! Writes are atomic (temporary file + rename); loading checks family and version first.

use std::collections::HashMap;
use std::path::Path;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::store::{HalfPrecisionAdapter, ModuleSnapshot, SafetensorsStore};
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::error::{NcaError, Result};

/// The checkpoint format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

const KEY_FAMILY: &str = "nca.family";
const KEY_VERSION: &str = "nca.format_version";
const KEY_STEP: &str = "nca.step";
const KEY_CONFIG: &str = "nca.config";
const KEY_PRECISION: &str = "nca.precision";
const KEY_PARAM_IDS: &str = "nca.param_ids";

/// Storage precision of the weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// 32-bit floats (exact).
    #[default]
    F32,
    /// 16-bit floats (half the size; for shipped models).
    F16,
}

/// What a checkpoint says about itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// The model family (`classify`, `grow`, ...).
    pub family: String,
    /// The checkpoint format version.
    pub format_version: u32,
    /// Optimisation steps done when it was written.
    pub step: usize,
    /// The model's (and training's) configuration.
    pub config: serde_json::Value,
    /// Storage precision of the weights.
    pub precision: Precision,
}

impl CheckpointMeta {
    /// Metadata for a checkpoint of `family` at `step` in the current format.
    pub fn new(family: &str, step: usize, config: serde_json::Value) -> Self {
        Self {
            family: family.into(),
            format_version: FORMAT_VERSION,
            step,
            config,
            precision: Precision::F32,
        }
    }
}

fn ckpt_err(path: &Path, why: impl Into<String>) -> NcaError {
    NcaError::Checkpoint {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

/// Parameter ids in visiting order; stored so that a resumed optimiser finds its state.
fn param_ids<M: Module>(model: &M) -> Vec<u64> {
    struct Ids(Vec<u64>);
    impl ModuleVisitor for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.id.val());
        }
    }
    let mut ids = Ids(Vec::new());
    model.visit(&mut ids);
    ids.0
}

/// Gives the model's parameters the ids in `ids` (visiting order).
fn assign_param_ids<M: Module>(model: M, ids: &[u64]) -> M {
    struct Assign<'a>(std::slice::Iter<'a, u64>);
    impl ModuleMapper for Assign<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            match self.0.next() {
                Some(id) => {
                    let (_, value, mapper) = param.consume();
                    Param::from_mapped_value(ParamId::from(*id), value, mapper)
                }
                None => param,
            }
        }
    }
    model.map(&mut Assign(ids.iter()))
}

/// Serialises `model` with `meta` into safetensors bytes.
pub fn encode<M: Module>(model: &M, meta: &CheckpointMeta) -> Result<Vec<u8>> {
    let config = serde_json::to_string(&meta.config).expect("JSON value serialises");
    let ids = serde_json::to_string(&param_ids(model)).expect("ids serialise");
    let mut store = SafetensorsStore::from_bytes(None)
        .metadata(KEY_FAMILY, meta.family.clone())
        .metadata(KEY_VERSION, meta.format_version.to_string())
        .metadata(KEY_STEP, meta.step.to_string())
        .metadata(KEY_CONFIG, config)
        .metadata(
            KEY_PRECISION,
            match meta.precision {
                Precision::F32 => "f32",
                Precision::F16 => "f16",
            },
        )
        .metadata(KEY_PARAM_IDS, ids);
    if meta.precision == Precision::F16 {
        store = store.with_to_adapter(HalfPrecisionAdapter::new());
    }
    model
        .save_into(&mut store)
        .map_err(|e| NcaError::config("checkpoint", format!("cannot serialise model: {e}")))?;
    store
        .get_bytes()
        .map_err(|e| NcaError::config("checkpoint", format!("cannot serialise model: {e}")))
}

/// Writes `model` with `meta` to `path` atomically; refuses to replace an existing file unless
/// `overwrite`.
pub fn save<M: Module>(
    model: &M,
    meta: &CheckpointMeta,
    path: &Path,
    overwrite: bool,
) -> Result<()> {
    let bytes = encode(model, meta)?;
    nca_data::write_atomic(path, &bytes, overwrite)?;
    Ok(())
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| ckpt_err(path, format!("cannot read: {e}")))
}

fn parse_meta(path: &Path, bytes: &[u8]) -> Result<(CheckpointMeta, HashMap<String, String>)> {
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| ckpt_err(path, format!("not a valid safetensors file ({e})")))?;
    let map = header.metadata().clone().unwrap_or_default();
    let get = |k: &str| map.get(k).cloned();
    let family = get(KEY_FAMILY)
        .ok_or_else(|| ckpt_err(path, "not an nca checkpoint (no nca.family metadata)"))?;
    let format_version: u32 = get(KEY_VERSION)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ckpt_err(path, "missing or malformed nca.format_version"))?;
    if format_version > FORMAT_VERSION {
        return Err(ckpt_err(
            path,
            format!(
                "format version {format_version} is newer than this build reads ({FORMAT_VERSION}); update nca"
            ),
        ));
    }
    let step = get(KEY_STEP).and_then(|v| v.parse().ok()).unwrap_or(0);
    let config = match get(KEY_CONFIG) {
        Some(c) => serde_json::from_str(&c)
            .map_err(|e| ckpt_err(path, format!("malformed nca.config ({e})")))?,
        None => serde_json::Value::Null,
    };
    let precision = match get(KEY_PRECISION).as_deref() {
        Some("f16") => Precision::F16,
        _ => Precision::F32,
    };
    let meta = CheckpointMeta {
        family,
        format_version,
        step,
        config,
        precision,
    };
    Ok((meta, map))
}

/// Reads only the metadata of a checkpoint (family, version, step, config).
pub fn read_meta(path: &Path) -> Result<CheckpointMeta> {
    read_meta_bytes(path, &read_bytes(path)?)
}

/// The metadata of the checkpoint whose file holds `bytes`, as [`read_meta`] reads it; `path` is
/// only used in error messages.
pub fn read_meta_bytes(path: &Path, bytes: &[u8]) -> Result<CheckpointMeta> {
    Ok(parse_meta(path, bytes)?.0)
}

/// Checks that a checkpoint is of `family`, with one clear error otherwise.
pub fn expect_family(path: &Path, meta: &CheckpointMeta, family: &str) -> Result<()> {
    if meta.family != family {
        return Err(ckpt_err(
            path,
            format!(
                "is a '{}' checkpoint, not '{family}' (use `nca {} ...` for it)",
                meta.family, meta.family
            ),
        ));
    }
    Ok(())
}

/// Refuses a checkpoint with a NaN or infinite weight, naming the first such tensor: a model
/// that diverged must not load and evaluate silently.
fn check_finite(path: &Path, bytes: &[u8]) -> Result<()> {
    let st = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| ckpt_err(path, format!("not a valid safetensors file ({e})")))?;
    let mut names = st.names();
    names.sort();
    for name in names {
        let view = st.tensor(name).map_err(|e| ckpt_err(path, e.to_string()))?;
        let data = view.data();
        let bad = match view.dtype() {
            safetensors::Dtype::F32 => data
                .chunks_exact(4)
                .position(|c| !f32::from_le_bytes([c[0], c[1], c[2], c[3]]).is_finite()),
            safetensors::Dtype::F16 => data
                .chunks_exact(2)
                .position(|c| !half::f16::from_le_bytes([c[0], c[1]]).is_finite()),
            safetensors::Dtype::F64 => data
                .chunks_exact(8)
                .position(|c| !f64::from_le_bytes(c.try_into().expect("8 bytes")).is_finite()),
            _ => None,
        };
        if let Some(i) = bad {
            return Err(ckpt_err(
                path,
                format!(
                    "tensor {name} holds a non-finite weight (NaN or Inf at index {i}); refusing to load it"
                ),
            ));
        }
    }
    Ok(())
}

/// Loads the weights of a `family` checkpoint into `model` (which must have the architecture the
/// checkpoint's config describes). Parameter ids are restored too, so an optimiser state saved
/// with the checkpoint applies again.
pub fn load<M: Module>(model: M, path: &Path, family: &str) -> Result<(M, CheckpointMeta)> {
    let bytes = read_bytes(path)?;
    let (meta, map) = parse_meta(path, &bytes)?;
    expect_family(path, &meta, family)?;
    check_finite(path, &bytes)?;
    let mut store = SafetensorsStore::from_bytes(Some(bytes));
    if meta.precision == Precision::F16 {
        store = store.with_from_adapter(HalfPrecisionAdapter::new());
    }
    let mut model = model;
    let result = model
        .load_from(&mut store)
        .map_err(|e| ckpt_err(path, format!("corrupt or incompatible weights ({e})")))?;
    if !result.errors.is_empty() || !result.missing.is_empty() {
        let first = result
            .errors
            .first()
            .map(|e| e.to_string())
            .or_else(|| {
                result
                    .missing
                    .first()
                    .map(|m| format!("missing tensor {}", m.0))
            })
            .unwrap_or_default();
        return Err(ckpt_err(
            path,
            format!("weights do not fit the model: {first}"),
        ));
    }
    if let Some(ids) = map
        .get(KEY_PARAM_IDS)
        .and_then(|s| serde_json::from_str::<Vec<u64>>(s).ok())
    {
        model = assign_param_ids(model, &ids);
    }
    Ok((model, meta))
}

/// The part of a checkpoint's config at the first of `keys` paths that exists (each a list of
/// object keys from the top; the whole config when none does), read as `C` (absent fields take
/// their defaults). `what` names it in the error of a malformed one.
pub fn config_part<C: serde::de::DeserializeOwned>(
    path: &Path,
    meta: &CheckpointMeta,
    keys: &[&[&str]],
    what: &str,
) -> Result<C> {
    let found = keys.iter().find_map(|k| {
        k.iter()
            .try_fold(&meta.config, |v, key| v.get(key))
            .filter(|v| !v.is_null())
    });
    let value = found.cloned().unwrap_or_else(|| meta.config.clone());
    serde_json::from_value(value).map_err(|e| ckpt_err(path, format!("malformed {what} ({e})")))
}

/// The values of a safetensors tensor stored as little-endian f32, or `None` for another dtype.
pub(crate) fn f32_values(view: &safetensors::tensor::TensorView<'_>) -> Option<Vec<f32>> {
    (view.dtype() == safetensors::Dtype::F32).then(|| {
        view.data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    })
}

/// [`config_part`] followed by the configuration's own `validate`: what a family's
/// `config_from_meta` does.
pub fn validated_part<C: serde::de::DeserializeOwned, E>(
    path: &Path,
    meta: &CheckpointMeta,
    keys: &[&[&str]],
    what: &str,
    validate: impl FnOnce(&C) -> std::result::Result<(), E>,
) -> Result<C>
where
    NcaError: From<E>,
{
    let cfg = config_part(path, meta, keys, what)?;
    validate(&cfg)?;
    Ok(cfg)
}

/// Loads a `family` checkpoint whole: reads its settings from the metadata with `config`, builds
/// a model of that architecture with `build` and loads the weights into it. Every family's
/// `load_checkpoint` is this with its own two functions.
pub fn load_family<C, M: Module>(
    path: &Path,
    family: &str,
    config: impl FnOnce(&Path, &CheckpointMeta) -> Result<C>,
    build: impl FnOnce(&C) -> M,
) -> Result<(M, C, CheckpointMeta)> {
    let meta = read_meta(path)?;
    expect_family(path, &meta, family)?;
    let cfg = config(path, &meta)?;
    let (model, meta) = load(build(&cfg), path, family)?;
    Ok((model, cfg, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::update::CellMlp;
    use burn::tensor::Device;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("nca-ckpt-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// A small MLP with random weights: the module the tests save and load.
    fn mlp() -> CellMlp {
        CellMlp::new(&[4, 6, 3], false, &Device::flex())
    }

    fn weights(m: &CellMlp) -> Vec<f32> {
        m.layers
            .iter()
            .flat_map(|l| l.weight.val().into_data().try_to_vec::<f32>().unwrap())
            .collect()
    }

    #[test]
    fn round_trip_keeps_weights_meta_and_ids() {
        let m = mlp();
        let d = tmp("rt");
        let p = d.join("m.safetensors");
        let meta = CheckpointMeta::new("tiny", 7, serde_json::json!({"a": 1}));
        save(&m, &meta, &p, false).unwrap();
        assert!(save(&m, &meta, &p, false).is_err(), "no silent overwrite");
        let fresh = mlp();
        let (loaded, got) = load(fresh, &p, "tiny").unwrap();
        assert_eq!(got, meta);
        assert_eq!(weights(&loaded), weights(&m));
        assert_eq!(param_ids(&loaded), param_ids(&m));
        std::fs::remove_dir_all(d).unwrap();
    }

    /// Rewrites the checkpoint at `p` with one value of tensor `victim` replaced by `value`.
    fn poison(p: &Path, victim: &str, value: f32) {
        let bytes = std::fs::read(p).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = st
            .tensors()
            .into_iter()
            .map(|(n, v)| (n, v.shape().to_vec(), v.data().to_vec()))
            .collect();
        let t = tensors.iter_mut().find(|t| t.0 == victim).expect("tensor");
        t.2[4..8].copy_from_slice(&value.to_le_bytes());
        let views: Vec<_> = tensors
            .iter()
            .map(|(n, s, d)| {
                let v = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d)
                    .unwrap();
                (n.clone(), v)
            })
            .collect();
        let out = safetensors::serialize(views, header.metadata().clone()).unwrap();
        std::fs::write(p, out).unwrap();
    }

    #[test]
    fn non_finite_weights_are_refused_naming_the_tensor() {
        let dev = Device::flex();
        let m = CellMlp::new(&[4, 6, 3], true, &dev);
        let d = tmp("nan");
        for (i, value) in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY]
            .into_iter()
            .enumerate()
        {
            let p = d.join(format!("m{i}.safetensors"));
            save(
                &m,
                &CheckpointMeta::new("tiny", 0, serde_json::Value::Null),
                &p,
                false,
            )
            .unwrap();
            assert!(load(CellMlp::new(&[4, 6, 3], true, &dev), &p, "tiny").is_ok());
            poison(&p, "layers.1.bias", value);
            let e = load(CellMlp::new(&[4, 6, 3], true, &dev), &p, "tiny")
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("layers.1.bias") && e.contains("non-finite"),
                "{e}"
            );
            assert!(!e.contains('\n'), "one line: {e}");
        }
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn half_precision_is_close() {
        let m = mlp();
        let mut meta = CheckpointMeta::new("tiny", 0, serde_json::Value::Null);
        meta.precision = Precision::F16;
        let d = tmp("f16");
        let p = d.join("m.safetensors");
        save(&m, &meta, &p, false).unwrap();
        let (loaded, _) = load(mlp(), &p, "tiny").unwrap();
        for (a, b) in weights(&loaded).iter().zip(weights(&m)) {
            assert!((a - b).abs() <= 1e-3 * b.abs().max(1e-2), "{a} vs {b}");
        }
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn read_meta_bytes_reads_what_read_meta_reads() {
        let m = mlp();
        let meta = CheckpointMeta::new("tiny", 3, serde_json::json!({"task": {"b": [1, 2]}}));
        let bytes = encode(&m, &meta).unwrap();
        let d = tmp("meta-bytes");
        let p = d.join("m.safetensors");
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(read_meta_bytes(&p, &bytes).unwrap(), meta);
        assert_eq!(read_meta(&p).unwrap(), meta);
        let e = read_meta_bytes(Path::new("x.safetensors"), b"\x05\0\0\0\0\0\0\0{}")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.safetensors") && e.contains("not a valid"),
            "{e}"
        );
        std::fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn wrong_family_newer_version_corrupt_and_mismatched_are_clear_errors() {
        let dev = Device::flex();
        let m = mlp();
        let d = tmp("bad");
        let p = d.join("m.safetensors");
        save(
            &m,
            &CheckpointMeta::new("grow", 0, serde_json::Value::Null),
            &p,
            false,
        )
        .unwrap();
        let e = load(mlp(), &p, "classify").unwrap_err().to_string();
        assert!(e.contains("'grow' checkpoint, not 'classify'"), "{e}");

        let e = load(CellMlp::new(&[5, 6, 3], false, &dev), &p, "grow")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("do not fit") || e.contains("incompatible"),
            "{e}"
        );

        let mut newer = CheckpointMeta::new("grow", 0, serde_json::Value::Null);
        newer.format_version = FORMAT_VERSION + 1;
        let p2 = d.join("newer.safetensors");
        save(&m, &newer, &p2, false).unwrap();
        let e = read_meta(&p2).unwrap_err().to_string();
        assert!(e.contains("newer"), "{e}");

        let p3 = d.join("corrupt.safetensors");
        let mut bytes = std::fs::read(&p).unwrap();
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&p3, &bytes).unwrap();
        let e = load(mlp(), &p3, "grow").unwrap_err().to_string();
        assert!(e.contains("checkpoint"), "{e}");
        let p4 = d.join("garbage.safetensors");
        std::fs::write(&p4, b"hello").unwrap();
        assert!(
            read_meta(&p4)
                .unwrap_err()
                .to_string()
                .contains("not a valid safetensors")
        );
        std::fs::remove_dir_all(d).unwrap();
    }
}
