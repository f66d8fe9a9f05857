//! `/account/tokens`: the signed-in user's API tokens, with a form that makes one (its
//! secret shown once) and a button per token that revokes it (refused at once on every
//! server). Its words live here in both languages, as the console sections keep theirs.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use corridor_domain::Language;
use serde::Deserialize;

use super::forms::{field_text, to_sign_in, ButtonPress, FormPage, PageForm, SignedInForm};
use super::{page_error, PageContext};
use crate::auth::Requester;
use crate::extract::Query;
use crate::AppState;

pub struct TokensText {
    pub title: &'static str,
    pub intro: &'static str,
    pub created: &'static str,
    pub revoked: &'static str,
    pub name: &'static str,
    pub lifetime: &'static str,
    pub create: &'static str,
    pub none: &'static str,
    pub col_name: &'static str,
    pub col_created: &'static str,
    pub col_expires: &'static str,
    pub col_state: &'static str,
    pub state_active: &'static str,
    pub state_revoked: &'static str,
    pub state_expired: &'static str,
    pub revoke: &'static str,
    pub bad_lifetime: &'static str,
}

const ENGLISH: TokensText = TokensText {
    title: "API tokens",
    intro: "Tokens let programs use the API as you: send one as Authorization: Bearer <token>. A token is shown once, when it is made; revoke it when it is no longer needed or may have leaked.",
    created: "Your new token is below. Copy it now: it will not be shown again.",
    revoked: "The token was revoked; it is refused from now on.",
    name: "What it is for",
    lifetime: "Days it lives (1 to 365)",
    create: "Make a token",
    none: "You have no API tokens.",
    col_name: "Name",
    col_created: "Made",
    col_expires: "Expires",
    col_state: "State",
    state_active: "active",
    state_revoked: "revoked",
    state_expired: "expired",
    revoke: "Revoke",
    bad_lifetime: "The lifetime is a whole number of days from 1 to 365.",
};

const CHINESE: TokensText = TokensText {
    title: "API 令牌",
    intro: "令牌让程序以您的身份调用 API：以 Authorization: Bearer <令牌> 发送。令牌只在生成时显示一次；不再需要或可能泄露时请撤销。",
    created: "新令牌如下，请立即复制：之后不会再次显示。",
    revoked: "令牌已撤销，此后将被拒绝。",
    name: "用途",
    lifetime: "有效天数（1 至 365）",
    create: "生成令牌",
    none: "您还没有 API 令牌。",
    col_name: "名称",
    col_created: "生成时间",
    col_expires: "到期时间",
    col_state: "状态",
    state_active: "有效",
    state_revoked: "已撤销",
    state_expired: "已过期",
    revoke: "撤销",
    bad_lifetime: "有效期须为 1 至 365 的整数天。",
};

pub fn tokens_text(language: Language) -> &'static TokensText {
    match language {
        Language::English => &ENGLISH,
        Language::Chinese => &CHINESE,
    }
}

pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub expires: String,
    pub state: &'static str,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "account_tokens.html")]
struct TokensTemplate {
    ctx: PageContext,
    at: &'static TokensText,
    rows: Vec<TokenRow>,
    created: Option<String>,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TokensParams {
    notice: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

async fn render(
    state: &AppState,
    requester: &Requester,
    ctx: PageContext,
    created: Option<String>,
    notice: Option<&'static str>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let tokens = match state.app.accounts().my_api_tokens(requester).await {
        Ok(tokens) => tokens,
        Err(error) => return page_error(error, ctx),
    };
    let at = tokens_text(ctx.language);
    let zone = state.app.region_time_zone().clone();
    let time = |instant: jiff::Timestamp| {
        instant
            .to_zoned(zone.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let now = corridor_store::now();
    let rows = tokens
        .iter()
        .map(|token| {
            let (state, active) = match (token.revoked_at, token.expires_at > now) {
                (Some(_), _) => (at.state_revoked, false),
                (None, false) => (at.state_expired, false),
                (None, true) => (at.state_active, true),
            };
            TokenRow {
                id: token.id,
                name: token.name.clone(),
                created: time(token.created_at),
                expires: time(token.expires_at),
                state,
                active,
            }
        })
        .collect();
    let page = TokensTemplate {
        ctx,
        at,
        rows,
        created,
        notice,
        error,
    };
    super::respond_with_page(status, page, |page| page.ctx)
}

/// `GET /account/tokens`.
pub async fn tokens_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<TokensParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/account/tokens");
    if requester.user.is_none() {
        return to_sign_in();
    }
    let notice = match params.notice.as_deref() {
        Some("revoked") => Some(tokens_text(ctx.language).revoked),
        _ => None,
    };
    render(&state, &requester, ctx, None, notice, None, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct TokenFields {
    name: Option<String>,
    lifetime_days: Option<String>,
}

impl PageForm for TokenFields {
    const PAGE: FormPage = FormPage::Fixed("/account/tokens");
}

/// `POST /account/tokens`: makes a token and shows its secret once.
pub async fn create_submit(
    State(state): State<Arc<AppState>>,
    form: SignedInForm<TokenFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let at = tokens_text(ctx.language);
    let lifetime = match field_text(&fields.lifetime_days) {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(days) => Some(days),
            Err(_) => {
                let error = Some(at.bad_lifetime.to_owned());
                return render(
                    &state,
                    &requester,
                    ctx,
                    None,
                    None,
                    error,
                    StatusCode::BAD_REQUEST,
                )
                .await;
            }
        },
    };
    let created = state
        .app
        .accounts()
        .create_my_api_token(&requester, field_text(&fields.name), lifetime)
        .await;
    match created {
        Ok(created) => {
            render(
                &state,
                &requester,
                ctx,
                Some(created.token),
                None,
                None,
                StatusCode::CREATED,
            )
            .await
        }
        Err(corridor_app::AppError::Invalid { field, reason }) => {
            let error = if field == "lifetime_days" {
                at.bad_lifetime.to_owned()
            } else {
                format!("{field}: {reason}")
            };
            render(
                &state,
                &requester,
                ctx,
                None,
                None,
                Some(error),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
        Err(error) => page_error(error, ctx),
    }
}

/// `POST /account/tokens/{id}/revoke`.
pub async fn revoke_submit(press: ButtonPress) -> Response {
    let token = press.id;
    press
        .act(
            "/account/tokens",
            "/account/tokens?notice=revoked",
            async |app, requester| app.accounts().revoke_my_api_token(requester, token).await,
        )
        .await
}
