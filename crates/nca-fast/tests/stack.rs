//! The spectral refiner engine against a direct (spatial, f64) implementation of the same
//! network: images, loss and every parameter gradient (by central finite differences).

use nca_fast::{StackLoss, StackParams, StackSpec, stack_images, stack_train_step};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The stack of `blocks` blocks of `width` channels and `kernel`² kernels on `side`² images.
fn stack_spec(blocks: usize, width: usize, kernel: usize, side: usize) -> StackSpec {
    StackSpec {
        blocks,
        width,
        kernel,
        side,
    }
}

/// The loss on the images of `target_steps`, smoothness weighted 0.1.
fn stack_loss(target_steps: &[usize]) -> StackLoss {
    StackLoss {
        target_steps: target_steps.to_vec(),
        smooth_weight: 0.1,
    }
}

fn random_params(spec: &StackSpec, rng: &mut StdRng) -> StackParams {
    let mut p = StackParams::zeros(spec);
    for b in &mut p.blocks {
        b.conv_w
            .iter_mut()
            .for_each(|v| *v = rng.random_range(-0.5..0.5));
        b.conv_b
            .iter_mut()
            .for_each(|v| *v = rng.random_range(-0.2..0.2));
        b.out_w
            .iter_mut()
            .for_each(|v| *v = rng.random_range(-1.0..1.0));
        b.out_b = rng.random_range(-0.3..0.3);
    }
    p
}

/// Every step's images, computed directly in f64: `[step][digit][pixel]`.
fn direct_images(
    spec: &StackSpec,
    p: &StackParams,
    inputs: &[f32],
    b: usize,
) -> Vec<Vec<Vec<f64>>> {
    let (s, k, w) = (spec.side as i64, spec.kernel as i64, spec.width);
    let pad = k / 2;
    let hw = (s * s) as usize;
    let mut out = vec![vec![]; spec.blocks];
    for d in 0..b {
        let mut imgs: Vec<Vec<f64>> = vec![
            inputs[d * hw..(d + 1) * hw]
                .iter()
                .map(|&v| v as f64)
                .collect(),
        ];
        for (i, block) in p.blocks.iter().enumerate() {
            let t = i + 1;
            let mut y = vec![0.0; hw];
            for (py, yv) in y.iter_mut().enumerate() {
                let (r, c) = (py as i64 / s, py as i64 % s);
                let mut z = block.out_b as f64;
                for o in 0..w {
                    let mut h = block.conv_b[o] as f64;
                    for (ci, img) in imgs.iter().enumerate() {
                        for di in 0..k {
                            for dj in 0..k {
                                let (rr, cc) = (r + di - pad, c + dj - pad);
                                if rr < 0 || cc < 0 || rr >= s || cc >= s {
                                    continue;
                                }
                                let wi = ((o * t + ci) as i64 * k * k + di * k + dj) as usize;
                                h += block.conv_w[wi] as f64 * img[(rr * s + cc) as usize];
                            }
                        }
                    }
                    z += block.out_w[o] as f64 * h.max(0.0);
                }
                *yv = 1.0 / (1.0 + (-z).exp());
            }
            out[i].push(y.clone());
            imgs.push(y);
        }
    }
    out
}

fn direct_loss(
    spec: &StackSpec,
    p: &StackParams,
    inputs: &[f32],
    targets: &[f32],
    b: usize,
    loss: &StackLoss,
) -> f64 {
    let imgs = direct_images(spec, p, inputs, b);
    let n = (b * spec.side * spec.side) as f64;
    let mut mse = 0.0;
    for &t in &loss.target_steps {
        for (d, img) in imgs[t - 1].iter().enumerate() {
            for (px, v) in img.iter().enumerate() {
                mse += (v - targets[d * img.len() + px] as f64).powi(2);
            }
        }
    }
    mse /= loss.target_steps.len() as f64 * n;
    let mut smooth = 0.0;
    for pair in imgs.windows(2) {
        for (a, b) in pair[0].iter().zip(&pair[1]) {
            smooth += a.iter().zip(b).map(|(x, y)| (y - x).abs()).sum::<f64>();
        }
    }
    smooth /= (spec.blocks - 1) as f64 * n;
    mse + loss.smooth_weight as f64 * smooth
}

