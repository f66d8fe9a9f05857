//! The manager console's usage queue: confirmed bookings whose slot is over and whose usage
//! nobody recorded yet, each with a form that records the minutes actually used
//! (`POST /manage/bookings/{id}/usage`). Recording usage completes the booking, charges it at
//! the booked rate, and redeems a voucher's hold on it for the share of the actual charge, which
//! is what the voucher offices' settlement then counts.
//!
//! Its words live here in both languages (as the voucher pages keep theirs), so that the
//! shell's table in `crate::i18n` does not grow with every console section.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use corridor_app::AppError;
use corridor_domain::{BookingId, Fen, Language, PageLimit};
use corridor_store::{PageRequest, VoucherPaymentState};
use serde::Deserialize;

use super::booking_text::{local_range_text, zone_named};
use super::forms::{field_text, page_cursor, see_page, FormPage, PageForm, SignedInForm};
use super::manage::{
    console_error, refused_change_message, render_console, render_console_refusal, ConsoleParams,
};
use super::{PageContext, PageError};
use crate::auth::Requester;
use crate::extract::Path;
use crate::problem::ApiError;
use crate::AppState;

/// How many bookings the usage queue lists at once; the count says how many wait in all.
const USAGE_DUE_PER_PAGE: u32 = 50;

pub struct UsageText {
    pub title: &'static str,
    pub count: &'static str,
    pub none: &'static str,
    pub col_voucher: &'static str,
    pub col_usage: &'static str,
    pub minutes: &'static str,
    pub record: &'static str,
    pub voucher_holds: &'static str,
    pub failed: &'static str,
    pub error_minutes: &'static str,
    pub show_all: &'static str,
    pub show_voucher_only: &'static str,
}

const ENGLISH: UsageText = UsageText {
    title: "Usage to record",
    count: "bookings are over and wait for their usage",
    none: "No finished booking waits for its usage.",
    col_voucher: "Voucher",
    col_usage: "Minutes used",
    minutes: "minutes",
    record: "Record usage",
    voucher_holds: "holds",
    failed: "The usage was not recorded:",
    error_minutes: "Minutes used must be a whole number from 0 to 20,160 (two weeks).",
    show_all: "All",
    show_voucher_only: "Paid with a voucher",
};

const CHINESE: UsageText = UsageText {
    title: "待登记机时",
    count: "条预约已结束，待登记实际使用机时",
    none: "暂无待登记机时的预约。",
    col_voucher: "创新券",
    col_usage: "实际使用（分钟）",
    minutes: "分钟",
    record: "登记机时",
    voucher_holds: "冻结",
    failed: "机时未能登记：",
    error_minutes: "实际使用分钟数须为 0 到 20160（两周）之间的整数。",
    show_all: "全部",
    show_voucher_only: "使用创新券的",
};

pub fn usage_text(language: Language) -> &'static UsageText {
    match language {
        Language::English => &ENGLISH,
        Language::Chinese => &CHINESE,
    }
}

pub struct UsageRow {
    pub id: i64,
    pub instrument_id: i64,
    pub instrument_name: String,
    pub user_name: String,
    pub when: String,
    pub duration: String,
    pub booked_minutes: i64,
    pub price: String,
    /// What a voucher holds on the booking, if one pays for it.
    pub voucher_hold: Option<String>,
}

/// The usage queue as the console shows it: how many wait, and the oldest of them.
pub struct UsageQueue {
    pub total: u64,
    pub voucher_only: bool,
    pub rows: Vec<UsageRow>,
    pub next_link: Option<String>,
}

