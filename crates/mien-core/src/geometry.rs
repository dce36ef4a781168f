//! Face boxes and points in frame pixel coordinates (x to the right, y down, origin at the top-left corner).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

/// An axis-aligned box `[x1, y1, x2, y2]`; may extend beyond the frame (detectors do not clip).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FaceBox {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl FaceBox {
    pub fn new(x1: f32, y1: f32, x2: f32, y2: f32) -> Self {
        Self { x1, y1, x2, y2 }
    }

    pub fn width(&self) -> f32 {
        self.x2 - self.x1
    }

    pub fn height(&self) -> f32 {
        self.y2 - self.y1
    }

    /// Area; zero for degenerate (inverted) boxes.
    pub fn area(&self) -> f32 {
        self.width().max(0.0) * self.height().max(0.0)
    }

    pub fn center(&self) -> Point {
        Point { x: (self.x1 + self.x2) * 0.5, y: (self.y1 + self.y2) * 0.5 }
    }

    /// The shorter side, the size that limits how much of a face the classifier can see.
    pub fn min_side(&self) -> f32 {
        self.width().min(self.height())
    }

    /// Intersection over union, in f32 and in the order MediaPipe computes it. 0 when the union is empty.
    pub fn iou(&self, other: &FaceBox) -> f32 {
        let iw = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let ih = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        let inter = iw * ih;
        let union = self.area() + other.area() - inter;
        if union > 0.0 { inter / union } else { 0.0 }
    }

    pub fn is_finite(&self) -> bool {
        self.x1.is_finite() && self.y1.is_finite() && self.x2.is_finite() && self.y2.is_finite()
    }

    /// Whether the box crosses the border of a `width` x `height` frame (the face is partly outside).
    pub fn touches_border(&self, width: u32, height: u32) -> bool {
        self.x1 < 0.0 || self.y1 < 0.0 || self.x2 > width as f32 || self.y2 > height as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn iou_of_known_boxes() {
        let a = FaceBox::new(0.0, 0.0, 10.0, 10.0);
        let b = FaceBox::new(5.0, 0.0, 15.0, 10.0);
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
        assert_eq!(a.iou(&FaceBox::new(20.0, 20.0, 30.0, 30.0)), 0.0);
        assert_eq!(a.iou(&a), 1.0);
        let empty = FaceBox::new(1.0, 1.0, 1.0, 1.0);
        assert_eq!(empty.iou(&empty), 0.0);
    }

    proptest! {
        #[test]
        fn iou_is_symmetric_and_bounded(
            x in -100.0f32..100.0, y in -100.0f32..100.0, w in 0.0f32..50.0, h in 0.0f32..50.0,
            x2 in -100.0f32..100.0, y2 in -100.0f32..100.0, w2 in 0.0f32..50.0, h2 in 0.0f32..50.0,
        ) {
            let a = FaceBox::new(x, y, x + w, y + h);
            let b = FaceBox::new(x2, y2, x2 + w2, y2 + h2);
            let i = a.iou(&b);
            prop_assert!((0.0..=1.0 + 1e-6).contains(&i));
            prop_assert!((i - b.iou(&a)).abs() < 1e-6);
        }
    }
}
