//! The B/S rule parser on arbitrary text; a parsed rule must display, serialise and parse back to
//! itself. Also `Rule::new` on the bytes as neighbour counts.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nca::life::Rule;

fuzz_target!(|data: &[u8]| {
    let (birth, survive) = data.split_at(data.len() / 2);
    if let Ok(r) = Rule::new(birth, survive) {
        assert!(birth.iter().chain(survive).all(|&n| n <= 8));
        assert_eq!(r.to_string().parse::<Rule>(), Ok(r));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Rule::named(text);
    let Ok(r) = text.parse::<Rule>() else {
        return;
    };
    let shown = r.to_string();
    assert_eq!(shown.parse::<Rule>(), Ok(r), "display {shown:?}");
    let json = serde_json::to_string(&r).expect("a rule serialises");
    assert_eq!(serde_json::from_str::<Rule>(&json).ok(), Some(r), "{json}");
    for n in 0..=9 {
        let _ = (r.births(n), r.survives(n));
    }
});
