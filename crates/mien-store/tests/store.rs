//! Store behaviour on real SQLite files: migrations, policy and consent, erasure from the file and the WAL, the
//! audit chain, constraints, a full disk.

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Duration, TimeZone, Utc};
use mien_core::{ExpressionProbs, FaceBox, FaceObservation, Jurisdiction, QualityThresholds, Sample};
use mien_store::{
    Clock, ConsentInput, ConsentMethod, NewSession, Recorder, RecorderConfig, SessionKind, SessionStatus, SourceKind,
    Store, StoreError, StoreOptions, migrate,
};

const CANDIDATE: &str = "CANDIDATE-ZX81-QUOKKA";
const NOTE: &str = "NOTE-TEXT-WOMBAT-7731";

fn face_sample(t: u64, happy: f32) -> Sample {
    let rest = (1.0 - happy) / 6.0;
    let p = ExpressionProbs::new(&[rest, rest, rest, happy, rest, rest, rest]).expect("valid");
    let f = FaceObservation { bbox: FaceBox::new(100.0, 80.0, 220.0, 200.0), score: 0.93 };
    Sample::with_face(t, 1, f, p, (640, 480), &QualityThresholds::default())
}

fn interview(candidate: &str) -> NewSession {
    NewSession {
        kind: SessionKind::Interview,
        candidate_ref: Some(candidate.into()),
        role: Some("Engineer".into()),
        interviewer: Some("Alex".into()),
        source: SourceKind::Video,
        source_name: Some("call.mp4".into()),
        model: "ensemble".into(),
        provider: "cpu".into(),
        consent: Some(ConsentInput {
            notice_version: "2026-12-v1".into(),
            method: ConsentMethod::Written,
            recorded_by: "Alex".into(),
            candidate_agreed: true,
        }),
    }
}

fn practice() -> NewSession {
    NewSession::practice(SourceKind::Camera, "ensemble", "cpu")
}

fn fake_clock(start: DateTime<Utc>) -> (Clock, Arc<Mutex<DateTime<Utc>>>) {
    let now = Arc::new(Mutex::new(start));
    let n = now.clone();
    (Arc::new(move || *n.lock().expect("clock")), now)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn file_bytes(db: &Path) -> (Vec<u8>, Vec<u8>) {
    let wal = db.with_file_name(format!("{}-wal", db.file_name().expect("name").to_string_lossy()));
    (std::fs::read(db).expect("db"), std::fs::read(wal).unwrap_or_default())
}

#[test]
fn fresh_database_is_migrated_and_sound() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("mien.db");
    let store = Store::open(&db).expect("open");
    assert_eq!(migrate::user_version(store.connection()).expect("v"), migrate::LATEST);
    assert_eq!(store.integrity_check().expect("check"), "ok");
    let mode: String = store.connection().query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("mode");
    assert_eq!(mode, "wal");
    let fk: i64 = store.connection().query_row("PRAGMA foreign_keys", [], |r| r.get(0)).expect("fk");
    assert_eq!(fk, 1);
    // defaults: no jurisdiction chosen -> practice only, 30 days retention
    let s = store.settings().expect("settings");
    assert_eq!((s.jurisdiction, s.retention_days), (Jurisdiction::Unset, 30));
}

/// A database written by the previous schema (fixture: schema v1 with data, as SQL text) opens, migrates to the
/// latest version and keeps its data.
#[test]
fn previous_schema_fixture_migrates_and_keeps_data() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("old.db");
    {
        let conn = rusqlite::Connection::open(&db).expect("db");
        conn.execute_batch(include_str!("fixtures/schema_v1_with_data.sql")).expect("fixture");
    }
    assert_eq!(migrate::peek_version(&db).expect("v"), 1);
    let store = Store::open(&db).expect("open");
    assert_eq!(migrate::user_version(store.connection()).expect("v"), migrate::LATEST);
    let sessions = store.list_sessions(None).expect("list");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].candidate_ref.as_deref(), Some("fixture-candidate"));
    assert_eq!(store.samples(sessions[0].id).expect("samples").len(), 3);
    assert_eq!(store.verify_audit_chain().expect("chain"), 1);
    assert_eq!(store.integrity_check().expect("check"), "ok");
}

