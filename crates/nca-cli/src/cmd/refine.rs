//! `nca refine ...` (placeholder, being written).

use clap::Subcommand;

use super::CmdResult;

/// `nca refine ...`.
#[derive(Subcommand, Debug)]
pub enum RefineCommand {
    /// Not yet available.
    Train,
}

pub fn run(_c: RefineCommand) -> CmdResult {
    Err("not yet available".into())
}
