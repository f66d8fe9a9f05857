//! Instants as the two engines store them: INTEGER microseconds since the Unix epoch in
//! SQLite, TIMESTAMPTZ in PostgreSQL. [`StoredInstant`] encodes to both, so the queries that
//! are shared between the engines can bind and read instants without knowing which it is.

use jiff::Timestamp;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Type};

/// The current instant, truncated to microseconds (the precision both engines keep), so
/// that a value read back equals the value written.
pub fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_microsecond(now.as_microsecond()).expect("a current instant is in range")
}

/// `instant` as a read gives it back: truncated to microseconds.
pub(crate) fn truncate_to_micros(instant: Timestamp) -> Timestamp {
    Timestamp::from_microsecond(instant.as_microsecond()).unwrap_or(instant)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StoredInstant(pub Timestamp);

/// Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl Type<Sqlite> for StoredInstant {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
}

impl<'q> Encode<'q, Sqlite> for StoredInstant {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode_by_ref(&self.0.as_microsecond(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for StoredInstant {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let micros = <i64 as Decode<Sqlite>>::decode(value)?;
        Ok(StoredInstant(Timestamp::from_microsecond(micros)?))
    }
}

impl Type<Postgres> for StoredInstant {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_name("timestamptz")
    }
}

impl Encode<'_, Postgres> for StoredInstant {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        let micros = self.0.as_microsecond() - POSTGRES_EPOCH_MICROS;
        <i64 as Encode<Postgres>>::encode_by_ref(&micros, buf)
    }
}

impl<'r> Decode<'r, Postgres> for StoredInstant {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        match value.format() {
            PgValueFormat::Binary => {
                let micros = <i64 as Decode<Postgres>>::decode(value)?;
                Ok(StoredInstant(Timestamp::from_microsecond(
                    micros + POSTGRES_EPOCH_MICROS,
                )?))
            }
            PgValueFormat::Text => {
                // The text form PostgreSQL writes, e.g. `2026-11-28 14:23:00.5+00`.
                let text = value.as_str()?;
                let parsed: jiff::Timestamp = text.replace(' ', "T").parse()?;
                Ok(StoredInstant(parsed))
            }
        }
    }
}
