//! Axum's extractors, with their rejections turned into problem details, so that a malformed
//! query string, path or body gets the same error shape as every other failure.

use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};

use crate::problem::ApiError;

/// A query string read into `T`, refused with 400 when its percent-encoded bytes are not
/// UTF-8 (the decoder would otherwise replace them silently, and a search for them would
/// become a search for nothing, answering everything).
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        if let Some(query) = parts.uri.query() {
            if std::str::from_utf8(&percent_decoded(query)).is_err() {
                return Err(ApiError::invalid(
                    "query",
                    "the query string is not valid UTF-8 once percent-decoded",
                ));
            }
        }
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Query(value))
    }
}

/// The bytes a query string stands for: `%XX` decoded, `+` as a space.
fn percent_decoded(query: &str) -> Vec<u8> {
    let bytes = query.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|byte| (*byte as char).to_digit(16));
        match bytes[index] {
            b'%' => match (hex(index + 1), hex(index + 2)) {
                (Some(high), Some(low)) => {
                    decoded.push((high * 16 + low) as u8);
                    index += 3;
                    continue;
                }
                _ => decoded.push(b'%'),
            },
            b'+' => decoded.push(b' '),
            byte => decoded.push(byte),
        }
        index += 1;
    }
    decoded
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(ApiError))]
pub struct Form<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        // serde_urlencoded names the field in its message ("limit: invalid digit …").
        let message = rejection.body_text();
        let message = message
            .strip_prefix("Failed to deserialize query string: ")
            .unwrap_or(&message)
            .to_owned();
        match message.split_once(": ") {
            Some((field, reason)) if !field.contains(' ') => ApiError::invalid(field, reason),
            _ => ApiError::invalid("query", message),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::invalid("path", rejection.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::BytesRejection(bytes)
                if bytes.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
            {
                ApiError::PayloadTooLarge(bytes.body_text())
            }
            other => ApiError::MalformedRequest(other.body_text()),
        }
    }
}

impl From<FormRejection> for ApiError {
    fn from(rejection: FormRejection) -> Self {
        // A form over the body limit is refused as too large, as a JSON body is (issue 30,
        // finding 13), not as malformed.
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::PayloadTooLarge(rejection.body_text());
        }
        ApiError::MalformedRequest(rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::percent_decoded;

    #[test]
    fn query_strings_decode_to_their_bytes() {
        assert_eq!(percent_decoded("q=HPLC+gc%2Dms"), b"q=HPLC gc-ms");
        assert_eq!(percent_decoded("q=%E8%B4%A8"), "q=质".as_bytes());
        assert!(std::str::from_utf8(&percent_decoded("q=%FF%FE")).is_err());
        assert_eq!(percent_decoded("q=100%"), b"q=100%");
    }
}
