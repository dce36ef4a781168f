//! Mien's session store: the only crate that knows SQL.
//!
//! One SQLite file holds sessions, consent records, samples, markers, notes, the jurisdiction/retention settings
//! and an append-only, hash-chained audit log. Opening a store configures WAL, an explicit synchronous level, a
//! busy timeout, foreign keys and `secure_delete`; applies the numbered migrations; refuses (without writing) a
//! database newer than this build; and marks sessions left `recording` by a crashed process as `interrupted`
//! (a live recorder holds a lock file, so a second reader never does this to a session still being recorded).
//!
//! Policy lives here too: no interview session without a consent record, none at all where the jurisdiction
//! prohibits interview analysis, retention purge, and erasure that removes the data from the file and its WAL.
//!
//! Must not: store frames, crops, embeddings or anything that identifies a face.

pub mod error;
pub mod migrate;
pub mod recorder;
mod rows;
pub mod types;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use chrono::{DateTime, Utc};
use mien_core::{Jurisdiction, Marker, Sample, SummaryConfig, summarize};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::rows::{parse_ts, ts};
pub use crate::{
    error::{Result, StoreError},
    recorder::{Recorder, RecorderConfig},
    types::*,
};

/// The time source (a fake one in tests of retention).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// `synchronous` level. With WAL, `Normal` loses nothing on a process crash; on power loss the last commits may roll
/// back. `Full` survives power loss at the cost of an fsync per commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    #[default]
    Normal,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    pub durability: Durability,
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { durability: Durability::Normal, busy_timeout: Duration::from_secs(10) }
    }
}

/// How an erasure went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Erasure {
    pub samples: u64,
    /// Whether the WAL was checkpointed and truncated (false when a reader held it; erasure from the main file is
    /// complete either way, the WAL is then cleared at the next checkpoint).
    pub wal_truncated: bool,
}

pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    clock: Clock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The lock file a live recorder holds for `session_id`.
/// The default database of a user, shared by the desktop app and the CLI: `MIEN_DB`, else
/// `$XDG_DATA_HOME/mien/mien.db` (`~/.local/share/mien/mien.db`). `None` when no data folder can be found.
pub fn default_db_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MIEN_DB").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("mien/mien.db"))
}

pub fn recording_lock_path(db: &Path, session_id: i64) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".recording-{session_id}.lock"));
    db.with_file_name(name)
}

pub(crate) fn configure(conn: &Connection, opts: &StoreOptions) -> Result<()> {
    conn.busy_timeout(opts.busy_timeout)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if mode != "wal" && mode != "memory" {
        tracing::warn!(mode, "WAL journal mode not available");
    }
    conn.pragma_update(None, "synchronous", if opts.durability == Durability::Full { "FULL" } else { "NORMAL" })?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "secure_delete", true)?;
    Ok(())
}

const SESSION_COLUMNS: &str = "s.id, s.kind, s.candidate_ref, s.role, s.interviewer, s.source, s.source_name, \
    s.started_at, s.ended_at, s.status, s.model, s.provider, c.id, c.notice_version, c.method, c.recorded_by, \
    c.recorded_at, (SELECT count(*) FROM samples WHERE session_id = s.id)";

