//! The server-rendered web shell. Templates live in `templates/` and are checked at compile
//! time by askama; a page that refers to a missing field does not build.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use corridor_domain::{
    AccessPolicy, BookingMode, CategoryCode, CityCode, InstrumentId, Language, PageLimit,
    ProvinceCode,
};
use corridor_store::{InstrumentFilter, InstrumentWithPlace, PageRequest};
use serde::Deserialize;

use corridor_app::AppError;

use crate::auth::{self, Requester, CSRF_COOKIE, SESSION_COOKIE};
use crate::extract::{Form, Path, Query};
use crate::i18n::{text, Text};
use crate::problem::{ApiError, PROBLEM_KINDS};
use crate::AppState;

mod account_tokens;
mod analytics;
mod analytics_facility;
mod analytics_reach;
mod analytics_vouchers;
mod booking;
mod booking_text;
mod catalogue_import;
mod enrolment;
mod errors;
mod facility;
mod facility_office;
mod forms;
mod gantt;
mod instruments;
mod manage;
mod manage_instrument;
mod manage_usage;
mod members;
mod my_bookings;
mod reach;
pub(crate) mod readable;
mod roster;
mod search;
mod sso;
mod vouchers;
mod week_calendar;

pub(crate) use errors::{forbidden_page, html_error_pages};
pub use errors::{page_error, PageError};

pub const LANGUAGE_COOKIE: &str = "corridor_lang";

/// Content-Security-Policy of every page: nothing but this origin; inline styles only for
/// the SVG map's attributes.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

