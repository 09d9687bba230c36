//! `nca data ...`: show, download and verify data sets.

use nca_data::{
    FetchAction, choose_data_dir, dataset_info, fetch_mnist, resolve_data_dir, verify_mnist,
};

use super::CmdResult;
use crate::cli::DataCommand;
use crate::output::print_json;

pub fn run(c: DataCommand) -> CmdResult {
    match c {
        DataCommand::Info(a) => {
            let dir = resolve_data_dir(a.data.as_deref())?;
            let info = dataset_info(&dir)?;
            if a.json {
                print_json(&info);
            } else {
                println!("MNIST in {}", info.dir.display());
                println!("{:<6} {:>7} {:>6}  labels 0..9", "split", "images", "size");
                for s in &info.splits {
                    let hist: Vec<String> = s.histogram.iter().map(|n| n.to_string()).collect();
                    println!(
                        "{:<6} {:>7} {:>6}  {}",
                        s.name.to_string(),
                        s.count,
                        format!("{}x{}", s.rows, s.cols),
                        hist.join(" ")
                    );
                }
            }
        }
        DataCommand::Fetch { dataset: _, data } => {
            let (dir, source) = choose_data_dir(data.as_deref())?;
            eprintln!("fetching MNIST into {} (from {source})", dir.display());
            let report = fetch_mnist(&dir)?;
            for f in &report.files {
                match &f.action {
                    FetchAction::AlreadyPresent => println!("{}: already present, md5 ok", f.name),
                    FetchAction::Downloaded { url, bytes } => {
                        println!("{}: downloaded {bytes} bytes from {url}, md5 ok", f.name)
                    }
                }
            }
            println!("MNIST is ready in {}", report.dir.display());
        }
        DataCommand::Verify(a) => {
            let dir = resolve_data_dir(a.data.as_deref())?;
            let checks = verify_mnist(&dir)?;
            let all_ok = checks.iter().all(|c| c.ok);
            if a.json {
                let files: Vec<_> = checks
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "name": c.name, "ok": c.ok, "md5": c.md5, "problem": c.problem,
                            "path": c.path,
                        })
                    })
                    .collect();
                print_json(&serde_json::json!({ "ok": all_ok, "files": files }));
            } else {
                for c in &checks {
                    match &c.problem {
                        None => println!("{:<26} ok", c.name),
                        Some(p) => println!("{:<26} FAILED: {p}", c.name),
                    }
                }
            }
            if !all_ok {
                return Err(
                    "some MNIST files are missing or corrupt (run `nca data fetch mnist`)".into(),
                );
            }
        }
    }
    Ok(())
}
