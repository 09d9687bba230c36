//! `nca plot RUN`: the metrics of a training run as a PNG.

use super::CmdResult;
use crate::cli::PlotArgs;

pub fn run(a: PlotArgs) -> CmdResult {
    let metrics = if a.run.is_dir() {
        a.run.join("metrics.jsonl")
    } else {
        a.run.clone()
    };
    if !metrics.exists() {
        return Err(format!(
            "{} not found (is {} a run directory?)",
            metrics.display(),
            a.run.display()
        )
        .into());
    }
    let out = a.out.unwrap_or_else(|| {
        metrics
            .parent()
            .map(|p| p.join("metrics.png"))
            .unwrap_or_else(|| "metrics.png".into())
    });
    nca_viz::plot_metrics(&metrics, &out, a.force)?;
    println!("wrote {}", out.display());
    Ok(())
}
