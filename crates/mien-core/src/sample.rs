//! One analysed moment of a session: what was seen, how sure we are, and which quality state it is in.
//!
//! A sample always carries an explicit [`SampleStatus`]. "No face" has no attitude at all: it is never reported as
//! neutral. Faces that were classified but should not be trusted (too small, low confidence) keep their
//! probabilities and say so in `status` and `flags`.

use serde::{Deserialize, Serialize};

use crate::{Attitude, AttitudeProbs, ExpressionProbs, FaceBox};

/// The quality state of a sample, worst first: a sample is in exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum SampleStatus {
    /// A primary face was found and classified with enough confidence.
    Ok,
    /// No face in the frame: no attitude.
    NoFace,
    /// The primary face is smaller than [`QualityThresholds::min_face_px`]: classified, but unreliable.
    FaceTooSmall,
    /// The most probable attitude has less than [`QualityThresholds::min_confidence`].
    LowConfidence,
}

impl SampleStatus {
    pub fn name(self) -> &'static str {
        match self {
            SampleStatus::Ok => "ok",
            SampleStatus::NoFace => "no_face",
            SampleStatus::FaceTooSmall => "face_too_small",
            SampleStatus::LowConfidence => "low_confidence",
        }
    }

    pub const ALL: [SampleStatus; 4] =
        [SampleStatus::Ok, SampleStatus::NoFace, SampleStatus::FaceTooSmall, SampleStatus::LowConfidence];

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether the sample carries attitude probabilities.
    pub fn has_face(self) -> bool {
        self != SampleStatus::NoFace
    }
}

/// Every quality observation that applies to a sample (the status is the worst of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum QualityFlag {
    NoFace,
    MultipleFaces,
    FaceTooSmall,
    LowConfidence,
    /// The primary face box crosses the frame border (part of the face is cut off).
    FaceAtBorder,
}

impl QualityFlag {
    pub const ALL: [QualityFlag; 5] = [
        QualityFlag::NoFace,
        QualityFlag::MultipleFaces,
        QualityFlag::FaceTooSmall,
        QualityFlag::LowConfidence,
        QualityFlag::FaceAtBorder,
    ];

    /// Bit of this flag in a compact bit set (storage).
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }

    pub fn to_bits(flags: &[QualityFlag]) -> u32 {
        flags.iter().fold(0, |acc, f| acc | f.bit())
    }

    pub fn from_bits(bits: u32) -> Vec<QualityFlag> {
        Self::ALL.into_iter().filter(|f| bits & f.bit() != 0).collect()
    }

    pub fn name(self) -> &'static str {
        match self {
            QualityFlag::NoFace => "no_face",
            QualityFlag::MultipleFaces => "multiple_faces",
            QualityFlag::FaceTooSmall => "face_too_small",
            QualityFlag::LowConfidence => "low_confidence",
            QualityFlag::FaceAtBorder => "face_at_border",
        }
    }
}

/// Limits below which a classified face is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct QualityThresholds {
    /// Minimum shorter side of the face box, in frame pixels. The classifiers see 48-112 px faces; below ~40 px
    /// an expression is mostly guessed.
    pub min_face_px: f32,
    /// Minimum probability of the most probable attitude (three classes: 1/3 is chance).
    pub min_confidence: f32,
}

impl Default for QualityThresholds {
    fn default() -> Self {
        Self { min_face_px: 40.0, min_confidence: 0.5 }
    }
}

/// The detected primary face.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FaceObservation {
    #[serde(rename = "box")]
    pub bbox: FaceBox,
    /// Detector score in [0, 1].
    pub score: f32,
}

/// One analysed frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Sample {
    /// Milliseconds from the start of the source (video time, or capture time for live sessions).
    pub t_ms: u64,
    pub status: SampleStatus,
    /// Number of faces detected in the frame (only the primary one is analysed).
    pub face_count: u32,
    /// The primary face, when there is one.
    pub face: Option<FaceObservation>,
    /// Canonical-order expression probabilities of the primary face.
    pub expressions: Option<ExpressionProbs>,
    pub attitude: Option<AttitudeProbs>,
    pub label: Option<Attitude>,
    /// Smoothed attitude (time-based; see [`crate::AttitudeSmoother`]); `None` when there is no face.
    pub smoothed: Option<AttitudeProbs>,
    pub smoothed_label: Option<Attitude>,
    pub flags: Vec<QualityFlag>,
}

