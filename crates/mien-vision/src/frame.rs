//! Turning bytes into RGB frames safely: format sniffing, dimension checks before any pixel is decoded, decoder
//! memory limits, and validation of raw pixel buffers coming from a camera or the webview.
//!
//! Conventions (see `models/MODELS.md`): gray is expanded to R = G = B, alpha is dropped (not composited), 16-bit
//! samples are scaled to 8 bits, EXIF orientation is not applied.

use std::{io::Cursor, path::Path};

use image::{ImageFormat, ImageReader, RgbImage};

use crate::error::{Result, VisionError};

/// Upper bounds on what will be decoded. The defaults accept every real camera and photo (up to ~40 megapixels)
/// and keep a decode well under 1 GiB of memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    pub max_side: u32,
    pub max_pixels: u64,
    /// Bytes the decoder may allocate.
    pub max_alloc: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self { max_side: 16_384, max_pixels: 40_000_000, max_alloc: 512 << 20 }
    }
}

impl DecodeLimits {
    fn check(&self, width: u32, height: u32) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(VisionError::InvalidFrame(format!("{width}x{height} has no pixels")));
        }
        if width > self.max_side || height > self.max_side || u64::from(width) * u64::from(height) > self.max_pixels {
            return Err(VisionError::ImageTooLarge {
                width,
                height,
                max_side: self.max_side,
                max_pixels: self.max_pixels,
            });
        }
        Ok(())
    }
}

fn reader(bytes: &[u8]) -> Result<ImageReader<Cursor<&[u8]>>> {
    if bytes.is_empty() {
        return Err(VisionError::EmptyImage);
    }
    let r = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| VisionError::ImageDecode(e.to_string()))?;
    match r.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Bmp | ImageFormat::Gif | ImageFormat::WebP)
        | Some(ImageFormat::Tiff) => Ok(r),
        _ => Err(VisionError::UnknownImageFormat),
    }
}

/// Decode an encoded image (PNG, JPEG, BMP, GIF, WebP, TIFF) to RGB. The header's dimensions are checked against
/// `limits` before pixels are decoded, so a file claiming 100000x100000 pixels fails at once and allocates nothing.
pub fn decode_image(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbImage> {
    let r = reader(bytes)?;
    if r.format() == Some(ImageFormat::Jpeg) && !has_jpeg_end(bytes) {
        // The JPEG decoder fills a cut-off scan with grey and reports success; a truncated file is not a frame.
        return Err(VisionError::ImageDecode("truncated JPEG (no end-of-image marker)".into()));
    }
    let (width, height) = r.into_dimensions().map_err(|e| VisionError::ImageDecode(e.to_string()))?;
    limits.check(width, height)?;
    let mut r = reader(bytes)?;
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    l.max_alloc = Some(limits.max_alloc);
    r.limits(l);
    let img = r.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            VisionError::ImageTooLarge { width, height, max_side: limits.max_side, max_pixels: limits.max_pixels }
        }
        other => VisionError::ImageDecode(other.to_string()),
    })?;
    Ok(img.to_rgb8())
}

/// Whether a JPEG ends with its end-of-image marker (allowing up to 4 KiB of trailing padding after it).
fn has_jpeg_end(bytes: &[u8]) -> bool {
    let tail = &bytes[bytes.len().saturating_sub(4096)..];
    tail.windows(2).any(|w| w == [0xFF, 0xD9])
}

/// Read and decode an image file. Files larger than `limits.max_alloc` bytes are refused before reading.
pub fn load_image(path: &Path, limits: &DecodeLimits) -> Result<RgbImage> {
    let io = |source| VisionError::Io { path: path.to_path_buf(), source };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > limits.max_alloc {
        return Err(VisionError::ImageDecode(format!("file of {len} bytes is larger than any accepted image")));
    }
    let bytes = std::fs::read(path).map_err(io)?;
    decode_image(&bytes, limits)
}

/// YUV to RGB conversion matrix of an I420 frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YuvMatrix {
    /// ITU-R BT.601 (SD video, most webcams; WebCodecs `smpte170m` / `bt470bg`).
    Bt601,
    /// ITU-R BT.709 (HD video).
    Bt709,
}

/// Pixel layouts accepted for raw frames (camera / webview canvas / WebCodecs `VideoFrame`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelLayout {
    Rgb8,
    Rgba8,
    /// Planar 4:2:0, tightly packed: Y (w x h), then U and V (each ceil(w/2) x ceil(h/2)). `full_range`: 0-255
    /// luma instead of video range 16-235.
    I420 {
        matrix: YuvMatrix,
        full_range: bool,
    },
}

