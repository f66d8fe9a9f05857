//! The catalogue-import SQL both engines share, expanded into each engine's module next to
//! `shared_store_impl!` (whose imports and row helpers it uses).

/// The catalogue columns after `INSTRUMENT_WITH_PLACE_COLUMNS`, in the order
/// `catalogue_entry_from_row` reads them.
pub(crate) const CATALOGUE_COLUMNS: &str = "\
    i.asset_number, i.country_of_origin, i.purchase_date, i.location, i.specifications, \
    i.services, i.rates_text, i.contact_name, i.contact_phone, i.contact_email, \
    i.operating_status, s.name_zh AS site_name_zh";

/// The instrument columns a catalogue write sets, in the order `push_instrument_values` and
/// then `push_catalogue_values` bind them.
pub(crate) const CATALOGUE_WRITE_COLUMNS: &str = "\
    institution_id, site_id, category_code, name_en, name_zh, techniques, keywords, \
    manufacturer, model, year_of_manufacture, purchase_value_fen, description_en, description_zh, \
    access_policy, rate_own_institution_fen, rate_other_academic_fen, rate_industry_fen, \
    booking_mode, training_required, opening_hours, time_zone, asset_number, country_of_origin, \
    purchase_date, location, specifications, services, rates_text, contact_name, contact_phone, \
    contact_email, operating_status";

/// Rows per multi-row insert of change-log entries and audit events (4 to 6 parameters each).
pub(crate) const LOG_CHUNK_ROWS: usize = 2_000;

