//! Times one forward + backward pass for the two paper shapes:
//! self-classifying MNIST (B=16, 28x28, learned perception, 20 ticks) and growing NCA
//! (B=8, 72x72, Sobel perception, 80 ticks).
//!
//! `cargo run --release -p nca-fast --example speed [classify|grow]` (both without an argument;
//! `NCA_FAST_KERNEL=portable` times the `matrixmultiply` path instead of the AVX2 kernel).

use std::time::Instant;

use nca_fast::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// Timed repeats (after one warm-up); `SPEED_REPEATS` overrides.
fn repeats() -> usize {
    std::env::var("SPEED_REPEATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
}

fn uniform(rng: &mut StdRng, n: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|_| rng.random_range(-scale..scale)).collect()
}

/// Kaiming-uniform-like random parameters; the last layer scaled by `last_scale`.
fn init(spec: &NcaSpec, rng: &mut StdRng, last_scale: f32) -> NcaParams {
    let mut p = NcaParams::zeros(spec);
    if let Some((w, b)) = &mut p.perception {
        let s = 1.0 / ((9 * spec.channels) as f32).sqrt();
        *w = uniform(rng, w.len(), s);
        *b = uniform(rng, b.len(), s);
    }
    let n = p.layers.len();
    for (i, (w, b)) in p.layers.iter_mut().enumerate() {
        let s =
            (1.0 / ((w.len() / b.len()) as f32).sqrt()) * if i + 1 == n { last_scale } else { 1.0 };
        *w = uniform(rng, w.len(), s);
        *b = uniform(rng, b.len(), s);
    }
    p
}

fn fire(rng: &mut StdRng, n: usize, rate: f64) -> Vec<u8> {
    (0..n).map(|_| u8::from(rng.random_bool(rate))).collect()
}

