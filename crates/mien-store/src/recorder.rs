//! The session recorder: one writer thread that appends samples, markers and notes in small batched transactions.
//!
//! Callers hand values over a bounded channel and never wait for the disk (unless the channel is full, which is
//! back-pressure, not loss). The thread commits when a batch is full or a short interval has passed, so at most
//! `batch_interval` of samples is in flight. While it runs, it holds the session's lock file, which tells any other
//! process opening the store that this session is alive. A commit that fails (disk full) keeps its batch and
//! retries with the next one; the error is reported by [`Recorder::flush`] / [`Recorder::finish`].

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
        mpsc::{self, RecvTimeoutError, SyncSender},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use mien_core::Sample;
use rusqlite::{Connection, params};

use crate::{
    StoreOptions, configure,
    error::{Result, StoreError},
    recording_lock_path, rows,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecorderConfig {
    /// Commit when this many values are pending...
    pub batch_max: usize,
    /// ...or when the oldest pending value is this old.
    pub batch_interval: Duration,
    /// Channel capacity (values waiting for the writer).
    pub queue: usize,
}

impl Default for RecorderConfig {
    fn default() -> Self {
        Self { batch_max: 64, batch_interval: Duration::from_millis(250), queue: 4096 }
    }
}

enum Op {
    Sample(Box<Sample>),
    Marker(u64, String),
    Note(Option<u64>, String),
}

enum Cmd {
    Op(Op),
    Flush(mpsc::Sender<Result<u64, String>>),
    Finish(mpsc::Sender<Result<u64, String>>),
}

/// Handle to a running recorder. Dropping it without [`Recorder::finish`] commits what is pending and marks the
/// session `interrupted`.
pub struct Recorder {
    session_id: i64,
    tx: Option<SyncSender<Cmd>>,
    handle: Option<JoinHandle<()>>,
    committed: Arc<AtomicU64>,
    last_error: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("session_id", &self.session_id).finish()
    }
}

struct Writer {
    conn: Connection,
    session_id: i64,
    pending: Vec<Op>,
    committed: Arc<AtomicU64>,
    last_error: Arc<Mutex<Option<String>>>,
}

impl Writer {
    fn commit(&mut self) -> Result<(), String> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let result = (|| -> Result<u64> {
            let tx = self.conn.transaction()?;
            let mut samples = 0;
            for op in &self.pending {
                match op {
                    Op::Sample(s) => {
                        rows::insert_sample(&tx, self.session_id, s)?;
                        samples += 1;
                    }
                    Op::Marker(t, label) => {
                        rows::insert_marker(&tx, self.session_id, *t, label, chrono::Utc::now())?;
                    }
                    Op::Note(t, text) => {
                        rows::insert_note(&tx, self.session_id, *t, text, chrono::Utc::now())?;
                    }
                }
            }
            tx.commit()?;
            Ok(samples)
        })();
        match result {
            Ok(n) => {
                self.pending.clear();
                self.committed.fetch_add(n, Ordering::SeqCst);
                Ok(())
            }
            Err(e) => {
                let msg = e.to_string();
                tracing::error!(session = self.session_id, error = %msg, "could not save samples; will retry");
                if let Ok(mut le) = self.last_error.lock() {
                    *le = Some(msg.clone());
                }
                Err(msg)
            }
        }
    }

    fn close(&mut self, status: &str) -> Result<u64, String> {
        self.commit()?;
        self.conn
            .execute(
                "UPDATE sessions SET status = ?2, ended_at = ?3 WHERE id = ?1 AND status = 'recording'",
                params![self.session_id, status, rows::ts(chrono::Utc::now())],
            )
            .map_err(|e| e.to_string())?;
        Ok(self.committed.load(Ordering::SeqCst))
    }
}

