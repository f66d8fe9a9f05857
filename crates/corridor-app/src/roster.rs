//! Who does what at an institution, as its admins and the platform admin steer it: the
//! institution's people and their roles, appointing and removing instrument managers and
//! institution admins, qualifications granted or revoked in bulk, new institutions; and each
//! person's own web sessions (see them, end one).
//!
//! The rules live here once, for the pages and the API alike:
//! - an institution's roster and its roles are steered by its institution admins and by
//!   platform admins ([`User::admits_members_of`]);
//! - only admitted members of the institution are appointed; anyone is removed;
//! - an admin does not remove their own admin role (another admin or the platform does), so
//!   an institution is never left without the person who was steering it by a slip;
//! - qualifications are granted on an instrument by those who manage its institution's
//!   instruments, for people named by their addresses, all or nothing;
//! - institutions are created by platform admins only.

use corridor_domain::{
    CityCode, EmailAddress, InstitutionId, InstitutionKind, InstrumentId, Membership, Role, Sector,
    User, UserId,
};
use corridor_store::{NewInstitution, RosterEntry, SessionInfo, Store};

use crate::actor::Actor;
use crate::error::{AppError, AppResult};

/// How many addresses and instruments one bulk change of qualifications may name.
pub const MAX_BULK_PEOPLE: usize = 200;
pub const MAX_BULK_INSTRUMENTS: usize = 50;

/// The roles an institution's admins hand out at their institution.
pub const APPOINTABLE_ROLES: [Role; 2] = [Role::InstrumentManager, Role::InstitutionAdmin];

/// A web session of the person asking, marked when it is the one they ask from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnSession {
    pub session: SessionInfo,
    pub current: bool,
}

/// What a bulk change of qualifications did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkQualificationOutcome {
    /// Qualifications granted or revoked (pairs already so are not counted).
    pub changed: u64,
    pub instruments: usize,
    pub people: usize,
}

/// The fields of a new institution as a platform admin types them.
#[derive(Debug, Clone, Default)]
pub struct InstitutionFields {
    pub kind: String,
    pub name_en: String,
    pub name_zh: String,
    pub city_code: String,
    pub sector: String,
}

pub struct Roster<'a> {
    pub(crate) store: &'a dyn Store,
}

fn require_steering(user: &User, institution: InstitutionId) -> AppResult<()> {
    if user.admits_members_of(institution) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the institution's admins steer its people and roles".into(),
        ))
    }
}

