//! Behaviour of the classic patterns and rules, checked end to end.

use super::*;

/// A straightforward reference step: count the eight neighbours of every cell.
fn naive_step(g: &Grid, rule: &Rule) -> Vec<u8> {
    let (w, h) = (g.width() as i64, g.height() as i64);
    let mut out = vec![0; g.cells().len()];
    for y in 0..h {
        for x in 0..w {
            let mut n = 0u8;
            for dy in -1..=1 {
                for dx in -1..=1 {
                    if (dx, dy) == (0, 0) {
                        continue;
                    }
                    let (mut nx, mut ny) = (x + dx, y + dy);
                    if g.topology() == Topology::Torus {
                        nx = nx.rem_euclid(w);
                        ny = ny.rem_euclid(h);
                    }
                    if nx >= 0 && ny >= 0 && g.get(nx as usize, ny as usize) {
                        n += 1;
                    }
                }
            }
            let alive = g.get(x as usize, y as usize);
            let next = if alive {
                rule.survives(n)
            } else {
                rule.births(n)
            };
            out[(y * w + x) as usize] = u8::from(next);
        }
    }
    out
}

fn grid_with(name: &str, w: usize, h: usize, topology: Topology, x: usize, y: usize) -> Grid {
    let mut g = Grid::new(w, h, topology).unwrap();
    g.place(&Pattern::named(name).unwrap(), x, y).unwrap();
    g
}

#[test]
fn step_matches_the_naive_reference() {
    let sizes = [(1, 1), (1, 7), (7, 1), (2, 2), (3, 5), (17, 9), (32, 32)];
    for (i, &(w, h)) in sizes.iter().enumerate() {
        for topology in [Topology::Torus, Topology::Bounded] {
            for name in Rule::NAMES {
                let rule = Rule::named(name).unwrap();
                let mut g = Grid::random_soup(w, h, topology, 0.4, i as u64).unwrap();
                for _ in 0..5 {
                    let next = g.step(&rule);
                    assert_eq!(
                        next.cells(),
                        naive_step(&g, &rule),
                        "{w}x{h} {topology:?} {name}"
                    );
                    g = next;
                }
            }
        }
    }
}

#[test]
fn glider_moves_one_cell_diagonally_every_four_steps() {
    let life = Rule::life();
    let g = grid_with("glider", 12, 10, Topology::Torus, 2, 3);
    assert_eq!(
        g.run(&life, 4),
        grid_with("glider", 12, 10, Topology::Torus, 3, 4)
    );
    let mut t = g.clone();
    for _ in 0..40 {
        t = t.step(&life);
        assert_eq!(t.population(), 5);
    }
    // On a 12x10 torus it wraps: after 4·60 steps it is back where it started (lcm(12, 10) = 60).
    assert_eq!(g.run(&life, 240), g);
}

#[test]
fn oscillators_have_period_two() {
    let life = Rule::life();
    for name in ["blinker", "toad", "beacon"] {
        let g = grid_with(name, 10, 10, Topology::Bounded, 3, 3);
        let one = g.step(&life);
        assert_ne!(one, g, "{name}");
        assert_eq!(one.step(&life), g, "{name}");
    }
}

#[test]
fn lwss_moves_two_cells_left_every_four_steps() {
    let g = grid_with("lwss", 20, 10, Topology::Torus, 10, 3);
    assert_eq!(
        g.run(&Rule::life(), 4),
        grid_with("lwss", 20, 10, Topology::Torus, 8, 3)
    );
}

#[test]
fn gosper_gun_emits_a_glider_every_thirty_steps() {
    let life = Rule::life();
    let g = grid_with("gosper-glider-gun", 80, 60, Topology::Bounded, 1, 1);
    assert_eq!(g.population(), 36);
    let g30 = g.run(&life, 30);
    assert_eq!(g30.population(), 36 + 5);
    assert_eq!(g30.run(&life, 30).population(), 36 + 2 * 5);
    // The gun itself is back in its initial state: every original cell is live again and the
    // five new cells are the glider.
    let added = g
        .cells()
        .iter()
        .zip(g30.cells())
        .filter(|(a, b)| {
            assert!(**a <= **b, "a cell of the gun died");
            a != b
        })
        .count();
    assert_eq!(added, 5);
}

