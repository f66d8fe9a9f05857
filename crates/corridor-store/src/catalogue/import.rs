//! The write helpers both engines share: importing a region in bulk, role grants, and the
//! pieces of instrument writes. Expanded next to `shared_store_impl!` (same module), whose
//! imports and row helpers they use.

macro_rules! shared_write_helpers {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn insert_role_grants(transaction: &mut WriteTransaction<'_>, users: &[(UserId, &[RoleGrant])]) -> Result<(), StoreError> {
                let grants: Vec<(UserId, RoleGrant)> = users
                    .iter()
                    .flat_map(|(user, grants)| grants.iter().map(move |grant| (*user, *grant)))
                    .collect();
                for chunk in grants.chunks(IMPORT_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO role_grants (user_id, role, scope_kind, scope_institution_id, scope_province_code) ");
                    insert.push_values(chunk, |mut row, (user, grant)| {
                        let (kind, institution, province) = role_scope_columns(grant.scope);
                        row.push_bind(user.0).push_bind(grant.role.as_code()).push_bind(kind).push_bind(institution).push_bind(province);
                    });
                    insert.build().execute(&mut **transaction).await?;
                }
                Ok(())
            }

            fn push_instrument_values(query: &mut QueryBuilder<'_, $db>, instrument: &Instrument) {
                let mut values = query.separated(", ");
                values
                    .push_bind(instrument.institution.0)
                    .push_bind(instrument.site.0)
                    .push_bind(instrument.category.as_str().to_owned())
                    .push_bind(instrument.name_en.clone())
                    .push_bind(instrument.name_zh.clone())
                    .push_bind(json_list(&instrument.techniques))
                    .push_bind(json_list(&instrument.keywords))
                    .push_bind(instrument.manufacturer.clone())
                    .push_bind(instrument.model.clone())
                    .push_bind(i64::from(instrument.year_of_manufacture))
                    .push_bind(instrument.purchase_value.0)
                    .push_bind(instrument.description_en.clone())
                    .push_bind(instrument.description_zh.clone())
                    .push_bind(instrument.access_policy.as_code())
                    .push_bind(instrument.rates.own_institution_fen.0)
                    .push_bind(instrument.rates.other_academic_fen.0)
                    .push_bind(instrument.rates.industry_fen.0)
                    .push_bind(instrument.booking_mode.as_code())
                    .push_bind(instrument.training_required)
                    .push_bind(instrument.opening_hours.to_string())
                    .push_bind(instrument.time_zone.as_str().to_owned());
            }

            /// The site must be one of the institution's, and the category must exist.
            async fn check_instrument_references(transaction: &mut WriteTransaction<'_>, instrument: &Instrument) -> Result<(), StoreError> {
                let site_owner: Option<i64> = sqlx::query_scalar("SELECT institution_id FROM sites WHERE id = $1").bind(instrument.site.0).fetch_optional(&mut **transaction).await?;
                match site_owner {
                    None => return Err(StoreError::InvalidReference { field: "site_id", reason: format!("there is no site {}", instrument.site.0) }),
                    Some(owner) if owner != instrument.institution.0 => {
                        return Err(StoreError::InvalidReference { field: "site_id", reason: format!("site {} belongs to another institution", instrument.site.0) })
                    }
                    Some(_) => {}
                }
                let category: Option<String> = sqlx::query_scalar("SELECT code FROM instrument_categories WHERE code = $1").bind(instrument.category.as_str()).fetch_optional(&mut **transaction).await?;
                if category.is_none() {
                    return Err(StoreError::InvalidReference { field: "category", reason: format!("there is no category {}", instrument.category.as_str()) });
                }
                Ok(())
            }

            /// Gives instruments without a calendar the standard rules: one instrument, or all.
            async fn insert_standard_calendars(transaction: &mut WriteTransaction<'_>, instrument: Option<i64>) -> Result<(), StoreError> {
                let rules = corridor_domain::CalendarRules::standard();
                let only = instrument.map_or(String::new(), |id| format!(" AND id = {id}"));
                sqlx::query(&format!(
                    "INSERT INTO instrument_calendars (instrument_id, slot_minutes, min_booking_minutes, max_booking_minutes, lead_time_minutes, cancellation_deadline_minutes) \
                     SELECT id, $1, $2, $3, $4, $5 FROM instruments WHERE id NOT IN (SELECT instrument_id FROM instrument_calendars){only}"
                ))
                .bind(i64::from(rules.slot_minutes))
                .bind(i64::from(rules.min_booking_minutes))
                .bind(i64::from(rules.max_booking_minutes))
                .bind(i64::from(rules.lead_time_minutes))
                .bind(i64::from(rules.cancellation_deadline_minutes))
                .execute(&mut **transaction)
                .await?;
                Ok(())
            }

            async fn record_instrument_change(transaction: &mut WriteTransaction<'_>, id: i64, deleted: bool) -> Result<(), StoreError> {
                sqlx::query("INSERT INTO change_log (entity, entity_id, operation, occurred_at) VALUES ('instrument', $1, $2, $3)")
                    .bind(id)
                    .bind(if deleted { "delete" } else { "upsert" })
                    .bind(StoredInstant(crate::now()))
                    .execute(&mut **transaction)
                    .await?;
                Ok(())
            }

            async fn import_region_in(transaction: &mut WriteTransaction<'_>, region: &RegionData) -> Result<ImportReport, StoreError> {
                let mut rows_by_table = BTreeMap::new();
                sqlx::query("INSERT INTO region (id, name, seed, generator_version, generated_at) VALUES (1, $1, $2, $3, $4)")
                    .bind(&region.name)
                    .bind(region.seed as i64)
                    .bind(&region.generator_version)
                    .bind(StoredInstant(crate::now()))
                    .execute(&mut **transaction)
                    .await?;
                // The column defaults to the zone of the regions stored before it existed
                // (the Delta's); only another zone is written, so a region the previous
                // schema could hold is imported by the same statements (the upgrade test
                // writes at the previous schema).
                if region.time_zone.as_str() != crate::catalogue::sql::ZONE_OF_REGIONS_BEFORE_THE_COLUMN {
                    sqlx::query("UPDATE region SET time_zone = $1 WHERE id = 1")
                        .bind(region.time_zone.as_str())
                        .execute(&mut **transaction)
                        .await?;
                }
                rows_by_table.insert("region", 1);

                for chunk in ProvinceCode::ALL.chunks(IMPORT_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO provinces (code, name_en, name_zh, in_region) ");
                    insert.push_values(chunk, |mut row, province| {
                        row.push_bind(province.as_code()).push_bind(province.name_en()).push_bind(province.name_zh()).push_bind(province.is_in_region());
                    });
                    insert.build().execute(&mut **transaction).await?;
                }
                rows_by_table.insert("provinces", ProvinceCode::ALL.len() as u64);

                for chunk in region.cities.chunks(IMPORT_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO cities (code, province_code, name_en, name_zh, lon, lat) ");
                    insert.push_values(chunk, |mut row, city| {
                        row.push_bind(i64::from(city.code.get()))
                            .push_bind(city.province.as_code())
                            .push_bind(&city.name_en)
                            .push_bind(&city.name_zh)
                            .push_bind(city.location.lon)
                            .push_bind(city.location.lat);
                    });
                    insert.build().execute(&mut **transaction).await?;
                }
                rows_by_table.insert("cities", region.cities.len() as u64);

                // Parents must exist before their subclasses reference them.
                let mut categories: Vec<&InstrumentCategory> = region.categories.iter().collect();
                categories.sort_by_key(|category| (category.code.as_str().len(), category.code.clone()));
                for chunk in categories.chunks(IMPORT_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO instrument_categories (code, parent_code, name_en, name_zh) ");
                    insert.push_values(chunk, |mut row, category| {
                        row.push_bind(category.code.as_str())
                            .push_bind(category.parent.as_ref().map(|parent| parent.as_str()))
                            .push_bind(&category.name_en)
                            .push_bind(&category.name_zh);
                    });
                    insert.build().execute(&mut **transaction).await?;
                }
                rows_by_table.insert("instrument_categories", region.categories.len() as u64);

                for chunk in region.institutions.chunks(IMPORT_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO institutions (id, kind, name_en, name_zh, city_code, sector, university_tier) ");
                    insert.push_values(chunk, |mut row, institution| {
                        row.push_bind(institution.id.0)
                            .push_bind(institution.kind.as_code())
                            .push_bind(&institution.name_en)
                            .push_bind(&institution.name_zh)
                            .push_bind(i64::from(institution.city.get()))
                            .push_bind(institution.sector.as_code())
                            .push_bind(institution.university_tier.map(UniversityTier::as_code));
                    });
                    insert.build().execute(&mut **transaction).await?;
                }
                rows_by_table.insert("institutions", region.institutions.len() as u64);

                for chunk in region.sites.chunks(IMPORT_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO sites (id, institution_id, name_en, name_zh, city_code, lon, lat) ");
                    insert.push_values(chunk, |mut row, site| {
                        row.push_bind(site.id.0)
                            .push_bind(site.institution.0)
                            .push_bind(&site.name_en)
                            .push_bind(&site.name_zh)
                            .push_bind(i64::from(site.city.get()))
                            .push_bind(site.location.lon)
                            .push_bind(site.location.lat);
                    });
                    insert.build().execute(&mut **transaction).await?;
                }
                rows_by_table.insert("sites", region.sites.len() as u64);

                for chunk in region.instruments.chunks(IMPORT_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new(
                        "INSERT INTO instruments (id, institution_id, site_id, category_code, name_en, name_zh, techniques, keywords, \
                         manufacturer, model, year_of_manufacture, purchase_value_fen, description_en, description_zh, access_policy, \
                         rate_own_institution_fen, rate_other_academic_fen, rate_industry_fen, booking_mode, training_required, \
                         opening_hours, time_zone) ",
                    );
                    insert.push_values(chunk, |mut row, instrument| {
                        row.push_bind(instrument.id.0)
                            .push_bind(instrument.institution.0)
                            .push_bind(instrument.site.0)
                            .push_bind(instrument.category.as_str())
                            .push_bind(&instrument.name_en)
                            .push_bind(&instrument.name_zh)
                            .push_bind(json_list(&instrument.techniques))
                            .push_bind(json_list(&instrument.keywords))
                            .push_bind(&instrument.manufacturer)
                            .push_bind(&instrument.model)
                            .push_bind(i64::from(instrument.year_of_manufacture))
                            .push_bind(instrument.purchase_value.0)
                            .push_bind(&instrument.description_en)
                            .push_bind(&instrument.description_zh)
                            .push_bind(instrument.access_policy.as_code())
                            .push_bind(instrument.rates.own_institution_fen.0)
                            .push_bind(instrument.rates.other_academic_fen.0)
                            .push_bind(instrument.rates.industry_fen.0)
                            .push_bind(instrument.booking_mode.as_code())
                            .push_bind(instrument.training_required)
                            .push_bind(instrument.opening_hours.to_string())
                            .push_bind(instrument.time_zone.as_str());
                    });
                    insert.build().execute(&mut **transaction).await?;
                }
                rows_by_table.insert("instruments", region.instruments.len() as u64);
                Self::insert_standard_calendars(transaction, None).await?;
                rows_by_table.insert("instrument_calendars", region.instruments.len() as u64);

                for chunk in region.beamlines.chunks(IMPORT_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO beamlines (id, facility_institution_id, code, name_en, name_zh, techniques, source, energy_kev_min, energy_kev_max) ");
                    insert.push_values(chunk, |mut row, beamline| {
                        row.push_bind(beamline.id.0)
                            .push_bind(beamline.facility.0)
                            .push_bind(&beamline.code)
                            .push_bind(&beamline.name_en)
                            .push_bind(&beamline.name_zh)
                            .push_bind(json_list(&beamline.techniques))
                            .push_bind(beamline.source.as_code())
                            .push_bind(beamline.energy_kev_min)
                            .push_bind(beamline.energy_kev_max);
                    });
                    insert.build().execute(&mut **transaction).await?;
                }
                rows_by_table.insert("beamlines", region.beamlines.len() as u64);

                let created_at = StoredInstant(crate::now());
                for chunk in region.users.chunks(IMPORT_CHUNK_ROWS) {
                    let mut insert = QueryBuilder::<$db>::new("INSERT INTO users (id, email, display_name, home_institution_id, preferred_language, password_hash, created_at) ");
                    insert.push_values(chunk, |mut row, imported| {
                        let user = &imported.user;
                        row.push_bind(user.id.0)
                            .push_bind(user.email.as_str())
                            .push_bind(&user.display_name)
                            .push_bind(user.home_institution.0)
                            .push_bind(user.preferred_language.as_code())
                            .push_bind(imported.password_hash.as_deref())
                            .push_bind(created_at);
                    });
                    insert.build().execute(&mut **transaction).await.map_err(|error| StoreError::from_write(error, "a user with this e-mail address"))?;
                }
                rows_by_table.insert("users", region.users.len() as u64);
                let grants: Vec<(UserId, &[RoleGrant])> = region.users.iter().map(|imported| (imported.user.id, imported.user.roles.as_slice())).collect();
                Self::insert_role_grants(transaction, &grants).await?;
                rows_by_table.insert("role_grants", grants.iter().map(|(_, roles)| roles.len() as u64).sum());

                Self::record_audit_event(
                    transaction,
                    &AuditContext::default(),
                    "region.imported",
                    "region",
                    serde_json::json!({ "name": region.name, "seed": region.seed, "generator_version": region.generator_version }),
                )
                .await?;
                Ok(ImportReport { rows_by_table })
            }
        }
    };
}
pub(crate) use shared_write_helpers;
