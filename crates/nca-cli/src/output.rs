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

/// Runs `work` with a progress callback that counts digits done out of `n` on stderr (on a
/// terminal and without `--json` only), and ends the count's line after it.
pub fn with_progress<T>(n: usize, json: bool, work: impl FnOnce(&mut dyn FnMut(usize)) -> T) -> T {
    let show = interactive() && !json;
    let out = work(&mut |done| {
        if show {
            eprint!("\r{done}/{n} digits");
        }
    });
    if show {
        eprintln!();
    }
    out
}

/// One value per tick or step as plot points at x = 1, 2, …
pub fn per_step(values: &[f64]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, y)| ((i + 1) as f64, *y))
        .collect()
}

impl crate::cli::ReportArgs {
    /// Refuses an existing plot file (unless `--force`) before any work starts.
    pub fn check_plot(&self) -> crate::cmd::CmdResult {
        match &self.plot {
            Some(p) => crate::cmd::check_free(p, self.force),
            None => Ok(()),
        }
    }

    /// Draws `curves` (y: a share) to the `--plot` file, if one was asked for.
    pub fn plot(
        &self,
        title: &str,
        x_label: &str,
        curves: &[(&str, Vec<(f64, f64)>)],
    ) -> crate::cmd::CmdResult {
        if let Some(p) = &self.plot {
            nca_viz::plot_curves(title, x_label, "share", curves, p, self.force)?;
        }
        Ok(())
    }
}
