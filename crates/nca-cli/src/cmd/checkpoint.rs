//! `nca checkpoint info FILE`: what a checkpoint says about itself; `nca checkpoint convert`:
//! the same checkpoint in another storage precision.

use std::path::Path;

use nca::checkpoint::{CheckpointMeta, Precision, save};

use super::CmdResult;
use crate::cli::CheckpointCommand;
use crate::output::print_json;

pub fn run(c: CheckpointCommand) -> CmdResult {
    match c {
        CheckpointCommand::Info { file, json } => {
            let meta = nca::checkpoint::read_meta(&file)?;
            if json {
                print_json(&meta);
            } else {
                println!("family          {}", meta.family);
                println!("format version  {}", meta.format_version);
                println!("step            {}", meta.step);
                println!("precision       {:?}", meta.precision);
                println!("config          {}", meta.config);
            }
        }
        CheckpointCommand::Convert {
            file,
            out,
            precision,
            force,
            json,
        } => {
            let precision = match precision.as_str() {
                "f16" => Precision::F16,
                "f32" => Precision::F32,
                other => {
                    return Err(format!("--precision must be f16 or f32, not '{other}'").into());
                }
            };
            super::check_free(&out, force)?;
            let family = convert(&file, &out, precision, force)?;
            let bytes = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            if json {
                print_json(&serde_json::json!({
                    "family": family, "out": out, "precision": precision,
                    "bytes_in": bytes(&file), "bytes_out": bytes(&out),
                }));
            } else {
                println!(
                    "{family} checkpoint written to {} as {precision:?} ({} -> {} bytes)",
                    out.display(),
                    bytes(&file),
                    bytes(&out)
                );
            }
        }
    }
    Ok(())
}

/// Loads `file` with its family's loader and saves it to `out` in `precision`; returns the family.
fn convert(
    file: &Path,
    out: &Path,
    precision: Precision,
    force: bool,
) -> Result<String, Box<dyn std::error::Error>> {
    let device = nca::device::device_for(None)?;
    let family = nca::checkpoint::read_meta(file)?.family;
    let with = |meta: CheckpointMeta| CheckpointMeta { precision, ..meta };
    match family.as_str() {
        "refine" => {
            let (m, _, meta) = nca::refine::load_checkpoint(file, &device)?;
            save(&m, &with(meta), out, force)?;
        }
        "classify" => {
            let (m, _, meta) = nca::classify::model::load_checkpoint(file, &device)?;
            save(&m, &with(meta), out, force)?;
        }
        "grow" => {
            let (m, _, _, meta) = nca::grow::model::load_checkpoint(file, &device)?;
            save(&m, &with(meta), out, force)?;
        }
        "attention" => {
            let (m, _, meta) = nca::attention::load_checkpoint(file, &device)?;
            save(&m, &with(meta), out, force)?;
        }
        "generate" => {
            let (m, _, meta) = nca::generate::load_checkpoint(file, &device)?;
            save(&m, &with(meta), out, force)?;
        }
        other => return Err(format!("converting '{other}' checkpoints is not supported").into()),
    }
    Ok(family)
}
