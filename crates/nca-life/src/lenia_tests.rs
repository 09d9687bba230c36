//! Tests of Lenia: kernels, the FFT convolution, the patterns and their published behaviour.

use crate::lenia::{
    Growth, KernelCore, Lenia, LeniaError, LeniaParams, LeniaPattern, RealFft2, kernel_grid,
    lenia_pattern, lenia_pattern_names, pattern::decode_cells, wrapped_delta,
};
use rand::{Rng, SeedableRng, rngs::StdRng};
use rustfft::num_complex::Complex;

fn random_grid(width: usize, height: usize, seed: u64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..width * height).map(|_| rng.random::<f32>()).collect()
}

/// A world holding `pattern` at the centre of a `side×side` torus.
fn world_with(pattern: &LeniaPattern, side: usize) -> Lenia {
    let mut world = Lenia::new(pattern.params.clone(), side, side).unwrap();
    let (x, y) = ((side - pattern.width) / 2, (side - pattern.height) / 2);
    world
        .place(&pattern.cells, pattern.width, pattern.height, x, y)
        .unwrap();
    world
}

#[test]
fn fft_round_trip_is_identity_for_even_and_odd_sizes() {
    for (w, h) in [(16, 16), (17, 9), (8, 13), (1, 5), (6, 1), (30, 22)] {
        let grid = random_grid(w, h, 7);
        let mut fft = RealFft2::new(w, h);
        let mut spectrum = vec![Complex::default(); fft.spectrum_len()];
        fft.forward(&grid, &mut spectrum);
        let mut back = vec![0.0; w * h];
        fft.inverse(&mut spectrum, &mut back);
        let err = grid
            .iter()
            .zip(&back)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 1e-5, "{w}x{h}: round trip error {err}");
    }
}

#[test]
fn fft_matches_the_dft_definition() {
    // The half spectrum at (u, v) is Σ x[y][j] e^{-2πi(uj/w + vy/h)}.
    let (w, h) = (6, 5);
    let grid = random_grid(w, h, 3);
    let mut fft = RealFft2::new(w, h);
    let mut spectrum = vec![Complex::default(); fft.spectrum_len()];
    fft.forward(&grid, &mut spectrum);
    for u in 0..=w / 2 {
        for v in 0..h {
            let mut sum = Complex::<f64>::default();
            for y in 0..h {
                for j in 0..w {
                    let phase = -std::f64::consts::TAU
                        * (u as f64 * j as f64 / w as f64 + v as f64 * y as f64 / h as f64);
                    sum += Complex::from_polar(f64::from(grid[y * w + j]), phase);
                }
            }
            let got = spectrum[u * h + v];
            assert!(
                (f64::from(got.re) - sum.re).abs() < 1e-4
                    && (f64::from(got.im) - sum.im).abs() < 1e-4,
                "({u},{v}): {got} vs {sum}"
            );
        }
    }
}

#[test]
fn kernels_sum_to_one_and_vanish_beyond_their_radius() {
    for name in lenia_pattern_names() {
        let p = lenia_pattern(&name).unwrap();
        for k in 0..p.params.kernels.len() {
            let side = 4 * p.params.max_radius() as usize;
            let grid = kernel_grid(&p.params, k, side, side).unwrap();
            let sum: f64 = grid.iter().map(|&v| f64::from(v)).sum();
            assert!((sum - 1.0).abs() < 1e-5, "{name} kernel {k}: sum {sum}");
            let reach = p.params.radius * p.params.kernels[k].relative_radius;
            for (i, &v) in grid.iter().enumerate() {
                let (x, y) = ((i % side) as f64, (i / side) as f64);
                let dx = x.min(side as f64 - x);
                let dy = y.min(side as f64 - y);
                if (dx * dx + dy * dy).sqrt() >= reach {
                    assert_eq!(v, 0.0, "{name} kernel {k}: non-zero at ({x}, {y})");
                }
            }
            assert!(grid.iter().all(|&v| v >= 0.0));
        }
    }
}

