//! Catalogue files through the API: an institution's file checked (a dry run whose file is
//! kept a day), then applied by its hash; and the public catalogue as open data, streamed a
//! page at a time with an entity tag. The rules are `corridor_app::catalogue`'s.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use corridor_app::catalogue_export::ExportFormat;
use corridor_app::catalogue_import::read::LARGEST_FILE_BYTES;
use corridor_domain::InstitutionId;

use super::catalogue_dto::*;
use crate::auth::Requester;
use crate::extract::{Json, Path, Query};
use crate::problem::responses::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized};
use crate::problem::ApiError;
use crate::AppState;

/// Checks a catalogue file (CSV or XLSX, the national field set) for the institution and
/// keeps it a day for its apply; nothing of the catalogue is written. A refused file or one
/// with errors is answered 200 with its report (`may_apply` false). For the institution's
/// admins and platform admins.
#[utoipa::path(post, path = "/institutions/{id}/catalogue-imports", tag = "instruments", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The institution"), CatalogueCheckParams),
    request_body(content = CatalogueFileBody, content_type = "application/octet-stream", description = "The file as it is, at most 80 MiB"),
    responses((status = 200, body = CatalogueCheckDto), BadRequest, Unauthorized, Forbidden, NotFound,
        (status = 413, description = "The file is larger than an import reads", content_type = "application/problem+json", body = crate::problem::Problem)))]
pub async fn check_file(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Query(params): Query<CatalogueCheckParams>,
    body: Body,
) -> Result<Json<CatalogueCheckDto>, ApiError> {
    // The body is read with the import's own limit (one byte more than the largest file
    // tells that it is larger) rather than the site's, which is for JSON.
    let bytes = axum::body::to_bytes(body, LARGEST_FILE_BYTES as usize + 1)
        .await
        .map_err(|_| {
            ApiError::PayloadTooLarge(format!(
                "the file is larger than {LARGEST_FILE_BYTES} bytes, the most an import reads"
            ))
        })?;
    let checked = state
        .app
        .catalogue()
        .check_catalogue_file(
            &requester,
            InstitutionId(id),
            params.file_name.as_deref().unwrap_or("catalogue"),
            &bytes,
            params.complete.unwrap_or(false),
        )
        .await?;
    Ok(Json(CatalogueCheckDto::from(&checked)))
}

/// Applies a checked file, all or nothing: its creates, changes and (for a complete file)
/// withdrawals in one transaction, in search at once. 409 when the file has errors, or
/// when what it would do now is not the `plan` its check answered (check it again).
#[utoipa::path(post, path = "/institutions/{id}/catalogue-imports/{file}/apply", tag = "instruments", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The institution"), ("file" = String, Path, description = "The checked file's SHA-256, as the check answered")),
    request_body = CatalogueApplyBody,
    responses((status = 200, body = CatalogueCheckDto), BadRequest, Unauthorized, Forbidden, NotFound, Conflict))]
pub async fn apply_file(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path((id, file)): Path<(i64, String)>,
    Json(body): Json<CatalogueApplyBody>,
) -> Result<Json<CatalogueCheckDto>, ApiError> {
    let applied = state
        .app
        .catalogue()
        .apply_catalogue_file(
            &requester,
            InstitutionId(id),
            &file,
            body.complete,
            &body.plan,
        )
        .await?;
    Ok(Json(CatalogueCheckDto::from(&applied)))
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak tags compare by their value.
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

/// The public catalogue as open data: every instrument that is not withdrawn (of one
/// institution, or all), in the national field set; CSV (UTF-8 with a byte-order mark,
/// Chinese headers, formula-looking cells escaped), JSON or XLSX (one worksheet of text cells). Streamed a page at a time. The
/// `ETag` changes with every change to the catalogue; `If-None-Match` with the current one
/// answers 304.
#[utoipa::path(get, path = "/catalogue/export", tag = "instruments",
    params(CatalogueExportParams),
    responses(
        (status = 200, description = "The catalogue file", content(
            (String = "text/csv"),
            (Vec<CatalogueRecordDto> = "application/json"),
            (CatalogueFileBody = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        )),
        (status = 304, description = "Not modified: the entity tag in If-None-Match is current"),
        BadRequest, NotFound))]
pub async fn export_catalogue(
    State(state): State<Arc<AppState>>,
    Query(params): Query<CatalogueExportParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = ExportFormat::parse(&params.format)?;
    let institution = params.institution.map(InstitutionId);
    let catalogue = state.app.catalogue();
    let export = catalogue
        .start_catalogue_export(institution, format)
        .await?;
    let version = catalogue
        .catalogue_export_version(institution, format)
        .await?;
    let etag = HeaderValue::from_str(&version.etag)
        .map_err(|error| ApiError::internal(format!("an entity tag is not a header: {error}")))?;
    let caching = HeaderValue::from_static("public, no-cache");
    if version.settled && none_match(&headers, &version.etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, caching)],
        )
            .into_response());
    }
    let file_name = match institution {
        Some(id) => format!("corridor-catalogue-{}.{}", id.0, format.extension()),
        None => format!("corridor-catalogue.{}", format.extension()),
    };
    let app = state.app.clone();
    // Each chunk is read from the store only when the client has taken the one before, so
    // the download holds one page in memory however large the catalogue is.
    let chunks = futures_util::stream::try_unfold((app, export), |(app, mut export)| async move {
        match app.catalogue().catalogue_export_chunk(&mut export).await {
            Ok(Some(chunk)) => Ok(Some((Bytes::from(chunk), (app, export)))),
            Ok(None) => Ok(None),
            Err(error) => {
                // The status line has gone; the client sees the body end unfinished.
                tracing::error!(error = %error, "the catalogue export failed midway");
                Err(std::io::Error::other(error.to_string()))
            }
        }
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, caching),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")).map_err(
                    |error| ApiError::internal(format!("a file name is not a header: {error}")),
                )?,
            ),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_and_weak_tags_match() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(none_match(&headers, "\"a\""));
        assert!(none_match(&headers, "\"b\""));
        assert!(!none_match(&headers, "\"c\""));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(none_match(&headers, "\"c\""));
    }
}
