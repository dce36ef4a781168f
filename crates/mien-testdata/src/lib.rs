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
