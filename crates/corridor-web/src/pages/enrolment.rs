//! The pages of joining and keeping an account: sign up, confirm an address, ask for a new
//! link, reset a forgotten password, my account (with a change of address), and the demo's
//! mail viewer for platform admins. Every rule is in `corridor_app::enrolment`; these pages
//! word its answers in the reader's language.
//!
//! A link from a mail opens a page with one button that does the step (a POST): mail
//! scanners and link previews fetch links with GET, and must not use up a single-use link.

use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use corridor_app::enrolment::SignUpRequest;
use corridor_app::AppError;
use corridor_domain::{InstitutionId, Language, Membership};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::errors::PageError;
use super::forms::to_sign_in;
use super::{csrf_matches, page_error, respond_with_page, PageContext};
use crate::auth::Requester;
use crate::extract::Query;
use crate::problem::ApiError;
use crate::AppState;

/// One input of a step's form.
pub struct StepField {
    pub name: &'static str,
    pub label: String,
    /// `text`, `email`, `password`, `hidden` or `select`.
    pub kind: &'static str,
    pub value: String,
    pub autocomplete: &'static str,
    /// For a `select`: value, label, selected.
    pub options: Vec<(String, String, bool)>,
}

impl StepField {
    fn input(
        name: &'static str,
        label: String,
        kind: &'static str,
        value: String,
        autocomplete: &'static str,
    ) -> StepField {
        StepField {
            name,
            label,
            kind,
            value,
            autocomplete,
            options: Vec::new(),
        }
    }

    fn hidden(name: &'static str, value: String) -> StepField {
        StepField::input(name, String::new(), "hidden", value, "off")
    }
}

/// A step's form: where it posts, its inputs, a choice of institutions (sign-up, when the
/// name typed fits several) and its button.
pub struct StepForm {
    pub action: &'static str,
    pub fields: Vec<StepField>,
    pub choice_legend: String,
    pub choices: Vec<(i64, String)>,
    pub button: String,
    pub testid: &'static str,
}

#[derive(Template)]
#[template(path = "account_step.html")]
struct StepTemplate {
    ctx: PageContext,
    title: String,
    intro: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    form: Option<StepForm>,
    /// Further ways on: (href, label).
    links: Vec<(String, String)>,
}

fn step_page(status: StatusCode, page: StepTemplate) -> Response {
    respond_with_page(status, page, |page| page.ctx)
}

fn words(ctx: &PageContext, english: &str, chinese: &str) -> String {
    ctx.name(english, chinese).to_owned()
}

/// A form posted by anyone, signed in or not, that passed the CSRF check.
async fn read_form<T: DeserializeOwned>(
    state: &Arc<AppState>,
    requester: &Requester,
    request: Request,
    page_path: &str,
) -> Result<(PageContext, T), Response> {
    let ctx = PageContext::new(requester, request.extensions(), page_path);
    let headers: HeaderMap = request.headers().clone();
    #[derive(Deserialize)]
    struct Protected<T> {
        #[serde(default)]
        csrf_token: String,
        #[serde(flatten)]
        fields: T,
    }
    let form = match Form::<Protected<T>>::from_request(request, state).await {
        Ok(Form(form)) => form,
        Err(error) => return Err(page_error(ApiError::from(error), ctx)),
    };
    if !csrf_matches(&headers, &form.csrf_token) {
        return Err(PageError {
            error: ApiError::Forbidden(ctx.t.csrf_mismatch.to_owned()),
            context: ctx,
        }
        .into_response());
    }
    Ok((ctx, form.fields))
}

