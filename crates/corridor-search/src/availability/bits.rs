//! Bitsets of cells: setting ranges, and finding runs of set bits a word at a time.

use super::grid::RunStarts;
use super::SLOTS_PER_CHUNK;

/// A bitset read word by word: an open pattern (a plain slice) or one instrument's lane of a
/// chunk.
pub(super) trait Words {
    fn get(&self, word: usize) -> u64;
}

pub(super) trait WordsMut: Words {
    fn set(&mut self, word: usize, value: u64);
}

impl Words for [u64] {
    fn get(&self, word: usize) -> u64 {
        self[word]
    }
}

impl WordsMut for [u64] {
    fn set(&mut self, word: usize, value: u64) {
        self[word] = value;
    }
}

/// One instrument's words in a chunk, which is laid out word-major: word `w` of the chunk's
/// instrument `lane` is at `w * SLOTS_PER_CHUNK + lane`. A query reads the same few words of
/// every instrument, so in this layout it streams through a few runs of adjacent memory
/// instead of touching one cache line per instrument 336 bytes apart.
pub(super) struct Lane<C> {
    pub(super) chunk: C,
    pub(super) lane: usize,
}

impl Words for Lane<&[u64]> {
    fn get(&self, word: usize) -> u64 {
        self.chunk[word * SLOTS_PER_CHUNK + self.lane]
    }
}

impl Words for Lane<&mut [u64]> {
    fn get(&self, word: usize) -> u64 {
        self.chunk[word * SLOTS_PER_CHUNK + self.lane]
    }
}

impl WordsMut for Lane<&mut [u64]> {
    fn set(&mut self, word: usize, value: u64) {
        self.chunk[word * SLOTS_PER_CHUNK + self.lane] = value;
    }
}

/// Sets (or clears) the bits `[first, end)`.
pub(super) fn set_range<W: WordsMut + ?Sized>(
    words: &mut W,
    first: usize,
    end: usize,
    value: bool,
) {
    let mut bit = first;
    while bit < end {
        let word = bit / 64;
        let low = bit % 64;
        let high = (end - word * 64).min(64);
        let mask = (u64::MAX >> (64 - (high - low))) << low;
        let old = words.get(word);
        words.set(word, if value { old | mask } else { old & !mask });
        bit = word * 64 + high;
    }
}

/// The first bit in `[from, end)` equal to `value`, skipping whole words at a time.
pub(super) fn next_with<W: Words + ?Sized>(
    words: &W,
    from: usize,
    end: usize,
    value: bool,
) -> Option<usize> {
    if from >= end {
        return None;
    }
    let flip = if value { 0 } else { u64::MAX };
    let mut word = from / 64;
    let mut bits = (words.get(word) ^ flip) & (u64::MAX << (from % 64));
    loop {
        if bits != 0 {
            let bit = word * 64 + bits.trailing_zeros() as usize;
            return (bit < end).then_some(bit);
        }
        word += 1;
        if word * 64 >= end {
            return None;
        }
        bits = words.get(word) ^ flip;
    }
}

/// The first cell `s` in `starts.first..=starts.last` with cells `s..s + run_cells` all
/// free: a scan over runs of set bits, each found with two `trailing_zeros`, so a working
/// week costs a few dozen instructions whatever the run length.
pub(super) fn first_run<W: Words + ?Sized>(words: &W, starts: RunStarts) -> Option<usize> {
    let end = starts.last + starts.run_cells;
    let mut position = starts.first;
    while position <= starts.last {
        let start = next_with(words, position, end, true)?;
        if start > starts.last {
            return None;
        }
        let stop = next_with(words, start, end, false).unwrap_or(end);
        if stop - start >= starts.run_cells {
            return Some(start);
        }
        position = stop;
    }
    None
}
