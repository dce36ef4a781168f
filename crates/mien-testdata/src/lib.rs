//! Where the shared test data lives for tests and benchmarks: `MIEN_SHARED_DIR`, else `../shared` beside the
//! repository. It is never copied into the project; a user who clones the project has none, so every accessor
//! returns `None` with a note on stderr and the caller skips.

use std::path::{Path, PathBuf};

/// The shared folder (with `data/` and/or `reference/`), or `None` with a SKIP note.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MIEN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("data").is_dir() || dir.join("reference").is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: {} not found (set MIEN_SHARED_DIR); test data is not available", dir.display());
        None
    }
}

/// A sub-folder of the shared folder (e.g. `data/media`), or `None` with a SKIP note.
pub fn shared_subdir(rel: &str) -> Option<PathBuf> {
    let dir = shared_dir()?.join(rel);
    if dir.exists() {
        Some(dir)
    } else {
        eprintln!("SKIP: {} not found", dir.display());
        None
    }
}

/// `data/media` (photos, videos).
pub fn media_dir() -> Option<PathBuf> {
    shared_subdir("data/media")
}

/// A PNG file whose header claims `width` x `height` RGB pixels. With `with_data`, a tiny (empty) compressed data
/// chunk and the end chunk follow, as a hostile file would have; without, the file stops after the header.
pub fn png_claiming(width: u32, height: u32, with_data: bool) -> Vec<u8> {
    let ihdr = [&width.to_be_bytes()[..], &height.to_be_bytes()[..], &[8, 2, 0, 0, 0][..]].concat();
    let mut chunks: Vec<(&[u8], Vec<u8>)> = vec![(b"IHDR", ihdr)];
    if with_data {
        chunks.push((b"IDAT", vec![0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
        chunks.push((b"IEND", Vec::new()));
    }
    let mut f = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in chunks {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(&data);
        f.extend_from_slice(&(data.len() as u32).to_be_bytes());
        f.extend_from_slice(&chunk);
        f.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    f
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
