//! Video decoding for Mien's command line: a video file in, RGB frames with their presentation time out, sampled
//! at a chosen interval.
//!
//! It links the system FFmpeg libraries through `ffmpeg-next` (the reasons, licence included, are in
//! ARCHITECTURE.md). Only this crate does: the vision core and the desktop app (which plays videos in the webview)
//! stay free of it. Frames are handed to the caller and never stored.
//!
//! Errors are explicit: a file that cannot be opened (missing index, not a video) fails on open; a file that ends
//! before the frame count its container announces fails at the end with [`VideoError::Truncated`], after every
//! frame that could be decoded has been delivered.

use std::path::{Path, PathBuf};

use ffmpeg::{
    codec, decoder,
    format::{self, Pixel},
    media,
    software::scaling,
    util::frame,
};
use ffmpeg_next as ffmpeg;
use image::RgbImage;

#[derive(Debug, thiserror::Error)]
pub enum VideoError {
    #[error("cannot open video {path}: {reason} (missing, not a video, or its index is missing/truncated)")]
    Open { path: PathBuf, reason: String },
    #[error("{path} has no video stream")]
    NoVideoStream { path: PathBuf },
    #[error("video {path}: unsupported or broken codec: {reason}")]
    Codec { path: PathBuf, reason: String },
    #[error("video {path}: read error after {decoded} frames: {reason}")]
    Read { path: PathBuf, decoded: u64, reason: String },
    #[error("video {path} is truncated or corrupt: it holds {found} of the {expected} frames its index announces")]
    Truncated { path: PathBuf, found: u64, expected: u64 },
    #[error("video {path}: frame of {width}x{height} is outside the accepted size")]
    FrameSize { path: PathBuf, width: u32, height: u32 },
}

pub type Result<T, E = VideoError> = std::result::Result<T, E>;

/// What the container says about the video stream.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    pub width: u32,
    pub height: u32,
    pub codec: String,
    /// Duration in milliseconds, when known.
    pub duration_ms: Option<u64>,
    /// Average frame rate, when known.
    pub fps: Option<f64>,
    /// Number of frames announced by the container's index (0 when unknown).
    pub frames: u64,
}

/// One decoded frame.
#[derive(Debug)]
pub struct VideoFrame {
    /// Presentation time from the start of the stream, in milliseconds.
    pub t_ms: u64,
    pub image: RgbImage,
}

/// Largest frame side accepted (8K).
const MAX_SIDE: u32 = 8192;
/// Share of the announced frames that must decode before a file counts as complete (containers round).
const COMPLETE_RATIO: f64 = 0.98;

/// Sequential reader of one video stream. Frames between two sampling points are decoded (H.264 needs them) but not
/// converted to RGB.
pub struct VideoReader {
    path: PathBuf,
    input: format::context::Input,
    decoder: decoder::Video,
    scaler: Option<(Pixel, u32, u32, scaling::Context)>,
    stream_index: usize,
    time_base: f64,
    start_pts: Option<i64>,
    info: VideoInfo,
    every_ms: u64,
    next_due_ms: u64,
    decoded: u64,
    eof_sent: bool,
    done: bool,
    discard: ffmpeg::Discard,
    /// Packets of the video stream read from the file (decoded or deliberately skipped).
    packets: u64,
    scratch: frame::Video,
}

impl std::fmt::Debug for VideoReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoReader").field("path", &self.path).field("info", &self.info).finish()
    }
}

fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Err(e) = ffmpeg::init() {
            tracing::warn!("FFmpeg initialisation: {e}");
        }
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Fatal);
    });
}

