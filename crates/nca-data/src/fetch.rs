//! Downloading and verifying MNIST: the four official `.gz` files are fetched from the first
//! mirror that answers, decompressed, checked against the published md5 sums of the decompressed
//! bytes and written atomically into `DEST/mnist/`. Files already present and correct are kept.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use md5::{Digest, Md5};

use crate::error::{DataError, Result, one_line};
use crate::fsio::write_atomic;
use crate::idx::{gunzip_if_gz, read_maybe_gz};

/// Mirrors of the MNIST files, tried in order.
pub const MNIST_BASE_URLS: [&str; 3] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
];

/// One file of a data set and the md5 of its decompressed content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownFile {
    /// Base name without `.gz`, e.g. `train-images-idx3-ubyte`.
    pub name: &'static str,
    /// Lower-case hex md5 of the decompressed bytes.
    pub md5: &'static str,
}

/// The four MNIST files with the md5 sums of their decompressed bytes.
pub const MNIST_FILES: [KnownFile; 4] = [
    KnownFile {
        name: "train-images-idx3-ubyte",
        md5: "6bbc9ace898e44ae57da46a324031adb",
    },
    KnownFile {
        name: "train-labels-idx1-ubyte",
        md5: "a25bea736e30d166cdddb491f175f624",
    },
    KnownFile {
        name: "t10k-images-idx3-ubyte",
        md5: "2646ac647ad5339dbf082846283269ea",
    },
    KnownFile {
        name: "t10k-labels-idx1-ubyte",
        md5: "27ae3e4e09519cfbb04c329615203637",
    },
];

/// Largest download accepted, in bytes (the largest MNIST file is about 10 MB).
const MAX_DOWNLOAD: u64 = 256 << 20;

/// What [`fetch_mnist`] did with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAction {
    /// A correct copy was already there; nothing was downloaded.
    AlreadyPresent,
    /// The file was downloaded from `url` (`bytes` compressed bytes) and written.
    Downloaded {
        /// Where it came from.
        url: String,
        /// Size of the download.
        bytes: u64,
    },
}

/// The outcome for one file of a fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedFile {
    /// Base name without `.gz`.
    pub name: String,
    /// Where the verified file now is.
    pub path: PathBuf,
    /// Whether it was downloaded or already present.
    pub action: FetchAction,
}

/// What [`fetch_mnist`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchReport {
    /// The directory the files were written to (`DEST/mnist`).
    pub dir: PathBuf,
    /// One entry per file, in [`MNIST_FILES`] order.
    pub files: Vec<FetchedFile>,
}

/// The result of checking one file with [`verify_mnist`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    /// Base name without `.gz`.
    pub name: String,
    /// The file found (raw or `.gz`), if any.
    pub path: Option<PathBuf>,
    /// Whether it exists and its decompressed md5 matches.
    pub ok: bool,
    /// The md5 found, when the file could be read.
    pub md5: Option<String>,
    /// What is wrong, when not ok (one line).
    pub problem: Option<String>,
}

/// Lower-case hex md5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Downloads the four MNIST files into `dest_dir/mnist/` (see the module docs).
pub fn fetch_mnist(dest_dir: &Path) -> Result<FetchReport> {
    fetch_mnist_from(dest_dir, &MNIST_BASE_URLS)
}

/// [`fetch_mnist`] from the given mirrors (each a base URL ending in `/`), tried in order.
pub fn fetch_mnist_from(dest_dir: &Path, base_urls: &[&str]) -> Result<FetchReport> {
    fetch_files(dest_dir, base_urls, &MNIST_FILES)
}

