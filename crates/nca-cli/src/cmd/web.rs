//! `nca serve` and `nca web build`: the browser playground. The page (`web/`), the WebAssembly
//! engine (`crates/nca-web`, built for wasm32 by `build.rs`) and the shipped checkpoints are
//! embedded in the binary; `nca web build` writes them out as a static site, `nca serve` serves
//! them (or a built site) on 127.0.0.1 with a tiny std-only HTTP server.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use nca_data::{SplitName, load_split, resolve_data_dir};

use super::CmdResult;

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

/// `nca serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0: pick a free one).
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Serve a site written by `nca web build` instead of the embedded one.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Data directory holding MNIST, for the page's test digits (default: $NCA_DATA, else
    /// ~/.cache/nca; without MNIST the page simply has no test digits).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// `nca web ...`.
#[derive(Subcommand, Debug)]
pub enum WebCommand {
    /// Write the playground as a static site: page, engine, models and a few test digits.
    Build {
        /// Output directory.
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        /// Data directory holding MNIST, for the test digits (default: $NCA_DATA, else
        /// ~/.cache/nca).
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
fn site(
    data: Option<&Path>,
    need_digits: bool,
) -> Result<BTreeMap<String, Vec<u8>>, Box<dyn std::error::Error>> {
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
    let digits = match test_digits(data) {
        Ok(d) => d,
        Err(e) if !need_digits => {
            eprintln!("note: no test digits for the page ({e})");
            Vec::new()
        }
        Err(e) => return Err(e),
    };
    files.insert(
        "digits.json".into(),
        serde_json::to_vec(&serde_json::json!({ "digits": digits }))?,
    );
    Ok(files)
}

/// The first `DIGITS_PER_CLASS` test digits of each class.
fn test_digits(data: Option<&Path>) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
    let test = load_split(&resolve_data_dir(data)?, SplitName::Test)?;
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
    let files = site(data, data.is_some())?;
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
        None => site(a.data.as_deref(), a.data.is_some())?,
    };
    let listener = TcpListener::bind(("127.0.0.1", a.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", a.port))?;
    let port = listener.local_addr()?.port();
    println!("serving the nca playground at http://127.0.0.1:{port}/ (Ctrl-C to stop)");
    std::io::stdout().flush()?;
    let files = Arc::new(files);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let files = Arc::clone(&files);
        std::thread::spawn(move || {
            let _ = handle(stream, &files);
        });
    }
    Ok(())
}

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

/// Answers one request (GET or HEAD of a file; the connection closes after it).
fn handle(mut stream: TcpStream, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // Skip the headers.
    let mut h = String::new();
    while reader.read_line(&mut h)? > 2 {
        h.clear();
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let name = match path.trim_start_matches('/') {
        "" => "index.html",
        p => p,
    };
    let (status, ctype, body): (&str, &str, &[u8]) = match (method, files.get(name)) {
        ("GET" | "HEAD", Some(b)) => ("200 OK", content_type(name), b),
        ("GET" | "HEAD", None) => ("404 Not Found", "text/plain", b"not found\n"),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            b"only GET and HEAD\n",
        ),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(body)?;
    }
    stream.flush()
}
