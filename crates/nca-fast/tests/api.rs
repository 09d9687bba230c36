//! Sparsity actually skips work, and malformed inputs are refused with a clear message.

use nca_fast::*;

fn classify_spec() -> NcaSpec {
    NcaSpec::self_classifying(4, 6, 8, 0.1)
}

fn grow_spec() -> NcaSpec {
    let identity = [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0];
    NcaSpec::growing(
        4,
        Perception::Fixed {
            filters: vec![identity],
        },
        8,
        0.1,
    )
}

/// A tiny deterministic generator (xorshift), enough for masks.
fn bits(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn half_alive_grid_with_half_firing_computes_about_a_quarter() {
    let spec = classify_spec();
    let params = NcaParams::zeros(&spec);
    let [b, h, w] = [2, 32, 32];
    let mut seed = 0x9e3779b97f4a7c15;
    let mut x0 = vec![0.0; b * 4 * h * w];
    for bi in 0..b {
        for i in 0..h * w {
            if bits(&mut seed) & 1 == 1 {
                x0[bi * 4 * h * w + i] = 1.0;
            }
        }
    }
    let ticks: Vec<TickMasks> = (0..5)
        .map(|_| TickMasks {
            fire: (0..b * h * w)
                .map(|_| (bits(&mut seed) & 1) as u8)
                .collect(),
            noise: None,
        })
        .collect();
    let out = rollout(&spec, &params, &x0, [b, h, w], &ticks, true).unwrap();
    assert!(out.active_share < 0.6, "{}", out.active_share);
    assert!(
        (out.active_share - 0.25).abs() < 0.05,
        "{}",
        out.active_share
    );
    assert_eq!(out.tape.unwrap().ticks(), 5);
}

#[test]
fn maxpool_computes_only_near_the_alive_blob() {
    let spec = grow_spec();
    let params = NcaParams::zeros(&spec);
    let [b, h, w] = [1, 40, 40];
    let mut x0 = vec![0.0; 4 * h * w];
    for y in 15..25 {
        for x in 15..25 {
            x0[3 * h * w + y * w + x] = 1.0;
        }
    }
    let ticks = vec![
        TickMasks {
            fire: vec![1; b * h * w],
            noise: None
        };
        3
    ];
    let out = rollout(&spec, &params, &x0, [b, h, w], &ticks, false).unwrap();
    // Alive 10x10 → pre 12x12 → computed 14x14, every tick (zero params keep the blob).
    assert_eq!(out.active_share, (14.0 * 14.0) / (40.0 * 40.0));
    assert_eq!(out.final_state, x0);
}

fn err_of<T: std::fmt::Debug>(r: Result<T, ShapeError>) -> String {
    r.expect_err("expected a shape error").to_string()
}

#[test]
fn parameter_shape_errors_are_clear() {
    let spec = classify_spec();
    let good = NcaParams::zeros(&spec);
    assert!(spec.validate(&good).is_ok());

    let mut p = good.clone();
    p.layers[0].0.pop();
    assert!(
        err_of(spec.validate(&p)).contains("layer 0 weight has 47 values, expected [8, 6] = 48")
    );

    let mut p = good.clone();
    p.layers[1].1.push(0.0);
    assert!(err_of(spec.validate(&p)).contains("layer 1 bias"));

    let mut p = good.clone();
    p.layers.pop();
    assert!(err_of(spec.validate(&p)).contains("1 MLP layers given, spec has 2"));

    let mut p = good.clone();
    p.perception = None;
    assert!(err_of(spec.validate(&p)).contains("learned perception needs weight [6, 4, 3, 3]"));

    let mut p = good.clone();
    p.perception.as_mut().unwrap().0.push(1.0);
    assert!(err_of(spec.validate(&p)).contains("perception weight has 217 values"));

    let g = grow_spec();
    let mut p = NcaParams::zeros(&g);
    p.perception = Some((vec![], vec![]));
    assert!(err_of(g.validate(&p)).contains("fixed perception takes no parameters"));
}

#[test]
fn spec_errors_are_clear() {
    let mut s = classify_spec();
    s.hidden = vec![8, 2];
    assert!(
        err_of(s.validate_spec())
            .contains("last MLP width 2 must equal the number of update channels 3")
    );
    let mut s = classify_spec();
    s.update_channels = 2..5;
    assert!(err_of(s.validate_spec()).contains("update_channels 2..5"));
    let mut s = classify_spec();
    s.alive = AliveRule::Static {
        channel: 4,
        threshold: 0.1,
    };
    assert!(err_of(s.validate_spec()).contains("alive channel 4 is out of range"));
    let mut s = classify_spec();
    s.hidden.clear();
    assert!(err_of(s.validate_spec()).contains("at least one layer"));
    let mut s = grow_spec();
    s.perception = Perception::Fixed { filters: vec![] };
    assert!(err_of(s.validate_spec()).contains("at least one filter"));
}

#[test]
fn input_shape_errors_are_clear() {
    let spec = classify_spec();
    let params = NcaParams::zeros(&spec);
    let [b, h, w] = [2, 3, 5];
    let x0 = vec![0.0; b * 4 * h * w];
    let tick = TickMasks {
        fire: vec![1; b * h * w],
        noise: None,
    };

    let e = err_of(rollout(
        &spec,
        &params,
        &x0[1..],
        [b, h, w],
        std::slice::from_ref(&tick),
        true,
    ));
    assert!(
        e.contains("x0 has 119 values, expected [B, C, H, W] = [2, 4, 3, 5] = 120"),
        "{e}"
    );

    let bad = TickMasks {
        fire: vec![1; 7],
        noise: None,
    };
    let e = err_of(rollout(
        &spec,
        &params,
        &x0,
        [b, h, w],
        &[tick.clone(), bad],
        true,
    ));
    assert!(
        e.contains("tick 1: fire has 7 values, expected [B, H, W] = [2, 3, 5] = 30"),
        "{e}"
    );

    let bad = TickMasks {
        fire: vec![1; b * h * w],
        noise: Some(vec![0.0; 5]),
    };
    let e = err_of(rollout(&spec, &params, &x0, [b, h, w], &[bad], true));
    assert!(
        e.contains("tick 0: noise has 5 values, expected [B, U, H, W] = [2, 3, 3, 5] = 90"),
        "{e}"
    );

    let out = rollout(&spec, &params, &x0, [b, h, w], &[tick], true).unwrap();
    let tape = out.tape.unwrap();
    let e = err_of(backward(&spec, &params, &tape, &x0[..10]));
    assert!(e.contains("d_final has 10 values"), "{e}");
    let mut other = spec.clone();
    other.perception_relu = false;
    let e = err_of(backward(&other, &params, &tape, &x0));
    assert!(e.contains("different spec"), "{e}");
}

#[test]
fn empty_inputs_are_fine() {
    let spec = classify_spec();
    let params = NcaParams::zeros(&spec);
    let out = rollout(&spec, &params, &[], [0, 4, 4], &[], true).unwrap();
    assert!(out.final_state.is_empty());
    assert_eq!(out.active_share, 0.0);
    let (g, dx0) = backward(&spec, &params, out.tape.as_ref().unwrap(), &[]).unwrap();
    assert_eq!(g, NcaParams::zeros(&spec));
    assert!(dx0.is_empty());
    // No ticks: the final state is the initial one and dx0 = d_final.
    let x0 = vec![0.5; 4 * 2 * 3];
    let out = rollout(&spec, &params, &x0, [1, 2, 3], &[], true).unwrap();
    assert_eq!(out.final_state, x0);
    let (_, dx0) = backward(&spec, &params, out.tape.as_ref().unwrap(), &x0).unwrap();
    assert_eq!(dx0, x0);
}

#[test]
fn reusing_a_tape_of_another_rule_and_size_is_exact() {
    let grow = grow_spec();
    let gp = NcaParams::zeros(&grow);
    let mut x = vec![0.0; 2 * 4 * 6 * 6];
    x[3 * 36 + 14] = 1.0;
    let fire = vec![
        TickMasks {
            fire: vec![1; 2 * 36],
            noise: None
        };
        4
    ];
    let old = rollout(&grow, &gp, &x, [2, 6, 6], &fire, true)
        .unwrap()
        .tape
        .unwrap();

    let spec = classify_spec();
    let mut params = NcaParams::zeros(&spec);
    params.layers[1].1.fill(0.25);
    let x0: Vec<f32> = (0..3 * 4 * 5 * 5).map(|i| (i % 3) as f32 * 0.1).collect();
    let ticks = vec![
        TickMasks {
            fire: vec![1; 3 * 25],
            noise: None
        };
        3
    ];
    let fresh = rollout(&spec, &params, &x0, [3, 5, 5], &ticks, true).unwrap();
    let reused = rollout_reusing(&spec, &params, &x0, [3, 5, 5], &ticks, old).unwrap();
    assert_eq!(fresh.final_state, reused.final_state);
    let d = vec![1.0; x0.len()];
    let a = backward(&spec, &params, fresh.tape.as_ref().unwrap(), &d).unwrap();
    let b = backward(&spec, &params, reused.tape.as_ref().unwrap(), &d).unwrap();
    assert_eq!(a, b);
}