pub fn router(state: Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(landing))
        .route("/search", get(search::search_page))
        .route("/reach", get(reach::reach_page))
        .route("/analytics", get(analytics::dashboard_page))
        .route(
            "/analytics/reach",
            get(analytics_reach::reach_dashboard_page),
        )
        .route(
            "/analytics/facility",
            get(analytics_facility::facility_dashboard_page),
        )
        .route(
            "/analytics/vouchers",
            get(analytics_vouchers::voucher_dashboard_page),
        )
        .route("/instruments", get(instruments::instruments_page))
        .route("/instruments/{id}", get(instruments::instrument_page))
        .route("/instruments/{id}/book", post(booking::book_submit))
        .route(
            "/account/tokens",
            get(account_tokens::tokens_page).post(account_tokens::create_submit),
        )
        .route(
            "/account/tokens/{id}/revoke",
            post(account_tokens::revoke_submit),
        )
        .route("/bookings", get(my_bookings::my_bookings_page))
        .route("/bookings/{id}/cancel", post(my_bookings::cancel_submit))
        .route(
            "/waitlist/{id}/withdraw",
            post(my_bookings::withdraw_submit),
        )
        .route("/manage", get(manage::console_page))
        .route(
            "/manage/bookings/{id}/decision",
            post(manage::decision_submit),
        )
        .route(
            "/manage/bookings/{id}/usage",
            post(manage_usage::usage_submit),
        )
        .route(
            "/manage/instruments/{id}",
            get(manage_instrument::instrument_tools_page),
        )
        .route(
            "/manage/instruments/{id}/rules",
            post(manage_instrument::rules_submit),
        )
        .route(
            "/manage/instruments/{id}/closures",
            post(manage_instrument::closure_add_submit),
        )
        .route(
            "/manage/instruments/{id}/closures/{closure_id}/remove",
            post(manage_instrument::closure_remove_submit),
        )
        .route(
            "/manage/instruments/{id}/qualifications",
            post(manage_instrument::qualification_grant_submit),
        )
        .route(
            "/manage/instruments/{id}/qualifications/{user_id}/revoke",
            post(manage_instrument::qualification_revoke_submit),
        )
        .route("/facility", get(facility::facility_page))
        .route("/facility/cycles/{id}", get(facility::cycle_page))
        .route(
            "/facility/cycles/{id}/propose",
            get(facility::propose_page).post(facility::propose_submit),
        )
        .route("/facility/proposals", get(facility::my_proposals_page))
        .route(
            "/facility/proposals/{id}/submit",
            post(facility::submit_submit),
        )
        .route(
            "/facility/proposals/{id}/withdraw",
            post(facility::withdraw_submit),
        )
        .route("/facility/reviews", get(facility_office::reviews_page))
        .route(
            "/facility/reviews/{id}",
            post(facility_office::grade_submit),
        )
        .route("/facility/office", get(facility_office::office_page))
        .route(
            "/facility/office/cycles/{id}/assign",
            post(facility_office::assign_submit),
        )
        .route(
            "/facility/office/cycles/{id}/allocate",
            post(facility_office::allocate_submit),
        )
        .route(
            "/facility/office/proposals/{id}/check",
            post(facility_office::check_submit),
        )
        .route(
            "/facility/office/cycles/{id}/lost-day",
            post(facility_office::lost_day_submit),
        )
        .route("/vouchers", get(vouchers::wallet_page))
        .route("/vouchers/apply", post(vouchers::apply_submit))
        .route("/vouchers/office", get(vouchers::office::office_page))
        .route(
            "/vouchers/office/applications/{id}/decision",
            post(vouchers::office::decision_submit),
        )
        .route(
            "/vouchers/office/settlement.csv",
            get(vouchers::office::settlement_csv_download),
        )
        .route("/sign-in", get(sign_in_form).post(sign_in_submit))
        .route("/sign-in/sso/{provider}", get(sso::start))
        .route("/sign-in/sso/{provider}/callback", get(sso::callback))
        .route(
            "/sign-up",
            get(enrolment::sign_up_page).post(enrolment::sign_up_submit),
        )
        .route(
            "/verify-email",
            get(enrolment::verify_email_page).post(enrolment::verify_email_submit),
        )
        .route(
            "/verify-email/resend",
            post(enrolment::resend_verification_submit),
        )
        .route(
            "/reset-password",
            get(enrolment::reset_request_page).post(enrolment::reset_request_submit),
        )
        .route(
            "/reset-password/new",
            get(enrolment::new_password_page).post(enrolment::new_password_submit),
        )
        .route("/account", get(enrolment::account_page))
        .route("/account/sessions", get(roster::sessions_page))
        .route("/account/sessions/end", post(roster::end_session_submit))
        .route("/institution/people", get(roster::people_page))
        .route(
            "/institution/people/appoint",
            post(roster::appoint_by_address_submit),
        )
        .route("/institution/people/{id}/role", post(roster::role_submit))
        .route(
            "/institution/qualifications",
            post(roster::qualifications_submit),
        )
        .route(
            "/admin/institutions",
            get(roster::institutions_page).post(roster::create_institution_submit),
        )
        .route("/account/email", post(enrolment::change_email_submit))
        .route(
            "/account/email/confirm",
            get(enrolment::confirm_email_page).post(enrolment::confirm_email_submit),
        )
        .route("/admin/mail", get(enrolment::mail_page))
        .route("/institution/members", get(members::members_page))
        .route(
            "/institution/members/{id}/decision",
            post(members::decision_submit),
        )
        .route(
            "/institution/catalogue",
            get(catalogue_import::catalogue_page),
        )
        .route(
            "/institution/catalogue/check",
            post(catalogue_import::check_submit),
        )
        .route(
            "/institution/catalogue/checks/{sha256}",
            get(catalogue_import::report_page),
        )
        .route(
            "/institution/catalogue/checks/{sha256}/apply",
            post(catalogue_import::apply_submit),
        )
        .route("/sign-out", post(sign_out))
        .route("/problems/{slug}", get(problem_page))
        .route("/static/corridor.css", get(stylesheet))
        .route("/favicon.svg", get(favicon))
        // Browsers ask for /favicon.ico on their own; the icon is the SVG.
        .route(
            "/favicon.ico",
            get(|| async { axum::response::Redirect::permanent("/favicon.svg") }),
        )
        .route("/static/bookings.css", get(booking_stylesheet))
        .layer(middleware::from_fn_with_state(
            state,
            page_cookies_and_headers,
        ))
}

/// The CSRF token of this browser, put into request extensions by the page middleware.
#[derive(Clone)]
struct CsrfToken(String);

/// The language of this request, chosen by `?lang=`, else the language cookie, else the
/// browser's Accept-Language, else English.
#[derive(Clone, Copy)]
struct ChosenLanguage(Language);