#[test]
fn kernel_rings_follow_their_peaks() {
    // Two rings with peaks 1/2 and 1: the outer ring's crest is twice the inner one's.
    let params = LeniaParams::single(8.0, 10.0, vec![0.5, 1.0], 0.15, 0.015);
    let grid = kernel_grid(&params, 0, 32, 32).unwrap();
    // Crests at r = 1/4 and 3/4 of R = 8: distances 2 and 6 along a row.
    let (inner, outer) = (grid[2], grid[6]);
    assert!((outer / inner - 2.0).abs() < 1e-4, "{inner} {outer}");
    assert_eq!(grid[0], 0.0, "the polynomial core is zero at the centre");
}

#[test]
fn fft_convolution_equals_direct_convolution() {
    for (w, h, radius, peaks) in [
        (24, 20, 5.0, vec![1.0]),
        (17, 23, 4.0, vec![0.5, 1.0, 0.25]),
    ] {
        let mut params = LeniaParams::single(radius, 10.0, peaks, 0.15, 0.015);
        params.kernels[0].core = KernelCore::Exponential;
        let mut world = Lenia::new(params.clone(), w, h).unwrap();
        let cells = random_grid(w, h, 11);
        world.set_cells(&cells).unwrap();
        let mut fast = vec![0.0; w * h];
        world.potential(0, &mut fast);
        let kernel = kernel_grid(&params, 0, w, h).unwrap();
        let mut worst = 0f64;
        for y in 0..h {
            for x in 0..w {
                let mut direct = 0f64;
                for ky in 0..h {
                    for kx in 0..w {
                        let k = f64::from(kernel[ky * w + kx]);
                        if k != 0.0 {
                            let (sy, sx) = ((y + h - ky) % h, (x + w - kx) % w);
                            direct += k * f64::from(cells[sy * w + sx]);
                        }
                    }
                }
                worst = worst.max((direct - f64::from(fast[y * w + x])).abs());
            }
        }
        assert!(worst <= 1e-5, "{w}x{h}: FFT vs direct {worst}");
    }
}

#[test]
fn growth_functions_take_their_published_values() {
    let (mu, sigma) = (0.15, 0.015);
    for g in [Growth::Polynomial, Growth::Gaussian, Growth::Step] {
        assert_eq!(g.value(mu, mu, sigma), 1.0, "{g:?} peaks at mu");
        assert_eq!(g.value(0.9, mu, sigma), -1.0, "{g:?} far from mu");
    }
    // Polynomial: 2(1 - 1/9)^4 - 1 one sigma away; Gaussian: 2e^{-1/2} - 1.
    let p = Growth::Polynomial.value(mu + sigma, mu, sigma);
    assert!((p - (2.0 * (8.0f32 / 9.0).powi(4) - 1.0)).abs() < 1e-5);
    let q = Growth::Gaussian.value(mu + sigma, mu, sigma);
    assert!((q - (2.0 * (-0.5f32).exp() - 1.0)).abs() < 1e-5);
    assert_eq!(KernelCore::from_kn(1).unwrap(), KernelCore::Polynomial);
    assert_eq!(Growth::from_gn(2).unwrap(), Growth::Gaussian);
    assert!(KernelCore::from_kn(5).is_err() && Growth::from_gn(0).is_err());
}

#[test]
fn one_kernel_step_is_a_plus_dt_growth_clipped() {
    let params = LeniaParams::single(3.0, 5.0, vec![1.0], 0.2, 0.05);
    let mut world = Lenia::new(params, 12, 10).unwrap();
    world.set_cells(&random_grid(12, 10, 5)).unwrap();
    let before = world.cells().to_vec();
    let mut u = vec![0.0; 120];
    world.potential(0, &mut u);
    world.step();
    for i in 0..120 {
        let want = (before[i] + 0.2 * Growth::Polynomial.value(u[i], 0.2, 0.05)).clamp(0.0, 1.0);
        assert!((world.cells()[i] - want).abs() < 1e-6);
    }
    assert_eq!(world.steps(), 1);
}

