//! Tests of the `nca` binary as a user runs it: outputs, exit codes and one-line errors.

mod common;

use common::{assert_fails_with, nca, nca_data, nca_line, nca_with, ok, stdout, tmp};

#[test]
fn glider_population_is_constant_five() {
    let d = tmp("glider");
    let o = nca_line("life --rule B3/S23 --pattern glider --steps 40 --json", &d);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let pop = v["population"].as_array().unwrap();
    assert_eq!(pop.len(), 41);
    assert!(pop.iter().all(|p| p.as_u64() == Some(5)), "{pop:?}");
    assert_eq!(
        std::fs::read_dir(&d).unwrap().count(),
        0,
        "--json alone writes no file"
    );
}

#[test]
fn life_writes_a_gif_and_never_overwrites_unasked() {
    let d = tmp("gif");
    let blinker = "life --pattern blinker --steps 4 --size 8x8";
    let o = nca_line(blinker, &d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let gif = std::fs::read(d.join("life.gif")).unwrap();
    assert_eq!(&gif[..6], b"GIF89a");
    assert_fails_with(&nca_line(blinker, &d), "already exists");
    let o = nca_line("life --pattern glider --steps 8 --size 8x8 --force", &d);
    assert!(o.status.success());
    assert_ne!(std::fs::read(d.join("life.gif")).unwrap(), gif);
}

#[test]
fn life_bad_input_is_one_clear_line() {
    let d = tmp("lifebad");
    assert_fails_with(&nca_line("life --rule B9/S23 --json", &d), "malformed rule");
    assert_fails_with(&nca_line("life --rule hello --json", &d), "rule");
    assert_fails_with(
        &nca_line("life --pattern unicorn --json", &d),
        "unknown pattern",
    );
    assert_fails_with(&nca_line("life --steps 0 --json", &d), "--steps");
    assert_fails_with(&nca_line("life --size 100000x100000 --json", &d), "");
    assert_fails_with(&nca_line("life --size ax3 --json", &d), "malformed size");
    assert_fails_with(&nca_line("life --soup 1.5 --json", &d), "density");
    std::fs::write(d.join("bad.rle"), "x = 3, y = 3\nbo$2bo$3o?!\n").unwrap();
    for (line, needle) in [
        ("life --rle bad.rle --json", "bad.rle"),
        ("life --rle missing.rle --json", "missing.rle"),
        ("life --steps 1000 --size 1000x1000 --zoom 8", "too large"),
    ] {
        assert_fails_with(&nca_line(line, &d), needle);
    }
    let names: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("bad.rle")],
        "no output written"
    );
}

#[test]
fn rle_file_runs() {
    let d = tmp("rle");
    std::fs::write(
        d.join("g.rle"),
        "#C a glider\nx = 3, y = 3, rule = B3/S23\nbo$2bo$3o!\n",
    )
    .unwrap();
    let o = nca(&["life", "--rle", "g.rle", "--steps", "8", "--json"], &d);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["population"][8].as_u64(), Some(5));
}

#[test]
fn data_info_reports_mnist_counts() {
    let Some(data) = nca_data("the real-data check") else {
        return;
    };
    let d = tmp("info");
    let o = nca_with("data info --data {} --json", &[&data], &d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["splits"][0]["count"], 60000);
    assert_eq!(v["splits"][1]["count"], 10000);
    let test_hist: Vec<u64> = v["splits"][1]["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(
        test_hist,
        vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
}

#[test]
fn data_bad_input_is_one_clear_line() {
    let d = tmp("databad");
    assert_fails_with(&nca_line("data info --data nope", &d), "does not exist");
    std::fs::create_dir_all(d.join("empty")).unwrap();
    assert_fails_with(&nca_line("data info --data empty", &d), "empty");
    // Wrong magic and truncated files.
    let m = d.join("broken");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("train-images-idx3-ubyte"), [0u8; 16]).unwrap();
    std::fs::write(
        m.join("train-labels-idx1-ubyte"),
        [0, 0, 8, 1, 0, 0, 0, 1, 3],
    )
    .unwrap();
    std::fs::write(m.join("t10k-images-idx3-ubyte"), [0u8; 16]).unwrap();
    std::fs::write(
        m.join("t10k-labels-idx1-ubyte"),
        [0, 0, 8, 1, 0, 0, 0, 1, 3],
    )
    .unwrap();
    assert_fails_with(&nca_line("data info --data broken", &d), "magic");
    let mut header = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28];
    header.extend([0u8; 100]);
    std::fs::write(m.join("train-images-idx3-ubyte"), &header).unwrap();
    assert_fails_with(&nca_line("data info --data broken", &d), "truncated");
}

#[test]
fn tiny_training_resumes_plots_and_survives_nan() {
    let d = tmp("tiny");
    ok(&nca_line(
        "tiny train --steps 20 --out runs/a --checkpoint-every 5 --json",
        &d,
    ));
    let o = nca_line("tiny train --steps 20 --out runs/a", &d);
    assert_fails_with(&o, "--resume");
    let o = nca_line("tiny train --steps 30 --out runs/a --resume --json", &d);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["steps"], 30);
    assert_eq!(v["steps_this_run"], 10);
    let o = nca_line(
        "tiny train --steps 12 --out runs/b --checkpoint-every 5 --poison-at 8 --json",
        &d,
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["recoveries"], 1);
    assert!(nca_line("plot runs/a", &d).status.success());
    assert!(d.join("runs/a/metrics.png").exists());
    assert_fails_with(&nca_line("plot runs/a", &d), "already exists");
    assert_fails_with(&nca_line("plot runs/none", &d), "not found");
    let o = nca_line(
        "checkpoint info runs/a/checkpoint/model.safetensors --json",
        &d,
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["family"], "tiny");
    assert_eq!(v["step"], 30);
    std::fs::write(d.join("junk.safetensors"), b"not a checkpoint").unwrap();
    for (line, needle) in [
        (
            "checkpoint info junk.safetensors",
            "not a valid safetensors",
        ),
        ("tiny train --steps 0 --out runs/c", "--steps"),
        (
            "tiny train --steps 5 --out runs/c --backend tpu",
            "not compiled",
        ),
    ] {
        assert_fails_with(&nca_line(line, &d), needle);
    }
}
