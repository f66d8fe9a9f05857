//! Who may call which route: one table, checked by one middleware before any handler or
//! extractor runs. docs/AUTHORIZATION.md explains the model.
//!
//! The table gives every route a [`Gate`]: public, any signed-in user, or the holders of some
//! roles. A route the table does not name is refused with 500 (fail closed), and the
//! authorization matrix test (`tests/it/authz.rs`) fails for any route of the OpenAPI document
//! missing here. What a gate cannot know without reading data (which institution's instrument,
//! whose booking, which province's programme) the handlers decide through the domain's
//! predicates (`User::may_manage_instruments_of`, `User::runs_voucher_office_of`, a booking's
//! user), and the matrix test checks those too, with a manager of another institution.

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use corridor_domain::{Role, User};

use crate::auth::AuthenticatedUser;
use crate::problem::ApiError;

/// What a route asks of its caller before anything else runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user; the handler decides about the objects (their own bookings…).
    SignedIn,
    /// Instrument managers and institution admins (of some institution), and platform admins;
    /// the handler checks the institution.
    Managers,
    /// Institution admins (of some institution) and platform admins; the application layer
    /// checks the institution.
    InstitutionAdmins,
    /// Voucher offices (of some province) and platform admins; the handler checks the province.
    VoucherOffices,
    /// Large facilities' user offices and platform admins; the handler checks the facility.
    UserOffices,
    /// Proposal reviewers and platform admins; the store checks the assignment.
    Reviewers,
    PlatformAdmins,
}

/// Why a gate turned a caller away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    NotSignedIn,
    MissingRole,
}

impl Gate {
    pub fn admits(self, user: Option<&User>) -> Result<(), Denial> {
        let roles: &[Role] = match self {
            Gate::Public => return Ok(()),
            Gate::SignedIn => &[],
            Gate::Managers => &[
                Role::InstrumentManager,
                Role::InstitutionAdmin,
                Role::PlatformAdmin,
            ],
            Gate::InstitutionAdmins => &[Role::InstitutionAdmin, Role::PlatformAdmin],
            Gate::VoucherOffices => &[Role::VoucherOffice, Role::PlatformAdmin],
            Gate::UserOffices => &[Role::FacilityUserOffice, Role::PlatformAdmin],
            Gate::Reviewers => &[Role::Reviewer, Role::PlatformAdmin],
            Gate::PlatformAdmins => &[Role::PlatformAdmin],
        };
        let user = user.ok_or(Denial::NotSignedIn)?;
        if roles.is_empty() || roles.iter().any(|role| user.has_role(*role)) {
            Ok(())
        } else {
            Err(Denial::MissingRole)
        }
    }
}

use Gate::*;