/// The language a query string asks for with `lang=`, if any.
fn language_in_query(query: Option<&str>) -> Option<Language> {
    query
        .into_iter()
        .flat_map(|query| query.split('&'))
        .filter_map(|pair| pair.strip_prefix("lang="))
        .find_map(|code| Language::parse(code).ok())
}

fn language_of(headers: &HeaderMap, query: Option<&str>) -> (Language, bool) {
    if let Some(language) = language_in_query(query) {
        return (language, true);
    }
    let jar = CookieJar::from_headers(headers);
    if let Some(language) = jar
        .get(LANGUAGE_COOKIE)
        .and_then(|cookie| Language::parse(cookie.value()).ok())
    {
        return (language, false);
    }
    let prefers_chinese = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().to_ascii_lowercase().starts_with("zh"));
    (
        if prefers_chinese {
            Language::Chinese
        } else {
            Language::English
        },
        false,
    )
}

/// The CSRF token this browser's forms carry, when it has one: a signed-in visitor's is bound
/// to their session; a visitor without a session (the sign-in form) has the double-submit
/// cookie.
fn csrf_token_of(jar: &CookieJar) -> Option<String> {
    match jar.get(SESSION_COOKIE) {
        Some(session) => Some(session_csrf_token(session.value())),
        None => jar
            .get(CSRF_COOKIE)
            .map(|cookie| cookie.value().to_owned())
            .filter(|value| value.len() >= 32 && value.len() < 100),
    }
}

/// Gives every page request its CSRF token and language, sets the cookies that carry them,
/// and adds the security headers that only HTML needs.
async fn page_cookies_and_headers(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let jar = CookieJar::from_headers(request.headers());
    let (csrf, new_csrf) = match csrf_token_of(&jar) {
        Some(token) => (token, false),
        None => (auth::new_secret("").0, true),
    };
    let (language, language_chosen_now) = language_of(request.headers(), request.uri().query());
    request.extensions_mut().insert(CsrfToken(csrf.clone()));
    request.extensions_mut().insert(ChosenLanguage(language));
    let secure = state.secure_cookies;

    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if new_csrf {
        if let Ok(value) = auth::csrf_cookie(csrf, secure).to_string().parse() {
            headers.append(header::SET_COOKIE, value);
        }
    }
    if language_chosen_now {
        let cookie = Cookie::build((LANGUAGE_COOKIE, language.as_code()))
            .path("/")
            .same_site(SameSite::Lax)
            .permanent()
            .build();
        if let Ok(value) = cookie.to_string().parse() {
            headers.append(header::SET_COOKIE, value);
        }
    }
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"text/html"))
    {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            header::X_FRAME_OPTIONS,
            header::HeaderValue::from_static("DENY"),
        );
    }
    response
}

/// What every page's layout needs: the language, who is signed in, the CSRF token for forms
/// and the path (for the language switch link).
#[derive(Clone)]
pub struct PageContext {
    pub t: &'static Text,
    pub language: Language,
    pub user_name: Option<String>,
    /// Whether the signed-in user manages the instruments of some institution (or all), so
    /// that the layout offers the manager console.
    pub may_manage: bool,
    pub csrf: String,
    pub path: String,
    /// The sign-in link, which brings the person back to this page (and, on an
    /// instrument's page, to the slot they chose) once signed in.
    pub sign_in_href: String,
}

impl PageContext {
    fn new(requester: &Requester, extensions: &axum::http::Extensions, path: &str) -> PageContext {
        let language = extensions
            .get::<ChosenLanguage>()
            .map_or(Language::English, |chosen| chosen.0);
        PageContext {
            t: text(language),
            language,
            user_name: requester
                .user
                .as_ref()
                .map(|user| user.display_name.clone()),
            may_manage: requester
                .user
                .as_ref()
                .is_some_and(corridor_app::bookings::has_console),
            csrf: extensions
                .get::<CsrfToken>()
                .map(|token| token.0.clone())
                .unwrap_or_default(),
            path: path.to_owned(),
            sign_in_href: forms::sign_in_href(path),
        }
    }

    pub fn is_chinese(&self) -> bool {
        self.language == Language::Chinese
    }

