//! `nca <family> export-onnx` for the cellular families: from the same state and the same
//! per-tick fire masks (and residual noise), N ticks in onnxruntime equal our Burn forward
//! within 1e-4.

mod common;

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use common::{assert_fails_with, nca_line, nca_with, ok, python_check, repo_root, stdout, tmp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

const TICKS: usize = 8;

fn tensor(v: &[f32], shape: [usize; 4]) -> Tensor<4> {
    Tensor::from_data(TensorData::new(v.to_vec(), shape), &Device::flex())
}

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

fn write_f32(path: &Path, v: &[f32]) {
    std::fs::write(
        path,
        v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>(),
    )
    .unwrap();
}

/// A case for onnx_tick_check.py: start state, per-tick draws, and our states after each tick.
struct Case {
    family: &'static str,
    shape: [usize; 4],
    start: Vec<f32>,
    draws: Vec<(&'static str, [usize; 4], Vec<f32>)>,
    expected: Vec<f32>,
}

impl Case {
    fn write(&self, dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        write_f32(&dir.join("state.f32"), &self.start);
        write_f32(&dir.join("expected.f32"), &self.expected);
        let mut random = serde_json::Map::new();
        for (name, shape, v) in &self.draws {
            write_f32(&dir.join(format!("{name}.f32")), v);
            random.insert((*name).into(), serde_json::json!(shape));
        }
        let case = serde_json::json!({
            "family": self.family, "ticks": TICKS, "state": self.shape, "random": random,
        });
        std::fs::write(dir.join("case.json"), case.to_string()).unwrap();
    }
}

fn bernoulli(rng: &mut StdRng, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| if rng.random::<f32>() < 0.5 { 1.0 } else { 0.0 })
        .collect()
}

fn gaussian(rng: &mut StdRng, n: usize, std: f32) -> Vec<f32> {
    let d = Normal::new(0.0, std).unwrap();
    (0..n).map(|_| d.sample(rng)).collect()
}

/// A state of `shape` drawn from N(0, std²), whose `channel` is 0 (dead) at a `dead` share of the
/// cells and uniform in [dead, 1) elsewhere.
fn random_state(
    rng: &mut StdRng,
    shape: [usize; 4],
    std: f32,
    channel: usize,
    dead: f32,
) -> Vec<f32> {
    let [b, c, h, w] = shape;
    let mut start = gaussian(rng, b * c * h * w, std);
    for bi in 0..b {
        for i in 0..h * w {
            let u: f32 = rng.random();
            start[(bi * c + channel) * h * w + i] = if u < dead { 0.0 } else { u };
        }
    }
    start
}

fn classify_case(checkpoint: &Path) -> Case {
    let (model, cfg, _) =
        nca::classify::model::load_checkpoint(checkpoint, &Device::flex()).unwrap();
    let shape = [2, cfg.channels, 28, 24];
    let [b, c, h, w] = shape;
    let mut rng = StdRng::seed_from_u64(1);
    // A pixel channel with dead (0) and alive cells, small hidden and vote channels.
    let start = random_state(&mut rng, shape, 0.1, 0, 0.5);
    let (fire, noise) = (
        bernoulli(&mut rng, TICKS * b * h * w),
        gaussian(&mut rng, TICKS * b * (c - 1) * h * w, cfg.noise_std),
    );
    let mut x = tensor(&start, shape);
    let mut expected = Vec::new();
    for t in 0..TICKS {
        let f = tensor(&fire[t * b * h * w..(t + 1) * b * h * w], [b, 1, h, w]);
        let n = (c - 1) * b * h * w;
        let n = tensor(&noise[t * n..(t + 1) * n], [b, c - 1, h, w]);
        let alive = nca::masks::alive_threshold(x.clone(), 0, cfg.alive_threshold);
        x = model.tick(x, f, Some(n), Some(&alive));
        expected.extend(values(x.clone()));
    }
    Case {
        family: "classify",
        shape,
        start,
        draws: vec![
            ("fire", [b, 1, h, w], fire),
            ("noise", [b, c - 1, h, w], noise),
        ],
        expected,
    }
}

fn grow_case(checkpoint: &Path) -> Case {
    let (model, cfg, _, _) =
        nca::grow::model::load_checkpoint(checkpoint, &Device::flex()).unwrap();
    let shape = [2, cfg.channels, 20, 26];
    let [b, _, h, w] = shape;
    let mut rng = StdRng::seed_from_u64(2);
    // Alpha (channel 3) alive in some places, dead in others.
    let start = random_state(&mut rng, shape, 0.2, 3, 0.7);
    let fire = bernoulli(&mut rng, TICKS * b * h * w);
    let mut x = tensor(&start, shape);
    let mut expected = Vec::new();
    for t in 0..TICKS {
        let f = tensor(&fire[t * b * h * w..(t + 1) * b * h * w], [b, 1, h, w]);
        x = model.tick(x, f, None, None);
        expected.extend(values(x.clone()));
    }
    Case {
        family: "grow",
        shape,
        start,
        draws: vec![("fire", [b, 1, h, w], fire)],
        expected,
    }
}

fn attention_case(checkpoint: &Path) -> Case {
    let (model, cfg, _) = nca::attention::load_checkpoint(checkpoint, &Device::flex()).unwrap();
    let shape = [2, cfg.channels(), 9, 7];
    let [b, c, h, w] = shape;
    let mut rng = StdRng::seed_from_u64(3);
    let start = gaussian(&mut rng, b * c * h * w, 0.5);
    let mut x = tensor(&start, shape);
    let mut expected = Vec::new();
    for _ in 0..TICKS {
        x = model.forward(x);
        expected.extend(values(x.clone()));
    }
    Case {
        family: "attention",
        shape,
        start,
        draws: vec![],
        expected,
    }
}

fn export(family: &str, checkpoint: &Path, out: &Path, d: &Path) {
    let export = |extra: &str| {
        let line = format!("{{}} export-onnx --checkpoint {{}} -o {{}} {extra}");
        let paths = [checkpoint.to_str().unwrap(), out.to_str().unwrap()];
        nca_with(&line, &[family, paths[0], paths[1]], d)
    };
    let o = export("--json");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["opset"], 17);
    assert_eq!(v["outputs"], 1);
    // No silent overwrite.
    assert_fails_with(&export(""), "already exists");
}

