//! The voucher pages' two languages: the fixed words in one [`VoucherText`] table per
//! language (as [`crate::i18n`] does for the rest of the shell, so a missing translation is a
//! compile error), and the sentences that carry values (refusals, decisions, splits).

use corridor_domain::voucher::{
    ApplicationStatus, ProviderScope, RedemptionMode, VoucherProgramme, VoucherRefusal,
};
use corridor_domain::{Fen, Language, ProvinceCode};

pub struct VoucherText {
    pub wallet_title: &'static str,
    pub wallet_intro: &'static str,
    pub office_link: &'static str,
    pub your_vouchers: &'static str,
    pub no_vouchers: &'static str,
    pub col_voucher: &'static str,
    pub col_programme: &'static str,
    pub col_issued: &'static str,
    pub col_available: &'static str,
    pub col_held: &'static str,
    pub col_spent: &'static str,
    pub col_valid: &'static str,
    pub col_requested: &'static str,
    pub col_purpose: &'static str,
    pub col_status: &'static str,
    pub col_submitted: &'static str,
    pub col_enterprise: &'static str,
    pub col_decision: &'static str,
    pub col_budget: &'static str,
    pub col_budget_available: &'static str,
    pub col_issued_total: &'static str,
    pub col_co_funding: &'static str,
    pub col_province: &'static str,
    pub col_payer: &'static str,
    pub col_provider_province: &'static str,
    pub col_claimant: &'static str,
    pub col_redemptions: &'static str,
    pub col_amount: &'static str,
    pub col_total: &'static str,
    pub your_applications: &'static str,
    pub no_applications: &'static str,
    pub open_programmes: &'static str,
    pub no_open_programmes: &'static str,
    pub not_an_enterprise: &'static str,
    pub annual_cap: &'static str,
    pub co_funding: &'static str,
    pub valid: &'static str,
    pub spend_with: &'static str,
    pub redemption: &'static str,
    pub budget_left: &'static str,
    pub amount_yuan: &'static str,
    pub purpose: &'static str,
    pub apply_button: &'static str,
    pub notice_applied: &'static str,
    pub apply_refused: &'static str,
    pub error_programme: &'static str,
    pub error_amount: &'static str,
    pub error_purpose: &'static str,
    pub status_submitted: &'static str,
    pub status_approved: &'static str,
    pub status_rejected: &'static str,
    pub scope_own_province: &'static str,
    pub scope_whole_region: &'static str,
    pub mode_enterprise_redeems: &'static str,
    pub mode_provider_redeems: &'static str,
    pub office_title: &'static str,
    pub office_forbidden: &'static str,
    pub office_all_provinces: &'static str,
    pub programmes_title: &'static str,
    pub no_programmes: &'static str,
    pub applications_title: &'static str,
    pub applications_waiting: &'static str,
    pub no_applications_waiting: &'static str,
    pub approve_amount: &'static str,
    pub note_placeholder: &'static str,
    pub approve: &'static str,
    pub reject: &'static str,
    pub notice_issued: &'static str,
    pub notice_rejected: &'static str,
    pub decision_failed: &'static str,
    pub error_decision: &'static str,
    pub error_note: &'static str,
    pub error_approve_amount: &'static str,
    pub already_decided: &'static str,
    pub settlement_title: &'static str,
    pub settlement_intro: &'static str,
    pub settlement_from: &'static str,
    pub settlement_to: &'static str,
    pub settlement_show: &'static str,
    pub settlement_csv: &'static str,
    pub settlement_none: &'static str,
    pub settlement_detail: &'static str,
    pub settlement_matrix_caption: &'static str,
    pub error_period: &'static str,
    pub pay_with_voucher: &'static str,
    pub no_voucher: &'static str,
    pub voucher_pays: &'static str,
    pub you_pay: &'static str,
    pub voucher_refused: &'static str,
    pub voucher_no_waitlist: &'static str,
    pub hold_refused: &'static str,
    pub error_voucher_choice: &'static str,
    pub available: &'static str,
}