/// Reads a list of addresses separated by spaces, commas, semicolons or new lines (as people
/// paste them from a spreadsheet or a mail), each checked, duplicates dropped.
pub fn parse_address_list(text: &str) -> AppResult<Vec<EmailAddress>> {
    let mut addresses: Vec<EmailAddress> = Vec::new();
    for word in text
        .split(|character: char| character.is_whitespace() || ",;，；、".contains(character))
        .filter(|word| !word.is_empty())
    {
        let address = EmailAddress::parse(word)
            .map_err(|_| AppError::invalid("people", format!("{word} is not an e-mail address")))?;
        if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    if addresses.is_empty() {
        return Err(AppError::invalid(
            "people",
            "name at least one e-mail address",
        ));
    }
    if addresses.len() > MAX_BULK_PEOPLE {
        return Err(AppError::invalid(
            "people",
            format!("at most {MAX_BULK_PEOPLE} addresses at once"),
        ));
    }
    Ok(addresses)
}

impl Roster<'_> {
    /// The people of `institution` (its members, and whoever holds a role there) with their
    /// roles at it.
    pub async fn institution_roster(
        &self,
        actor: &Actor,
        institution: InstitutionId,
    ) -> AppResult<Vec<RosterEntry>> {
        require_steering(actor.require_user()?, institution)?;
        Ok(self.store.institution_roster(institution, 5_000).await?)
    }

    /// Appoints (`held`) or removes `person` as `role` at `institution`; answers whether
    /// anything changed. The change is an audit event.
    pub async fn set_role(
        &self,
        actor: &Actor,
        institution: InstitutionId,
        person: UserId,
        role: Role,
        held: bool,
    ) -> AppResult<bool> {
        let user = actor.require_user()?;
        require_steering(user, institution)?;
        if !APPOINTABLE_ROLES.contains(&role) {
            return Err(AppError::invalid(
                "role",
                "an institution appoints instrument managers and institution admins",
            ));
        }
        if !held && role == Role::InstitutionAdmin && person == user.id {
            return Err(AppError::Conflict(
                "you cannot remove your own admin role; ask another admin of the institution or the platform"
                    .into(),
            ));
        }
        if held {
            let standing = self.store.account_standing_of(person).await?;
            let admitted_here = standing.as_ref().is_some_and(|standing| {
                standing.user.home_institution == institution
                    && standing.membership == Membership::Admitted
            });
            if !admitted_here {
                return Err(AppError::Conflict(
                    "only an admitted member of the institution is appointed; admit them first"
                        .into(),
                ));
            }
        }
        Ok(self
            .store
            .set_institution_role(person, institution, role, held, &actor.audit_context())
            .await?)
    }

    /// [`Roster::set_role`] for the person with this address (how a platform admin names an
    /// institution's first admin). `NotFound` when no account has it.
    pub async fn set_role_by_email(
        &self,
        actor: &Actor,
        institution: InstitutionId,
        email: &str,
        role: Role,
        held: bool,
    ) -> AppResult<bool> {
        require_steering(actor.require_user()?, institution)?;
        let address = EmailAddress::parse(email)
            .map_err(|_| AppError::invalid("email", "must be an e-mail address"))?;
        let person = self
            .store
            .users_by_email(std::slice::from_ref(&address))
            .await?
            .into_iter()
            .next()
            .flatten()
            .ok_or_else(|| {
                AppError::NotFound(format!("no account has the address {}", address.as_str()))
            })?;
        self.set_role(actor, institution, person, role, held).await
    }

    /// Grants (`granted`) or revokes the qualification of the people with these addresses on
    /// these instruments, all or nothing: every instrument must be one the actor manages and
    /// every address an account's.
    pub async fn set_qualifications_in_bulk(
        &self,
        actor: &Actor,
        instruments: &[InstrumentId],
        addresses: &str,
        granted: bool,
    ) -> AppResult<BulkQualificationOutcome> {
        let user = actor.require_user()?;
        let mut wanted: Vec<InstrumentId> = instruments.to_vec();
        wanted.sort();
        wanted.dedup();
        if wanted.is_empty() {
            return Err(AppError::invalid(
                "instruments",
                "name at least one instrument",
            ));
        }
        if wanted.len() > MAX_BULK_INSTRUMENTS {
            return Err(AppError::invalid(
                "instruments",
                format!("at most {MAX_BULK_INSTRUMENTS} instruments at once"),
            ));
        }
        let addresses = parse_address_list(addresses)?;
        for instrument in &wanted {
            let found = self
                .store
                .instrument(*instrument)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("no instrument {}", instrument.0)))?;
            if !user.may_manage_instruments_of(found.instrument.institution) {
                return Err(AppError::Forbidden(format!(
                    "you do not manage instrument {}",
                    instrument.0
                )));
            }
        }
        let found = self.store.users_by_email(&addresses).await?;
        let unknown: Vec<String> = addresses
            .iter()
            .zip(&found)
            .filter(|(_, person)| person.is_none())
            .map(|(address, _)| address.as_str().to_owned())
            .collect();
        if !unknown.is_empty() {
            return Err(AppError::invalid(
                "people",
                format!("no account has these addresses: {}", unknown.join(", ")),
            ));
        }
        let people: Vec<UserId> = found.into_iter().flatten().collect();
        let changed = self
            .store
            .set_qualifications(
                &wanted,
                &people,
                granted,
                corridor_store::now(),
                &actor.audit_context(),
            )
            .await?;
        Ok(BulkQualificationOutcome {
            changed,
            instruments: wanted.len(),
            people: people.len(),
        })
    }

    /// The live web sessions of the person asking; `current_token_hash` marks the one they
    /// ask from.
    pub async fn my_sessions(
        &self,
        actor: &Actor,
        current_token_hash: Option<&str>,
    ) -> AppResult<Vec<OwnSession>> {
        let user = actor.require_user()?;
        let sessions = self
            .store
            .sessions_of_user(user.id, corridor_store::now())
            .await?;
        Ok(sessions
            .into_iter()
            .map(|session| OwnSession {
                current: Some(session.token_hash.as_str()) == current_token_hash,
                session,
            })
            .collect())
    }

    /// Ends one of the asking person's sessions (a lost phone, a shared computer).
    /// `Invalid` for a malformed name; `NotFound` for a session that is not theirs or has
    /// ended.
    pub async fn end_my_session(&self, actor: &Actor, token_hash: &str) -> AppResult<()> {
        let user = actor.require_user()?;
        let well_formed =
            token_hash.len() == 64 && token_hash.bytes().all(|byte| byte.is_ascii_hexdigit());
        if !well_formed {
            return Err(AppError::invalid(
                "session_id",
                "a session is named by the 64 hexadecimal digits its listing shows",
            ));
        }
        if self
            .store
            .end_session_of_user(user.id, token_hash, &actor.audit_context())
            .await?
        {
            Ok(())
        } else {
            Err(AppError::NotFound("no such session".into()))
        }
    }

    /// Creates an institution: platform admins only. Its admins are then appointed by
    /// address once they have accounts there.
    pub async fn create_institution(
        &self,
        actor: &Actor,
        fields: &InstitutionFields,
    ) -> AppResult<InstitutionId> {
        let user = actor.require_user()?;
        if !user.has_role(Role::PlatformAdmin) {
            return Err(AppError::Forbidden(
                "only platform admins create institutions".into(),
            ));
        }
        let name_en = bounded_name("name_en", &fields.name_en)?;
        let name_zh = bounded_name("name_zh", &fields.name_zh)?;
        let kind = InstitutionKind::parse(fields.kind.trim())
            .map_err(|error| AppError::invalid("kind", error.reason))?;
        let sector = Sector::parse(fields.sector.trim())
            .map_err(|error| AppError::invalid("sector", error.reason))?;
        let city_code = fields
            .city_code
            .trim()
            .parse::<u32>()
            .ok()
            .and_then(|code| CityCode::new(code).ok())
            .ok_or_else(|| AppError::invalid("city_code", "must be a six-digit city code"))?;
        Ok(self
            .store
            .create_institution(
                &NewInstitution {
                    kind,
                    name_en,
                    name_zh,
                    city_code,
                    sector,
                },
                &actor.audit_context(),
            )
            .await?)
    }
}

fn bounded_name(field: &str, text: &str) -> AppResult<String> {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 {
        return Err(AppError::invalid(field, "must be 1 to 200 characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(AppError::invalid(field, "must not hold control characters"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_lists_are_read_as_people_paste_them() {
        let addresses =
            parse_address_list("a@x.org, b@x.org;c@x.org\nA@X.org  d@x.org，e@x.org").unwrap();
        let texts: Vec<&str> = addresses.iter().map(EmailAddress::as_str).collect();
        assert_eq!(
            texts,
            ["a@x.org", "b@x.org", "c@x.org", "d@x.org", "e@x.org"]
        );
        assert!(matches!(
            parse_address_list(" , \n"),
            Err(AppError::Invalid { .. })
        ));
        let error = parse_address_list("a@x.org not-an-address").unwrap_err();
        assert!(error.to_string().contains("not-an-address"));
        let many: String = (0..=MAX_BULK_PEOPLE)
            .map(|index| format!("p{index}@x.org "))
            .collect();
        assert!(parse_address_list(&many).is_err());
    }
}
