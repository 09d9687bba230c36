//! `nca-models` (Burn-free, what the browser playground runs) against `nca`'s own fast path:
//! for the same checkpoint and `StdRng` seed the states, masks, images and verdicts are equal,
//! natively bit for bit; the configs serialise identically; digit preprocessing matches
//! `nca_data`.

mod common;

use nca::ca::Preset;
use nca::engine::TickMasks;
use nca_models::{ClassifyModel, GrowModel, RefineModel, Stepper};
use rand::SeedableRng;
use rand::rngs::StdRng;

fn model_bytes(name: &str) -> Vec<u8> {
    std::fs::read(common::repo_root().join("models").join(name)).expect("shipped model")
}

fn model_path(name: &str) -> std::path::PathBuf {
    common::repo_root().join("models").join(name)
}

/// A thick "7"-like stroke, or the first test digit when MNIST is available.
fn digit() -> Vec<f32> {
    if let Ok(dir) = nca_data::resolve_data_dir(None)
        && let Ok(test) = nca_data::load_split(&dir, nca_data::SplitName::Test)
    {
        return test.image_f32(0);
    }
    let mut px = vec![0.0f32; 784];
    for x in 6..22 {
        px[6 * 28 + x] = 1.0;
    }
    for y in 6..24 {
        px[y * 28 + 21 - (y - 6) / 2] = 0.8;
    }
    px
}

#[test]
fn classify_ticks_equal_nca_for_the_same_seed() {
    let dev = nca::device::device_for(None).unwrap();
    let (model, cfg, _) =
        nca::classify::model::load_checkpoint(&model_path("classify-mnist.safetensors"), &dev)
            .unwrap();
    let runner = nca::ca::Runner::new(&model);
    let pixels = digit();
    let mut state = nca::classify::task::fresh_state(&pixels, cfg.channels);
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..30 {
        runner.run(&mut state, [1, 28, 28], 1, &mut rng).unwrap();
    }
    let m = ClassifyModel::from_bytes(&model_bytes("classify-mnist.safetensors")).unwrap();
    assert_eq!(
        serde_json::to_value(&m.cfg).unwrap(),
        serde_json::to_value(&cfg).unwrap()
    );
    let fresh = nca_models::classify::fresh_state(&pixels, m.cfg.channels);
    let mut s = Stepper::new(m.spec, m.params, fresh, [1, 28, 28], m.cfg.fire_rate, 5).unwrap();
    s.run(30).unwrap();
    assert_eq!(s.state, state);
}

#[test]
fn classify_training_masks_and_noise_equal_nca() {
    let cfg = nca::classify::ClassifyConfig::default();
    let ours = nca_models::classify::ClassifyConfig::default();
    let a = cfg
        .ca()
        .draw_ticks(&mut StdRng::seed_from_u64(11), cfg.ticks, [2, 28, 28], true);
    let b: Vec<TickMasks> =
        nca_models::classify::draw_ticks(&mut StdRng::seed_from_u64(11), &ours, [2, 28, 28]);
    assert_eq!(a, b);
    assert!(a[0].noise.is_some());
}

#[test]
fn grow_ticks_equal_nca_for_the_same_seed() {
    let dev = nca::device::device_for(None).unwrap();
    let (model, cfg, target, _) =
        nca::grow::model::load_checkpoint(&model_path("lizard.safetensors"), &dev).unwrap();
    let side = target.side;
    let runner = nca::ca::Runner::new(&model);
    let mut state = nca::grow::seed_state(cfg.channels, side);
    let mut rng = StdRng::seed_from_u64(9);
    runner
        .run(&mut state, [1, side, side], 40, &mut rng)
        .unwrap();
    let cut = nca::grow::eval::half_cut(&target);
    nca::pool::damage_circle(&mut state, [cfg.channels, side, side], cut.0, cut.1, cut.2);
    for _ in 0..5 {
        runner
            .run(&mut state, [1, side, side], 1, &mut rng)
            .unwrap();
    }

    let m = GrowModel::from_bytes(&model_bytes("lizard.safetensors")).unwrap();
    assert_eq!(m.target.rgba, target.rgba);
    assert_eq!(
        serde_json::to_value(m.cfg()).unwrap(),
        serde_json::to_value(&cfg).unwrap()
    );
    assert_eq!(nca_models::grow::half_cut(&m.target), cut);
    let c = m.cfg().channels;
    let mut s = m.seed_stepper(9).unwrap();
    s.run(40).unwrap();
    nca_models::grow::damage_circle(&mut s.state, [c, side, side], cut.0, cut.1, cut.2);
    s.run(5).unwrap();
    assert_eq!(s.state, state);
}