fn parse<T: std::str::FromStr<Err = StoreError>>(v: String) -> rusqlite::Result<T> {
    v.parse()
        .map_err(|e: StoreError| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn session_from_row(r: &Row<'_>) -> rusqlite::Result<SessionInfo> {
    let consent = match r.get::<_, Option<i64>>(12)? {
        Some(id) => Some(ConsentRecord {
            id,
            notice_version: r.get(13)?,
            method: parse(r.get(14)?)?,
            recorded_by: r.get(15)?,
            recorded_at: parse_ts(&r.get::<_, String>(16)?)?,
        }),
        None => None,
    };
    Ok(SessionInfo {
        id: r.get(0)?,
        kind: parse(r.get(1)?)?,
        candidate_ref: r.get(2)?,
        role: r.get(3)?,
        interviewer: r.get(4)?,
        source: parse(r.get(5)?)?,
        source_name: r.get(6)?,
        started_at: parse_ts(&r.get::<_, String>(7)?)?,
        ended_at: r.get::<_, Option<String>>(8)?.map(|s| parse_ts(&s)).transpose()?,
        status: parse(r.get(9)?)?,
        model: r.get(10)?,
        provider: r.get(11)?,
        consent,
        sample_count: r.get::<_, i64>(17)?.max(0) as u64,
    })
}

impl Store {
    /// Open (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, StoreOptions::default(), system_clock())
    }

    pub fn open_with(path: &Path, opts: StoreOptions, clock: Clock) -> Result<Self> {
        if path.metadata().is_ok_and(|m| m.len() > 0) {
            let found = migrate::peek_version(path)?;
            if found > migrate::LATEST {
                return Err(StoreError::NewerSchema { found, supported: migrate::LATEST });
            }
        }
        let mut conn = Connection::open(path)?;
        configure(&conn, &opts)?;
        migrate::migrate(&mut conn)?;
        let mut store = Self { conn, path: Some(path.to_path_buf()), clock };
        store.recover_interrupted()?;
        Ok(store)
    }

    /// A private in-memory store (tests, previews).
    pub fn open_in_memory() -> Result<Self> {
        Self::open_in_memory_with(system_clock())
    }

    pub fn open_in_memory_with(clock: Clock) -> Result<Self> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn, &StoreOptions::default())?;
        migrate::migrate(&mut conn)?;
        Ok(Self { conn, path: None, clock })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Sessions left `recording` by a process that is gone (its lock file is free) become `interrupted`; what they
    /// had committed stays.
    fn recover_interrupted(&mut self) -> Result<()> {
        let Some(db) = self.path.clone() else { return Ok(()) };
        let ids: Vec<i64> = {
            let mut stmt = self.conn.prepare("SELECT id FROM sessions WHERE status = 'recording'")?;
            stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        for id in ids {
            let lock = recording_lock_path(&db, id);
            let file = std::fs::File::options().create(true).truncate(false).write(true).open(&lock)?;
            if file.try_lock().is_err() {
                continue; // a live recorder holds it
            }
            let now = self.now();
            let tx = self.conn.transaction()?;
            tx.execute(
                "UPDATE sessions SET status = 'interrupted', ended_at = ?2 WHERE id = ?1 AND status = 'recording'",
                params![id, ts(now)],
            )?;
            rows::append_audit(&tx, now, "mien", AuditAction::Interrupted, Some(id), "recovered after a crash")?;
            tx.commit()?;
            drop(file);
            let _ = std::fs::remove_file(&lock);
            tracing::warn!(session = id, "session was interrupted; committed samples are kept");
        }
        Ok(())
    }

    pub fn settings(&self) -> Result<Settings> {
        let (j, days): (String, i64) =
            self.conn.query_row("SELECT jurisdiction, retention_days FROM settings WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let jurisdiction: Jurisdiction = j.parse().map_err(StoreError::Invalid)?;
        Ok(Settings { jurisdiction, policy: jurisdiction.policy(), retention_days: days.max(1) as u32 })
    }

    /// Set the jurisdiction (which decides the policy) and the retention period; audited.
    pub fn set_policy(&mut self, jurisdiction: Jurisdiction, retention_days: u32, actor: &str) -> Result<Settings> {
        if !(1..=3650).contains(&retention_days) {
            return Err(StoreError::Invalid("retention must be 1 to 3650 days".into()));
        }
        let now = self.now();
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE settings SET jurisdiction = ?1, policy = ?2, retention_days = ?3, updated_at = ?4 WHERE id = 1",
            params![jurisdiction.name(), jurisdiction.policy().name(), retention_days, ts(now)],
        )?;
        let detail = format!("jurisdiction={} retention_days={retention_days}", jurisdiction.name());
        rows::append_audit(&tx, now, actor, AuditAction::Policy, None, &detail)?;
        tx.commit()?;
        self.settings()
    }

    /// Whether [`Store::create_session`] would accept `new` (policy, consent, field lengths), without creating
    /// anything: callers check before doing expensive set-up (the app loads the models only after this).
    pub fn check_new_session(&self, new: &NewSession) -> Result<()> {
        let settings = self.settings()?;
        if new.kind == SessionKind::Interview {
            if settings.policy != mien_core::Policy::InterviewsAllowed {
                return Err(StoreError::PolicyProhibits { jurisdiction: settings.jurisdiction.name().into() });
            }
            match &new.consent {
                Some(c) if c.candidate_agreed => {
                    rows::check_text(&c.notice_version, "notice version", 64)?;
                    rows::check_text(&c.recorded_by, "consent recorded by", 200)?;
                }
                _ => return Err(StoreError::ConsentRequired),
            }
        }
        for (v, what) in
            [(&new.candidate_ref, "candidate reference"), (&new.role, "role"), (&new.interviewer, "interviewer")]
        {
            if let Some(v) = v {
                rows::check_text(v, what, 200)?;
            }
        }
        rows::check_text(&new.model, "model", 200)?;
        rows::check_text(&new.provider, "provider", 50)
    }

    /// Create a session (status `recording`). Interviews need `consent` and a policy that allows them.
    pub fn create_session(&mut self, new: &NewSession, actor: &str) -> Result<i64> {
        self.check_new_session(new)?;
        let now = self.now();
        let tx = self.conn.transaction()?;
        let consent_id = match &new.consent {
            Some(c) if c.candidate_agreed => {
                tx.execute(
                    "INSERT INTO consent_records (notice_version, method, recorded_by, candidate_agreed, recorded_at) \
                     VALUES (?1, ?2, ?3, 1, ?4)",
                    params![c.notice_version, c.method.name(), c.recorded_by, ts(now)],
                )?;
                Some(tx.last_insert_rowid())
            }
            _ => None,
        };
        tx.execute(
            "INSERT INTO sessions (kind, candidate_ref, role, interviewer, source, source_name, started_at, status, \
             model, provider, consent_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'recording', ?8, ?9, ?10)",
            params![
                new.kind.name(),
                new.candidate_ref,
                new.role,
                new.interviewer,
                new.source.name(),
                new.source_name,
                ts(now),
                new.model,
                new.provider,
                consent_id
            ],
        )?;
        let id = tx.last_insert_rowid();
        if consent_id.is_some() {
            rows::append_audit(&tx, now, actor, AuditAction::Consent, Some(id), "candidate consent recorded")?;
        }
        rows::append_audit(&tx, now, actor, AuditAction::Create, Some(id), new.kind.name())?;
        tx.commit()?;
        Ok(id)
    }

    fn require_recording(&self, id: i64) -> Result<()> {
        let status: Option<String> =
            self.conn.query_row("SELECT status FROM sessions WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        match status.as_deref() {
            None => Err(StoreError::NoSuchSession(id)),
            Some("recording") => Ok(()),
            Some(_) => Err(StoreError::NotRecording(id)),
        }
    }

    /// Append samples in one transaction (the [`Recorder`] does this in batches from its own thread).
    pub fn append_samples(&mut self, id: i64, samples: &[Sample]) -> Result<()> {
        self.require_recording(id)?;
        let tx = self.conn.transaction()?;
        for s in samples {
            rows::insert_sample(&tx, id, s)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn add_marker(&mut self, id: i64, t_ms: u64, label: &str) -> Result<i64> {
        self.session(id)?;
        rows::insert_marker(&self.conn, id, t_ms, label, self.now())
    }

    pub fn add_note(&mut self, id: i64, t_ms: Option<u64>, text: &str) -> Result<i64> {
        self.session(id)?;
        rows::insert_note(&self.conn, id, t_ms, text, self.now())
    }

    pub fn finish_session(&mut self, id: i64) -> Result<()> {
        self.require_recording(id)?;
        self.conn.execute(
            "UPDATE sessions SET status = 'finished', ended_at = ?2 WHERE id = ?1",
            params![id, ts(self.now())],
        )?;
        Ok(())
    }

    /// Sessions, newest first; `search` matches candidate reference, role, interviewer or source name.
    pub fn list_sessions(&self, search: Option<&str>) -> Result<Vec<SessionInfo>> {
        let pattern = search.map(|s| format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s LEFT JOIN consent_records c ON c.id = s.consent_id \
             WHERE ?1 IS NULL OR s.candidate_ref LIKE ?1 ESCAPE '\\' OR s.role LIKE ?1 ESCAPE '\\' \
             OR s.interviewer LIKE ?1 ESCAPE '\\' OR s.source_name LIKE ?1 ESCAPE '\\' \
             ORDER BY s.started_at DESC, s.id DESC"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([pattern], session_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    pub fn session(&self, id: i64) -> Result<SessionInfo> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s LEFT JOIN consent_records c ON c.id = s.consent_id WHERE s.id = ?1"
        );
        self.conn.query_row(&sql, [id], session_from_row).optional()?.ok_or(StoreError::NoSuchSession(id))
    }

    pub fn samples(&self, id: i64) -> Result<Vec<Sample>> {
        let mut stmt = self.conn.prepare_cached(rows::SELECT_SAMPLES)?;
        Ok(stmt.query_map([id], rows::sample_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn markers(&self, id: i64) -> Result<Vec<Marker>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT t_ms, label FROM markers WHERE session_id = ?1 ORDER BY t_ms, id")?;
        let rows =
            stmt.query_map([id], |r| Ok(Marker { t_ms: r.get::<_, i64>(0)?.max(0) as u64, label: r.get(1)? }))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn notes(&self, id: i64) -> Result<Vec<Note>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, t_ms, text, created_at FROM notes WHERE session_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([id], |r| {
            Ok(Note {
                id: r.get(0)?,
                t_ms: r.get::<_, Option<i64>>(1)?.map(|t| t.max(0) as u64),
                text: r.get(2)?,
                created_at: parse_ts(&r.get::<_, String>(3)?)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The whole session and its summary, read in one snapshot (no audit row: see [`Store::report`] and
    /// [`Store::export`]).
    pub fn snapshot(&self, id: i64) -> Result<SessionExport> {
        let tx = self.conn.unchecked_transaction()?;
        let session = self.session(id)?;
        let samples = self.samples(id)?;
        let markers = self.markers(id)?;
        let notes = self.notes(id)?;
        tx.commit()?;
        let end_ms = session
            .ended_at
            .map(|e| (e - session.started_at).num_milliseconds().max(0) as u64)
            .filter(|_| session.source == SourceKind::Camera);
        let summary = summarize(&samples, &markers, end_ms, &SummaryConfig::default());
        Ok(SessionExport {
            format: "mien-session-v1".into(),
            exported_at: self.now(),
            session,
            markers,
            notes,
            summary,
            samples,
            limits: REPORT_LIMITS.into(),
        })
    }

    fn audited(&mut self, id: i64, actor: &str, action: AuditAction, detail: &str) -> Result<SessionExport> {
        let snap = self.snapshot(id)?;
        let now = self.now();
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        rows::append_audit(&tx, now, actor, action, Some(id), detail)?;
        tx.commit()?;
        Ok(snap)
    }

    /// Open a report (recorded in the audit log as a view).
    pub fn report(&mut self, id: i64, actor: &str) -> Result<SessionExport> {
        self.audited(id, actor, AuditAction::View, "")
    }

    /// Export a session (recorded in the audit log).
    pub fn export(&mut self, id: i64, actor: &str, format: &str) -> Result<SessionExport> {
        self.audited(id, actor, AuditAction::Export, format)
    }

    /// Erase a session: samples, markers, notes, its consent record and its row, zeroed in the file
    /// (`secure_delete`), then the WAL checkpointed and truncated. Audited (without any candidate data).
    pub fn delete_session(&mut self, id: i64, actor: &str) -> Result<Erasure> {
        let n = self.erase(id, actor, AuditAction::Delete, "on request")?;
        Ok(Erasure { samples: n, wal_truncated: self.checkpoint()? })
    }

    fn erase(&mut self, id: i64, actor: &str, action: AuditAction, detail: &str) -> Result<u64> {
        let now = self.now();
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let consent: Option<Option<i64>> =
            tx.query_row("SELECT consent_id FROM sessions WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        let Some(consent) = consent else { return Err(StoreError::NoSuchSession(id)) };
        let n = tx.execute("DELETE FROM samples WHERE session_id = ?1", [id])? as u64;
        tx.execute("DELETE FROM markers WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM notes WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM sessions WHERE id = ?1", [id])?;
        if let Some(c) = consent {
            tx.execute("DELETE FROM consent_records WHERE id = ?1", [c])?;
        }
        rows::append_audit(&tx, now, actor, action, Some(id), detail)?;
        tx.commit()?;
        Ok(n)
    }

    /// Delete every session that started more than the retention period ago. Returns the erased ids.
    pub fn purge_expired(&mut self, actor: &str) -> Result<Vec<i64>> {
        let days = self.settings()?.retention_days;
        let cutoff = self.now() - chrono::Duration::days(i64::from(days));
        let ids: Vec<i64> = {
            let mut stmt =
                self.conn.prepare("SELECT id FROM sessions WHERE started_at < ?1 AND status <> 'recording'")?;
            stmt.query_map([ts(cutoff)], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        for &id in &ids {
            self.erase(id, actor, AuditAction::Purge, &format!("retention {days} days"))?;
        }
        if !ids.is_empty() {
            self.checkpoint()?;
        }
        Ok(ids)
    }

    /// Checkpoint the WAL into the file and truncate it; `false` if a reader prevented it.
    pub fn checkpoint(&self) -> Result<bool> {
        if self.path.is_none() {
            return Ok(true);
        }
        let busy: i64 = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        Ok(busy == 0)
    }

    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, at, actor, action, session_id, detail, prev_hash, hash FROM audit_log ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: parse_ts(&r.get::<_, String>(1)?)?,
                actor: r.get(2)?,
                action: parse(r.get(3)?)?,
                session_id: r.get(4)?,
                detail: r.get(5)?,
                prev_hash: r.get(6)?,
                hash: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Recompute the hash chain; returns the number of rows, or where it breaks.
    pub fn verify_audit_chain(&self) -> Result<usize> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, at, actor, action, session_id, detail, prev_hash, hash FROM audit_log ORDER BY id")?;
        let mut rows = stmt.query([])?;
        let mut prev = rows::GENESIS.to_string();
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            let at: String = r.get(1)?;
            let action: AuditAction = r.get::<_, String>(3)?.parse()?;
            let stored_prev: String = r.get(6)?;
            let stored: String = r.get(7)?;
            if stored_prev != prev {
                return Err(StoreError::AuditTampered { row: id, reason: "previous hash does not match".into() });
            }
            let expect =
                rows::audit_hash(&prev, &at, &r.get::<_, String>(2)?, action, r.get(4)?, &r.get::<_, String>(5)?);
            if expect != stored {
                return Err(StoreError::AuditTampered {
                    row: id,
                    reason: "row content does not match its hash".into(),
                });
            }
            prev = stored;
            n += 1;
        }
        Ok(n)
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Direct access for tests and tools (e.g. tamper tests). Not for application code.
    #[doc(hidden)]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}
