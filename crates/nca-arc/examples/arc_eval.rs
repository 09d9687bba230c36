//! Solves the first N tasks of each folder under a benchmark and prints the totals.
//!
//! `cargo run --release -p nca-arc --example arc_eval -- DIR [per_folder] [settings JSON]`

use std::path::PathBuf;

use nca_arc::eval::{Summary, eval_files};
use nca_arc::{SolverConfig, task_files};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = PathBuf::from(
        args.first()
            .ok_or("usage: arc_eval DIR [per_folder] [settings JSON]")?,
    );
    let per: usize = args.get(1).map_or(Ok(usize::MAX), |s| s.parse())?;
    let cfg: SolverConfig = match args.get(2) {
        Some(j) => serde_json::from_str(j)?,
        None => SolverConfig::default(),
    };
    let mut files = task_files(&[dir])?;
    let mut count = std::collections::HashMap::new();
    files.retain(|(_, g)| {
        let n = count.entry(g.clone()).or_insert(0usize);
        *n += 1;
        *n <= per
    });
    let start = std::time::Instant::now();
    let out = eval_files(&files, &cfg, 2, None, |o, n, t| {
        eprintln!(
            "[{n}/{t}] {} {:?} fit {} steps {} {:.1}s",
            o.name, o.status, o.seeds_fitting, o.steps, o.seconds
        );
    })?;
    let s = Summary::of(&out);
    println!("{}", serde_json::to_string_pretty(&s)?);
    println!("wall {:.1}s", start.elapsed().as_secs_f64());
    Ok(())
}
