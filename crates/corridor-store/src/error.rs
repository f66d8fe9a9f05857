use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("invalid database URL {0}")]
    InvalidUrl(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A value refers to something that does not exist or does not fit (a site of another
    /// institution, an unknown category): the caller's input is wrong.
    #[error("{field}: {reason}")]
    InvalidReference { field: &'static str, reason: String },
    #[error("not found: {0}")]
    NotFound(String),
    /// A stored value that the domain refuses: the database was edited behind Corridor's back
    /// or a migration is missing. Never the caller's fault.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A backup or restore that cannot go ahead (a file in the way, a file that is not a sound
    /// Corridor database); nothing was changed.
    #[error("{0}")]
    Backup(String),
}

impl StoreError {
    pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt(what.to_string())
    }

    /// Maps a unique-constraint violation to [`StoreError::Conflict`], the one database error
    /// a caller can act on.
    pub(crate) fn from_write(error: sqlx::Error, what: &str) -> StoreError {
        if let sqlx::Error::Database(database_error) = &error {
            if database_error.is_unique_violation() {
                return StoreError::Conflict(format!("{what} already exists"));
            }
        }
        StoreError::Database(error)
    }
}