#[test]
fn refine_images_and_verdicts_equal_nca() {
    let dev = nca::device::device_for(None).unwrap();
    let (model, cfg, _) =
        nca::refine::load_checkpoint(&model_path("refine-mnist-f16.safetensors"), &dev).unwrap();
    let templates = model.templates().unwrap();
    let pixels = digit();
    let images =
        nca::refine::eval::run_images(&model, &pixels, 1, 28, nca::engine::Engine::Fast).unwrap();
    let m = RefineModel::from_bytes(&model_bytes("refine-mnist-f16.safetensors")).unwrap();
    assert_eq!(
        serde_json::to_value(&m.cfg).unwrap(),
        serde_json::to_value(&cfg).unwrap()
    );
    assert_eq!(m.templates.images, templates.images);
    let ours = m.images(&pixels).unwrap();
    assert_eq!(ours, images);
    for img in &ours {
        let a = nca::refine::verdict(img, &templates);
        let b = nca_models::refine::verdict(img, &m.templates);
        assert_eq!(
            (a.digit, a.confidence, a.cosines),
            (b.digit, b.confidence, b.cosines)
        );
    }
}

#[test]
fn default_configs_serialise_as_nca_s() {
    let pairs = [
        (
            serde_json::to_value(nca::grow::task::GrowTrainConfig::default()).unwrap(),
            serde_json::to_value(nca_models::grow::GrowTrainConfig::default()).unwrap(),
        ),
        (
            serde_json::to_value(nca::classify::ClassifyConfig::default()).unwrap(),
            serde_json::to_value(nca_models::classify::ClassifyConfig::default()).unwrap(),
        ),
        (
            serde_json::to_value(nca::refine::RefineConfig::default()).unwrap(),
            serde_json::to_value(nca_models::refine::RefineConfig::default()).unwrap(),
        ),
    ];
    for (a, b) in pairs {
        assert_eq!(a, b);
    }
    // And every perception kind reads the same.
    for k in ["\"sobel\"", "\"sobel_laplacian\"", "\"learned\""] {
        let a: nca::perceive::PerceptionKind = serde_json::from_str(k).unwrap();
        let b: nca_models::grow::PerceptionKind = serde_json::from_str(k).unwrap();
        assert_eq!(a.filters(), b.filters());
    }
}

#[test]
fn drawn_digits_are_prepared_as_nca_data_does() {
    // Antialiased white strokes on black, with soft edges, as a canvas draws them.
    let (w, h) = (140u32, 120u32);
    let mut img = image::RgbaImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let d = ((x as f32 - 70.0).abs() - 3.0).max(0.0)
            + if (20..100).contains(&y) { 0.0 } else { 9.0 };
        let v = (255.0 * (1.0 - d / 3.0).clamp(0.0, 1.0)) as u8;
        *p = image::Rgba([v, v, v, 255]);
    }
    let a = nca_data::digit_image::digit_from_image(&image::DynamicImage::ImageRgba8(img.clone()))
        .unwrap();
    let b = nca_models::digit::digit_from_rgba8(img.as_raw(), w as usize, h as usize).unwrap();
    assert_eq!(a, b);
    assert!(nca_models::digit::digit_from_rgba8(&[0; 4 * 9], 3, 3).is_none());
}

#[test]
fn life_is_one_crate() {
    let r: nca_life::Rule = "B36/S23".parse().unwrap();
    let same: nca::life::Rule = r;
    assert_eq!(same.to_string(), "B36/S23");
}
