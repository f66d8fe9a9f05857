//! Corridor's HTTP edge: the JSON API (`/api/v1`), its OpenAPI document, sign-in, and the
//! server-rendered web shell.
//!
//! Architecture Invariant: handlers hold no rules of their own. They parse input into domain
//! types, call the store (or, later, the pure engines), and turn results into DTOs or pages.
//! Every failure leaves through [`problem::ApiError`] as RFC 9457 problem+json.

pub mod api;
pub mod auth;
pub mod authz;
mod base_map;
mod charts;
pub mod extract;
pub mod i18n;
mod map;
mod pages;
pub mod problem;
pub mod request_id;
pub mod serve;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use corridor_app::App;
use corridor_store::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi;

use crate::api::dto::HealthDto;
use crate::problem::ApiError;

/// Requests bodies larger than this are refused with 413 before they are read whole.
pub const MAX_REQUEST_BODY_BYTES: usize = 256 * 1024;
/// A request that takes longer than this is cut off with 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub struct AppState {
    /// The application layer: every rule and every store access goes through it.
    pub app: Arc<App>,
    /// Whether cookies get the `Secure` flag: on when served behind HTTPS.
    pub secure_cookies: bool,
    pub(crate) openapi_json: String,
}

#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    pub secure_cookies: bool,
    /// How long one request may take, reading its body included; [`REQUEST_TIMEOUT`] when
    /// absent (tests shorten it).
    pub request_timeout: Option<Duration>,
}

/// The OpenAPI document of the API, as served at `/api/v1/openapi.json`.
pub fn openapi() -> OpenApi {
    let (_, openapi) = api::router().split_for_parts();
    let mut document = openapi;
    document.servers = Some(vec![utoipa::openapi::Server::new("/api/v1")]);
    document_refusals_everywhere(&mut document);
    api::links::document_links(&mut document);
    document
}

/// Every operation reads its path, query and body through the same extractors, which refuse
/// what they cannot parse with 400 invalid-parameter (an id beyond 64 bits, a malformed
/// query), and every body passes the size limit (413). Documented here once instead of on
/// each handler, so that a new route cannot forget them.
fn document_refusals_everywhere(document: &mut OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let responses = &mut operation.responses.responses;
            responses.entry("400".to_owned()).or_insert_with(|| {
                problem(
                    "A parameter or the body was refused (invalid-parameter, malformed-request)",
                )
            });
            if operation.request_body.is_some() {
                responses
                    .entry("413".to_owned())
                    .or_insert_with(|| problem("The body is larger than the server accepts"));
            }
        }
    }
}

/// The whole application: API, pages, and the layers every request passes through. Builds
/// the search index from the store and starts the task that keeps it fresh.
pub async fn app(
    store: Arc<dyn Store>,
    config: WebConfig,
) -> Result<Router, corridor_app::StartError> {
    app_with_rail(store, config, corridor_app::RailSource::Demo).await
}

/// As [`app`], routing on the given timetable.
pub async fn app_with_rail(
    store: Arc<dyn Store>,
    config: WebConfig,
    rail: corridor_app::RailSource,
) -> Result<Router, corridor_app::StartError> {
    let app = Arc::new(App::start_with_rail(store, rail).await?);
    Ok(router(app, config))
}

/// The routes and layers over an application that is already started.
pub fn router(app: Arc<App>, config: WebConfig) -> Router {
    let (api_router, _) = api::router().split_for_parts();
    let openapi_json = openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    let state = Arc::new(AppState {
        app,
        secure_cookies: config.secure_cookies,
        openapi_json,
    });
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi_document))
        .nest("/api/v1", api_router)
        .merge(pages::router(state.clone()))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Layers run outside in: authentication first, then the route's gate (after routing,
        // before any extractor reads the request).
        .layer(axum::middleware::from_fn(authz::authorize))
        // A browser that asked for a page and meets a failure gets a page, not problem+json;
        // inside authentication so that the page knows who is signed in.
        .layer(axum::middleware::from_fn(pages::html_error_pages))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout.unwrap_or(REQUEST_TIMEOUT),
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("a handler panicked").into_response()
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TraceLayer::new_for_http())
        // Outermost: every line logged while serving the request carries its id.
        .layer(axum::middleware::from_fn(request_id::with_request_id))
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve::serve_with_limits(listener, app, shutdown, serve::ServeLimits::default()).await
}

/// Liveness and readiness: 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let health = state.app.health().await;
    let dto = HealthDto {
        status: if health.database_answers {
            "ok"
        } else {
            "unavailable"
        }
        .into(),
        backend: health.backend.to_owned(),
        region_loaded: health.region_loaded,
    };
    if health.database_answers {
        axum::Json(dto).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(dto)).into_response()
    }
}

async fn openapi_document(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi_json.clone(),
    )
        .into_response()
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