/// The wording of a refusal that a person can act on; anything else is an error page.
fn refusal_text(ctx: &PageContext, error: &AppError) -> Option<String> {
    let chinese = ctx.language == Language::Chinese;
    Some(match error {
        AppError::Invalid { field, reason } => match (field.as_str(), chinese) {
            ("email", false) => "That is not an e-mail address.".into(),
            ("email", true) => "这不是有效的电子邮箱地址。".into(),
            ("password", false) => format!(
                "Choose a password of at least {} characters.",
                corridor_domain::PlaintextPassword::MIN_CHARS
            ),
            ("password", true) => format!(
                "密码至少需要 {} 个字符。",
                corridor_domain::PlaintextPassword::MIN_CHARS
            ),
            ("display_name", false) => "Give your name (at most 100 characters).".into(),
            ("display_name", true) => "请填写姓名（不超过 100 个字符）。".into(),
            ("token", false) => {
                "This link is unknown, was already used or has expired. Ask for a new one below."
                    .into()
            }
            ("token", true) => "此链接无效、已使用或已过期。请在下方重新申请。".into(),
            (_, false) => format!("{field}: {reason}"),
            (_, true) => format!("{field}：{reason}"),
        },
        AppError::TooManyAccountRequests { retry_after } => {
            let minutes = retry_after.as_secs().div_ceil(60).max(1);
            if chinese {
                format!("请求过于频繁，请 {minutes} 分钟后再试。")
            } else {
                format!("Too many requests for this address; try again in {minutes} min.")
            }
        }
        AppError::Conflict(_) => words(
            ctx,
            "Another account has taken this address since the link was sent.",
            "发送链接后，该邮箱已被其他账户使用。",
        ),
        _ => return None,
    })
}

fn refusal_status(error: &AppError) -> StatusCode {
    match error {
        AppError::TooManyAccountRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    }
}

// ---------------------------------------------------------------------------------------
// Sign up
// ---------------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
pub struct SignUpFields {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    institution: String,
    /// The institution chosen among several that fit the name typed.
    #[serde(default)]
    institution_id: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

fn sign_up_form(ctx: &PageContext, fields: &SignUpFields, choices: Vec<(i64, String)>) -> StepForm {
    let language = fields
        .language
        .as_deref()
        .and_then(|code| Language::parse(code).ok())
        .unwrap_or(ctx.language);
    StepForm {
        action: "/sign-up",
        fields: vec![
            StepField::input(
                "display_name",
                words(ctx, "Your name", "姓名"),
                "text",
                fields.display_name.clone(),
                "name",
            ),
            StepField::input(
                "email",
                ctx.t.email.to_owned(),
                "email",
                fields.email.clone(),
                "email",
            ),
            StepField::input(
                "password",
                words(
                    ctx,
                    "Password (at least 10 characters)",
                    "密码（至少 10 个字符）",
                ),
                "password",
                String::new(),
                "new-password",
            ),
            StepField::input(
                "institution",
                words(
                    ctx,
                    "Your university, institute, hospital or company",
                    "所在高校、院所、医院或企业",
                ),
                "text",
                fields.institution.clone(),
                "organization",
            ),
            StepField {
                name: "language",
                label: words(ctx, "Language of mails", "邮件语言"),
                kind: "select",
                value: String::new(),
                autocomplete: "off",
                options: vec![
                    ("en".into(), "English".into(), language == Language::English),
                    ("zh".into(), "中文".into(), language == Language::Chinese),
                ],
            },
        ],
        choice_legend: words(
            ctx,
            "Several institutions fit that name; which is yours?",
            "有多个机构符合该名称，请选择您所在的机构：",
        ),
        choices,
        button: words(ctx, "Create my account", "创建账户"),
        testid: "sign-up-form",
    }
}

fn sign_up_template(
    ctx: PageContext,
    fields: &SignUpFields,
    choices: Vec<(i64, String)>,
    error: Option<String>,
) -> StepTemplate {
    let form = sign_up_form(&ctx, fields, choices);
    StepTemplate {
        title: words(&ctx, "Create an account", "注册账户"),
        intro: Some(words(
            &ctx,
            "We mail you a link to confirm your address. Your institution's admins then admit you as a member; until they do, bookings are priced as for outside users.",
            "我们会向您的邮箱发送确认链接。之后由您所在机构的管理员确认您的成员身份；确认之前，预约按校外用户计价。",
        )),
        notice: None,
        error,
        form: Some(form),
        links: vec![("/sign-in".into(), words(&ctx, "I already have an account", "已有账户，去登录"))],
        ctx,
    }
}

/// `GET /sign-up`.
pub async fn sign_up_page(requester: Requester, request: Request) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/sign-up");
    step_page(
        StatusCode::OK,
        sign_up_template(ctx, &SignUpFields::default(), Vec::new(), None),
    )
}

