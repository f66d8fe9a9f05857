//! The one error type of the application layer.
//!
//! Every operation answers `Result<_, AppError>`. Refusals a person can act on are typed
//! ([`Refusal`]), so that each front end words them in its own way (the JSON API as RFC 9457
//! problem details, the pages in the reader's language) without re-deciding them. Failures of
//! the machinery keep their cause ([`AppError::Store`], [`AppError::Internal`]) so that the
//! log shows the whole chain; front ends answer them without the details.

use std::time::Duration;

use corridor_domain::facility::proposal::SubmissionRefusal;
use corridor_domain::voucher::{ApplicationStatus, VoucherRefusal};
use corridor_domain::{BookingStatus, DomainError, Fen};
use corridor_store::{BookingDenial, StoreError};

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The operation needs a signed-in user and nobody is signed in.
    #[error("authentication required")]
    Unauthenticated,
    /// The actor is known but may not do this to this object.
    #[error("{0}")]
    Forbidden(String),
    /// No such object, or one the actor may not know exists (answered alike on purpose).
    #[error("{0}")]
    NotFound(String),
    /// An input was refused before anything was read or written; `field` names it.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The request contradicts what is stored (a duplicate, a state that moved on).
    #[error("{0}")]
    Conflict(String),
    /// The e-mail address or password is wrong (the answer does not say which).
    #[error("the e-mail address or password is wrong")]
    BadCredentials,
    /// The sign-in limiter refuses further attempts for a while.
    #[error("too many failed sign-ins; try again in {} seconds", retry_after.as_secs())]
    TooManySignInAttempts { retry_after: Duration },
    /// The password was right but the address was never verified: the account cannot sign
    /// in until its verification link is followed (a new one can be asked for).
    #[error(
        "this e-mail address is not verified yet: follow the link we mailed, or ask for a new one"
    )]
    EmailNotVerified,
    /// Too many requests that send mail (sign-up, reset, a new link) for one address or
    /// from one client.
    #[error("too many requests for this address; try again in {} seconds", retry_after.as_secs())]
    TooManyAccountRequests { retry_after: Duration },
    /// A single sign-on did not sign anyone in; the failure says why.
    #[error("{0}")]
    SingleSignOn(crate::sso::SsoFailure),
    /// A rule of the product refused the request; the refusal says which.
    #[error("{0}")]
    Refused(Refusal),
    /// The store failed.
    #[error("the store failed")]
    Store(#[source] StoreError),
    /// Something else failed that the actor cannot fix; `context` says what was being done.
    #[error("{context}")]
    Internal {
        context: String,
        #[source]
        cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl AppError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn internal(context: impl Into<String>) -> AppError {
        AppError::Internal {
            context: context.into(),
            cause: None,
        }
    }

    pub fn internal_because(
        context: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> AppError {
        AppError::Internal {
            context: context.into(),
            cause: Some(Box::new(cause)),
        }
    }

    /// The whole cause chain in one line, for the log.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

impl From<DomainError> for AppError {
    fn from(error: DomainError) -> AppError {
        AppError::Invalid {
            field: error.field.to_owned(),
            reason: error.reason,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        match error {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Conflict(what) => AppError::Conflict(what),
            StoreError::InvalidReference { field, reason } => AppError::Invalid {
                field: field.to_owned(),
                reason,
            },
            other => AppError::Store(other),
        }
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> AppError {
        AppError::Refused(refusal)
    }
}

/// A rule of the product that refused a request. Each has a stable slug (the problem type of
/// the API, the key of a page's message) and an English sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A booking rule, qualification or access policy refused the request.
    #[error("{}", .0.message())]
    Booking(BookingDenial),
    /// Another holding booking overlaps the requested time.
    #[error("another booking holds part of this time")]
    SlotTaken,
    /// The booking's status does not allow the change.
    #[error("a {} booking cannot be {action}", status.as_code())]
    WrongBookingStatus {
        status: BookingStatus,
        action: &'static str,
    },
    /// A voucher rule refused.
    #[error("{0}")]
    Voucher(VoucherRefusal),
    /// Between the quote and the booking the voucher's available value changed.
    #[error("{0}")]
    VoucherInsufficient(String),
    /// The programme's budget cannot cover the amount.
    #[error("the programme's budget has {available} left")]
    BudgetExhausted { available: Fen },
    /// A voucher application was decided before; a decision is final.
    #[error("the application was {} already", .0.as_code())]
    ApplicationAlreadyDecided(ApplicationStatus),
    /// A proposal cannot be submitted (call closed, incomplete, not a draft).
    #[error("{0}")]
    Submission(SubmissionRefusal),
    /// Grades are closed: the cycle's allocation was run on them.
    #[error("the allocation of cycle {cycle} has been run; its grades can no longer change")]
    GradingClosed { cycle: i64 },
    /// An idempotency key came again with a different request than the one it was first used
    /// for (as payment APIs answer it: the key is not a new request's).
    #[error("this Idempotency-Key was used for a different request (booking {booking}); use a new key for a new request")]
    IdempotencyKeyReused { booking: i64 },
}

impl Refusal {
    /// The stable name of the refusal: `/problems/<slug>` in the API.
    pub fn slug(&self) -> &'static str {
        match self {
            Refusal::Booking(denial) => denial.slug(),
            Refusal::SlotTaken => "slot-taken",
            Refusal::WrongBookingStatus { .. } => "wrong-booking-status",
            Refusal::Voucher(refusal) => refusal.slug(),
            Refusal::VoucherInsufficient(_) => "voucher-insufficient",
            Refusal::BudgetExhausted { .. } => "budget-exhausted",
            Refusal::ApplicationAlreadyDecided(_) => "application-already-decided",
            Refusal::Submission(SubmissionRefusal::NotADraft(_)) => "wrong-proposal-status",
            Refusal::Submission(_) => "proposal-not-submittable",
            Refusal::IdempotencyKeyReused { .. } => "idempotency-key-reused",
            Refusal::GradingClosed { .. } => "grading-closed",
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
