-- Mien session store, schema version 1.
-- Applied in one transaction together with `PRAGMA user_version = 1` (crates/mien-store/src/migrate.rs).
-- Append-only once released: change the schema with a new numbered file.

-- Jurisdiction policy and retention: exactly one row.
CREATE TABLE settings (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    jurisdiction    TEXT    NOT NULL DEFAULT 'unset'
                    CHECK (jurisdiction IN ('unset', 'eu_eea', 'uk', 'us_illinois', 'us_maryland', 'us_nyc',
                                            'us_other', 'other')),
    -- 'interviews_allowed' or 'practice_only' (derived from the jurisdiction by the store, stored for the trigger)
    policy          TEXT    NOT NULL DEFAULT 'practice_only'
                    CHECK (policy IN ('interviews_allowed', 'practice_only')),
    retention_days  INTEGER NOT NULL DEFAULT 30 CHECK (retention_days BETWEEN 1 AND 3650),
    updated_at      TEXT    NOT NULL
);
INSERT INTO settings (id, updated_at) VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- What the candidate was told and how they agreed, before any frame of an interview is analysed.
CREATE TABLE consent_records (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notice_version  TEXT    NOT NULL CHECK (length(notice_version) BETWEEN 1 AND 64),
    method          TEXT    NOT NULL CHECK (method IN ('written', 'electronic', 'verbal')),
    recorded_by     TEXT    NOT NULL CHECK (length(recorded_by) BETWEEN 1 AND 200),
    candidate_agreed INTEGER NOT NULL CHECK (candidate_agreed = 1),
    recorded_at     TEXT    NOT NULL
);

CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused, so audit rows stay unambiguous
    kind            TEXT    NOT NULL CHECK (kind IN ('interview', 'practice')),
    candidate_ref   TEXT    CHECK (candidate_ref IS NULL OR length(candidate_ref) <= 200),
    role            TEXT    CHECK (role IS NULL OR length(role) <= 200),
    interviewer     TEXT    CHECK (interviewer IS NULL OR length(interviewer) <= 200),
    source          TEXT    NOT NULL CHECK (source IN ('camera', 'video', 'images')),
    source_name     TEXT,
    started_at      TEXT    NOT NULL,
    ended_at        TEXT,
    status          TEXT    NOT NULL DEFAULT 'recording' CHECK (status IN ('recording', 'finished', 'interrupted')),
    model           TEXT    NOT NULL,
    provider        TEXT    NOT NULL,
    consent_id      INTEGER REFERENCES consent_records(id) ON DELETE RESTRICT,
    CHECK (kind = 'practice' OR consent_id IS NOT NULL),
    CHECK (status = 'recording' OR ended_at IS NOT NULL)
);
CREATE INDEX sessions_started ON sessions(started_at);

-- Backstop for the jurisdiction policy: no interview session where interview analysis is prohibited.
CREATE TRIGGER sessions_policy BEFORE INSERT ON sessions
WHEN NEW.kind = 'interview' AND (SELECT policy FROM settings WHERE id = 1) <> 'interviews_allowed'
BEGIN
    SELECT RAISE(ABORT, 'policy_prohibits_interview_analysis');
END;

-- One row per analysed frame. Probabilities only when a face was classified; no images, no embeddings.
CREATE TABLE samples (
    session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    t_ms            INTEGER NOT NULL CHECK (t_ms >= 0),
    status          TEXT    NOT NULL CHECK (status IN ('ok', 'no_face', 'face_too_small', 'low_confidence')),
    face_count      INTEGER NOT NULL CHECK (face_count >= 0),
    x1 REAL, y1 REAL, x2 REAL, y2 REAL,
    face_score      REAL    CHECK (face_score IS NULL OR face_score BETWEEN 0 AND 1),
    p_negative      REAL    CHECK (p_negative IS NULL OR p_negative BETWEEN 0 AND 1),
    p_neutral       REAL    CHECK (p_neutral IS NULL OR p_neutral BETWEEN 0 AND 1),
    p_positive      REAL    CHECK (p_positive IS NULL OR p_positive BETWEEN 0 AND 1),
    label           TEXT    CHECK (label IS NULL OR label IN ('negative', 'neutral', 'positive')),
    s_negative      REAL    CHECK (s_negative IS NULL OR s_negative BETWEEN 0 AND 1),
    s_neutral       REAL    CHECK (s_neutral IS NULL OR s_neutral BETWEEN 0 AND 1),
    s_positive      REAL    CHECK (s_positive IS NULL OR s_positive BETWEEN 0 AND 1),
    smoothed_label  TEXT    CHECK (smoothed_label IS NULL OR smoothed_label IN ('negative', 'neutral', 'positive')),
    flags           INTEGER NOT NULL DEFAULT 0 CHECK (flags BETWEEN 0 AND 31),
    PRIMARY KEY (session_id, t_ms),
    -- a face sample has all of these, a no-face sample none (NaN becomes NULL in SQLite, so it is caught here)
    CHECK ((status = 'no_face') = (label IS NULL)),
    CHECK ((label IS NULL) = (p_negative IS NULL) AND (label IS NULL) = (p_neutral IS NULL)
           AND (label IS NULL) = (p_positive IS NULL) AND (label IS NULL) = (x1 IS NULL)
           AND (label IS NULL) = (face_score IS NULL))
) WITHOUT ROWID;

CREATE TABLE markers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    t_ms            INTEGER NOT NULL CHECK (t_ms >= 0),
    label           TEXT    NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    created_at      TEXT    NOT NULL
);
CREATE INDEX markers_session ON markers(session_id, t_ms);

CREATE TABLE notes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id      INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    t_ms            INTEGER CHECK (t_ms IS NULL OR t_ms >= 0),
    text            TEXT    NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
    created_at      TEXT    NOT NULL
);
CREATE INDEX notes_session ON notes(session_id);

-- Append-only access log. Each row's hash covers its fields and the previous row's hash, so editing or removing a
-- row breaks the chain (Store::verify_audit_chain). Rows name sessions by id only: no candidate data, so erasure
-- of a session leaves nothing personal here.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    action          TEXT    NOT NULL CHECK (action IN ('create', 'view', 'export', 'delete', 'purge', 'policy',
                                                       'consent', 'interrupted')),
    session_id      INTEGER,
    detail          TEXT    NOT NULL DEFAULT '',
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL UNIQUE
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log_is_append_only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log_is_append_only');
END;
