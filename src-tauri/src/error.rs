//! The one error shape the UI sees: `{code, message}`. Codes are stable identifiers the UI can branch on; messages
//! are for people.

use mien_store::StoreError;
use mien_vision::VisionError;
use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct AppError {
    pub code: String,
    pub message: String,
}

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_string(), message: message.into() }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::NewerSchema { .. } => "newer_database",
            StoreError::ConsentRequired => "consent_required",
            StoreError::PolicyProhibits { .. } => "policy_prohibits",
            StoreError::NoSuchSession(_) => "no_such_session",
            StoreError::NotRecording(_) => "not_recording",
            StoreError::Invalid(_) => "invalid_input",
            StoreError::AuditTampered { .. } => "audit_tampered",
            _ if e.is_disk_full() => "disk_full",
            _ => "storage",
        };
        Self::new(code, e.to_string())
    }
}

impl From<VisionError> for AppError {
    fn from(e: VisionError) -> Self {
        let code = match &e {
            VisionError::RuntimeNotFound { .. } | VisionError::RuntimeLoad { .. } => "runtime_missing",
            VisionError::ModelMissing { .. } | VisionError::ModelLoad { .. } | VisionError::ModelContract { .. } => {
                "model_missing"
            }
            VisionError::FrameTimeNotIncreasing { .. } => "bad_frame_time",
            _ => "analysis",
        };
        Self::new(code, e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_stable_codes() {
        assert_eq!(AppError::from(StoreError::ConsentRequired).code, "consent_required");
        let e = AppError::from(StoreError::PolicyProhibits { jurisdiction: "eu".into() });
        assert_eq!(e.code, "policy_prohibits");
        assert!(e.message.contains("eu"), "{}", e.message);
        let json = serde_json::to_value(&e).expect("json");
        assert_eq!(json.as_object().map(|o| o.len()), Some(2), "exactly {{code, message}}");
    }
}
