//! The sparse engine against a dense reference: final states, every parameter gradient and the
//! gradient w.r.t. the initial state, for both perception kinds, both alive rules, with and
//! without noise, for 1 and 20 ticks. The reference's own gradients are checked by central
//! finite differences.

mod reference;

use nca_fast::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reference::{Dense, P64};

const IDENTITY: [f32; 9] = [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
const SOBEL_X: [f32; 9] = [-0.125, 0.0, 0.125, -0.25, 0.0, 0.25, -0.125, 0.0, 0.125];
const SOBEL_Y: [f32; 9] = [-0.125, -0.25, -0.125, 0.0, 0.0, 0.0, 0.125, 0.25, 0.125];

#[derive(Clone, Copy, Debug)]
struct Case {
    learned: bool,
    maxpool: bool,
    noise: bool,
    ticks: usize,
    relu: bool,
}

fn spec_for(case: Case) -> NcaSpec {
    let (channels, update_channels, alive) = if case.maxpool {
        (
            6,
            0..6,
            AliveRule::MaxPool {
                channel: 3,
                threshold: 0.1,
            },
        )
    } else {
        (
            5,
            1..5,
            AliveRule::Static {
                channel: 0,
                threshold: 0.1,
            },
        )
    };
    let perception = if case.learned {
        Perception::Learned { out: 7 }
    } else {
        Perception::Fixed {
            filters: vec![IDENTITY, SOBEL_X, SOBEL_Y],
        }
    };
    NcaSpec {
        channels,
        perception,
        perception_relu: case.relu,
        hidden: vec![12, update_channels.len()],
        update_channels,
        alive,
    }
}

fn uniform(rng: &mut StdRng, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-scale..scale)).collect()
}

fn random_params(spec: &NcaSpec, rng: &mut StdRng) -> NcaParams {
    let mut p = NcaParams::zeros(spec);
    let c = spec.channels;
    if let Some((w, b)) = &mut p.perception {
        *w = uniform(rng, w.len(), 1.0 / ((9 * c) as f32).sqrt());
        *b = uniform(rng, b.len(), 0.1);
    }
    for (w, b) in &mut p.layers {
        let fan_in = w.len() / b.len();
        *w = uniform(rng, w.len(), 0.8 / (fan_in as f32).sqrt());
        *b = uniform(rng, b.len(), 0.1);
    }
    p
}

/// Static rule: channel 0 alive (0.5) at about half the cells. Max-pool rule: a blob of alpha 1
/// plus a cell in a corner. Other channels random.
fn random_state(spec: &NcaSpec, [b, h, w]: [usize; 3], rng: &mut StdRng) -> Vec<f32> {
    let c = spec.channels;
    let mut x = uniform(rng, b * c * h * w, 0.5);
    let ch = spec.alive.channel();
    for bi in 0..b {
        for y in 0..h {
            for xx in 0..w {
                let alive = match spec.alive {
                    AliveRule::Static { .. } => rng.random_bool(0.5),
                    AliveRule::MaxPool { .. } => {
                        (y == 0 && xx == 0)
                            || ((2..h - 3).contains(&y) && (3 + bi..w - 3).contains(&xx))
                    }
                };
                x[((bi * c + ch) * h + y) * w + xx] =
                    if alive { 0.5 + bi as f32 * 0.3 } else { 0.0 };
            }
        }
    }
    x
}

fn random_ticks(
    spec: &NcaSpec,
    [b, h, w]: [usize; 3],
    t: usize,
    noise: bool,
    rng: &mut StdRng,
) -> Vec<TickMasks> {
    let u = spec.update_width();
    (0..t)
        .map(|_| TickMasks {
            fire: (0..b * h * w)
                .map(|_| u8::from(rng.random_bool(0.5)))
                .collect(),
            noise: noise.then(|| uniform(rng, b * u * h * w, 0.05)),
        })
        .collect()
}

fn up(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| x as f64).collect()
}

/// `max |a - b| / max |b|`.
fn rel_err(a: &[f32], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (&x, &y)| m.max((x as f64 - y).abs()));
    if scale == 0.0 { diff } else { diff / scale }
}

