//! `nca attention train`: the convolutional-attention NCA on one long noisy trajectory, with
//! snapshots of the state, a loss plot and the final model.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use nca::attention::{
    AttentionConfig, AttentionTarget, AttentionTask, AttentionTrainConfig, Start, train_run,
};
use nca_viz::{Frame, VizError};

use super::CmdResult;
use crate::output::print_json;

/// `nca attention ...`.
#[derive(Subcommand, Debug)]
pub enum AttentionCommand {
    /// Train towards a target image on one long trajectory from Gaussian noise: small noise every
    /// step, one-step gradients, a large noise spike whenever the loss falls below ε.
    #[command(after_help = "Examples:\n  \
        nca attention train --target uniform:red --size 32 --steps 1000 --out runs/red --json\n  \
        nca attention train --target ../shared/data/emoji/lizard.png --size 40 --steps 3000 \
        --out runs/attention-lizard\n\n\
        The run directory gets config.json, metrics.jsonl (one line per step; `nca plot` reads \
        it), metrics.png, snapshots/step-NNNNNN.png, snapshots.png and checkpoint/ \
        (model.safetensors, optimizer and trajectory state: --resume continues the run). \
        Adam's learning rate is the doc's 0.001 unless --lr is given.")]
    Train(AttentionTrainArgs),
    /// Export one transition to ONNX (opset 17): input state [B,C,H,W], output next_state
    /// (deterministic: no random inputs). The checkpoint's config is in the model's metadata.
    ExportOnnx(super::onnx::ExportOnnxArgs),
}

/// `nca attention train`.
#[derive(Args, Debug)]
pub struct AttentionTrainArgs {
    /// Training options (Adam's learning rate defaults to the doc's 0.001; the steps are the
    /// most the run takes).
    #[command(flatten)]
    pub train: crate::cli::TrainArgs,
    /// The target: a PNG file (fitted into SIZE x SIZE, colours premultiplied by alpha, alpha
    /// dropped) or uniform:COLOR with COLOR a name (red, green, blue, white, black, yellow,
    /// cyan, magenta, orange, gray) or #rrggbb.
    #[arg(long)]
    pub target: String,
    /// Grid side in cells (1..=256).
    #[arg(long, default_value_t = 32)]
    pub size: usize,
    /// Standard deviation of the noise added every step [default: 0.01].
    #[arg(long)]
    pub sigma_small: Option<f32>,
    /// Standard deviation of the spike added when the loss falls below ε [default: 0.1].
    #[arg(long)]
    pub sigma_large: Option<f32>,
    /// Loss below which the state has reached the target and is spiked [default: 0.001].
    #[arg(long)]
    pub epsilon: Option<f32>,
    /// Stop after this many spikes (simulated trajectories).
    #[arg(long)]
    pub max_spikes: Option<usize>,
    /// Extra state channels beyond the image's (0..=64).
    #[arg(long, default_value_t = 0)]
    pub hidden_channels: usize,
    /// Width of queries, keys and values (1..=256).
    #[arg(long, default_value_t = 16)]
    pub attn_width: usize,
    /// Leave out relative position (offset embeddings on the keys, score bias per offset): the
    /// doc's bare content attention, which cannot remove pixel noise.
    #[arg(long)]
    pub no_position: bool,
    /// Steps between snapshots of the state.
    #[arg(long, default_value_t = 100)]
    pub snapshot_every: usize,
    /// Replace a run already in --out.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
}

pub fn run(c: AttentionCommand) -> CmdResult {
    match c {
        AttentionCommand::Train(a) => train(a),
        AttentionCommand::ExportOnnx(a) => super::onnx::export(&a, |checkpoint| {
            let device = nca::device::device_for(None)?;
            let (model, cfg, _) = nca::attention::load_checkpoint(checkpoint, &device)?;
            Ok(super::onnx::tick(
                nca::attention::onnx::export(&model, &cfg)?,
                &[],
            ))
        }),
    }
}

