//! Where the model files are, what they should be (`models/models.json`: file, sha256, licence, origin), and
//! building an [`Analyzer`](crate::Analyzer) from them.
//!
//! Discovery order for the models folder: an explicit path, `MIEN_MODELS_DIR`, `<exe dir>/models`,
//! `<exe dir>/../share/mien/models`, extra folders from the embedding program, and for development builds the
//! workspace's `models/`. The folder must contain `models.json`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    analyzer::{Analyzer, AnalyzerConfig},
    detection::{AUTO_BACK_THRESHOLD, BLAZEFACE_BACK, BLAZEFACE_FRONT, BlazeFace, DetectorMode, DetectorSet},
    error::{Result, VisionError},
    expression::{ClassifierChoice, Ensemble, ExpressionModel, OnnxClassifier},
    runtime::Runtime,
};

pub const MANIFEST: &str = "models.json";

/// One model entry of `models.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub id: String,
    pub file: String,
    pub role: String,
    pub origin: String,
    pub sha256: String,
    pub licence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub models: Vec<ModelEntry>,
}

/// The result of checking one model file against the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelCheck {
    pub id: String,
    pub path: PathBuf,
    pub expected_sha256: String,
    /// `None` when the file is missing or unreadable.
    pub actual_sha256: Option<String>,
}

impl ModelCheck {
    pub fn ok(&self) -> bool {
        self.actual_sha256.as_deref() == Some(self.expected_sha256.as_str())
    }
}

/// A models folder with its manifest.
#[derive(Debug, Clone)]
pub struct ModelStore {
    dir: PathBuf,
    manifest: Manifest,
}

fn workspace_models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

/// Find the models folder (see the module documentation for the order).
pub fn locate_models_dir(explicit: Option<&Path>, extra: &[PathBuf]) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("MIEN_MODELS_DIR").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let mut candidates = Vec::new();
    if let Some(exe_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        candidates.push(exe_dir.join("models"));
        candidates.push(exe_dir.join("../share/mien/models"));
    }
    candidates.extend(extra.iter().cloned());
    candidates.push(workspace_models_dir());
    candidates
        .iter()
        .find(|d| d.join(MANIFEST).is_file())
        .map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.clone()))
        .ok_or_else(|| VisionError::ModelMissing {
            path: candidates.last().cloned().unwrap_or_default().join(MANIFEST),
        })
}

pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

impl ModelStore {
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => VisionError::ModelMissing { path: path.clone() },
            _ => VisionError::Io { path: path.clone(), source: e },
        })?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| VisionError::ModelContract { name: MANIFEST.into(), reason: e.to_string() })?;
        Ok(Self { dir: dir.to_path_buf(), manifest })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// Hash every model file and compare with the manifest.
    pub fn verify(&self) -> Vec<ModelCheck> {
        self.manifest
            .models
            .iter()
            .map(|m| {
                let path = self.path(&m.file);
                ModelCheck {
                    id: m.id.clone(),
                    actual_sha256: sha256_file(&path).ok(),
                    path,
                    expected_sha256: m.sha256.clone(),
                }
            })
            .collect()
    }

    /// Load the detector(s) for `mode`.
    pub fn detector(&self, runtime: &Runtime, mode: DetectorMode) -> Result<DetectorSet> {
        let front = matches!(mode, DetectorMode::Front | DetectorMode::Auto)
            .then(|| BlazeFace::load(runtime, &self.path(BLAZEFACE_FRONT.file), BLAZEFACE_FRONT))
            .transpose()?;
        let back = matches!(mode, DetectorMode::Back | DetectorMode::Auto)
            .then(|| BlazeFace::load(runtime, &self.path(BLAZEFACE_BACK.file), BLAZEFACE_BACK))
            .transpose()?
            .map(|b| if mode == DetectorMode::Auto { b.with_score_threshold(AUTO_BACK_THRESHOLD) } else { b });
        DetectorSet::new(mode, front, back)
    }

    /// Load the classifier(s) for `choice` (an [`Ensemble`] when there are several).
    pub fn classifier(&self, runtime: &Runtime, choice: ClassifierChoice) -> Result<Box<dyn ExpressionModel>> {
        let mut members: Vec<Box<dyn ExpressionModel>> = Vec::new();
        for spec in choice.specs() {
            members.push(Box::new(OnnxClassifier::load(runtime, &self.path(spec.file), spec)?));
        }
        if members.len() == 1 {
            members.pop().ok_or_else(|| VisionError::ModelContract { name: "classifier".into(), reason: "none".into() })
        } else {
            Ok(Box::new(Ensemble::new(members)?))
        }
    }

    /// Everything needed to turn frames into samples.
    pub fn analyzer(
        &self,
        runtime: &Runtime,
        mode: DetectorMode,
        choice: ClassifierChoice,
        config: AnalyzerConfig,
    ) -> Result<Analyzer> {
        let detector = self.detector(runtime, mode)?;
        let classifier = self.classifier(runtime, choice)?;
        Ok(Analyzer::new(Box::new(detector), classifier, config))
    }
}
