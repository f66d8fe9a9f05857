//! The instrument list and the instrument page (details, the rail journey there, and the
//! week calendar with the booking form).

use super::*;

/// How many instruments one page of the list shows.
const INSTRUMENTS_PER_PAGE: u32 = 50;

#[derive(Debug, Deserialize)]
pub(super) struct InstrumentListParams {
    province: Option<String>,
    city: Option<u32>,
    category: Option<String>,
    cursor: Option<i64>,
    #[allow(dead_code)]
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "instruments.html")]
struct InstrumentsTemplate {
    ctx: PageContext,
    total: u64,
    rows: Vec<InstrumentRow>,
    provinces: Vec<(&'static str, &'static str, bool)>,
    categories: Vec<(String, String, bool)>,
    next_link: Option<String>,
}

struct InstrumentRow {
    id: i64,
    name: String,
    category: String,
    institution: String,
    city: String,
    industry_rate: String,
}

pub(super) async fn instruments_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<InstrumentListParams>,
    request: Request,
) -> Result<Html<String>, PageError> {
    let ctx = PageContext::new(&requester, request.extensions(), "/instruments");
    let result = async {
        let filter = InstrumentFilter {
            province: params
                .province
                .as_deref()
                .filter(|code| !code.is_empty())
                .map(ProvinceCode::parse)
                .transpose()?,
            city: params.city.map(CityCode::new).transpose()?,
            category: params
                .category
                .as_deref()
                .filter(|code| !code.is_empty())
                .map(CategoryCode::parse)
                .transpose()?,
            ..InstrumentFilter::default()
        };
        let catalogue = state.app.catalogue();
        let page = catalogue
            .instruments(
                &filter,
                PageRequest {
                    limit: PageLimit::new(INSTRUMENTS_PER_PAGE)?,
                    after: params.cursor,
                },
            )
            .await?;
        let categories = catalogue.categories().await?;
        Ok::<_, ApiError>((filter, page, categories))
    }
    .await;
    let (filter, page, categories) = match result {
        Ok(values) => values,
        Err(error) => {
            return Err(PageError {
                error,
                context: ctx,
            })
        }
    };
    let category_names: std::collections::HashMap<&str, (&str, &str)> = categories
        .iter()
        .map(|c| (c.code.as_str(), (c.name_en.as_str(), c.name_zh.as_str())))
        .collect();
    let rows = page
        .items
        .iter()
        .map(|item: &InstrumentWithPlace| InstrumentRow {
            id: item.instrument.id.0,
            name: ctx
                .name(&item.instrument.name_en, &item.instrument.name_zh)
                .to_owned(),
            category: category_names
                .get(item.instrument.category.as_str())
                .map_or_else(String::new, |(en, zh)| ctx.name(en, zh).to_owned()),
            institution: ctx
                .name(&item.institution_name_en, &item.institution_name_zh)
                .to_owned(),
            city: ctx.name(&item.city_name_en, &item.city_name_zh).to_owned(),
            industry_rate: item.instrument.rates.industry_fen.to_string(),
        })
        .collect();
    let next_link = page.next_cursor.map(|cursor| {
        let mut link = format!("/instruments?cursor={cursor}");
        if let Some(province) = filter.province {
            link.push_str(&format!("&province={}", province.as_code()));
        }
        if let Some(city) = filter.city {
            link.push_str(&format!("&city={}", city.get()));
        }
        if let Some(category) = &filter.category {
            link.push_str(&format!("&category={}", category.as_str()));
        }
        link
    });
    let provinces = ProvinceCode::ALL
        .iter()
        .map(|province| {
            (
                province.as_code(),
                if ctx.is_chinese() {
                    province.name_zh()
                } else {
                    province.name_en()
                },
                filter.province == Some(*province),
            )
        })
        .collect();
    let categories = categories
        .iter()
        .filter(|category| category.code.is_top_level())
        .map(|category| {
            (
                category.code.as_str().to_owned(),
                ctx.name(&category.name_en, &category.name_zh).to_owned(),
                filter.category.as_ref() == Some(&category.code),
            )
        })
        .collect();
    let page = InstrumentsTemplate {
        total: page.total,
        rows,
        provinces,
        categories,
        next_link,
        ctx,
    };
    render(&page).map_err(|error| PageError {
        error,
        context: page.ctx,
    })
}