fn batch(spec: &StackSpec, b: usize, rng: &mut StdRng) -> (Vec<f32>, Vec<f32>) {
    let n = b * spec.side * spec.side;
    let x = (0..n).map(|_| rng.random_range(0.0..1.0)).collect();
    let y = (0..n).map(|_| rng.random_range(0.0..1.0)).collect();
    (x, y)
}

#[test]
fn images_equal_the_direct_convolution() {
    let mut rng = StdRng::seed_from_u64(1);
    for (blocks, width, kernel, side, b) in [(4, 3, 3, 6, 3), (3, 2, 5, 7, 11), (2, 4, 9, 10, 1)] {
        let spec = stack_spec(blocks, width, kernel, side);
        let p = random_params(&spec, &mut rng);
        let (x, _) = batch(&spec, b, &mut rng);
        let got = stack_images(&spec, &p, &x, b).unwrap();
        let want = direct_images(&spec, &p, &x, b);
        assert_eq!(got.len(), blocks);
        for (t, (g, w)) in got.iter().zip(&want).enumerate() {
            let w: Vec<f64> = w.iter().flatten().copied().collect();
            assert_eq!(g.len(), w.len());
            for (a, e) in g.iter().zip(&w) {
                assert!((*a as f64 - e).abs() < 1e-5, "step {}: {a} vs {e}", t + 1);
            }
        }
    }
}

#[test]
fn gradients_equal_finite_differences_of_the_direct_loss() {
    let mut rng = StdRng::seed_from_u64(2);
    let spec = stack_spec(4, 2, 3, 5);
    let loss = stack_loss(&[2, 4]);
    let p = random_params(&spec, &mut rng);
    let b = 3;
    let (x, y) = batch(&spec, b, &mut rng);
    let step = stack_train_step(&spec, &p, &x, &y, b, &loss).unwrap();
    let want = direct_loss(&spec, &p, &x, &y, b, &loss);
    assert!((step.loss - want).abs() < 1e-5, "{} vs {want}", step.loss);
    let finals = stack_images(&spec, &p, &x, b).unwrap().pop().unwrap();
    assert_eq!(step.finals, finals);

    // Central differences on every parameter (f64 loss, f32 parameters).
    let eps = 1e-3f32;
    let fd = |f: &dyn Fn(&mut StackParams)| {
        let mut plus = p.clone();
        f(&mut plus);
        direct_loss(&spec, &plus, &x, &y, b, &loss)
    };
    // The analytic gradient `g` of the parameter that `at` points to equals the central
    // difference of the loss over ±eps on it.
    let check = |g: f32, at: &dyn Fn(&mut StackParams) -> &mut f32, what: &str| {
        let up = fd(&|q: &mut StackParams| *at(q) += eps);
        let down = fd(&|q: &mut StackParams| *at(q) -= eps);
        let num = (up - down) / (2.0 * eps as f64);
        assert!(
            (g as f64 - num).abs() < 2e-4 + 1e-2 * num.abs(),
            "{what}: {g} vs {num}"
        );
    };
    let mut checked = 0;
    for i in 0..spec.blocks {
        let g = &step.grads.blocks[i];
        for j in 0..g.conv_w.len() {
            check(
                g.conv_w[j],
                &|q| &mut q.blocks[i].conv_w[j],
                &format!("block {i} conv_w[{j}]"),
            );
            checked += 1;
        }
        for o in 0..spec.width {
            check(
                g.conv_b[o],
                &|q| &mut q.blocks[i].conv_b[o],
                &format!("block {i} conv_b[{o}]"),
            );
            check(
                g.out_w[o],
                &|q| &mut q.blocks[i].out_w[o],
                &format!("block {i} out_w[{o}]"),
            );
            checked += 2;
        }
        check(
            g.out_b,
            &|q| &mut q.blocks[i].out_b,
            &format!("block {i} out_b"),
        );
        checked += 1;
    }
    // conv_w: Σ_t t·2·9 = 180; conv_b, out_w, out_b: 5 per block.
    assert_eq!(checked, 180 + 4 * 5);
}

