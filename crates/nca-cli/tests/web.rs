//! The browser playground end to end: `nca web build` writes the site, `nca serve --port 0`
//! serves it, and `web/tests/run.mjs` drives it in headless Chromium (Playwright): it loads with
//! no console errors, a drawn "1" is classified 1, a cut lizard regrows, the classify panel runs
//! at >= 30 frames/s, Life's controls work, and each panel is screenshotted (into
//! `docs/images/web-*.png` with `NCA_UPDATE_SCREENSHOTS=1`). Here, the page's states after N ticks with seed S are compared with
//! the native engine (`nca-models`, equal to `nca`'s fast path), and the refiner's verdict on
//! the scripted drawing with `nca refine animate --input` on the same PNG.
//!
//! Needs node, `web/node_modules` (`npm ci` in `web/`), Chromium at /usr/bin/chromium (or
//! `$CHROMIUM`) and an nca built with the wasm32 target. Missing ones skip with a note, or fail
//! when `CI` is set.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::{assert_fails_with, command, nca, repo_root, stdout, tmp};
use nca_models::{ClassifyModel, GrowModel, Stepper};

fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Skips (returns true) with a note, or fails under CI.
fn skip(why: &str) -> bool {
    assert!(
        !in_ci(),
        "CI is set but the playground test cannot run: {why}"
    );
    eprintln!("skipped the playground test: {why}");
    true
}

/// A running `nca serve` (killed on drop) and its URL.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str], cwd: &Path) -> Result<Server, String> {
    let mut child = command(args, cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nca starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    match line.split_whitespace().find(|w| w.starts_with("http://")) {
        Some(url) => Ok(Server {
            url: url.to_string(),
            child,
        }),
        None => {
            let _ = child.wait();
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            Err(err)
        }
    }
}

/// `GET path` on the server: status line, headers and body.
fn get(url: &str, path: &str) -> (String, Vec<u8>) {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let split = resp.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    (
        String::from_utf8_lossy(&resp[..split]).into_owned(),
        resp[split + 4..].to_vec(),
    )
}

/// Builds the site into `dir`; `None` when this nca has no wasm engine (skipped or failed).
fn build_site(dir: &Path, cwd: &Path) -> Option<()> {
    let o = nca(&["web", "build", "-o", dir.to_str().unwrap()], cwd);
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("rustup target add wasm32-unknown-unknown"),
            "{err}"
        );
        assert_fails_with(&o, "rustup target add wasm32-unknown-unknown");
        skip(&err);
        return None;
    }
    Some(())
}

#[test]
fn serve_answers_http_and_refuses_bad_input() {
    let d = tmp("web-serve");
    let site = d.join("site");
    if build_site(&site, &d).is_none() {
        return;
    }
    for f in [
        "index.html",
        "app.js",
        "nca.js",
        "style.css",
        "nca_web.wasm",
        "models.json",
        "digits.json",
        "models/classify-mnist.safetensors",
        "models/lizard.safetensors",
        "models/refine-mnist-f16.safetensors",
    ] {
        assert!(site.join(f).is_file(), "{f} missing");
    }
    let again = nca(&["web", "build", "-o", site.to_str().unwrap()], &d);
    assert_fails_with(&again, "already exists (pass --force");
    let forced = nca(
        &["web", "build", "-o", site.to_str().unwrap(), "--force"],
        &d,
    );
    assert!(
        forced.status.success(),
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert!(stdout(&forced).contains("nca serve --dir"));

    let srv = serve(
        &["serve", "--port", "0", "--dir", site.to_str().unwrap()],
        &d,
    )
    .unwrap();
    assert!(srv.url.starts_with("http://127.0.0.1:"), "{}", srv.url);
    let (head, body) = get(&srv.url, "/");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(String::from_utf8_lossy(&body).contains("nca playground"));
    let (head, body) = get(&srv.url, "/nca_web.wasm?v=1");
    assert!(head.contains("application/wasm"), "{head}");
    assert_eq!(&body[..4], b"\0asm");
    let (head, _) = get(&srv.url, "/../Cargo.toml");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    drop(srv);

    // The embedded site serves too, and bad input is one clear line.
    let srv = serve(&["serve", "--port", "0"], &d).unwrap();
    let (head, body) = get(&srv.url, "/models.json");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let models: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let fams: Vec<&str> = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["family"].as_str().unwrap())
        .collect();
    for f in ["classify", "grow", "refine"] {
        assert!(fams.contains(&f), "{fams:?}");
    }
    let port = srv
        .url
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .to_string();
    let busy = nca(&["serve", "--port", &port], &d);
    assert_fails_with(&busy, "cannot listen on 127.0.0.1");
    drop(srv);
    let o = nca(
        &[
            "serve",
            "--port",
            "0",
            "--dir",
            d.join("nope").to_str().unwrap(),
        ],
        &d,
    );
    assert_fails_with(&o, "holds no index.html");
    std::fs::write(d.join("file"), b"x").unwrap();
    let o = nca(
        &[
            "web",
            "build",
            "-o",
            d.join("file").to_str().unwrap(),
            "--force",
        ],
        &d,
    );
    assert_fails_with(&o, "not a directory");
    // Test digits from a named data directory that holds no MNIST: one clear line.
    let o = nca(
        &[
            "web",
            "build",
            "-o",
            d.join("other").to_str().unwrap(),
            "--data",
            d.join("no-mnist").to_str().unwrap(),
        ],
        &d,
    );
    assert_fails_with(&o, "no-mnist");
}

