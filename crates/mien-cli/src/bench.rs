//! `mien bench`: the per-frame path measured on this machine.
//!
//! Workloads: a real video decoded frame by frame (`video`), and frames at 640x480 and 1280x720 (`synthetic`: the
//! video's frames, or an image, rescaled and handed over as raw RGBA like the desktop app's camera frames, so
//! "decode" is the RGBA -> RGB conversion). Each runs with 1 and N analyzer threads (one ONNX session set per
//! thread, one intra-op thread each) and on every execution provider available. Per stage (decode, detect, crop,
//! classify, smooth, total) it reports p50/p95 latency; per workload the frames/s; and the model load time and peak
//! memory (VmHWM) of the process.

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use clap::Args;
use image::RgbImage;
use mien_video::{VideoReader, is_video_path};
use mien_vision::{
    AnalyzerConfig, ClassifierChoice, DetectorMode, ExecutionProviderKind,
    frame::{DecodeLimits, PixelLayout, frame_from_raw, load_image},
    resize::resize,
};
use serde::Serialize;

use crate::setup::SetupArgs;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A video (frames are decoded from it) or an image (used for the synthetic frames only).
    #[arg(long)]
    pub input: PathBuf,
    /// Frames per workload.
    #[arg(long, default_value_t = 240)]
    pub frames: usize,
    /// Analyzer thread counts to run (comma separated).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub threads: Vec<usize>,
    /// Providers to run (default: every provider this ONNX Runtime has).
    #[arg(long, value_delimiter = ',')]
    pub providers: Vec<ExecutionProviderKind>,
    #[arg(long, default_value = "front")]
    pub detector: DetectorMode,
    #[arg(long, default_value = "mien")]
    pub model: ClassifierChoice,
    #[arg(long, value_enum, default_value = "text")]
    pub format: crate::record::ReportFormat,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub mean_ms: f64,
}

