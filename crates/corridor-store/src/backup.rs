//! Online backups of a SQLite database, and their restore.
//!
//! A backup is `VACUUM INTO` on a connection of its own: SQLite writes a compacted copy of
//! one read transaction's snapshot, so it is consistent while the server goes on writing
//! (WAL readers never block the writer, nor it them). The copy is written under a temporary
//! name, synced, and renamed into place, so a backup file that exists is a whole one; it is
//! then opened and checked (`PRAGMA integrity_check`, the migrations it carries).
//!
//! A restore checks the backup the same way and refuses a file that is not a sound Corridor
//! database, or one made by a newer Corridor (migrations this binary does not know). It
//! replaces an existing database only when asked to; the server must be stopped first. The
//! copy again goes through a temporary file and a rename, and the old database's WAL and
//! shared-memory files go before the rename, so that no stale log is ever replayed into the
//! restored file. Opening the restored database applies the migrations it lacks.
//!
//! PostgreSQL has its own tools for this (`pg_dump` / `pg_restore`); docs/OPERATIONS.md
//! gives the procedure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};

use crate::{Store, StoreError};

/// What a backup or a restore wrote, and what the database holds.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    /// The newest migration the database carries.
    pub schema_version: i64,
    /// Rows per table.
    pub tables: BTreeMap<String, i64>,
}

fn sqlite_path(database_url: &str) -> Result<PathBuf, StoreError> {
    let options = SqliteConnectOptions::from_str(database_url)
        .map_err(|error| StoreError::InvalidUrl(format!("{database_url:?}: {error}")))?;
    let path = options.get_filename().to_path_buf();
    if path.as_os_str().is_empty() || path == Path::new(":memory:") {
        return Err(StoreError::InvalidUrl(format!(
            "{database_url:?}: backups need a SQLite database in a file"
        )));
    }
    Ok(path)
}

fn partial_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn io_error(what: &str, path: &Path, error: std::io::Error) -> StoreError {
    StoreError::Backup(format!("{what} {}: {error}", path.display()))
}

/// Flushes `path` and the directory that names it, so that a rename survives power loss.
fn sync_file_and_directory(path: &Path) -> Result<(), StoreError> {
    std::fs::File::open(path)
        .and_then(|file| file.sync_all())
        .map_err(|error| io_error("syncing", path, error))?;
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(directory)
        .and_then(|file| file.sync_all())
        .map_err(|error| io_error("syncing the directory", directory, error))
}

/// The migration versions this binary knows, oldest first.
fn known_migrations() -> Vec<i64> {
    sqlx::migrate!("./migrations/sqlite")
        .iter()
        .map(|migration| migration.version)
        .collect()
}

/// Opens `path` read-only and checks it is a sound Corridor database this binary can open;
/// answers its newest migration.
async fn check_database_file(path: &Path) -> Result<i64, StoreError> {
    let not_corridor = |reason: String| {
        StoreError::Backup(format!(
            "{} is not a Corridor database: {reason}",
            path.display()
        ))
    };
    let mut connection = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await
        .map_err(|error| not_corridor(error.to_string()))?;
    let integrity: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
        .fetch_all(&mut connection)
        .await
        .map_err(|error| not_corridor(error.to_string()))?;
    if integrity.len() != 1 || integrity[0].0 != "ok" {
        let problems: Vec<String> = integrity.into_iter().take(5).map(|row| row.0).collect();
        return Err(not_corridor(format!(
            "the integrity check failed: {}",
            problems.join("; ")
        )));
    }
    let versions: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut connection)
            .await
            .map_err(|_| not_corridor("it holds no migration history".into()))?;
    connection.close().await?;
    let known = known_migrations();
    if let Some((version, _)) = versions
        .iter()
        .find(|(version, _)| !known.contains(version))
    {
        return Err(StoreError::Backup(format!(
            "{} was written by a newer Corridor (migration {version} is unknown to this one); restore it with that version",
            path.display()
        )));
    }
    if let Some((version, _)) = versions.iter().find(|(_, success)| !success) {
        return Err(not_corridor(format!("migration {version} did not finish")));
    }
    versions
        .last()
        .map(|(version, _)| *version)
        .ok_or_else(|| not_corridor("it holds no migration history".into()))
}