    /// Picks the name in the page's language.
    pub fn name<'a>(&self, english: &'a str, chinese: &'a str) -> &'a str {
        if self.is_chinese() {
            chinese
        } else {
            english
        }
    }
}

/// Where an anonymous visitor of a signed-in-only page goes (see `authz`): the sign-in form,
/// in the language the address asked for, which brings them back to the page (a GET; a form
/// posted while signed out returns to nothing it could repeat).
pub(crate) fn to_sign_in_from(method: &axum::http::Method, uri: &axum::http::Uri) -> Response {
    let language = language_in_query(uri.query());
    let href = if method == axum::http::Method::GET {
        forms::sign_in_href(&uri.to_string())
    } else {
        "/sign-in".to_owned()
    };
    match language {
        Some(language) => {
            let separator = if href.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{href}{separator}lang={}", language.as_code())).into_response()
        }
        None => Redirect::to(&href).into_response(),
    }
}

/// Answers with `page` rendered under `status`, or, when rendering fails, with the error page
/// in the page's own context (`context_of` takes it out of the page).
pub(crate) fn respond_with_page<T: Template>(
    status: StatusCode,
    page: T,
    context_of: impl FnOnce(T) -> PageContext,
) -> Response {
    match render(&page) {
        Ok(html) => (status, html).into_response(),
        Err(error) => page_error(error, context_of(page)),
    }
}

/// A page built by `built`: rendered when it was, else the error page in its context.
pub(crate) fn page_or_error(
    built: Result<impl Template, ApiError>,
    context: PageContext,
) -> Response {
    match built {
        Ok(page) => match render(&page) {
            Ok(html) => html.into_response(),
            Err(error) => error.into_response(),
        },
        Err(error) => page_error(error, context),
    }
}

/// A province's name in the page's language.
pub(crate) fn province_name(
    province: corridor_domain::ProvinceCode,
    language: Language,
) -> &'static str {
    match language {
        Language::English => province.name_en(),
        Language::Chinese => province.name_zh(),
    }
}

pub fn render(template: &impl Template) -> Result<Html<String>, ApiError> {
    template
        .render()
        .map(Html)
        .map_err(|error| ApiError::internal(format!("template failed: {error}")))
}

