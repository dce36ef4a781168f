//! Crash and concurrency tests on real files.
//!
//! * kill -9 of a recording process at random moments, 20 rounds on one database: every reopen passes
//!   `PRAGMA integrity_check`, keeps every sample the process had reported committed (with no holes), and marks
//!   the session interrupted.
//! * a reader computing reports in a loop while a writer records (30 s, `MIEN_STRESS_SECS` to change) never sees
//!   `SQLITE_BUSY` or any other error.

use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use mien_core::{ExpressionProbs, FaceBox, FaceObservation, QualityThresholds, Sample};
use mien_store::{NewSession, Recorder, RecorderConfig, SessionStatus, SourceKind, Store, StoreOptions};

/// A small deterministic PRNG (xorshift) so failures can be replayed from the printed seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn kill_9_while_recording_loses_nothing_committed() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("crash.db");
    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1;
    eprintln!("crash test seed {seed}");
    let mut rng = Rng(seed);
    let mut expected: Vec<(i64, u64)> = Vec::new();
    for round in 0..20 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mien-store-crashtest"))
            .arg(&db)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let session: i64 = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("session line")
            .strip_prefix("session ")
            .and_then(|s| s.parse().ok())
            .expect("session id");
        // Let it record for a random 20..400 ms, then kill it without warning.
        std::thread::sleep(Duration::from_millis(20 + rng.next() % 380));
        child.kill().expect("kill -9");
        child.wait().expect("wait");
        reader.join().expect("reader");
        let reported = rx
            .try_iter()
            .filter_map(|l| l.strip_prefix("committed ").and_then(|n| n.parse::<u64>().ok()))
            .max()
            .unwrap_or(0);

        let store = Store::open(&db).expect("reopen after crash");
        assert_eq!(store.integrity_check().expect("check"), "ok", "round {round}");
        let info = store.session(session).expect("session");
        assert_eq!(info.status, SessionStatus::Interrupted, "round {round}");
        let samples = store.samples(session).expect("samples");
        assert!(samples.len() as u64 >= reported, "round {round}: {} kept < {reported} reported", samples.len());
        for (i, s) in samples.iter().enumerate() {
            assert_eq!(s.t_ms, i as u64 * 10, "round {round}: hole in the timeline at sample {i}");
        }
        // earlier rounds are untouched
        for &(id, n) in &expected {
            assert_eq!(store.session(id).expect("old").sample_count, n, "round {round}: session {id} changed");
        }
        expected.push((session, samples.len() as u64));
    }
    assert!(expected.iter().any(|&(_, n)| n > 0), "the recorder never committed anything");
}

fn sample(t: u64) -> Sample {
    let p = ExpressionProbs::new(&[0.1, 0.05, 0.05, 0.4, 0.1, 0.1, 0.2]).expect("valid");
    let f = FaceObservation { bbox: FaceBox::new(10.0, 10.0, 120.0, 120.0), score: 0.9 };
    Sample::with_face(t, 1, f, p, (640, 480), &QualityThresholds::default())
}

#[test]
fn readers_never_see_busy_while_a_session_records() {
    let secs: u64 = std::env::var("MIEN_STRESS_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("busy.db");
    let mut store = Store::open(&db).expect("open");
    let practice = NewSession::practice(SourceKind::Camera, "m", "cpu");
    let id = store.create_session(&practice, "me").expect("session");
    let stop = Arc::new(AtomicBool::new(false));
    let reports = Arc::new(AtomicU64::new(0));

    // Readers: a second and third connection computing full reports (snapshot + summary) in a loop.
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (db, stop, reports) = (db.clone(), stop.clone(), reports.clone());
            std::thread::spawn(move || -> Result<(), String> {
                let mut reader = Store::open(&db).map_err(|e| e.to_string())?;
                while !stop.load(Ordering::Relaxed) {
                    let r = reader.snapshot(id).map_err(|e| format!("report failed: {e}"))?;
                    let _ = r.summary.overall.shares;
                    reader.list_sessions(None).map_err(|e| format!("list failed: {e}"))?;
                    reports.fetch_add(1, Ordering::Relaxed);
                }
                // views are audited: a write from a reader connection while the recorder writes
                reader.report(id, "reviewer").map_err(|e| format!("audited view failed: {e}"))?;
                Ok(())
            })
        })
        .collect();

    // Writer: 100 samples/s (10x the product's rate) through the recorder, for `secs` seconds.
    let rec = Recorder::start(&db, id, StoreOptions::default(), RecorderConfig::default()).expect("recorder");
    let start = Instant::now();
    let mut t = 0;
    while start.elapsed() < Duration::from_secs(secs) {
        rec.record(sample(t)).expect("record");
        t += 10;
        std::thread::sleep(Duration::from_millis(10));
    }
    let written = rec.finish().expect("finish");
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().expect("reader thread").expect("reader saw an error");
    }
    assert!(reports.load(Ordering::Relaxed) > 10, "the readers barely ran");
    assert_eq!(store.samples(id).expect("samples").len() as u64, written);
    eprintln!("{written} samples written, {} reports read in {secs} s", reports.load(Ordering::Relaxed));
}
