use super::*;
use nca_data::{IdxImages, SplitName};
use rand::SeedableRng;

fn small(mode: GenerateMode) -> GenerateConfig {
    GenerateConfig {
        mode,
        channels: 3,
        embed: 2,
        hidden: 8,
        ticks: 5,
        observe_every: 2,
        batch: 3,
        blur: 3,
        ..GenerateConfig::default()
    }
}

/// Two classes on 6x6: a vertical bar (0) and a horizontal bar (1).
pub(super) fn bars(n: usize) -> Split {
    let side = 6;
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for i in 0..n {
        let l = (i % 2) as u8;
        for y in 0..side {
            for x in 0..side {
                let on = if l == 0 {
                    x == 2 || x == 3
                } else {
                    y == 2 || y == 3
                };
                pixels.push(if on { 255 } else { 0 });
            }
        }
        labels.push(l);
    }
    let images = IdxImages {
        count: n,
        rows: side,
        cols: side,
        pixels,
    };
    Split::new(
        SplitName::Train,
        images,
        labels,
        Path::new("-"),
        Path::new("-"),
    )
    .unwrap()
}

#[test]
fn observations_are_every_k_ticks_and_the_last() {
    let cfg = GenerateConfig::default();
    assert_eq!(cfg.observations(), vec![16, 32, 48, 64]);
    assert_eq!(small(GenerateMode::Grow).observations(), vec![2, 4, 5]);
    let one = GenerateConfig { ticks: 10, ..cfg };
    assert_eq!(one.observations(), vec![10]);
}

#[test]
fn blur_averages_with_zero_padding() {
    let img = vec![1.0f32; 25];
    let b = blur(&img, 5, 5, 3);
    assert!((b[12] - 1.0).abs() < 1e-6);
    assert!((b[0] - 4.0 / 9.0).abs() < 1e-6);
    assert!((b[2] - 6.0 / 9.0).abs() < 1e-6);
}

#[test]
fn start_states_hold_the_embedding_and_the_start() {
    let cfg = small(GenerateMode::Reconstruct);
    let emb: Vec<f32> = (0..CLASSES * 2).map(|v| v as f32).collect();
    let img = vec![1.0f32; 16];
    let mut rng = StdRng::seed_from_u64(0);
    let x = start_states(&cfg, &emb, &[3], &img, [4, 4], &mut rng);
    assert_eq!(x.len(), 5 * 16);
    assert!((x[5] - 1.0).abs() < 1e-6); // inner cell of the blurred image
    assert_eq!(&x[3 * 16..3 * 16 + 2], &[6.0, 6.0]); // row 3, first value
    assert_eq!(x[4 * 16], 7.0);
    let grow = start_states(
        &small(GenerateMode::Grow),
        &emb,
        &[0],
        &img,
        [4, 4],
        &mut rng,
    );
    assert_eq!(grow[..16].iter().sum::<f32>(), 0.0);
    assert_eq!(grow[16 + 2 * 4 + 2], 1.0);
    // A noise seed: each sample its own draws at the centre, nothing elsewhere.
    let noisy = GenerateConfig {
        seed_noise: 1.0,
        ..small(GenerateMode::Grow)
    };
    let x = start_states(&noisy, &emb, &[0, 0], &img, [4, 4], &mut rng);
    let centre = |k: usize, ch: usize| x[k * 80 + ch * 16 + 10];
    assert_ne!(centre(0, 1), centre(1, 1));
    assert!(centre(0, 1) != 1.0 && centre(0, 2) != 1.0);
    assert_eq!(x[16..32].iter().filter(|v| **v != 0.0).count(), 1);
}

#[test]
fn the_l1_gradient_matches_finite_differences() {
    // Two states of 3 values (the first 2 are channel 0), images of 2 pixels each.
    let states = [0.3f32, -0.2, 9.0, 0.9, 0.4, 9.0];
    let images = [0.1f32, 0.5, 0.2, 0.8];
    let (l, d) = image_l1_and_grad(&states, 3, &images);
    assert!((l - (0.2 + 0.7 + 0.7 + 0.4) / 4.0).abs() < 1e-6);
    for i in [0, 1, 3, 4] {
        let mut s = states;
        s[i] += 1e-3;
        let (l2, _) = image_l1_and_grad(&s, 3, &images);
        assert!(((l2 - l) / 1e-3 - d[i]).abs() < 1e-3, "{i}");
    }
    assert_eq!((d[2], d[5]), (0.0, 0.0), "hidden channels get no gradient");
}