/// Every route, as the router spells it, with its gate. API paths carry the `/api/v1` prefix.
#[rustfmt::skip]
pub const ROUTE_GATES: &[(&str, &str, Gate)] = &[
    ("GET", "/healthz", Public),
    ("GET", "/api/v1/openapi.json", Public),
    // The region and its instruments: public, like the region's published catalogue.
    ("GET", "/api/v1/provinces", Public),
    ("GET", "/api/v1/cities", Public),
    ("GET", "/api/v1/cities/{code}", Public),
    ("GET", "/api/v1/institutions", Public),
    ("GET", "/api/v1/institutions/{id}", Public),
    ("GET", "/api/v1/categories", Public),
    ("GET", "/api/v1/beamlines", Public),
    ("GET", "/api/v1/stats/summary", Public),
    ("GET", "/api/v1/instruments", Public),
    ("GET", "/api/v1/instruments/{id}", Public),
    ("GET", "/api/v1/instruments/{id}/calendar", Public),
    ("GET", "/api/v1/instruments/{id}/calendar.ics", Public),
    ("GET", "/api/v1/search", Public),
    ("GET", "/api/v1/reach", Public),
    ("GET", "/api/v1/voucher-programmes", Public),
    ("GET", "/api/v1/voucher-programmes/{id}", Public),
    ("GET", "/api/v1/analytics/usage-by-origin", Public),
    ("GET", "/api/v1/analytics/flows", Public),
    ("GET", "/api/v1/analytics/utilisation", Public),
    ("GET", "/api/v1/analytics/idle-instruments", Public),
    ("GET", "/api/v1/analytics/cluster-reach", Public),
    ("GET", "/api/v1/analytics/cluster-reach/by-origin", Public),
    ("GET", "/api/v1/analytics/vouchers", Public),
    ("GET", "/api/v1/analytics/facility", Public),
    // Signing in is how one stops being anonymous.
    ("POST", "/api/v1/tokens", Public),
    // Joining: anyone may ask; a step that mails answers alike for any address.
    ("POST", "/api/v1/accounts", Public),
    ("POST", "/api/v1/accounts/verification", Public),
    ("POST", "/api/v1/accounts/verification/resend", Public),
    ("POST", "/api/v1/accounts/password-reset", Public),
    ("POST", "/api/v1/accounts/password-reset/confirm", Public),
    ("POST", "/api/v1/accounts/email-change/confirm", Public),
    ("GET", "/api/v1/me/account", SignedIn),
    ("GET", "/api/v1/me/sessions", SignedIn),
    ("DELETE", "/api/v1/me/sessions/{session_id}", SignedIn),
    ("GET", "/api/v1/institutions/{id}/people", InstitutionAdmins),
    ("PUT", "/api/v1/institutions/{id}/people/{user_id}/roles/{role}", InstitutionAdmins),
    ("DELETE", "/api/v1/institutions/{id}/people/{user_id}/roles/{role}", InstitutionAdmins),
    ("POST", "/api/v1/institutions", PlatformAdmins),
    ("POST", "/api/v1/qualifications/bulk", Managers),
    ("POST", "/api/v1/me/email", SignedIn),
    ("GET", "/api/v1/institutions/{id}/membership-requests", InstitutionAdmins),
    // An institution's catalogue file: checked, then applied, by its admins; the export of
    // the public catalogue is open data.
    ("POST", "/api/v1/institutions/{id}/catalogue-imports", InstitutionAdmins),
    ("POST", "/api/v1/institutions/{id}/catalogue-imports/{file}/apply", InstitutionAdmins),
    ("GET", "/api/v1/catalogue/export", Public),
    ("POST", "/api/v1/institutions/{id}/members/{user_id}/decision", InstitutionAdmins),
    // One's own things; the handlers check that they are one's own.
    ("GET", "/api/v1/me", SignedIn),
    ("GET", "/api/v1/me/tokens", SignedIn),
    ("DELETE", "/api/v1/me/tokens/{id}", SignedIn),
    ("GET", "/api/v1/me/bookings", SignedIn),
    ("GET", "/api/v1/me/bookings.ics", SignedIn),
    ("GET", "/api/v1/me/waitlist", SignedIn),
    ("GET", "/api/v1/me/vouchers", SignedIn),
    ("POST", "/api/v1/bookings", SignedIn),
    ("GET", "/api/v1/bookings/{id}", SignedIn),
    ("POST", "/api/v1/bookings/{id}/cancel", SignedIn),
    ("POST", "/api/v1/bookings/{id}/reschedule", SignedIn),
    ("POST", "/api/v1/instruments/{id}/quote", SignedIn),
    ("DELETE", "/api/v1/waitlist/{id}", SignedIn),
    ("POST", "/api/v1/voucher-programmes/{id}/applications", SignedIn),
    ("POST", "/api/v1/vouchers/{id}/quote", SignedIn),
    // Managing instruments and their bookings; the handlers check the institution.
    ("POST", "/api/v1/instruments", Managers),
    ("PUT", "/api/v1/instruments/{id}", Managers),
    ("DELETE", "/api/v1/instruments/{id}", Managers),
    ("PUT", "/api/v1/instruments/{id}/calendar/rules", Managers),
    ("POST", "/api/v1/instruments/{id}/closures", Managers),
    ("DELETE", "/api/v1/instruments/{id}/closures/{closure_id}", Managers),
    ("GET", "/api/v1/instruments/{id}/qualifications", Managers),
    ("POST", "/api/v1/instruments/{id}/qualifications", Managers),
    ("DELETE", "/api/v1/instruments/{id}/qualifications/{user_id}", Managers),
    ("POST", "/api/v1/bookings/{id}/approve", Managers),
    ("POST", "/api/v1/bookings/{id}/reject", Managers),
    ("POST", "/api/v1/bookings/{id}/usage", Managers),
    ("GET", "/api/v1/manage/pending-bookings", Managers),
    ("GET", "/api/v1/manage/usage-due", Managers),
    // Voucher offices; the handlers check the province.
    ("POST", "/api/v1/voucher-programmes", VoucherOffices),
    ("GET", "/api/v1/voucher-applications", VoucherOffices),
    ("POST", "/api/v1/voucher-applications/{id}/decision", VoucherOffices),
    ("GET", "/api/v1/voucher-settlement", VoucherOffices),
    ("GET", "/api/v1/audit-events", PlatformAdmins),
    // Pages.
    ("GET", "/", Public),
    ("GET", "/search", Public),
    ("GET", "/reach", Public),
    ("GET", "/analytics", Public),
    ("GET", "/analytics/reach", Public),
    ("GET", "/analytics/vouchers", Public),
    ("GET", "/analytics/facility", Public),
    ("GET", "/instruments", Public),
    ("GET", "/instruments/{id}", Public),
    ("GET", "/sign-in", Public),
    ("POST", "/sign-in", Public),
    // Single sign-on: anyone may start one; the callback is where the provider sends them back.
    ("GET", "/sign-in/sso/{provider}", Public),
    ("GET", "/sign-in/sso/{provider}/callback", Public),
    // Joining: anyone may ask, and the answers never say whether an address has an account.
    ("GET", "/sign-up", Public),
    ("POST", "/sign-up", Public),
    ("GET", "/verify-email", Public),
    ("POST", "/verify-email", Public),
    ("POST", "/verify-email/resend", Public),
    ("GET", "/reset-password", Public),
    ("POST", "/reset-password", Public),
    ("GET", "/reset-password/new", Public),
    ("POST", "/reset-password/new", Public),
    // A change of address is confirmed from the mail, signed in or not: the link proves it.
    ("GET", "/account/email/confirm", Public),
    ("POST", "/account/email/confirm", Public),
    ("GET", "/account", SignedIn),
    ("GET", "/account/sessions", SignedIn),
    ("POST", "/account/sessions/end", SignedIn),
    ("GET", "/institution/people", InstitutionAdmins),
    ("POST", "/institution/people/appoint", InstitutionAdmins),
    ("POST", "/institution/people/{id}/role", InstitutionAdmins),
    ("POST", "/institution/qualifications", Managers),
    ("GET", "/admin/institutions", PlatformAdmins),
    ("POST", "/admin/institutions", PlatformAdmins),
    ("POST", "/account/email", SignedIn),
    ("GET", "/admin/mail", PlatformAdmins),
    // Institution admins (and platform admins) decide who is a member; the application
    // layer checks the institution.
    ("GET", "/institution/members", InstitutionAdmins),
    ("POST", "/institution/members/{id}/decision", InstitutionAdmins),
    // Institution admins (and platform admins) import their institution's catalogue file;
    // the application layer checks the institution.
    ("GET", "/institution/catalogue", InstitutionAdmins),
    ("POST", "/institution/catalogue/check", InstitutionAdmins),
    ("GET", "/institution/catalogue/checks/{sha256}", InstitutionAdmins),
    ("POST", "/institution/catalogue/checks/{sha256}/apply", InstitutionAdmins),
    ("GET", "/problems/{slug}", Public),
    ("GET", "/static/corridor.css", Public),
    ("GET", "/favicon.svg", Public),
    ("GET", "/favicon.ico", Public),
    ("GET", "/static/bookings.css", Public),
    ("POST", "/sign-out", SignedIn),
    ("POST", "/instruments/{id}/book", SignedIn),
    ("GET", "/bookings", SignedIn),
    ("POST", "/bookings/{id}/cancel", SignedIn),
    ("POST", "/waitlist/{id}/withdraw", SignedIn),
    ("GET", "/account/tokens", SignedIn),
    ("POST", "/account/tokens", SignedIn),
    ("POST", "/account/tokens/{id}/revoke", SignedIn),
    ("GET", "/vouchers", SignedIn),
    ("POST", "/vouchers/apply", SignedIn),
    ("GET", "/manage", Managers),
    ("POST", "/manage/bookings/{id}/decision", Managers),
    ("POST", "/manage/bookings/{id}/usage", Managers),
    ("GET", "/manage/instruments/{id}", Managers),
    ("POST", "/manage/instruments/{id}/rules", Managers),
    ("POST", "/manage/instruments/{id}/closures", Managers),
    ("POST", "/manage/instruments/{id}/closures/{closure_id}/remove", Managers),
    ("POST", "/manage/instruments/{id}/qualifications", Managers),
    ("POST", "/manage/instruments/{id}/qualifications/{user_id}/revoke", Managers),
    // The facility programme: the call, schedules and statistics are published; proposals
    // are their team's (the handlers hide others'); the user office runs the cycle.
    ("GET", "/api/v1/facility/cycles", Public),
    ("POST", "/api/v1/facility/cycles", UserOffices),
    ("GET", "/api/v1/facility/cycles/{id}", Public),
    ("GET", "/api/v1/facility/cycles/{id}/proposals", UserOffices),
    ("POST", "/api/v1/facility/cycles/{id}/proposals", SignedIn),
    ("GET", "/api/v1/facility/proposals/{id}", SignedIn),
    ("POST", "/api/v1/facility/proposals/{id}/submit", SignedIn),
    ("POST", "/api/v1/facility/proposals/{id}/withdraw", SignedIn),
    ("GET", "/api/v1/me/proposals", SignedIn),
    ("POST", "/api/v1/facility/proposals/{id}/checks", UserOffices),
    ("GET", "/api/v1/facility/cycles/{id}/checks", UserOffices),
    ("GET", "/api/v1/facility/reviewers", UserOffices),
    ("PUT", "/api/v1/facility/reviewers/{user_id}", UserOffices),
    ("POST", "/api/v1/facility/cycles/{id}/review-assignment", UserOffices),
    ("GET", "/api/v1/me/reviews", Reviewers),
    ("POST", "/api/v1/facility/proposals/{id}/review", Reviewers),
    ("POST", "/api/v1/facility/cycles/{id}/allocation", UserOffices),
    ("GET", "/api/v1/facility/cycles/{id}/decisions", UserOffices),
    ("POST", "/api/v1/facility/cycles/{id}/lost-days", UserOffices),
    ("GET", "/api/v1/facility/cycles/{id}/schedule", Public),
    ("GET", "/api/v1/facility/cycles/{id}/beamlines/{code}/schedule.ics", Public),
    ("GET", "/api/v1/facility/cycles/{id}/statistics", Public),
    ("GET", "/api/v1/me/notifications", SignedIn),
    ("GET", "/facility", Public),
    ("GET", "/facility/cycles/{id}", Public),
    ("GET", "/facility/cycles/{id}/propose", SignedIn),
    ("POST", "/facility/cycles/{id}/propose", SignedIn),
    ("GET", "/facility/proposals", SignedIn),
    ("POST", "/facility/proposals/{id}/submit", SignedIn),
    ("POST", "/facility/proposals/{id}/withdraw", SignedIn),
    ("GET", "/facility/reviews", Reviewers),
    ("POST", "/facility/reviews/{id}", Reviewers),
    ("GET", "/facility/office", UserOffices),
    ("POST", "/facility/office/cycles/{id}/assign", UserOffices),
    ("POST", "/facility/office/cycles/{id}/allocate", UserOffices),
    ("POST", "/facility/office/proposals/{id}/check", UserOffices),
    ("POST", "/facility/office/cycles/{id}/lost-day", UserOffices),
    ("GET", "/vouchers/office", VoucherOffices),
    ("POST", "/vouchers/office/applications/{id}/decision", VoucherOffices),
    ("GET", "/vouchers/office/settlement.csv", VoucherOffices),
];