/// `POST /sign-up`: finds the institution by the name typed (or the one chosen), then signs
/// up; the answer does not say whether the address had an account.
pub async fn sign_up_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    request: Request,
) -> Response {
    let (ctx, fields) =
        match read_form::<SignUpFields>(&state, &requester, request, "/sign-up").await {
            Ok(read) => read,
            Err(response) => return response,
        };
    let enrolment = state.app.enrolment();
    let chosen = fields
        .institution_id
        .as_deref()
        .and_then(|id| id.trim().parse::<i64>().ok())
        .map(InstitutionId);
    let institution = match chosen {
        Some(id) => id,
        None => {
            let found = match enrolment.find_institutions(&fields.institution, 12).await {
                Ok(found) => found,
                Err(error) => return page_error(error, ctx),
            };
            let exact: Vec<corridor_domain::Institution> = found
                .iter()
                .filter(|institution| {
                    institution
                        .name_en
                        .eq_ignore_ascii_case(fields.institution.trim())
                        || institution.name_zh == fields.institution.trim()
                })
                .cloned()
                .collect();
            match (exact.as_slice(), found.as_slice()) {
                ([only], _) | ([], [only]) => only.id,
                (_, []) => {
                    let error = words(&ctx, "No institution of the region has that name. Type part of its English or Chinese name.", "区域内没有该名称的机构，请输入其中文或英文名称的一部分。");
                    return step_page(
                        StatusCode::BAD_REQUEST,
                        sign_up_template(ctx, &fields, Vec::new(), Some(error)),
                    );
                }
                (_, several) => {
                    let choices = several
                        .iter()
                        .map(|institution| {
                            (
                                institution.id.0,
                                format!(
                                    "{} · {}",
                                    ctx.name(&institution.name_en, &institution.name_zh),
                                    ctx.name(&institution.name_zh, &institution.name_en)
                                ),
                            )
                        })
                        .collect();
                    return step_page(
                        StatusCode::OK,
                        sign_up_template(ctx, &fields, choices, None),
                    );
                }
            }
        }
    };
    let language = fields
        .language
        .as_deref()
        .and_then(|code| Language::parse(code).ok())
        .unwrap_or(ctx.language);
    let request = SignUpRequest {
        email: fields.email.clone(),
        display_name: fields.display_name.clone(),
        password: fields.password.clone(),
        institution,
        language,
    };
    match enrolment.sign_up(&requester, request).await {
        Ok(()) => {
            let page = StepTemplate {
                title: words(&ctx, "Check your mail", "请查收邮件"),
                intro: None,
                notice: Some(if ctx.language == Language::Chinese {
                    format!(
                        "我们已向 {} 发送确认链接（48 小时内有效）。打开链接确认邮箱后即可登录。",
                        fields.email.trim()
                    )
                } else {
                    format!("We sent a confirmation link to {} (it works for 48 hours). Open it to confirm your address, then sign in.", fields.email.trim())
                }),
                error: None,
                form: Some(resend_form(&ctx, fields.email.trim())),
                links: vec![("/sign-in".into(), ctx.t.sign_in.to_owned())],
                ctx,
            };
            step_page(StatusCode::OK, page)
        }
        Err(error) => match refusal_text(&ctx, &error) {
            Some(text) => step_page(
                refusal_status(&error),
                sign_up_template(ctx, &fields, Vec::new(), Some(text)),
            ),
            None => page_error(error, ctx),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Confirming an address, and a new link
// ---------------------------------------------------------------------------------------

fn resend_form(ctx: &PageContext, email: &str) -> StepForm {
    StepForm {
        action: "/verify-email/resend",
        fields: vec![StepField::input(
            "email",
            ctx.t.email.to_owned(),
            "email",
            email.to_owned(),
            "email",
        )],
        choice_legend: String::new(),
        choices: Vec::new(),
        button: words(ctx, "Send me a new confirmation link", "重新发送确认链接"),
        testid: "resend-form",
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenParams {
    #[serde(default)]
    token: String,
    #[allow(dead_code)]
    lang: Option<String>,
}

fn confirm_button_page(
    ctx: PageContext,
    action: &'static str,
    token: &str,
    title: String,
    button: String,
    testid: &'static str,
) -> Response {
    let page = StepTemplate {
        title,
        intro: None,
        notice: None,
        error: None,
        form: Some(StepForm {
            action,
            fields: vec![StepField::hidden("token", token.to_owned())],
            choice_legend: String::new(),
            choices: Vec::new(),
            button,
            testid,
        }),
        links: Vec::new(),
        ctx,
    };
    step_page(StatusCode::OK, page)
}

/// `GET /verify-email?token=…`: one button that confirms the address.
pub async fn verify_email_page(
    requester: Requester,
    Query(params): Query<TokenParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/verify-email");
    let title = words(&ctx, "Confirm your e-mail address", "确认电子邮箱");
    let button = words(&ctx, "Confirm my address", "确认我的邮箱");
    confirm_button_page(
        ctx,
        "/verify-email",
        &params.token,
        title,
        button,
        "verify-form",
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenFields {
    #[serde(default)]
    token: String,
}

/// `POST /verify-email`.
pub async fn verify_email_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    request: Request,
) -> Response {
    let (ctx, fields) =
        match read_form::<TokenFields>(&state, &requester, request, "/verify-email").await {
            Ok(read) => read,
            Err(response) => return response,
        };
    match state
        .app
        .enrolment()
        .verify_email(&requester, &fields.token)
        .await
    {
        Ok(email) => {
            let page = StepTemplate {
                title: words(&ctx, "Address confirmed", "邮箱已确认"),
                intro: None,
                notice: Some(if ctx.language == Language::Chinese {
                    format!("{} 已确认，现在可以登录。", email.as_str())
                } else {
                    format!("{} is confirmed. You can sign in now.", email.as_str())
                }),
                error: None,
                form: None,
                links: vec![(
                    format!("/sign-in?email={}", email.as_str()),
                    ctx.t.sign_in.to_owned(),
                )],
                ctx,
            };
            step_page(StatusCode::OK, page)
        }
        Err(error) => link_refused(ctx, error, resend_form_for),
    }
}

fn resend_form_for(ctx: &PageContext) -> StepForm {
    resend_form(ctx, "")
}

/// A refused link: the reason, and the form that asks for a new one.
fn link_refused(
    ctx: PageContext,
    error: AppError,
    new_link_form: fn(&PageContext) -> StepForm,
) -> Response {
    let Some(text) = refusal_text(&ctx, &error) else {
        return page_error(error, ctx);
    };
    let page = StepTemplate {
        title: words(&ctx, "This link does not work", "链接无效"),
        intro: None,
        notice: None,
        error: Some(text),
        form: Some(new_link_form(&ctx)),
        links: Vec::new(),
        ctx,
    };
    step_page(refusal_status(&error), page)
}

#[derive(Debug, Default, Deserialize)]
pub struct EmailFields {
    #[serde(default)]
    email: String,
}

/// `POST /verify-email/resend`.
pub async fn resend_verification_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    request: Request,
) -> Response {
    let (ctx, fields) =
        match read_form::<EmailFields>(&state, &requester, request, "/sign-in").await {
            Ok(read) => read,
            Err(response) => return response,
        };
    let answer = state
        .app
        .enrolment()
        .resend_verification(&requester, &fields.email)
        .await;
    mail_sent_or_refused(ctx, answer, &fields.email, resend_form_for, "If an account with this address still waits for confirmation, a new link is on its way to {}.", "如果该邮箱的账户尚未确认，新的确认链接已发往 {}。")
}

fn mail_sent_or_refused(
    ctx: PageContext,
    answer: Result<(), AppError>,
    email: &str,
    form: fn(&PageContext) -> StepForm,
    english: &str,
    chinese: &str,
) -> Response {
    match answer {
        Ok(()) => {
            let text = ctx.name(english, chinese).replace("{}", email.trim());
            let page = StepTemplate {
                title: words(&ctx, "Check your mail", "请查收邮件"),
                intro: None,
                notice: Some(text),
                error: None,
                form: None,
                links: vec![("/sign-in".into(), ctx.t.sign_in.to_owned())],
                ctx,
            };
            step_page(StatusCode::OK, page)
        }
        Err(error) => match refusal_text(&ctx, &error) {
            Some(text) => {
                let page = StepTemplate {
                    title: words(&ctx, "Check your mail", "请查收邮件"),
                    intro: None,
                    notice: None,
                    error: Some(text),
                    form: Some(form(&ctx)),
                    links: Vec::new(),
                    ctx,
                };
                step_page(refusal_status(&error), page)
            }
            None => page_error(error, ctx),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Password reset
// ---------------------------------------------------------------------------------------

fn reset_request_form(ctx: &PageContext) -> StepForm {
    StepForm {
        action: "/reset-password",
        fields: vec![StepField::input(
            "email",
            ctx.t.email.to_owned(),
            "email",
            String::new(),
            "email",
        )],
        choice_legend: String::new(),
        choices: Vec::new(),
        button: words(ctx, "Mail me a link", "发送重置链接"),
        testid: "reset-request-form",
    }
}

/// `GET /reset-password`.
pub async fn reset_request_page(requester: Requester, request: Request) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/reset-password");
    let page = StepTemplate {
        title: words(&ctx, "Forgot your password?", "忘记密码"),
        intro: Some(words(&ctx, "Give your account's address: we mail you a link to choose a new password (it works for one hour, once).", "请输入账户邮箱：我们会发送设置新密码的链接（1 小时内有效，只能使用一次）。")),
        notice: None,
        error: None,
        form: Some(reset_request_form(&ctx)),
        links: vec![("/sign-in".into(), ctx.t.sign_in.to_owned())],
        ctx,
    };
    step_page(StatusCode::OK, page)
}

/// `POST /reset-password`.
pub async fn reset_request_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    request: Request,
) -> Response {
    let (ctx, fields) =
        match read_form::<EmailFields>(&state, &requester, request, "/reset-password").await {
            Ok(read) => read,
            Err(response) => return response,
        };
    let answer = state
        .app
        .enrolment()
        .request_password_reset(&requester, &fields.email)
        .await;
    mail_sent_or_refused(
        ctx,
        answer,
        &fields.email,
        reset_request_form,
        "If {} has an account, a link to choose a new password is on its way.",
        "如果 {} 有账户，设置新密码的链接已发出。",
    )
}

fn new_password_form(ctx: &PageContext, token: &str) -> StepForm {
    StepForm {
        action: "/reset-password/new",
        fields: vec![
            StepField::hidden("token", token.to_owned()),
            StepField::input(
                "password",
                words(
                    ctx,
                    "New password (at least 10 characters)",
                    "新密码（至少 10 个字符）",
                ),
                "password",
                String::new(),
                "new-password",
            ),
        ],
        choice_legend: String::new(),
        choices: Vec::new(),
        button: words(ctx, "Set my new password", "设置新密码"),
        testid: "new-password-form",
    }
}

/// `GET /reset-password/new?token=…`.
pub async fn new_password_page(
    requester: Requester,
    Query(params): Query<TokenParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/reset-password/new");
    let page = StepTemplate {
        title: words(&ctx, "Choose a new password", "设置新密码"),
        intro: Some(words(
            &ctx,
            "Every session of your account ends when the password changes.",
            "密码修改后，账户的所有登录会话都将结束。",
        )),
        notice: None,
        error: None,
        form: Some(new_password_form(&ctx, &params.token)),
        links: Vec::new(),
        ctx,
    };
    step_page(StatusCode::OK, page)
}

#[derive(Debug, Default, Deserialize)]
pub struct NewPasswordFields {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

/// `POST /reset-password/new`.
pub async fn new_password_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    request: Request,
) -> Response {
    let (ctx, fields) =
        match read_form::<NewPasswordFields>(&state, &requester, request, "/reset-password/new")
            .await
        {
            Ok(read) => read,
            Err(response) => return response,
        };
    match state
        .app
        .enrolment()
        .reset_password(&requester, &fields.token, fields.password)
        .await
    {
        Ok(email) => {
            let page = StepTemplate {
                title: words(&ctx, "Password changed", "密码已修改"),
                intro: None,
                notice: Some(words(
                    &ctx,
                    "Your new password is set. Sign in with it.",
                    "新密码已设置，请用新密码登录。",
                )),
                error: None,
                form: None,
                links: vec![(
                    format!("/sign-in?email={}", email.as_str()),
                    ctx.t.sign_in.to_owned(),
                )],
                ctx,
            };
            step_page(StatusCode::OK, page)
        }
        Err(AppError::Invalid { ref field, .. }) if field == "password" => {
            let text = words(
                &ctx,
                "Choose a password of at least 10 characters.",
                "密码至少需要 10 个字符。",
            );
            let page = StepTemplate {
                title: words(&ctx, "Choose a new password", "设置新密码"),
                intro: None,
                notice: None,
                error: Some(text),
                form: Some(new_password_form(&ctx, &fields.token)),
                links: Vec::new(),
                ctx,
            };
            step_page(StatusCode::BAD_REQUEST, page)
        }
        Err(error) => link_refused(ctx, error, reset_request_form),
    }
}

// ---------------------------------------------------------------------------------------
// My account
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "account.html")]
struct AccountTemplate {
    ctx: PageContext,
    email: String,
    display_name: String,
    institution: String,
    membership: String,
    language: String,
    notice: Option<String>,
    error: Option<String>,
    /// Links to the consoles this person's roles open.
    admits_members: bool,
    reads_mail: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountParams {
    notice: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

async fn account_page_with(
    state: &AppState,
    requester: &Requester,
    ctx: PageContext,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let Some(user) = requester.user.clone() else {
        return to_sign_in();
    };
    let (_, membership) = match state.app.enrolment().my_standing(requester).await {
        Ok(standing) => standing,
        Err(error) => return page_error(error, ctx),
    };
    let institution = match state
        .app
        .catalogue()
        .institution(user.home_institution)
        .await
    {
        Ok(found) => ctx
            .name(&found.institution.name_en, &found.institution.name_zh)
            .to_owned(),
        Err(error) => return page_error(error, ctx),
    };
    let membership = match membership {
        Membership::Admitted => words(&ctx, "member", "已确认的成员"),
        Membership::Requested => words(
            &ctx,
            "waiting for the institution's admins to admit you",
            "等待机构管理员确认",
        ),
        Membership::Refused => words(
            &ctx,
            "refused by the institution's admins",
            "机构管理员未予确认",
        ),
    };
    let language = match user.preferred_language {
        Language::English => "English".to_owned(),
        Language::Chinese => "中文".to_owned(),
    };
    let page = AccountTemplate {
        admits_members: user.has_role(corridor_domain::Role::InstitutionAdmin)
            || user.has_role(corridor_domain::Role::PlatformAdmin),
        reads_mail: user.has_role(corridor_domain::Role::PlatformAdmin),
        email: user.email.as_str().to_owned(),
        display_name: user.display_name.clone(),
        institution,
        membership,
        language,
        notice,
        error,
        ctx,
    };
    respond_with_page(status, page, |page| page.ctx)
}

/// `GET /account`.
pub async fn account_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<AccountParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/account");
    let notice = match params.notice.as_deref() {
        Some("email-changed") => Some(words(
            &ctx,
            "Your account's address is changed.",
            "账户邮箱已更改。",
        )),
        _ => None,
    };
    account_page_with(&state, &requester, ctx, notice, None, StatusCode::OK).await
}

/// `POST /account/email`: mails a confirmation link to the new address.
pub async fn change_email_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    request: Request,
) -> Response {
    let (ctx, fields) =
        match read_form::<EmailFields>(&state, &requester, request, "/account").await {
            Ok(read) => read,
            Err(response) => return response,
        };
    if requester.user.is_none() {
        return to_sign_in();
    }
    match state
        .app
        .enrolment()
        .request_email_change(&requester, &fields.email)
        .await
    {
        Ok(()) => {
            let notice = if ctx.language == Language::Chinese {
                format!(
                    "确认链接已发往 {}；打开链接后，账户邮箱才会更改。",
                    fields.email.trim()
                )
            } else {
                format!("A confirmation link is on its way to {}; the account's address changes when it is opened.", fields.email.trim())
            };
            account_page_with(&state, &requester, ctx, Some(notice), None, StatusCode::OK).await
        }
        Err(error) => match refusal_text(&ctx, &error) {
            Some(text) => {
                let status = refusal_status(&error);
                account_page_with(&state, &requester, ctx, None, Some(text), status).await
            }
            None => page_error(error, ctx),
        },
    }
}

/// `GET /account/email/confirm?token=…`.
pub async fn confirm_email_page(
    requester: Requester,
    Query(params): Query<TokenParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/account/email/confirm");
    let title = words(&ctx, "Confirm your new address", "确认新邮箱");
    let button = words(&ctx, "Make this my account's address", "将此设为账户邮箱");
    confirm_button_page(
        ctx,
        "/account/email/confirm",
        &params.token,
        title,
        button,
        "confirm-email-form",
    )
}

/// `POST /account/email/confirm`.
pub async fn confirm_email_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    request: Request,
) -> Response {
    let (ctx, fields) =
        match read_form::<TokenFields>(&state, &requester, request, "/account").await {
            Ok(read) => read,
            Err(response) => return response,
        };
    match state
        .app
        .enrolment()
        .confirm_email_change(&requester, &fields.token)
        .await
    {
        Ok(email) => {
            let page = StepTemplate {
                title: words(&ctx, "Address changed", "邮箱已更改"),
                intro: None,
                notice: Some(if ctx.language == Language::Chinese {
                    format!("账户邮箱现在是 {}。", email.as_str())
                } else {
                    format!("Your account's address is now {}.", email.as_str())
                }),
                error: None,
                form: None,
                links: vec![("/account".into(), words(&ctx, "My account", "我的账户"))],
                ctx,
            };
            step_page(StatusCode::OK, page)
        }
        Err(error) => link_refused(ctx, error, |ctx| StepForm {
            action: "/account/email",
            fields: vec![StepField::input(
                "email",
                ctx.t.email.to_owned(),
                "email",
                String::new(),
                "email",
            )],
            choice_legend: String::new(),
            choices: Vec::new(),
            button: words(ctx, "Send a new link", "重新发送链接"),
            testid: "change-email-form",
        }),
    }
}

// ---------------------------------------------------------------------------------------
// The mail viewer
// ---------------------------------------------------------------------------------------

pub struct MailRow {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub links: Vec<String>,
    pub created: String,
    pub state: String,
}

#[derive(Template)]
#[template(path = "admin_mail.html")]
struct MailTemplate {
    ctx: PageContext,
    rows: Vec<MailRow>,
    delivering: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct MailParams {
    /// Only the messages to this address.
    to: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// `GET /admin/mail`: the outbox's latest messages, with their links, for platform admins.
pub async fn mail_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<MailParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/admin/mail");
    let messages = match state.app.enrolment().recent_mail(&requester, 200).await {
        Ok(messages) => messages,
        Err(error) => return page_error(error, ctx),
    };
    let zone = state.app.region_time_zone().clone();
    let wanted = params
        .to
        .as_deref()
        .map(|to| to.trim().to_lowercase())
        .filter(|to| !to.is_empty());
    let rows = messages
        .into_iter()
        .filter(|message| {
            wanted
                .as_deref()
                .is_none_or(|to| message.recipient_email == to)
        })
        .map(|message| {
            let links = message
                .body
                .split_whitespace()
                .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
                .map(str::to_owned)
                .collect();
            let state = match (message.sent_at, message.gave_up_at) {
                (Some(_), _) => words(&ctx, "sent", "已发送"),
                (None, Some(_)) => words(&ctx, "given up", "已放弃"),
                (None, None) => words(&ctx, "waiting in the outbox", "在发件箱等待"),
            };
            MailRow {
                id: message.id,
                recipient: message.recipient_email,
                subject: message.subject,
                body: message.body,
                links,
                created: message
                    .created_at
                    .to_zoned(zone.clone())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string(),
                state,
            }
        })
        .collect();
    let page = MailTemplate {
        rows,
        delivering: state.app.mail_delivery_configured(),
        ctx,
    };
    respond_with_page(StatusCode::OK, page, |page| page.ctx)
}
