//! Property-based robustness ("fuzz-lite", no nightly toolchain needed): corrupted and random inputs to the frame
//! decoders and to the detector post-processing never panic, always end in a value or a typed error.

use std::io::Cursor;

use image::{ImageFormat, RgbImage};
use mien_vision::{
    detection::{BLAZEFACE_BACK, BLAZEFACE_FRONT, NMS_IOU, anchors, decode, weighted_nms},
    frame::{DecodeLimits, PixelLayout, YuvMatrix, decode_image, frame_from_raw},
};
use proptest::prelude::*;

fn encoded(format: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_fn(24, 16, |x, y| image::Rgb([(x * 10) as u8, (y * 15) as u8, ((x + y) * 5) as u8]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format).expect("encode");
    out
}

/// Small limits so that even a corrupted header cannot make a test allocate much.
fn limits() -> DecodeLimits {
    DecodeLimits { max_side: 4096, max_pixels: 4_000_000, max_alloc: 64 << 20 }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn mutated_images_never_panic(
        format in prop_oneof![Just(ImageFormat::Png), Just(ImageFormat::Jpeg), Just(ImageFormat::Bmp), Just(ImageFormat::Gif)],
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..12),
        cut in any::<usize>(),
    ) {
        let mut bytes = encoded(format);
        for (pos, val) in edits {
            let i = pos % bytes.len();
            bytes[i] = val;
        }
        let keep = 1 + cut % bytes.len();
        let _ = decode_image(&bytes[..keep], &limits());
        let _ = decode_image(&bytes, &limits());
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode_image(&bytes, &limits());
    }

    #[test]
    fn raw_frames_of_any_shape_are_checked(
        w in 0u32..300, h in 0u32..300, len in 0usize..100_000, kind in 0u8..3, exact in any::<bool>(),
    ) {
        let layout = match kind {
            0 => PixelLayout::Rgb8,
            1 => PixelLayout::Rgba8,
            _ => PixelLayout::I420 { matrix: YuvMatrix::Bt709, full_range: false },
        };
        // half the cases with exactly the right length, so the success path is exercised too
        let len = if exact { layout.frame_len(w, h) } else { len };
        let data = vec![7u8; len];
        match frame_from_raw(w, h, layout, &data, &limits()) {
            Ok(f) => prop_assert_eq!(f.dimensions(), (w, h)),
            Err(_) => prop_assert!(w == 0 || h == 0 || len != layout.frame_len(w, h)),
        }
    }

    #[test]
    fn detector_post_processing_never_panics(
        logits in proptest::collection::vec(prop_oneof![any::<f32>(), -20.0f32..20.0], 896),
        regs in proptest::collection::vec(prop_oneof![any::<f32>(), -300.0f32..300.0], 896 * 16),
        back in any::<bool>(),
    ) {
        let spec = if back { BLAZEFACE_BACK } else { BLAZEFACE_FRONT };
        let a = anchors(&spec);
        if let Ok(c) = decode(&logits, &regs, &a, spec.size, spec.score_threshold) {
            for d in weighted_nms(c, NMS_IOU, 640.0) {
                prop_assert!(d.bbox.is_finite(), "a decoded box must be finite");
                prop_assert!((0.0..=1.0).contains(&d.score));
            }
        }
    }
}
