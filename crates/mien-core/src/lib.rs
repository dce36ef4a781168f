//! Mien's domain core: what a face expression, an attitude, a face box and an analysed sample *are*, and the pure
//! logic over them (attitude buckets, temporal smoothing, primary-face choice, quality states).
//!
//! This crate must not do I/O: no files, no ONNX Runtime, no SQLite, no Tauri. Everything here is deterministic and
//! testable with plain values; the vision, store, CLI and app crates build on it.

pub mod attitude;
pub mod geometry;
pub mod metrics;
pub mod policy;
pub mod sample;
pub mod smoothing;
pub mod summary;
pub mod tracking;

pub use attitude::{Attitude, AttitudeProbs, Expression, ExpressionProbs, ProbabilityError};
pub use geometry::{FaceBox, Point};
pub use policy::{Jurisdiction, Policy};
pub use sample::{FaceObservation, QualityFlag, QualityThresholds, Sample, SampleStatus};
pub use smoothing::{AttitudeSmoother, SmoothingConfig};
pub use summary::{Marker, Summary, SummaryConfig, summarize};
pub use tracking::{PrimaryFaceSelector, SelectorConfig};
