//! Results grouped by kind: the region has hundreds of instruments of one kind (and dozens
//! of one model at different institutions), so a broad query listed one by one shows one kind
//! ten times. Grouped, each result is a kind (or a model of a kind) with how many instruments
//! it has, at how many institutions, the caller's price range and the nearest one, and the
//! first page shows as many kinds as it has rows.
//!
//! A kind is an instrument name as [`crate::text::exact_key`] writes it: catalogues name
//! one kind of instrument the same way, and an institution whose name differs is its own
//! kind until its catalogue is cleaned (the importer's concern, not the index's).

use std::collections::HashMap;

use corridor_domain::{CityCode, Fen, InstrumentId};

/// How results come: one row per instrument, per kind, or per model of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    #[default]
    Flat,
    Kind,
    Model,
}

/// One row of grouped results; its best instrument (by the request's order) is the hit at
/// the same place in [`crate::SearchResults::hits`].
#[derive(Debug, Clone, PartialEq)]
pub struct SearchGroup {
    /// The kind's key (with `|` and the model's key when grouped by model): what
    /// [`crate::SearchFilters::kind`] takes to open the group.
    pub key: String,
    /// The model, when grouped by model.
    pub model: Option<String>,
    /// The instruments of the group that pass the filters.
    pub instruments: u64,
    pub institutions: u64,
    /// The distinct cities the instruments are in, for a caller who ranks them by rail.
    pub cities: Vec<CityCode>,
    /// The caller's hourly rates, cheapest and dearest.
    pub lowest_rate: Fen,
    pub highest_rate: Fen,
    /// The nearest instrument to the request's origin, and how far it is.
    pub nearest: Option<(InstrumentId, f64)>,
    /// With a free-time filter: the earliest start of a free run among the instruments.
    pub earliest_free: Option<jiff::Timestamp>,
}

/// The interned keys of kinds and models, by position in the columns.
#[derive(Default)]
pub struct GroupKeys {
    keys: Vec<String>,
    indexes: HashMap<String, u32>,
}

impl GroupKeys {
    pub fn intern(&mut self, key: String) -> u32 {
        if let Some(index) = self.indexes.get(&key) {
            return *index;
        }
        let index = self.keys.len() as u32;
        self.indexes.insert(key.clone(), index);
        self.keys.push(key);
        index
    }

    pub fn index_of(&self, key: &str) -> Option<u32> {
        self.indexes.get(key).copied()
    }

    pub fn key(&self, index: u32) -> &str {
        &self.keys[index as usize]
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

/// One group's running totals in the selection loop.
pub struct GroupTally<C> {
    pub best: C,
    pub instruments: u64,
    pub institutions: Vec<u32>,
    pub cities: Vec<u32>,
    pub lowest_rate: Fen,
    pub highest_rate: Fen,
    /// The position and dot product (larger is nearer) of the nearest instrument.
    pub nearest: Option<(u32, f64)>,
    pub earliest_free: Option<jiff::Timestamp>,
}

impl<C> GroupTally<C> {
    pub fn new(first: C, rate: Fen) -> GroupTally<C> {
        GroupTally {
            best: first,
            instruments: 0,
            institutions: Vec::new(),
            cities: Vec::new(),
            lowest_rate: rate,
            highest_rate: rate,
            nearest: None,
            earliest_free: None,
        }
    }

    /// Counts one more instrument of the group.
    pub fn count(&mut self, institution: u32, city: u32, rate: Fen, position: u32, dot: f64) {
        self.instruments += 1;
        // Pushed with repeats, and made distinct only for the groups of the page
        // ([`Self::distinct`]): a sorted insert per instrument cost the empty query (every
        // instrument, grouped) 3 ms.
        self.institutions.push(institution);
        self.cities.push(city);
        self.lowest_rate = self.lowest_rate.min(rate);
        self.highest_rate = self.highest_rate.max(rate);
        if self.nearest.is_none_or(|(_, nearest)| dot > nearest) {
            self.nearest = Some((position, dot));
        }
    }

    /// Makes the institution and city lists distinct, once the group is on the page.
    pub fn distinct(&mut self) {
        for list in [&mut self.institutions, &mut self.cities] {
            list.sort_unstable();
            list.dedup();
        }
    }

    /// Counts one instrument's earliest free run.
    pub fn free_from(&mut self, start: Option<jiff::Timestamp>) {
        if let Some(start) = start {
            if self.earliest_free.is_none_or(|earliest| start < earliest) {
                self.earliest_free = Some(start);
            }
        }
    }
}
