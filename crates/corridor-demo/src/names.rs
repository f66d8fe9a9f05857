//! Small naming rules of the generator: e-mail domains, site names, sector shares and the
//! opening-hour patterns that instrument managers actually post.

use corridor_domain::InstitutionKind;
use rand::Rng;

/// Lower-case initials of the significant words of an English name, for e-mail domains:
/// "Shanghai Jiao Tong University" → "sjtu".
pub fn initials(name: &str) -> String {
    const SKIPPED: [&str; 6] = ["of", "and", "the", "for", "&", "at"];
    name.split(|c: char| c.is_whitespace() || c == '-' || c == ',')
        .filter(|word| !word.is_empty() && !SKIPPED.contains(&word.to_ascii_lowercase().as_str()))
        .filter_map(|word| word.chars().next())
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

pub fn site_name(kind: InstitutionKind, index: usize) -> (String, String) {
    const CAMPUSES: [(&str, &str); 4] = [
        ("Main campus", "主校区"),
        ("East campus", "东校区"),
        ("Science park campus", "科技园校区"),
        ("North campus", "北校区"),
    ];
    match kind {
        InstitutionKind::University => {
            let (en, zh) = CAMPUSES[index % CAMPUSES.len()];
            (en.to_owned(), zh.to_owned())
        }
        InstitutionKind::Corporation => (
            "Headquarters and R&D centre".to_owned(),
            "总部及研发中心".to_owned(),
        ),
        InstitutionKind::Hospital => ("Main hospital".to_owned(), "本部".to_owned()),
        InstitutionKind::ResearchInstitute => ("Institute campus".to_owned(), "所区".to_owned()),
        InstitutionKind::FacilityOperator => {
            ("Zhangjiang facility site".to_owned(), "张江园区".to_owned())
        }
    }
}

/// Relative number of innovative firms per sector in the region.
pub fn sector_weight(code: &str) -> u32 {
    match code {
        "integrated_circuits" => 24,
        "biomedicine" => 24,
        "artificial_intelligence" => 18,
        "new_materials" => 14,
        "automotive" => 12,
        "aerospace" => 8,
        _ => 5,
    }
}

/// Weekly opening hours, in the shares seen on sharing platforms: most instruments keep
/// office hours, some take a lunch break, some run evenings and Saturdays, and a few
/// (sequencers, clusters) run around the clock.
pub fn opening_hours_pattern(rng: &mut impl Rng) -> &'static str {
    match rng.gen_range(0..100) {
        0..=44 => "Mon-Fri 08:30-17:30",
        45..=64 => "Mon-Fri 08:00-12:00,13:30-17:30",
        65..=79 => "Mon-Fri 08:00-21:00; Sat 09:00-17:00",
        80..=89 => "Mon-Sun 00:00-24:00",
        _ => "Mon-Fri 09:00-17:00",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_skip_small_words() {
        assert_eq!(initials("Shanghai Jiao Tong University"), "sjtu");
        assert_eq!(
            initials("University of Science and Technology of China"),
            "ustc"
        );
    }
}
