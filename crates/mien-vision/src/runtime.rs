//! Finding and loading ONNX Runtime, and creating sessions on the requested execution provider.
//!
//! ONNX Runtime is loaded dynamically (`ort`'s `load-dynamic`): the project provisions the shared library itself
//! (`scripts/provision.py runtime`) and nothing is downloaded at build or run time. Discovery order:
//!
//! 1. an explicit path ([`RuntimeConfig::library`], e.g. `mien --ort-lib`);
//! 2. the `ORT_DYLIB_PATH` environment variable;
//! 3. next to the executable (`<exe dir>/`, `<exe dir>/lib/`, `<exe dir>/../lib/mien/`);
//! 4. extra folders given by the embedding program ([`RuntimeConfig::search_dirs`], e.g. Tauri's resource dir);
//! 5. for development builds, the workspace's `.runtime/current/` (where the provision script puts it).
//!
//! A requested GPU provider that cannot be registered is reported ([`ProviderStatus::fallback_reason`]) and
//! sessions are created on the CPU instead; [`Runtime::provider_status`] always says which provider is active.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

use ort::{
    ep::{self, ExecutionProvider as _},
    session::{Session, builder::GraphOptimizationLevel},
};
use serde::{Deserialize, Serialize};

use crate::error::{Result, VisionError};

/// Execution providers Mien knows how to request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum ExecutionProviderKind {
    #[default]
    Cpu,
    Cuda,
    /// Windows only.
    DirectMl,
    /// macOS only.
    CoreMl,
}

impl ExecutionProviderKind {
    pub const ALL: [ExecutionProviderKind; 4] = [Self::Cpu, Self::Cuda, Self::DirectMl, Self::CoreMl];

    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
            Self::DirectMl => "directml",
            Self::CoreMl => "coreml",
        }
    }
}

impl std::fmt::Display for ExecutionProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ExecutionProviderKind {
    type Err = VisionError;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| VisionError::UnknownProvider(s.to_string()))
    }
}

/// How to find and configure ONNX Runtime.
#[derive(Debug, Clone, Default)]
pub struct RuntimeConfig {
    /// Explicit path to the ONNX Runtime shared library (highest priority).
    pub library: Option<PathBuf>,
    /// Additional folders to search (after the executable's folder).
    pub search_dirs: Vec<PathBuf>,
    /// The execution provider to request.
    pub provider: ExecutionProviderKind,
    /// Threads per inference (intra-op). The models are small: 1 is fastest per frame on a loaded machine.
    pub intra_threads: usize,
}

/// Which provider was asked for, which one runs, and why they differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProviderStatus {
    pub requested: ExecutionProviderKind,
    pub active: ExecutionProviderKind,
    pub fallback_reason: Option<String>,
}

/// A located library and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedLibrary {
    pub path: PathBuf,
    pub source: &'static str,
}

#[cfg(target_os = "windows")]
const LIB_NAMES: &[&str] = &["onnxruntime.dll"];
#[cfg(target_os = "macos")]
const LIB_NAMES: &[&str] = &["libonnxruntime.dylib"];
#[cfg(not(any(target_os = "windows", target_os = "macos")))]
const LIB_NAMES: &[&str] = &["libonnxruntime.so"];

/// The library file inside `dir`, if any (also accepts a versioned `libonnxruntime.so.1.x.y`).
fn library_in(dir: &Path) -> Option<PathBuf> {
    for name in LIB_NAMES {
        let p = dir.join(name);
        if p.is_file() {
            return Some(p);
        }
    }
    let entries = std::fs::read_dir(dir).ok()?;
    let mut versioned: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| LIB_NAMES.iter().any(|l| n.starts_with(&format!("{l}.1."))))
        })
        .collect();
    versioned.sort();
    versioned.pop()
}

/// Where a development build finds the provisioned runtime (the workspace root is known at compile time).
fn workspace_runtime_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.runtime/current")
}

