use serde::{Deserialize, Serialize};

use crate::institution::coded_enum;
use crate::{DomainError, InstitutionId, ProvinceCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// A lower-cased e-mail address with one `@`, a non-empty local part and a dotted domain.
///
/// It is deliberately not a full RFC 5322 parser: the address is a sign-in name, and the
/// only promise needed is that two spellings of one address compare equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(text: &str) -> Result<EmailAddress, DomainError> {
        let address = text.trim().to_lowercase();
        let invalid = |why: &str| {
            DomainError::invalid("email", format!("{text:?} is not an e-mail address: {why}"))
        };
        if address.len() > 254 {
            return Err(invalid("longer than 254 characters"));
        }
        let (local, domain) = address.split_once('@').ok_or_else(|| invalid("no @"))?;
        if local.is_empty() || domain.contains('@') {
            return Err(invalid("needs exactly one @ after a non-empty name"));
        }
        if !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(invalid("the domain must be dotted, like example.org"));
        }
        if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("contains spaces or control characters"));
        }
        Ok(EmailAddress(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = DomainError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&text)
    }
}

impl From<EmailAddress> for String {
    fn from(address: EmailAddress) -> String {
        address.0
    }
}

/// A password as typed at sign-in. It never appears in `Debug` output, so it cannot leak
/// into a log line by accident.
#[derive(Clone)]
pub struct PlaintextPassword(String);