#[test]
fn the_assignment_is_the_cheapest_matching() {
    let mut rng = StdRng::seed_from_u64(3);
    for n in 1..=6 {
        for _ in 0..20 {
            let cost: Vec<f64> = (0..n * n).map(|_| rng.random_range(0.0..10.0)).collect();
            let got = min_cost_assignment(&cost, n);
            let total = |p: &[usize]| {
                p.iter()
                    .enumerate()
                    .map(|(i, &j)| cost[i * n + j])
                    .sum::<f64>()
            };
            let mut sorted = got.clone();
            sorted.sort();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>(), "a permutation");
            // Brute force over all permutations (Heap's algorithm).
            let mut p: Vec<usize> = (0..n).collect();
            let mut best = total(&p);
            let mut c = vec![0; n];
            let mut i = 0;
            while i < n {
                if c[i] < i {
                    let k = if i % 2 == 0 { 0 } else { c[i] };
                    p.swap(k, i);
                    best = best.min(total(&p));
                    c[i] += 1;
                    i = 0;
                } else {
                    c[i] = 0;
                    i += 1;
                }
            }
            assert!(
                (total(&got) - best).abs() < 1e-9,
                "n {n}: {} vs {best}",
                total(&got)
            );
        }
    }
    // Non-finite costs are avoided, not looped on.
    let cost = [f64::NAN, 1.0, 2.0, f64::INFINITY];
    assert_eq!(min_cost_assignment(&cost, 2), vec![1, 0]);
}

#[test]
fn matched_targets_pair_each_output_with_its_nearest_digit_in_the_group() {
    // Two groups of two one-pixel "images": the targets come swapped within each group.
    let outputs = [0.0, 1.0, 5.0, 9.0];
    let images = [1.0, 0.0, 9.0, 5.0];
    assert_eq!(
        matched_targets(&outputs, &images, 1, 2),
        vec![0.0, 1.0, 5.0, 9.0]
    );
    assert_eq!(matched_targets(&outputs, &images, 1, 0), images.to_vec());
    // Across groups nothing moves.
    assert_eq!(
        matched_targets(&outputs, &[9.0, 5.0, 1.0, 0.0], 1, 2),
        vec![5.0, 9.0, 0.0, 1.0]
    );
}

#[test]
fn validate_refuses_bad_settings() {
    assert!(GenerateConfig::default().validate().is_ok());
    let changes: [fn(&mut GenerateConfig); 8] = [
        |c| c.digit = Some(10),
        |c| c.blur = 4,
        |c| c.ticks = 0,
        |c| c.fire_rate = 0.0,
        |c| c.embed = 0,
        |c| c.seed_noise = -1.0,
        |c| c.seed_noise = f32::NAN,
        |c| c.match_group = 5,
    ];
    for change in changes {
        let mut bad = GenerateConfig::default();
        change(&mut bad);
        assert!(bad.validate().is_err(), "{bad:?}");
    }
}

/// The embedding's gradient (read back from the initial state's) matches finite differences of
/// the whole step's loss.
#[test]
fn the_embedding_gradient_matches_finite_differences() {
    let device = Device::flex().autodiff();
    let cfg = small(GenerateMode::Grow);
    let data = Arc::new(bars(8));
    let mut rng = StdRng::seed_from_u64(5);
    let mut model = GenerateModel::new(&cfg, &device, &mut rng);
    // Non-zero last layer, so the update depends on the embedding.
    let mut p = model.nca.params();
    let mut r = StdRng::seed_from_u64(9);
    p.layers[1]
        .0
        .iter_mut()
        .for_each(|v| *v = r.random_range(-0.3..0.3));
    model.nca = set_params(model.nca, &p);
    let mut task = GenerateTask::new(cfg.clone(), data).unwrap();
    let loss_at = |task: &mut GenerateTask, m: &GenerateModel| {
        task.step(m, 0, &mut StdRng::seed_from_u64(11)).unwrap()
    };
    let out = loss_at(&mut task, &model);
    let g: Vec<f32> = out
        .grads
        .get::<2>(model.embedding.id)
        .unwrap()
        .into_data()
        .try_to_vec()
        .unwrap();
    let base = model.embedding_values();
    let mut checked = 0;
    for i in 0..base.len() {
        if g[i].abs() < 1e-4 {
            continue;
        }
        let eps = 1e-2;
        let mut v = base.clone();
        v[i] += eps;
        let mut m2 = model.clone();
        m2.embedding = Param::from_tensor(Tensor::from_data(
            TensorData::new(v, [CLASSES, cfg.embed]),
            &device,
        ));
        let up = loss_at(&mut task, &m2).loss;
        let fd = (up - out.loss) / eps;
        assert!(
            (fd - g[i]).abs() < 0.05 * g[i].abs() + 1e-4,
            "{i}: {fd} vs {}",
            g[i]
        );
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} rows had a gradient");
}

#[test]
fn merge_averages_weights_and_takes_each_class_row_from_its_model() {
    let device = Device::flex();
    let cfg = small(GenerateMode::Reconstruct);
    let models: Vec<GenerateModel> = (0..CLASSES as u64)
        .map(|s| GenerateModel::new(&cfg, &device, &mut StdRng::seed_from_u64(s)))
        .collect();
    let merged = merge(&models).unwrap();
    let rows = merged.embedding_values();
    for (d, m) in models.iter().enumerate() {
        assert_eq!(
            &rows[d * 2..d * 2 + 2],
            &m.embedding_values()[d * 2..d * 2 + 2]
        );
    }
    let w0: Vec<f32> = models
        .iter()
        .map(|m| m.nca.params().layers[0].0[3])
        .collect();
    let mean = w0.iter().sum::<f32>() / CLASSES as f32;
    assert!((merged.nca.params().layers[0].0[3] - mean).abs() < 1e-6);
    assert!(merge(&models[..3]).is_err());
}
