//! `mien analyze`: images, folders and videos to timestamped samples (JSON Lines or CSV).
//!
//! Each input is its own source (the analyzer's history is reset between sources). Video frames are decoded on a
//! second thread while the analyzer works on the previous one. An input that cannot be read is reported on stderr
//! and the others still run; the exit code is then 1.

use std::{
    fs::File,
    io::{BufWriter, IsTerminal, Write},
    path::{Path, PathBuf},
    sync::mpsc,
};

use anyhow::{Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mien_video::{VideoError, VideoFrame, VideoInfo, VideoReader, is_video_path};
use mien_vision::{
    Analyzer, ClassifierChoice, DetectorMode,
    frame::{DecodeLimits, load_image},
};

use mien_store::{Recorder, RecorderConfig, SourceKind, StoreOptions};

use crate::{
    EXIT_INPUT, parse_duration_ms,
    record::{self, CSV_HEADER, Format, Record},
    sessions::{DbArgs, SessionArgs},
    setup::SetupArgs,
};

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Image files, folders (searched recursively for images and videos) and video files (MP4, WebM, MKV, MOV...).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Sampling interval for videos, e.g. 200ms, 1s (0 = every frame).
    #[arg(long, default_value = "200ms", value_parser = parse_duration_ms)]
    pub every: u64,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Face detector: front (near faces), back (small faces) or auto (front, then back when front finds none).
    #[arg(long, default_value = "auto")]
    pub detector: DetectorMode,
    /// Expression model: mien (the project's own, default), mini-xception, faceapi or ensemble (their mean).
    #[arg(long, default_value = "mien")]
    pub model: ClassifierChoice,
    /// Never show a progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Also store the samples as a session in the session store (one input only; see `mien sessions`).
    #[arg(long)]
    pub save: bool,
    #[command(flatten)]
    pub session: SessionArgs,
}

const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "bmp", "gif", "webp", "tif", "tiff"];

fn is_image_path(p: &Path) -> bool {
    p.extension().and_then(|e| e.to_str()).is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Expand folders (recursively, sorted) into the media files they contain; files are taken as given.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            let mut found = Vec::new();
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).with_context(|| format!("reading folder {}", dir.display()))? {
                    let path = entry?.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if is_image_path(&path) || is_video_path(&path) {
                        found.push(path);
                    }
                }
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn progress(quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden())
    } else {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    }
}

pub fn run(setup: &SetupArgs, db: &DbArgs, args: &AnalyzeArgs) -> Result<u8> {
    let inputs = expand(&args.paths)?;
    let loaded = setup.load()?;
    let mut analyzer = loaded.analyzer(args.detector, args.model)?;
    let recorder = if args.save {
        if args.paths.len() != 1 {
            anyhow::bail!("--save stores one session: give exactly one video, image or folder");
        }
        let input = &args.paths[0];
        let source = if is_video_path(input) { SourceKind::Video } else { SourceKind::Images };
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let provider = loaded.runtime.provider_status().active.name().to_string();
        let new = args.session.new_session(source, &name, analyzer.classifier_id(), &provider)?;
        let mut store = db.open()?;
        let id = store.create_session(&new, &db.actor())?;
        let path = db.path()?;
        Some(Recorder::start(&path, id, StoreOptions::default(), RecorderConfig::default())?)
    } else {
        None
    };

    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(BufWriter::new(File::create(p).with_context(|| format!("creating {}", p.display()))?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    if args.format == Format::Csv {
        writeln!(out, "{CSV_HEADER}")?;
    }
    let bar = progress(args.quiet);
    let mut failed = 0;
    for path in &inputs {
        analyzer.reset();
        let source = path.to_string_lossy();
        let mut sink = Sink { format: args.format, out: &mut *out, recorder: recorder.as_ref() };
        let result = if is_video_path(path) {
            analyze_video(&mut analyzer, path, &source, args.every, &mut sink, &bar)
        } else {
            analyze_image(&mut analyzer, path, &source, &mut sink)
        };
        if let Err(e) = result {
            failed += 1;
            bar.suspend(|| eprintln!("mien: {}: {e:#}", path.display()));
        }
        out.flush().context("writing output")?;
    }
    bar.finish_and_clear();
    if let Some(rec) = recorder {
        let id = rec.session_id();
        if failed > 0 {
            drop(rec); // commits what was analysed and marks the session interrupted
            eprintln!("mien: session {id} saved as interrupted (an input failed)");
        } else {
            let n = rec.finish()?;
            eprintln!("mien: saved session {id} ({n} samples); see `mien sessions show {id}`");
        }
    }
    Ok(if failed > 0 { EXIT_INPUT } else { 0 })
}

/// Where samples go: the output stream, and the session recorder with `--save`.
struct Sink<'a> {
    format: Format,
    out: &'a mut dyn Write,
    recorder: Option<&'a Recorder>,
}

impl Sink<'_> {
    fn write(&mut self, source: &str, sample: mien_core::Sample) -> Result<()> {
        record::write(&Record::new(source, &sample), self.format, self.out)?;
        if let Some(r) = self.recorder {
            r.record(sample)?;
        }
        Ok(())
    }
}

fn analyze_image(analyzer: &mut Analyzer, path: &Path, source: &str, sink: &mut Sink<'_>) -> Result<()> {
    let img = load_image(path, &DecodeLimits::default())?;
    let a = analyzer.analyze(0, &img)?;
    sink.write(source, a.sample)
}

enum Decoded {
    Info(VideoInfo),
    Frame(VideoFrame),
}

fn analyze_video(
    analyzer: &mut Analyzer,
    path: &Path,
    source: &str,
    every: u64,
    sink: &mut Sink<'_>,
    bar: &ProgressBar,
) -> Result<()> {
    let (tx, rx) = mpsc::sync_channel::<Result<Decoded, VideoError>>(2);
    std::thread::scope(|scope| -> Result<()> {
        // The decoder thread owns the FFmpeg contexts; it stops when the receiver goes away.
        scope.spawn(move || {
            let mut reader = match VideoReader::open(path, every, 1) {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            if tx.send(Ok(Decoded::Info(reader.info().clone()))).is_err() {
                return;
            }
            for item in reader.by_ref() {
                if tx.send(item.map(Decoded::Frame)).is_err() {
                    return;
                }
            }
        });
        for msg in rx {
            match msg? {
                Decoded::Info(info) => {
                    let samples = match (info.duration_ms, every) {
                        (Some(d), e) if e > 0 => d / e + 1,
                        _ => info.frames,
                    };
                    bar.set_length(samples);
                    bar.set_position(0);
                    bar.set_message(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
                }
                Decoded::Frame(frame) => {
                    let a = analyzer.analyze(frame.t_ms, &frame.image)?;
                    sink.write(source, a.sample)?;
                    bar.inc(1);
                }
            }
        }
        Ok(())
    })
}
