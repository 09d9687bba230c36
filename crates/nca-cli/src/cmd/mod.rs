//! One module per command; [`run`] dispatches.

pub mod arc;
pub mod attention;
mod checkpoint;
mod classify;
mod data;
pub mod eca;
pub mod generate;
pub mod grow;
mod http;
pub mod lenia;
mod life;
pub mod onnx;
mod plot;
pub mod refine;
mod tiny;
mod train;
pub mod web;

use crate::cli::{Cli, Command};

/// The error type of commands: anything printable as one line.
pub type CmdResult = Result<(), Box<dyn std::error::Error>>;

/// Runs the parsed command line.
pub fn run(cli: Cli) -> CmdResult {
    match cli.command {
        Command::Life(a) => life::run(a),
        Command::Eca(c) => eca::run(c),
        Command::Lenia(c) => lenia::run(c),
        Command::Arc(c) => arc::run_command(c),
        Command::Data(c) => data::run(c),
        Command::Plot(a) => plot::run(a),
        Command::Checkpoint(c) => checkpoint::run(c),
        Command::Classify(c) => classify::run(c),
        Command::Grow(c) => grow::run(c),
        Command::Refine(c) => refine::run(c),
        Command::Generate(c) => generate::run(c),
        Command::Attention(c) => attention::run(c),
        Command::Tiny(c) => tiny::run(c),
        Command::Serve(a) => web::serve(a),
        Command::Web(c) => web::run(c),
    }
}

/// Parses `WIDTHxHEIGHT` (or a single number for a square).
pub fn parse_size(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("malformed size '{s}' (expected WIDTHxHEIGHT, e.g. 64x48)");
    let (w, h) = match s.split_once(['x', 'X']) {
        Some((w, h)) => (w.trim(), h.trim()),
        None => (s.trim(), s.trim()),
    };
    let w: usize = w.parse().map_err(|_| bad())?;
    let h: usize = h.parse().map_err(|_| bad())?;
    if w == 0 || h == 0 {
        return Err(format!("size '{s}' must be at least 1x1"));
    }
    Ok((w, h))
}

/// Refuses to go on when `path` exists and `--force` was not given: the one overwrite check of
/// every command that writes a file.
pub fn check_free(path: &std::path::Path, force: bool) -> CmdResult {
    if path.exists() && !force {
        return Err(format!(
            "{} already exists (pass --force to overwrite)",
            path.display()
        )
        .into());
    }
    Ok(())
}
