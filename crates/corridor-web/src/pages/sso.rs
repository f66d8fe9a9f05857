//! Single sign-on's pages: a provider's button on the sign-in page links here, the browser is
//! sent to the provider, and the provider sends it back to the callback, which signs the person
//! in. The button is a link, not a form: the pages' Content-Security-Policy allows forms to
//! post only to this site, and a browser holds a form's redirects to that too, so a posted form
//! could never reach the provider. Starting a sign-in by a link someone else planted does no
//! harm: it ends, at best, with the person signed in as themselves. Every rule (state, nonce, `iss`, PKCE, what happens to accounts) is in
//! `corridor_app::sso`; these handlers carry the browser's state cookie, call one operation and
//! word its failures in the reader's language, never as a bare 500.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use corridor_app::sso::{SsoCallback, SsoFailure};
use corridor_app::AppError;
use serde::Deserialize;

use super::{forms, page_error, respond_with_page, PageContext};
use crate::auth::{self, Requester};
use crate::extract::{Path, Query};
use crate::AppState;

/// The cookie that binds a sign-in's state to the browser that started it. `SameSite=Lax`,
/// because the provider's redirect back is a cross-site navigation that must carry it; only the
/// single sign-on paths see it, and the browser drops it when it closes (the server refuses
/// its state after `SIGN_IN_LIFETIME` anyway).
pub const SSO_STATE_COOKIE: &str = "corridor_sso_state";
const SSO_COOKIE_PATH: &str = "/sign-in/sso";

/// A provider's button as the sign-in page shows it: where it leads and what it says.
pub struct SsoButton {
    pub id: String,
    pub href: String,
    pub label: String,
}

