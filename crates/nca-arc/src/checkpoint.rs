//! A trained automaton on disk: its parameters as f32 safetensors, the model and solver
//! settings and the task's name in the metadata. Written atomically (a temporary file renamed).

use std::collections::HashMap;
use std::path::Path;

use nca_fast::NcaParams;
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::error::{ArcError, Result};
use crate::solve::SolverConfig;

/// The checkpoint's `family` metadata value.
pub const FAMILY: &str = "arc";

fn tensors(p: &NcaParams) -> Vec<(String, &[f32])> {
    let mut out = Vec::new();
    if let Some((w, b)) = &p.perception {
        out.push(("perception.weight".to_string(), w.as_slice()));
        out.push(("perception.bias".to_string(), b.as_slice()));
    }
    for (i, (w, b)) in p.layers.iter().enumerate() {
        out.push((format!("layer{i}.weight"), w.as_slice()));
        out.push((format!("layer{i}.bias"), b.as_slice()));
    }
    out
}

/// Writes `params` trained with `cfg` on task `task` to `path`; an existing file is replaced
/// only with `overwrite`.
pub fn save(
    path: &Path,
    params: &NcaParams,
    cfg: &SolverConfig,
    task: &str,
    overwrite: bool,
) -> Result<()> {
    let io = |msg: String| ArcError::Io {
        path: path.to_path_buf(),
        msg,
    };
    if path.exists() && !overwrite {
        return Err(io("already exists (pass --force to overwrite)".into()));
    }
    let bytes: Vec<(String, Vec<u8>)> = tensors(params)
        .into_iter()
        .map(|(n, v)| (n, v.iter().flat_map(|x| x.to_le_bytes()).collect()))
        .collect();
    let views = bytes
        .iter()
        .map(|(n, b)| {
            TensorView::new(Dtype::F32, vec![b.len() / 4], b)
                .map(|v| (n.clone(), v))
                .map_err(|e| io(e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    let meta = HashMap::from([
        ("family".to_string(), FAMILY.to_string()),
        ("task".to_string(), task.to_string()),
        (
            "settings".to_string(),
            serde_json::to_string(cfg).expect("settings serialise"),
        ),
    ]);
    let data = safetensors::serialize(views, Some(meta)).map_err(|e| io(e.to_string()))?;
    let tmp = path.with_extension("safetensors.tmp");
    std::fs::write(&tmp, data).map_err(|e| io(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| io(e.to_string()))
}

/// Reads a checkpoint written by [`save`]: the parameters, settings and task name.
pub fn load(path: &Path) -> Result<(NcaParams, SolverConfig, String)> {
    let bad = |msg: String| ArcError::Task {
        path: path.to_path_buf(),
        msg,
    };
    let bytes = std::fs::read(path).map_err(|e| ArcError::Io {
        path: path.to_path_buf(),
        msg: e.to_string(),
    })?;
    let (_, meta) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let meta = meta.metadata().clone().unwrap_or_default();
    if meta.get("family").map(String::as_str) != Some(FAMILY) {
        return Err(bad(format!(
            "not an ARC checkpoint (family {:?})",
            meta.get("family")
        )));
    }
    let cfg: SolverConfig = serde_json::from_str(meta.get("settings").map_or("", String::as_str))
        .map_err(|e| bad(format!("bad settings: {e}")))?;
    cfg.validate()?;
    let st = SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
    let mut params = NcaParams::zeros(&cfg.model.spec());
    let mut slots: Vec<(String, &mut Vec<f32>)> = Vec::new();
    if let Some((w, b)) = params.perception.as_mut() {
        slots.push(("perception.weight".into(), w));
        slots.push(("perception.bias".into(), b));
    }
    for (i, (w, b)) in params.layers.iter_mut().enumerate() {
        slots.push((format!("layer{i}.weight"), w));
        slots.push((format!("layer{i}.bias"), b));
    }
    for (name, slot) in slots {
        let t = st
            .tensor(&name)
            .map_err(|_| bad(format!("missing tensor {name}")))?;
        if t.dtype() != Dtype::F32 || t.data().len() != slot.len() * 4 {
            return Err(bad(format!("tensor {name} has the wrong type or size")));
        }
        for (v, c) in slot.iter_mut().zip(t.data().chunks_exact(4)) {
            *v = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        }
    }
    Ok((params, cfg, meta.get("task").cloned().unwrap_or_default()))
}