#[derive(Template)]
#[template(path = "landing.html")]
struct LandingTemplate {
    ctx: PageContext,
    region_name: Option<String>,
    stats: Vec<(&'static str, String)>,
    provinces: Vec<ProvinceRow>,
    categories: Vec<(String, u64, u32)>,
    map_svg: String,
}

struct ProvinceRow {
    code: &'static str,
    name: &'static str,
    cities: u64,
    institutions: u64,
    instruments: u64,
}

/// A large sum as people say it: "¥91.9 billion", "918.6 亿元".
fn large_yuan(fen: i64, language: Language) -> String {
    let yuan = fen.max(0) as f64 / 100.0;
    match language {
        Language::English if yuan >= 1e9 => format!("¥{:.1} billion", yuan / 1e9),
        Language::English => format!("¥{:.1} million", yuan / 1e6),
        Language::Chinese => format!("{:.1} 亿元", yuan / 1e8),
    }
}

async fn landing(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    request: Request,
) -> Result<Html<String>, PageError> {
    let ctx = PageContext::new(&requester, request.extensions(), "/");
    let overview = match state.app.catalogue().overview().await {
        Ok(overview) => overview,
        Err(error) => {
            return Err(PageError {
                error: error.into(),
                context: ctx,
            })
        }
    };
    let corridor_app::catalogue::RegionOverview {
        region,
        summary,
        provinces,
        categories,
        cities,
    } = overview;
    let t = ctx.t;
    let kind = |kind: corridor_domain::InstitutionKind| {
        summary
            .institutions_by_kind
            .get(&kind)
            .copied()
            .unwrap_or(0)
    };
    use corridor_domain::InstitutionKind::*;
    let stats = vec![
        (t.instruments, readable::grouped(summary.instruments)),
        (t.institutions, readable::grouped(summary.institutions)),
        (t.universities, readable::grouped(kind(University))),
        (
            t.research_institutes,
            readable::grouped(kind(ResearchInstitute)),
        ),
        (t.corporations, readable::grouped(kind(Corporation))),
        (t.hospitals, readable::grouped(kind(Hospital))),
        (t.cities, readable::grouped(summary.cities)),
        (t.beamlines, readable::grouped(summary.beamlines)),
        (
            t.purchase_value,
            large_yuan(summary.purchase_value_fen, ctx.language),
        ),
    ];
    let provinces = provinces
        .into_iter()
        .map(|province| ProvinceRow {
            code: province.code.as_code(),
            name: if ctx.is_chinese() {
                province.code.name_zh()
            } else {
                province.code.name_en()
            },
            cities: province.cities,
            institutions: province.institutions,
            instruments: province.instruments,
        })
        .collect();
    let most = summary
        .instruments_by_category
        .values()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let mut category_rows: Vec<(String, u64, u32)> = categories
        .iter()
        .filter(|category| category.code.is_top_level())
        .map(|category| {
            let count = summary
                .instruments_by_category
                .get(category.code.as_str())
                .copied()
                .unwrap_or(0);
            (
                ctx.name(&category.name_en, &category.name_zh).to_owned(),
                count,
                (count * 100 / most) as u32,
            )
        })
        .filter(|(_, count, _)| *count > 0)
        .collect();
    category_rows.sort_by_key(|row| std::cmp::Reverse(row.1));
    let map_svg = crate::map::region_map_svg(&cities, ctx.language, t.map_title);
    let page = LandingTemplate {
        region_name: region.map(|region| region.name),
        stats,
        provinces,
        categories: category_rows,
        map_svg,
        ctx,
    };
    render(&page).map_err(|error| PageError {
        error,
        context: page.ctx,
    })
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInTemplate {
    ctx: PageContext,
    email: String,
    failed: bool,
    /// The password was right but the address is not confirmed yet.
    unverified: bool,
    /// Where to go once signed in (a path of this site), carried through the form.
    next: String,
    /// A button per configured identity provider.
    providers: Vec<sso::SsoButton>,
}

#[derive(Debug, Default, Deserialize)]
struct SignInParams {
    next: Option<String>,
    /// The address to fill in (after a confirmation or a reset).
    email: Option<String>,
}

async fn sign_in_form(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<SignInParams>,
    request: Request,
) -> Result<Html<String>, PageError> {
    let ctx = PageContext::new(&requester, request.extensions(), "/sign-in");
    let page = SignInTemplate {
        providers: sso::buttons(&state, &ctx, params.next.as_deref().unwrap_or_default()),
        ctx,
        email: params
            .email
            .as_deref()
            .and_then(|email| corridor_domain::EmailAddress::parse(email).ok())
            .map(|email| email.as_str().to_owned())
            .unwrap_or_default(),
        failed: false,
        unverified: false,
        next: params
            .next
            .as_deref()
            .and_then(forms::safe_return_path)
            .unwrap_or_default(),
    };
    render(&page).map_err(|error| PageError {
        error,
        context: page.ctx,
    })
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    email: String,
    password: String,
    csrf_token: String,
    #[serde(default)]
    next: String,
}

/// The CSRF token of a session: derived from its secret, so that someone who can plant a
/// cookie in the browser (a sibling subdomain) still cannot make a token the server accepts
/// for the victim's session (issue 30, finding 8).
pub(crate) fn session_csrf_token(session_secret: &str) -> String {
    corridor_app::accounts::secret_hash(&format!("corridor-csrf:{session_secret}"))
}

/// Whether a posted form is the site's own: its CSRF token is the session's (or, without a
/// session, equals the double-submit cookie), and the browser's `Origin` (or, lacking it,
/// `Referer`) names this host.
fn csrf_matches(headers: &HeaderMap, submitted: &str) -> bool {
    if !same_origin(headers) || submitted.is_empty() {
        return false;
    }
    let jar = CookieJar::from_headers(headers);
    let expected = match jar.get(SESSION_COOKIE) {
        Some(session) => session_csrf_token(session.value()),
        None => match jar.get(CSRF_COOKIE) {
            Some(cookie) => cookie.value().to_owned(),
            None => return false,
        },
    };
    constant_time_equal(expected.as_bytes(), submitted.as_bytes())
}

/// Whether the `Origin` header (or, when a browser sends none, the `Referer`) names the host
/// the request was sent to (`Host`, or `X-Forwarded-Host` behind a proxy). A request with
/// neither header is not a browser's cross-site form and passes on its token alone.
fn same_origin(headers: &HeaderMap) -> bool {
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|value| value.to_str().ok());
    let Some(claimed) = claimed else {
        return true;
    };
    // "null" is what a browser sends from a sandboxed or opaque origin: never ours.
    let authority = claimed
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
        .unwrap_or("");
    if authority.is_empty() {
        return false;
    }
    ["x-forwarded-host", "host"].iter().any(|name| {
        headers
            .get(*name)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|host| host.eq_ignore_ascii_case(authority))
    })
}

