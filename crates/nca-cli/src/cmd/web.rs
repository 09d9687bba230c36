//! `nca serve` and `nca web build`: the browser playground. The page (`web/`), the WebAssembly
//! engine (`crates/nca-web`, built for wasm32 by `build.rs`) and the shipped checkpoints are
//! embedded in the binary; `nca web build` writes them out as a static site, `nca serve` serves
//! them (or a built site) on 127.0.0.1 with a tiny std-only HTTP server.

use std::collections::BTreeMap;
use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use nca_data::{SplitName, load_split};

use super::CmdResult;
use super::http::{ConnectionLimit, Head, Refusal, read_head};

include!(concat!(env!("OUT_DIR"), "/models.rs"));

const WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/nca_web.wasm"));
const WASM_MISSING: &str = env!("NCA_WEB_WASM_MISSING");

/// The page's own files.
const PAGE: &[(&str, &[u8])] = &[
    ("index.html", include_bytes!("../../../../web/index.html")),
    ("style.css", include_bytes!("../../../../web/style.css")),
    ("nca.js", include_bytes!("../../../../web/nca.js")),
    ("app.js", include_bytes!("../../../../web/app.js")),
];

/// Test digits written per class for the page's "load a test digit".
const DIGITS_PER_CLASS: usize = 3;

/// The page's test digits when no data directory is named: the first [`DIGITS_PER_CLASS`]
/// test digits of each class of MNIST (Yann LeCun, Corinna Cortes, Christopher J.C. Burges;
/// CC BY-SA 3.0), in test-set order, as records of [`DIGIT_RECORD`] bytes: label (u8), index
/// in the test set (u16, little-endian), 28x28 pixels (u8, row-major). A test checks them
/// against the data set and rewrites them with `NCA_UPDATE_DIGITS=1`.
const EMBEDDED_DIGITS: &[u8] = include_bytes!("../../../../web/test-digits.bin");

/// Bytes per embedded digit.
const DIGIT_RECORD: usize = 3 + 28 * 28;

/// `nca serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0: pick a free one).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Serve a site written by `nca web build` instead of the embedded one.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Take the page's test digits from this MNIST data directory instead of the 30
    /// embedded ones.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Most connections answered at once; more get "503 Service Unavailable".
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_connections: u16,
}

/// `nca web ...`.
#[derive(Subcommand, Debug)]
pub enum WebCommand {
    /// Write the playground as a static site: page, engine, models and a few test digits.
    Build {
        /// Output directory.
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        /// Take the page's test digits from this MNIST data directory instead of the 30
        /// embedded ones.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Write into an existing directory, replacing its files.
        #[arg(long)]
        force: bool,
    },
}

/// Runs `nca web ...`.
/// A checkpoint shipped in `models/` and embedded in the binary, by file name.
pub fn embedded_model(name: &str) -> Option<&'static [u8]> {
    MODELS.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
}

pub fn run(c: WebCommand) -> CmdResult {
    match c {
        WebCommand::Build { out, data, force } => build(&out, data.as_deref(), force),
    }
}

fn check_wasm() -> CmdResult {
    if WASM_MISSING.is_empty() && !WASM.is_empty() {
        return Ok(());
    }
    Err(format!(
        "this nca was built without the playground's WebAssembly engine ({WASM_MISSING}); run: rustup target add wasm32-unknown-unknown, then rebuild nca"
    )
    .into())
}

/// The embedded site: file name → bytes.
fn site(data: Option<&Path>) -> Result<BTreeMap<String, Vec<u8>>, Box<dyn std::error::Error>> {
    check_wasm()?;
    let mut files: BTreeMap<String, Vec<u8>> = PAGE
        .iter()
        .map(|(n, b)| (n.to_string(), b.to_vec()))
        .collect();
    files.insert("nca_web.wasm".into(), WASM.to_vec());
    let mut list = Vec::new();
    for (name, bytes) in MODELS {
        let Ok(ck) = nca_models::Checkpoint::parse(bytes) else {
            continue;
        };
        if !["classify", "grow", "refine"].contains(&ck.family.as_str()) {
            continue;
        }
        let file = format!("models/{name}");
        list.push(serde_json::json!({
            "file": file, "family": ck.family, "step": ck.step,
            "name": name.trim_end_matches(".safetensors"),
        }));
        files.insert(file, bytes.to_vec());
    }
    files.insert(
        "models.json".into(),
        serde_json::to_vec_pretty(&serde_json::json!({ "models": list }))?,
    );
    let digits = match data {
        Some(dir) => test_digits(dir)?,
        None => embedded_digits(),
    };
    files.insert(
        "digits.json".into(),
        serde_json::to_vec(&serde_json::json!({ "digits": digits }))?,
    );
    Ok(files)
}

/// The embedded test digits, as the page reads them.
fn embedded_digits() -> Vec<serde_json::Value> {
    EMBEDDED_DIGITS
        .chunks_exact(DIGIT_RECORD)
        .map(|r| {
            let pixels: Vec<f32> = r[3..].iter().map(|&p| f32::from(p) / 255.0).collect();
            let index = u16::from_le_bytes([r[1], r[2]]);
            serde_json::json!({"index": index, "label": r[0], "pixels": pixels})
        })
        .collect()
}

/// The first `DIGITS_PER_CLASS` test digits of each class of the MNIST under `dir`.
fn test_digits(dir: &Path) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
    let test = load_split(dir, SplitName::Test)?;
    let mut per = [0usize; 10];
    let mut out = Vec::new();
    for i in 0..test.len() {
        let l = test.label(i) as usize;
        if l < 10 && per[l] < DIGITS_PER_CLASS {
            per[l] += 1;
            out.push(serde_json::json!({"index": i, "label": l, "pixels": test.image_f32(i)}));
        }
        if per.iter().all(|&n| n == DIGITS_PER_CLASS) {
            break;
        }
    }
    Ok(out)
}