pub static ENGLISH: VoucherText = VoucherText {
    wallet_title: "Innovation vouchers",
    wallet_intro: "Your enterprise's vouchers, what is left of them, and the programmes of your province you can apply to. A voucher pays its programme's share of an instrument's price with any eligible provider in the region.",
    office_link: "Open the voucher office console",
    your_vouchers: "Your enterprise's vouchers",
    no_vouchers: "Your enterprise holds no vouchers yet. Apply to a programme below.",
    col_voucher: "Voucher",
    col_programme: "Programme",
    col_issued: "Issued",
    col_available: "Available",
    col_held: "Held for bookings",
    col_spent: "Spent",
    col_valid: "Valid",
    col_requested: "Requested",
    col_purpose: "Purpose",
    col_status: "Status",
    col_submitted: "Submitted",
    col_enterprise: "Enterprise",
    col_decision: "Decision",
    col_budget: "Budget",
    col_budget_available: "Left to issue",
    col_issued_total: "Issued",
    col_co_funding: "Co-funding",
    col_province: "Province",
    col_payer: "Paying province",
    col_provider_province: "Provider province",
    col_claimant: "Claimant",
    col_redemptions: "Redemptions",
    col_amount: "Amount",
    col_total: "Total",
    your_applications: "Your enterprise's applications",
    no_applications: "No applications yet.",
    open_programmes: "Programmes open for applications",
    no_open_programmes: "No programme of your province is open for applications today.",
    not_an_enterprise: "Vouchers are issued to enterprises only; your institution is not a company, so it cannot apply.",
    annual_cap: "Cap per enterprise and year",
    co_funding: "The voucher pays",
    valid: "Valid",
    spend_with: "Spend with",
    redemption: "Redemption",
    budget_left: "Budget left",
    amount_yuan: "Amount (yuan)",
    purpose: "What the voucher is for",
    apply_button: "Apply for a voucher",
    notice_applied: "Your application was submitted; the voucher office of the province decides on it.",
    apply_refused: "The application was refused:",
    error_programme: "Choose one of the programmes listed.",
    error_amount: "The amount must be a positive number of yuan with at most two decimals, like 5000 or 1250.50.",
    error_purpose: "Say what the voucher is for, in at most 2,000 characters.",
    status_submitted: "submitted",
    status_approved: "approved",
    status_rejected: "rejected",
    scope_own_province: "providers of the province",
    scope_whole_region: "providers anywhere in the region",
    mode_enterprise_redeems: "the enterprise pays in full and is reimbursed",
    mode_provider_redeems: "the enterprise pays its share; the provider redeems the rest",
    office_title: "Voucher office",
    office_forbidden: "Only a province's voucher office and platform administrators may use the voucher office console.",
    office_all_provinces: "As a platform administrator you see the programmes of every province.",
    programmes_title: "Programmes",
    no_programmes: "No programmes yet.",
    applications_title: "Applications to decide",
    applications_waiting: "waiting for a decision",
    no_applications_waiting: "No application is waiting for a decision.",
    approve_amount: "Amount to issue (yuan; empty: as requested)",
    note_placeholder: "Note to the enterprise (optional)",
    approve: "Approve and issue",
    reject: "Reject",
    notice_issued: "The application was approved and the voucher issued.",
    notice_rejected: "The application was rejected.",
    decision_failed: "The decision was not made:",
    error_decision: "Press approve or reject.",
    error_note: "The note must be plain text of at most 1,000 characters.",
    error_approve_amount: "The amount to issue must be a positive number of yuan, at most the amount requested.",
    already_decided: "The application was already decided; it is",
    settlement_title: "Settlement between provinces",
    settlement_intro: "Voucher value redeemed in the period: what each province's programmes owe the claimants (providers, or enterprises that are reimbursed), by the province of the provider.",
    settlement_from: "From",
    settlement_to: "Until (not including)",
    settlement_show: "Show",
    settlement_csv: "Download as CSV",
    settlement_none: "Nothing was redeemed in this period.",
    settlement_detail: "Per programme and claimant",
    settlement_matrix_caption: "Rows: the paying province (the voucher's programme). Columns: the province of the provider.",
    error_period: "The period must be two dates like 2026-12-01, the first before the second.",
    pay_with_voucher: "Pay with voucher",
    no_voucher: "No voucher",
    voucher_pays: "Voucher pays",
    you_pay: "You pay",
    voucher_refused: "The voucher cannot pay for this booking:",
    voucher_no_waitlist: "A booking paid with a voucher cannot wait on the waitlist; choose a free time.",
    hold_refused: "The voucher no longer holds enough value for this booking; nothing was booked.",
    error_voucher_choice: "Choose one of your enterprise's vouchers, or none.",
    available: "available",
};

