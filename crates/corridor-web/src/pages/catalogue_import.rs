//! `/institution/catalogue`: an institution admin's catalogue file, uploaded, checked and
//! applied, and the export links. The upload is kept by the application layer under its
//! SHA-256; the report page (a GET, so it has a language switch and survives a reload)
//! checks the kept file again, and the apply button posts only the file's hash, the
//! "complete" choice and the digest of the plan it showed. Who may, the limits and the
//! rules are `corridor_app::catalogue`'s.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use corridor_app::catalogue::CheckedFile;
use corridor_app::catalogue_import::read::LARGEST_FILE_BYTES;
use corridor_app::catalogue_import::{PlannedChange, Severity};
use corridor_domain::{InstitutionId, User};
use futures_util::TryStreamExt;
use serde::Deserialize;

use super::forms::{see_page, to_sign_in, FormPage, PageForm, SignedInForm};
use super::readable::grouped;
use super::{csrf_matches, page_error, respond_with_page, PageContext};
use crate::auth::Requester;
use crate::extract::{Path, Query};
use crate::problem::ApiError;
use crate::AppState;

/// The most rows of each list (problems, created, changed, withdrawn) a report page shows;
/// the counts are always whole, and the API answers every row.
pub const MOST_ROWS_SHOWN: usize = 1_000;

/// What a multipart upload may hold besides the file: the small fields' total.
const FORM_FIELDS_BYTES: u64 = 16 * 1024;

pub struct ProblemRow {
    pub row: String,
    pub column: String,
    pub error: bool,
    pub message: String,
}

pub struct ChangeRow {
    pub row: String,
    pub asset_number: String,
    pub name: String,
    pub instrument: Option<i64>,
    pub fields: String,
}

pub struct ChangeList {
    pub key: &'static str,
    pub heading: String,
    pub total: String,
    pub rows: Vec<ChangeRow>,
    pub more: Option<String>,
}

#[derive(Template)]
#[template(path = "catalogue_import.html")]
struct CatalogueTemplate {
    ctx: PageContext,
    institution: i64,
    institution_name: String,
    notice: Option<String>,
    largest_file: String,
}

#[derive(Template)]
#[template(path = "catalogue_report.html")]
struct ReportTemplate {
    ctx: PageContext,
    institution: i64,
    institution_name: String,
    file_name: String,
    sha256: String,
    plan: String,
    complete: bool,
    refusal: Option<String>,
    summary: Vec<(String, String)>,
    errors: String,
    warnings: String,
    problems: Vec<ProblemRow>,
    more_problems: Option<String>,
    lists: Vec<ChangeList>,
    may_apply: bool,
    changes_nothing: bool,
    apply_label: String,
    other_choice_href: String,
    largest_file: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct CatalogueParams {
    institution: Option<i64>,
    notice: Option<String>,
    created: Option<u64>,
    changed: Option<u64>,
    withdrawn: Option<u64>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// The institution a page is about: the one named, else the admin's own (a platform admin
/// without one named gets their home institution).
fn institution_of(user: &User, named: Option<i64>) -> Result<InstitutionId, ApiError> {
    if let Some(id) = named {
        return Ok(InstitutionId(id));
    }
    match user.member_admitting_institutions() {
        None => Ok(user.home_institution),
        Some(ids) => ids.first().copied().ok_or_else(|| {
            ApiError::Forbidden("only an institution's admins import its catalogue".to_owned())
        }),
    }
}

async fn institution_name(
    state: &AppState,
    ctx: &PageContext,
    institution: InstitutionId,
) -> Result<String, corridor_app::AppError> {
    let found = state.app.catalogue().institution(institution).await?;
    Ok(ctx
        .name(&found.institution.name_en, &found.institution.name_zh)
        .to_owned())
}

/// The largest file an import reads, as the form's hint says it ("80 MiB" in both languages).
fn largest_file() -> String {
    format!("{} MiB", grouped(LARGEST_FILE_BYTES / (1024 * 1024)))
}

/// `GET /institution/catalogue[?institution=ID]`: the upload form and the export links.
pub async fn catalogue_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<CatalogueParams>,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/institution/catalogue");
    let Some(user) = requester.user.clone() else {
        return to_sign_in();
    };
    let institution = match institution_of(&user, params.institution) {
        Ok(institution) => institution,
        Err(error) => return page_error(error, ctx),
    };
    if !user.imports_catalogue_of(institution) {
        return page_error(
            ApiError::Forbidden("only an institution's admins import its catalogue".into()),
            ctx,
        );
    }
    let name = match institution_name(&state, &ctx, institution).await {
        Ok(name) => name,
        Err(error) => return page_error(error, ctx),
    };
    let notice = (params.notice.as_deref() == Some("applied")).then(|| {
        let (created, changed, withdrawn) = (
            grouped(params.created.unwrap_or(0)),
            grouped(params.changed.unwrap_or(0)),
            grouped(params.withdrawn.unwrap_or(0)),
        );
        if ctx.is_chinese() {
            format!("已导入：新增 {created} 台，修改 {changed} 台，撤下 {withdrawn} 台。检索结果已更新。")
        } else {
            format!("Applied: {created} created, {changed} changed, {withdrawn} withdrawn. Search shows the changes now.")
        }
    });
    let largest_file = largest_file();
    let page = CatalogueTemplate {
        ctx,
        institution: institution.0,
        institution_name: name,
        notice,
        largest_file,
    };
    respond_with_page(StatusCode::OK, page, |page| page.ctx)
}

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf_token: Option<String>,
    institution: Option<String>,
    complete: bool,
    file_name: String,
    file: Option<Vec<u8>>,
}

