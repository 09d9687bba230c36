//! `nca refine` as a user runs it: templates, train, eval, animate, export-onnx (checked
//! against onnxruntime), and one clear line for every bad input.

mod common;

use std::path::Path;

use common::{assert_fails_with, nca, nca_data, nca_line, nca_with, ok, python_check, tmp};

use burn::tensor::Device;
use nca::checkpoint::CheckpointMeta;
use nca::refine::eval::run_images;
use nca::refine::{RefineConfig, RefineNca, Templates};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SIDE: usize = 28;

/// Grey 8-bit PNG of `w`×`h` pixels.
fn write_png(path: &Path, w: u32, h: u32, data: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    enc.write_header().unwrap().write_image_data(data).unwrap();
}

/// A "7" drawn dark on white, 64×64.
fn write_seven(path: &Path) {
    let px: Vec<u8> = (0..64 * 64i32)
        .map(|i| {
            let (y, x) = (i / 64, i % 64);
            let top = (10..16).contains(&y) && (14..50).contains(&x);
            let diag = (16..56).contains(&y) && (x - (50 - (y - 16) / 2)).abs() < 3;
            if top || diag { 0 } else { 255 }
        })
        .collect();
    write_png(path, 64, 64, &px);
}

/// Synthetic templates: digit k is a bright square whose corner moves with k.
fn synthetic_templates() -> Templates {
    let mut images = vec![0.0f32; 10 * SIDE * SIDE];
    for k in 0..10 {
        for y in 0..10 {
            for x in 0..10 {
                images[k * SIDE * SIDE + (y + k + 2) * SIDE + x + 2 * (k % 5) + 4] = 0.9;
            }
        }
    }
    Templates::new(SIDE, images, vec![1; 10]).unwrap()
}

/// A refine checkpoint with random weights at `width`, as `nca refine train` would write it.
fn random_checkpoint(path: &Path, width: usize) -> RefineNca {
    let cfg = RefineConfig {
        width,
        ..RefineConfig::default()
    };
    let m = RefineNca::new(
        &cfg,
        &synthetic_templates(),
        &Device::flex(),
        &mut StdRng::seed_from_u64(11),
    );
    let config = serde_json::json!({"family": "refine", "task": cfg});
    let meta = CheckpointMeta::new(nca::refine::FAMILY, 0, config);
    nca::checkpoint::save(&m, &meta, path, false).unwrap();
    m
}

/// Writes one comparison case for onnx_check.py: inputs and our outputs, raw f32.
fn write_case(dir: &Path, name: &str, model: &RefineNca, pixels: &[f32]) -> serde_json::Value {
    let b = pixels.len() / (SIDE * SIDE);
    let outs = run_images(model, pixels, b, SIDE, nca::engine::Engine::Burn).unwrap();
    let bytes =
        |v: &mut dyn Iterator<Item = f32>| v.flat_map(f32::to_le_bytes).collect::<Vec<u8>>();
    std::fs::write(
        dir.join(format!("{name}.input.f32")),
        bytes(&mut pixels.iter().copied()),
    )
    .unwrap();
    let flat = bytes(&mut outs.iter().flatten().copied());
    std::fs::write(dir.join(format!("{name}.expected.f32")), flat).unwrap();
    serde_json::json!({"name": name, "batch": b})
}

