//! Known facts about elementary cellular automata, checked end to end. Every expected value
//! here was first confirmed by an independent brute force (a few lines of Python stepping the
//! rule by its definition), not by this crate.

use super::*;

fn rule(n: u8) -> EcaRule {
    EcaRule(n)
}

/// A straightforward reference step: look every neighbourhood up in the rule number.
fn naive_step(row: &[u8], rule: EcaRule, boundary: EcaBoundary) -> Vec<u8> {
    let w = row.len() as i64;
    let at = |i: i64| -> u8 {
        match boundary {
            EcaBoundary::Wrap => row[i.rem_euclid(w) as usize],
            EcaBoundary::Fixed(v) if i < 0 || i >= w => u8::from(v != 0),
            EcaBoundary::Fixed(_) => row[i as usize],
        }
    };
    (0..w)
        .map(|i| {
            let n = 4 * at(i - 1) + 2 * at(i) + at(i + 1);
            (rule.number() >> n) & 1
        })
        .collect()
}

/// The live cells' extent, as (leftmost, rightmost) index.
fn extent(row: &[u8]) -> (usize, usize) {
    let first = row.iter().position(|&c| c == 1).expect("a live cell");
    let last = row.iter().rposition(|&c| c == 1).expect("a live cell");
    (first, last)
}

/// OEIS A051023, the middle column of rule 30 from a lone live cell, terms 0..=63 (as listed
/// at oeis.org/A051023 and reproduced by a brute force, which also gives
/// `l XOR (c OR r)` on an unbounded integer the same bits).
const A051023: [u8; 64] = [
    1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0,
    0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1,
];

#[test]
fn rule30_centre_column_is_oeis_a051023() {
    // Width 257, 63 steps after the first row: the pattern spans at most 63 cells either side
    // of the centre (128), so neither edge is ever reached and both boundaries agree.
    for boundary in [EcaBoundary::Wrap, EcaBoundary::Fixed(0)] {
        let rows = Eca::single(257)
            .unwrap()
            .run(&rule(30), boundary, 63)
            .unwrap();
        let column: Vec<u8> = rows.iter().map(|r| r[128]).collect();
        assert_eq!(column, A051023, "{boundary}");
    }
}

/// C(n, k) mod 2 by Lucas' theorem: odd exactly when the bits of k are a subset of n's.
fn binomial_is_odd(n: u64, k: u64) -> bool {
    k <= n && k & n == k
}

#[test]
fn rule90_from_one_cell_is_pascals_triangle_mod_2() {
    let (w, c) = (257usize, 128i64);
    let rows = Eca::single(w)
        .unwrap()
        .run(&rule(90), EcaBoundary::Wrap, 63)
        .unwrap();
    for (n, row) in rows.iter().enumerate() {
        let n = n as i64;
        for (i, &cell) in row.iter().enumerate() {
            let k = i as i64 - c;
            let expected =
                (n + k) % 2 == 0 && k.abs() <= n && binomial_is_odd(n as u64, ((n + k) / 2) as u64);
            assert_eq!(cell, u8::from(expected), "row {n}, offset {k}");
        }
    }
    // Row 2^k - 1 of Pascal's triangle is all odd: 2^k cells alive, every second one.
    assert_eq!(rows[63].iter().map(|&c| usize::from(c)).sum::<usize>(), 64);
    assert_eq!(rows[64 - 1][c as usize - 63], 1);
}