impl PixelLayout {
    /// The exact buffer length of a `width x height` frame in this layout.
    pub fn frame_len(self, width: u32, height: u32) -> usize {
        let (w, h) = (width as usize, height as usize);
        match self {
            PixelLayout::Rgb8 => w * h * 3,
            PixelLayout::Rgba8 => w * h * 4,
            PixelLayout::I420 { .. } => w * h + 2 * w.div_ceil(2) * h.div_ceil(2),
        }
    }
}

/// Build an RGB frame from a raw buffer, checking that its length matches the layout exactly.
pub fn frame_from_raw(
    width: u32,
    height: u32,
    layout: PixelLayout,
    data: &[u8],
    limits: &DecodeLimits,
) -> Result<RgbImage> {
    limits.check(width, height)?;
    let expected = layout.frame_len(width, height);
    if data.len() != expected {
        return Err(VisionError::InvalidFrame(format!(
            "{width}x{height} {layout:?} needs {expected} bytes, got {}",
            data.len()
        )));
    }
    let rgb = match layout {
        PixelLayout::Rgb8 => data.to_vec(),
        PixelLayout::Rgba8 => data.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect(),
        PixelLayout::I420 { matrix, full_range } => {
            i420_to_rgb(width as usize, height as usize, data, matrix, full_range)
        }
    };
    RgbImage::from_raw(width, height, rgb).ok_or_else(|| VisionError::InvalidFrame("buffer size mismatch".into()))
}

