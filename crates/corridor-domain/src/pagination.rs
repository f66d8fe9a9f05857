use crate::DomainError;

pub const DEFAULT_PAGE_LIMIT: u32 = 50;
pub const MAX_PAGE_LIMIT: u32 = 500;

/// How many items one page of a list may hold: 1 to [`MAX_PAGE_LIMIT`].
///
/// The cap keeps one request from asking the server to serialise a whole table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u32);

impl PageLimit {
    pub fn new(limit: u32) -> Result<PageLimit, DomainError> {
        if (1..=MAX_PAGE_LIMIT).contains(&limit) {
            Ok(PageLimit(limit))
        } else {
            Err(DomainError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE_LIMIT}, got {limit}"),
            ))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        PageLimit(DEFAULT_PAGE_LIMIT)
    }
}
