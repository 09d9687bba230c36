//! Built-in patterns by name, stored as RLE.

use super::error::LifeError;
use super::pattern::Pattern;

/// Every built-in pattern: name and RLE text.
const LIBRARY: [(&str, &str); 9] = [
    ("glider", "x = 3, y = 3, rule = B3/S23\nbob$2bo$3o!"),
    ("blinker", "x = 3, y = 1, rule = B3/S23\n3o!"),
    ("toad", "x = 4, y = 2, rule = B3/S23\nb3o$3o!"),
    ("beacon", "x = 4, y = 4, rule = B3/S23\n2o$o$3bo$2b2o!"),
    ("lwss", "x = 5, y = 4, rule = B3/S23\nbo2bo$o4b$o3bo$4o!"),
    ("r-pentomino", "x = 3, y = 3, rule = B3/S23\nb2o$2o$bo!"),
    ("diehard", "x = 8, y = 3, rule = B3/S23\n6bo$2o$bo3b3o!"),
    ("acorn", "x = 7, y = 3, rule = B3/S23\nbo$3bo$2o2b3o!"),
    (
        "gosper-glider-gun",
        "x = 36, y = 9, rule = B3/S23\n24bo$22bobo$12b2o6b2o12b2o$11bo3bo4b2o12b2o$2o8bo5bo3b2o$\
         2o8bo3bob2o4bobo$10bo5bo7bo$11bo3bo$12b2o!",
    ),
];

/// The names of the built-in patterns.
pub fn pattern_names() -> Vec<&'static str> {
    LIBRARY.iter().map(|(n, _)| *n).collect()
}

impl Pattern {
    /// The built-in pattern with this name (case-insensitive; `_` and spaces count as `-`):
    /// glider, blinker, toad, beacon, lwss, r-pentomino, diehard, acorn or gosper-glider-gun.
    /// The pattern carries its name and the rule B3/S23.
    pub fn named(name: &str) -> Result<Pattern, LifeError> {
        let key = name.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        let Some((n, text)) = LIBRARY.iter().find(|(n, _)| *n == key) else {
            return Err(LifeError::UnknownPattern {
                name: name.escape_debug().to_string(),
                known: pattern_names().join(", "),
            });
        };
        Ok(Pattern::from_rle(text)?.with_name(Some((*n).to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Rule;

    #[test]
    fn every_pattern_parses_with_its_known_population() {
        let expected = [
            ("glider", 5, (3, 3)),
            ("blinker", 3, (3, 1)),
            ("toad", 6, (4, 2)),
            ("beacon", 6, (4, 4)),
            ("lwss", 9, (5, 4)),
            ("r-pentomino", 5, (3, 3)),
            ("diehard", 7, (8, 3)),
            ("acorn", 7, (7, 3)),
            ("gosper-glider-gun", 36, (36, 9)),
        ];
        assert_eq!(expected.len(), LIBRARY.len());
        for (name, pop, size) in expected {
            let p = Pattern::named(name).unwrap();
            assert_eq!(p.population(), pop, "{name}");
            assert_eq!((p.width(), p.height()), size, "{name}");
            assert_eq!(p.rule(), Some(Rule::life()));
            assert_eq!(p.name(), Some(name));
        }
    }

    #[test]
    fn names_are_forgiving() {
        assert_eq!(
            Pattern::named("Gosper_Glider Gun").unwrap(),
            Pattern::named("gosper-glider-gun").unwrap()
        );
    }

    #[test]
    fn unknown_name_lists_the_known_ones() {
        let e = Pattern::named("spaceship").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown pattern 'spaceship' (known: glider, blinker, toad, beacon, lwss, \
             r-pentomino, diehard, acorn, gosper-glider-gun)"
        );
    }
}