#[test]
fn newer_database_is_refused_and_left_byte_for_byte_unchanged() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("future.db");
    {
        let conn = rusqlite::Connection::open(&db).expect("db");
        conn.execute_batch("CREATE TABLE future (x); INSERT INTO future VALUES (1); PRAGMA user_version = 99;")
            .expect("future");
    }
    let before = std::fs::read(&db).expect("read");
    match Store::open(&db) {
        Err(StoreError::NewerSchema { found: 99, supported }) => assert_eq!(supported, migrate::LATEST),
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    assert_eq!(std::fs::read(&db).expect("read"), before);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["future.db".to_string()], "no WAL or lock file may appear");
}

#[test]
fn consent_and_jurisdiction_policy_are_enforced() {
    let mut store = Store::open_in_memory().expect("open");
    // Unset jurisdiction: practice only.
    assert!(matches!(store.create_session(&interview("c"), "hr"), Err(StoreError::PolicyProhibits { .. })));
    assert!(store.create_session(&practice(), "me").is_ok());
    // EU/EEA: prohibited, with or without consent.
    store.set_policy(Jurisdiction::EuEea, 30, "admin").expect("policy");
    assert!(matches!(store.create_session(&interview("c"), "hr"), Err(StoreError::PolicyProhibits { .. })));
    // Illinois: allowed with consent only.
    store.set_policy(Jurisdiction::UsIllinois, 30, "admin").expect("policy");
    let mut no_consent = interview("c");
    no_consent.consent = None;
    assert!(matches!(store.create_session(&no_consent, "hr"), Err(StoreError::ConsentRequired)));
    let mut refused = interview("c");
    if let Some(c) = refused.consent.as_mut() {
        c.candidate_agreed = false;
    }
    assert!(matches!(store.create_session(&refused, "hr"), Err(StoreError::ConsentRequired)));
    let id = store.create_session(&interview("c"), "hr").expect("with consent");
    let info = store.session(id).expect("session");
    let consent = info.consent.expect("consent record");
    assert_eq!((consent.notice_version.as_str(), consent.method), ("2026-12-v1", ConsentMethod::Written));

    // The schema is the backstop: raw SQL cannot bypass either rule.
    let c = store.connection();
    let raw = "INSERT INTO sessions (kind, source, started_at, model, provider) \
               VALUES ('interview', 'video', '2026-01-01T00:00:00Z', 'm', 'cpu')";
    assert!(c.execute(raw, []).is_err(), "interview without consent_id");
    store.set_policy(Jurisdiction::EuEea, 30, "admin").expect("policy");
    let c = store.connection();
    c.execute(
        "INSERT INTO consent_records (notice_version, method, recorded_by, candidate_agreed, recorded_at) \
         VALUES ('v', 'written', 'x', 1, '2026-01-01T00:00:00Z')",
        [],
    )
    .expect("consent");
    let with_consent = "INSERT INTO sessions (kind, source, started_at, model, provider, consent_id) \
                        VALUES ('interview', 'video', '2026-01-01T00:00:00Z', 'm', 'cpu', last_insert_rowid())";
    let err = c.execute(with_consent, []).expect_err("trigger");
    assert!(err.to_string().contains("policy_prohibits_interview_analysis"), "{err}");
}

#[test]
fn constraints_reject_impossible_values() {
    let mut store = Store::open_in_memory().expect("open");
    let id = store.create_session(&practice(), "me").expect("session");
    let mut bad = face_sample(0, 0.9);
    if let Some(f) = bad.face.as_mut() {
        f.score = f32::NAN;
    }
    assert!(matches!(store.append_samples(id, &[bad]), Err(StoreError::Invalid(_))));
    let c = store.connection();
    let over_one = "INSERT INTO samples (session_id, t_ms, status, face_count, x1, y1, x2, y2, face_score, p_negative, \
                    p_neutral, p_positive, label) VALUES (?1, 5, 'ok', 1, 0, 0, 1, 1, 0.9, 1.5, 0, 0, 'negative')";
    assert!(c.execute(over_one, [id]).is_err());
    let no_face_with_label = "INSERT INTO samples (session_id, t_ms, status, face_count, label) \
                              VALUES (?1, 6, 'no_face', 0, 'neutral')";
    assert!(c.execute(no_face_with_label, [id]).is_err());
    assert_eq!(store.samples(id).expect("samples").len(), 0);
}

