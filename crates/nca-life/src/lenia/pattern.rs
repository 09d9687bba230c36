//! Lenia patterns: a rule and its cells, in the JSON of Chakazul's `animals` files.
//!
//! One pattern is one JSON object:
//!
//! ```json
//! {"code": "O2u", "name": "Orbium unicaudatus",
//!  "params": {"R": 13, "T": 10, "b": "1", "m": 0.15, "s": 0.015, "kn": 1, "gn": 1},
//!  "cells": "7.MD6.qL$6.pKqEqFURpApBRAqQ$…!"}
//! ```
//!
//! - `params`: `R` (kernel radius in cells), `T` (steps per unit time), `b` (ring peaks: a
//!   comma-separated list of fractions such as `"1/2,1"`, or a JSON array of numbers), `m`
//!   and `s` (growth `μ`, `σ`), `kn` (kernel core, 1 polynomial, 2 exponential, 3 step,
//!   4 staircase) and `gn` (growth, 1 polynomial, 2 Gaussian, 3 step). A multi-kernel rule
//!   gives an array of such objects, each with `c: [source, target]`, and optionally `h`
//!   (growth weight, default 1) and `r` (radius relative to `R`, default 1); its `R` and `T`
//!   are the first kernel's.
//! - `cells`: a run-length string of states 0..255 (divided by 255): `.` (or `b`) is 0, `o` is
//!   255, `A`..`X` are 1..24, a prefix `p`..`y` and a letter are `25 + 24·prefix + letter`; a
//!   number before a state repeats it, `$` ends a row (a number before it adds empty rows),
//!   `!` ends the pattern; short rows are padded with 0. A multi-channel pattern gives an
//!   array of strings, one per channel.
//! - `code`, `name`: optional labels; the shipped file adds `id` (the short name a command
//!   line takes) and `source`.
//!
//! The shipped patterns (`patterns/lenia.json` of this crate) are entries of Chakazul/Lenia's
//! `Python/animals.json` (MIT licence), copied with their published parameters and cells.

use serde_json::Value;

use super::{Growth, KernelCore, LeniaError, LeniaKernel, LeniaParams};

/// The shipped patterns, as one JSON array.
const SHIPPED: &str = include_str!("../../patterns/lenia.json");

/// Largest side of a pattern's cell array.
const MAX_PATTERN_SIDE: usize = 1024;

/// A Lenia pattern: a rule and the cells that live under it.
#[derive(Debug, Clone, PartialEq)]
pub struct LeniaPattern {
    /// Short name (`orbium`), or the code where the file has no `id`.
    pub id: String,
    /// The reference's code (`O2u`), if any.
    pub code: String,
    /// Full name (`Orbium unicaudatus`), if any.
    pub name: String,
    /// The rule.
    pub params: LeniaParams,
    /// Width of the cell array.
    pub width: usize,
    /// Height of the cell array.
    pub height: usize,
    /// States `[channel][y][x]` in `[0,1]`.
    pub cells: Vec<f32>,
}

impl LeniaPattern {
    /// Parses one pattern from JSON text.
    pub fn from_json(text: &str) -> Result<Self, LeniaError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| LeniaError::Pattern(format!("not JSON: {e}")))?;
        Self::from_value(&value)
    }

    /// Parses one pattern from a parsed JSON object.
    pub fn from_value(value: &Value) -> Result<Self, LeniaError> {
        let obj = value
            .as_object()
            .ok_or_else(|| bad("a pattern must be a JSON object".into()))?;
        let text = |key: &str| {
            obj.get(key)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let params_value = obj
            .get("params")
            .ok_or_else(|| bad("missing \"params\"".into()))?;
        let (params, one_channel) = match params_value {
            Value::Object(_) => (parse_kernels(std::slice::from_ref(params_value))?, true),
            Value::Array(list) => (parse_kernels(list)?, false),
            _ => return Err(bad("\"params\" must be an object or an array".into())),
        };
        let cell_strings: Vec<&str> = match obj.get("cells") {
            Some(Value::String(s)) if one_channel => vec![s.as_str()],
            Some(Value::Array(list)) => list
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| bad("\"cells\" entries must be strings".into()))
                })
                .collect::<Result<_, _>>()?,
            Some(Value::String(_)) => vec![obj["cells"].as_str().unwrap_or_default()],
            Some(_) => {
                return Err(bad(
                    "\"cells\" must be a string or an array of strings".into()
                ));
            }
            None => return Err(bad("missing \"cells\"".into())),
        };
        let mut params = params;
        params.channels = cell_strings.len().max(
            params
                .kernels
                .iter()
                .map(|k| k.source.max(k.target) + 1)
                .max()
                .unwrap_or(1),
        );
        if cell_strings.len() != params.channels {
            return Err(bad(format!(
                "the kernels link {} channels but \"cells\" has {}",
                params.channels,
                cell_strings.len()
            )));
        }
        params.validate()?;
        let grids: Vec<(usize, usize, Vec<f32>)> = cell_strings
            .iter()
            .map(|s| decode_cells(s))
            .collect::<Result<_, _>>()?;
        let width = grids.iter().map(|g| g.0).max().unwrap_or(0);
        let height = grids.iter().map(|g| g.1).max().unwrap_or(0);
        if width == 0 || height == 0 {
            return Err(bad("\"cells\" is empty".into()));
        }
        let mut cells = vec![0f32; params.channels * width * height];
        for (c, (w, h, values)) in grids.iter().enumerate() {
            for y in 0..*h {
                let dst = (c * height + y) * width;
                cells[dst..dst + w].copy_from_slice(&values[y * w..(y + 1) * w]);
            }
        }
        let code = text("code");
        let id = match text("id") {
            s if s.is_empty() => code.clone(),
            s => s,
        };
        Ok(Self {
            id,
            code,
            name: text("name"),
            params,
            width,
            height,
            cells,
        })
    }
}