fn check(case: Case, seed: u64) {
    let spec = spec_for(case);
    let mut rng = StdRng::seed_from_u64(seed);
    let dims = if case.maxpool {
        [2, 12, 10]
    } else {
        [2, 9, 11]
    };
    let params = random_params(&spec, &mut rng);
    let x0 = random_state(&spec, dims, &mut rng);
    let ticks = random_ticks(&spec, dims, case.ticks, case.noise, &mut rng);
    let d_final = uniform(&mut rng, x0.len(), 1.0);

    let out = rollout(&spec, &params, &x0, dims, &ticks, true).unwrap();
    let tape = out.tape.as_ref().unwrap();
    let (grads, dx0) = backward(&spec, &params, tape, &d_final).unwrap();

    let p64 = P64::from(&params);
    let dense = Dense {
        spec: &spec,
        p: &p64,
        dims,
    };
    let want_final = dense.forward(&up(&x0), &ticks);
    let (want_g, want_dx0) = dense.backward(&up(&x0), &ticks, &up(&d_final));

    let ctx = format!("{case:?} share={}", out.active_share);
    assert!(out.active_share > 0.0 && out.active_share < 1.0, "{ctx}");
    // The rollout must stay non-trivial for the comparison to mean something.
    let ch = spec.alive.channel();
    let hw = dims[1] * dims[2];
    let alive_end = (0..dims[0])
        .flat_map(|b| (0..hw).map(move |i| (b * spec.channels + ch) * hw + i))
        .filter(|&i| want_final[i] > 0.1)
        .count();
    assert!(alive_end > 0, "{ctx}: everything died");

    let e = rel_err(&out.final_state, &want_final);
    assert!(e <= 1e-5, "{ctx}: final state rel err {e}");
    let e = rel_err(&dx0, &want_dx0);
    assert!(e <= 1e-4, "{ctx}: dx0 rel err {e}");
    if let Some((w, b)) = &grads.perception {
        let e = rel_err(w, &want_g.pw);
        assert!(e <= 1e-4, "{ctx}: perception weight grad rel err {e}");
        let e = rel_err(b, &want_g.pb);
        assert!(e <= 1e-4, "{ctx}: perception bias grad rel err {e}");
    }
    for (i, ((w, b), (ww, wb))) in grads.layers.iter().zip(&want_g.layers).enumerate() {
        assert!(
            ww.iter().any(|v| *v != 0.0),
            "{ctx}: layer {i} grad is trivially zero"
        );
        let e = rel_err(w, ww);
        assert!(e <= 1e-4, "{ctx}: layer {i} weight grad rel err {e}");
        let e = rel_err(b, wb);
        assert!(e <= 1e-4, "{ctx}: layer {i} bias grad rel err {e}");
    }

    // Recording into an old tape's buffers changes nothing.
    let again = rollout_reusing(&spec, &params, &x0, dims, &ticks, out.tape.unwrap()).unwrap();
    assert_eq!(again.final_state, out.final_state, "{ctx}");
    let (grads2, dx02) = backward(&spec, &params, again.tape.as_ref().unwrap(), &d_final).unwrap();
    assert_eq!((grads2, dx02), (grads, dx0), "{ctx}");

    // Inference without a tape gives the same final state, bit for bit.
    let inf = rollout(&spec, &params, &x0, dims, &ticks, false).unwrap();
    assert!(inf.tape.is_none());
    assert_eq!(inf.final_state, out.final_state, "{ctx}");
}

fn check_all(learned: bool, maxpool: bool) {
    let mut seed = 0;
    for noise in [false, true] {
        for ticks in [1, 20] {
            for relu in [false, true] {
                seed += 1;
                check(
                    Case {
                        learned,
                        maxpool,
                        noise,
                        ticks,
                        relu,
                    },
                    seed + 100 * u64::from(learned),
                );
            }
        }
    }
}

#[test]
fn fixed_static_matches_dense() {
    check_all(false, false);
}

#[test]
fn fixed_maxpool_matches_dense() {
    check_all(false, true);
}

#[test]
fn learned_static_matches_dense() {
    check_all(true, false);
}

#[test]
fn learned_maxpool_matches_dense() {
    check_all(true, true);
}