/// I420 -> packed RGB (the buffer length was checked by the caller).
fn i420_to_rgb(w: usize, h: usize, data: &[u8], matrix: YuvMatrix, full_range: bool) -> Vec<u8> {
    // R = Y + a*Cr; G = Y - b*Cb - c*Cr; B = Y + d*Cb (Kr/Kb of the matrix)
    let (a, b, c, d) = match matrix {
        YuvMatrix::Bt601 => (1.402_f32, 0.344_136, 0.714_136, 1.772),
        YuvMatrix::Bt709 => (1.5748_f32, 0.187_324, 0.468_124, 1.8556),
    };
    let (y_off, y_scale, c_scale) = if full_range { (0.0, 1.0, 1.0) } else { (16.0, 255.0 / 219.0, 255.0 / 224.0) };
    let cw = w.div_ceil(2);
    let (y_plane, chroma) = data.split_at(w * h);
    let (u_plane, v_plane) = chroma.split_at(cw * h.div_ceil(2));
    let mut out = Vec::with_capacity(w * h * 3);
    for row in 0..h {
        let crow = (row / 2) * cw;
        for col in 0..w {
            let yv = (f32::from(y_plane[row * w + col]) - y_off) * y_scale;
            let cb = (f32::from(u_plane[crow + col / 2]) - 128.0) * c_scale;
            let cr = (f32::from(v_plane[crow + col / 2]) - 128.0) * c_scale;
            let px = |v: f32| v.round().clamp(0.0, 255.0) as u8;
            out.extend_from_slice(&[px(yv + a * cr), px(yv - b * cb - c * cr), px(yv + d * cb)]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_pixel(w, h, image::Rgb([10, 20, 30]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).expect("encode");
        out
    }

    /// RGB -> limited-range BT.601 / BT.709 YUV, the inverse of the conversion under test.
    fn yuv(rgb: [f32; 3], m: YuvMatrix) -> [u8; 3] {
        let (kr, kb) = match m {
            YuvMatrix::Bt601 => (0.299, 0.114),
            YuvMatrix::Bt709 => (0.2126, 0.0722),
        };
        let [r, g, b] = rgb.map(|v| v / 255.0);
        let y = kr * r + (1.0 - kr - kb) * g + kb * b;
        let cb = (b - y) / (2.0 * (1.0 - kb));
        let cr = (r - y) / (2.0 * (1.0 - kr));
        [16.0 + 219.0 * y, 128.0 + 224.0 * cb, 128.0 + 224.0 * cr].map(|v: f32| v.round() as u8)
    }

    #[test]
    fn i420_frames_convert_to_rgb() {
        let l = DecodeLimits::default();
        for m in [YuvMatrix::Bt601, YuvMatrix::Bt709] {
            for rgb in [[255.0, 0.0, 0.0], [0.0, 255.0, 0.0], [0.0, 0.0, 255.0], [200.0, 150.0, 100.0], [128.0; 3]] {
                // a 3x3 frame of one colour (odd sizes: chroma planes of 2x2)
                let [y, u, v] = yuv(rgb, m);
                let mut data = vec![y; 9];
                data.extend([u; 4]);
                data.extend([v; 4]);
                let layout = PixelLayout::I420 { matrix: m, full_range: false };
                let img = frame_from_raw(3, 3, layout, &data, &l).expect("i420");
                for p in img.pixels() {
                    for ch in 0..3 {
                        let diff = (f32::from(p.0[ch]) - rgb[ch]).abs();
                        assert!(diff <= 2.0, "{m:?} {rgb:?} -> {:?}", p.0);
                    }
                }
            }
        }
        let full = PixelLayout::I420 { matrix: YuvMatrix::Bt601, full_range: true };
        let img = frame_from_raw(2, 2, full, &[0, 255, 128, 64, 128, 128], &l).expect("full range");
        assert_eq!(img.get_pixel(0, 0).0, [0, 0, 0]);
        assert_eq!(img.get_pixel(1, 0).0, [255, 255, 255]);
        assert_eq!(img.get_pixel(1, 1).0, [64, 64, 64]);
        // one byte short is an error, not a panic
        assert!(matches!(frame_from_raw(3, 3, full, &[0; 16], &l), Err(VisionError::InvalidFrame(_))));
        assert_eq!(full.frame_len(640, 360), 640 * 360 * 3 / 2);
    }

    #[test]
    fn decodes_a_small_png() {
        let img = decode_image(&png(7, 5), &DecodeLimits::default()).expect("decode");
        assert_eq!(img.dimensions(), (7, 5));
        assert_eq!(img.get_pixel(3, 3).0, [10, 20, 30]);
    }

    #[test]
    fn rejects_empty_random_and_truncated() {
        let l = DecodeLimits::default();
        assert!(matches!(decode_image(&[], &l), Err(VisionError::EmptyImage)));
        assert!(matches!(decode_image(b"definitely not an image", &l), Err(VisionError::UnknownImageFormat)));
        let p = png(64, 64);
        assert!(matches!(decode_image(&p[..p.len() / 2], &l), Err(VisionError::ImageDecode(_))));
    }

    #[test]
    fn header_claiming_a_huge_image_is_refused_before_decoding() {
        // Header only: nothing to decode, a clear error.
        let header_only = mien_testdata::png_claiming(100_000, 100_000, false);
        assert!(matches!(decode_image(&header_only, &DecodeLimits::default()), Err(VisionError::ImageDecode(_))));
        // With a (tiny) data chunk, as a hostile file would have: refused on its dimensions, before decoding.
        match decode_image(&mien_testdata::png_claiming(100_000, 100_000, true), &DecodeLimits::default()) {
            Err(VisionError::ImageTooLarge { width: 100_000, height: 100_000, .. }) => {}
            other => panic!("expected ImageTooLarge, got {other:?}"),
        }
    }

    #[test]
    fn truncated_jpeg_is_an_error() {
        let img = RgbImage::from_fn(64, 64, |x, y| image::Rgb([x as u8 * 4, y as u8 * 4, 90]));
        let mut jpg = Vec::new();
        img.write_to(&mut Cursor::new(&mut jpg), ImageFormat::Jpeg).expect("encode");
        assert!(decode_image(&jpg, &DecodeLimits::default()).is_ok());
        let cut = &jpg[..jpg.len() - 40];
        assert!(matches!(decode_image(cut, &DecodeLimits::default()), Err(VisionError::ImageDecode(_))));
    }

    #[test]
    fn raw_frames_are_validated() {
        let l = DecodeLimits::default();
        let rgba = vec![1u8, 2, 3, 255, 4, 5, 6, 255];
        let f = frame_from_raw(2, 1, PixelLayout::Rgba8, &rgba, &l).expect("ok");
        assert_eq!(f.as_raw(), &vec![1, 2, 3, 4, 5, 6]);
        assert!(matches!(frame_from_raw(2, 2, PixelLayout::Rgba8, &rgba, &l), Err(VisionError::InvalidFrame(_))));
        assert!(matches!(frame_from_raw(0, 2, PixelLayout::Rgb8, &[], &l), Err(VisionError::InvalidFrame(_))));
        assert!(matches!(
            frame_from_raw(100_000, 100_000, PixelLayout::Rgb8, &[], &l),
            Err(VisionError::ImageTooLarge { .. })
        ));
    }
}
