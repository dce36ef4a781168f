//! Shared helpers of the vision integration tests: where `../shared` is, and a loaded runtime + model store.
#![allow(dead_code)]

use mien_vision::{ModelStore, Runtime, RuntimeConfig, models::locate_models_dir};

pub use mien_testdata::shared_dir;

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
