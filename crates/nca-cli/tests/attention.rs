//! `nca attention train` as a user runs it: the done criterion (uniform red reached within 1000
//! steps), the run directory it writes, PNG targets, and one clear line for every bad input.

mod common;

use common::{assert_fails_with, nca, nca_line, ok, tmp};

#[test]
fn uniform_red_is_reached_within_1000_steps_and_the_run_is_complete() {
    let d = tmp("red");
    let v = ok(&nca_line(
        "attention train --target uniform:red --size 32 --steps 1000 --out runs/red --json",
        &d,
    ));
    let first = v["first_below_epsilon"]
        .as_u64()
        .expect("loss fell below ε");
    assert!((1..=1000).contains(&first), "{first}");
    assert_eq!(v["spike_steps"][0].as_u64(), Some(first));
    assert_eq!(v["steps"], 1000);
    assert_eq!(v["params"], 396);
    assert_eq!(v["epsilon"].as_f64(), Some(0.001));
    let losses = v["losses"].as_array().unwrap();
    assert_eq!(losses.len(), 1000);
    assert!(losses[first as usize - 1].as_f64().unwrap() < 0.001);
    assert!(
        losses[..first as usize - 1]
            .iter()
            .all(|l| l.as_f64().unwrap() >= 0.001)
    );

    let run = d.join("runs/red");
    let metrics = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
    assert_eq!(metrics.lines().count(), 1000);
    let line: serde_json::Value = serde_json::from_str(metrics.lines().nth(9).unwrap()).unwrap();
    assert_eq!(line["step"], 10);
    assert!(line["loss"].as_f64().unwrap() > 0.0);
    for f in [
        "config.json",
        "metrics.png",
        "snapshots.png",
        "snapshots/step-000000.png",
        "snapshots/step-000500.png",
        "snapshots/step-001000.png",
        "checkpoint/model.safetensors",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    assert_eq!(v["snapshots"], 11);
    let info = ok(&nca_line(
        "checkpoint info runs/red/checkpoint/model.safetensors --json",
        &d,
    ));
    assert_eq!(info["family"], "attention");
    assert_eq!(info["step"], 1000);
    let o = nca(&["plot", "runs/red", "--out", "plot.png"], &d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The run is not replaced unless asked to; with --force it is.
    let short = "attention train --target uniform:blue --size 6 --steps 5 --out runs/red";
    assert_fails_with(&nca_line(short, &d), "already holds a run");
    let v = ok(&nca_line(&format!("{short} --force --json"), &d));
    assert_eq!(v["steps"], 5);
    assert!(
        !run.join("snapshots/step-000500.png").exists(),
        "old snapshots cleared"
    );
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn png_targets_hex_colours_and_max_spikes() {
    let d = tmp("png");
    // A 4x2 image: opaque green left half, transparent right half.
    let file = std::fs::File::create(d.join("t.png")).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), 4, 2);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let px: Vec<u8> = (0..8)
        .flat_map(|i| {
            if i % 4 < 2 {
                [0, 255, 0, 255]
            } else {
                [255, 255, 255, 0]
            }
        })
        .collect();
    enc.write_header().unwrap().write_image_data(&px).unwrap();
    let v = ok(&nca_line(
        "attention train --target t.png --size 6 --steps 3 --out runs/p --hidden-channels 2 \
         --attn-width 4 --json",
        &d,
    ));
    assert_eq!(
        (v["side"].as_u64(), v["steps"].as_u64()),
        (Some(6), Some(3))
    );
    // 5 channels (RGB + 2 hidden), width 4: 3·(5·4 + 4) + (4·5 + 5) + 9·4 + 9.
    assert_eq!(v["params"], 3 * 24 + 25 + 45);
    assert!(v["mean_colour_loss"].as_f64().unwrap() > 0.0);

    // ε so large that every step spikes: the run stops after --max-spikes.
    let v = ok(&nca_line(
        "attention train --target uniform:#ff8000 --size 5 --steps 50 --epsilon 100 \
         --max-spikes 3 --out runs/s --json",
        &d,
    ));
    assert_eq!(v["steps"], 3);
    assert_eq!(v["stopped_by"], "max_spikes");
    assert_eq!(v["spike_steps"], serde_json::json!([1, 2, 3]));
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn bad_input_gives_one_clear_line() {
    let d = tmp("bad");
    std::fs::write(d.join("text.png"), "not an image").unwrap();
    for (extra, needle) in [
        ("--target missing.png --steps 10", "missing.png"),
        ("--target text.png --steps 10", "text.png"),
        ("--target uniform:chartreuse --steps 10", "chartreuse"),
        ("--target uniform:#12345 --steps 10", "colour"),
        ("--target uniform:red --steps 0", "--steps"),
        ("--target uniform:red --steps 10 --size 0", "--size"),
        ("--target uniform:red --steps 10 --size 100000", "--size"),
        ("--target missing.png --steps 10 --size 0", "--size"),
        ("--target uniform:red --steps 10 --lr 0", "--lr"),
        (
            "--target uniform:red --steps 10 --sigma-small=-1",
            "--sigma-small",
        ),
        ("--target uniform:red --steps 10 --epsilon nan", "--epsilon"),
        (
            "--target uniform:red --steps 10 --max-spikes 0",
            "--max-spikes",
        ),
        (
            "--target uniform:red --steps 10 --attn-width 0",
            "--attn-width",
        ),
        (
            "--target uniform:red --steps 10 --hidden-channels 999",
            "hidden",
        ),
        (
            "--target uniform:red --steps 10 --snapshot-every 0",
            "--snapshot-every",
        ),
        (
            "--target uniform:red --steps 10 --backend quantum",
            "quantum",
        ),
    ] {
        let o = nca_line(&format!("attention train --out runs/x {extra}"), &d);
        assert_fails_with(&o, needle);
    }
    assert!(!d.join("runs/x").exists(), "nothing written on bad input");
    // Missing required flags are clap's usage errors (exit 2 as well).
    let o = nca(&["attention", "train", "--target", "uniform:red"], &d);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--steps"));
    std::fs::remove_dir_all(d).unwrap();
}
