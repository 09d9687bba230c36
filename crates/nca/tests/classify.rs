//! Self-classifying MNIST: architecture facts, masks and mutation.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use nca::ca::Preset;
use nca::classify::ClassifyConfig;
use nca::classify::task::{cell_accuracy, fresh_state, mutate_state, targets};
use rand::SeedableRng;
use rand::rngs::StdRng;

#[test]
fn paper_model_has_22499_parameters() {
    let m = ClassifyConfig::default().init(&Device::flex(), &mut StdRng::seed_from_u64(0));
    assert_eq!(m.num_params(), 22_499);
}

#[test]
fn tick_keeps_the_pixel_and_never_touches_dead_cells() {
    let cfg = ClassifyConfig::default();
    let dev = Device::flex();
    let mut m = cfg.init(&dev, &mut StdRng::seed_from_u64(1));
    // Give the last layer weights so updates are non-zero.
    m = nca::init::torch_default(m, &mut StdRng::seed_from_u64(2));
    let last = m.update.layers.pop().unwrap();
    let w = last.weight.map(|t| t.ones_like());
    m.update
        .layers
        .push(burn::nn::conv::Conv2d { weight: w, ..last });
    let (h, w) = (6, 6);
    let mut pixels = vec![0.0f32; h * w];
    pixels[14] = 0.9;
    pixels[15] = 0.5;
    let x = Tensor::<4>::from_data(
        TensorData::new(fresh_state(&pixels, 20), [1, 20, h, w]),
        &dev,
    );
    let alive = nca::masks::alive_threshold(x.clone(), 0, 0.1);
    let y = m.tick(
        x.clone(),
        Tensor::ones([1, 1, h, w], &dev),
        None,
        Some(&alive),
    );
    let y: Vec<f32> = y.into_data().try_to_vec().unwrap();
    assert_eq!(&y[..h * w], &pixels[..], "pixel channel is immutable");
    for c in 1..20 {
        for i in 0..h * w {
            let v = y[c * h * w + i];
            if i == 14 || i == 15 {
                assert!(v != 0.0, "alive cells update");
            } else {
                assert_eq!(v, 0.0, "dead cell {i} channel {c} changed");
            }
        }
    }
}

#[test]
fn mutation_keeps_state_only_where_both_digits_are_alive() {
    let mut s = vec![0.0f32; 3 * 4];
    s[..4].copy_from_slice(&[0.9, 0.9, 0.0, 0.0]);
    s[4..8].copy_from_slice(&[1.0, 2.0, 3.0, 4.0]);
    s[8..].copy_from_slice(&[5.0, 6.0, 7.0, 8.0]);
    mutate_state(&mut s, &[0.8, 0.0, 0.7, 0.0], 3, 0.1);
    assert_eq!(&s[..4], &[0.8, 0.0, 0.7, 0.0]);
    assert_eq!(&s[4..8], &[1.0, 0.0, 0.0, 0.0]);
    assert_eq!(&s[8..], &[5.0, 0.0, 0.0, 0.0]);
}

#[test]
fn targets_and_accuracy() {
    let cfg = ClassifyConfig::default();
    let mut state = fresh_state(&[0.5, 0.0, 0.5, 0.5], 20);
    let t = targets(&[3], &state, &cfg, 4);
    assert_eq!(t.iter().sum::<f32>(), 3.0);
    assert_eq!(t[3 * 4], 1.0);
    // Cell 0 votes 3, cell 2 votes 7, cell 3 votes 3.
    state[(10 + 3) * 4] = 1.0;
    state[(10 + 7) * 4 + 2] = 1.0;
    state[(10 + 3) * 4 + 3] = 1.0;
    let acc = cell_accuracy(&state, &[3], &cfg, 4);
    assert!((acc - 2.0 / 3.0).abs() < 1e-9);
}

#[test]
fn a_digit_classifies_the_same_alone_or_in_a_batch() {
    use nca::engine::TickMasks;
    let cfg = ClassifyConfig::default();
    let mut rng = StdRng::seed_from_u64(5);
    let mut m = cfg.init(&Device::flex(), &mut rng);
    m = nca::init::torch_default(m, &mut rng);
    let last = m.update.layers.pop().unwrap();
    let w = last.weight.map(|t| t.ones_like().mul_scalar(0.01));
    m.update
        .layers
        .push(burn::nn::conv::Conv2d { weight: w, ..last });
    let (h, w) = (8, 8);
    let digit = |seed: u64| {
        let mut r = StdRng::seed_from_u64(seed);
        let px: Vec<f32> = (0..h * w)
            .map(|_| {
                if rand::Rng::random::<f32>(&mut r) < 0.4 {
                    0.8
                } else {
                    0.0
                }
            })
            .collect();
        fresh_state(&px, cfg.channels)
    };
    let (a, b) = (digit(1), digit(2));
    let spec = cfg.ca().spec();
    let params = m.params();
    let masks_for = |n: usize, seed: u64| -> Vec<TickMasks> {
        let mut r = StdRng::seed_from_u64(seed);
        (0..10)
            .map(|_| TickMasks {
                fire: (0..n * h * w)
                    .map(|_| rand::Rng::random::<bool>(&mut r) as u8)
                    .collect(),
                noise: None,
            })
            .collect()
    };
    let alone_masks = masks_for(1, 9);
    let other_masks = masks_for(1, 10);
    // The batch's masks: the digit's own masks first, the other digit's after.
    let batch_masks: Vec<TickMasks> = alone_masks
        .iter()
        .zip(&other_masks)
        .map(|(x, y)| TickMasks {
            fire: x.fire.iter().chain(&y.fire).copied().collect(),
            noise: None,
        })
        .collect();
    let alone = nca_fast::rollout(&spec, &params, &a, [1, h, w], &alone_masks, false).unwrap();
    let both: Vec<f32> = a.iter().chain(&b).copied().collect();
    let batch = nca_fast::rollout(&spec, &params, &both, [2, h, w], &batch_masks, false).unwrap();
    assert_eq!(alone.final_state[..], batch.final_state[..a.len()]);
    assert_ne!(alone.final_state, a, "the digit did change");
}
