//! Tests of `nca arc` as a user runs it: info, train, eval (resumable), animate, one-line errors.

mod common;

use common::{assert_fails_with, nca_line, ok, tmp};

/// Recolour 1 -> 2 on rows of six cells; `resize` makes the first output shorter (unsupported).
fn write_task(dir: &std::path::Path, name: &str, resize: bool) {
    let first = if resize {
        "[[0,2,0,2,2]]"
    } else {
        "[[0,2,0,2,2,0]]"
    };
    let text = format!(
        r#"{{"train":[{{"input":[[0,1,0,1,1,0]],"output":{first}}},{{"input":[[1,1,0,0,1,1]],"output":[[2,2,0,0,2,2]]}},{{"input":[[1,0,1,1,1,0]],"output":[[2,0,2,2,2,0]]}},{{"input":[[0,0,1,0,0,1]],"output":[[0,0,2,0,0,2]]}}],"test":[{{"input":[[1,0,0,1,1,1]],"output":[[2,0,0,2,2,2]]}}]}}"#
    );
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

const QUICK: &str = "--steps 150 --seeds 1 --augment none --ticks 2..3";

#[test]
fn info_counts_tasks_and_same_size_share() {
    let d = tmp("arcinfo");
    write_task(&d.join("tasks/a"), "one.json", false);
    write_task(&d.join("tasks/b"), "two.json", true);
    let v = ok(&nca_line("arc info tasks --json", &d));
    assert_eq!(v["tasks"], 2);
    assert_eq!(v["same_size"], 1);
    assert_eq!(v["width"], serde_json::json!([5, 6]));
    assert_eq!(v["groups"]["a"], 1);
}

#[test]
fn train_answers_the_test_and_eval_resumes() {
    let d = tmp("arctrain");
    write_task(&d.join("tasks/g"), "recolour.json", false);
    write_task(&d.join("tasks/g"), "resize.json", true);
    let v = ok(&nca_line(
        &format!("arc train tasks/g/recolour.json --out run --json {QUICK}"),
        &d,
    ));
    assert_eq!(v["solved"], true, "{v}");
    assert_eq!(
        v["tests"][0]["attempts"][0],
        serde_json::json!([[2, 0, 0, 2, 2, 2]])
    );
    assert!(d.join("run/model.safetensors").is_file() && d.join("run/answer.json").is_file());
    let again = nca_line(
        &format!("arc train tasks/g/recolour.json --out run {QUICK}"),
        &d,
    );
    assert_fails_with(&again, "already exists");
    let gif = nca_line("arc animate tasks/g/recolour.json --model run -o a.gif", &d);
    assert!(
        gif.status.success(),
        "{}",
        String::from_utf8_lossy(&gif.stderr)
    );
    assert_eq!(&std::fs::read(d.join("a.gif")).unwrap()[..3], b"GIF");
    let line = format!("arc eval tasks --results r.jsonl --json {QUICK}");
    let v = ok(&nca_line(&line, &d));
    assert_eq!(
        (
            v["tasks"].as_u64(),
            v["solved"].as_u64(),
            v["unsupported"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(v["accuracy"], 0.5);
    assert_eq!(v["groups"]["g"]["tasks"], 2);
    // The second run reads both outcomes back.
    let v2 = ok(&nca_line(&line, &d));
    assert_eq!(v2["solved"], 1);
    assert_eq!(v2["task_seconds"], v["task_seconds"]);
    let other = nca_line("arc eval tasks --results r.jsonl --json --steps 10", &d);
    assert_fails_with(&other, "other settings");
}

#[test]
fn bad_inputs_get_one_line_errors() {
    let d = tmp("arcbad");
    write_task(&d, "resize.json", true);
    std::fs::write(
        d.join("ragged.json"),
        r#"{"train":[{"input":[[1],[1,2]],"output":[[1]]}],"test":[]}"#,
    )
    .unwrap();
    assert_fails_with(&nca_line("arc train resize.json", &d), "unsupported");
    assert_fails_with(&nca_line("arc info ragged.json", &d), "ragged rows");
    assert_fails_with(&nca_line("arc info missing.json", &d), "no such file");
    assert_fails_with(
        &nca_line("arc eval resize.json --ticks 3..1", &d),
        "--ticks",
    );
    assert_fails_with(
        &nca_line("arc eval resize.json --ticks x", &d),
        "malformed --ticks",
    );
    assert_fails_with(
        &nca_line("arc eval resize.json --augment flips", &d),
        "unknown --augment",
    );
    assert_fails_with(
        &nca_line("arc eval resize.json --threads 0", &d),
        "--threads",
    );
    assert_fails_with(&nca_line("arc eval resize.json --lr 5", &d), "--lr");
    assert_fails_with(
        &nca_line("arc animate resize.json --model nope.safetensors", &d),
        "unsupported",
    );
}
