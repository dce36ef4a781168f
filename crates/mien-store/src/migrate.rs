//! Schema migrations: the numbered SQL files of `migrations/`, each applied in one transaction together with its
//! `PRAGMA user_version` bump. A database whose version is newer than the newest migration is refused before
//! anything is written to it.

use rusqlite::{Connection, OpenFlags};

use crate::error::{Result, StoreError};

/// `(version, file name, SQL)`, in order. Versions are 1-based and contiguous.
pub const MIGRATIONS: &[(u32, &str, &str)] =
    &[(1, "0001_initial.sql", include_str!("../../../migrations/0001_initial.sql"))];

/// The schema version this build writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

pub fn user_version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).map(|v| v.max(0) as u32)?)
}

/// Read the schema version of an existing file without modifying it (read-only connection).
pub fn peek_version(path: &std::path::Path) -> Result<u32> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    user_version(&conn)
}

/// Apply every migration newer than the database's version, one transaction each.
pub fn migrate(conn: &mut Connection) -> Result<u32> {
    let current = user_version(conn)?;
    if current > LATEST {
        return Err(StoreError::NewerSchema { found: current, supported: LATEST });
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Migration { name: (*name).to_string(), reason: e.to_string() })?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(LATEST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_contiguous_and_every_file_is_registered() {
        for (i, (v, name, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*v as usize, i + 1);
            assert!(name.starts_with(&format!("{v:04}_")), "{name}");
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .expect("migrations/")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        on_disk.sort();
        let registered: Vec<String> = MIGRATIONS.iter().map(|(_, n, _)| n.to_string()).collect();
        assert_eq!(on_disk, registered, "every migrations/*.sql must be listed in MIGRATIONS");
    }

    #[test]
    fn a_failing_migration_leaves_the_old_schema() {
        let mut conn = Connection::open_in_memory().expect("db");
        migrate(&mut conn).expect("migrate");
        let tx = conn.transaction().expect("tx");
        let bad = tx.execute_batch("CREATE TABLE x (a); THIS IS NOT SQL;");
        assert!(bad.is_err());
        drop(tx); // rolls back
        assert_eq!(user_version(&conn).expect("v"), LATEST);
        let n: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'x'", [], |r| r.get(0)).expect("query");
        assert_eq!(n, 0);
    }
}
