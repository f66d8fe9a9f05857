//! The `AnalyticsStore` implementation both engines share. The bookings, a million rows and
//! more, are read by `analytics_bookings_in`, which each engine defines on its store.

/// The columns of a using booking, as integers: instrument, user, home institution, start and
/// end (microseconds since the epoch), recorded usage minutes (or NULL) and the fee (the charge
/// or else the price). `{starts}` and `{ends}` are the engine's expressions for the instants.
pub(crate) fn analytics_bookings_sql(starts: &str, ends: &str) -> String {
    format!(
        "SELECT b.instrument_id, b.user_id, u.home_institution_id, {starts}, {ends}, b.usage_minutes, COALESCE(b.charged_fen, b.price_fen) \
         FROM bookings b JOIN users u ON u.id = b.user_id WHERE b.status IN ('confirmed', 'completed')"
    )
}

/// One row of [`analytics_bookings_sql`] as analytics takes it.
pub(crate) fn booking_fact(
    row: [Option<i64>; 7],
) -> Result<corridor_domain::analytics::BookingFactRow, crate::StoreError> {
    use corridor_domain::{Fen, InstitutionId, InstrumentId, UserId};
    let [Some(instrument), Some(user), Some(home), Some(starts), Some(ends), usage, Some(fee)] =
        row
    else {
        return Err(crate::StoreError::corrupt(format!(
            "a booking has a NULL where a value belongs: {row:?}"
        )));
    };
    let starts_at =
        jiff::Timestamp::from_microsecond(starts).map_err(crate::StoreError::corrupt)?;
    Ok(corridor_domain::analytics::BookingFactRow {
        instrument: InstrumentId(instrument),
        user: UserId(user),
        home_institution: InstitutionId(home),
        starts_at,
        minutes: usage.unwrap_or((ends - starts) / 60_000_000),
        fee: Fen(fee),
    })
}

