//! `nca checkpoint info FILE`: what a checkpoint says about itself.

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
    }
    Ok(())
}