/// Which of the finished bookings the queue shows: `voucher_only` (the console's
/// `usage=voucher`) keeps those a voucher holds money for; `after` is the page cursor
/// (`usage_after`).
pub async fn usage_queue(
    state: &AppState,
    requester: &Requester,
    ctx: &PageContext,
    voucher_only: bool,
    after: Option<&str>,
) -> Result<UsageQueue, ApiError> {
    let after = page_cursor(after, "usage_after", ctx)?;
    let bookings = state.app.bookings();
    let page = bookings
        .usage_due(
            requester,
            voucher_only,
            PageRequest {
                limit: PageLimit::new(USAGE_DUE_PER_PAGE)?,
                after,
            },
        )
        .await
        .map_err(|error| console_error(error, ctx))?;
    let filter = if voucher_only { "&usage=voucher" } else { "" };
    let next_link = page
        .next_cursor
        .map(|cursor| format!("/manage?usage_after={cursor}{filter}#usage-due"));
    let mut rows = Vec::with_capacity(page.items.len());
    for booking in &page.items {
        let zone = zone_named(&booking.time_zone);
        let voucher_hold = match bookings.voucher_payment(requester, booking).await? {
            Some(payment) if payment.state == VoucherPaymentState::Held => {
                Some(payment.split.voucher_pays.to_string())
            }
            _ => None,
        };
        rows.push(UsageRow {
            id: booking.id.0,
            instrument_id: booking.instrument.0,
            instrument_name: ctx
                .name(&booking.instrument_name_en, &booking.instrument_name_zh)
                .to_owned(),
            user_name: booking.user_display_name.clone(),
            when: local_range_text(booking.range, &zone, ctx.t, ctx.language),
            duration: super::readable::duration(booking.range.minutes(), ctx.language),
            booked_minutes: booking.range.minutes(),
            price: booking.price.to_string(),
            voucher_hold,
        });
    }
    Ok(UsageQueue {
        total: page.total,
        voucher_only,
        rows,
        next_link,
    })
}

#[derive(Debug, Deserialize)]
pub struct UsageFields {
    usage_minutes: Option<String>,
}

impl PageForm for UsageFields {
    const PAGE: FormPage = FormPage::Fixed("/manage");
}

/// `POST /manage/bookings/{id}/usage`: records the minutes a finished booking actually used.
pub async fn usage_submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
    form: SignedInForm<UsageFields>,
) -> Response {
    let (ctx, requester, fields) = (form.ctx, form.requester, form.fields);
    let ut = usage_text(ctx.language);
    let console_params = ConsoleParams::default();
    let bad_minutes = |ctx: PageContext| {
        let error = Some(ut.error_minutes.to_owned());
        render_console(
            &state,
            &requester,
            ctx,
            &console_params,
            error,
            StatusCode::BAD_REQUEST,
        )
    };
    let Ok(minutes) = field_text(&fields.usage_minutes).parse::<i64>() else {
        return bad_minutes(ctx).await;
    };
    let recorded = state
        .app
        .bookings()
        .record_usage(&requester, BookingId(id), minutes)
        .await;
    match recorded {
        Ok(change) => see_page(&format!(
            "/manage?notice=usage&booking={}",
            change.booking.id.0
        )),
        Err(AppError::Invalid { field, .. }) if field == "usage_minutes" => bad_minutes(ctx).await,
        Err(AppError::Refused(refusal)) => {
            let message = refused_change_message(&state, &requester, id, &refusal, &ctx).await;
            let error = format!("{} {message}", ut.failed);
            render_console_refusal(&state, &requester, ctx, error).await
        }
        Err(error) => PageError {
            error: console_error(error, &ctx),
            context: ctx,
        }
        .into_response(),
    }
}

/// The notice after a usage record, told from what is stored: the booking's charge and what
/// its voucher redeemed. Nothing when the booking is not one the user manages or has no usage.
pub async fn usage_notice(
    state: &AppState,
    requester: &Requester,
    language: Language,
    booking: i64,
) -> Result<Option<String>, ApiError> {
    let bookings = state.app.bookings();
    let booking = match bookings
        .managed_booking(requester, BookingId(booking))
        .await
    {
        Ok(booking) => booking,
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let Some(charged) = booking.charged else {
        return Ok(None);
    };
    let redeemed = match bookings.voucher_payment(requester, &booking).await? {
        Some(payment) => match payment.state {
            VoucherPaymentState::Redeemed { amount } => Some(amount),
            VoucherPaymentState::Released => Some(Fen(0)),
            VoucherPaymentState::Held => None,
        },
        None => None,
    };
    let id = booking.id.0;
    Ok(Some(match (language, redeemed) {
        (Language::English, None) => {
            format!("Usage of booking #{id} recorded; it was charged {charged}.")
        }
        (Language::English, Some(redeemed)) => format!(
            "Usage of booking #{id} recorded; it was charged {charged}, of which the voucher paid {redeemed}."
        ),
        (Language::Chinese, None) => format!("预约 #{id} 的机时已登记，计费 {charged}。"),
        (Language::Chinese, Some(redeemed)) => {
            format!("预约 #{id} 的机时已登记，计费 {charged}，其中创新券支付 {redeemed}。")
        }
    }))
}