#[test]
fn deleted_session_is_gone_from_file_and_wal() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("mien.db");
    let mut store = Store::open(&db).expect("open");
    store.set_policy(Jurisdiction::UsIllinois, 30, "admin").expect("policy");
    let keep = store.create_session(&interview("KEEP-THIS-ONE"), "hr").expect("keep");
    let id = store.create_session(&interview(CANDIDATE), "hr").expect("session");
    let rec = Recorder::start(&db, id, StoreOptions::default(), RecorderConfig::default()).expect("recorder");
    for i in 0..300 {
        rec.record(face_sample(i * 100, 0.8)).expect("record");
    }
    rec.note(Some(1000), NOTE).expect("note");
    rec.marker(2000, "MARKER-PLATYPUS").expect("marker");
    assert_eq!(rec.finish().expect("finish"), 300);
    store.append_samples(keep, &[face_sample(0, 0.5)]).expect("other session");
    let (dbb, walb) = file_bytes(&db);
    assert!(contains(&dbb, CANDIDATE) || contains(&walb, CANDIDATE), "the test must see the text before deletion");
    assert!(contains(&dbb, NOTE) || contains(&walb, NOTE));

    let erased = store.delete_session(id, "hr").expect("delete");
    assert_eq!(erased.samples, 300);
    assert!(erased.wal_truncated);
    let (dbb, walb) = file_bytes(&db);
    for text in [CANDIDATE, NOTE, "MARKER-PLATYPUS"] {
        assert!(!contains(&dbb, text), "{text} still in the database file");
        assert!(!contains(&walb, text), "{text} still in the WAL");
    }
    assert!(contains(&dbb, "KEEP-THIS-ONE"), "the other session is untouched");
    assert!(matches!(store.session(id), Err(StoreError::NoSuchSession(_))));
    assert_eq!(store.integrity_check().expect("check"), "ok");
    let last = store.audit_log().expect("audit").pop().expect("row");
    assert_eq!((last.action.name(), last.session_id), ("delete", Some(id)));
    assert!(!last.detail.contains(CANDIDATE));
}

#[test]
fn retention_purge_with_a_fake_clock_erases_old_sessions() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("mien.db");
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).single().expect("date");
    let (clock, now) = fake_clock(start);
    let mut store = Store::open_with(&db, StoreOptions::default(), clock).expect("open");
    store.set_policy(Jurisdiction::Uk, 30, "admin").expect("policy");
    let old = store.create_session(&interview(CANDIDATE), "hr").expect("old");
    store.append_samples(old, &[face_sample(0, 0.9), face_sample(100, 0.9)]).expect("samples");
    store.add_note(old, None, NOTE).expect("note");
    store.finish_session(old).expect("finish");
    *now.lock().expect("clock") = start + Duration::days(20);
    let recent = store.create_session(&interview("RECENT-CANDIDATE"), "hr").expect("recent");
    store.finish_session(recent).expect("finish");

    *now.lock().expect("clock") = start + Duration::days(29);
    assert!(store.purge_expired("retention").expect("purge").is_empty());
    *now.lock().expect("clock") = start + Duration::days(31);
    assert_eq!(store.purge_expired("retention").expect("purge"), vec![old]);
    let (dbb, walb) = file_bytes(&db);
    assert!(!contains(&dbb, CANDIDATE) && !contains(&walb, CANDIDATE));
    assert!(!contains(&dbb, NOTE) && !contains(&walb, NOTE));
    assert_eq!(store.list_sessions(None).expect("list").len(), 1);
    assert_eq!(store.audit_log().expect("audit").last().map(|a| a.action.name()), Some("purge"));
}

#[test]
fn audit_log_is_append_only_and_tampering_is_detected() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("mien.db");
    let mut store = Store::open(&db).expect("open");
    store.set_policy(Jurisdiction::UsNyc, 30, "admin").expect("policy");
    let id = store.create_session(&interview("c"), "hr").expect("session");
    store.report(id, "reviewer").expect("view");
    store.export(id, "reviewer", "json").expect("export");
    let n = store.verify_audit_chain().expect("intact");
    assert_eq!(n, 5); // policy, consent, create, view, export
    let log = store.audit_log().expect("log");
    let actions: Vec<&str> = log.iter().map(|a| a.action.name()).collect();
    assert_eq!(actions, vec!["policy", "consent", "create", "view", "export"]);

    let c = store.connection();
    assert!(c.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 4", []).is_err());
    assert!(c.execute("DELETE FROM audit_log WHERE id = 4", []).is_err());
    // Someone with the file and a SQLite shell can drop the triggers; the chain still shows it.
    c.execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'someone else' WHERE id = 4;")
        .expect("tamper");
    match store.verify_audit_chain() {
        Err(StoreError::AuditTampered { row: 4, .. }) => {}
        other => panic!("expected tampering at row 4, got {other:?}"),
    }
}