fn build(out: &Path, data: Option<&Path>, force: bool) -> CmdResult {
    if out.exists() && !force {
        return Err(format!(
            "{} already exists (pass --force to write into it)",
            out.display()
        )
        .into());
    }
    if out.exists() && !out.is_dir() {
        return Err(format!("{} exists and is not a directory", out.display()).into());
    }
    let files = site(data)?;
    for (name, bytes) in &files {
        let p = out.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        nca_data::write_atomic(&p, bytes, true)?;
    }
    let total: usize = files.values().map(Vec::len).sum();
    println!(
        "wrote {} ({} files, {:.1} MB; engine {} KB); open it with: nca serve --dir {}",
        out.display(),
        files.len(),
        total as f64 / 1e6,
        WASM.len() / 1024,
        out.display()
    );
    Ok(())
}

/// Reads a built site (every file under `dir`) into memory.
fn read_dir_site(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, Box<dyn std::error::Error>> {
    if !dir.join("index.html").is_file() {
        return Err(format!(
            "{} holds no index.html (write one with `nca web build -o {}`)",
            dir.display(),
            dir.display()
        )
        .into());
    }
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                let name = rel.to_string_lossy().replace('\\', "/");
                files.insert(
                    name,
                    std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?,
                );
            }
        }
    }
    Ok(files)
}

/// Runs `nca serve`.
pub fn serve(a: ServeArgs) -> CmdResult {
    let files = match &a.dir {
        Some(d) => read_dir_site(d)?,
        None => site(a.data.as_deref())?,
    };
    let listener = TcpListener::bind(("127.0.0.1", a.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", a.port))?;
    let port = listener.local_addr()?.port();
    println!("serving the nca playground at http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    std::io::stdout().flush()?;
    let files = Arc::new(files);
    let limit = ConnectionLimit::new(usize::from(a.max_connections));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let Some(permit) = limit.try_enter() else {
            let _ = refuse(
                stream,
                &Refusal {
                    status: "503 Service Unavailable",
                    reason: "too many connections at once".into(),
                },
            );
            continue;
        };
        let files = Arc::clone(&files);
        std::thread::spawn(move || {
            let _ = handle(stream, &files);
            drop(permit);
        });
    }
    Ok(())
}

/// How long a client has to send its whole request head.
const HEAD_DEADLINE: Duration = Duration::from_secs(10);

/// How long writing a response may stall before the connection is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// Writes a status line, headers and (unless `head_only`) the body.
fn respond(
    stream: &mut TcpStream,
    status: &str,
    ctype: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    stream.set_write_timeout(Some(WRITE_TIMEOUT))?;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

/// Answers a refused request with its error status and closes the connection gently: the
/// client may still be sending, and closing with unread input would reset the connection
/// before it reads the answer, so up to 64 KiB more are read and dropped first.
fn refuse(mut stream: TcpStream, r: &Refusal) -> std::io::Result<()> {
    respond(
        &mut stream,
        r.status,
        "text/plain",
        format!("{}\n", r.reason).as_bytes(),
        false,
    )?;
    stream.shutdown(Shutdown::Write)?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    let _ = std::io::copy(&mut (&stream).take(64 * 1024), &mut std::io::sink());
    Ok(())
}

/// Answers one request (GET or HEAD of a file; the connection closes after it).
fn handle(mut stream: TcpStream, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    let socket = stream.try_clone()?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let deadline = Instant::now() + HEAD_DEADLINE;
    let req = match read_head(&mut reader, deadline, |left| {
        socket.set_read_timeout(Some(left))
    }) {
        Head::Request(r) => r,
        Head::Refused(r) => return refuse(stream, &r),
        Head::Gone => return Ok(()),
    };
    let name = match req.path.trim_start_matches('/') {
        "" => "index.html",
        p => p,
    };
    let method = req.method.as_str();
    let (status, ctype, body): (&str, &str, &[u8]) = match (method, files.get(name)) {
        ("GET" | "HEAD", Some(b)) => ("200 OK", content_type(name), b),
        ("GET" | "HEAD", None) => ("404 Not Found", "text/plain", b"not found\n"),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            b"only GET and HEAD\n",
        ),
    };
    respond(&mut stream, status, ctype, body, method == "HEAD")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_digits_are_the_first_test_digits_of_each_class() {
        let embedded = embedded_digits();
        assert_eq!(EMBEDDED_DIGITS.len(), 10 * DIGITS_PER_CLASS * DIGIT_RECORD);
        let mut per = [0usize; 10];
        for d in &embedded {
            per[d["label"].as_u64().unwrap() as usize] += 1;
        }
        assert_eq!(per, [DIGITS_PER_CLASS; 10]);
        let Some(dir) = std::env::var_os(nca_data::DATA_ENV_VAR) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but NCA_DATA is not: the embedded digits cannot be checked"
            );
            eprintln!("skipped the check against MNIST: NCA_DATA is not set");
            return;
        };
        let real = test_digits(Path::new(&dir)).unwrap();
        if std::env::var_os("NCA_UPDATE_DIGITS").is_some() {
            let mut bytes = Vec::new();
            for d in &real {
                bytes.push(d["label"].as_u64().unwrap() as u8);
                bytes.extend((d["index"].as_u64().unwrap() as u16).to_le_bytes());
                bytes.extend(
                    d["pixels"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|p| (p.as_f64().unwrap() * 255.0).round() as u8),
                );
            }
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/test-digits.bin");
            nca_data::write_atomic(&path, &bytes, true).unwrap();
            return;
        }
        assert_eq!(embedded, real);
    }
}