/// Sends raw `bytes` (from a writer thread, so a refused sender cannot block the reader) and
/// returns the status line of the answer.
fn raw_status(url: &str, bytes: Vec<u8>) -> String {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(&bytes);
    });
    let mut line = String::new();
    let _ = BufReader::new(&s).read_line(&mut line);
    let _ = s.shutdown(std::net::Shutdown::Both);
    writer.join().unwrap();
    line.trim_end().to_string()
}

#[test]
fn serve_caps_request_heads_and_connections() {
    // A hand-made site: no wasm build needed.
    let d = tmp("web-limits");
    let site = d.join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("index.html"), b"<p>hi</p>").unwrap();
    let dir = site.to_str().unwrap();
    let srv = serve(&["serve", "--port", "0", "--dir", dir], &d).unwrap();
    let ok = |s: &str| assert!(s.starts_with("HTTP/1.1 200"), "{s}");
    ok(&raw_status(
        &srv.url,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
    ));

    // Headers over 8 KiB: 431 (32 KiB sent; the server reads no more than its cap and a drain).
    let mut big = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    big.extend(std::iter::repeat_n(b'a', 32 * 1024));
    big.extend(b"\r\n\r\n");
    let s = raw_status(&srv.url, big);
    assert!(s.starts_with("HTTP/1.1 431"), "{s}");
    let mut long = b"GET /".to_vec();
    long.extend(std::iter::repeat_n(b'a', 9 * 1024));
    long.extend(b" HTTP/1.1\r\n\r\n");
    let s = raw_status(&srv.url, long);
    assert!(s.starts_with("HTTP/1.1 414"), "{s}");
    for bad in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET / HTTP/9\r\n\r\n",
        b"GET / HTTP/1.1\r\nno-colon\r\n\r\n",
    ] {
        let s = raw_status(&srv.url, bad.to_vec());
        assert!(s.starts_with("HTTP/1.1 400"), "{s}");
    }

    drop(srv);

    // One connection held open and silent fills a cap of one: the next gets a 503 at once,
    // and once the silent one closes, requests are answered again.
    let srv = serve(
        &[
            "serve",
            "--port",
            "0",
            "--dir",
            dir,
            "--max-connections",
            "1",
        ],
        &d,
    )
    .unwrap();
    let addr = srv.url.trim_start_matches("http://").trim_end_matches('/');
    // (An earlier connection's thread may still be closing: then the would-be idle one is the
    // one refused, which it sees as an answer within its wait, and it tries again.)
    let idle = (0..50)
        .find_map(|_| {
            let idle = TcpStream::connect(addr).unwrap();
            idle.set_read_timeout(Some(std::time::Duration::from_millis(300)))
                .unwrap();
            let mut byte = [0u8; 1];
            match (&idle).read(&mut byte) {
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    Some(idle)
                }
                _ => None,
            }
        })
        .expect("a silent connection is held open");
    let s = raw_status(&srv.url, b"GET / HTTP/1.1\r\n\r\n".to_vec());
    assert!(s.starts_with("HTTP/1.1 503"), "{s}");
    drop(idle);
    let mut answered = String::new();
    for _ in 0..50 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        answered = raw_status(&srv.url, b"GET / HTTP/1.1\r\n\r\n".to_vec());
        if answered.starts_with("HTTP/1.1 200") {
            break;
        }
    }
    ok(&answered);
    let o = nca(&["serve", "--port", "0", "--max-connections", "0"], &d);
    assert_fails_with(&o, "--max-connections");
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// Largest and mean absolute difference.
fn compare(a: &[f32], b: &[f32]) -> (f32, f32) {
    assert_eq!(a.len(), b.len());
    let d: Vec<f32> = a.iter().zip(b).map(|(x, y)| (x - y).abs()).collect();
    let max = d.iter().copied().fold(0.0, f32::max);
    (max, d.iter().sum::<f32>() / d.len() as f32)
}