/// The names of the shipped patterns.
pub fn lenia_pattern_names() -> Vec<String> {
    shipped()
        .map(|p| p.into_iter().map(|p| p.id).collect())
        .unwrap_or_default()
}

/// A shipped pattern by its id (`orbium`), case-insensitive.
pub fn lenia_pattern(name: &str) -> Result<LeniaPattern, LeniaError> {
    let all = shipped()?;
    let known = all
        .iter()
        .map(|p| p.id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    all.iter()
        .find(|p| p.id.eq_ignore_ascii_case(name.trim()))
        .cloned()
        .ok_or_else(|| LeniaError::UnknownPattern {
            name: name.escape_debug().to_string(),
            known,
        })
}

fn shipped() -> Result<Vec<LeniaPattern>, LeniaError> {
    let list: Vec<Value> = serde_json::from_str(SHIPPED)
        .map_err(|e| bad(format!("shipped patterns are not a JSON array: {e}")))?;
    list.iter().map(LeniaPattern::from_value).collect()
}

fn bad(message: String) -> LeniaError {
    LeniaError::Pattern(message)
}

/// The kernels of a `params` object (one kernel) or array (several).
fn parse_kernels(list: &[Value]) -> Result<LeniaParams, LeniaError> {
    if list.is_empty() {
        return Err(bad("\"params\" has no kernel".into()));
    }
    let mut kernels = Vec::with_capacity(list.len());
    let (mut radius, mut time_steps) = (0.0, 0.0);
    for (i, v) in list.iter().enumerate() {
        let o = v
            .as_object()
            .ok_or_else(|| bad(format!("kernel {i} of \"params\" is not an object")))?;
        let num = |key: &str| -> Result<Option<f64>, LeniaError> {
            match o.get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_f64()
                    .map(Some)
                    .ok_or_else(|| bad(format!("\"{key}\" of kernel {i} is not a number"))),
            }
        };
        let need = |key: &str| -> Result<f64, LeniaError> {
            num(key)?.ok_or_else(|| bad(format!("kernel {i} of \"params\" has no \"{key}\"")))
        };
        let index = |key: &str| -> Result<u32, LeniaError> {
            let v = num(key)?.unwrap_or(1.0);
            if v.fract() != 0.0 || !(0.0..=16.0).contains(&v) {
                return Err(bad(format!(
                    "\"{key}\" of kernel {i} must be a small integer"
                )));
            }
            Ok(v as u32)
        };
        if i == 0 {
            radius = need("R")?;
            time_steps = need("T")?;
        }
        let peaks = match o.get("b") {
            Some(Value::String(s)) => {
                parse_fractions(s).map_err(|e| bad(format!("kernel {i}: {e}")))?
            }
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_f64()
                        .ok_or_else(|| bad(format!("\"b\" of kernel {i} has a non-number")))
                })
                .collect::<Result<_, _>>()?,
            Some(Value::Number(n)) => vec![n.as_f64().unwrap_or(f64::NAN)],
            _ => return Err(bad(format!("kernel {i} of \"params\" has no \"b\""))),
        };
        let (source, target) = match o.get("c") {
            None => (0, 0),
            Some(Value::Array(c)) if c.len() == 2 => {
                let ch = |v: &Value| {
                    v.as_u64()
                        .filter(|&c| c < super::MAX_LENIA_CHANNELS as u64)
                        .map(|c| c as usize)
                        .ok_or_else(|| {
                            bad(format!("\"c\" of kernel {i} must be two channel numbers"))
                        })
                };
                (ch(&c[0])?, ch(&c[1])?)
            }
            Some(_) => return Err(bad(format!("\"c\" of kernel {i} must be [source, target]"))),
        };
        kernels.push(LeniaKernel {
            peaks,
            relative_radius: num("r")?.unwrap_or(1.0),
            mu: need("m")? as f32,
            sigma: need("s")? as f32,
            weight: num("h")?.unwrap_or(1.0) as f32,
            core: KernelCore::from_kn(index("kn")?)?,
            growth: Growth::from_gn(index("gn")?)?,
            source,
            target,
        });
    }
    Ok(LeniaParams {
        radius,
        time_steps,
        channels: 1,
        kernels,
    })
}

