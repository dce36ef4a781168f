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

/// Pixel layouts accepted for raw frames (camera / webview canvas).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelLayout {
    Rgb8,
    Rgba8,
}

impl PixelLayout {
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelLayout::Rgb8 => 3,
            PixelLayout::Rgba8 => 4,
        }
    }
}

/// Build an RGB frame from a raw buffer, checking that its length matches `width x height x layout` exactly.
pub fn frame_from_raw(
    width: u32,
    height: u32,
    layout: PixelLayout,
    data: &[u8],
    limits: &DecodeLimits,
) -> Result<RgbImage> {
    limits.check(width, height)?;
    let expected = width as usize * height as usize * layout.bytes_per_pixel();
    if data.len() != expected {
        return Err(VisionError::InvalidFrame(format!(
            "{width}x{height} {layout:?} needs {expected} bytes, got {}",
            data.len()
        )));
    }
    let rgb = match layout {
        PixelLayout::Rgb8 => data.to_vec(),
        PixelLayout::Rgba8 => data.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect(),
    };
    RgbImage::from_raw(width, height, rgb).ok_or_else(|| VisionError::InvalidFrame("buffer size mismatch".into()))
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
