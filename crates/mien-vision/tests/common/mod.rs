//! Shared helpers of the vision integration tests: where `../shared` is, and a loaded runtime + model store.
#![allow(dead_code)]

use std::path::PathBuf;

use mien_vision::{ModelStore, Runtime, RuntimeConfig, models::locate_models_dir};

/// `../shared` beside the repository (or `MIEN_SHARED_DIR`). `None` (and a note on stderr) when absent: a user who
/// clones the project has no shared data, and the tests that need it say so and skip.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MIEN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("reference").is_dir() || dir.join("data").is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIP: {} not found (set MIEN_SHARED_DIR); test data is not available", dir.display());
        None
    }
}

/// The runtime the README's set-up provisions. Missing runtime is a test failure, not a skip: the test command
/// provisions it first.
pub fn runtime() -> Runtime {
    Runtime::load(&RuntimeConfig { intra_threads: 1, ..Default::default() })
        .unwrap_or_else(|e| panic!("ONNX Runtime is required for this test: {e}"))
}

pub fn models() -> ModelStore {
    let dir = locate_models_dir(None, &[]).expect("models folder");
    ModelStore::open(&dir).expect("models.json")
}
