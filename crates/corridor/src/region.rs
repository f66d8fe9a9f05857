//! Generating the demo region into a store, with a progress bar, and telling the person at
//! the terminal how to sign in.

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::{Context, Result};
use corridor_demo::{DemoRegion, DemoScale};
use corridor_domain::PlaintextPassword;
use corridor_store::{HistoricalBooking, RegionData, RegionUser, Store};
use indicatif::{ProgressBar, ProgressStyle};

/// The password of every demo account. Printed at start-up; it is a demo.
pub const DEMO_PASSWORD: &str = "corridor-demo";

pub async fn generate_into(store: &dyn Store, seed: u64, scale: DemoScale) -> Result<()> {
    let started = Instant::now();
    let bar = ProgressBar::new(1);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:>12} [{bar:40}] {pos}/{len} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let region = corridor_demo::generate(seed, scale, &mut |stage, done, total| {
        bar.set_message(stage);
        bar.set_length(total);
        bar.set_position(done);
    });
    // A year of bookings up to today and eight weeks ahead, read in China time: the demo
    // always looks lived-in, whenever it is generated.
    let today = jiff::Timestamp::now()
        .to_zoned(
            jiff::tz::db()
                .get("Asia/Shanghai")
                .context("the bundled time zone database")?,
        )
        .date();
    let history =
        corridor_demo::generate_booking_history(&region, seed, today, &mut |stage, done, total| {
            bar.set_message(stage);
            bar.set_length(total);
            bar.set_position(done);
        });
    let generated_in = started.elapsed();
    bar.set_message("writing");
    bar.set_length(1);
    bar.set_position(0);
    let programmes = corridor_demo::voucher_programmes(today);
    let demo_grants = corridor_demo::voucher_history(
        &region,
        &history.bookings,
        &programmes,
        jiff::Timestamp::now(),
    );
    let institution_kinds: Vec<_> = region
        .institutions
        .iter()
        .map(|institution| (institution.id, institution.kind))
        .collect();
    // The light source's programme: 1,500 proposals a cycle in the demo region, fewer in the
    // small region tests start.
    let proposals_per_cycle = if scale == DemoScale::full() {
        1_500
    } else {
        90
    };
    let programme = corridor_demo::beamtime::demo_beamtime(
        &region.users,
        &institution_kinds,
        &region.beamlines,
        seed,
        today,
        proposals_per_cycle,
    );
    let data = region_data(region);
    let written = Instant::now();
    let report = store
        .import_region(&data)
        .await
        .context("writing the region")?;
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
    store
        .import_booking_history(&history.rules, &bookings, &history.qualifications)
        .await
        .context("writing the booking history")?;
    // One programme per province, and the vouchers enterprises were issued and spent on
    // their completed bookings this year.
    let mut programme_ids = Vec::with_capacity(programmes.len());
    for programme in &programmes {
        programme_ids.push(
            store
                .create_voucher_programme(programme, &corridor_store::AuditContext::default())
                .await
                .context("creating the demo voucher programmes")?,
        );
    }
    let grants: Vec<corridor_store::HistoricalVoucherGrant> = demo_grants
        .into_iter()
        .map(|grant| corridor_store::HistoricalVoucherGrant {
            programme: programme_ids[grant.programme],
            enterprise: grant.enterprise,
            applicant: grant.applicant,
            amount: grant.amount,
            issued_at: grant.issued_at,
            bookings: grant
                .bookings
                .iter()
                .map(|index| {
                    let booking = &history.bookings[*index];
                    (booking.instrument, booking.user, booking.range.start)
                })
                .collect(),
        })
        .collect();
    let voucher_bookings = store
        .import_voucher_history(&grants)
        .await
        .context("writing the demo vouchers")?;
    bar.set_message("programme");
    let programme_started = Instant::now();
    let programme = crate::region_beamtime::load_beamtime(store, programme, seed).await?;
    let programme_ms = programme_started.elapsed().as_millis() as u64;
    bar.set_message("statistics");
    let statistics_started = Instant::now();
    store
        .refresh_planner_statistics()
        .await
        .context("refreshing the planner's statistics after the load")?;
    let statistics_ms = statistics_started.elapsed().as_millis() as u64;
    bar.finish_and_clear();
    tracing::info!(
        proposals = programme.proposals,
        reviews = programme.reviews,
        granted_shifts = programme.granted_shifts,
        open_cycle_oversubscription = programme.oversubscription,
        programme_ms,
        "wrote the light source's programme"
    );
    let rows: Vec<String> = report
        .rows_by_table
        .iter()
        .map(|(table, rows)| format!("{table} {rows}"))
        .collect();
    tracing::info!(
        seed,
        generate_ms = generated_in.as_millis() as u64,
        write_ms = written.elapsed().as_millis() as u64,
        statistics_ms,
        total_ms = started.elapsed().as_millis() as u64,
        bookings = bookings.len(),
        qualifications = history.qualifications.len(),
        vouchers = grants.len(),
        voucher_bookings,
        "generated the demo region: {}",
        rows.join(", ")
    );
    Ok(())
}

/// Turns the generator's values into what the store imports, giving the demo accounts the
/// demo password (hashed here, at the edge, because the generator is pure and deterministic
/// and a password hash is neither).
fn region_data(region: DemoRegion) -> RegionData {
    let password = PlaintextPassword::new_choice(DEMO_PASSWORD.to_owned())
        .expect("the demo password is long enough");
    let demo_hash = corridor_app::accounts::hash_password(&password);
    let demo_users: std::collections::HashSet<_> = region
        .demo_accounts
        .iter()
        .map(|account| account.user)
        .collect();
    RegionData {
        name: region.name,
        seed: region.seed,
        generator_version: region.generator_version,
        time_zone: region.time_zone,
        cities: region.cities,
        categories: region.categories,
        institutions: region.institutions,
        sites: region.sites,
        instruments: region.instruments,
        beamlines: region.beamlines,
        users: region
            .users
            .into_iter()
            .map(|user| {
                let password_hash = demo_users.contains(&user.id).then(|| demo_hash.clone());
                RegionUser {
                    user,
                    password_hash,
                }
            })
            .collect(),
    }
}

/// Prints one sign-in per role. The accounts are the demo's fixed addresses; they are looked
/// up in the store so that what is printed is what exists.
pub async fn print_demo_accounts(store: &dyn Store, listen: SocketAddr) -> Result<()> {
    println!("Sign in at http://{listen}/sign-in with password {DEMO_PASSWORD:?} as:");
    for email in corridor_demo::DEMO_ACCOUNT_EMAILS {
        let email = corridor_domain::EmailAddress::parse(email).expect("demo addresses are valid");
        if let Some(candidate) = store.sign_in_candidate(&email).await? {
            let roles: Vec<&str> = candidate
                .user
                .roles
                .iter()
                .map(|grant| grant.role.as_code())
                .collect();
            println!("  {:<34} {}", email.as_str(), roles.join(", "));
        }
    }
    println!("New people sign up at http://{listen}/sign-up; without --smtp their mail waits in the outbox, which the platform admin reads at http://{listen}/admin/mail.");
    println!("API: curl -X POST http://{listen}/api/v1/tokens -H 'content-type: application/json' -d '{{\"email\":\"admin@corridor.demo\",\"password\":\"{DEMO_PASSWORD}\",\"name\":\"cli\"}}'");
    Ok(())
}