fn percentiles(mut v: Vec<f64>) -> Percentiles {
    if v.is_empty() {
        return Percentiles::default();
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Percentiles { p50_ms: at(0.5), p95_ms: at(0.95), mean_ms: v.iter().sum::<f64>() / v.len() as f64 }
}

#[derive(Debug, Serialize)]
pub struct Stages {
    pub decode: Percentiles,
    pub detect: Percentiles,
    pub crop: Percentiles,
    pub classify: Percentiles,
    pub smooth: Percentiles,
    pub total: Percentiles,
}

#[derive(Debug, Serialize)]
pub struct Workload {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub provider: String,
    pub active_provider: String,
    pub threads: usize,
    pub frames: usize,
    pub frames_with_face: usize,
    pub fps: f64,
    pub fps_per_thread: f64,
    pub latency: Stages,
}

impl Workload {
    fn new(
        name: &str,
        (width, height): (u32, u32),
        provider: ExecutionProviderKind,
        active: &str,
        threads: usize,
        t: Times,
        wall: Duration,
    ) -> Self {
        let frames = t.total.len();
        let fps = frames as f64 / wall.as_secs_f64();
        Self {
            name: name.into(),
            width,
            height,
            provider: provider.name().into(),
            active_provider: active.into(),
            threads,
            frames,
            frames_with_face: t.faces,
            fps,
            fps_per_thread: fps / threads as f64,
            latency: t.stages(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub machine: String,
    pub cpus: usize,
    pub onnxruntime: String,
    pub detector: String,
    pub model: String,
    pub model_load_ms: f64,
    pub workloads: Vec<Workload>,
    pub peak_rss_mb: Option<f64>,
    pub method: &'static str,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Peak resident memory of this process (Linux `VmHWM`), in MB.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// One frame as the app delivers it: raw RGBA bytes.
struct RawFrame {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

fn to_rgba(img: &RgbImage) -> RawFrame {
    let rgba = img.as_raw().chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    RawFrame { width: img.width(), height: img.height(), rgba }
}

/// Distinct frames kept in memory per workload (cycled through; keeps the benchmark's own memory small).
const DISTINCT_FRAMES: usize = 48;

/// Scale to cover `w x h` and centre-crop.
fn fit(img: &RgbImage, w: u32, h: u32) -> RgbImage {
    let s = (w as f32 / img.width() as f32).max(h as f32 / img.height() as f32);
    let (sw, sh) = (((img.width() as f32 * s).ceil() as u32).max(w), ((img.height() as f32 * s).ceil() as u32).max(h));
    let scaled = resize(img, sw, sh);
    image::imageops::crop_imm(&scaled, (sw - w) / 2, (sh - h) / 2, w, h).to_image()
}

struct Times {
    decode: Vec<f64>,
    detect: Vec<f64>,
    crop: Vec<f64>,
    classify: Vec<f64>,
    smooth: Vec<f64>,
    total: Vec<f64>,
    faces: usize,
}

impl Times {
    fn new() -> Self {
        Self { decode: vec![], detect: vec![], crop: vec![], classify: vec![], smooth: vec![], total: vec![], faces: 0 }
    }
    /// One frame: its decode time, the analyzer's stage timings, and the whole.
    fn record(&mut self, decode: Duration, r: &mien_vision::Analysis, total: Duration) {
        self.decode.push(ms(decode));
        self.detect.push(ms(r.timings.detect));
        self.crop.push(ms(r.timings.crop));
        self.classify.push(ms(r.timings.classify));
        self.smooth.push(ms(r.timings.smooth));
        self.total.push(ms(total));
        self.faces += usize::from(r.sample.status.has_face());
    }

    fn merge(&mut self, o: Times) {
        self.decode.extend(o.decode);
        self.detect.extend(o.detect);
        self.crop.extend(o.crop);
        self.classify.extend(o.classify);
        self.smooth.extend(o.smooth);
        self.total.extend(o.total);
        self.faces += o.faces;
    }
    fn stages(self) -> Stages {
        Stages {
            decode: percentiles(self.decode),
            detect: percentiles(self.detect),
            crop: percentiles(self.crop),
            classify: percentiles(self.classify),
            smooth: percentiles(self.smooth),
            total: percentiles(self.total),
        }
    }
}

/// Run `frames` through `analyzers` (one thread each, frames dealt round-robin). Returns (times, wall).
fn run_raw(analyzers: &mut [mien_vision::Analyzer], frames: &[RawFrame], count: usize) -> Result<(Times, Duration)> {
    let n = analyzers.len();
    let start = Instant::now();
    let results: Vec<Result<Times>> = std::thread::scope(|s| {
        let handles: Vec<_> = analyzers
            .iter_mut()
            .enumerate()
            .map(|(k, a)| {
                s.spawn(move || -> Result<Times> {
                    let mut t = Times::new();
                    for i in (k..count).step_by(n) {
                        let f = &frames[i % frames.len()];
                        let t_ms = i as u64 * 100;
                        let t0 = Instant::now();
                        let img =
                            frame_from_raw(f.width, f.height, PixelLayout::Rgba8, &f.rgba, &DecodeLimits::default())?;
                        let decode = t0.elapsed();
                        let r = a.analyze(t_ms, &img)?;
                        t.record(decode, &r, t0.elapsed());
                    }
                    Ok(t)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| bail!("a benchmark thread panicked"))).collect()
    });
    let wall = start.elapsed();
    let mut all = Times::new();
    for r in results {
        all.merge(r?);
    }
    Ok((all, wall))
}

/// The video workload with one analyzer: decode (timed per frame) then analyse, sequentially.
fn run_video(
    analyzer: &mut mien_vision::Analyzer,
    path: &std::path::Path,
    limit: usize,
) -> Result<(Times, Duration, u32, u32)> {
    let mut reader = VideoReader::open(path, 0, 1)?;
    let (w, h) = (reader.info().width, reader.info().height);
    let mut t = Times::new();
    let start = Instant::now();
    while t.total.len() < limit {
        let t0 = Instant::now();
        let Some(frame) = reader.next_frame()? else { break };
        let decode = t0.elapsed();
        let r = analyzer.analyze(frame.t_ms, &frame.image)?;
        t.record(decode, &r, t0.elapsed());
    }
    Ok((t, start.elapsed(), w, h))
}

pub fn run(setup: &SetupArgs, args: &BenchArgs) -> Result<u8> {
    if args.frames == 0 || args.threads.contains(&0) {
        bail!("--frames and --threads must be positive");
    }
    let loaded = setup.load()?;
    let providers =
        if args.providers.is_empty() { loaded.runtime.available_providers() } else { args.providers.clone() };

    // Source frames for the synthetic workloads.
    let source: Vec<RgbImage> = if is_video_path(&args.input) {
        // Distinct frames spread over the whole video.
        let probe = VideoReader::open(&args.input, 0, 1)?;
        let every = probe.info().duration_ms.unwrap_or(0) / DISTINCT_FRAMES as u64;
        drop(probe);
        let mut r = VideoReader::open(&args.input, every, 1)?;
        let mut v = Vec::new();
        while v.len() < args.frames.min(DISTINCT_FRAMES) {
            match r.next_frame()? {
                Some(f) => v.push(f.image),
                None => break,
            }
        }
        v
    } else {
        vec![load_image(&args.input, &DecodeLimits::default())?]
    };
    if source.is_empty() {
        bail!("{} has no frames", args.input.display());
    }

    let mut report = BenchReport {
        machine: cpu_model(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        onnxruntime: loaded.runtime.version().to_string(),
        detector: format!("{:?}", args.detector).to_lowercase(),
        model: String::new(),
        model_load_ms: 0.0,
        workloads: Vec::new(),
        peak_rss_mb: None,
        method: "analyzers with 1 intra-op thread each; frames dealt round-robin to the threads; synthetic frames are \
                 pre-rendered raw RGBA (decode = RGBA->RGB); the video workload decodes with FFmpeg in the same thread",
    };
    for provider in providers {
        let runtime = &loaded.runtime;
        runtime.request_provider(provider);
        let max_threads = args.threads.iter().copied().max().unwrap_or(1);
        let t0 = Instant::now();
        let mut analyzers =
            vec![loaded.store.analyzer(runtime, args.detector, args.model, AnalyzerConfig::default())?];
        report.model_load_ms = ms(t0.elapsed());
        report.model = analyzers[0].classifier_id().to_string();
        for _ in 1..max_threads {
            analyzers.push(loaded.store.analyzer(runtime, args.detector, args.model, AnalyzerConfig::default())?);
        }
        let active = runtime.provider_status().active.name().to_string();

        if is_video_path(&args.input) {
            analyzers[0].reset();
            let (t, wall, w, h) = run_video(&mut analyzers[0], &args.input, args.frames)
                .with_context(|| format!("video workload on {}", args.input.display()))?;
            report.workloads.push(Workload::new("video", (w, h), provider, &active, 1, t, wall));
        }
        for (w, h) in [(640u32, 480u32), (1280, 720)] {
            let frames: Vec<RawFrame> = source.iter().map(|img| to_rgba(&fit(img, w, h))).collect();
            for &threads in &args.threads {
                for a in analyzers.iter_mut() {
                    a.reset();
                }
                // warm-up: one frame per analyzer
                run_raw(&mut analyzers[..threads], &frames, threads)?;
                let (t, wall) = run_raw(&mut analyzers[..threads], &frames, args.frames)?;
                report.workloads.push(Workload::new("synthetic", (w, h), provider, &active, threads, t, wall));
            }
        }
    }
    report.peak_rss_mb = peak_rss_mb();
    match args.format {
        crate::record::ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        crate::record::ReportFormat::Text => print_text(&report),
    }
    Ok(0)
}

fn print_text(r: &BenchReport) {
    println!(
        "{} ({} CPUs), ONNX Runtime {}, detector {}, model {}",
        r.machine, r.cpus, r.onnxruntime, r.detector, r.model
    );
    println!("model load {:.1} ms, peak memory {:.0} MB", r.model_load_ms, r.peak_rss_mb.unwrap_or(f64::NAN));
    println!(
        "{:<10} {:>9} {:>8} {:>3} {:>8} {:>8}   {:>13} {:>13} {:>13} {:>13} {:>13}",
        "workload",
        "size",
        "provider",
        "thr",
        "fps",
        "fps/thr",
        "decode p50/95",
        "detect",
        "classify",
        "smooth",
        "total"
    );
    for w in &r.workloads {
        let p = |x: &Percentiles| format!("{:.2}/{:.2}", x.p50_ms, x.p95_ms);
        println!(
            "{:<10} {:>9} {:>8} {:>3} {:>8.1} {:>8.1}   {:>13} {:>13} {:>13} {:>13} {:>13}",
            w.name,
            format!("{}x{}", w.width, w.height),
            w.active_provider,
            w.threads,
            w.fps,
            w.fps_per_thread,
            p(&w.latency.decode),
            p(&w.latency.detect),
            p(&w.latency.classify),
            p(&w.latency.smooth),
            p(&w.latency.total)
        );
    }
}
