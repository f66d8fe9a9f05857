//! `RosterStore` for both engines: the same SQL, expanded per engine.

macro_rules! shared_roster_impl {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl crate::roster::RosterStore for $store {
            async fn institution_roster(
                &self,
                institution: corridor_domain::InstitutionId,
                limit: u32,
            ) -> Result<Vec<crate::roster::RosterEntry>, StoreError> {
                use sqlx::Row;
                let mut connection = self.read_pool().acquire().await?;
                let rows = sqlx::query(
                    "SELECT u.id, u.display_name, u.email, u.home_institution_id, u.membership FROM users u \
                     WHERE u.home_institution_id = $1 OR u.id IN \
                       (SELECT user_id FROM role_grants WHERE scope_kind = 'institution' AND scope_institution_id = $1) \
                     ORDER BY u.display_name, u.id LIMIT $2",
                )
                .bind(institution.0)
                .bind(i64::from(limit))
                .fetch_all(&mut *connection)
                .await?;
                let grants: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT user_id, role FROM role_grants WHERE scope_kind = 'institution' AND scope_institution_id = $1",
                )
                .bind(institution.0)
                .fetch_all(&mut *connection)
                .await?;
                let mut roles_of: std::collections::HashMap<i64, Vec<corridor_domain::Role>> =
                    std::collections::HashMap::new();
                for (user, role) in grants {
                    roles_of.entry(user).or_default().push(stored(corridor_domain::Role::parse(&role))?);
                }
                rows.iter()
                    .map(|row| {
                        let id: i64 = row.try_get("id")?;
                        let mut roles = roles_of.remove(&id).unwrap_or_default();
                        roles.sort();
                        Ok(crate::roster::RosterEntry {
                            user: UserId(id),
                            display_name: row.try_get("display_name")?,
                            email: stored(corridor_domain::EmailAddress::parse(row.try_get("email")?))?,
                            home_here: row.try_get::<i64, _>("home_institution_id")? == institution.0,
                            membership: stored(corridor_domain::Membership::parse(row.try_get("membership")?))?,
                            roles,
                        })
                    })
                    .collect()
            }

            async fn set_institution_role(
                &self,
                user: UserId,
                institution: corridor_domain::InstitutionId,
                role: corridor_domain::Role,
                held: bool,
                context: &AuditContext,
            ) -> Result<bool, StoreError> {
                let mut transaction = self.begin_write().await?;
                let user_exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                    .bind(user.0)
                    .fetch_optional(&mut *transaction)
                    .await?;
                if user_exists.is_none() {
                    return Err(StoreError::InvalidReference { field: "user", reason: format!("there is no user {}", user.0) });
                }
                let institution_exists: Option<i64> = sqlx::query_scalar("SELECT id FROM institutions WHERE id = $1")
                    .bind(institution.0)
                    .fetch_optional(&mut *transaction)
                    .await?;
                if institution_exists.is_none() {
                    return Err(StoreError::InvalidReference { field: "institution", reason: format!("there is no institution {}", institution.0) });
                }
                let changed = if held {
                    sqlx::query(
                        "INSERT INTO role_grants (user_id, role, scope_kind, scope_institution_id) \
                         VALUES ($1, $2, 'institution', $3) ON CONFLICT DO NOTHING",
                    )
                    .bind(user.0)
                    .bind(role.as_code())
                    .bind(institution.0)
                    .execute(&mut *transaction)
                    .await?
                    .rows_affected()
                } else {
                    sqlx::query(
                        "DELETE FROM role_grants WHERE user_id = $1 AND role = $2 AND scope_kind = 'institution' AND scope_institution_id = $3",
                    )
                    .bind(user.0)
                    .bind(role.as_code())
                    .bind(institution.0)
                    .execute(&mut *transaction)
                    .await?
                    .rows_affected()
                };
                if changed == 0 {
                    transaction.rollback().await?;
                    return Ok(false);
                }
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    if held { "role.granted" } else { "role.revoked" },
                    &format!("user:{}", user.0),
                    serde_json::json!({ "role": role.as_code(), "institution": institution.0 }),
                )
                .await?;
                transaction.commit().await?;
                Ok(true)
            }

            async fn set_qualifications(
                &self,
                instruments: &[corridor_domain::InstrumentId],
                people: &[UserId],
                granted: bool,
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<u64, StoreError> {
                use crate::timestamp::StoredInstant;
                let mut transaction = self.begin_write().await?;
                for instrument in instruments {
                    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM instruments WHERE id = $1")
                        .bind(instrument.0)
                        .fetch_optional(&mut *transaction)
                        .await?;
                    if found.is_none() {
                        return Err(StoreError::InvalidReference { field: "instruments", reason: format!("there is no instrument {}", instrument.0) });
                    }
                }
                for person in people {
                    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                        .bind(person.0)
                        .fetch_optional(&mut *transaction)
                        .await?;
                    if found.is_none() {
                        return Err(StoreError::InvalidReference { field: "people", reason: format!("there is no user {}", person.0) });
                    }
                }
                let mut changed = 0u64;
                for instrument in instruments {
                    for person in people {
                        let affected = if granted {
                            sqlx::query(
                                "INSERT INTO qualifications (instrument_id, user_id, granted_by, granted_at) \
                                 SELECT $1, $2, $3, $4 WHERE NOT EXISTS \
                                   (SELECT 1 FROM qualifications WHERE instrument_id = $1 AND user_id = $2 AND revoked_at IS NULL)",
                            )
                            .bind(instrument.0)
                            .bind(person.0)
                            .bind(context.actor.map(|actor| actor.0))
                            .bind(StoredInstant(now))
                            .execute(&mut *transaction)
                            .await?
                            .rows_affected()
                        } else {
                            sqlx::query(
                                "UPDATE qualifications SET revoked_at = $1, revoked_by = $2 \
                                 WHERE instrument_id = $3 AND user_id = $4 AND revoked_at IS NULL",
                            )
                            .bind(StoredInstant(now))
                            .bind(context.actor.map(|actor| actor.0))
                            .bind(instrument.0)
                            .bind(person.0)
                            .execute(&mut *transaction)
                            .await?
                            .rows_affected()
                        };
                        if affected > 0 {
                            changed += affected;
                            Self::record_audit_event(
                                &mut transaction,
                                context,
                                if granted { "qualification.granted" } else { "qualification.revoked" },
                                &format!("instrument:{}", instrument.0),
                                serde_json::json!({ "user": person.0, "bulk": true }),
                            )
                            .await?;
                        }
                    }
                }
                transaction.commit().await?;
                Ok(changed)
            }

            async fn users_by_email(
                &self,
                addresses: &[corridor_domain::EmailAddress],
            ) -> Result<Vec<Option<UserId>>, StoreError> {
                let mut connection = self.read_pool().acquire().await?;
                let mut found = Vec::with_capacity(addresses.len());
                for address in addresses {
                    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                        .bind(address.as_str())
                        .fetch_optional(&mut *connection)
                        .await?;
                    found.push(id.map(UserId));
                }
                Ok(found)
            }

            async fn sessions_of_user(
                &self,
                user: UserId,
                now: jiff::Timestamp,
            ) -> Result<Vec<crate::roster::SessionInfo>, StoreError> {
                use crate::timestamp::StoredInstant;
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT token_hash, created_at, expires_at, client_address FROM sessions \
                     WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, token_hash LIMIT 200",
                )
                .bind(user.0)
                .bind(StoredInstant(now))
                .fetch_all(self.read_pool())
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(crate::roster::SessionInfo {
                            token_hash: row.try_get("token_hash")?,
                            created_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                            expires_at: row.try_get::<StoredInstant, _>("expires_at")?.0,
                            client_address: row.try_get("client_address")?,
                        })
                    })
                    .collect()
            }

            async fn end_session_of_user(
                &self,
                user: UserId,
                token_hash: &str,
                context: &AuditContext,
            ) -> Result<bool, StoreError> {
                let mut transaction = self.begin_write().await?;
                let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash = $2")
                    .bind(user.0)
                    .bind(token_hash)
                    .execute(&mut *transaction)
                    .await?
                    .rows_affected();
                if ended == 0 {
                    transaction.rollback().await?;
                    return Ok(false);
                }
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    "session.ended",
                    &format!("user:{}", user.0),
                    serde_json::json!({ "by_owner": true }),
                )
                .await?;
                transaction.commit().await?;
                Ok(true)
            }

            async fn create_institution(
                &self,
                institution: &crate::roster::NewInstitution,
                context: &AuditContext,
            ) -> Result<corridor_domain::InstitutionId, StoreError> {
                let mut transaction = self.begin_write().await?;
                let city: Option<i64> = sqlx::query_scalar("SELECT code FROM cities WHERE code = $1")
                    .bind(i64::from(institution.city_code.get()))
                    .fetch_optional(&mut *transaction)
                    .await?;
                if city.is_none() {
                    return Err(StoreError::InvalidReference { field: "city", reason: format!("there is no city {}", institution.city_code.get()) });
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO institutions (kind, name_en, name_zh, city_code, sector) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(institution.kind.as_code())
                .bind(&institution.name_en)
                .bind(&institution.name_zh)
                .bind(i64::from(institution.city_code.get()))
                .bind(institution.sector.as_code())
                .fetch_one(&mut *transaction)
                .await?;
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    "institution.created",
                    &format!("institution:{id}"),
                    serde_json::json!({ "name_en": institution.name_en, "name_zh": institution.name_zh }),
                )
                .await?;
                transaction.commit().await?;
                Ok(corridor_domain::InstitutionId(id))
            }
        }
    };
}

pub(crate) use shared_roster_impl;