#[test]
fn rule110_from_one_cell_grows_left_only_and_rule124_right_only() {
    // Rule 110 maps neighbourhood 001 to 1 (bit 1 of 0b0110_1110) but 100 to 0 (bit 4): a
    // lone cell's region grows to the left by exactly one cell per step and never to the
    // right, and the seed's column stays live (010 and 110 both give 1). Rule 124, its
    // mirror, does the same towards the right.
    let (w, c) = (301usize, 150usize);
    let left = Eca::single(w)
        .unwrap()
        .run(&rule(110), EcaBoundary::Fixed(0), 140)
        .unwrap();
    let right = Eca::single(w)
        .unwrap()
        .run(&rule(124), EcaBoundary::Fixed(0), 140)
        .unwrap();
    for t in 0..=140 {
        assert_eq!(extent(&left[t]), (c - t, c), "rule 110, step {t}");
        assert_eq!(left[t][c], 1);
        assert_eq!(extent(&right[t]), (c, c + t), "rule 124, step {t}");
    }
    // The first rows of rule 110, as every picture of it shows them.
    let rows = Eca::single(15)
        .unwrap()
        .run(&rule(110), EcaBoundary::Wrap, 7)
        .unwrap();
    let text: Vec<String> = rows
        .into_iter()
        .map(|r| Eca::from_cells(r).unwrap().to_string())
        .collect();
    assert_eq!(
        text,
        [
            ".......#.......",
            "......##.......",
            ".....###.......",
            "....##.#.......",
            "...#####.......",
            "..##...#.......",
            ".###..##.......",
            "##.#.###.......",
        ]
    );
}

#[test]
fn mirror_rules_draw_mirrored_diagrams() {
    assert_eq!(rule(110).mirror(), rule(124));
    assert_eq!(rule(124).mirror(), rule(110));
    assert_eq!(rule(30).mirror(), rule(86));
    assert_eq!(rule(184).mirror(), rule(226));
    for n in [90u8, 150, 204, 51, 0, 255] {
        assert_eq!(rule(n).mirror(), rule(n), "rule {n} is symmetric");
    }
    for n in 0..=255u8 {
        assert_eq!(rule(n).mirror().mirror(), rule(n));
    }
    // Behaviourally: run rule 110 on a row and rule 124 on the reversed row; each of their
    // rows is the other's reversed.
    for seed in 0..4 {
        let row = Eca::random(97, 0.5, seed).unwrap();
        let mut reversed = row.cells().to_vec();
        reversed.reverse();
        let reversed = Eca::from_cells(reversed).unwrap();
        for boundary in [
            EcaBoundary::Wrap,
            EcaBoundary::Fixed(0),
            EcaBoundary::Fixed(1),
        ] {
            let a = row.run(&rule(110), boundary, 50).unwrap();
            let b = reversed.run(&rule(124), boundary, 50).unwrap();
            for (ra, mut rb) in a.into_iter().zip(b) {
                rb.reverse();
                assert_eq!(ra, rb, "seed {seed} {boundary}");
            }
        }
    }
}

#[test]
fn rule184_conserves_live_cells_on_a_ring_and_moves_a_lone_car_right() {
    for seed in 0..6 {
        for density in [0.2, 0.5, 0.8] {
            let mut row = Eca::random(101, density, seed).unwrap();
            let cars = row.population();
            for t in 0..200 {
                row = row.step(&rule(184), EcaBoundary::Wrap);
                assert_eq!(
                    row.population(),
                    cars,
                    "seed {seed}, density {density}, step {t}"
                );
            }
        }
    }
    // A lone car (a 1 with free road ahead) drives one cell right per step, around the ring;
    // under the mirror rule 226 it drives left.
    let rows = Eca::single(11)
        .unwrap()
        .run(&rule(184), EcaBoundary::Wrap, 22)
        .unwrap();
    let back = Eca::single(11)
        .unwrap()
        .run(&rule(226), EcaBoundary::Wrap, 22)
        .unwrap();
    for t in 0..=22 {
        assert_eq!(extent(&rows[t]), ((5 + t) % 11, (5 + t) % 11), "step {t}");
        assert_eq!(
            extent(&back[t]),
            ((5 + 22 * 11 - t) % 11, (5 + 22 * 11 - t) % 11)
        );
    }
    // A jam clears from the front: 1110 becomes 1101.
    let jam = Eca::from_pattern("01110000", 8).unwrap();
    assert_eq!(
        jam.step(&rule(184), EcaBoundary::Wrap).to_string(),
        ".##.#..."
    );
}

