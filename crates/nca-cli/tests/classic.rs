//! Tests of `nca eca` and `nca lenia` as a user runs them: outputs, files and one-line errors.

mod common;

use common::{assert_fails_with, nca_line, ok, tmp};

#[test]
fn eca_rule_90_json_is_pascal_mod_2() {
    let d = tmp("eca90");
    let v = ok(&nca_line(
        "eca run --rule 90 --width 15 --steps 7 --json",
        &d,
    ));
    let row: Vec<u64> = v["final_row"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    // Row 7 of Pascal's triangle mod 2 is all odd: every other cell from one end to the other.
    assert_eq!(row, [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    assert_eq!(v["density"].as_array().unwrap().len(), 8);
    assert_eq!(
        std::fs::read_dir(&d).unwrap().count(),
        0,
        "--json alone writes no file"
    );
}

#[test]
fn eca_writes_a_png_of_the_diagram_and_never_overwrites_unasked() {
    let d = tmp("ecapng");
    let line = "eca run --rule 30 --width 31 --steps 15 --zoom 2 -o r30.png";
    assert!(nca_line(line, &d).status.success());
    let png = std::fs::read(d.join("r30.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    // IHDR: width then height, big-endian, at bytes 16..24.
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    assert_eq!((be(&png[16..20]), be(&png[20..24])), (62, 32));
    assert_fails_with(&nca_line(line, &d), "already exists");
    assert!(
        nca_line(&format!("{line} --force --gif"), &d)
            .status
            .success()
    );
}

#[test]
fn eca_bad_input_is_one_clear_line() {
    let d = tmp("ecabad");
    assert_fails_with(&nca_line("eca run --rule 256 --json", &d), "out of range");
    assert_fails_with(&nca_line("eca run --width 0 --json", &d), "width");
    assert_fails_with(&nca_line("eca run --start 10x1 --json", &d), "pattern");
    assert_fails_with(
        &nca_line("eca run --boundary moebius --json", &d),
        "boundary",
    );
}

#[test]
fn lenia_orbium_json_reports_mass_centre_and_motion() {
    let d = tmp("orbium");
    let v = ok(&nca_line(
        "lenia run --pattern orbium --steps 60 --json",
        &d,
    ));
    let mass = v["mass"].as_array().unwrap();
    assert_eq!(mass.len(), 61);
    assert_eq!(v["centre"].as_array().unwrap().len(), 61);
    let (m0, m1) = (mass[0].as_f64().unwrap(), mass[60].as_f64().unwrap());
    assert!((m1 / m0 - 1.0).abs() < 0.1, "mass {m0} -> {m1}");
    assert!(
        v["mean_speed"].as_f64().unwrap() > 0.3,
        "{}",
        v["mean_speed"]
    );
}

#[test]
fn lenia_writes_a_gif_and_lists_its_patterns() {
    let d = tmp("leniagif");
    let line = "lenia run --pattern orbium --size 64x64 --steps 10 --every 5 -o o.gif";
    assert!(nca_line(line, &d).status.success());
    assert_eq!(&std::fs::read(d.join("o.gif")).unwrap()[..6], b"GIF89a");
    assert_fails_with(&nca_line(line, &d), "already exists");
    let v = ok(&nca_line("lenia patterns --json", &d));
    assert!(v["patterns"].as_array().unwrap().len() >= 3);
}

#[test]
fn lenia_bad_input_is_one_clear_line() {
    let d = tmp("leniabad");
    assert_fails_with(
        &nca_line("lenia run --pattern nope --json", &d),
        "unknown Lenia pattern",
    );
    assert_fails_with(
        &nca_line("lenia run --size 16x16 --json", &d),
        "does not fit",
    );
    assert_fails_with(&nca_line("lenia run --sigma 0 --json", &d), "s must be > 0");
    std::fs::write(d.join("bad.json"), "{\"params\": {}}").unwrap();
    assert_fails_with(
        &nca_line("lenia run --file bad.json --json", &d),
        "bad.json",
    );
    assert_fails_with(
        &nca_line("lenia run --file missing.json --json", &d),
        "cannot read",
    );
}