#[test]
fn report_summarises_and_export_is_a_snapshot() {
    let mut store = Store::open_in_memory().expect("open");
    store.set_policy(Jurisdiction::UsOther, 30, "admin").expect("policy");
    let id = store.create_session(&interview("c"), "hr").expect("session");
    let samples: Vec<Sample> =
        (0..100).map(|i| if i < 50 { face_sample(i * 100, 0.1) } else { face_sample(i * 100, 0.9) }).collect();
    store.append_samples(id, &samples).expect("append");
    store.add_marker(id, 5000, "asked about salary").expect("marker");
    store.finish_session(id).expect("finish");
    let report = store.report(id, "reviewer").expect("report");
    assert_eq!(report.samples.len(), 100);
    assert_eq!(report.session.status, SessionStatus::Finished);
    assert_eq!(report.summary.segments.len(), 2);
    assert!(report.summary.segments[1].stats.shares.positive > 0.9);
    assert!(report.summary.trend.change.positive > 0.9);
    assert!(report.limits.contains("not reliable"));
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["samples"][0]["status"], "ok");
    assert_eq!(json["session"]["consent"]["method"], "written");
}

#[test]
fn full_disk_is_a_clear_error_and_loses_nothing_committed() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("mien.db");
    let mut store = Store::open(&db).expect("open");
    let id = store.create_session(&practice(), "me").expect("session");
    store.append_samples(id, &(0..10).map(|i| face_sample(i * 100, 0.5)).collect::<Vec<_>>()).expect("first");
    store.checkpoint().expect("checkpoint");
    let pages: i64 = store.connection().query_row("PRAGMA page_count", [], |r| r.get(0)).expect("pages");
    store.connection().pragma_update(None, "max_page_count", pages + 1).expect("limit");
    let many: Vec<Sample> = (10..5000).map(|i| face_sample(i * 100, 0.5)).collect();
    let err = store.append_samples(id, &many).expect_err("disk full");
    assert!(err.is_disk_full(), "{err}");
    assert_eq!(store.samples(id).expect("samples").len(), 10, "the failed batch is rolled back, the rest is kept");
    store.connection().pragma_update(None, "max_page_count", 1_000_000).expect("more room");
    store.append_samples(id, &many).expect("retry works");
    assert_eq!(store.samples(id).expect("samples").len(), 5000);
}

#[test]
fn recorder_finishes_and_dropping_it_interrupts() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("mien.db");
    let mut store = Store::open(&db).expect("open");
    let a = store.create_session(&practice(), "me").expect("a");
    let rec = Recorder::start(&db, a, StoreOptions::default(), RecorderConfig::default()).expect("start");
    assert!(Recorder::start(&db, a, StoreOptions::default(), RecorderConfig::default()).is_err(), "one recorder only");
    // While it records, another process/connection opening the store must not mark it interrupted.
    let other = Store::open(&db).expect("second open");
    assert_eq!(other.session(a).expect("a").status, SessionStatus::Recording);
    for i in 0..25 {
        rec.record(face_sample(i * 40, 0.7)).expect("record");
    }
    assert_eq!(rec.flush().expect("flush"), 25);
    assert_eq!(rec.finish().expect("finish"), 25);
    assert_eq!(store.session(a).expect("a").status, SessionStatus::Finished);

    let b = store.create_session(&practice(), "me").expect("b");
    let rec = Recorder::start(&db, b, StoreOptions::default(), RecorderConfig::default()).expect("start");
    rec.record(face_sample(0, 0.7)).expect("record");
    drop(rec);
    let info = store.session(b).expect("b");
    assert_eq!((info.status, info.sample_count), (SessionStatus::Interrupted, 1));
    assert!(Recorder::start(&db, b, StoreOptions::default(), RecorderConfig::default()).is_err(), "not recording");
}