#[test]
fn identity_complement_and_constant_rules() {
    for seed in 0..5 {
        let row = Eca::random(64, 0.5, seed).unwrap();
        let flipped: Vec<u8> = row.cells().iter().map(|&c| 1 - c).collect();
        for boundary in [
            EcaBoundary::Wrap,
            EcaBoundary::Fixed(0),
            EcaBoundary::Fixed(1),
        ] {
            assert_eq!(row.step(&rule(204), boundary), row, "204 is the identity");
            assert_eq!(
                row.step(&rule(51), boundary).cells(),
                flipped,
                "51 complements"
            );
            assert_eq!(row.step(&rule(0), boundary).population(), 0);
            assert_eq!(row.step(&rule(255), boundary).population(), 64);
            // Rule 170 shifts left (each cell copies its right neighbour), rule 240 right.
            let left = row.step(&rule(170), boundary);
            assert_eq!(left.cells()[..63], row.cells()[1..]);
            let right = row.step(&rule(240), boundary);
            assert_eq!(right.cells()[1..], row.cells()[..63]);
        }
    }
}

#[test]
fn next_reads_the_bits_of_the_rule_number() {
    for n in 0..=255u8 {
        let r = rule(n);
        let mut rebuilt = 0u8;
        for (l, c, rr) in (0..8u8).map(|i| (i >> 2, i >> 1 & 1, i & 1)) {
            rebuilt |= r.next(l, c, rr) << (4 * l + 2 * c + rr);
        }
        assert_eq!(rebuilt, n);
        assert_eq!(r.next(7, 0, 200), r.next(1, 0, 1), "non-zero counts as 1");
    }
    // Rule 30 by hand: 111→0 110→0 101→0 100→1 011→1 010→1 001→1 000→0.
    let r30 = rule(30);
    let outs: Vec<u8> = [
        (1, 1, 1),
        (1, 1, 0),
        (1, 0, 1),
        (1, 0, 0),
        (0, 1, 1),
        (0, 1, 0),
        (0, 0, 1),
        (0, 0, 0),
    ]
    .iter()
    .map(|&(l, c, r)| r30.next(l, c, r))
    .collect();
    assert_eq!(outs, [0, 0, 0, 1, 1, 1, 1, 0]);
}

#[test]
fn step_matches_the_naive_reference() {
    let boundaries = [
        EcaBoundary::Wrap,
        EcaBoundary::Fixed(0),
        EcaBoundary::Fixed(1),
        EcaBoundary::Fixed(9),
    ];
    for (i, w) in [1usize, 2, 3, 5, 16, 63].into_iter().enumerate() {
        for n in 0..=255u8 {
            for boundary in boundaries {
                let mut row = Eca::random(w, 0.5, (i * 256 + usize::from(n)) as u64).unwrap();
                for _ in 0..3 {
                    let next = row.step(&rule(n), boundary);
                    assert_eq!(
                        next.cells(),
                        naive_step(row.cells(), rule(n), boundary),
                        "width {w}, rule {n}, {boundary:?}"
                    );
                    row = next;
                }
            }
        }
    }
    let mut out = Eca::dead(1).unwrap();
    let row = Eca::random(40, 0.5, 1).unwrap();
    row.step_into(&rule(30), EcaBoundary::Wrap, &mut out);
    assert_eq!(out, row.step(&rule(30), EcaBoundary::Wrap));
}

