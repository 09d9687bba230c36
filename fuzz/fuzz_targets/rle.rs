//! The RLE pattern parser on arbitrary text; a parsed pattern must survive `to_rle` unchanged.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nca::life::Pattern;

/// Patterns up to this many cells are written back and parsed again.
const ROUND_TRIP_CELLS: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = text.parse::<Pattern>() else {
        return;
    };
    assert_eq!(p.cells().len(), p.width() * p.height());
    if p.cells().len() <= ROUND_TRIP_CELLS {
        let written = p.to_rle();
        let again = Pattern::from_rle(&written)
            .unwrap_or_else(|e| panic!("to_rle wrote RLE it cannot read ({e}): {written:?}"));
        assert_eq!(again, p, "round trip through {written:?}");
    }
});