#[test]
fn diehard_vanishes_after_130_steps() {
    let life = Rule::life();
    let mut g = Grid::new(60, 60, Topology::Bounded).unwrap();
    g.place_centered(&Pattern::named("diehard").unwrap())
        .unwrap();
    let g129 = g.run(&life, 129);
    assert!(g129.population() > 0);
    assert_eq!(g129.step(&life).population(), 0);
}

#[test]
fn highlife_births_with_six_neighbours() {
    // A dead centre cell with six live neighbours.
    let p: Pattern = "x = 3, y = 3\n3o$obo$ob!".parse().unwrap();
    assert_eq!(p.population(), 6);
    let mut g = Grid::new(7, 7, Topology::Bounded).unwrap();
    g.place(&p, 2, 2).unwrap();
    assert!(!g.get(3, 3));
    assert!(g.step(&"highlife".parse().unwrap()).get(3, 3));
    assert!(!g.step(&Rule::life()).get(3, 3));
    // B36/S23 parsed from text agrees with the named rule.
    assert_eq!(
        "B36/S23".parse::<Rule>().unwrap(),
        Rule::named("highlife").unwrap()
    );
}

#[test]
fn seeds_kills_every_live_cell_each_step() {
    let seeds: Rule = "B2/S".parse().unwrap();
    let mut g = Grid::random_soup(40, 30, Topology::Torus, 0.3, 11).unwrap();
    for _ in 0..10 {
        let next = g.step(&seeds);
        for (a, b) in g.cells().iter().zip(next.cells()) {
            assert!(!(*a == 1 && *b == 1), "a live cell survived");
        }
        g = next;
    }
}

#[test]
fn bounded_and_torus_differ_at_the_edge() {
    // A vertical blinker on the left edge: on a torus its horizontal phase wraps to the right
    // edge; with dead borders the cell beyond the edge is lost.
    let vertical: Pattern = "x = 1, y = 3\no$o$o!".parse().unwrap();
    let life = Rule::life();
    let mut t = Grid::new(6, 6, Topology::Torus).unwrap();
    let mut b = Grid::new(6, 6, Topology::Bounded).unwrap();
    t.place(&vertical, 0, 1).unwrap();
    b.place(&vertical, 0, 1).unwrap();
    let (t1, b1) = (t.step(&life), b.step(&life));
    assert!(t1.get(5, 2) && !b1.get(5, 2));
    assert_eq!(t1.population(), 3);
    assert_eq!(b1.population(), 2);
    assert_ne!(t1.cells(), b1.cells());
    // Far from the edges they agree.
    let mid_t = grid_with("blinker", 8, 8, Topology::Torus, 3, 3);
    let mid_b = grid_with("blinker", 8, 8, Topology::Bounded, 3, 3);
    assert_eq!(mid_t.step(&life).cells(), mid_b.step(&life).cells());
}

#[test]
fn evolved_grid_round_trips_through_rle() {
    let g = Grid::random_soup(37, 23, Topology::Torus, 0.35, 5)
        .unwrap()
        .run(&Rule::life(), 20);
    let p = g.to_pattern().with_rule(Some(Rule::life()));
    let back: Pattern = p.to_rle().parse().unwrap();
    assert_eq!(back, p);
    let again = Grid::from_cells(37, 23, Topology::Torus, back.cells().to_vec()).unwrap();
    assert_eq!(again, g);
}

#[test]
fn large_soup_steps_quickly() {
    // The performance target: 512x512 for 1000 steps.
    let g = Grid::random_soup(512, 512, Topology::Torus, 0.3, 1).unwrap();
    let start = std::time::Instant::now();
    let end = g.run(&Rule::life(), 1000);
    let took = start.elapsed();
    println!("1000 steps of 512x512 took {took:?}");
    assert!(end.population() > 0);
    assert!(
        took.as_secs_f64() < 30.0,
        "1000 steps of 512x512 took {took:?}"
    );
}
