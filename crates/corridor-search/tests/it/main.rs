//! The search crate's one integration-test binary: search over a generated region, its
//! facets and filters, updates and removals, and the judged query set.

mod availability;
mod groups;
mod judged;
mod search;
mod support;
mod words;