/// Reads the upload form's multipart body from its stream with limits of its own: the
/// file at most the import's largest file (one byte more tells that it is larger), the
/// other fields a few KiB. The CSRF token must come before the file (the form puts it
/// first), so that no large body is read for a forged form.
async fn read_upload(request: Request) -> Result<Upload, ApiError> {
    let headers = request.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| ApiError::MalformedRequest("the upload is not multipart/form-data".into()))?;
    let constraints = multer::Constraints::new()
        .allowed_fields(vec!["csrf_token", "institution", "complete", "file"])
        .size_limit(
            multer::SizeLimit::new()
                .whole_stream(LARGEST_FILE_BYTES + FORM_FIELDS_BYTES)
                .per_field(FORM_FIELDS_BYTES)
                .for_field("file", LARGEST_FILE_BYTES),
        );
    let stream = request
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let mut upload = Upload::default();
    let too_large = |error: multer::Error| match error {
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => {
            ApiError::PayloadTooLarge(format!(
                "the file is larger than {} bytes, the most an import reads",
                LARGEST_FILE_BYTES
            ))
        }
        other => ApiError::MalformedRequest(format!("the upload could not be read: {other}")),
    };
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let Some(token) = upload.csrf_token.as_deref() else {
                return Err(ApiError::Forbidden(
                    "the form's CSRF token must come before the file".into(),
                ));
            };
            if !csrf_matches(&headers, token) {
                return Err(ApiError::Forbidden(
                    "the form's CSRF token did not match".into(),
                ));
            }
            upload.file_name = field.file_name().unwrap_or_default().to_owned();
            upload.file = Some(field.bytes().await.map_err(too_large)?.to_vec());
        } else {
            let text = field.text().await.map_err(too_large)?;
            match name.as_str() {
                "csrf_token" => upload.csrf_token = Some(text),
                "institution" => upload.institution = Some(text),
                "complete" => upload.complete = !text.is_empty() && text != "0",
                _ => {}
            }
        }
    }
    match upload.csrf_token.as_deref() {
        Some(token) if csrf_matches(&headers, token) => Ok(upload),
        _ => Err(ApiError::Forbidden(
            "the form's CSRF token did not match".into(),
        )),
    }
}

