//! Mapping between domain values and table rows (samples, timestamps) and the audit hash chain.

use chrono::{DateTime, SecondsFormat, Utc};
use mien_core::{Attitude, AttitudeProbs, FaceBox, FaceObservation, QualityFlag, Sample, SampleStatus};
use rusqlite::{Row, Transaction, params};
use sha2::{Digest, Sha256};

use crate::{
    error::{Result, StoreError},
    types::AuditAction,
};

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn finite(v: f32, what: &str) -> Result<f64> {
    if v.is_finite() { Ok(f64::from(v)) } else { Err(StoreError::Invalid(format!("{what} is not finite"))) }
}

pub const INSERT_SAMPLE: &str = "INSERT OR REPLACE INTO samples (session_id, t_ms, status, face_count, x1, y1, x2, y2, \
     face_score, p_negative, p_neutral, p_positive, label, s_negative, s_neutral, s_positive, smoothed_label, flags) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";

/// Insert one sample (checked for finite values first; the table's CHECKs are the backstop).
pub fn insert_sample(tx: &Transaction<'_>, session_id: i64, s: &Sample) -> Result<()> {
    let b = match s.face {
        Some(f) => Some([
            finite(f.bbox.x1, "box")?,
            finite(f.bbox.y1, "box")?,
            finite(f.bbox.x2, "box")?,
            finite(f.bbox.y2, "box")?,
            finite(f.score, "face score")?,
        ]),
        None => None,
    };
    let probs = |p: Option<AttitudeProbs>, what: &str| -> Result<Option<[f64; 3]>> {
        p.map(|a| Ok([finite(a.values()[0], what)?, finite(a.values()[1], what)?, finite(a.values()[2], what)?]))
            .transpose()
    };
    let a = probs(s.attitude, "attitude")?;
    let sm = probs(s.smoothed, "smoothed attitude")?;
    let t_ms = i64::try_from(s.t_ms).map_err(|_| StoreError::Invalid("t_ms too large".into()))?;
    let mut stmt = tx.prepare_cached(INSERT_SAMPLE)?;
    stmt.execute(params![
        session_id,
        t_ms,
        s.status.name(),
        s.face_count,
        b.map(|b| b[0]),
        b.map(|b| b[1]),
        b.map(|b| b[2]),
        b.map(|b| b[3]),
        b.map(|b| b[4]),
        a.map(|a| a[0]),
        a.map(|a| a[1]),
        a.map(|a| a[2]),
        s.label.map(Attitude::name),
        sm.map(|a| a[0]),
        sm.map(|a| a[1]),
        sm.map(|a| a[2]),
        s.smoothed_label.map(Attitude::name),
        QualityFlag::to_bits(&s.flags),
    ])?;
    Ok(())
}

/// Longest marker label and note, in bytes (the schema CHECKs the same bounds).
pub const MAX_MARKER: usize = 200;
pub const MAX_NOTE: usize = 10_000;

/// `v` must be non-blank and at most `max` bytes.
pub fn check_text(v: &str, what: &str, max: usize) -> Result<()> {
    if v.trim().is_empty() || v.len() > max {
        return Err(StoreError::Invalid(format!("{what} must have 1 to {max} characters")));
    }
    Ok(())
}

/// Insert a marker (the store and the recorder both go through here).
pub fn insert_marker(
    conn: &rusqlite::Connection,
    session_id: i64,
    t_ms: u64,
    label: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    check_text(label, "marker", MAX_MARKER)?;
    conn.prepare_cached("INSERT INTO markers (session_id, t_ms, label, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![session_id, t_ms as i64, label, ts(at)])?;
    Ok(conn.last_insert_rowid())
}

/// Insert a note, optionally tied to a moment of the session.
pub fn insert_note(
    conn: &rusqlite::Connection,
    session_id: i64,
    t_ms: Option<u64>,
    text: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    check_text(text, "note", MAX_NOTE)?;
    conn.prepare_cached("INSERT INTO notes (session_id, t_ms, text, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![session_id, t_ms.map(|t| t as i64), text, ts(at)])?;
    Ok(conn.last_insert_rowid())
}

pub const SELECT_SAMPLES: &str = "SELECT t_ms, status, face_count, x1, y1, x2, y2, face_score, p_negative, p_neutral, \
     p_positive, label, s_negative, s_neutral, s_positive, smoothed_label, flags FROM samples WHERE session_id = ?1 \
     ORDER BY t_ms";

fn conv<E: std::error::Error + Send + Sync + 'static>(e: E) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

fn attitude_of(s: Option<String>) -> rusqlite::Result<Option<Attitude>> {
    s.map(|v| v.parse::<Attitude>().map_err(|e| conv(StoreError::Invalid(e)))).transpose()
}

fn probs_of(a: Option<f64>, b: Option<f64>, c: Option<f64>) -> rusqlite::Result<Option<AttitudeProbs>> {
    match (a, b, c) {
        (Some(a), Some(b), Some(c)) => AttitudeProbs::new(&[a as f32, b as f32, c as f32]).map(Some).map_err(conv),
        _ => Ok(None),
    }
}

/// A stored sample (the 7 expression probabilities are not stored: only attitudes).
pub fn sample_from_row(r: &Row<'_>) -> rusqlite::Result<Sample> {
    let status: String = r.get(1)?;
    let status = SampleStatus::from_name(&status)
        .ok_or_else(|| conv(StoreError::Invalid(format!("unknown sample status {status}"))))?;
    let face = match (r.get::<_, Option<f64>>(3)?, r.get::<_, Option<f64>>(7)?) {
        (Some(x1), Some(score)) => Some(FaceObservation {
            bbox: FaceBox::new(
                x1 as f32,
                r.get::<_, f64>(4)? as f32,
                r.get::<_, f64>(5)? as f32,
                r.get::<_, f64>(6)? as f32,
            ),
            score: score as f32,
        }),
        _ => None,
    };
    Ok(Sample {
        t_ms: r.get::<_, i64>(0)?.max(0) as u64,
        status,
        face_count: r.get(2)?,
        face,
        expressions: None,
        attitude: probs_of(r.get(8)?, r.get(9)?, r.get(10)?)?,
        label: attitude_of(r.get(11)?)?,
        smoothed: probs_of(r.get(12)?, r.get(13)?, r.get(14)?)?,
        smoothed_label: attitude_of(r.get(15)?)?,
        flags: QualityFlag::from_bits(r.get(16)?),
    })
}

/// Hash of one audit row: covers the previous hash and every field, separated unambiguously.
pub fn audit_hash(
    prev: &str,
    at: &str,
    actor: &str,
    action: AuditAction,
    session_id: Option<i64>,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    for part in [prev, at, actor, action.name(), &session_id.map(|i| i.to_string()).unwrap_or_default(), detail] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash that starts the chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Append one audit row inside `tx`.
pub fn append_audit(
    tx: &Transaction<'_>,
    at: DateTime<Utc>,
    actor: &str,
    action: AuditAction,
    session_id: Option<i64>,
    detail: &str,
) -> Result<()> {
    let prev: String =
        tx.query_row("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).or_else(|e| {
            if matches!(e, rusqlite::Error::QueryReturnedNoRows) { Ok(GENESIS.to_string()) } else { Err(e) }
        })?;
    let at = ts(at);
    let hash = audit_hash(&prev, &at, actor, action, session_id, detail);
    tx.execute(
        "INSERT INTO audit_log (at, actor, action, session_id, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![at, actor, action.name(), session_id, detail, prev, hash],
    )?;
    Ok(())
}