impl VideoReader {
    /// Open `path`. With `every_ms` > 0 only the first frame at or after each multiple of `every_ms` is returned;
    /// with 0 every frame is.
    pub fn open(path: &Path, every_ms: u64, decoder_threads: usize) -> Result<Self> {
        init();
        let path_buf = path.to_path_buf();
        let input =
            format::input(path).map_err(|e| VideoError::Open { path: path_buf.clone(), reason: e.to_string() })?;
        let stream = input
            .streams()
            .best(media::Type::Video)
            .ok_or_else(|| VideoError::NoVideoStream { path: path_buf.clone() })?;
        let stream_index = stream.index();
        let tb = stream.time_base();
        let time_base =
            if tb.denominator() != 0 { f64::from(tb.numerator()) / f64::from(tb.denominator()) } else { 0.0 };
        let codec_err = |e: ffmpeg::Error| VideoError::Codec { path: path_buf.clone(), reason: e.to_string() };
        let mut ctx = codec::context::Context::from_parameters(stream.parameters()).map_err(codec_err)?;
        ctx.set_threading(codec::threading::Config {
            kind: codec::threading::Type::Frame,
            count: decoder_threads,
            ..Default::default()
        });
        let decoder = ctx.decoder().video().map_err(codec_err)?;
        let rate = stream.avg_frame_rate();
        let fps = (rate.denominator() != 0 && rate.numerator() > 0)
            .then(|| f64::from(rate.numerator()) / f64::from(rate.denominator()));
        let duration_ms = if stream.duration() > 0 {
            Some((stream.duration() as f64 * time_base * 1000.0) as u64)
        } else if input.duration() > 0 {
            Some((input.duration() as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE) * 1000.0) as u64)
        } else {
            None
        };
        let info = VideoInfo {
            width: decoder.width(),
            height: decoder.height(),
            codec: decoder.codec().map(|c| c.name().to_string()).unwrap_or_else(|| "unknown".into()),
            duration_ms,
            fps,
            frames: u64::try_from(stream.frames()).unwrap_or(0),
        };
        if info.width == 0 || info.height == 0 || info.width > MAX_SIDE || info.height > MAX_SIDE {
            return Err(VideoError::FrameSize { path: path_buf, width: info.width, height: info.height });
        }
        Ok(Self {
            path: path_buf,
            input,
            decoder,
            scaler: None,
            stream_index,
            time_base,
            start_pts: None,
            info,
            every_ms,
            next_due_ms: 0,
            decoded: 0,
            eof_sent: false,
            done: false,
            discard: ffmpeg::Discard::Default,
            packets: 0,
            scratch: frame::Video::empty(),
        })
    }

    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    /// Frames decoded so far (sampled or not; frames skipped as unneeded are not counted).
    pub fn decoded(&self) -> u64 {
        self.decoded
    }

    /// Video packets read so far (one per frame).
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// The next sampled frame, `Ok(None)` at the end of a complete stream.
    pub fn next_frame(&mut self) -> Result<Option<VideoFrame>> {
        if self.done {
            return Ok(None);
        }
        loop {
            match self.decoder.receive_frame(&mut self.scratch) {
                Ok(()) => {
                    self.decoded += 1;
                    let pts = self.scratch.timestamp().or(self.scratch.pts()).unwrap_or(0);
                    let start = *self.start_pts.get_or_insert(pts);
                    let t_ms = ((pts - start).max(0) as f64 * self.time_base * 1000.0).round() as u64;
                    if t_ms < self.next_due_ms {
                        continue;
                    }
                    self.next_due_ms = t_ms.checked_div(self.every_ms).map_or(0, |k| (k + 1) * self.every_ms);
                    let image = self.convert_rgb()?;
                    return Ok(Some(VideoFrame { t_ms, image }));
                }
                Err(ffmpeg::Error::Eof) => {
                    self.done = true;
                    // A file cut after its index demuxes fewer packets than the index announces frames.
                    let expected = self.info.frames;
                    if expected > 0 && (self.packets as f64) < expected as f64 * COMPLETE_RATIO {
                        return Err(VideoError::Truncated { path: self.path.clone(), found: self.packets, expected });
                    }
                    return Ok(None);
                }
                Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::util::error::EAGAIN => self.feed()?,
                Err(e) => {
                    self.done = true;
                    return Err(self.read_error(e));
                }
            }
        }
    }

    fn read_error(&self, e: ffmpeg::Error) -> VideoError {
        VideoError::Read { path: self.path.clone(), decoded: self.decoded, reason: e.to_string() }
    }

    /// Send the next packet of our stream (or end-of-stream) to the decoder.
    fn feed(&mut self) -> Result<()> {
        if self.eof_sent {
            // The decoder asked for more after EOF: nothing more will come.
            return Err(self.read_error(ffmpeg::Error::Eof));
        }
        let mut packet = ffmpeg::Packet::empty();
        loop {
            match packet.read(&mut self.input) {
                Ok(()) if packet.stream() == self.stream_index => {
                    self.choose_discard(&packet);
                    self.packets += 1;
                    match self.decoder.send_packet(&packet) {
                        Ok(()) => return Ok(()),
                        // A corrupt packet: skip it, the decoder resynchronises on the next key frame.
                        Err(ffmpeg::Error::InvalidData) => {
                            tracing::debug!("skipping a corrupt video packet");
                            continue;
                        }
                        Err(e) => return Err(self.read_error(e)),
                    }
                }
                Ok(()) => continue,
                Err(ffmpeg::Error::Eof) => {
                    self.eof_sent = true;
                    return self.decoder.send_eof().map_err(|e| self.read_error(e));
                }
                Err(ffmpeg::Error::InvalidData) => continue,
                Err(e) => return Err(self.read_error(e)),
            }
        }
    }

    /// When sampling, frames that nothing else references (H.264 non-reference B-frames) and whose time is well
    /// before the next sampling point are not decoded at all. Frames near a sampling point always are, so the
    /// sampled times are the same as when decoding everything.
    fn choose_discard(&mut self, packet: &ffmpeg::Packet) {
        if self.every_ms == 0 {
            return;
        }
        let frame_ms = self.info.fps.map_or(100.0, |f| 1000.0 / f);
        let start = self.start_pts.unwrap_or(0);
        let t_ms = packet.pts().map_or(f64::MAX, |p| (p - start) as f64 * self.time_base * 1000.0);
        let far = t_ms + 2.0 * frame_ms < self.next_due_ms as f64;
        let want = if far { ffmpeg::Discard::NonReference } else { ffmpeg::Discard::Default };
        if want != self.discard {
            self.decoder.skip_frame(want);
            self.discard = want;
        }
    }

    fn convert_rgb(&mut self) -> Result<RgbImage> {
        let (fmt, w, h) = (self.scratch.format(), self.scratch.width(), self.scratch.height());
        if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
            return Err(VideoError::FrameSize { path: self.path.clone(), width: w, height: h });
        }
        let stale = self.scaler.as_ref().is_none_or(|(f, sw, sh, _)| (*f, *sw, *sh) != (fmt, w, h));
        if stale {
            let ctx = scaling::Context::get(fmt, w, h, Pixel::RGB24, w, h, scaling::Flags::BICUBIC)
                .map_err(|e| self.read_error(e))?;
            self.scaler = Some((fmt, w, h, ctx));
        }
        let mut rgb = frame::Video::empty();
        if let Some((_, _, _, ctx)) = self.scaler.as_mut() {
            ctx.run(&self.scratch, &mut rgb).map_err(|e| VideoError::Read {
                path: self.path.clone(),
                decoded: self.decoded,
                reason: e.to_string(),
            })?;
        }
        // Copy row by row: FFmpeg pads lines to its alignment.
        let stride = rgb.stride(0);
        let data = rgb.data(0);
        let row = w as usize * 3;
        let mut out = Vec::with_capacity(row * h as usize);
        for y in 0..h as usize {
            out.extend_from_slice(&data[y * stride..y * stride + row]);
        }
        RgbImage::from_raw(w, h, out).ok_or_else(|| VideoError::FrameSize {
            path: self.path.clone(),
            width: w,
            height: h,
        })
    }
}

impl Iterator for VideoReader {
    type Item = Result<VideoFrame>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame().transpose()
    }
}

/// Whether a path looks like a video by its extension (images are handled by the vision crate).
pub fn is_video_path(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
        Some("mp4" | "m4v" | "mov" | "webm" | "mkv" | "avi" | "ogv")
    )
}
