//! The face crop fed to the expression classifiers: an axis-aligned square around the box centre, of side
//! `round(margin * max(w, h))`, black where it leaves the frame. `round(v)` is `floor(v + 0.5)` throughout.

use image::RgbImage;
use mien_core::FaceBox;
use serde::Serialize;

use crate::error::{Result, VisionError};

/// Crop side as a multiple of the longer box side (chosen in the reference's margin study on FER2013).
pub const DEFAULT_MARGIN: f32 = 1.2;

/// An integer square `[left, top, side]` in frame pixels; `left`/`top` may be negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CropRect {
    pub left: i64,
    pub top: i64,
    pub side: u32,
}

fn round(v: f32) -> f32 {
    (v + 0.5).floor()
}

/// The crop square for a face box. Boxes that are not finite, or absurdly large compared with the frame, are errors.
pub fn crop_rect(bbox: &FaceBox, margin: f32, frame_size: (u32, u32)) -> Result<CropRect> {
    if !bbox.is_finite() || !margin.is_finite() || margin <= 0.0 {
        return Err(VisionError::BadModelOutput { model: "detector".into(), reason: format!("invalid box {bbox:?}") });
    }
    let cx = (bbox.x1 + bbox.x2) * 0.5;
    let cy = (bbox.y1 + bbox.y2) * 0.5;
    let side = round(margin * bbox.width().max(bbox.height())).max(1.0);
    let limit = 4.0 * frame_size.0.max(frame_size.1).max(1) as f32;
    if side > limit {
        return Err(VisionError::BadModelOutput {
            model: "detector".into(),
            reason: format!("face box {bbox:?} is far larger than the frame"),
        });
    }
    let left = round(cx - side * 0.5);
    let top = round(cy - side * 0.5);
    Ok(CropRect { left: left as i64, top: top as i64, side: side as u32 })
}

/// Copy the crop square out of the frame, black outside it.
pub fn crop(frame: &RgbImage, rect: CropRect) -> RgbImage {
    let side = rect.side;
    let mut out = RgbImage::new(side, side);
    let (w, h) = (i64::from(frame.width()), i64::from(frame.height()));
    let x0 = rect.left.max(0);
    let x1 = (rect.left + i64::from(side)).min(w);
    let y0 = rect.top.max(0);
    let y1 = (rect.top + i64::from(side)).min(h);
    if x0 >= x1 || y0 >= y1 {
        return out;
    }
    let src = frame.as_raw();
    let dst_stride = side as usize * 3;
    let src_stride = w as usize * 3;
    let run = (x1 - x0) as usize * 3;
    let dst = &mut *out;
    for y in y0..y1 {
        let s = y as usize * src_stride + x0 as usize * 3;
        let d = (y - rect.top) as usize * dst_stride + (x0 - rect.left) as usize * 3;
        dst[d..d + run].copy_from_slice(&src[s..s + run]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rect_follows_the_rounding_rule() {
        // centre (15, 15), side round(1.2 * 10) = 12, left = round(15 - 6) = 9
        let r = crop_rect(&FaceBox::new(10.0, 10.0, 20.0, 20.0), 1.2, (100, 100)).expect("ok");
        assert_eq!(r, CropRect { left: 9, top: 9, side: 12 });
        // halves round up (towards +inf), also for negatives
        let r = crop_rect(&FaceBox::new(-3.0, -3.0, 0.0, 0.0), 1.0, (100, 100)).expect("ok");
        assert_eq!(r, CropRect { left: -3, top: -3, side: 3 });
        assert!(crop_rect(&FaceBox::new(f32::NAN, 0.0, 1.0, 1.0), 1.2, (10, 10)).is_err());
        assert!(crop_rect(&FaceBox::new(0.0, 0.0, 1e9, 1e9), 1.2, (10, 10)).is_err());
    }

    #[test]
    fn outside_is_black() {
        let frame = RgbImage::from_pixel(4, 4, image::Rgb([200, 100, 50]));
        let c = crop(&frame, CropRect { left: -2, top: 2, side: 4 });
        assert_eq!(c.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(c.get_pixel(2, 0).0, [200, 100, 50]);
        assert_eq!(c.get_pixel(2, 2).0, [0, 0, 0]);
        let far = crop(&frame, CropRect { left: 100, top: 100, side: 3 });
        assert!(far.as_raw().iter().all(|&v| v == 0));
    }

    proptest! {
        #[test]
        fn crop_matches_pixelwise_definition(left in -10i64..10, top in -10i64..10, side in 1u32..20) {
            let frame = RgbImage::from_fn(8, 6, |x, y| image::Rgb([x as u8, y as u8, 7]));
            let c = crop(&frame, CropRect { left, top, side });
            for j in 0..side {
                for i in 0..side {
                    let (fx, fy) = (left + i64::from(i), top + i64::from(j));
                    let expected = if (0..8).contains(&fx) && (0..6).contains(&fy) {
                        frame.get_pixel(fx as u32, fy as u32).0
                    } else {
                        [0, 0, 0]
                    };
                    prop_assert_eq!(c.get_pixel(i, j).0, expected);
                }
            }
        }
    }
}