macro_rules! shared_analytics_impl {
    ($store:ty, $db:ty, $booked_minutes:expr) => {
        #[async_trait::async_trait]
        impl crate::analytics::AnalyticsStore for $store {
            async fn analytics_snapshot(&self) -> Result<crate::analytics::AnalyticsSnapshot, StoreError> {
                use corridor_domain::analytics::{InstitutionFact, InstrumentFact};
                use corridor_domain::{CategoryCode, CityCode, Fen, InstitutionId, InstitutionKind, InstrumentId, ProvinceCode, Sector, WeeklyOpeningHours};
                let mut transaction = self.read_pool().begin().await?;
                if let Some(snapshot) = Self::READ_SNAPSHOT {
                    sqlx::query(snapshot).execute(&mut *transaction).await?;
                }
                let institutions = sqlx::query_as::<_, (i64, String, String, i64, String)>(
                    "SELECT i.id, i.kind, i.sector, i.city_code, c.province_code FROM institutions i JOIN cities c ON c.code = i.city_code ORDER BY i.id",
                )
                .fetch_all(&mut *transaction)
                .await?
                .into_iter()
                .map(|(id, kind, sector, city, province)| {
                    Ok(InstitutionFact {
                        id: InstitutionId(id),
                        kind: crate::catalogue::sql::stored(InstitutionKind::parse(&kind))?,
                        sector: crate::catalogue::sql::stored(Sector::parse(&sector))?,
                        city: crate::catalogue::sql::stored(CityCode::new(u32::try_from(city).map_err(StoreError::corrupt)?))?,
                        province: crate::catalogue::sql::stored(ProvinceCode::parse(&province))?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
                let instruments = sqlx::query_as::<_, (i64, i64, String, i64, String, i64, String)>(
                    "SELECT i.id, i.institution_id, i.category_code, s.city_code, c.province_code, i.purchase_value_fen, i.opening_hours \
                     FROM instruments i JOIN sites s ON s.id = i.site_id JOIN cities c ON c.code = s.city_code ORDER BY i.id",
                )
                .fetch_all(&mut *transaction)
                .await?
                .into_iter()
                .map(|(id, institution, category, city, province, value, hours)| {
                    Ok(InstrumentFact {
                        id: InstrumentId(id),
                        institution: InstitutionId(institution),
                        category: crate::catalogue::sql::stored(CategoryCode::parse(&category))?,
                        city: crate::catalogue::sql::stored(CityCode::new(u32::try_from(city).map_err(StoreError::corrupt)?))?,
                        province: crate::catalogue::sql::stored(ProvinceCode::parse(&province))?,
                        purchase_value: Fen(value),
                        open_minutes_per_week: crate::catalogue::sql::stored(WeeklyOpeningHours::parse(&hours))?.open_minutes_per_week(),
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
                let bookings = Self::analytics_bookings_in(&mut transaction).await?;
                transaction.rollback().await?;
                Ok(crate::analytics::AnalyticsSnapshot { instruments, institutions, bookings })
            }

            async fn analytics_by_sql(&self, from: jiff::Timestamp, to: jiff::Timestamp) -> Result<crate::analytics::AnalyticsBySql, StoreError> {
                use crate::timestamp::StoredInstant;
                let minutes = format!("COALESCE(b.usage_minutes, {})", $booked_minutes);
                let using = "b.status IN ('confirmed', 'completed') AND b.starts_at >= $1 AND b.starts_at < $2";
                let mut transaction = self.read_pool().begin().await?;
                if let Some(snapshot) = Self::READ_SNAPSHOT {
                    sqlx::query(snapshot).execute(&mut *transaction).await?;
                }
                let province_flows = sqlx::query_as::<_, (String, String, i64, i64, i64)>(&format!(
                    "SELECT hc.province_code, pc.province_code, COUNT(*), CAST(SUM({minutes}) AS BIGINT), CAST(SUM(COALESCE(b.charged_fen, b.price_fen)) AS BIGINT) \
                     FROM bookings b JOIN users u ON u.id = b.user_id JOIN institutions h ON h.id = u.home_institution_id JOIN cities hc ON hc.code = h.city_code \
                     JOIN instruments i ON i.id = b.instrument_id JOIN sites s ON s.id = i.site_id JOIN cities pc ON pc.code = s.city_code \
                     WHERE {using} GROUP BY hc.province_code, pc.province_code ORDER BY hc.province_code, pc.province_code"
                ))
                .bind(StoredInstant(from))
                .bind(StoredInstant(to))
                .fetch_all(&mut *transaction)
                .await?;
                let users_by_home_province = sqlx::query_as::<_, (String, i64)>(&format!(
                    "SELECT hc.province_code, COUNT(DISTINCT b.user_id) FROM bookings b JOIN users u ON u.id = b.user_id \
                     JOIN institutions h ON h.id = u.home_institution_id JOIN cities hc ON hc.code = h.city_code \
                     WHERE {using} GROUP BY hc.province_code ORDER BY hc.province_code"
                ))
                .bind(StoredInstant(from))
                .bind(StoredInstant(to))
                .fetch_all(&mut *transaction)
                .await?;
                let minutes_by_category = sqlx::query_as::<_, (String, i64)>(&format!(
                    "SELECT SUBSTR(i.category_code, 1, 2), CAST(SUM({minutes}) AS BIGINT) FROM bookings b JOIN instruments i ON i.id = b.instrument_id \
                     WHERE {using} GROUP BY SUBSTR(i.category_code, 1, 2) ORDER BY SUBSTR(i.category_code, 1, 2)"
                ))
                .bind(StoredInstant(from))
                .bind(StoredInstant(to))
                .fetch_all(&mut *transaction)
                .await?;
                transaction.rollback().await?;
                Ok(crate::analytics::AnalyticsBySql { province_flows, users_by_home_province, minutes_by_category })
            }
        }
    };
}
pub(crate) use shared_analytics_impl;
