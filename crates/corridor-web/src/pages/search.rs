//! The search page: a query box, a facet sidebar whose every value is a link that toggles it,
//! result cards, and the results on the region map.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Request, State};
use axum::response::Html;
use corridor_domain::{AccessPolicy, BookingMode, InstitutionKind, ProvinceCode};
use corridor_search::Facet;
use corridor_store::CityWithCounts;

use super::{render, PageContext, PageError};
use crate::api::search::{results_dto, search_query, SearchParams};
use crate::auth::Requester;
use crate::extract::Query;
use crate::i18n::Text;
use crate::problem::ApiError;
use crate::AppState;

pub struct FacetValueView {
    pub label: String,
    pub count: u64,
    pub selected: bool,
    pub link: String,
}

impl FacetValueView {
    /// The count as the page writes it (grouped digits).
    pub fn count_text(&self) -> String {
        super::readable::grouped(self.count)
    }
}

impl GroupView {
    pub fn instruments_text(&self) -> String {
        super::readable::grouped(self.instruments)
    }
}

impl SearchTemplate {
    /// A count as the page writes it (grouped digits).
    pub fn grouped(&self, value: u64) -> String {
        super::readable::grouped(value)
    }
}

pub struct FacetView {
    pub code: &'static str,
    pub title: String,
    pub values: Vec<FacetValueView>,
    /// The values past the first few, behind a "more" disclosure: every city of the region
    /// can be chosen without a long list in the way.
    pub more: Vec<FacetValueView>,
}

pub struct HitView {
    pub id: i64,
    pub name: String,
    pub other_name: String,
    pub institution: String,
    pub city: String,
    pub rate: String,
    pub distance: Option<String>,
    /// With the rail filter: how long the train takes to the instrument's city.
    pub travel: Option<String>,
    pub badges: Vec<&'static str>,
    /// When grouped: what the row stands for beyond its best instrument.
    pub group: Option<GroupView>,
}

