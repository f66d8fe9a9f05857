//! Errors a person can read: every failure of a request that asks for HTML is answered with
//! a page in the reader's language, with the status code the API would give and a way back
//! (home, search), while the API and every client that asks for JSON keep problem+json.
//!
//! Pages that fail inside their handler answer with [`PageError`]. Failures that happen before
//! a page handler runs (no such route, a method the route does not take, a body too large, a
//! form whose CSRF token does not match) are problem+json answers of the shared edge;
//! [`html_error_pages`] turns those into the same page when the browser asked for HTML.

use askama::Template;
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use corridor_domain::Language;
use serde::Deserialize;

use super::{
    csrf_token_of, language_of, ChosenLanguage, CsrfToken, PageContext, CONTENT_SECURITY_POLICY,
};
use crate::auth::{AuthenticatedUser, Requester};
use crate::problem::ApiError;

/// The error page for `error`, in the page's language, with the status the API would give it.
pub fn page_error(error: impl Into<ApiError>, context: PageContext) -> Response {
    PageError {
        error: error.into(),
        context,
    }
    .into_response()
}

/// An error on a page is shown as a page, in the page's language, with the same status code
/// the API would use.
pub struct PageError {
    pub(crate) error: ApiError,
    pub(crate) context: PageContext,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate<'a> {
    ctx: &'a PageContext,
    status: u16,
    heading: &'static str,
    explanation: &'static str,
    /// What exactly went wrong, as the rule or the edge worded it.
    detail: String,
}

/// The heading and the explanation of an error page for a status, in the reader's language:
/// what happened and what the reader can do about it.
fn error_words(status: u16, language: Language) -> (&'static str, &'static str) {
    let chinese = language == Language::Chinese;
    let pick = |english: (&'static str, &'static str),
                chinese_words: (&'static str, &'static str)| {
        if chinese {
            chinese_words
        } else {
            english
        }
    };
    match status {
        404 => pick(
            ("Page not found", "There is no page at this address, or it is not yours to see. Check the address, or search for what you were looking for."),
            ("找不到页面", "此地址没有页面，或者您无权查看。请检查地址，或直接搜索您要找的内容。"),
        ),
        400 | 422 => pick(
            ("The request could not be used", "Something in the address or the form was not accepted. The details below say what; go back and correct it."),
            ("请求无法处理", "地址或表单中的某项内容未被接受，下面的详情说明了原因；请返回修改。"),
        ),
        401 => pick(
            ("Please sign in", "This page is for signed-in users."),
            ("请先登录", "此页面仅对已登录用户开放。"),
        ),
        403 => pick(
            ("Not allowed", "You are signed in, but this is not open to you, or the form was too old to accept. Reload the page and try again, or ask the people who manage it."),
            ("无权操作", "您已登录，但无权进行此操作，或表单已过期。请刷新页面重试，或联系管理人员。"),
        ),
        405 => pick(
            ("Not possible here", "This address does not take this kind of request."),
            ("无法在此操作", "此地址不接受这种请求。"),
        ),
        408 => pick(
            ("That took too long", "The server gave up waiting for this request. Try again."),
            ("请求超时", "服务器等待此请求超时，请重试。"),
        ),
        409 => pick(
            ("Something changed in the meantime", "What you asked for conflicts with what is stored now. Reload the page to see the current state."),
            ("内容已发生变化", "您的请求与当前记录冲突。请刷新页面查看最新状态。"),
        ),
        413 => pick(
            ("Too large", "What was sent is larger than the server accepts."),
            ("内容过大", "提交的内容超过了服务器允许的大小。"),
        ),
        429 => pick(
            ("Too many attempts", "Please wait a little and try again."),
            ("尝试次数过多", "请稍候再试。"),
        ),
        _ => pick(
            ("Something went wrong on our side", "The server could not answer this request. The failure was logged; trying again later may help."),
            ("服务器出错", "服务器未能处理此请求，错误已记录；请稍后再试。"),
        ),
    }
}

fn error_page_response(status: StatusCode, detail: String, context: &PageContext) -> Response {
    let (heading, explanation) = error_words(status.as_u16(), context.language);
    let page = ErrorTemplate {
        ctx: context,
        status: status.as_u16(),
        heading,
        explanation,
        detail,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, status.as_u16().to_string()).into_response(),
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(cause) = &self.error {
            tracing::error!(cause = %crate::problem::error_chain(cause.as_ref()), "page failed");
        }
        let problem = self.error.to_problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        error_page_response(status, problem.detail, &self.context)
    }
}

/// The page context of a request that no page handler has seen: its language, who is signed
/// in (the authentication layer ran) and its CSRF token, read from the cookies.
fn context_of_request(request: &Request) -> PageContext {
    let requester = Requester(corridor_app::Actor {
        user: request
            .extensions()
            .get::<AuthenticatedUser>()
            .and_then(|authenticated| authenticated.0.clone()),
        client_address: None,
    });
    let (language, _) = language_of(request.headers(), request.uri().query());
    let csrf = csrf_token_of(&CookieJar::from_headers(request.headers())).unwrap_or_default();
    let mut extensions = axum::http::Extensions::new();
    extensions.insert(ChosenLanguage(language));
    extensions.insert(CsrfToken(csrf));
    PageContext::new(&requester, &extensions, request.uri().path())
}

fn with_page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    response
}

/// The 403 page for a signed-in user whose roles the route's gate does not admit, in the
/// visitor's language, with the pages' security headers (the gate answers before the pages'
/// own middleware runs).
pub(crate) fn forbidden_page(
    request: &Request,
    gate: crate::authz::Gate,
    reason: String,
) -> Response {
    let context = context_of_request(request);
    let reason = match gate {
        crate::authz::Gate::Managers => context.t.manage_forbidden.to_owned(),
        _ => reason,
    };
    with_page_headers(page_error(ApiError::Forbidden(reason), context))
}

/// Whether the client asked for a page: a browser's navigation sends `Accept: text/html,…`;
/// API clients and scripts send JSON or `*/*`.
fn asks_for_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The fields of a problem+json body the page shows.
#[derive(Deserialize)]
struct ProblemFields {
    #[serde(default)]
    detail: String,
}

/// The largest problem body read back to word it as a page; ours are a few hundred bytes.
const PROBLEM_BODY_LIMIT: usize = 64 * 1024;

/// Answers a request that asks for HTML and fails with a problem+json body with the error
/// page instead, in the reader's language and with the same status code. The API
/// (`/api/…`) always keeps problem+json: a client of the API that sends a browser's Accept
/// header still gets the documented shape.
pub(crate) async fn html_error_pages(request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/api/") || !asks_for_html(request.headers()) {
        return next.run(request).await;
    }
    let context = context_of_request(&request);
    let response = next.run(request).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return response;
    }
    let (parts, body) = response.into_parts();
    let detail = match axum::body::to_bytes(body, PROBLEM_BODY_LIMIT).await {
        Ok(bytes) => serde_json::from_slice::<ProblemFields>(&bytes)
            .map(|problem| problem.detail)
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let mut page = with_page_headers(error_page_response(parts.status, detail, &context));
    // What tells a client when to come back stays with the page.
    if let Some(retry_after) = parts.headers.get(header::RETRY_AFTER) {
        page.headers_mut()
            .insert(header::RETRY_AFTER, retry_after.clone());
    }
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        page.headers_mut().insert(header::ALLOW, allow.clone());
    }
    page
}