fn tool_missing() -> Option<String> {
    let root = repo_root();
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    if !root.join("web/node_modules/playwright-core").is_dir() {
        return Some("web/node_modules is missing (run `npm ci` in web/)".into());
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!(
            "{chromium} is missing (apt-get install -y chromium)"
        ));
    }
    None
}

#[test]
fn playground_in_headless_chromium() {
    if let Some(why) = tool_missing() {
        skip(&why);
        return;
    }
    let root = repo_root();
    let d = tmp("web-chromium");
    let site = d.join("site");
    if build_site(&site, &d).is_none() {
        return;
    }
    let srv = serve(
        &["serve", "--port", "0", "--dir", site.to_str().unwrap()],
        &d,
    )
    .unwrap();
    let out = d.join("out");
    std::fs::create_dir_all(&out).unwrap();
    // The README's screenshots are refreshed only when asked (NCA_UPDATE_SCREENSHOTS=1), so a
    // test run leaves the tracked files alone.
    let shots = if std::env::var_os("NCA_UPDATE_SCREENSHOTS").is_some() {
        root.join("docs/images")
    } else {
        out.join("screenshots")
    };
    std::fs::create_dir_all(&shots).unwrap();
    let run = Command::new("node")
        .arg(root.join("web/tests/run.mjs"))
        .args([
            srv.url.as_str(),
            out.to_str().unwrap(),
            shots.to_str().unwrap(),
        ])
        .output()
        .expect("node runs");
    drop(srv);
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    println!("{report}");
    assert!(run.status.success(), "the browser checks failed:\n{report}");

    // The page's states equal the native engine's for the same seeds (up to summation order).
    let states: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("states.json")).unwrap()).unwrap();
    let models = root.join("models");
    let c = &states["classify"];
    let m = ClassifyModel::from_bytes(
        &std::fs::read(models.join("classify-mnist.safetensors")).unwrap(),
    )
    .unwrap();
    let fresh = nca_models::classify::fresh_state(&floats(&c["pixels"]), m.cfg.channels);
    let seed = c["seed"].as_u64().unwrap();
    let mut s = Stepper::new(
        m.spec.clone(),
        m.params.clone(),
        fresh,
        [1, 28, 28],
        m.cfg.fire_rate,
        seed,
    )
    .unwrap();
    s.run(c["ticks"].as_u64().unwrap() as usize).unwrap();
    let (max, mean) = compare(&floats(&c["state"]), &s.state);
    println!(
        "classify: page vs native after {} ticks: max |diff| {max:.2e}, mean {mean:.2e}",
        c["ticks"]
    );
    assert!(max < 1e-3, "classify states differ by {max}");
    assert_eq!(m.votes(&floats(&c["state"]), 784), m.votes(&s.state, 784));

    let g = &states["grow"];
    let m =
        GrowModel::from_bytes(&std::fs::read(models.join("lizard.safetensors")).unwrap()).unwrap();
    let mut s = m.seed_stepper(g["seed"].as_u64().unwrap()).unwrap();
    s.run(g["ticks"].as_u64().unwrap() as usize).unwrap();
    let (max, mean) = compare(&floats(&g["state"]), &s.state);
    println!(
        "grow: page vs native after {} ticks: max |diff| {max:.2e}, mean {mean:.2e}",
        g["ticks"]
    );
    assert!(
        max < 1e-2 && mean < 1e-4,
        "grow states differ: max {max}, mean {mean}"
    );

    // The refiner's verdict on the scripted drawing is the CLI's on the same PNG.
    let o = nca(
        &[
            "refine",
            "animate",
            "--checkpoint",
            models
                .join("refine-mnist-f16.safetensors")
                .to_str()
                .unwrap(),
            "--input",
            out.join("refine-input.png").to_str().unwrap(),
            "--out",
            out.join("refine.gif").to_str().unwrap(),
            "--json",
        ],
        &d,
    );
    let cli = common::ok(&o);
    let page = &states["refine"]["verdict"];
    println!(
        "refine: page says {} ({}), the CLI {} ({})",
        page["digit"], page["confidence"], cli["digit"], cli["confidence"]
    );
    assert_eq!(
        page["digit"].as_f64().unwrap() as u64,
        cli["digit"].as_u64().unwrap()
    );
    let dc = page["confidence"].as_f64().unwrap() - cli["confidence"].as_f64().unwrap();
    assert!(dc.abs() < 1e-3, "confidence differs by {dc}");

    // The figures, for BENCHMARKS.md.
    let metrics = std::fs::read_to_string(out.join("web-metrics.json")).unwrap();
    let keep = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("web-metrics.json");
    std::fs::write(&keep, &metrics).unwrap();
    println!(
        "playground figures (also in {}):\n{metrics}",
        keep.display()
    );
}