impl PlaintextPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_BYTES: usize = 1_024;

    /// Accepts any password of a sane length; used at sign-in, where a wrong guess must get
    /// the same answer as an unknown account.
    pub fn for_sign_in(text: String) -> Result<PlaintextPassword, DomainError> {
        if text.is_empty() || text.len() > Self::MAX_BYTES {
            return Err(DomainError::invalid(
                "password",
                format!("must be 1 to {} bytes", Self::MAX_BYTES),
            ));
        }
        Ok(PlaintextPassword(text))
    }

    /// Accepts a password being set: at least [`Self::MIN_CHARS`] characters.
    pub fn new_choice(text: String) -> Result<PlaintextPassword, DomainError> {
        if text.chars().count() < Self::MIN_CHARS {
            return Err(DomainError::invalid(
                "password",
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        PlaintextPassword::for_sign_in(text)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PlaintextPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlaintextPassword(<redacted>)")
    }
}

coded_enum!(
    /// The interface languages; instruments and institutions carry names in both.
    Language, "lang" {
        English => "en",
        Chinese => "zh",
    }
);

coded_enum!(
    /// What a user may do. A role is granted with a scope (see [`RoleScope`]).
    Role, "role" {
        Researcher => "researcher",
        InstrumentManager => "instrument_manager",
        InstitutionAdmin => "institution_admin",
        FacilityUserOffice => "facility_user_office",
        Reviewer => "reviewer",
        VoucherOffice => "voucher_office",
        PlatformAdmin => "platform_admin",
    }
);

coded_enum!(
    /// Whether a person's home institution has admitted them. Someone who signs up names an
    /// institution and is `Requested` until its admins admit or refuse them; accounts made by
    /// an operator, the demo or an identity provider vouching for the institution are
    /// `Admitted` from the start.
    Membership, "membership" {
        Requested => "requested",
        Admitted => "admitted",
        Refused => "refused",
    }
);

/// Where a role applies: everywhere, at one institution, or in one province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum RoleScope {
    Global,
    Institution(InstitutionId),
    Province(ProvinceCode),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RoleGrant {
    pub role: Role,
    pub scope: RoleScope,
}

impl RoleGrant {
    /// Roles make sense only with a matching scope: a manager manages an institution's
    /// instruments, a voucher office belongs to a province, a platform admin is global.
    pub fn new(role: Role, scope: RoleScope) -> Result<RoleGrant, DomainError> {
        let fits = match role {
            Role::Researcher | Role::Reviewer | Role::PlatformAdmin => scope == RoleScope::Global,
            Role::InstrumentManager | Role::InstitutionAdmin | Role::FacilityUserOffice => {
                matches!(scope, RoleScope::Institution(_))
            }
            Role::VoucherOffice => {
                matches!(scope, RoleScope::Province(province) if province.is_in_region())
            }
        };
        if fits {
            Ok(RoleGrant { role, scope })
        } else {
            Err(DomainError::invalid(
                "scope",
                format!(
                    "role {} cannot be granted with scope {scope:?}",
                    role.as_code()
                ),
            ))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: EmailAddress,
    pub display_name: String,
    pub home_institution: InstitutionId,
    pub preferred_language: Language,
    pub roles: Vec<RoleGrant>,
}

impl User {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|grant| grant.role == role)
    }

    /// Whether this user may add, change and remove the instruments of `institution`: its
    /// instrument managers and admins, and platform admins.
    /// The institutions whose instruments this user manages; `None` means every institution
    /// (platform admins).
    pub fn managed_institutions(&self) -> Option<Vec<InstitutionId>> {
        if self.has_role(Role::PlatformAdmin) {
            return None;
        }
        let mut institutions: Vec<InstitutionId> = self
            .roles
            .iter()
            .filter(|grant| matches!(grant.role, Role::InstrumentManager | Role::InstitutionAdmin))
            .filter_map(|grant| match grant.scope {
                RoleScope::Institution(id) => Some(id),
                _ => None,
            })
            .collect();
        institutions.sort();
        institutions.dedup();
        Some(institutions)
    }

    /// The provinces whose voucher programmes and applications the user administers: `None`
    /// for platform admins (every province), else the provinces of their voucher-office
    /// grants (empty for everyone else).
    pub fn voucher_office_provinces(&self) -> Option<Vec<ProvinceCode>> {
        if self.has_role(Role::PlatformAdmin) {
            return None;
        }
        let mut provinces: Vec<ProvinceCode> = self
            .roles
            .iter()
            .filter(|grant| grant.role == Role::VoucherOffice)
            .filter_map(|grant| match grant.scope {
                RoleScope::Province(province) => Some(province),
                _ => None,
            })
            .collect();
        provinces.sort();
        provinces.dedup();
        Some(provinces)
    }

    /// Whether the user runs the voucher office of `province` (platform admins run all).
    pub fn runs_voucher_office_of(&self, province: ProvinceCode) -> bool {
        self.voucher_office_provinces()
            .is_none_or(|provinces| provinces.contains(&province))
    }

    /// Whether the user runs the user office of the large facility `facility` (platform
    /// admins run all): cycles, checks, reviewer assignment and allocation.
    pub fn runs_user_office_of(&self, facility: InstitutionId) -> bool {
        self.roles.iter().any(|grant| match grant.role {
            Role::PlatformAdmin => true,
            Role::FacilityUserOffice => grant.scope == RoleScope::Institution(facility),
            _ => false,
        })
    }

    /// Whether this user decides who is a member of `institution`: its institution admins,
    /// and platform admins.
    pub fn admits_members_of(&self, institution: InstitutionId) -> bool {
        self.roles.iter().any(|grant| match grant.role {
            Role::PlatformAdmin => true,
            Role::InstitutionAdmin => grant.scope == RoleScope::Institution(institution),
            _ => false,
        })
    }

    /// The institutions whose members this user admits; `None` for a platform admin (all).
    pub fn member_admitting_institutions(&self) -> Option<Vec<InstitutionId>> {
        if self.has_role(Role::PlatformAdmin) {
            return None;
        }
        Some(
            self.roles
                .iter()
                .filter_map(|grant| match (grant.role, grant.scope) {
                    (Role::InstitutionAdmin, RoleScope::Institution(institution)) => {
                        Some(institution)
                    }
                    _ => None,
                })
                .collect(),
        )
    }

    /// Whether this user may import a catalogue file for `institution`: its institution
    /// admins and platform admins, the same people who decide its members, because a file
    /// declared complete can withdraw every instrument the institution lists.
    pub fn imports_catalogue_of(&self, institution: InstitutionId) -> bool {
        self.admits_members_of(institution)
    }

    pub fn may_manage_instruments_of(&self, institution: InstitutionId) -> bool {
        self.roles.iter().any(|grant| match grant.role {
            Role::PlatformAdmin => true,
            Role::InstrumentManager | Role::InstitutionAdmin => {
                grant.scope == RoleScope::Institution(institution)
            }
            _ => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_normalised_and_checked() {
        assert_eq!(
            EmailAddress::parse("  Li.Wei@SJTU.edu.cn ")
                .unwrap()
                .as_str(),
            "li.wei@sjtu.edu.cn"
        );
        for bad in [
            "", "nobody", "@x.cn", "a@b", "a@@b.cn", "a b@c.cn", "a@.cn", "a@b..cn",
        ] {
            assert_eq!(
                EmailAddress::parse(bad).unwrap_err().field,
                "email",
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords_never_show_in_debug_output() {
        let password = PlaintextPassword::for_sign_in("correct horse".into()).unwrap();
        assert!(!format!("{password:?}").contains("horse"));
        assert!(PlaintextPassword::new_choice("short".into()).is_err());
        assert!(PlaintextPassword::for_sign_in(String::new()).is_err());
    }

    #[test]
    fn roles_need_their_kind_of_scope() {
        assert!(RoleGrant::new(Role::PlatformAdmin, RoleScope::Global).is_ok());
        assert!(RoleGrant::new(Role::InstrumentManager, RoleScope::Global).is_err());
        assert!(RoleGrant::new(
            Role::InstrumentManager,
            RoleScope::Institution(InstitutionId(3))
        )
        .is_ok());
        assert!(RoleGrant::new(
            Role::VoucherOffice,
            RoleScope::Province(ProvinceCode::Anhui)
        )
        .is_ok());
        assert!(RoleGrant::new(
            Role::VoucherOffice,
            RoleScope::Province(ProvinceCode::Outside)
        )
        .is_err());
    }
}
