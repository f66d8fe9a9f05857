//! Every request gets an id, and every log line written while it is served carries it: the
//! middleware opens a `request` span with the id, and the application layer's operations
//! (`#[tracing::instrument]`) open theirs inside it. The id is answered in `X-Request-Id`, so
//! that a user who reports a failure can quote it and an operator can find its log lines.
//!
//! An id a client sends is kept when it is short and printable (a load balancer in front may
//! have set one); otherwise the node makes one: a per-process random prefix and a counter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use rand::RngCore;
use tracing::Instrument;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The longest id accepted from a client.
const LONGEST_CLIENT_ID: usize = 64;

static NEXT: AtomicU64 = AtomicU64::new(1);
static PREFIX: OnceLock<String> = OnceLock::new();

fn new_request_id() -> String {
    let prefix = PREFIX.get_or_init(|| format!("{:08x}", rand::rngs::OsRng.next_u32()));
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn client_request_id(request: &Request) -> Option<String> {
    let value = request.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let usable = !value.is_empty()
        && value.len() <= LONGEST_CLIENT_ID
        && value
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"-_.:".contains(&byte));
    usable.then(|| value.to_owned())
}

/// Gives the request its id and serves it inside a span that carries the id.
pub async fn with_request_id(mut request: Request, next: Next) -> Response {
    let id = client_request_id(&request).unwrap_or_else(new_request_id);
    let header = HeaderValue::from_str(&id).expect("request ids are visible ASCII");
    request
        .headers_mut()
        .insert(REQUEST_ID_HEADER, header.clone());
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        path = %request.uri().path()
    );
    let mut response = next.run(request).instrument(span).await;
    response.headers_mut().insert(REQUEST_ID_HEADER, header);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_ids_are_distinct_and_clients_ids_are_kept_only_when_harmless() {
        assert_ne!(new_request_id(), new_request_id());
        let with = |value: &str| {
            let request = axum::http::Request::builder()
                .header(REQUEST_ID_HEADER, value)
                .body(axum::body::Body::empty())
                .unwrap();
            client_request_id(&request)
        };
        assert_eq!(with("lb-42:abc").as_deref(), Some("lb-42:abc"));
        assert_eq!(with("has space"), None);
        assert_eq!(with(&"x".repeat(65)), None);
        assert_eq!(with(""), None);
    }
}
