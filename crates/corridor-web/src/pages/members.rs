//! `/institution/members`: an institution admin's list of the people who signed up naming
//! the institution, with a button to admit or refuse each. The rule (who decides, what a
//! decision changes, the mail to the person) is `corridor_app::enrolment`'s.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use corridor_domain::{InstitutionId, Membership, UserId};
use serde::Deserialize;

use super::forms::{see_page, to_sign_in, FormPage, PageForm, SignedInForm};
use super::{page_error, respond_with_page, PageContext};
use crate::auth::Requester;
use crate::extract::Query;
use crate::problem::ApiError;
use crate::AppState;

pub struct MemberRow {
    pub user: i64,
    pub name: String,
    pub email: String,
    pub state: String,
    pub verified: bool,
    pub signed_up: String,
    pub refused: bool,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersTemplate {
    ctx: PageContext,
    institution: i64,
    institution_name: String,
    rows: Vec<MemberRow>,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MembersParams {
    institution: Option<i64>,
    notice: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// `GET /institution/members[?institution=ID]`: the admin's own institution, or the one
/// named (platform admins name any).
pub async fn members_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<MembersParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/institution/members");
    if requester.user.is_none() {
        return to_sign_in();
    }
    let Some(institution) = super::roster::steered_institution(&requester, params.institution)
    else {
        return page_error(
            ApiError::Forbidden("only an institution's admins decide its members".into()),
            ctx,
        );
    };
    let requests = match state
        .app
        .enrolment()
        .membership_requests(&requester, institution)
        .await
    {
        Ok(requests) => requests,
        Err(error) => return page_error(error, ctx),
    };
    let institution_name = match state.app.catalogue().institution(institution).await {
        Ok(found) => ctx
            .name(&found.institution.name_en, &found.institution.name_zh)
            .to_owned(),
        Err(error) => return page_error(error, ctx),
    };
    let zone = state.app.region_time_zone().clone();
    let rows = requests
        .into_iter()
        .map(|request| MemberRow {
            user: request.user.0,
            name: request.display_name,
            email: request.email.as_str().to_owned(),
            state: match request.membership {
                Membership::Requested => ctx.name("asks to join", "申请加入").to_owned(),
                Membership::Refused => ctx.name("refused", "已拒绝").to_owned(),
                Membership::Admitted => ctx.name("member", "成员").to_owned(),
            },
            verified: request.email_verified,
            signed_up: request
                .signed_up_at
                .to_zoned(zone.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string(),
            refused: request.membership == Membership::Refused,
        })
        .collect();
    let notice = match params.notice.as_deref() {
        Some("admitted") => Some(
            ctx.name(
                "Admitted: the new member was told by mail.",
                "已确认，系统已邮件通知该成员。",
            )
            .to_owned(),
        ),
        Some("refused") => Some(
            ctx.name(
                "Refused: the person was told by mail.",
                "已拒绝，系统已邮件通知对方。",
            )
            .to_owned(),
        ),
        _ => None,
    };
    let page = MembersTemplate {
        ctx,
        institution: institution.0,
        institution_name,
        rows,
        notice,
    };
    respond_with_page(StatusCode::OK, page, |page| page.ctx)
}

#[derive(Debug, Deserialize)]
pub struct DecisionFields {
    /// Read as text: a flattened form (the CSRF wrapper) hands serde every value as a string.
    institution: String,
    decision: String,
}

impl PageForm for DecisionFields {
    const PAGE: FormPage = FormPage::Fixed("/institution/members");
}

/// `POST /institution/members/{user}/decision` with `decision=admit|refuse`.
pub async fn decision_submit(
    State(state): State<Arc<AppState>>,
    Path(member): Path<i64>,
    form: SignedInForm<DecisionFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let admit = match fields.decision.as_str() {
        "admit" => true,
        "refuse" => false,
        _ => {
            return page_error(
                ApiError::invalid("decision", "must be admit or refuse"),
                ctx,
            )
        }
    };
    let Ok(institution) = fields.institution.trim().parse::<i64>().map(InstitutionId) else {
        return page_error(
            ApiError::invalid("institution", "must be an institution id"),
            ctx,
        );
    };
    match state
        .app
        .enrolment()
        .decide_membership(&requester, institution, UserId(member), admit)
        .await
    {
        Ok(()) => see_page(&format!(
            "/institution/members?institution={}&notice={}",
            institution.0,
            if admit { "admitted" } else { "refused" }
        )),
        Err(error) => page_error(error, ctx),
    }
}
