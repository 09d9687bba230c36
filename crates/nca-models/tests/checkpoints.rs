//! The shipped checkpoints load without Burn, and bad bytes give one clear line.

use nca_models::{ClassifyModel, GrowModel, RefineModel, Stepper};

fn bytes(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../models")
        .join(name);
    std::fs::read(p).unwrap()
}

#[test]
fn shipped_models_load_and_run() {
    let c = ClassifyModel::from_bytes(&bytes("classify-mnist.safetensors")).unwrap();
    assert_eq!((c.cfg.channels, c.cfg.hidden, c.step), (20, 80, 105_000));
    let g = GrowModel::from_bytes(&bytes("lizard.safetensors")).unwrap();
    assert_eq!((g.side(), g.cfg().channels), (72, 16));
    let r = RefineModel::from_bytes(&bytes("refine-mnist-f16.safetensors")).unwrap();
    assert_eq!((r.cfg.blocks, r.templates.side), (50, 28));

    // A vertical bar is a "1" to both digit models.
    let mut px = vec![0.0f32; 784];
    for y in 4..24 {
        px[y * 28 + 13] = 1.0;
        px[y * 28 + 14] = 1.0;
    }
    let state = nca_models::classify::fresh_state(&px, 20);
    let mut s = Stepper::new(c.spec.clone(), c.params.clone(), state, [1, 28, 28], 0.5, 1).unwrap();
    s.run(60).unwrap();
    let votes = c.votes(&s.state, 784);
    let ones = votes.iter().filter(|v| **v == Some(1)).count();
    let alive = votes.iter().filter(|v| v.is_some()).count();
    assert!(ones * 2 > alive, "{ones} of {alive}");
    let images = r.images(&px).unwrap();
    let v = nca_models::refine::verdict(images.last().unwrap(), &r.templates);
    assert_eq!(v.digit, 1);

    // The lizard grows from its seed.
    assert_eq!((g.side(), g.cfg().fire_rate), (72, 0.5));
    let mut s = g.seed_stepper(2).unwrap();
    s.run(80).unwrap();
    let n = 72 * 72;
    let alive = s.state[3 * n..4 * n].iter().filter(|a| **a > 0.1).count();
    assert!(alive > 300, "{alive} visible cells");
}

#[test]
fn bad_checkpoints_are_one_line_errors() {
    let e = ClassifyModel::from_bytes(b"hello").unwrap_err().to_string();
    assert!(e.contains("not a valid safetensors"), "{e}");
    let e = GrowModel::from_bytes(&bytes("classify-mnist.safetensors"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("'classify' checkpoint, not 'grow'"), "{e}");
    let mut b = bytes("lizard.safetensors");
    b.truncate(b.len() / 2);
    assert!(GrowModel::from_bytes(&b).is_err());
    assert!(!e.contains('\n'));
}

#[test]
fn stepper_refuses_a_state_of_the_wrong_size() {
    let g = GrowModel::from_bytes(&bytes("lizard.safetensors")).unwrap();
    let e = Stepper::new(g.spec, g.params, vec![0.0; 10], [1, 72, 72], 0.5, 0).unwrap_err();
    assert!(e.to_string().contains("state has 10 values"), "{e}");
}