macro_rules! shared_catalogue_import_impl {
    ($store:ty, $db:ty) => {
        fn catalogue_entry_from_row(row: &DbRow) -> Result<crate::catalogue_import::CatalogueEntry, StoreError> {
            let with_place = instrument_from_row(row)?;
            let purchase_date: Option<String> = row.try_get("purchase_date")?;
            let purchase_date = purchase_date
                .map(|date| date.parse::<jiff::civil::Date>().map_err(|error| StoreError::corrupt(format!("purchase_date {date:?}: {error}"))))
                .transpose()?;
            Ok(crate::catalogue_import::CatalogueEntry {
                instrument: with_place.instrument,
                fields: crate::catalogue_import::CatalogueFields {
                    asset_number: row.try_get("asset_number")?,
                    country_of_origin: row.try_get("country_of_origin")?,
                    purchase_date,
                    location: row.try_get("location")?,
                    specifications: row.try_get("specifications")?,
                    services: row.try_get("services")?,
                    rates_text: row.try_get("rates_text")?,
                    contact_name: row.try_get("contact_name")?,
                    contact_phone: row.try_get("contact_phone")?,
                    contact_email: row.try_get("contact_email")?,
                    operating_status: row.try_get("operating_status")?,
                },
                withdrawn: with_place.withdrawn,
                institution_name_zh: with_place.institution_name_zh,
                site_name_zh: row.try_get("site_name_zh")?,
            })
        }

        impl $store {
            fn push_catalogue_values(query: &mut QueryBuilder<'_, $db>, fields: &crate::catalogue_import::CatalogueFields) {
                query.push(", ");
                let mut values = query.separated(", ");
                values
                    .push_bind(fields.asset_number.clone())
                    .push_bind(fields.country_of_origin.clone())
                    .push_bind(fields.purchase_date.map(|date| date.to_string()))
                    .push_bind(fields.location.clone())
                    .push_bind(fields.specifications.clone())
                    .push_bind(fields.services.clone())
                    .push_bind(fields.rates_text.clone())
                    .push_bind(fields.contact_name.clone())
                    .push_bind(fields.contact_phone.clone())
                    .push_bind(fields.contact_email.clone())
                    .push_bind(fields.operating_status.clone());
            }

            /// Appends one change-log entry (`upsert`) and one audit event per instrument.
            async fn log_catalogue_changes(
                transaction: &mut WriteTransaction<'_>,
                context: &AuditContext,
                changes: &[(i64, &'static str, String)],
            ) -> Result<(), StoreError> {
                let now = StoredInstant(crate::now());
                for chunk in changes.chunks(crate::catalogue_import::sql::LOG_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO change_log (entity, entity_id, operation, occurred_at) ");
                    insert.push_values(chunk, |mut row, (id, _, _)| {
                        row.push_bind("instrument").push_bind(*id).push_bind("upsert").push_bind(now);
                    });
                    insert.build().execute(&mut **transaction).await?;
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO audit_events (occurred_at, actor_user_id, action, subject, detail, client_address) ");
                    insert.push_values(chunk, |mut row, (id, action, asset_number)| {
                        row.push_bind(now)
                            .push_bind(context.actor.map(|user| user.0))
                            .push_bind(*action)
                            .push_bind(format!("instrument:{id}"))
                            .push_bind(serde_json::json!({ "asset_number": asset_number }).to_string())
                            .push_bind(context.client_address.clone());
                    });
                    insert.build().execute(&mut **transaction).await?;
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl crate::catalogue_import::CatalogueImportStore for $store {
            async fn catalogue_entries_of(&self, institution: InstitutionId) -> Result<Vec<crate::catalogue_import::CatalogueEntry>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {INSTRUMENT_WITH_PLACE_COLUMNS}, {} {INSTRUMENT_WITH_PLACE_FROM} WHERE i.institution_id = $1 ORDER BY i.id",
                    crate::catalogue_import::sql::CATALOGUE_COLUMNS
                ))
                .bind(institution.0)
                .fetch_all(self.read_pool())
                .await?;
                rows.iter().map(catalogue_entry_from_row).collect()
            }

            async fn public_catalogue_page(
                &self,
                institution: Option<InstitutionId>,
                after: Option<(InstitutionId, InstrumentId)>,
                limit: u32,
            ) -> Result<Vec<crate::catalogue_import::CatalogueEntry>, StoreError> {
                let mut select = QueryBuilder::<$db>::new(format!(
                    "SELECT {INSTRUMENT_WITH_PLACE_COLUMNS}, {} {INSTRUMENT_WITH_PLACE_FROM} WHERE i.withdrawn_at IS NULL",
                    crate::catalogue_import::sql::CATALOGUE_COLUMNS
                ));
                if let Some(institution) = institution {
                    select.push(" AND i.institution_id = ").push_bind(institution.0);
                }
                if let Some((after_institution, after_id)) = after {
                    select.push(" AND (i.institution_id > ").push_bind(after_institution.0);
                    select.push(" OR (i.institution_id = ").push_bind(after_institution.0);
                    select.push(" AND i.id > ").push_bind(after_id.0).push("))");
                }
                select.push(" ORDER BY i.institution_id, i.id LIMIT ").push_bind(i64::from(limit));
                let rows = select.build().fetch_all(self.read_pool()).await?;
                rows.iter().map(catalogue_entry_from_row).collect()
            }

            async fn apply_catalogue_import(
                &self,
                institution: InstitutionId,
                writes: &crate::catalogue_import::CatalogueImportWrites,
                context: &AuditContext,
            ) -> Result<Vec<InstrumentId>, StoreError> {
                let mut transaction = self.begin_write().await?;
                // The references are checked once for the whole file, against the
                // institution's sites and the categories, instead of once per instrument.
                let sites: std::collections::HashSet<i64> = sqlx::query_scalar("SELECT id FROM sites WHERE institution_id = $1")
                    .bind(institution.0)
                    .fetch_all(&mut *transaction)
                    .await?
                    .into_iter()
                    .collect();
                let categories: std::collections::HashSet<String> = sqlx::query_scalar("SELECT code FROM instrument_categories")
                    .fetch_all(&mut *transaction)
                    .await?
                    .into_iter()
                    .collect();
                for (instrument, _) in writes.creates.iter().chain(&writes.updates) {
                    if instrument.institution != institution {
                        return Err(StoreError::InvalidReference { field: "institution", reason: format!("instrument {:?} belongs to institution {}, not {}", instrument.name_zh, instrument.institution.0, institution.0) });
                    }
                    if !sites.contains(&instrument.site.0) {
                        return Err(StoreError::InvalidReference { field: "site_id", reason: format!("site {} is not one of institution {}'s", instrument.site.0, institution.0) });
                    }
                    if !categories.contains(instrument.category.as_str()) {
                        return Err(StoreError::InvalidReference { field: "category", reason: format!("there is no category {}", instrument.category.as_str()) });
                    }
                }

                let mut logged: Vec<(i64, &'static str, String)> = Vec::with_capacity(writes.creates.len() + writes.updates.len() + writes.withdrawals.len());
                let mut created = Vec::with_capacity(writes.creates.len());
                for (instrument, fields) in &writes.creates {
                    let mut insert = QueryBuilder::<$db>::new(format!("INSERT INTO instruments ({}) VALUES (", crate::catalogue_import::sql::CATALOGUE_WRITE_COLUMNS));
                    Self::push_instrument_values(&mut insert, instrument);
                    Self::push_catalogue_values(&mut insert, fields);
                    insert.push(") RETURNING id");
                    let id: i64 = insert
                        .build_query_scalar()
                        .fetch_one(&mut *transaction)
                        .await
                        .map_err(|error| StoreError::from_write(error, "an instrument of this institution with this asset number"))?;
                    created.push(InstrumentId(id));
                    logged.push((id, "instrument.imported", fields.asset_number.clone().unwrap_or_default()));
                }
                if !writes.creates.is_empty() {
                    Self::insert_standard_calendars(&mut transaction, None).await?;
                }
                for (instrument, fields) in &writes.updates {
                    let mut update = QueryBuilder::<$db>::new(format!("UPDATE instruments SET ({}) = (", crate::catalogue_import::sql::CATALOGUE_WRITE_COLUMNS));
                    Self::push_instrument_values(&mut update, instrument);
                    Self::push_catalogue_values(&mut update, fields);
                    update.push("), withdrawn_at = NULL WHERE id = ").push_bind(instrument.id.0);
                    update.push(" AND institution_id = ").push_bind(institution.0);
                    let updated = update
                        .build()
                        .execute(&mut *transaction)
                        .await
                        .map_err(|error| StoreError::from_write(error, "an instrument of this institution with this asset number"))?;
                    if updated.rows_affected() != 1 {
                        return Err(StoreError::NotFound(format!("no instrument {} of institution {}", instrument.id.0, institution.0)));
                    }
                    logged.push((instrument.id.0, "instrument.import_updated", fields.asset_number.clone().unwrap_or_default()));
                }
                let now = StoredInstant(crate::now());
                for id in &writes.withdrawals {
                    let withdrawn: Option<Option<String>> = sqlx::query_scalar("UPDATE instruments SET withdrawn_at = $1 WHERE id = $2 AND institution_id = $3 AND withdrawn_at IS NULL RETURNING asset_number")
                        .bind(now)
                        .bind(id.0)
                        .bind(institution.0)
                        .fetch_optional(&mut *transaction)
                        .await?;
                    let Some(asset_number) = withdrawn else {
                        return Err(StoreError::Conflict(format!("instrument {} is not a listed instrument of institution {}", id.0, institution.0)));
                    };
                    logged.push((id.0, "instrument.withdrawn", asset_number.unwrap_or_default()));
                }
                Self::log_catalogue_changes(&mut transaction, context, &logged).await?;
                Self::record_audit_event(&mut transaction, context, "catalogue.imported", &format!("institution:{}", institution.0), writes.summary.clone()).await?;
                transaction.commit().await?;
                Ok(created)
            }

            async fn keep_catalogue_upload(
                &self,
                upload: &crate::catalogue_import::CatalogueUpload,
                forget_before: jiff::Timestamp,
                keep_at_most: u32,
                context: &AuditContext,
            ) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                sqlx::query("INSERT INTO catalogue_uploads (institution_id, sha256, file_name, uploaded_by, uploaded_at, content) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (institution_id, sha256) DO UPDATE SET file_name = excluded.file_name, uploaded_by = excluded.uploaded_by, uploaded_at = excluded.uploaded_at")
                    .bind(upload.institution.0)
                    .bind(&upload.sha256)
                    .bind(&upload.file_name)
                    .bind(upload.uploaded_by.map(|user| user.0))
                    .bind(StoredInstant(upload.uploaded_at))
                    .bind(&upload.content)
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| StoreError::from_write(error, "this catalogue file"))?;
                sqlx::query("DELETE FROM catalogue_uploads WHERE uploaded_at < $1")
                    .bind(StoredInstant(forget_before))
                    .execute(&mut *transaction)
                    .await?;
                sqlx::query("DELETE FROM catalogue_uploads WHERE institution_id = $1 AND sha256 NOT IN \
                             (SELECT sha256 FROM catalogue_uploads WHERE institution_id = $1 ORDER BY uploaded_at DESC, sha256 LIMIT $2)")
                    .bind(upload.institution.0)
                    .bind(i64::from(keep_at_most))
                    .execute(&mut *transaction)
                    .await?;
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    "catalogue.file_checked",
                    &format!("institution:{}", upload.institution.0),
                    serde_json::json!({ "file": upload.file_name, "sha256": upload.sha256, "bytes": upload.content.len() }),
                )
                .await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn catalogue_upload(
                &self,
                institution: InstitutionId,
                sha256: &str,
            ) -> Result<Option<crate::catalogue_import::CatalogueUpload>, StoreError> {
                let row = sqlx::query("SELECT file_name, uploaded_by, uploaded_at, content FROM catalogue_uploads WHERE institution_id = $1 AND sha256 = $2")
                    .bind(institution.0)
                    .bind(sha256)
                    .fetch_optional(self.read_pool())
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let uploaded_by: Option<i64> = row.try_get("uploaded_by")?;
                let uploaded_at: StoredInstant = row.try_get("uploaded_at")?;
                Ok(Some(crate::catalogue_import::CatalogueUpload {
                    institution,
                    sha256: sha256.to_owned(),
                    file_name: row.try_get("file_name")?,
                    uploaded_by: uploaded_by.map(corridor_domain::UserId),
                    uploaded_at: uploaded_at.0,
                    content: row.try_get("content")?,
                }))
            }

            async fn forget_catalogue_upload(&self, institution: InstitutionId, sha256: &str) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                sqlx::query("DELETE FROM catalogue_uploads WHERE institution_id = $1 AND sha256 = $2")
                    .bind(institution.0)
                    .bind(sha256)
                    .execute(&mut *transaction)
                    .await?;
                transaction.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use shared_catalogue_import_impl;
