//! The pages of `corridor_app::roster`: an institution's people and their roles with the
//! forms that appoint and remove managers and admins and grant qualifications in bulk
//! (`/institution/people`), the platform admin's new institutions (`/admin/institutions`),
//! and a person's own web sessions (`/account/sessions`). The rules are the application
//! layer's; these handlers read the form, call one operation and show the outcome.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::cookie::CookieJar;
use corridor_app::roster::{InstitutionFields, APPOINTABLE_ROLES};
use corridor_domain::{
    InstitutionId, InstitutionKind, InstrumentId, Membership, Role, Sector, UserId,
};
use serde::Deserialize;

use super::forms::{field_text, see_page, to_sign_in, FormPage, PageForm, SignedInForm};
use super::{page_error, respond_with_page, PageContext};
use crate::auth::{Requester, SESSION_COOKIE};
use crate::extract::Query;
use crate::problem::ApiError;
use crate::AppState;

/// One person on the roster page, with the roles they may be given or lose.
pub struct PersonRow {
    pub user: i64,
    pub name: String,
    pub email: String,
    pub standing: String,
    pub roles: Vec<RoleCell>,
}

/// One appointable role of one person: whether they hold it, and whether they could be given
/// it (only admitted members are appointed).
pub struct RoleCell {
    pub code: &'static str,
    pub label: &'static str,
    pub held: bool,
    pub appointable: bool,
}

#[derive(Template)]
#[template(path = "institution_people.html")]
struct PeopleTemplate {
    ctx: PageContext,
    institution: i64,
    institution_name: String,
    rows: Vec<PersonRow>,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PeopleParams {
    institution: Option<i64>,
    notice: Option<String>,
    changed: Option<u64>,
    #[allow(dead_code)]
    lang: Option<String>,
}

fn role_label(ctx: &PageContext, role: Role) -> &'static str {
    match role {
        Role::InstrumentManager => ctx.name("instrument manager", "仪器管理员"),
        Role::InstitutionAdmin => ctx.name("institution admin", "机构管理员"),
        _ => role.as_code(),
    }
}

/// The institution a steering page is about: the one named, else the admin's own (the first
/// institution they admit members of; a platform admin's home). Shared by the members page.
pub(super) fn steered_institution(
    requester: &Requester,
    named: Option<i64>,
) -> Option<InstitutionId> {
    let user = requester.user.as_ref()?;
    match named {
        Some(id) => Some(InstitutionId(id)),
        None => match user.member_admitting_institutions() {
            Some(ids) => ids.first().copied(),
            None => Some(user.home_institution),
        },
    }
}

/// `GET /institution/people[?institution=ID]`.
pub async fn people_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<PeopleParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/institution/people");
    if requester.user.is_none() {
        return to_sign_in();
    }
    let Some(institution) = steered_institution(&requester, params.institution) else {
        return page_error(
            ApiError::Forbidden("only an institution's admins steer its people".into()),
            ctx,
        );
    };
    let roster = match state
        .app
        .roster()
        .institution_roster(&requester, institution)
        .await
    {
        Ok(roster) => roster,
        Err(error) => return page_error(error, ctx),
    };
    let institution_name = match state.app.catalogue().institution(institution).await {
        Ok(found) => ctx
            .name(&found.institution.name_en, &found.institution.name_zh)
            .to_owned(),
        Err(error) => return page_error(error, ctx),
    };
    let rows = roster
        .into_iter()
        .map(|entry| {
            let admitted = entry.home_here && entry.membership == Membership::Admitted;
            PersonRow {
                user: entry.user.0,
                name: entry.display_name,
                email: entry.email.as_str().to_owned(),
                standing: match (entry.home_here, entry.membership) {
                    (false, _) => ctx
                        .name("of another institution", "其他机构人员")
                        .to_owned(),
                    (true, Membership::Admitted) => ctx.name("member", "成员").to_owned(),
                    (true, Membership::Requested) => {
                        ctx.name("asks to join", "申请加入").to_owned()
                    }
                    (true, Membership::Refused) => ctx.name("refused", "已拒绝").to_owned(),
                },
                roles: APPOINTABLE_ROLES
                    .iter()
                    .map(|role| RoleCell {
                        code: role.as_code(),
                        label: role_label(&ctx, *role),
                        held: entry.roles.contains(role),
                        appointable: admitted,
                    })
                    .collect(),
            }
        })
        .collect();
    let notice = match params.notice.as_deref() {
        Some("appointed") => Some(ctx.name("Appointed.", "已任命。").to_owned()),
        Some("removed") => Some(ctx.name("Removed from the role.", "已免去该角色。").to_owned()),
        Some("unchanged") => Some(ctx.name("Nothing changed: it already was so.", "无变化：原本如此。").to_owned()),
        Some("created") => Some(
            ctx.name(
                "The institution is created. Appoint its first admin by address once they have an account here.",
                "机构已创建。待其管理员在此注册账户后，可按邮箱地址任命。",
            )
            .to_owned(),
        ),
        Some("qualified") => Some(format!(
            "{} {}",
            ctx.name("Qualifications changed:", "已变更的培训资格数："),
            params.changed.unwrap_or(0)
        )),
        _ => None,
    };
    let page = PeopleTemplate {
        ctx,
        institution: institution.0,
        institution_name,
        rows,
        notice,
    };
    respond_with_page(StatusCode::OK, page, |page| page.ctx)
}

