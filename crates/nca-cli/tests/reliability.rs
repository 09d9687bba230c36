//! Faults a user (or the machine) can cause: a checkpoint with non-finite weights, two trainings
//! on one run directory, and a training killed with SIGKILL in the middle of a checkpoint write.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{assert_fails_with, command, nca, nca_with, repo_root, stdout, tmp, words};

/// Writes a copy of `src` to `dst` with one value of the first f32 tensor (by name) set to
/// `value`; returns that tensor's name.
fn poisoned_copy(src: &Path, dst: &Path, value: f32) -> String {
    let bytes = std::fs::read(src).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut tensors: Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.dtype(), v.shape().to_vec(), v.data().to_vec()))
        .collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    let victim = tensors
        .iter_mut()
        .find(|t| t.1 == safetensors::Dtype::F32)
        .expect("an f32 tensor");
    victim.3[0..4].copy_from_slice(&value.to_le_bytes());
    let name = victim.0.clone();
    let views: Vec<_> = tensors
        .iter()
        .map(|(n, dt, s, d)| {
            let v = safetensors::tensor::TensorView::new(*dt, s.clone(), d).unwrap();
            (n.clone(), v)
        })
        .collect();
    std::fs::write(
        dst,
        safetensors::serialize(views, header.metadata().clone()).unwrap(),
    )
    .unwrap();
    name
}

#[test]
fn checkpoints_with_nan_or_inf_weights_are_refused_naming_the_tensor() {
    let d = tmp("nan-weights");
    let models = repo_root().join("models");
    for (family, file) in [
        ("classify", "classify-mnist.safetensors"),
        ("grow", "lizard.safetensors"),
    ] {
        for (tag, value) in [("nan", f32::NAN), ("inf", f32::INFINITY)] {
            let bad = d.join(format!("{family}-{tag}.safetensors"));
            let tensor = poisoned_copy(&models.join(file), &bad, value);
            let o = nca_with(
                "{} eval --checkpoint {} --json",
                &[family, bad.to_str().unwrap()],
                &d,
            );
            assert_fails_with(&o, &format!("tensor {tensor} holds a non-finite weight"));
            assert!(stdout(&o).is_empty());
        }
    }
}

/// Polls until `path` exists (a paused training reached its fault point).
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn tiny_train(out: &str, steps: &str, resume: bool) -> Vec<String> {
    let mut a = words(
        "tiny train --steps {} --checkpoint-every 10 --out {} --json",
        &[steps, out],
    );
    if resume {
        a.push("--resume".into());
    }
    a
}

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Every tensor of a checkpoint, by name, as raw bytes.
fn tensors(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    st.tensors()
        .into_iter()
        .map(|(n, v)| (n, v.data().to_vec()))
        .collect()
}

#[test]
fn a_second_training_on_a_busy_run_directory_is_refused() {
    let d = tmp("lock");
    // The first training pauses inside its step-10 checkpoint write, holding the run directory.
    let mut first = command(&args(&tiny_train("run", "30", false)), &d)
        .env("NCA_FAULT_PAUSE", "10:files")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&d.join("run/.fault-paused"));
    let second = nca(&args(&tiny_train("run", "30", true)), &d);
    assert_fails_with(&second, "is in use by another training");
    assert_fails_with(&second, &format!("pid {}", first.id()));
    // SIGKILL leaves no stale lock: the next run resumes at once.
    first.kill().unwrap();
    first.wait().unwrap();
    let third = nca(&args(&tiny_train("run", "30", true)), &d);
    assert!(
        third.status.success(),
        "{}",
        String::from_utf8_lossy(&third.stderr)
    );
}

#[test]
fn sigkill_during_a_checkpoint_write_resumes_to_the_uninterrupted_weights() {
    let d = tmp("sigkill");
    let straight = nca(&args(&tiny_train("straight", "30", false)), &d);
    assert!(straight.status.success());
    let want = tensors(&d.join("straight/checkpoint/model.safetensors"));

    for phase in ["files", "swap"] {
        let run = format!("killed-{phase}");
        let mut child = command(&args(&tiny_train(&run, "30", false)), &d)
            .env("NCA_FAULT_PAUSE", format!("20:{phase}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        wait_for(&d.join(&run).join(".fault-paused"));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        assert!(
            d.join(&run).join(".checkpoint.tmp").exists(),
            "{phase}: the half-written checkpoint is left behind"
        );

        let resumed = nca(&args(&tiny_train(&run, "30", true)), &d);
        assert!(
            resumed.status.success(),
            "{phase}: {}",
            String::from_utf8_lossy(&resumed.stderr)
        );
        let report: serde_json::Value = serde_json::from_str(&stdout(&resumed)).unwrap();
        assert_eq!(report["steps"], 30, "{phase}");
        assert_eq!(
            report["steps_this_run"], 20,
            "{phase}: resumed from the step-10 checkpoint, the last complete one"
        );
        let got = tensors(&d.join(&run).join("checkpoint/model.safetensors"));
        assert_eq!(got, want, "{phase}: weights equal the uninterrupted run's");
    }
}
