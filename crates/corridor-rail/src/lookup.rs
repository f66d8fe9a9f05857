//! Finding the stations a person means: by the source's id or code, by the exact name in
//! either language (any case), by a city, by pinyin for Chinese names (`shanghaihongqiao`,
//! `Shanghai Hongqiao`), or by a prefix that only one station has. When nothing or several
//! stations match, the error names the closest stations so the person can pick.
//!
//! The rules are tried from the most to the least specific, and the first that matches
//! anything decides: a station code never loses to a prefix of another station's name.

use crate::model::{Station, StationId, Timetable};
use pinyin::ToPinyin;

/// Why a place could not be resolved to stations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceLookupError {
    #[error("the timetable has no stations: it imported no train with two stops")]
    EmptyTimetable,
    #[error("no station or city {wanted:?} in the timetable{}", closest_names(.closest))]
    NotFound {
        wanted: String,
        closest: Vec<String>,
    },
    #[error("{wanted:?} could be several stations: {}; type more of the name", .candidates.join(", "))]
    Ambiguous {
        wanted: String,
        candidates: Vec<String>,
    },
}

fn closest_names(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!("; the closest names are {}", closest.join(", "))
    }
}

/// How many names an error suggests.
const SUGGESTIONS: usize = 5;

/// Lower case, without spaces, hyphens, apostrophes or dots: how names and pinyin compare.
fn folded(text: &str) -> String {
    text.chars()
        .filter(|character| !matches!(character, ' ' | '-' | '\'' | '’' | '.' | '·' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Toneless pinyin of the Chinese characters of `text`, other characters kept, folded.
pub fn pinyin_of(text: &str) -> String {
    let mut spelled = String::new();
    for (character, reading) in text.chars().zip(text.to_pinyin()) {
        match reading {
            Some(reading) => spelled.push_str(reading.plain()),
            None => spelled.push(character),
        }
    }
    folded(&spelled)
}

/// What a person sees as the station's name in a list: `上海虹桥 (Shanghai Hongqiao)`.
pub fn display_name(station: &Station) -> String {
    match &station.english_name {
        Some(english) if *english != station.name => format!("{} ({english})", station.name),
        _ => station.name.clone(),
    }
}

/// The keys a station answers to by folded text: its names and the pinyin of its name.
fn folded_keys(station: &Station) -> Vec<String> {
    let mut keys = vec![folded(&station.name)];
    if let Some(english) = &station.english_name {
        keys.push(folded(english));
    }
    let pinyin = pinyin_of(&station.name);
    if !keys.contains(&pinyin) {
        keys.push(pinyin);
    }
    keys
}

impl Timetable {
    /// The stations `text` names (several for a city), or why there are none; see the module.
    pub fn find_place(&self, text: &str) -> Result<Vec<StationId>, PlaceLookupError> {
        if self.stations.is_empty() {
            return Err(PlaceLookupError::EmptyTimetable);
        }
        let wanted = text.trim();
        let wanted_folded = folded(wanted);
        let all = |predicate: &dyn Fn(&Station) -> bool| -> Vec<StationId> {
            (0..self.stations.len() as u32)
                .map(StationId)
                .filter(|&id| predicate(self.station(id)))
                .collect()
        };
        let by_id = all(&|station| {
            station.source_id.as_deref() == Some(wanted)
                || station
                    .code
                    .as_deref()
                    .is_some_and(|code| code.eq_ignore_ascii_case(wanted))
        });
        if !by_id.is_empty() {
            return Ok(by_id);
        }
        // A city named exactly, or by code, or in pinyin gives all its stations, unless one
        // station's own name matches with the city having only that station anyway.
        let by_city = all(&|station| {
            station.city_name == wanted
                || wanted
                    .parse::<u32>()
                    .is_ok_and(|code| station.city_admin_code == Some(code))
                || (!wanted_folded.is_empty()
                    && wanted_folded.chars().all(|c| c.is_ascii_alphanumeric())
                    && pinyin_of(&station.city_name) == wanted_folded)
        });
        let wanted_lowercase = wanted.to_lowercase();
        let by_name = all(&|station| {
            station.name == wanted
                || station
                    .english_name
                    .as_deref()
                    .is_some_and(|english| english.to_lowercase() == wanted_lowercase)
        });
        if !by_city.is_empty() && by_city.len() >= by_name.len() {
            return Ok(by_city);
        }
        if !by_name.is_empty() {
            return Ok(by_name);
        }
        // The folded names and pinyin of every station, made once for the last three rules.
        let keys: Vec<Vec<String>> = self.stations.iter().map(folded_keys).collect();
        if wanted_folded.is_empty() {
            return Err(not_found(self, &keys, wanted));
        }
        let with_keys = |predicate: &dyn Fn(&[String]) -> bool| -> Vec<StationId> {
            (0..self.stations.len())
                .filter(|&index| predicate(&keys[index]))
                .map(|index| StationId(index as u32))
                .collect()
        };
        let by_folded = with_keys(&|keys| keys.contains(&wanted_folded));
        if !by_folded.is_empty() {
            return Ok(by_folded);
        }
        let by_prefix = with_keys(&|keys| keys.iter().any(|key| key.starts_with(&wanted_folded)));
        match by_prefix.len() {
            0 => Err(not_found(self, &keys, wanted)),
            1 => Ok(by_prefix),
            _ => Err(PlaceLookupError::Ambiguous {
                wanted: wanted.to_string(),
                candidates: by_prefix
                    .iter()
                    .take(12)
                    .map(|&id| display_name(self.station(id)))
                    .collect(),
            }),
        }
    }
}

/// The not-found error with the stations whose names (`keys`, from [`folded_keys`]) are
/// closest by edit distance.
fn not_found(timetable: &Timetable, keys: &[Vec<String>], wanted: &str) -> PlaceLookupError {
    let wanted_folded = folded(wanted);
    let mut scored: Vec<(usize, String)> = timetable
        .stations
        .iter()
        .zip(keys)
        .map(|(station, keys)| {
            let distance = keys
                .iter()
                .map(|key| strsim::levenshtein(key, &wanted_folded))
                .min()
                .unwrap_or(usize::MAX);
            (distance, display_name(station))
        })
        .collect();
    scored.sort();
    scored.dedup_by(|later, earlier| later.1 == earlier.1);
    PlaceLookupError::NotFound {
        wanted: wanted.to_string(),
        closest: scored
            .into_iter()
            .take(SUGGESTIONS)
            .map(|(_, name)| name)
            .collect(),
    }
}
