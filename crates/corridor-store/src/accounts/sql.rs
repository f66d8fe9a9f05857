//! `AccountStore` for both engines: the same SQL, expanded per engine.

macro_rules! shared_account_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Queues one account mail for `user` inside `transaction`, to `recipient` when it
            /// is not the account's own address.
            async fn insert_account_mail_in(
                transaction: &mut WriteTransaction<'_>,
                user: UserId,
                recipient: Option<&corridor_domain::EmailAddress>,
                mail: &crate::accounts::AccountMail,
                now: jiff::Timestamp,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO notifications (user_id, kind, subject, body, created_at, recipient_email) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(user.0)
                .bind(&mail.kind)
                .bind(&mail.subject)
                .bind(&mail.body)
                .bind(crate::timestamp::StoredInstant(now))
                .bind(recipient.map(|address| address.as_str().to_owned()))
                .execute(&mut **transaction)
                .await?;
                Ok(())
            }

            /// Stores `link` for `user` inside `transaction` after voiding the user's unused
            /// links of the same purpose.
            async fn insert_account_link_in(
                transaction: &mut WriteTransaction<'_>,
                user: UserId,
                link: &crate::accounts::NewAccountLink,
                now: jiff::Timestamp,
            ) -> Result<(), StoreError> {
                use crate::timestamp::StoredInstant;
                sqlx::query(
                    "UPDATE account_links SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
                )
                .bind(StoredInstant(now))
                .bind(user.0)
                .bind(link.purpose.as_code())
                .execute(&mut **transaction)
                .await?;
                sqlx::query(
                    "INSERT INTO account_links (token_hash, user_id, purpose, new_email, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&link.token_hash)
                .bind(user.0)
                .bind(link.purpose.as_code())
                .bind(link.new_email.as_ref().map(|address| address.as_str().to_owned()))
                .bind(StoredInstant(now))
                .bind(StoredInstant(crate::timestamp::truncate_to_micros(link.expires_at)))
                .execute(&mut **transaction)
                .await
                .map_err(|error| StoreError::from_write(error, "a link with this secret"))?;
                Ok(())
            }

            async fn standing_from_row(
                &self,
                row: &DbRow,
            ) -> Result<crate::accounts::AccountStanding, StoreError> {
                use sqlx::Row;
                Ok(crate::accounts::AccountStanding {
                    user: self.user_from_row(row).await?,
                    email_verified: row.try_get("email_verified")?,
                    membership: stored(corridor_domain::Membership::parse(row.try_get("membership")?))?,
                    has_password: row.try_get::<Option<String>, _>("password_hash")?.is_some(),
                })
            }
        }

        #[async_trait::async_trait]
        impl crate::accounts::AccountStore for $store {
            async fn sign_up(
                &self,
                account: &NewUser,
                link: &crate::accounts::NewAccountLink,
                mail: &crate::accounts::AccountMail,
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<UserId, StoreError> {
                let mut transaction = self.begin_write().await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (email, display_name, home_institution_id, preferred_language, password_hash, created_at, email_verified, membership) \
                     VALUES ($1, $2, $3, $4, $5, $6, FALSE, 'requested') RETURNING id",
                )
                .bind(account.email.as_str())
                .bind(&account.display_name)
                .bind(account.home_institution.0)
                .bind(account.preferred_language.as_code())
                .bind(account.password_hash.as_deref())
                .bind(crate::timestamp::StoredInstant(now))
                .fetch_one(&mut *transaction)
                .await
                .map_err(|error| StoreError::from_write(error, "an account with this e-mail address"))?;
                let user = UserId(id);
                Self::insert_role_grants(&mut transaction, &[(user, account.roles.as_slice())]).await?;
                Self::insert_account_link_in(&mut transaction, user, link, now).await?;
                Self::insert_account_mail_in(&mut transaction, user, None, mail, now).await?;
                let context = AuditContext { actor: context.actor.or(Some(user)), client_address: context.client_address.clone() };
                Self::record_audit_event(
                    &mut transaction,
                    &context,
                    "account.signed_up",
                    &format!("user:{id}"),
                    serde_json::json!({ "email": account.email.as_str(), "institution": account.home_institution.0 }),
                )
                .await?;
                transaction.commit().await?;
                Ok(user)
            }

            async fn account_standing(
                &self,
                email: &corridor_domain::EmailAddress,
            ) -> Result<Option<crate::accounts::AccountStanding>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {USER_COLUMNS}, u.email_verified, u.membership, u.password_hash FROM users u WHERE u.email = $1"
                ))
                .bind(email.as_str())
                .fetch_optional(self.read_pool())
                .await?;
                match row {
                    Some(row) => Ok(Some(self.standing_from_row(&row).await?)),
                    None => Ok(None),
                }
            }

            async fn account_standing_of(
                &self,
                user: UserId,
            ) -> Result<Option<crate::accounts::AccountStanding>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {USER_COLUMNS}, u.email_verified, u.membership, u.password_hash FROM users u WHERE u.id = $1"
                ))
                .bind(user.0)
                .fetch_optional(self.read_pool())
                .await?;
                match row {
                    Some(row) => Ok(Some(self.standing_from_row(&row).await?)),
                    None => Ok(None),
                }
            }

            async fn issue_account_link(
                &self,
                user: UserId,
                link: &crate::accounts::NewAccountLink,
                mail: &crate::accounts::AccountMail,
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                if let Some(new_email) = &link.new_email {
                    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                        .bind(new_email.as_str())
                        .fetch_optional(&mut *transaction)
                        .await?;
                    if taken.is_some() {
                        return Err(StoreError::Conflict("an account with this e-mail address already exists".into()));
                    }
                }
                Self::insert_account_link_in(&mut transaction, user, link, now).await?;
                Self::insert_account_mail_in(&mut transaction, user, link.new_email.as_ref(), mail, now).await?;
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    &format!("account.link_issued.{}", link.purpose.as_code()),
                    &format!("user:{}", user.0),
                    serde_json::json!({ "expires_at": link.expires_at.to_string() }),
                )
                .await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn queue_account_mail(
                &self,
                user: UserId,
                mail: &crate::accounts::AccountMail,
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<(), StoreError> {
                let mut transaction = self.begin_write().await?;
                Self::insert_account_mail_in(&mut transaction, user, None, mail, now).await?;
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    &format!("account.mail.{}", mail.kind),
                    &format!("user:{}", user.0),
                    serde_json::json!({}),
                )
                .await?;
                transaction.commit().await?;
                Ok(())
            }

            async fn redeem_account_link(
                &self,
                token_hash: &str,
                effect: &crate::accounts::LinkEffect,
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<Option<crate::accounts::RedeemedLink>, StoreError> {
                use crate::accounts::LinkEffect;
                use crate::timestamp::StoredInstant;
                use sqlx::Row;
                let mut transaction = self.begin_write().await?;
                // Marking the link used is the step that decides: of two redemptions racing,
                // only one sees the row unused.
                let row = sqlx::query(
                    "UPDATE account_links SET used_at = $1 \
                     WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
                     RETURNING user_id, new_email",
                )
                .bind(StoredInstant(now))
                .bind(token_hash)
                .bind(effect.purpose().as_code())
                .fetch_optional(&mut *transaction)
                .await?;
                let Some(row) = row else {
                    transaction.rollback().await?;
                    return Ok(None);
                };
                let user = UserId(row.try_get("user_id")?);
                let new_email: Option<String> = row.try_get("new_email")?;
                let action = match effect {
                    LinkEffect::VerifyEmail => {
                        sqlx::query("UPDATE users SET email_verified = TRUE WHERE id = $1")
                            .bind(user.0)
                            .execute(&mut *transaction)
                            .await?;
                        "account.email_verified"
                    }
                    LinkEffect::ResetPassword { password_hash } => {
                        sqlx::query("UPDATE users SET password_hash = $1, email_verified = TRUE WHERE id = $2")
                            .bind(password_hash)
                            .bind(user.0)
                            .execute(&mut *transaction)
                            .await?;
                        // Whoever held a session with the old password is signed out.
                        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                            .bind(user.0)
                            .execute(&mut *transaction)
                            .await?;
                        // Reset links issued before this one must not work any more either.
                        sqlx::query("UPDATE account_links SET used_at = $1 WHERE user_id = $2 AND purpose = 'reset_password' AND used_at IS NULL")
                            .bind(StoredInstant(now))
                            .bind(user.0)
                            .execute(&mut *transaction)
                            .await?;
                        "account.password_reset"
                    }
                    LinkEffect::ChangeEmail => {
                        let new_email = new_email
                            .ok_or_else(|| StoreError::corrupt("a change-of-e-mail link without its address"))?;
                        sqlx::query("UPDATE users SET email = $1, email_verified = TRUE WHERE id = $2")
                            .bind(&new_email)
                            .bind(user.0)
                            .execute(&mut *transaction)
                            .await
                            .map_err(|error| StoreError::from_write(error, "an account with this e-mail address"))?;
                        "account.email_changed"
                    }
                };
                let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
                    .bind(user.0)
                    .fetch_one(&mut *transaction)
                    .await?;
                let context = AuditContext { actor: context.actor.or(Some(user)), client_address: context.client_address.clone() };
                Self::record_audit_event(&mut transaction, &context, action, &format!("user:{}", user.0), serde_json::json!({})).await?;
                transaction.commit().await?;
                Ok(Some(crate::accounts::RedeemedLink {
                    user,
                    email: stored(corridor_domain::EmailAddress::parse(&email))?,
                }))
            }

            async fn membership_requests(
                &self,
                institution: corridor_domain::InstitutionId,
                limit: u32,
            ) -> Result<Vec<crate::accounts::MembershipRequest>, StoreError> {
                use crate::timestamp::StoredInstant;
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT id, display_name, email, membership, email_verified, created_at FROM users \
                     WHERE home_institution_id = $1 AND membership <> 'admitted' ORDER BY created_at, id LIMIT $2",
                )
                .bind(institution.0)
                .bind(i64::from(limit))
                .fetch_all(self.read_pool())
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(crate::accounts::MembershipRequest {
                            user: UserId(row.try_get("id")?),
                            display_name: row.try_get("display_name")?,
                            email: stored(corridor_domain::EmailAddress::parse(row.try_get("email")?))?,
                            membership: stored(corridor_domain::Membership::parse(row.try_get("membership")?))?,
                            email_verified: row.try_get("email_verified")?,
                            signed_up_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                        })
                    })
                    .collect()
            }

            async fn decide_membership(
                &self,
                user: UserId,
                institution: corridor_domain::InstitutionId,
                decision: corridor_domain::Membership,
                mail: &crate::accounts::AccountMail,
                now: jiff::Timestamp,
                context: &AuditContext,
            ) -> Result<bool, StoreError> {
                let mut transaction = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE users SET membership = $1 WHERE id = $2 AND home_institution_id = $3 AND membership <> $1",
                )
                .bind(decision.as_code())
                .bind(user.0)
                .bind(institution.0)
                .execute(&mut *transaction)
                .await?
                .rows_affected();
                if changed == 0 {
                    transaction.rollback().await?;
                    return Ok(false);
                }
                Self::insert_account_mail_in(&mut transaction, user, None, mail, now).await?;
                Self::record_audit_event(
                    &mut transaction,
                    context,
                    &format!("membership.{}", decision.as_code()),
                    &format!("user:{}", user.0),
                    serde_json::json!({ "institution": institution.0 }),
                )
                .await?;
                transaction.commit().await?;
                Ok(true)
            }

            async fn recent_outbox_messages(
                &self,
                limit: u32,
            ) -> Result<Vec<crate::accounts::OutboxMessage>, StoreError> {
                use crate::timestamp::StoredInstant;
                use sqlx::Row;
                let rows = sqlx::query(
                    "SELECT n.id, COALESCE(n.recipient_email, u.email) AS recipient, n.kind, n.subject, n.body, \
                            n.created_at, n.sent_at, n.gave_up_at \
                     FROM notifications n JOIN users u ON u.id = n.user_id ORDER BY n.id DESC LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(self.read_pool())
                .await?;
                rows.iter()
                    .map(|row| {
                        Ok(crate::accounts::OutboxMessage {
                            id: row.try_get("id")?,
                            recipient_email: row.try_get("recipient")?,
                            kind: row.try_get("kind")?,
                            subject: row.try_get("subject")?,
                            body: row.try_get("body")?,
                            created_at: row.try_get::<StoredInstant, _>("created_at")?.0,
                            sent_at: row.try_get::<Option<StoredInstant>, _>("sent_at")?.map(|instant| instant.0),
                            gave_up_at: row.try_get::<Option<StoredInstant>, _>("gave_up_at")?.map(|instant| instant.0),
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use shared_account_impl;