/// The training settings the arguments ask for.
fn train_config(a: &AttentionTrainArgs) -> AttentionTrainConfig {
    let d = AttentionTrainConfig::default();
    AttentionTrainConfig {
        model: AttentionConfig {
            hidden_channels: a.hidden_channels,
            width: a.attn_width,
            relative_position: !a.no_position,
            ..AttentionConfig::default()
        },
        sigma_small: a.sigma_small.unwrap_or(d.sigma_small),
        sigma_large: a.sigma_large.unwrap_or(d.sigma_large),
        epsilon: a.epsilon.unwrap_or(d.epsilon),
        lr: a.train.lr.unwrap_or(d.lr),
        steps: a.train.steps,
        max_spikes: a.max_spikes,
        seed: a.train.seed,
        ..d
    }
}

/// The image channels of a state (`C × side × side`), clamped to `[0, 1]` (NaN as 0), enlarged
/// `zoom` times.
fn state_frame(state: &[f32], side: usize, zoom: usize) -> Result<Frame, VizError> {
    let n = side * side;
    if state.len() < 3 * n {
        return Err(VizError::BufferLength {
            what: "channels-first state (at least 3 channels)",
            width: side,
            height: side,
            expected: 3 * n,
            got: state.len(),
        });
    }
    let byte = |v: f32| (if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) } * 255.0).round() as u8;
    Frame::from_fn(side, side, |x, y| {
        let i = y * side + x;
        [
            byte(state[i]),
            byte(state[n + i]),
            byte(state[2 * n + i]),
            255,
        ]
    })?
    .upscale(zoom)
}

/// Snapshots of a run: one PNG per snapshot, kept for the contact sheet.
struct Snapshots {
    dir: PathBuf,
    side: usize,
    zoom: usize,
    every: usize,
    force: bool,
    frames: Vec<(usize, Frame)>,
    error: Option<VizError>,
}

impl Snapshots {
    fn take(&mut self, t: &AttentionTask, step: usize) -> Result<(), VizError> {
        let last = step == t.config().steps || nca::trainer::Task::finished(t);
        if !(step.is_multiple_of(self.every) || last) {
            return Ok(());
        }
        let frame = state_frame(t.state_values(), self.side, self.zoom)?;
        let path = self.dir.join(format!("step-{step:06}.png"));
        nca_viz::save_png(&frame, &path, self.force)?;
        self.frames.push((step, frame));
        Ok(())
    }

    /// The target and up to 39 snapshots (evenly chosen, the last always), labelled by step.
    fn sheet(&self, target: &AttentionTarget) -> Result<Frame, VizError> {
        let mut tiles = vec![state_frame(&target.rgb, self.side, self.zoom)?];
        nca_viz::draw_text(&mut tiles[0], 2, 2, "target", [90, 90, 90], 1);
        let n = self.frames.len();
        let shown = n.min(39);
        for k in 0..shown {
            let i = if shown == 1 {
                n - 1
            } else {
                k * (n - 1) / (shown - 1)
            };
            let (step, f) = &self.frames[i];
            let mut f = f.clone();
            nca_viz::draw_text(&mut f, 2, 2, &step.to_string(), [90, 90, 90], 1);
            tiles.push(f);
        }
        nca_viz::grid(&tiles, 10, 4, [255, 255, 255])
    }
}

