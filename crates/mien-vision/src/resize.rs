//! The antialiased triangle-filter resize every model input goes through, bit-for-bit equal to
//! `image::imageops::resize(.., FilterType::Triangle)` (image 0.25), but faster on the hot path:
//!
//! * the frame can be resized *as if* padded with black to a larger canvas (the detector's square) without building
//!   that canvas: taps that fall on the padding contribute `+0.0` and are skipped, which leaves every f32 sum
//!   unchanged;
//! * the vertical pass runs tap-major over whole rows, so it vectorises, while each output value still accumulates
//!   its taps in index order from `0.0`, exactly as the `image` crate does.
//!
//! A property test checks equality with the `image` crate on random sizes, paddings and contents.

use image::RgbImage;

/// The taps of one output index: first source index and normalised weights.
#[derive(Debug, Clone)]
struct Taps {
    left: usize,
    weights: Vec<f32>,
}

/// Per-output taps for one axis, computed with the same f32 operations as `image`'s `sample.rs`.
fn taps(in_size: u32, out_size: u32) -> Vec<Taps> {
    let ratio = in_size as f32 / out_size as f32;
    let sratio = if ratio < 1.0 { 1.0 } else { ratio };
    let support = 1.0 * sratio;
    (0..out_size)
        .map(|o| {
            let centre = (o as f32 + 0.5) * ratio;
            let left = ((centre - support).floor() as i64).clamp(0, i64::from(in_size) - 1);
            let right = ((centre + support).ceil() as i64).clamp(left + 1, i64::from(in_size));
            let centre = centre - 0.5;
            let mut weights: Vec<f32> = (left..right)
                .map(|i| {
                    let x = (i as f32 - centre) / sratio;
                    if x.abs() < 1.0 { 1.0 - x.abs() } else { 0.0 }
                })
                .collect();
            let sum = weights.iter().fold(0.0f32, |acc, w| acc + w);
            for w in &mut weights {
                *w /= sum;
            }
            Taps { left: left as usize, weights }
        })
        .collect()
}

/// Resize `frame`, placed at the top-left of a black `canvas_w x canvas_h` canvas, to `out_w x out_h`.
/// Equal to `image::imageops::resize(&canvas, out_w, out_h, FilterType::Triangle)`.
///
/// # Panics
/// Never for valid images: `canvas_w >= frame.width()` and `canvas_h >= frame.height()` are clamped up.
pub fn resize_padded(frame: &RgbImage, canvas_w: u32, canvas_h: u32, out_w: u32, out_h: u32) -> RgbImage {
    let (w, h) = frame.dimensions();
    let (cw, ch) = (canvas_w.max(w), canvas_h.max(h));
    if w == 0 || h == 0 || out_w == 0 || out_h == 0 {
        return RgbImage::new(out_w, out_h);
    }
    if (out_w, out_h) == (cw, ch) {
        let mut canvas = RgbImage::new(cw, ch);
        image::imageops::replace(&mut canvas, frame, 0, 0);
        return canvas;
    }
    let (w, h, out_w_us) = (w as usize, h as usize, out_w as usize);
    let src = frame.as_raw();
    let row_len = w * 3;

    // Vertical pass: out_h rows of the canvas width; columns >= w stay zero and are not stored.
    let vt = taps(ch, out_h);
    let mut tmp = vec![0.0f32; out_h as usize * row_len];
    for (oy, t) in vt.iter().enumerate() {
        let acc = &mut tmp[oy * row_len..(oy + 1) * row_len];
        for (k, &wgt) in t.weights.iter().enumerate() {
            let y = t.left + k;
            if y >= h {
                break; // padding rows: every further tap adds +0.0
            }
            let row = &src[y * row_len..(y + 1) * row_len];
            for (a, &p) in acc.iter_mut().zip(row) {
                *a += f32::from(p) * wgt;
            }
        }
    }

    // Horizontal pass, then clamp and round half away from zero.
    let ht = taps(cw, out_w);
    let mut out = vec![0u8; out_w_us * out_h as usize * 3];
    for oy in 0..out_h as usize {
        let row = &tmp[oy * row_len..(oy + 1) * row_len];
        let dst = &mut out[oy * out_w_us * 3..(oy + 1) * out_w_us * 3];
        for (ox, t) in ht.iter().enumerate() {
            let mut acc = [0.0f32; 3];
            for (k, &wgt) in t.weights.iter().enumerate() {
                let x = t.left + k;
                if x >= w {
                    break;
                }
                acc[0] += row[x * 3] * wgt;
                acc[1] += row[x * 3 + 1] * wgt;
                acc[2] += row[x * 3 + 2] * wgt;
            }
            for c in 0..3 {
                dst[ox * 3 + c] = acc[c].clamp(0.0, 255.0).round() as u8;
            }
        }
    }
    RgbImage::from_raw(out_w, out_h, out).unwrap_or_else(|| RgbImage::new(out_w, out_h))
}

/// Plain resize (no padding), equal to `image::imageops::resize(.., FilterType::Triangle)`.
pub fn resize(frame: &RgbImage, out_w: u32, out_h: u32) -> RgbImage {
    resize_padded(frame, frame.width(), frame.height(), out_w, out_h)
}

#[cfg(test)]
mod tests {
    use image::imageops::FilterType;
    use proptest::prelude::*;

    use super::*;

    fn reference(frame: &RgbImage, cw: u32, ch: u32, ow: u32, oh: u32) -> RgbImage {
        let mut canvas = RgbImage::new(cw, ch);
        image::imageops::replace(&mut canvas, frame, 0, 0);
        image::imageops::resize(&canvas, ow, oh, FilterType::Triangle)
    }

    fn noise(w: u32, h: u32, seed: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let v = (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663) ^ seed).wrapping_mul(2_654_435_761);
            image::Rgb([(v >> 24) as u8, (v >> 16) as u8, (v >> 8) as u8])
        })
    }

    #[test]
    fn detector_shapes_are_bit_exact() {
        for (w, h) in [(640, 480), (640, 360), (1280, 720), (480, 640), (512, 512), (1126, 661)] {
            let f = noise(w, h, w ^ h);
            let s = w.max(h);
            for n in [128, 256] {
                assert_eq!(resize_padded(&f, s, s, n, n), reference(&f, s, s, n, n), "{w}x{h} -> {n}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn equals_the_image_crate(w in 1u32..90, h in 1u32..90, pw in 0u32..40, ph in 0u32..40,
                                  ow in 1u32..130, oh in 1u32..130, seed in any::<u32>()) {
            let f = noise(w, h, seed);
            prop_assert_eq!(resize_padded(&f, w + pw, h + ph, ow, oh), reference(&f, w + pw, h + ph, ow, oh));
        }
    }
}