#[derive(Template)]
#[template(path = "instrument.html")]
struct InstrumentTemplate {
    ctx: PageContext,
    journey_from: Vec<reach::CityOption>,
    journey_duration: Option<String>,
    journey_legs: Vec<reach::LegView>,
    journey_same_city: bool,
    item: InstrumentWithPlace,
    category_name: String,
    access_policy: &'static str,
    booking_mode: &'static str,
    rates: Vec<(&'static str, String)>,
    booking: booking::BookingSection,
}

#[derive(Debug, Deserialize)]
pub(super) struct InstrumentPageParams {
    /// The city the journey on the page starts from.
    from: Option<u32>,
    /// Any date of the week the calendar shows (`YYYY-MM-DD`); this week when absent.
    week: Option<String>,
    /// A calendar cell's link prefills the booking form with its date and start time.
    date: Option<String>,
    start: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

pub(super) async fn instrument_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Path(id): Path<i64>,
    Query(params): Query<InstrumentPageParams>,
    request: Request,
) -> Result<Html<String>, PageError> {
    let mut ctx = PageContext::new(
        &requester,
        request.extensions(),
        &format!("/instruments/{id}"),
    );
    // Signing in from the booking form comes back to the slot that was chosen.
    let chosen_slot = serde_urlencoded::to_string([
        ("date", params.date.as_deref()),
        ("start", params.start.as_deref()),
    ])
    .unwrap_or_default();
    if !chosen_slot.is_empty() {
        ctx.sign_in_href = super::forms::sign_in_href(&format!("/instruments/{id}?{chosen_slot}"));
    }
    let catalogue = state.app.catalogue();
    let item = match catalogue.instrument(InstrumentId(id)).await {
        Ok(item) => item,
        Err(error) => {
            return Err(PageError {
                error: error.into(),
                context: ctx,
            })
        }
    };
    let categories = catalogue.categories().await.unwrap_or_default();
    let category_name = categories
        .iter()
        .find(|category| category.code == item.instrument.category)
        .map_or_else(
            || item.instrument.category.as_str().to_owned(),
            |category| ctx.name(&category.name_en, &category.name_zh).to_owned(),
        );
    let access_policy = match (item.instrument.access_policy, ctx.is_chinese()) {
        (AccessPolicy::Open, false) => "open to everyone",
        (AccessPolicy::Region, false) => "open to the region",
        (AccessPolicy::OwnInstitution, false) => "own institution only",
        (AccessPolicy::Open, true) => "对外开放",
        (AccessPolicy::Region, true) => "区域内开放",
        (AccessPolicy::OwnInstitution, true) => "仅限本单位",
    };
    let booking_mode = match (item.instrument.booking_mode, ctx.is_chinese()) {
        (BookingMode::Instant, false) => "instant confirmation",
        (BookingMode::NeedsApproval, false) => "needs the manager's approval",
        (BookingMode::Instant, true) => "即时确认",
        (BookingMode::NeedsApproval, true) => "需管理员审核",
    };
    let t = ctx.t;
    let rates = vec![
        (
            t.rate_own,
            item.instrument.rates.own_institution_fen.to_string(),
        ),
        (
            t.rate_academic,
            item.instrument.rates.other_academic_fen.to_string(),
        ),
        (
            t.rate_industry,
            item.instrument.rates.industry_fen.to_string(),
        ),
    ];
    // A signed-in person's journey starts from their home institution's city.
    let from = match params.from {
        Some(city) => city,
        None => catalogue.journey_origin(&requester).await,
    };
    let to = item.city.get();
    let rail_reach = state.app.reach();
    let journey = reach::journey_lines(&rail_reach, from, to, ctx.is_chinese());
    let cities = catalogue.all_cities().await.unwrap_or_default();
    let journey_from = cities
        .iter()
        .filter(|city| rail_reach.serves(city.city.code.get()))
        .map(|city| reach::CityOption {
            code: city.city.code.get(),
            name: ctx.name(&city.city.name_en, &city.city.name_zh).to_owned(),
            selected: city.city.code.get() == from,
        })
        .collect();
    let (journey_duration, journey_legs) = match journey {
        Some((duration, legs)) => (Some(duration), legs),
        None => (None, Vec::new()),
    };
    let prefill = booking::CalendarPrefill {
        week: params.week,
        date: params.date,
        start: params.start,
    };
    let booking =
        match booking::booking_section_for_page(&state, &requester, &ctx, &item, prefill).await {
            Ok(section) => section,
            Err(error) => {
                return Err(PageError {
                    error,
                    context: ctx,
                })
            }
        };
    let page = InstrumentTemplate {
        booking,
        journey_from,
        journey_duration,
        journey_legs,
        journey_same_city: from == to,
        item,
        category_name,
        access_policy,
        booking_mode,
        rates,
        ctx,
    };
    render(&page).map_err(|error| PageError {
        error,
        context: page.ctx,
    })
}
