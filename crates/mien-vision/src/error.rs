//! The vision crate's error type: every failure a caller can meet, with what to do about it.

use std::path::PathBuf;

/// Errors of the vision pipeline. Messages are written for the person running the program.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    #[error(
        "ONNX Runtime was not found (looked in: {searched}). Run `python3 scripts/provision.py runtime` in the \
         project folder, or set ORT_DYLIB_PATH to an ONNX Runtime >= 1.31 shared library"
    )]
    RuntimeNotFound { searched: String },

    #[error("ONNX Runtime at {path} could not be loaded: {reason}")]
    RuntimeLoad { path: PathBuf, reason: String },

    #[error(
        "model file {path} is missing. Run `python3 scripts/provision.py models` or point --models / MIEN_MODELS_DIR at a folder with the model files"
    )]
    ModelMissing { path: PathBuf },

    #[error("model {path} could not be loaded (corrupt, truncated or not an ONNX model?): {reason}")]
    ModelLoad { path: PathBuf, reason: String },

    #[error("model {name} does not have the expected interface: {reason}")]
    ModelContract { name: String, reason: String },

    #[error("inference with {model} failed: {reason}")]
    Inference { model: String, reason: String },

    #[error("model {model} produced an unusable output: {reason}")]
    BadModelOutput { model: String, reason: String },

    #[error("could not read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the image is empty (0 bytes)")]
    EmptyImage,

    #[error("unrecognised image format (not PNG, JPEG, BMP, GIF, WebP or TIFF)")]
    UnknownImageFormat,

    #[error("image of {width}x{height} pixels exceeds the limit of {max_side} pixels per side / {max_pixels} pixels")]
    ImageTooLarge { width: u32, height: u32, max_side: u32, max_pixels: u64 },

    #[error("the image could not be decoded (truncated or corrupt?): {0}")]
    ImageDecode(String),

    #[error("invalid frame: {0}")]
    InvalidFrame(String),

    #[error("frame time {t_ms} ms is not after the previous frame's {last_ms} ms; frame ignored")]
    FrameTimeNotIncreasing { t_ms: u64, last_ms: u64 },

    #[error("execution provider {0} is not known; choose one of: cpu, cuda, directml, coreml")]
    UnknownProvider(String),
}

pub type Result<T, E = VisionError> = std::result::Result<T, E>;