/// The folders searched, in order, after the explicit setting and `ORT_DYLIB_PATH`.
fn search_dirs(config: &RuntimeConfig) -> Vec<(PathBuf, &'static str)> {
    let mut dirs = Vec::new();
    if let Some(exe_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        dirs.push((exe_dir.clone(), "next to the executable"));
        dirs.push((exe_dir.join("lib"), "next to the executable"));
        dirs.push((exe_dir.join("../lib/mien"), "next to the executable"));
    }
    for d in &config.search_dirs {
        dirs.push((d.clone(), "application resources"));
    }
    // MIEN_NO_DEV_RUNTIME=1 behaves like an installed program (used by tests of the "not found" message).
    if std::env::var_os("MIEN_NO_DEV_RUNTIME").is_none() {
        dirs.push((workspace_runtime_dir(), "the workspace's .runtime/ (development build)"));
    }
    dirs
}

/// Find the ONNX Runtime library following the documented order; the error lists every place looked at.
pub fn locate_library(config: &RuntimeConfig) -> Result<LocatedLibrary> {
    if let Some(p) = &config.library {
        return if p.is_file() {
            Ok(LocatedLibrary { path: p.clone(), source: "explicit setting" })
        } else {
            Err(VisionError::RuntimeLoad { path: p.clone(), reason: "no such file".into() })
        };
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|v| !v.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(LocatedLibrary { path: p, source: "ORT_DYLIB_PATH" })
        } else {
            Err(VisionError::RuntimeLoad {
                path: p,
                reason: "ORT_DYLIB_PATH points to a file that does not exist".into(),
            })
        };
    }
    let dirs = search_dirs(config);
    for (dir, source) in &dirs {
        if let Some(path) = library_in(dir) {
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            return Ok(LocatedLibrary { path, source });
        }
    }
    let searched = std::iter::once("--ort-lib / explicit setting".to_string())
        .chain(std::iter::once("ORT_DYLIB_PATH".to_string()))
        .chain(dirs.iter().map(|(d, _)| d.display().to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    Err(VisionError::RuntimeNotFound { searched })
}

/// A loaded ONNX Runtime: the environment every session is created in, plus what provider is really used.
#[derive(Debug)]
pub struct Runtime {
    env: ort::environment::Environment,
    library: LocatedLibrary,
    version: String,
    intra_threads: usize,
    status: Mutex<ProviderStatus>,
}

impl Runtime {
    /// Locate and load ONNX Runtime. Loading happens once per process: later calls reuse the first library.
    pub fn load(config: &RuntimeConfig) -> Result<Self> {
        let library = locate_library(config)?;
        let builder = ort::init_from(&library.path)
            .map_err(|e| VisionError::RuntimeLoad { path: library.path.clone(), reason: e.to_string() })?;
        let env = builder
            .with_name("mien")
            .with_telemetry(false)
            .build()
            .map_err(|e| VisionError::RuntimeLoad { path: library.path.clone(), reason: e.to_string() })?;
        let version = runtime_version(&library.path);
        tracing::debug!(path = %library.path.display(), source = library.source, %version, "ONNX Runtime loaded");
        let status = initial_status(config.provider);
        Ok(Self { env, library, version, intra_threads: config.intra_threads.max(1), status: Mutex::new(status) })
    }

    /// Ask for another execution provider for the sessions created from now on (ONNX Runtime allows one
    /// environment per process, so this is how one process uses several providers, e.g. `mien bench`).
    pub fn request_provider(&self, kind: ExecutionProviderKind) {
        let mut st = self.status.lock().unwrap_or_else(|p| p.into_inner());
        *st = initial_status(kind);
    }

    pub fn library(&self) -> &LocatedLibrary {
        &self.library
    }

    /// ONNX Runtime version, e.g. `1.32.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn provider_status(&self) -> ProviderStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Providers this ONNX Runtime build was compiled with (among those Mien can use on this platform).
    pub fn available_providers(&self) -> Vec<ExecutionProviderKind> {
        ExecutionProviderKind::ALL.into_iter().filter(|k| provider_compiled_in(*k).is_ok()).collect()
    }

    /// Create a session for `path` on the active provider; a provider that fails here is reported and the session is
    /// created on the CPU instead.
    pub fn session(&self, path: &Path) -> Result<Session> {
        if !path.is_file() {
            return Err(VisionError::ModelMissing { path: path.to_path_buf() });
        }
        let active = self.provider_status().active;
        if active != ExecutionProviderKind::Cpu {
            match self.session_on(path, active) {
                Ok(s) => return Ok(s),
                Err(reason) => {
                    tracing::warn!(provider = %active, %reason, model = %path.display(), "falling back to CPU");
                    let mut st = self.status.lock().unwrap_or_else(|p| p.into_inner());
                    st.active = ExecutionProviderKind::Cpu;
                    st.fallback_reason = Some(reason);
                }
            }
        }
        self.session_on(path, ExecutionProviderKind::Cpu)
            .map_err(|reason| VisionError::ModelLoad { path: path.to_path_buf(), reason })
    }

    fn session_on(&self, path: &Path, kind: ExecutionProviderKind) -> std::result::Result<Session, String> {
        if kind == ExecutionProviderKind::Cuda {
            preload_cuda_libraries(&self.library.path);
        }
        let builder = Session::builder(&self.env).map_err(|e| e.to_string())?;
        let builder = builder.with_optimization_level(GraphOptimizationLevel::All).map_err(|e| e.to_string())?;
        let builder = builder.with_intra_threads(self.intra_threads).map_err(|e| e.to_string())?;
        let builder = builder.with_inter_threads(1).map_err(|e| e.to_string())?;
        let mut builder = match dispatch(kind) {
            Some(ep) => builder.with_execution_providers([ep.error_on_failure()]).map_err(|e| e.to_string())?,
            None => builder,
        };
        builder.commit_from_file(path).map_err(|e| e.to_string())
    }
}

fn initial_status(requested: ExecutionProviderKind) -> ProviderStatus {
    match provider_compiled_in(requested) {
        Ok(()) => ProviderStatus { requested, active: requested, fallback_reason: None },
        Err(reason) => {
            tracing::warn!(provider = %requested, %reason, "execution provider unavailable; using CPU");
            ProviderStatus { requested, active: ExecutionProviderKind::Cpu, fallback_reason: Some(reason) }
        }
    }
}

/// CUDA libraries the provisioned GPU runtime carries next to `libonnxruntime` (from the NVIDIA PyPI wheels), in
/// dependency order. The CUDA provider library names them without a search path (in the Python wheel they are
/// found through site-packages), so they are loaded here by full path first; the dynamic loader then reuses them.
#[cfg(target_os = "linux")]
const CUDA_LIBRARIES: &[&str] = &[
    "libcudart.so.13",
    "libcublasLt.so.13",
    "libcublas.so.13",
    "libcurand.so.10",
    "libcufft.so.12",
    "libnvrtc.so.13",
    "libcudnn_graph.so.9",
    "libcudnn_ops.so.9",
    "libcudnn_cnn.so.9",
    "libcudnn_adv.so.9",
    "libcudnn_engines_precompiled.so.9",
    "libcudnn_engines_runtime_compiled.so.9",
    "libcudnn_heuristic.so.9",
    "libcudnn.so.9",
];

/// Load the bundled CUDA libraries (once per process) so the CUDA provider can find them; missing ones are skipped
/// (a system CUDA installation may provide them, and a failure is reported when the provider registers).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn preload_cuda_libraries(runtime_library: &Path) {
    static LOADED: std::sync::OnceLock<Vec<libloading::os::unix::Library>> = std::sync::OnceLock::new();
    LOADED.get_or_init(|| {
        let Some(dir) = std::fs::canonicalize(runtime_library).ok().and_then(|p| p.parent().map(Path::to_path_buf))
        else {
            return Vec::new();
        };
        CUDA_LIBRARIES
            .iter()
            .map(|name| dir.join(name))
            .filter(|p| p.is_file())
            .filter_map(|p| {
                // SAFETY: these are the NVIDIA runtime libraries provisioned with ONNX Runtime; loading them runs their
                // initialisers, as loading the CUDA provider would. RTLD_GLOBAL makes them visible to it.
                let lib = unsafe {
                    libloading::os::unix::Library::open(
                        Some(&p),
                        libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_GLOBAL,
                    )
                };
                lib.map_err(|e| tracing::debug!(library = %p.display(), error = %e, "could not preload")).ok()
            })
            .collect()
    });
}