fn constant_time_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .fold(0u8, |difference, (x, y)| difference | (x ^ y))
            == 0
}

async fn sign_in_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/sign-in");
    let form = match <Form<SignInForm> as axum::extract::FromRequest<Arc<AppState>>>::from_request(
        request, &state,
    )
    .await
    {
        Ok(Form(form)) => form,
        Err(error) => return page_error(error, ctx),
    };
    if !csrf_matches(&headers, &form.csrf_token) {
        return PageError {
            error: ApiError::Forbidden(
                "the form's CSRF token did not match; reload the page and try again".into(),
            ),
            context: ctx,
        }
        .into_response();
    }
    let started = state
        .app
        .accounts()
        .start_session(&requester, &form.email, form.password)
        .await;
    let session = match started {
        Ok(session) => session,
        Err(error @ (AppError::BadCredentials | AppError::EmailNotVerified)) => {
            let unverified = matches!(error, AppError::EmailNotVerified);
            let page = SignInTemplate {
                providers: sso::buttons(&state, &ctx, &form.next),
                ctx,
                email: form.email,
                failed: !unverified,
                unverified,
                next: forms::safe_return_path(&form.next).unwrap_or_default(),
            };
            let status = if unverified {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNAUTHORIZED
            };
            return match render(&page) {
                Ok(html) => (status, html).into_response(),
                Err(error) => error.into_response(),
            };
        }
        Err(error) => return page_error(error, ctx),
    };
    let cookie = auth::session_cookie(session.token, state.secure_cookies);
    let destination = forms::safe_return_path(&form.next).unwrap_or_else(|| "/".to_owned());
    (CookieJar::new().add(cookie), Redirect::to(&destination)).into_response()
}

#[derive(Debug, Deserialize)]
struct SignOutForm {
    csrf_token: String,
}

async fn sign_out(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<SignOutForm>,
) -> Response {
    if !csrf_matches(&headers, &form.csrf_token) {
        return ApiError::Forbidden(
            "the form's CSRF token did not match; reload the page and try again".into(),
        )
        .into_response();
    }
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        if let Err(error) = state
            .app
            .accounts()
            .end_session(&requester, cookie.value())
            .await
        {
            return ApiError::from(error).into_response();
        }
    }
    (
        jar.remove(Cookie::build(SESSION_COOKIE).path("/")),
        Redirect::to("/"),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemTemplate {
    ctx: PageContext,
    slug: String,
    title: &'static str,
    status: u16,
    explanation: &'static str,
}

async fn problem_page(
    requester: Requester,
    Path(slug): Path<String>,
    request: Request,
) -> Result<Html<String>, PageError> {
    let ctx = PageContext::new(
        &requester,
        request.extensions(),
        &format!("/problems/{slug}"),
    );
    let Some((_, title, status, explanation)) =
        PROBLEM_KINDS.iter().find(|(kind, ..)| *kind == slug)
    else {
        return Err(PageError {
            error: ApiError::NotFound(format!("no problem type {slug:?}")),
            context: ctx,
        });
    };
    let page = ProblemTemplate {
        ctx,
        slug,
        title,
        status: *status,
        explanation,
    };
    render(&page).map_err(|error| PageError {
        error,
        context: page.ctx,
    })
}

/// The week calendar's, the booking forms' and the consoles' styles, kept apart from the
/// site's stylesheet so that the booking pages can change without touching the rest.
async fn booking_stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates/bookings.css"),
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../static/favicon.svg"),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/corridor.css"),
    )
        .into_response()
}
