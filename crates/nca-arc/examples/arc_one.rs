//! Learns one task and prints each test input, the expected output and the attempts.
//!
//! `cargo run --release -p nca-arc --example arc_one -- TASK.json [settings JSON]`

use std::path::PathBuf;

use nca_arc::{ArcTask, SolverConfig, solve_seeds};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = ArcTask::read(&PathBuf::from(
        args.first()
            .ok_or("usage: arc_one TASK.json [settings JSON]")?,
    ))?;
    let cfg: SolverConfig = match args.get(1) {
        Some(j) => serde_json::from_str(j)?,
        None => SolverConfig::default(),
    };
    let (answer, trained) = solve_seeds(&task, &cfg, |_, _, _| {})?;
    for t in &trained {
        println!(
            "{:?} ticks {:?}: {} steps, loss {:.5}, fits {}",
            t.augment, t.ticks, t.steps, t.loss, t.fits
        );
    }
    for (p, a) in task.test.iter().zip(&answer.attempts) {
        print!("input\n{}expected\n{}", p.input, p.output);
        for (i, g) in a.iter().enumerate() {
            print!(
                "attempt {i}{}\n{g}",
                if *g == p.output { " (right)" } else { "" }
            );
        }
    }
    Ok(())
}