/// Removes the snapshot PNGs a previous run left in `dir` (only files named `step-*.png`).
fn clear_old_snapshots(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("step-") && name.ends_with(".png") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn train(a: AttentionTrainArgs) -> CmdResult {
    if a.snapshot_every == 0 {
        return Err("--snapshot-every must be at least 1".into());
    }
    let t = &a.train;
    if t.engine == Some(nca::engine::Engine::Fast) {
        return Err("--engine: the attention NCA runs on Burn only (no fast engine)".into());
    }
    let cfg = train_config(&a);
    cfg.validate()?;
    let trainer = super::train::trainer_config(t, nca::attention::train::recipe(&cfg));
    trainer.validate()?;
    let target = AttentionTarget::parse(&a.target, a.size)?;
    let device = nca::device::device_for(t.backend.as_deref())?;
    let snap_dir = t.out.join("snapshots");
    // A run already in --out is refused by `train_run` unless --force or --resume; with --force,
    // stale snapshots of the old run go first.
    if a.force {
        clear_old_snapshots(&snap_dir);
    }
    let start = match (t.resume, a.force) {
        (true, _) => Start::Resume,
        (false, true) => Start::Replace,
        (false, false) => Start::Fresh,
    };
    let side = target.side;
    let mut snaps = Snapshots {
        dir: snap_dir,
        side,
        zoom: (128 / side).clamp(1, 8),
        every: a.snapshot_every,
        // A resumed run redraws the snapshot of the step it resumes from.
        force: a.force || t.resume,
        frames: Vec::new(),
        error: None,
    };
    let result = train_run(
        &cfg,
        &target,
        &t.out,
        (start, &trainer),
        &device,
        |t, step| {
            snaps.take(t, step).map_err(|e| {
                let msg = e.to_string();
                snaps.error = Some(e);
                nca::NcaError::config("snapshot", msg)
            })
        },
    );
    let report = match result {
        Ok(r) => r,
        Err(e) => match snaps.error.take() {
            Some(v) => return Err(v.into()),
            None => return Err(e.into()),
        },
    };
    let replace = a.force || t.resume;
    let sheet_path = t.out.join("snapshots.png");
    nca_viz::save_png(&snaps.sheet(&target)?, &sheet_path, replace)?;
    let plot_path = t.out.join("metrics.png");
    nca_viz::plot_metrics(&t.out.join("metrics.jsonl"), &plot_path, replace)?;

    if t.json {
        // Through text, so that f32 values keep their short form (0.001, not 0.0010000000474…).
        let text = serde_json::to_string(&report).expect("report serialises");
        let mut v: serde_json::Value = serde_json::from_str(&text).expect("report parses");
        v["out"] = serde_json::json!(t.out);
        v["target"] = serde_json::json!(target.spec);
        v["side"] = serde_json::json!(side);
        v["epsilon"] = serde_json::from_str(&cfg.epsilon.to_string()).unwrap_or_default();
        v["snapshots"] = serde_json::json!(snaps.frames.len());
        print_json(&v);
    } else {
        let first = report
            .first_below_epsilon
            .map_or("never".to_string(), |s| format!("at step {s}"));
        println!(
            "trained {} steps in {:.1} s ({} parameters): final loss {:.5}, lowest {:.5}",
            report.steps, report.wall_s, report.params, report.final_loss, report.min_loss
        );
        println!(
            "loss below ε = {} first {first}; {} spikes; stopped by {}; the target's mean colour \
             alone would score {:.5}",
            cfg.epsilon,
            report.spike_steps.len(),
            report.stopped_by,
            report.mean_colour_loss
        );
        println!(
            "model in {}; snapshots in {}; plots {} and {}",
            report.model_path.display(),
            snaps.dir.display(),
            sheet_path.display(),
            plot_path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `--help` texts state the library's defaults; keep them in step.
    #[test]
    fn help_defaults_are_the_library_defaults() {
        use clap::Args as _;
        let help = AttentionTrainArgs::augment_args(clap::Command::new("train"))
            .render_long_help()
            .to_string();
        // The help of `--flag`: from its line to the next option's.
        let help_of = |flag: &str| {
            let from = help.find(&format!("--{flag}")).expect(flag);
            let rest = &help[from + 2..];
            rest[..rest.find("\n  -").unwrap_or(rest.len())].to_string()
        };
        let d = AttentionTrainConfig::default();
        for (flag, value) in [
            ("sigma-small", d.sigma_small.to_string()),
            ("sigma-large", d.sigma_large.to_string()),
            ("epsilon", d.epsilon.to_string()),
            ("hidden-channels", d.model.hidden_channels.to_string()),
            ("attn-width", d.model.width.to_string()),
        ] {
            let text = help_of(flag);
            assert!(
                text.contains(&format!("[default: {value}]")),
                "{flag}: {text}"
            );
        }
        assert!(d.model.relative_position, "--no-position turns it off");
        use clap::Subcommand as _;
        let cmd = AttentionCommand::augment_subcommands(clap::Command::new("attention"));
        let train = cmd.find_subcommand("train").expect("train");
        let after = train.get_after_help().expect("after help").to_string();
        assert!(
            after.contains(&format!("the doc's {} unless --lr", d.lr)),
            "{after}"
        );
    }

    #[test]
    fn state_frames_clamp_to_the_unit_range() {
        assert!(state_frame(&[0.5, 0.5], 1, 1).is_err(), "too short");
        let f = state_frame(&[2.0, -1.0, f32::NAN], 1, 2).unwrap();
        assert_eq!(f.pixel(1, 1), Some([255, 0, 0, 255]));
    }
}