pub static CHINESE: VoucherText = VoucherText {
    wallet_title: "创新券",
    wallet_intro: "贵企业持有的创新券及其余额，以及贵企业所在省市可以申请的创新券项目。创新券可在区域内任一符合条件的服务机构按项目比例抵付仪器使用费。",
    office_link: "进入创新券管理后台",
    your_vouchers: "贵企业的创新券",
    no_vouchers: "贵企业尚未持有创新券。请在下方申请。",
    col_voucher: "创新券",
    col_programme: "项目",
    col_issued: "发放额度",
    col_available: "可用余额",
    col_held: "预约冻结",
    col_spent: "已使用",
    col_valid: "有效期",
    col_requested: "申请额度",
    col_purpose: "用途",
    col_status: "状态",
    col_submitted: "提交时间",
    col_enterprise: "企业",
    col_decision: "审批",
    col_budget: "预算",
    col_budget_available: "可发放余额",
    col_issued_total: "已发放",
    col_co_funding: "补贴比例",
    col_province: "省市",
    col_payer: "付款省市",
    col_provider_province: "服务机构所在省市",
    col_claimant: "兑付对象",
    col_redemptions: "兑付笔数",
    col_amount: "金额",
    col_total: "合计",
    your_applications: "贵企业的申请",
    no_applications: "暂无申请。",
    open_programmes: "开放申请的项目",
    no_open_programmes: "贵企业所在省市今天没有开放申请的创新券项目。",
    not_an_enterprise: "创新券仅发放给企业；您所在的单位不是企业，无法申请。",
    annual_cap: "每家企业每年上限",
    co_funding: "创新券抵付",
    valid: "有效期",
    spend_with: "使用范围",
    redemption: "兑付方式",
    budget_left: "剩余预算",
    amount_yuan: "申请额度（元）",
    purpose: "创新券用途",
    apply_button: "申请创新券",
    notice_applied: "申请已提交，由所在省市的创新券管理部门审批。",
    apply_refused: "申请未被受理：",
    error_programme: "请选择列出的项目之一。",
    error_amount: "额度须为正数（元），最多两位小数，如 5000 或 1250.50。",
    error_purpose: "请填写创新券用途，不超过 2,000 字。",
    status_submitted: "待审批",
    status_approved: "已批准",
    status_rejected: "已拒绝",
    scope_own_province: "本省市服务机构",
    scope_whole_region: "区域内所有服务机构",
    mode_enterprise_redeems: "企业全额支付后申请报销",
    mode_provider_redeems: "企业支付自付部分，服务机构兑付其余部分",
    office_title: "创新券管理",
    office_forbidden: "只有省市创新券管理部门和平台管理员可以使用创新券管理后台。",
    office_all_provinces: "您是平台管理员，可以查看所有省市的项目。",
    programmes_title: "项目",
    no_programmes: "暂无项目。",
    applications_title: "待审批的申请",
    applications_waiting: "份申请待审批",
    no_applications_waiting: "没有待审批的申请。",
    approve_amount: "发放额度（元；留空则按申请额度）",
    note_placeholder: "给企业的备注（可选）",
    approve: "批准并发放",
    reject: "拒绝",
    notice_issued: "申请已批准，创新券已发放。",
    notice_rejected: "申请已拒绝。",
    decision_failed: "审批未完成：",
    error_decision: "请选择批准或拒绝。",
    error_note: "备注须为纯文本，不超过 1,000 字。",
    error_approve_amount: "发放额度须为正数（元），且不超过申请额度。",
    already_decided: "该申请已审批，状态为",
    settlement_title: "省际结算",
    settlement_intro: "本期间内兑付的创新券金额：各省市项目应付给兑付对象（服务机构，或报销的企业）的金额，按服务机构所在省市汇总。",
    settlement_from: "起始日期",
    settlement_to: "截止日期（不含）",
    settlement_show: "查看",
    settlement_csv: "下载 CSV",
    settlement_none: "本期间没有兑付。",
    settlement_detail: "按项目和兑付对象",
    settlement_matrix_caption: "行：付款省市（创新券所属项目）。列：服务机构所在省市。",
    error_period: "期间须为两个日期，如 2026-12-01，且起始日期早于截止日期。",
    pay_with_voucher: "使用创新券支付",
    no_voucher: "不使用创新券",
    voucher_pays: "创新券支付",
    you_pay: "自付",
    voucher_refused: "该创新券不能用于本次预约：",
    voucher_no_waitlist: "使用创新券的预约不能排队候补；请选择空闲时段。",
    hold_refused: "该创新券余额已不足以支付本次预约；未进行预约。",
    error_voucher_choice: "请选择贵企业的一张创新券，或不使用创新券。",
    available: "可用",
};

pub fn voucher_text(language: Language) -> &'static VoucherText {
    match language {
        Language::English => &ENGLISH,
        Language::Chinese => &CHINESE,
    }
}

pub fn status_label(status: ApplicationStatus, vt: &VoucherText) -> &'static str {
    match status {
        ApplicationStatus::Submitted => vt.status_submitted,
        ApplicationStatus::Approved => vt.status_approved,
        ApplicationStatus::Rejected => vt.status_rejected,
    }
}

