//! An advisory lock on a run directory, held while a training owns it: a second `train` on the
//! same directory (fresh or `--resume`) is refused with one clear line instead of both writing
//! the same checkpoints. The lock is the operating system's (`flock` on Unix), so it dies with
//! its process: a training killed with SIGKILL leaves no stale lock behind.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::error::{NcaError, Result};

/// The lock file inside a run directory.
pub const LOCK_FILE: &str = ".lock";

/// Holds a run directory's lock until dropped.
#[derive(Debug)]
pub struct RunLock {
    _file: std::fs::File,
    path: PathBuf,
}

impl RunLock {
    /// Takes the lock of `dir` (which must exist), or fails at once when another process holds
    /// it. The holder's process id is written into the lock file for the message.
    pub fn acquire(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| NcaError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => String::new(),
                    pid => format!(" (pid {pid})"),
                };
                return Err(NcaError::config(
                    "--out",
                    format!(
                        "{} is in use by another training{holder}; wait for it to end or choose another --out",
                        dir.display()
                    ),
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(NcaError::io(&path, e)),
        }
        let written = (|| {
            file.set_len(0)?;
            file.rewind()?;
            write!(file, "{}", std::process::id())?;
            file.flush()
        })();
        written.map_err(|e| NcaError::io(&path, e))?;
        Ok(Self { _file: file, path })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = std::env::temp_dir().join(format!("nca-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = RunLock::acquire(&dir).unwrap();
        let e = RunLock::acquire(&dir).unwrap_err().to_string();
        assert!(e.contains("in use by another training"), "{e}");
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        assert!(first.path().ends_with(LOCK_FILE));
        drop(first);
        let again = RunLock::acquire(&dir).expect("free after drop");
        drop(again);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
