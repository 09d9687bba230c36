//! Lenia under Burn: the same step as the FFT engine, and gradients that fit a growth parameter.

use burn::tensor::{Device, Tensor};
use nca::lenia::LeniaBurn;
use nca::life::lenia::{Lenia, LeniaParams, lenia_pattern};
use rand::{Rng, SeedableRng, rngs::StdRng};

fn values(t: Tensor<4>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

#[test]
fn burn_step_equals_the_fft_engine() {
    let device = Device::flex();
    for (name, side) in [
        ("orbium", 48),
        ("scutium-serratus", 40),
        ("two-channel", 64),
    ] {
        let p = lenia_pattern(name).unwrap();
        let mut world = Lenia::new(p.params.clone(), side, side).unwrap();
        let (x, y) = ((side - p.width) / 2, (side - p.height) / 2);
        world.place(&p.cells, p.width, p.height, x, y).unwrap();
        let burn = LeniaBurn::new(p.params.clone(), side, side, &device).unwrap();
        let mut state = burn.state(world.cells(), &device);
        for _ in 0..5 {
            world.step();
            state = burn.step(state, burn.mu(&device));
        }
        let got = values(state);
        let worst = got
            .iter()
            .zip(world.cells())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-4, "{name}: Burn vs FFT after 5 steps {worst}");
    }
}

#[test]
fn gradients_through_lenia_fit_the_growth_centre() {
    // The target: 6 steps of the FFT engine from a thin soup, under mu = 0.15.
    let device = Device::flex().autodiff();
    let (side, steps, true_mu) = (24, 6, 0.15f32);
    let params = LeniaParams::single(5.0, 10.0, vec![1.0], true_mu, 0.03);
    let mut rng = StdRng::seed_from_u64(3);
    let start: Vec<f32> = (0..side * side)
        .map(|_| 0.3 * rng.random::<f32>())
        .collect();
    let mut world = Lenia::new(params.clone(), side, side).unwrap();
    world.set_cells(&start).unwrap();
    for _ in 0..steps {
        world.step();
    }
    let target = Tensor::<4>::from_data(
        burn::tensor::TensorData::new(world.cells().to_vec(), [1, 1, side, side]),
        &device,
    );

    let model = LeniaBurn::new(params, side, side, &device).unwrap();
    let loss_at = |mu: f32| -> (f32, f32) {
        let mu = Tensor::<1>::from_floats([mu], &device).require_grad();
        let mut s = model.state(&start, &device);
        for _ in 0..steps {
            s = model.step(s, mu.clone());
        }
        let loss = (s - target.clone()).powi_scalar(2).mean();
        let value = loss.clone().into_scalar::<f32>();
        let grads = loss.backward();
        let g = mu
            .grad(&grads)
            .expect("mu has a gradient")
            .into_scalar::<f32>();
        (value, g)
    };
    // Adam on one scalar, from mu = 0.13.
    let (mut mu, mut m, mut v) = (0.13f32, 0f32, 0f32);
    let (first, _) = loss_at(mu);
    for t in 1..=120 {
        let (_, g) = loss_at(mu);
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        if t % 20 == 0 {
            eprintln!("step {t}: mu {mu:.5}, grad {g:.3e}");
        }
        let (mh, vh) = (m / (1.0 - 0.9f32.powi(t)), v / (1.0 - 0.999f32.powi(t)));
        mu -= 0.001 * mh / (vh.sqrt() + 1e-12);
    }
    let (last, _) = loss_at(mu);
    eprintln!("mu 0.13 -> {mu:.5}; loss {first:.3e} -> {last:.3e}");
    assert!(
        (mu - true_mu).abs() < 0.002,
        "fitted mu {mu}, true {true_mu}"
    );
    assert!(last < first / 100.0, "loss {first} -> {last}");
}
