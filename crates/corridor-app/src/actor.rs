//! Who is acting: the signed-in user (or nobody) and where the request came from.
//!
//! Front ends establish the actor (the web from a session cookie or a bearer token, the CLI
//! from its operator) and hand it to every operation; the operations decide from it what the
//! actor may see and do, and write it into the audit trail.

use corridor_domain::User;
use corridor_store::AuditContext;

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The signed-in user; `None` for an anonymous visitor.
    pub user: Option<User>,
    /// The client's network address, for the audit trail and the sign-in limiter.
    pub client_address: Option<String>,
}

impl Actor {
    pub fn anonymous(client_address: Option<String>) -> Actor {
        Actor {
            user: None,
            client_address,
        }
    }

    pub fn user(user: User, client_address: Option<String>) -> Actor {
        Actor {
            user: Some(user),
            client_address,
        }
    }

    /// What the audit events of this actor's changes record.
    pub fn audit_context(&self) -> AuditContext {
        AuditContext {
            actor: self.user.as_ref().map(|user| user.id),
            client_address: self.client_address.clone(),
        }
    }

    /// The signed-in user, or [`AppError::Unauthenticated`].
    pub fn require_user(&self) -> AppResult<&User> {
        self.user.as_ref().ok_or(AppError::Unauthenticated)
    }
}
