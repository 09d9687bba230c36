//! `nca`: the command-line program of the nca toolkit. It parses arguments, calls the libraries
//! and prints results; all model logic lives in the `nca` crate.
//!
//! Failures print one line, `error: …`, and exit with status 2 (1 for internal errors); no
//! panic message or backtrace reaches the user unless `RUST_BACKTRACE` is set.

#![warn(missing_docs)]

mod cli;
mod cmd;
mod output;

use std::process::ExitCode;

use clap::Parser;

/// Training steps allocate and free the same large buffers (tens of MB) every step. glibc
/// hands buffers that large to `mmap` and back to the kernel on free, so every step pays for
/// page faults and zeroing of fresh pages (10–15% of a refiner step, measured with `perf`).
/// Serving them from the heap and never trimming it lets a step reuse the previous one's pages.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning parameters; called before any threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

fn main() -> ExitCode {
    restore_default_sigpipe();
    install_panic_hook();
    keep_freed_memory();
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => return usage_error(e),
    };
    match cmd::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::print_error(&e);
            ExitCode::from(2)
        }
    }
}

/// Help and version go to stdout as clap writes them; a usage error becomes one line (clap's
/// message with its detail lines, without the usage and help hints) and status 2, like every
/// other error.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let text = e.render().to_string();
    let line: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty())
        .collect();
    let line = line.join(" ");
    let msg = line.strip_prefix("error: ").unwrap_or(&line);
    output::print_error(&msg);
    ExitCode::from(2)
}

/// Lets `nca ... | head` end quietly when the reader closes the pipe, like other Unix tools,
/// instead of failing on a broken-pipe write.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: setting a signal disposition to its default at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Turns a panic (a bug) into one line unless the user asked for a backtrace.
fn install_panic_hook() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        eprintln!("internal error: {msg} (please report; set RUST_BACKTRACE=1 for details)");
        std::process::exit(1);
    }));
}
