//! Integration tests of corridor-rail: the scan against an independent brute-force router on
//! random timetables, and the importers and queries on real third-party data.

mod brute_force;
mod demo;
mod gtfs;
mod gtfs_rules;
mod lookup;
mod property;
mod real_data;
mod real_feeds_agree;
