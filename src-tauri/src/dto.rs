//! What crosses the IPC boundary besides the library types (which derive `TS` behind their `ts` feature). Every
//! type here is exported to `ui/src/bindings/` by `cargo test -p mien-app` (ts-rs); CI fails when the committed
//! bindings differ from what the Rust types generate.

use mien_core::{Jurisdiction, Sample};
use mien_store::{ConsentMethod, SessionKind, Settings, SourceKind};
use mien_vision::{ExecutionProviderKind, LiveStats, ProviderStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Everything the UI needs at start-up.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AppInfo {
    pub version: String,
    /// `true` until an administrator has chosen a jurisdiction (first-run setup).
    pub first_run: bool,
    pub settings: Settings,
    /// Why the policy is what it is, in plain words.
    pub policy_explanation: String,
    /// `null` when the runtime or the models could not be loaded; `engine_error` says why.
    pub engine: Option<EngineInfo>,
    pub engine_error: Option<crate::error::AppError>,
    /// The camera is WebKit's mock device (tests and demos without a camera).
    pub mock_camera: bool,
    /// Text of the candidate notice shown before consent, and its version (stored with the consent record).
    pub notice_text: String,
    pub notice_version: String,
    /// Every jurisdiction with its policy and explanation (for the setup and settings screens).
    pub jurisdictions: Vec<JurisdictionInfo>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct JurisdictionInfo {
    pub id: Jurisdiction,
    pub interviews_allowed: bool,
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EngineInfo {
    pub runtime_version: String,
    pub runtime_path: String,
    /// Providers this runtime build offers (a listed GPU provider may still fall back when a session starts).
    pub available_providers: Vec<ExecutionProviderKind>,
    /// The provider of the last analyzer built (requested, active, fallback reason).
    pub provider: ProviderStatus,
    pub model: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct ConsentForm {
    pub method: ConsentMethod,
    /// The interviewer who recorded the consent.
    pub recorded_by: String,
    pub candidate_agreed: bool,
}

/// The new-session form.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
pub struct StartSession {
    pub kind: SessionKind,
    pub candidate_ref: Option<String>,
    pub role: Option<String>,
    pub interviewer: Option<String>,
    pub source: SourceKind,
    /// Camera label or video file name (no path).
    pub source_name: Option<String>,
    pub consent: Option<ConsentForm>,
    pub provider: ExecutionProviderKind,
    /// Smoothing time constant in milliseconds (0 = none).
    pub smoothing_ms: f64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SessionStarted {
    pub session_id: i64,
    pub provider: ProviderStatus,
    pub model: String,
}

/// One analysed frame (or one that could not be analysed), streamed to the live view.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LiveUpdate {
    /// `null` when `error` is set.
    pub sample: Option<Sample>,
    /// Every face found, `[x1, y1, x2, y2, score]` in frame pixels; the primary one is `sample.face`.
    pub faces: Vec<[f32; 5]>,
    /// From the frame's arrival in Rust to its result.
    pub latency_ms: f64,
    /// The `t_ms` of the frame this is about.
    pub t_ms: u64,
    pub error: Option<String>,
    pub stats: LiveStats,
    /// Samples written to the database so far (the recorder commits in batches).
    pub committed: u64,
}

/// The result of `push_frame`.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[ts(export)]
pub struct FrameAck {
    /// `false` when this frame replaced one not yet analysed, or analysis is paused.
    pub accepted: bool,
}

/// Where an export went; `null` path when the user cancelled the save dialog.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Exported {
    pub path: Option<String>,
    pub bytes: u64,
}

#[cfg(test)]
mod tests {
    use ts_rs::TS;

    /// The library types the commands return directly (not reachable from the DTOs above).
    #[test]
    fn export_bindings_of_command_types() {
        let cfg = ts_rs::Config::from_env();
        mien_store::SessionExport::export_all(&cfg).expect("SessionExport");
        mien_store::SessionInfo::export_all(&cfg).expect("SessionInfo");
        mien_report::ExportFormat::export_all(&cfg).expect("ExportFormat");
    }
}
