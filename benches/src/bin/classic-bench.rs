//! Speed of the classic systems: elementary CA and Lenia (FFT and direct convolution), in
//! cell updates per second, one JSON line per case. `benches/classic.sh` runs it beside the
//! NumPy/SciPy reference (`benches/reference/classic_reference.py`) on the same machine.
//!
//! Usage: `classic-bench [CASE ...]` with cases `eca`, `lenia_fft_128`, `lenia_fft_512`,
//! `lenia_direct_128` (default: all).

use std::time::Instant;

use nca::life::lenia::{Lenia, LeniaParams, kernel_grid, lenia_pattern};
use nca::life::{Eca, EcaBoundary, EcaRule};

/// Runs `step` until at least `min_s` seconds have passed (after one warm-up call) and returns
/// the seconds per call.
fn time_per_call(min_s: f64, mut step: impl FnMut()) -> f64 {
    step();
    let start = Instant::now();
    let mut calls = 0u64;
    while calls == 0 || start.elapsed().as_secs_f64() < min_s {
        step();
        calls += 1;
    }
    start.elapsed().as_secs_f64() / calls as f64
}

fn report(case: &str, cells: usize, seconds_per_step: f64, check: f64) {
    println!(
        "{}",
        serde_json::json!({
            "case": case, "impl": "ours", "cells": cells,
            "ms_per_step": seconds_per_step * 1e3,
            "cell_steps_per_s": cells as f64 / seconds_per_step,
            "check": check,
        })
    );
}

/// Orbium at the centre of a `side×side` world.
fn orbium_world(side: usize) -> Lenia {
    let p = lenia_pattern("orbium").expect("shipped pattern");
    let mut world = Lenia::new(p.params.clone(), side, side).expect("world");
    let (x, y) = ((side - p.width) / 2, (side - p.height) / 2);
    world
        .place(&p.cells, p.width, p.height, x, y)
        .expect("fits");
    world
}

/// One Lenia step with the potential by direct circular convolution over the kernel's support
/// (the baseline the FFT replaces).
fn direct_step(
    params: &LeniaParams,
    taps: &[(isize, isize, f32)],
    cells: &mut Vec<f32>,
    side: usize,
) {
    let k = &params.kernels[0];
    let dt = (1.0 / params.time_steps) as f32;
    let s = side as isize;
    let mut next = vec![0f32; cells.len()];
    for y in 0..s {
        for x in 0..s {
            let mut u = 0f32;
            for &(dx, dy, w) in taps {
                let (xx, yy) = ((x - dx).rem_euclid(s), (y - dy).rem_euclid(s));
                u += w * cells[(yy * s + xx) as usize];
            }
            let i = (y * s + x) as usize;
            next[i] = (cells[i] + dt * k.growth.value(u, k.mu, k.sigma)).clamp(0.0, 1.0);
        }
    }
    *cells = next;
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let all = ["eca", "lenia_fft_128", "lenia_fft_512", "lenia_direct_128"];
    let cases: Vec<&str> = if args.is_empty() {
        all.to_vec()
    } else {
        args.iter().map(String::as_str).collect()
    };
    for case in cases {
        match case {
            "eca" => {
                // Rule 30 on 100,000 wrapped cells from a seeded random row.
                let width = 100_000;
                let rule = EcaRule(30);
                let mut a = Eca::random(width, 0.5, 1).expect("row");
                let mut b = a.clone();
                let t = time_per_call(1.0, || {
                    for _ in 0..100 {
                        a.step_into(&rule, EcaBoundary::Wrap, &mut b);
                        std::mem::swap(&mut a, &mut b);
                    }
                }) / 100.0;
                report(case, width, t, a.density());
            }
            "lenia_fft_128" | "lenia_fft_512" => {
                let side = if case.ends_with("128") { 128 } else { 512 };
                let mut world = orbium_world(side);
                let t = time_per_call(1.0, || world.step());
                report(case, side * side, t, world.mass());
            }
            "lenia_direct_128" => {
                let side = 128;
                let world = orbium_world(side);
                let params = world.params().clone();
                let grid = kernel_grid(&params, 0, side, side).expect("kernel");
                let s = side as isize;
                let taps: Vec<(isize, isize, f32)> = grid
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| **w != 0.0)
                    .map(|(i, &w)| {
                        let (x, y) = ((i % side) as isize, (i / side) as isize);
                        let wrap = |v: isize| if v > s / 2 { v - s } else { v };
                        (wrap(x), wrap(y), w)
                    })
                    .collect();
                let mut cells = world.cells().to_vec();
                let t = time_per_call(1.0, || direct_step(&params, &taps, &mut cells, side));
                report(
                    case,
                    side * side,
                    t,
                    cells.iter().map(|&v| f64::from(v)).sum(),
                );
            }
            other => {
                eprintln!("error: unknown case '{other}' (known: {})", all.join(", "));
                std::process::exit(2);
            }
        }
    }
}
