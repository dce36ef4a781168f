//! Options shared by every command: where ONNX Runtime and the models are, and which execution provider to use.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use mien_vision::{
    AnalyzerConfig, ClassifierChoice, DetectorMode, ExecutionProviderKind, ModelStore, Runtime, RuntimeConfig,
    models::locate_models_dir,
};

#[derive(Debug, Clone, Args)]
pub struct SetupArgs {
    /// ONNX Runtime shared library (default: ORT_DYLIB_PATH, next to the executable, or the workspace's .runtime/).
    #[arg(long, global = true, value_name = "PATH")]
    pub ort_lib: Option<PathBuf>,
    /// Folder with the model files and models.json (default: MIEN_MODELS_DIR, next to the executable, or models/).
    #[arg(long, global = true, value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// Execution provider: cpu, cuda, directml (Windows), coreml (macOS). A GPU provider that fails falls back to
    /// the CPU, and says so.
    #[arg(long, global = true, default_value = "cpu")]
    pub provider: ExecutionProviderKind,
    /// Threads per inference (intra-op).
    #[arg(long, global = true, default_value_t = 1)]
    pub threads: usize,
}

/// The runtime and the models, loaded.
pub struct Loaded {
    pub runtime: Runtime,
    pub store: ModelStore,
}

impl SetupArgs {
    pub fn runtime_config(&self) -> RuntimeConfig {
        RuntimeConfig {
            library: self.ort_lib.clone(),
            search_dirs: Vec::new(),
            provider: self.provider,
            intra_threads: self.threads,
        }
    }

    pub fn load(&self) -> Result<Loaded> {
        let runtime = Runtime::load(&self.runtime_config())?;
        let dir = locate_models_dir(self.models.as_deref(), &[])?;
        let store = ModelStore::open(&dir)?;
        Ok(Loaded { runtime, store })
    }
}

impl Loaded {
    pub fn analyzer(&self, detector: DetectorMode, model: ClassifierChoice) -> Result<mien_vision::Analyzer> {
        let a = self.store.analyzer(&self.runtime, detector, model, AnalyzerConfig::default())?;
        let status = self.runtime.provider_status();
        if let Some(reason) = &status.fallback_reason {
            eprintln!(
                "mien: warning: execution provider {} unavailable, running on {}: {reason}",
                status.requested, status.active
            );
        }
        Ok(a)
    }
}