fn check(family: &'static str, checkpoint: &Path, case: impl Fn(&Path) -> Case) {
    let d = tmp(&format!("onnx-{family}"));
    let model = d.join("m.onnx");
    export(family, checkpoint, &model, &d);
    let cases = d.join("case");
    case(checkpoint).write(&cases);
    if let Some(report) = python_check("onnx_tick_check.py", &[&model, &cases, Path::new("1e-4")]) {
        assert!(
            report.contains(&format!("{family}: {TICKS} ticks")),
            "{report}"
        );
        eprintln!("{report}");
    }
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn classify_tick_in_onnxruntime_equals_ours() {
    let ck = repo_root().join("models/classify-mnist.safetensors");
    check("classify", &ck, classify_case);
}

#[test]
fn grow_tick_in_onnxruntime_equals_ours() {
    check(
        "grow",
        &repo_root().join("models/lizard.safetensors"),
        grow_case,
    );
}

#[test]
fn attention_transition_in_onnxruntime_equals_ours() {
    let d = tmp("onnx-attention-train");
    ok(&nca_line(
        "attention train --target uniform:red --size 8 --steps 5 --out run",
        &d,
    ));
    check(
        "attention",
        &d.join("run/checkpoint/model.safetensors"),
        attention_case,
    );
}

#[test]
fn export_onnx_refuses_a_checkpoint_of_another_family() {
    let d = tmp("onnx-wrong-family");
    let lizard = repo_root().join("models/lizard.safetensors");
    let o = nca_with(
        "classify export-onnx --checkpoint {} -o m.onnx",
        &[lizard.to_str().unwrap()],
        &d,
    );
    assert_fails_with(&o, "'grow' checkpoint, not 'classify'");
    assert!(!d.join("m.onnx").exists());
}
