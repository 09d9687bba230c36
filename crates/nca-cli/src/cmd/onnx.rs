//! `nca <family> export-onnx`: one set of flags and one writer for every family's export.

use std::path::PathBuf;

use clap::Args;

use super::CmdResult;
use crate::output::print_json;

/// `nca <family> export-onnx`.
#[derive(Args, Debug)]
pub struct ExportOnnxArgs {
    /// The checkpoint (.safetensors).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// The ONNX file to write.
    #[arg(short = 'o', long, value_name = "FILE.onnx")]
    pub out: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    pub force: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// What an export wrote, for the report.
pub struct Exported {
    /// The serialised ONNX model.
    pub bytes: Vec<u8>,
    /// The graph's inputs, in order.
    pub inputs: Vec<String>,
    /// How many outputs the graph has and the name of the last.
    pub outputs: (usize, String),
    /// Extra fields for the JSON report.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Refuses an existing output unless `--force`, builds the graph with `build`, writes it
/// atomically and reports it (one JSON object with `--json`, else one line).
pub fn export(
    a: &ExportOnnxArgs,
    build: impl FnOnce(&std::path::Path) -> Result<Exported, Box<dyn std::error::Error>>,
) -> CmdResult {
    super::check_free(&a.out, a.force)?;
    let e = build(&a.checkpoint)?;
    nca_data::write_atomic(&a.out, &e.bytes, a.force)?;
    if a.json {
        let mut v = serde_json::json!({
            "out": a.out, "bytes": e.bytes.len(), "opset": nca::onnx::OPSET,
            "inputs": e.inputs, "outputs": e.outputs.0,
        });
        v.as_object_mut().expect("object").extend(e.extra);
        print_json(&v);
    } else {
        println!(
            "wrote {} ({} bytes; opset {}, inputs {}, {} output(s) up to {})",
            a.out.display(),
            e.bytes.len(),
            nca::onnx::OPSET,
            e.inputs.join(", "),
            e.outputs.0,
            e.outputs.1
        );
    }
    Ok(())
}

/// The export of a cellular automaton's tick ([`nca::onnx::nca_tick`]): inputs `state`, `fire`
/// and (with residual noise) `noise`, output `next_state`.
pub fn nca_tick(
    nca: &nca::ca::Nca,
    family: &str,
    config: &impl serde::Serialize,
) -> Result<Exported, Box<dyn std::error::Error>> {
    let config = serde_json::to_value(config)?;
    let bytes = nca::onnx::nca_tick(nca, family, &config)?;
    let noise = nca.cfg.noise_std > 0.0;
    let random: &[&str] = if noise { &["fire", "noise"] } else { &["fire"] };
    Ok(tick(bytes, random))
}

/// The report of a one-tick graph: inputs `state` and the family's random draws, output
/// `next_state`.
pub fn tick(bytes: Vec<u8>, random_inputs: &[&str]) -> Exported {
    let inputs = std::iter::once("state")
        .chain(random_inputs.iter().copied())
        .map(String::from)
        .collect();
    Exported {
        bytes,
        inputs,
        outputs: (1, "next_state".into()),
        extra: serde_json::Map::new(),
    }
}
