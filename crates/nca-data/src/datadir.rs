//! Where data lives: `--data DIR` if given, else the `NCA_DATA` environment variable, else
//! `$HOME/.cache/nca`.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};

/// Name of the environment variable that points at the data directory.
pub const DATA_ENV_VAR: &str = "NCA_DATA";

/// Where the chosen data directory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataDirSource {
    /// The `--data DIR` command-line option.
    Cli,
    /// The `NCA_DATA` environment variable.
    Env,
    /// The default, `$HOME/.cache/nca`.
    Default,
}

impl fmt::Display for DataDirSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataDirSource::Cli => "--data",
            DataDirSource::Env => "NCA_DATA",
            DataDirSource::Default => "the default $HOME/.cache/nca",
        })
    }
}

/// Chooses the data directory without checking that it exists (for commands that create it,
/// such as a download): `cli` if given, else `NCA_DATA`, else `$HOME/.cache/nca`.
pub fn choose_data_dir(cli: Option<&Path>) -> Result<(PathBuf, DataDirSource)> {
    DataEnv::current().choose(cli)
}

/// The data directory to read from: `cli` (`--data DIR`) if given, else `NCA_DATA`, else
/// `$HOME/.cache/nca`. It must exist and be a directory.
pub fn resolve_data_dir(cli: Option<&Path>) -> Result<PathBuf> {
    DataEnv::current().resolve(cli)
}

/// The environment the data directory is chosen from: the values of `NCA_DATA` and `HOME`
/// (empty values count as unset).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataEnv {
    /// The value of `NCA_DATA`.
    pub nca_data: Option<OsString>,
    /// The value of `HOME`.
    pub home: Option<OsString>,
}

impl DataEnv {
    /// This process's environment.
    pub fn current() -> Self {
        DataEnv {
            nca_data: std::env::var_os(DATA_ENV_VAR),
            home: std::env::var_os("HOME"),
        }
    }

    /// [`choose_data_dir`] in this environment.
    pub fn choose(&self, cli: Option<&Path>) -> Result<(PathBuf, DataDirSource)> {
        let set = |v: &Option<OsString>| v.clone().filter(|s| !s.is_empty());
        if let Some(dir) = cli {
            return Ok((dir.to_path_buf(), DataDirSource::Cli));
        }
        if let Some(dir) = set(&self.nca_data) {
            return Ok((PathBuf::from(dir), DataDirSource::Env));
        }
        if let Some(home) = set(&self.home) {
            return Ok((
                Path::new(&home).join(".cache").join("nca"),
                DataDirSource::Default,
            ));
        }
        Err(DataError::NoDataDir)
    }

    /// [`resolve_data_dir`] in this environment.
    pub fn resolve(&self, cli: Option<&Path>) -> Result<PathBuf> {
        let (dir, source) = self.choose(cli)?;
        let problem = if !dir.exists() {
            "does not exist"
        } else if !dir.is_dir() {
            "is not a directory"
        } else {
            return Ok(dir);
        };
        Err(DataError::DataDirMissing {
            dir,
            source_name: source.to_string(),
            problem,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &Path) -> Option<OsString> {
        Some(s.as_os_str().to_owned())
    }

    fn env(nca_data: Option<OsString>, home: Option<OsString>) -> DataEnv {
        DataEnv { nca_data, home }
    }

    #[test]
    fn precedence_is_cli_then_env_then_home() {
        let t = tempfile::tempdir().unwrap();
        let (a, b) = (t.path().join("a"), t.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::create_dir_all(t.path().join(".cache/nca")).unwrap();
        let home = os(t.path());
        assert_eq!(env(os(&b), home.clone()).resolve(Some(&a)).unwrap(), a);
        assert_eq!(env(os(&b), home.clone()).resolve(None).unwrap(), b);
        assert_eq!(
            env(None, home.clone()).resolve(None).unwrap(),
            t.path().join(".cache/nca")
        );
        // An empty NCA_DATA counts as unset.
        assert_eq!(
            env(Some(OsString::new()), home).choose(None).unwrap(),
            (t.path().join(".cache/nca"), DataDirSource::Default)
        );
        assert!(matches!(
            env(None, None).choose(None),
            Err(DataError::NoDataDir)
        ));
    }

    #[test]
    fn missing_dir_names_its_source() {
        let t = tempfile::tempdir().unwrap();
        let gone = t.path().join("gone");
        let msg = env(os(&gone), None).resolve(None).unwrap_err().to_string();
        assert!(msg.contains("(from NCA_DATA) does not exist"), "{msg}");
        assert!(msg.contains(&gone.display().to_string()), "{msg}");
        assert!(msg.contains("set NCA_DATA="), "{msg}");
        let msg = env(None, None)
            .resolve(Some(&gone))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("(from --data)"), "{msg}");
        let msg = env(None, os(t.path()))
            .resolve(None)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("(from the default $HOME/.cache/nca)"), "{msg}");
        let file = t.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let msg = env(None, None)
            .resolve(Some(&file))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("is not a directory"), "{msg}");
        assert!(!msg.contains('\n'));
    }
}
