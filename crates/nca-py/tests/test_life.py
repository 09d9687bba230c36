"""The classic automata from Python."""

import numpy as np
import pytest

from nca import life


def test_a_glider_moves_one_cell_diagonally_every_four_generations():
    g = life.Grid.pattern("glider", margin=6)
    start = g.cells
    g.step(4)
    assert g.generation == 4 and g.population == 5
    assert np.array_equal(np.roll(start, (1, 1), axis=(0, 1)), g.cells)


def test_rle_round_trips_and_rules_apply():
    g = life.Grid.pattern("x = 3, y = 1, rule = B3/S23\n3o!", margin=2)
    assert g.population == 3 and g.rule == "B3/S23"
    assert life.Grid.pattern(g.to_rle(), margin=2).population == 3
    blinker = g.cells
    assert np.array_equal(g.step(2).cells, blinker)
    seeds = life.Grid(cells=blinker, rule="B2/S")  # Seeds: every live cell dies
    assert seeds.step().population > 0 and not np.array_equal(seeds.cells, blinker)
    r = life.Grid.random(32, 16, density=0.3, seed=1)
    assert r.cells.shape == (16, 32) and 0 < r.population < 32 * 16
    assert "glider" in life.patterns()


def test_elementary_rules():
    rows = life.eca(30, steps=2, width=7)
    assert rows.tolist() == [[0, 0, 0, 1, 0, 0, 0], [0, 0, 1, 1, 1, 0, 0], [0, 1, 1, 0, 0, 1, 0]]
    assert life.eca(90, steps=3, width=9)[3].tolist() == [0, 1, 0, 1, 0, 1, 0, 1, 0]
    assert life.eca(184, steps=1, start=np.array([1, 1, 0, 0]))[1].tolist() == [1, 0, 1, 0]


def test_lenia_orbium_lives():
    w = life.Lenia("orbium", 64, 64)
    m0 = w.mass
    w.step(100)
    assert w.steps == 100 and w.cells.shape == (1, 64, 64)
    assert 0.5 * m0 < w.mass < 2 * m0
    w.cells = np.zeros((1, 64, 64), np.float32)
    assert w.step().mass == 0
    assert "orbium" in life.lenia_patterns()


def test_bad_classic_inputs():
    with pytest.raises(ValueError, match="rule"):
        life.Grid(8, 8, rule="B9/S23")
    with pytest.raises(ValueError, match="topology"):
        life.Grid(8, 8, topology="klein")
    with pytest.raises(ValueError):
        life.Grid.pattern("no-such-pattern")
    with pytest.raises(ValueError, match="0..=255"):
        life.eca(256, steps=1)
    with pytest.raises(ValueError):
        life.Lenia("no-such-creature")
    with pytest.raises(ValueError, match="shape"):
        w = life.Lenia("orbium", 32, 32)
        w.cells = np.zeros((1, 16, 16), np.float32)
