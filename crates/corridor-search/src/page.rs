//! The page of one selection: the candidates that pass the filters compete for the `offset +
//! limit` best places in a bounded heap, ordered by the sort's key.

use jiff::Timestamp;

use corridor_domain::Fen;

/// The integer whose order is `f32::total_cmp`'s order of the float (the same bit trick).
pub fn totally_ordered_f32(value: f32) -> i64 {
    let bits = value.to_bits() as i32;
    i64::from(bits ^ ((((bits >> 31) as u32) >> 1) as i32))
}

/// The integer whose order is `f64::total_cmp`'s order of the float (the same bit trick).
pub fn totally_ordered_f64(value: f64) -> i64 {
    let bits = value.to_bits() as i64;
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

/// One selected instrument competing for the page. `key` orders candidates best first: the
/// sort's primary key made ascending, then the instrument id, so the order is total and a
/// page boundary never depends on the order candidates arrived in.
#[derive(Debug, Clone, Copy)]
pub struct PageCandidate {
    pub key: (i64, i64),
    pub position: u32,
    pub score: f32,
    pub rate: Fen,
    pub dot: f64,
    /// The start of its earliest free run, when a free-time filter found one.
    pub free_from: Option<Timestamp>,
}

impl PartialEq for PageCandidate {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for PageCandidate {}

impl PartialOrd for PageCandidate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PageCandidate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// The best `size` candidates seen so far, kept in a max-heap whose top is the worst of them:
/// a candidate that cannot make the page costs one comparison, and no query ever holds all of
/// its thousands of matches just to return twenty.
pub struct PageSelection {
    size: usize,
    best: std::collections::BinaryHeap<PageCandidate>,
}

impl PageSelection {
    pub fn new(size: usize) -> PageSelection {
        PageSelection {
            size,
            best: std::collections::BinaryHeap::with_capacity(size.min(4096)),
        }
    }

    pub fn offer(&mut self, candidate: PageCandidate) {
        if self.best.len() < self.size {
            self.best.push(candidate);
        } else if let Some(mut worst) = self.best.peek_mut() {
            if candidate < *worst {
                *worst = candidate;
            }
        }
    }

    pub fn into_best_first(self) -> Vec<PageCandidate> {
        self.best.into_sorted_vec()
    }
}
