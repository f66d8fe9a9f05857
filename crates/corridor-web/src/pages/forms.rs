//! Reading the forms that change state: the booking form, the cancel and waitlist buttons
//! and the manager console's forms.
//!
//! Every such form carries the CSRF double submit (a hidden `csrf_token` field equal to the
//! browser's `SameSite=Strict` cookie) and needs a signed-in user. Failures come back as
//! pages in the page's language, never as problem+json, because a person is looking.

use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use corridor_app::App;
use corridor_domain::User;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{csrf_matches, PageContext, PageError};
use crate::auth::Requester;
use crate::extract::{Form, Path};
use crate::problem::ApiError;
use crate::AppState;

/// The fields of a posted form beside its CSRF token. Forms read through this keep every
/// field a string (or an optional string), because flattened fields of
/// `serde_urlencoded` arrive as text and are parsed by the handlers, which can then say
/// exactly what was wrong with each.
#[derive(Deserialize)]
struct CsrfProtectedForm<T> {
    csrf_token: String,
    #[serde(flatten)]
    fields: T,
}

/// The fields of a form that is only a button: it posts nothing but its CSRF token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// A form that passed the CSRF check, sent by a signed-in user.
pub struct SignedInForm<T> {
    pub ctx: PageContext,
    pub requester: Requester,
    pub user: User,
    pub fields: T,
}

/// Reads a form posted by a signed-in user. `page_path` is the page the form belongs to,
/// which the language switch of an error page links back to (a POST route cannot be
/// fetched with GET).
pub async fn read_signed_in_form<T: DeserializeOwned>(
    state: &Arc<AppState>,
    requester: Requester,
    request: Request,
    page_path: &str,
) -> Result<SignedInForm<T>, PageError> {
    let ctx = PageContext::new(&requester, request.extensions(), page_path);
    let Some(user) = requester.user.clone() else {
        return Err(PageError {
            error: ApiError::Unauthenticated,
            context: ctx,
        });
    };
    let headers: HeaderMap = request.headers().clone();
    let form = match Form::<CsrfProtectedForm<T>>::from_request(request, state).await {
        Ok(Form(form)) => form,
        Err(error) => {
            return Err(PageError {
                error,
                context: ctx,
            })
        }
    };
    if !csrf_matches(&headers, &form.csrf_token) {
        return Err(PageError {
            error: ApiError::Forbidden(ctx.t.csrf_mismatch.to_owned()),
            context: ctx,
        });
    }
    Ok(SignedInForm {
        ctx,
        requester,
        user,
        fields: form.fields,
    })
}

/// Which page a form belongs to: where the language switch of its error page leads, because
/// the route the form posts to cannot be fetched with GET.
pub enum FormPage {
    /// Always this page.
    Fixed(&'static str),
    /// The first `n` segments of the path the form was posted to: `/instruments/7/book`
    /// belongs to `/instruments/7`, its first two.
    FirstSegments(usize),
}

impl FormPage {
    fn path(&self, posted_to: &str) -> String {
        match self {
            FormPage::Fixed(path) => (*path).to_owned(),
            FormPage::FirstSegments(count) => posted_to
                .split('/')
                .filter(|segment| !segment.is_empty())
                .take(*count)
                .fold(String::new(), |path, segment| path + "/" + segment),
        }
    }
}

/// The fields of a form that one page posts, read as a [`SignedInForm`] extractor.
pub trait PageForm: DeserializeOwned + Send {
    /// The page the form belongs to.
    const PAGE: FormPage;
}

/// A signed-in user's form, read as the handler's last argument. Its rejection is the page
/// in the user's language that [`read_signed_in_form`] answers (sign in, CSRF, bad form).
impl<T: PageForm> FromRequest<Arc<AppState>> for SignedInForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let requester = Requester::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let page_path = T::PAGE.path(parts.uri.path());
        read_signed_in_form(
            state,
            requester,
            Request::from_parts(parts, body),
            &page_path,
        )
        .await
        .map_err(IntoResponse::into_response)
    }
}