impl Sample {
    /// A sample for a frame without any face.
    pub fn no_face(t_ms: u64) -> Self {
        Self {
            t_ms,
            status: SampleStatus::NoFace,
            face_count: 0,
            face: None,
            expressions: None,
            attitude: None,
            label: None,
            smoothed: None,
            smoothed_label: None,
            flags: vec![QualityFlag::NoFace],
        }
    }

    /// A sample for a classified primary face; status and flags follow from `thresholds`.
    pub fn with_face(
        t_ms: u64,
        face_count: u32,
        face: FaceObservation,
        expressions: ExpressionProbs,
        frame_size: (u32, u32),
        thresholds: &QualityThresholds,
    ) -> Self {
        let attitude = expressions.attitude();
        let mut flags = Vec::new();
        if face_count > 1 {
            flags.push(QualityFlag::MultipleFaces);
        }
        let too_small = face.bbox.min_side() < thresholds.min_face_px;
        if too_small {
            flags.push(QualityFlag::FaceTooSmall);
        }
        let unsure = attitude.confidence() < thresholds.min_confidence;
        if unsure {
            flags.push(QualityFlag::LowConfidence);
        }
        if face.bbox.touches_border(frame_size.0, frame_size.1) {
            flags.push(QualityFlag::FaceAtBorder);
        }
        let status = if too_small {
            SampleStatus::FaceTooSmall
        } else if unsure {
            SampleStatus::LowConfidence
        } else {
            SampleStatus::Ok
        };
        Self {
            t_ms,
            status,
            face_count: face_count.max(1),
            face: Some(face),
            expressions: Some(expressions),
            attitude: Some(attitude),
            label: Some(attitude.label()),
            smoothed: None,
            smoothed_label: None,
            flags,
        }
    }

    pub fn has_flag(&self, flag: QualityFlag) -> bool {
        self.flags.contains(&flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probs(happy: f32) -> ExpressionProbs {
        let rest = (1.0 - happy) / 6.0;
        ExpressionProbs::new(&[rest, rest, rest, happy, rest, rest, rest]).expect("valid")
    }

    fn unsure() -> ExpressionProbs {
        ExpressionProbs::new(&[0.08, 0.08, 0.08, 0.42, 0.08, 0.08, 0.18]).expect("valid")
    }

    fn face(side: f32) -> FaceObservation {
        FaceObservation { bbox: FaceBox::new(100.0, 100.0, 100.0 + side, 100.0 + side), score: 0.9 }
    }

    #[test]
    fn no_face_has_no_attitude() {
        let s = Sample::no_face(5);
        assert_eq!(s.status, SampleStatus::NoFace);
        assert!(s.attitude.is_none() && s.label.is_none() && s.smoothed_label.is_none());
        assert!(s.has_flag(QualityFlag::NoFace));
        let json = serde_json::to_value(&s).expect("ser");
        assert_eq!(json["status"], "no_face");
        assert!(json["label"].is_null());
    }

    #[test]
    fn status_is_the_worst_flag() {
        let t = QualityThresholds::default();
        let ok = Sample::with_face(0, 1, face(120.0), probs(0.9), (640, 480), &t);
        assert_eq!(ok.status, SampleStatus::Ok);
        assert!(ok.flags.is_empty());
        assert_eq!(ok.label, Some(Attitude::Positive));

        let small_and_unsure = Sample::with_face(0, 3, face(20.0), unsure(), (640, 480), &t);
        assert_eq!(small_and_unsure.status, SampleStatus::FaceTooSmall);
        assert_eq!(
            small_and_unsure.flags,
            vec![QualityFlag::MultipleFaces, QualityFlag::FaceTooSmall, QualityFlag::LowConfidence]
        );

        let unsure = Sample::with_face(0, 1, face(120.0), unsure(), (640, 480), &t);
        assert_eq!(unsure.status, SampleStatus::LowConfidence);

        let cut = Sample::with_face(0, 1, face(600.0), probs(0.9), (640, 480), &t);
        assert!(cut.has_flag(QualityFlag::FaceAtBorder));
        assert_eq!(cut.status, SampleStatus::Ok);
    }
}