fn parse_id(field: &'static str, text: &str) -> Result<i64, ApiError> {
    text.trim()
        .parse::<i64>()
        .map_err(|_| ApiError::invalid(field, "must be a number"))
}

#[derive(Debug, Deserialize)]
pub struct RoleFields {
    /// Read as text: a flattened form (the CSRF wrapper) hands serde every value as a string.
    institution: String,
    role: String,
    /// `appoint` or `remove`.
    action: String,
}

impl PageForm for RoleFields {
    const PAGE: FormPage = FormPage::Fixed("/institution/people");
}

fn parse_role_action(role: &str, action: &str) -> Result<(Role, bool), ApiError> {
    let role = Role::parse(role.trim()).map_err(|error| ApiError::invalid("role", error.reason))?;
    let held = match action {
        "appoint" => true,
        "remove" => false,
        _ => return Err(ApiError::invalid("action", "must be appoint or remove")),
    };
    Ok((role, held))
}

fn after_role_change(institution: InstitutionId, held: bool, changed: bool) -> Response {
    let notice = match (changed, held) {
        (false, _) => "unchanged",
        (true, true) => "appointed",
        (true, false) => "removed",
    };
    see_page(&format!(
        "/institution/people?institution={}&notice={notice}",
        institution.0
    ))
}

/// `POST /institution/people/{user}/role` with `role` and `action=appoint|remove`.
pub async fn role_submit(
    State(state): State<Arc<AppState>>,
    Path(person): Path<i64>,
    form: SignedInForm<RoleFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let parsed = parse_id("institution", &fields.institution).and_then(|id| {
        Ok((
            InstitutionId(id),
            parse_role_action(&fields.role, &fields.action)?,
        ))
    });
    let (institution, (role, held)) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return page_error(error, ctx),
    };
    match state
        .app
        .roster()
        .set_role(&requester, institution, UserId(person), role, held)
        .await
    {
        Ok(changed) => after_role_change(institution, held, changed),
        Err(error) => page_error(error, ctx),
    }
}

#[derive(Debug, Deserialize)]
pub struct AppointByAddressFields {
    institution: String,
    email: String,
    role: String,
}

impl PageForm for AppointByAddressFields {
    const PAGE: FormPage = FormPage::Fixed("/institution/people");
}

/// `POST /institution/people/appoint`: appoints the person with this address.
pub async fn appoint_by_address_submit(
    State(state): State<Arc<AppState>>,
    form: SignedInForm<AppointByAddressFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let parsed = parse_id("institution", &fields.institution).and_then(|id| {
        Ok((
            InstitutionId(id),
            parse_role_action(&fields.role, "appoint")?,
        ))
    });
    let (institution, (role, _)) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return page_error(error, ctx),
    };
    match state
        .app
        .roster()
        .set_role_by_email(&requester, institution, &fields.email, role, true)
        .await
    {
        Ok(changed) => after_role_change(institution, true, changed),
        Err(error) => page_error(error, ctx),
    }
}

#[derive(Debug, Deserialize)]
pub struct QualificationFields {
    institution: String,
    /// Instrument numbers separated by spaces or commas.
    instruments: String,
    /// E-mail addresses, as pasted.
    people: String,
    /// `grant` or `revoke`.
    action: String,
}

impl PageForm for QualificationFields {
    const PAGE: FormPage = FormPage::Fixed("/institution/people");
}

/// Reads instrument numbers separated by spaces, commas or new lines.
pub fn parse_instrument_list(text: &str) -> Result<Vec<InstrumentId>, ApiError> {
    text.split(|character: char| character.is_whitespace() || ",;，；".contains(character))
        .filter(|word| !word.is_empty())
        .map(|word| {
            word.trim_start_matches('#')
                .parse::<i64>()
                .map(InstrumentId)
                .map_err(|_| {
                    ApiError::invalid("instruments", format!("{word} is not an instrument number"))
                })
        })
        .collect()
}

/// `POST /institution/qualifications`: grants or revokes qualifications in bulk.
pub async fn qualifications_submit(
    State(state): State<Arc<AppState>>,
    form: SignedInForm<QualificationFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let granted = match fields.action.as_str() {
        "grant" => true,
        "revoke" => false,
        _ => return page_error(ApiError::invalid("action", "must be grant or revoke"), ctx),
    };
    let parsed = parse_id("institution", &fields.institution).and_then(|id| {
        Ok((
            InstitutionId(id),
            parse_instrument_list(&fields.instruments)?,
        ))
    });
    let (institution, instruments) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return page_error(error, ctx),
    };
    match state
        .app
        .roster()
        .set_qualifications_in_bulk(&requester, &instruments, &fields.people, granted)
        .await
    {
        Ok(outcome) => see_page(&format!(
            "/institution/people?institution={}&notice=qualified&changed={}",
            institution.0, outcome.changed
        )),
        Err(error) => page_error(error, ctx),
    }
}