/// Fetches `files` from `base_urls` into `dest_dir/mnist/`.
pub(crate) fn fetch_files(
    dest_dir: &Path,
    base_urls: &[&str],
    files: &[KnownFile],
) -> Result<FetchReport> {
    let out_dir = dest_dir.join("mnist");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_resolve(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into();
    let mut report = FetchReport {
        dir: out_dir.clone(),
        files: Vec::new(),
    };
    for file in files {
        if let Some(path) = present_and_valid(dest_dir, file) {
            report.files.push(FetchedFile {
                name: file.name.into(),
                path,
                action: FetchAction::AlreadyPresent,
            });
            continue;
        }
        let (url, gz) = download_verified(&agent, base_urls, file)?;
        let path = out_dir.join(format!("{}.gz", file.name));
        write_atomic(&path, &gz, true)?;
        report.files.push(FetchedFile {
            name: file.name.into(),
            path,
            action: FetchAction::Downloaded {
                url,
                bytes: gz.len() as u64,
            },
        });
    }
    Ok(report)
}

/// Tries each mirror in turn; returns the URL and compressed bytes of the first download whose
/// decompressed md5 matches.
fn download_verified(
    agent: &ureq::Agent,
    base_urls: &[&str],
    file: &KnownFile,
) -> Result<(String, Vec<u8>)> {
    let mut failures = Vec::new();
    for base in base_urls {
        let sep = if base.ends_with('/') { "" } else { "/" };
        let url = format!("{base}{sep}{}.gz", file.name);
        match download(agent, &url).and_then(|gz| check_download(&url, file, gz)) {
            Ok(gz) => return Ok((url, gz)),
            Err(why) => failures.push(format!("{url}: {why}")),
        }
    }
    if failures.is_empty() {
        failures.push("no download URL given".into());
    }
    Err(DataError::Download {
        detail: failures.join("; "),
    })
}

/// GETs `url` into memory.
fn download(agent: &ureq::Agent, url: &str) -> std::result::Result<Vec<u8>, String> {
    let mut resp = agent.get(url).call().map_err(one_line)?;
    let mut bytes = Vec::new();
    resp.body_mut()
        .as_reader()
        .take(MAX_DOWNLOAD + 1)
        .read_to_end(&mut bytes)
        .map_err(one_line)?;
    if bytes.len() as u64 > MAX_DOWNLOAD {
        return Err(format!("response larger than {MAX_DOWNLOAD} bytes"));
    }
    Ok(bytes)
}

/// Checks that a download is gzip and decompresses to the expected md5; returns it unchanged.
fn check_download(
    url: &str,
    file: &KnownFile,
    gz: Vec<u8>,
) -> std::result::Result<Vec<u8>, String> {
    if !gz.starts_with(&[0x1f, 0x8b]) {
        return Err("response is not gzip data".into());
    }
    let raw = gunzip_if_gz(Path::new(url), gz.clone()).map_err(one_line)?;
    let md5 = md5_hex(&raw);
    if md5 != file.md5 {
        return Err(format!(
            "md5 of the decompressed data is {md5}, expected {}",
            file.md5
        ));
    }
    Ok(gz)
}

/// Finds `file` (raw or `.gz`) in `dir` or `dir/mnist`, preferring a valid copy.
fn present_and_valid(dir: &Path, file: &KnownFile) -> Option<PathBuf> {
    candidates(dir, file.name)
        .into_iter()
        .find(|p| matches!(check_file(p), Ok(ref m) if m == file.md5))
}

/// Every existing path where `name` could be: `dir/mnist/name.gz`, `dir/mnist/name`,
/// `dir/name.gz`, `dir/name`.
fn candidates(dir: &Path, name: &str) -> Vec<PathBuf> {
    [dir.join("mnist"), dir.to_path_buf()]
        .iter()
        .flat_map(|d| [d.join(format!("{name}.gz")), d.join(name)])
        .filter(|p| p.is_file())
        .collect()
}

/// The md5 of the decompressed content of the file at `path`.
fn check_file(path: &Path) -> Result<String> {
    Ok(md5_hex(&read_maybe_gz(path)?))
}

/// Checks the md5 of each MNIST file found (raw or `.gz`) in `dir` or `dir/mnist`. A missing or
/// unreadable file is reported as not ok, not as an error; the error case is a `dir` that is not
/// a readable directory.
pub fn verify_mnist(dir: &Path) -> Result<Vec<FileCheck>> {
    verify_files(dir, &MNIST_FILES)
}

/// [`verify_mnist`] for any list of files.
fn verify_files(dir: &Path, files: &[KnownFile]) -> Result<Vec<FileCheck>> {
    std::fs::read_dir(dir).map_err(|source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(files.iter().map(|file| check_one(dir, file)).collect())
}

/// Checks one file of [`verify_files`].
fn check_one(dir: &Path, file: &KnownFile) -> FileCheck {
    let mut check = FileCheck {
        name: file.name.into(),
        path: None,
        ok: false,
        md5: None,
        problem: None,
    };
    let mut checks: Vec<(PathBuf, Result<String>)> = candidates(dir, file.name)
        .into_iter()
        .map(|p| {
            let r = check_file(&p);
            (p, r)
        })
        .collect();
    // Report the first valid copy, else the first one found.
    let pick = checks
        .iter()
        .position(|(_, r)| matches!(r, Ok(m) if m == file.md5))
        .unwrap_or(0);
    if checks.is_empty() {
        check.problem = Some(format!(
            "{}[.gz] not found in {} nor in {}",
            file.name,
            dir.display(),
            dir.join("mnist").display()
        ));
        return check;
    }
    let (path, result) = checks.swap_remove(pick);
    match result {
        Ok(md5) => {
            check.ok = md5 == file.md5;
            if !check.ok {
                check.problem = Some(format!(
                    "{}: md5 of the decompressed data is {md5}, expected {}",
                    path.display(),
                    file.md5
                ));
            }
            check.md5 = Some(md5);
        }
        Err(e) => check.problem = Some(e.to_string()),
    }
    check.path = Some(path);
    check
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idx::gzip;
    use std::io::Write;
    use std::net::TcpListener;

    #[test]
    fn md5_of_known_strings() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    }

    #[test]
    fn offline_fetch_fails_fast_with_one_line() {
        let dest = tempfile::tempdir().unwrap();
        let start = std::time::Instant::now();
        let e = fetch_mnist_from(dest.path(), &["http://127.0.0.1:9/"]).unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(5));
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "{msg}");
        assert!(
            msg.starts_with("cannot download MNIST (no network?): http://127.0.0.1:9/train-images-idx3-ubyte.gz: "),
            "{msg}"
        );
        assert!(
            msg.ends_with(
                "; point NCA_DATA (or --data) at a directory that holds the MNIST IDX files"
            ),
            "{msg}"
        );
        // Nothing was written.
        assert!(!dest.path().join("mnist").exists());
        let e = fetch_mnist_from(dest.path(), &[]).unwrap_err();
        assert!(e.to_string().contains("no download URL given"), "{e}");
    }

    /// Serves `files` (name → body) over HTTP on the loopback address for `requests` requests.
    fn serve(files: Vec<(String, Vec<u8>)>, requests: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(requests) {
                let Ok(mut s) = stream else { continue };
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let req = String::from_utf8_lossy(&req);
                let path = req.split_whitespace().nth(1).unwrap_or("").to_string();
                let body = files
                    .iter()
                    .find(|(n, _)| path.ends_with(&format!("/{n}")))
                    .map(|(_, b)| b.clone());
                let (status, body) = match body {
                    Some(b) => ("200 OK", b),
                    None => ("404 Not Found", b"not found".to_vec()),
                };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(&body);
            }
        });
        format!("http://{addr}/")
    }

    #[test]
    fn downloads_verifies_skips_and_falls_back_to_the_next_mirror() {
        let good = b"hello idx".to_vec();
        let md5: &'static str = Box::leak(md5_hex(&good).into_boxed_str());
        let file = KnownFile {
            name: "toy-labels-idx1-ubyte",
            md5,
        };
        let gz_name = format!("{}.gz", file.name);
        // Mirror 1 serves corrupt content, mirror 2 has nothing, mirror 3 is right.
        let bad = serve(vec![(gz_name.clone(), gzip(b"tampered"))], 1);
        let empty = serve(vec![], 1);
        let ok = serve(vec![(gz_name.clone(), gzip(&good))], 1);
        let dest = tempfile::tempdir().unwrap();
        let report = fetch_files(dest.path(), &[&bad, &empty, &ok], &[file]).unwrap();
        let written = dest.path().join("mnist").join(&gz_name);
        assert_eq!(report.dir, dest.path().join("mnist"));
        assert_eq!(report.files[0].path, written);
        assert!(matches!(
            &report.files[0].action,
            FetchAction::Downloaded { url, .. } if url.starts_with(&ok)
        ));
        assert_eq!(read_maybe_gz(&written).unwrap(), good);

        // Second run: present and valid, so no request is made (the mirror is unreachable).
        let report = fetch_files(dest.path(), &["http://127.0.0.1:9/"], &[file]).unwrap();
        assert_eq!(report.files[0].action, FetchAction::AlreadyPresent);

        let checks = verify_files(dest.path(), &[file]).unwrap();
        assert!(checks[0].ok, "{checks:?}");

        // A corrupted copy is reported by verify and replaced by fetch.
        std::fs::write(&written, gzip(b"garbage")).unwrap();
        let checks = verify_files(dest.path(), &[file]).unwrap();
        assert!(!checks[0].ok);
        assert!(
            checks[0].problem.as_deref().unwrap().contains("md5"),
            "{checks:?}"
        );
        let ok = serve(vec![(gz_name.clone(), gzip(&good))], 1);
        fetch_files(dest.path(), &[&ok], &[file]).unwrap();
        assert_eq!(read_maybe_gz(&written).unwrap(), good);
    }

    #[test]
    fn mismatch_on_every_mirror_is_a_download_error() {
        let file = KnownFile {
            name: "toy",
            md5: "00000000000000000000000000000000",
        };
        let bad = serve(vec![("toy.gz".into(), b"plain text".to_vec())], 1);
        let dest = tempfile::tempdir().unwrap();
        let msg = fetch_files(dest.path(), &[&bad], &[file])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("toy.gz: response is not gzip data"), "{msg}");
    }

    #[test]
    fn verify_reports_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let checks = verify_mnist(dir.path()).unwrap();
        assert_eq!(checks.len(), 4);
        assert!(checks.iter().all(|c| !c.ok && c.path.is_none()));
        assert!(verify_mnist(&dir.path().join("nope")).is_err());
    }

    /// Checks the real MNIST when `NCA_DATA` points at it; a fetch into a copy skips every file.
    #[test]
    fn real_mnist_verifies_and_fetch_skips_it() {
        let Some(dir) = crate::test_data_dir("the MNIST fetch check") else {
            return;
        };
        let checks = verify_mnist(&dir).unwrap();
        assert_eq!(checks.len(), 4);
        for c in &checks {
            assert!(c.ok, "{c:?}");
        }
        let dest = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dest.path().join("mnist")).unwrap();
        for c in &checks {
            let p = c.path.as_ref().unwrap();
            std::fs::copy(p, dest.path().join("mnist").join(p.file_name().unwrap())).unwrap();
        }
        let report = fetch_mnist_from(dest.path(), &["http://127.0.0.1:9/"]).unwrap();
        assert!(
            report
                .files
                .iter()
                .all(|f| f.action == FetchAction::AlreadyPresent)
        );
    }
}