/// `POST /institution/catalogue/check` (multipart: `csrf_token`, `institution`,
/// `complete`, `file`): checks and keeps the file, then shows its report.
pub async fn check_submit(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    request: Request,
) -> Response {
    let ctx = PageContext::new(&requester, request.extensions(), "/institution/catalogue");
    if requester.user.is_none() {
        return to_sign_in();
    }
    let upload = match read_upload(request).await {
        Ok(upload) => upload,
        Err(error) => return page_error(error, ctx),
    };
    let Some(institution) = upload
        .institution
        .as_deref()
        .and_then(|text| text.trim().parse::<i64>().ok())
        .map(InstitutionId)
    else {
        return page_error(
            ApiError::invalid("institution", "must be an institution id"),
            ctx,
        );
    };
    let Some(file) = upload.file.filter(|bytes| !bytes.is_empty()) else {
        return page_error(
            ApiError::invalid(
                "file",
                ctx.name("choose a file to check", "请选择要检查的文件"),
            ),
            ctx,
        );
    };
    match state
        .app
        .catalogue()
        .check_catalogue_file(
            &requester,
            institution,
            &upload.file_name,
            &file,
            upload.complete,
        )
        .await
    {
        Ok(checked) => see_page(&report_href(&checked, checked.report.complete, &ctx)),
        Err(error) => page_error(error, ctx),
    }
}