/// The gate of `method` on the route `path` (as the router spells it); HEAD is GET's.
pub fn gate_of(method: &Method, path: &str) -> Option<Gate> {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    ROUTE_GATES
        .iter()
        .find(|(gated_method, gated_path, _)| *gated_method == method && *gated_path == path)
        .map(|(_, _, gate)| *gate)
}

fn route_is_known(path: &str) -> bool {
    ROUTE_GATES
        .iter()
        .any(|(_, gated_path, _)| *gated_path == path)
}

/// The middleware: runs after authentication and routing, before the handler's extractors.
pub async fn authorize(request: Request, next: Next) -> Response {
    let Some(path) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned())
    else {
        // No route matched: the fallback answers 404.
        return next.run(request).await;
    };
    let gate = match gate_of(request.method(), &path) {
        Some(gate) => gate,
        // A method the route does not have: the router answers 405.
        None if route_is_known(&path) => return next.run(request).await,
        None => {
            return ApiError::internal(format!(
                "the route {} {path} has no access rule in authz::ROUTE_GATES",
                request.method()
            ))
            .into_response()
        }
    };
    let user = request
        .extensions()
        .get::<AuthenticatedUser>()
        .and_then(|authenticated| authenticated.0.as_ref());
    match gate.admits(user) {
        Ok(()) => next.run(request).await,
        Err(denial) => {
            let api = path.starts_with("/api/");
            match (denial, api) {
                (Denial::NotSignedIn, true) => ApiError::Unauthenticated.into_response(),
                (Denial::NotSignedIn, false) => {
                    crate::pages::to_sign_in_from(request.method(), request.uri())
                }
                (Denial::MissingRole, true) => {
                    ApiError::Forbidden(forbidden_reason(gate)).into_response()
                }
                (Denial::MissingRole, false) => {
                    crate::pages::forbidden_page(&request, gate, forbidden_reason(gate))
                }
            }
        }
    }
}

