//! The Analyzer: one frame in, one [`Sample`] out (detect -> primary face -> crop -> classify -> smooth).
//!
//! It owns its models (ONNX sessions need `&mut` to run), so one Analyzer lives on one worker thread. Nothing about
//! a frame outlives the call: the crop is dropped before `analyze` returns and nothing is logged but timings.

use std::time::{Duration, Instant};

use image::RgbImage;
use mien_core::{
    AttitudeSmoother, FaceObservation, PrimaryFaceSelector, QualityThresholds, Sample, SelectorConfig, SmoothingConfig,
};
use serde::Serialize;

use crate::{
    crop::{DEFAULT_MARGIN, crop, crop_rect},
    detection::{Detection, FaceDetect},
    error::Result,
    expression::ExpressionModel,
};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalyzerConfig {
    pub margin: f32,
    pub thresholds: QualityThresholds,
    pub smoothing: SmoothingConfig,
    pub selector: SelectorConfig,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            margin: DEFAULT_MARGIN,
            thresholds: QualityThresholds::default(),
            smoothing: SmoothingConfig::default(),
            selector: SelectorConfig::default(),
        }
    }
}

/// Time spent in each stage of one frame.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct StageTimings {
    pub detect: Duration,
    pub crop: Duration,
    pub classify: Duration,
    pub smooth: Duration,
}

/// The result of one frame: the sample plus every detection (the primary one is `faces[primary]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    pub sample: Sample,
    pub faces: Vec<Detection>,
    pub primary: Option<usize>,
    pub timings: StageTimings,
}

pub struct Analyzer {
    detector: Box<dyn FaceDetect>,
    classifier: Box<dyn ExpressionModel>,
    selector: PrimaryFaceSelector,
    smoother: AttitudeSmoother,
    config: AnalyzerConfig,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("detector", &self.detector.name())
            .field("classifier", &self.classifier.id())
            .field("config", &self.config)
            .finish()
    }
}

impl Analyzer {
    pub fn new(detector: Box<dyn FaceDetect>, classifier: Box<dyn ExpressionModel>, config: AnalyzerConfig) -> Self {
        Self {
            detector,
            classifier,
            selector: PrimaryFaceSelector::new(config.selector),
            smoother: AttitudeSmoother::new(config.smoothing),
            config,
        }
    }

    pub fn detector_name(&self) -> &str {
        self.detector.name()
    }

    pub fn classifier_id(&self) -> &str {
        self.classifier.id()
    }

    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// Forget the history (primary face, smoothing): call between unrelated sources.
    pub fn reset(&mut self) {
        self.selector.reset();
        self.smoother.reset();
    }

    /// Analyse one frame taken at `t_ms`.
    pub fn analyze(&mut self, t_ms: u64, frame: &RgbImage) -> Result<Analysis> {
        let mut timings = StageTimings::default();
        let t0 = Instant::now();
        let faces = self.detector.detect(frame)?;
        timings.detect = t0.elapsed();

        let boxes: Vec<_> = faces.iter().map(|d| (d.bbox, d.score)).collect();
        let primary = self.selector.select(t_ms, &boxes);
        let mut sample = match primary {
            None => Sample::no_face(t_ms),
            Some(i) => {
                let det = faces[i];
                let t1 = Instant::now();
                let rect = crop_rect(&det.bbox, self.config.margin, frame.dimensions())?;
                let face_crop = crop(frame, rect);
                timings.crop = t1.elapsed();
                let t2 = Instant::now();
                let probs = self.classifier.classify(&face_crop)?;
                timings.classify = t2.elapsed();
                Sample::with_face(
                    t_ms,
                    u32::try_from(faces.len()).unwrap_or(u32::MAX),
                    FaceObservation { bbox: det.bbox, score: det.score },
                    probs,
                    frame.dimensions(),
                    &self.config.thresholds,
                )
            }
        };
        let t3 = Instant::now();
        self.smoother.apply(&mut sample);
        timings.smooth = t3.elapsed();
        tracing::trace!(t_ms, status = sample.status.name(), faces = faces.len(), ?timings, "frame analysed");
        Ok(Analysis { sample, faces, primary, timings })
    }
}

#[cfg(test)]
mod tests {
    use mien_core::{Attitude, ExpressionProbs, FaceBox, Point, SampleStatus};

    use super::*;
    use crate::error::VisionError;

    /// A detector returning fixed boxes, and a classifier that reads the crop's mean brightness as "happiness":
    /// the pipeline's wiring can be tested without any model.
    struct FakeDetector(Vec<FaceBox>);
    impl FaceDetect for FakeDetector {
        fn name(&self) -> &str {
            "fake"
        }
        fn detect(&mut self, _: &RgbImage) -> Result<Vec<Detection>> {
            Ok(self
                .0
                .iter()
                .enumerate()
                .map(|(i, b)| Detection {
                    bbox: *b,
                    score: 0.9,
                    keypoints: [Point { x: 0.0, y: 0.0 }; 6],
                    anchor: i,
                    merged: 1,
                })
                .collect())
        }
    }
    struct Brightness;
    impl ExpressionModel for Brightness {
        fn id(&self) -> &str {
            "brightness"
        }
        fn classify(&mut self, crop: &RgbImage) -> Result<ExpressionProbs> {
            let mean = crop.as_raw().iter().map(|&v| f32::from(v)).sum::<f32>() / crop.as_raw().len() as f32 / 255.0;
            let rest = (1.0 - mean) / 6.0;
            ExpressionProbs::new(&[rest, rest, rest, mean, rest, rest, rest])
                .map_err(|e| VisionError::BadModelOutput { model: "b".into(), reason: e.to_string() })
        }
    }

    fn analyzer(boxes: Vec<FaceBox>) -> Analyzer {
        Analyzer::new(Box::new(FakeDetector(boxes)), Box::new(Brightness), AnalyzerConfig::default())
    }

    #[test]
    fn no_face_is_never_neutral() {
        let mut a = analyzer(vec![]);
        let r = a.analyze(0, &RgbImage::new(64, 48)).expect("ok");
        assert_eq!(r.sample.status, SampleStatus::NoFace);
        assert!(r.sample.label.is_none() && r.sample.smoothed_label.is_none());
        assert_eq!(r.primary, None);
    }

    #[test]
    fn primary_face_is_cropped_and_classified() {
        // Left half white, right half black; the larger face is on the white side.
        let frame = RgbImage::from_fn(200, 100, |x, _| if x < 100 { image::Rgb([255; 3]) } else { image::Rgb([0; 3]) });
        let mut a = analyzer(vec![FaceBox::new(120.0, 20.0, 170.0, 70.0), FaceBox::new(10.0, 10.0, 80.0, 80.0)]);
        let r = a.analyze(0, &frame).expect("ok");
        assert_eq!(r.primary, Some(1));
        assert_eq!(r.sample.face_count, 2);
        assert_eq!(r.sample.label, Some(Attitude::Positive));
        assert!(r.sample.has_flag(mien_core::QualityFlag::MultipleFaces));
        assert_eq!(r.sample.smoothed_label, Some(Attitude::Positive));
    }

    #[test]
    fn a_broken_box_is_an_error() {
        let mut a = analyzer(vec![FaceBox::new(f32::NAN, 0.0, 10.0, 10.0)]);
        assert!(a.analyze(0, &RgbImage::new(64, 48)).is_err());
    }
}