fn report_href(checked: &CheckedFile, complete: bool, ctx: &PageContext) -> String {
    format!(
        "/institution/catalogue/checks/{}?institution={}&complete={}&lang={}",
        checked.sha256,
        checked.institution.0,
        u8::from(complete),
        ctx.language.as_code()
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportParams {
    institution: Option<i64>,
    complete: Option<u8>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// `GET /institution/catalogue/checks/{sha256}?institution=ID&complete=0|1`: the report of
/// a kept file as it would apply now.
pub async fn report_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(sha256): Path<String>,
    Query(params): Query<ReportParams>,
    request: Request,
) -> Response {
    let complete = params.complete.unwrap_or(0) != 0;
    let path = format!(
        "/institution/catalogue/checks/{sha256}?institution={}&complete={}",
        params.institution.unwrap_or_default(),
        u8::from(complete)
    );
    let ctx = PageContext::new(&requester, request.extensions(), &path);
    let Some(user) = requester.user.clone() else {
        return to_sign_in();
    };
    let institution = match institution_of(&user, params.institution) {
        Ok(institution) => institution,
        Err(error) => return page_error(error, ctx),
    };
    let checked = match state
        .app
        .catalogue()
        .checked_catalogue_file(&requester, institution, &sha256, complete)
        .await
    {
        Ok(checked) => checked,
        Err(error) => return page_error(error, ctx),
    };
    let name = match institution_name(&state, &ctx, institution).await {
        Ok(name) => name,
        Err(error) => return page_error(error, ctx),
    };
    let page = report_template(ctx, checked, name);
    respond_with_page(StatusCode::OK, page, |page| page.ctx)
}

fn report_template(
    ctx: PageContext,
    checked: CheckedFile,
    institution_name: String,
) -> ReportTemplate {
    let report = &checked.report;
    let language = ctx.language;
    let refusal = report
        .refusal
        .as_ref()
        .map(|refusal| refusal.message(language));
    let mut summary = Vec::new();
    if report.refusal.is_none() {
        summary.push((
            ctx.name("Rows read", "读取行数").to_owned(),
            grouped(report.rows),
        ));
        if let Some(encoding) = &report.encoding {
            summary.push((ctx.name("Read as", "文件格式").to_owned(), encoding.clone()));
        }
        if let Some(row) = report.header_row {
            summary.push((
                ctx.name("Headers in row", "表头所在行").to_owned(),
                grouped(row),
            ));
        }
        summary.push((
            ctx.name("Left alone (unchanged)", "不变").to_owned(),
            grouped(report.unchanged),
        ));
    }
    let problems = report
        .problems
        .iter()
        .take(MOST_ROWS_SHOWN)
        .map(|problem| ProblemRow {
            row: problem.row.map(grouped).unwrap_or_default(),
            column: match (&problem.column, &problem.header) {
                (Some(column), Some(header)) => format!("{column} · {header}"),
                (Some(column), None) => column.clone(),
                _ => String::new(),
            },
            error: problem.severity == Severity::Error,
            message: problem.what(language),
        })
        .collect();
    let more = |total: usize| {
        (total > MOST_ROWS_SHOWN).then(|| {
            let rest = grouped(total - MOST_ROWS_SHOWN);
            if ctx.is_chinese() {
                format!("另有 {rest} 条未列出；通过 API 可取得完整报告。")
            } else {
                format!("{rest} more not listed here; the API answers the whole report.")
            }
        })
    };
    let list = |key: &'static str, heading: String, changes: &[PlannedChange]| ChangeList {
        key,
        heading,
        total: grouped(changes.len()),
        rows: changes
            .iter()
            .take(MOST_ROWS_SHOWN)
            .map(|change| ChangeRow {
                row: change.row.map(grouped).unwrap_or_default(),
                asset_number: change.asset_number.clone(),
                // A row whose name is missing (an error the report lists) still needs words
                // for its link.
                name: if change.name.trim().is_empty() {
                    ctx.name("(no name)", "（无名称）").to_owned()
                } else {
                    change.name.clone()
                },
                instrument: change.instrument.map(|id| id.0),
                fields: change
                    .fields
                    .iter()
                    .map(|field| {
                        if ctx.is_chinese() {
                            field.header_zh()
                        } else {
                            field.key()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(if ctx.is_chinese() { "、" } else { ", " }),
            })
            .collect(),
        more: more(changes.len()),
    };
    let lists = vec![
        list(
            "created",
            ctx.name("To create", "将新增").to_owned(),
            &report.created,
        ),
        list(
            "changed",
            ctx.name("To change", "将修改").to_owned(),
            &report.changed,
        ),
        list(
            "withdrawn",
            ctx.name(
                "To withdraw (hidden from search and booking, history kept)",
                "将撤下（不再出现在检索和预约中，历史记录保留）",
            )
            .to_owned(),
            &report.withdrawn,
        ),
    ];
    let (created, changed, withdrawn) = (
        grouped(report.created.len()),
        grouped(report.changed.len()),
        grouped(report.withdrawn.len()),
    );
    let apply_label = if ctx.is_chinese() {
        format!("确认导入：新增 {created}，修改 {changed}，撤下 {withdrawn}")
    } else {
        format!("Apply: create {created}, change {changed}, withdraw {withdrawn}")
    };
    let other_choice_href = format!(
        "/institution/catalogue/checks/{}?institution={}&complete={}",
        checked.sha256,
        checked.institution.0,
        u8::from(!report.complete)
    );
    ReportTemplate {
        institution: checked.institution.0,
        institution_name,
        file_name: checked.file_name.clone(),
        sha256: checked.sha256.clone(),
        plan: checked.plan.clone(),
        complete: report.complete,
        refusal,
        summary,
        errors: grouped(report.errors()),
        warnings: grouped(report.warnings()),
        problems,
        more_problems: more(report.problems.len()),
        lists,
        may_apply: checked.may_apply(),
        changes_nothing: report.acceptable() && report.changes_nothing(),
        apply_label,
        other_choice_href,
        largest_file: largest_file(),
        ctx,
    }
}

#[derive(Debug, Deserialize)]
pub struct ApplyFields {
    /// Read as text: a flattened form (the CSRF wrapper) hands serde every value as a string.
    institution: String,
    complete: String,
    plan: String,
}

impl PageForm for ApplyFields {
    const PAGE: FormPage = FormPage::Fixed("/institution/catalogue");
}

/// `POST /institution/catalogue/checks/{sha256}/apply`: applies the kept file when it would
/// still do what its report showed.
pub async fn apply_submit(
    State(state): State<Arc<AppState>>,
    Path(sha256): Path<String>,
    form: SignedInForm<ApplyFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let Ok(institution) = fields.institution.trim().parse::<i64>().map(InstitutionId) else {
        return page_error(
            ApiError::invalid("institution", "must be an institution id"),
            ctx,
        );
    };
    let complete = fields.complete == "1";
    match state
        .app
        .catalogue()
        .apply_catalogue_file(&requester, institution, &sha256, complete, &fields.plan)
        .await
    {
        Ok(applied) => see_page(&format!(
            "/institution/catalogue?institution={}&notice=applied&created={}&changed={}&withdrawn={}",
            institution.0,
            applied.report.created.len(),
            applied.report.changed.len(),
            applied.report.withdrawn.len()
        )),
        Err(error) => page_error(error, ctx),
    }
}
