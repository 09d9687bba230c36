//! The family commands as a user runs them: train a few steps, then eval and animate the
//! checkpoint; and every bad input gives one clear line.

mod common;

use std::path::Path;

use common::{assert_fails_with, nca, nca_data, nca_line, nca_with, ok, tmp};

const GREY8: (png::ColorType, png::BitDepth) = (png::ColorType::Grayscale, png::BitDepth::Eight);
const GREY16: (png::ColorType, png::BitDepth) = (png::ColorType::Grayscale, png::BitDepth::Sixteen);
const RGBA8: (png::ColorType, png::BitDepth) = (png::ColorType::Rgba, png::BitDepth::Eight);

/// A `side`×`side` PNG of the given colour type and bit depth.
fn write_png(path: &Path, side: u32, (color, depth): (png::ColorType, png::BitDepth), data: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), side, side);
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
    let v = ok(&nca_with(
        "grow eval --checkpoint {} --runs 2 --json",
        &[ck],
        &d,
    ));
    for k in ["loss_grow", "loss_persist_1000", "loss_regrow"] {
        assert!(v[k].as_f64().unwrap().is_finite(), "{k}: {v}");
    }
    let o = nca_with(
        "grow animate --checkpoint {} --ticks 12 --damage 6,6,3@5 --damage half@9 --out g.gif \
         --sheet g.png --sheet-ticks 0,4,8,12",
        &[ck],
        &d,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(&std::fs::read(d.join("g.gif")).unwrap()[..6], b"GIF89a");
    assert_eq!(&std::fs::read(d.join("g.png")).unwrap()[1..4], b"PNG");

    assert_fails_with(
        &nca_with("grow animate --checkpoint {} --out g.gif", &[ck], &d),
        "already exists",
    );
    assert_fails_with(
        &nca_with(
            "grow animate --checkpoint {} --damage 1,2@x --out h.gif",
            &[ck],
            &d,
        ),
        "invalid --damage: malformed '1,2@x'",
    );
    assert_fails_with(
        &nca(&["grow", "eval", "--checkpoint", "nope.safetensors"], &d),
        "nope",
    );
    let bad_train = |extra: &str, needle: &str| {
        let o = nca_line(&format!("grow train --steps 2 --out runs/x {extra}"), &d);
        assert_fails_with(&o, needle);
    };
    bad_train("--target missing.png", "missing.png");
    std::fs::write(d.join("not.png"), b"plain text").unwrap();
    bad_train("--target not.png", "not.png");
    for (extra, needle) in [
        ("--mode wobbly", "invalid value 'wobbly'"),
        ("--ticks 9..x", "malformed tick range"),
        ("--ticks 9..3", "ticks"),
        ("--size 0", "--size"),
        ("--batch 2", "--batch"),
        ("--perception telepathy", "invalid value 'telepathy'"),
        ("--engine quantum", "invalid value 'quantum' for '--engine"),
    ] {
        bad_train(&format!("--target circle {extra}"), needle);
    }
    // A checkpoint of another family.
    ok(&nca_line("tiny train --steps 2 --out runs/t", &d));
    assert_fails_with(
        &nca_line(
            "grow eval --checkpoint runs/t/checkpoint/model.safetensors",
            &d,
        ),
        "'tiny' checkpoint, not 'grow'",
    );
}

#[test]
fn classify_eval_animate_and_bad_input() {
    let Some(data) = nca_data("classify CLI test") else {
        return;
    };
    let d = tmp("classify");
    let train = [
        "classify", "train", "--data", &data, "--limit", "50", "--batch", "4", "--ticks", "3",
        "--steps", "2", "--out", "runs/c", "--json",
    ];
    ok(&nca(&train, &d));
    let ck = "runs/c/checkpoint/model.safetensors";
    let v = ok(&nca_with(
        "classify eval --checkpoint {} --data {} --limit 20 --ticks-before 10 --ticks-after 5 \
         --plot curves.png --json",
        &[ck, &data],
        &d,
    ));
    assert_eq!(v["accuracy"].as_array().unwrap().len(), 15);
    assert!(v["accuracy_at_200"].as_f64().is_some() && v["agreement_at_400"].as_f64().is_some());
    assert!(d.join("curves.png").exists());

    let o = nca_with(
        "classify animate --checkpoint {} --data {} --batch-size 4 --n-stages 2 \
         --n-steps-per-stage 3 --annotations --out c.gif --still c.png --json",
        &[ck, &data],
        &d,
    );
    let v = ok(&o);
    assert_eq!(v["verdicts"].as_array().unwrap().len(), 4);
    assert_eq!(&std::fs::read(d.join("c.png")).unwrap()[1..4], b"PNG");
    // The still is not overwritten unless asked (checked before any work).
    std::fs::remove_file(d.join("c.gif")).unwrap();
    let again = nca_with(
        "classify animate --checkpoint {} --data {} --n-steps-per-stage 1 --out c.gif --still c.png",
        &[ck, &data],
        &d,
    );
    assert_fails_with(&again, "c.png already exists");
    assert!(!d.join("c.gif").exists());

    // User images: 16-bit grey and RGBA work; an empty image and a non-PNG are clear errors.
    let mut grey16 = vec![0u8; 40 * 40 * 2];
    for y in 10..30 {
        for x in 18..22 {
            grey16[(y * 40 + x) * 2] = 0xff;
            grey16[(y * 40 + x) * 2 + 1] = 0xff;
        }
    }
    write_png(&d.join("one16.png"), 40, GREY16, &grey16);
    let mut rgba = vec![255u8; 30 * 30 * 4];
    for y in 5..25 {
        for x in 5..25 {
            if (x + y) % 7 < 3 {
                rgba[(y * 30 + x) * 4..(y * 30 + x) * 4 + 3].copy_from_slice(&[0, 0, 0]);
            }
        }
    }
    write_png(&d.join("rgba.png"), 30, RGBA8, &rgba);
    for (img, out) in [("one16.png", "a.gif"), ("rgba.png", "b.gif")] {
        let v = ok(&nca_with(
            "classify animate --checkpoint {} --input {} --n-steps-per-stage 3 --out {} --json",
            &[ck, img, out],
            &d,
        ));
        assert_eq!(v["verdicts"].as_array().unwrap().len(), 1);
    }
    write_png(&d.join("blank.png"), 20, GREY8, &[0u8; 400]);
    let animate_input = |img: &str| {
        nca_with(
            "classify animate --checkpoint {} --input {} --out z.gif",
            &[ck, img],
            &d,
        )
    };
    assert_fails_with(&animate_input("blank.png"), "blank.png");
    std::fs::write(d.join("text.png"), b"this is not an image").unwrap();
    assert_fails_with(&animate_input("text.png"), "text.png");
    assert!(!d.join("z.gif").exists(), "no output on failure");

    ok(&nca_line("tiny train --steps 2 --out runs/t", &d));
    let eval = |checkpoint: &str, extra: &str| {
        let line = format!("classify eval --checkpoint {{}} --data {{}} {extra}");
        nca_with(&line, &[checkpoint, &data], &d)
    };
    assert_fails_with(
        &eval("runs/t/checkpoint/model.safetensors", ""),
        "'tiny' checkpoint, not 'classify'",
    );
    assert_fails_with(&eval(ck, "--limit 0"), "--limit");
    assert_fails_with(
        &nca_with(
            "classify train --data {} --steps 2 --out runs/c2 --batch 0",
            &[&data],
            &d,
        ),
        "batch",
    );
}
