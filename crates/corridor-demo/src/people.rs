//! Synthetic people: Chinese names from weighted surnames and common given-name characters,
//! with unique e-mail addresses at their institution's domain.

use std::collections::HashSet;

use corridor_domain::EmailAddress;
use rand::distributions::{Distribution, WeightedIndex};
use rand::Rng;

use crate::data::people_names::{GIVEN_NAME_CHARS, SURNAMES};

pub struct Person {
    pub display_name: String,
    pub email: EmailAddress,
}

pub struct PeopleGenerator {
    surname_pick: WeightedIndex<u32>,
    used_emails: HashSet<String>,
}

impl PeopleGenerator {
    pub fn new() -> PeopleGenerator {
        PeopleGenerator {
            surname_pick: WeightedIndex::new(SURNAMES.iter().map(|surname| surname.weight.max(1)))
                .expect("positive weights"),
            used_emails: HashSet::new(),
        }
    }

    /// Marks an address as taken, so that no generated person gets it.
    pub fn reserve(&mut self, email: &str) {
        self.used_emails.insert(email.to_owned());
    }

    pub fn person(&mut self, rng: &mut impl Rng, domain: &str) -> Person {
        let surname = &SURNAMES[self.surname_pick.sample(rng)];
        let given_length = if rng.gen_range(0..100) < 70 { 2 } else { 1 };
        let mut given_zh = String::new();
        let mut given_pinyin = String::new();
        for _ in 0..given_length {
            let character = &GIVEN_NAME_CHARS[rng.gen_range(0..GIVEN_NAME_CHARS.len())];
            given_zh.push_str(character.zh);
            given_pinyin.push_str(&ascii_pinyin(character.pinyin));
        }
        let surname_pinyin = ascii_pinyin(surname.pinyin);
        let mut capitalised_given = given_pinyin.clone();
        if let Some(first) = capitalised_given.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let mut capitalised_surname = surname_pinyin.clone();
        if let Some(first) = capitalised_surname.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let display_name = format!(
            "{capitalised_surname} {capitalised_given} {}{given_zh}",
            surname.zh
        );
        let base = format!("{given_pinyin}.{surname_pinyin}");
        let mut local = base.clone();
        let mut counter = 2;
        let email = loop {
            let candidate = format!("{local}@{domain}");
            if self.used_emails.insert(candidate.clone()) {
                break candidate;
            }
            local = format!("{base}{counter}");
            counter += 1;
        };
        Person {
            display_name,
            email: EmailAddress::parse(&email).expect("generated addresses are valid"),
        }
    }
}

/// Pinyin as it appears in e-mail addresses: lower-case ASCII, with ü written as v.
fn ascii_pinyin(pinyin: &str) -> String {
    pinyin
        .chars()
        .filter_map(|c| match c {
            'ü' | 'Ü' => Some('v'),
            c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}