impl Recorder {
    /// Start recording into session `session_id` of the store at `db` (the session must be `recording`).
    pub fn start(db: &Path, session_id: i64, options: StoreOptions, config: RecorderConfig) -> Result<Self> {
        let lock_path: PathBuf = recording_lock_path(db, session_id);
        let lock = std::fs::File::options().create(true).truncate(false).write(true).open(&lock_path)?;
        lock.try_lock().map_err(|_| StoreError::Invalid(format!("session {session_id} is already being recorded")))?;
        let conn = Connection::open(db)?;
        configure(&conn, &options)?;
        let status: Option<String> = conn
            .query_row("SELECT status FROM sessions WHERE id = ?1", [session_id], |r| r.get(0))
            .map(Some)
            .or_else(|e| if matches!(e, rusqlite::Error::QueryReturnedNoRows) { Ok(None) } else { Err(e) })?;
        match status.as_deref() {
            None => return Err(StoreError::NoSuchSession(session_id)),
            Some("recording") => {}
            Some(_) => return Err(StoreError::NotRecording(session_id)),
        }
        let committed = Arc::new(AtomicU64::new(0));
        let last_error = Arc::new(Mutex::new(None));
        let (tx, rx) = mpsc::sync_channel::<Cmd>(config.queue.max(1));
        let mut w = Writer {
            conn,
            session_id,
            pending: Vec::new(),
            committed: committed.clone(),
            last_error: last_error.clone(),
        };
        let handle = std::thread::Builder::new().name(format!("mien-recorder-{session_id}")).spawn(move || {
            let _lock = lock; // held until the thread ends (released by the OS if the process dies)
            let mut oldest: Option<Instant> = None;
            loop {
                let msg = match oldest {
                    Some(t) => rx.recv_timeout(config.batch_interval.saturating_sub(t.elapsed())),
                    None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
                };
                match msg {
                    Ok(Cmd::Op(op)) => {
                        w.pending.push(op);
                        oldest.get_or_insert_with(Instant::now);
                        if w.pending.len() >= config.batch_max && w.commit().is_ok() {
                            oldest = None;
                        }
                    }
                    Ok(Cmd::Flush(reply)) => {
                        let r = w.commit().map(|()| w.committed.load(Ordering::SeqCst));
                        if r.is_ok() {
                            oldest = None;
                        }
                        let _ = reply.send(r);
                    }
                    Ok(Cmd::Finish(reply)) => {
                        let _ = reply.send(w.close("finished"));
                        break;
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        if w.commit().is_ok() {
                            oldest = None;
                        } else {
                            oldest = Some(Instant::now());
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        let _ = w.close("interrupted");
                        break;
                    }
                }
            }
            drop(_lock);
            let _ = std::fs::remove_file(&lock_path);
        })?;
        Ok(Self { session_id, tx: Some(tx), handle: Some(handle), committed, last_error })
    }

    pub fn session_id(&self) -> i64 {
        self.session_id
    }

    fn send(&self, cmd: Cmd) -> Result<()> {
        self.tx
            .as_ref()
            .ok_or_else(|| StoreError::RecorderStopped("finished".into()))?
            .send(cmd)
            .map_err(|_| StoreError::RecorderStopped("the writer thread ended".into()))
    }

    pub fn record(&self, sample: Sample) -> Result<()> {
        self.send(Cmd::Op(Op::Sample(Box::new(sample))))
    }

    pub fn marker(&self, t_ms: u64, label: &str) -> Result<()> {
        rows::check_text(label, "marker", rows::MAX_MARKER)?;
        self.send(Cmd::Op(Op::Marker(t_ms, label.to_string())))
    }

    pub fn note(&self, t_ms: Option<u64>, text: &str) -> Result<()> {
        rows::check_text(text, "note", rows::MAX_NOTE)?;
        self.send(Cmd::Op(Op::Note(t_ms, text.to_string())))
    }

    /// Samples committed so far.
    pub fn committed(&self) -> u64 {
        self.committed.load(Ordering::SeqCst)
    }

    /// The last commit error, if the most recent commits failed (e.g. disk full).
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    fn round_trip(&self, make: impl FnOnce(mpsc::Sender<Result<u64, String>>) -> Cmd) -> Result<u64> {
        let (reply, wait) = mpsc::channel();
        self.send(make(reply))?;
        wait.recv()
            .map_err(|_| StoreError::RecorderStopped("the writer thread ended".into()))?
            .map_err(StoreError::RecorderStopped)
    }

    /// Wait until everything sent so far is committed; returns the number of committed samples.
    pub fn flush(&self) -> Result<u64> {
        self.round_trip(Cmd::Flush)
    }

    /// Commit what is pending and mark the session `finished`.
    pub fn finish(mut self) -> Result<u64> {
        let r = self.round_trip(Cmd::Finish);
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        r
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.tx = None; // the thread sees the disconnect, commits and marks the session interrupted
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