/// Where an anonymous visitor of a signed-in-only page is sent.
/// A path of this site to return to after signing in, or `None` for anything that could
/// leave it (`//host`, `/\host`, a scheme), carry control characters, or point at the
/// sign-in page itself: the return address must never become an open redirect.
pub fn safe_return_path(next: &str) -> Option<String> {
    let next = next.trim();
    let leaves_the_site = !next.starts_with('/')
        || next.starts_with("//")
        || next.starts_with("/\\")
        || next.contains("://");
    let unsafe_characters = next.chars().any(|character| character.is_control());
    let pointless = next == "/" || next.starts_with("/sign-in") || next.starts_with("/sign-out");
    (!leaves_the_site && !unsafe_characters && !pointless && next.len() <= 2_000)
        .then(|| next.to_owned())
}

/// The sign-in page's address that brings the person back to `return_to` afterwards.
pub fn sign_in_href(return_to: &str) -> String {
    match safe_return_path(return_to) {
        Some(path) => format!(
            "/sign-in?{}",
            serde_urlencoded::to_string([("next", path.as_str())]).unwrap_or_default()
        ),
        None => "/sign-in".to_owned(),
    }
}

pub fn to_sign_in() -> Response {
    Redirect::to("/sign-in").into_response()
}

/// The answer to a form that did what it asked: back to a page, with a notice code in the
/// query that the page turns into a sentence (Post/Redirect/Get, so reloading the page does
/// not send the form again).
pub fn see_page(path_and_query: &str) -> Response {
    Redirect::to(path_and_query).into_response()
}

/// A checkbox is sent only when ticked, with any value.
pub fn ticked(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|value| !value.is_empty())
}

/// A hidden or text field that may be absent, as its trimmed text.
pub fn field_text(value: &Option<String>) -> &str {
    value.as_deref().map_or("", str::trim)
}

/// A press of a button that acts on one object (`POST …/{id}/…`, a form with nothing but
/// its CSRF token): who pressed it, the object's id, and the form, read by [`Self::act`].
pub struct ButtonPress {
    state: Arc<AppState>,
    requester: Requester,
    /// The object's id, from the path.
    pub id: i64,
    request: Request,
}

impl FromRequest<Arc<AppState>> for ButtonPress {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let (mut parts, body) = request.into_parts();
        let requester = Requester::from_request_parts(&mut parts, state).await?;
        let Path(id) = Path::<i64>::from_request_parts(&mut parts, state).await?;
        Ok(Self {
            state: Arc::clone(state),
            requester,
            id,
            request: Request::from_parts(parts, body),
        })
    }
}

impl ButtonPress {
    /// Checks the form (CSRF, signed in), runs `action` for the requester, and sends the
    /// browser to `next`, or shows the error page. `page_path` is the page the button
    /// belongs to.
    pub async fn act<T>(
        self,
        page_path: &str,
        next: &str,
        action: impl AsyncFnOnce(&App, &Requester) -> Result<T, corridor_app::AppError>,
    ) -> Response {
        let form = match read_signed_in_form::<NoFields>(
            &self.state,
            self.requester,
            self.request,
            page_path,
        )
        .await
        {
            Ok(form) => form,
            Err(error) => return error.into_response(),
        };
        match action(&self.state.app, &form.requester).await {
            Ok(_) => see_page(next),
            Err(error) => super::page_error(error, form.ctx),
        }
    }
}

/// A page's cursor parameter (the id after which the next page starts): none when absent or
/// empty, a 400 page naming `parameter` when it is not a number.
pub fn page_cursor(
    text: Option<&str>,
    parameter: &'static str,
    ctx: &PageContext,
) -> Result<Option<i64>, ApiError> {
    match text.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) => text
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::invalid(parameter, ctx.t.error_cursor)),
    }
}