pub struct Choice {
    pub code: &'static str,
}

pub struct CityChoice {
    pub code: u32,
    pub name: String,
    /// The province's code: namesakes in two provinces (Suzhou) are told apart by it.
    pub province: String,
}

#[derive(Template)]
#[template(path = "admin_institutions.html")]
struct InstitutionsTemplate {
    ctx: PageContext,
    kinds: Vec<Choice>,
    sectors: Vec<Choice>,
    cities: Vec<CityChoice>,
}

/// `GET /admin/institutions`: the platform admin's form for a new institution.
pub async fn institutions_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/admin/institutions");
    if requester.user.is_none() {
        return to_sign_in();
    }
    let mut cities: Vec<CityChoice> = match state.app.catalogue().cities_by_code().await {
        Ok(cities) => cities
            .into_values()
            .map(|city| CityChoice {
                code: city.code.get(),
                name: ctx.name(&city.name_en, &city.name_zh).to_owned(),
                province: city.province.as_code().to_owned(),
            })
            .collect(),
        Err(error) => return page_error(error, ctx),
    };
    cities.sort_by(|a, b| a.province.cmp(&b.province).then(a.name.cmp(&b.name)));
    let page = InstitutionsTemplate {
        ctx,
        kinds: InstitutionKind::ALL
            .iter()
            .map(|kind| Choice {
                code: kind.as_code(),
            })
            .collect(),
        sectors: Sector::ALL
            .iter()
            .map(|sector| Choice {
                code: sector.as_code(),
            })
            .collect(),
        cities,
    };
    respond_with_page(StatusCode::OK, page, |page| page.ctx)
}

#[derive(Debug, Deserialize)]
pub struct NewInstitutionFields {
    kind: Option<String>,
    name_en: Option<String>,
    name_zh: Option<String>,
    city_code: Option<String>,
    sector: Option<String>,
}

impl PageForm for NewInstitutionFields {
    const PAGE: FormPage = FormPage::Fixed("/admin/institutions");
}

/// `POST /admin/institutions`: creates the institution and opens its people page.
pub async fn create_institution_submit(
    State(state): State<Arc<AppState>>,
    form: SignedInForm<NewInstitutionFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let fields = InstitutionFields {
        kind: field_text(&fields.kind).to_owned(),
        name_en: field_text(&fields.name_en).to_owned(),
        name_zh: field_text(&fields.name_zh).to_owned(),
        city_code: field_text(&fields.city_code).to_owned(),
        sector: field_text(&fields.sector).to_owned(),
    };
    match state
        .app
        .roster()
        .create_institution(&requester, &fields)
        .await
    {
        Ok(created) => see_page(&format!(
            "/institution/people?institution={}&notice=created",
            created.0
        )),
        Err(error) => page_error(error, ctx),
    }
}

pub struct SessionRow {
    pub id: String,
    pub started: String,
    pub expires: String,
    pub address: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account_sessions.html")]
struct SessionsTemplate {
    ctx: PageContext,
    rows: Vec<SessionRow>,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct SessionsParams {
    notice: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// `GET /account/sessions`: where the person is signed in, with a button to end each.
pub async fn sessions_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<SessionsParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/account/sessions");
    if requester.user.is_none() {
        return to_sign_in();
    }
    let current = CookieJar::from_headers(request.headers())
        .get(SESSION_COOKIE)
        .map(|cookie| corridor_app::accounts::secret_hash(cookie.value()));
    let sessions = match state
        .app
        .roster()
        .my_sessions(&requester, current.as_deref())
        .await
    {
        Ok(sessions) => sessions,
        Err(error) => return page_error(error, ctx),
    };
    let zone = state.app.region_time_zone().clone();
    let time = |instant: jiff::Timestamp| {
        instant
            .to_zoned(zone.clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    };
    let rows = sessions
        .into_iter()
        .map(|own| SessionRow {
            id: own.session.token_hash.clone(),
            started: time(own.session.created_at),
            expires: time(own.session.expires_at),
            address: own.session.client_address.clone().unwrap_or_default(),
            current: own.current,
        })
        .collect();
    let notice = (params.notice.as_deref() == Some("ended")).then(|| {
        ctx.name(
            "The session is ended: it is signed out.",
            "该会话已结束并退出登录。",
        )
        .to_owned()
    });
    let page = SessionsTemplate { ctx, rows, notice };
    respond_with_page(StatusCode::OK, page, |page| page.ctx)
}

#[derive(Debug, Deserialize)]
pub struct EndSessionFields {
    session: String,
}

impl PageForm for EndSessionFields {
    const PAGE: FormPage = FormPage::Fixed("/account/sessions");
}

/// `POST /account/sessions/end`: ends one of the person's sessions.
pub async fn end_session_submit(
    State(state): State<Arc<AppState>>,
    form: SignedInForm<EndSessionFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    match state
        .app
        .roster()
        .end_my_session(&requester, fields.session.trim())
        .await
    {
        Ok(()) => see_page("/account/sessions?notice=ended"),
        Err(error) => page_error(error, ctx),
    }
}