/// A row of grouped results: how many instruments, where, at what prices, and the link that
/// lists them.
pub struct GroupView {
    pub instruments: u64,
    pub institutions: u64,
    pub rates: String,
    pub nearest: Option<String>,
    /// With the free-time filter: the earliest free start, in the region's time.
    pub earliest_free: Option<String>,
    pub open_link: String,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchTemplate {
    pub ctx: PageContext,
    pub q: String,
    pub total: u64,
    pub hits: Vec<HitView>,
    pub facets: Vec<FacetView>,
    pub map_svg: String,
    pub next_link: Option<String>,
    pub clear_link: String,
    pub sort_links: Vec<(&'static str, String, bool)>,
    /// When the query matched nothing as written: the words the results leave out (empty
    /// when close spellings were enough).
    pub relaxed: Option<String>,
    /// A better-spelled query and the link that searches it, with the same filters.
    pub did_you_mean: Option<(String, String)>,
    /// The switch between grouped and flat results: label, link, chosen.
    pub view_links: Vec<(&'static str, String, bool)>,
    /// When grouped: how many kinds (or models) match.
    pub total_groups: Option<u64>,
    /// Which user class the prices are for, in words (the academic rate for a visitor who is
    /// not signed in, who is told so).
    pub rate_class: &'static str,
    pub signed_in: bool,
    /// The rail and free-time filters' form: every city a station serves, the chosen
    /// one (the person's own city by default), and the values asked.
    pub rail_cities: Vec<super::reach::CityOption>,
    pub reach_hours: Option<u16>,
    /// The hours the rail filter offers, each with whether it is the one chosen.
    pub hour_choices: Vec<(u16, bool)>,
    pub free_hours: Option<u16>,
    pub free_from: String,
    pub free_to: String,
    /// The filters' hidden fields: the other parameters, so that applying them keeps the
    /// query and the facets.
    pub kept_fields: Vec<(String, String)>,
}

#[derive(serde::Deserialize, serde::Serialize, Default, Clone)]
pub struct SearchPageParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    q: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    institution_kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    access_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    booking_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price_band: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    training_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sort: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u32>,
    /// `none` for one row per instrument; grouped by kind when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    /// One group's instruments (a group's key).
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    /// The rail filter: from this city (six-digit code) …
    #[serde(skip_serializing_if = "Option::is_none")]
    reach_from: Option<u32>,
    /// … within this many hours (none: no rail filter).
    #[serde(skip_serializing_if = "Option::is_none")]
    reach_hours: Option<u16>,
    /// The free-time filter: free for this many consecutive hours …
    #[serde(skip_serializing_if = "Option::is_none")]
    free_hours: Option<u16>,
    /// … between these two dates (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    free_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    free_to: Option<String>,
    /// Read by the page middleware (the language switch), never written into links.
    #[serde(skip_serializing, default)]
    #[allow(dead_code)]
    lang: Option<String>,
}

impl SearchPageParams {
    fn api_params(&self) -> SearchParams {
        SearchParams {
            q: self.q.clone(),
            category: self.category.clone(),
            province: self.province.clone(),
            city: self.city.clone(),
            institution_kind: self.institution_kind.clone(),
            access_policy: self.access_policy.clone(),
            booking_mode: self.booking_mode.clone(),
            price_band: self.price_band.clone(),
            training_required: self.training_required,
            sort: self.sort.clone(),
            offset: self.offset,
            group: self.group.clone(),
            kind: self.kind.clone(),
            limit: Some(20),
            reach_from: self.reach_hours.and(self.reach_from),
            reach_minutes: self
                .reach_from
                .and(self.reach_hours)
                .map(|hours| hours.saturating_mul(60)),
            free_hours: self.free_hours,
            free_from: self
                .free_hours
                .and(self.free_from.clone())
                .filter(|date| !date.is_empty()),
            free_to: self
                .free_hours
                .and(self.free_to.clone())
                .filter(|date| !date.is_empty()),
            ..SearchParams::default()
        }
    }

    fn link(&self) -> String {
        format!(
            "/search?{}",
            serde_urlencoded::to_string(self).unwrap_or_default()
        )
    }

    fn values(&self, facet: Facet) -> Vec<String> {
        let field = match facet {
            Facet::Category => &self.category,
            Facet::Province => &self.province,
            Facet::City => &self.city,
            Facet::InstitutionKind => &self.institution_kind,
            Facet::AccessPolicy => &self.access_policy,
            Facet::BookingMode => &self.booking_mode,
            Facet::PriceBand => &self.price_band,
            Facet::TrainingRequired => {
                return self
                    .training_required
                    .map(|value| vec![value.to_string()])
                    .unwrap_or_default()
            }
        };
        field
            .as_deref()
            .map(|values| values.split(',').map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The link that adds `value` to the facet's filter, or removes it if present. Paging
    /// restarts, because the results change.
    fn toggled(&self, facet: Facet, value: &str) -> String {
        let mut next = self.clone();
        next.offset = None;
        if facet == Facet::TrainingRequired {
            let chosen = value == "true";
            next.training_required = if self.training_required == Some(chosen) {
                None
            } else {
                Some(chosen)
            };
            return next.link();
        }
        let mut values = self.values(facet);
        if let Some(position) = values.iter().position(|existing| existing == value) {
            values.remove(position);
        } else {
            values.push(value.to_owned());
        }
        let joined = (!values.is_empty()).then(|| values.join(","));
        match facet {
            Facet::Category => next.category = joined,
            Facet::Province => next.province = joined,
            Facet::City => next.city = joined,
            Facet::InstitutionKind => next.institution_kind = joined,
            Facet::AccessPolicy => next.access_policy = joined,
            Facet::BookingMode => next.booking_mode = joined,
            Facet::PriceBand => next.price_band = joined,
            Facet::TrainingRequired => {}
        }
        next.link()
    }
}

fn facet_title(facet: Facet, t: &Text) -> &'static str {
    match facet {
        Facet::Category => t.category,
        Facet::Province => t.province,
        Facet::City => t.city,
        Facet::InstitutionKind => t.facet_kind,
        Facet::AccessPolicy => t.access_policy,
        Facet::BookingMode => t.booking_mode,
        Facet::PriceBand => t.facet_price,
        Facet::TrainingRequired => t.training_required,
    }
}

fn value_label(
    facet: Facet,
    value: &str,
    ctx: &PageContext,
    categories: &HashMap<String, (String, String)>,
    cities: &HashMap<u32, (String, String)>,
) -> String {
    let t = ctx.t;
    match facet {
        Facet::Category => categories
            .get(value)
            .map_or_else(|| value.to_owned(), |(en, zh)| ctx.name(en, zh).to_owned()),
        Facet::Province => ProvinceCode::parse(value).map_or_else(
            |_| value.to_owned(),
            |province| ctx.name(province.name_en(), province.name_zh()).to_owned(),
        ),
        Facet::City => value
            .parse::<u32>()
            .ok()
            .and_then(|code| cities.get(&code))
            .map_or_else(|| value.to_owned(), |(en, zh)| ctx.name(en, zh).to_owned()),
        Facet::InstitutionKind => match InstitutionKind::parse(value) {
            Ok(InstitutionKind::University) => t.universities.to_owned(),
            Ok(InstitutionKind::ResearchInstitute) => t.research_institutes.to_owned(),
            Ok(InstitutionKind::Corporation) => t.corporations.to_owned(),
            Ok(InstitutionKind::Hospital) => t.hospitals.to_owned(),
            Ok(InstitutionKind::FacilityOperator) => t.facility_operators.to_owned(),
            Err(_) => value.to_owned(),
        },
        Facet::AccessPolicy => match AccessPolicy::parse(value) {
            Ok(AccessPolicy::Open) => t.open_to_all.to_owned(),
            Ok(AccessPolicy::Region) => t.open_to_region.to_owned(),
            Ok(AccessPolicy::OwnInstitution) => t.own_only.to_owned(),
            Err(_) => value.to_owned(),
        },
        Facet::BookingMode => match BookingMode::parse(value) {
            Ok(BookingMode::Instant) => t.instant.to_owned(),
            Ok(BookingMode::NeedsApproval) => t.needs_approval.to_owned(),
            Err(_) => value.to_owned(),
        },
        Facet::PriceBand => match value {
            "under_100" => format!("< ¥100 {}", t.per_hour),
            "100_300" => format!("¥100–300 {}", t.per_hour),
            "300_600" => format!("¥300–600 {}", t.per_hour),
            "600_1000" => format!("¥600–1,000 {}", t.per_hour),
            _ => format!("≥ ¥1,000 {}", t.per_hour),
        },
        Facet::TrainingRequired => if value == "true" { t.yes } else { t.no }.to_owned(),
    }
}

pub async fn search_page(
    State(state): State<Arc<AppState>>,
    requester: Requester,
    Query(params): Query<SearchPageParams>,
    request: Request,
) -> Result<Html<String>, PageError> {
    let ctx = PageContext::new(&requester, request.extensions(), "/search");
    let catalogue = state.app.catalogue();
    let outcome = async {
        let answer = catalogue
            .search(&requester, search_query(&params.api_params())?)
            .await?;
        let cities = catalogue.all_cities().await?;
        Ok::<_, ApiError>((answer, cities))
    }
    .await;
    let (answer, cities) = match outcome {
        Ok(values) => values,
        Err(error) => {
            return Err(PageError {
                error,
                context: ctx,
            })
        }
    };
    let reach = state.app.reach();
    // The person's own city, which the search already read for their rates.
    let rail_origin = params
        .reach_from
        .unwrap_or_else(|| catalogue.journey_origin_from(answer.home_city));
    let rail_cities = cities
        .iter()
        .filter(|city| reach.serves(city.city.code.get()))
        .map(|city| super::reach::CityOption {
            code: city.city.code.get(),
            name: ctx.name(&city.city.name_en, &city.city.name_zh).to_owned(),
            selected: city.city.code.get() == rail_origin,
        })
        .collect();
    let (offset, limit) = (answer.offset, answer.limit);
    let rail_minutes = answer.rail_minutes.clone();
    let results = results_dto(answer);
    let zone = state.app.region_time_zone();
    // Two cities of one name (Suzhou in Jiangsu and in Anhui, Taizhou in Jiangsu and in
    // Zhejiang) are told apart by their province.
    let mut name_uses: HashMap<&str, usize> = HashMap::new();
    for city in &cities {
        *name_uses.entry(city.city.name_en.as_str()).or_default() += 1;
    }
    let city_names: HashMap<u32, (String, String)> = cities
        .iter()
        .map(|city| {
            let names = if name_uses[city.city.name_en.as_str()] > 1 {
                (
                    format!("{} ({})", city.city.name_en, city.city.province.name_en()),
                    format!("{}（{}）", city.city.name_zh, city.city.province.name_zh()),
                )
            } else {
                (city.city.name_en.clone(), city.city.name_zh.clone())
            };
            (city.city.code.get(), names)
        })
        .collect();
    let facets = Facet::ALL
        .iter()
        .map(|facet| {
            let selected = params.values(*facet);
            let counts = results
                .facets
                .get(facet.as_code())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let shown_first = if *facet == Facet::City { 12 } else { 20 };
            let mut values: Vec<FacetValueView> = counts
                .iter()
                .map(|count| FacetValueView {
                    label: value_label(
                        *facet,
                        &count.value,
                        &ctx,
                        catalogue.category_names(),
                        &city_names,
                    ),
                    count: count.count,
                    selected: selected.contains(&count.value),
                    link: params.toggled(*facet, &count.value),
                })
                .collect();
            // A chosen value stays visible (to be un-chosen) even when it counts nothing.
            for value in selected
                .iter()
                .filter(|value| !counts.iter().any(|count| &count.value == *value))
            {
                values.push(FacetValueView {
                    label: value_label(
                        *facet,
                        value,
                        &ctx,
                        catalogue.category_names(),
                        &city_names,
                    ),
                    count: 0,
                    selected: true,
                    link: params.toggled(*facet, value),
                });
            }
            let more = if values.len() > shown_first {
                values.split_off(shown_first)
            } else {
                Vec::new()
            };
            FacetView {
                code: facet.as_code(),
                title: facet_title(*facet, ctx.t).to_owned(),
                values,
                more,
            }
        })
        .filter(|facet| !facet.values.is_empty())
        .collect();
    let city_counts: HashMap<u32, u64> = results
        .facets
        .get("city")
        .map(|counts| {
            counts
                .iter()
                .filter_map(|count| Some((count.value.parse().ok()?, count.count)))
                .collect()
        })
        .unwrap_or_default();
    let map_cities: Vec<CityWithCounts> = cities
        .into_iter()
        .map(|city| {
            let count = city_counts.get(&city.city.code.get()).copied().unwrap_or(0);
            CityWithCounts {
                city: city.city,
                institutions: 0,
                instruments: count,
            }
        })
        .collect();
    let map_svg = if results.total > 0 {
        crate::map::region_map_svg(&map_cities, ctx.language, ctx.t.results_map)
    } else {
        String::new()
    };
    let hits = results
        .items
        .iter()
        .enumerate()
        .map(|(index, hit)| {
            let mut badges = Vec::new();
            if hit.training_required {
                badges.push(ctx.t.training_required);
            }
            if hit.booking_mode == "needs_approval" {
                badges.push(ctx.t.needs_approval);
            }
            let group = results.groups.get(index).map(|group| {
                let mut open = params.clone();
                open.kind = Some(group.key.clone());
                open.group = Some("none".to_owned());
                open.offset = None;
                let (low, high) = (
                    corridor_domain::Fen(group.lowest_rate_fen),
                    corridor_domain::Fen(group.highest_rate_fen),
                );
                let rates = if low == high {
                    format!("{low} {}", ctx.t.per_hour)
                } else {
                    format!("{low}–{high} {}", ctx.t.per_hour)
                };
                let nearest = match (&group.nearest_by_rail, group.nearest_km) {
                    (Some(rail), _) => Some(format!(
                        "{} {} {} min",
                        ctx.t.group_nearest, ctx.t.group_by_rail, rail.minutes
                    )),
                    (None, Some(km)) => Some(format!("{} {km:.0} km", ctx.t.group_nearest)),
                    (None, None) => None,
                };
                let earliest_free = group
                    .earliest_free
                    .as_deref()
                    .and_then(|text| text.parse::<jiff::Timestamp>().ok())
                    .map(|start| {
                        format!(
                            "{} {}",
                            ctx.t.group_free_from,
                            start.to_zoned(zone.clone()).strftime("%Y-%m-%d %H:%M")
                        )
                    });
                GroupView {
                    earliest_free,
                    instruments: group.instruments,
                    institutions: group.institutions,
                    rates,
                    nearest,
                    open_link: open.link(),
                }
            });
            HitView {
                id: hit.id,
                name: ctx.name(&hit.name_en, &hit.name_zh).to_owned(),
                other_name: ctx.name(&hit.name_zh, &hit.name_en).to_owned(),
                institution: ctx
                    .name(&hit.institution_name_en, &hit.institution_name_zh)
                    .to_owned(),
                city: ctx.name(&hit.city_name_en, &hit.city_name_zh).to_owned(),
                rate: corridor_domain::Fen(hit.hourly_rate_fen).to_string(),
                distance: hit.distance_km.map(|km| format!("{km:.0} km")),
                travel: rail_minutes
                    .as_ref()
                    .and_then(|minutes| minutes.get(&hit.city))
                    .map(|minutes| super::reach::duration(*minutes, ctx.is_chinese())),
                badges,
                group,
            }
        })
        .collect();
    let rows = results.total_groups.unwrap_or(results.total);
    let next_link = ((offset + limit) < rows as usize).then(|| {
        let mut next = params.clone();
        next.offset = Some((offset + limit) as u32);
        next.link()
    });
    let clear_link = SearchPageParams {
        q: params.q.clone(),
        ..SearchPageParams::default()
    }
    .link();
    let sort_links = [
        ("relevance", ctx.t.sort_relevance),
        ("price", ctx.t.sort_price),
    ]
    .into_iter()
    .map(|(code, label)| {
        let mut sorted = params.clone();
        sorted.sort = Some(code.to_owned());
        sorted.offset = None;
        (
            label,
            sorted.link(),
            params.sort.as_deref().unwrap_or("relevance") == code,
        )
    })
    .collect();
    let relaxed = results
        .relaxed
        .as_ref()
        .map(|relaxed| relaxed.dropped_words.join(" "));
    let did_you_mean = results.did_you_mean.clone().map(|suggestion| {
        let mut suggested = params.clone();
        suggested.q = Some(suggestion.clone());
        suggested.offset = None;
        (suggestion, suggested.link())
    });
    let grouped = params.group.as_deref() != Some("none");
    let view_links = [
        (ctx.t.view_by_kind, None, grouped),
        (ctx.t.view_each_instrument, Some("none"), !grouped),
    ]
    .into_iter()
    .map(|(label, group, chosen)| {
        let mut switched = params.clone();
        switched.group = group.map(str::to_owned);
        switched.offset = None;
        (label, switched.link(), chosen)
    })
    .collect();
    let kept_fields = {
        let mut kept = params.clone();
        kept.reach_from = None;
        kept.reach_hours = None;
        kept.free_hours = None;
        kept.free_from = None;
        kept.free_to = None;
        kept.offset = None;
        serde_urlencoded::to_string(&kept)
            .ok()
            .and_then(|query| serde_urlencoded::from_str::<Vec<(String, String)>>(&query).ok())
            .unwrap_or_default()
    };
    let rate_class = corridor_domain::UserClass::parse(&results.user_class).map_or("", |class| {
        super::booking_text::user_class_label(class, ctx.t)
    });
    let page = SearchTemplate {
        rail_cities,
        reach_hours: params.reach_hours,
        hour_choices: [1u16, 2, 3, 4, 6, 8]
            .into_iter()
            .map(|hours| (hours, params.reach_hours == Some(hours)))
            .collect(),
        free_hours: params.free_hours,
        free_from: params.free_from.clone().unwrap_or_default(),
        free_to: params.free_to.clone().unwrap_or_default(),
        kept_fields,
        rate_class,
        signed_in: requester.user.is_some(),
        view_links,
        total_groups: results.total_groups,
        relaxed,
        did_you_mean,
        q: params.q.clone().unwrap_or_default(),
        total: results.total,
        hits,
        facets,
        map_svg,
        next_link,
        clear_link,
        sort_links,
        ctx,
    };
    render(&page).map_err(|error| PageError {
        error,
        context: page.ctx,
    })
}
