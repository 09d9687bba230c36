//! Output helpers: JSON on stdout for scripts, one-line errors on stderr, colour only on a
//! terminal.

use std::io::IsTerminal;

/// Prints `value` as one JSON object on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string(value).expect("output serialises")
    );
}

/// Prints `error: <message>` on stderr (in red on a terminal).
pub fn print_error(e: &dyn std::fmt::Display) {
    let msg = e.to_string().replace('\n', " ");
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        eprintln!("\x1b[1;31merror:\x1b[0m {msg}");
    } else {
        eprintln!("error: {msg}");
    }
}

/// Whether progress bars should be drawn (stderr is a terminal).
pub fn interactive() -> bool {
    std::io::stderr().is_terminal()
}

/// Prints what a training run did: one JSON object with `--json`, else one line.
pub fn print_train_report(report: &nca::trainer::TrainReport, json: bool) {
    if json {
        print_json(report);
    } else {
        println!(
            "trained {} steps ({} now) in {:.1} s: loss {:.5}; model in {}",
            report.steps,
            report.steps_this_run,
            report.wall_s,
            report.final_loss,
            report.model_path.display()
        );
    }
}
