//! The managers' work queues: bookings waiting for a decision and bookings whose slot is over
//! and whose usage waits to be recorded. Both list only the instruments the requester
//! manages (every institution for platform admins) and answer 403 to users who manage none.

use std::sync::Arc;

use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::booking_dto::BookingDto;
use super::dto::PageDto;
use super::{page_request, PageParams};
use crate::auth::Requester;
use crate::extract::{Json, Query};
use crate::problem::responses::{Forbidden, Unauthorized};
use crate::problem::ApiError;
use crate::AppState;

/// Pending bookings at the instruments the requester manages (every institution for
/// platform admins), oldest first: the approvals queue.
#[utoipa::path(get, path = "/manage/pending-bookings", tag = "bookings", params(PageParams), security(("bearer" = [])),
    responses((status = 200, body = PageDto<BookingDto>), Unauthorized, Forbidden))]
pub async fn pending_bookings(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<PageParams>,
) -> Result<Json<PageDto<BookingDto>>, ApiError> {
    let page = state
        .app
        .bookings()
        .pending_approvals(
            &requester,
            page_request(params.limit, params.cursor.as_deref())?,
        )
        .await?;
    Ok(Json(PageDto::from_page(page, BookingDto::from)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageDueParams {
    /// Items per page, 1 to 500; 50 when absent.
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only the bookings a voucher holds money for; `false` when absent.
    voucher_held: Option<bool>,
}

/// Confirmed bookings at the instruments the requester manages whose slot is over and whose
/// usage nobody recorded yet, oldest first: what `POST /bookings/{id}/usage` works through.
/// A voucher's hold on such a booking is redeemed when the usage is recorded.
#[utoipa::path(get, path = "/manage/usage-due", tag = "bookings", params(UsageDueParams), security(("bearer" = [])),
    responses((status = 200, body = PageDto<BookingDto>), Unauthorized, Forbidden))]
pub async fn usage_due(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<UsageDueParams>,
) -> Result<Json<PageDto<BookingDto>>, ApiError> {
    let page = state
        .app
        .bookings()
        .usage_due(
            &requester,
            params.voucher_held.unwrap_or(false),
            page_request(params.limit, params.cursor.as_deref())?,
        )
        .await?;
    Ok(Json(PageDto::from_page(page, BookingDto::from)))
}
