//! The ARC family end to end: the task reader's error paths, the encoding and its loss
//! gradient, checkpoints, resumable evaluation, the unsupported path, and simple tasks learned
//! in seconds.

use std::path::{Path, PathBuf};

use nca_arc::eval::{Status, Summary, eval_files};
use nca_arc::model::Batch;
use nca_arc::{ArcError, ArcTask, Augment, Grid, SolverConfig, solve};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nca-arc-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn parse(text: &str) -> Result<ArcTask, ArcError> {
    ArcTask::from_json(text, "t", Path::new("t.json"))
}

/// The data folder; the tests that learn real tasks need it and fail without it.
fn data() -> PathBuf {
    PathBuf::from(
        std::env::var_os("NCA_DATA")
            .expect("NCA_DATA must point at the shared data folder (see README.md, Tests)"),
    )
    .join("arc")
}

#[test]
fn malformed_tasks_get_one_line_errors_naming_the_grid() {
    let cases = [
        (
            r#"{"train":[{"input":[[1,2],[3]],"output":[[1,2],[3,4]]}],"test":[{"input":[[1]],"output":[[1]]}]}"#,
            "train[0].input has ragged rows",
        ),
        (
            r#"{"train":[{"input":[[1,10]],"output":[[1,2]]}],"test":[{"input":[[1]],"output":[[1]]}]}"#,
            "colour 10 at row 0, column 1",
        ),
        (
            r#"{"train":[{"input":[[1,-1]],"output":[[1,2]]}],"test":[{"input":[[1]],"output":[[1]]}]}"#,
            "colour -1",
        ),
        (
            r#"{"train":[{"input":[[1]],"output":[[1]]}]}"#,
            "missing \"test\"",
        ),
        (
            r#"{"test":[{"input":[[1]],"output":[[1]]}]}"#,
            "missing \"train\"",
        ),
        (
            r#"{"train":[],"test":[{"input":[[1]],"output":[[1]]}]}"#,
            "\"train\" has no pairs",
        ),
        (
            r#"{"train":[{"input":[],"output":[[1]]}],"test":[{"input":[[1]],"output":[[1]]}]}"#,
            "train[0].input is empty",
        ),
        (
            r#"{"train":[{"input":[[1]]}],"test":[{"input":[[1]],"output":[[1]]}]}"#,
            "missing field `output`",
        ),
        ("not json", "expected"),
    ];
    for (text, want) in cases {
        let e = parse(text).unwrap_err().to_string();
        assert!(
            e.starts_with("t.json: ") && e.contains(want),
            "{e:?} lacks {want:?}"
        );
        assert!(!e.contains('\n'), "{e:?} is not one line");
    }
    let big = format!(
        r#"{{"train":[{{"input":{rows},"output":{rows}}}],"test":[{{"input":[[1]],"output":[[1]]}}]}}"#,
        rows = serde_json::to_string(&vec![vec![0; 2]; 31]).unwrap()
    );
    assert!(
        parse(&big)
            .unwrap_err()
            .to_string()
            .contains("31x2, larger than ARC allows")
    );
    let missing = ArcTask::read(Path::new("/no/such/task.json"))
        .unwrap_err()
        .to_string();
    assert!(missing.starts_with("/no/such/task.json: "), "{missing}");
    assert!(nca_arc::task_files(&[PathBuf::from("/no/such/dir")]).is_err());
    let empty = temp_dir("empty");
    let e = nca_arc::task_files(std::slice::from_ref(&empty))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no .json task files"), "{e}");
}

#[test]
fn grids_round_trip_through_the_state_and_the_loss_gradient_matches_finite_differences() {
    let a = Grid::new(2, 3, vec![0, 1, 2, 3, 4, 9]);
    let b = Grid::new(1, 2, vec![5, 5]);
    let batch = Batch::of(&[&a, &b]);
    assert_eq!(batch.dims, [2, 2, 3]);
    let channels = 14;
    let x = batch.encode(&[&a, &b], channels);
    assert_eq!(batch.decode(&x, channels), vec![a.clone(), b.clone()]);
    // Perturb the state and compare the analytic gradient with central differences.
    let mut s: Vec<f32> = x
        .iter()
        .enumerate()
        .map(|(i, v)| v + ((i * 37 % 11) as f32 - 5.0) * 0.1)
        .collect();
    let (ta, tb) = (
        Grid::new(2, 3, vec![9, 8, 7, 6, 5, 4]),
        Grid::new(1, 2, vec![0, 1]),
    );
    let targets = [&ta, &tb];
    let (_, g) = batch.cross_entropy(&s, &targets, channels);
    let hw = 6;
    for i in [
        hw,
        2 * hw + 4,
        10 * hw + 5,
        channels * hw + 3 * hw + 1,
        12 * hw,
    ] {
        let eps = 1e-2;
        s[i] += eps;
        let up = batch.cross_entropy(&s, &targets, channels).0;
        s[i] -= 2.0 * eps;
        let down = batch.cross_entropy(&s, &targets, channels).0;
        s[i] += eps;
        let fd = (up - down) / (2.0 * eps);
        assert!(
            (fd - g[i]).abs() < 2e-3,
            "state {i}: analytic {} vs {fd}",
            g[i]
        );
    }
    // Padding cells and the mask get no gradient.
    assert_eq!(
        g[channels * hw + 3 * hw + 2],
        0.0,
        "the second grid's padding"
    );
    assert!(g[..hw].iter().all(|&v| v == 0.0), "the mask channel");
}