/// Parses `"1/2,1,2/3"` into numbers.
pub fn parse_fractions(s: &str) -> Result<Vec<f64>, String> {
    s.split(',')
        .map(|part| {
            let part = part.trim();
            let value = match part.split_once('/') {
                Some((a, b)) => {
                    let a: f64 = a
                        .trim()
                        .parse()
                        .map_err(|_| format!("bad fraction '{part}' in \"b\""))?;
                    let b: f64 = b
                        .trim()
                        .parse()
                        .map_err(|_| format!("bad fraction '{part}' in \"b\""))?;
                    if b == 0.0 {
                        return Err(format!("fraction '{part}' in \"b\" divides by zero"));
                    }
                    a / b
                }
                None => part
                    .parse()
                    .map_err(|_| format!("bad number '{part}' in \"b\""))?,
            };
            Ok(value)
        })
        .collect()
}

/// Decodes one channel's run-length cell string into `(width, height, [y][x] values)`.
pub fn decode_cells(s: &str) -> Result<(usize, usize, Vec<f32>), LeniaError> {
    let mut rows: Vec<Vec<u8>> = Vec::new();
    let mut row: Vec<u8> = Vec::new();
    let mut count = String::new();
    let mut prefix: Option<char> = None;
    let body = s.trim().strip_suffix('!').unwrap_or(s.trim());
    let too_big = || bad(format!("the cells exceed {MAX_PATTERN_SIDE} per side"));
    let repeat = |count: &str, at: usize| -> Result<usize, LeniaError> {
        if count.is_empty() {
            return Ok(1);
        }
        match count.parse::<usize>() {
            Ok(n) if (1..=MAX_PATTERN_SIDE).contains(&n) => Ok(n),
            _ => Err(bad(format!(
                "bad run length '{count}' at character {at} of \"cells\""
            ))),
        }
    };
    for (at, ch) in body.chars().enumerate() {
        let at = at + 1;
        if ch.is_ascii_digit() {
            if prefix.is_some() {
                return Err(bad(format!(
                    "a digit after a prefix at character {at} of \"cells\""
                )));
            }
            count.push(ch);
            continue;
        }
        if ch.is_whitespace() {
            continue;
        }
        if ('p'..='y').contains(&ch) {
            if prefix.is_some() {
                return Err(bad(format!(
                    "two prefixes in a row at character {at} of \"cells\""
                )));
            }
            prefix = Some(ch);
            continue;
        }
        let n = repeat(&count, at)?;
        count.clear();
        if ch == '$' {
            if prefix.is_some() {
                return Err(bad(format!(
                    "a prefix before '$' at character {at} of \"cells\""
                )));
            }
            rows.push(std::mem::take(&mut row));
            for _ in 1..n {
                rows.push(Vec::new());
            }
            if rows.len() > MAX_PATTERN_SIDE {
                return Err(too_big());
            }
            continue;
        }
        let value: u32 = match (prefix.take(), ch) {
            (None, '.' | 'b') => 0,
            (None, 'o') => 255,
            (None, 'A'..='X') => ch as u32 - 'A' as u32 + 1,
            (Some(p), 'A'..='X') => (p as u32 - 'p' as u32) * 24 + (ch as u32 - 'A' as u32 + 25),
            (Some(p), _) => {
                return Err(bad(format!(
                    "'{}{}' at character {at} of \"cells\" is not a state",
                    p,
                    ch.escape_debug()
                )));
            }
            (None, _) => {
                return Err(bad(format!(
                    "'{}' at character {at} of \"cells\" is not a state",
                    ch.escape_debug()
                )));
            }
        };
        if value > 255 {
            return Err(bad(format!(
                "state {value} at character {at} of \"cells\" exceeds 255"
            )));
        }
        row.extend(std::iter::repeat_n(value as u8, n));
        if row.len() > MAX_PATTERN_SIDE {
            return Err(too_big());
        }
    }
    if prefix.is_some() || !count.is_empty() {
        return Err(bad("\"cells\" ends inside a state".into()));
    }
    rows.push(row);
    // A trailing `$` leaves an empty last row; the reference drops none, but trailing empty
    // rows carry no matter, so drop them.
    while rows.last().is_some_and(Vec::is_empty) && rows.len() > 1 {
        rows.pop();
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let height = rows.len();
    let mut values = vec![0f32; width * height];
    for (y, r) in rows.iter().enumerate() {
        for (x, &v) in r.iter().enumerate() {
            values[y * width + x] = f32::from(v) / 255.0;
        }
    }
    Ok((width, height, values))
}
