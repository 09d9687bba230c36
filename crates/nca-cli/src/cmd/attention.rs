//! `nca attention ...` (placeholder, being written).

use clap::Subcommand;

use super::CmdResult;

/// `nca attention ...`.
#[derive(Subcommand, Debug)]
pub enum AttentionCommand {
    /// Not yet available.
    Train,
}

pub fn run(_c: AttentionCommand) -> CmdResult {
    Err("not yet available".into())
}
