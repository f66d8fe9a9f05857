use thiserror::Error;

/// Why a value offered to the domain was refused.
///
/// There is deliberately one shape: the field that was wrong and a sentence saying why. The
/// HTTP edge turns it into a problem+json `invalid-parameter` answer that names the field, so
/// a caller can always tell which of its inputs to fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {reason}")]
pub struct DomainError {
    pub field: &'static str,
    pub reason: String,
}

impl DomainError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError {
            field,
            reason: reason.into(),
        }
    }
}