/// Recolour 1 -> 2, one row of six cells (with `resize`, the first output is shorter than its
/// input: unsupported).
fn tiny_task(resize: bool) -> String {
    let first = if resize {
        "[[0,2,0,2,2]]"
    } else {
        "[[0,2,0,2,2,0]]"
    };
    format!(
        r#"{{"train":[{{"input":[[0,1,0,1,1,0]],"output":{first}}},{{"input":[[1,1,0,0,1,1]],"output":[[2,2,0,0,2,2]]}},{{"input":[[1,0,1,1,1,0]],"output":[[2,0,2,2,2,0]]}},{{"input":[[0,0,1,0,0,1]],"output":[[0,0,2,0,0,2]]}}],"test":[{{"input":[[1,0,0,1,1,1]],"output":[[2,0,0,2,2,2]]}}]}}"#
    )
}

fn quick() -> SolverConfig {
    SolverConfig {
        steps: 150,
        seeds: 1,
        augment: vec![Augment::None],
        ticks: Some((2, 3)),
        seed: 0,
        ..SolverConfig::default()
    }
}

#[test]
fn evaluation_resumes_refuses_other_settings_and_reports_unsupported_tasks() {
    let dir = temp_dir("eval");
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("a/recolour.json"), tiny_task(false)).unwrap();
    std::fs::write(dir.join("a/resize.json"), tiny_task(true)).unwrap();
    let files = nca_arc::task_files(std::slice::from_ref(&dir)).unwrap();
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|(_, g)| g == "a"));
    let results = dir.join("results.jsonl");
    let cfg = quick();
    let first = eval_files(&files, &cfg, 2, Some(&results), |_, _, _| {}).unwrap();
    let status: Vec<_> = first.iter().map(|o| o.status.clone()).collect();
    assert_eq!(status, vec![Status::Solved, Status::Unsupported]);
    let s = Summary::of(&first);
    assert_eq!((s.all.tasks, s.all.solved, s.all.unsupported), (2, 1, 1));
    assert_eq!(s.groups["a"].accuracy, 0.5);
    // Rerunning `files` against the results file: the outcomes and how many tasks it solved.
    let rerun = |files: &[(PathBuf, String)]| {
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let outcomes = eval_files(files, &cfg, 2, Some(&results), |_, _, _| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })
        .unwrap();
        (outcomes, calls.into_inner())
    };
    // A second run finds both outcomes in the file and solves nothing again.
    let (again, solved) = rerun(&files);
    assert_eq!(solved, 0);
    assert_eq!(again, first);
    // The same tasks under another spelling of their folder are the same tasks.
    let moved = dir.join("a/../a/..");
    let respelled = nca_arc::task_files(std::slice::from_ref(&moved)).unwrap();
    assert_ne!(respelled[0].0, files[0].0);
    let (again, solved) = rerun(&respelled);
    assert_eq!(solved, 0);
    assert_eq!(again, first);
    // A line cut short by a kill is dropped and its task solved again.
    let text = std::fs::read_to_string(&results).unwrap();
    let cut = &text[..text.len() - 20];
    std::fs::write(&results, cut).unwrap();
    let resumed = eval_files(&files, &cfg, 1, Some(&results), |_, _, _| {}).unwrap();
    assert_eq!(resumed.len(), 2);
    let other = SolverConfig { steps: 99, ..cfg };
    let e = eval_files(&files, &other, 1, Some(&results), |_, _, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("other settings"), "{e}");
    let task = ArcTask::read(&dir.join("a/resize.json")).unwrap();
    assert!(
        nca_arc::train(&task, &quick(), 0, Augment::None, (2, 3), |_, _| {})
            .unwrap_err()
            .to_string()
            .contains("unsupported")
    );
}

#[test]
fn checkpoints_round_trip_and_do_not_overwrite() {
    let dir = temp_dir("ckpt");
    let task = parse(&tiny_task(false)).unwrap();
    let cfg = quick();
    let t = nca_arc::train(&task, &cfg, 0, Augment::None, (2, 3), |_, _| {}).unwrap();
    let path = dir.join("m.safetensors");
    nca_arc::checkpoint::save(&path, &t.params, &cfg, "t", false).unwrap();
    let (p, c, name) = nca_arc::checkpoint::load(&path).unwrap();
    assert_eq!((p, c, name.as_str()), (t.params.clone(), cfg.clone(), "t"));
    assert!(nca_arc::checkpoint::save(&path, &t.params, &cfg, "t", false).is_err());
    std::fs::write(&path, b"junk").unwrap();
    assert!(
        nca_arc::checkpoint::load(&path)
            .unwrap_err()
            .to_string()
            .contains("not a safetensors file")
    );
}

/// Solves a benchmark task with `cfg`, returning whether the test output was among the attempts.
fn solves(path: PathBuf, cfg: &SolverConfig) -> bool {
    let task = ArcTask::read(&path).unwrap();
    let a = solve(&task, cfg).unwrap();
    a.solves(&task)
}

#[test]
fn a_recolouring_task_is_learned_from_its_demonstrations() {
    let cfg = quick();
    assert!(solves(parse_path("recolour", &tiny_task(false)), &cfg));
}

fn parse_path(name: &str, text: &str) -> PathBuf {
    let p = temp_dir(name).join("task.json");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn simple_benchmark_tasks_are_solved_in_seconds() {
    // The default solver (four seeds: colour variations and none, each at reach 1 and 0.5)
    // on a shorter budget; the outcome is a function of the seed.
    let cfg = SolverConfig {
        steps: 300,
        ..SolverConfig::default()
    };
    let d = data();
    for task in [
        "1d-arc/dataset/1d_move_1p/1d_move_1p_0.json",
        "1d-arc/dataset/1d_denoising_1c/1d_denoising_1c_1.json",
        "arc-agi-1/data/training/b1948b0a.json",
    ] {
        assert!(solves(d.join(task), &cfg), "{task} not solved");
    }
}
