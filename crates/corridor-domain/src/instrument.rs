use serde::{Deserialize, Serialize};

use crate::institution::coded_enum;
use crate::{
    DomainError, Fen, Institution, InstitutionId, ProvinceCode, SiteId, TimeZoneName,
    WeeklyOpeningHours,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InstrumentId(pub i64);

/// A class of the instrument taxonomy: two digits for a top-level class ("01" analytical
/// instruments), four for a subclass ("0102" mass spectrometry).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CategoryCode(String);

impl CategoryCode {
    pub fn parse(code: &str) -> Result<CategoryCode, DomainError> {
        let code = code.trim();
        if (code.len() == 2 || code.len() == 4) && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(CategoryCode(code.to_owned()))
        } else {
            Err(DomainError::invalid(
                "category",
                format!("{code:?} is not a category code (two or four digits, e.g. 01 or 0102)"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The top-level class this code belongs to ("0102" → "01").
    pub fn top_level(&self) -> CategoryCode {
        CategoryCode(self.0[..2].to_owned())
    }

    pub fn is_top_level(&self) -> bool {
        self.0.len() == 2
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrumentCategory {
    pub code: CategoryCode,
    pub parent: Option<CategoryCode>,
    pub name_en: String,
    pub name_zh: String,
}

coded_enum!(
    /// Who may book an instrument at all.
    AccessPolicy, "access_policy" {
        Open => "open",
        Region => "region",
        OwnInstitution => "own_institution",
    }
);

coded_enum!(
    /// Whether a booking is confirmed at once or waits for the instrument manager.
    BookingMode, "booking_mode" {
        Instant => "instant",
        NeedsApproval => "needs_approval",
    }
);

coded_enum!(
    /// The rate a user pays depends on who they are relative to the provider.
    UserClass, "user_class" {
        OwnInstitution => "own_institution",
        OtherAcademic => "other_academic",
        Industry => "industry",
    }
);

impl UserClass {
    /// A member of the provider pays the internal rate; any other academic, hospital or
    /// facility member pays the academic rate; a company pays the industry rate.
    pub fn of(user_home: &Institution, provider: InstitutionId) -> UserClass {
        if user_home.id == provider {
            UserClass::OwnInstitution
        } else if user_home.kind.is_academic() {
            UserClass::OtherAcademic
        } else {
            UserClass::Industry
        }
    }
}

impl AccessPolicy {
    /// Whether a user whose home institution is `user_home`, in `user_province`, may book an
    /// instrument with this policy held by `provider`.
    pub fn admits(
        self,
        user_home: InstitutionId,
        user_province: ProvinceCode,
        provider: InstitutionId,
    ) -> bool {
        match self {
            AccessPolicy::Open => true,
            AccessPolicy::Region => user_province.is_in_region(),
            AccessPolicy::OwnInstitution => user_home == provider,
        }
    }
}

/// Hourly rates per user class, in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourlyRates {
    pub own_institution_fen: Fen,
    pub other_academic_fen: Fen,
    pub industry_fen: Fen,
}

impl HourlyRates {
    /// Rates must be non-negative; a provider may charge its own members nothing.
    pub fn new(
        own_institution: Fen,
        other_academic: Fen,
        industry: Fen,
    ) -> Result<HourlyRates, DomainError> {
        for (field, rate) in [
            ("rate_own_institution_fen", own_institution),
            ("rate_other_academic_fen", other_academic),
            ("rate_industry_fen", industry),
        ] {
            if rate.0 < 0 {
                return Err(DomainError::invalid(field, "a rate cannot be negative"));
            }
            if rate > Fen::MAX_HOURLY_RATE {
                return Err(DomainError::invalid(
                    field,
                    format!(
                        "at most {} fen ({}) per hour",
                        Fen::MAX_HOURLY_RATE.0,
                        Fen::MAX_HOURLY_RATE
                    ),
                ));
            }
        }
        Ok(HourlyRates {
            own_institution_fen: own_institution,
            other_academic_fen: other_academic,
            industry_fen: industry,
        })
    }

    pub fn for_class(&self, class: UserClass) -> Fen {
        match class {
            UserClass::OwnInstitution => self.own_institution_fen,
            UserClass::OtherAcademic => self.other_academic_fen,
            UserClass::Industry => self.industry_fen,
        }
    }
}

/// A bookable piece of equipment at a provider institution's site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instrument {
    pub id: InstrumentId,
    pub institution: InstitutionId,
    pub site: SiteId,
    pub category: CategoryCode,
    pub name_en: String,
    pub name_zh: String,
    pub techniques: Vec<String>,
    pub keywords: Vec<String>,
    pub manufacturer: String,
    pub model: String,
    pub year_of_manufacture: i32,
    pub purchase_value: Fen,
    pub description_en: String,
    pub description_zh: String,
    pub access_policy: AccessPolicy,
    pub rates: HourlyRates,
    pub booking_mode: BookingMode,
    pub training_required: bool,
    pub opening_hours: WeeklyOpeningHours,
    pub time_zone: TimeZoneName,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CityCode, InstitutionKind, Sector};

    fn institution(id: i64, kind: InstitutionKind) -> Institution {
        Institution {
            id: InstitutionId(id),
            kind,
            name_en: "X".into(),
            name_zh: "X".into(),
            city: CityCode::new(310000).unwrap(),
            sector: Sector::PublicResearch,
            university_tier: None,
        }
    }

    #[test]
    fn user_class_follows_the_users_home_institution() {
        let provider = InstitutionId(1);
        assert_eq!(
            UserClass::of(&institution(1, InstitutionKind::University), provider),
            UserClass::OwnInstitution
        );
        assert_eq!(
            UserClass::of(&institution(2, InstitutionKind::Hospital), provider),
            UserClass::OtherAcademic
        );
        assert_eq!(
            UserClass::of(&institution(3, InstitutionKind::Corporation), provider),
            UserClass::Industry
        );
        // A corporation that owns the instrument pays its own internal rate.
        assert_eq!(
            UserClass::of(&institution(1, InstitutionKind::Corporation), provider),
            UserClass::OwnInstitution
        );
    }

    #[test]
    fn access_policy_admits_by_region_and_institution() {
        let provider = InstitutionId(1);
        assert!(AccessPolicy::Open.admits(InstitutionId(9), ProvinceCode::Outside, provider));
        assert!(!AccessPolicy::Region.admits(InstitutionId(9), ProvinceCode::Outside, provider));
        assert!(AccessPolicy::Region.admits(InstitutionId(9), ProvinceCode::Anhui, provider));
        assert!(!AccessPolicy::OwnInstitution.admits(
            InstitutionId(9),
            ProvinceCode::Shanghai,
            provider
        ));
        assert!(AccessPolicy::OwnInstitution.admits(provider, ProvinceCode::Shanghai, provider));
    }

    #[test]
    fn category_codes_are_two_or_four_digits() {
        assert_eq!(
            CategoryCode::parse("0102").unwrap().top_level().as_str(),
            "01"
        );
        assert!(CategoryCode::parse("01").unwrap().is_top_level());
        for bad in ["1", "010", "01a2", "", "010203"] {
            assert!(CategoryCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_are_non_negative_and_picked_by_class() {
        let rates = HourlyRates::new(Fen(100), Fen(200), Fen(300)).unwrap();
        assert_eq!(rates.for_class(UserClass::Industry), Fen(300));
        assert!(HourlyRates::new(Fen(-1), Fen(0), Fen(0)).is_err());
    }
}
