//! Scanning a long result set of integers straight through SQLite's C API, for the one query
//! that reads every row of a table: the ledger's replay (ten million transfers and more).
//!
//! Why not sqlx: its SQLite driver copies every value of every row on the connection's worker
//! thread (`sqlite3_value_dup`, one allocation each) and hands the row to the async side
//! through a channel, where it is freed again. Measured on the 10-million-transfer ledger
//! (2 vCPU), that costs about 4 µs a row, two thirds of it in the allocator's lock contended
//! by the two threads, and the replay took 40 s. Stepping the statement here reads each
//! column as an `i64` in place, with no allocation and no thread hop.
//!
//! The scan runs on the connection sqlx already holds (through `lock_handle`, which takes the
//! database handle away from the worker thread for the duration), so it sees the snapshot of
//! the transaction open on that connection. It blocks the calling thread while it steps: it
//! is for operators' commands (reconciliation, benchmarks), never for request handlers.

use std::ffi::{CStr, CString};
use std::ptr::{null_mut, NonNull};

use libsqlite3_sys as ffi;

use crate::StoreError;

/// A prepared statement, finalized when dropped (also on early return).
struct PreparedStatement(NonNull<ffi::sqlite3_stmt>);

impl Drop for PreparedStatement {
    fn drop(&mut self) {
        // SAFETY: the pointer came from a successful sqlite3_prepare_v2 and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.0.as_ptr());
        }
    }
}

fn sqlite_error(database: *mut ffi::sqlite3, what: &str) -> StoreError {
    // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the connection, valid
    // until the next call on it; it is copied at once.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(database)) }
        .to_string_lossy()
        .into_owned();
    StoreError::Database(sqlx::Error::Protocol(format!("{what}: {message}")))
}

/// Runs `sql`, whose result has exactly `N` integer (or NULL) columns, on `connection`, and
/// calls `visit` with every row in order until it answers `Ok(false)` or an error (which the
/// scan returns) or the rows end.
pub(crate) async fn for_each_integer_row<const N: usize>(
    connection: &mut sqlx::SqliteConnection,
    sql: &str,
    mut visit: impl FnMut([Option<i64>; N]) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let text = CString::new(sql).map_err(|_| StoreError::corrupt("a scan's SQL holds NUL"))?;
    let mut handle = connection.lock_handle().await?;
    let database = handle.as_raw_handle().as_ptr();
    let mut raw_statement = null_mut();
    // SAFETY: `database` is the open connection, exclusively ours while `handle` lives;
    // `text` is NUL-terminated and outlives the call.
    let prepared = unsafe {
        ffi::sqlite3_prepare_v2(database, text.as_ptr(), -1, &mut raw_statement, null_mut())
    };
    if prepared != ffi::SQLITE_OK {
        return Err(sqlite_error(database, "preparing a scan"));
    }
    let statement = PreparedStatement(
        NonNull::new(raw_statement).ok_or_else(|| StoreError::corrupt("a scan's SQL is empty"))?,
    );
    let statement_pointer = statement.0.as_ptr();
    // SAFETY: the statement is valid until `statement` drops.
    let columns = unsafe { ffi::sqlite3_column_count(statement_pointer) };
    if usize::try_from(columns).ok() != Some(N) {
        return Err(StoreError::corrupt(format!(
            "a scan expected {N} columns and its SQL has {columns}"
        )));
    }
    loop {
        // SAFETY: as above; stepping a valid statement on its own connection.
        match unsafe { ffi::sqlite3_step(statement_pointer) } {
            ffi::SQLITE_ROW => {
                let mut row = [None; N];
                for (index, value) in row.iter_mut().enumerate() {
                    let column = index as i32;
                    // SAFETY: `column` is below the column count checked above, and the
                    // statement has a current row.
                    unsafe {
                        match ffi::sqlite3_column_type(statement_pointer, column) {
                            ffi::SQLITE_NULL => {}
                            ffi::SQLITE_INTEGER => {
                                *value = Some(ffi::sqlite3_column_int64(statement_pointer, column))
                            }
                            other => {
                                return Err(StoreError::corrupt(format!(
                                    "column {index} of a scan holds SQLite type {other}, not an integer"
                                )))
                            }
                        }
                    }
                }
                if !visit(row)? {
                    return Ok(());
                }
            }
            ffi::SQLITE_DONE => return Ok(()),
            _ => return Err(sqlite_error(database, "scanning")),
        }
    }
}