/// The buttons of the configured providers, worded in the reader's language, each bringing
/// the person back to `next` once signed in.
pub fn buttons(state: &AppState, ctx: &PageContext, next: &str) -> Vec<SsoButton> {
    let query = forms::safe_return_path(next)
        .map(|path| {
            format!(
                "?{}",
                serde_urlencoded::to_string([("next", path.as_str())]).unwrap_or_default()
            )
        })
        .unwrap_or_default();
    state
        .app
        .sso()
        .providers()
        .into_iter()
        .map(|provider| SsoButton {
            href: format!("/sign-in/sso/{}{query}", provider.id),
            label: if ctx.is_chinese() {
                format!("通过{}登录", provider.name_zh)
            } else {
                format!("Sign in with {}", provider.name_en)
            },
            id: provider.id,
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct StartParams {
    #[serde(default)]
    next: String,
}

/// `GET /sign-in/sso/{provider}`: starts a sign-in and sends the browser to the provider.
pub(super) async fn start(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(provider): Path<String>,
    Query(params): Query<StartParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/sign-in");
    let next = forms::safe_return_path(&params.next);
    match state.app.sso().begin(&provider, next.as_deref()).await {
        Ok(started) => {
            let cookie = Cookie::build((SSO_STATE_COOKIE, started.browser_state))
                .path(SSO_COOKIE_PATH)
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(state.secure_cookies)
                .build();
            (
                CookieJar::new().add(cookie),
                Redirect::to(&started.authorization_url),
            )
                .into_response()
        }
        Err(AppError::SingleSignOn(failure)) => failure_page(ctx, &failure),
        Err(error) => page_error(error, ctx),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

/// `GET /sign-in/sso/{provider}/callback`: where the provider sends the browser back.
pub(super) async fn callback(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    jar: CookieJar,
    Path(provider): Path<String>,
    Query(params): Query<CallbackParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/sign-in");
    let browser_state = jar
        .get(SSO_STATE_COOKIE)
        .map(|cookie| cookie.value().to_owned());
    let finished = state
        .app
        .sso()
        .finish(
            &requester,
            &provider,
            SsoCallback {
                code: params.code,
                state: params.state,
                iss: params.iss,
                error: params.error,
            },
            browser_state.as_deref(),
            ctx.language,
        )
        .await;
    // The state cookie has done its work, whatever the outcome.
    let jar = jar.remove(Cookie::build(SSO_STATE_COOKIE).path(SSO_COOKIE_PATH));
    match finished {
        Ok(signed_in) => {
            let destination = signed_in
                .return_path
                .as_deref()
                .and_then(forms::safe_return_path)
                .unwrap_or_else(|| "/".to_owned());
            let jar = jar.add(auth::session_cookie(
                signed_in.session.token,
                state.secure_cookies,
            ));
            (jar, Redirect::to(&destination)).into_response()
        }
        Err(AppError::SingleSignOn(failure)) => (jar, failure_page(ctx, &failure)).into_response(),
        Err(error) => (jar, page_error(error, ctx)).into_response(),
    }
}

#[derive(Template)]
#[template(path = "sso_failed.html")]
struct FailedTemplate {
    ctx: PageContext,
    title: &'static str,
    explanation: String,
    slug: &'static str,
    offer_sign_up: bool,
}

/// The page of a sign-in that did not happen: what went wrong and what the person can do, in
/// their language, with the status the failure deserves.
fn failure_page(ctx: PageContext, failure: &SsoFailure) -> Response {
    let chinese = ctx.is_chinese();
    let pick = |english: &'static str, chinese_text: &'static str| {
        if chinese {
            chinese_text
        } else {
            english
        }
    };
    let (status, explanation, offer_sign_up) = match failure {
        SsoFailure::UnknownProvider => (
            StatusCode::NOT_FOUND,
            pick("This site offers no sign-in through that provider.", "本站未提供该身份提供方的登录。").to_owned(),
            false,
        ),
        SsoFailure::ProviderUnavailable => (
            StatusCode::BAD_GATEWAY,
            pick("Your institution's sign-in service did not answer. Please try again in a few minutes, or sign in with your e-mail address and password.", "所在机构的登录服务暂时没有响应。请几分钟后再试，或使用电子邮箱和密码登录。").to_owned(),
            false,
        ),
        SsoFailure::Denied(_) => (
            StatusCode::FORBIDDEN,
            pick("The sign-in was cancelled or refused at your institution's sign-in service. Nothing was changed.", "登录在所在机构的登录服务处被取消或拒绝，未作任何更改。").to_owned(),
            false,
        ),
        SsoFailure::StateMismatch => (
            StatusCode::BAD_REQUEST,
            pick("This sign-in was started in another browser or tab, so it cannot finish here. Please start again from the sign-in page.", "此次登录是在其他浏览器或标签页中发起的，无法在此完成。请从登录页重新开始。").to_owned(),
            false,
        ),
        SsoFailure::Expired => (
            StatusCode::BAD_REQUEST,
            pick("This sign-in has expired or was used already. Please start again from the sign-in page.", "此次登录已过期或已被使用。请从登录页重新开始。").to_owned(),
            false,
        ),
        SsoFailure::Rejected => (
            StatusCode::BAD_REQUEST,
            pick("The answer from your institution's sign-in service did not pass our checks, so nobody was signed in. Please start again.", "所在机构登录服务的应答未通过校验，未登录任何账户。请重新开始。").to_owned(),
            false,
        ),
        SsoFailure::NoEmail => (
            StatusCode::FORBIDDEN,
            pick("Your institution's sign-in service did not tell us your e-mail address, which an account needs. Please sign up with your e-mail address instead.", "所在机构的登录服务未提供您的电子邮箱，而账户需要邮箱。请改用电子邮箱注册。").to_owned(),
            true,
        ),
        SsoFailure::UnknownInstitution(value) => (
            StatusCode::FORBIDDEN,
            if chinese {
                format!("您的所在机构（{value}）尚未通过此登录服务接入本站，因此无法确认您的成员身份。请使用电子邮箱注册并选择所在机构。")
            } else {
                format!("Your home institution ({value}) is not connected to this site through this sign-in service, so your membership cannot be vouched for. Please sign up with your e-mail address and choose your institution.")
            },
            true,
        ),
        SsoFailure::AddressTaken => (
            StatusCode::CONFLICT,
            pick("An account with your e-mail address exists already, and your institution's sign-in service does not confirm the address, so we cannot join the two. Please sign in with your password.", "已有使用此电子邮箱的账户，而所在机构的登录服务未确认该邮箱，因此无法关联。请使用密码登录。").to_owned(),
            false,
        ),
    };
    let page = FailedTemplate {
        title: pick("Single sign-on did not work", "统一身份认证登录未成功"),
        explanation,
        slug: failure.slug(),
        offer_sign_up,
        ctx,
    };
    respond_with_page(status, page, |page| page.ctx)
}