#[cfg(not(target_os = "linux"))]
fn preload_cuda_libraries(_: &Path) {}

/// The version from the library's build info (`git-branch=rel-1.32.0, ...`), else from the file name.
fn runtime_version(path: &Path) -> String {
    let info = ort::info();
    if let Some(v) = info.split(|c: char| c == ',' || c.is_whitespace()).find_map(|t| t.strip_prefix("git-branch=rel-"))
    {
        return v.to_string();
    }
    // Release builds say `git-branch=HEAD`: take the version from the (resolved) file name instead.
    let resolved = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = resolved.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    name.split_once(".so.").map(|(_, v)| v.to_string()).unwrap_or_else(|| "unknown".into())
}

fn dispatch(kind: ExecutionProviderKind) -> Option<ort::ep::ExecutionProviderDispatch> {
    match kind {
        ExecutionProviderKind::Cpu => None,
        ExecutionProviderKind::Cuda => Some(ep::CUDA::default().build()),
        #[cfg(target_os = "windows")]
        ExecutionProviderKind::DirectMl => Some(ep::DirectML::default().build()),
        #[cfg(target_os = "macos")]
        ExecutionProviderKind::CoreMl => Some(ep::CoreML::default().build()),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// Whether the loaded library can run `kind` at all; `Err` says why not.
fn provider_compiled_in(kind: ExecutionProviderKind) -> std::result::Result<(), String> {
    let available = match kind {
        ExecutionProviderKind::Cpu => return Ok(()),
        ExecutionProviderKind::Cuda => ep::CUDA::is_available(),
        #[cfg(target_os = "windows")]
        ExecutionProviderKind::DirectMl => ep::DirectML::is_available(),
        #[cfg(target_os = "macos")]
        ExecutionProviderKind::CoreMl => ep::CoreML::is_available(),
        #[allow(unreachable_patterns)]
        _ => return Err(format!("{kind} is not supported on this platform")),
    };
    match available {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!(
            "this ONNX Runtime build has no {kind} execution provider{}",
            if kind == ExecutionProviderKind::Cuda {
                " (provision the GPU runtime with `python3 scripts/provision.py runtime --gpu`)"
            } else {
                ""
            }
        )),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_parse() {
        for k in ExecutionProviderKind::ALL {
            assert_eq!(k.name().parse::<ExecutionProviderKind>().ok(), Some(k));
        }
        assert!(matches!("tpu".parse::<ExecutionProviderKind>(), Err(VisionError::UnknownProvider(_))));
    }

    #[test]
    fn explicit_missing_library_is_a_clear_error() {
        let cfg = RuntimeConfig { library: Some("/nonexistent/libonnxruntime.so".into()), ..Default::default() };
        let err = locate_library(&cfg).expect_err("must fail");
        assert!(err.to_string().contains("/nonexistent/libonnxruntime.so"), "{err}");
    }

    #[test]
    fn versioned_library_names_are_found() {
        let dir = std::env::temp_dir().join(format!("mien-rt-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        assert_eq!(library_in(&dir), None);
        let name = format!("{}.1.32.0", LIB_NAMES[0]);
        std::fs::write(dir.join(&name), b"").expect("write");
        assert_eq!(library_in(&dir), Some(dir.join(&name)));
        std::fs::remove_dir_all(&dir).ok();
    }
}
