//! The store's error type.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "this database has schema version {found}, newer than this version of Mien supports ({supported}); \
         it was left untouched. Update Mien to open it"
    )]
    NewerSchema { found: u32, supported: u32 },

    #[error("migration {name} failed (the database keeps its previous schema): {reason}")]
    Migration { name: String, reason: String },

    #[error(
        "an interview session needs the candidate's consent record first (notice version, method, who recorded it)"
    )]
    ConsentRequired,

    #[error("the jurisdiction policy ({jurisdiction}) does not allow interview analysis; only practice sessions")]
    PolicyProhibits { jurisdiction: String },

    #[error("no session with id {0}")]
    NoSuchSession(i64),

    #[error("session {0} is not recording any more")]
    NotRecording(i64),

    #[error("invalid value: {0}")]
    Invalid(String),

    #[error("the audit log has been tampered with at row {row}: {reason}")]
    AuditTampered { row: i64, reason: String },

    #[error("the recorder stopped: {0}")]
    RecorderStopped(String),

    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Whether the error says the disk is full (the caller can free space and retry; nothing committed is lost).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DiskFull)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