#[test]
fn fixed_and_wrap_boundaries_differ_where_they_should() {
    // Rule 30 from one cell on a row of 5: the first two steps stay clear of the ends and all
    // boundaries agree; then the pattern touches the ends.
    let start = Eca::single(5).unwrap();
    let show = |b: EcaBoundary| -> Vec<String> {
        start
            .run(&rule(30), b, 3)
            .unwrap()
            .into_iter()
            .map(|r| Eca::from_cells(r).unwrap().to_string())
            .collect()
    };
    assert_eq!(
        show(EcaBoundary::Wrap),
        ["..#..", ".###.", "##..#", "..###"]
    );
    assert_eq!(
        show(EcaBoundary::Fixed(0)),
        ["..#..", ".###.", "##..#", "#.###"]
    );
    // Live cells beyond both ends are felt at once: 1 0 0 → 1 on the left, 0 0 1 → 1 on the
    // right.
    assert_eq!(
        show(EcaBoundary::Fixed(1)),
        ["..#..", "#####", ".....", "#...#"]
    );
    // On a ring of one the cell is its own neighbour on both sides.
    let one = Eca::single(1).unwrap();
    assert_eq!(
        one.step(&rule(0b0000_0001 << 7), EcaBoundary::Wrap).cells(),
        [1]
    );
    assert_eq!(
        one.step(&rule(0b0000_0001 << 7), EcaBoundary::Fixed(0))
            .cells(),
        [0]
    );
    assert_eq!(one.step(&rule(1 << 2), EcaBoundary::Fixed(0)).cells(), [1]);
}

#[test]
fn rules_parse_from_common_forms() {
    for (s, n) in [
        ("30", 30u8),
        ("rule30", 30),
        ("Rule 110", 110),
        (" RULE  90 ", 90),
        ("rule-184", 184),
        ("rule_0", 0),
        ("255", 255),
        ("007", 7),
    ] {
        assert_eq!(s.parse::<EcaRule>().unwrap(), rule(n), "{s}");
    }
    assert_eq!(rule(30).to_string(), "rule 30");
    assert_eq!(rule(30).to_string().parse::<EcaRule>().unwrap(), rule(30));
    assert_eq!(serde_json::to_string(&rule(110)).unwrap(), "110");
    assert_eq!(serde_json::from_str::<EcaRule>("90").unwrap(), rule(90));
    assert!(serde_json::from_str::<EcaRule>("256").is_err());
}