#[test]
fn a_perturbed_gradient_would_be_caught() {
    // The tolerance above is tight enough to see a 1% error in the largest gradient.
    let mut rng = StdRng::seed_from_u64(3);
    let spec = stack_spec(2, 2, 3, 4);
    let loss = stack_loss(&[2]);
    let p = random_params(&spec, &mut rng);
    let (x, y) = batch(&spec, 2, &mut rng);
    let step = stack_train_step(&spec, &p, &x, &y, 2, &loss).unwrap();
    let g = step.grads.blocks[1].out_b as f64;
    assert!(g.abs() > 0.05, "{g}");
    let eps = 1e-3;
    let mut plus = p.clone();
    plus.blocks[1].out_b += eps;
    let mut minus = p.clone();
    minus.blocks[1].out_b -= eps;
    let num = (direct_loss(&spec, &plus, &x, &y, 2, &loss)
        - direct_loss(&spec, &minus, &x, &y, 2, &loss))
        / (2.0 * eps as f64);
    assert!((g * 1.01 - num).abs() > 2e-4 + 1e-3 * num.abs());
}

#[test]
fn shape_errors_are_reported() {
    let spec = stack_spec(2, 2, 3, 4);
    let p = StackParams::zeros(&spec);
    let loss = stack_loss(&[2]);
    assert!(
        stack_images(&spec, &p, &[0.0; 15], 1)
            .unwrap_err()
            .to_string()
            .contains("input values")
    );
    assert!(stack_images(&spec, &p, &[], 0).is_err());
    let bad = StackSpec { kernel: 4, ..spec };
    assert!(stack_images(&bad, &p, &[0.0; 16], 1).is_err());
    let other = StackSpec { blocks: 3, ..spec };
    assert!(
        stack_images(&other, &p, &[0.0; 16], 1)
            .unwrap_err()
            .to_string()
            .contains("blocks")
    );
    assert!(stack_train_step(&spec, &p, &[0.0; 16], &[0.0; 15], 1, &loss).is_err());
    let late = StackLoss {
        target_steps: vec![3],
        ..loss
    };
    assert!(
        stack_train_step(&spec, &p, &[0.0; 16], &[0.0; 16], 1, &late)
            .unwrap_err()
            .to_string()
            .contains("target step")
    );
}

#[test]
fn repeated_steps_start_from_zeroed_accumulators() {
    // A step reuses the gradient sums of earlier ones (of this or another shape); each must
    // start from zero, so the same step twice gives the same gradients.
    let mut rng = StdRng::seed_from_u64(4);
    let loss = stack_loss(&[2, 3]);
    let (spec, other) = (stack_spec(3, 2, 3, 5), stack_spec(2, 3, 3, 4));
    let p = random_params(&spec, &mut rng);
    let q = random_params(&other, &mut rng);
    let (x, y) = batch(&spec, 17, &mut rng);
    let (xo, yo) = batch(&other, 9, &mut rng);
    let first = stack_train_step(&spec, &p, &x, &y, 17, &loss).unwrap();
    stack_train_step(&other, &q, &xo, &yo, 9, &stack_loss(&[2])).unwrap();
    let again = stack_train_step(&spec, &p, &x, &y, 17, &loss).unwrap();
    let second = stack_train_step(&spec, &p, &x, &y, 17, &loss).unwrap();
    assert_eq!(first.grads, again.grads);
    assert_eq!(first.grads, second.grads);
    assert_eq!(first.loss, second.loss);
}
