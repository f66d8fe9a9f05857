//! The queries both engines run with the same SQL, written once.
//!
//! `shared_store_impl!` expands into a module's `impl Store`, `impl CatalogueStore`,
//! `impl ChangeLogStore` and `impl IdentityStore` for one engine. SQL here
//! uses `$1`-style parameters, which SQLite and PostgreSQL both accept, and only types that
//! both encode alike: i64, f64, bool, text, and [`StoredInstant`](crate::timestamp::StoredInstant).
//! Each store type supplies the few engine-specific pieces as inherent methods:
//! `read_pool`, `begin_write`, `run_migrations` and `after_bulk_import`.

/// Rows per multi-row INSERT when importing a region: under SQLite's 32,766 and
/// PostgreSQL's 65,535 bound parameters for the widest table (22 columns).
pub(crate) const IMPORT_CHUNK_ROWS: usize = 400;

/// The default of `region.time_zone` (migration 0011): the zone every region stored before
/// the column existed was in.
pub(crate) const ZONE_OF_REGIONS_BEFORE_THE_COLUMN: &str = "Asia/Shanghai";

/// The columns of an instrument with its place, in the order `instrument_from_row` reads them.
pub(crate) const INSTRUMENT_WITH_PLACE_COLUMNS: &str = "\
    i.id, i.institution_id, i.site_id, i.category_code, i.name_en, i.name_zh, i.techniques, \
    i.keywords, i.manufacturer, i.model, i.year_of_manufacture, i.purchase_value_fen, \
    i.description_en, i.description_zh, i.access_policy, i.rate_own_institution_fen, \
    i.rate_other_academic_fen, i.rate_industry_fen, i.booking_mode, i.training_required, \
    i.opening_hours, i.time_zone, inst.name_en AS institution_name_en, \
    inst.name_zh AS institution_name_zh, inst.kind AS institution_kind, s.city_code, \
    c.name_en AS city_name_en, c.name_zh AS city_name_zh, c.province_code, s.lon, s.lat, \
    (i.withdrawn_at IS NOT NULL) AS withdrawn";

pub(crate) const INSTRUMENT_WITH_PLACE_FROM: &str = "\
    FROM instruments i \
    JOIN institutions inst ON inst.id = i.institution_id \
    JOIN sites s ON s.id = i.site_id \
    JOIN cities c ON c.code = s.city_code";

pub(crate) const INSTITUTION_WITH_PLACE_SELECT: &str = "\
    SELECT inst.id, inst.kind, inst.name_en, inst.name_zh, inst.city_code, inst.sector, \
    inst.university_tier, c.province_code, c.name_en AS city_name_en, c.name_zh AS city_name_zh, \
    (SELECT COUNT(*) FROM instruments i WHERE i.institution_id = inst.id) AS instruments \
    FROM institutions inst JOIN cities c ON c.code = inst.city_code";

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.email, u.display_name, u.home_institution_id, u.preferred_language";

/// Tables and the key whose sum [`crate::Store::table_counts`] reports.
pub(crate) const COUNTED_TABLES: &[(&str, &str)] = &[
    ("region", "seed"),
    ("provinces", "LENGTH(code)"),
    ("cities", "code"),
    ("instrument_categories", "CAST(code AS BIGINT)"),
    ("institutions", "id"),
    ("sites", "id"),
    ("instruments", "id"),
    ("beamlines", "id"),
    ("users", "id"),
    ("role_grants", "user_id"),
    ("sessions", "user_id"),
    ("api_tokens", "id"),
    ("audit_events", "id"),
    ("change_log", "seq"),
    ("instrument_calendars", "instrument_id"),
    ("calendar_closures", "id"),
    ("bookings", "id"),
    ("waitlist_entries", "id"),
    ("qualifications", "id"),
    ("ledger_accounts", "id"),
    ("ledger_transfers", "id"),
    ("voucher_programmes", "id"),
    ("vouchers", "id"),
    ("voucher_applications", "id"),
    ("booking_voucher_payments", "booking_id"),
    ("proposal_cycles", "id"),
    ("proposals", "id"),
    ("proposal_requests", "proposal_id"),
];

pub(crate) fn json_list(values: &[String]) -> String {
    serde_json::to_string(values).expect("a list of strings always serialises")
}

pub(crate) fn parse_json_list(text: &str, column: &str) -> Result<Vec<String>, crate::StoreError> {
    serde_json::from_str(text)
        .map_err(|error| crate::StoreError::corrupt(format!("{column}: {error}")))
}

/// Turns a domain refusal of a stored value into [`crate::StoreError::Corrupt`].
pub(crate) fn stored<T>(
    result: Result<T, corridor_domain::DomainError>,
) -> Result<T, crate::StoreError> {
    result.map_err(crate::StoreError::corrupt)
}

pub(crate) fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