#[test]
fn malformed_rules_and_boundaries_explain_themselves() {
    let cases = [
        (
            "256",
            "malformed elementary rule '256': rule number out of range (expected 0..=255, e.g. 30 or rule30)",
        ),
        ("99999999999999999999999", "out of range"),
        ("-1", "not a rule number"),
        ("rule", "no rule number"),
        ("", "no rule number"),
        ("30x", "not a rule number"),
        ("rule 3 0", "not a rule number"),
        ("B3/S23", "not a rule number"),
        ("1\n2", "'1\\n2'"),
    ];
    for (s, want) in cases {
        let msg = s.parse::<EcaRule>().unwrap_err().to_string();
        assert!(msg.contains(want), "{s:?}: {msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
    let long = "x".repeat(1000);
    let msg = long.parse::<EcaRule>().unwrap_err().to_string();
    assert!(msg.len() < 200, "a long input is shortened: {msg}");

    for (s, b) in [
        ("wrap", EcaBoundary::Wrap),
        ("Fixed0", EcaBoundary::Fixed(0)),
        ("fixed1", EcaBoundary::Fixed(1)),
    ] {
        assert_eq!(s.parse::<EcaBoundary>().unwrap(), b);
    }
    for name in EcaBoundary::NAMES {
        assert_eq!(name.parse::<EcaBoundary>().unwrap().to_string(), name);
    }
    assert_eq!(EcaBoundary::Fixed(5).to_string(), "fixed1");
    assert_eq!(
        "fixed2".parse::<EcaBoundary>().unwrap_err().to_string(),
        "unknown boundary 'fixed2' (expected wrap, fixed0 or fixed1)"
    );
}

#[test]
fn patterns_are_centred_and_checked() {
    assert_eq!(Eca::from_pattern("1", 8).unwrap(), Eca::single(8).unwrap());
    assert_eq!(Eca::from_pattern("1", 7).unwrap(), Eca::single(7).unwrap());
    assert_eq!(Eca::from_pattern("110", 7).unwrap().to_string(), "..##...");
    assert_eq!(Eca::from_pattern("#.#", 8).unwrap().to_string(), "...#.#..");
    assert_eq!(Eca::from_pattern(" *..* ", 4).unwrap().to_string(), "#..#");
    assert_eq!(Eca::from_pattern("10", 2).unwrap().cells(), [1, 0]);
    assert_eq!(Eca::from_pattern("1011", 5).unwrap().to_string(), "#.##.");
    for w in 1..12 {
        for len in 1..=w {
            let p = "1".repeat(len);
            assert_eq!(
                Eca::from_pattern(&p, w).unwrap().population(),
                len,
                "{w} {len}"
            );
        }
    }
    let e = Eca::from_pattern("10201", 9).unwrap_err().to_string();
    assert_eq!(
        e,
        "malformed row pattern: unexpected character '2' at position 3 (expected 0/1, ./# or ./*)"
    );
    let e = Eca::from_pattern("111", 2).unwrap_err().to_string();
    assert_eq!(
        e,
        "malformed row pattern: 3 cells do not fit in a row of width 2"
    );
    assert!(
        Eca::from_pattern("", 5)
            .unwrap_err()
            .to_string()
            .contains("empty")
    );
    assert!(
        Eca::from_pattern("1\n1", 5)
            .unwrap_err()
            .to_string()
            .contains("'\\n'")
    );
    assert!(matches!(
        Eca::from_pattern("1", 0),
        Err(LifeError::EcaWidth(0))
    ));
}

#[test]
fn rows_check_their_width_and_density() {
    assert_eq!(
        Eca::single(0).unwrap_err().to_string(),
        "row width 0 is out of range (1..=1000000)"
    );
    assert!(Eca::dead(MAX_ECA_WIDTH).is_ok());
    assert!(matches!(
        Eca::single(MAX_ECA_WIDTH + 1),
        Err(LifeError::EcaWidth(_))
    ));
    assert!(Eca::from_cells(vec![]).is_err());
    assert_eq!(Eca::from_cells(vec![0, 3, 1]).unwrap().cells(), [0, 1, 1]);

    let a = Eca::random(1000, 0.3, 7).unwrap();
    assert_eq!(a, Eca::random(1000, 0.3, 7).unwrap());
    assert_ne!(a, Eca::random(1000, 0.3, 8).unwrap());
    assert!((0.25..0.35).contains(&a.density()), "{}", a.density());
    assert_eq!(Eca::random(10, 0.0, 1).unwrap().density(), 0.0);
    assert_eq!(Eca::random(10, 1.0, 1).unwrap().density(), 1.0);
    assert_eq!(Eca::single(4).unwrap().density(), 0.25);
    for d in [-0.1, 1.5, f64::NAN] {
        assert!(matches!(
            Eca::random(8, d, 1),
            Err(LifeError::BadDensity(_))
        ));
    }
}

#[test]
fn runs_are_limited() {
    let row = Eca::single(10).unwrap();
    assert_eq!(
        row.run(&rule(30), EcaBoundary::Wrap, 0).unwrap(),
        [row.cells().to_vec()]
    );
    assert_eq!(row.run(&rule(30), EcaBoundary::Wrap, 5).unwrap().len(), 6);
    let e = row
        .run(&rule(30), EcaBoundary::Wrap, MAX_ECA_STEPS + 1)
        .unwrap_err();
    assert!(matches!(e, LifeError::EcaRun { .. }), "{e}");
    let wide = Eca::dead(MAX_ECA_WIDTH).unwrap();
    let e = wide
        .run(&rule(30), EcaBoundary::Wrap, 100)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "a run of 100 steps at width 1000000 is too large (at most 1000000 steps and 67108864 cells in the diagram)"
    );
    assert!(check_eca_run(1, MAX_ECA_STEPS).is_ok());
    assert!(check_eca_run(usize::MAX, usize::MAX).is_err());
    assert!(check_eca_run(128, MAX_ECA_CELLS / 128 - 1).is_ok());
    assert!(check_eca_run(128, MAX_ECA_CELLS / 128).is_err());
}
