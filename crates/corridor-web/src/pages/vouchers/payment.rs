//! Paying a booking with a voucher from the booking form: the "Pay with voucher" choice
//! (offered when the user's enterprise holds vouchers with value left), the split the quote
//! shows (the voucher's share and the user's), and the sentences for a booking the voucher
//! could not pay for. Whose voucher may pay and how a price splits are the application
//! layer's (`corridor_app::vouchers`); the booking itself, with its hold on the voucher, is
//! made by [`crate::pages::booking`].

use corridor_app::{Actor, AppError, Refusal};
use corridor_domain::voucher::{PriceSplit, RedemptionMode, VoucherId, VoucherRefusal};
use corridor_domain::{Fen, InstrumentId, Language, User};
use corridor_store::VoucherRecord;

use super::text::{refusal_message, voucher_option_label, voucher_text};
use crate::problem::ApiError;
use crate::AppState;

pub struct VoucherOption {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

/// The booking form's "Pay with voucher" select.
pub struct VoucherChoiceView {
    pub label: &'static str,
    pub none_label: &'static str,
    pub options: Vec<VoucherOption>,
    /// The chosen voucher's id, or empty for none; the "Book" button sends it again.
    pub selected: String,
}

/// How the quote's price splits when a voucher is chosen, or why the voucher cannot pay.
pub struct VoucherQuoteView {
    pub voucher_pays_label: &'static str,
    pub voucher_pays: String,
    pub you_pay_label: &'static str,
    pub you_pay: String,
    /// Who pays whom, by the programme's redemption mode.
    pub note: String,
    pub refusal: Option<String>,
}

impl VoucherQuoteView {
    /// Whether booking with this voucher would be refused, so the quote offers no "Book".
    pub fn blocks_booking(&self) -> bool {
        self.refusal.is_some()
    }
}

/// Reads the form's voucher field: empty is none, else one voucher's id.
pub fn chosen_voucher(
    value: &Option<String>,
    language: Language,
) -> Result<Option<VoucherId>, String> {
    match value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
    {
        None => Ok(None),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(|id| Some(VoucherId(id)))
            .ok_or_else(|| voucher_text(language).error_voucher_choice.to_owned()),
    }
}

/// The vouchers of the user's enterprise (their home institution).
pub async fn enterprise_vouchers(
    state: &AppState,
    user: &User,
) -> Result<Vec<VoucherRecord>, ApiError> {
    // Reading one's own wallet writes nothing, so the actor needs no network address.
    let actor = Actor::user(user.clone(), None);
    Ok(state.app.vouchers().my_vouchers(&actor).await?)
}

/// The select of the booking form: the vouchers with value left, and the chosen one. `None`
/// when the enterprise holds no voucher with value and none was chosen, so the form stays as
/// it is for everyone without vouchers.
pub fn choice_view(
    vouchers: &[VoucherRecord],
    chosen: Option<VoucherId>,
    language: Language,
) -> Option<VoucherChoiceView> {
    let vt = voucher_text(language);
    let options: Vec<VoucherOption> = vouchers
        .iter()
        .filter(|voucher| voucher.available().0 > 0 || Some(voucher.id) == chosen)
        .map(|voucher| VoucherOption {
            id: voucher.id.0,
            label: voucher_option_label(
                &voucher.programme,
                voucher.id.0,
                voucher.available(),
                vt,
                language,
            ),
            selected: Some(voucher.id) == chosen,
        })
        .collect();
    if options.is_empty() && chosen.is_none() {
        return None;
    }
    Some(VoucherChoiceView {
        label: vt.pay_with_voucher,
        none_label: vt.no_voucher,
        options,
        selected: chosen.map(|id| id.0.to_string()).unwrap_or_default(),
    })
}

fn split_note(mode: RedemptionMode, split: &PriceSplit, language: Language) -> String {
    match (mode, language) {
        (RedemptionMode::ProviderRedeems, Language::English) => format!(
            "You pay the provider {}; the provider claims {} from the programme.",
            split.enterprise_pays, split.voucher_pays
        ),
        (RedemptionMode::ProviderRedeems, Language::Chinese) => format!(
            "您向服务机构支付 {}；其余 {} 由服务机构向项目兑付。",
            split.enterprise_pays, split.voucher_pays
        ),
        (RedemptionMode::EnterpriseRedeems, Language::English) => format!(
            "You pay the provider {} in full; the programme reimburses you {}.",
            split.price, split.voucher_pays
        ),
        (RedemptionMode::EnterpriseRedeems, Language::Chinese) => format!(
            "您向服务机构全额支付 {}；项目向您报销 {}。",
            split.price, split.voucher_pays
        ),
    }
}

fn refused_view(refusal: &VoucherRefusal, language: Language) -> VoucherQuoteView {
    let vt = voucher_text(language);
    VoucherQuoteView {
        voucher_pays_label: vt.voucher_pays,
        voucher_pays: Fen::ZERO.to_string(),
        you_pay_label: vt.you_pay,
        you_pay: String::new(),
        note: String::new(),
        refusal: Some(format!(
            "{} {}",
            vt.voucher_refused,
            refusal_message(refusal, language)
        )),
    }
}

/// The quote's split for `voucher` if the booking at `instrument` for `price` were paid
/// with it, or why the voucher cannot pay (another enterprise's voucher is "not yours").
pub async fn quote_split(
    state: &AppState,
    actor: &Actor,
    voucher: VoucherId,
    instrument: InstrumentId,
    price: Fen,
    service_at: jiff::Timestamp,
    language: Language,
) -> Result<VoucherQuoteView, ApiError> {
    let quoted = state
        .app
        .vouchers()
        .split_for_booking(actor, voucher, instrument, price, service_at)
        .await;
    let (record, split) = match quoted {
        Ok(quoted) => (quoted.voucher, quoted.split),
        // The service answers others' vouchers as unknown; the form names them as not yours.
        Err(AppError::NotFound(_)) => {
            return Ok(refused_view(&VoucherRefusal::NotYourVoucher, language))
        }
        Err(AppError::Refused(Refusal::Voucher(refusal))) => {
            return Ok(refused_view(&refusal, language))
        }
        Err(error) => return Err(error.into()),
    };
    let vt = voucher_text(language);
    Ok(VoucherQuoteView {
        voucher_pays_label: vt.voucher_pays,
        voucher_pays: split.voucher_pays.to_string(),
        you_pay_label: vt.you_pay,
        you_pay: split.enterprise_pays.to_string(),
        note: split_note(record.programme.redemption_mode, &split, language),
        refusal: None,
    })
}

/// Why the booking was not made with the voucher, for the booking form's errors.
pub fn refused_booking_message(refusal: &VoucherRefusal, language: Language) -> String {
    format!(
        "{} {}",
        voucher_text(language).voucher_refused,
        refusal_message(refusal, language)
    )
}

/// The ledger refused the hold: the voucher lacks the value (spent meanwhile).
pub fn hold_refused_message(language: Language) -> String {
    voucher_text(language).hold_refused.to_owned()
}

/// A booking paid with a voucher cannot join the waitlist.
pub fn no_waitlist_message(language: Language) -> &'static str {
    voucher_text(language).voucher_no_waitlist
}
