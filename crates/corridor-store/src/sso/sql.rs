//! `SsoStore` for both engines: the same SQL, expanded per engine.

macro_rules! shared_sso_impl {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl crate::sso::SsoStore for $store {
            async fn begin_sso_sign_in(
                &self,
                sign_in: &crate::sso::NewSsoSignIn,
                now: jiff::Timestamp,
            ) -> Result<(), StoreError> {
                use crate::timestamp::StoredInstant;
                let mut transaction = self.begin_write().await?;
                sqlx::query("DELETE FROM sso_sign_ins WHERE expires_at <= $1")
                    .bind(StoredInstant(now))
                    .execute(&mut *transaction)
                    .await?;
                sqlx::query(
                    "INSERT INTO sso_sign_ins (state_hash, provider, pkce_verifier, nonce, return_path, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&sign_in.state_hash)
                .bind(&sign_in.provider)
                .bind(&sign_in.pkce_verifier)
                .bind(&sign_in.nonce)
                .bind(sign_in.return_path.as_deref())
                .bind(StoredInstant(now))
                .bind(StoredInstant(crate::timestamp::truncate_to_micros(sign_in.expires_at)))
                .execute(&mut *transaction)
                .await
                .map_err(|error| StoreError::from_write(error, "a sign-in with this state"))?;
                transaction.commit().await?;
                Ok(())
            }

            async fn take_sso_sign_in(
                &self,
                state_hash: &str,
                now: jiff::Timestamp,
            ) -> Result<Option<crate::sso::SsoSignIn>, StoreError> {
                use crate::timestamp::StoredInstant;
                use sqlx::Row;
                let mut transaction = self.begin_write().await?;
                // Deleting is the step that decides: of two callbacks racing with one state,
                // only one gets the row back.
                let row = sqlx::query(
                    "DELETE FROM sso_sign_ins WHERE state_hash = $1 \
                     RETURNING provider, pkce_verifier, nonce, return_path, expires_at",
                )
                .bind(state_hash)
                .fetch_optional(&mut *transaction)
                .await?;
                transaction.commit().await?;
                let Some(row) = row else {
                    return Ok(None);
                };
                // An expired sign-in is gone all the same: it cannot be tried again either.
                if row.try_get::<StoredInstant, _>("expires_at")?.0 <= now {
                    return Ok(None);
                }
                Ok(Some(crate::sso::SsoSignIn {
                    provider: row.try_get("provider")?,
                    pkce_verifier: row.try_get("pkce_verifier")?,
                    nonce: row.try_get("nonce")?,
                    return_path: row.try_get("return_path")?,
                }))
            }

            async fn sso_identity_user(
                &self,
                issuer: &str,
                subject: &str,
            ) -> Result<Option<corridor_domain::User>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {USER_COLUMNS} FROM sso_identities i JOIN users u ON u.id = i.user_id \
                     WHERE i.issuer = $1 AND i.subject = $2"
                ))
                .bind(issuer)
                .bind(subject)
                .fetch_optional(self.read_pool())
                .await?;
                match row {
                    Some(row) => Ok(Some(self.user_from_row(&row).await?)),
                    None => Ok(None),
                }
            }

            async fn create_sso_account(
                &self,
                account: &crate::sso::NewSsoAccount,
                identity: &crate::sso::SsoIdentity,
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<corridor_domain::User, StoreError> {
                use crate::timestamp::StoredInstant;
                let user = &account.user;
                let mut transaction = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (email, display_name, home_institution_id, preferred_language, password_hash, created_at, email_verified, membership) \
                     VALUES ($1, $2, $3, $4, NULL, $5, $6, $7) RETURNING id",
                )
                .bind(user.email.as_str())
                .bind(&user.display_name)
                .bind(user.home_institution.0)
                .bind(user.preferred_language.as_code())
                .bind(StoredInstant(now))
                .bind(account.email_verified)
                .bind(account.membership.as_code())
                .fetch_one(&mut *transaction)
                .await
                .map_err(|error| StoreError::from_write(error, "an account with this e-mail address"))?;
                let id = UserId(id);
                Self::insert_role_grants(&mut transaction, &[(id, user.roles.as_slice())]).await?;
                Self::insert_sso_identity_in(&mut transaction, id, identity, now).await?;
                let context = AuditContext { actor: context.actor.or(Some(id)), client_address: context.client_address.clone() };
                Self::record_audit_event(
                    &mut transaction,
                    &context,
                    "sso.account_created",
                    &format!("user:{}", id.0),
                    serde_json::json!({
                        "email": user.email.as_str(),
                        "email_verified": account.email_verified,
                        "institution": user.home_institution.0,
                        "membership": account.membership.as_code(),
                        "provider": identity.provider,
                        "issuer": identity.issuer,
                    }),
                )
                .await?;
                transaction.commit().await?;
                Ok(corridor_domain::User {
                    id,
                    email: user.email.clone(),
                    display_name: user.display_name.clone(),
                    home_institution: user.home_institution,
                    preferred_language: user.preferred_language,
                    roles: user.roles.clone(),
                })
            }

            async fn link_sso_identity(
                &self,
                user: UserId,
                identity: &crate::sso::SsoIdentity,
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                Self::insert_sso_identity_in(&mut transaction, user, identity, now).await?;
                let context = AuditContext { actor: context.actor.or(Some(user)), client_address: context.client_address.clone() };
                Self::record_audit_event(
                    &mut transaction,
                    &context,
                    "sso.identity_linked",
                    &format!("user:{}", user.0),
                    serde_json::json!({ "provider": identity.provider, "issuer": identity.issuer }),
                )
                .await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn sso_identities_of(
                &self,
                user: UserId,
            ) -> Result<Vec<crate::sso::SsoIdentity>, StoreError> {
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT issuer, subject, provider FROM sso_identities WHERE user_id = $1 ORDER BY created_at, issuer, subject",
                )
                .bind(user.0)
                .fetch_all(self.read_pool())
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(crate::sso::SsoIdentity {
                            issuer: row.try_get("issuer")?,
                            subject: row.try_get("subject")?,
                            provider: row.try_get("provider")?,
                        })
                    })
                    .collect()
            }
        }

        impl $store {
            /// Links `identity` to `user` inside `transaction`; `Conflict` when it is linked.
            async fn insert_sso_identity_in(
                transaction: &mut WriteTransaction<'_>,
                user: UserId,
                identity: &crate::sso::SsoIdentity,
                now: jiff::Timestamp,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO sso_identities (issuer, subject, user_id, provider, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&identity.issuer)
                .bind(&identity.subject)
                .bind(user.0)
                .bind(&identity.provider)
                .bind(crate::timestamp::StoredInstant(now))
                .execute(&mut **transaction)
                .await
                .map_err(|error| StoreError::from_write(error, "an account for this identity"))?;
                Ok(())
            }
        }
    };
}

pub(crate) use shared_sso_impl;