/// The dense reference's hand-written backward against central finite differences (f64).
#[test]
fn dense_reference_gradients_match_finite_differences() {
    for (case, seed) in [
        (
            Case {
                learned: true,
                maxpool: false,
                noise: true,
                ticks: 6,
                relu: true,
            },
            7,
        ),
        (
            Case {
                learned: true,
                maxpool: true,
                noise: false,
                ticks: 6,
                relu: false,
            },
            8,
        ),
        (
            Case {
                learned: false,
                maxpool: true,
                noise: true,
                ticks: 6,
                relu: true,
            },
            9,
        ),
    ] {
        let spec = spec_for(case);
        let mut rng = StdRng::seed_from_u64(seed);
        let dims = [2, 8, 9];
        let params = P64::from(&random_params(&spec, &mut rng));
        let x0 = up(&random_state(&spec, dims, &mut rng));
        let ticks = random_ticks(&spec, dims, case.ticks, case.noise, &mut rng);
        let d = up(&uniform(&mut rng, x0.len(), 1.0));
        let dense = Dense {
            spec: &spec,
            p: &params,
            dims,
        };
        let (g, gx) = dense.backward(&x0, &ticks, &d);

        let loss = |p: &P64, x: &[f64]| -> f64 {
            let dn = Dense {
                spec: &spec,
                p,
                dims,
            };
            dn.forward(x, &ticks)
                .iter()
                .zip(&d)
                .map(|(a, b)| a * b)
                .sum()
        };
        let eps = 1e-6;
        let close = |fd: f64, an: f64, what: &str| {
            assert!(
                (fd - an).abs() <= 1e-5 * (1.0 + an.abs()),
                "{case:?} {what}: fd {fd} vs analytic {an}"
            );
        };
        // A few entries of every parameter tensor and of x0.
        let mut picks: Vec<(usize, usize)> = Vec::new(); // (tensor, index); tensor 0/1 = perception w/b
        for t in 0..2 + 2 * params.layers.len() {
            let len = match t {
                0 => params.pw.len(),
                1 => params.pb.len(),
                t => {
                    let (w, b) = &params.layers[(t - 2) / 2];
                    if t % 2 == 0 { w.len() } else { b.len() }
                }
            };
            for _ in 0..(len.min(3)) {
                picks.push((t, rng.random_range(0..len)));
            }
        }
        for (t, i) in picks {
            let (mut pp, mut pm) = (params.clone(), params.clone());
            *entry(&mut pp, t, i) += eps;
            *entry(&mut pm, t, i) -= eps;
            let fd = (loss(&pp, &x0) - loss(&pm, &x0)) / (2.0 * eps);
            let an = *entry(&mut g.clone(), t, i);
            close(fd, an, &format!("param tensor {t} index {i}"));
        }
        for _ in 0..6 {
            let i = rng.random_range(0..x0.len());
            let (mut xp, mut xm) = (x0.clone(), x0.clone());
            xp[i] += eps;
            xm[i] -= eps;
            let fd = (loss(&params, &xp) - loss(&params, &xm)) / (2.0 * eps);
            close(fd, gx[i], &format!("x0[{i}]"));
        }
    }
}

/// Parameter tensor `t` (0/1: perception weight/bias, then weight/bias per layer), entry `i`.
fn entry(p: &mut P64, t: usize, i: usize) -> &mut f64 {
    match t {
        0 => &mut p.pw[i],
        1 => &mut p.pb[i],
        t => {
            let (w, b) = &mut p.layers[(t - 2) / 2];
            if t % 2 == 0 { &mut w[i] } else { &mut b[i] }
        }
    }
}

/// A cell two steps from every pre-alive cell can keep a pre-alive neighbour alive by growing:
/// its update must be computed even though the cell itself dies. Layout (one row, alpha ch 0,
/// marker ch 1): `p` at x=2 (alive, shrinks to 0), `q` at x=3 (pre-alive via `p`, alpha grows
/// to 0.05 only), `n` at x=4 (pre-dead, grows to 0.5 and so keeps `q` alive).
#[test]
fn maxpool_needs_updates_one_cell_beyond_pre_alive() {
    let spec = NcaSpec {
        channels: 2,
        perception: Perception::Fixed {
            filters: vec![IDENTITY],
        },
        perception_relu: false,
        hidden: vec![2],
        update_channels: 0..2,
        alive: AliveRule::MaxPool {
            channel: 0,
            threshold: 0.1,
        },
    };
    // dx_alpha = marker - alpha, dx_marker = 0.
    let params = NcaParams {
        perception: None,
        layers: vec![(vec![-1.0, 1.0, 0.0, 0.0], vec![0.0, 0.0])],
    };
    let (h, w) = (5, 7);
    let mut x0 = vec![0.0f32; 2 * h * w];
    let at = |c: usize, x: usize| c * h * w + 2 * w + x;
    x0[at(0, 2)] = 0.5; // p
    x0[at(1, 3)] = 0.05; // q
    x0[at(1, 4)] = 0.5; // n
    let ticks = vec![TickMasks {
        fire: vec![1; h * w],
        noise: None,
    }];
    let out = rollout(&spec, &params, &x0, [1, h, w], &ticks, true).unwrap();
    let f = &out.final_state;
    assert_eq!(
        (f[at(0, 3)], f[at(1, 3)]),
        (0.05, 0.05),
        "q survives thanks to n"
    );
    assert_eq!((f[at(0, 4)], f[at(1, 4)]), (0.0, 0.0), "n itself dies");
    let p64 = P64::from(&params);
    let want = Dense {
        spec: &spec,
        p: &p64,
        dims: [1, h, w],
    }
    .forward(&up(&x0), &ticks);
    assert!(rel_err(f, &want) == 0.0);
    // Masks are constants for the gradient: q's alpha' = alpha + (marker - alpha) depends on
    // its marker only.
    let mut d = vec![0.0f32; x0.len()];
    d[at(0, 3)] = 1.0;
    let (_, dx0) = backward(&spec, &params, out.tape.as_ref().unwrap(), &d).unwrap();
    assert_eq!(dx0[at(1, 3)], 1.0);
    assert_eq!(dx0[at(0, 3)], 0.0);
}
