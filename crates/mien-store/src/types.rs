//! Values stored and returned by the store.

use chrono::{DateTime, Utc};
use mien_core::{Jurisdiction, Marker, Policy, Sample, Summary};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn name(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = StoreError;
            fn from_str(s: &str) -> Result<Self, StoreError> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(StoreError::Invalid(format!(concat!("unknown ", stringify!($name), " `{}`"), s))),
                }
            }
        }
    };
}

text_enum!(
    /// An interview (needs consent, allowed only where the policy says so) or practice on oneself.
    SessionKind { Interview => "interview", Practice => "practice" }
);
text_enum!(SourceKind { Camera => "camera", Video => "video", Images => "images" });
text_enum!(SessionStatus { Recording => "recording", Finished => "finished", Interrupted => "interrupted" });
text_enum!(ConsentMethod { Written => "written", Electronic => "electronic", Verbal => "verbal" });
text_enum!(
    AuditAction {
        Create => "create",
        View => "view",
        Export => "export",
        Delete => "delete",
        Purge => "purge",
        Policy => "policy",
        Consent => "consent",
        Interrupted => "interrupted",
    }
);

/// What the candidate was told and how they agreed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ConsentInput {
    /// Version of the notice text shown to the candidate (the app shows that exact text).
    pub notice_version: String,
    pub method: ConsentMethod,
    /// Who recorded the consent (the interviewer).
    pub recorded_by: String,
    /// The candidate agreed. `false` is refused: no consent, no analysis.
    pub candidate_agreed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ConsentRecord {
    pub id: i64,
    pub notice_version: String,
    pub method: ConsentMethod,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NewSession {
    pub kind: SessionKind,
    pub candidate_ref: Option<String>,
    pub role: Option<String>,
    pub interviewer: Option<String>,
    pub source: SourceKind,
    pub source_name: Option<String>,
    pub model: String,
    pub provider: String,
    pub consent: Option<ConsentInput>,
}

impl NewSession {
    /// A practice session (a person rehearsing alone): no candidate, no consent needed.
    pub fn practice(source: SourceKind, model: &str, provider: &str) -> Self {
        Self {
            kind: SessionKind::Practice,
            candidate_ref: None,
            role: None,
            interviewer: None,
            source,
            source_name: None,
            model: model.to_string(),
            provider: provider.to_string(),
            consent: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionInfo {
    pub id: i64,
    pub kind: SessionKind,
    pub candidate_ref: Option<String>,
    pub role: Option<String>,
    pub interviewer: Option<String>,
    pub source: SourceKind,
    pub source_name: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub status: SessionStatus,
    pub model: String,
    pub provider: String,
    pub consent: Option<ConsentRecord>,
    pub sample_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Note {
    pub id: i64,
    pub t_ms: Option<u64>,
    pub text: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Settings {
    pub jurisdiction: Jurisdiction,
    pub policy: Policy,
    pub retention_days: u32,
}

/// A whole session, read in one snapshot: what `export` writes and reports show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionExport {
    pub format: String,
    pub exported_at: DateTime<Utc>,
    pub session: SessionInfo,
    pub markers: Vec<Marker>,
    pub notes: Vec<Note>,
    pub summary: Summary,
    pub samples: Vec<Sample>,
    /// What the figures mean and do not mean (shown with every report).
    pub limits: String,
}

pub const REPORT_LIMITS: &str = "These figures describe facial-expression categories observed by a software model \
over time, with their uncertainty and data quality. Facial expressions are not reliable indicators of emotions, \
intentions, honesty or suitability. The model is less accurate on some faces, poses and lighting than on others. \
Do not score, rank or decide about people with them.";

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: AuditAction,
    pub session_id: Option<i64>,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}