pub fn scope_label(scope: ProviderScope, vt: &VoucherText) -> &'static str {
    match scope {
        ProviderScope::OwnProvince => vt.scope_own_province,
        ProviderScope::WholeRegion => vt.scope_whole_region,
    }
}

pub fn mode_label(mode: RedemptionMode, vt: &VoucherText) -> &'static str {
    match mode {
        RedemptionMode::EnterpriseRedeems => vt.mode_enterprise_redeems,
        RedemptionMode::ProviderRedeems => vt.mode_provider_redeems,
    }
}

pub fn province_name(province: ProvinceCode, language: Language) -> &'static str {
    match language {
        Language::English => province.name_en(),
        Language::Chinese => province.name_zh(),
    }
}

pub fn programme_name(programme: &VoucherProgramme, language: Language) -> &str {
    match language {
        Language::English => &programme.name_en,
        Language::Chinese => &programme.name_zh,
    }
}

/// "60% of the price" or "价格的 60%".
pub fn co_funding_text(percent: u8, language: Language) -> String {
    match language {
        Language::English => format!("{percent}% of the price"),
        Language::Chinese => format!("费用的 {percent}%"),
    }
}

/// Why a programme refuses an application or a voucher refuses a booking, in the page's
/// language. The English sentences say what [`VoucherRefusal`]'s messages say, addressed to
/// the enterprise.
pub fn refusal_message(refusal: &VoucherRefusal, language: Language) -> String {
    let english = language == Language::English;
    match refusal {
        VoucherRefusal::NotAnEnterprise if english => {
            "Vouchers are issued to enterprises only.".into()
        }
        VoucherRefusal::NotAnEnterprise => "创新券仅发放给企业。".into(),
        VoucherRefusal::EnterpriseOutsideProvince if english => {
            "The programme issues vouchers only to enterprises of its own province.".into()
        }
        VoucherRefusal::EnterpriseOutsideProvince => "该项目只向本省市的企业发放创新券。".into(),
        VoucherRefusal::ProgrammeNotValid(day) if english => {
            format!("The programme is not valid on {day}.")
        }
        VoucherRefusal::ProgrammeNotValid(day) => format!("该项目在 {day} 不在有效期内。"),
        VoucherRefusal::AnnualCapExceeded {
            issued_this_year,
            cap,
        } if english => format!(
            "The enterprise would exceed the programme's annual cap of {cap}: {issued_this_year} was issued to it this year."
        ),
        VoucherRefusal::AnnualCapExceeded {
            issued_this_year,
            cap,
        } => format!("将超过该项目每家企业每年 {cap} 的上限：今年已发放 {issued_this_year}。"),
        VoucherRefusal::CategoryNotEligible if english => {
            "The programme does not pay for this category of instrument.".into()
        }
        VoucherRefusal::CategoryNotEligible => "该项目不支付此类仪器的费用。".into(),
        VoucherRefusal::ProviderNotEligible if english => {
            "The programme does not pay providers in this instrument's province.".into()
        }
        VoucherRefusal::ProviderNotEligible => "该项目不支付该仪器所在省市的服务机构。".into(),
        VoucherRefusal::NotYourVoucher if english => {
            "The voucher belongs to another enterprise.".into()
        }
        VoucherRefusal::NotYourVoucher => "该创新券属于其他企业。".into(),
        VoucherRefusal::NothingLeft if english => "The voucher has no value left.".into(),
        VoucherRefusal::NothingLeft => "该创新券已无余额。".into(),
        VoucherRefusal::NothingToPay if english => {
            "The booking costs nothing, so there is nothing for a voucher to pay.".into()
        }
        VoucherRefusal::NothingToPay => "本次预约免费，无需使用创新券。".into(),
    }
}

/// Why a programme's budget could not cover an approval.
pub fn budget_exhausted_message(available: Fen, language: Language) -> String {
    match language {
        Language::English => format!(
            "The programme's budget cannot cover this amount: {available} is left to issue."
        ),
        Language::Chinese => format!("项目预算不足以发放该额度：可发放余额为 {available}。"),
    }
}

/// A voucher as the booking form's choice shows it: "Shanghai vouchers 2026 #12 · ¥3,000.00
/// available".
pub fn voucher_option_label(
    programme: &VoucherProgramme,
    id: i64,
    available: Fen,
    vt: &VoucherText,
    language: Language,
) -> String {
    format!(
        "{} #{id} · {available} {}",
        programme_name(programme, language),
        vt.available
    )
}