macro_rules! shared_store_impl {
    ($store:ty, $db:ty) => {
        use std::collections::BTreeMap;

        use corridor_domain::{
            AccessPolicy, Beamline, BeamlineId, BeamlineSource, BookingMode, CategoryCode, City,
            CityCode, EmailAddress, Fen, GeoPoint, HourlyRates, Institution, InstitutionId,
            InstitutionKind, Instrument, InstrumentCategory, InstrumentId, Language,
            ProvinceCode, Role, RoleGrant, RoleScope, Sector, Site, SiteId, TimeZoneName,
            UniversityTier, User, UserId, WeeklyOpeningHours,
        };
        use sqlx::{QueryBuilder, Row};

        use crate::catalogue::sql::{
            count, json_list, parse_json_list, stored, COUNTED_TABLES, IMPORT_CHUNK_ROWS,
            INSTITUTION_WITH_PLACE_SELECT, INSTRUMENT_WITH_PLACE_COLUMNS,
            INSTRUMENT_WITH_PLACE_FROM, USER_COLUMNS,
        };
        use crate::model::*;
        use crate::timestamp::StoredInstant;
        use crate::{Backend, StoreError};

        type DbRow = <$db as sqlx::Database>::Row;
        type WriteTransaction<'a> = sqlx::Transaction<'a, $db>;

        fn city_from_row(row: &DbRow) -> Result<City, StoreError> {
            Ok(City {
                code: stored(CityCode::new(row.try_get::<i64, _>("code")? as u32))?,
                province: stored(ProvinceCode::parse(row.try_get("province_code")?))?,
                name_en: row.try_get("name_en")?,
                name_zh: row.try_get("name_zh")?,
                location: stored(GeoPoint::new(row.try_get("lon")?, row.try_get("lat")?))?,
            })
        }

        fn institution_with_place_from_row(row: &DbRow) -> Result<InstitutionWithPlace, StoreError> {
            let tier: Option<String> = row.try_get("university_tier")?;
            Ok(InstitutionWithPlace {
                institution: Institution {
                    id: InstitutionId(row.try_get("id")?),
                    kind: stored(InstitutionKind::parse(row.try_get("kind")?))?,
                    name_en: row.try_get("name_en")?,
                    name_zh: row.try_get("name_zh")?,
                    city: stored(CityCode::new(row.try_get::<i64, _>("city_code")? as u32))?,
                    sector: stored(Sector::parse(row.try_get("sector")?))?,
                    university_tier: tier.map(|tier| stored(UniversityTier::parse(&tier))).transpose()?,
                },
                province: stored(ProvinceCode::parse(row.try_get("province_code")?))?,
                city_name_en: row.try_get("city_name_en")?,
                city_name_zh: row.try_get("city_name_zh")?,
                instruments: count(row.try_get("instruments")?),
            })
        }

        fn instrument_from_row(row: &DbRow) -> Result<InstrumentWithPlace, StoreError> {
            let rates = stored(HourlyRates::new(
                Fen(row.try_get("rate_own_institution_fen")?),
                Fen(row.try_get("rate_other_academic_fen")?),
                Fen(row.try_get("rate_industry_fen")?),
            ))?;
            let instrument = Instrument {
                id: InstrumentId(row.try_get("id")?),
                institution: InstitutionId(row.try_get("institution_id")?),
                site: SiteId(row.try_get("site_id")?),
                category: stored(CategoryCode::parse(row.try_get("category_code")?))?,
                name_en: row.try_get("name_en")?,
                name_zh: row.try_get("name_zh")?,
                techniques: parse_json_list(row.try_get("techniques")?, "techniques")?,
                keywords: parse_json_list(row.try_get("keywords")?, "keywords")?,
                manufacturer: row.try_get("manufacturer")?,
                model: row.try_get("model")?,
                year_of_manufacture: row.try_get::<i64, _>("year_of_manufacture")? as i32,
                purchase_value: Fen(row.try_get("purchase_value_fen")?),
                description_en: row.try_get("description_en")?,
                description_zh: row.try_get("description_zh")?,
                access_policy: stored(AccessPolicy::parse(row.try_get("access_policy")?))?,
                rates,
                booking_mode: stored(BookingMode::parse(row.try_get("booking_mode")?))?,
                training_required: row.try_get("training_required")?,
                opening_hours: stored(WeeklyOpeningHours::parse(row.try_get("opening_hours")?))?,
                time_zone: stored(TimeZoneName::parse(row.try_get("time_zone")?))?,
            };
            Ok(InstrumentWithPlace {
                instrument,
                institution_name_en: row.try_get("institution_name_en")?,
                institution_name_zh: row.try_get("institution_name_zh")?,
                institution_kind: stored(InstitutionKind::parse(row.try_get("institution_kind")?))?,
                city: stored(CityCode::new(row.try_get::<i64, _>("city_code")? as u32))?,
                city_name_en: row.try_get("city_name_en")?,
                city_name_zh: row.try_get("city_name_zh")?,
                province: stored(ProvinceCode::parse(row.try_get("province_code")?))?,
                location: stored(GeoPoint::new(row.try_get("lon")?, row.try_get("lat")?))?,
                withdrawn: row.try_get("withdrawn")?,
            })
        }

        fn change_from_row(row: &DbRow) -> Result<ChangeRecord, StoreError> {
            Ok(ChangeRecord {
                seq: row.try_get("seq")?,
                entity: row.try_get("entity")?,
                entity_id: row.try_get("entity_id")?,
                deleted: row.try_get::<&str, _>("operation")? == "delete",
            })
        }

        fn role_grant_from_row(row: &DbRow) -> Result<RoleGrant, StoreError> {
            let role = stored(Role::parse(row.try_get("role")?))?;
            let scope = match row.try_get::<&str, _>("scope_kind")? {
                "global" => RoleScope::Global,
                "institution" => RoleScope::Institution(InstitutionId(
                    row.try_get::<Option<i64>, _>("scope_institution_id")?
                        .ok_or_else(|| StoreError::corrupt("institution scope without an institution"))?,
                )),
                "province" => RoleScope::Province(stored(ProvinceCode::parse(
                    row.try_get::<Option<&str>, _>("scope_province_code")?
                        .ok_or_else(|| StoreError::corrupt("province scope without a province"))?,
                ))?),
                other => return Err(StoreError::corrupt(format!("unknown role scope {other:?}"))),
            };
            stored(RoleGrant::new(role, scope))
        }

        fn api_token_from_row(row: &DbRow) -> Result<ApiTokenInfo, StoreError> {
            Ok(ApiTokenInfo {
                id: row.try_get("id")?,
                user: UserId(row.try_get("user_id")?),
                name: row.try_get("name")?,
                created_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                expires_at: row.try_get::<StoredInstant, _>("expires_at")?.0,
                revoked_at: row.try_get::<Option<StoredInstant>, _>("revoked_at")?.map(|instant| instant.0),
            })
        }

        fn role_scope_columns(scope: RoleScope) -> (&'static str, Option<i64>, Option<&'static str>) {
            match scope {
                RoleScope::Global => ("global", None, None),
                RoleScope::Institution(id) => ("institution", Some(id.0), None),
                RoleScope::Province(province) => ("province", None, Some(province.as_code())),
            }
        }

        impl $store {
            /// Reads the user in `row` (selected with `USER_COLUMNS`) and their roles.
            async fn user_from_row(&self, row: &DbRow) -> Result<User, StoreError> {
                let id = UserId(row.try_get("id")?);
                let grants = sqlx::query("SELECT role, scope_kind, scope_institution_id, scope_province_code FROM role_grants WHERE user_id = $1 ORDER BY role, scope_kind, scope_institution_id, scope_province_code")
                    .bind(id.0)
                    .fetch_all(self.read_pool())
                    .await?;
                Ok(User {
                    id,
                    email: stored(EmailAddress::parse(row.try_get("email")?))?,
                    display_name: row.try_get("display_name")?,
                    home_institution: InstitutionId(row.try_get("home_institution_id")?),
                    preferred_language: stored(Language::parse(row.try_get("preferred_language")?))?,
                    roles: grants.iter().map(role_grant_from_row).collect::<Result<_, _>>()?,
                })
            }

            async fn record_audit_event(
                transaction: &mut WriteTransaction<'_>,
                context: &AuditContext,
                action: &str,
                subject: &str,
                detail: serde_json::Value,
            ) -> Result<(), StoreError> {
                sqlx::query("INSERT INTO audit_events (occurred_at, actor_user_id, action, subject, detail, client_address) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(StoredInstant(crate::now()))
                    .bind(context.actor.map(|user| user.0))
                    .bind(action)
                    .bind(subject)
                    .bind(detail.to_string())
                    .bind(context.client_address.as_deref())
                    .execute(&mut **transaction)
                    .await?;
                Ok(())
            }

        }

        #[async_trait::async_trait]
        impl crate::Store for $store {
            fn backend(&self) -> Backend {
                Self::BACKEND
            }

            async fn migrate(&self) -> Result<(), StoreError> {
                self.run_migrations().await
            }

            async fn refresh_planner_statistics(&self) -> Result<(), StoreError> {
                self.refresh_planner_statistics_for_engine().await
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1").execute(self.read_pool()).await?;
                Ok(())
            }

            async fn import_region(&self, region: &RegionData) -> Result<ImportReport, StoreError> {
                let mut transaction = self.begin_write().await?;
                let existing: Option<String> = sqlx::query_scalar("SELECT name FROM region WHERE id = 1").fetch_optional(&mut *transaction).await?;
                if let Some(existing) = existing {
                    return Err(StoreError::Conflict(format!("the database already holds the region {existing:?}; nothing was written")));
                }
                let report = Self::import_region_in(&mut transaction, region).await?;
                Self::after_bulk_import(&mut transaction).await?;
                transaction.commit().await?;
                Ok(report)
            }

            async fn table_counts(&self) -> Result<TableCounts, StoreError> {
                let mut tables = BTreeMap::new();
                for (table, key) in COUNTED_TABLES {
                    let row = sqlx::query(&format!("SELECT COUNT(*) AS n, CAST(COALESCE(SUM({key}), 0) AS BIGINT) AS key_sum FROM {table}"))
                        .fetch_one(self.read_pool())
                        .await?;
                    tables.insert(*table, (row.try_get("n")?, row.try_get("key_sum")?));
                }
                Ok(TableCounts { tables })
            }
        }

        #[async_trait::async_trait]
        impl crate::CatalogueStore for $store {
            async fn region(&self) -> Result<Option<RegionInfo>, StoreError> {
                let row = sqlx::query("SELECT name, seed, generator_version, generated_at, time_zone FROM region WHERE id = 1")
                    .fetch_optional(self.read_pool())
                    .await?;
                row.map(|row| {
                    Ok(RegionInfo {
                        name: row.try_get("name")?,
                        seed: row.try_get::<i64, _>("seed")? as u64,
                        generator_version: row.try_get("generator_version")?,
                        generated_at: row.try_get::<StoredInstant, _>("generated_at")?.0,
                        time_zone: stored(TimeZoneName::parse(row.try_get("time_zone")?))?,
                    })
                })
                .transpose()
            }

            async fn provinces(&self) -> Result<Vec<ProvinceSummary>, StoreError> {
                let rows = sqlx::query(
                    "SELECT p.code, \
                     (SELECT COUNT(*) FROM cities c WHERE c.province_code = p.code) AS cities, \
                     (SELECT COUNT(*) FROM institutions inst JOIN cities c ON c.code = inst.city_code WHERE c.province_code = p.code) AS institutions, \
                     (SELECT COUNT(*) FROM instruments i JOIN sites s ON s.id = i.site_id JOIN cities c ON c.code = s.city_code WHERE c.province_code = p.code) AS instruments \
                     FROM provinces p",
                )
                .fetch_all(self.read_pool())
                .await?;
                let mut provinces = rows
                    .iter()
                    .map(|row| {
                        Ok(ProvinceSummary {
                            code: stored(ProvinceCode::parse(row.try_get("code")?))?,
                            cities: count(row.try_get("cities")?),
                            institutions: count(row.try_get("institutions")?),
                            instruments: count(row.try_get("instruments")?),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                provinces.sort_by_key(|province| province.code);
                Ok(provinces)
            }

            async fn cities(&self, filter: &CityFilter, page: PageRequest) -> Result<Page<CityWithCounts>, StoreError> {
                let push_filter = |query: &mut QueryBuilder<'_, $db>| {
                    query.push(" WHERE 1 = 1");
                    if let Some(province) = filter.province {
                        query.push(" AND c.province_code = ").push_bind(province.as_code());
                    }
                };
                let mut total = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM cities c");
                push_filter(&mut total);
                let total: i64 = total.build_query_scalar().fetch_one(self.read_pool()).await?;

                let mut select = QueryBuilder::<$db>::new(
                    "SELECT c.code, c.province_code, c.name_en, c.name_zh, c.lon, c.lat, \
                     (SELECT COUNT(*) FROM institutions inst WHERE inst.city_code = c.code) AS institutions, \
                     (SELECT COUNT(*) FROM instruments i JOIN sites s ON s.id = i.site_id WHERE s.city_code = c.code) AS instruments \
                     FROM cities c",
                );
                push_filter(&mut select);
                if let Some(after) = page.after {
                    select.push(" AND c.code > ").push_bind(after);
                }
                select.push(" ORDER BY c.code LIMIT ").push_bind(i64::from(page.limit.get()));
                let rows = select.build().fetch_all(self.read_pool()).await?;
                let items = rows
                    .iter()
                    .map(|row| {
                        Ok(CityWithCounts {
                            city: city_from_row(row)?,
                            institutions: count(row.try_get("institutions")?),
                            instruments: count(row.try_get("instruments")?),
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok(Page::from_items(count(total), items, page.limit, |item| i64::from(item.city.code.get())))
            }

            async fn city(&self, code: CityCode) -> Result<Option<City>, StoreError> {
                let row = sqlx::query("SELECT code, province_code, name_en, name_zh, lon, lat FROM cities WHERE code = $1")
                    .bind(i64::from(code.get()))
                    .fetch_optional(self.read_pool())
                    .await?;
                row.as_ref().map(city_from_row).transpose()
            }

            async fn institutions(&self, filter: &InstitutionFilter, page: PageRequest) -> Result<Page<InstitutionWithPlace>, StoreError> {
                let push_filter = |query: &mut QueryBuilder<'_, $db>| {
                    query.push(" WHERE 1 = 1");
                    if let Some(kind) = filter.kind {
                        query.push(" AND inst.kind = ").push_bind(kind.as_code());
                    }
                    if let Some(sector) = filter.sector {
                        query.push(" AND inst.sector = ").push_bind(sector.as_code());
                    }
                    if let Some(province) = filter.province {
                        query.push(" AND c.province_code = ").push_bind(province.as_code());
                    }
                    if let Some(city) = filter.city {
                        query.push(" AND inst.city_code = ").push_bind(i64::from(city.get()));
                    }
                };
                let mut total = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM institutions inst JOIN cities c ON c.code = inst.city_code");
                push_filter(&mut total);
                let total: i64 = total.build_query_scalar().fetch_one(self.read_pool()).await?;

                let mut select = QueryBuilder::<$db>::new(INSTITUTION_WITH_PLACE_SELECT);
                push_filter(&mut select);
                if let Some(after) = page.after {
                    select.push(" AND inst.id > ").push_bind(after);
                }
                select.push(" ORDER BY inst.id LIMIT ").push_bind(i64::from(page.limit.get()));
                let rows = select.build().fetch_all(self.read_pool()).await?;
                let items = rows.iter().map(institution_with_place_from_row).collect::<Result<Vec<_>, _>>()?;
                Ok(Page::from_items(count(total), items, page.limit, |item| item.institution.id.0))
            }

            async fn institution(&self, id: InstitutionId) -> Result<Option<InstitutionWithPlace>, StoreError> {
                let row = sqlx::query(&format!("{INSTITUTION_WITH_PLACE_SELECT} WHERE inst.id = $1"))
                    .bind(id.0)
                    .fetch_optional(self.read_pool())
                    .await?;
                row.as_ref().map(institution_with_place_from_row).transpose()
            }

            async fn sites_of(&self, institution: InstitutionId) -> Result<Vec<Site>, StoreError> {
                let rows = sqlx::query("SELECT id, institution_id, name_en, name_zh, city_code, lon, lat FROM sites WHERE institution_id = $1 ORDER BY id")
                    .bind(institution.0)
                    .fetch_all(self.read_pool())
                    .await?;
                rows.iter()
                    .map(|row| {
                        Ok(Site {
                            id: SiteId(row.try_get("id")?),
                            institution: InstitutionId(row.try_get("institution_id")?),
                            name_en: row.try_get("name_en")?,
                            name_zh: row.try_get("name_zh")?,
                            city: stored(CityCode::new(row.try_get::<i64, _>("city_code")? as u32))?,
                            location: stored(GeoPoint::new(row.try_get("lon")?, row.try_get("lat")?))?,
                        })
                    })
                    .collect()
            }

            async fn categories(&self) -> Result<Vec<InstrumentCategory>, StoreError> {
                let rows = sqlx::query("SELECT code, parent_code, name_en, name_zh FROM instrument_categories ORDER BY code")
                    .fetch_all(self.read_pool())
                    .await?;
                rows.iter()
                    .map(|row| {
                        let parent: Option<&str> = row.try_get("parent_code")?;
                        Ok(InstrumentCategory {
                            code: stored(CategoryCode::parse(row.try_get("code")?))?,
                            parent: parent.map(|parent| stored(CategoryCode::parse(parent))).transpose()?,
                            name_en: row.try_get("name_en")?,
                            name_zh: row.try_get("name_zh")?,
                        })
                    })
                    .collect()
            }

            async fn instruments(&self, filter: &InstrumentFilter, page: PageRequest) -> Result<Page<InstrumentWithPlace>, StoreError> {
                let push_filter = |query: &mut QueryBuilder<'_, $db>| {
                    query.push(" WHERE 1 = 1");
                    if let Some(province) = filter.province {
                        query.push(" AND c.province_code = ").push_bind(province.as_code());
                    }
                    if let Some(city) = filter.city {
                        query.push(" AND s.city_code = ").push_bind(i64::from(city.get()));
                    }
                    if let Some(institution) = filter.institution {
                        query.push(" AND i.institution_id = ").push_bind(institution.0);
                    }
                    if let Some(category) = &filter.category {
                        if category.is_top_level() {
                            // Subclass codes start with their class's two digits.
                            query.push(" AND (i.category_code = ").push_bind(category.as_str().to_owned());
                            query.push(" OR i.category_code LIKE ").push_bind(format!("{}__", category.as_str())).push(")");
                        } else {
                            query.push(" AND i.category_code = ").push_bind(category.as_str().to_owned());
                        }
                    }
                    if let Some(policy) = filter.access_policy {
                        query.push(" AND i.access_policy = ").push_bind(policy.as_code());
                    }
                    if let Some(mode) = filter.booking_mode {
                        query.push(" AND i.booking_mode = ").push_bind(mode.as_code());
                    }
                    if let Some(training) = filter.training_required {
                        query.push(" AND i.training_required = ").push_bind(training);
                    }
                };
                // Every instrument has exactly one institution, site and city (foreign keys, NOT
                // NULL), so the count needs the joins only to filter by place; without them it
                // reads one index instead of three tables (the unfiltered list page, 56,000
                // instruments: tens of milliseconds saved).
                let count_from = if filter.province.is_some() || filter.city.is_some() {
                    INSTRUMENT_WITH_PLACE_FROM
                } else {
                    "FROM instruments i"
                };
                let mut total = QueryBuilder::<$db>::new(format!("SELECT COUNT(*) {count_from}"));
                push_filter(&mut total);
                let total: i64 = total.build_query_scalar().fetch_one(self.read_pool()).await?;

                let mut select = QueryBuilder::<$db>::new(format!("SELECT {INSTRUMENT_WITH_PLACE_COLUMNS} {INSTRUMENT_WITH_PLACE_FROM}"));
                push_filter(&mut select);
                if let Some(after) = page.after {
                    select.push(" AND i.id > ").push_bind(after);
                }
                select.push(" ORDER BY i.id LIMIT ").push_bind(i64::from(page.limit.get()));
                let rows = select.build().fetch_all(self.read_pool()).await?;
                let items = rows.iter().map(instrument_from_row).collect::<Result<Vec<_>, _>>()?;
                Ok(Page::from_items(count(total), items, page.limit, |item| item.instrument.id.0))
            }

            async fn all_instruments(&self) -> Result<Vec<InstrumentWithPlace>, StoreError> {
                let rows = sqlx::query(&format!("SELECT {INSTRUMENT_WITH_PLACE_COLUMNS} {INSTRUMENT_WITH_PLACE_FROM} ORDER BY i.id"))
                    .fetch_all(self.read_pool())
                    .await?;
                rows.iter().map(instrument_from_row).collect()
            }

            async fn instrument(&self, id: InstrumentId) -> Result<Option<InstrumentWithPlace>, StoreError> {
                let row = sqlx::query(&format!("SELECT {INSTRUMENT_WITH_PLACE_COLUMNS} {INSTRUMENT_WITH_PLACE_FROM} WHERE i.id = $1"))
                    .bind(id.0)
                    .fetch_optional(self.read_pool())
                    .await?;
                row.as_ref().map(instrument_from_row).transpose()
            }

            async fn create_instrument(&self, instrument: &Instrument, context: &AuditContext) -> Result<InstrumentId, StoreError> {
                let mut transaction = self.begin_write().await?;
                Self::check_instrument_references(&mut transaction, instrument).await?;
                let mut insert = QueryBuilder::<$db>::new(
                    "INSERT INTO instruments (institution_id, site_id, category_code, name_en, name_zh, techniques, keywords, \
                     manufacturer, model, year_of_manufacture, purchase_value_fen, description_en, description_zh, access_policy, \
                     rate_own_institution_fen, rate_other_academic_fen, rate_industry_fen, booking_mode, training_required, \
                     opening_hours, time_zone) VALUES (",
                );
                Self::push_instrument_values(&mut insert, instrument);
                insert.push(") RETURNING id");
                let id: i64 = insert.build_query_scalar().fetch_one(&mut *transaction).await?;
                Self::insert_standard_calendars(&mut transaction, Some(id)).await?;
                Self::record_instrument_change(&mut transaction, id, false).await?;
                Self::record_audit_event(&mut transaction, context, "instrument.created", &format!("instrument:{id}"), serde_json::json!({ "name_en": instrument.name_en, "institution": instrument.institution.0 })).await?;
                transaction.commit().await?;
                Ok(InstrumentId(id))
            }

            async fn update_instrument(&self, instrument: &Instrument, context: &AuditContext) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                let existing: Option<i64> = sqlx::query_scalar("SELECT institution_id FROM instruments WHERE id = $1").bind(instrument.id.0).fetch_optional(&mut *transaction).await?;
                if existing.is_none() {
                    return Err(StoreError::NotFound(format!("no instrument with id {}", instrument.id.0)));
                }
                Self::check_instrument_references(&mut transaction, instrument).await?;
                // A row-value assignment (both engines accept it) takes the same value list as
                // the insert, so the two cannot drift apart.
                let mut update = QueryBuilder::<$db>::new(
                    "UPDATE instruments SET (institution_id, site_id, category_code, name_en, name_zh, techniques, keywords, \
                     manufacturer, model, year_of_manufacture, purchase_value_fen, description_en, description_zh, access_policy, \
                     rate_own_institution_fen, rate_other_academic_fen, rate_industry_fen, booking_mode, training_required, \
                     opening_hours, time_zone) = (",
                );
                Self::push_instrument_values(&mut update, instrument);
                update.push(") WHERE id = ").push_bind(instrument.id.0);
                update.build().execute(&mut *transaction).await?;
                Self::record_instrument_change(&mut transaction, instrument.id.0, false).await?;
                Self::record_audit_event(&mut transaction, context, "instrument.updated", &format!("instrument:{}", instrument.id.0), serde_json::json!({ "name_en": instrument.name_en })).await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn delete_instrument(&self, id: InstrumentId, context: &AuditContext) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                // An instrument with bookings keeps its history (prices paid, usage recorded):
                // it cannot be deleted, only closed.
                let bookings: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bookings WHERE instrument_id = $1").bind(id.0).fetch_one(&mut *transaction).await?;
                if bookings > 0 {
                    return Err(StoreError::Conflict(format!("instrument {} has {bookings} bookings and cannot be deleted; close it instead", id.0)));
                }
                for table in ["waitlist_entries", "qualifications", "calendar_closures", "instrument_calendars"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE instrument_id = $1")).bind(id.0).execute(&mut *transaction).await?;
                }
                let deleted: Option<String> = sqlx::query_scalar("DELETE FROM instruments WHERE id = $1 RETURNING name_en").bind(id.0).fetch_optional(&mut *transaction).await?;
                let Some(name) = deleted else {
                    return Err(StoreError::NotFound(format!("no instrument with id {}", id.0)));
                };
                Self::record_instrument_change(&mut transaction, id.0, true).await?;
                Self::record_audit_event(&mut transaction, context, "instrument.deleted", &format!("instrument:{}", id.0), serde_json::json!({ "name_en": name })).await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn beamlines(&self, facility: Option<InstitutionId>) -> Result<Vec<Beamline>, StoreError> {
                let mut select = QueryBuilder::<$db>::new("SELECT id, facility_institution_id, code, name_en, name_zh, techniques, source, energy_kev_min, energy_kev_max FROM beamlines");
                if let Some(facility) = facility {
                    select.push(" WHERE facility_institution_id = ").push_bind(facility.0);
                }
                select.push(" ORDER BY facility_institution_id, code");
                let rows = select.build().fetch_all(self.read_pool()).await?;
                rows.iter()
                    .map(|row| {
                        Ok(Beamline {
                            id: BeamlineId(row.try_get("id")?),
                            facility: InstitutionId(row.try_get("facility_institution_id")?),
                            code: row.try_get("code")?,
                            name_en: row.try_get("name_en")?,
                            name_zh: row.try_get("name_zh")?,
                            techniques: parse_json_list(row.try_get("techniques")?, "techniques")?,
                            source: stored(BeamlineSource::parse(row.try_get("source")?))?,
                            energy_kev_min: row.try_get("energy_kev_min")?,
                            energy_kev_max: row.try_get("energy_kev_max")?,
                        })
                    })
                    .collect()
            }

            async fn region_summary(&self) -> Result<RegionSummary, StoreError> {
                let pool = self.read_pool();
                let scalar = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(pool);
                let instruments = scalar("SELECT COUNT(*) FROM instruments").await?;
                let institutions = scalar("SELECT COUNT(*) FROM institutions").await?;
                let users = scalar("SELECT COUNT(*) FROM users").await?;
                let cities = scalar("SELECT COUNT(*) FROM cities").await?;
                let beamlines = scalar("SELECT COUNT(*) FROM beamlines").await?;
                let purchase_value_fen = scalar("SELECT CAST(COALESCE(SUM(purchase_value_fen), 0) AS BIGINT) FROM instruments").await?;

                let grouped = |sql: &'static str| sqlx::query(sql).fetch_all(pool);
                let mut instruments_by_province = BTreeMap::new();
                let mut instruments_by_city = BTreeMap::new();
                for row in grouped("SELECT s.city_code, c.province_code, COUNT(*) AS n FROM instruments i JOIN sites s ON s.id = i.site_id JOIN cities c ON c.code = s.city_code GROUP BY s.city_code, c.province_code").await? {
                    let n = count(row.try_get("n")?);
                    let province = stored(ProvinceCode::parse(row.try_get("province_code")?))?;
                    *instruments_by_province.entry(province).or_insert(0) += n;
                    instruments_by_city.insert(stored(CityCode::new(row.try_get::<i64, _>("city_code")? as u32))?, n);
                }
                let mut institutions_by_kind = BTreeMap::new();
                for row in grouped("SELECT kind, COUNT(*) AS n FROM institutions GROUP BY kind").await? {
                    institutions_by_kind.insert(stored(InstitutionKind::parse(row.try_get("kind")?))?, count(row.try_get("n")?));
                }
                let mut institutions_by_province = BTreeMap::new();
                for row in grouped("SELECT c.province_code, COUNT(*) AS n FROM institutions inst JOIN cities c ON c.code = inst.city_code GROUP BY c.province_code").await? {
                    institutions_by_province.insert(stored(ProvinceCode::parse(row.try_get("province_code")?))?, count(row.try_get("n")?));
                }
                let mut instruments_by_category = BTreeMap::new();
                for row in grouped("SELECT SUBSTR(category_code, 1, 2) AS class, COUNT(*) AS n FROM instruments GROUP BY SUBSTR(category_code, 1, 2)").await? {
                    instruments_by_category.insert(row.try_get::<String, _>("class")?, count(row.try_get("n")?));
                }
                Ok(RegionSummary {
                    instruments: count(instruments),
                    institutions: count(institutions),
                    users: count(users),
                    cities: count(cities),
                    beamlines: count(beamlines),
                    instruments_by_province,
                    institutions_by_kind,
                    institutions_by_province,
                    instruments_by_category,
                    instruments_by_city,
                    purchase_value_fen,
                })
            }
        }

        #[async_trait::async_trait]
        impl crate::ChangeLogStore for $store {
            async fn changes_since(&self, after: i64, limit: u32) -> Result<Vec<ChangeRecord>, StoreError> {
                let rows = sqlx::query("SELECT seq, entity, entity_id, operation FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2")
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(self.read_pool())
                    .await?;
                rows.iter().map(change_from_row).collect()
            }

            async fn latest_change_number(&self) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(seq), 0) FROM change_log")
                    .fetch_one(self.read_pool())
                    .await?)
            }

            async fn changes_numbered(&self, numbers: &[i64]) -> Result<Vec<ChangeRecord>, StoreError> {
                let mut numbers = numbers.to_vec();
                numbers.sort_unstable();
                numbers.dedup();
                let mut changes = Vec::new();
                for chunk in numbers.chunks(IMPORT_CHUNK_ROWS) {
                    // Numbers are integers, so formatting them in is safe.
                    let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
                    let rows = sqlx::query(&format!("SELECT seq, entity, entity_id, operation FROM change_log WHERE seq IN ({list}) ORDER BY seq"))
                        .fetch_all(self.read_pool())
                        .await?;
                    for row in &rows {
                        changes.push(change_from_row(row)?);
                    }
                }
                Ok(changes)
            }
        }

        #[async_trait::async_trait]
        impl crate::IdentityStore for $store {
            async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"))
                    .bind(id.0)
                    .fetch_optional(self.read_pool())
                    .await?;
                match row {
                    Some(row) => Ok(Some(self.user_from_row(&row).await?)),
                    None => Ok(None),
                }
            }

            async fn sign_in_candidate(&self, email: &EmailAddress) -> Result<Option<SignInCandidate>, StoreError> {
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS}, u.password_hash, u.email_verified FROM users u WHERE u.email = $1"))
                    .bind(email.as_str())
                    .fetch_optional(self.read_pool())
                    .await?;
                match row {
                    Some(row) => Ok(Some(SignInCandidate { user: self.user_from_row(&row).await?, password_hash: row.try_get("password_hash")?, email_verified: row.try_get("email_verified")? })),
                    None => Ok(None),
                }
            }

            async fn create_user(&self, user: &NewUser, context: &AuditContext) -> Result<User, StoreError> {
                let mut transaction = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar("INSERT INTO users (email, display_name, home_institution_id, preferred_language, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                    .bind(user.email.as_str())
                    .bind(&user.display_name)
                    .bind(user.home_institution.0)
                    .bind(user.preferred_language.as_code())
                    .bind(user.password_hash.as_deref())
                    .bind(StoredInstant(crate::now()))
                    .fetch_one(&mut *transaction)
                    .await
                    .map_err(|error| StoreError::from_write(error, "a user with this e-mail address"))?;
                let id = UserId(id);
                Self::insert_role_grants(&mut transaction, &[(id, user.roles.as_slice())]).await?;
                let roles: Vec<&str> = user.roles.iter().map(|grant| grant.role.as_code()).collect();
                Self::record_audit_event(&mut transaction, context, "user.created", &format!("user:{}", id.0), serde_json::json!({ "email": user.email.as_str(), "roles": roles })).await?;
                transaction.commit().await?;
                Ok(User {
                    id,
                    email: user.email.clone(),
                    display_name: user.display_name.clone(),
                    home_institution: user.home_institution,
                    preferred_language: user.preferred_language,
                    roles: user.roles.clone(),
                })
            }

            async fn create_session(&self, session: &SessionRecord, context: &AuditContext) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at, client_address) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&session.token_hash)
                    .bind(session.user.0)
                    .bind(StoredInstant(session.created_at))
                    .bind(StoredInstant(session.expires_at))
                    .bind(session.client_address.as_deref())
                    .execute(&mut *transaction)
                    .await
                    .map_err(|error| StoreError::from_write(error, "a session with this token"))?;
                // Signing in is also when expired sessions of the same user are cleared away.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
                    .bind(session.user.0)
                    .bind(StoredInstant(session.created_at))
                    .execute(&mut *transaction)
                    .await?;
                Self::record_audit_event(&mut transaction, context, "session.created", &format!("user:{}", session.user.0), serde_json::json!({ "expires_at": session.expires_at.to_string() })).await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM sessions se JOIN users u ON u.id = se.user_id WHERE se.token_hash = $1 AND se.expires_at > $2"))
                    .bind(token_hash)
                    .bind(StoredInstant(crate::now()))
                    .fetch_optional(self.read_pool())
                    .await?;
                match row {
                    Some(row) => Ok(Some(self.user_from_row(&row).await?)),
                    None => Ok(None),
                }
            }

            async fn delete_session(&self, token_hash: &str, context: &AuditContext) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                let user: Option<i64> = sqlx::query_scalar("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
                    .bind(token_hash)
                    .fetch_optional(&mut *transaction)
                    .await?;
                if let Some(user) = user {
                    Self::record_audit_event(&mut transaction, context, "session.deleted", &format!("user:{user}"), serde_json::json!({})).await?;
                }
                transaction.commit().await?;
                Ok(())
            }

            async fn create_api_token(&self, user: UserId, name: &str, token_hash: &str, expires_at: jiff::Timestamp, context: &AuditContext) -> Result<ApiTokenInfo, StoreError> {
                let mut transaction = self.begin_write().await?;
                let created_at = crate::now();
                let expires_at = crate::timestamp::truncate_to_micros(expires_at);
                let id: i64 = sqlx::query_scalar("INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                    .bind(user.0)
                    .bind(name)
                    .bind(token_hash)
                    .bind(StoredInstant(created_at))
                    .bind(StoredInstant(expires_at))
                    .fetch_one(&mut *transaction)
                    .await
                    .map_err(|error| StoreError::from_write(error, "an API token with this value"))?;
                Self::record_audit_event(&mut transaction, context, "api_token.created", &format!("user:{}", user.0), serde_json::json!({ "token_id": id, "name": name, "expires_at": expires_at.to_string() })).await?;
                transaction.commit().await?;
                Ok(ApiTokenInfo { id, user, name: name.to_owned(), created_at, expires_at, revoked_at: None })
            }

            async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2"))
                    .bind(token_hash)
                    .bind(StoredInstant(crate::now()))
                    .fetch_optional(self.read_pool())
                    .await?;
                match row {
                    Some(row) => Ok(Some(self.user_from_row(&row).await?)),
                    None => Ok(None),
                }
            }

            async fn live_api_token_holder(&self, token_hash: &str, now: jiff::Timestamp) -> Result<Option<UserId>, StoreError> {
                // The engine remembers live tokens while it hears of every revocation
                // (`engines/token_holders.rs`: PostgreSQL's notifications, SQLite's one
                // serving process); otherwise, and for a token it does not remember, the
                // database answers.
                if let Some(holder) = self.token_holders().holder(token_hash, now) {
                    return Ok(Some(holder));
                }
                let generation = self.token_holders().generation();
                let holder: Option<(i64, StoredInstant)> = sqlx::query_as("SELECT user_id, expires_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2")
                    .bind(token_hash)
                    .bind(StoredInstant(now))
                    .fetch_optional(self.read_pool())
                    .await?;
                Ok(holder.map(|(user, expires_at)| {
                    self.token_holders().remember(token_hash, UserId(user), expires_at.0, generation);
                    UserId(user)
                }))
            }

            async fn api_tokens_of_user(&self, user: UserId) -> Result<Vec<ApiTokenInfo>, StoreError> {
                let rows = sqlx::query("SELECT id, user_id, name, created_at, expires_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC LIMIT 500")
                    .bind(user.0)
                    .fetch_all(self.read_pool())
                    .await?;
                rows.iter().map(api_token_from_row).collect()
            }

            async fn revoke_api_token(&self, user: UserId, token: i64, context: &AuditContext) -> Result<ApiTokenInfo, StoreError> {
                let mut transaction = self.begin_write().await?;
                let now = crate::now();
                let revoked = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                    .bind(StoredInstant(now))
                    .bind(token)
                    .bind(user.0)
                    .execute(&mut *transaction)
                    .await?;
                let row = sqlx::query("SELECT id, user_id, name, token_hash, created_at, expires_at, revoked_at FROM api_tokens WHERE id = $1 AND user_id = $2")
                    .bind(token)
                    .bind(user.0)
                    .fetch_optional(&mut *transaction)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("no API token {token} of this user")))?;
                if revoked.rows_affected() > 0 {
                    Self::record_audit_event(&mut transaction, context, "api_token.revoked", &format!("user:{}", user.0), serde_json::json!({ "token_id": token })).await?;
                    let token_hash: String = row.try_get("token_hash")?;
                    Self::announce_token_revoked(&mut transaction, &token_hash).await?;
                }
                let info = api_token_from_row(&row)?;
                transaction.commit().await?;
                let token_hash: String = row.try_get("token_hash")?;
                // Forgotten here once the revocation has committed (a lookup that read the
                // token live before is not remembered after: the generation moves on); other
                // PostgreSQL nodes forget it on the notification sent above.
                self.token_holders().forget(&token_hash);
                Ok(info)
            }

            async fn audit_events(&self, page: PageRequest) -> Result<Page<AuditEvent>, StoreError> {
                let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(self.read_pool()).await?;
                let mut select = QueryBuilder::<$db>::new("SELECT id, occurred_at, actor_user_id, action, subject, detail, client_address FROM audit_events");
                if let Some(before) = page.after {
                    select.push(" WHERE id < ").push_bind(before);
                }
                select.push(" ORDER BY id DESC LIMIT ").push_bind(i64::from(page.limit.get()));
                let rows = select.build().fetch_all(self.read_pool()).await?;
                let items = rows
                    .iter()
                    .map(|row| {
                        let detail: String = row.try_get("detail")?;
                        Ok(AuditEvent {
                            id: row.try_get("id")?,
                            occurred_at: row.try_get::<StoredInstant, _>("occurred_at")?.0,
                            actor: row.try_get::<Option<i64>, _>("actor_user_id")?.map(UserId),
                            action: row.try_get("action")?,
                            subject: row.try_get("subject")?,
                            detail: serde_json::from_str(&detail).map_err(StoreError::corrupt)?,
                            client_address: row.try_get("client_address")?,
                        })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                Ok(Page::from_items(count(total), items, page.limit, |event| event.id))
            }
        }
    };
}
pub(crate) use shared_store_impl;
