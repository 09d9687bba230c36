//! Builds the playground's WebAssembly engine (`crates/nca-web`) for `wasm32-unknown-unknown`
//! with a nested `cargo build` into its own target directory, so that `nca serve` and
//! `nca web build` carry it (`include_bytes!`) without a manual step. It also lists the shipped
//! checkpoints in `models/` for embedding.
//!
//! Without the wasm32 target the rest of the CLI still builds: the engine is left empty and
//! `NCA_WEB_WASM_MISSING` says why, which `nca serve` reports as one `error:` line. Setting
//! `NCA_WEB_SKIP_WASM=1` skips the nested build the same way (for quick builds of the CLI).

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.join("../..").canonicalize().unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for p in [
        "crates/nca-web",
        "crates/nca-models",
        "crates/nca-fast/src",
        "crates/nca-fast/Cargo.toml",
        "crates/nca-life",
        "Cargo.lock",
        "models",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
    println!("cargo:rerun-if-env-changed=NCA_WEB_SKIP_WASM");
    write_model_list(&root, &out);

    let wasm_out = out.join("nca_web.wasm");
    let missing = match build_wasm(&root, &out) {
        Ok(wasm) => {
            std::fs::copy(&wasm, &wasm_out).unwrap();
            String::new()
        }
        Err(why) => {
            println!("cargo:warning=the playground's engine is not built: {why}");
            std::fs::write(&wasm_out, b"").unwrap();
            why
        }
    };
    println!("cargo:rustc-env=NCA_WEB_WASM_MISSING={missing}");
}

/// `OUT_DIR/models.rs`: `MODELS: &[(&str, &[u8])]`, every `models/*.safetensors` by file name.
fn write_model_list(root: &Path, out: &Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("models"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "safetensors"));
    files.sort();
    let mut src = String::from(
        "/// The shipped checkpoints, by file name.\npub const MODELS: &[(&str, &[u8])] = &[\n",
    );
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy();
        src += &format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            f.display().to_string()
        );
    }
    src += "];\n";
    std::fs::write(out.join("models.rs"), src).unwrap();
}

/// Builds `nca-web` for wasm32 and returns the `.wasm` file, or why it was not built.
fn build_wasm(root: &Path, out: &Path) -> Result<PathBuf, String> {
    if std::env::var_os("NCA_WEB_SKIP_WASM").is_some_and(|v| !v.is_empty()) {
        return Err("NCA_WEB_SKIP_WASM is set".into());
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed = libdir
        .and_then(|d| std::fs::read_dir(d).ok())
        .is_some_and(|mut d| {
            d.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libcore")))
        });
    if !installed {
        return Err(format!("the {TARGET} target is not installed"));
    }
    // A target directory of its own, next to the outer profile's (kept between builds), so the
    // nested build never waits for the outer build's lock.
    let target_dir = out
        .ancestors()
        .nth(3)
        .map(|p| p.join("nca-web-wasm"))
        .unwrap_or_else(|| out.join("nca-web-wasm"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--release",
            "-p",
            "nca-web",
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(&target_dir);
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
        "CLIPPY_ARGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    let o = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !o.status.success() {
        let err = String::from_utf8_lossy(&o.stderr);
        for line in err.lines() {
            println!("cargo:warning={line}");
        }
        panic!("building nca-web for {TARGET} failed (see the warnings above)");
    }
    let wasm = target_dir.join(TARGET).join("release").join("nca_web.wasm");
    if !wasm.is_file() {
        return Err(format!("{} was not produced", wasm.display()));
    }
    Ok(wasm)
}
