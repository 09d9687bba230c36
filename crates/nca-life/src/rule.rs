//! [`Rule`]: which neighbour counts give birth to a dead cell and which let a live cell survive,
//! parsed from B/S notation (`B3/S23`) or a rule name.

use std::fmt;
use std::str::FromStr;

use super::error::LifeError;

/// A Life-like (outer-totalistic, Moore neighbourhood) rule.
///
/// Parse one with [`str::parse`] from `"B3/S23"`, `"b36/s23"`, `"S23/B3"`, `"B3S23"`, the
/// survival/birth form `"23/3"`, or a name in [`Rule::NAMES`]. It displays in canonical form,
/// `B3/S23`, and serialises as that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rule {
    /// Bit `n` set: a dead cell with `n` live neighbours is born.
    birth: u16,
    /// Bit `n` set: a live cell with `n` live neighbours survives.
    survive: u16,
}

/// Named rules and their B/S notation.
const NAMED: [(&str, &str); 4] = [
    ("life", "B3/S23"),
    ("highlife", "B36/S23"),
    ("seeds", "B2/S"),
    ("daynight", "B3678/S34678"),
];

fn mask(counts: &[u8]) -> Option<u16> {
    // The shift only for counts in range: `1 << n` overflows a u16 from 16 on.
    counts
        .iter()
        .try_fold(0u16, |m, &n| if n <= 8 { Some(m | 1 << n) } else { None })
}

impl Rule {
    /// The names [`Rule::named`] and parsing accept.
    pub const NAMES: [&'static str; 4] = ["life", "highlife", "seeds", "daynight"];

    /// A rule from the neighbour counts (each `0..=8`) that cause birth and survival.
    pub fn new(birth: &[u8], survive: &[u8]) -> Result<Rule, LifeError> {
        match (mask(birth), mask(survive)) {
            (Some(birth), Some(survive)) => Ok(Rule { birth, survive }),
            _ => {
                let bad = birth.iter().chain(survive).find(|&&n| n > 8).copied();
                Err(LifeError::Rule {
                    rule: format!("B{birth:?}/S{survive:?}"),
                    reason: format!("count {} out of range 0..8", bad.unwrap_or(9)),
                })
            }
        }
    }

    /// Conway's Game of Life, B3/S23.
    pub fn life() -> Rule {
        Rule {
            birth: 1 << 3,
            survive: 1 << 2 | 1 << 3,
        }
    }

    /// The rule with this name (case-insensitive): `life` (B3/S23), `highlife` (B36/S23),
    /// `seeds` (B2/S) or `daynight` (B3678/S34678).
    pub fn named(name: &str) -> Option<Rule> {
        let name = name.trim().to_ascii_lowercase();
        NAMED
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, bs)| parse_bs(&bs.to_ascii_lowercase()).ok())
    }

    /// True when a dead cell with `neighbours` live neighbours is born.
    pub fn births(&self, neighbours: u8) -> bool {
        neighbours <= 8 && self.birth & (1 << neighbours) != 0
    }

    /// True when a live cell with `neighbours` live neighbours survives.
    pub fn survives(&self, neighbours: u8) -> bool {
        neighbours <= 8 && self.survive & (1 << neighbours) != 0
    }

    /// The next state for every `(alive, neighbours)` pair, at index `alive · 16 + neighbours`
    /// (a power-of-two layout so that the stepping loop can mask instead of bounds-check).
    pub(crate) fn table(&self) -> [u8; 32] {
        let mut t = [0u8; 32];
        for n in 0..=8u8 {
            t[usize::from(n)] = u8::from(self.births(n));
            t[16 + usize::from(n)] = u8::from(self.survives(n));
        }
        t
    }
}

impl Default for Rule {
    /// Conway's Game of Life.
    fn default() -> Self {
        Rule::life()
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = |m: u16| -> String {
            (0..=8u8)
                .filter(|n| m & (1 << n) != 0)
                .map(|n| char::from(b'0' + n))
                .collect()
        };
        write!(f, "B{}/S{}", digits(self.birth), digits(self.survive))
    }
}

/// Parses the digits of one half of a rule into a mask.
fn digits(part: &str) -> Result<u16, String> {
    let mut m = 0u16;
    for c in part.chars() {
        match c.to_digit(10) {
            Some(d) if d <= 8 => m |= 1 << d,
            Some(d) => return Err(format!("digit {d} out of range 0..8")),
            None => return Err(format!("unexpected character '{}'", c.escape_debug())),
        }
    }
    Ok(m)
}

/// Parses B/S notation (already lower-cased and trimmed); the error is the reason only.
fn parse_bs(s: &str) -> Result<Rule, String> {
    if s.is_empty() {
        return Err("empty rule".into());
    }
    let parts: Vec<&str> = s.split('/').map(str::trim).collect();
    let (first, second) = match parts.as_slice() {
        [one] => {
            // "b3s23" or "s23b3" without a slash.
            let split = match one.chars().next() {
                Some('b') => one.find('s'),
                Some('s') => one.find('b'),
                _ => None,
            };
            match split {
                Some(i) => one.split_at(i),
                None => return Err("missing '/' between birth and survival".into()),
            }
        }
        [a, b] => (*a, *b),
        _ => return Err("expected two parts separated by '/'".into()),
    };
    let letter = |p: &str| p.chars().next().filter(|c| *c == 'b' || *c == 's');
    match (letter(first), letter(second)) {
        (None, None) => Ok(Rule {
            survive: digits(first)?,
            birth: digits(second)?,
        }),
        (Some(a), Some(b)) if a == b => Err(if a == 'b' {
            "birth given twice".into()
        } else {
            "survival given twice".into()
        }),
        (Some(a), Some(_)) => {
            let (b, s) = if a == 'b' {
                (first, second)
            } else {
                (second, first)
            };
            Ok(Rule {
                birth: digits(&b[1..])?,
                survive: digits(&s[1..])?,
            })
        }
        _ => Err("mixes B/S letters with the digits-only S/B form".into()),
    }
}

