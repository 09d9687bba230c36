"""Classic cellular automata: Life-like grids (B/S rules, RLE), elementary (Wolfram) CA and
Lenia, from the `nca-life` Rust crate.

>>> from nca import life
>>> g = life.Grid.pattern("glider", margin=4)
>>> g.step(4).population
5
>>> life.eca(30, steps=3, width=7).tolist()[1]
[0, 0, 1, 1, 1, 0, 0]
"""

from ._native import Grid, Lenia, eca_run as eca, lenia_patterns, life_patterns as patterns

__all__ = ["Grid", "Lenia", "eca", "lenia_patterns", "patterns"]