#[test]
fn export_onnx_matches_our_forward_in_onnxruntime() {
    let d = tmp("onnx");
    let ck = d.join("w4.safetensors");
    let model = random_checkpoint(&ck, 4);
    let ck = ck.to_str().unwrap();
    let export = |extra: &str| {
        let line = format!("refine export-onnx --checkpoint {{}} -o m.onnx {extra}");
        nca_with(&line, &[ck], &d)
    };
    let v = ok(&export("--json"));
    assert_eq!(v["opset"], 17);
    assert_eq!(v["outputs"], 50);
    assert_eq!(v["input"], "x");
    assert_fails_with(&export(""), "already exists");
    ok(&export("--force"));

    // Random inputs (batch 3) and real digits (batch 5): the batch dimension is dynamic.
    let cases = d.join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let random: Vec<f32> = (0..3 * SIDE * SIDE).map(|_| rng.random::<f32>()).collect();
    let real: Vec<f32> = match std::env::var_os("NCA_DATA") {
        Some(dir) => {
            let test = nca_data::load_split(Path::new(&dir), nca_data::SplitName::Test).unwrap();
            (0..5).flat_map(|i| test.image_f32(i)).collect()
        }
        None => {
            eprintln!("NCA_DATA unset: the 'real' case uses a drawn digit instead of MNIST");
            write_seven(&d.join("seven.png"));
            let seven = nca_data::load_digit_png(&d.join("seven.png")).unwrap();
            seven.repeat(5)
        }
    };
    let list = vec![
        write_case(&cases, "random", &model, &random),
        write_case(&cases, "real", &model, &real),
    ];
    std::fs::write(cases.join("cases.json"), serde_json::to_vec(&list).unwrap()).unwrap();

    let Some(report) = python_check(
        "onnx_check.py",
        &[&d.join("m.onnx"), &cases, Path::new("1e-4")],
    ) else {
        return;
    };
    assert!(report.contains("random: batch 3, 50 outputs"), "{report}");
    assert!(report.contains("real: batch 5, 50 outputs"), "{report}");
    eprintln!("{report}");
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn animate_writes_gif_and_sheet_and_prints_the_verdict() {
    let d = tmp("animate");
    random_checkpoint(&d.join("ck.safetensors"), 2);
    write_seven(&d.join("seven.png"));
    let args: Vec<&str> =
        "refine animate --checkpoint ck.safetensors --input seven.png --out a.gif --sheet a.png \
         --json"
            .split_whitespace()
            .collect();
    let v = ok(&nca(&args, &d));
    assert!(v["digit"].as_u64().unwrap() < 10);
    let c = v["confidence"].as_f64().unwrap();
    assert!((-1.0..=1.0).contains(&c));
    assert_eq!(v["cosines"].as_array().unwrap().len(), 10);
    assert_eq!(v["steps"].as_array().unwrap().len(), 50);
    assert_eq!(v["steps"][49]["digit"], v["digit"]);
    assert_eq!(&std::fs::read(d.join("a.gif")).unwrap()[..6], b"GIF89a");
    assert_eq!(&std::fs::read(d.join("a.png")).unwrap()[1..4], b"PNG");
    // 52 tiles (input, 50 steps, template) of 4·28 px + caption, 13 per row.
    let img = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(d.join("a.png")).unwrap(),
    ));
    let info = img.read_info().unwrap();
    let (w, h) = (info.info().width, info.info().height);
    assert_eq!((w, h), (13 * 112 + 14 * 4, 4 * 124 + 5 * 4));

    // Text output; files are never overwritten without --force.
    let text = nca(&args[..args.len() - 1], &d);
    assert_fails_with(&text, "a.gif already exists");
    let mut forced = args[..args.len() - 1].to_vec();
    forced.push("--force");
    let o = nca(&forced, &d);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("verdict: "));

    // Bad input images.
    std::fs::write(d.join("digit.jpg"), b"\xff\xd8\xff\xe0 not a png").unwrap();
    let anim = |input: &str| {
        nca_with(
            "refine animate --checkpoint ck.safetensors --input {} --out b.gif",
            &[input],
            &d,
        )
    };
    assert_fails_with(&anim("digit.jpg"), "not a PNG");
    write_png(&d.join("blank.png"), 20, 20, &[255; 400]);
    assert_fails_with(&anim("blank.png"), "no ink");
    assert_fails_with(&anim("missing.png"), "missing.png");
    assert!(!d.join("b.gif").exists());
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let d = tmp("bad");
    // A checkpoint of another family.
    ok(&nca_line("tiny train --steps 1 --out runs/t", &d));
    let tiny = "runs/t/checkpoint/model.safetensors";
    write_seven(&d.join("seven.png"));
    for line in [
        "refine eval --checkpoint {}",
        "refine export-onnx --checkpoint {} -o x.onnx",
        "refine animate --checkpoint {} --input seven.png --out x.gif",
    ] {
        assert_fails_with(
            &nca_with(line, &[tiny], &d),
            "'tiny' checkpoint, not 'refine'",
        );
    }
    assert_fails_with(
        &nca_line(
            "refine export-onnx --checkpoint nope.safetensors -o x.onnx",
            &d,
        ),
        "nope.safetensors",
    );
    for (extra, needle) in [
        ("--steps 0 --data .", "--steps"),
        ("--steps 2 --width 0", "--width"),
        ("--steps 2 --batch 0", "--batch"),
        ("--steps 9 --lr-drops 5,3", "boundaries must increase"),
        (
            "--steps 2 --engine quantum",
            "invalid value 'quantum' for '--engine",
        ),
        ("--steps 2 --data no-such-dir", "does not exist"),
    ] {
        let train = nca_line(&format!("refine train --out runs/r {extra}"), &d);
        assert_fails_with(&train, needle);
    }
    assert_fails_with(
        &nca_line("refine templates --data no-such-dir", &d),
        "does not exist",
    );
    assert_fails_with(
        &nca_with(
            "refine eval --checkpoint {} --data no-such-dir",
            &[tiny],
            &d,
        ),
        "not 'refine'",
    );
    let own = d.join("own.safetensors");
    random_checkpoint(&own, 2);
    assert_fails_with(
        &nca_with(
            "refine eval --checkpoint {} --engine quantum",
            &[own.to_str().unwrap()],
            &d,
        ),
        "invalid value 'quantum' for '--engine",
    );
    assert!(!d.join("runs/r").exists(), "nothing written on bad input");
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn templates_train_resume_eval_on_mnist() {
    let Some(data) = nca_data("the refine MNIST test") else {
        return;
    };
    let d = tmp("mnist");
    let v = ok(&nca_with(
        "refine templates --data {} --out t.safetensors --sheet t.png --json",
        &[&data],
        &d,
    ));
    let counts: Vec<u64> = v["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    assert_eq!(counts.iter().sum::<u64>(), v["digits"].as_u64().unwrap());
    assert!(counts.iter().all(|&c| c > 0));
    assert!(d.join("t.png").exists());
    assert_fails_with(
        &nca_with(
            "refine templates --data {} --out t.safetensors",
            &[&data],
            &d,
        ),
        "already exists",
    );

    let train = |steps: &str, resume: bool| {
        let line = format!(
            "refine train --data {{}} --limit 12 --width 2 --batch 4 --micro-batch 3 \
             --templates t.safetensors --steps {{}} --out runs/r --json{}",
            if resume { " --resume" } else { "" }
        );
        ok(&nca_with(&line, &[&data, steps], &d))
    };
    assert_eq!(train("1", false)["steps"], 1);
    let v = train("2", true);
    assert_eq!(
        (v["steps"].as_u64(), v["steps_this_run"].as_u64()),
        (Some(2), Some(1))
    );
    let metrics = std::fs::read_to_string(d.join("runs/r/metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 2);

    let ck = "runs/r/checkpoint/model.safetensors";
    let eval = |extra: &str| {
        let line = format!("refine eval --checkpoint {{}} --data {{}} {extra}");
        nca_with(&line, &[ck, &data], &d)
    };
    let v = ok(&eval("--limit 20 --batch 8 --plot acc.png --json"));
    assert_eq!(v["digits"], 20);
    assert_eq!(v["step"], 2);
    let acc = v["accuracy_per_step"].as_array().unwrap();
    assert_eq!(acc.len(), 50);
    assert_eq!(v["accuracy_final"], acc[49]);
    assert_eq!(v["confidence_per_step"].as_array().unwrap().len(), 50);
    let base = v["accuracy_templates_only"].as_f64().unwrap();
    assert!(
        base > 0.5,
        "the mean images alone classify most digits: {base}"
    );
    assert!(d.join("acc.png").exists());
    let o = eval("--limit 5");
    assert!(String::from_utf8_lossy(&o.stdout).contains("templates only"));
    assert_fails_with(&eval("--limit 0"), "--limit");
    // A fresh run into an existing run directory needs --resume.
    let o = nca_with(
        "refine train --data {} --limit 4 --width 2 --batch 2 --steps 1 --out runs/r",
        &[&data],
        &d,
    );
    assert_fails_with(&o, "--resume");
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn checkpoint_convert_to_f16_halves_the_file_and_keeps_the_model() {
    let d = tmp("convert");
    let src = d.join("m.safetensors");
    let model = random_checkpoint(&src, 2);
    let v = ok(&nca_line(
        "checkpoint convert m.safetensors -o h.safetensors --json",
        &d,
    ));
    assert_eq!(v["family"], "refine");
    assert_eq!(v["precision"], "f16");
    let (a, b) = (
        v["bytes_in"].as_f64().unwrap(),
        v["bytes_out"].as_f64().unwrap(),
    );
    assert!(b < 0.6 * a, "{b} of {a} bytes");
    let info = ok(&nca(&["checkpoint", "info", "h.safetensors", "--json"], &d));
    assert_eq!(info["precision"], "f16");
    assert_eq!(info["family"], "refine");
    let (half, _, _) =
        nca::refine::load_checkpoint(&d.join("h.safetensors"), &Device::flex()).unwrap();
    let pixels: Vec<f32> = (0..SIDE * SIDE)
        .map(|i| ((i * 13) % 17) as f32 / 17.0)
        .collect();
    let engine = nca::engine::Engine::Burn;
    let (x, y) = (
        run_images(&model, &pixels, 1, SIDE, engine).unwrap(),
        run_images(&half, &pixels, 1, SIDE, engine).unwrap(),
    );
    let diff = x
        .iter()
        .flatten()
        .zip(y.iter().flatten())
        .fold(0f32, |m, (p, q)| m.max((p - q).abs()));
    assert!(
        diff > 0.0 && diff < 1e-2,
        "f16 weights change images by {diff}"
    );
    assert_eq!(half.templates().unwrap().images.len(), 10 * SIDE * SIDE);

    for (line, needle) in [
        (
            "checkpoint convert m.safetensors -o h.safetensors",
            "already exists",
        ),
        (
            "checkpoint convert m.safetensors -o q.safetensors --precision f8",
            "--precision must be f16 or f32",
        ),
        (
            "checkpoint convert nope.safetensors -o q.safetensors",
            "nope.safetensors",
        ),
    ] {
        assert_fails_with(&nca_line(line, &d), needle);
    }
    assert!(!d.join("q.safetensors").exists());
    std::fs::remove_dir_all(d).unwrap();
}