impl FromStr for Rule {
    type Err = LifeError;

    fn from_str(s: &str) -> Result<Rule, LifeError> {
        if let Some(rule) = Rule::named(s) {
            return Ok(rule);
        }
        let lower = s.trim().to_ascii_lowercase();
        parse_bs(&lower).map_err(|reason| {
            let looks_like_name = lower.len() > 1
                && lower.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
                && !lower.starts_with('b')
                && !lower.starts_with('s');
            LifeError::Rule {
                rule: s.trim().escape_debug().to_string(),
                reason: if looks_like_name {
                    format!(
                        "not B/S notation nor a known rule name ({})",
                        Rule::NAMES.join(", ")
                    )
                } else {
                    reason
                },
            }
        })
    }
}

impl TryFrom<String> for Rule {
    type Error = LifeError;

    fn try_from(s: String) -> Result<Rule, LifeError> {
        s.parse()
    }
}

impl From<Rule> for String {
    fn from(r: Rule) -> String {
        r.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Rule {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_common_forms() {
        let life = Rule::life();
        for s in [
            "B3/S23",
            "b3/s23",
            "S23/B3",
            "23/3",
            "B3S23",
            "s23b3",
            " B3 / S23 ",
            "life",
        ] {
            assert_eq!(p(s), life, "{s}");
        }
        assert_eq!(p("B36/S23").to_string(), "B36/S23");
        assert_eq!(p("highlife"), p("B36/S23"));
        assert_eq!(p("B2/S").to_string(), "B2/S");
        assert_eq!(p("Seeds"), p("B2/S"));
        assert_eq!(p("daynight").to_string(), "B3678/S34678");
        assert_eq!(p("/3").to_string(), "B3/S");
        assert_eq!(p("B/S").to_string(), "B/S");
        assert_eq!(p("B0/S8"), Rule::new(&[0], &[8]).unwrap());
        assert_eq!(Rule::default(), life);
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        for name in Rule::NAMES {
            let r = Rule::named(name).unwrap();
            assert_eq!(p(&r.to_string()), r);
        }
        assert_eq!(p("b33/s3322").to_string(), "B3/S23");
    }

    #[test]
    fn birth_and_survival_queries() {
        let r = p("B36/S23");
        assert!(r.births(3) && r.births(6) && !r.births(2));
        assert!(r.survives(2) && r.survives(3) && !r.survives(6));
        assert!(!r.births(9) && !r.survives(200));
        let t = r.table();
        assert_eq!(t[6], 1);
        assert_eq!(t[16 + 2], 1);
        assert_eq!(t[16 + 6], 0);
    }

    #[test]
    fn malformed_rules_explain_themselves() {
        let cases = [
            (
                "B9/S23",
                "malformed rule 'B9/S23': digit 9 out of range 0..8 (expected e.g. B3/S23)",
            ),
            ("", "malformed rule '': empty rule (expected e.g. B3/S23)"),
            ("B3x/S23", "unexpected character 'x'"),
            ("B3/B2", "birth given twice"),
            ("S3/S2", "survival given twice"),
            ("B3", "missing '/'"),
            ("B3/S2/4", "two parts"),
            ("B3/23", "mixes"),
            (
                "conway",
                "known rule name (life, highlife, seeds, daynight)",
            ),
            ("B3/S2\n3", "B3/S2\\n3"),
        ];
        for (s, want) in cases {
            let e = s.parse::<Rule>().unwrap_err();
            let msg = e.to_string();
            assert!(msg.contains(want), "{s}: {msg}");
            assert!(!msg.contains('\n'), "{msg}");
        }
        assert!(Rule::new(&[3], &[9]).is_err());
        assert!(
            Rule::new(&[3], &[9])
                .unwrap_err()
                .to_string()
                .contains("count 9")
        );
    }

    /// Found by `fuzz/fuzz_targets/rule.rs`: a count of 16 or more overflowed the shift (a
    /// panic in builds with overflow checks) instead of being refused.
    #[test]
    fn new_refuses_counts_too_large_to_shift() {
        for n in [9u8, 15, 16, 115, 255] {
            let e = Rule::new(&[3], &[2, n]).unwrap_err();
            assert!(e.to_string().contains(&format!("count {n} ")), "{e}");
            assert!(Rule::new(&[n], &[]).is_err());
        }
    }

    #[test]
    fn serde_uses_the_notation() {
        let json = serde_json::to_string(&p("highlife")).unwrap();
        assert_eq!(json, "\"B36/S23\"");
        assert_eq!(serde_json::from_str::<Rule>(&json).unwrap(), p("B36/S23"));
        assert!(serde_json::from_str::<Rule>("\"B9/S1\"").is_err());
    }
}
