//! The family commands as a user runs them: train a few steps, then eval and animate the
//! checkpoint; and every bad input gives one clear line.

mod common;

use std::path::Path;

use common::{assert_fails_with, nca, ok, tmp};

fn write_png(
    path: &Path,
    w: u32,
    h: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(color);
    enc.set_depth(depth);
    enc.write_header().unwrap().write_image_data(data).unwrap();
}

#[test]
fn grow_train_eval_animate_and_bad_input() {
    let d = tmp("grow");
    let train = [
        "grow", "train", "--target", "circle", "--size", "8", "--pad", "2", "--steps", "3",
        "--pool", "8", "--batch", "4", "--ticks", "4..6", "--out", "runs/g", "--json",
    ];
    let v = ok(&nca(&train, &d));
    assert_eq!(v["steps"], 3);
    let ck = "runs/g/checkpoint/model.safetensors";
    let v = ok(&nca(
        &["grow", "eval", "--checkpoint", ck, "--runs", "2", "--json"],
        &d,
    ));
    for k in ["loss_grow", "loss_persist_1000", "loss_regrow"] {
        assert!(v[k].as_f64().unwrap().is_finite(), "{k}: {v}");
    }
    let o = nca(
        &[
            "grow",
            "animate",
            "--checkpoint",
            ck,
            "--ticks",
            "12",
            "--damage",
            "6,6,3@5",
            "--damage",
            "half@9",
            "--out",
            "g.gif",
            "--sheet",
            "g.png",
            "--sheet-ticks",
            "0,4,8,12",
        ],
        &d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(&std::fs::read(d.join("g.gif")).unwrap()[..6], b"GIF89a");
    assert_eq!(&std::fs::read(d.join("g.png")).unwrap()[1..4], b"PNG");

    assert_fails_with(
        &nca(
            &["grow", "animate", "--checkpoint", ck, "--out", "g.gif"],
            &d,
        ),
        "already exists",
    );
    assert_fails_with(
        &nca(
            &[
                "grow",
                "animate",
                "--checkpoint",
                ck,
                "--damage",
                "1,2@x",
                "--out",
                "h.gif",
            ],
            &d,
        ),
        "malformed --damage",
    );
    assert_fails_with(
        &nca(&["grow", "eval", "--checkpoint", "nope.safetensors"], &d),
        "nope",
    );
    let bad_train = |extra: &[&str], needle: &str| {
        let mut args = vec!["grow", "train", "--steps", "2", "--out", "runs/x"];
        args.extend_from_slice(extra);
        assert_fails_with(&nca(&args, &d), needle);
    };
    bad_train(&["--target", "missing.png"], "missing.png");
    std::fs::write(d.join("not.png"), b"plain text").unwrap();
    bad_train(&["--target", "not.png"], "not.png");
    bad_train(
        &["--target", "circle", "--mode", "wobbly"],
        "invalid value 'wobbly'",
    );
    bad_train(
        &["--target", "circle", "--ticks", "9..x"],
        "malformed tick range",
    );
    bad_train(&["--target", "circle", "--ticks", "9..3"], "ticks");
    bad_train(&["--target", "circle", "--size", "0"], "--size");
    bad_train(&["--target", "circle", "--batch", "2"], "--batch");
    bad_train(
        &["--target", "circle", "--perception", "telepathy"],
        "invalid value 'telepathy'",
    );
    bad_train(
        &["--target", "circle", "--engine", "quantum"],
        "invalid value 'quantum' for '--engine",
    );
    // A checkpoint of another family.
    ok(&nca(
        &["tiny", "train", "--steps", "2", "--out", "runs/t"],
        &d,
    ));
    assert_fails_with(
        &nca(
            &[
                "grow",
                "eval",
                "--checkpoint",
                "runs/t/checkpoint/model.safetensors",
            ],
            &d,
        ),
        "'tiny' checkpoint, not 'grow'",
    );
}

#[test]
fn classify_eval_animate_and_bad_input() {
    let Some(data) = std::env::var_os("NCA_DATA") else {
        eprintln!("NCA_DATA unset: skipping classify CLI test");
        return;
    };
    let data = data.to_str().unwrap().to_string();
    let d = tmp("classify");
    let train = [
        "classify", "train", "--data", &data, "--limit", "50", "--batch", "4", "--ticks", "3",
        "--steps", "2", "--out", "runs/c", "--json",
    ];
    ok(&nca(&train, &d));
    let ck = "runs/c/checkpoint/model.safetensors";
    let v = ok(&nca(
        &[
            "classify",
            "eval",
            "--checkpoint",
            ck,
            "--data",
            &data,
            "--limit",
            "20",
            "--ticks-before",
            "10",
            "--ticks-after",
            "5",
            "--plot",
            "curves.png",
            "--json",
        ],
        &d,
    ));
    assert_eq!(v["accuracy"].as_array().unwrap().len(), 15);
    assert!(v["accuracy_at_200"].as_f64().is_some() && v["agreement_at_400"].as_f64().is_some());
    assert!(d.join("curves.png").exists());

    let o = nca(
        &[
            "classify",
            "animate",
            "--checkpoint",
            ck,
            "--data",
            &data,
            "--batch-size",
            "4",
            "--n-stages",
            "2",
            "--n-steps-per-stage",
            "3",
            "--annotations",
            "--out",
            "c.gif",
            "--json",
        ],
        &d,
    );
    let v = ok(&o);
    assert_eq!(v["verdicts"].as_array().unwrap().len(), 4);

    // User images: 16-bit grey and RGBA work; an empty image and a non-PNG are clear errors.
    let mut grey16 = vec![0u8; 40 * 40 * 2];
    for y in 10..30 {
        for x in 18..22 {
            grey16[(y * 40 + x) * 2] = 0xff;
            grey16[(y * 40 + x) * 2 + 1] = 0xff;
        }
    }
    write_png(
        &d.join("one16.png"),
        40,
        40,
        png::ColorType::Grayscale,
        png::BitDepth::Sixteen,
        &grey16,
    );
    let mut rgba = vec![255u8; 30 * 30 * 4];
    for y in 5..25 {
        for x in 5..25 {
            if (x + y) % 7 < 3 {
                rgba[(y * 30 + x) * 4..(y * 30 + x) * 4 + 3].copy_from_slice(&[0, 0, 0]);
            }
        }
    }
    write_png(
        &d.join("rgba.png"),
        30,
        30,
        png::ColorType::Rgba,
        png::BitDepth::Eight,
        &rgba,
    );
    for (img, out) in [("one16.png", "a.gif"), ("rgba.png", "b.gif")] {
        let v = ok(&nca(
            &[
                "classify",
                "animate",
                "--checkpoint",
                ck,
                "--input",
                img,
                "--n-steps-per-stage",
                "3",
                "--out",
                out,
                "--json",
            ],
            &d,
        ));
        assert_eq!(v["verdicts"].as_array().unwrap().len(), 1);
    }
    write_png(
        &d.join("blank.png"),
        20,
        20,
        png::ColorType::Grayscale,
        png::BitDepth::Eight,
        &[0u8; 400],
    );
    let animate_input = |img: &str| {
        nca(
            &[
                "classify",
                "animate",
                "--checkpoint",
                ck,
                "--input",
                img,
                "--out",
                "z.gif",
            ],
            &d,
        )
    };
    assert_fails_with(&animate_input("blank.png"), "blank.png");
    std::fs::write(d.join("text.png"), b"this is not an image").unwrap();
    assert_fails_with(&animate_input("text.png"), "text.png");
    assert!(!d.join("z.gif").exists(), "no output on failure");

    ok(&nca(
        &["tiny", "train", "--steps", "2", "--out", "runs/t"],
        &d,
    ));
    assert_fails_with(
        &nca(
            &[
                "classify",
                "eval",
                "--checkpoint",
                "runs/t/checkpoint/model.safetensors",
                "--data",
                &data,
            ],
            &d,
        ),
        "'tiny' checkpoint, not 'classify'",
    );
    assert_fails_with(
        &nca(
            &[
                "classify",
                "eval",
                "--checkpoint",
                ck,
                "--data",
                &data,
                "--limit",
                "0",
            ],
            &d,
        ),
        "--limit",
    );
    assert_fails_with(
        &nca(
            &[
                "classify", "train", "--data", &data, "--steps", "2", "--out", "runs/c2",
                "--batch", "0",
            ],
            &d,
        ),
        "batch",
    );
}
