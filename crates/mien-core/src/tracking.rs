//! Choosing the primary face (the interviewee) among the detections of a frame, stably over time.
//!
//! Rule on a frame with no history (a photo, or the first frame after the face was lost): the largest box, ties
//! broken by the higher detector score, then by the lower index (this matches the reference pipeline). Over time:
//! the previous primary face is kept while a detection overlaps it (IoU >= `keep_iou`) and is not much smaller than
//! the largest face in the frame (`keep_area_ratio`); a bystander passing close to the camera for one frame
//! therefore does not steal the timeline, but a clearly larger face does. History expires after `forget_after_ms`
//! without the face.

use serde::{Deserialize, Serialize};

use crate::FaceBox;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SelectorConfig {
    pub keep_iou: f32,
    pub keep_area_ratio: f32,
    pub forget_after_ms: u64,
}

impl Default for SelectorConfig {
    fn default() -> Self {
        Self { keep_iou: 0.3, keep_area_ratio: 0.5, forget_after_ms: 1500 }
    }
}

#[derive(Debug, Clone)]
pub struct PrimaryFaceSelector {
    config: SelectorConfig,
    last: Option<(u64, FaceBox)>,
}

/// The choice for one frame without history: largest area, then higher score, then lower index.
pub fn largest_face(faces: &[(FaceBox, f32)]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, (b, s)) in faces.iter().enumerate() {
        best = match best {
            None => Some(i),
            Some(j) => {
                let (bj, sj) = faces[j];
                let better = b.area() > bj.area() || (b.area() == bj.area() && *s > sj);
                Some(if better { i } else { j })
            }
        };
    }
    best
}

impl PrimaryFaceSelector {
    pub fn new(config: SelectorConfig) -> Self {
        Self { config, last: None }
    }

    pub fn reset(&mut self) {
        self.last = None;
    }

    /// Pick the primary face among `faces` (box, score) seen at `t_ms`; returns its index.
    pub fn select(&mut self, t_ms: u64, faces: &[(FaceBox, f32)]) -> Option<usize> {
        if let Some((t0, _)) = self.last
            && (t_ms < t0 || t_ms - t0 > self.config.forget_after_ms)
        {
            self.last = None;
        }
        let largest = largest_face(faces)?;
        let largest_area = faces[largest].0.area();
        let kept = self.last.and_then(|(_, prev)| {
            faces
                .iter()
                .enumerate()
                .filter(|(_, (b, _))| b.area() >= self.config.keep_area_ratio * largest_area)
                .map(|(i, (b, _))| (i, b.iou(&prev)))
                .filter(|(_, iou)| *iou >= self.config.keep_iou)
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i)
        });
        let chosen = kept.unwrap_or(largest);
        self.last = Some((t_ms, faces[chosen].0));
        Some(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(x: f32, side: f32) -> FaceBox {
        FaceBox::new(x, 100.0, x + side, 100.0 + side)
    }

    #[test]
    fn photo_rule_is_largest_then_score_then_index() {
        assert_eq!(largest_face(&[]), None);
        assert_eq!(largest_face(&[(b(0.0, 50.0), 0.9), (b(200.0, 80.0), 0.8)]), Some(1));
        assert_eq!(largest_face(&[(b(0.0, 50.0), 0.8), (b(200.0, 50.0), 0.9)]), Some(1));
        assert_eq!(largest_face(&[(b(0.0, 50.0), 0.9), (b(200.0, 50.0), 0.9)]), Some(0));
    }

    #[test]
    fn keeps_the_interviewee_against_a_slightly_larger_passer_by() {
        let mut s = PrimaryFaceSelector::new(SelectorConfig::default());
        let me = b(300.0, 100.0);
        assert_eq!(s.select(0, &[(me, 0.9)]), Some(0));
        // A bystander 1.3x larger appears: the tracked face stays primary.
        assert_eq!(s.select(100, &[(b(0.0, 130.0), 0.9), (b(305.0, 100.0), 0.9)]), Some(1));
        // A face 3x larger (someone leaning into the camera) takes over.
        assert_eq!(s.select(200, &[(b(0.0, 300.0), 0.9), (b(310.0, 100.0), 0.9)]), Some(0));
    }

    #[test]
    fn history_expires() {
        let mut s = PrimaryFaceSelector::new(SelectorConfig::default());
        s.select(0, &[(b(300.0, 100.0), 0.9)]);
        assert_eq!(s.select(100, &[]), None);
        // After 1.5 s without it, the photo rule applies again.
        assert_eq!(s.select(5000, &[(b(0.0, 130.0), 0.9), (b(300.0, 100.0), 0.9)]), Some(0));
    }
}
