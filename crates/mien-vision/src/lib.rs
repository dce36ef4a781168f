//! Mien's vision pipeline: from an RGB frame to an analysed [`mien_core::Sample`].
//!
//! It finds and loads ONNX Runtime ([`runtime`]), decodes images safely ([`frame`]), detects faces with BlazeFace
//! ([`detection`]), crops the primary face ([`crop`]), classifies its expression ([`expression`]) and puts it all
//! together in the [`Analyzer`]. Model files are located and verified by [`models`].
//!
//! This crate must not download anything, write frames or crops anywhere, or log per-person results above TRACE.
//! It receives model and runtime paths; it knows nothing about SQLite, Tauri or the command line.

pub mod analyzer;
pub mod crop;
pub mod detection;
pub mod error;
pub mod expression;
pub mod frame;
pub mod live;
pub mod models;
pub mod resize;
pub mod runtime;

pub use analyzer::{Analysis, Analyzer, AnalyzerConfig, StageTimings};
pub use detection::{Detection, DetectorMode};
pub use error::{Result, VisionError};
pub use expression::ClassifierChoice;
pub use live::{FrameIn, LiveAnalyzer, LiveEvent, LiveMonitor, LiveStats};
pub use models::ModelStore;
pub use runtime::{ExecutionProviderKind, ProviderStatus, Runtime, RuntimeConfig};