/// Distance from `(py, px)` to the segment `a`–`b`.
fn seg_dist((py, px): (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (dy, dx) = (b.0 - a.0, b.1 - a.1);
    let len2 = dy * dy + dx * dx;
    let t = if len2 > 0.0 {
        (((py - a.0) * dy + (px - a.1) * dx) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cy, cx) = (a.0 + t * dy, a.1 + t * dx);
    ((py - cy).powi(2) + (px - cx).powi(2)).sqrt()
}

/// Digit-like images: three random strokes with a soft edge.
fn strokes(rng: &mut StdRng, b: usize, h: usize, w: usize) -> Vec<f32> {
    let mut img = vec![0.0; b * h * w];
    for bi in 0..b {
        let pts: Vec<(f32, f32)> = (0..5)
            .map(|_| (rng.random_range(5.0..22.0), rng.random_range(6.0..21.0)))
            .collect();
        for y in 0..h {
            for x in 0..w {
                let d = pts
                    .windows(2)
                    .map(|s| seg_dist((y as f32, x as f32), s[0], s[1]))
                    .fold(f32::MAX, f32::min);
                img[(bi * h + y) * w + x] = (1.0 - d / 2.8).max(0.0);
            }
        }
    }
    img
}

fn time(
    label: &str,
    spec: &NcaSpec,
    params: &NcaParams,
    x0: &[f32],
    dims: [usize; 3],
    ticks: &[TickMasks],
) {
    let d_final: Vec<f32> = (0..x0.len())
        .map(|i| ((i % 7) as f32 - 3.0) * 0.01)
        .collect();
    let (mut fwd, mut bwd, mut inf) = (Vec::new(), Vec::new(), Vec::new());
    let mut share = 0.0;
    let mut bytes = 0;
    let mut old_tape: Option<Tape> = None;
    for _ in 0..repeats() + 1 {
        let t0 = Instant::now();
        // Steady-state training: each step records into the previous step's tape buffers.
        let out = match old_tape.take() {
            Some(old) => rollout_reusing(spec, params, x0, dims, ticks, old),
            None => rollout(spec, params, x0, dims, ticks, true),
        }
        .expect("valid shapes");
        let t1 = Instant::now();
        let tape = out.tape.as_ref().expect("tape");
        let grads = backward(spec, params, tape, &d_final).expect("valid shapes");
        let t2 = Instant::now();
        std::hint::black_box(grads);
        share = out.active_share;
        bytes = tape.bytes();
        old_tape = out.tape;
        let t3 = Instant::now();
        std::hint::black_box(rollout(spec, params, x0, dims, ticks, false).expect("valid shapes"));
        let t4 = Instant::now();
        fwd.push((t1 - t0).as_secs_f64() * 1e3);
        bwd.push((t2 - t1).as_secs_f64() * 1e3);
        inf.push((t4 - t3).as_secs_f64() * 1e3);
    }
    let med = |v: &mut Vec<f64>| {
        v.remove(0); // warm-up
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let total_min = fwd
        .iter()
        .zip(&bwd)
        .skip(1)
        .map(|(f, b)| f + b)
        .fold(f64::INFINITY, f64::min);
    let (f, b, i) = (med(&mut fwd), med(&mut bwd), med(&mut inf));
    println!(
        "{label}: forward+backward {:.1} ms (forward {f:.1} + backward {b:.1}; fastest {total_min:.1}); \
         inference {i:.1} ms; active share {:.3}; tape {:.1} MiB",
        f + b,
        share,
        bytes as f64 / (1 << 20) as f64
    );
}

fn classify(rng: &mut StdRng) {
    let (b, h, w, c, t) = (16, 28, 28, 20, 20);
    let spec = NcaSpec::self_classifying(c, 80, 80, 0.1);
    let params = init(&spec, rng, 0.1);
    let img = strokes(rng, b, h, w);
    let alive = img.iter().filter(|&&v| v > 0.1).count() as f64 / img.len() as f64;
    let mut x0 = vec![0.0; b * c * h * w];
    for bi in 0..b {
        x0[bi * c * h * w..bi * c * h * w + h * w]
            .copy_from_slice(&img[bi * h * w..(bi + 1) * h * w]);
    }
    let normal = Normal::new(0.0f32, 0.02).expect("valid std");
    let ticks: Vec<TickMasks> = (0..t)
        .map(|_| TickMasks {
            fire: fire(rng, b * h * w, 0.5),
            noise: Some((0..b * 19 * h * w).map(|_| normal.sample(rng)).collect()),
        })
        .collect();
    println!(
        "classify: B={b} {h}x{w} C={c} learned P=80 relu, MLP 80-80-19, {t} ticks, alive {:.1}%",
        alive * 100.0
    );
    time("classify", &spec, &params, &x0, [b, h, w], &ticks);
}

fn grow(rng: &mut StdRng) {
    let (b, h, w, c, t) = (8, 72, 72, 16, 80);
    let identity = [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
    let sobel_x = [-1.0, 0.0, 1.0, -2.0, 0.0, 2.0, -1.0, 0.0, 1.0].map(|v| v / 8.0);
    let sobel_y = [-1.0, -2.0, -1.0, 0.0, 0.0, 0.0, 1.0, 2.0, 1.0].map(|v| v / 8.0);
    let filters = vec![identity, sobel_x, sobel_y];
    let spec = NcaSpec::growing(c, Perception::Fixed { filters }, 128, 0.1);
    let params = init(&spec, rng, 0.01);
    // A 40x40 alive blob in the middle: RGB random, alpha and hidden channels 1.
    let mut x0 = vec![0.0; b * c * h * w];
    for bi in 0..b {
        for ch in 0..c {
            for y in 16..56 {
                for x in 16..56 {
                    x0[((bi * c + ch) * h + y) * w + x] = if ch < 3 {
                        rng.random_range(0.0..1.0)
                    } else {
                        1.0
                    };
                }
            }
        }
    }
    let ticks: Vec<TickMasks> = (0..t)
        .map(|_| TickMasks {
            fire: fire(rng, b * h * w, 0.5),
            noise: None,
        })
        .collect();
    println!(
        "grow: B={b} {h}x{w} C={c} Sobel (48 features), MLP 48-128-16, {t} ticks, 40x40 alive blob"
    );
    time("grow", &spec, &params, &x0, [b, h, w], &ticks);
}

fn main() {
    let only = std::env::args().nth(1);
    let mut rng = StdRng::seed_from_u64(0);
    if only.as_deref() != Some("grow") {
        classify(&mut rng);
    }
    if only.as_deref() != Some("classify") {
        grow(&mut rng);
    }
}