/// Rows per table of the SQLite database at `path`, read on a read-only connection (opening
/// through the store could migrate or switch journal modes, which would change a backup).
pub async fn count_rows_sqlite(path: &Path) -> Result<BTreeMap<String, i64>, StoreError> {
    let mut connection = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await?;
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut connection)
    .await?;
    let mut counts = BTreeMap::new();
    // One read transaction, so that every count sees the same moment.
    let mut transaction = connection.begin().await?;
    for (table,) in tables {
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let (rows,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {quoted}"))
            .fetch_one(&mut *transaction)
            .await?;
        counts.insert(table, rows);
    }
    transaction.commit().await?;
    Ok(counts)
}

/// Writes a consistent copy of the SQLite database at `database_url` to `destination`, which
/// must not exist. Safe while a server writes to the database.
pub async fn backup_sqlite(
    database_url: &str,
    destination: &Path,
) -> Result<BackupReport, StoreError> {
    let source = sqlite_path(database_url)?;
    if !source.exists() {
        return Err(StoreError::Backup(format!(
            "there is no database at {}",
            source.display()
        )));
    }
    if destination.exists() {
        return Err(StoreError::Backup(format!(
            "{} exists; a backup never overwrites a file",
            destination.display()
        )));
    }
    let partial = partial_name(destination);
    if partial.exists() {
        std::fs::remove_file(&partial)
            .map_err(|error| io_error("removing the unfinished", &partial, error))?;
    }
    let mut connection = SqliteConnectOptions::new()
        .filename(&source)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await?;
    let written = sqlx::query("VACUUM INTO $1")
        .bind(partial.to_string_lossy().into_owned())
        .execute(&mut connection)
        .await;
    connection.close().await?;
    if let Err(error) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(error.into());
    }
    sync_file_and_directory(&partial)?;
    std::fs::rename(&partial, destination)
        .map_err(|error| io_error("renaming the backup to", destination, error))?;
    sync_file_and_directory(destination)?;
    let schema_version = check_database_file(destination).await?;
    let bytes = std::fs::metadata(destination)
        .map_err(|error| io_error("reading", destination, error))?
        .len();
    Ok(BackupReport {
        path: destination.to_path_buf(),
        bytes,
        schema_version,
        tables: count_rows_sqlite(destination).await?,
    })
}

/// Restores `backup` as the SQLite database at `database_url`. An existing database is
/// replaced only with `replace`; stop the server that uses it first.
pub async fn restore_sqlite(
    backup: &Path,
    database_url: &str,
    replace: bool,
) -> Result<BackupReport, StoreError> {
    let target = sqlite_path(database_url)?;
    if !backup.is_file() {
        return Err(StoreError::Backup(format!(
            "there is no backup file at {}",
            backup.display()
        )));
    }
    check_database_file(backup).await?;
    if target.exists() && !replace {
        return Err(StoreError::Backup(format!(
            "{} exists; stop the server that uses it and pass --replace to overwrite it",
            target.display()
        )));
    }
    let partial = partial_name(&target);
    std::fs::copy(backup, &partial)
        .map_err(|error| io_error("copying the backup to", &partial, error))?;
    sync_file_and_directory(&partial)?;
    for stale in [sidecar(&target, "-wal"), sidecar(&target, "-shm")] {
        if stale.exists() {
            std::fs::remove_file(&stale)
                .map_err(|error| io_error("removing the old database's", &stale, error))?;
        }
    }
    std::fs::rename(&partial, &target)
        .map_err(|error| io_error("renaming the restored database to", &target, error))?;
    sync_file_and_directory(&target)?;
    // Opening through the store brings the schema up to this binary's migrations.
    let store = crate::SqliteStore::open(database_url).await?;
    store.migrate().await?;
    drop(store);
    let tables = count_rows_sqlite(&target).await?;
    let schema_version = check_database_file(&target).await?;
    let bytes = std::fs::metadata(&target)
        .map_err(|error| io_error("reading", &target, error))?
        .len();
    Ok(BackupReport {
        path: target,
        bytes,
        schema_version,
        tables,
    })
}