fn forbidden_reason(gate: Gate) -> String {
    match gate {
        Gate::Managers => {
            "only instrument managers, institution admins and platform admins may do this"
        }
        Gate::InstitutionAdmins => "only institution admins and platform admins may do this",
        Gate::VoucherOffices => "only voucher offices and platform admins may do this",
        Gate::UserOffices => "only a facility's user office and platform admins may do this",
        Gate::Reviewers => "only proposal reviewers and platform admins may do this",
        Gate::PlatformAdmins => "only platform admins may do this",
        Gate::Public | Gate::SignedIn => "not allowed",
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn status_of(router: axum::Router, method: &str, path: &str) -> u16 {
        use tower::ServiceExt;
        let request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .body(axum::body::Body::empty())
            .unwrap();
        router.oneshot(request).await.unwrap().status().as_u16()
    }

    /// A route the table does not name is refused (fail closed); a named one passes; a
    /// method the route lacks reaches the router's 405; a signed-out caller of a gated route
    /// gets 401 before the handler runs.
    #[tokio::test]
    async fn the_gate_fails_closed() {
        use axum::routing::get;
        let router = || {
            axum::Router::new()
                .route("/healthz", get(|| async { "ok" }))
                .route("/not-in-the-table", get(|| async { "oops" }))
                .route("/api/v1/me", get(|| async { "me" }))
                .layer(axum::middleware::from_fn(authorize))
        };
        assert_eq!(status_of(router(), "GET", "/healthz").await, 200);
        assert_eq!(status_of(router(), "GET", "/not-in-the-table").await, 500);
        assert_eq!(status_of(router(), "POST", "/healthz").await, 405);
        assert_eq!(status_of(router(), "GET", "/api/v1/me").await, 401);
        assert_eq!(status_of(router(), "GET", "/nowhere").await, 404);
    }

    #[test]
    fn every_route_is_named_once() {
        let mut seen = std::collections::HashSet::new();
        for (method, path, _) in ROUTE_GATES {
            assert!(seen.insert((method, path)), "{method} {path} twice");
        }
    }
}
