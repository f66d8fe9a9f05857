//! The analytics contract: the snapshot a store hands to `corridor_domain::analytics` yields
//! the same figures as plain SQL over the same tables, on every engine.

use corridor_domain::analytics::{
    AnalyticsFacts, FlowLevel, Period, ProviderScope, UtilisationGroup,
};
use corridor_store::{HistoricalBooking, Store};
use jiff::{SignedDuration, Timestamp};

use crate::support::region_data;

/// A small demo region with its generated year of bookings, imported.
async fn region_with_history(store: &dyn Store) -> Timestamp {
    let scale = corridor_demo::DemoScale {
        instruments: 600,
        users: 300,
        corporations: 40,
    };
    let region = corridor_demo::generate(7, scale, &mut |_, _, _| {});
    let today = jiff::civil::date(2026, 11, 2);
    let history = corridor_demo::generate_booking_history(&region, 7, today, &mut |_, _, _| {});
    store.import_region(&region_data(region)).await.unwrap();
    let bookings: Vec<HistoricalBooking> = history
        .bookings
        .iter()
        .map(|booking| HistoricalBooking {
            instrument: booking.instrument,
            user: booking.user,
            range: booking.range,
            status: booking.status,
            user_class: booking.user_class,
            hourly_rate: booking.hourly_rate,
            price: booking.price,
            usage_minutes: booking.usage_minutes,
            charged: booking.charged,
            created_at: booking.created_at,
        })
        .collect();
    assert!(bookings.len() > 5_000, "{}", bookings.len());
    store
        .import_booking_history(&history.rules, &bookings, &history.qualifications)
        .await
        .unwrap();
    today
        .to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap())
        .unwrap()
        .timestamp()
}

pub async fn analytics_agree_with_plain_sql(store: &dyn Store) {
    let today = region_with_history(store).await;
    let snapshot = store.analytics_snapshot().await.unwrap();
    let facts = AnalyticsFacts::build(
        snapshot.instruments,
        snapshot.institutions,
        snapshot.bookings,
    )
    .unwrap();
    // A quarter of the past, and the whole year with the booked weeks ahead.
    for period in [
        Period {
            from: today - SignedDuration::from_hours(24 * 91),
            to: today,
        },
        Period {
            from: today - SignedDuration::from_hours(24 * 366),
            to: today + SignedDuration::from_hours(24 * 60),
        },
    ] {
        let by_sql = store
            .analytics_by_sql(period.from, period.to)
            .await
            .unwrap();
        assert!(!by_sql.province_flows.is_empty());

        let flows = facts.flows(period, FlowLevel::Province).unwrap();
        let mut computed: Vec<(String, String, i64, i64, i64)> = flows
            .cells
            .iter()
            .map(|cell| {
                (
                    cell.origin.clone(),
                    cell.provider.clone(),
                    cell.bookings as i64,
                    (cell.hours * 60.0).round() as i64,
                    cell.fees.0,
                )
            })
            .collect();
        computed.sort();
        let mut expected = by_sql.province_flows.clone();
        expected.sort();
        assert_eq!(computed, expected);

        let usage = facts
            .usage_by_origin(period, &ProviderScope::default())
            .unwrap();
        let users: Vec<(String, i64)> = usage
            .by_province
            .iter()
            .filter(|row| row.totals.users > 0)
            .map(|row| (row.key.clone(), row.totals.users as i64))
            .collect();
        let mut expected_users = by_sql.users_by_home_province.clone();
        expected_users.sort();
        let mut users_sorted = users;
        users_sorted.sort();
        assert_eq!(users_sorted, expected_users);

        let utilisation = facts
            .utilisation(period, UtilisationGroup::Category)
            .unwrap();
        let minutes: Vec<(String, i64)> = utilisation
            .iter()
            .filter(|row| row.booked_hours > 0.0)
            .map(|row| (row.key.clone(), (row.booked_hours * 60.0).round() as i64))
            .collect();
        assert_eq!(minutes, by_sql.minutes_by_category);
    }
}