#[test]
fn cell_strings_decode_as_the_reference_format() {
    // 'A' = 1, 'pA' = 25, 'yO' = 255, 'o' = 255, '.' = 0; 2$ adds an empty row.
    let (w, h, v) = decode_cells("2A.pA$yO2$o!").unwrap();
    assert_eq!((w, h), (4, 4));
    let expect = [1, 1, 0, 25, 255, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0];
    let got: Vec<u32> = v.iter().map(|x| (x * 255.0).round() as u32).collect();
    assert_eq!(got, expect);
}

#[test]
fn malformed_patterns_get_one_line_errors() {
    let ok = r#"{"params": {"R": 13, "T": 10, "b": "1", "m": 0.15, "s": 0.015, "kn": 1, "gn": 1}, "cells": "A$B!"}"#;
    assert!(LeniaPattern::from_json(ok).is_ok());
    let cases = [
        ("not json", "not JSON"),
        ("[1]", "object"),
        (r#"{"cells": "A"}"#, "params"),
        (&ok.replace(r#""kn": 1"#, r#""kn": 9"#), "kn = 9"),
        (
            &ok.replace(r#""b": "1""#, r#""b": "1/0""#),
            "divides by zero",
        ),
        (&ok.replace(r#""b": "1""#, r#""b": "x""#), "bad number"),
        (&ok.replace(r#""s": 0.015"#, r#""s": -1"#), "s must be > 0"),
        (&ok.replace("A$B!", "A$Z!"), "not a state"),
        (&ok.replace("A$B!", "A$yX!"), "exceeds 255"),
        (&ok.replace("A$B!", ""), "empty"),
        (&ok.replace(r#""R": 13"#, r#""R": "x""#), "not a number"),
        (&ok.replace(r#""T": 10, "#, ""), "no \"T\""),
        (
            r#"{"params": [{"R": 13, "T": 10, "b": "1", "m": 0.15, "s": 0.015, "c": [0, 1]}], "cells": "A"}"#,
            "channels",
        ),
    ];
    for (text, needle) in cases {
        let err = LeniaPattern::from_json(text).unwrap_err().to_string();
        assert!(err.contains(needle), "{text}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
    assert!(matches!(
        lenia_pattern("nope"),
        Err(LeniaError::UnknownPattern { .. })
    ));
}

#[test]
fn worlds_refuse_bad_sizes_and_kernels_that_do_not_fit() {
    let p = lenia_pattern("orbium").unwrap();
    assert!(Lenia::new(p.params.clone(), 0, 10).is_err());
    assert!(
        Lenia::new(p.params.clone(), 20, 20).is_err(),
        "R = 13 needs 27 cells"
    );
    assert!(Lenia::new(p.params.clone(), 27, 27).is_ok());
    let mut w = Lenia::new(p.params.clone(), 32, 32).unwrap();
    assert!(w.set_cells(&[0.0; 3]).is_err());
    assert!(w.set_cells(&[f32::NAN; 1024]).is_err());
    assert!(w.place(&p.cells, p.width, p.height, 0, 0).is_err() || p.width <= 32);
}

/// Mass and the unwrapped centre-of-mass track of a world over `steps` steps.
fn track(world: &mut Lenia, steps: usize) -> (Vec<f64>, Vec<(f64, f64)>) {
    let (w, h) = (world.width(), world.height());
    let mut mass = vec![world.mass()];
    let mut pos = vec![world.centre_of_mass().unwrap()];
    let mut last = pos[0];
    for _ in 0..steps {
        world.step();
        mass.push(world.mass());
        let now = world.centre_of_mass().unwrap_or(last);
        let prev = *pos.last().unwrap();
        pos.push((
            prev.0 + wrapped_delta(last.0, now.0, w),
            prev.1 + wrapped_delta(last.1, now.1, h),
        ));
        last = now;
    }
    (mass, pos)
}

#[test]
fn orbium_glides_with_steady_mass_and_speed() {
    let orbium = lenia_pattern("orbium").unwrap();
    let mut world = world_with(&orbium, 128);
    for _ in 0..200 {
        world.step();
    }
    let (mass, pos) = track(&mut world, 2000);
    let m0 = mass[0];
    let spread = mass
        .iter()
        .map(|m| (m / m0 - 1.0).abs())
        .fold(0.0, f64::max);
    assert!(
        spread <= 0.01,
        "mass moved {:.3}% from {m0:.2}",
        100.0 * spread
    );
    // Speed over four windows of 500 steps: the same within 5 %, and not standing still.
    let speeds: Vec<f64> = (0..4)
        .map(|i| {
            let (a, b) = (pos[500 * i], pos[500 * (i + 1)]);
            ((b.0 - a.0).hypot(b.1 - a.1)) / 500.0
        })
        .collect();
    let mean = speeds.iter().sum::<f64>() / 4.0;
    eprintln!(
        "Orbium: mass {m0:.2} (spread {:.3}%), speed {mean:.4} cells/step {speeds:?}",
        100.0 * spread
    );
    assert!(mean > 0.05, "Orbium stands still: {speeds:?}");
    for s in &speeds {
        assert!((s / mean - 1.0).abs() < 0.05, "unsteady speed {speeds:?}");
    }
}

#[test]
fn orbium_under_the_wrong_growth_centre_does_not_survive() {
    // The control: the same cells with mu off by a third die out or fill the world.
    for mu in [0.10f32, 0.20] {
        let mut orbium = lenia_pattern("orbium").unwrap();
        orbium.params.kernels[0].mu = mu;
        let mut world = world_with(&orbium, 64);
        let m0 = world.mass();
        for _ in 0..300 {
            world.step();
        }
        let ratio = world.mass() / m0;
        assert!(!(0.5..=2.0).contains(&ratio), "mu {mu}: mass ratio {ratio}");
    }
}

#[test]
fn every_shipped_pattern_lives() {
    for name in lenia_pattern_names() {
        let p = lenia_pattern(&name).unwrap();
        let side = (8.0 * p.params.max_radius()).max(p.width.max(p.height) as f64 * 2.0);
        let side = (side as usize).next_power_of_two().min(256);
        let mut world = world_with(&p, side);
        let m0 = world.mass();
        let mut lo = f64::MAX;
        let mut hi = 0f64;
        for _ in 0..500 {
            world.step();
            lo = lo.min(world.mass());
            hi = hi.max(world.mass());
        }
        eprintln!("{name}: side {side}, mass {m0:.1} -> [{lo:.1}, {hi:.1}]");
        assert!(
            lo > 0.5 * m0 && hi < 2.0 * m0,
            "{name}: mass {m0} ranged {lo}..{hi}"
        );
    }
}

#[test]
fn soups_are_seeded() {
    let p = lenia_pattern("orbium").unwrap();
    let mut a = Lenia::new(p.params.clone(), 64, 64).unwrap();
    let mut b = Lenia::new(p.params.clone(), 64, 64).unwrap();
    a.soup(32, 9).unwrap();
    b.soup(32, 9).unwrap();
    assert_eq!(a.cells(), b.cells());
    b.soup(32, 10).unwrap();
    assert_ne!(a.cells(), b.cells());
    assert!(a.soup(65, 1).is_err());
}

#[test]
fn centre_of_mass_wraps_around_the_edges() {
    let params = LeniaParams::single(3.0, 10.0, vec![1.0], 0.15, 0.015);
    let mut world = Lenia::new(params, 20, 10).unwrap();
    let mut cells = vec![0.0; 200];
    // Equal matter in columns 19 and 0 of row 5: the centre is at x = 19.5, not 9.5.
    cells[5 * 20 + 19] = 1.0;
    cells[5 * 20] = 1.0;
    world.set_cells(&cells).unwrap();
    let (x, y) = world.centre_of_mass().unwrap();
    assert!(
        (x - 19.5).abs() < 1e-9 && (y - 5.0).abs() < 1e-9,
        "({x}, {y})"
    );
    assert_eq!(wrapped_delta(19.0, 1.0, 20), 2.0);
    assert_eq!(wrapped_delta(1.0, 19.0, 20), -2.0);
}
